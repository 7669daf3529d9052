"""How big a run will be, before it starts, and whether this machine can hold it in time.

A run's memory grows with the consignments (lots) it simulates: every lot lives in the ledger
from its generation until it is delivered, and, in a run that keeps its detail (``--detail``),
each delivered part becomes a row of lots.csv with its stage times; without detail a delivery
leaves ~48 bytes in the ledger's yearly arrays. Yard and queue levels add a row per terminal
metric per bin. So the estimate is

    peak bytes = BYTES_PER_PROCESS + lots x (BYTES_PER_LOT, or BYTES_PER_WAITING_LOT without
                 detail, as if every lot waited at once) + level rows x BYTES_PER_LEVEL_ROW

with lots = demand x years / lot size, summed over flows: trend demand, with the demand scale and
every timeline state's values, warm-up included, times the largest multiplier a flow's
response block allows (tariff effect at its cheapest route, time effect as if transit took no
time). It is an upper estimate: a congested corridor keeps demand below it.

The per-item figures were measured (peak RSS, ``ru_maxrss``, Python 3.11, pandas 2) on
``scenarios/base.yaml``: a lot waiting in the backlog costs ~2 kB (base x100, 2024: 186k lots,
+290 MB over base x20); a delivered part ~1.6 kB on a two-leg corridor, and a base lot becomes
~2.5 delivered parts with ~8 stage times, so 4 kB per lot. The base 2024-2035 run (16.3k lots,
245k level rows) peaks at 365 MB against 338 MB estimated. Results kept for statistics (the parent
of a replicated run holds every replication's tables) cost ~1.5 kB per lot and 64 B per level
row (DataFrame memory of the same run).

A run's time follows its events, estimated the same way (upper, 2-3x the events of the shipped
scenarios): EVENTS_PER_LOT for each consignment, EVENTS_PER_PART for each part of it over each hop of
its longest route (a lot crosses the rails whole and is split to fit the smallest ship of a sea
line, the onward trains formed at a port and the onward ship calls at its end: a call of one unit
makes a part of every unit), every vessel cycling at most one voyage per two crossings, other
traffic, storms and the level bins. A run estimated to take longer than MAX_RUN_MINUTES at
EVENTS_PER_S is refused (``CORRIDOR_SIM_MAX_MINUTES`` sets another limit): demand x1000 on the
base year is estimated at ~20 minutes, and refused in milliseconds. The schema keeps every size
that splits cargo at one unit or more and every duration that repeats at six minutes or more
(``scenario.units``), so the estimate is finite.

A command that makes many runs (replications, a sensitivity design, an appraisal, a plan, a
capacity trajectory) is also refused when its runs' estimates add up, at the runs it makes at
once, to more than MAX_BATCH_MINUTES (``CORRIDOR_SIM_MAX_BATCH_MINUTES`` sets another limit):
10,000 runs of a small corridor would be accepted one by one and take hours.

A run is refused when its estimate exceeds half the memory available (``MemAvailable``, or the
cgroup limit when lower; ``CORRIDOR_SIM_MEMORY`` overrides, e.g. ``8G``), shared by the runs that
execute at once; the other half is left to the operating system and to everything else.
``--allow-large`` (``allow_large=True``) runs it anyway.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..scenario.schema import Flow, Scenario
from ..scenario.timeline import timeline

BYTES_PER_PROCESS = 150e6  # interpreter, numpy, pandas, simpy and the model's fixed structures
BYTES_PER_LOT = 4096  # measured, see above
BYTES_PER_WAITING_LOT = 2048  # a lot in the backlog (measured, see above): the no-detail bound
KEPT_BYTES_PER_DELIVERY = 48  # without detail: tonnes, units, days in the ledger's yearly arrays
BYTES_PER_LEVEL_ROW = 500  # a 5-tuple in a list, then a DataFrame row (peak while collecting)
KEPT_BYTES_PER_LOT = 1536  # tables of a finished run kept in memory (lots, voyages, vessel states)
KEPT_BYTES_PER_LEVEL_ROW = 64
LEVEL_METRICS_PER_TERMINAL = 4  # yard units, yard share, trains waiting, vessels waiting (model.build)
FALLBACK_MEMORY = 4 << 30  # when the operating system does not say
EVENTS_PER_LOT = 4  # generated, routed, delivered or diverted
EVENTS_PER_PART = 1  # one part of a lot over one hop: with these, 2-3x the events the shipped scenarios take
EVENTS_PER_VOYAGE = 8  # a vessel's departure, crossing, berth request, grant, handling, release
EVENTS_PER_S = 50_000  # base.yaml in 2025, 47k events: 0.5 s on an idle core, 1-2 s beside other work
MAX_RUN_MINUTES = 10.0  # a run estimated longer is refused unless allowed (CORRIDOR_SIM_MAX_MINUTES)
# a command's runs estimated longer in all, at the workers it has, are refused unless allowed
# (CORRIDOR_SIM_MAX_BATCH_MINUTES): the README's heaviest jobs are estimated at well under an hour
MAX_BATCH_MINUTES = 120.0


class RunTooLarge(Exception):
    """A run whose estimate exceeds what this machine can hold (the message names the override)."""


@dataclass(frozen=True)
class RunSize:
    lots: float  # consignments generated, warm-up included (upper estimate)
    level_rows: float
    peak_bytes: float  # one run while it simulates
    kept_bytes: float  # its tables once finished
    events: float = 0.0  # simulation events (upper estimate)

    @property
    def seconds(self) -> float:
        """The run's time at EVENTS_PER_S."""
        return self.events / EVENTS_PER_S

    def describe(self) -> str:
        return (
            f"~{self.lots:,.0f} consignments, ~{self.events:,.0f} events (~{_duration(self.seconds)}), "
            f"~{_gb(self.peak_bytes)} of memory"
        )


def _duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "for ever"
    if seconds < 120:
        return f"{seconds:,.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:,.0f} min"
    return f"{seconds / 3600:,.1f} h"


def _gb(x: float) -> str:
    return f"{x / 1e9:,.1f} GB" if x >= 1e8 else f"{x / 1e6:,.0f} MB"


def _trend_upper_tons(flow: Flow, base_year: int, year: int) -> float:
    """An upper bound of a flow's trend demand in calendar ``year``, t/yr, before scale and response:
    the highest level its path names, grown at its rate to the end of ``year`` (or, shrinking, not
    yet shrunk). Independent of how the model interpolates the path, so it stays an upper bound
    whatever the path's shape. A ``tons_by_year`` path and a ``demand_factor`` count where the schema
    has them."""
    points = {base_year: flow.tons_per_year, **dict(getattr(flow, "tons_by_year", {}) or {})}
    g = 1.0 + flow.growth_pct_per_year / 100.0
    first, last = min(points), max(points)
    try:
        grow = max(g ** max(year + 1 - last, 0), g ** min(year - first, 0), 1.0)
    except OverflowError:
        return math.inf
    return max(points.values()) * grow * getattr(flow, "demand_factor", 1.0)


def _max_multiplier(s: Scenario, flow_id: str) -> float:
    """The largest demand multiplier a flow's response block allows in ``s``."""
    f = s.flow(flow_id)
    r = f.response
    if r is None:
        return 1.0
    tariffs = [
        s.demand.tariff_factor
        * (rt.tariff_usd_per_t if rt.tariff_usd_per_t is not None else r.reference_tariff_usd_per_t)
        for rt in f.routes
    ]
    try:
        tariff_effect = (min(tariffs) / r.reference_tariff_usd_per_t) ** r.tariff_elasticity
        time_effect = (1.0 + r.trade_gain_per_day_saved) ** r.reference_transit_days
        return tariff_effect * time_effect
    except (OverflowError, ZeroDivisionError):  # the schema's bounds rule both out; be sure anyway
        return math.inf


def _carrier_units(s: Scenario, a: str, b: str, cargo: str, last: bool) -> float | None:
    """What carries a unit of ``cargo`` from node a to node b in parts, units (None: the lot goes
    whole, as a train): the smallest vessel of the sea line, and, at a port, the onward trains
    formed there and (the route's end) the onward ship calls."""
    sizes = []
    line = s.sea_legs().get((a, b, cargo))
    if line is not None:
        share = s.caspian.min_load_factor if s.caspian is not None else 1.0
        sizes += [v.capacity_units * min(1.0, share / v.full_load_deadweight_share) for v in line.vessels]
        if line.deck is not None and cargo == line.deck.cargo:
            sizes.append(line.deck.full_deck_units * share)
    for p in s.ports:
        if p.id == b:
            for t in p.terminals:
                if t.cargo == cargo:
                    if t.train_units is not None:
                        sizes.append(t.train_units)
                    if last and t.onward_by_sea is not None:
                        sizes.append(t.onward_by_sea.call_units)
    return min(sizes) if sizes else None


def _parts_per_unit(s: Scenario, f: Flow, lot_units: float) -> float:
    """Parts a unit of flow ``f`` travels in, summed over the hops of its longest route (with its
    empties' way back): a lot goes whole over the rails, split to fit each ship, train or call."""
    worst = 0.0
    for r in f.routes:
        hops = list(zip(r.path, r.path[1:]))
        parts = 0.0
        for i, (a, b) in enumerate(hops):
            size = _carrier_units(s, a, b, f.cargo, i == len(hops) - 1)
            parts += 1.0 / min(lot_units, size) if size is not None else 1.0 / lot_units
        worst = max(worst, parts)
    if f.empties is not None:
        worst += f.empties.share * (len(f.empties.path) - 1) / lot_units
    return worst


def _background_events(s: Scenario, hours: float) -> float:
    """Events of everything that runs without cargo: vessels cycling (at most one voyage each way
    per two crossings), other trains and calls, storm closures."""
    out = 0.0
    for line in s.sea_lines:
        vessels = sum(v.count for v in line.vessels)
        out += vessels * hours / (2.0 * line.crossing_h) * EVENTS_PER_VOYAGE
    for l in s.rail_links:
        out += l.background_trains_per_day * hours / 24.0 * 0.25  # drawn as numbers, no kernel event
    for p in s.ports:
        for t in p.terminals:
            out += t.background_calls_per_day * hours / 24.0 * 3
        closed = max(p.weather.closure_probability_by_month)
        out += closed * hours / p.weather.closure_mean_h * 4 + hours / 720.0
    return out


def estimate(s: Scenario, detail: bool = True) -> RunSize:
    """An upper estimate of the lots, events and memory of one run of ``s`` (see the module docstring)."""
    states = timeline(s).scenarios()
    years = list(range(s.start_year, s.end_year + 1))
    warmup_years = s.warmup_days / 365.25
    lots = 0.0
    events = 0.0
    for f in s.demand.flows:
        t_per_unit = s.cargo_classes[f.cargo].t_per_unit
        lot_units = min(st.flow(f.id).lot_units for st in states)
        parts = max(_parts_per_unit(st, st.flow(f.id), lot_units) for st in states)
        for y in years:
            # the most any state asks of this flow in year y (growth peaks at one end of the year)
            tons = max(
                _trend_upper_tons(st.flow(f.id), st.demand.base_year, y) * st.demand.scale * _max_multiplier(st, f.id)
                for st in states
            )
            share = 1.0 + (warmup_years if y == s.start_year else 0.0)
            lots += share * tons / (lot_units * t_per_unit)
            events += share * tons / t_per_unit * parts * EVENTS_PER_PART
    terminals = sum(len(p.terminals) for p in s.ports)
    hours = (len(years) * 365.25 + s.warmup_days) * 24.0
    level_rows = hours / s.output.levels_every_h * (LEVEL_METRICS_PER_TERMINAL * terminals + len(s.ports))
    per_lot = BYTES_PER_LOT if detail else BYTES_PER_WAITING_LOT
    peak = BYTES_PER_PROCESS + lots * per_lot + level_rows * BYTES_PER_LEVEL_ROW
    kept = lots * (KEPT_BYTES_PER_LOT if detail else KEPT_BYTES_PER_DELIVERY) + level_rows * KEPT_BYTES_PER_LEVEL_ROW
    events += lots * EVENTS_PER_LOT + level_rows + max(_background_events(st, hours) for st in states)
    return RunSize(lots, level_rows, peak, kept, events)


def _parse_bytes(text: str) -> int | None:
    """'8G', '512M', '4096' -> bytes.

    >>> _parse_bytes("8G"), _parse_bytes("512m"), _parse_bytes("1000"), _parse_bytes("lots")
    (8589934592, 536870912, 1000, None)
    """
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmMgGtT]?)[bB]?\s*", text)
    if not m:
        return None
    return int(float(m.group(1)) * 1024 ** "_KMGT".index(m.group(2).upper() or "_"))


def _read_int(path: str) -> int | None:
    try:
        text = Path(path).read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def available_memory_bytes() -> int:
    """Memory this process may use: CORRIDOR_SIM_MEMORY if set, else the least of MemAvailable and
    the cgroup's limit less its usage; 4 GiB where the system does not say."""
    override = os.environ.get("CORRIDOR_SIM_MEMORY")
    parsed = _parse_bytes(override) if override else None
    if parsed:
        return parsed
    found = []
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                found.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    limit = _read_int("/sys/fs/cgroup/memory.max") or _read_int("/sys/fs/cgroup/memory/memory.limit_in_bytes")
    used = _read_int("/sys/fs/cgroup/memory.current") or _read_int("/sys/fs/cgroup/memory/memory.usage_in_bytes") or 0
    if limit and limit < 1 << 60:
        found.append(max(limit - used, 0))
    if not found:
        try:
            found.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (ValueError, OSError, AttributeError):
            found.append(FALLBACK_MEMORY)
    return min(found)


def max_run_seconds() -> float:
    """The longest a run may be estimated to take: CORRIDOR_SIM_MAX_MINUTES (a positive number of
    minutes), else MAX_RUN_MINUTES."""
    return _minutes_from_env("CORRIDOR_SIM_MAX_MINUTES", MAX_RUN_MINUTES, "the longest a run may be estimated to take")


def _minutes_from_env(name: str, default: float, what: str) -> float:
    text = os.environ.get(name, "").strip()
    if not text:
        return default * 60.0
    try:
        minutes = float(text)
    except ValueError:
        minutes = math.nan
    if not (math.isfinite(minutes) and minutes > 0):
        raise RunTooLarge(f"{name}={text!r} is not a positive number of minutes ({what}; unset, {default:g})")
    return minutes * 60.0


def max_batch_seconds() -> float:
    """The longest a command's runs may be estimated to take in all: CORRIDOR_SIM_MAX_BATCH_MINUTES,
    else MAX_BATCH_MINUTES."""
    return _minutes_from_env(
        "CORRIDOR_SIM_MAX_BATCH_MINUTES", MAX_BATCH_MINUTES, "the longest a command's runs may be estimated to take"
    )


def check_batch(
    seconds_each: list[float], at_once: int, allow_large: bool = False, what: str = "this command"
) -> float:
    """Refuse (RunTooLarge) runs whose estimated times (``seconds_each``, one per run) add up, with
    ``at_once`` of them at a time, to more than the batch limit; returns that total.

    >>> check_batch([60.0] * 10, at_once=2)
    300.0
    """
    total = sum(seconds_each) / max(at_once, 1)
    limit_s = max_batch_seconds()
    if not allow_large and not total <= limit_s:
        n = len(seconds_each)
        raise RunTooLarge(
            f"{what} is too large to finish in the time allowed: its {n:,} runs would take ~{_duration(total)} "
            f"with {max(at_once, 1)} at a time (each up to ~{_duration(max(seconds_each))} at {EVENTS_PER_S:,} "
            f"events/s), against a limit of {_duration(limit_s)} for a command. Use fewer replications (-n), "
            "trajectories, screening runs or years, or more --workers; CORRIDOR_SIM_MAX_BATCH_MINUTES=600 raises "
            "the limit and --allow-large runs it anyway (corridor_sim.run.runsize explains the estimate)."
        )
    return total


def check(
    scenarios: list[Scenario] | Scenario,
    concurrent: int = 1,
    kept: int = 0,
    allow_large: bool = False,
    what: str = "the run",
    detail: bool = True,
) -> RunSize:
    """Refuse (RunTooLarge) work that would not fit: ``concurrent`` runs at once of the largest of
    ``scenarios``, plus the tables of ``kept`` finished runs held for statistics."""
    scns = scenarios if isinstance(scenarios, list) else [scenarios]
    sizes = [estimate(s, detail) for s in scns]
    longest = max(sizes, key=lambda z: z.events)
    limit_s = max_run_seconds()
    if not allow_large and not longest.seconds <= limit_s:
        one = "one of its runs" if len(sizes) > 1 else "it"
        raise RunTooLarge(
            f"{what} is too large to finish in the time allowed: {one} would simulate up to {longest.events:,.0f} events "
            f"({longest.lots:,.0f} consignments), ~{_duration(longest.seconds)} at {EVENTS_PER_S:,} events/s, "
            f"against a limit of {_duration(limit_s)} a run. Lower demand.scale or the years, raise lot_units "
            "or the sizes of ships, trains and calls; CORRIDOR_SIM_MAX_MINUTES=120 raises the limit and "
            "--allow-large runs it anyway (corridor_sim.run.runsize explains the estimate)."
        )
    big = max(sizes, key=lambda z: z.peak_bytes)
    need = big.peak_bytes * max(concurrent, 1) + sum(z.kept_bytes for z in sizes) / len(sizes) * kept
    budget = available_memory_bytes() / 2
    if not allow_large and (need > budget or not math.isfinite(need)):
        runs = f"{concurrent} runs at once, each" if concurrent > 1 else "it"
        extra = f" and the tables of {kept} finished runs" if kept else ""
        total = f", {_gb(need)} in all with {concurrent} at once{extra}," if (concurrent > 1 or kept) else ""
        raise RunTooLarge(
            f"{what} is too large for this machine: {runs} would simulate up to {big.lots:,.0f} consignments "
            f"(~{_gb(big.peak_bytes)}){total} against {_gb(budget)} it may use (half the memory available). "
            "Lower demand.scale, the years or the replications, raise lot_units, or use fewer --workers; "
            "--allow-large runs it anyway (corridor_sim.run.runsize explains the estimate)."
        )
    return big
