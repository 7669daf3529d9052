"""Global sensitivity: Morris screening (SALib) of the parameters a scenario marks as uncertain.

Every sample is a scenario variant run with the same seed (common random numbers), so the
elementary effects are differences of the parameters, not of the random numbers; each run sends
back only its KPIs (``sweep.kpis``). SALib is an optional extra (``[sensitivity]``), imported
where it is used. ``Sensitivity`` writes and reads its folder: sensitivity.csv (mu*, its
bootstrap CI, mu and sigma per parameter and output) and sensitivity_runs.csv (every sample).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..display import CompactRepr
from ..experiments.execution import Execution, Task, default_workers, session, succeeded
from ..run import output, runsize
from ..run.results import Figures
from ..scenario.schema import Scenario
from ..scenario.variants import value, with_changes
from .files import folder_meta, read_table, write_meta
from .sweep import kpi_task

SENSITIVITY_COLUMNS = ("output", "parameter", "mu_star", "mu_star_conf", "mu", "sigma")


@dataclass(frozen=True, repr=False)  # the repr is display.CompactRepr's: tables by their size, in full in _repr_html_
class Sensitivity(CompactRepr):
    """``sensitivity``'s result: the ranking (``ranking``: per output and parameter, mu* with its
    bootstrap CI half-width, mu and sigma) and every sample run (``runs``: the values and the KPIs)."""

    ranking: pd.DataFrame
    runs: pd.DataFrame
    label: str = ""  # the scenario's label
    years: tuple[int, int] | None = None
    trajectories: int = 0
    seed: int = 0
    accounting: dict[str, Any] = field(default_factory=dict)  # what it cost (``execution.Tally.report``)

    def meta(self) -> dict[str, Any]:
        """sensitivity.json: the design and what it cost."""
        return {
            "scenario": self.label,
            "years": None if self.years is None else list(self.years),
            "trajectories": self.trajectories,
            "runs": len(self.runs),
            "seed": self.seed,
            "accounting": self.accounting,
        }

    def write(self, out: str | Path, overwrite: bool = False, figures: Figures | None = None) -> Path:
        """sensitivity.csv, sensitivity_runs.csv and sensitivity.json (and with ``figures``
        sensitivity.png) in ``out``, under the output contract."""

        def fill(tmp: Path) -> None:
            self.ranking.to_csv(tmp / "sensitivity.csv", index=False)
            self.runs.to_csv(tmp / "sensitivity_runs.csv", index=False)
            write_meta(tmp / "sensitivity.json", self.meta())
            if figures is not None:
                figures(self, tmp)

        return output.write_folder(out, fill, kind="sensitivity", overwrite=overwrite)

    @classmethod
    def read(cls, folder: str | Path) -> Sensitivity:
        """A sensitivity folder read back (ResultsFolderError if a table is missing or damaged)."""
        ranking = read_table(folder, "sensitivity.csv", "sensitivity ranking", SENSITIVITY_COLUMNS, "sensitivity")
        runs = read_table(folder, "sensitivity_runs.csv", "sensitivity runs", ("sample",), "sensitivity")
        meta = folder_meta(folder, "trajectories")
        years = meta.get("years")
        return cls(
            ranking,
            runs,
            str(meta.get("scenario", "")),
            None if not years else (int(years[0]), int(years[1])),
            int(meta.get("trajectories") or 0),
            int(meta.get("seed") or 0),
            dict(meta.get("accounting") or {}),
        )


def sensitivity(
    scenario: Scenario,
    trajectories: int = 8,
    levels: int = 4,
    seed: int = 1,
    execution: Execution | None = None,
    **options,
) -> Sensitivity:
    """Morris screening over the scenario's ``uncertain`` parameters: the ranking and the runs.

    Every sample runs with the same seed (common random numbers), so the elementary effects are
    differences of the parameters, not of the random numbers. Outputs: delivered Mt per year and
    tonne-weighted transit days over the scenario's years.
    """
    with session(Execution.of(execution, **options)) as ex:
        return _sensitivity(scenario, trajectories, levels, seed, ex)


def _sensitivity(scenario: Scenario, trajectories: int, levels: int, seed: int, ex: Execution) -> Sensitivity:
    try:
        from SALib.analyze import morris as morris_analyze
        from SALib.sample import morris as morris_sample
    except ImportError:  # an optional extra: only this analysis needs SALib (and scipy through it)
        raise ValueError("Morris screening needs SALib: pip install 'corridor-sim[sensitivity]'") from None

    if not scenario.uncertain:
        raise ValueError(f"scenario '{scenario.name}' marks no uncertain parameters (an 'uncertain:' list)")
    names = [u.label for u in scenario.uncertain]
    problem = {"num_vars": len(names), "names": names, "bounds": [[u.low, u.high] for u in scenario.uncertain]}
    X = morris_sample.sample(problem, N=trajectories, num_levels=levels, seed=seed)
    # before the samples are built (each a validated scenario): their runs' time in all, each as
    # long as the scenario's own run (the samples vary parameters within their ranges)
    workers = ex.workers or default_workers()
    at_once = 1 if (ex.scheduler or workers <= 1) else min(workers, len(X))
    one_s = runsize.estimate(scenario, detail=False).seconds
    runsize.check_batch([one_s] * len(X), at_once, ex.allow_large, f"the sensitivity design ({len(X):,} runs)")
    # a count stays a whole number: the sample's value is rounded where the scenario holds an int
    whole = {
        path: isinstance(v, int) and not isinstance(v, bool)
        for u in scenario.uncertain
        for path in u.paths
        for v in [value(scenario, path)]
    }
    tasks: list[Task] = []
    rows: list[dict[str, Any]] = []
    told = False
    for i, x in enumerate(X):
        point = {}
        for u, v in zip(scenario.uncertain, x):
            for path in u.paths:
                point[path] = int(round(v)) if whole[path] else float(v)
        scn = with_changes(scenario, point, label=f"sample {i}")
        held = scn.notes[len(scenario.notes) :]
        if held and not told:  # each sample holds for the whole run against the timeline (scenario.whatif)
            ex.say(f"each sample holds for the whole run, e.g. {'; '.join(held)}")
            told = True
        tasks.append(Task(scn, seed, variant=f"sample {i}"))
        rows.append({"sample": i, **point})
    out = {}
    for outcome in succeeded(tasks, ex, kpi_task, "sensitivity"):
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
    assert ex.tally is not None, "sensitivity opens a session"
    years = (scenario.start_year, scenario.end_year)
    return Sensitivity(ranking, runs, scenario.label, years, trajectories, seed, ex.tally.report())
