"""What measures cost and what they buy: appraisal of costed timeline entries.

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

The cheapest plan of candidate measures that reaches a capacity goal is in ``plan``. ``Appraisal``
writes and reads its folder (appraisal.csv, appraisal_by_year.csv, appraisal.json).
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from ..display import CompactRepr
from ..experiments.execution import Execution, Task, replication_seed, succeeded, task
from ..run import output
from ..run.results import Figures, Results
from ..run.simulate import run
from ..scenario.schema import Intervention, Scenario
from ..scenario.variants import without
from ..stats import mean_ci
from .capacity import estimate_capacity
from .files import folder_meta, read_table, write_meta

# A candidate adds capacity when the mean over the screening replications rises by more than this,
# Mt/yr. assumption: ~0.2% of the corridor's ~6 Mt, well below one vessel's or one train path's
# tonnes; what common random numbers leave of noise between two runs of the same capacity.
MIN_GAIN_MT = 0.01


def costed(s: Scenario) -> list[Intervention]:
    """The scenario's measures: timeline entries that carry capex_musd, in date order."""
    return sorted((iv for iv in s.timeline if iv.capex_musd is not None), key=lambda iv: (iv.date, iv.id))


# ----------------------------------------------------------------------------------------------
# What one run delivered, cost and emitted, per year and flow
# ----------------------------------------------------------------------------------------------
def money_of(res: Results) -> dict[int, dict[str, dict[str, float]]]:
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
    for key, row in sums.iterrows():
        y, f = cast(tuple, key)  # the (year, flow) of the grouping
        out.setdefault(int(y), {})[str(f)] = {str(k): float(v) for k, v in row.items()}
    return out


@task
def money_task(t: Task) -> dict:
    """Run a task and send back only ``money_of`` its results."""
    return money_of(run(t.scenario, seed=t.seed, allow_large=True, detail=False))


def _runs(variants: dict[str, Scenario], replications: int, seed: int, ex: Execution) -> dict[str, list[dict]]:
    """Every variant's replications with the same seeds, in one batch; per variant, in replication order."""
    tasks = [
        Task(s, replication_seed(seed, r), r, variant=key) for key, s in variants.items() for r in range(replications)
    ]
    got: dict[str, dict[int, dict]] = {k: {} for k in variants}
    for o in succeeded(tasks, ex, money_task, "appraisal run"):
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


@dataclass(frozen=True, repr=False)  # the repr is display.CompactRepr's: tables by their size, in full in _repr_html_
class Appraisal(CompactRepr):
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
    demand_case: str = "central"
    overrides: dict[str, Any] = field(default_factory=dict)
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

    def write(self, out: str | Path, overwrite: bool = False, figures: Figures | None = None) -> Path:
        """appraisal.csv (one row per measure), appraisal_by_year.csv and appraisal.json (and with
        ``figures`` measures_ranking.png) in ``out``, under the output contract."""
        meta = {**self.meta(), "label": self.scenario, "demand_case": self.demand_case, "overrides": self.overrides}

        def fill(tmp: Path) -> None:
            self.table.to_csv(tmp / "appraisal.csv", index=False)
            self.by_year.to_csv(tmp / "appraisal_by_year.csv", index=False)
            write_meta(tmp / "appraisal.json", meta)
            if figures is not None:
                figures(self, tmp)

        return output.write_folder(out, fill, kind="appraisal", overwrite=overwrite)

    @classmethod
    def read(cls, folder: str | Path) -> Appraisal:
        """An appraisal folder read back (ResultsFolderError if appraisal.csv is missing or
        damaged; the settings from appraisal.json where it is readable)."""
        table = read_table(folder, "appraisal.csv", "appraisal", APPRAISAL_COLUMNS, "appraise")
        path = Path(folder) / "appraisal_by_year.csv"
        by_year = pd.read_csv(path) if path.exists() else pd.DataFrame()
        meta = folder_meta(folder, "replications")
        return cls(
            table=table,
            by_year=by_year,
            scenario=str(meta.get("scenario", Path(folder).name)),
            seed=int(meta.get("seed", 0)),
            replications=int(meta.get("replications", 0)),
            discount_rate_pct=float(meta.get("discount_rate_pct", math.nan)),
            carbon_price_usd_per_t=float(meta.get("carbon_price_usd_per_t", math.nan)),
            appraisal_years=int(meta.get("appraisal_years", 0)),
            simulated_years=int(meta.get("simulated_years", 0)),
            cpu_s=float(meta.get("cpu_s", math.nan)),
            wall_s=float(meta.get("wall_s", math.nan)),
            demand_case=str(meta.get("demand_case", "central")),
            overrides=dict(meta.get("overrides") or {}),
        )


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


@dataclass(frozen=True)
class _Context:
    """What every measure of an appraisal is measured with: the runs' money per variant and
    replication, the capacities per variant, year and replication, and the appraisal's settings."""

    scenario: Scenario
    money: dict[str, list[dict]]
    caps: dict[str, dict[int, list[float]]]
    replications: int
    carbon: float
    rate: float
    years_n: int


_STATS = {  # per-replication statistic -> its columns' name
    "cap": "capacity_added_mt",
    "dlv": "delivered_added_mt",
    "days": "days_saved",
    "ben": "shipper_benefit_musd_per_year",
    "co2": "co2e_change_kt_per_year",
    "upt": "usd_per_t_capacity",
    "npv": "npv_musd",
    "bcr": "bcr",
}


def _nanmean(values: list[float]) -> float:
    return float(np.nanmean(values)) if np.isfinite(values).any() else math.nan


def _replication(m: Intervention, ctx: _Context, r: int, years: list[int], by_year: list[dict]) -> dict[str, float]:
    """One replication of a measure: each simulated year's differences with and without it (into
    ``by_year``), and the statistics over the years it is in force (none when it is in force in
    none of them)."""
    s = ctx.scenario
    w, wo = ctx.money["with"][r], ctx.money[m.id][r]
    benefit_by_year: dict[int, float] = {}
    kept: dict[str, list[float]] = {k: [] for k in ("cap", "dlv", "days", "ben", "co2")}
    for y in range(s.start_year, s.end_year + 1):
        t1, d1, e1, p1 = _year_value(w, y)
        t0_, d0, e0, p0 = _year_value(wo, y)
        ben = rule_of_half_usd(p1, p0)
        if t1 > 0 and t0_ > 0 and math.isfinite(e1) and math.isfinite(e0):
            ben += ctx.carbon * (e0 / t0_ - e1 / t1) / 1000.0 * t1  # kg -> t of CO2e
        benefit_by_year[y] = ben
        # capacity is measured from the first year a measure is in force (NaN before)
        c1, c0 = ctx.caps["with"].get(y), ctx.caps[m.id].get(y)
        row = {
            "cap": c1[r] - c0[r] if c1 is not None and c0 is not None else math.nan,
            "dlv": (t1 - t0_) / 1e6,
            "days": (d0 / t0_ - d1 / t1) if t0_ > 0 and t1 > 0 else math.nan,
            "ben": ben / 1e6,
            "co2": (e1 - e0) / 1e6,
        }
        by_year.append(
            {
                "measure": m.id,
                "replication": r,
                "year": y,
                "capacity_added_mt": row["cap"],
                "delivered_added_mt": row["dlv"],
                "days_saved": row["days"],
                "shipper_benefit_musd": row["ben"],
                "co2e_change_kt": row["co2"],
            }
        )
        if y in years:
            for k, v in row.items():
                kept[k].append(v)
    if not years:  # in service after the simulated years: nothing to measure
        return {}
    cap_m = _nanmean(kept["cap"])
    npv, bcr = _npv(m, benefit_by_year, s.end_year, ctx.years_n, ctx.rate, s.start_year)
    return {
        "cap": cap_m,
        "dlv": float(np.mean(kept["dlv"])),
        "days": _nanmean(kept["days"]),
        "ben": float(np.mean(kept["ben"])),
        "co2": _nanmean(kept["co2"]),
        "upt": (m.capex_musd or 0.0) / cap_m if cap_m > MIN_GAIN_MT else np.nan,
        "npv": npv / 1e6,
        "bcr": bcr,
    }


def _measure_row(m: Intervention, ctx: _Context, by_year: list[dict]) -> dict[str, Any]:
    """One measure's row of the appraisal: each statistic's mean and 95% CI over the replications,
    over the years it is in force, and a note where nothing, or too little, was measured."""
    s = ctx.scenario
    years = list(range(max(first_full_year(m.date), s.start_year), s.end_year + 1))
    reps = [_replication(m, ctx, r, years, by_year) for r in range(ctx.replications)]
    per_rep: dict[str, list[float]] = {k: [rep[k] for rep in reps] if years else [] for k in _STATS}
    out: dict[str, Any] = {
        "measure": m.id,
        "description": m.description,
        "date": m.date.isoformat(),
        "capex_musd": m.capex_musd,
        "opex_musd_per_year": m.opex_musd_per_year,
        "years_counted": f"{years[0]}-{years[-1]}" if years else "",
    }
    cap_mean = mean_ci(per_rep["cap"])["mean"]
    if cap_mean is None or cap_mean <= MIN_GAIN_MT:
        # no capacity to divide by: a cost per tonne from the few replications that drew a gain
        # would rank a measure that adds nothing
        per_rep["upt"] = []
    for k, col in _STATS.items():
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
    return out


def _measures(scenario: Scenario, measures: Sequence[str] | None) -> list[Intervention]:
    """The costed timeline entries to appraise (``measures``, by id, or all); ValueError when there
    is none, or none is in force for a whole simulated year."""
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
    return ms


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
    ms = _measures(scenario, measures)
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
    ctx = _Context(scenario, money, caps, replications, carbon, rate, years_n)
    by_year: list[dict[str, Any]] = []
    rows = [_measure_row(m, ctx, by_year) for m in ms]
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
        demand_case=scenario.demand_case,
        overrides=dict(scenario.overrides),
    )
