"""Scenario: the typed, frozen description of one corridor run, and its loading from YAML.

Everything the model needs comes from here; the model never reads files. Units are in field names
(``_km``, ``_h``, ``_per_day``); ``_units`` means the unit of the terminal's or line's cargo class
(TEU for containers, wagons for wagon cargo, tonnes for crude), as declared in ``cargo_classes``.

Errors are collected, not raised one by one: ``load_scenario`` raises a single ``ScenarioError``
listing every problem with its YAML path (``demand.flows.crude_kz_btc.tons_per_year``), the same
dotted form that ``--set`` takes, and the line in the file where there is one.
"""
from __future__ import annotations

import copy
import hashlib
import json
import math
from dataclasses import dataclass
import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

CargoKind = Literal["container", "wagon", "crude"]
Id = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", min_length=1, max_length=64)]
Positive = Annotated[float, Field(gt=0)]
NonNegative = Annotated[float, Field(ge=0)]
Share = Annotated[float, Field(gt=0, le=1)]
Year = Annotated[int, Field(ge=1990, le=2100)]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class CargoClass(_Frozen):
    unit: str = Field(description="Name of the handling unit: TEU, wagon or t")
    t_per_unit: Positive = Field(description="Net tonnes per unit")
    source: str


class Node(_Frozen):
    id: Id
    name: str
    country: str = Field(pattern=r"^[A-Z]{2}$")
    lat_deg: float = Field(ge=-90, le=90)
    lon_deg: float = Field(ge=-180, le=180)


class Crossing(_Frozen):
    """A border or gauge-change station at the entry of a rail link."""

    transshipment_tracks: int = Field(gt=0, description="Trains processed at once (gauge change / transshipment)")
    transshipment_h: Positive = Field(description="Mean processing time per train, h")
    transshipment_cv: NonNegative = Field(0.5, description="Coefficient of variation (1 = exponential)")
    dwell_mean_h: NonNegative = Field(description="Mean document/customs dwell after processing, h")
    dwell_cv: NonNegative = 0.6
    source: str


class RailLink(_Frozen):
    id: Id
    from_node: Id = Field(alias="from")
    to_node: Id = Field(alias="to")
    length_km: Positive
    speed_kmh: Positive = Field(description="Average running speed incl. technical stops, km/h")
    paths_per_day: Positive | None = Field(
        None, description="Train paths a day in the corridor's direction (None: unconstrained)")
    background_trains_per_day: NonNegative = Field(
        0.0, description="Non-corridor trains sharing the paths (Poisson), trains/day")
    crossing: Crossing | None = None
    source: str

    @model_validator(mode="after")
    def _background_fits(self):
        if self.paths_per_day is not None and self.background_trains_per_day >= self.paths_per_day:
            raise ValueError(
                f"background_trains_per_day ({self.background_trains_per_day}) must be below "
                f"paths_per_day ({self.paths_per_day}), or the link has no room for corridor trains")
        return self


class Terminal(_Frozen):
    cargo: CargoKind
    berths: int = Field(gt=0)
    berth_fixed_h: NonNegative = Field(description="Per vessel call: mooring, formalities, return cargo, h")
    handling_units_per_h: Positive = Field(description="Ship loading/unloading rate, units/h")
    yard_capacity_units: Positive = Field(description="Yard / sidings / tank capacity, units")
    rail_tracks: int = Field(1, gt=0, description="Trains loaded or unloaded at once")
    rail_handling_h: NonNegative = Field(4.0, description="Time to unload or load one train, h")
    train_units: Positive | None = Field(None, description="Size of onward trains formed here, units")
    train_max_wait_h: Positive = Field(48.0, description="An onward train leaves part-full after this wait, h")
    source: str


class Weather(_Frozen):
    closure_probability_by_month: list[Annotated[float, Field(ge=0, lt=1)]] = Field(min_length=12, max_length=12)
    closure_mean_h: Positive = Field(48.0, description="Mean length of one storm closure, h")
    closure_cv: NonNegative = 0.7
    source: str


class Port(_Frozen):
    id: Id = Field(description="The node where the port is")
    terminals: list[Terminal] = Field(min_length=1)
    weather: Weather


class VesselGroup(_Frozen):
    id: Id
    count: int = Field(ge=0, description="Vessels in service (0: a group that enters service by the timeline)")
    capacity_units: Positive = Field(description="Design capacity at full draft, units")
    source: str


class SeaLine(_Frozen):
    id: Id
    from_port: Id = Field(alias="from")
    to_port: Id = Field(alias="to")
    cargo: CargoKind
    crossing_h: Positive = Field(description="Mean sea time one way, h")
    crossing_cv: NonNegative = 0.1
    min_fill_share: Share = Field(0.9, description="Sail when loaded to this share of today's capacity")
    max_wait_for_cargo_h: NonNegative = Field(48.0, description="...or after waiting this long for cargo, h")
    vessels: list[VesselGroup] = Field(min_length=1)
    source: str


class Caspian(_Frozen):
    load_factor: Share = Field(description="Usable share of vessel capacity at the draft of the base year")
    base_year: Year
    sea_level_decline_cm_per_year: NonNegative
    load_factor_loss_per_10cm: NonNegative
    min_load_factor: Share
    source: str


class Route(_Frozen):
    id: Id
    share: Share | None = Field(None, description="Fixed share of the flow (flows without a response block)")
    path: list[Id] = Field(min_length=2)
    open: bool = Field(True, description="Closed routes carry nothing; a timeline entry opens them")
    tariff_usd_per_t: NonNegative | None = Field(
        None, description="Through tariff on this route, US$/t (default: the flow's reference tariff)")
    expected_transit_days: Positive | None = Field(
        None, description="Transit time assumed before the route has carried anything, days")


class Response(_Frozen):
    """How a flow's demand and route choice respond to tariffs and transit time.

    Each year (and at each timeline entry) the flow splits over its open routes by a logit on
    generalized cost, tariff + value_of_time x expected transit days, and its demand is the trend
    times a multiplier that moves toward (tariff / reference)^tariff_elasticity x
    (1 + trade_gain_per_day_saved)^(reference days - expected days). Expected days per route and
    the multiplier close ``adjustment_per_year`` of their gap each year (adaptive expectations and
    partial adjustment), which keeps a congested corridor from swinging year to year.
    """

    tariff_elasticity: float = Field(le=0, description="Constant elasticity of demand to the through tariff")
    trade_gain_per_day_saved: NonNegative = Field(description="Share of demand gained per day of transit saved")
    value_of_time_usd_per_t_day: NonNegative = Field(description="Shippers' cost of one day in transit, US$/t/day")
    logit_scale_usd_per_t: Positive = Field(description="Spread of route choice: cost difference for an e-fold share ratio, US$/t")
    reference_tariff_usd_per_t: Positive = Field(description="Tariff at which the trend demand holds, US$/t")
    reference_transit_days: Positive = Field(description="Transit time at which the trend demand holds, days")
    adjustment_per_year: Share = Field(
        1.0, description="Share of the gap to the new demand level (and to new route times) closed each year; "
                         "1 = at once, lower = shippers adjust with a lag")
    source: str


class Flow(_Frozen):
    id: Id
    cargo: CargoKind
    description: str
    tons_per_year: NonNegative = Field(description="Demand in the demand base year, t/yr")
    growth_pct_per_year: float = Field(0.0, gt=-100, le=100)
    lot_units: Positive = Field(description="Units per consignment entering the corridor (a train, or a pipeline batch)")
    interarrival_cv: NonNegative = Field(
        1.0, description="Spread of gaps between consignments (1 = Poisson, 0 = evenly spaced)")
    monthly_factor: list[Annotated[float, Field(ge=0)]] | None = Field(None, min_length=12, max_length=12)
    routes: list[Route] = Field(min_length=1)
    response: Response | None = None
    source: str

    @field_validator("monthly_factor")
    @classmethod
    def _not_all_zero(cls, v):
        if v is not None and sum(v) <= 0:
            raise ValueError("monthly_factor must have at least one positive month")
        return v


class Demand(_Frozen):
    base_year: Year
    scale: NonNegative = Field(1.0, description="Multiplies every flow's tons_per_year")
    tariff_factor: Positive = Field(1.0, description="Multiplies every route's tariff (a corridor-wide through-tariff change)")
    flows: list[Flow] = Field(min_length=1)


class Observed(_Frozen):
    """A documented series to compare with (plotted beside the simulated years)."""

    series: str
    mt_by_year: dict[Year, NonNegative]
    source: str


class Intervention(_Frozen):
    """A dated change to the scenario, applied inside the running simulation."""

    id: Id
    date: dt.date = Field(description="When it takes effect (00:00), YYYY-MM-DD")
    description: str
    source: str = Field(description="Where the date and figures come from, or 'assumption: why'")
    set: dict[str, Any] = Field(default_factory=dict, description="dotted.path: new value")
    scale: dict[str, float] = Field(default_factory=dict, description="dotted.path: factor to multiply by")

    @model_validator(mode="after")
    def _changes_something(self):
        if not self.set and not self.scale:
            raise ValueError("an intervention needs 'set' or 'scale' (or both)")
        return self


class Uncertain(_Frozen):
    """A parameter whose value is uncertain, with the range a sensitivity analysis explores."""

    path: str = Field(description="Dotted path of a numeric parameter, as --set takes it")
    low: float
    high: float
    source: str = Field(description="Where the range comes from")

    @model_validator(mode="after")
    def _ordered(self):
        if not self.low < self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        return self


class Output(_Frozen):
    levels_every_h: Positive = Field(12.0, description="Sampling interval of yard and queue levels, h")


class Scenario(_Frozen):
    name: Id = Field(description="Short name; the default result folder is results/<name>/")
    description: str = Field(description="What the scenario represents (shown by validate and in reports)")
    start_year: Year = Field(description="First simulated (and reported) calendar year")
    end_year: Year = Field(description="Last simulated calendar year (inclusive)")
    warmup_days: NonNegative = Field(90.0, description="Simulated before 1 January of start_year, excluded from statistics")
    goal_mt_per_year: Positive = Field(10.0, description="The corridor goal drawn on plots, Mt/yr")
    cargo_classes: dict[CargoKind, CargoClass]
    nodes: list[Node] = Field(min_length=2, description="Places with coordinates: stations, borders, ports")
    rail_links: list[RailLink] = Field(default_factory=list)
    ports: list[Port] = Field(default_factory=list)
    sea_lines: list[SeaLine] = Field(default_factory=list)
    caspian: Caspian | None = Field(None, description="Draft and sea level; required when there are sea lines")
    demand: Demand
    timeline: list[Intervention] = Field(default_factory=list, description="Dated interventions, applied in date order")
    observed: Observed | None = Field(None, description="A documented series plotted beside the simulated years")
    uncertain: list[Uncertain] = Field(default_factory=list, description="Parameters with ranges, for `corridor-sim sensitivity`")
    output: Output = Field(default_factory=Output)

    @model_validator(mode="after")
    def _years_ordered(self):
        if self.end_year < self.start_year:
            raise ValueError(f"end_year ({self.end_year}) is before start_year ({self.start_year})")
        return self

    # -- convenience look-ups (not part of the data) ------------------------------------------
    def node(self, node_id: str) -> Node:
        return next(n for n in self.nodes if n.id == node_id)

    def port(self, port_id: str) -> Port:
        return next(p for p in self.ports if p.id == port_id)

    def flow(self, flow_id: str) -> Flow:
        return next(f for f in self.demand.flows if f.id == flow_id)

    def to_dict(self) -> dict:
        return self.model_dump(mode="json", by_alias=True)

    def digest(self) -> str:
        """SHA-256 of the resolved scenario, to tell results of different inputs apart."""
        blob = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()


# ----------------------------------------------------------------------------------------------
# Errors
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Problem:
    path: str
    message: str
    where: str | None = None          # "line 12", or "base.yaml line 12" for an inherited field

    def __str__(self) -> str:
        where = f" ({self.where})" if self.where else ""
        return f"{self.path or '<top level>'}{where}: {self.message}"


class ScenarioError(Exception):
    """Raised for any invalid scenario input; ``str()`` is the message to show the user."""

    def __init__(self, source: str, problems: list[Problem], header: str | None = None):
        self.source = source
        self.problems = problems
        head = header or f"{source}: the scenario is not valid ({len(problems)} problem{'s' if len(problems) != 1 else ''})"
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
            if key in ("function-after", "function-before", "function-wrap") or str(key).startswith(("function-", "list[", "union[", "constrained-")):
                continue
            parts.append(str(key))
            node = node.get(key) if isinstance(node, dict) else None
    return ".".join(parts)


ITEM_KEYS = ("id", "cargo")   # list items are named by their id (terminals: by their cargo)


def _item_key(item: Any) -> str | None:
    if isinstance(item, dict):
        for k in ITEM_KEYS:
            if isinstance(item.get(k), str):
                return item[k]
    return None


Chain = list[tuple[Path, "yaml.Node | None"]]   # the file first, then the files it extends


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


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The schema class that holds the field at ``loc`` (for listing what is allowed there)."""
    import types
    import typing

    model: Any = Scenario
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


def _explain(err: dict) -> str:
    kind = err.get("type", "")
    loc = tuple(err.get("loc", ()))
    if kind == "extra_forbidden":
        model = _model_at(loc)
        allowed = f"; allowed here: {', '.join(_fields_of(model))}" if model else ""
        return f"unknown field '{loc[-1]}'{allowed} (docs/scenario.md)"
    if kind == "missing":
        return "required field is missing (docs/scenario.md lists every field)"
    msg = err.get("msg", "invalid value")
    msg = msg.replace("Value error, ", "")
    got = err.get("input")
    if kind not in ("missing",) and not isinstance(got, (dict, list)) and got is not None:
        msg += f" (got {got!r})"
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
        parsed = yaml.safe_load(value) if value.strip() else None
    except yaml.YAMLError:
        parsed = value
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
        if isinstance(node, dict):
            if part not in node and not (last and create):
                known = ", ".join(sorted(map(str, node))) or "none"
                raise KeyError(f"'{where}' does not exist (keys here: {known})")
            key = part
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
    add = lambda path, msg: probs.append(Problem(path, msg))  # noqa: E731

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

    for link in s.rail_links:
        for end, nid in (("from", link.from_node), ("to", link.to_node)):
            if nid not in nodes:
                add(f"rail_links.{link.id}.{end}", f"unknown node '{nid}' (known nodes: {node_list})")
        if link.from_node == link.to_node:
            add(f"rail_links.{link.id}.to", "a rail link must join two different nodes")

    terminals: dict[tuple[str, str], Terminal] = {}
    for port in s.ports:
        if port.id not in nodes:
            add(f"ports.{port.id}.id", f"unknown node '{port.id}' (known nodes: {node_list})")
        seen = set()
        for i, t in enumerate(port.terminals):
            if t.cargo in seen:
                add(f"ports.{port.id}.terminals.{t.cargo}", f"two terminals for '{t.cargo}' in one port")
            seen.add(t.cargo)
            terminals[(port.id, t.cargo)] = t

    cargo_used = {f.cargo for f in s.demand.flows} | {l.cargo for l in s.sea_lines}
    for c in sorted(cargo_used - set(s.cargo_classes)):
        add(f"cargo_classes.{c}", f"cargo class '{c}' is used but not declared")

    max_vessel: dict[tuple[str, str], float] = {}
    for line in s.sea_lines:
        for end, pid in (("from", line.from_port), ("to", line.to_port)):
            if (pid, line.cargo) not in terminals:
                add(f"sea_lines.{line.id}.{end}", f"port '{pid}' has no '{line.cargo}' terminal (a sea line runs between two terminals of its cargo)")
        if line.from_port == line.to_port:
            add(f"sea_lines.{line.id}.to", "a sea line must join two different ports")
        unique(line.vessels, f"sea_lines.{line.id}.vessels")
        biggest = max(v.capacity_units for v in line.vessels)
        for pid in (line.from_port, line.to_port):
            max_vessel[(pid, line.cargo)] = max(max_vessel.get((pid, line.cargo), 0.0), biggest)

    if any(l.cargo for l in s.sea_lines) and s.caspian is None:
        add("caspian", "sea lines need a 'caspian' section (load factor and sea level)")

    rail_pairs: set = set()
    for l in s.rail_links:
        if (l.from_node, l.to_node) in rail_pairs:
            add(f"rail_links.{l.id}", f"a second rail link from '{l.from_node}' to '{l.to_node}'; "
                                     "raise paths_per_day of the first instead")
        rail_pairs.add((l.from_node, l.to_node))
    sea_pairs: set = set()
    for l in s.sea_lines:
        if (l.from_port, l.to_port, l.cargo) in sea_pairs:
            add(f"sea_lines.{l.id}", f"a second '{l.cargo}' line from '{l.from_port}' to '{l.to_port}'; "
                                    "add vessel groups to the first instead")
        sea_pairs.add((l.from_port, l.to_port, l.cargo))
    for (pid, cargo), t in terminals.items():
        big = max_vessel.get((pid, cargo), 0.0)
        if big > t.yard_capacity_units:
            add(f"ports.{pid}.terminals.{cargo}.yard_capacity_units",
                f"{t.yard_capacity_units:g} is smaller than the largest vessel calling ({big:g} units); it could never be loaded or unloaded")
        if t.train_units is not None and t.train_units > t.yard_capacity_units:
            add(f"ports.{pid}.terminals.{cargo}.train_units", "onward trains cannot be larger than the yard")

    for f in s.demand.flows:
        fp = f"demand.flows.{f.id}"
        if f.response is None:
            missing = [r.id for r in f.routes if r.share is None]
            if missing:
                add(f"{fp}.routes.{missing[0]}.share", "a flow without a response block needs a share on every route")
            else:
                total = sum(r.share for r in f.routes)
                if abs(total - 1.0) > 1e-6:
                    add(f"{fp}.routes", f"route shares add up to {total:g}; they must add up to 1")
        else:
            for r in f.routes:
                if r.share is not None:
                    add(f"{fp}.routes.{r.id}.share", "shares come from the logit when the flow has a response block; remove it")
        if not any(r.open for r in f.routes):
            add(f"{fp}.routes", "at least one route must be open (a timeline entry can open more)")
        unique(f.routes, f"{fp}.routes")
        for r in f.routes:
            rp = f"{fp}.routes.{r.id}.path"
            bad = [i for i, n in enumerate(r.path) if n not in nodes]
            for i in bad:
                add(f"{rp}.{i}", f"unknown node '{r.path[i]}' (known nodes: {node_list})")
            if bad:
                continue
            for i, (a, b) in enumerate(zip(r.path, r.path[1:])):
                if (a, b) in rail_pairs:
                    if i + 2 < len(r.path) and (b, r.path[i + 2], f.cargo) in sea_pairs and (b, f.cargo) not in terminals:
                        add(f"{rp}.{i + 1}", f"port '{b}' has no '{f.cargo}' terminal to take trains onto ships")
                    if i == 0 and f.lot_units > 0:
                        pass
                    continue
                if (a, b, f.cargo) in sea_pairs:
                    nxt = r.path[i + 2] if i + 2 < len(r.path) else None
                    t = terminals.get((b, f.cargo))
                    if nxt is not None and (b, nxt) in rail_pairs and t is not None and t.train_units is None:
                        add(f"ports.{b}.terminals.{f.cargo}.train_units",
                            f"route {f.id}/{r.id} leaves '{b}' by rail, so the terminal needs train_units")
                    if i == 0:
                        t0 = terminals.get((a, f.cargo))
                        if t0 is not None and f.lot_units > t0.yard_capacity_units:
                            add(f"{fp}.lot_units", f"{f.lot_units:g} units exceed the yard at '{a}' ({t0.yard_capacity_units:g})")
                    continue
                add(f"{rp}.{i + 1}", f"no rail link or '{f.cargo}' sea line from '{a}' to '{b}': the route connects nothing there")
            # trains arriving at a port must fit its yard
            for i, (a, b) in enumerate(zip(r.path, r.path[1:])):
                t = terminals.get((b, f.cargo))
                if (a, b) in rail_pairs and t is not None and i + 2 < len(r.path) and f.lot_units > t.yard_capacity_units:
                    add(f"{fp}.lot_units", f"{f.lot_units:g} units exceed the yard at '{b}' ({t.yard_capacity_units:g})")
    return probs


# ----------------------------------------------------------------------------------------------
# Loading
# ----------------------------------------------------------------------------------------------
def read_yaml(path: Path, label: str | None = None) -> tuple[dict, yaml.Node | None]:
    src = label or str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(src, [], header=f"{src}: no such scenario file")
    except OSError as exc:
        raise ScenarioError(src, [], header=f"{src}: cannot be read ({exc.strerror})")
    try:
        raw = yaml.safe_load(text)
        tree = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(src, [], header=f"{src}: is not valid YAML{where}: {problem}. "
                                            "Check indentation and that every 'key: value' has a space after the colon.")
    if not isinstance(raw, dict):
        raise ScenarioError(src, [], header=f"{src}: a scenario must be a YAML mapping of fields (name, demand, ...), "
                                            f"not {type(raw).__name__}")
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
    """
    if isinstance(base, dict) and isinstance(over, dict):
        out = {k: copy.deepcopy(v) for k, v in base.items()}
        for k, v in over.items():
            out[k] = deep_merge(base[k], v) if k in base else copy.deepcopy(v)
        return out
    if isinstance(base, list) and isinstance(over, list) and _keyed(base) and _keyed(over):
        out = [copy.deepcopy(b) for b in base]
        index = {_item_key(b): i for i, b in enumerate(out)}
        for item in over:
            k = _item_key(item)
            if k in index:
                out[index[k]] = deep_merge(out[index[k]], item)
            else:
                index[k] = len(out)
                out.append(copy.deepcopy(item))
        return out
    return copy.deepcopy(over)


def resolve_file(path: str | Path, _stack: tuple[Path, ...] = ()) -> tuple[dict, Chain]:
    """Read a scenario file and everything it extends; return the merged dict and the file chain."""
    path = Path(path)
    real = path.resolve()
    label = str(path)
    if real in _stack:
        cycle = " -> ".join(p.name for p in (*_stack, real))
        top = str(_stack[0])
        raise ScenarioError(top, [], header=f"{top}: 'extends' goes round in a circle ({cycle}); "
                                            "a scenario cannot extend itself, directly or through others")
    raw, tree = read_yaml(path, label)
    parents = raw.pop("extends", None)
    chain: Chain = [(path, tree)]
    if parents is None:
        return raw, chain
    if isinstance(parents, str):
        parents = [parents]
    if not isinstance(parents, list) or not all(isinstance(p, str) for p in parents):
        raise ScenarioError(label, [Problem("extends", "must be a file name or a list of file names, "
                                                       "relative to this file", _locate(chain, "extends"))])
    merged: dict = {}
    for parent in parents:
        ppath = path.parent / parent
        if not ppath.exists():
            raise ScenarioError(label, [Problem("extends", f"'{parent}' not found (looked for {ppath})",
                                                _locate(chain, "extends"))])
        praw, pchain = resolve_file(ppath, (*_stack, real))
        merged = deep_merge(merged, praw)
        chain.extend(pchain)
    return deep_merge(merged, raw), chain


def validate_dict(raw: dict, source: str = "<scenario>", tree: "yaml.Node | Chain | None" = None,
                  check_dates: bool = True) -> Scenario:
    """Validate a raw scenario mapping; raise ScenarioError listing every problem."""
    chain: Chain | None = tree if isinstance(tree, list) else ([(Path(source), tree)] if tree is not None else None)
    try:
        scn = Scenario.model_validate(raw)
    except ValidationError as exc:
        probs = []
        for err in exc.errors():
            path = _readable_path(raw, tuple(err["loc"]))
            probs.append(Problem(path, _explain(err), _locate(chain, path)))
        raise ScenarioError(source, probs, header=(
            f"{source}: the scenario is not valid ({len(probs)} problem{'s' if len(probs) != 1 else ''}; "
            "references between sections, such as route nodes, are checked once these are fixed)")) from None
    probs = check_references(scn)
    if probs:
        raise ScenarioError(source, [Problem(p.path, p.message, _locate(chain, p.path)) for p in probs])
    if scn.timeline:
        timeline_states(scn, source, chain, check_dates)
    probs = []
    for i, u in enumerate(scn.uncertain):
        try:
            node, key = _slot(raw, u.path, create=False)
            value = node[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                probs.append(Problem(f"uncertain.{i}.path", f"'{u.path}' is {value!r}, not a number",
                                     _locate(chain, f"uncertain.{i}")))
        except KeyError as exc:
            probs.append(Problem(f"uncertain.{i}.path", f"unknown parameter path: {exc.args[0]}",
                                 _locate(chain, f"uncertain.{i}")))
    if probs:
        raise ScenarioError(source, probs)
    return scn


# ----------------------------------------------------------------------------------------------
# Timeline: every intervention is applied, in date order, to the scenario as data and the result
# validated like a file, so a bad value, path or date is an error before the run starts.
# ----------------------------------------------------------------------------------------------
TIMELINE_SECTIONS = ("rail_links", "ports", "sea_lines", "caspian", "demand")


def _structure(s: Scenario) -> tuple:
    """What a timeline may not change: the network and the flows' routes (it may open or close them)."""
    return (tuple((l.id, l.from_node, l.to_node) for l in s.rail_links),
            tuple((p.id, tuple(t.cargo for t in p.terminals)) for p in s.ports),
            tuple((l.id, l.from_port, l.to_port, l.cargo, tuple(v.id for v in l.vessels)) for l in s.sea_lines),
            tuple((f.id, f.cargo, tuple((r.id, tuple(r.path)) for r in f.routes)) for f in s.demand.flows),
            s.caspian is None, s.demand.base_year)


def timeline_states(s: Scenario, source: str = "<scenario>", chain: Chain | None = None,
                    check_dates: bool = True) -> list[tuple[Intervention, Scenario]]:
    """The scenario after each intervention, in date order (ties keep file order)."""
    raw = s.model_dump(mode="python", by_alias=True)
    raw["timeline"] = []
    start, end = dt.date(s.start_year, 1, 1), dt.date(s.end_year, 12, 31)
    shape = _structure(s)
    states, probs = [], []
    for iv in sorted(s.timeline, key=lambda i: i.date):
        ip = f"timeline.{iv.id}"
        if check_dates and not (start <= iv.date <= end):
            probs.append(Problem(f"{ip}.date", f"{iv.date} is outside the run ({start} to {end})", _locate(chain, f"{ip}.date")))
            continue
        new = copy.deepcopy(raw)
        bad = False
        for op, items in (("set", iv.set), ("scale", iv.scale)):
            for path, value in items.items():
                where = _locate(chain, f"{ip}.{op}")
                if path.split(".")[0] not in TIMELINE_SECTIONS:
                    probs.append(Problem(f"{ip}.{op}.{path}", "a timeline may change only "
                                         f"{', '.join(TIMELINE_SECTIONS)}", where))
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
            probs.append(Problem(ip, "a timeline may change values, counts and open/close routes, but not the "
                                     "network (links, ports, lines, vessel groups, routes): define those in the "
                                     "scenario and open them at the date", _locate(chain, ip)))
            continue
        raw = new
        states.append((iv, after))
    if probs:
        raise ScenarioError(source, probs, header=f"{source}: the timeline is not valid ({len(probs)} problem"
                                                  f"{'s' if len(probs) != 1 else ''})")
    return states


def load_scenario(path: str | Path, overrides: dict[str, Any] | list[str] | None = None,
                  years: tuple[int, int] | None = None) -> Scenario:
    """Load a scenario file (and the files it extends), apply overrides, and validate.

    ``overrides`` maps dotted paths to values (or is a list of ``path=value`` strings, as --set
    gives them); ``years`` replaces start_year and end_year. Timeline dates are checked against the
    file's own years; with other ``years``, earlier interventions are in force from the start and
    later ones never come.
    """
    src = str(path)
    raw, chain = resolve_file(path)
    items: list[tuple[str, Any]] = []
    if isinstance(overrides, dict):
        items = list(overrides.items())
    elif overrides:
        for text in overrides:
            try:
                items.append(parse_override(text))
            except ValueError as exc:
                raise ScenarioError(src, [Problem("--set", str(exc))],
                                    header=f"{src}: an override is malformed") from None
    probs = []
    for p, v in items:
        try:
            apply_override(raw, p, v)
        except KeyError as exc:
            probs.append(Problem(f"--set {p}", exc.args[0]))
    if probs:
        raise ScenarioError(src, probs, header=f"{src}: an override does not name a field of the scenario")
    scn = validate_dict(raw, src, chain)
    if years is not None and years != (scn.start_year, scn.end_year):
        raw["start_year"], raw["end_year"] = years
        scn = validate_dict(raw, src, chain, check_dates=False)
    return scn


def describe(s: Scenario) -> str:
    """A short human description of what a scenario contains."""
    lines = [f"{s.name}: {s.description.strip().splitlines()[0] if s.description.strip() else ''}",
             f"  years {s.start_year}-{s.end_year}, warm-up {s.warmup_days:g} days, goal {s.goal_mt_per_year:g} Mt/yr",
             f"  {len(s.nodes)} nodes, {len(s.rail_links)} rail links "
             f"({sum(1 for l in s.rail_links if l.crossing)} border/gauge-change crossings), "
             f"{len(s.ports)} ports, {len(s.sea_lines)} sea lines "
             f"({sum(v.count for l in s.sea_lines for v in l.vessels)} vessels)"]
    total = sum(f.tons_per_year for f in s.demand.flows) * s.demand.scale
    lines.append(f"  demand {total / 1e6:.3f} Mt/yr in {s.demand.base_year} (scale {s.demand.scale:g}):")
    for f in s.demand.flows:
        unit = s.cargo_classes[f.cargo].unit
        units = f.tons_per_year * s.demand.scale / s.cargo_classes[f.cargo].t_per_unit
        def label(r: Route) -> str:
            how = "logit" if f.response is not None else f"{r.share:.0%}"
            return f"{r.id} ({how}{'' if r.open else ', closed'})"
        routes = ", ".join(label(r) for r in f.routes)
        resp = "responds to tariff and time" if f.response is not None else "fixed"
        lines.append(f"    {f.id:<22} {f.tons_per_year * s.demand.scale / 1e6:6.3f} Mt "
                     f"({units:,.0f} {unit}), growth {f.growth_pct_per_year:+g}%/yr, {resp}; routes: {routes}")
    if s.timeline:
        lines.append(f"  timeline ({len(s.timeline)} interventions):")
        for iv in sorted(s.timeline, key=lambda i: i.date):
            lines.append(f"    {iv.date}  {iv.id}: {iv.description}")
    return "\n".join(lines)


def demand_tons(flow: Flow, demand: Demand, year_frac: float) -> float:
    """Annual demand of a flow at fractional years since the demand base year."""
    return flow.tons_per_year * demand.scale * math.pow(1.0 + flow.growth_pct_per_year / 100.0, year_frac)
