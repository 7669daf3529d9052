"""Figures of the analyses: a sweep's KPI over the values varied, the bottleneck ranking, and the
Morris screening's ranking."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..palette import GOAL_COLOR, KIND_COLORS, KIND_LABELS, SCENARIO_COLORS
from .common import new_figure, set_suptitle, set_title


def _whole(values) -> bool:
    v = pd.Series(values).dropna()
    return len(v) > 0 and bool(np.all(np.isclose(v.astype(float), np.round(v.astype(float)))))


def sweep_plot(
    summary: pd.DataFrame, paths: list[str], kpi: str = "delivered_mt_last_year", title: str = "", subtitle: str = ""
) -> Figure:
    """The main KPI over the first varied parameter, one line per combination of the others.
    A parameter varied over whole numbers (vessels, berths) gets only whole-number ticks."""
    fig = new_figure(10.5, 5.8)
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
    set_title(ax, title or f"Sweep: {kpi} (mean, error bars 95% CI over replications)", subtitle)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9)
    return fig


def bottleneck_ranking(table: pd.DataFrame, top: int = 20) -> Figure:
    """Change in delivered tonnes from one step more of each resource, largest first, saying for which
    scenario, year and number of replications (levers the screening skipped, on nearly idle
    resources, have no bar)."""
    t = table[table.delta_kt_mean.notna()].head(top).iloc[::-1]
    fig = new_figure(11.5, 0.36 * len(t) + 2.6)
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
    set_title(
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
    fig = new_figure(13, 0.45 * ranking.parameter.nunique() + 2.8)
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
    set_suptitle(
        fig,
        "Global sensitivity (Morris screening): which uncertain inputs move the results most",
        (subtitle + " · " if subtitle else "") + "bars: mu*, the mean absolute elementary effect over the "
        "input's range; error bars: bootstrap 95% CI (cut at 0)",
    )
    return fig
