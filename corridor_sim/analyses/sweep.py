"""Parameter sweeps: every combination of values of some scenario parameters, each run
``replications`` times with common seeds.

Each point is a scenario variant (``scenario.variants.with_changes``), its runs Tasks that send
back only the KPIs the sweep reads (``kpis``), run with ``experiments.execution`` as its
``Execution`` says: in this process, on a local pool or on Dask, with identical results for the
same seed. A point whose values are invalid, too large or whose run fails is recorded and the
sweep goes on. ``Sweep`` writes and reads its folder: sweep.csv (one row per point and
replication) and sweep_summary.csv (per point, the chosen KPI with its 95% CI).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..display import CompactRepr
from ..experiments.execution import Execution, Task, execute, replication_seed, session, task
from ..run import output, runsize
from ..run.results import Figures, Results
from ..run.simulate import run
from ..run.summary import totals
from ..scenario.problems import ScenarioError
from ..scenario.safeyaml import YamlInputError, load_value
from ..scenario.schema import Scenario
from ..scenario.variants import with_changes
from ..stats import mean_ci
from .files import folder_meta, read_table, write_meta

KPIS = ("delivered_mt_last_year", "delivered_mt_per_year", "transit_days_mean")  # the ones a sweep charts


@dataclass(frozen=True, repr=False)  # the repr is display.CompactRepr's: tables by their size, in full in _repr_html_
class Sweep(CompactRepr):
    """``sweep``'s result: one row per point and replication (``table``: the values varied, the
    replication, its seed, ``status`` and ``error``, and every KPI of ``kpis``), with what it was a
    sweep of; ``summary()`` is the chosen ``kpi`` per point with its 95% CI."""

    table: pd.DataFrame
    paths: list[str]
    kpi: str = "delivered_mt_last_year"
    label: str = ""  # the scenario's label
    years: tuple[int, int] | None = None
    replications: int = 1
    accounting: dict[str, Any] = field(default_factory=dict)  # what it cost (``execution.Tally.report``)

    def summary(self) -> pd.DataFrame:
        return sweep_summary(self.table, self.paths, self.kpi)

    def meta(self) -> dict[str, Any]:
        """sweep.json: what was swept and what it cost."""
        return {
            "scenario": self.label,
            "paths": list(self.paths),
            "kpi": self.kpi,
            "years": None if self.years is None else list(self.years),
            "replications": self.replications,
            "points": int(self.table.point.nunique()) if len(self.table) else 0,
            "accounting": self.accounting,
        }

    def write(self, out: str | Path, overwrite: bool = False, figures: Figures | None = None) -> Path:
        """sweep.csv and sweep_summary.csv (and with ``figures`` sweep.png) in ``out``, under the
        output contract (``run.output``)."""

        def fill(tmp: Path) -> None:
            self.table.to_csv(tmp / "sweep.csv", index=False)
            self.summary().to_csv(tmp / "sweep_summary.csv", index=False)
            write_meta(tmp / "sweep.json", self.meta())
            if figures is not None:
                figures(self, tmp)

        return output.write_folder(out, fill, kind="sweep", overwrite=overwrite)

    @classmethod
    def read(cls, folder: str | Path) -> Sweep:
        """A sweep folder read back: the values varied are the summary's columns before ``n_ok``,
        its KPI the one it summarizes; the scenario, years and accounting from sweep.json where the
        folder has one (written since the accounting was added)."""
        summary = read_table(folder, "sweep_summary.csv", "sweep summary", ("point", "n_ok"), "sweep")
        table = read_table(folder, "sweep.csv", "sweep table", ("point", "replication", "status"), "sweep")
        cols = list(summary.columns)
        paths = cols[1 : cols.index("n_ok")]
        kpi = next((c.removesuffix("_mean") for c in cols if c.endswith("_mean")), "delivered_mt_last_year")
        meta = folder_meta(folder, "points")
        years = meta.get("years")
        return cls(
            table,
            paths,
            kpi,
            str(meta.get("scenario", "")),
            None if not years else (int(years[0]), int(years[1])),
            replications=int(table.replication.max()) + 1,
            accounting=dict(meta.get("accounting") or {}),
        )


def kpis(res: Results) -> dict:
    """What a sweep point or a sensitivity sample sends back of its run: delivered tonnes (the last
    year's and the mean over the years), tonne-weighted transit days, and the stocks and
    diversions at the end."""
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


@task
def kpi_task(t: Task) -> dict:
    """Run a task and send back only its KPIs (``kpis``), not its tables."""
    return kpis(run(t.scenario, seed=t.seed, allow_large=True, detail=False))


def parse_vary(text: str) -> tuple[str, list[Any]]:
    """``path=v1,v2,...`` -> (path, [values]) with values read as YAML scalars.

    >>> parse_vary("demand.scale=0.8,1,1.2")
    ('demand.scale', [0.8, 1, 1.2])
    """
    if "=" not in text:
        raise ValueError(f"--vary takes path=v1,v2,..., got {text!r}")
    path, values = text.split("=", 1)
    vals = []
    for v in (v for v in values.split(",") if v.strip()):
        try:
            value = load_value(v)
        except YamlInputError as exc:
            raise ValueError(f"--vary {path.strip()}: the value {v.strip()!r} is not a YAML scalar ({exc})") from None
        if isinstance(value, float) and not math.isfinite(value):
            # refused with the option, not recorded as one more invalid point of an exit-0 sweep
            raise ValueError(f"--vary {path.strip()}: the value {v.strip()!r} is not a finite number")
        vals.append(value)
    if not path.strip() or not vals:
        raise ValueError(f"--vary needs a path and at least one value, got {text!r}")
    return path.strip(), vals


def sweep(
    scenario: Scenario,
    varies: list[tuple[str, list]],
    replications: int = 1,
    seed: int = 1,
    execution: Execution | None = None,
    kpi: str = "delivered_mt_last_year",
    **options,
) -> Sweep:
    """Run the grid of ``varies`` (every combination), ``replications`` each with common seeds.

    One row per point and replication. A point whose values are invalid or too large for this
    machine, or whose run fails, is recorded with its error and the sweep goes on. ``kpi`` is the
    one its summary and chart show (every KPI is in the table).
    """
    with session(Execution.of(execution, **options)) as ex:
        return _sweep(scenario, varies, replications, seed, ex, kpi)


def _sweep(
    scenario: Scenario, varies: list[tuple[str, list]], replications: int, seed: int, ex: Execution, kpi: str
) -> Sweep:
    paths = [p for p, _ in varies]
    rows, tasks = [], []
    told = False
    for i, values in enumerate(itertools.product(*[v for _, v in varies])):
        point = dict(zip(paths, values))
        try:
            scn = with_changes(scenario, point, label=f"point {i}")
            held = scn.notes[len(scenario.notes) :]
            if held and not told:  # a point holds for the whole run against the timeline (scenario.whatif)
                ex.say(f"each point holds for the whole run, e.g. {'; '.join(held)}")
                told = True
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
    years = (scenario.start_year, scenario.end_year)
    assert ex.tally is not None, "sweep opens a session"
    return Sweep(pd.DataFrame(rows), paths, kpi, scenario.label, years, replications, ex.tally.report())


def sweep_summary(table: pd.DataFrame, paths: list[str], kpi: str = "delivered_mt_last_year") -> pd.DataFrame:
    """Per point: its values, the replications that ran, the KPI's mean and 95% CI, and the first
    error where a replication failed or the point was invalid."""
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
