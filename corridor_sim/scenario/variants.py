"""The one place a scenario is derived from another: the same scenario with something changed.

Each variant dumps the scenario to its raw mapping, edits it, and validates the result like a file
(``load.validate_dict``, dates unchecked: a variant may run other years than its file), so a
variant is as valid as a loaded scenario, and an edit that breaks it is a ScenarioError naming the
field. Analyses, the planner and the capacity estimator ask here for every scenario they run:

- ``with_changes``: values set and scaled at dotted paths, other years (sweeps, levers, samples),
  each holding for the whole run against the timeline as a ``--set`` does (``whatif``);
- ``without`` and ``with_entries``: timeline entries removed or added (appraisal, plans);
- ``for_years``: the scenario simulated for other years only;
- ``for_capacity``: as it stands in a span of years, with demand fixed at its trend (no response
  to tariffs or time), so that saturating it probes capacity;
- ``saturated``: every corridor flow's demand in each year times a factor (the capacity estimator).

A scenario's file name and demand case are fields (``file_name``, ``demand_case``), carried by
every variant; nothing is parsed from names.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from .load import validate_dict
from .paths import apply_changes, value_at
from .problems import ScenarioError
from .schema import Flow, Intervention, Scenario, trend_tons
from .timeline import timeline
from .whatif import Held, hold, refused


def derive(s: Scenario, edit: Callable[[dict], Held | None], label: str) -> Scenario:
    """``s`` with ``edit`` applied to its raw mapping, validated (ScenarioError named ``label``;
    one paragraph naming the timeline entry when a what-if ``edit`` held cannot hold)."""
    raw = s.model_dump(mode="python", by_alias=True)
    held = edit(raw) or Held()
    if held.notes:
        raw["notes"] = [*raw.get("notes", []), *held.notes]
    try:
        return validate_dict(raw, label, check_dates=False)
    except ScenarioError as exc:
        raise refused(exc, held, label) from None


def value(s: Scenario, path: str) -> Any:
    """The value of ``s`` at a dotted path, as its file would hold it (KeyError if there is none)."""
    return value_at(s.model_dump(mode="python", by_alias=True), path)


def with_changes(
    s: Scenario,
    values: dict[str, Any] | None = None,
    factors: dict[str, float] | None = None,
    years: tuple[int, int] | None = None,
    label: str = "variant",
    fixed: dict[str, Any] | None = None,
) -> Scenario:
    """``s`` with ``values`` set and ``factors`` scaling the numbers at dotted paths (as a timeline
    entry's ``set`` and ``scale``), and other years (ScenarioError if invalid; KeyError naming a
    path that does not exist). Each change holds for the whole run, as a ``--set`` does
    (``whatif.hold``: the timeline's later values of its field are shifted, scaled or replaced with
    it); ``fixed`` values replace the timeline's, held at exactly that value."""

    def edit(raw: dict) -> Held:
        held = hold(raw, values, factors, fixed, what=label, source=label)
        if years is not None:
            raw["start_year"], raw["end_year"] = years
        return held

    return derive(s, edit, label)


def with_demand_case(s: Scenario, case: str) -> Scenario:
    """``s`` (loaded under its central case) under demand case ``case`` (ValueError naming the
    cases if it has no such case, or if ``s`` was loaded under another case, whose changes the
    central case could not undo)."""
    if case == s.demand_case:
        return s
    cases = {c.id: c for c in s.demand_cases}
    if case not in cases:
        raise ValueError(f"unknown demand case '{case}'; cases: {', '.join(cases) or 'none'}")
    if s.demand_case != "central":
        raise ValueError(f"'{s.name}' was loaded under demand case '{s.demand_case}': load it under 'central'")
    c = cases[case]

    def edit(raw: dict) -> None:
        apply_changes(raw, dict(c.set), dict(c.scale))
        raw["demand_case"] = case
        raw.setdefault("file_name", raw["name"])
        raw["name"] = f"{raw['name']}_{case}"

    return derive(s, edit, f"{s.name} under demand case {case}")


def for_years(s: Scenario, first: int, last: int) -> Scenario:
    """``s`` simulated for ``first``-``last`` alone (its timeline's earlier entries in force from the start)."""
    return with_changes(s, years=(first, last), label=f"{s.name} in {first}-{last}")


def for_capacity(s: Scenario, year: int, last: int | None = None) -> Scenario:
    """The scenario as it stands in ``year`` (to ``last``, when given), simulated for those years
    alone, with demand fixed at its trend (no response to tariffs or time), so that changing or
    saturating it probes capacity (the bottleneck ranking, the capacity estimator)."""
    over = {}
    for f in s.demand.flows:
        if f.response is not None:
            over[f"demand.flows.{f.id}.response.tariff_elasticity"] = 0.0
            over[f"demand.flows.{f.id}.response.trade_gain_per_day_saved"] = 0.0
    end = year if last is None else last
    span = f"{year}" if end == year else f"{year}-{end}"
    return with_changes(s, years=(year, end), label=f"{s.name} in {span}", fixed=over)


def without(s: Scenario, ids: Iterable[str]) -> Scenario:
    """``s`` with the timeline entries ``ids`` removed (the label says what is missing)."""
    drop = set(ids)

    def edit(raw: dict) -> None:
        raw["timeline"] = [iv for iv in raw.get("timeline", []) if iv["id"] not in drop]

    return derive(s, edit, f"{s.name} without {', '.join(sorted(drop))}")


def with_entries(s: Scenario, entries: Sequence[Intervention], name: str | None = None) -> Scenario:
    """``s`` with timeline entries added (replacing entries of the same id), renamed ``name`` if given."""
    ids = {e.id for e in entries}

    def edit(raw: dict) -> None:
        raw["timeline"] = [iv for iv in raw.get("timeline", []) if iv["id"] not in ids] + [
            e.model_dump(mode="python") for e in entries
        ]
        if name is not None:
            raw["name"] = name

    return derive(s, edit, f"{s.name} with {', '.join(sorted(ids)) or 'nothing'}")


def _path(flow: Flow, base_year: int, factors: dict[int, float], first: int, last: int) -> tuple[float, dict]:
    """A flow's demand path x the year's factor, written out for every simulated year and the
    warm-up's (the year before the first, run at the first year's factor): (tons_per_year in the
    base year, tons_by_year)."""
    k = lambda y: factors[min(max(y, first), last)]
    points = {y: k(y) * trend_tons(flow, base_year, y) for y in range(first - 1, last + 1)}
    base = points.pop(base_year, k(base_year) * trend_tons(flow, base_year, base_year))
    return base, points


_DEMAND_PATH = re.compile(r"demand\.flows\.([^.]+)\.(tons_per_year|tons_by_year|growth_pct_per_year)(\..*)?$")


def saturated(base: Scenario, factors: dict[int, float], patience_d: float) -> Scenario:
    """``base`` (a ``for_capacity`` scenario) with every corridor flow's demand in year y times
    ``factors[y]``, and a limit of ``patience_d`` days for flows with neither a limit nor alternatives. The factor goes into
    each flow's path, not into ``demand.scale`` or ``demand_factor``, so the timeline's pauses and
    scale changes still act on the saturated demand; a timeline entry that rewrites a flow's path
    gets the saturated path of the scenario after it instead. Other traffic keeps its own demand:
    it takes its share, it is not measured."""
    first, last = base.start_year, base.end_year
    corridor = {f.id for f in base.demand.flows if f.corridor}
    after = {iv.id: st for iv, st in timeline(base)}

    def write(target: dict, prefix: str, flow: Flow, base_year: int) -> None:
        tpy, tby = _path(flow, base_year, factors, first, last)
        target[f"{prefix}tons_per_year"], target[f"{prefix}tons_by_year"] = tpy, tby
        target[f"{prefix}growth_pct_per_year"] = 0.0

    def edit(raw: dict) -> None:
        raw["uncertain"] = []  # ranges for the sensitivity analysis name path points this rewrites
        for f in raw["demand"]["flows"]:
            if f["id"] not in corridor:
                continue
            write(f, "", base.flow(f["id"]), base.demand.base_year)
            if f.get("max_transit_days") is None and not f.get("alternatives"):
                f["max_transit_days"] = patience_d  # flows with alternatives: they bound the queue
        for entry in raw.get("timeline") or []:
            touched = _demand_paths_rewritten(entry, base)
            if touched:
                st = after[entry["id"]]
                entry.setdefault("set", {})
                for fid in touched & corridor:
                    write(entry["set"], f"demand.flows.{fid}.", st.flow(fid), st.demand.base_year)

    return derive(base, edit, f"{base.name} saturated")


def _demand_paths_rewritten(entry: dict, base: Scenario) -> set[str]:
    """The flows whose demand path a raw timeline entry rewrites (its path changes are removed
    from it: the saturated path replaces them)."""
    touched: set[str] = set()
    for op in ("set", "scale"):
        for path in list(entry.get(op) or {}):
            m = _DEMAND_PATH.match(path)
            if m:
                touched.add(m.group(1))
                del entry[op][path]
            elif path == "demand.base_year":
                touched |= {f.id for f in base.demand.flows}
    return touched
