"""Loading scenarios: YAML files, ``extends``, ``--set`` overrides, cross-reference checks and
timeline validation, with every problem reported under its YAML path.

Errors are collected, not raised one by one: ``load_scenario`` raises a single ``ScenarioError``
listing every problem with its YAML path (``demand.flows.crude_kz_btc.tons_per_year``), the same
dotted form that ``--set`` takes, and the line in the file (or the parent file) where there is one.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from .safeyaml import YamlInputError, YamlSyntaxError, load, load_value, read_text
from .scenario import Candidate, CandidateSet, Intervention, Route, Scenario, Terminal


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
def _readable_path(raw: Any, loc: tuple) -> str:
    parts: list[str] = []
    node = raw
    for key in loc:
        if isinstance(node, list) and isinstance(key, int):
            item = node[key] if 0 <= key < len(node) else None
            label = _item_key(item) or str(key)
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


def _item_key(item: Any) -> str | None:
    if isinstance(item, dict):
        for k in ITEM_KEYS:
            if isinstance(item.get(k), str):
                return item[k]
    return None


Chain = list[tuple[Path, "yaml.Node | None"]]  # the file first, then the files it extends


def _locate(chain: Chain | None, path: str) -> str | None:
    """Where a dotted path is written: the file that sets it (child before parents), and the line."""
    if not chain:
        return None
    for i, (file, tree) in enumerate(chain):
        line = _line_of(tree, path, exact=True)
        if line:
            return f"line {line}" if i == 0 else f"{file.name} line {line}"
    line = _line_of(chain[0][1], path)
    return f"line {line}" if line else None


def _line_of(tree: yaml.Node | None, path: str, exact: bool = False) -> int | None:
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


def _model_at(loc: tuple, root: type[BaseModel] = Scenario) -> type[BaseModel] | None:
    """The schema class that holds the field at ``loc`` (for listing what is allowed there)."""
    import types
    import typing

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


def _fields_of(model: type[BaseModel]) -> list[str]:
    return [f.alias or n for n, f in model.model_fields.items()]


def _explain(err: Mapping[str, Any], root: type[BaseModel] = Scenario) -> str:
    kind = err.get("type", "")
    loc = tuple(err.get("loc", ()))
    if kind == "extra_forbidden":
        model = _model_at(loc, root)
        allowed = f"; allowed here: {', '.join(_fields_of(model))}" if model else ""
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


# ----------------------------------------------------------------------------------------------
# Overrides (--set)
# ----------------------------------------------------------------------------------------------
def parse_override(text: str) -> tuple[str, Any]:
    """Split ``dotted.path=VALUE``; the value is read as a YAML scalar (numbers, true/false, lists).

    >>> parse_override("demand.scale=1.5")
    ('demand.scale', 1.5)
    >>> parse_override("sea_lines.ferry_kuryk_alat.vessels.asco_ferries.count=8")
    ('sea_lines.ferry_kuryk_alat.vessels.asco_ferries.count', 8)
    """
    if "=" not in text:
        raise ValueError(f"--set takes dotted.path=VALUE, got {text!r}")
    path, value = text.split("=", 1)
    path = path.strip()
    if not path:
        raise ValueError(f"--set has an empty path in {text!r}")
    try:
        parsed = load_value(value) if value.strip() else None
    except YamlSyntaxError:
        parsed = value  # not YAML: the text itself (validation names the field)
    except YamlInputError as exc:
        raise ValueError(f"--set {path}: the value {exc}") from None
    return path, parsed


def _slot(raw: dict, path: str, create: bool) -> tuple[Any, Any]:
    """The container and key that ``path`` names in a raw scenario dict (KeyError if it does not exist).

    With ``create``, the last key of a mapping may be new (validation then names it if unknown).
    """
    parts = path.split(".")
    node: Any = raw
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        where = ".".join(parts[: i + 1])
        key: str | int | None
        if isinstance(node, dict):
            key = part
            if part.isdigit() and all(isinstance(k, int) for k in node):
                key = int(part)  # a year path (tons_by_year: {2027: ...}) is keyed by numbers
            if key not in node and not (last and create):
                known = ", ".join(sorted(map(str, node))) or "none"
                raise KeyError(f"'{where}' does not exist (keys here: {known})")
        elif isinstance(node, list):
            key = next((j for j, it in enumerate(node) if _item_key(it) == part), None)
            if key is None and part.isdigit() and int(part) < len(node):
                key = int(part)
            if key is None:
                ids = [k for k in map(_item_key, node) if k]
                known = ", ".join(ids) if ids else f"index 0..{len(node) - 1}"
                raise KeyError(f"'{where}' does not exist (items here: {known})")
        elif node is None:
            raise KeyError(f"'{'.'.join(parts[:i])}' is not set (null), so '{where}' does not exist")
        else:
            raise KeyError(f"'{'.'.join(parts[:i])}' is a value, not a section, so '{where}' does not exist")
        if last:
            return node, key
        node = node[key]
    raise KeyError(f"empty path '{path}'")


def apply_override(raw: dict, path: str, value: Any) -> None:
    """Set ``path`` in the raw scenario dict. Lists are indexed by item id or position."""
    node, key = _slot(raw, path, create=True)
    node[key] = value


def scale_value(raw: dict, path: str, factor: float) -> None:
    """Multiply the number at ``path`` by ``factor``."""
    node, key = _slot(raw, path, create=False)
    value = node[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise KeyError(f"'{path}' is {value!r}, not a number, so it cannot be scaled")
    node[key] = value * factor


# ----------------------------------------------------------------------------------------------
# Cross-references: what the schema alone cannot check
# ----------------------------------------------------------------------------------------------
def check_references(s: Scenario) -> list[Problem]:
    probs: list[Problem] = []
    add = lambda path, msg: probs.append(Problem(path, msg))

    def unique(items, section):
        seen = set()
        for it in items:
            if it.id in seen:
                add(f"{section}.{it.id}", f"duplicate id '{it.id}'")
            seen.add(it.id)

    unique(s.nodes, "nodes")
    unique(s.rail_links, "rail_links")
    unique(s.ports, "ports")
    unique(s.sea_lines, "sea_lines")
    unique(s.demand.flows, "demand.flows")
    nodes = {n.id for n in s.nodes}
    node_list = ", ".join(sorted(nodes))

    em = s.costs.emissions if s.costs is not None else None
    for link in s.rail_links:
        for end, nid in (("from", link.from_node), ("to", link.to_node)):
            if nid not in nodes:
                add(f"rail_links.{link.id}.{end}", f"unknown node '{nid}' (known nodes: {node_list})")
        if link.from_node == link.to_node:
            add(f"rail_links.{link.id}.to", "a rail link must join two different nodes")
        if em is not None and link.traction not in em.rail_kg_per_t_km:
            known = ", ".join(sorted(em.rail_kg_per_t_km))
            add(
                f"rail_links.{link.id}.traction",
                f"no emission factor for traction '{link.traction}' (costs.emissions.rail_kg_per_t_km has: {known})",
            )

    terminals: dict[tuple[str, str], Terminal] = {}
    for port in s.ports:
        if port.id not in nodes:
            add(f"ports.{port.id}.id", f"unknown node '{port.id}' (known nodes: {node_list})")
        seen = set()
        for term in port.terminals:
            if term.cargo in seen:
                add(f"ports.{port.id}.terminals.{term.cargo}", f"two terminals for '{term.cargo}' in one port")
            seen.add(term.cargo)
            terminals[(port.id, term.cargo)] = term

    cargo_used = {f.cargo for f in s.demand.flows} | {c for l in s.sea_lines for c in l.cargoes}
    for c in sorted(cargo_used - set(s.cargo_classes)):
        add(f"cargo_classes.{c}", f"cargo class '{c}' is used but not declared")

    max_vessel: dict[tuple[str, str], float] = {}
    for line in s.sea_lines:
        for end, pid in (("from", line.from_port), ("to", line.to_port)):
            if (pid, line.cargo) not in terminals:
                add(
                    f"sea_lines.{line.id}.{end}",
                    f"port '{pid}' has no '{line.cargo}' terminal (a sea line runs between two terminals of its cargo)",
                )
        if line.deck is not None:
            if line.deck.cargo == line.cargo:
                add(f"sea_lines.{line.id}.deck.cargo", "the deck's class must differ from the line's own cargo")
            for pid in (line.from_port, line.to_port):
                if (pid, line.deck.cargo) not in terminals:
                    add(
                        f"sea_lines.{line.id}.deck.cargo",
                        f"port '{pid}' has no '{line.deck.cargo}' terminal (deck cargo waits and lands at one)",
                    )
        if line.from_port == line.to_port:
            add(f"sea_lines.{line.id}.to", "a sea line must join two different ports")
        unique(line.vessels, f"sea_lines.{line.id}.vessels")
        biggest = max(v.capacity_units for v in line.vessels)
        for pid in (line.from_port, line.to_port):
            max_vessel[(pid, line.cargo)] = max(max_vessel.get((pid, line.cargo), 0.0), biggest)

    port_ids = {p.id for p in s.ports}
    for pid in s.output.ports_to_plot or []:
        if pid not in port_ids:
            add("output.ports_to_plot", f"unknown port '{pid}' (ports: {', '.join(sorted(port_ids)) or 'none'})")
    flow_ids = {f.id for f in s.demand.flows}
    if s.output.route_split_flow is not None and s.output.route_split_flow not in flow_ids:
        add(
            "output.route_split_flow",
            f"unknown flow '{s.output.route_split_flow}' (flows: {', '.join(sorted(flow_ids))})",
        )

    if any(l.cargo for l in s.sea_lines) and s.caspian is None:
        add("caspian", "sea lines need a 'caspian' section (load factor and sea level)")

    rail_pairs: set = set()
    for l in s.rail_links:
        if (l.from_node, l.to_node) in rail_pairs:
            add(
                f"rail_links.{l.id}",
                f"a second rail link from '{l.from_node}' to '{l.to_node}'; raise paths_per_day of the first instead",
            )
        rail_pairs.add((l.from_node, l.to_node))
    sea_pairs: set = set()
    for line in s.sea_lines:
        for cargo in line.cargoes:
            if (line.from_port, line.to_port, cargo) in sea_pairs:
                add(
                    f"sea_lines.{line.id}",
                    f"a second '{cargo}' line from '{line.from_port}' to '{line.to_port}'; "
                    "add vessel groups to the first instead",
                )
            sea_pairs.add((line.from_port, line.to_port, cargo))
    # a line with a return leg also carries its cargo to -> from (routes may run that way)
    for (a, b, cargo), line in s.sea_legs().items():
        if (a, b) == (line.to_port, line.from_port) and (a, b, cargo) in sea_pairs:
            add(f"sea_lines.{line.id}.return_leg", f"'{cargo}' from '{a}' to '{b}' already has a line of its own")
    sea_pairs |= set(s.sea_legs())
    probs.extend(_check_fleets(s))
    probs.extend(_check_stock(s))
    for (pid, cargo), term in terminals.items():
        big = max_vessel.get((pid, cargo), 0.0)
        if big > term.yard_capacity_units:
            add(
                f"ports.{pid}.terminals.{cargo}.yard_capacity_units",
                f"{term.yard_capacity_units:g} is smaller than the largest vessel calling ({big:g} units); it could never be loaded or unloaded",
            )
        if term.train_units is not None and term.train_units > term.yard_capacity_units:
            add(f"ports.{pid}.terminals.{cargo}.train_units", "onward trains cannot be larger than the yard")

    for f in s.demand.flows:
        fp = f"demand.flows.{f.id}"
        if f.response is None:
            missing = [r.id for r in f.routes if r.share is None]
            if missing:
                add(f"{fp}.routes.{missing[0]}.share", "a flow without a response block needs a share on every route")
            else:
                total = sum(r.share for r in f.routes if r.share is not None)  # all of them (missing is empty)
                if abs(total - 1.0) > 1e-6:
                    add(f"{fp}.routes", f"route shares add up to {total:g}; they must add up to 1")
        else:
            for r in f.routes:
                if r.share is not None:
                    add(
                        f"{fp}.routes.{r.id}.share",
                        "shares come from the logit when the flow has a response block; remove it",
                    )
        if not any(r.open for r in f.routes):
            add(f"{fp}.routes", "at least one route must be open (a timeline entry can open more)")
        unique(f.routes, f"{fp}.routes")
        ways = [(r, f"{fp}.routes.{r.id}.path") for r in f.routes]
        if f.empties is not None:
            # the empties' way back is checked as a route that starts where the flow delivers
            ways.append((Route(id="empty", path=f.empties.path), f"{fp}.empties.path"))
            ends = sorted({r.path[-1] for r in f.routes})
            if ends != [f.empties.path[0]]:
                add(
                    f"{fp}.empties.path.0",
                    f"the empties start where the flow delivers ({', '.join(ends)}), not at '{f.empties.path[0]}'",
                )
        for r, rp in ways:
            bad = [i for i, n in enumerate(r.path) if n not in nodes]
            for i in bad:
                add(f"{rp}.{i}", f"unknown node '{r.path[i]}' (known nodes: {node_list})")
            if bad:
                continue
            for i, (a, b) in enumerate(zip(r.path, r.path[1:])):
                if (a, b) in rail_pairs:
                    if (
                        i + 2 < len(r.path)
                        and (b, r.path[i + 2], f.cargo) in sea_pairs
                        and (b, f.cargo) not in terminals
                    ):
                        add(f"{rp}.{i + 1}", f"port '{b}' has no '{f.cargo}' terminal to take trains onto ships")
                    if i == 0 and f.lot_units > 0:
                        pass
                    continue
                if (a, b, f.cargo) in sea_pairs:
                    nxt = r.path[i + 2] if i + 2 < len(r.path) else None
                    t = terminals.get((b, f.cargo))
                    if nxt is not None and (b, nxt) in rail_pairs and t is not None and t.train_units is None:
                        add(
                            f"ports.{b}.terminals.{f.cargo}.train_units",
                            f"route {f.id}/{r.id} leaves '{b}' by rail, so the terminal needs train_units",
                        )
                    if i == 0:
                        t0 = terminals.get((a, f.cargo))
                        if t0 is not None and f.lot_units > t0.yard_capacity_units:
                            add(
                                f"{fp}.lot_units",
                                f"{f.lot_units:g} units exceed the yard at '{a}' ({t0.yard_capacity_units:g})",
                            )
                    continue
                add(
                    f"{rp}.{i + 1}",
                    f"no rail link or '{f.cargo}' sea line from '{a}' to '{b}': the route connects nothing there",
                )
            # trains arriving at a port must fit its yard (at a sink port too: they unload there),
            # beside the other cargo it holds
            for i, (a, b) in enumerate(zip(r.path, r.path[1:])):
                t = terminals.get((b, f.cargo))
                if (
                    (a, b) in rail_pairs
                    and t is not None
                    and (i + 2 < len(r.path) or t.onward_by_sea is not None)
                    and f.lot_units > t.yard_capacity_units - t.background_yard_units
                ):
                    room = t.yard_capacity_units - t.background_yard_units
                    add(f"{fp}.lot_units", f"{f.lot_units:g} units exceed the yard at '{b}' ({room:g})")
    return probs


def _check_stock(s: Scenario) -> list[Problem]:
    """Every pool serves railways the network has, and holds at least what one train it serves
    needs (else that train would wait for ever): a locomotive, the cars of the largest train of its
    class formed on its railways, the wagons or boxes of the largest consignment. Checked in every
    timeline state."""
    probs = []
    railways = {l.railway for l in s.rail_links if l.railway is not None}
    rail = {(l.from_node, l.to_node): l.railway for l in s.rail_links}
    # per (class, railway): the largest train formed there, and the flows whose routes run on it
    trains: dict[tuple[str, str], tuple[float, str]] = {}
    for f in s.demand.flows:
        for r in f.routes:
            for a, b in zip(r.path, r.path[1:]):
                rw = rail.get((a, b))
                if rw is not None and trains.get((f.cargo, rw), (0.0, ""))[0] < f.lot_units:
                    trains[(f.cargo, rw)] = (f.lot_units, f"flow {f.id}'s consignments ({f.lot_units:g} units)")
    for p in s.ports:
        for t in p.terminals:
            if t.train_units is None:
                continue
            for rw in {x for (a, _), x in rail.items() if a == p.id and x is not None}:
                if trains.get((t.cargo, rw), (0.0, ""))[0] < t.train_units:
                    trains[(t.cargo, rw)] = (t.train_units, f"the {t.train_units:g}-unit trains formed at {p.id}")
    for pool in s.rolling_stock:
        where = f"rolling_stock.{pool.id}"
        for rw in pool.railways:
            if rw not in railways:
                known = ", ".join(sorted(railways)) or "none: no rail link has a railway"
                probs.append(Problem(f"{where}.railways", f"no rail link runs on railway '{rw}' (railways: {known})"))
        have = pool.available
        what = "locomotives" if pool.kind == "locomotive" else f"{pool.kind.replace('_', ' ')}s"
        if pool.kind == "locomotive":
            uses = [(1.0, f"a train on railway '{rw}'") for rw in pool.railways if rw in railways]
        else:
            uses = [
                (-(-units // pool.units_per_car) if pool.kind == "flat_car" else units / pool.units_per_car, who)
                for c in pool.cargo
                for rw in pool.railways
                if (c, rw) in trains
                for units, who in [trains[(c, rw)]]
            ]
        for need, who in [max(uses)] if uses else []:
            if have < need - 1e-9:
                probs.append(
                    Problem(
                        f"{where}.count",
                        f"{have:g} {what} at hand (count {pool.count} x availability_share "
                        f"{pool.availability_share:g}), but {who} need {need:g}: a train would wait for ever; "
                        f"allowed: count x availability_share >= {need:g}, or take the railway out of the pool's railways",
                    )
                )
    return probs


def _check_fleets(s: Scenario) -> list[Problem]:
    """Every pooled group exists, belongs to one pool, and the pool's counts add up to its vessels
    (checked in every timeline state: moving ships between lines keeps the total)."""
    probs = []
    groups = {f"{l.id}.{v.id}": v.count for l in s.sea_lines for v in l.vessels}
    pooled: set[str] = set()
    for pool in s.fleets:
        where = f"fleets.{pool.id}"
        known = [g for g in pool.groups if g in groups]
        for g in pool.groups:
            if g not in groups:
                probs.append(Problem(f"{where}.groups", f"unknown vessel group '{g}' (line.group)"))
            elif g in pooled:
                probs.append(Problem(f"{where}.groups", f"vessel group '{g}' is in two pools"))
            pooled.add(g)
        total = sum(groups[g] for g in known)
        if len(known) == len(pool.groups) and total != pool.vessels:
            counts = ", ".join(f"{g}: {groups[g]}" for g in known)
            probs.append(
                Problem(
                    where,
                    f"its groups have {total} vessels ({counts}), the pool {pool.vessels}: move ships, do not add them",
                )
            )
    return probs


# ----------------------------------------------------------------------------------------------
# Loading
# ----------------------------------------------------------------------------------------------
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


# ----------------------------------------------------------------------------------------------
# extends: a scenario names one or more parent files and overrides only what differs.
# Mappings merge key by key; lists of named items (id, or cargo for terminals) merge item by item,
# new names appended in order; any other list (a route's path, monthly factors) is replaced whole.
# ----------------------------------------------------------------------------------------------
def _keyed(items: list) -> bool:
    return bool(items) and all(_item_key(it) is not None for it in items)


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
        index = {_item_key(b): i for i, b in enumerate(items)}
        for item in over:
            k = _item_key(item)
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
        fields = set(_fields_of(Scenario)) | {"extends"}
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
                    _locate(chain, "extends"),
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
                        _locate(chain, "extends"),
                    )
                ],
            )
        if not ppath.exists():
            raise ScenarioError(
                label, [Problem("extends", f"'{parent}' not found (looked for {ppath})", _locate(chain, "extends"))]
            )
        praw, pchain = resolve_file(ppath, (*_stack, real), count, label)
        merged = deep_merge(merged, praw)
        chain.extend(pchain)
    return deep_merge(merged, raw), chain


def validate_dict(
    raw: dict, source: str = "<scenario>", tree: yaml.Node | Chain | None = None, check_dates: bool = True
) -> Scenario:
    """Validate a raw scenario mapping; raise ScenarioError listing every problem."""
    chain: Chain | None = tree if isinstance(tree, list) else ([(Path(source), tree)] if tree is not None else None)
    try:
        scn = Scenario.model_validate(raw)
    except ValidationError as exc:
        probs = []
        for err in exc.errors():
            path = _readable_path(raw, tuple(err["loc"]))
            probs.append(Problem(path, _explain(err), _locate(chain, path)))
        raise ScenarioError(
            source,
            probs,
            header=(
                f"{source}: the scenario is not valid ({len(probs)} problem{'s' if len(probs) != 1 else ''}; "
                "references between sections, such as route nodes, are checked once these are fixed)"
            ),
        ) from None
    probs = check_references(scn)
    probs += check_charges(scn) if not probs else []
    probs += check_demand_paths(scn, check_dates) + check_demand_cases(raw, scn)
    if probs:
        raise ScenarioError(source, [Problem(p.path, p.message, _locate(chain, p.path)) for p in probs])
    if scn.timeline:
        # resolved once, here, and carried by the scenario (Scenario.timeline_states) to the model
        scn.__dict__["timeline_states"] = tuple(timeline_states(scn, source, chain, check_dates))
    probs = []
    for i, u in enumerate(scn.uncertain):
        for path in u.paths:
            try:
                node, key = _slot(raw, path, create=False)
                value = node[key]
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    probs.append(
                        Problem(
                            f"uncertain.{i}.path",
                            f"'{path}' is {value!r}, not a number",
                            _locate(chain, f"uncertain.{i}"),
                        )
                    )
            except KeyError as exc:
                probs.append(
                    Problem(
                        f"uncertain.{i}.path",
                        f"unknown parameter path: {exc.args[0]}",
                        _locate(chain, f"uncertain.{i}"),
                    )
                )
    if probs:
        raise ScenarioError(source, probs)
    return scn


# ----------------------------------------------------------------------------------------------
# Demand paths and demand cases
# ----------------------------------------------------------------------------------------------
def check_charges(s: Scenario) -> list[Problem]:
    """A route that is priced (any charge on it) must price every rail link it runs on for its
    cargo class: a link left out would pass for free, and route choice would favour it."""
    probs = []
    links = {(l.from_node, l.to_node): l for l in s.rail_links}
    from .model.charges import route_charge

    for f in s.demand.flows:
        ways = list(f.routes) + ([Route(id="empty", path=f.empties.path)] if f.empties is not None else [])
        priced = any(route_charge(s, f, r).priced for r in f.routes)
        for r in ways:
            if r.tariff_usd_per_t is not None or not (priced or route_charge(s, f, r).priced):
                continue
            for a, b in zip(r.path, r.path[1:]):
                link = links.get((a, b))
                if link is not None and f.cargo not in link.tariff_usd_per_unit_km:
                    probs.append(
                        Problem(
                            f"rail_links.{link.id}.tariff_usd_per_unit_km",
                            f"no tariff for {f.cargo} (route {f.id}.{r.id} runs here and its other legs are "
                            "priced; give it one, 0 if the leg is free)",
                        )
                    )
    return list({(p.path, p.message): p for p in probs}.values())


def check_demand_paths(s: Scenario, check_dates: bool = True) -> list[Problem]:
    """A flow's tons_by_year must lie within the run (from the earlier of the demand base year and
    the first year, to the last year); checked against the file's own years, like timeline dates."""
    if not check_dates:
        return []
    first, last = min(s.demand.base_year, s.start_year), s.end_year
    return [
        Problem(
            f"demand.flows.{f.id}.tons_by_year.{y}",
            f"{y} is outside the run ({first}-{last}); a demand path lists years from the demand base "
            f"year or the first year to the last year",
        )
        for f in s.demand.flows
        for y in sorted(f.tons_by_year)
        if not first <= y <= last
    ]


CASE_SECTIONS = ("demand",)


def apply_changes(raw: dict, set_: dict[str, Any], scale: dict[str, float]) -> None:
    """Apply ``set`` (dotted path: value) then ``scale`` (dotted path: factor) to a raw scenario."""
    for path, value in set_.items():
        _slot(raw, path, create=False)
        apply_override(raw, path, value)
    for path, factor in scale.items():
        scale_value(raw, path, factor)


def check_demand_cases(raw: dict, s: Scenario) -> list[Problem]:
    """Every demand case changes only the demand section, names paths that exist, and leaves a
    valid scenario; a scenario with cases has a 'central' one (the default)."""
    if not s.demand_cases:
        return []
    probs: list[Problem] = []
    ids = [c.id for c in s.demand_cases]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        probs.append(Problem(f"demand_cases.{dup}", f"duplicate demand case '{dup}'"))
    if "central" not in ids:
        probs.append(
            Problem(
                "demand_cases",
                "a scenario with demand cases needs a 'central' case (the default; it may change nothing)",
            )
        )
    for case in s.demand_cases:
        cp = f"demand_cases.{case.id}"
        bad = False
        for op, items in (("set", case.set), ("scale", case.scale)):
            for path in items:
                if path.split(".")[0] not in CASE_SECTIONS:
                    probs.append(
                        Problem(
                            f"{cp}.{op}.{path}",
                            "a demand case may change only the demand section (paths starting 'demand.')",
                        )
                    )
                    bad = True
        if bad:
            continue
        trial = copy.deepcopy(raw)
        try:
            apply_changes(trial, case.set, case.scale)
        except KeyError as exc:
            probs.append(Problem(cp, f"unknown parameter path: {exc.args[0]}"))
            continue
        try:
            after = Scenario.model_validate(trial)
            refs = check_references(after)
        except ValidationError as exc:
            refs = [Problem(_readable_path(trial, tuple(e["loc"])), _explain(e)) for e in exc.errors()]
        probs.extend(Problem(cp, f"with this case, {p.path}: {p.message}") for p in refs)
    return probs


def choose_demand_case(raw: dict, case: str | None, source: str) -> None:
    """Apply demand case ``case`` (default: the file's ``demand_case``, else 'central') to the raw
    scenario. A case other than central renames the scenario ``<name>_<case>``, so its results
    never land in, or get mistaken for, the central case's folder."""
    cases = raw.get("demand_cases") or []
    if not isinstance(cases, list):
        return  # the schema reports it
    chosen = case or raw.get("demand_case") or "central"
    by_id = {c.get("id"): c for c in cases if isinstance(c, dict)}
    if chosen not in by_id:
        if case is None and chosen == "central":
            return  # no cases declared: the file's own demand
        known = ", ".join(str(k) for k in by_id) or "none (the scenario declares no demand_cases)"
        raise ScenarioError(
            source,
            [Problem("--demand-case", f"unknown demand case '{chosen}'; cases: {known}")],
            header=f"{source}: the demand case does not exist",
        )
    c = by_id[chosen]
    try:
        apply_changes(raw, dict(c.get("set") or {}), dict(c.get("scale") or {}))
    except (KeyError, TypeError) as exc:
        raise ScenarioError(source, [Problem(f"demand_cases.{chosen}", f"cannot be applied: {exc}")]) from None
    raw["demand_case"] = chosen
    if chosen != "central" and isinstance(raw.get("name"), str):
        raw["name"] = f"{raw['name']}_{chosen}"


# ----------------------------------------------------------------------------------------------
# Timeline: every intervention is applied, in date order, to the scenario as data and the result
# validated like a file, so a bad value, path or date is an error before the run starts.
# ----------------------------------------------------------------------------------------------
TIMELINE_SECTIONS = ("rail_links", "ports", "sea_lines", "rolling_stock", "caspian", "demand")


def _structure(s: Scenario) -> tuple:
    """What a timeline may not change: the network and the flows' routes (it may open or close them)."""
    return (
        tuple((l.id, l.from_node, l.to_node) for l in s.rail_links),
        tuple((p.id, tuple(t.cargo for t in p.terminals)) for p in s.ports),
        tuple((l.id, l.from_port, l.to_port, l.cargoes, tuple(v.id for v in l.vessels)) for l in s.sea_lines),
        tuple((f.id, f.cargo, tuple((r.id, tuple(r.path)) for r in f.routes)) for f in s.demand.flows),
        tuple((p.id, p.kind, tuple(p.cargo), tuple(p.railways)) for p in s.rolling_stock),
        tuple(l.railway for l in s.rail_links),
        s.caspian is None,
        s.demand.base_year,
    )


def timeline_states(
    s: Scenario, source: str = "<scenario>", chain: Chain | None = None, check_dates: bool = True
) -> list[tuple[Intervention, Scenario]]:
    """The scenario after each intervention, in date order (ties keep file order)."""
    raw = s.model_dump(mode="python", by_alias=True)
    raw["timeline"] = []
    start, end = dt.date(s.start_year, 1, 1), dt.date(s.end_year, 12, 31)
    shape = _structure(s)
    states, probs = [], []
    for iv in sorted(s.timeline, key=lambda i: i.date):
        ip = f"timeline.{iv.id}"
        if check_dates and not (start <= iv.date <= end):
            probs.append(
                Problem(f"{ip}.date", f"{iv.date} is outside the run ({start} to {end})", _locate(chain, f"{ip}.date"))
            )
            continue
        new = copy.deepcopy(raw)
        bad = False
        for op, items in (("set", iv.set), ("scale", iv.scale)):
            for path, value in items.items():
                where = _locate(chain, f"{ip}.{op}")
                if path.split(".")[0] not in TIMELINE_SECTIONS:
                    probs.append(
                        Problem(
                            f"{ip}.{op}.{path}", f"a timeline may change only {', '.join(TIMELINE_SECTIONS)}", where
                        )
                    )
                    bad = True
                    continue
                try:
                    if op == "set":
                        _slot(new, path, create=False)
                        apply_override(new, path, value)
                    else:
                        scale_value(new, path, value)
                except KeyError as exc:
                    probs.append(Problem(f"{ip}.{op}.{path}", f"unknown parameter path: {exc.args[0]}", where))
                    bad = True
        if bad:
            continue
        try:
            after = Scenario.model_validate(new)
            refs = check_references(after)
        except ValidationError as exc:
            refs = [Problem(_readable_path(new, tuple(e["loc"])), _explain(e)) for e in exc.errors()]
        if refs:
            probs.extend(Problem(f"{ip}", f"after it, {p.path}: {p.message}", _locate(chain, ip)) for p in refs)
            continue
        if _structure(after) != shape:
            probs.append(
                Problem(
                    ip,
                    "a timeline may change values, counts and open/close routes, but not the "
                    "network (links, ports, lines, vessel groups, routes): define those in the "
                    "scenario and open them at the date",
                    _locate(chain, ip),
                )
            )
            continue
        raw = new
        states.append((iv, after))
    if probs:
        raise ScenarioError(
            source,
            probs,
            header=f"{source}: the timeline is not valid ({len(probs)} problem{'s' if len(probs) != 1 else ''})",
        )
    return states


def load_scenario(
    path: str | Path,
    overrides: dict[str, Any] | list[str] | None = None,
    years: tuple[int, int] | None = None,
    demand_case: str | None = None,
) -> Scenario:
    """Load a scenario file (and the files it extends), apply a demand case and overrides, and validate.

    ``demand_case`` names one of the file's ``demand_cases`` (default: central); ``overrides`` maps
    dotted paths to values (or is a list of ``path=value`` strings, as --set gives them) and wins
    over the case; ``years`` replaces start_year and end_year. Timeline dates and demand paths are
    checked against the file's own years; with other ``years``, earlier interventions are in force
    from the start and later ones never come.
    """
    src = str(path)
    raw, chain = resolve_file(path)
    if raw.get("demand_cases"):
        validate_dict(copy.deepcopy(raw), src, chain)  # the file and every case, before one is applied
    choose_demand_case(raw, demand_case, src)
    items: list[tuple[str, Any]] = []
    if isinstance(overrides, dict):
        items = list(overrides.items())
    elif overrides:
        for text in overrides:
            try:
                items.append(parse_override(text))
            except ValueError as exc:
                raise ScenarioError(
                    src, [Problem("--set", str(exc))], header=f"{src}: an override is malformed"
                ) from None
    probs = []
    for p, v in items:
        try:
            apply_override(raw, p, v)
        except KeyError as exc:
            probs.append(Problem(f"--set {p}", exc.args[0]))
    if probs:
        raise ScenarioError(src, probs, header=f"{src}: an override does not name a field of the scenario")
    if items:  # recorded, so that results, folders and reports say which what-if they are
        recorded = dict(raw.get("overrides") or {}) if isinstance(raw.get("overrides"), dict) else {}
        recorded.update(dict(items))
        raw["overrides"] = recorded
    scn = validate_dict(raw, src, chain)
    if years is not None and years != (scn.start_year, scn.end_year):
        raw["start_year"], raw["end_year"] = years
        scn = validate_dict(raw, src, chain, check_dates=False)
    return scn


# ----------------------------------------------------------------------------------------------
# Candidate measures (corridor-sim plan)
# ----------------------------------------------------------------------------------------------
def load_candidates(path: str | Path, scenario: Scenario) -> list[Candidate]:
    """Read a candidates file and check that every candidate applies to ``scenario``: its
    set/scale paths name fields of it and the result validates (ScenarioError naming the file,
    the candidate's field and its line otherwise)."""
    src = str(path)
    if not Path(path).is_file():
        raise ScenarioError(src, [], header=f"{src}: no such candidates file")
    raw, tree = read_yaml(Path(path), src)
    chain: Chain = [(Path(path), tree)]
    try:
        cset = CandidateSet.model_validate(raw)
    except ValidationError as exc:
        probs = []
        for err in exc.errors():
            p = _readable_path(raw, tuple(err["loc"]))
            probs.append(Problem(p, _explain(err, CandidateSet), _locate(chain, p)))
        n = len(probs)
        raise ScenarioError(
            src, probs, header=f"{src}: the candidates file is not valid ({n} problem{'s' if n != 1 else ''})"
        ) from None
    probs = []
    base = scenario.model_dump(mode="python", by_alias=True)
    for c in cset.candidates:
        where = f"candidates.{c.id}"
        first = max(c.earliest_service, dt.date(scenario.start_year, 1, 1))
        trial = copy.deepcopy(base)
        trial["timeline"] = [*trial.get("timeline", []), c.entry(first).model_dump(mode="python")]
        try:
            validate_dict(trial, f"{scenario.name} with candidate {c.id}", check_dates=False)
        except ScenarioError as exc:
            for prob in exc.problems:
                probs.append(
                    Problem(where, f"does not apply to scenario '{scenario.name}': {prob}", _locate(chain, where))
                )
    if probs:
        raise ScenarioError(src, probs, header=f"{src}: a candidate does not fit the scenario")
    return list(cset.candidates)
