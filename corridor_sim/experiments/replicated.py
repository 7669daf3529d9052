"""Results of several replications of one scenario: every KPI with mean, sd and 95% CI.

Built from the replications' own Results (pure aggregation); ``write`` lays out
out/annual.csv (statistics), out/annual_replications.csv (every replication), resources.csv,
totals.csv, summary.json, metadata.json and, with figures, plots with confidence intervals, next
to the replications' own folders in out/replications/.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import ClassVar

import pandas as pd

from .._version import __version__
from ..display import replicated_html, replicated_text
from ..run import output
from ..run.results import CSV_CHUNK_ROWS, Figures, Results, have_pyarrow, parquet_ready
from ..run.summary import TOTAL_METRICS, summarize, totals
from ..scenario.schema import Scenario
from ..stats import aggregate
from .replications import write_replications

ANNUAL_METRICS = [
    "tons_offered",
    "tons_delivered",
    "tons_diverted",
    "units_delivered",
    "tons_backlog",
    "tons_in_system",
    "entry_wait_days_mean",
    "corridor_days_mean",
    "corridor_days_p95",
    "transit_days_mean",
    "transit_days_p95",
]
RESOURCE_METRICS = ["utilization", "mean_queue", "mean_wait_h", "max_queue"]


@dataclass(repr=False)  # the default repr would print every replication's tables: see display.py
class Replicated:
    """The replications of one scenario (its ``runs``, each a Results, on common seeds) and their
    statistics: ``annual`` by year and flow, ``totals`` by year, ``resources`` by year and
    ``resources_over_years``, each metric with its mean, sd and 95% interval (``stats``), computed
    once. ``summary()`` is the same summary.json as a single run's, with the intervals filled;
    ``write(folder)`` writes the statistics beside the replications' own folders. A ``RunView``
    (``run.view``), as a single run is, for the plots and the report; ``failed`` lists the
    replications that failed, whose statistics are over those that succeeded.
    """

    replicated: ClassVar[bool] = True  # the statistics of several runs (``RunView``)

    scenario: Scenario
    seed: int
    runs: list[Results]  # the replications that succeeded, in order
    metadata: dict = field(default_factory=dict)
    failed: list[dict] = field(default_factory=list)  # {replication, seed, error} of those that failed

    @property
    def n(self) -> int:
        return len(self.runs)

    # The statistics below are computed once: a Replicated is a fixed set of runs, and writing it
    # reads each several times (its tables, summary.json and plots).
    @cached_property
    def annual(self) -> pd.DataFrame:
        return aggregate([r.annual for r in self.runs], ["year", "flow", "cargo", "unit"], ANNUAL_METRICS)

    @cached_property
    def totals(self) -> pd.DataFrame:
        return aggregate([totals(r) for r in self.runs], ["year"], TOTAL_METRICS)

    @cached_property
    def resources(self) -> pd.DataFrame:
        return aggregate(
            [r.resources for r in self.runs],
            ["year", "resource", "kind", "where"],
            RESOURCE_METRICS,
            shares=("utilization",),
        )

    @cached_property
    def resources_over_years(self) -> pd.DataFrame:
        """Each resource's mean over the simulated years, with the interval of that multi-year mean."""
        return aggregate(
            [r.resources for r in self.runs],
            ["resource", "kind", "where"],
            RESOURCE_METRICS,
            shares=("utilization",),
            over="year",
        )

    def __repr__(self) -> str:
        return replicated_text(self)

    def _repr_html_(self) -> str:
        return replicated_html(self)

    def delivered_mt(self) -> pd.Series:
        t = self.totals
        return pd.Series(t.delivered_mt_mean.to_numpy(), index=t.year.to_numpy())

    def summary(self) -> dict:
        """summary.json (``run.summary``, docs/summary.md)."""
        return summarize(self.runs, self.scenario, self.seed, self.failed)

    def write(self, out: str | Path, figures: Figures | None = None) -> Path:
        """Write the statistics next to out/replications/ (which ``replications.replicate`` fills,
        and which are written here from memory where it did not), and with ``figures`` the plots.

        ``out`` is a folder the caller has claimed (``output.result_folder``, or
        ``present.write``'s stage); each file is replaced atomically."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        write_replications(out, self.scenario, self.seed, self.runs, self.failed)
        tables = {
            "annual": self.annual,
            "totals": self.totals,
            "resources": self.resources,
            "annual_replications": pd.concat(
                [r.annual.assign(replication=i, seed=r.seed) for i, r in enumerate(self.runs)], ignore_index=True
            ),
        }
        for name, df in tables.items():
            _write_table(out, name, df)
        output.write_json(out / "summary.json", self.summary())
        meta = {
            "scenario_name": self.scenario.name,
            "label": self.scenario.label,
            "overrides": dict(self.scenario.overrides),
            "notes": list(self.scenario.notes),
            "demand_case": self.scenario.demand_case,
            "scenario_hash": self.scenario.digest(),
            "seed": self.seed,
            "replications": self.n,
            "seeds": [r.seed for r in self.runs],
            "corridor_sim_version": __version__,
            "wall_time_s": round(sum(r.metadata.get("wall_time_s", 0) for r in self.runs), 3),
            "events": int(sum(r.metadata.get("events", 0) for r in self.runs)),
            **self.metadata,
            "scenario": self.scenario.to_dict(),
        }
        if self.failed:
            meta["failed_replications"] = self.failed
        output.write_json(out / "metadata.json", meta)
        if figures is not None:
            with output.scratch(out) as tmp:
                figures(self, tmp)
                output.move_into(tmp, out)
        return out


def _write_table(out: Path, name: str, df: pd.DataFrame) -> None:
    """out/<name>.csv, and out/<name>.parquet with pyarrow, each replaced atomically."""
    output.write_file(out / f"{name}.csv", lambda fh: df.to_csv(fh, index=False, chunksize=CSV_CHUNK_ROWS))
    if have_pyarrow():
        output.write_file(out / f"{name}.parquet", lambda fh: parquet_ready(df).to_parquet(fh, index=False))
