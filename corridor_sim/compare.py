"""Scenario comparison: several Results side by side, run with the same seed (common random numbers).

``compare_results`` is a pure function of Results; ``compare`` runs the scenarios first.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import output
from .results import Results, _rows
from .scenario import Scenario


@dataclass(repr=False)  # the default repr would print every run's tables: see display.py
class Comparison:
    results: dict[str, list[Results]]  # each scenario's replications (one for a single run)
    annual: pd.DataFrame  # scenario, year, <total>_mean/_sd/_ci_low/_ci_high; delivered_mt = its mean
    goal: pd.DataFrame  # scenario, first_year_at_goal (of the mean; None: not by end_year), share reaching it
    binding: pd.DataFrame  # scenario, year, resource (most often binding), share of replications, kind, utilization
    transit: pd.DataFrame  # scenario, year, flow, transit_days_mean (mean over replications)
    routes: pd.DataFrame  # scenario, year, flow, route, tons, share (means over replications)
    meta: dict = field(default_factory=dict)
    failed: dict[str, list[dict]] = field(default_factory=dict)  # scenario -> replications that failed

    def __repr__(self) -> str:
        from .display import comparison_text

        return comparison_text(self)

    def _repr_html_(self) -> str:
        from .display import comparison_html

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

    def to_markdown(self, years: list[int] | None = None, ci: bool = False) -> str:
        t = self.table()
        a = self.annual.set_index(["scenario", "year"])
        cols = [c for c in t.columns if c != "first year at goal" and (years is None or c in years)]
        goal = self.goal.goal_mt.iloc[0]
        head = "| scenario | " + " | ".join(str(c) for c in cols) + f" | first year at {goal:g} Mt |"
        sep = "|---|" + "---:|" * len(cols) + "---|"

        def cell(s, c):
            if ci and self.replications > 1:
                r = a.loc[(s, c)]
                return f"{r.delivered_mt:.2f} ± {(r.delivered_mt_ci_high - r.delivered_mt_ci_low) / 2:.2f}"
            return f"{t.loc[s, c]:.2f}"

        rows = [
            f"| {s} | " + " | ".join(cell(s, c) for c in cols) + f" | {t.loc[s, 'first year at goal']} |"
            for s in t.index
        ]
        return "\n".join([head, sep, *rows])

    def write(
        self, out: str | Path, plots: bool = True, route_flow: str | None = None, overwrite: bool = False
    ) -> Path:
        """Write the comparison to ``out`` under the output contract: ``out`` must be absent, empty
        or earlier results (replaced only with ``overwrite``, swapped in when complete)."""
        return output.write_folder(
            out, lambda tmp: self.write_into(tmp, plots, route_flow), kind="compare", overwrite=overwrite
        )

    def write_into(self, folder: str | Path, plots: bool = True, route_flow: str | None = None) -> Path:
        """Each scenario's results in folder/<name>/ (replicated: statistics beside the replications
        already there), and the comparison tables and plots in folder/, which the caller has
        claimed (``output.result_folder``)."""
        from .replicated import Replicated

        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        for name, runs in self.results.items():
            if len(runs) == 1:
                runs[0].write(out / name, plots=plots, overwrite=True)
            else:
                Replicated(runs[0].scenario, runs[0].seed, runs, failed=self.failed.get(name, [])).write(
                    out / name, plots=plots
                )
        with output.scratch(out) as tmp:
            self.annual.to_csv(tmp / "compare_annual.csv", index=False)
            self.goal.to_csv(tmp / "compare_goal.csv", index=False)
            self.binding.to_csv(tmp / "compare_binding.csv", index=False)
            self.transit.to_csv(tmp / "compare_transit.csv", index=False)
            self.routes.to_csv(tmp / "compare_routes.csv", index=False)
            self.table().to_csv(tmp / "compare_table.csv")
            (tmp / "comparison.json").write_text(json.dumps(self.summary(), indent=2, default=str))
            if plots:
                from .plots import save_comparison

                save_comparison(self, tmp, flow=route_flow)
            for f in tmp.iterdir():
                os.replace(f, out / f.name)
        return out

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
                    for r in _rows(a)
                },
                "binding_bottleneck": {int(r.year): (r.resource if r.binding else None) for r in _rows(b)},
            }
        return out


def _r(x):
    return None if x is None or pd.isna(x) else round(float(x), 3)


def compare_results(results: Mapping[str, Results | list[Results]]) -> Comparison:
    """Comparison tables from runs already made: one Results or a list of replications per scenario
    (the same seeds for every scenario, for a fair comparison). The statistics are
    ``corridor_sim.summary``'s, as in each scenario's own summary.json."""
    from .stats import aggregate
    from .summary import TOTAL_METRICS, binding_vote, goal_reach, route_shares, totals

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
        for row in _rows(tr):
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


def compare(
    scenarios: list[Scenario],
    seed: int = 1,
    replications: int = 1,
    out: str | Path | None = None,
    execution=None,
    **options,
) -> Comparison:
    """Run each scenario (``replications`` times, the same seeds for all) and compare them.

    ``execution`` (an ``experiment.Execution``, or its fields by name: ``workers=2`` ...) says
    where and how; by default in this process. With ``out``, every finished replication is
    written to out/<scenario>/replications/ at once, so an interrupted comparison can be resumed.
    When replications fail, ReplicationsFailed is raised after the others finish; its
    ``comparison`` is built from those that succeeded when every scenario has some.
    """
    from .experiment import Execution, ReplicationsFailed, replicate_many

    ex = Execution.of(execution, **({"workers": 1} | options) if execution is None else options)
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise ValueError(f"scenario names must differ to be compared: {names}")
    out = Path(out) if out is not None else None
    jobs = [(s, (out / s.name) if out is not None and replications > 1 else None) for s in scenarios]
    try:
        runs = replicate_many(jobs, replications, seed, ex)
    except ReplicationsFailed as exc:
        if all(exc.runs.get(n) for n in names):
            exc.comparison = compare_results(exc.runs)
            exc.comparison.failed = exc.failures
        raise
    return compare_results(runs)
