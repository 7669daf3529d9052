"""Figures, each a pure function of results returning a matplotlib Figure.

No pyplot and no process-wide backend: every figure is a ``Figure`` with its own Agg canvas, so
importing this module changes nothing for a notebook or an application that draws elsewhere, and
the same results draw the same picture in any process (nothing here depends on ``hash()`` or on
the order of a set).

Every chart says what it shows: the scenario (with its overrides), the years, and how many
replications (or which seed). Names come from the scenario (``labels``), colours from
``palette``, goals, thresholds, ports and flows to chart from the scenario's ``output`` block.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import MaxNLocator

from .calendar import Calendar
from .kpi import CAPACITY_KINDS, route_costs, weighted_quantile
from .labels import line_label, place, port_label, resource_labels
from .palette import (
    BENCHMARK_COLOR,
    CAPACITY_COLOR,
    CASE_STYLES,
    CLOSED_COLOR,
    CLOSURE_COLOR,
    CORRIDOR_COLOR,
    DIESEL_COLOR,
    ELECTRIC_COLORS,
    ENTRY_WAIT_COLOR,
    GOAL_COLOR,
    KIND_COLORS,
    KIND_LABELS,
    LEG_COLORS,
    LEG_LABELS,
    OBSERVED_COLOR,
    SCENARIO_COLORS,
    SEA_CO2_COLORS,
    SHIP_TYPES,
    STATE_COLORS,
    STATE_LABELS,
    TIME_COST_COLOR,
    case_colors,
    flow_color,
    scenario_colors,
)
from .results import _rows

FLOW_COLORS = [flow_color(i) for i in range(10)]  # kept for callers of the old module


# ----------------------------------------------------------------------------------------------
# Shared pieces
# ----------------------------------------------------------------------------------------------
def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)  # its own canvas: savefig and text measurement need no pyplot
    return fig


def _wrap(text: str, width_in: float, fontsize: float) -> str:
    """Wrap each line of a title to the figure's width (an average glyph is ~0.55 em wide)."""
    chars = max(30, int(width_in * 72 / (fontsize * 0.56)))
    return "\n".join(textwrap.fill(line, chars) for line in text.split("\n"))


def _title(ax, main: str, sub: str = "", fontsize: float = 11.0) -> None:
    """A title and a subtitle that never run off the figure (wrapped to its width)."""
    width = ax.figure.get_figwidth() * ax.get_position().width
    ax.set_title(
        _wrap(main, width, fontsize) + ("\n" + _wrap(sub, width, fontsize - 2) if sub else ""),
        fontsize=fontsize,
        loc="left",
    )


def _suptitle(fig, main: str, sub: str = "", fontsize: float = 11.0) -> None:
    width = fig.get_figwidth() * 0.95
    fig.suptitle(
        _wrap(main, width, fontsize) + ("\n" + _wrap(sub, width, fontsize - 2) if sub else ""),
        fontsize=fontsize,
        x=0.01,
        ha="left",
    )


def _replicated(res) -> bool:
    return hasattr(res, "runs")


def _years_text(s, year: int | None = None) -> str:
    if year is not None:
        return str(year)
    return f"{s.start_year}" if s.end_year == s.start_year else f"{s.start_year}–{s.end_year}"


def about(res, year: int | None = None) -> str:
    """'base (demand.scale=1.5) · 2024–2035 · 5 replications (seeds from 1)': what a chart shows."""
    s = res.scenario
    if _replicated(res):
        how = (
            f"{res.n} replications (seeds from {res.seed}), mean and 95% CI"
            if res.n > 1
            else f"1 replication (seed {res.seed})"
        )
    else:
        how = f"1 run (seed {res.seed})"
    case = (
        f" · demand case {s.demand_case}"
        if s.demand_cases and s.demand_case != "central" and not s.name.endswith(s.demand_case)
        else ""
    )
    return f"{s.label} · {_years_text(s, year)} · {how}{case}"


def _year_axis(ax, years) -> None:
    """One tick per year, rotated when there are many, so labels never run together."""
    years = sorted(int(y) for y in years)
    ax.set_xticks(years, [str(y) for y in years])
    if len(years) > 8:
        ax.tick_params(axis="x", labelrotation=45)
    ax.set_xlim(years[0] - 0.6, years[-1] + 0.6)


def _goal(ax, scenario) -> float:
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


def _observed(ax, scenario, style: str) -> set:
    if scenario.observed is None:
        return set()
    obs = pd.Series(scenario.observed.mt_by_year).sort_index()
    ax.plot(
        obs.index, obs.values, style, color=OBSERVED_COLOR, lw=1.2, ms=5, label=f"observed: {scenario.observed.series}"
    )
    return set(obs.index)


def _save(figs: dict, out: Path, dpi: int) -> list[Path]:
    paths = []
    for name, fig in figs.items():
        path = out / f"{name}.png"
        fig.savefig(path, dpi=dpi)
        paths.append(path)
    return paths


# ----------------------------------------------------------------------------------------------
# One scenario (a run, or its replications)
# ----------------------------------------------------------------------------------------------
def annual_tons(res) -> Figure:
    """Delivered tonnes per year by flow, the documented series, and the scenario's goal (for
    replications: the mean by flow, with the 95% CI of the total as error bars)."""
    s = res.scenario
    replicated = _replicated(res)
    col = "tons_delivered_mean" if replicated else "tons_delivered"
    a = res.annual.pivot_table(index="year", columns="flow", values=col, aggfunc="sum") / 1e6
    # the corridor's flows against its goal (other traffic sharing it is not the corridor's tonnage)
    a = a[[f.id for f in s.demand.flows if f.id in a.columns and f.corridor]]
    fig = _figure(11, 6.2)
    ax = fig.add_subplot()
    bottom = np.zeros(len(a))
    for i, flow in enumerate(a.columns):
        ax.bar(a.index, a[flow], bottom=bottom, color=flow_color(i), width=0.7, label=f"{flow} (simulated)")
        bottom += a[flow].to_numpy()
    top = bottom.copy()
    if replicated and res.n > 1:
        t = res.totals.set_index("year").loc[a.index]
        low, high = t.delivered_mt_ci_low.to_numpy(float), t.delivered_mt_ci_high.to_numpy(float)
        ax.errorbar(
            a.index,
            bottom,
            yerr=[bottom - low, high - bottom],
            fmt="none",
            ecolor="black",
            capsize=4,
            lw=1.2,
            label="95% CI of the total",
        )
        top = np.fmax(bottom, high)  # value labels sit above the error bar, never on it
    many = len(a) > 8
    for x, total, y in zip(a.index, bottom, top):
        ax.annotate(
            f"{total:.2f}",
            (x, y),
            ha="center",
            va="bottom",
            fontsize=8.5,
            xytext=(0, 3),
            textcoords="offset points",
            rotation=90 if many else 0,
        )
    goal = _goal(ax, s)
    years = sorted(set(a.index) | _observed(ax, s, "o-"))
    _year_axis(ax, years)
    ax.set_ylim(0, max(goal, float(top.max()) if len(top) else 0) * 1.18)
    ax.set_ylabel("cargo delivered, Mt per year")
    ax.set_xlabel("year")
    _title(ax, f"Cargo delivered by flow, against the {goal:g} Mt/yr goal", about(res))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, frameon=False)
    ax.grid(axis="y", alpha=0.3)
    return fig


def _utilization_table(res, by_year: bool) -> pd.DataFrame:
    """resource, kind, [year,] utilization, ci_low, ci_high (no interval for one run)."""
    r = res.resources
    if _replicated(res):
        t = res.resources if by_year else res.resources_over_years
        t = t[t.kind.isin(CAPACITY_KINDS)]
        return t.rename(
            columns={
                "utilization_mean": "utilization",
                "utilization_ci_low": "ci_low",
                "utilization_ci_high": "ci_high",
            }
        )
    r = r[r.kind.isin(CAPACITY_KINDS)]
    keys = ["resource", "kind"] + (["year"] if by_year else [])
    t = r.groupby(keys, as_index=False).utilization.mean()
    return t.assign(ci_low=np.nan, ci_high=np.nan)


def utilization(res, top: int = 22) -> Figure:
    """Mean utilization of each capacity-bearing resource over the years, busiest first (replications:
    the 95% interval of the multi-year mean, bounded to [0, 100%])."""
    s = res.scenario
    agg = _utilization_table(res, by_year=False).sort_values("utilization").tail(top)
    names = resource_labels(s, agg.resource)
    many = s.end_year > s.start_year
    fig = _figure(11, 0.32 * len(agg) + 2.2)
    ax = fig.add_subplot()
    colors = [KIND_COLORS.get(k, "grey") for k in agg.kind]
    u = agg.utilization.to_numpy(float) * 100
    xerr = None
    if agg.ci_low.notna().any():
        xerr = [
            u - agg.ci_low.fillna(agg.utilization).to_numpy(float) * 100,
            agg.ci_high.fillna(agg.utilization).to_numpy(float) * 100 - u,
        ]
    ax.barh(
        [names[r] for r in agg.resource],
        u,
        color=colors,
        xerr=xerr,
        error_kw={"ecolor": "black", "capsize": 2, "lw": 0.8},
    )
    right = agg.ci_high.fillna(agg.utilization).to_numpy(float) * 100
    for y, (v, r) in enumerate(zip(u, right)):
        ax.annotate(f"{v:.0f}%", (max(v, r), y), va="center", xytext=(3, 0), textcoords="offset points", fontsize=8)
    thr = s.output.bottleneck_threshold * 100
    ax.axvline(thr, color=GOAL_COLOR, lw=0.9, ls=":")
    ax.annotate(
        f"can bind from {thr:g}%",
        (thr, 1.0),
        xycoords=("data", "axes fraction"),
        xytext=(-3, -2),
        textcoords="offset points",
        ha="right",
        va="top",
        fontsize=8,
        color=GOAL_COLOR,
    )
    ax.axvline(100, color="black", lw=0.8)
    ax.set_xlim(0, 112)
    ax.set_xlabel(f"utilization, % of capacity ({'mean over ' if many else 'in '}{_years_text(s)})")
    _title(
        ax,
        f"Where the corridor is busiest, {_years_text(s)}"
        + (": mean over the years (each year: utilization_by_year.png)" if many else ""),
        about(res),
    )
    kinds = [k for k in KIND_COLORS if k in set(agg.kind)]
    ax.legend(
        handles=[Patch(color=KIND_COLORS[k], label=KIND_LABELS[k]) for k in kinds],
        loc="lower right",
        fontsize=8,
        frameon=True,
    )
    ax.tick_params(axis="y", labelsize=8)
    ax.grid(axis="x", alpha=0.3)
    return fig


def utilization_by_year(res, top: int = 18) -> Figure:
    """Utilization of the busiest resources in each year (a heat map), so a reader sees *when* each
    binds; cells at or above the scenario's bottleneck threshold are outlined."""
    s = res.scenario
    t = _utilization_table(res, by_year=True)
    wide = t.pivot_table(index="resource", columns="year", values="utilization", aggfunc="mean")
    wide = wide.loc[wide.max(axis=1).sort_values(ascending=False).index[:top]]
    years = [int(y) for y in wide.columns]
    names = resource_labels(s, wide.index)
    fig = _figure(max(9.5, 0.62 * len(years) + 5.5), 0.34 * len(wide) + 2.4)
    ax = fig.add_subplot()
    cmap = matplotlib.colormaps["YlOrRd"]
    values = wide.to_numpy(float)
    im = ax.imshow(values * 100, cmap=cmap, vmin=0, vmax=100, aspect="auto")
    thr = s.output.bottleneck_threshold
    for i in range(len(wide)):
        for j in range(len(years)):
            v = values[i, j]
            if v != v:
                continue
            ax.text(
                j, i, f"{v * 100:.0f}", ha="center", va="center", fontsize=7.5, color="white" if v > 0.7 else "black"
            )
            if v >= thr:
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, ec="black", lw=1.2))
    ax.set_xticks(range(len(years)), [str(y) for y in years], fontsize=8, rotation=45 if len(years) > 8 else 0)
    ax.set_yticks(range(len(wide)), [names[r] for r in wide.index], fontsize=8)
    fig.colorbar(im, ax=ax, shrink=0.8, label="utilization, %")
    how = "mean of the replications" if _replicated(res) and res.n > 1 else "one run"
    _title(
        ax, f"Utilization by year, % ({how}); outlined: at or above {thr:.0%}, where a resource can bind", about(res)
    )
    return fig


_MPL = tuple(int(x) for x in matplotlib.__version__.split(".")[:2])


def _flow_days(res) -> pd.DataFrame:
    """year, flow, tons, entry_wait, corridor (tonne-weighted means; replications: their means)."""
    a = res.annual
    if _replicated(res):
        cols = {
            "tons_delivered_mean": "tons",
            "entry_wait_days_mean_mean": "entry_wait",
            "corridor_days_mean_mean": "corridor",
        }
    else:
        cols = {"tons_delivered": "tons", "entry_wait_days_mean": "entry_wait", "corridor_days_mean": "corridor"}
    return a.rename(columns=cols)[["year", "flow", *cols.values()]]


def _hbxp(ax, stats, **kw):
    """Horizontal boxes from precomputed statistics on every supported matplotlib."""
    if _MPL >= (3, 10):
        return ax.bxp(stats, orientation="horizontal", **kw)
    return ax.bxp(stats, vert=False, **kw)


def transit_days(res, transit: pd.DataFrame | None = None) -> Figure:
    """Per flow: the days in the corridor (entry to delivery, distribution over the years) and, apart,
    the mean wait before entry: cargo that waits at a full border or tank farm is not in transit.

    The distribution comes from the ``transit`` table (tonnes by half-day bins), so it needs no
    per-consignment detail; ``transit`` pools several replications' tables."""
    s = res.scenario
    t = res.transit if transit is None else transit
    d = _flow_days(res)
    flows = [f.id for f in s.demand.flows if f.id in set(t.flow)]
    fig = _figure(11.5, 0.62 * max(len(flows), 1) + 2.6)
    ax, ax2 = fig.subplots(1, 2, sharey=True, width_ratios=[2.2, 1])
    if flows:
        stats, waits = [], []
        for f in flows:
            g = t[t.flow == f]
            days, tons = g.corridor_days.to_numpy(float), g.tons_delivered.to_numpy(float)
            q = {p: weighted_quantile(days, tons, p) for p in (0.05, 0.25, 0.5, 0.75, 0.95)}
            a = d[(d.flow == f) & (d.tons > 0)]
            stats.append(
                {
                    "label": f,
                    "whislo": q[0.05],
                    "q1": q[0.25],
                    "med": q[0.5],
                    "q3": q[0.75],
                    "whishi": q[0.95],
                    "mean": float(np.average(a.corridor, weights=a.tons)),
                    "fliers": [],
                }
            )
            waits.append(float(np.average(a.entry_wait, weights=a.tons)))
        bp = _hbxp(
            ax,
            stats,
            positions=range(1, len(flows) + 1),
            showfliers=False,
            patch_artist=True,
            showmeans=True,
            meanprops={"marker": "D", "markerfacecolor": "black", "markeredgecolor": "black", "markersize": 5},
            medianprops={"color": "black"},
        )
        for i, patch in enumerate(bp["boxes"]):
            patch.set_facecolor(flow_color(i))
            patch.set_alpha(0.6)
        ax2.barh(range(1, len(flows) + 1), waits, color=ENTRY_WAIT_COLOR, height=0.6)
        for i, w in enumerate(waits):
            ax2.annotate(f"{w:.1f} d", (w, i + 1), va="center", xytext=(3, 0), textcoords="offset points", fontsize=8)
        ax2.set_xlim(0, max(max(waits) * 1.3, 1.0))
    ax.set_xlabel(
        "days in the corridor, entry to delivery\n(box: quartiles; whiskers: 5th-95th percentile; "
        "diamond: tonne-weighted mean)",
        fontsize=9,
    )
    ax2.set_xlabel("mean wait before entry, days\n(generated, not yet admitted)", fontsize=9)
    ax.set_xlim(left=0)
    ax.invert_yaxis()
    for a in (ax, ax2):
        a.grid(axis="x", alpha=0.3)
    _suptitle(fig, "Days in the corridor, and the wait before entry, by flow (delivered cargo)", about(res))
    return fig


def transit_by_year(res) -> Figure:
    """Per flow and year: the mean wait before entry stacked under the mean days in the corridor, so a
    reader sees in which years cargo waits, and where."""
    s = res.scenario
    d = _flow_days(res)
    flows = [f.id for f in s.demand.flows if f.id in set(d.flow)]
    ncol = min(3, max(len(flows), 1))
    nrow = -(-len(flows) // ncol) if flows else 1
    fig = _figure(4.3 * ncol + 0.6, 2.9 * nrow + 1.5)
    axes = fig.subplots(nrow, ncol, squeeze=False, sharex=True)
    years = sorted(d.year.unique())
    for ax, f in zip(axes.flat, flows):
        g = d[d.flow == f].set_index("year").reindex(years)
        corr, wait = g.corridor.to_numpy(float), g.entry_wait.to_numpy(float)
        ax.bar(years, corr, color=CORRIDOR_COLOR, width=0.75, label="in the corridor")
        ax.bar(years, wait, bottom=np.nan_to_num(corr), color=ENTRY_WAIT_COLOR, width=0.75, label="wait before entry")
        ax.set_title(f, fontsize=9.5, loc="left")
        ax.set_ylim(bottom=0)
        ax.grid(axis="y", alpha=0.3)
        ax.tick_params(labelsize=8)
        if len(years) > 6:
            ax.set_xticks(years[::2] if len(years) > 8 else years)
            ax.tick_params(axis="x", labelrotation=45)
        else:
            ax.set_xticks(years)
    for ax in axes.flat[len(flows) :]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("days (tonne-weighted mean)", fontsize=8.5)
    fig.legend(
        handles=[
            Patch(color=CORRIDOR_COLOR, label="in the corridor (entry to delivery)"),
            Patch(color=ENTRY_WAIT_COLOR, label="wait before entry (generated, not yet admitted)"),
        ],
        loc="outside lower center",
        ncol=2,
        fontsize=9,
    )
    _suptitle(
        fig,
        "Days from generation to delivery by flow and year: the wait before entry and the transit in the corridor",
        about(res),
    )
    return fig


def _ports_to_plot(s, levels: pd.DataFrame, ports) -> list[str]:
    wanted = ports if ports is not None else (s.output.ports_to_plot or [p.id for p in s.ports])
    have = set(levels.port) if len(levels) else set()
    return [p for p in wanted if p in have]


def _shade_spans(ax, cal: Calendar, starts_h, ends_h, **style) -> None:
    """Shade time spans (h from the calendar's origin) across the whole height of a date axis, as
    one collection: a 12-year run has over a thousand storm closures."""
    spans = [(mdates.date2num(cal.to_datetime(a)), (b - a) / 24.0) for a, b in zip(starts_h, ends_h) if b > a]
    if spans:
        ax.broken_barh(spans, (0, 1), transform=ax.get_xaxis_transform(), lw=0, **style)


def port_levels(res, ports: Sequence[str] | None = None) -> Figure:
    """Yard fill and trains waiting over time at the scenario's ports to plot (``output.ports_to_plot``,
    default every port), with storm closures shaded."""
    s = res.scenario
    lv = res.levels
    ports = _ports_to_plot(s, lv, ports)
    cal = Calendar(s.start_year, s.end_year)
    fig = _figure(11.5, 2.7 * max(len(ports), 1) + 1.0)
    axes = fig.subplots(max(len(ports), 1), 1, sharex=True, squeeze=False)[:, 0]
    closures = res.closures
    for ax, pid in zip(axes, ports):
        p = lv[lv.port == pid]
        c = closures[(closures.port == pid) & (closures.t_end_h > 0)]
        _shade_spans(ax, cal, c.t_start_h.clip(lower=0.0), c.t_end_h, color="#bbbbbb", alpha=0.45)
        for i, (cargo, g) in enumerate(p[p.metric == "yard_share"].groupby("cargo")):
            ax.plot(
                [cal.to_datetime(t) for t in g.t_h],
                g.value * 100,
                lw=1.2,
                color=FLOW_COLORS[[0, 3, 5][i % 3]],
                label=f"{cargo} yard fill, %",
            )
        ax.set_ylim(0, 135)  # headroom above 100% for the legend
        ax.set_yticks([0, 25, 50, 75, 100])
        ax.set_ylabel("yard fill, %")
        ax2 = ax.twinx()
        w = p[p.metric == "trains_waiting"].groupby("t_h").value.sum()
        ax2.plot(
            [cal.to_datetime(t) for t in w.index],
            w.values,
            color="black",
            lw=0.9,
            ls=":",
            label="trains waiting to unload",
        )
        ax2.set_ylabel("trains waiting")
        ax2.set_ylim(0, max(4.0, float(w.max()) if len(w) else 4.0) * 1.35)
        ax2.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(port_label(s, pid), loc="left", fontsize=10, fontweight="bold")
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = ax2.get_legend_handles_labels()
        ax.legend(
            h1 + h2 + [Patch(color="#bbbbbb", alpha=0.45)],
            l1 + l2 + ["port closed by storm"],
            loc="upper left",
            fontsize=8,
            ncol=4,
            frameon=True,
        )
        ax.grid(alpha=0.3)
    axes[-1].xaxis.set_major_formatter(mdates.ConciseDateFormatter(axes[-1].xaxis.get_major_locator()))
    _suptitle(fig, "Yard fill and trains waiting at the ports", about(res))
    return fig


# ----------------------------------------------------------------------------------------------
# Cost and CO2 by route (a run, or its replications)
# ----------------------------------------------------------------------------------------------
def routes_of(res) -> pd.DataFrame:
    """The ``routes`` table of a run, or every replication's stacked with a ``replication`` column."""
    if _replicated(res):
        return pd.concat([r.routes.assign(replication=i) for i, r in enumerate(res.runs)], ignore_index=True)
    return res.routes


def priced(res) -> bool:
    """Whether any route delivered cargo at a known charge (the cost plots have something to show)."""
    r = routes_of(res)
    return bool(len(r)) and bool((r.units_delivered > 0).any()) and bool(r.charges_usd_per_unit.notna().any())


def scenario_in_force(s, year: int):
    """The scenario as it stands on 31 December of ``year``: its timeline's entries up to then applied."""
    out = s
    for iv, after in s.timeline_states:
        if iv.date <= dt.date(year, 12, 31):
            out = after
    return out


def _cost_rows(res, year: int | None) -> tuple[pd.DataFrame, int]:
    """route_costs of the year (default the last simulated), priced and delivered routes only, in
    the scenario's order of flows and routes."""
    s = res.scenario
    year = s.end_year if year is None else int(year)
    rc = route_costs(routes_of(res), year)
    order = {(f.id, r.id): i for i, (f, r) in enumerate((f, r) for f in s.demand.flows for r in f.routes)}
    rc = rc.assign(_o=[order.get((f, r), len(order)) for f, r in zip(rc.flow, rc.route)]).sort_values("_o")
    return rc.drop(columns="_o").reset_index(drop=True), year


def _by_kind(parts, key) -> dict[str, float]:
    out: dict[str, float] = {}
    for p in parts:
        k = key(p)
        out[k] = out.get(k, 0.0) + (p.usd_per_unit if key is _leg_kind else p.kg_co2e_per_unit)
    return out


def _leg_kind(p) -> str:
    return p.kind


def _scope(text: str, width: int = 34) -> str:
    """A benchmark's scope, shortened to its first clause."""
    head = text.split("(")[0].split(";")[0].strip().rstrip(",")
    head = head[:-4].rstrip() if head.endswith(" via") else head
    return head if len(head) <= width else head[: width - 1].rstrip() + "…"


def _unit_text(unit: str) -> str:
    return "t" if unit == "t" else unit


def cost_by_route(res, year: int | None = None) -> Figure:
    """Door-to-door cost per unit of cargo by flow and route in one year: the scenario's charges
    leg by leg (``model.charges``, summed by kind) plus the simulated time cost (mean, with the
    95% CI over replications and the p95 over the units delivered), beside the scenario's
    ``costs.benchmarks`` for the same cargo (documented rates of other routes, low to high).
    One panel per cargo class (containers per TEU, wagons per wagon ...)."""
    from .model.charges import route_charge

    s = res.scenario
    rc, year = _cost_rows(res, year)
    rc = rc[rc.charges_usd_per_unit.notna()]
    live = scenario_in_force(s, year)
    flows = {f.id: f for f in live.demand.flows}
    rc = rc[rc.flow.isin(list(flows))]
    classes = list(dict.fromkeys(flows[f].cargo for f in rc.flow))
    bench = list(s.costs.benchmarks) if s.costs is not None else []
    rows_of = {c: rc[[flows[f].cargo == c for f in rc.flow]] for c in classes}
    bench_of = {c: [b for b in bench if b.cargo == c] for c in classes}
    sizes = [len(rows_of[c]) + len(bench_of[c]) for c in classes] or [1]
    fig = _figure(12.5, 0.46 * sum(sizes) + 1.1 * len(sizes) + 2.4)
    axes = fig.subplots(len(sizes), 1, squeeze=False, gridspec_kw={"height_ratios": [n + 1.2 for n in sizes]})[:, 0]
    money = f"US\\$ of {s.costs.currency_year}" if s.costs is not None else "US\\$"
    kinds_seen: list[str] = []
    reps = _replicated(res) and res.n > 1
    for ax, c in zip(axes, classes):
        unit = s.cargo_classes[c].unit
        rows = rows_of[c]
        labels, right = [], 0.0
        row: Any  # a table's row (itertuples): its fields are the table's columns
        for y, row in enumerate(rows.itertuples()):
            f = flows[row.flow]
            route = next(r for r in f.routes if r.id == row.route)
            parts = _by_kind(route_charge(live, f, route).parts, _leg_kind)
            left = 0.0
            for k in LEG_COLORS:
                v = parts.get(k, 0.0)
                if v > 0:
                    ax.barh(y, v, left=left, color=LEG_COLORS[k], height=0.62)
                    left += v
                    if k not in kinds_seen:
                        kinds_seen.append(k)
            t = row.time_cost_usd_per_unit
            ax.barh(y, t, left=left, color=TIME_COST_COLOR, height=0.62, hatch="//", edgecolor="white", lw=0)
            end = left + t
            if reps and np.isfinite(row.time_cost_usd_per_unit_ci_low):
                ax.errorbar(
                    end,
                    y,
                    xerr=[[t - row.time_cost_usd_per_unit_ci_low], [row.time_cost_usd_per_unit_ci_high - t]],
                    fmt="none",
                    ecolor="black",
                    capsize=3,
                    lw=1,
                )
            p95 = row.cost_usd_per_unit_p95
            if np.isfinite(p95):
                ax.plot([p95], [y], marker="D", color="black", ms=5, mfc="white", ls="none")
            # the label starts right of everything drawn on the row: bar, CI whisker, p95 marker
            high = row.time_cost_usd_per_unit_ci_high if reps else np.nan
            whisker = left + high if np.isfinite(high) else end
            tip = max(end, whisker, p95 if np.isfinite(p95) else 0.0)
            ax.annotate(
                f"{end:,.0f} (p95 {p95:,.0f})" if np.isfinite(p95) else f"{end:,.0f}",
                (tip, y),
                xytext=(8, 0),
                textcoords="offset points",
                va="center",
                fontsize=8,
            )
            right = max(right, tip)
            labels.append(f"{row.flow} · {row.route}")
        n = len(rows)
        for i, b in enumerate(bench_of[c]):
            y = n + i
            ax.barh(
                y,
                b.usd_per_unit_high - b.usd_per_unit_low,
                left=b.usd_per_unit_low,
                color=BENCHMARK_COLOR,
                alpha=0.55,
                height=0.62,
            )
            ax.annotate(
                f"{b.usd_per_unit_low:,.0f}–{b.usd_per_unit_high:,.0f}",
                (b.usd_per_unit_high, y),
                xytext=(6, 0),
                textcoords="offset points",
                va="center",
                fontsize=8,
                color="#54278f",
            )
            right = max(right, b.usd_per_unit_high)
            labels.append(f"{b.label}: {_scope(b.scope, 30)}")
        if bench_of[c]:
            ax.axhline(n - 0.5, color="grey", lw=0.8, ls=":")
        ax.set_yticks(range(len(labels)), labels, fontsize=8.5)
        for tick in ax.get_yticklabels()[n:]:
            tick.set_color("#54278f")
            tick.set_fontstyle("italic")
        ax.set_ylim(len(labels) - 0.5, -0.6)
        ax.set_xlim(0, right * 1.22 if right > 0 else 1)
        ax.set_xlabel(f"door-to-door cost, {money} per {_unit_text(unit)}")
        ax.set_title(f"{c} (per {_unit_text(unit)})", fontsize=10, loc="left")
        ax.grid(axis="x", alpha=0.3)
    handles: list[Any] = [Patch(color=LEG_COLORS[k], label=LEG_LABELS[k]) for k in LEG_COLORS if k in kinds_seen]
    handles.append(Patch(facecolor=TIME_COST_COLOR, hatch="//", edgecolor="white", label="time cost (simulated, mean)"))
    if reps:
        handles.append(
            matplotlib.lines.Line2D([], [], color="black", marker="|", ls="-", lw=1, label="95% CI of the time cost")
        )
    handles.append(
        matplotlib.lines.Line2D(
            [], [], marker="D", color="black", mfc="white", ls="none", label="p95 of charges + time per unit"
        )
    )
    if any(bench_of.values()):
        handles.append(Patch(color=BENCHMARK_COLOR, alpha=0.55, label="documented rate of another route (low–high)"))
    axes[0].legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8.5, frameon=False)
    _suptitle(
        fig,
        f"Door-to-door cost by route in {year}: charges leg by leg plus the shippers' time",
        about(res, year) + "\nA cost figure, not capacity: the charges are the scenario's tariffs, fees and freight "
        f"in force at the end of {year} and do not depend on capacity; the time cost is the simulated days x "
        "tonnes x the flow's value of time. Other routes' rates as documented (scope as quoted).",
    )
    return fig


def _traction_colors(s) -> dict[str, str]:
    electric = [t for t in dict.fromkeys(l.traction for l in s.rail_links) if t != "diesel"]
    out = {"diesel": DIESEL_COLOR}
    out.update({t: ELECTRIC_COLORS[i % len(ELECTRIC_COLORS)] for i, t in enumerate(electric)})
    return out


def co2_by_route(res, year: int | None = None) -> Figure:
    """kg CO2e per tonne carried by flow and route in one year, stacked by mode (rail by traction,
    sea by the ship type of the cargo class; ``costs.emissions``), with each route's total per
    unit of its cargo (per TEU, per wagon) written beside the bar. Emissions per unit are fixed by
    the route and the factors, so replications do not change them."""
    from .model.charges import route_charge

    s = res.scenario
    rc, year = _cost_rows(res, year)
    rc = rc[rc.co2e_kg_per_unit.notna()]
    live = scenario_in_force(s, year)
    flows = {f.id: f for f in live.demand.flows}
    rc = rc[rc.flow.isin(list(flows))]
    links = {l.id: l for l in live.rail_links}
    colors = _traction_colors(live)
    fig = _figure(12.5, 0.44 * max(len(rc), 1) + 2.6)
    ax = fig.add_subplot()
    seen: dict[str, str] = {}
    labels, right = [], 0.0
    row: Any  # a table's row (itertuples): its fields are the table's columns
    for y, row in enumerate(rc.itertuples()):
        f = flows[row.flow]
        route = next(r for r in f.routes if r.id == row.route)
        charge = route_charge(live, f, route)
        t_unit = charge.t_per_unit
        stack: dict[str, float] = {}
        for p in charge.parts:
            if p.kind == "rail":
                key = f"rail, {links[p.leg].traction.replace('_', ' ')}"
                seen.setdefault(key, colors.get(links[p.leg].traction, DIESEL_COLOR))
            elif p.kind == "sea":
                key = f"sea, {SHIP_TYPES.get(f.cargo, f.cargo + ' ship')}"
                n_sea = sum(1 for k in seen if k.startswith("sea"))
                seen.setdefault(key, SEA_CO2_COLORS[n_sea % len(SEA_CO2_COLORS)])
            else:
                continue
            stack[key] = stack.get(key, 0.0) + p.kg_co2e_per_unit / t_unit
        left = 0.0
        for key in sorted(stack, key=lambda k: (k.startswith("sea"), k)):
            sea = key.startswith("sea")
            ax.barh(
                y,
                stack[key],
                left=left,
                color=seen[key],
                height=0.62,
                hatch="..." if sea else None,
                edgecolor="white",
                lw=0,
            )
            left += stack[key]
        unit = s.cargo_classes[f.cargo].unit
        per_unit = f" · {charge.kg_co2e_per_unit:,.0f} kg per {unit}" if unit != "t" else ""
        ax.annotate(
            f"{left:,.0f} kg/t{per_unit}", (left, y), xytext=(6, 0), textcoords="offset points", va="center", fontsize=8
        )
        right = max(right, left)
        labels.append(f"{row.flow} · {row.route}")
    ax.set_yticks(range(len(labels)), labels, fontsize=8.5)
    ax.set_ylim(len(labels) - 0.5, -0.6)
    ax.set_xlim(0, right * 1.35 if right > 0 else 1)
    ax.set_xlabel("CO2e, kg per tonne of cargo carried (well to wheel)")
    ax.grid(axis="x", alpha=0.3)
    order = sorted(seen, key=lambda k: (k.startswith("sea"), k))
    handles = [
        Patch(facecolor=seen[k], hatch="..." if k.startswith("sea") else None, edgecolor="white", label=k)
        for k in order
    ]
    ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize=8.5,
        frameon=False,
        title="mode (rail by traction)",
        title_fontsize=8.5,
    )
    src = s.costs.emissions.source if s.costs is not None and s.costs.emissions is not None else "no factors"
    _title(
        ax,
        f"CO2e by route in {year}: kg per tonne, by mode",
        about(res, year) + f"\ntonne-km on each leg x the scenario's emission factors ({_scope(src, 60)}); "
        "fixed by the route, not by capacity or replication",
    )
    return fig


def measures_ranking(table: pd.DataFrame, title_label: str) -> Figure:
    """Cost-effectiveness of measures (``appraisal.appraise``'s table, or appraisal.csv): US$ of
    capex per tonne a year of capacity added, cheapest first, with the 95% CI over replications;
    each bar says the capacity added (Mt/yr) and the benefit-cost ratio. Measures that add no
    capacity have no such ratio: they are listed at the bottom, labelled so."""
    t = table.copy()
    gain = t.capacity_added_mt.astype(float)
    usd = t.usd_per_t_capacity.astype(float)
    ok = (gain > 0) & np.isfinite(usd) & (usd > 0)
    ranked = t[ok].assign(_u=usd[ok]).sort_values("_u")
    rest = t[~ok]
    n = len(ranked) + len(rest)
    fig = _figure(12, 0.42 * max(n, 1) + 2.4)
    ax = fig.add_subplot()
    y = np.arange(len(ranked))
    mean = ranked.usd_per_t_capacity.astype(float).to_numpy()
    lo = ranked.usd_per_t_capacity_ci_low.astype(float).to_numpy()
    hi = ranked.usd_per_t_capacity_ci_high.astype(float).to_numpy()
    # a ratio's interval runs to infinity when the gain's interval reaches zero: cut at the axis
    cap_x = float(np.nanmax(mean)) * 1.9 if len(mean) else 1.0
    lo_e = np.where(np.isfinite(lo) & (lo > 0), mean - np.clip(lo, 0, None), 0.0)
    hi_c = np.where(np.isfinite(hi) & (hi > 0), hi, cap_x)
    hi_e = np.clip(np.minimum(hi_c, cap_x) - mean, 0, None)
    ax.barh(y, mean, color="#1f77b4", height=0.62, label="capex per t/yr of capacity added (mean)")
    if len(ranked) and (np.isfinite(lo).any() or np.isfinite(hi).any()):
        ax.errorbar(
            mean,
            y,
            xerr=[lo_e, hi_e],
            fmt="none",
            ecolor="black",
            capsize=3,
            lw=1,
            label="95% CI over replications (cut at the axis)",
        )
    row: Any  # a table's row (itertuples): its fields are the table's columns
    for yi, row, m, h in zip(y, ranked.itertuples(), mean, np.minimum(hi_c, cap_x)):
        bcr = f"BCR {row.bcr:.2f}" if np.isfinite(float(row.bcr)) else "BCR n/a"
        ax.annotate(
            f"US\\${m:,.0f} · +{row.capacity_added_mt:.2f} Mt/yr · {bcr}",
            (max(m, h), yi),
            xytext=(6, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
        )
    for i, row in enumerate(rest.itertuples()):
        y_rest = len(ranked) + i
        bcr = f"BCR {row.bcr:.2f}" if np.isfinite(float(row.bcr)) else "BCR n/a"
        note = str(row.note) if isinstance(row.note, str) and row.note.strip() else ""
        what = (
            note
            if note and not np.isfinite(float(row.capacity_added_mt))
            else f"no capacity gain in the years simulated ({float(row.capacity_added_mt):+.2f} Mt/yr) · {bcr}"
        )
        ax.annotate(
            what,
            (0, y_rest),
            xytext=(6, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
            color="#636363",
        )
    if len(rest) and len(ranked):
        ax.axhline(len(ranked) - 0.5, color="grey", lw=0.8, ls=":")
    labels = [f"{m} ({c:,.0f} m)" for m, c in zip(ranked.measure, ranked.capex_musd)]
    labels += [f"{m} ({c:,.0f} m)" for m, c in zip(rest.measure, rest.capex_musd)]
    ax.set_yticks(range(n), labels, fontsize=8.5)
    for tick in ax.get_yticklabels()[len(ranked) :]:
        tick.set_color("#636363")
    ax.set_ylim(n - 0.5, -0.6)
    ax.set_xlim(0, cap_x * 1.45)
    ax.set_xlabel("capex per tonne a year of capacity added, US\\$ per (t/yr)  (measure labels: capex, US\\$ m)")
    ax.grid(axis="x", alpha=0.3)
    if len(ranked):
        ax.legend(loc="lower right", fontsize=8.5)
    _suptitle(
        fig,
        "Cost-effectiveness of the measures: capex per tonne a year of capacity added, cheapest first",
        f"{title_label}\ncapacity: what the corridor could carry with the measure against without it (common "
        "random numbers)\nBCR: benefits (shippers' cost and time, CO2e) over costs, in present values",
    )
    return fig


def plan_frontier(frontier: pd.DataFrame, goal_mt: float, title_label: str) -> Figure:
    """The cheapest plan's cost against the year the capacity goal is to be reached
    (``appraisal.frontier``, or frontier.csv): capex and its present value in US$ m, each reached
    plan labelled with its capacity in the goal year (mean and 95% CI); years in which no set of
    the candidates reaches the goal are marked at the bottom."""
    f = frontier.sort_values("by")
    reached = f[f.reached.astype(bool)]
    missed = f[~f.reached.astype(bool)]
    fig = _figure(11, 5.6)
    ax = fig.add_subplot()
    ax.plot(reached.by, reached.capex_musd, "o-", color="#1f77b4", ms=7, label="capex, US\\$ m")
    ax.plot(
        reached.by, reached.pv_cost_musd, "s--", color="#ff7f0e", ms=6, label="present value of capex and opex, US\\$ m"
    )
    top = float(np.nanmax(f[["capex_musd", "pv_cost_musd"]].to_numpy(dtype=float))) if len(f) else 1.0
    top = top if np.isfinite(top) and top > 0 else 1.0
    row: Any  # a table's row (itertuples): its fields are the table's columns
    for row in reached.itertuples():
        ci = (
            f" [{row.capacity_mt_ci_low:.2f}–{row.capacity_mt_ci_high:.2f}]"
            if pd.notna(row.capacity_mt_ci_low) and pd.notna(row.capacity_mt_ci_high)
            else ""
        )
        n_m = len([m for m in str(row.measures).split("), ") if m.strip() and m != "nan"])
        ax.annotate(
            f"{row.capacity_mt:.2f} Mt/yr{ci}\n{n_m} measure{'s' if n_m != 1 else ''}, "
            f"{row.share_at_goal:.0%} of replications at goal",
            (row.by, max(row.capex_musd, row.pv_cost_musd if pd.notna(row.pv_cost_musd) else 0.0)),
            xytext=(0, 10),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=8,
        )
    if len(missed):
        ax.plot(
            missed.by,
            [0.0] * len(missed),
            "x",
            color=GOAL_COLOR,
            ms=10,
            mew=2,
            label="no plan of the candidates reaches the goal",
        )
        for row in missed.itertuples():
            ax.annotate(
                f"not reached\n(best {row.capacity_mt:.2f} Mt/yr)" if pd.notna(row.capacity_mt) else "not reached",
                (row.by, 0.0),
                xytext=(0, 10),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=8,
                color=GOAL_COLOR,
            )
    if len(f):
        _year_axis(ax, f.by)
    ax.set_ylim(-0.06 * top, top * 1.35)
    ax.set_xlabel(f"year by which capacity is to reach {goal_mt:g} Mt/yr (measures in service on 1 January)")
    ax.set_ylabel("cost of the cheapest plan, US\\$ m")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8.5)
    _title(
        ax,
        f"The cheapest plan for {goal_mt:g} Mt/yr of capacity, by the year it is wanted",
        f"{title_label}\ncapacity, not demand: what the corridor could carry in the goal year (labels: mean "
        "[95% CI] on replications the search did not see)",
    )
    return fig


FIGURES = {
    "annual_tons": annual_tons,
    "utilization": utilization,
    "utilization_by_year": utilization_by_year,
    "transit_days": transit_days,
    "transit_by_year": transit_by_year,
    "port_levels": port_levels,
    "corridor_map": lambda res: corridor_map(res),
}
# drawn only when some route delivered cargo at a known charge (``priced``), and the CO2 chart
# only with emission factors: a scenario without them has nothing to show, and an empty chart
# would look like a result
COST_FIGURES = {
    "cost_by_route": lambda res: cost_by_route(res),
    "co2_by_route": lambda res: co2_by_route(res),
}


def _cost_figures(res) -> dict:
    if not priced(res):
        return {}
    names = ["cost_by_route"] + (["co2_by_route"] if routes_of(res).co2e_kg_per_unit.notna().any() else [])
    return {name: COST_FIGURES[name](res) for name in names}


def save_all(res, out: str | Path, dpi: int = 110) -> list[Path]:
    out = Path(out)
    return _save({**{name: make(res) for name, make in FIGURES.items()}, **_cost_figures(res)}, out, dpi)


def save_replicated(rep, out: str | Path, dpi: int = 110) -> list[Path]:
    """Plots of a replicated run: totals and utilization with 95% CIs, days by year (means),
    transit days pooled over replications, and port levels and the map of the first replication
    (a time series does not average), each saying so."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    first = rep.runs[0]
    pooled = pd.concat([r.transit for r in rep.runs], ignore_index=True)
    figs = {
        "annual_tons": annual_tons(rep),
        "utilization": utilization(rep),
        "utilization_by_year": utilization_by_year(rep),
        "transit_days": transit_days(rep, pooled),
        "transit_by_year": transit_by_year(rep),
        "port_levels": port_levels(first),
        "corridor_map": corridor_map(first),
        **_cost_figures(rep),
    }
    _suptitle(
        figs["transit_days"],
        f"Days in the corridor, and the wait before entry, by flow (all {rep.n} replications pooled)",
        about(rep),
    )
    _suptitle(
        figs["port_levels"],
        "Yard fill and trains waiting at the ports",
        f"{rep.scenario.label} · replication 1 of {rep.n} (seed {first.seed})",
    )
    return _save(figs, out, dpi)


# ----------------------------------------------------------------------------------------------
# Scenario comparison
# ----------------------------------------------------------------------------------------------
def _case_of(cmp, name: str) -> tuple[str, str]:
    """(scenario without its demand-case suffix, demand case) of one compared run."""
    from .compare import case_of

    return case_of(cmp, name)


def comparison_colors(cmp) -> dict[str, str]:
    """Each compared run's colour: its scenario's, shared by its demand cases (palette order)."""
    cases = {n: _case_of(cmp, n)[0] for n in cmp.results}
    base = scenario_colors(cases.values())
    return {n: base[b] for n, b in cases.items()}


def _compare_about(cmp) -> str:
    first = next(iter(cmp.results.values()))[0].scenario
    years = f"{int(cmp.annual.year.min())}–{int(cmp.annual.year.max())}"
    if cmp.replications > 1:
        how = f"mean of {cmp.replications} replications, 95% CI; the same seeds for every scenario"
    else:
        how = f"1 replication (seed {cmp.meta.get('seeds', ['?'])[0]}), the same for every scenario"
    over = f" · with {first.overrides_text}" if first.overrides else ""
    return f"{years} · {how}{over}"


def compare_tons(cmp) -> Figure:
    """Delivered Mt per year for each scenario, against the goal, with the documented history.
    Runs of one scenario under several demand cases share its colour (line style by case) and
    the span between its lowest and highest case is shaded: a fan of demand against the goal."""
    names = list(cmp.results)
    cases = {n: _case_of(cmp, n) for n in names}
    colors = comparison_colors(cmp)
    first = next(iter(cmp.results.values()))[0].scenario
    fig = _figure(11.5, 6.2)
    ax = fig.add_subplot()
    for n in names:
        base, case = cases[n]
        a = cmp.annual[cmp.annual.scenario == n]
        many = sum(1 for b, _ in cases.values() if b == base) > 1
        label = f"{base} ({case} demand)" if many else n
        ax.plot(
            a.year,
            a.delivered_mt,
            CASE_STYLES.get(case, "-."),
            marker="o",
            ms=4,
            lw=2,
            color=colors[n],
            label=f"{label}: at goal {cmp.goal_label(n)}",
        )
        if cmp.replications > 1 and not many:
            ax.fill_between(
                a.year,
                a.delivered_mt_ci_low.astype(float),
                a.delivered_mt_ci_high.astype(float),
                color=colors[n],
                alpha=0.18,
                lw=0,
            )
    for base in dict.fromkeys(b for b, _ in cases.values()):
        runs = [n for n in names if cases[n][0] == base]
        if len(runs) > 1:
            wide = cmp.annual[cmp.annual.scenario.isin(runs)].pivot(
                index="year", columns="scenario", values="delivered_mt"
            )
            ax.fill_between(wide.index, wide.min(axis=1), wide.max(axis=1), color=colors[runs[0]], alpha=0.12, lw=0)
    goal = _goal(ax, first)
    years = sorted(set(cmp.annual.year) | _observed(ax, first, "s--"))
    _year_axis(ax, years)
    ax.set_ylim(0, max(goal * 1.15, cmp.annual.delivered_mt.max() * 1.1))
    ax.set_ylabel("cargo delivered, Mt per year")
    ax.set_xlabel("year")
    _title(ax, f"Scenarios: cargo delivered against the {goal:g} Mt/yr goal", _compare_about(cmp))
    ax.legend(loc="upper left", fontsize=9, frameon=True)
    ax.grid(alpha=0.3)
    return fig


def compare_transit(cmp) -> Figure:
    """Tonne-weighted days per year for each scenario: in the corridor, and apart the wait before
    entry (cargo waiting at a full border or tank farm is not in transit)."""
    names = list(cmp.results)
    colors = comparison_colors(cmp)
    fig = _figure(12, 5.0)
    ax, ax2 = fig.subplots(1, 2, sharex=True)
    for n in names:
        a = cmp.annual[cmp.annual.scenario == n]
        ax.plot(a.year, a.corridor_days_mean, "-o", ms=4, lw=2, color=colors[n], label=n)
        ax2.plot(a.year, a.entry_wait_days_mean, "-o", ms=4, lw=2, color=colors[n], label=n)
        if cmp.replications > 1:
            for axis, m in ((ax, "corridor_days_mean"), (ax2, "entry_wait_days_mean")):
                axis.fill_between(
                    a.year,
                    a[f"{m}_ci_low"].astype(float),
                    a[f"{m}_ci_high"].astype(float),
                    color=colors[n],
                    alpha=0.15,
                    lw=0,
                )
    years = sorted(cmp.annual.year.unique())
    for axis, what in ((ax, "in the corridor, entry to delivery"), (ax2, "wait before entry")):
        _year_axis(axis, years)
        axis.set_ylim(bottom=0)
        axis.set_ylabel(f"days {what}\n(tonne-weighted mean, all flows)", fontsize=9)
        axis.grid(alpha=0.3)
    ax.set_title("in the corridor", fontsize=10, loc="left")
    ax2.set_title("waiting to enter", fontsize=10, loc="left")
    ax.legend(fontsize=8.5)
    _suptitle(fig, "Days in the corridor, and the wait before entry, by scenario", _compare_about(cmp))
    return fig


def route_flow(cmp_or_scenario, flow: str | None = None) -> str | None:
    """The flow whose route split is charted: ``flow``, else the scenario's ``output.route_split_flow``,
    else its flow with the most routes (the first such in scenario order)."""
    s = (
        cmp_or_scenario
        if hasattr(cmp_or_scenario, "demand")
        else next(iter(cmp_or_scenario.results.values()))[0].scenario
    )
    if flow:
        return flow
    if s.output.route_split_flow:
        return s.output.route_split_flow
    best = max(s.demand.flows, key=lambda f: len(f.routes), default=None)
    return best.id if best is not None else None


def compare_routes(cmp, flow: str | None = None) -> Figure:
    """Route split of one flow over the years, one panel per scenario."""
    flow = route_flow(cmp, flow)
    names = list(cmp.results)
    r = cmp.routes[cmp.routes.flow == flow]
    routes = sorted(r.route.unique())
    palette = {c: (FLOW_COLORS + SCENARIO_COLORS)[i % 20] for i, c in enumerate(routes)}
    ncol = min(3, len(names))
    nrow = -(-len(names) // ncol)
    fig = _figure(4.3 * ncol + 0.4, 3.1 * nrow + 1.6)
    axes = fig.subplots(nrow, ncol, squeeze=False, sharey=True)
    years = sorted(cmp.annual.year.unique())
    for ax, n in zip(axes.flat, names):
        w = r[r.scenario == n].pivot_table(index="year", columns="route", values="share", aggfunc="sum")
        w = w.reindex(index=years, columns=routes).fillna(0.0)
        ax.stackplot(w.index, [w[c] * 100 for c in routes], colors=[palette[c] for c in routes], alpha=0.85)
        ax.set_title(n, fontsize=10, loc="left")
        ax.set_ylim(0, 100)
        ax.set_xlim(years[0], years[-1])
        ax.set_xticks(years if len(years) <= 6 else years[::2])
        ax.tick_params(labelsize=8, axis="both")
        if len(years) > 6:
            ax.tick_params(axis="x", labelrotation=45)
    for ax in axes.flat[len(names) :]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("share of tonnes, %")
    fig.legend(
        handles=[Patch(color=palette[c], label=c) for c in routes],
        loc="outside lower center",
        ncol=min(len(routes), 5),
        fontsize=9,
    )
    desc = next(iter(cmp.results.values()))[0].scenario.flow(flow).description if flow else ""
    _suptitle(fig, f"Route split of {flow}: delivered tonnes by route", f"{desc} · {_compare_about(cmp)}")
    return fig


def compare_bottlenecks(cmp) -> Figure:
    """The binding resource per scenario and year, coloured by kind, with the share of replications
    that name it."""
    import textwrap as tw

    names = list(cmp.results)
    years = sorted(cmp.binding.year.unique())
    first = next(iter(cmp.results.values()))[0].scenario
    thr = first.output.bottleneck_threshold
    fig = _figure(max(12, 1.15 * len(years) + 3.5), 0.95 * len(names) + 2.4)
    ax = fig.add_subplot()
    b = cmp.binding.set_index(["scenario", "year"])
    for i, n in enumerate(names):
        s = cmp.results[n][0].scenario
        for j, y in enumerate(years):
            row = b.loc[(n, y)] if (n, y) in b.index else None
            bound = row is not None and bool(row.binding)
            if row is not None and bound:
                color = KIND_COLORS.get(row.kind, "#dddddd")
                label = tw.fill(_short_label(s, row.resource), 15, break_long_words=False)
                if cmp.replications > 1:
                    label += f"\n{row.share_of_replications:.0%}"
            else:
                color, label = "#f2f2f2", "none"
            ax.add_patch(Rectangle((j, i), 0.96, 0.92, color=color, alpha=0.6 if bound else 1))
            ax.text(
                j + 0.48, i + 0.46, label, ha="center", va="center", fontsize=6.3, color="black" if bound else "#888888"
            )
    ax.set_xlim(0, len(years))
    ax.set_ylim(len(names), 0)
    ax.set_xticks([j + 0.48 for j in range(len(years))], [str(y) for y in years], fontsize=9)
    ax.set_yticks([i + 0.46 for i in range(len(names))], names, fontsize=9)
    ax.tick_params(length=0)
    for sp in ax.spines.values():
        sp.set_visible(False)
    kinds = sorted({k for k in cmp.binding[cmp.binding.binding].kind.dropna()})
    ax.legend(
        handles=[Patch(color=KIND_COLORS[k], alpha=0.6, label=KIND_LABELS[k]) for k in kinds]
        + [Patch(color="#f2f2f2", label=f"none at or above {thr:.0%}")],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.04),
        ncol=4,
        fontsize=8,
        frameon=False,
    )
    share = "; % = share of replications naming it" if cmp.replications > 1 else ""
    _title(
        ax,
        f"What binds: among resources at or above {thr:.0%} utilization, the one where cargo waits longest{share}",
        _compare_about(cmp),
    )
    return fig


def _short_label(s, resource: str) -> str:
    """A resource's label, short enough for a grid cell ('Kuryk–Alat rail ferries: ASCO ferries (52 wagons)'
    loses its capacity)."""
    return resource_labels(s, [resource])[resource].split(" (")[0]


def save_comparison(cmp, out: str | Path, dpi: int = 110, flow: str | None = None) -> list[Path]:
    out = Path(out)
    return _save(
        {
            "compare_tons": compare_tons(cmp),
            "compare_transit": compare_transit(cmp),
            "compare_routes": compare_routes(cmp, flow),
            "compare_bottlenecks": compare_bottlenecks(cmp),
        },
        out,
        dpi,
    )


# ----------------------------------------------------------------------------------------------
# Capacity beside demand and delivered tonnes
# ----------------------------------------------------------------------------------------------
def _file_label(s) -> str:
    """The scenario file's label (its name without a demand-case suffix, with any overrides)."""
    from .compare import file_name

    return s.label.replace(s.name, file_name(s), 1)


def _short(label: str, width: int = 20) -> str:
    """A resource label short enough to annotate a chart: the line without its vessel group, no
    parenthesised capacity, wrapped ('Kuryk–Alat rail ferries: ASCO (52 wagons)' -> 'Kuryk–Alat rail
    ferries')."""
    return textwrap.fill(str(label).split(" (")[0].split(": ")[0], width, break_long_words=False)


def _boxes_overlap(a, b, pad: float = 2.0) -> bool:
    return a.x0 < b.x1 + pad and b.x0 < a.x1 + pad and a.y0 < b.y1 + pad and b.y0 < a.y1 + pad


# where a binding label may go around its point, in points: above the band first, nearest first
_BIND_SPOTS = [(dx, dy) for dy in (12, 40, 68, 96, 124) for dx in (0, -30, 30, -60, 60)] + [
    (dx, dy) for dy in (-18, -46, -74) for dx in (0, -30, 30, -60, 60)
]


def _binding_changes(traj: pd.DataFrame) -> list:
    """The rows where what binds the capacity differs from the year before (and the first year)."""
    out, last = [], object()
    for r in _rows(traj):
        what = _short(r.binding_label) if isinstance(r.binding_label, str) and r.binding_label else None
        if what != last:
            if what is not None:
                out.append(r)
            last = what
    return out


def _crosses(p0, p1, box, steps: int = 24) -> bool:
    """Whether the segment p0-p1 (display coordinates) passes through ``box``."""
    return any(
        box.contains(p0[0] + (p1[0] - p0[0]) * k / steps, p0[1] + (p1[1] - p0[1]) * k / steps) for k in range(steps + 1)
    )


def _annotate_binding(fig, ax, changes: list) -> list:
    """Each change of binding resource as a short label near its year, at the first spot whose text
    overlaps no label placed before it, whose leader line crosses none, and that stays inside the
    axes (a thin leader line when moved from just above its point)."""
    fig.canvas.draw()  # the layout is final: data -> display is what will be saved
    renderer = fig.canvas.get_renderer()
    inside = ax.get_window_extent(renderer)
    placed: list = []  # (text box, leader line's ends or None)
    texts = []
    for r in changes:
        y = float(r.capacity_mt_ci_high) if pd.notna(r.capacity_mt_ci_high) else float(r.capacity_mt)
        chosen = None
        for dx, dy in _BIND_SPOTS:
            anchor = y if dy > 0 else float(r.capacity_mt_ci_low) if pd.notna(r.capacity_mt_ci_low) else y
            lead = (dx, dy) != (0, 12)
            style = {
                "xytext": (dx, dy),
                "textcoords": "offset points",
                "ha": "center",
                "va": "bottom" if dy > 0 else "top",
                "fontsize": 7.5,
                "color": CAPACITY_COLOR,
                "bbox": {"boxstyle": "round,pad=0.2", "fc": "white", "ec": CAPACITY_COLOR, "lw": 0.6, "alpha": 0.9},
                "zorder": 6,
            }
            # measured without its leader line: the extent of an annotation includes the line's box
            t = ax.annotate(_short(r.binding_label), (int(r.year), anchor), **style)
            bb = t.get_window_extent(renderer).padded(2.0)
            t.remove()
            point = ax.transData.transform((int(r.year), anchor))
            line = (point, ((bb.x0 + bb.x1) / 2, bb.y0 if dy > 0 else bb.y1)) if lead else None
            ok = (
                bb.x0 >= inside.x0
                and bb.x1 <= inside.x1
                and bb.y0 >= inside.y0
                and bb.y1 <= inside.y1
                and not any(_boxes_overlap(bb, o) for o, _ in placed)
                and not (line and any(_crosses(line[0], line[1], o) for o, _ in placed))
                and not any(seg and _crosses(seg[0], seg[1], bb) for _, seg in placed)
            )
            if ok:
                arrow = {"arrowprops": {"arrowstyle": "-", "color": CAPACITY_COLOR, "lw": 0.6}} if lead else {}
                chosen = (ax.annotate(_short(r.binding_label), (int(r.year), anchor), **style, **arrow), bb, line)
                break
        if chosen is None:  # nowhere free: left out rather than drawn over another label
            continue
        placed.append((chosen[1], chosen[2]))
        texts.append(chosen[0])
    return texts


def plot_capacity_demand(
    scenario,
    capacity: pd.DataFrame,
    cases: pd.DataFrame | None = None,
    replications: int | None = None,
) -> Figure:
    """What the corridor could carry and what comes, by year, for one scenario file: its capacity
    (the mean, and its 95% interval as a band), the demand under each demand case (dashed), the
    tonnes delivered under each case (solid, with their interval when replicated), the scenario's
    goal, and what binds the capacity where it changes from one year to the next. Years where not
    every replication saturated are marked: there the capacity is a lower bound.

    ``capacity``: the capacity trajectory (``capacity.TRAJECTORY_COLUMNS``; its ``cargo == 'all'``
    rows of this file's scenario are drawn). ``cases``: ``compare.case_series`` rows of this file;
    without them, the trajectory's own demand (of the case whose mix was saturated) is drawn.
    """
    from .compare import file_name

    name = file_name(scenario)
    traj = capacity[capacity.cargo == "all"]
    if traj.scenario.nunique() > 1:
        traj = traj[traj.scenario == name]
    if not len(traj):
        raise ValueError(f"no capacity of '{name}' in the trajectory (scenarios: {sorted(set(capacity.scenario))})")
    traj = traj.sort_values("year")
    if cases is not None and "scenario" in cases and cases.scenario.nunique() > 1:
        cases = cases[cases.scenario == name]
    years = traj.year.astype(int).to_numpy()
    n = int(replications if replications is not None else traj.replications.max())

    fig = _figure(12, 6.4)
    ax = fig.add_subplot()
    mean = traj.capacity_mt.to_numpy(float)
    low, high = traj.capacity_mt_ci_low.to_numpy(float), traj.capacity_mt_ci_high.to_numpy(float)
    if np.isfinite(low).any():
        ax.fill_between(years, low, high, color=CAPACITY_COLOR, alpha=0.2, lw=0, label="capacity: 95% CI")
    ax.plot(years, mean, "-o", color=CAPACITY_COLOR, lw=2.6, ms=5, label="capacity: what could be carried (mean)")
    bound = traj.saturated_share.to_numpy(float) < 1
    if bound.any():
        ax.plot(
            years[bound],
            mean[bound],
            "^",
            ms=11,
            mfc="white",
            mec=CAPACITY_COLOR,
            mew=1.6,
            lw=0,
            zorder=5,
            label="capacity a lower bound (not saturated\nin every replication)",
        )
    top = [np.nanmax(high) if np.isfinite(high).any() else 0.0, np.nanmax(mean)]
    if cases is not None and len(cases):
        colors = case_colors(cases.case)
        for key, g in cases.groupby("case", sort=False):
            case = str(key)
            g = g.sort_values("year")
            ax.plot(g.year, g.demand_mt, "--", color=colors[case], lw=1.6, label=f"demand, {case} case")
            top.append(float(g.demand_mt.max()))
        for key, g in cases.groupby("case", sort=False):
            case = str(key)
            g = g.sort_values("year")
            ax.plot(g.year, g.delivered_mt, "-s", color=colors[case], lw=1.8, ms=3.5, label=f"delivered, {case} case")
            lo, hi = g.delivered_mt_ci_low.to_numpy(float), g.delivered_mt_ci_high.to_numpy(float)
            if n > 1 and np.isfinite(lo).any():
                ax.fill_between(g.year, lo, hi, color=colors[case], alpha=0.15, lw=0)
            top.append(float(np.nanmax(np.fmax(g.delivered_mt.to_numpy(float), np.nan_to_num(hi)))))
    else:
        ax.plot(
            years,
            traj.demand_mt,
            "--",
            color=case_colors([scenario.demand_case])[scenario.demand_case],
            lw=1.6,
            label=f"demand, {scenario.demand_case} case",
        )
        top.append(float(traj.demand_mt.max()))
    goal = _goal(ax, scenario)
    _year_axis(ax, years)
    # room above the highest line for the labels of what binds
    ax.set_ylim(0, max(goal, *[x for x in top if np.isfinite(x)]) * 1.4)
    ax.set_ylabel("Mt/yr")
    ax.set_xlabel("year")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8.5, frameon=False)
    how = f"{n} replications, mean and 95% CI" if n > 1 else "1 replication (no interval)"
    _title(
        ax,
        f"{_file_label(scenario)}: what the corridor could carry (capacity) and what comes (demand), "
        f"against the {goal:g} Mt/yr goal",
        f"{years[0]}–{years[-1]} · {how} · capacity: sustainable throughput with demand saturated; "
        "labels: what binds it, where that changes",
    )
    _annotate_binding(fig, ax, _binding_changes(traj))
    return fig


def plot_headroom(
    headroom: pd.DataFrame,
    year: int,
    scenario=None,
    capacity: pd.DataFrame | None = None,
    top: int = 12,
) -> Figure:
    """How far each resource is from binding in ``year`` when the corridor carries its capacity:
    1 − utilization, ranked (nearest to binding at the top, ``top`` of them), with its 95% interval
    bounded to [0, 100%], the Mt/yr each resource could carry where known, and the binding one
    outlined. ``scenario``: a Scenario (for the title and to pick its rows); ``capacity``: the
    trajectory, to name what binds (else the most used resource is taken as binding)."""
    from .compare import file_name

    h = headroom[headroom.year == year]
    name = file_name(scenario) if scenario is not None else None
    if h.scenario.nunique() > 1:
        if name is None:
            raise ValueError("the headroom table holds several scenarios: give the scenario to plot")
        h = h[h.scenario == name]
    if not len(h):
        raise ValueError(f"no headroom for {year} (years: {sorted(set(headroom.year))})")
    name = name or str(h.scenario.iloc[0])
    binding = None
    if capacity is not None:
        c = capacity[(capacity.year == year) & (capacity.cargo == "all")]
        c = c[c.scenario == name] if c.scenario.nunique() > 1 else c
        if len(c) and isinstance(c.binding.iloc[0], str):
            binding = c.binding.iloc[0]
        n = int(c.replications.iloc[0]) if len(c) else None
    else:
        n = None
    room = (1 - h.utilization.astype(float)).clip(0, 1)
    lo = (1 - h.utilization_ci_high.astype(float)).clip(0, 1)
    hi = (1 - h.utilization_ci_low.astype(float)).clip(0, 1)
    t = h.assign(room=room, lo=lo.fillna(room), hi=hi.fillna(room)).sort_values(["room", "label"]).head(top)
    if binding is None or binding not in set(t.resource):
        binding = str(t.resource.iloc[0])
    t = t.iloc[::-1]  # barh draws bottom-up: the nearest to binding ends at the top
    fig = _figure(11.5, 0.36 * len(t) + 2.3)
    ax = fig.add_subplot()
    ys = np.arange(len(t))
    x = t.room.to_numpy(float) * 100
    is_b = (t.resource == binding).to_numpy()
    ax.barh(
        ys,
        x,
        color=[KIND_COLORS.get(k, "grey") for k in t.kind],
        alpha=0.9,
        edgecolor=["black" if b else "none" for b in is_b],
        linewidth=[2.0 if b else 0 for b in is_b],
        # a zero-variance CI can sit an ulp inside its mean; matplotlib refuses negative lengths
        xerr=[np.maximum(x - t.lo.to_numpy(float) * 100, 0.0), np.maximum(t.hi.to_numpy(float) * 100 - x, 0.0)],
        error_kw={"ecolor": "black", "capsize": 2, "lw": 0.8},
    )
    ax.set_yticks(ys, list(t.label))
    for tick, b in zip(ax.get_yticklabels(), is_b):
        if b:
            tick.set_fontweight("bold")
    ax.tick_params(axis="y", labelsize=8)
    for y, (v, right) in enumerate(zip(x, t.hi.to_numpy(float) * 100)):
        ax.annotate(f"{v:.0f}%", (max(v, right), y), va="center", xytext=(3, 0), textcoords="offset points", fontsize=8)
    # a column beside the bars: the Mt/yr each resource could carry, where the estimator knows it
    col = ax.get_yaxis_transform()
    # a fleet's tonnes are its sea line's (the tables count sailings by line, not by vessel group)
    ax.text(1.02, len(t) - 0.4, "could carry,\nMt/yr", transform=col, fontsize=8, va="bottom", ha="left")
    for y, r in enumerate(_rows(t)):
        if pd.notna(r.capacity_mt):
            ax.text(1.02, y, f"{r.capacity_mt:.1f}", transform=col, fontsize=8, va="center", ha="left")
    ax.set_xlim(0, 108)
    ax.set_ylim(-0.6, len(t) - 0.4)
    ax.set_xlabel(
        "headroom: share of the resource's capacity left (1 − utilization), % — 0% is binding"
        # a fleet's tonnes are its sea line's: the tables count sailings by line, not by vessel group
        + ("\nright: Mt/yr it could carry at full use (for a fleet, its sea line's)" if "fleet" in set(t.kind) else "")
    )
    ax.grid(axis="x", alpha=0.3)
    kinds = [k for k in KIND_COLORS if k in set(t.kind)]
    ax.legend(
        handles=[Patch(color=KIND_COLORS[k], label=KIND_LABELS[k]) for k in kinds]
        + [Patch(facecolor="white", edgecolor="black", lw=2, label="binds the capacity")],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.16),
        ncol=3,
        fontsize=8,
        frameon=False,
    )
    label = _file_label(scenario) if scenario is not None else name
    how = f" · {n} replications, 95% CI bounded to [0, 100%]" if n and n > 1 else ""
    _title(
        ax,
        f"Headroom in {year} at capacity: how far each resource is from binding "
        f"({min(top, len(h))} nearest of {len(h)})",
        f"{label} · {year}{how}",
    )
    return fig


def capacity_year(cmp, name: str) -> int:
    """The year whose headroom is charted for a scenario file: the year its capacity first reaches
    the goal (what has to grow next), else its last year measured (the same year ``goal_table``
    names what binds in)."""
    from .compare import goal_table

    g = goal_table(cmp)
    at = g[g.scenario == name].binding_year.dropna() if "binding_year" in g else pd.Series(dtype=int)
    if len(at):
        return int(at.iloc[0])
    assert cmp.headroom is not None
    return int(cmp.headroom[cmp.headroom.scenario == name].year.max())


def save_capacity(cmp, out: str | Path, dpi: int = 110) -> list[Path]:
    """capacity_demand_<file>.png and headroom_<file>.png for each scenario file whose capacity the
    comparison carries (nothing without capacity)."""
    from .compare import case_series, scenario_files

    if cmp.capacity is None:
        return []
    series = case_series(cmp)
    figs = {}
    for name, runs in scenario_files(cmp).items():
        if not (cmp.capacity.scenario == name).any():
            continue
        central = next((r for r in runs if _case_of(cmp, r)[1] == "central"), runs[0])
        s = cmp.results[central][0].scenario
        figs[f"capacity_demand_{name}"] = plot_capacity_demand(
            s, cmp.capacity, series[series.scenario == name], cmp.replications
        )
        if cmp.headroom is not None and (cmp.headroom.scenario == name).any():
            figs[f"headroom_{name}"] = plot_headroom(cmp.headroom, capacity_year(cmp, name), s, cmp.capacity)
    return _save(figs, Path(out), dpi)


# ----------------------------------------------------------------------------------------------
# Analyses
# ----------------------------------------------------------------------------------------------
def _whole(values) -> bool:
    v = pd.Series(values).dropna()
    return len(v) > 0 and bool(np.all(np.isclose(v.astype(float), np.round(v.astype(float)))))


def sweep_plot(
    summary: pd.DataFrame, paths: list[str], kpi: str = "delivered_mt_last_year", title: str = "", subtitle: str = ""
) -> Figure:
    """The main KPI over the first varied parameter, one line per combination of the others.
    A parameter varied over whole numbers (vessels, berths) gets only whole-number ticks."""
    fig = _figure(10.5, 5.8)
    ax = fig.add_subplot()
    x = paths[0]
    others = paths[1:]
    groups = summary.groupby(others) if others else [((), summary)]
    for i, (key, g) in enumerate(groups):
        g = g.sort_values(x)
        ok = g[g[f"{kpi}_mean"].notna()]
        key = key if isinstance(key, tuple) else (key,)
        label = ", ".join(f"{'.'.join(p.split('.')[-2:])}={v}" for p, v in zip(others, key)) or "mean"
        yerr = None
        if ok[f"{kpi}_ci_low"].notna().any():
            yerr = [
                ok[f"{kpi}_mean"] - ok[f"{kpi}_ci_low"].fillna(ok[f"{kpi}_mean"]),
                ok[f"{kpi}_ci_high"].fillna(ok[f"{kpi}_mean"]) - ok[f"{kpi}_mean"],
            ]
        ax.errorbar(
            ok[x],
            ok[f"{kpi}_mean"],
            yerr=yerr,
            fmt="-o",
            capsize=3,
            color=SCENARIO_COLORS[(i + 1) % len(SCENARIO_COLORS)],
            label=label,
        )
        for xv in g[g[f"{kpi}_mean"].isna()][x]:
            ax.axvline(xv, color=GOAL_COLOR, ls=":", lw=1)
    if summary[f"{kpi}_mean"].isna().any():
        ax.plot([], [], color=GOAL_COLOR, ls=":", label="point failed (see sweep.csv)")
    if _whole(summary[x]):
        ax.set_xticks(sorted(pd.Series(summary[x]).dropna().astype(float).unique()))
        ax.xaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%d"))
    ax.set_xlabel(x)
    ax.set_ylabel(
        {
            "delivered_mt_last_year": "delivered in the last year, Mt",
            "delivered_mt_per_year": "delivered, Mt per year (mean over the years)",
            "transit_days_mean": "days from generation to delivery (incl. wait before entry)",
        }.get(kpi, kpi)
    )
    _title(ax, title or f"Sweep: {kpi} (mean, error bars 95% CI over replications)", subtitle)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9)
    return fig


def bottleneck_ranking(table: pd.DataFrame, top: int = 20) -> Figure:
    """Change in delivered tonnes from one step more of each resource, largest first, saying for which
    scenario, year and number of replications (levers the screening skipped, on nearly idle
    resources, have no bar)."""
    t = table[table.delta_kt_mean.notna()].head(top).iloc[::-1]
    fig = _figure(11.5, 0.36 * len(t) + 2.6)
    ax = fig.add_subplot()
    colors = [KIND_COLORS.get(k, "grey") for k in t.kind]
    xerr = None
    if t.delta_kt_ci_low.notna().any():
        xerr = [
            t.delta_kt_mean - t.delta_kt_ci_low.fillna(t.delta_kt_mean),
            t.delta_kt_ci_high.fillna(t.delta_kt_mean) - t.delta_kt_mean,
        ]
    ax.barh(t.label, t.delta_kt_mean, xerr=xerr, color=colors, error_kw={"ecolor": "black", "capsize": 2})
    ax.axvline(0, color="black", lw=0.8)
    year = int(table.year.iloc[0]) if len(table) else ""
    base = table.baseline_mt.iloc[0] if len(table) else float("nan")
    scen = str(table.scenario.iloc[0]) if "scenario" in table and len(table) else "scenario not recorded"
    reps = (
        f"{int(table.replications.iloc[0])} replications"
        if "replications" in table and len(table)
        else "replications not recorded"
    )
    ax.set_xlabel(
        f"change in cargo delivered in {year}, kt (baseline {base:.2f} Mt; error bars: 95% CI, common random numbers)"
    )
    _title(
        ax,
        f"What to build first in {year}: one step more of each resource, ranked by the tonnes it adds",
        f"{scen} · {year} · {reps}",
    )
    kinds = [k for k in KIND_COLORS if k in set(t.kind)]
    ax.legend(handles=[Patch(color=KIND_COLORS[k], label=KIND_LABELS[k]) for k in kinds], loc="lower right", fontsize=8)
    ax.tick_params(axis="y", labelsize=8)
    ax.grid(axis="x", alpha=0.3)
    return fig


def sensitivity_plot(ranking: pd.DataFrame, subtitle: str = "") -> Figure:
    """Morris mu* (mean absolute elementary effect) per parameter, for each output. mu* is never
    negative, so its bootstrap interval is cut at zero."""
    outputs = list(dict.fromkeys(ranking.output))
    fig = _figure(13, 0.45 * ranking.parameter.nunique() + 2.8)
    axes = fig.subplots(1, len(outputs), squeeze=False)[0]
    units = {"delivered_mt_per_year": "delivered, Mt per year", "transit_days_mean": "days from generation to delivery"}
    for ax, out in zip(axes, outputs):
        r = ranking[ranking.output == out].sort_values("mu_star")
        low = np.minimum(r.mu_star_conf.to_numpy(float), r.mu_star.to_numpy(float))
        ax.barh(
            r.parameter,
            r.mu_star,
            xerr=[low, r.mu_star_conf.to_numpy(float)],
            color="#1f77b4",
            error_kw={"ecolor": "black", "capsize": 2},
        )
        ax.set_xlim(left=0)
        ax.set_xlabel(f"mu* (effect on {units.get(out, out)})")
        ax.set_title(units.get(out, out), fontsize=10, loc="left")
        ax.tick_params(axis="y", labelsize=8)
        ax.grid(axis="x", alpha=0.3)
    _suptitle(
        fig,
        "Global sensitivity (Morris screening): which uncertain inputs move the results most",
        (subtitle + " · " if subtitle else "") + "bars: mu*, the mean absolute elementary effect over the "
        "input's range; error bars: bootstrap 95% CI (cut at 0)",
    )
    return fig


# ----------------------------------------------------------------------------------------------
# The corridor map and operations charts
# ----------------------------------------------------------------------------------------------
# A coarse outline of the Caspian Sea (lon, lat), traced by hand from a public map at ~50 km
# resolution: enough to place the ports and the crossing, drawn without tiles or downloads.
CASPIAN_OUTLINE = [
    (47.5, 43.0),
    (48.3, 42.05),
    (49.1, 41.2),
    (49.6, 40.6),
    (50.4, 40.45),
    (49.9, 40.3),
    (49.4, 39.95),
    (48.95, 39.2),
    (48.85, 38.45),
    (49.0, 37.9),
    (49.5, 37.45),
    (50.3, 37.1),
    (51.5, 36.75),
    (52.6, 36.75),
    (53.9, 36.9),
    (53.95, 37.6),
    (53.85, 38.5),
    (53.1, 39.4),
    (53.0, 40.0),
    (52.75, 40.6),
    (53.3, 41.0),
    (54.4, 41.1),
    (54.2, 41.8),
    (53.3, 41.9),
    (52.8, 42.4),
    (52.3, 42.9),
    (51.66, 43.18),
    (51.2, 43.6),
    (50.8, 44.1),
    (50.3, 44.6),
    (50.5, 45.0),
    (51.3, 45.3),
    (52.3, 45.5),
    (53.1, 46.3),
    (52.6, 46.8),
    (51.9, 47.1),
    (51.0, 46.9),
    (49.9, 46.6),
    (49.0, 46.3),
    (48.0, 45.9),
    (47.4, 45.4),
    (47.2, 44.7),
    (47.5, 43.9),
    (47.5, 43.0),
]


def _open_links(res, year: int) -> tuple[set, set]:
    """Rail links and sea lines on at least one route open in ``year`` (from the demand plans)."""
    s = res.scenario
    d = res.demand[res.demand.year <= year]
    open_routes = set()
    for flow, g in d.groupby("flow"):
        last_t = g.t_h.max()
        open_routes |= {(flow, r) for r in g[g.t_h == last_t].route}
    links, lines = set(), set()
    rail = {(l.from_node, l.to_node): l.id for l in s.rail_links}
    sea = {(l.from_port, l.to_port, c): l.id for l in s.sea_lines for c in l.cargoes}
    for f in s.demand.flows:
        for r in f.routes:
            if (f.id, r.id) not in open_routes:
                continue
            for a, b in zip(r.path, r.path[1:]):
                if (a, b) in rail:
                    links.add(rail[(a, b)])
                elif (a, b, f.cargo) in sea:
                    lines.add(sea[(a, b, f.cargo)])
    return links, lines


def _sea_arcs(s) -> dict[str, tuple[float, float]]:
    """Each sea line's control point: lines between the same shores bow apart, in the order of their
    ids (deterministic), so they never cross into a knot however wide they are drawn."""
    nodes = {n.id: n for n in s.nodes}
    lines = sorted(s.sea_lines, key=lambda l: l.id)
    out = {}
    for i, line in enumerate(lines):
        a, b = nodes[line.from_port], nodes[line.to_port]
        mx, my = (a.lon_deg + b.lon_deg) / 2, (a.lat_deg + b.lat_deg) / 2
        dx, dy = b.lon_deg - a.lon_deg, b.lat_deg - a.lat_deg
        length = max((dx * dx + dy * dy) ** 0.5, 1e-9)
        off = (i - (len(lines) - 1) / 2) * 0.55
        out[line.id] = (mx - dy / length * off, my + dx / length * off)
    return out


def _arc(a, c, b, n: int = 24) -> tuple[np.ndarray, np.ndarray]:
    t = np.linspace(0, 1, n)
    x = (1 - t) ** 2 * a[0] + 2 * (1 - t) * t * c[0] + t**2 * b[0]
    y = (1 - t) ** 2 * a[1] + 2 * (1 - t) * t * c[1] + t**2 * b[1]
    return x, y


# label positions tried around a node, in points, nearest first
_LABEL_SPOTS = [
    (dx * r, dy * r)
    for r in (5, 11, 19, 30)
    for dx, dy in ((1, 1), (-1, 1), (1, -1), (-1, -1), (1.3, 0), (-1.3, 0), (0, 1.3), (0, -1.4))
]


def _node_label(ax, n, dx: float, dy: float, **extra):
    """A node's name at an offset of (dx, dy) points, anchored on the side it leans to: the one
    style both for measuring a candidate spot and for drawing the chosen one."""
    return ax.annotate(
        n.name,
        (n.lon_deg, n.lat_deg),
        xytext=(dx, dy),
        textcoords="offset points",
        fontsize=7.5,
        ha="left" if dx > 0 else ("right" if dx < 0 else "center"),
        va="bottom" if dy > 0 else ("top" if dy < 0 else "center"),
        zorder=4,
        bbox={"boxstyle": "round,pad=0.12", "fc": "white", "ec": "none", "alpha": 0.75},
        **extra,
    )


def _place_labels(fig, ax, s, priority: set) -> None:
    """Node names where they collide with no other name or node marker: each label tries spots around
    its node, nearest first, and keeps the first free one (ports first, then west to east); a label
    moved far from its node gets a thin leader line."""
    renderer = fig.canvas.get_renderer()
    fig.canvas.draw()  # fix the layout, so data -> display is final
    to_px = ax.transData.transform
    markers = []
    for n in s.nodes:
        x, y = to_px((n.lon_deg, n.lat_deg))
        markers.append((x - 4, y - 4, x + 4, y + 4))
    placed: list[tuple[float, float, float, float]] = []
    order = sorted(s.nodes, key=lambda n: (n.id not in priority, n.lon_deg, n.lat_deg, n.id))
    for n in order:
        best: tuple[float, float, tuple[float, float, float, float]] | None = None
        best_cost: float | None = None
        for dx, dy in _LABEL_SPOTS:
            t = _node_label(ax, n, dx, dy)
            bb = t.get_window_extent(renderer)
            box = (bb.x0, bb.y0, bb.x1, bb.y1)
            t.remove()
            cost = sum(_overlap(box, o) for o in placed) * 4 + sum(_overlap(box, m) for m in markers)
            if best_cost is None or cost < best_cost - 1e-9:
                best, best_cost = (dx, dy, box), cost
            if cost == 0:
                break
        assert best is not None, "the first spot tried is always taken when nothing is better"
        dx, dy, box = best
        far = abs(dx) > 12 or abs(dy) > 12
        _node_label(ax, n, dx, dy, arrowprops={"arrowstyle": "-", "color": "#666666", "lw": 0.6} if far else None)
        placed.append(box)


def _overlap(a, b) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def corridor_map(res, year: int | None = None) -> Figure:
    """The corridor in real coordinates: legs as wide as the tonnes they carry, coloured by
    utilization; routes closed in that year dotted (e.g. a route that opens later)."""
    import matplotlib.cm as cm
    from matplotlib.colors import Normalize
    from matplotlib.lines import Line2D

    s = res.scenario
    year = year or s.end_year
    nodes = {n.id: n for n in s.nodes}
    links_open, lines_open = _open_links(res, year)
    lk = res.links[res.links.year == year].set_index("link")
    rs = res.resources[res.resources.year == year]
    ly = res.lines[res.lines.year == year] if len(res.lines) else res.lines
    sea_tons = ly.groupby("line").tons.sum() if len(ly) else pd.Series(dtype=float)
    fleet_util = rs[rs.kind == "fleet"].groupby("where").utilization.mean()
    cmap, norm = matplotlib.colormaps["plasma_r"], Normalize(0.0, 1.0)
    width = lambda t: min(0.8 + 9.0 * (t / 5e6) ** 0.7, 11.0)

    fig = _figure(14, 6.8)
    ax = fig.add_subplot()
    xs, ys = zip(*CASPIAN_OUTLINE)
    ax.fill(xs, ys, color="#d6e9f8", zorder=0)
    ax.plot(xs, ys, color="#8db8dc", lw=0.8, zorder=0)
    ax.text(51.6, 37.9, "Caspian Sea\n(outline approximate)", ha="center", fontsize=8, color="#4a7fb0", style="italic")
    for l in sorted(s.rail_links, key=lambda x: x.id):
        a, b = nodes[l.from_node], nodes[l.to_node]
        tons = float(lk.loc[l.id, "tons"]) if l.id in lk.index else 0.0
        util = (
            float(lk.loc[l.id, "path_utilization"])
            if l.id in lk.index and pd.notna(lk.loc[l.id, "path_utilization"])
            else None
        )
        if l.id not in links_open:
            ax.plot([a.lon_deg, b.lon_deg], [a.lat_deg, b.lat_deg], ls=":", color=CLOSED_COLOR, lw=1.4, zorder=1)
            continue
        color = cmap(norm(util)) if util is not None else "#777777"
        ax.plot(
            [a.lon_deg, b.lon_deg],
            [a.lat_deg, b.lat_deg],
            color=color,
            lw=width(tons),
            solid_capstyle="round",
            zorder=2,
        )
    arcs = _sea_arcs(s)
    for line in sorted(s.sea_lines, key=lambda x: x.id):
        a, b = nodes[line.from_port], nodes[line.to_port]
        tons = float(sea_tons.get(line.id, 0.0))
        util = fleet_util.get(line.id)
        ls = "--" if line.id in lines_open else ":"
        color = cmap(norm(util)) if util is not None and line.id in lines_open else CLOSED_COLOR
        x, y = _arc((a.lon_deg, a.lat_deg), arcs[line.id], (b.lon_deg, b.lat_deg))
        ax.plot(x, y, ls=ls, color=color, lw=width(tons), zorder=2, solid_capstyle="butt")
    ports = {p.id for p in s.ports}
    for n in s.nodes:
        is_port = n.id in ports
        ax.plot(
            n.lon_deg,
            n.lat_deg,
            "s" if is_port else "o",
            ms=7 if is_port else 4.5,
            color="#1a1a1a" if is_port else "white",
            mec="#1a1a1a",
            zorder=3,
        )
    lon = [n.lon_deg for n in s.nodes]
    lat = [n.lat_deg for n in s.nodes]
    ax.set_xlim(min(min(lon), min(xs)) - 1.2, max(max(lon), max(xs)) + 1.6)
    ax.set_ylim(min(min(lat), min(ys)) - 0.8, max(max(lat), max(ys)) + 0.8)
    ax.set_aspect(1 / np.cos(np.radians(np.mean(lat))))
    ax.set_xlabel("longitude, °E")
    ax.set_ylabel("latitude, °N")
    ax.grid(alpha=0.25)
    sm = cm.ScalarMappable(norm=norm, cmap=cmap)
    fig.colorbar(sm, ax=ax, shrink=0.6, pad=0.01, label="utilization (rail: train paths; sea: fleet busy share)")
    handles = [Line2D([], [], color="#555555", lw=width(t), label=f"{t / 1e6:g} Mt/yr") for t in (0.5e6, 2e6, 5e6)]
    handles += [
        Line2D([], [], color="#555555", lw=2, label="rail link"),
        Line2D([], [], color="#555555", lw=2, ls="--", label="sea line"),
        Line2D([], [], color=CLOSED_COLOR, lw=1.4, ls=":", label=f"closed or unused in {year}"),
        Line2D([], [], marker="s", color="#1a1a1a", lw=0, label="port"),
    ]
    ax.legend(
        handles=handles,
        loc="lower right",
        fontsize=8,
        title="line width = tonnes carried",
        title_fontsize=8,
        ncol=2,
        handlelength=4.5,
    )
    _title(ax, f"The corridor in {year}: tonnes carried and utilization", about(res, year))
    _place_labels(fig, ax, s, ports)
    return fig


def _window(res, start: str | None, days: float) -> tuple[float, float, Calendar]:
    cal = Calendar(res.scenario.start_year, res.scenario.end_year)
    if start is None:
        t0 = 0.0
    else:
        from datetime import datetime as _dt

        t0 = (_dt.fromisoformat(start) - cal.origin).total_seconds() / 3600.0
    return t0, t0 + days * 24.0, cal


def _stage_times(lot, stage_cols: list[str]) -> list[float]:
    return sorted(float(lot[c]) for c in stage_cols if pd.notna(lot[c]))


def _longest_rail_stretch(s, rail) -> list[str]:
    """The longest run of consecutive rail links (in km) on any route: a sea leg or a port between
    two rail stretches would put a crossing into the chart as if it were track."""
    best, best_km = [], -1.0
    for f in s.demand.flows:
        for r in f.routes:
            run, km = [r.path[0]], 0.0
            for a, b in zip(r.path, r.path[1:]):
                if (a, b) in rail:
                    run.append(b)
                    km += rail[(a, b)].length_km
                else:
                    run, km = [b], 0.0
                if km > best_km:
                    best, best_km = list(run), km
    return best


def stringline(res, path: list[str] | None = None, start: str | None = None, days: float = 14.0) -> Figure:
    """Time-distance chart of corridor trains along a rail path (node ids), coloured by flow.

    Each line is one consignment: its position at each link entry along the path and, at the end
    of the path, the time of its next stage (the next link, a yard, or delivery), so the last
    segment is drawn wherever the path ends. A flat stretch is a train held (at a border, a full
    yard), a steep one a train running.
    """
    s = res.scenario
    rail = {(l.from_node, l.to_node): l for l in s.rail_links}
    if path is None:
        path = _longest_rail_stretch(s, rail)
    segs = [(a, b) for a, b in zip(path, path[1:]) if (a, b) in rail]
    if not segs:
        raise ValueError(f"no rail link along {path}")
    dist, cum = {}, 0.0
    for a, b in segs:
        dist[a] = cum
        cum += rail[(a, b)].length_km
    dist[segs[-1][1]] = cum
    t0, t1, cal = _window(res, start, days)
    lots = res.lots
    cols = [(f"t_rail:{rail[(a, b)].id}_h", dist[a]) for a, b in segs]
    stage_cols = [c for c in lots.columns if c.startswith(("t_rail:", "t_yard:", "t_sail:", "t_land:"))] + [
        "t_delivered_h"
    ]
    fig = _figure(12, 6.5)
    ax = fig.add_subplot()
    flows = [f.id for f in s.demand.flows]
    seen = set()
    last_col = cols[-1][0]
    first = lots.drop_duplicates("consignment")
    for _, lot in first.iterrows():
        pts = [(lot[c], d) for c, d in cols if c in lot and pd.notna(lot[c])]
        if last_col in lot and pd.notna(lot[last_col]):
            after = [t for t in _stage_times(lot, stage_cols) if t > lot[last_col]]
            if after:
                pts.append((after[0], cum))
        pts = [p for p in pts if t0 - 24 * 10 <= p[0] <= t1 + 24 * 10]
        if len(pts) < 2 or max(p[0] for p in pts) < t0 or min(p[0] for p in pts) > t1:
            continue
        color = flow_color(flows.index(lot.flow))
        ax.plot(
            # matplotlib's stubs type data as numbers and arrays; its date converter takes datetimes
            [cal.to_datetime(t) for t, _ in pts],  # type: ignore[arg-type]
            [d for _, d in pts],
            color=color,
            lw=1.1,
            alpha=0.85,
            label=lot.flow if lot.flow not in seen else None,
        )
        seen.add(lot.flow)
    ax.set_xlim(cal.to_datetime(t0), cal.to_datetime(t1))  # type: ignore[arg-type]  # datetimes, as above
    ax.set_ylim(cum * 1.02, -cum * 0.02)
    ticks, last = [], None
    for n, d in dist.items():  # skip a station too close to the previous label
        if last is None or d - last >= 0.03 * cum:
            ticks.append((n, d))
            last = d
    ax.set_yticks([d for _, d in ticks], [f"{place(s, n)} ({d:.0f} km)" for n, d in ticks], fontsize=8)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax.xaxis.get_major_locator()))
    ax.set_xlabel("date")
    ax.set_ylabel("distance along the line, km")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper right", title="flow")
    _title(
        ax,
        f"Time-distance chart: corridor trains {place(s, path[0])} → {place(s, path[-1])}, {days:g} days "
        f"from {cal.to_datetime(t0):%d %b %Y}",
        about(res, cal.to_datetime(t0).year),
    )
    return fig


def fleet_gantt(res, start: str | None = None, days: float = 30.0, line: str | None = None) -> Figure:
    """What every vessel was doing over a window: loading, waiting, held by weather, sailing; above
    it, one strip per port showing when storms closed it."""
    s = res.scenario
    st = res.vessel_states
    if line:
        st = st[st.line == line]
    t0, t1, cal = _window(res, start, days)
    st = st[(st.t_end_h > t0) & (st.t_start_h < t1)]
    vessels = sorted(st.vessel.unique(), key=lambda v: (st[st.vessel == v].line.iloc[0], v))
    closures = res.closures[(res.closures.t_end_h > t0) & (res.closures.t_start_h < t1)]
    ports = [p.id for p in s.ports if p.id in set(res.closures.port)] if len(res.closures) else []
    fig = _figure(13, 0.32 * max(len(vessels), 4) + 0.3 * len(ports) + 2.8)
    ax_c, ax = fig.subplots(2, 1, sharex=True, height_ratios=[max(len(ports), 1) * 0.3, max(len(vessels), 4) * 0.32])
    x0, x1 = mdates.date2num(cal.to_datetime(t0)), mdates.date2num(cal.to_datetime(t1))
    for i, v in enumerate(vessels):
        g = st[st.vessel == v]
        for state, gg in g.groupby("state"):
            spans = [
                (mdates.date2num(cal.to_datetime(max(a, t0))), (min(b, t1) - max(a, t0)) / 24.0)
                for a, b in zip(gg.t_start_h, gg.t_end_h)
            ]
            ax.broken_barh(spans, (i - 0.4, 0.8), color=STATE_COLORS.get(state, "grey"))
    labels = []
    for v in vessels:
        ln = st[st.vessel == v].line.iloc[0]
        labels.append(f"{v} ({line_label(s, ln)})")
    ax.set_yticks(range(len(vessels)), labels, fontsize=7.5)
    ax.set_ylim(len(vessels) - 0.5, -0.5)
    for j, p in enumerate(ports):
        c = closures[closures.port == p]
        spans = [
            (mdates.date2num(cal.to_datetime(max(a, t0))), (min(b, t1) - max(a, t0)) / 24.0)
            for a, b in zip(c.t_start_h, c.t_end_h)
        ]
        ax_c.broken_barh(spans, (j - 0.4, 0.8), color=CLOSURE_COLOR)
        # the same spans faintly across the vessels, to line them up (one collection, full height)
        ax.broken_barh(spans, (0, 1), transform=ax.get_xaxis_transform(), color=CLOSURE_COLOR, alpha=0.08, lw=0)
    ax_c.set_yticks(range(len(ports)), [f"{port_label(s, p)} closed" for p in ports], fontsize=7.5)
    ax_c.set_ylim(max(len(ports), 1) - 0.5, -0.5)
    ax_c.grid(axis="x", alpha=0.3)
    ax.set_xlim(x0, x1)
    ax.xaxis_date()
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax.xaxis.get_major_locator()))
    ax.legend(
        handles=[Patch(color=STATE_COLORS[k], label=STATE_LABELS[k]) for k in STATE_COLORS]
        + [Patch(color=CLOSURE_COLOR, label="port closed by storm (top strips; faint across)")],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.08),
        ncol=4,
        fontsize=8,
        frameon=False,
    )
    _title(
        ax_c,
        f"The fleet, {days:g} days from {cal.to_datetime(t0):%d %b %Y}: what each vessel was doing, and "
        "when storms closed the ports",
        about(res, cal.to_datetime(t0).year),
    )
    ax.grid(axis="x", alpha=0.3)
    return fig
