"""What a result's folder shows, drawn into it as it is written: each result type's figures.

Results never draw themselves: their ``write(folder, figures=...)`` calls back here, inside the
folder being written, so that the figures are part of the folder's one atomic swap. ``write``
writes any result with its figures; the command line and a Python session call it alike.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from ..analyses.appraisal import Appraisal
from ..analyses.bottlenecks import Ranking
from ..analyses.capacity import CapacityEstimate
from ..analyses.plan import Plan
from ..analyses.sensitivity import Sensitivity
from ..analyses.sweep import Sweep
from ..experiments.comparison import Comparison
from ..experiments.replicated import Replicated
from ..run import output
from ..run.results import Results
from .plots import (
    appraisal_streams,
    bottleneck_ranking,
    measures_ranking,
    plan_frontier,
    save_all,
    save_capacity,
    save_comparison,
    save_replicated,
    sensitivity_plot,
    sweep_plot,
)

DPI = 110


def _save(fig: Figure, path: Path) -> None:
    fig.savefig(path, dpi=DPI)


def figures(result: Any, folder: Path, route_flow: str | None = None) -> None:
    """Draw ``result``'s figures into ``folder`` (a result type of the run, experiments or analyses
    stage; ``route_flow``: the flow whose route split a comparison charts)."""
    folder = Path(folder)
    if isinstance(result, Results):
        save_all(result, folder, DPI)
    elif isinstance(result, Replicated):
        save_replicated(result, folder, DPI)
    elif isinstance(result, Comparison):
        save_comparison(result, folder, DPI, flow=route_flow)
        save_capacity(result, folder, DPI)
    else:
        _analysis_figures(result, folder)


def _analysis_figures(result: Any, folder: Path) -> None:
    if isinstance(result, Sweep):
        years = f"{result.years[0]}-{result.years[1]}" if result.years else ""
        _save(
            sweep_plot(
                result.summary(),
                result.paths,
                result.kpi,
                f"Sweep of {result.label}: {result.kpi} (mean over {result.replications} replication(s), "
                "error bars 95% CI)",
                f"{result.label} · {years} · {result.replications} replication(s) per point",
            ),
            folder / "sweep.png",
        )
    elif isinstance(result, Ranking):
        _save(bottleneck_ranking(result.table), folder / "bottlenecks.png")
    elif isinstance(result, Sensitivity):
        years = f"{result.years[0]}-{result.years[1]}" if result.years else ""
        _save(
            sensitivity_plot(
                result.ranking,
                f"{result.label} · {years} · {result.trajectories} trajectories, {len(result.runs)} runs",
            ),
            folder / "sensitivity.png",
        )
    elif isinstance(result, Appraisal):
        _save(measures_ranking(result.table, result.scenario), folder / "measures_ranking.png")
        if len(result.by_year) and len(result.distribution):
            _save(
                appraisal_streams(result.by_year, result.distribution, result.discount_rate_pct, result.scenario),
                folder / "appraisal_streams.png",
            )
    elif isinstance(result, Plan):
        if result.frontier is not None:
            _save(plan_frontier(result.frontier, result.goal_mt, result.scenario), folder / "frontier.png")
    elif not isinstance(result, CapacityEstimate):  # a capacity folder holds tables only
        raise TypeError(f"no figures for a {type(result).__name__}")


def write(
    result: Any,
    folder: str | Path,
    plots: bool = True,
    overwrite: bool = False,
    route_flow: str | None = None,
) -> Path:
    """Write ``result`` (a Results, Replicated, Comparison, or an analysis's result) to ``folder``
    with its figures (``plots``), as the command line does, claiming ``folder`` under the output
    contract (``overwrite`` replaces earlier results, kept until the new ones are complete). A
    Replicated whose replications ``replicate`` already wrote into ``folder`` gets its statistics
    beside them; one made in memory is written whole, its replications too."""
    draw = partial(figures, route_flow=route_flow) if plots else None
    if isinstance(result, Replicated):
        folder = Path(folder)
        if (folder / "manifest.json").exists():  # ``replicate`` wrote the replications there: beside them
            with output.adding_to(folder, kind="replicated"):
                return result.write(folder, draw)
        return output.write_folder(folder, lambda tmp: result.write(tmp, draw), kind="replicated", overwrite=overwrite)
    return result.write(folder, overwrite=overwrite, figures=draw)
