"""What measures cost and what they buy: the economic appraisal of costed timeline entries,
following the EU Guide to Cost-Benefit Analysis of Investment Projects (DG REGIO, 2014; economic
analysis and the transport chapter), with the scenario's values (``costs.appraisal``).

**Do-minimum and do-something.** The do-minimum is the scenario without every measure appraised.
Each measure is appraised **stand-alone** (the do-minimum with it, against the do-minimum) and
**incrementally** within the package, in the package's order (date, then id): the do-minimum with
the measures before it and it, against the do-minimum with the measures before it. Every variant
runs the same replication seeds (common random numbers), so the differences are paired. A
variant and the one with a measure more are the same run until that measure's date: the years
before it are simulated once and the run branches there (``run.branches``, ``model.branch``:
where it can, with results identical to full runs to the last digit).

**Benefit streams** (``analyses.benefits``), each by year: shippers' time and reliability savings
on the traffic carried either way; their charge savings and the operators' matching loss (transfers,
shown both ways, netting to zero); traffic won from the outside alternatives and generated traffic by
the rule of a half, bounded by the alternative's generalized cost; the operators' revenue from the
traffic gained and the change in their resource costs (rail tonne-km, hours at sea); CO2e at the
shadow price. The value of time is the appraisal's (a resource value by cargo class, low, central
and high from the literature), not the route choice's.

**Indicators** (``analyses.indicators``): ENPV, EIRR, BCR and the first-year rate of return over
``costs.appraisal_years`` from the measure's date, with the residual value of the capex not used up
(straight line over ``asset_life_years``); the ENPV at the low and high values of time; the
switching values of the value of time and of the capex; and, over the replications and the demand
cases run, the distribution of the ENPV and the probability that it is negative. Benefits of the
years after the simulated ones are held at the last simulated year's.

``Appraisal`` writes and reads its folder (appraisal.csv, appraisal_by_year.csv,
enpv_distribution.csv, appraisal.json).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..display import CompactRepr
from ..experiments.execution import Execution, Task, preflight, replication_seed, session, succeeded, task
from ..run import output
from ..run.branches import run_tree
from ..run.results import Figures
from ..run.simulate import run
from ..scenario.appraisal_settings import AppraisalSettings
from ..scenario.schema import Intervention, Scenario
from ..scenario.variants import with_demand_case, without
from ..stats import mean_ci
from .benefits import STREAMS, economic, run_money, values_in, year_streams
from .files import folder_meta, read_table, write_meta
from .indicators import (
    bcr,
    capex_switching,
    cash_flows,
    eirr,
    enpv,
    fyrr,
    linear_switching,
    present_value,
)

__all__ = ["MIN_GAIN_MT", "Appraisal", "appraise", "costed", "first_full_year", "present_value"]

# A candidate adds capacity when the mean over the screening replications rises by more than this,
# Mt/yr (the plan's screening). assumption: ~0.2% of the corridor's ~6 Mt, well below one vessel's
# or one train path's tonnes; what common random numbers leave of noise between two runs.
MIN_GAIN_MT = 0.01
MODES = ("stand-alone", "incremental")


def costed(s: Scenario) -> list[Intervention]:
    """The scenario's measures: timeline entries that carry capex_musd, in date order."""
    return sorted((iv for iv in s.timeline if iv.capex_musd is not None), key=lambda iv: (iv.date, iv.id))


def first_full_year(date: dt.date) -> int:
    """The first calendar year a measure dated ``date`` is in force all year."""
    return date.year if (date.month, date.day) == (1, 1) else date.year + 1


@task
def money_task(t: Task) -> dict:
    """Run a task and send back only what the appraisal reads (``benefits.run_money``)."""
    return run_money(run(t.scenario, seed=t.seed, allow_large=True, detail=False))


@task
def money_tree_task(trees: dict[str, list[tuple[str, Scenario, str | None]]], t: Task) -> dict[str, dict]:
    """One replication of every variant of a demand case (``trees[t.variant]``), each variant
    branching from the one with a measure less at that measure's date (``run.branches``): the
    years before it simulated once. What each sends back, by variant."""
    return run_tree(trees[t.variant], t.seed, run_money)


def _tree(variants: dict[frozenset, Scenario], ms: list[Intervention]) -> list[tuple[str, Scenario, str | None]]:
    """The variants as a tree: each one's parent is the variant without its last measure in the
    package's order (the do-minimum for a measure alone, the package up to the measure before for
    the incremental one), so the two differ from that measure's date on."""
    order = {m.id: k for k, m in enumerate(ms)}
    nodes = []
    for keep, scn in variants.items():
        parent = None
        if keep:
            up = keep - {max(keep, key=lambda i: order[i])}
            parent = _name(up) if up in variants else None
        nodes.append((_name(keep), scn, parent))
    return nodes


def _name(keep: frozenset) -> str:
    return ",".join(sorted(keep))


# ----------------------------------------------------------------------------------------------
# The result
# ----------------------------------------------------------------------------------------------
_STATS = (
    "enpv_musd",
    "eirr_pct",
    "bcr",
    "fyrr_pct",
    "pv_benefits_musd",
    "pv_costs_musd",
    "residual_value_musd",
    "enpv_musd_vot_low",
    "enpv_musd_vot_high",
    "bcr_vot_low",
    "bcr_vot_high",
    "vot_switching_factor",
    "capex_switching_factor",
    "delivered_added_mt",
    "days_saved",
)
APPRAISAL_COLUMNS = (
    "measure",
    "mode",
    "description",
    "date",
    "capex_musd",
    "opex_musd_per_year",
    "asset_life_years",
    *(f"{m}{x}" for m in _STATS for x in ("", "_ci_low", "_ci_high")),
    "p_enpv_negative",
    "main_stream",
    "main_stream_share",
    "note",
)


@dataclass(frozen=True, repr=False)  # the repr is display.CompactRepr's: tables by their size, in full in _repr_html_
class Appraisal(CompactRepr):
    """``appraise``'s result: one row per measure and mode (``table``), each benefit stream by
    year, replication and demand case (``by_year``), the ENPV of each replication and case
    (``distribution``), and how it was obtained."""

    table: pd.DataFrame
    by_year: pd.DataFrame
    distribution: pd.DataFrame
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
    demand_cases: tuple[str, ...] = ("central",)
    overrides: dict[str, Any] = field(default_factory=dict)
    accounting: dict[str, Any] = field(default_factory=dict)  # what it cost (``execution.Tally.report``)
    guideline: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    benefits: str = field(
        default="shippers' time and reliability on the traffic carried either way; charges as transfers "
        "(shippers' and operators' netting to zero); traffic won from the outside alternatives and "
        "generated traffic by the rule of a half, bounded by the alternative's generalized cost; operators' "
        "revenue from the traffic gained and their resource costs (rail tonne-km, hours at sea); CO2e at the "
        "shadow price; residual value. Not counted: the alternatives' own resource costs and emissions, "
        "wider economic benefits, other externalities (no sourced values)."
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
            "demand_cases": list(self.demand_cases),
            "guideline": self.guideline,
            "values": self.values,
            "benefits": self.benefits,
            "streams": list(STREAMS),
            "accounting": self.accounting,
        }

    def write(self, out: str | Path, overwrite: bool = False, figures: Figures | None = None) -> Path:
        """appraisal.csv (one row per measure and mode), appraisal_by_year.csv (the streams),
        enpv_distribution.csv and appraisal.json (and with ``figures`` measures_ranking.png) in
        ``out``, under the output contract."""
        meta = {**self.meta(), "label": self.scenario, "demand_case": self.demand_case, "overrides": self.overrides}

        def fill(tmp: Path) -> None:
            self.table.to_csv(tmp / "appraisal.csv", index=False)
            self.by_year.to_csv(tmp / "appraisal_by_year.csv", index=False)
            self.distribution.to_csv(tmp / "enpv_distribution.csv", index=False)
            write_meta(tmp / "appraisal.json", meta)
            if figures is not None:
                figures(self, tmp)

        return output.write_folder(out, fill, kind="appraisal", overwrite=overwrite)

    @classmethod
    def read(cls, folder: str | Path) -> Appraisal:
        """An appraisal folder read back (ResultsFolderError if appraisal.csv is missing or
        damaged; the settings from appraisal.json where it is readable)."""
        table = read_table(folder, "appraisal.csv", "appraisal", APPRAISAL_COLUMNS, "appraise")
        frames = {}
        for name in ("appraisal_by_year.csv", "enpv_distribution.csv"):
            path = Path(folder) / name
            frames[name] = pd.read_csv(path) if path.exists() else pd.DataFrame()
        meta = folder_meta(folder, "replications")
        return cls(
            table=table,
            by_year=frames["appraisal_by_year.csv"],
            distribution=frames["enpv_distribution.csv"],
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
            demand_cases=tuple(meta.get("demand_cases") or ("central",)),
            overrides=dict(meta.get("overrides") or {}),
            accounting=dict(meta.get("accounting") or {}),
            guideline=str(meta.get("guideline", "")),
            values=dict(meta.get("values") or {}),
        )


# ----------------------------------------------------------------------------------------------
# Measuring one measure in one replication
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Settings:
    scenario: Scenario
    appraisal: AppraisalSettings
    rate: float
    carbon: float
    years_n: int


def _streams(cfg: _Settings, base: dict, project: dict, band: str, vot_scale: float = 1.0) -> dict[int, dict]:
    vals = values_in(cfg.appraisal, band, vot_scale)
    s = cfg.scenario
    return {y: year_streams(s, base, project, y, vals, cfg.carbon) for y in range(s.start_year, s.end_year + 1)}


def _indicators(cfg: _Settings, m: Intervention, base: dict, project: dict) -> tuple[dict[str, float], dict]:
    """One replication of a measure: its indicators, and its central streams by year."""
    s = cfg.scenario
    life = m.asset_life_years or cfg.appraisal.asset_life_years
    capex, opex = (m.capex_musd or 0.0) * 1e6, m.opex_musd_per_year * 1e6

    def flows(streams: dict[int, dict]):
        ben = {y: economic(v) for y, v in streams.items()}
        return cash_flows(m.date.year, capex, opex, ben, s.end_year, cfg.years_n, life)

    central = _streams(cfg, base, project, "central")
    cf = flows(central)
    banded = {b: flows(_streams(cfg, base, project, b)) for b in ("low", "high")}
    value = {b: enpv(f, cfg.rate, s.start_year) for b, f in banded.items()}
    at_zero = enpv(flows(_streams(cfg, base, project, "central", 0.0)), cfg.rate, s.start_year)
    e = enpv(cf, cfg.rate, s.start_year)
    years = [y for y in range(max(first_full_year(m.date), s.start_year), s.end_year + 1)]
    added = [
        (
            sum(v["tons"] for v in project["flows"].get(y, {}).values())
            - sum(v["tons"] for v in base["flows"].get(y, {}).values())
        )
        / 1e6
        for y in years
    ]
    saved = [_days_saved(base, project, y) for y in years]
    out = {
        "enpv_musd": e / 1e6,
        "eirr_pct": eirr(cf),
        "bcr": bcr(cf, cfg.rate, s.start_year),
        "fyrr_pct": fyrr(cf, first_full_year(m.date), capex),
        "pv_benefits_musd": present_value(cf.benefits, cfg.rate, s.start_year) / 1e6,
        "pv_costs_musd": (
            present_value(cf.capex, cfg.rate, s.start_year) + present_value(cf.opex, cfg.rate, s.start_year)
        )
        / 1e6,
        "residual_value_musd": sum(cf.residual.values()) / 1e6,
        "enpv_musd_vot_low": value["low"] / 1e6,
        "enpv_musd_vot_high": value["high"] / 1e6,
        "bcr_vot_low": bcr(banded["low"], cfg.rate, s.start_year),
        "bcr_vot_high": bcr(banded["high"], cfg.rate, s.start_year),
        "vot_switching_factor": linear_switching(at_zero, e),
        "capex_switching_factor": capex_switching(cf, cfg.rate, s.start_year),
        "delivered_added_mt": float(np.mean(added)) if added else math.nan,
        "days_saved": float(np.nanmean(saved)) if saved and np.isfinite(saved).any() else math.nan,
    }
    return out, central


def _days_saved(base: dict, project: dict, year: int) -> float:
    """The change in tonne-weighted door-to-door days of the year's traffic (NaN without traffic)."""

    def mean(m: dict) -> tuple[float, float]:
        f = m["flows"].get(year, {})
        t = sum(v["tons"] for v in f.values())
        return t, (sum(v["tons"] * v["days"] for v in f.values() if v["tons"] > 0) / t if t > 0 else math.nan)

    (t0, d0), (t1, d1) = mean(base), mean(project)
    return d0 - d1 if t0 > 0 and t1 > 0 else math.nan


def _pv_shares(cfg: _Settings, central_by_rep: list[dict[int, dict]]) -> tuple[str, float]:
    """The stream with the largest present value (over the replications) and its share of the
    absolute present values of all streams but the transfers."""
    s = cfg.scenario
    pv = {
        k: float(
            np.mean([present_value({y: v[k] for y, v in c.items()}, cfg.rate, s.start_year) for c in central_by_rep])
        )
        for k in STREAMS
        if k not in ("shippers_charges", "operators_charges")
    }
    total = sum(abs(v) for v in pv.values())
    if total <= 0:
        return "", math.nan
    top = max(pv, key=lambda k: abs(pv[k]))
    return top, abs(pv[top]) / total


# ----------------------------------------------------------------------------------------------
# The whole appraisal
# ----------------------------------------------------------------------------------------------
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


def _settings_of(scenario: Scenario, discount_rate_pct: float | None) -> tuple[AppraisalSettings, float, float, int]:
    costs = scenario.costs
    if costs is None or costs.appraisal is None:
        raise ValueError(
            f"scenario '{scenario.name}' has no costs.appraisal: the appraisal needs the guideline's values "
            "(value of time by cargo class, reliability ratio, operators' resource costs; see base.yaml)"
        )
    rate = discount_rate_pct if discount_rate_pct is not None else costs.discount_rate_pct
    if not (math.isfinite(rate) and 0.0 <= rate < 100.0):
        raise ValueError(f"the discount rate must be a number from 0 to under 100 %/yr, got {rate}")
    return costs.appraisal, float(rate), costs.carbon_price_usd_per_t, costs.appraisal_years


def _variants(s: Scenario, ms: list[Intervention]) -> tuple[dict[frozenset, Scenario], list[tuple]]:
    """The scenario variants the appraisal runs (by the set of measures they keep), and per
    measure and mode the (project, base) sets it compares."""
    ids = [m.id for m in ms]
    pairs: list[tuple[Intervention, str, frozenset, frozenset]] = []
    for k, m in enumerate(ms):
        pairs.append((m, "stand-alone", frozenset([m.id]), frozenset()))
        pairs.append((m, "incremental", frozenset(ids[: k + 1]), frozenset(ids[:k])))
    keep = {p for _, _, a, b in pairs for p in (a, b)}
    return {k: without(s, [i for i in ids if i not in k]) for k in keep}, pairs


def appraise(
    scenario: Scenario,
    replications: int = 5,
    seed: int = 1,
    measures: Sequence[str] | None = None,
    discount_rate_pct: float | None = None,
    execution: Execution | None = None,
    demand_cases: Sequence[str] | None = None,
    share_years: bool = True,
    **options,
) -> Appraisal:
    """Appraise the scenario's costed timeline entries (or ``measures``, by id), stand-alone against
    the do-minimum and incrementally within the package, under the scenario's demand case and any
    other ``demand_cases`` (the risk analysis pools them). See the module docstring.
    ``share_years``: each variant's years before the date it differs from another's are not
    simulated again but taken over from that run (``run.branches``; the same results to the last
    digit); False runs every variant in full, as separate tasks (more of them at once on a cluster
    with more workers than the replications)."""
    with session(Execution.of(execution, **options)) as ex:
        return _appraise(scenario, replications, seed, measures, discount_rate_pct, ex, demand_cases, share_years)


def _appraise(
    scenario: Scenario,
    replications: int,
    seed: int,
    measures: Sequence[str] | None,
    discount_rate_pct: float | None,
    ex: Execution,
    demand_cases: Sequence[str] | None,
    share_years: bool = True,
) -> Appraisal:
    if replications < 2:
        raise ValueError(f"an appraisal needs at least 2 replications for its intervals, got {replications}")
    ms = _measures(scenario, measures)
    settings, rate, carbon, years_n = _settings_of(scenario, discount_rate_pct)
    cases = list(dict.fromkeys([scenario.demand_case, *(demand_cases or [])]))
    by_case = {c: with_demand_case(scenario, c) for c in cases}
    plan = {c: _variants(sc, ms) for c, sc in by_case.items()}
    money: dict[tuple[str, frozenset, int], dict] = {}
    if share_years and not ex.scheduler:
        # a task per demand case and replication: its variants branch from each other at the
        # measures' dates (a Dask cluster's workers run threads, which a fork would copy: there,
        # a task per variant)
        trees = {c: _tree(variants, ms) for c, (variants, _) in plan.items()}
        tasks = [Task(by_case[c], replication_seed(seed, r), r, variant=c) for c in plan for r in range(replications)]
        preflight_variants = [Task(v, t.seed, t.replication) for t in tasks for v in plan[t.variant][0].values()]
        preflight(preflight_variants, ex)
        for o in succeeded(tasks, replace(ex, allow_large=True), partial(money_tree_task, trees), "appraisal run"):
            for name, got in o.result.items():
                money[(o.task.variant, frozenset(name.split(",")) - {""}, o.task.replication)] = got
    else:
        tasks = [
            Task(v, replication_seed(seed, r), r, variant=f"{c}|{_name(k)}")
            for c, (variants, _) in plan.items()
            for k, v in variants.items()
            for r in range(replications)
        ]
        for o in succeeded(tasks, ex, money_task, "appraisal run"):
            c, keep = o.task.variant.split("|", 1)
            money[(c, frozenset(keep.split(",")) - {""}, o.task.replication)] = o.result
    rows, by_year, dist = [], [], []
    for m, mode, proj, base in plan[cases[0]][1]:
        per_rep: dict[str, list[float]] = {k: [] for k in _STATS}
        central_by_rep = []
        enpvs = []
        for c in cases:
            cfg = _Settings(by_case[c], settings, rate, carbon, years_n)
            for r in range(replications):
                ind, central = _indicators(cfg, m, money[(c, base, r)], money[(c, proj, r)])
                enpvs.append(ind["enpv_musd"])
                dist.append(
                    {"measure": m.id, "mode": mode, "demand_case": c, "replication": r, "enpv_musd": ind["enpv_musd"]}
                )
                for y, st in central.items():
                    by_year.append(
                        {"measure": m.id, "mode": mode, "demand_case": c, "replication": r, "year": y}
                        | {k: v / 1e6 for k, v in st.items()}
                        | {"economic_musd": economic(st) / 1e6}
                    )
                if c == cases[0]:
                    central_by_rep.append(central)
                    for k in _STATS:
                        per_rep[k].append(ind[k])
        cfg0 = _Settings(by_case[cases[0]], settings, rate, carbon, years_n)
        rows.append(_row(m, mode, per_rep, enpvs, _pv_shares(cfg0, central_by_rep), settings, scenario.end_year))
    table = pd.DataFrame(rows, columns=list(APPRAISAL_COLUMNS))
    numeric = [
        c for c in APPRAISAL_COLUMNS if c not in ("measure", "mode", "description", "date", "main_stream", "note")
    ]
    table[numeric] = table[numeric].apply(pd.to_numeric, errors="coerce").astype(float)
    assert ex.tally is not None, "appraise opens a session"
    acct = ex.tally.report()
    return Appraisal(
        table=table,
        by_year=pd.DataFrame(by_year),
        distribution=pd.DataFrame(dist),
        scenario=scenario.label,
        seed=seed,
        replications=replications,
        discount_rate_pct=rate,
        carbon_price_usd_per_t=float(carbon),
        appraisal_years=int(years_n),
        simulated_years=acct["simulated_years"],
        cpu_s=acct["cpu_s_total"],
        wall_s=acct["wall_s"],
        demand_case=scenario.demand_case,
        demand_cases=tuple(cases),
        overrides=dict(scenario.overrides),
        accounting=acct,
        guideline=settings.guideline,
        values=_values_meta(settings),
    )


def _values_meta(a: AppraisalSettings) -> dict[str, Any]:
    return {
        "value_of_time_usd_per_t_day": {c: b.model_dump() for c, b in a.value_of_time_usd_per_t_day.items()},
        "reliability_ratio": a.reliability_ratio.model_dump(),
        "rail_usd_per_t_km": a.rail_usd_per_t_km.model_dump(),
        "sea_usd_per_sailing_h": {c: b.model_dump() for c, b in a.sea_usd_per_sailing_h.items()},
        "asset_life_years": a.asset_life_years,
        "source": a.source,
    }


def _row(
    m: Intervention,
    mode: str,
    per_rep: dict,
    enpvs: list[float],
    top: tuple[str, float],
    a: AppraisalSettings,
    last_year: int,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "measure": m.id,
        "mode": mode,
        "description": m.description,
        "date": m.date.isoformat(),
        "capex_musd": m.capex_musd,
        "opex_musd_per_year": m.opex_musd_per_year,
        "asset_life_years": m.asset_life_years or a.asset_life_years,
    }
    for k in _STATS:
        st = mean_ci(per_rep[k])
        out[k], out[f"{k}_ci_low"], out[f"{k}_ci_high"] = st["mean"], st["ci_low"], st["ci_high"]
    finite = [x for x in enpvs if math.isfinite(x)]
    out["p_enpv_negative"] = sum(x < 0 for x in finite) / len(finite) if finite else math.nan
    out["main_stream"], out["main_stream_share"] = top
    notes = []
    if first_full_year(m.date) > last_year:
        for k in list(out):
            if k.startswith(_STATS) and k not in ("capex_musd",):
                out[k] = math.nan
        out["p_enpv_negative"], out["main_stream"], out["main_stream_share"] = math.nan, "", math.nan
        notes.append("in service after the simulated years: nothing measured (simulate more years)")
    elif not np.isfinite(np.asarray(per_rep["eirr_pct"], dtype=float)).any():
        notes.append("no internal rate of return: the net flows never change sign")
    out["note"] = "; ".join(notes)
    return out
