"""Scenario comparison: several Results side by side, run with the same seed (common random numbers).

``compare_results`` is a pure function of Results; ``compare`` runs the scenarios first.
"""
from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from .kpi import binding_bottleneck, first_year_at, route_split
from .results import Results, _swap_in
from .scenario import Scenario


@dataclass
class Comparison:
    results: dict[str, Results]
    annual: pd.DataFrame           # scenario, year, generated/delivered/backlog/in-system Mt, TEU, transit days
    goal: pd.DataFrame             # scenario, first_year_at_goal (None: not by the end year), end_year
    binding: pd.DataFrame          # scenario, year, resource, kind, utilization, binding
    transit: pd.DataFrame          # scenario, year, flow, transit_days_mean, transit_days_p95
    routes: pd.DataFrame           # scenario, year, flow, route, tons, share
    meta: dict = field(default_factory=dict)

    def table(self) -> pd.DataFrame:
        """Delivered Mt by scenario (rows) and year (columns), with the first year at the goal."""
        wide = self.annual.pivot(index="scenario", columns="year", values="delivered_mt").round(2)
        wide = wide.loc[list(self.results)]
        wide["first year at goal"] = [self.goal_label(s) for s in wide.index]
        return wide

    def goal_label(self, scenario: str) -> str:
        row = self.goal.set_index("scenario").loc[scenario]
        return str(int(row.first_year_at_goal)) if pd.notna(row.first_year_at_goal) else f"not by {int(row.end_year)}"

    def to_markdown(self, years: list[int] | None = None) -> str:
        t = self.table()
        cols = [c for c in t.columns if c != "first year at goal" and (years is None or c in years)]
        head = "| scenario | " + " | ".join(str(c) for c in cols) + " | first year at 10 Mt |"
        sep = "|---|" + "---:|" * len(cols) + "---|"
        rows = [f"| {s} | " + " | ".join(f"{t.loc[s, c]:.2f}" for c in cols) + f" | {t.loc[s, 'first year at goal']} |"
                for s in t.index]
        return "\n".join([head, sep, *rows])

    def write(self, out: str | Path, plots: bool = True, route_flow: str = "containers_cn_tr") -> Path:
        """Each scenario's full results in out/<name>/, and the comparison tables and plots in out/."""
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
        try:
            for name, res in self.results.items():
                res.write(tmp / name, plots=plots)
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
            _swap_in(tmp, out)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return out

    def summary(self) -> dict:
        out = {"scenarios": {}, **self.meta}
        for name in self.results:
            a = self.annual[self.annual.scenario == name]
            b = self.binding[self.binding.scenario == name]
            out["scenarios"][name] = {
                "first_year_at_goal": self.goal_label(name),
                "delivered_mt": {int(r.year): round(float(r.delivered_mt), 3) for r in a.itertuples()},
                "binding_bottleneck": {int(r.year): (r.resource if r.binding else None) for r in b.itertuples()},
            }
        return out


def compare_results(results: dict[str, Results]) -> Comparison:
    """Comparison tables from Results already computed (same seed for a fair comparison)."""
    annual, goal, binding, transit, routes = [], [], [], [], []
    for name, res in results.items():
        a = res.annual
        for year, g in a.groupby("year"):
            tw = g.tons_delivered
            mean_days = (g.transit_days_mean * tw).sum() / tw.sum() if tw.sum() > 0 else float("nan")
            annual.append({"scenario": name, "year": int(year),
                           "generated_mt": g.tons_generated.sum() / 1e6, "delivered_mt": tw.sum() / 1e6,
                           "backlog_mt": g.tons_backlog.sum() / 1e6, "in_system_mt": g.tons_in_system.sum() / 1e6,
                           "teu_delivered": g.loc[g.cargo == "container", "units_delivered"].sum(),
                           "transit_days_mean": mean_days})
            bb = binding_bottleneck(res.resources[res.resources.year == year])
            binding.append({"scenario": name, "year": int(year), **bb})
            for split_flow, shares in route_split(res.lots[res.lots.year == year]).items():
                tons = res.lots[(res.lots.year == year) & (res.lots.flow == split_flow)].groupby("route").tons.sum()
                for route, share in shares.items():
                    routes.append({"scenario": name, "year": int(year), "flow": split_flow, "route": route,
                                   "tons": float(tons[route]), "share": float(share)})
        for r in a.itertuples():
            transit.append({"scenario": name, "year": int(r.year), "flow": r.flow,
                            "transit_days_mean": r.transit_days_mean, "transit_days_p95": r.transit_days_p95})
        delivered = a.groupby("year").tons_delivered.sum() / 1e6
        goal.append({"scenario": name, "goal_mt": res.scenario.goal_mt_per_year,
                     "first_year_at_goal": first_year_at(delivered, res.scenario.goal_mt_per_year),
                     "end_year": res.scenario.end_year})
    seeds = sorted({r.seed for r in results.values()})
    return Comparison(results, pd.DataFrame(annual), pd.DataFrame(goal), pd.DataFrame(binding),
                      pd.DataFrame(transit), pd.DataFrame(routes),
                      {"seeds": seeds, "common_random_numbers": len(seeds) == 1})


def compare(scenarios: list[Scenario], seed: int = 1,
            progress: Callable[[str, float], None] | None = None) -> Comparison:
    """Run each scenario with the same seed and compare them."""
    from .simulate import run
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise ValueError(f"scenario names must differ to be compared: {names}")
    results = {}
    for s in scenarios:
        cb = (lambda f, n=s.name: progress(n, f)) if progress else None
        results[s.name] = run(s, seed=seed, progress=cb)
    return compare_results(results)
