"""Problems with a scenario, each under its YAML path and line, and the one error that lists them.

Errors are collected, not raised one by one: loading raises a single ``ScenarioError`` listing every
problem with its YAML path (``demand.flows.crude_kz_btc.tons_per_year``), the same dotted form
that ``--set`` takes, and the line in the file (or the parent file) where there is one. Pydantic's
locations become such paths here (``readable_path``), and its messages sentences (``explain``).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from .schema import Scenario


# ----------------------------------------------------------------------------------------------
# Errors
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Problem:
    path: str
    message: str
    where: str | None = None  # "line 12", or "base.yaml line 12" for an inherited field

    def __str__(self) -> str:
        where = f" ({self.where})" if self.where else ""
        return f"{self.path or '<top level>'}{where}: {self.message}"


class ScenarioError(Exception):
    """Raised for any invalid scenario input; ``str()`` is the message to show the user."""

    def __init__(self, source: str, problems: list[Problem], header: str | None = None):
        self.source = source
        self.problems = problems
        head = (
            header
            or f"{source}: the scenario is not valid ({len(problems)} problem{'s' if len(problems) != 1 else ''})"
        )
        body = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{head}\n{body}" if problems else head)


# ----------------------------------------------------------------------------------------------
# Paths: pydantic locations and --set overrides both use dotted paths where list items are named
# by their id (demand.flows.crude_kz_btc.tons_per_year) or, lacking one, by index (path.3).
# ----------------------------------------------------------------------------------------------
def readable_path(raw: Any, loc: tuple) -> str:
    parts: list[str] = []
    node = raw
    for key in loc:
        if isinstance(node, list) and isinstance(key, int):
            item = node[key] if 0 <= key < len(node) else None
            label = item_key(item) or str(key)
            parts.append(label)
            node = item
        else:
            if key in ("function-after", "function-before", "function-wrap") or str(key).startswith(
                ("function-", "list[", "union[", "constrained-")
            ):
                continue
            parts.append(str(key))
            node = node.get(key) if isinstance(node, dict) else None
    return ".".join(parts)


ITEM_KEYS = ("id", "cargo")  # list items are named by their id (terminals: by their cargo)


def item_key(item: Any) -> str | None:
    if isinstance(item, dict):
        for k in ITEM_KEYS:
            if isinstance(item.get(k), str):
                return item[k]
    return None


Chain = list[tuple[Path, "yaml.Node | None"]]  # the file first, then the files it extends


def locate(chain: Chain | None, path: str) -> str | None:
    """Where a dotted path is written: the file that sets it (child before parents), and the line."""
    if not chain:
        return None
    for i, (file, tree) in enumerate(chain):
        line = line_of(tree, path, exact=True)
        if line:
            return f"line {line}" if i == 0 else f"{file.name} line {line}"
    line = line_of(chain[0][1], path)
    return f"line {line}" if line else None


def line_of(tree: yaml.Node | None, path: str, exact: bool = False) -> int | None:
    """1-based line of a dotted path in the composed YAML, or of its deepest existing parent."""
    if tree is None:
        return None
    node, line = tree, tree.start_mark.line + 1
    for part in [p for p in path.split(".") if p]:
        nxt = None
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if getattr(k, "value", None) == part:
                    nxt, line = v, k.start_mark.line + 1
                    break
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                ident = None
                if isinstance(item, yaml.MappingNode):
                    keys = {getattr(k, "value", None): v.value for k, v in item.value}
                    ident = next((keys[k] for k in ITEM_KEYS if isinstance(keys.get(k), str)), None)
                if part == ident or part == str(i):
                    nxt, line = item, item.start_mark.line + 1
                    break
        if nxt is None:
            return None if exact else line
        node = nxt
    return line


def model_at(loc: tuple, root: type[BaseModel] = Scenario) -> type[BaseModel] | None:
    """The schema class that holds the field at ``loc`` (for listing what is allowed there)."""
    model: Any = root
    for key in loc[:-1]:
        if isinstance(key, int) or model is None:
            continue
        if isinstance(model, type) and issubclass(model, BaseModel):
            field = next((f for n, f in model.model_fields.items() if key in (n, f.alias)), None)
            if field is None:
                return None
            model = field.annotation
        # unwrap Optional[...], list[...], dict[..., X] down to a model class
        while model is not None and not (isinstance(model, type) and issubclass(model, BaseModel)):
            args = [a for a in typing.get_args(model) if a is not type(None)]
            if typing.get_origin(model) in (typing.Union, types.UnionType, list, dict) and args:
                model = args[-1]
            else:
                return None
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def fields_of(model: type[BaseModel]) -> list[str]:
    return [f.alias or n for n, f in model.model_fields.items()]


def explain(err: Mapping[str, Any], root: type[BaseModel] = Scenario) -> str:
    kind = err.get("type", "")
    loc = tuple(err.get("loc", ()))
    if kind == "extra_forbidden":
        model = model_at(loc, root)
        allowed = f"; allowed here: {', '.join(fields_of(model))}" if model else ""
        return f"unknown field '{loc[-1]}'{allowed} (docs/scenario.md)"
    if kind == "missing":
        return "required field is missing (docs/scenario.md lists every field)"
    msg = err.get("msg", "invalid value")
    msg = msg.replace("Value error, ", "")
    got = err.get("input")
    if kind not in ("missing",) and not isinstance(got, (dict, list)) and got is not None:
        text = repr(got)
        msg += f" (got {text if len(text) <= 60 else text[:40] + f'... ({len(text)} characters)'})"
    return msg
