"""Scenario comparison: several scenarios' runs side by side, run with the same seeds (common
random numbers), as tables.

``compare_results`` is a pure function of runs; ``compare`` runs the scenarios first. A comparison
may also carry each scenario file's capacity trajectory and headroom (measured by
``analyses.goal``); the goal table sets the first year capacity reaches the goal beside the first
year delivered tonnes do under each demand case. A compared run's scenario file and demand case
are its scenario's fields (``base_name``, ``demand_case``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..display import comparison_html, comparison_text
from ..kpi import first_year_at_least
from ..run import output
from ..run.results import Figures, Results, load_results, replication_folders, scenario_of
from ..run.summary import TOTAL_METRICS, binding_vote, goal_reach, route_shares, totals
from ..scenario.schema import Scenario
from ..stats import aggregate, rows
from .execution import Execution, session
from .replicated import Replicated
from .replications import ReplicationsFailed, replicate_many


@dataclass(repr=False)  # the default repr would print every run's tables: see display.py
class Comparison:
    """Several scenarios run on the same seeds, side by side: each scenario's runs (``results``)
    and the tables that compare them, every statistic as ``run.summary`` makes it: ``annual`` (the
    totals by year with their intervals), ``goal`` (the first year the mean reaches the goal, and
    the share of replications that do), ``binding`` (what binds each year, with the share of
    replications naming it), ``transit`` and ``routes``; with capacity measured, each scenario
    file's trajectory and headroom. ``write(folder)`` writes every scenario's folder and the
    comparison's tables; ``read(folder)`` reads one back.
    """

    results: dict[str, list[Results]]  # each scenario's replications (one for a single run)
    annual: pd.DataFrame  # scenario, year, <total>_mean/_sd/_ci_low/_ci_high; delivered_mt = its mean
    goal: pd.DataFrame  # scenario, first_year_at_goal (of the mean; None: not by end_year), share reaching it
    binding: pd.DataFrame  # scenario, year, resource (most often binding), share of replications, kind, utilization
    transit: pd.DataFrame  # scenario, year, flow, transit_days_mean (mean over replications)
    routes: pd.DataFrame  # scenario, year, flow, route, tons, share (means over replications)
    meta: dict = field(default_factory=dict)
    failed: dict[str, list[dict]] = field(default_factory=dict)  # scenario -> replications that failed
    # capacity trajectories and headroom of each compared scenario FILE (``scenario`` column: the
    # file's scenario name, shared by its demand cases), concatenated; None unless asked for
    capacity: pd.DataFrame | None = None  # capacity.TRAJECTORY_COLUMNS
    headroom: pd.DataFrame | None = None  # capacity.HEADROOM_COLUMNS

    def __repr__(self) -> str:
        return comparison_text(self)

    def _repr_html_(self) -> str:
        return comparison_html(self)

    @property
    def replications(self) -> int:
        return min(len(v) for v in self.results.values())

    def table(self) -> pd.DataFrame:
        """Delivered Mt (mean over replications) by scenario and year, with the first year at the goal."""
        wide = self.annual.pivot(index="scenario", columns="year", values="delivered_mt").round(2)
        wide = wide.loc[list(self.results)]
        wide["first year at goal"] = [self.goal_label(s) for s in wide.index]
        return wide

    def goal_label(self, scenario: str) -> str:
        row = self.goal.set_index("scenario").loc[scenario]
        assert isinstance(row, pd.Series), "the goal table has one row per scenario"
        return str(int(row.first_year_at_goal)) if pd.notna(row.first_year_at_goal) else f"not by {int(row.end_year)}"

    def capacity_label(self, scenario: str) -> str | None:
        """The first year the capacity of ``scenario``'s file reaches its goal ('2031', 'not by 2035'),
        or None when capacity was not measured."""
        if self.capacity is None:
            return None
        base, _ = case_of(self, scenario)
        traj = self.capacity[self.capacity.scenario == base]
        if not len(traj):
            return None
        goal = self.results[scenario][0].scenario.goal_mt_per_year
        year = first_year_at_least(traj, goal)
        return str(year) if year is not None else f"not by {int(traj.year.max())}"

    def to_markdown(self, years: list[int] | None = None, ci: bool = False) -> str:
        t = self.table()
        a = self.annual.set_index(["scenario", "year"])
        cols = [c for c in t.columns if c != "first year at goal" and (years is None or c in years)]
        goal = self.goal.goal_mt.iloc[0]
        cap = self.capacity is not None
        head = (
            "| scenario | "
            + " | ".join(str(c) for c in cols)
            + (f" | first year delivered ≥ {goal:g} Mt |" if cap else f" | first year at {goal:g} Mt |")
            + (f" first year capacity ≥ {goal:g} Mt |" if cap else "")
        )
        sep = "|---|" + "---:|" * len(cols) + "---|" + ("---|" if cap else "")

        def cell(s, c):
            if ci and self.replications > 1:
                r = a.loc[(s, c)]
                return f"{r.delivered_mt:.2f} ± {(r.delivered_mt_ci_high - r.delivered_mt_ci_low) / 2:.2f}"
            return f"{t.loc[s, c]:.2f}"

        rows = [
            f"| {s} | "
            + " | ".join(cell(s, c) for c in cols)
            + f" | {t.loc[s, 'first year at goal']} |"
            + (f" {self.capacity_label(s) or '-'} |" if cap else "")
            for s in t.index
        ]
        return "\n".join([head, sep, *rows])

    def write(self, out: str | Path, overwrite: bool = False, figures: Figures | None = None) -> Path:
        """Write the comparison to ``out`` under the output contract: ``out`` must be absent, empty
        or earlier results (replaced only with ``overwrite``, swapped in when complete)."""
        return output.write_folder(out, lambda tmp: self.write_into(tmp, figures), kind="compare", overwrite=overwrite)

    def write_into(self, folder: str | Path, figures: Figures | None = None) -> Path:
        """Each scenario's results in folder/<name>/ (replicated: statistics beside the replications
        already there), and the comparison tables (and with ``figures`` its plots) in folder/,
        which the caller has claimed (``output.result_folder``)."""
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        for name, runs in self.results.items():
            if len(runs) == 1:
                runs[0].write(out / name, overwrite=True, figures=figures)
            else:
                Replicated(runs[0].scenario, runs[0].seed, runs, failed=self.failed.get(name, [])).write(
                    out / name, figures
                )
        with output.scratch(out) as tmp:
            self.annual.to_csv(tmp / "compare_annual.csv", index=False)
            self.goal.to_csv(tmp / "compare_goal.csv", index=False)
            self.binding.to_csv(tmp / "compare_binding.csv", index=False)
            self.transit.to_csv(tmp / "compare_transit.csv", index=False)
            self.routes.to_csv(tmp / "compare_routes.csv", index=False)
            self.table().to_csv(tmp / "compare_table.csv")
            if self.capacity is not None:
                self.capacity.to_csv(tmp / "capacity.csv", index=False)
                goal_table(self).to_csv(tmp / "compare_capacity_goal.csv", index=False)
            if self.headroom is not None:
                self.headroom.to_csv(tmp / "headroom.csv", index=False)
            (tmp / "comparison.json").write_text(json.dumps(self.summary(), indent=2, default=str))
            if figures is not None:
                figures(self, tmp)
            output.move_into(tmp, out)
        return out

    @classmethod
    def read(cls, folder: str | Path, tables: tuple[str, ...] | None = None) -> Comparison:
        """A comparison folder read back (each scenario's runs with only ``tables``, when given,
        and the capacity trajectory and headroom when it has them); ResultsFolderError if it is
        not one or is damaged."""
        folder = Path(folder)
        if not (folder / "comparison.json").exists():
            raise output.ResultsFolderError(
                f"{folder}: no comparison.json (give a folder written by `corridor-sim compare`)"
            )
        runs = {}
        for sub in scenario_folders(folder):
            reps = replication_folders(sub) if (sub / "manifest.json").exists() else [sub]
            scn = scenario_of(sub)
            runs[scn.label] = [load_results(r, scn, tables) for r in reps]
        cmp = compare_results(runs)
        for name in ("capacity", "headroom"):
            path = folder / f"{name}.csv"
            if path.exists():
                setattr(cmp, name, pd.read_csv(path))
        return cmp

    def summary(self) -> dict:
        out = {"scenarios": {}, "replications": self.replications, **self.meta}
        for name in self.results:
            a = self.annual[self.annual.scenario == name]
            b = self.binding[self.binding.scenario == name]
            g = self.goal.set_index("scenario").loc[name]
            assert isinstance(g, pd.Series), "the goal table has one row per scenario"
            out["scenarios"][name] = {
                "demand_case": str(g.demand_case),
                "first_year_at_goal": self.goal_label(name),
                "share_of_replications_reaching_goal": float(g.share_reaching_goal),
                "delivered_mt": {
                    int(r.year): {
                        "mean": round(float(r.delivered_mt), 3),
                        "ci95": [_r(r.delivered_mt_ci_low), _r(r.delivered_mt_ci_high)],
                    }
                    for r in rows(a)
                },
                "binding_bottleneck": {int(r.year): (r.resource if r.binding else None) for r in rows(b)},
            }
            if self.capacity is not None:
                out["scenarios"][name]["first_year_capacity_at_goal"] = self.capacity_label(name)
        return out


def _r(x):
    return None if x is None or pd.isna(x) else round(float(x), 3)


# ----------------------------------------------------------------------------------------------
# Capacity beside delivered tonnes
# ----------------------------------------------------------------------------------------------


def case_of(cmp: Comparison, name: str) -> tuple[str, str]:
    """(the scenario file's name, demand case) of one compared run."""
    s = cmp.results[name][0].scenario
    return s.base_name, s.demand_case


def scenario_files(cmp: Comparison) -> dict[str, list[str]]:
    """Each scenario file's name -> its compared runs (one per demand case), in comparison order."""
    out: dict[str, list[str]] = {}
    for n in cmp.results:
        out.setdefault(case_of(cmp, n)[0], []).append(n)
    return out


def case_series(cmp: Comparison) -> pd.DataFrame:
    """Per compared run and year: its scenario file, demand case, the tonnes offered (what sought
    the corridor, Mt) and the tonnes delivered with their 95% interval: what comes and what is
    carried, to set beside what could be carried."""
    rows = []
    for n in cmp.results:
        base, case = case_of(cmp, n)
        a = cmp.annual[cmp.annual.scenario == n]
        rows.append(
            pd.DataFrame(
                {
                    "scenario": base,
                    "case": case,
                    "run": n,
                    "year": a.year.astype(int).to_numpy(),
                    "offered_mt": a.offered_mt.to_numpy(float),
                    "delivered_mt": a.delivered_mt.to_numpy(float),
                    "delivered_mt_ci_low": a.delivered_mt_ci_low.to_numpy(float),
                    "delivered_mt_ci_high": a.delivered_mt_ci_high.to_numpy(float),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def goal_table(cmp: Comparison) -> pd.DataFrame:
    """Per scenario file: the first year its capacity reaches the goal (of the mean, and of the
    lower end of the 95% interval), the first year delivered tonnes do under each demand case
    compared (``delivered_first_year_<case>``, of the mean), and what binds the capacity in the
    year it first reaches the goal (else in its last year measured).

    Years are nullable integers: <NA> is 'not in the years simulated'. ``capacity_lower_bound``
    says that some year up to the capacity's first year at the goal was not saturated in every
    replication, so its estimate is a lower bound and the true first year may be earlier.
    """
    goal = cmp.goal.set_index("scenario")
    cases = list(dict.fromkeys(case_of(cmp, n)[1] for n in cmp.results))
    rows = []
    for base, runs in scenario_files(cmp).items():
        s = cmp.results[runs[0]][0].scenario
        row: dict = {"scenario": base, "goal_mt": s.goal_mt_per_year, "end_year": s.end_year}
        traj = None
        if cmp.capacity is not None:
            traj = cmp.capacity[(cmp.capacity.scenario == base) & (cmp.capacity.cargo == "all")].sort_values("year")
        if traj is not None and len(traj):
            first = first_year_at_least(traj, s.goal_mt_per_year)
            row["capacity_first_year"] = first
            row["capacity_first_year_ci_low"] = first_year_at_least(traj, s.goal_mt_per_year, bound="ci_low")
            at = traj[traj.year == first].iloc[0] if first is not None else traj.iloc[-1]
            upto = traj[traj.year <= int(at.year)]
            row["capacity_lower_bound"] = bool((upto.saturated_share < 1).any())
            row["capacity_mt"] = float(at.capacity_mt)
            row["capacity_mt_ci_low"] = float(at.capacity_mt_ci_low)
            row["capacity_mt_ci_high"] = float(at.capacity_mt_ci_high)
            row["binding_year"] = int(at.year)
            row["binding"] = at.binding
            row["binding_label"] = at.binding_label
            row["binding_kind"] = at.binding_kind
        by_case = {case_of(cmp, n)[1]: n for n in runs}
        for case in cases:
            n = by_case.get(case)
            fy = goal.first_year_at_goal.get(n) if n is not None else None
            row[f"delivered_first_year_{case}"] = int(fy) if fy is not None and pd.notna(fy) else None
        rows.append(row)
    out = pd.DataFrame(rows)
    for c in out.columns:
        if c.endswith("_first_year") or "_first_year_" in c or c == "binding_year":
            out[c] = out[c].astype("Int64")
    return out


def compare_results(results: Mapping[str, Results | list[Results]]) -> Comparison:
    """Comparison tables from runs already made: one Results or a list of replications per scenario
    (the same seeds for every scenario, for a fair comparison). The statistics are
    ``run.summary``'s, as in each scenario's own summary.json."""
    runs = {k: (v if isinstance(v, list) else [v]) for k, v in results.items()}
    annual, goal, binding, transit, routes = [], [], [], [], []
    for name, reps in runs.items():
        scn = reps[0].scenario
        t = aggregate([totals(r) for r in reps], ["year"], TOTAL_METRICS)
        t.insert(0, "scenario", name)
        for m in TOTAL_METRICS:
            t[m] = t[f"{m}_mean"]
        annual.append(t)
        for year in sorted(t.year):
            binding.append(
                {"scenario": name, "year": int(year), **binding_vote(reps, year, scn.output.bottleneck_threshold)}
            )
            for (f, route), d in route_shares(reps, year).items():
                routes.append(
                    {
                        "scenario": name,
                        "year": int(year),
                        "flow": f,
                        "route": route,
                        "tons": float(np.mean(d["tons"])),
                        "share": float(np.mean(d["share"])),
                    }
                )
        tr = aggregate([r.annual for r in reps], ["year", "flow"], ["transit_days_mean", "transit_days_p95"])
        for row in rows(tr):
            transit.append(
                {
                    "scenario": name,
                    "year": int(row.year),
                    "flow": row.flow,
                    "transit_days_mean": row.transit_days_mean_mean,
                    "transit_days_p95": row.transit_days_p95_mean,
                    "transit_days_mean_ci_low": row.transit_days_mean_ci_low,
                    "transit_days_mean_ci_high": row.transit_days_mean_ci_high,
                }
            )
        reach = goal_reach(reps, scn.goal_mt_per_year, pd.Series(t.delivered_mt.to_numpy(), index=t.year.to_numpy()))
        goal.append(
            {
                "scenario": name,
                "demand_case": scn.demand_case,
                "goal_mt": scn.goal_mt_per_year,
                "first_year_at_goal": reach["first_year_of_mean"],
                "share_reaching_goal": reach["share_of_replications_reaching_goal"],
                "end_year": scn.end_year,
            }
        )
    seeds = sorted({tuple(r.seed for r in reps) for reps in runs.values()})
    return Comparison(
        runs,
        pd.concat(annual, ignore_index=True),
        pd.DataFrame(goal),
        pd.DataFrame(binding),
        pd.DataFrame(transit),
        pd.DataFrame(routes),
        {"seeds": list(seeds[0]), "common_random_numbers": len(seeds) == 1},
    )


class ComparisonFailed(ReplicationsFailed):
    """Replications failed in a comparison; ``comparison`` holds the comparison of those that
    succeeded when every scenario has some (None otherwise)."""

    def __init__(self, failed: ReplicationsFailed, comparison: Comparison | None):
        super().__init__(failed.failures, failed.runs)
        self.comparison = comparison


def compare(
    scenarios: list[Scenario],
    seed: int = 1,
    replications: int = 1,
    out: str | Path | None = None,
    execution: Execution | None = None,
    **options,
) -> Comparison:
    """Run each scenario (``replications`` times, the same seeds for all) and compare them.

    ``execution`` (an ``Execution``, or its fields by name: ``workers=2`` ...) says where and how;
    by default in this process. With ``out``, every finished replication is written to
    out/<scenario>/replications/ at once, so an interrupted comparison can be resumed. When
    replications fail, ComparisonFailed is raised after the others finish; its ``comparison`` is
    built from those that succeeded when every scenario has some. (Each scenario file's capacity
    beside it: ``analyses.goal.compare``.)
    """
    ex = Execution.of(execution, **({"workers": 1} | options) if execution is None else options)
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise ValueError(f"scenario names must differ to be compared: {names}")
    out = Path(out) if out is not None else None
    jobs = [(s, (out / s.name) if out is not None and replications > 1 else None) for s in scenarios]
    with session(ex) as ex:
        try:
            runs = replicate_many(jobs, replications, seed, ex)
        except ReplicationsFailed as exc:
            partial = None
            if all(exc.runs.get(n) for n in names):
                partial = compare_results(exc.runs)
                partial.failed = exc.failures
            raise ComparisonFailed(exc, partial) from None
        result = compare_results(runs)
        assert ex.tally is not None, "compare opens a session"
        result.meta["accounting"] = ex.tally.report()  # in comparison.json (docs/performance.md)
    return result


def scenario_folders(folder: Path) -> list[Path]:
    """The scenario folders of a comparison folder, in the comparison's own order (so every
    scenario keeps its colour)."""
    subs = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    listed = output.read_json(folder / "comparison.json", "comparison").get("scenarios", {})
    rank = {name: i for i, name in enumerate(listed)}
    subs.sort(key=lambda p: (rank.get(p.name, len(rank)), p.name))
    return subs
