"""What every figure shares: its own canvas, titles that fit, what it shows (``about``), the
year axis, the goal and the documented series.

Figures are pure functions of results, each returning a matplotlib Figure.

No pyplot and no process-wide backend: every figure is a ``Figure`` with its own Agg canvas, so
importing this module changes nothing for a notebook or an application that draws elsewhere, and
the same results draw the same picture in any process (nothing here depends on ``hash()`` or on
the order of a set). Figures draw a ``RunView`` (a run, or its replications' statistics) or a
comparison or an analysis's tables, never reaching into a result's private parts.

Every chart says what it shows: the scenario (with its overrides), the years, and how many
replications (or which seed). Names come from the scenario (``labels``), colours from
``palette``, goals, thresholds, ports and flows to chart from the scenario's ``output`` block.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ...run.view import RunView
from ...scenario.schema import Scenario
from ..palette import GOAL_COLOR, OBSERVED_COLOR, flow_color

FLOW_COLORS = [flow_color(i) for i in range(10)]  # kept for callers of the old module


def new_figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)  # its own canvas: savefig and text measurement need no pyplot
    return fig


def wrap_lines(text: str, width_in: float, fontsize: float) -> str:
    """Wrap each line of a title to the figure's width (an average glyph is ~0.55 em wide)."""
    chars = max(30, int(width_in * 72 / (fontsize * 0.56)))
    return "\n".join(textwrap.fill(line, chars) for line in text.split("\n"))


def set_title(ax, main: str, sub: str = "", fontsize: float = 11.0) -> None:
    """A title and a subtitle that never run off the figure (wrapped to its width)."""
    width = ax.figure.get_figwidth() * ax.get_position().width
    ax.set_title(
        wrap_lines(main, width, fontsize) + ("\n" + wrap_lines(sub, width, fontsize - 2) if sub else ""),
        fontsize=fontsize,
        loc="left",
    )


def set_suptitle(fig, main: str, sub: str = "", fontsize: float = 11.0) -> None:
    width = fig.get_figwidth() * 0.95
    fig.suptitle(
        wrap_lines(main, width, fontsize) + ("\n" + wrap_lines(sub, width, fontsize - 2) if sub else ""),
        fontsize=fontsize,
        x=0.01,
        ha="left",
    )


def years_text(s: Scenario, year: int | None = None) -> str:
    if year is not None:
        return str(year)
    return f"{s.start_year}" if s.end_year == s.start_year else f"{s.start_year}–{s.end_year}"


def about(res: RunView, year: int | None = None) -> str:
    """'base (demand.scale=1.5) · 2024–2035 · 5 replications (seeds from 1)': what a chart shows."""
    s = res.scenario
    if res.replicated:
        how = (
            f"{res.n} replications (seeds from {res.seed}), mean and 95% CI"
            if res.n > 1
            else f"1 replication (seed {res.seed})"
        )
    else:
        how = f"1 run (seed {res.seed})"
    case = (
        f" · demand case {s.demand_case}"
        # a case other than central renames the scenario (file_name keeps the file's): said once
        if s.demand_cases and s.demand_case != "central" and s.file_name is None
        else ""
    )
    return f"{s.label} · {years_text(s, year)} · {how}{case}"


def year_axis(ax, years) -> None:
    """One tick per year, rotated when there are many, so labels never run together."""
    years = sorted(int(y) for y in years)
    ax.set_xticks(years, [str(y) for y in years])
    if len(years) > 8:
        ax.tick_params(axis="x", labelrotation=45)
    ax.set_xlim(years[0] - 0.6, years[-1] + 0.6)


def draw_goal(ax, scenario: Scenario) -> float:
    goal = scenario.goal_mt_per_year
    ax.axhline(goal, color=GOAL_COLOR, ls="--", lw=1.5)
    ax.annotate(
        f"goal {goal:g} Mt/yr",
        (0.01, goal),
        xycoords=("axes fraction", "data"),
        va="bottom",
        color=GOAL_COLOR,
        fontsize=10,
        xytext=(0, 3),
        textcoords="offset points",
    )
    return goal


def draw_observed(ax, scenario: Scenario, style: str) -> set:
    if scenario.observed is None:
        return set()
    obs = pd.Series(scenario.observed.mt_by_year).sort_index()
    ax.plot(
        obs.index, obs.values, style, color=OBSERVED_COLOR, lw=1.2, ms=5, label=f"observed: {scenario.observed.series}"
    )
    return set(obs.index)


def save_figures(figs: dict, out: Path, dpi: int) -> list[Path]:
    paths = []
    for name, fig in figs.items():
        path = out / f"{name}.png"
        fig.savefig(path, dpi=dpi)
        paths.append(path)
    return paths
