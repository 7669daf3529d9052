"""Figures of capacity beside demand: each scenario file's capacity by year with its band, the
demand under each demand case and the tonnes delivered of it, against the goal; and the headroom
of the resources nearest to binding in a year."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ...experiments.comparison import goal_table
from ...stats import rows
from ..palette import CAPACITY_COLOR, CASE_COLORS, KIND_COLORS, KIND_LABELS, case_colors
from .common import draw_goal, new_figure, set_suptitle, set_title, year_axis


def _file_label(s) -> str:
    """The scenario file's label (its name without a demand-case suffix, with any overrides)."""
    return s.label.replace(s.name, s.base_name, 1)


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
    for r in rows(traj):
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
    fig.draw_without_rendering()  # the layout is final: data -> display is what will be saved
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
    (the mean, and its 95% interval as a band), the tonnes offered under each demand case (dashed), the
    tonnes delivered under each case (solid, with their interval when replicated), the scenario's
    goal, and what binds the capacity where it changes from one year to the next. Years where not
    every replication saturated are marked: there the capacity is a lower bound.

    ``capacity``: the capacity trajectory (``capacity.TRAJECTORY_COLUMNS``; its ``cargo == 'all'``
    rows of this file's scenario are drawn). ``cases``: ``compare.case_series`` rows of this file;
    without them, the trajectory's own offered tonnes at trend (of the case whose mix was saturated) are drawn.
    """
    name = scenario.base_name
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

    fig = new_figure(12, 6.4)
    ax = fig.add_subplot()
    mean = traj.capacity_mt.to_numpy(float)
    low, high = traj.capacity_mt_ci_low.to_numpy(float), traj.capacity_mt_ci_high.to_numpy(float)
    if np.isfinite(low).any():
        ax.fill_between(
            years, low, high, color=CAPACITY_COLOR, alpha=0.2, lw=0, label="capacity in the year's mix: 95% CI"
        )
    ax.plot(years, mean, "-o", color=CAPACITY_COLOR, lw=2.6, ms=5, label="capacity in the year's mix (mean)")
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
            ax.plot(g.year, g.offered_mt, "--", color=colors[case], lw=1.6, label=f"offered, {case} case")
            top.append(float(g.offered_mt.max()))
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
            traj.offered_trend_mt,
            "--",
            color=case_colors([scenario.demand_case])[scenario.demand_case],
            lw=1.6,
            label=f"offered at trend, {scenario.demand_case} case",
        )
        top.append(float(traj.offered_trend_mt.max()))
    goal = draw_goal(ax, scenario)
    year_axis(ax, years)
    # room above the highest line for the labels of what binds
    ax.set_ylim(0, max(goal, *[x for x in top if np.isfinite(x)]) * 1.4)
    ax.set_ylabel("Mt/yr")
    ax.set_xlabel("year")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8.5, frameon=False)
    how = f"{n} replications, mean and 95% CI" if n > 1 else "1 replication (no interval)"
    set_title(
        ax,
        f"{_file_label(scenario)}: what the corridor could carry (capacity) and what is offered (demand), "
        f"against the {goal:g} Mt/yr goal",
        f"{years[0]}–{years[-1]} · {how} · capacity: sustainable throughput with the offered tonnes saturated (multiplied); "
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
    h = headroom[headroom.year == year]
    name = scenario.base_name if scenario is not None else None
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
    fig = new_figure(11.5, 0.36 * len(t) + 2.3)
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
    for y, r in enumerate(rows(t)):
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
    set_title(
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
    g = goal_table(cmp)
    at = g[g.scenario == name].binding_year.dropna() if "binding_year" in g else pd.Series(dtype=int)
    if len(at):
        return int(at.iloc[0])
    assert cmp.headroom is not None
    return int(cmp.headroom[cmp.headroom.scenario == name].year.max())


BAND_STYLES = {"low": ":", "central": "-", "high": "--"}
_UNIT_SUFFIXES = (("_cm_per_year", " (cm/yr)"), ("_per_10cm", " (per 10 cm)"), ("_mt", " (Mt)"), ("_h", " (h)"))


def field_title(path: str) -> str:
    """A field's name as a title, its unit in brackets.

    >>> field_title("caspian.sea_level_decline_cm_per_year")
    'Sea level decline (cm/yr)'
    """
    name = path.split(".")[-1]
    unit = ""
    for suffix, text in _UNIT_SUFFIXES:
        if name.endswith(suffix):
            name, unit = name[: -len(suffix)], text
            break
    return name.replace("_", " ").capitalize() + unit


def plot_capacity_bands(bands: pd.DataFrame, scenario, replications: int, seed: int = 1) -> Figure:
    """The capacity trajectory under each decisive assumption's low, central and high (one panel
    per assumption; the central line is the same run in each), with the 95% CIs and the goal: how
    much of a capacity finding is the assumption's. ``bands`` is ``analyses.bands.capacity_bands``'s
    frame."""
    assumptions = list(dict.fromkeys(bands.assumption))
    fig = new_figure(6.2 * len(assumptions), 4.6)
    axes = fig.subplots(1, len(assumptions), sharey=True, squeeze=False)[0]
    top = float(np.nanmax(bands.capacity_mt_ci_high))
    for ax, path in zip(axes, assumptions):
        part = bands[bands.assumption == path]
        for level in ("high", "central", "low"):
            t = part[part.level == level].sort_values("year")
            if t.empty:
                continue
            color = CASE_COLORS[level]
            ax.fill_between(t.year, t.capacity_mt_ci_low, t.capacity_mt_ci_high, color=color, alpha=0.15, lw=0)
            ax.plot(t.year, t.capacity_mt, BAND_STYLES[level], color=color, lw=2, label=f"{level}: {t.value.iloc[0]:g}")
        goal = draw_goal(ax, scenario)
        year_axis(ax, part.year.unique())
        ax.set_ylim(0, max(top, goal) * 1.12)
        ax.set_xlabel("year")
        ax.grid(alpha=0.3)
        set_title(ax, field_title(path), path)
        ax.legend(loc="lower left", fontsize=8, title="level: value", title_fontsize=8)
    axes[0].set_ylabel("capacity in the year's mix, Mt/yr")
    set_suptitle(
        fig,
        f"{scenario.label}: capacity under the bands of the assumptions it rests on",
        f"{int(bands.year.min())}–{int(bands.year.max())} · {replications} replications (seeds from {seed}), mean and 95% CI · "
        "the others at their central values · a statement about capacity, not demand",
    )
    return fig
