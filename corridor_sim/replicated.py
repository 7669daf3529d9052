"""Results of several replications of one scenario: every KPI with mean, sd and 95% CI.

Built from the replications' own Results (pure aggregation); ``write`` lays out
out/annual.csv (statistics), out/annual_replications.csv (every replication), resources.csv,
totals.csv, summary.json, metadata.json and plots with confidence intervals, next to the
replications' own folders in out/replications/.
"""
from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import __version__
from .kpi import binding_bottleneck, first_year_at, route_split
from . import output
from .results import Results, _flat, _have_pyarrow
from .scenario import Scenario
from .stats import aggregate, stat_dict

ANNUAL_METRICS = ["tons_generated", "tons_delivered", "tons_diverted", "units_delivered", "tons_backlog", "tons_in_system",
                  "entry_wait_days_mean", "corridor_days_mean", "corridor_days_p95", "transit_days_mean",
                  "transit_days_p95"]
RESOURCE_METRICS = ["utilization", "mean_queue", "mean_wait_h"]


def totals(res: Results) -> pd.DataFrame:
    """Per year, the corridor totals of one run (Mt, TEU, tonne-weighted transit days)."""
    rows = []

    def weighted(col, g, w):       # tonne-weighted over flows; NaN where nothing was delivered
        ok = g[col].notna() & (w > 0)
        return float((g.loc[ok, col] * w[ok]).sum() / w[ok].sum()) if w[ok].sum() > 0 else np.nan
    for year, g in res.annual.groupby("year"):
        w = g.tons_delivered
        rows.append({"year": int(year), "generated_mt": g.tons_generated.sum() / 1e6,
                     "delivered_mt": w.sum() / 1e6, "diverted_mt": g.tons_diverted.sum() / 1e6,
                     "backlog_mt": g.tons_backlog.sum() / 1e6,
                     "in_system_mt": g.tons_in_system.sum() / 1e6,
                     "teu_delivered": g.loc[g.cargo == "container", "units_delivered"].sum(),
                     "transit_days_mean": float((g.transit_days_mean * w).sum() / w.sum()) if w.sum() > 0 else np.nan,
                     # results written before the split have no such columns
                     "entry_wait_days_mean": weighted("entry_wait_days_mean", g, w) if "entry_wait_days_mean" in g else np.nan,
                     "corridor_days_mean": weighted("corridor_days_mean", g, w) if "corridor_days_mean" in g else np.nan})
    return pd.DataFrame(rows)


TOTAL_METRICS = ["generated_mt", "delivered_mt", "diverted_mt", "backlog_mt", "in_system_mt", "teu_delivered",
                 "entry_wait_days_mean", "corridor_days_mean", "transit_days_mean"]


@dataclass(repr=False)   # the default repr would print every replication's tables: see display.py
class Replicated:
    scenario: Scenario
    seed: int
    runs: list[Results]                  # the replications that succeeded, in order
    metadata: dict = field(default_factory=dict)
    failed: list[dict] = field(default_factory=list)   # {replication, seed, error} of those that failed

    @property
    def n(self) -> int:
        return len(self.runs)

    @property
    def annual(self) -> pd.DataFrame:
        return aggregate([r.annual for r in self.runs], ["year", "flow", "cargo", "unit"], ANNUAL_METRICS)

    @property
    def totals(self) -> pd.DataFrame:
        return aggregate([totals(r) for r in self.runs], ["year"], TOTAL_METRICS)

    @property
    def resources(self) -> pd.DataFrame:
        return aggregate([r.resources for r in self.runs], ["year", "resource", "kind", "where"], RESOURCE_METRICS,
                         shares=("utilization",))

    @property
    def resources_over_years(self) -> pd.DataFrame:
        """Each resource's mean over the simulated years, with the interval of that multi-year mean."""
        return aggregate([r.resources for r in self.runs], ["resource", "kind", "where"], RESOURCE_METRICS,
                         shares=("utilization",), over="year")

    def __repr__(self) -> str:
        from .display import replicated_text
        return replicated_text(self)

    def _repr_html_(self) -> str:
        from .display import replicated_html
        return replicated_html(self)

    def delivered_mt(self) -> pd.Series:
        t = self.totals
        return pd.Series(t.delivered_mt_mean.to_numpy(), index=t.year.to_numpy())

    def summary(self) -> dict:
        scn = self.scenario
        out = {"scenario": scn.name, "label": scn.label, "overrides": dict(scn.overrides),
               "demand_case": scn.demand_case, "seed": self.seed, "replications": self.n,
               "seeds": [r.seed for r in self.runs], "goal_mt_per_year": scn.goal_mt_per_year,
               "bottleneck_threshold": scn.output.bottleneck_threshold,
               "statistics": "mean, sd and 95% t confidence interval over replications (route shares: on the logit "
                             "scale, inside [0, 1]; docs/kpis.md)", "years": {}}
        if self.failed:
            out["statistics"] += (f" (the {self.n} that succeeded; {len(self.failed)} failed: replications "
                                  + ", ".join(str(f["replication"]) for f in self.failed) + ")")
            out["failed_replications"] = self.failed
        tot = [totals(r).set_index("year") for r in self.runs]
        for year in sorted(tot[0].index):
            per_flow = {}
            for flow in self.runs[0].annual.flow.unique():
                rows = [r.annual[(r.annual.year == year) & (r.annual.flow == flow)].iloc[0] for r in self.runs]
                per_flow[flow] = {m: stat_dict([float(x[m]) for x in rows], 1 if m.startswith("tons") else 2)
                                  for m in ("tons_generated", "tons_delivered", "tons_diverted", "tons_in_system",
                                            "tons_backlog", "entry_wait_days_mean", "corridor_days_mean",
                                            "corridor_days_p95", "transit_days_mean", "transit_days_p95")
                                  if m in rows[0]}
            binds = [binding_bottleneck(r.resources[r.resources.year == year], scn.output.bottleneck_threshold)
                     for r in self.runs]
            named = Counter(b["resource"] for b in binds if b["binding"])
            top, count = named.most_common(1)[0] if named else (None, 0)
            splits: dict[str, dict[str, list]] = {}
            for r in self.runs:
                for f, s in route_split(r.lots[r.lots.year == year]).items():
                    for route, v in s.items():
                        splits.setdefault(f, {}).setdefault(route, []).append(float(v))
            out["years"][str(int(year))] = {
                "total": {m: stat_dict([t.loc[year, m] for t in tot], 3) for m in TOTAL_METRICS},
                "flows": per_flow,
                "binding_bottleneck": {"resource": top, "share_of_replications": round(count / self.n, 3)},
                "route_split": {f: {route: stat_dict(v + [0.0] * (self.n - len(v)), 4, share=True)
                                    for route, v in d.items()}
                                for f, d in splits.items()},
            }
        goal = self.scenario.goal_mt_per_year
        hit = first_year_at(self.delivered_mt(), goal)
        reach = [first_year_at(totals(r).set_index("year").delivered_mt, goal) for r in self.runs]
        out["first_year_at_goal"] = {"mean_delivered": hit,
                                     "share_of_replications_reaching_goal": round(sum(x is not None for x in reach) / self.n, 3)}
        return out

    def write(self, out: str | Path, plots: bool = True) -> Path:
        """Write the statistics next to out/replications/ (which ``experiment.replicate`` fills).

        ``out`` is a folder the caller has claimed (``output.result_folder``); each file is
        replaced atomically."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        tables = {"annual": self.annual, "totals": self.totals, "resources": self.resources,
                  "annual_replications": pd.concat([r.annual.assign(replication=i, seed=r.seed)
                                                    for i, r in enumerate(self.runs)], ignore_index=True)}
        for name, df in tables.items():
            output.write_file(out / f"{name}.csv", lambda fh, d=df: d.to_csv(fh, index=False))
            if _have_pyarrow():
                output.write_file(out / f"{name}.parquet", lambda fh, d=df: _flat(d).to_parquet(fh, index=False))
        output.write_json(out / "summary.json", self.summary())
        meta = {"scenario_name": self.scenario.name, "label": self.scenario.label,
                "overrides": dict(self.scenario.overrides), "demand_case": self.scenario.demand_case,
                "scenario_hash": self.scenario.digest(), "seed": self.seed,
                "replications": self.n, "seeds": [r.seed for r in self.runs], "corridor_sim_version": __version__,
                "wall_time_s": round(sum(r.metadata.get("wall_time_s", 0) for r in self.runs), 3),
                "events": int(sum(r.metadata.get("events", 0) for r in self.runs)), **self.metadata,
                "scenario": self.scenario.to_dict()}
        if self.failed:
            meta["failed_replications"] = self.failed
        output.write_json(out / "metadata.json", meta)
        if plots:
            from .plots import save_replicated
            with output.scratch(out) as tmp:
                for path in save_replicated(self, tmp):
                    os.replace(path, out / path.name)
        return out
