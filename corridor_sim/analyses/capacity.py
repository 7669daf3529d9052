"""Sustainable capacity, year by year: what the corridor *could* carry, apart from what comes.

The estimator saturates demand and measures throughput. Every flow's demand, in each simulated
year, is its own trend demand of that year (the scenario's demand case, its timeline, the year's
mix of flows and classes) times a saturation factor, with the response to tariffs and time
switched off; the years asked are simulated in ONE continuous run per replication. Why this is
the sustainable capacity:

- The throughput of a queueing network whose every entry has more work waiting than it can take
  is the rate of its bottleneck (the resource whose capacity runs out first): it cannot carry
  more, and with the queue never empty the bottleneck never idles for want of cargo. So the
  tonnes delivered in a year under saturation are the year's capacity, in the year's mix.
- The warm-up fills the pipeline once (trains on the way, yards, ships), and the years share it,
  as they do in reality; each year's own closures, storms, seasonality, draft and timeline
  changes are in its figure. Replications use ``replication_seed``, so years and scenarios run
  with the same seed share their random numbers (common random numbers).
- One saturated run per replication replaces the ~10 probes x cargo classes of a bisection, and
  measures a rate directly instead of a threshold of a noisy criterion, so its variance is that of
  a year's throughput.

The shippers' outside alternatives keep it bounded: a consignment that would wait longer than
they make worth it does not go (flows without alternatives get a limit, ``patience_days``), so
the cargo on a route stays at about that waiting x delivery rate whatever the factor. The source
is saturated, not flooded (``_run``): when no shipper of a flow would send a consignment (the most
patient included), the flow holds its cargo at the origin until its own cargo moves and a route
is open again, instead of drawing consignment after consignment only to divert each; where
shippers differ (an alternative open to some of them), those who would not wait are diverted as
in any run. Held tonnes are never offered, so a saturated run's offered tonnes are about what it
carries, not the factor x demand.

Saturation is verified, not assumed (``_saturated``): a class-year counts as saturated when, in
every month it had demand, the class turned cargo away or was offered more than it delivered (the
run counts by month as a subscriber of the ledger, ``MonthCounts``). Where a year is not saturated
in a replication, its factor is raised and the replication re-run (``ESCALATION``, at most
``max_escalations`` times); ``saturated_share`` reports the share of replications saturated, and
below 1 the figure is a lower bound. The saturated scenario itself is a scenario variant
(``scenario.variants.for_capacity``, then ``saturated``).

The capacity of the mix (the "all" row, and every figure called capacity downstream). The
year's demand mix, of the scenario's demand case, scaled up until the first class's bottleneck
saturates: with c_i a class's saturated throughput and d_i its demand in the year, the mix grows
by k = min_i c_i / d_i over the classes that scale with it (``in_mix: scaled``), and the mix
capacity is k x their demand, plus the classes counted at their demand case (``in_mix:
at_demand``, crude: a contracted volume, not what the tankers could lift) at min(c_i, d_i). The
class with the least capacity per tonne of its demand stops the mix, at its own binding resource
(``binding_class``, ``binding``). Computed per replication, so its CI is that of the mix, in two
runs: the joint run (every class at the saturation factor) gives each class's ratio and a first
level k0; the mix run offers the year's mix at ``MIX_MARGIN`` x k0, where the classes share the
lines, yards and stock as the mix itself would share them (in the joint run a class flooding a
shared line takes more than its mix's share of it), and k is the least ratio among the classes
that saturate in it. A year in which none saturates is run again higher; if none saturates then,
the mix figure is the level offered, a lower bound (``saturated_share`` of the "all" row).

Per-class capacities ("each class saturated on its own" in tables; all classes are saturated at
once) are the classes' throughput under *joint* saturation: where classes share the binding
resource (a rail line carrying containers and wagons), their split of it is set by who keeps
sending, i.e. by the waiting the alternatives allow and the length of the rest of each route, not by what one
class could carry alone. Their sum (``classes_sum_mt``) is not a capacity of any mix: a class's
spare capacity is no use to another's cargo. Limit of the mix figure: where classes share the
binding resource, the mix run's split is the mix's own only up to the margin. Capacity is the corridor's own flows' (``corridor: true``): other traffic sharing its
ships, decks, berths and paths, and the empties going back, take their share at their own demand
and are not saturated. ``CapacityEstimate`` writes and reads its folder (capacity.csv,
headroom.csv, capacity.json).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from ..calendar import Calendar
from ..display import CompactRepr
from ..experiments.execution import (
    Execution,
    Outcome,
    Task,
    default_workers,
    replication_seed,
    session,
    succeeded,
    task,
)
from ..kpi import CAPACITY_KINDS, binding_bottleneck, first_year_at_least
from ..model.cargo import Lot
from ..run import output, runsize
from ..run.results import Figures, Results
from ..run.simulate import run
from ..scenario.labels import resource_label
from ..scenario.pricing import accepted_wait_days
from ..scenario.schema import Scenario, demand_tons
from ..scenario.timeline import timeline
from ..scenario.variants import for_capacity, saturated
from ..stats import mean_ci, rows, share_ci
from .files import check_table, folder_meta, read_table

# The first saturation factor over each year's own demand. assumption: the 2024 corridor's
# capacity was found at 1.1-1.4x its demand (the bisection this replaced); x3 leaves room for
# the years in which capacity grows faster than demand, and the check below catches the rest.
SATURATION_FACTOR = 3.0
ESCALATION = 3.0  # a year found unsaturated is re-run with its factor x3 (x9 after two)
MAX_ESCALATIONS = 2
# The mix run: the year's mix offered at this margin above the level the joint run found, so the
# first class to run out saturates at its own bottleneck while the others take their mix's share
# of what they share with it (assumption: 15% is enough to saturate it and little enough not to
# flood the shared lines); a year in which no class saturates is run again at x1.5 (once).
MIX_MARGIN = 1.15
MIX_ESCALATION = 1.5
# A limit for flows with neither alternatives nor a limit, in capacity mode only: without it their
# backlog would grow by (factor - 1) x demand a year, without bound. The longest waiting any flow
# of the scenario accepts (a limit, or derived from its alternatives), or this where none has one.
# assumption: a month, about what the base's alternatives make containers accept.
FALLBACK_PATIENCE_DAYS = 30.0

TRAJECTORY_COLUMNS = (
    "scenario",
    "year",
    "cargo",
    "unit",
    "replications",
    "capacity_mt",
    "capacity_mt_ci_low",
    "capacity_mt_ci_high",
    "capacity_units",
    "capacity_units_ci_low",
    "capacity_units_ci_high",
    "offered_trend_mt",
    "binding",
    "binding_label",
    "binding_kind",
    "binding_share",
    "saturated_share",
    "binding_class",  # the "all" row: the class whose bottleneck stops the mix
    "measure",  # "mix" (the "all" row) or "class saturated on its own"
    "classes_sum_mt",  # the "all" row: the classes' saturated capacities added (not a capacity of the mix)
)
MIX, ON_ITS_OWN = "mix", "class saturated on its own"
HEADROOM_COLUMNS = (
    "scenario",
    "year",
    "resource",
    "label",
    "kind",
    "utilization",
    "utilization_ci_low",
    "utilization_ci_high",
    "tonnes_mt",
    "capacity_mt",
    "headroom_mt",
)


@dataclass(frozen=True, repr=False)  # the repr is display.CompactRepr's: tables by their size, in full in _repr_html_
class CapacityEstimate(CompactRepr):
    """What ``estimate_capacity`` found: the trajectory (one row per year and cargo, "all" first)
    and the headroom of every resource per year, with how they were obtained."""

    trajectory: pd.DataFrame
    headroom: pd.DataFrame
    scenario: str
    seed: int
    replications: int
    years: tuple[int, ...]  # the years reported
    simulated_years: int  # years simulated in all, every replication and re-run counted
    runs: int  # saturated runs, re-runs included
    factors: dict[int, list[float]] = field(default_factory=dict)  # year -> final factor per replication
    # year -> the capacity of the mix of each replication, Mt/yr (in replication order: paired
    # across estimates of scenarios with the same seed, as common random numbers make them)
    per_replication: dict[int, list[float]] = field(default_factory=dict)
    cpu_s: float | None = None  # in the worker processes' sum where known, else this process
    wall_s: float | None = None
    demand_case: str = "central"
    overrides: dict[str, Any] = field(default_factory=dict)
    goal_mt_per_year: float | None = None
    # what the command cost so far (``execution.Tally.report``; within a plan, the plan's)
    accounting: dict[str, Any] = field(default_factory=dict)

    def first_year_at_goal(self) -> dict[str, int | None]:
        """The first year the total capacity reaches the scenario's goal: by its mean and by each
        end of its 95% CI (None: not in the years measured)."""
        goal = self.goal_mt_per_year
        return {
            b: None if goal is None else first_year_at_least(self.trajectory, goal, bound=b)
            for b in ("mean", "ci_low", "ci_high")
        }

    def meta(self) -> dict[str, Any]:
        """The estimate's metadata (how it was obtained), in capacity.json."""
        return {
            "scenario": self.scenario,
            "seed": self.seed,
            "replications": self.replications,
            "years": list(self.years),
            "simulated_years": self.simulated_years,
            "runs": self.runs,
            "saturation_factors": {str(y): f for y, f in self.factors.items()},
            "cpu_s": None if self.cpu_s is None else round(self.cpu_s, 2),
            "wall_s": None if self.wall_s is None else round(self.wall_s, 2),
            "accounting": self.accounting,
        }

    def write(self, out: str | Path, overwrite: bool = False, figures: Figures | None = None) -> Path:
        """capacity.csv (the trajectory), headroom.csv and capacity.json (how it was obtained, the
        goal and the first year capacity reaches it) in ``out``, under the output contract."""
        meta = {
            **self.meta(),
            "label": self.scenario,
            "demand_case": self.demand_case,
            "overrides": dict(self.overrides),
            "goal_mt_per_year": self.goal_mt_per_year,
            "first_year_at_goal": self.first_year_at_goal(),
        }

        def fill(tmp: Path) -> None:
            self.trajectory.to_csv(tmp / "capacity.csv", index=False)
            self.headroom.to_csv(tmp / "headroom.csv", index=False)
            (tmp / "capacity.json").write_text(json.dumps(meta, indent=2, default=str))
            if figures is not None:
                figures(self, tmp)

        return output.write_folder(out, fill, kind="capacity", overwrite=overwrite)

    @classmethod
    def read(cls, folder: str | Path) -> CapacityEstimate:
        """A capacity folder read back: the trajectory (at least ``CAPACITY_COLUMNS``; a folder of
        an older single-year measurement may lack the others), the headroom where written, and
        capacity.json's settings where there is one (ResultsFolderError if damaged)."""
        folder = Path(folder)
        t = read_table(folder, "capacity.csv", "capacity table", CAPACITY_COLUMNS, "capacity")
        t = t.rename(columns={"demand_mt": "offered_trend_mt"})  # its name before the demand terms (docs/kpis.md)
        h = folder / "headroom.csv"
        head = (
            check_table(h, "headroom table", HEADROOM_COLUMNS) if h.exists() else pd.DataFrame(columns=HEADROOM_COLUMNS)
        )
        # the settings are for reading, not needed: a folder without them (or an older one) still reads
        meta = folder_meta(folder, "simulated_years")
        scenario = str(t.scenario.iloc[0]) if "scenario" in t else str(meta.get("scenario", ""))
        reps = meta.get("replications") or (int(t.replications.max()) if "replications" in t else 0)
        return cls(
            trajectory=t,
            headroom=head,
            scenario=scenario,
            seed=int(meta.get("seed", 0)),
            replications=int(reps),
            years=tuple(int(y) for y in sorted(t.year.unique())),
            simulated_years=int(meta.get("simulated_years", 0)),
            runs=int(meta.get("runs", 0)),
            cpu_s=meta.get("cpu_s"),
            wall_s=meta.get("wall_s"),
            demand_case=str(meta.get("demand_case", "central")),
            overrides=dict(meta.get("overrides") or {}),
            goal_mt_per_year=meta.get("goal_mt_per_year"),
            accounting=dict(meta.get("accounting") or {}),
        )

    @property
    def has_trajectory(self) -> bool:
        """Whether its table is a trajectory (every ``TRAJECTORY_COLUMNS``), not an older single
        year's measurement."""
        return set(TRAJECTORY_COLUMNS) <= set(self.trajectory.columns)


# the columns a capacity table has at the least (a trajectory has every TRAJECTORY_COLUMNS)
CAPACITY_COLUMNS = ("year", "cargo", "capacity_mt", "capacity_mt_ci_low", "capacity_mt_ci_high", "binding")


# ----------------------------------------------------------------------------------------------
# The saturated scenario
# ----------------------------------------------------------------------------------------------
def _years(scenario: Scenario, years) -> list[int]:
    """The years asked: None (the scenario's), a (first, last) tuple, or a list of years."""
    if years is None:
        out = list(range(scenario.start_year, scenario.end_year + 1))
    elif isinstance(years, tuple) and len(years) == 2:
        out = list(range(int(years[0]), int(years[1]) + 1))
    elif isinstance(years, int):
        out = [years]
    else:
        out = sorted({int(y) for y in years})
    if not out:
        raise ValueError(f"years: no year in {years!r}")
    bad = [y for y in out if not scenario.start_year <= y <= scenario.end_year]
    if bad:
        raise ValueError(
            f"years {bad[0]}{'...' if len(bad) > 1 else ''} outside the scenario's years "
            f"{scenario.start_year}-{scenario.end_year} ({scenario.name})"
        )
    return out


def patience_days(s: Scenario) -> float:
    """The limit given in capacity mode to flows with neither alternatives nor a limit
    (FALLBACK_PATIENCE_DAYS's note): the longest waiting a flow of ``s`` accepts."""
    have = [f.max_transit_days for f in s.demand.flows if f.max_transit_days is not None]
    have += [d for f in s.demand.flows if (d := accepted_wait_days(s, f)) is not None]
    return float(max(have)) if have else FALLBACK_PATIENCE_DAYS


# ----------------------------------------------------------------------------------------------
# One saturated run and what it sends back
# ----------------------------------------------------------------------------------------------
OFFERED, DIVERTED, DELIVERED, HELD = 0, 1, 2, 3  # what ``MonthCounts`` counts


class MonthCounts:
    """Per flow, year and month of the statistics period: the tonnes offered, diverted, delivered
    and held at the origin (the saturated source, ``model.demand.flow_process``: held tonnes are
    never offered; they are what the source would have drawn while it held, at its rate, and a
    source that drew them would have turned every one away). The ledger's own accounts are by year; the month split is what the saturation
    check needs, so the estimator subscribes to the ledger for it (``model.cargo.LedgerObserver``)."""

    def __init__(self, cal: Calendar):
        self.cal = cal
        self.months: dict[tuple[str, int, int], list[float]] = {}

    def _count(self, flow: str, t: float, tons: float, what: int, offered: bool = False) -> None:
        if t >= 0:  # the statistics period
            acc = self.months.setdefault((flow, self.cal.year_of(t), self.cal.month_of(t)), [0.0, 0.0, 0.0, 0.0])
            acc[what] += tons
            if offered:  # turned away before it was sent: offered and diverted at once
                acc[OFFERED] += tons

    def generated(self, lot: Lot) -> None:
        self._count(lot.flow, lot.t_generated, lot.tons, OFFERED)

    def diverted(self, flow: str, now: float, tons: float, units: float) -> None:
        self._count(flow, now, tons, DIVERTED, offered=True)

    def held(self, flow: str, t0: float, t1: float, tons: float, tons_per_h: float) -> None:
        """A hold from t0 to t1: the consignment that found the flow closed, then what the source
        would have drawn meanwhile at its rate (a flooded source would have turned all of it away,
        the first one included), split over the months the hold spans."""
        self._count(flow, t0, tons, HELD)
        t = max(t0, 0.0)
        while t < t1:
            nxt = self.cal.next_month_start_h(t)
            end = min(nxt, t1) if nxt > t else t1  # past the calendar's last month start: the rest
            self._count(flow, t, tons_per_h * (end - t), HELD)
            t = end

    def withdrawn(self, lot: Lot, now: float) -> None:
        self._count(lot.flow, now, lot.tons, DIVERTED)  # offered when it was sent

    def delivered(self, lot: Lot, now: float, where: str) -> None:
        self._count(lot.flow, now, lot.tons, DELIVERED)


def _run(s: Scenario, seed: int) -> tuple[Results, dict[tuple[str, int, int], list[float]]]:
    """Run ``s`` (its size was checked for the whole estimate) with its sources saturated: cargo
    that no shipper would send is held at the origin, not generated and diverted (a tonne turned
    away costs a kernel event and the shippers' look at every route; held, nothing until the flow
    moves); count, per flow, year and month, the tonnes offered, diverted, delivered and held."""
    counts = MonthCounts(Calendar(s.start_year, s.end_year))
    res = run(s, seed, allow_large=True, detail=False, observers=[counts], hold_at_origin=True)
    return res, counts.months


def _by_class(months: dict[tuple[str, int, int], list[float]], cargo_of: dict[str, str], monthly: bool) -> dict:
    """The counts summed by cargo class and year (and month, if ``monthly``)."""
    out: dict[tuple, list[float]] = {}
    for (flow, year, month), acc in months.items():
        tot = out.setdefault((cargo_of[flow], year, month) if monthly else (cargo_of[flow], year), [0.0] * 4)
        for i, v in enumerate(acc):
            tot[i] += v
    return out


def _saturated(
    months: dict[tuple[str, int, int], list[float]], cargo_of: dict[str, str]
) -> dict[tuple[str, int], bool]:
    """Per cargo class and year: whether every month in which the class had demand was
    saturated, i.e. the class turned cargo away (held it at the origin, or diverted it) or was
    offered more than it delivered.

    Why this criterion: cargo is turned away only when the cargo already on its route would
    take longer than the shippers' patience at the rate the route has been delivering, i.e. when
    a queue of patience-days of cargo stands in front of it; and a month offered more than it
    delivered ended with more cargo waiting than it began with. Either way the class's bottleneck
    had cargo to take all month (in the steady state of a saturated run both hold; the second
    alone in the weeks after a pause, while the queue refills). A month with neither delivered
    all that came and drew its queue down: capacity may not have been reached, so the year's
    figure may be a lower bound. Months without demand (a pause on the timeline) do not count:
    the year's mix has none. By class, not by flow: a flow of a few consignments a month (Poti's
    boxes) shares its class's queue but is too lumpy to be judged by itself."""
    out: dict[tuple[str, int], bool] = {}
    for (cargo, year, _), (offered, lost, carried, held) in _by_class(months, cargo_of, True).items():
        if offered + held > 0:
            out[(cargo, year)] = out.get((cargo, year), True) and (lost + held > 0 or offered > carried)
    return out


def _saturated_in_year(
    months: dict[tuple[str, int, int], list[float]], cargo_of: dict[str, str]
) -> dict[tuple[str, int], bool]:
    """Per cargo class and year: whether the class turned away (held or diverted) more than 1% of
    what it wanted to send (offered + held) or was offered more than 1% over what it delivered,
    over the year. The mix run's test: offered only a little above the mix's capacity, a class at
    its bottleneck can deliver all that came in a month by chance (its lots are lumpy), so the
    month-by-month test of the joint run would miss it."""
    return {
        k: (lost + held > 0.01 * (offered + held) or offered > 1.01 * carried)
        for k, (offered, lost, carried, held) in _by_class(months, cargo_of, False).items()
        if offered + held > 0
    }


def _class_wheres(s: Scenario, cargo: str) -> set[str]:
    """The links, lines and ports on the routes of a cargo class (resources' ``where``)."""
    links = {(l.from_node, l.to_node): l.id for l in s.rail_links}
    lines = s.sea_legs()
    sinks = {p.id for p in s.ports for t in p.terminals if t.cargo == cargo and t.onward_by_sea is not None}
    out: set[str] = set()
    for f in s.demand.flows:
        if f.cargo != cargo:
            continue
        for r in f.routes:
            if r.path[-1] in sinks:  # a port it leaves by sea (Poti): its berths, tracks and yard
                out.add(r.path[-1])
            for a, b in zip(r.path, r.path[1:]):
                if (a, b) in links:
                    out.add(links[(a, b)])
                elif (a, b, cargo) in lines:
                    out |= {lines[(a, b, cargo)].id, a, b}
    return out


def _of_class(resources: pd.DataFrame, wheres: set[str], cargo: str) -> pd.DataFrame:
    """The resources a class passes: its links and lines, and its own terminals at its ports."""
    name = resources.resource.astype(str)
    port_kind = resources.kind.isin(["berth", "rail_track", "yard"])
    own = ~port_kind | (name.str.split(":").str[1] == cargo)
    return resources[resources["where"].isin(list(wheres)) & own]


def _tonnes(res: Results, year: int) -> dict[str, tuple[float, float]]:
    """Per resource in ``year``: (corridor tonnes through it, the share of its utilization that is
    corridor traffic). Rail paths and crossings: the tonnes entering the link; a fleet: its line's
    tonnes; a port's berths, tracks and yard: the tonnes its lines of that cargo load or land there
    (onward ships at a sink port included). Rail paths also carry background trains: the
    corridor's share of their use is its share of the trains granted a path; berths carry
    non-corridor calls: the corridor's share is what their busy time leaves."""
    r = res.resources[res.resources.year == year]
    ly = res.links[res.links.year == year]
    links = {str(k): (float(t), float(n)) for k, t, n in zip(ly.link, ly.tons, ly.corridor_trains)}
    lines = res.lines[res.lines.year == year]
    out: dict[str, tuple[float, float]] = {}
    for row in rows(r):
        name, kind, where = str(row.resource), str(row.kind), str(row.where)
        share = 1.0
        if kind in ("rail_path", "crossing") and where in links:
            tons, trains = links[where]
            entries = float(row.entries)
            if kind == "rail_path" and entries > 0:
                share = trains / entries
        elif kind == "fleet":
            tons = float(lines.loc[lines.line == where, "tons"].sum())
        elif kind in ("berth", "rail_track", "yard"):
            cargo = name.split(":")[1]
            at = lines[(lines.cargo == cargo) & ((lines.from_port == where) | (lines.to_port == where))]
            tons = float(at.tons.sum())
            background = float(row.background_share)
            if kind == "berth" and background == background:  # not nan
                share = 1.0 - background
        else:
            continue
        out[name] = (tons, share)
    return out


def _summarize(
    s: Scenario, res: Results, months, years: Sequence[int], cargos: Sequence[str], strict: bool = True
) -> dict:
    """What the parent reads of one saturated run (not its tables); ``strict``: saturation is
    judged month by month (``_saturated``), else over the year (``_saturated_in_year``)."""
    corridor: dict[str, str] = {f.id: f.cargo for f in s.demand.flows if f.corridor}
    a = res.annual[res.annual.flow.isin(list(corridor))]
    judge = _saturated if strict else _saturated_in_year
    sat = judge({k: v for k, v in months.items() if k[0] in corridor}, corridor)
    wheres = {c: _class_wheres(s, c) for c in cargos}
    threshold = s.output.bottleneck_threshold
    out: dict[str, Any] = {"years": {}}
    for y in years:
        ay = a[a.year == y]
        ry = res.resources[res.resources.year == y]
        classes = {}
        for c in cargos:
            ac = ay[ay.cargo == c]
            classes[c] = {
                "tons": float(ac.tons_delivered.sum()),
                "units": float(ac.units_delivered.sum()),
                # a class without demand in the year has no capacity in its mix: nothing to check
                "saturated": sat.get((c, y)),
                "binding": binding_bottleneck(_of_class(ry, wheres[c], c), threshold),
            }
        known = [v["saturated"] for v in classes.values() if v["saturated"] is not None]
        util = dict(zip(ry.resource.astype(str), ry.utilization.astype(float)))
        kinds = dict(zip(ry.resource.astype(str), ry.kind.astype(str)))
        out["years"][y] = {
            "tons": float(ay.tons_delivered.sum()),
            "saturated": all(known) if known else None,
            "binding": binding_bottleneck(ry, threshold),
            "classes": classes,
            "resources": {
                k: {"utilization": util[k], "kind": kinds[k], "tonnes": t, "corridor_share": sh}
                for k, (t, sh) in _tonnes(res, y).items()
                if kinds.get(k) in CAPACITY_KINDS
            },
        }
    return out


@task
def saturated_task(
    factors: dict[int, float], patience_d: float, escalations: int, report: tuple[int, ...], t: Task
) -> dict:
    """One replication: the saturated run, re-run with a higher factor in the years it did not
    saturate (at most ``escalations`` times), summarized (``t.scenario``: a ``for_capacity``
    scenario)."""
    cpu0 = time.process_time()
    facs = dict(factors)
    cargos = sorted({f.cargo for f in t.scenario.demand.flows if f.corridor})
    runs = 0
    while True:
        s = saturated(t.scenario, facs, patience_d)
        res, months = _run(s, t.seed)
        runs += 1
        got = _summarize(s, res, months, report, cargos)
        short = [y for y in report if got["years"][y]["saturated"] is False]
        if not short or runs > escalations:
            break
        for y in short:
            facs[y] *= ESCALATION
    more, sim = _mix_run(t, got, facs, patience_d, report, cargos)
    runs += more
    got.update(
        factors=facs,
        runs=runs,
        simulated_years=runs * (t.scenario.end_year - t.scenario.start_year + 1),
        cpu_s=time.process_time() - cpu0,
    )
    return got


def _mix_run(t: Task, got: dict, facs: dict[int, float], patience_d: float, report, cargos) -> tuple[int, int]:
    """The mix run(s) of one replication (module docstring): per year, the mix's capacity, the
    class that stops it and its binding resource, into ``got["years"][y]["mix"]``; the runs made."""
    base = t.scenario
    fixed = [c for c, k in base.cargo_classes.items() if k.in_mix == "at_demand"]
    demand = {y: demand_by_class(base, y) for y in report}
    k0: dict[int, float] = {}
    for y in report:
        tons = {c: v["tons"] for c, v in got["years"][y]["classes"].items()}
        scaled = {c: tons.get(c, 0.0) / d for c, d in demand[y].items() if d > 0 and c not in fixed}
        # one class scaling alone: the joint run is the mix's own (nothing shares with it)
        if len(scaled) > 1:
            k0[y] = min(scaled.values())
    todo = [y for y in report if k0.get(y, 0.0) > 0]
    margin = {y: MIX_MARGIN for y in todo}
    runs = 0
    while todo and runs < 2:
        mix_f = {y: float(facs[y]) for y in facs}
        for y in todo:
            mix_f[y] = k0[y] * margin[y]
        s = saturated(base, mix_f, patience_d)
        res, months = _run(s, t.seed)
        runs += 1
        got2 = _summarize(s, res, months, report, cargos, strict=False)
        again = []
        for y in todo:
            classes = got2["years"][y]["classes"]
            ratios = {
                c: v["tons"] / demand[y][c]
                for c, v in classes.items()
                if demand[y].get(c, 0.0) > 0 and c not in fixed and v["saturated"]
            }
            held = sum(
                min(got["years"][y]["classes"][c]["tons"], d) for c, d in demand[y].items() if d > 0 and c in fixed
            )
            d_scaled = sum(d for c, d in demand[y].items() if d > 0 and c not in fixed)
            if ratios:
                first = min(ratios, key=lambda c: (ratios[c], c))
                k = min(ratios[first], k0[y] * margin[y])
                got["years"][y]["mix"] = (k * d_scaled + held, first, classes[first]["binding"], True)
            elif runs < 2:
                again.append(y)
                margin[y] *= MIX_ESCALATION
            else:  # the mix offered was carried: its level is a lower bound
                carried, first = mix_capacity({c: v["tons"] for c, v in classes.items()}, demand[y], fixed)
                binding = classes[first]["binding"] if first else got2["years"][y]["binding"]
                got["years"][y]["mix"] = (carried, first, binding, False)
        todo = again
    return runs, runs


# ----------------------------------------------------------------------------------------------
# The estimate over replications
# ----------------------------------------------------------------------------------------------
def demand_by_class(s: Scenario, year: int) -> dict[str, float]:
    """The scenario's own trend demand in ``year`` by cargo class, t: each flow's path under the
    demand case, scale and demand factor in force, weighted by the share of the year each
    timeline state holds; before any response to tariffs and time (as capacity is measured)."""
    out: dict[str, float] = {}
    for share, st in timeline(s).year_shares(year):
        for f in st.demand.flows:
            if not f.corridor:  # other traffic is not the corridor's demand
                continue
            out[f.cargo] = out.get(f.cargo, 0.0) + share * demand_tons(f, st.demand, year)
    return out


def estimate_capacity(
    scenario: Scenario,
    years: tuple[int, int] | Iterable[int] | int | None = None,
    replications: int = 5,
    seed: int = 1,
    by_cargo: bool = True,
    execution: Execution | None = None,
    saturation_factor: float = SATURATION_FACTOR,
    max_escalations: int = MAX_ESCALATIONS,
    **options,
) -> CapacityEstimate:
    """Sustainable capacity of ``scenario`` in each of ``years`` (None: the scenario's; a
    (first, last) tuple; or a list), total and per cargo class, with the binding resource and each
    resource's headroom: one saturated run per replication over the years, as the module
    docstring explains. ``by_cargo=False`` keeps only the "all" rows (the run is the same).
    ``saturation_factor``: the first factor over each year's demand; ``max_escalations``: how
    many times a year found unsaturated is re-run with a factor ``ESCALATION`` times higher."""
    with session(Execution.of(execution, **options)) as ex:
        return estimate_capacities(
            [scenario], years, replications, seed, by_cargo, ex, saturation_factor, max_escalations
        )[0]


@dataclass(frozen=True)
class _Saturation:
    """What a scenario's saturated runs need besides the task: the first factors, the patience
    given to flows without one, the escalations allowed and the years reported."""

    factors: dict[int, float]
    patience_d: float
    escalations: int
    report: tuple[int, ...]


def _saturated_of(how: dict[str, _Saturation], t: Task) -> Outcome[dict]:
    """``saturated_task`` with the settings of the task's scenario (``t.variant``)."""
    h = how[t.variant]
    return saturated_task(h.factors, h.patience_d, h.escalations, h.report, t)


def estimate_capacities(
    scenarios: Sequence[Scenario],
    years: tuple[int, int] | Iterable[int] | int | None = None,
    replications: int = 5,
    seed: int = 1,
    by_cargo: bool = True,
    execution: Execution | None = None,
    saturation_factor: float = SATURATION_FACTOR,
    max_escalations: int = MAX_ESCALATIONS,
    years_each: Sequence[tuple[int, int] | Iterable[int] | int | None] | None = None,
) -> list[CapacityEstimate]:
    """``estimate_capacity`` of several scenarios, their replications all in one batch (one wave
    of the command: a plan's round of candidates), each on the same seeds; in their order.
    ``years_each``, if given, holds each scenario's own years instead of ``years`` (a plan's
    goal year and its trajectory, in one wave)."""
    ex = execution or Execution()
    if replications < 1:
        raise ValueError(f"replications must be at least 1, got {replications}")
    if not saturation_factor > 0:
        raise ValueError(f"saturation_factor must be positive, got {saturation_factor}")
    how: dict[str, _Saturation] = {}
    bases: list[Scenario] = []
    tasks: list[Task] = []
    top = saturation_factor * ESCALATION**max_escalations
    workers = ex.workers or default_workers()
    at_once = 1 if (ex.scheduler or workers <= 1) else min(workers, replications * len(scenarios))
    seconds: list[float] = []
    if years_each is not None and len(years_each) != len(scenarios):
        raise ValueError(f"years_each holds {len(years_each)} entries for {len(scenarios)} scenarios")
    for k, scenario in enumerate(scenarios):
        report = _years(scenario, years if years_each is None else years_each[k])
        base = for_capacity(scenario, report[0], report[-1])
        factors = {y: float(saturation_factor) for y in range(base.start_year, base.end_year + 1)}
        patience_d = patience_days(base)
        # one check of the largest run this may make: every year at the highest factor (the estimate
        # counts every consignment as waiting; patience diverts most of them, so it is an upper bound)
        highest = saturated(base, dict.fromkeys(factors, top), patience_d)
        runsize.check(
            highest, allow_large=ex.allow_large, what=f"the saturated capacity run (demand x{top:g})", detail=False
        )
        # each replication makes at least one run at the highest factor or below it: their time in all
        seconds += [runsize.estimate(highest, detail=False).seconds] * replications
        variant = f"capacity {k}"
        how[variant] = _Saturation(factors, patience_d, max_escalations, tuple(report))
        bases.append(base)
        tasks += [Task(base, replication_seed(seed, r), r, variant=variant) for r in range(replications)]
    what = f"the capacity runs ({replications:,} replications" + (
        f" of {len(scenarios)} scenarios)" if len(scenarios) > 1 else ")"
    )
    runsize.check_batch(seconds, at_once, ex.allow_large, what)
    t0, cpu0 = time.perf_counter(), time.process_time()
    got_of: dict[str, list] = {v: [None] * replications for v in how}
    for o in succeeded(tasks, replace(ex, allow_large=True), partial(_saturated_of, how), "capacity run"):
        got_of[o.task.variant][o.task.replication] = o.result  # in replication order, whatever order they finished in
    wall = time.perf_counter() - t0
    out = []
    for k, (scenario, base) in enumerate(zip(scenarios, bases)):
        got = [g for g in got_of[f"capacity {k}"] if g is not None]
        report = list(how[f"capacity {k}"].report)
        worker_cpu = sum(g["cpu_s"] for g in got)
        cpu = max(worker_cpu, (time.process_time() - cpu0) / len(scenarios))
        cargos = sorted({f.cargo for f in base.demand.flows if f.corridor}) if by_cargo else []
        mixes = {y: [mix_of(base, g["years"][y], demand_by_class(base, y)) for g in got] for y in report}
        out.append(
            CapacityEstimate(
                trajectory=_trajectory(scenario, base, report, cargos, got, mixes),
                headroom=_headroom(scenario, base, report, got),
                scenario=scenario.label,
                seed=seed,
                replications=replications,
                years=tuple(report),
                simulated_years=sum(g["simulated_years"] for g in got),
                runs=sum(g["runs"] for g in got),
                factors={y: [float(g["factors"][y]) for g in got] for y in report},
                per_replication={y: [m[0] / 1e6 for m in mixes[y]] for y in report},
                cpu_s=cpu,
                wall_s=wall,
                demand_case=scenario.demand_case,
                overrides=dict(scenario.overrides),
                goal_mt_per_year=scenario.goal_mt_per_year,
                accounting=ex.tally.report() if ex.tally is not None else {},
            )
        )
    return out


def _binding(s: Scenario, picks: list[dict]) -> dict[str, Any]:
    """The resource named most often over replications, with its share."""
    picks = [p for p in picks if p]
    names = pd.Series([p["resource"] for p in picks if p.get("resource")], dtype=object)
    if names.empty:
        return {"binding": None, "binding_label": None, "binding_kind": None, "binding_share": None}
    counts = names.value_counts()
    top = str(counts.index[0])
    kind = next(p["kind"] for p in picks if p.get("resource") == top)
    return {
        "binding": top,
        "binding_label": resource_label(s, top),
        "binding_kind": kind,
        "binding_share": float(counts.iloc[0] / len(picks)),
    }


def mix_capacity(
    tons: dict[str, float], demand_t: dict[str, float], at_demand: Iterable[str] = ()
) -> tuple[float, str | None]:
    """The capacity of the year's mix, t, and the class that stops it (module docstring): the
    classes that scale with the mix grow by k = min(capacity / demand) over those with demand,
    the ``at_demand`` classes count at min(capacity, demand). (0, None) without demand.

    >>> mix_capacity({"box": 3.0, "oil": 2.0}, {"box": 1.0, "oil": 1.0})
    (4.0, 'oil')
    >>> mix_capacity({"box": 3.0, "oil": 5.0}, {"box": 1.0, "oil": 2.0}, at_demand=["oil"])
    (5.0, 'box')
    """
    fixed = set(at_demand)
    ratios = {c: tons.get(c, 0.0) / d for c, d in demand_t.items() if d > 0 and c not in fixed}
    held = sum(min(tons.get(c, 0.0), d) for c, d in demand_t.items() if d > 0 and c in fixed)
    if ratios:
        first = min(ratios, key=lambda c: (ratios[c], c))
        return ratios[first] * sum(demand_t[c] for c in ratios) + held, first
    short = {c: tons.get(c, 0.0) / d for c, d in demand_t.items() if d > 0 and c in fixed}
    return held, (min(short, key=lambda c: (short[c], c)) if short else None)


def mix_of(s: Scenario, year: dict, demand_t: dict[str, float]) -> tuple[float, str | None]:
    """The mix's capacity of one replication's year and the class that stops it: the mix run's
    (``_mix_run``), or where there was none ``mix_capacity`` of the joint run, with the
    scenario's classes counted at their demand."""
    if "mix" in year:
        return year["mix"][0], year["mix"][1]
    fixed = [c for c, k in s.cargo_classes.items() if k.in_mix == "at_demand"]
    return mix_capacity({c: v["tons"] for c, v in year["classes"].items()}, demand_t, fixed)


def _first_to_bind(year: dict, demand_t: dict[str, float], at_demand: Iterable[str] = ()) -> dict:
    """What binds the mix: as demand grows in the year's mix, the class with the least capacity
    per tonne of its demand runs out first, and its own binding resource is what stops the mix
    growing. (Under joint saturation every class's own bottleneck is busy, so the resource where
    cargo waits longest, the rule for one run, would name whichever fleet has the longest queue,
    not what a planner must build first.)"""
    _, first = mix_capacity({c: v["tons"] for c, v in year["classes"].items()}, demand_t, at_demand)
    return year["binding"] if first is None else year["classes"][first]["binding"]


def _share(flags: list[bool | None]) -> float | None:
    known = [f for f in flags if f is not None]
    return float(sum(known) / len(known)) if known else None


def _trajectory(scenario: Scenario, base: Scenario, years, cargos, got: list[dict], mixes: dict) -> pd.DataFrame:
    rows = []
    fixed = [c for c, k in base.cargo_classes.items() if k.in_mix == "at_demand"]
    for y in years:
        demand = demand_by_class(base, y)
        ys = [g["years"][y] for g in got]
        mt = mean_ci([m[0] / 1e6 for m in mixes[y]])
        firsts = pd.Series([m[1] for m in mixes[y] if m[1] is not None], dtype=object)
        rows.append(
            {
                "scenario": scenario.label,
                "year": y,
                "cargo": "all",
                "unit": None,
                "replications": len(ys),
                "capacity_mt": mt["mean"],
                "capacity_mt_ci_low": mt["ci_low"],
                "capacity_mt_ci_high": mt["ci_high"],
                "capacity_units": None,
                "capacity_units_ci_low": None,
                "capacity_units_ci_high": None,
                "offered_trend_mt": sum(demand.values()) / 1e6,
                **_binding(base, [v["mix"][2] if "mix" in v else _first_to_bind(v, demand, fixed) for v in ys]),
                "saturated_share": _share([v["mix"][3] if "mix" in v else v["saturated"] for v in ys]),
                "binding_class": str(firsts.value_counts().index[0]) if len(firsts) else None,
                "measure": MIX,
                "classes_sum_mt": mean_ci([v["tons"] / 1e6 for v in ys])["mean"],
            }
        )
        for c in cargos:
            cs_ = [v["classes"][c] for v in ys]
            mt = mean_ci([v["tons"] / 1e6 for v in cs_])
            units = mean_ci([v["units"] for v in cs_])
            rows.append(
                {
                    "scenario": scenario.label,
                    "year": y,
                    "cargo": c,
                    "unit": base.cargo_classes[c].unit,
                    "replications": len(cs_),
                    "capacity_mt": mt["mean"],
                    "capacity_mt_ci_low": mt["ci_low"],
                    "capacity_mt_ci_high": mt["ci_high"],
                    "capacity_units": units["mean"],
                    "capacity_units_ci_low": units["ci_low"],
                    "capacity_units_ci_high": units["ci_high"],
                    "offered_trend_mt": demand.get(c, 0.0) / 1e6,
                    **_binding(base, [v["binding"] for v in cs_]),
                    "saturated_share": _share([v["saturated"] for v in cs_]),
                    "binding_class": c,
                    "measure": ON_ITS_OWN,
                    "classes_sum_mt": None,
                }
            )
    return pd.DataFrame(rows, columns=list(TRAJECTORY_COLUMNS))


def _headroom(scenario: Scenario, base: Scenario, years, got: list[dict]) -> pd.DataFrame:
    """Per year and resource: utilization in the saturated runs, the corridor tonnes through it,
    and what it could carry at full use: capacity = tonnes + tonnes x (1 - utilization) /
    (corridor share of utilization), i.e. its free time filled with corridor traffic of the year's
    average load (for all but rail paths, the corridor share is the whole: tonnes / utilization).
    A yard's utilization is its mean fill, a level and not a share of throughput: no capacity."""
    rows = []
    for y in years:
        names = list(dict.fromkeys(k for g in got for k in g["years"][y]["resources"]))
        for name in names:
            per = [g["years"][y]["resources"][name] for g in got if name in g["years"][y]["resources"]]
            u = share_ci([p["utilization"] for p in per])
            tonnes = mean_ci([p["tonnes"] / 1e6 for p in per])["mean"]
            share = mean_ci([p["corridor_share"] for p in per])["mean"]
            kind = per[0]["kind"]
            cap = None
            if kind != "yard" and u["mean"] and tonnes is not None and share:
                corridor_u = u["mean"] * share
                cap = tonnes + tonnes * max(1.0 - u["mean"], 0.0) / corridor_u if corridor_u > 0 else None
            rows.append(
                {
                    "scenario": scenario.label,
                    "year": y,
                    "resource": name,
                    "label": resource_label(base, name),
                    "kind": kind,
                    "utilization": u["mean"],
                    "utilization_ci_low": u["ci_low"],
                    "utilization_ci_high": u["ci_high"],
                    "tonnes_mt": tonnes,
                    "capacity_mt": cap,
                    "headroom_mt": None if cap is None or tonnes is None else cap - tonnes,
                }
            )
    t = pd.DataFrame(rows, columns=list(HEADROOM_COLUMNS))
    return t.sort_values(["year", "headroom_mt"], na_position="last", kind="stable").reset_index(drop=True)


def capacity_trajectory(
    scenario: Scenario,
    years: tuple[int, int] | Iterable[int] | int | None = None,
    replications: int = 5,
    seed: int = 1,
    by_cargo: bool = True,
    execution: Execution | None = None,
    **options,
) -> pd.DataFrame:
    """``estimate_capacity(...).trajectory``: one row per year and cargo class ("all" first)."""
    return estimate_capacity(scenario, years, replications, seed, by_cargo, execution, **options).trajectory
