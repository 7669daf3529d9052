"""How big a run will be, before it starts, and whether this machine can hold it.

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


class RunTooLarge(Exception):
    """A run whose estimate exceeds what this machine can hold (the message names the override)."""


@dataclass(frozen=True)
class RunSize:
    lots: float  # consignments generated, warm-up included (upper estimate)
    level_rows: float
    peak_bytes: float  # one run while it simulates
    kept_bytes: float  # its tables once finished

    def describe(self) -> str:
        return f"~{self.lots:,.0f} consignments, ~{_gb(self.peak_bytes)} of memory"


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


def estimate(s: Scenario, detail: bool = True) -> RunSize:
    """An upper estimate of the lots and memory of one run of ``s`` (see the module docstring)."""
    states = timeline(s).scenarios()
    years = list(range(s.start_year, s.end_year + 1))
    warmup_years = s.warmup_days / 365.25
    lots = 0.0
    for f in s.demand.flows:
        t_per_unit = s.cargo_classes[f.cargo].t_per_unit
        for y in years:
            # the most any state asks of this flow in year y (growth peaks at one end of the year)
            tons = max(
                _trend_upper_tons(st.flow(f.id), st.demand.base_year, y) * st.demand.scale * _max_multiplier(st, f.id)
                for st in states
            )
            lot_tons = min(st.flow(f.id).lot_units for st in states) * t_per_unit
            share = 1.0 + (warmup_years if y == s.start_year else 0.0)
            lots += share * tons / lot_tons
    terminals = sum(len(p.terminals) for p in s.ports)
    hours = (len(years) * 365.25 + s.warmup_days) * 24.0
    level_rows = hours / s.output.levels_every_h * (LEVEL_METRICS_PER_TERMINAL * terminals + len(s.ports))
    per_lot = BYTES_PER_LOT if detail else BYTES_PER_WAITING_LOT
    peak = BYTES_PER_PROCESS + lots * per_lot + level_rows * BYTES_PER_LEVEL_ROW
    kept = lots * (KEPT_BYTES_PER_LOT if detail else KEPT_BYTES_PER_DELIVERY) + level_rows * KEPT_BYTES_PER_LEVEL_ROW
    return RunSize(lots, level_rows, peak, kept)


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
