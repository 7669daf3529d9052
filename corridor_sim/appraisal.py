"""What measures cost and what they buy: appraisal of costed timeline entries, and the cheapest
plan of candidate measures that reaches a capacity goal.

**Appraisal** (``appraise``). Each timeline entry with ``capex_musd`` is a measure. It is measured
against the scenario without it, on common random numbers (the same replication seeds), so the
differences are paired and their confidence intervals narrow. For each replication and year:

- capacity (``corridor_sim.capacity``, what the corridor could carry: capacity) and tonnes
  delivered under the scenario's demand (demand), added by the measure;
- days saved (tonne-weighted door-to-door transit), shipper cost saved, CO2e;
- cost-effectiveness: US$ of capex per tonne a year of added capacity; NPV and benefit-cost ratio.

The benefits counted, and why only these: the shippers' generalized cost (charges + time at the
flow's value of time) by the rule of a half, 1/2 x (cost per tonne without - with) x (tonnes
without + with), per flow and year, which counts the saving on cargo that came anyway in full and
on cargo the measure brought in by half (the standard consumer-surplus measure of transport
appraisal); and the change in CO2e per tonne carried, valued at ``costs.carbon_price_usd_per_t``.
Charges are transfers between shippers and operators and are not a resource cost: a measure that
moves the route mix changes what shippers pay, which the rule of a half counts, but operators'
revenue is not added on top. Not counted: operators' surplus, wider economic benefits, the
emissions of cargo that moves to or from other routes. Benefits of years after the simulated ones
are held at the last simulated year's value up to ``costs.appraisal_years`` from the measure's
date; every amount is discounted to 1 January of the scenario's first year.

**Plan** (``plan``). Given candidate measures (cost, earliest start, lead time, what each changes),
a goal in Mt/yr of capacity and a year, find the cheapest set that gives capacity >= goal in that
year in at least ``confidence`` of the replications, within a budget. The search:

1. Greedy by marginal capacity per dollar: from the scenario, each round estimates the goal year's
   capacity with each remaining candidate added (in service on 1 January of the goal year, or on
   its earliest date if later: a candidate not in service by then cannot count) and takes the
   one with the most added capacity per US$ of capex; until the goal is met (screening
   replications) or nothing adds capacity or the budget is spent. This is the bottleneck ranking
   of ``corridor-sim bottlenecks`` restricted to buildable, costed measures and divided by cost.
2. Pruning: each chosen measure, most expensive first, is dropped if the goal is met without it
   (greedy can pick a measure that a later one made redundant).
3. Verification on fresh replications (other seeds): the plan's capacity in the goal year, the
   share of replications at or above the goal, and its trajectory over every year with its CI.

Timing: each measure enters service on 1 January of the goal year (its earliest date if later),
the latest date that still counts for the goal: building later is cheaper in present value.
The frontier (``frontier``) runs the search for each goal year in a range: the cost against the
year the goal is reached. Limits: greedy finds the optimum when measures act on separate
bottlenecks or one binding resource at a time; where two resources bind together (neither alone
adds capacity) it stops, and says so in the rejected candidates' reasons.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from .analysis import _outcomes
from .capacity import estimate_capacity
from .experiment import Execution, Outcome, Task, replication_seed
from .loading import validate_dict
from .scenario import Candidate, Intervention, Scenario
from .simulate import run
from .stats import mean_ci

# Screening and verification seeds differ by this offset: verification runs on replications the
# search never saw (the plan is not chosen on the noise it is judged by).
VERIFY_SEED_OFFSET = 1_000_003
# A candidate adds capacity when the mean over the screening replications rises by more than this,
# Mt/yr. assumption: ~0.2% of the corridor's ~6 Mt, well below one vessel's or one train path's
# tonnes; what common random numbers leave of noise between two runs of the same capacity.
MIN_GAIN_MT = 0.01


# ----------------------------------------------------------------------------------------------
# Scenarios with and without measures
# ----------------------------------------------------------------------------------------------
def costed(s: Scenario) -> list[Intervention]:
    """The scenario's measures: timeline entries that carry capex_musd, in date order."""
    return sorted((iv for iv in s.timeline if iv.capex_musd is not None), key=lambda iv: (iv.date, iv.id))


def without(s: Scenario, ids: Iterable[str]) -> Scenario:
    """``s`` with the timeline entries ``ids`` removed (validated; the name says what is missing)."""
    drop = set(ids)
    raw = s.model_dump(mode="python", by_alias=True)
    raw["timeline"] = [iv for iv in raw.get("timeline", []) if iv["id"] not in drop]
    return validate_dict(raw, f"{s.name} without {', '.join(sorted(drop))}", check_dates=False)


def with_entries(s: Scenario, entries: Sequence[Intervention], name: str | None = None) -> Scenario:
    """``s`` with timeline entries added (replacing entries of the same id)."""
    raw = s.model_dump(mode="python", by_alias=True)
    ids = {e.id for e in entries}
    raw["timeline"] = [iv for iv in raw.get("timeline", []) if iv["id"] not in ids] + [
        e.model_dump(mode="python") for e in entries
    ]
    if name is not None:
        raw["name"] = name
    return validate_dict(raw, f"{s.name} with {', '.join(sorted(ids)) or 'nothing'}", check_dates=False)


# ----------------------------------------------------------------------------------------------
# What one run delivered, cost and emitted, per year and flow
# ----------------------------------------------------------------------------------------------
def money_of(res) -> dict[int, dict[str, dict[str, float]]]:
    """Per year and flow of one run: tonnes delivered, tonne-days, charges, time cost and CO2e
    (sums over routes of the ``routes`` table)."""
    out: dict[int, dict[str, dict[str, float]]] = {}
    r = res.routes
    if r.empty:
        return out
    r = r.assign(tonne_days=r.tons_delivered * r.transit_days_mean)
    sums = r.groupby(["year", "flow"])[["tons_delivered", "tonne_days", "charges_usd", "time_cost_usd", "co2e_kg"]].sum(
        min_count=1
    )
    for (y, f), row in sums.iterrows():
        out.setdefault(int(y), {})[str(f)] = {k: float(v) for k, v in row.items()}
    return out


def money_task(task: Task) -> Outcome[dict]:
    """Run a task and send back only ``money_of`` its results."""
    try:
        return Outcome(task, money_of(run(task.scenario, seed=task.seed, allow_large=True, detail=False)))
    except Exception as exc:
        return Outcome(task, None, f"{type(exc).__name__}: {exc}")


def _runs(variants: dict[str, Scenario], replications: int, seed: int, ex: Execution) -> dict[str, list[dict]]:
    """Every variant's replications with the same seeds, in one batch; per variant, in replication order."""
    tasks = [
        Task(s, replication_seed(seed, r), r, variant=key) for key, s in variants.items() for r in range(replications)
    ]
    got: dict[str, dict[int, dict]] = {k: {} for k in variants}
    for o in _outcomes(tasks, ex, money_task, "appraisal run"):
        got[o.task.variant][o.task.replication] = o.result
    return {k: [v[r] for r in range(replications)] for k, v in got.items()}


# ----------------------------------------------------------------------------------------------
# Appraisal
# ----------------------------------------------------------------------------------------------
APPRAISAL_COLUMNS = (
    "measure",
    "description",
    "date",
    "capex_musd",
    "opex_musd_per_year",
    "years_counted",
    *(
        f"{m}{s}"
        for m in (
            "capacity_added_mt",
            "delivered_added_mt",
            "days_saved",
            "shipper_benefit_musd_per_year",
            "co2e_change_kt_per_year",
            "usd_per_t_capacity",
            "npv_musd",
            "bcr",
        )
        for s in ("", "_ci_low", "_ci_high")
    ),
    "note",
)


@dataclass(frozen=True)
class Appraisal:
    """``appraise``'s result: one row per measure (``table``), the per-year differences behind it
    (``by_year``), and how it was obtained."""

    table: pd.DataFrame
    by_year: pd.DataFrame
    scenario: str
    seed: int
    replications: int
    discount_rate_pct: float
    carbon_price_usd_per_t: float
    appraisal_years: int
    simulated_years: int
    cpu_s: float
    wall_s: float
    benefits: str = field(
        default="shippers' generalized cost (charges + time) by the rule of a half; CO2e per tonne at the "
        "carbon price. Not counted: operators' surplus, wider economic benefits, emissions of cargo moving "
        "to or from other routes."
    )

    def meta(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "seed": self.seed,
            "replications": self.replications,
            "discount_rate_pct": self.discount_rate_pct,
            "carbon_price_usd_per_t": self.carbon_price_usd_per_t,
            "appraisal_years": self.appraisal_years,
            "simulated_years": self.simulated_years,
            "cpu_s": round(self.cpu_s, 2),
            "wall_s": round(self.wall_s, 2),
            "benefits": self.benefits,
        }


def first_full_year(date: dt.date) -> int:
    """The first calendar year a measure dated ``date`` is in force all year."""
    return date.year if (date.month, date.day) == (1, 1) else date.year + 1


def _year_value(money: dict, year: int) -> tuple[float, float, float, dict[str, tuple[float, float]]]:
    """Tonnes, tonne-days and CO2e kg of a run's year, and per flow (tonnes, generalized cost US$)."""
    flows = money.get(year, {})
    tons = sum(v["tons_delivered"] for v in flows.values())
    tdays = sum(v["tonne_days"] for v in flows.values())
    co2 = sum(v["co2e_kg"] for v in flows.values())
    per = {f: (v["tons_delivered"], v["charges_usd"] + v["time_cost_usd"]) for f, v in flows.items()}
    return tons, tdays, co2, per


def rule_of_half_usd(with_: dict[str, tuple[float, float]], without_: dict[str, tuple[float, float]]) -> float:
    """Shippers' benefit of a change, US$: per flow 1/2 (c0 - c1)(T0 + T1), c = generalized cost
    per tonne, T = tonnes (0 = without, 1 = with). Flows with no tonnes on one side count by the
    other side's cost (no saving on them: rule of a half needs a cost on both sides).

    >>> rule_of_half_usd({"f": (120.0, 120.0 * 90)}, {"f": (100.0, 100.0 * 100)})  # 1/2 x 10 x 220
    1100.0
    """
    out = 0.0
    for f in set(with_) | set(without_):
        t1, c1 = with_.get(f, (0.0, 0.0))
        t0, c0 = without_.get(f, (0.0, 0.0))
        if t1 > 0 and t0 > 0 and math.isfinite(c1) and math.isfinite(c0):
            out += 0.5 * (c0 / t0 - c1 / t1) * (t0 + t1)
    return out


def present_value(flows_by_year: dict[int, float], rate_pct: float, base_year: int) -> float:
    """Sum of amounts by year discounted to 1 January of ``base_year`` (amounts at mid-year).

    >>> round(present_value({2024: 100.0, 2025: 100.0}, 10.0, 2024), 2)
    182.02
    """
    r = rate_pct / 100.0
    return float(sum(v / (1.0 + r) ** (y - base_year + 0.5) for y, v in flows_by_year.items()))


def _npv(
    m: Intervention, benefits: dict[int, float], last_sim: int, years_n: int, rate: float, base_year: int
) -> tuple[float, float]:
    """NPV (US$) and benefit-cost ratio of a measure from its simulated yearly benefits (US$)."""
    first = first_full_year(m.date)
    span = range(first, first + years_n)
    ben = {y: benefits.get(y, benefits.get(last_sim, 0.0)) if y > last_sim else benefits.get(y, 0.0) for y in span}
    cost = {m.date.year: (m.capex_musd or 0.0) * 1e6}
    for y in range(m.date.year, m.date.year + years_n):
        cost[y] = cost.get(y, 0.0) + m.opex_musd_per_year * 1e6
    pv_b, pv_c = present_value(ben, rate, base_year), present_value(cost, rate, base_year)
    return pv_b - pv_c, (pv_b / pv_c if pv_c > 0 else math.nan)


def appraise(
    scenario: Scenario,
    replications: int = 5,
    seed: int = 1,
    measures: Sequence[str] | None = None,
    discount_rate_pct: float | None = None,
    execution: Execution | None = None,
    **options,
) -> Appraisal:
    """Appraise the scenario's costed timeline entries (or ``measures``, by id), each against
    the scenario without it, on common random numbers. See the module docstring."""
    ex = Execution.of(execution, **options)
    if replications < 2:
        raise ValueError(f"an appraisal needs at least 2 replications for its intervals, got {replications}")
    ms = costed(scenario)
    if measures:
        unknown = sorted(set(measures) - {m.id for m in ms})
        if unknown:
            have = ", ".join(m.id for m in ms) or "none"
            raise ValueError(f"no costed timeline entry named {', '.join(unknown)} (costed entries: {have})")
        ms = [m for m in ms if m.id in set(measures)]
    if not ms:
        raise ValueError(
            f"scenario '{scenario.name}' has no timeline entry with capex_musd: nothing to appraise "
            "(add capex_musd and opex_musd_per_year to the measures' timeline entries)"
        )
    if all(first_full_year(m.date) > scenario.end_year for m in ms):
        raise ValueError(
            f"no costed measure of '{scenario.name}' is in force for a whole year by {scenario.end_year} "
            f"(first full years: {', '.join(f'{m.id} {first_full_year(m.date)}' for m in ms)}): simulate more years"
        )
    costs = scenario.costs
    rate = discount_rate_pct if discount_rate_pct is not None else (costs.discount_rate_pct if costs else 6.0)
    carbon = costs.carbon_price_usd_per_t if costs else 0.0
    years_n = costs.appraisal_years if costs else 25
    t0, cpu0 = time.perf_counter(), time.process_time()
    variants = {"with": scenario, **{m.id: without(scenario, [m.id]) for m in ms}}
    money = _runs(variants, replications, seed, ex)
    first = min(max(first_full_year(m.date), scenario.start_year) for m in ms)
    cap_years = (min(first, scenario.end_year), scenario.end_year)
    caps = {
        k: estimate_capacity(s, cap_years, replications, seed, by_cargo=False, execution=ex).per_replication
        for k, s in variants.items()
    }
    sim_years = scenario.end_year - scenario.start_year + 1
    cap_span = cap_years[1] - cap_years[0] + 1
    rows: list[dict[str, Any]] = []
    by_year: list[dict[str, Any]] = []
    for m in ms:
        f_year = max(first_full_year(m.date), scenario.start_year)
        years = [y for y in range(f_year, scenario.end_year + 1)]
        per_rep: dict[str, list[float]] = {k: [] for k in ("cap", "dlv", "days", "ben", "co2", "upt", "npv", "bcr")}
        for r in range(replications):
            w, wo = money["with"][r], money[m.id][r]
            benefit_by_year: dict[int, float] = {}
            cap_d: list[float] = []
            dlv_d: list[float] = []
            days_d: list[float] = []
            ben_d: list[float] = []
            co2_d: list[float] = []
            for y in range(scenario.start_year, scenario.end_year + 1):
                t1, d1, e1, p1 = _year_value(w, y)
                t0_, d0, e0, p0 = _year_value(wo, y)
                ben = rule_of_half_usd(p1, p0)
                if t1 > 0 and t0_ > 0 and math.isfinite(e1) and math.isfinite(e0):
                    ben += carbon * (e0 / t0_ - e1 / t1) / 1000.0 * t1  # kg -> t of CO2e
                benefit_by_year[y] = ben
                # capacity is measured from the first year a measure is in force (NaN before)
                c1, c0 = caps["with"].get(y), caps[m.id].get(y)
                added_cap = c1[r] - c0[r] if c1 is not None and c0 is not None else math.nan
                added_dlv = (t1 - t0_) / 1e6
                saved = (d0 / t0_ - d1 / t1) if t0_ > 0 and t1 > 0 else math.nan
                co2_kt = (e1 - e0) / 1e6
                by_year.append(
                    {
                        "measure": m.id,
                        "replication": r,
                        "year": y,
                        "capacity_added_mt": added_cap,
                        "delivered_added_mt": added_dlv,
                        "days_saved": saved,
                        "shipper_benefit_musd": ben / 1e6,
                        "co2e_change_kt": co2_kt,
                    }
                )
                if y in years:
                    cap_d.append(added_cap)
                    dlv_d.append(added_dlv)
                    days_d.append(saved)
                    ben_d.append(ben / 1e6)
                    co2_d.append(co2_kt)
            if not years:
                continue
            cap_m = float(np.nanmean(cap_d)) if np.isfinite(cap_d).any() else math.nan
            per_rep["cap"].append(cap_m)
            per_rep["dlv"].append(float(np.mean(dlv_d)))
            per_rep["days"].append(float(np.nanmean(days_d)) if np.isfinite(days_d).any() else np.nan)
            per_rep["ben"].append(float(np.mean(ben_d)))
            per_rep["co2"].append(float(np.nanmean(co2_d)) if np.isfinite(co2_d).any() else np.nan)
            per_rep["upt"].append((m.capex_musd or 0.0) / cap_m if cap_m > MIN_GAIN_MT else np.nan)
            npv, bcr = _npv(m, benefit_by_year, scenario.end_year, years_n, rate, scenario.start_year)
            per_rep["npv"].append(npv / 1e6)
            per_rep["bcr"].append(bcr)
        out: dict[str, Any] = {
            "measure": m.id,
            "description": m.description,
            "date": m.date.isoformat(),
            "capex_musd": m.capex_musd,
            "opex_musd_per_year": m.opex_musd_per_year,
            "years_counted": f"{years[0]}-{years[-1]}" if years else "",
        }
        names = {
            "cap": "capacity_added_mt",
            "dlv": "delivered_added_mt",
            "days": "days_saved",
            "ben": "shipper_benefit_musd_per_year",
            "co2": "co2e_change_kt_per_year",
            "upt": "usd_per_t_capacity",
            "npv": "npv_musd",
            "bcr": "bcr",
        }
        cap_mean = mean_ci(per_rep["cap"])["mean"]
        if cap_mean is None or cap_mean <= MIN_GAIN_MT:
            # no capacity to divide by: a cost per tonne from the few replications that drew a gain
            # would rank a measure that adds nothing
            per_rep["upt"] = []
        for k, col in names.items():
            st = mean_ci(per_rep[k])
            out[col], out[f"{col}_ci_low"], out[f"{col}_ci_high"] = st["mean"], st["ci_low"], st["ci_high"]
        notes = []
        added = out["capacity_added_mt"]
        if not years:
            notes.append("in service after the simulated years: nothing measured")
        elif added is not None and added <= MIN_GAIN_MT:
            notes.append("adds no measurable capacity: the binding resource is elsewhere in these years")
        if added is not None and added > MIN_GAIN_MT and not np.isfinite(np.asarray(per_rep["upt"], dtype=float)).any():
            notes.append("capacity added in too few replications for a cost per tonne")
        out["note"] = "; ".join(notes)
        rows.append(out)
    table = pd.DataFrame(rows, columns=list(APPRAISAL_COLUMNS))
    # a statistic with nothing to measure is NaN (mean_ci gives None), so the columns stay numeric
    numeric = [c for c in APPRAISAL_COLUMNS if c not in ("measure", "description", "date", "years_counted", "note")]
    table[numeric] = table[numeric].apply(pd.to_numeric, errors="coerce").astype(float)
    # the ranking a minister reads: capital per tonne of capacity added, cheapest first
    table = table.sort_values("usd_per_t_capacity", na_position="last", kind="stable").reset_index(drop=True)
    worker_cpu = time.process_time() - cpu0
    return Appraisal(
        table=table,
        by_year=pd.DataFrame(by_year),
        scenario=scenario.label,
        seed=seed,
        replications=replications,
        discount_rate_pct=float(rate),
        carbon_price_usd_per_t=float(carbon),
        appraisal_years=int(years_n),
        simulated_years=len(variants) * replications * (sim_years + cap_span),
        cpu_s=worker_cpu,
        wall_s=time.perf_counter() - t0,
    )


# ----------------------------------------------------------------------------------------------
# The plan
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Plan:
    """``plan``'s result: the measures chosen, each with its in-service date; its cost; its
    capacity in the goal year (screening and verification) and trajectory; the steps of the
    search and why every other candidate was rejected."""

    goal_mt: float
    by: int
    confidence: float
    budget_musd: float | None
    chosen: tuple[Intervention, ...]
    capex_musd: float
    pv_cost_musd: float
    reached: bool  # the goal met in the goal year in >= confidence of the verification replications
    share_at_goal: float  # verification
    capacity_mt: dict  # verification: mean, ci_low, ci_high in the goal year
    steps: pd.DataFrame  # one row per candidate per round: added capacity and per dollar
    rejected: pd.DataFrame  # candidate, reason
    trajectory: pd.DataFrame | None  # the plan's capacity trajectory (capacity.TRAJECTORY_COLUMNS)
    scenario: str
    seed: int
    replications: int
    simulated_years: int
    cpu_s: float
    wall_s: float

    def timeline(self) -> list[dict]:
        """The plan as timeline entries (YAML-ready)."""
        return [e.model_dump(mode="json", exclude_defaults=False) for e in self.chosen]

    def meta(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "goal_mt_per_year": self.goal_mt,
            "by": self.by,
            "confidence": self.confidence,
            "budget_musd": self.budget_musd,
            "reached": self.reached,
            "share_of_replications_at_goal": self.share_at_goal,
            "capacity_mt_in_goal_year": self.capacity_mt,
            "capex_musd": self.capex_musd,
            "pv_cost_musd": self.pv_cost_musd,
            "measures": [
                {"id": e.id, "date": e.date.isoformat(), "capex_musd": e.capex_musd, "description": e.description}
                for e in self.chosen
            ],
            "seed": self.seed,
            "replications": self.replications,
            "simulated_years": self.simulated_years,
            "cpu_s": round(self.cpu_s, 2),
            "wall_s": round(self.wall_s, 2),
        }


def service_date(c: Candidate, by: int) -> dt.date:
    """When a chosen candidate enters service for a goal in year ``by``: 1 January of ``by``, or
    its earliest service date if that is later (then it cannot count for the goal)."""
    return max(dt.date(by, 1, 1), c.earliest_service)


def _pv_cost(entries: Iterable[Intervention], rate: float, base_year: int, years_n: int) -> float:
    flows: dict[int, float] = {}
    for e in entries:
        flows[e.date.year] = flows.get(e.date.year, 0.0) + (e.capex_musd or 0.0)
        for y in range(e.date.year, e.date.year + years_n):
            flows[y] = flows.get(y, 0.0) + e.opex_musd_per_year
    return present_value(flows, rate, base_year)


class _Capacity:
    """Capacity of the scenario with a set of candidates in one year, per replication; memoized
    by the set (the search asks for the same sets again when it prunes)."""

    def __init__(self, s: Scenario, by: int, replications: int, seed: int, ex: Execution):
        self.s, self.by, self.n, self.seed, self.ex = s, by, replications, seed, ex
        self.memo: dict[frozenset, list[float]] = {}
        self.simulated_years = 0

    def __call__(self, entries: Sequence[Intervention]) -> list[float]:
        key = frozenset((e.id, e.date) for e in entries)
        if key not in self.memo:
            s = with_entries(self.s, entries, name=self.s.name)
            est = estimate_capacity(s, self.by, self.n, self.seed, by_cargo=False, execution=self.ex)
            self.memo[key] = est.per_replication[self.by]
            self.simulated_years += est.simulated_years
        return self.memo[key]


def _share_at(values: list[float], goal: float) -> float:
    return float(np.mean([v >= goal for v in values])) if values else 0.0


def plan(
    scenario: Scenario,
    candidates: Sequence[Candidate],
    goal_mt: float,
    by: int,
    budget_musd: float | None = None,
    confidence: float = 0.8,
    replications: int = 5,
    seed: int = 1,
    screening_replications: int | None = None,
    trajectory: bool = True,
    discount_rate_pct: float | None = None,
    execution: Execution | None = None,
    **options,
) -> Plan:
    """The cheapest set of ``candidates`` (and their timing) that gives the scenario capacity >=
    ``goal_mt`` in year ``by`` in at least ``confidence`` of the replications (module docstring)."""
    ex = Execution.of(execution, **options)
    if not scenario.start_year <= by <= scenario.end_year:
        raise ValueError(f"--by {by} is outside the scenario's years {scenario.start_year}-{scenario.end_year}")
    if not 0 < confidence <= 1:
        raise ValueError(f"confidence must be in (0, 1], got {confidence}")
    if replications < 2:
        raise ValueError(f"a plan needs at least 2 replications, got {replications}")
    costs = scenario.costs
    rate = discount_rate_pct if discount_rate_pct is not None else (costs.discount_rate_pct if costs else 6.0)
    years_n = costs.appraisal_years if costs else 25
    t0, cpu0 = time.perf_counter(), time.process_time()
    n_screen = screening_replications or replications
    cap = _Capacity(scenario, by, n_screen, seed, ex)
    entry = {c.id: c.entry(service_date(c, by)) for c in candidates}
    cost = {c.id: c.capex_musd for c in candidates}
    reasons: dict[str, str] = {}
    for c in candidates:
        if c.earliest_service > dt.date(by, 1, 1):
            reasons[c.id] = f"not in service by 1 January {by} (earliest {c.earliest_service.isoformat()})"
        elif budget_musd is not None and c.capex_musd > budget_musd:
            reasons[c.id] = f"costs US${c.capex_musd:,.0f} m, over the budget of US${budget_musd:,.0f} m"
    open_ids = [c.id for c in candidates if c.id not in reasons]
    chosen: list[str] = []
    steps = []
    now = cap([])
    rnd = 0
    while _share_at(now, goal_mt) < confidence:
        rnd += 1
        spent = sum(cost[i] for i in chosen)
        best, best_ratio, best_vals = None, 0.0, now
        for cid in open_ids:
            if cid in chosen:
                continue
            if budget_musd is not None and spent + cost[cid] > budget_musd:
                steps.append(
                    {"round": rnd, "candidate": cid, "added_mt": None, "mt_per_busd": None, "note": "over budget"}
                )
                continue
            vals = cap([entry[i] for i in [*chosen, cid]])
            gain = float(np.mean(vals) - np.mean(now))
            ratio = gain / max(cost[cid], 1e-9) * 1000.0  # Mt/yr per US$ bn
            steps.append({"round": rnd, "candidate": cid, "added_mt": gain, "mt_per_busd": ratio, "note": ""})
            if gain > MIN_GAIN_MT and ratio > best_ratio:
                best, best_ratio, best_vals = cid, ratio, vals
        if best is None:
            break
        chosen.append(best)
        now = best_vals
    met = _share_at(now, goal_mt) >= confidence
    # pruning: drop what the goal does not need (most expensive first)
    if met:
        for cid in sorted(chosen, key=lambda i: -cost[i]):
            rest = [i for i in chosen if i != cid]
            vals = cap([entry[i] for i in rest])
            if _share_at(vals, goal_mt) >= confidence:
                chosen = rest
                now = vals
                reasons[cid] = "dropped when pruning: the goal is met without it"
    for cid in open_ids:
        if cid in chosen or cid in reasons:
            continue
        tried = [s_ for s_ in steps if s_["candidate"] == cid and s_["added_mt"] is not None]
        if not tried:
            reasons[cid] = "over the budget left after the measures chosen"
            continue
        last = tried[-1]
        gain = float(last["added_mt"])  # type: ignore[arg-type]  # a number: rows without one were filtered
        if gain <= MIN_GAIN_MT:
            reasons[cid] = (
                f"adds {last['added_mt']:+.2f} Mt/yr in {by} with the measures chosen before it: "
                "the binding resource is elsewhere"
            )
        elif met:
            reasons[cid] = (
                f"adds {last['added_mt']:+.2f} Mt/yr for US${cost[cid]:,.0f} m "
                f"({last['mt_per_busd']:.2f} Mt/yr per US$ bn): less per dollar than the measures chosen, "
                "and the goal is met without it"
            )
        else:
            reasons[cid] = f"adds {last['added_mt']:+.2f} Mt/yr; not enough with the others to reach the goal"
    plan_entries = tuple(entry[i] for i in chosen)
    # verification on replications the search did not see
    vseed = seed + VERIFY_SEED_OFFSET
    planned = with_entries(scenario, plan_entries, name=scenario.name)
    ver = estimate_capacity(planned, by, replications, vseed, by_cargo=False, execution=ex)
    vals = ver.per_replication[by]
    st = mean_ci(vals)
    sim_years = cap.simulated_years + ver.simulated_years
    traj = None
    if trajectory:
        est = estimate_capacity(planned, None, replications, vseed, by_cargo=False, execution=ex)
        traj = est.trajectory
        sim_years += est.simulated_years
    share = _share_at(vals, goal_mt)
    return Plan(
        goal_mt=goal_mt,
        by=by,
        confidence=confidence,
        budget_musd=budget_musd,
        chosen=plan_entries,
        capex_musd=float(sum(cost[i] for i in chosen)),
        pv_cost_musd=_pv_cost(plan_entries, rate, scenario.start_year, years_n),
        reached=met and share >= confidence,
        share_at_goal=share,
        capacity_mt={"mean": st["mean"], "ci_low": st["ci_low"], "ci_high": st["ci_high"]},
        steps=pd.DataFrame(steps, columns=["round", "candidate", "added_mt", "mt_per_busd", "note"]),
        rejected=pd.DataFrame(
            [{"candidate": c.id, "reason": reasons[c.id]} for c in candidates if c.id in reasons],
            columns=["candidate", "reason"],
        ),
        trajectory=traj,
        scenario=scenario.label,
        seed=seed,
        replications=replications,
        simulated_years=sim_years,
        cpu_s=time.process_time() - cpu0,
        wall_s=time.perf_counter() - t0,
    )


FRONTIER_COLUMNS = (
    "by",
    "reached",
    "capex_musd",
    "pv_cost_musd",
    "capacity_mt",
    "capacity_mt_ci_low",
    "capacity_mt_ci_high",
    "share_at_goal",
    "measures",
)


def frontier(
    scenario: Scenario, candidates: Sequence[Candidate], goal_mt: float, years: Iterable[int], **kwargs
) -> tuple[pd.DataFrame, dict[int, Plan]]:
    """The cheapest plan for each goal year in ``years``: cost against the year the goal is reached."""
    plans = {y: plan(scenario, candidates, goal_mt, y, trajectory=False, **kwargs) for y in years}
    rows = [
        {
            "by": y,
            "reached": p.reached,
            "capex_musd": p.capex_musd,
            "pv_cost_musd": p.pv_cost_musd,
            "capacity_mt": p.capacity_mt["mean"],
            "capacity_mt_ci_low": p.capacity_mt["ci_low"],
            "capacity_mt_ci_high": p.capacity_mt["ci_high"],
            "share_at_goal": p.share_at_goal,
            "measures": ", ".join(f"{e.id} ({e.date.isoformat()})" for e in p.chosen),
        }
        for y, p in plans.items()
    ]
    return pd.DataFrame(rows, columns=list(FRONTIER_COLUMNS)), plans


def plan_scenario_yaml(scenario_file: str, p: Plan, name: str) -> str:
    """A scenario file that extends ``scenario_file`` with the plan's timeline."""
    import yaml

    doc = {
        "extends": scenario_file,
        "name": name,
        "description": (
            f"{p.scenario} with the cheapest plan found for {p.goal_mt:g} Mt/yr of capacity by {p.by} "
            f"(US${p.capex_musd:,.0f} m capex; corridor-sim plan)"
        ),
        "timeline": p.timeline(),
    }
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)


__all__ = [
    "Appraisal",
    "Plan",
    "appraise",
    "costed",
    "frontier",
    "plan",
    "plan_scenario_yaml",
    "replace",
    "without",
    "with_entries",
]
