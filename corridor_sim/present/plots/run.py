"""Figures of one scenario, a run or its replications (a ``run.view.RunView``): tonnes against
the goal, utilization (over the years and by year), days in the corridor and the wait before
entry, and the ports' yards and queues."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import matplotlib
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import MaxNLocator

from ...calendar import Calendar
from ...kpi import CAPACITY_KINDS, weighted_quantile
from ...scenario.labels import flow_label, port_label, resource_labels
from ..palette import CORRIDOR_COLOR, ENTRY_WAIT_COLOR, GOAL_COLOR, KIND_COLORS, KIND_LABELS, flow_color
from .common import (
    FLOW_COLORS,
    about,
    draw_goal,
    draw_observed,
    new_figure,
    set_suptitle,
    set_title,
    year_axis,
    years_text,
)


def annual_tons(res) -> Figure:
    """Delivered tonnes per year by flow, the tonnes diverted above them (hatched), the documented
    series, and the scenario's goal (for replications: the mean by flow, with the 95% CI of the
    delivered total as error bars)."""
    s = res.scenario
    replicated = res.replicated
    col = "tons_delivered_mean" if replicated else "tons_delivered"
    a = res.annual.pivot_table(index="year", columns="flow", values=col, aggfunc="sum") / 1e6
    # the corridor's flows against its goal (other traffic sharing it is not the corridor's tonnage)
    a = a[[f.id for f in s.demand.flows if f.id in a.columns and f.corridor]]
    fig = new_figure(11, 6.2)
    ax = fig.add_subplot()
    bottom = np.zeros(len(a))
    for i, flow in enumerate(a.columns):
        name = textwrap.fill(f"{flow_label(s, flow)} (simulated)", 34)  # the scenario's words, not its ids
        ax.bar(a.index, a[flow], bottom=bottom, color=flow_color(i), width=0.7, label=name)
        bottom += a[flow].to_numpy()
    delivered = bottom.copy()
    # diverted: offered to the corridor but sent another way or given up (docs/kpis.md, demand terms)
    dcol = "tons_diverted_mean" if replicated else "tons_diverted"
    if dcol in res.annual:
        corridor = res.annual[res.annual.flow.isin(list(a.columns))]
        div = (corridor.groupby("year")[dcol].sum() / 1e6).reindex(a.index).fillna(0.0).to_numpy(float)
        if (div > 0).any():
            ax.bar(
                a.index,
                div,
                bottom=delivered,
                color="white",
                edgecolor="#777777",
                hatch="///",
                width=0.7,
                label="diverted (offered, then sent\nanother way or given up)",
            )
    else:
        div = np.zeros(len(a))
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
            label="95% CI of delivered",
        )
        top = np.fmax(bottom, high)  # value labels sit above the error bar, never on it
    many = len(a) > 8
    observed = s.observed.mt_by_year if s.observed is not None else {}
    for x, total, y, d in zip(a.index, bottom, np.fmax(top, delivered + div), div):
        more = "" if d < 0.005 else (" " if many else "\n") + f"+{d:.2f} diverted"
        # a year's observed point at or above its bar would sit on the label: the label goes above
        # the point, clear of its marker
        seen = observed.get(int(x))
        above_point = seen is not None and seen >= y
        ax.annotate(
            f"{total:.2f}{more}",
            (x, seen if above_point else y),
            ha="center",
            va="bottom",
            fontsize=8.5,
            xytext=(0, 7 if above_point else 3),
            textcoords="offset points",
            rotation=90 if many else 0,
        )
    goal = draw_goal(ax, s)
    years = sorted(set(a.index) | draw_observed(ax, s, "o-"))
    year_axis(ax, years)
    ax.set_ylim(0, max(goal, float(max(top.max(), (delivered + div).max())) if len(top) else 0) * 1.25)
    ax.set_ylabel("cargo delivered, Mt per year")
    ax.set_xlabel("year")
    set_title(ax, f"Cargo delivered by flow, and diverted, against the {goal:g} Mt/yr goal", about(res))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, frameon=False)
    ax.grid(axis="y", alpha=0.3)
    return fig


def _utilization_table(res, by_year: bool) -> pd.DataFrame:
    """resource, kind, [year,] utilization, ci_low, ci_high (no interval for one run)."""
    r = res.resources
    if res.replicated:
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
    fig = new_figure(11, 0.32 * len(agg) + 2.2)
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
    ax.set_xlabel(f"utilization, % of capacity ({'mean over ' if many else 'in '}{years_text(s)})")
    set_title(
        ax,
        f"Where the corridor is busiest, {years_text(s)}"
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
    fig = new_figure(max(9.5, 0.62 * len(years) + 5.5), 0.34 * len(wide) + 2.4)
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
    how = "mean of the replications" if res.replicated and res.n > 1 else "one run"
    set_title(
        ax, f"Utilization by year, % ({how}); outlined: at or above {thr:.0%}, where a resource can bind", about(res)
    )
    return fig


_MPL = tuple(int(x) for x in matplotlib.__version__.split(".")[:2])


def _flow_days(res) -> pd.DataFrame:
    """year, flow, tons, entry_wait, corridor (tonne-weighted means; replications: their means)."""
    a = res.annual
    if res.replicated:
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
    fig = new_figure(11.5, 0.62 * max(len(flows), 1) + 2.6)
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
    ax2.set_xlabel("mean wait before entry, days\n(offered, not yet admitted)", fontsize=9)
    ax.set_xlim(left=0)
    ax.invert_yaxis()
    for a in (ax, ax2):
        a.grid(axis="x", alpha=0.3)
    set_suptitle(fig, "Days in the corridor, and the wait before entry, by flow (delivered cargo)", about(res))
    return fig


def transit_by_year(res) -> Figure:
    """Per flow and year: the mean wait before entry stacked under the mean days in the corridor, so a
    reader sees in which years cargo waits, and where."""
    s = res.scenario
    d = _flow_days(res)
    flows = [f.id for f in s.demand.flows if f.id in set(d.flow)]
    ncol = min(3, max(len(flows), 1))
    nrow = -(-len(flows) // ncol) if flows else 1
    fig = new_figure(4.3 * ncol + 0.6, 2.9 * nrow + 1.5)
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
            Patch(color=ENTRY_WAIT_COLOR, label="wait before entry (offered, not yet admitted)"),
        ],
        loc="outside lower center",
        ncol=2,
        fontsize=9,
    )
    set_suptitle(
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
    fig = new_figure(11.5, 2.7 * max(len(ports), 1) + 1.0)
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
    set_suptitle(fig, "Yard fill and trains waiting at the ports", about(res))
    return fig
