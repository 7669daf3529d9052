"""Operations charts of a run with detail: a time-distance chart of trains along a rail line
(``stringline``) and a Gantt chart of the Caspian fleet (``fleet_gantt``)."""

from __future__ import annotations

from datetime import datetime

import matplotlib.dates as mdates
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ...calendar import Calendar
from ...scenario.labels import line_label, place, port_label
from ..palette import CLOSURE_COLOR, STATE_COLORS, STATE_LABELS, flow_color
from .common import about, new_figure, set_title


def _window(res, start: str | None, days: float) -> tuple[float, float, Calendar]:
    cal = Calendar(res.scenario.start_year, res.scenario.end_year)
    if start is None:
        t0 = 0.0
    else:
        t0 = (datetime.fromisoformat(start) - cal.origin).total_seconds() / 3600.0
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
    fig = new_figure(12, 6.5)
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
    set_title(
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
    fig = new_figure(13, 0.32 * max(len(vessels), 4) + 0.3 * len(ports) + 2.8)
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
    set_title(
        ax_c,
        f"The fleet, {days:g} days from {cal.to_datetime(t0):%d %b %Y}: what each vessel was doing, and "
        "when storms closed the ports",
        about(res, cal.to_datetime(t0).year),
    )
    ax.grid(axis="x", alpha=0.3)
    return fig
