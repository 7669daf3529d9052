"""Analyses built on replications: parameter sweeps, the bottleneck ranking ("what should we
build first") and global sensitivity (Morris screening with SALib); sustainable capacity is in
``corridor_sim.capacity``.

Each analysis turns a scenario into a batch of independent simulations (Tasks) and runs them
with ``experiment.execute`` as its ``Execution`` says: in this process, on a local pool or on
Dask, with identical results for the same seed. A task's worker sends back only the KPIs the
analysis reads, not the run's tables. Comparisons between variants use common random numbers
(the same replication seeds), so the differences they report are not seed noise.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from . import runsize
from .experiment import Execution, Outcome, Task, execute, replication_seed
from .labels import group_label, line_label, link_label, place
from .loading import ScenarioError, _slot, apply_override, scale_value, validate_dict
from .scenario import Scenario
from .simulate import run
from .stats import mean_ci
from .summary import totals


def _variant(
    s: Scenario,
    overrides: dict[str, Any] | None = None,
    scales: dict[str, float] | None = None,
    years: tuple[int, int] | None = None,
    label: str = "variant",
) -> Scenario:
    """A validated copy of ``s`` with values set and/or scaled (ScenarioError if invalid)."""
    raw = s.model_dump(mode="python", by_alias=True)
    for path, v in (overrides or {}).items():
        apply_override(raw, path, v)
    for path, f in (scales or {}).items():
        scale_value(raw, path, f)
    if years is not None:
        raw["start_year"], raw["end_year"] = years
    return validate_dict(raw, label, check_dates=False)


def _kpis(res) -> dict:
    t = totals(res)
    w = t.delivered_mt
    return {
        "delivered_mt_last_year": float(w.iloc[-1]),
        "delivered_mt_per_year": float(w.mean()),
        "transit_days_mean": float((t.transit_days_mean * w).sum() / w.sum()) if w.sum() > 0 else np.nan,
        "backlog_mt_end": float(t.backlog_mt.iloc[-1]),
        "in_system_mt_end": float(t.in_system_mt.iloc[-1]),
        "diverted_mt_per_year": float(t.diverted_mt.mean()),
    }


def kpi_task(task: Task) -> Outcome[dict]:
    """Run a task and send back only its KPIs (``_kpis``), not its tables."""
    try:
        return Outcome(task, _kpis(run(task.scenario, seed=task.seed, allow_large=True, detail=False)))
    except Exception as exc:
        return Outcome(task, None, f"{type(exc).__name__}: {exc}")


def _outcomes(tasks: list[Task], ex: Execution, fn, what: str):
    """The outcomes of tasks that must all succeed (an analysis cannot rank on a missing run)."""
    for outcome in execute(tasks, ex, fn):
        if outcome.error:
            raise RuntimeError(f"{what} {outcome.task.key} failed: {outcome.error}")
        yield outcome


# ----------------------------------------------------------------------------------------------
# Sweep
# ----------------------------------------------------------------------------------------------
def parse_vary(text: str) -> tuple[str, list[Any]]:
    """``path=v1,v2,...`` -> (path, [values]) with values read as YAML scalars.

    >>> parse_vary("demand.scale=0.8,1,1.2")
    ('demand.scale', [0.8, 1, 1.2])
    """
    from .safeyaml import YamlInputError, load_value

    if "=" not in text:
        raise ValueError(f"--vary takes path=v1,v2,..., got {text!r}")
    path, values = text.split("=", 1)
    vals = []
    for v in (v for v in values.split(",") if v.strip()):
        try:
            vals.append(load_value(v))
        except YamlInputError as exc:
            raise ValueError(f"--vary {path.strip()}: the value {v.strip()!r} is not a YAML scalar ({exc})") from None
    if not path.strip() or not vals:
        raise ValueError(f"--vary needs a path and at least one value, got {text!r}")
    return path.strip(), vals


def sweep(
    scenario: Scenario,
    varies: list[tuple[str, list]],
    replications: int = 1,
    seed: int = 1,
    execution: Execution | None = None,
    **options,
) -> pd.DataFrame:
    """Run the grid of ``varies`` (every combination), ``replications`` each with common seeds.

    One row per point and replication. A point whose values are invalid or too large for this
    machine, or whose run fails, is recorded with its error and the sweep goes on.
    """
    ex = Execution.of(execution, **options)
    paths = [p for p, _ in varies]
    rows, tasks = [], []
    for i, values in enumerate(itertools.product(*[v for _, v in varies])):
        point = dict(zip(paths, values))
        try:
            scn = _variant(scenario, point, label=f"point {i}")
            runsize.check(scn, allow_large=ex.allow_large, what=f"point {i}", detail=False)
        except (ScenarioError, KeyError, runsize.RunTooLarge) as exc:
            msg = (
                str(exc.args[0])
                if isinstance(exc, KeyError)
                else "; ".join(str(p) for p in exc.problems) or str(exc)
                if isinstance(exc, ScenarioError)
                else str(exc)
            )
            for r in range(replications):
                rows.append(
                    {
                        "point": i,
                        **point,
                        "replication": r,
                        "seed": replication_seed(seed, r),
                        "status": "invalid",
                        "error": msg,
                    }
                )
            continue
        for r in range(replications):
            tasks.append(Task(scn, replication_seed(seed, r), r, variant=f"point {i}"))
            rows.append(
                {
                    "point": i,
                    **point,
                    "replication": r,
                    "seed": replication_seed(seed, r),
                    "status": "pending",
                    "error": None,
                }
            )
    index = {(f"point {row['point']}", row["replication"]): row for row in rows}
    for outcome in execute(tasks, ex, kpi_task):
        row = index[(outcome.task.variant, outcome.task.replication)]
        if outcome.error:
            row.update(status="failed", error=outcome.error)
        else:
            assert outcome.result is not None, "a task that raised no error has its result"
            row.update(status="ok", **outcome.result)
    return pd.DataFrame(rows)


def sweep_summary(table: pd.DataFrame, paths: list[str], kpi: str = "delivered_mt_last_year") -> pd.DataFrame:
    ok = table[table.status == "ok"]
    rows = []
    for point, g in table.groupby("point"):
        s = mean_ci(ok.loc[ok.point == point, kpi]) if kpi in ok else mean_ci([])
        rows.append(
            {
                "point": point,
                **{p: g[p].iloc[0] for p in paths},
                "n_ok": int((g.status == "ok").sum()),
                f"{kpi}_mean": s["mean"],
                f"{kpi}_ci_low": s["ci_low"],
                f"{kpi}_ci_high": s["ci_high"],
                "error": g.error.dropna().iloc[0] if g.error.notna().any() else None,
            }
        )
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------------------------
# Sustainable capacity
# ----------------------------------------------------------------------------------------------
def capacity_scenario(s: Scenario, year: int, last: int | None = None) -> Scenario:
    """The scenario as it stands in ``year`` (to ``last``, when given), simulated for those years
    alone, with demand fixed at its trend (no response to tariffs or time), so that changing or
    saturating it probes capacity (``bottlenecks``; ``corridor_sim.capacity``)."""
    over = {}
    for f in s.demand.flows:
        if f.response is not None:
            over[f"demand.flows.{f.id}.response.tariff_elasticity"] = 0.0
            over[f"demand.flows.{f.id}.response.trade_gain_per_day_saved"] = 0.0
    end = year if last is None else last
    span = f"{year}" if end == year else f"{year}-{end}"
    return _variant(s, over, years=(year, end), label=f"{s.name} in {span}")


# ----------------------------------------------------------------------------------------------
# Bottleneck ranking: what to build first
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Lever:
    id: str
    kind: str
    label: str
    set: tuple = ()
    scale: tuple = ()


def levers(s: Scenario, step: float = 0.25) -> list[Lever]:
    """Every capacity-bearing resource and how to raise it by one step: +step for rates and sizes,
    +1 for whole things (a berth, a track, a vessel)."""
    out = []
    f = 1.0 + step
    for l in s.rail_links:
        if l.paths is not None:
            # an explicit figure that wins over the track's (tracks are not raised by a fraction)
            out.append(
                Lever(
                    f"{l.id}:paths",
                    "rail_path",
                    f"{link_label(s, l.id)}: +{step:.0%} train paths",
                    set=((f"rail_links.{l.id}.paths_per_day", round(l.paths * f, 6)),),
                )
            )
        if l.crossing is not None:
            out.append(
                Lever(
                    f"{l.id}:crossing",
                    "crossing",
                    f"{link_label(s, l.id)} crossing: +1 transshipment track",
                    set=((f"rail_links.{l.id}.crossing.transshipment_tracks", l.crossing.transshipment_tracks + 1),),
                )
            )
    for p in s.ports:
        for t in p.terminals:
            base = f"ports.{p.id}.terminals.{t.cargo}"
            where = f"{place(s, p.id)} {t.cargo}"
            out += [
                Lever(
                    f"{p.id}:{t.cargo}:berths", "berth", f"{where}: +1 berth", set=((f"{base}.berths", t.berths + 1),)
                ),
                Lever(
                    f"{p.id}:{t.cargo}:rail_tracks",
                    "rail_track",
                    f"{where}: +1 rail track",
                    set=((f"{base}.rail_tracks", t.rail_tracks + 1),),
                ),
                Lever(
                    f"{p.id}:{t.cargo}:yard",
                    "yard",
                    f"{where}: +{step:.0%} yard",
                    scale=((f"{base}.yard_capacity_units", f),),
                ),
                Lever(
                    f"{p.id}:{t.cargo}:handling",
                    "berth",
                    f"{where}: +{step:.0%} ship handling rate",
                    scale=((f"{base}.handling_units_per_h", f),),
                ),
            ]
    for pool in s.rolling_stock:
        out.append(
            Lever(
                f"stock:{pool.id}",
                "rolling_stock",
                f"{pool.label}: +{step:.0%} {pool.kind.replace('_', ' ')}s",
                set=((f"rolling_stock.{pool.id}.count", math.ceil(pool.count * f)),),
            )
        )
    for line in s.sea_lines:
        for v in line.vessels:
            out.append(
                Lever(
                    f"{line.id}:{v.id}",
                    "fleet",
                    f"{line_label(s, line.id)}: +1 {group_label(s, line.id, v.id)}",
                    set=tuple(s.added_vessels(line.id, v.id, v.count + 1).items()),
                )
            )
    return out


# A lever on a resource busy less than this share of the year in the baseline is not run: cargo
# hardly queues at it, so one step more of it cannot carry more. (A yard is screened on its peak
# fill instead, a vessel group on its line's busiest group.) tests/test_experiments.py checks on a
# full ranking that the levers screened out change delivered tonnes by nothing measurable.
SCREEN_UTILIZATION = 0.5
SCREEN_YARD_PEAK = 0.9


def baseline_task(task: Task) -> Outcome[dict]:
    """A baseline run's delivered tonnes and what the screening reads: each resource's utilization
    and (yards) peak fill, in the year measured."""
    try:
        res = run(task.scenario, seed=task.seed, allow_large=True, detail=False)
        r = res.resources
        return Outcome(
            task,
            {
                "delivered_t": float(res.annual.tons_delivered.sum()),
                "utilization": dict(zip(r.resource, r.utilization.astype(float))),
                "peak": dict(zip(r.resource, r.max_queue.astype(float))),
            },
        )
    except Exception as exc:
        return Outcome(task, None, f"{type(exc).__name__}: {exc}")


def delivered_task(task: Task) -> Outcome[float]:
    """A run's delivered tonnes, all it sends back."""
    try:
        res = run(task.scenario, seed=task.seed, allow_large=True, detail=False)
        return Outcome(task, float(res.annual.tons_delivered.sum()))
    except Exception as exc:
        return Outcome(task, None, f"{type(exc).__name__}: {exc}")


def screen(lv: Lever, utilization: dict[str, float], peak: dict[str, float]) -> str | None:
    """Why ``lv`` cannot matter in the baseline (the most over its replications), or None to run it."""
    if lv.kind == "yard":
        top = peak.get(lv.id, 1.0)
        return (
            None if top >= SCREEN_YARD_PEAK else f"the yard's fill peaked at {top:.0%} (below {SCREEN_YARD_PEAK:.0%})"
        )
    if lv.kind == "fleet":
        line = lv.id.split(":")[0]
        groups = [u for name, u in utilization.items() if name.split(":")[0] == line]
        top = max(groups) if groups else 1.0
        what = "its line's busiest vessel group"
    else:
        resource = lv.id.rsplit(":", 1)[0] + ":berths" if lv.id.endswith(":handling") else lv.id
        top = utilization.get(resource, 1.0)
        what = "the resource"
    if top >= SCREEN_UTILIZATION:
        return None
    return f"{what} was {top:.0%} busy in the baseline (below {SCREEN_UTILIZATION:.0%}): cargo hardly queues there"


def bottlenecks(
    scenario: Scenario,
    year: int | None = None,
    replications: int = 2,
    seed: int = 1,
    step: float = 0.25,
    screened: bool = True,
    execution: Execution | None = None,
    **options,
) -> pd.DataFrame:
    """Raise each resource's capacity by one step in ``year`` and measure the change in delivered
    tonnes against the unchanged scenario on common random numbers (paired differences).

    The baseline runs first; with ``screened``, levers on resources it shows nearly idle are not
    run, and appear in the table with ``skipped`` giving the reason and no delta."""
    ex = Execution.of(execution, **options)
    year = year or scenario.end_year
    base = capacity_scenario(scenario, year)
    seeds = [replication_seed(seed, r) for r in range(replications)]
    all_levers = levers(base, step)
    variants = {lv.id: _variant(base, dict(lv.set), dict(lv.scale), label=lv.id) for lv in all_levers}
    first = [Task(base, sd, r, variant="baseline") for r, sd in enumerate(seeds)]
    # one size check for the whole analysis; progress counts the runs of both batches together
    from .experiment import preflight

    preflight(first + [Task(v, sd, r) for v in variants.values() for r, sd in enumerate(seeds)], ex)
    total = replications * (1 + len(all_levers))

    def batch(offset: int) -> Execution:
        tell = ex.progress
        return replace(ex, allow_large=True, progress=(lambda d, t: tell(offset + d, total)) if tell else None)

    b: dict[int, float] = {}
    util: dict[str, float] = {}
    peak: dict[str, float] = {}
    for outcome in _outcomes(first, batch(0), baseline_task, "bottleneck baseline"):
        b[outcome.task.replication] = outcome.result["delivered_t"]
        for k, u in outcome.result["utilization"].items():
            util[k] = max(util.get(k, 0.0), u if u == u else 0.0)
        for k, u in outcome.result["peak"].items():
            peak[k] = max(peak.get(k, 0.0), u if u == u else 0.0)
    skipped = {lv.id: why for lv in all_levers if screened and (why := screen(lv, util, peak))}
    if skipped:
        ex.say(f"{len(skipped)} of {len(all_levers)} levers skipped: their resources are nearly idle in the baseline")
        total -= replications * len(skipped)
    tasks = [
        Task(variants[lv.id], sd, r, variant=lv.id)
        for lv in all_levers
        if lv.id not in skipped
        for r, sd in enumerate(seeds)
    ]
    delivered: dict[str, dict[int, float]] = {lv.id: {} for lv in all_levers}
    for outcome in _outcomes(tasks, batch(replications), delivered_task, "bottleneck run"):
        delivered[outcome.task.variant][outcome.task.replication] = outcome.result
    rows = []
    for lv in all_levers:
        if lv.id in skipped:
            s = {"mean": None, "ci_low": None, "ci_high": None}
        else:
            s = mean_ci([(delivered[lv.id][r] - b[r]) / 1e3 for r in range(replications)])
        rows.append(
            {
                "scenario": scenario.label,
                "lever": lv.id,
                "kind": lv.kind,
                "label": lv.label,
                "year": year,
                "replications": replications,
                "delta_kt_mean": s["mean"],
                "delta_kt_ci_low": s["ci_low"],
                "delta_kt_ci_high": s["ci_high"],
                "baseline_mt": float(np.mean(list(b.values())) / 1e6),
                "skipped": skipped.get(lv.id),
            }
        )
    table = pd.DataFrame(rows)
    ran = table[table.skipped.isna()].sort_values("delta_kt_mean", ascending=False)
    return pd.concat([ran, table[table.skipped.notna()]]).reset_index(drop=True)


# ----------------------------------------------------------------------------------------------
# Global sensitivity: Morris elementary effects (SALib)
# ----------------------------------------------------------------------------------------------
def sensitivity(
    scenario: Scenario,
    trajectories: int = 8,
    levels: int = 4,
    seed: int = 1,
    execution: Execution | None = None,
    **options,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Morris screening over the scenario's ``uncertain`` parameters; returns (ranking, runs).

    Every sample runs with the same seed (common random numbers), so the elementary effects are
    differences of the parameters, not of the random numbers. Outputs: delivered Mt per year and
    tonne-weighted transit days over the scenario's years.
    """
    try:
        from SALib.analyze import morris as morris_analyze
        from SALib.sample import morris as morris_sample
    except ImportError:  # an optional extra: only this analysis needs SALib (and scipy through it)
        raise ValueError("Morris screening needs SALib: pip install 'corridor-sim[sensitivity]'") from None

    ex = Execution.of(execution, **options)
    if not scenario.uncertain:
        raise ValueError(f"scenario '{scenario.name}' marks no uncertain parameters (an 'uncertain:' list)")
    names = [u.label for u in scenario.uncertain]
    problem = {"num_vars": len(names), "names": names, "bounds": [[u.low, u.high] for u in scenario.uncertain]}
    X = morris_sample.sample(problem, N=trajectories, num_levels=levels, seed=seed)
    raw = scenario.model_dump(mode="python", by_alias=True)
    tasks: list[Task] = []
    rows: list[dict[str, Any]] = []
    for i, x in enumerate(X):
        point = {}
        for u, v in zip(scenario.uncertain, x):
            for path in u.paths:
                node, key = _slot(raw, path, create=False)
                point[path] = (
                    int(round(v)) if isinstance(node[key], int) and not isinstance(node[key], bool) else float(v)
                )
        tasks.append(Task(_variant(scenario, point, label=f"sample {i}"), seed, variant=f"sample {i}"))
        rows.append({"sample": i, **point})
    out = {}
    for outcome in _outcomes(tasks, ex, kpi_task, "sensitivity"):
        out[int(outcome.task.variant.split()[1])] = outcome.result
    runs = pd.DataFrame([{**row, **out[row["sample"]]} for row in rows])
    effects = []
    for kpi in ("delivered_mt_per_year", "transit_days_mean"):
        y = runs[kpi].to_numpy(dtype=float)
        Si = morris_analyze.analyze(problem, X, y, num_levels=levels, seed=seed)
        for j, name in enumerate(names):
            effects.append(
                {
                    "output": kpi,
                    "parameter": name,
                    "mu_star": float(Si["mu_star"][j]),
                    "mu_star_conf": float(Si["mu_star_conf"][j]),
                    "mu": float(Si["mu"][j]),
                    "sigma": float(Si["sigma"][j]),
                }
            )
    ranking = pd.DataFrame(effects).sort_values(["output", "mu_star"], ascending=[True, False]).reset_index(drop=True)
    return ranking, runs
