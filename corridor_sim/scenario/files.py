"""Scenario files: reading one within the limits of ``safeyaml``, and ``extends``.

A scenario names one or more parent files and overrides only what differs. Mappings merge key by
key; lists of named items (id, or cargo for terminals) merge item by item, new names appended in
order; any other list (a route's path, monthly factors) is replaced whole. The merged mapping and
the chain of files (for the line of each problem) go to ``load``.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from .problems import Chain, Problem, ScenarioError, fields_of, item_key, locate
from .safeyaml import YamlInputError, load, read_text
from .schema import Scenario


def read_yaml(path: Path, label: str | None = None) -> tuple[dict, yaml.Node | None]:
    """Read one scenario file within the limits of ``safeyaml`` (size, encoding, nesting, aliases)."""
    src = label or str(path)
    try:
        text = read_text(path)
    except FileNotFoundError:
        raise ScenarioError(src, [], header=f"{src}: no such scenario file") from None
    except YamlInputError as exc:
        raise ScenarioError(src, [], header=f"{src}: {exc}") from None
    except OSError as exc:
        raise ScenarioError(src, [], header=f"{src}: cannot be read ({exc.strerror or exc})") from None
    try:
        raw, tree = load(text)
    except YamlInputError as exc:
        raise ScenarioError(src, [], header=f"{src}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        hint = (
            ""
            if isinstance(exc, yaml.constructor.ConstructorError)
            else ". Check indentation and that every 'key: value' has a space after the colon."
        )
        raise ScenarioError(src, [], header=f"{src}: is not valid YAML{where}: {problem}{hint}") from None
    if not isinstance(raw, dict):
        raise ScenarioError(
            src,
            [],
            header=f"{src}: a scenario must be a YAML mapping of fields (name, demand, ...), not {type(raw).__name__}",
        )
    return raw, tree


def _keyed(items: list) -> bool:
    return bool(items) and all(item_key(it) is not None for it in items)


def deep_merge(base: Any, over: Any) -> Any:
    """Merge ``over`` onto ``base`` (neither is modified).

    >>> deep_merge({"a": 1, "l": [{"id": "x", "v": 1}]}, {"l": [{"id": "x", "v": 2}, {"id": "y"}]})
    {'a': 1, 'l': [{'id': 'x', 'v': 2}, {'id': 'y'}]}
    >>> deep_merge({"path": [1, 2, 3]}, {"path": [4]})
    {'path': [4]}

    A mapping keyed by years is one value (a demand path), so it is replaced whole, not merged:

    >>> deep_merge({"tons_by_year": {2025: 1, 2030: 3}}, {"tons_by_year": {2027: 7}})
    {'tons_by_year': {2027: 7}}
    """
    if isinstance(over, dict) and over and all(isinstance(k, int) for k in over):
        return copy.deepcopy(over)
    if isinstance(base, dict) and isinstance(over, dict):
        out = {k: copy.deepcopy(v) for k, v in base.items()}
        for k, v in over.items():
            out[k] = deep_merge(base[k], v) if k in base else copy.deepcopy(v)
        return out
    if isinstance(base, list) and isinstance(over, list) and _keyed(base) and _keyed(over):
        items = [copy.deepcopy(b) for b in base]
        index = {item_key(b): i for i, b in enumerate(items)}
        for item in over:
            k = item_key(item)
            if k in index:
                items[index[k]] = deep_merge(items[index[k]], item)
            else:
                index[k] = len(items)
                items.append(copy.deepcopy(item))
        return items
    return copy.deepcopy(over)


MAX_EXTENDS_DEPTH = 8  # base <- bottlenecks <- corridor_10mt is 3 deep; 8 leaves room for real use
MAX_EXTENDS_FILES = 32  # files read for one scenario, all branches of a list of parents together
YAML_SUFFIXES = (".yaml", ".yml")


def resolve_file(
    path: str | Path, _stack: tuple[Path, ...] = (), _count: list[int] | None = None, _child: str | None = None
) -> tuple[dict, Chain]:
    """Read a scenario file and everything it extends; return the merged dict and the file chain.

    ``extends`` names regular .yaml/.yml files whose top-level keys are scenario fields, at most
    MAX_EXTENDS_DEPTH deep and MAX_EXTENDS_FILES in all; nothing of a file that is not a scenario
    is ever quoted in an error.
    """
    path = Path(path)
    real = path.resolve()
    label = str(path)
    count = _count if _count is not None else [0]
    if real in _stack:
        cycle = " -> ".join(p.name for p in (*_stack, real))
        top = str(_stack[0])
        raise ScenarioError(
            top,
            [],
            header=f"{top}: 'extends' goes round in a circle ({cycle}); "
            "a scenario cannot extend itself, directly or through others",
        )
    if len(_stack) > MAX_EXTENDS_DEPTH or count[0] >= MAX_EXTENDS_FILES:
        top = str(_stack[0])
        raise ScenarioError(
            top,
            [],
            header=(
                f"{top}: 'extends' goes more than {MAX_EXTENDS_DEPTH} files deep or reads more than "
                f"{MAX_EXTENDS_FILES} files (at {path.name}); flatten the chain"
            ),
        )
    count[0] += 1
    if _child is None:
        raw, tree = read_yaml(path, label)
    else:
        try:
            raw, tree = read_yaml(path, label)
        except ScenarioError as exc:  # name the file that extends it too
            raise ScenarioError(_child, exc.problems, header=f"{_child} extends {exc}") from None
        fields = set(fields_of(Scenario)) | {"extends"}
        if any(not isinstance(k, str) or k not in fields for k in raw):
            raise ScenarioError(
                _child,
                [
                    Problem(
                        "extends",
                        f"'{label}' is not a scenario file: its top-level "
                        "keys are not scenario fields (docs/scenario.md)",
                    )
                ],
            )
    parents = raw.pop("extends", None)
    chain: Chain = [(path, tree)]
    if parents is None:
        return raw, chain
    if isinstance(parents, str):
        parents = [parents]
    if not isinstance(parents, list) or not all(isinstance(p, str) for p in parents):
        raise ScenarioError(
            label,
            [
                Problem(
                    "extends",
                    "must be a file name or a list of file names, relative to this file",
                    locate(chain, "extends"),
                )
            ],
        )
    merged: dict = {}
    for parent in parents:
        ppath = path.parent / parent
        if ppath.suffix.lower() not in YAML_SUFFIXES:
            raise ScenarioError(
                label,
                [
                    Problem(
                        "extends",
                        f"'{parent}' is not a .yaml or .yml file; extends names scenario files only",
                        locate(chain, "extends"),
                    )
                ],
            )
        if not ppath.exists():
            raise ScenarioError(
                label, [Problem("extends", f"'{parent}' not found (looked for {ppath})", locate(chain, "extends"))]
            )
        praw, pchain = resolve_file(ppath, (*_stack, real), count, label)
        merged = deep_merge(merged, praw)
        chain.extend(pchain)
    return deep_merge(merged, raw), chain
