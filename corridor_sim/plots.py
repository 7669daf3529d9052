"""Figures, each a pure function of Results returning a matplotlib Figure (no pyplot state)."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display needed, none assumed

import matplotlib.dates as mdates  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from .calendar import Calendar  # noqa: E402
from .kpi import CAPACITY_KINDS  # noqa: E402

FLOW_COLORS = ["#1f77b4", "#6baed6", "#9ecae1", "#d62728", "#ff9896", "#2ca02c", "#9467bd", "#8c564b",
               "#e377c2", "#7f7f7f"]
KIND_COLORS = {"fleet": "#1f77b4", "rail_path": "#d62728", "crossing": "#ff7f0e", "berth": "#2ca02c",
               "rail_track": "#9467bd", "yard": "#8c564b"}
KIND_LABELS = {"fleet": "vessel fleet (time not waiting for cargo)", "rail_path": "rail line paths",
               "crossing": "border / gauge-change station", "berth": "port berths",
               "rail_track": "port rail tracks", "yard": "port yard (mean fill)"}


def _subtitle(res) -> str:
    return f"scenario '{res.scenario.name}', seed {res.seed}, corridor-sim {res.metadata.get('corridor_sim_version', '')}"


def annual_tons(res) -> Figure:
    """Delivered tonnes per year by flow, the documented series, and the 10 Mt goal."""
    s = res.scenario
    a = res.annual.pivot_table(index="year", columns="flow", values="tons_delivered", aggfunc="sum") / 1e6
    a = a[[f.id for f in s.demand.flows if f.id in a.columns]]
    fig = Figure(figsize=(10, 5.8), layout="constrained")
    ax = fig.add_subplot()
    bottom = np.zeros(len(a))
    for i, flow in enumerate(a.columns):
        ax.bar(a.index, a[flow], bottom=bottom, color=FLOW_COLORS[i % len(FLOW_COLORS)], width=0.7,
               label=f"{flow} (simulated)")
        bottom += a[flow].to_numpy()
    for x, total in zip(a.index, bottom):
        ax.annotate(f"{total:.2f}", (x, total), ha="center", va="bottom", fontsize=9, xytext=(0, 2),
                    textcoords="offset points")
    if s.observed is not None:
        obs = pd.Series(s.observed.mt_by_year).sort_index()
        ax.plot(obs.index, obs.values, "o-", color="black", lw=1.5, ms=5, label=f"observed: {s.observed.series}")
    goal = s.goal_mt_per_year
    ax.axhline(goal, color="#d62728", ls="--", lw=1.5)
    ax.annotate(f"goal {goal:g} Mt/yr", (0.01, goal), xycoords=("axes fraction", "data"), va="bottom",
                color="#d62728", fontsize=10, xytext=(0, 3), textcoords="offset points")
    years = sorted(set(a.index) | (set(s.observed.mt_by_year) if s.observed else set()))
    ax.set_xticks(years)
    ax.set_xlim(min(years) - 0.6, max(years) + 0.6)
    ax.set_ylim(0, max(goal, float(bottom.max()) if len(bottom) else 0) * 1.15)
    ax.set_ylabel("cargo delivered, Mt per year")
    ax.set_xlabel("year")
    ax.set_title("Middle Corridor cargo delivered by flow, against the 10 Mt goal\n" + _subtitle(res), fontsize=11)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, frameon=False)
    ax.grid(axis="y", alpha=0.3)
    return fig


def utilization(res, top: int = 22) -> Figure:
    """Mean utilization of each capacity-bearing resource, busiest first."""
    r = res.resources[res.resources.kind.isin(CAPACITY_KINDS)]
    agg = r.groupby(["resource", "kind"], as_index=False).utilization.mean().sort_values("utilization")
    agg = agg.tail(top)
    fig = Figure(figsize=(10, 0.32 * len(agg) + 1.8), layout="constrained")
    ax = fig.add_subplot()
    colors = [KIND_COLORS.get(k, "grey") for k in agg.kind]
    ax.barh(agg.resource, agg.utilization * 100, color=colors)
    for y, v in enumerate(agg.utilization * 100):
        ax.annotate(f"{v:.0f}%", (v, y), va="center", xytext=(3, 0), textcoords="offset points", fontsize=8)
    ax.axvline(100, color="black", lw=0.8)
    ax.set_xlim(0, 112)
    ax.set_xlabel("utilization, % of capacity (mean over simulated years)")
    yrs = f"{res.scenario.start_year}" + (f"-{res.scenario.end_year}" if res.scenario.end_year > res.scenario.start_year else "")
    ax.set_title(f"Where the corridor is busiest, {yrs}\n" + _subtitle(res), fontsize=11)
    kinds = [k for k in KIND_COLORS if k in set(agg.kind)]
    ax.legend(handles=[Patch(color=KIND_COLORS[k], label=KIND_LABELS[k]) for k in kinds], loc="lower right",
              fontsize=8, frameon=True)
    ax.tick_params(axis="y", labelsize=8)
    ax.grid(axis="x", alpha=0.3)
    return fig


def transit_days(res) -> Figure:
    """Distribution of door-to-door transit time (entry request to delivery) by flow."""
    lots = res.lots
    flows = [f.id for f in res.scenario.demand.flows if f.id in set(lots.flow)]
    fig = Figure(figsize=(10, 0.6 * max(len(flows), 1) + 2.2), layout="constrained")
    ax = fig.add_subplot()
    data = [lots.loc[lots.flow == f, "transit_days"].to_numpy() for f in flows]
    if flows:
        bp = ax.boxplot(data, orientation="horizontal", tick_labels=flows, whis=(5, 95), showfliers=False, patch_artist=True,
                        medianprops={"color": "black"})
        for patch, color in zip(bp["boxes"], FLOW_COLORS):
            patch.set_facecolor(color)
            patch.set_alpha(0.6)
        for i, f in enumerate(flows):
            g = lots[lots.flow == f]
            mean = np.average(g.transit_days, weights=g.tons)
            ax.plot(mean, i + 1, "D", color="black", ms=5)
    ax.set_xlabel("transit time, days (box: quartiles; whiskers: 5th-95th percentile; diamond: tonne-weighted mean)")
    ax.set_title("Transit time from the corridor entry (border or origin) to delivery\n" + _subtitle(res), fontsize=11)
    ax.grid(axis="x", alpha=0.3)
    ax.set_xlim(left=0)
    ax.invert_yaxis()                     # flows top-down in scenario order
    return fig


PORT_LABELS = {"aktau": "Aktau", "kuryk": "Kuryk", "alat": "Port of Baku (Alat)"}


def port_levels(res, ports: tuple[str, ...] = ("aktau", "kuryk", "alat")) -> Figure:
    """Yard fill and trains waiting over time at the Caspian ports, with storm closures shaded."""
    lv = res.levels
    ports = tuple(p for p in ports if p in set(lv.port))
    cal = Calendar(res.scenario.start_year, res.scenario.end_year)
    fig = Figure(figsize=(11, 2.7 * max(len(ports), 1) + 0.8), layout="constrained")
    axes = fig.subplots(max(len(ports), 1), 1, sharex=True, squeeze=False)[:, 0]
    closures = res.closures
    for ax, pid in zip(axes, ports):
        p = lv[lv.port == pid]
        for _, c in closures[(closures.port == pid) & (closures.t_end_h > 0)].iterrows():
            ax.axvspan(cal.to_datetime(max(c.t_start_h, 0.0)), cal.to_datetime(c.t_end_h), color="#bbbbbb", alpha=0.45, lw=0)
        for i, (cargo, g) in enumerate(p[p.metric == "yard_share"].groupby("cargo")):
            ax.plot([cal.to_datetime(t) for t in g.t_h], g.value * 100, lw=1.2, color=FLOW_COLORS[[0, 3, 5][i % 3]],
                    label=f"{cargo} yard fill, %")
        ax.set_ylim(0, 135)               # headroom above 100% for the legend
        ax.set_yticks([0, 25, 50, 75, 100])
        ax.set_ylabel("yard fill, %")
        ax2 = ax.twinx()
        w = p[p.metric == "trains_waiting"].groupby("t_h").value.sum()
        ax2.plot([cal.to_datetime(t) for t in w.index], w.values, color="black", lw=0.9, ls=":",
                 label="trains waiting to unload")
        ax2.set_ylabel("trains waiting")
        ax2.set_ylim(0, max(4.0, float(w.max()) if len(w) else 4.0) * 1.35)
        ax.set_title(PORT_LABELS.get(pid, pid), loc="left", fontsize=10, fontweight="bold")
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = ax2.get_legend_handles_labels()
        ax.legend(h1 + h2 + [Patch(color="#bbbbbb", alpha=0.45)], l1 + l2 + ["port closed by storm"],
                  loc="upper left", fontsize=8, ncol=4, frameon=True)
        ax.grid(alpha=0.3)
    axes[-1].xaxis.set_major_formatter(mdates.ConciseDateFormatter(axes[-1].xaxis.get_major_locator()))
    fig.suptitle("Yard fill and trains waiting at the Caspian ports\n" + _subtitle(res), fontsize=11)
    return fig


FIGURES = {"annual_tons": annual_tons, "utilization": utilization, "transit_days": transit_days,
           "port_levels": port_levels}


def save_all(res, out: str | Path, dpi: int = 110) -> list[Path]:
    out = Path(out)
    paths = []
    for name, make in FIGURES.items():
        fig = make(res)
        path = out / f"{name}.png"
        fig.savefig(path, dpi=dpi)
        paths.append(path)
    return paths
