"""The corridor map: the corridor in real coordinates (nodes at their latitude and longitude, no
tiles or internet), legs as wide as the tonnes they carry and coloured by utilization, routes
closed that year dotted; the sea and other areas from the scenario's ``map`` section."""

from __future__ import annotations

from typing import Any

import matplotlib
import matplotlib.cm as cm
import numpy as np
import pandas as pd
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ...run.results import Results
from ...scenario.schema import Scenario
from ..palette import CLOSED_COLOR
from .common import about, new_figure, set_title

# the colours of water under the network (styling, not data: the outlines are the scenario's)
WATER_FILL, WATER_EDGE, WATER_LABEL = "#d6e9f8", "#8db8dc", "#4a7fb0"


def _draw_areas(ax, s: Scenario) -> tuple[list[float], list[float]]:
    """The scenario's map areas under the network (its ``map`` section); every point drawn, so
    that the axes take them in."""
    xs_all: list[float] = []
    ys_all: list[float] = []
    for area in s.map.areas if s.map is not None else []:
        xs, ys = zip(*area.outline_deg)
        ax.fill(xs, ys, color=WATER_FILL, zorder=0)
        ax.plot(xs, ys, color=WATER_EDGE, lw=0.8, zorder=0)
        lon, lat = area.label_at_deg
        ax.text(lon, lat, area.label, ha="center", fontsize=8, color=WATER_LABEL, style="italic")
        xs_all += xs
        ys_all += ys
    return xs_all, ys_all


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


def corridor_map(res: Results, year: int | None = None) -> Figure:
    """The corridor in real coordinates: legs as wide as the tonnes they carry, coloured by
    utilization; routes closed in that year dotted (e.g. a route that opens later)."""
    s = res.scenario
    year = year or s.end_year
    nodes = {n.id: n for n in s.nodes}
    links_open, lines_open = _open_links(res, year)
    # Any: pandas-stubs types a .loc cell as any pandas scalar, whatever its column holds
    lk: Any = res.links[res.links.year == year].set_index("link")
    rs = res.resources[res.resources.year == year]
    ly = res.lines[res.lines.year == year] if len(res.lines) else res.lines
    sea_tons = ly.groupby("line").tons.sum() if len(ly) else pd.Series(dtype=float)
    fleet_util = rs[rs.kind == "fleet"].groupby("where").utilization.mean()
    cmap, norm = matplotlib.colormaps["plasma_r"], Normalize(0.0, 1.0)
    width = lambda t: min(0.8 + 9.0 * (t / 5e6) ** 0.7, 11.0)

    fig = new_figure(14, 6.8)
    ax = fig.add_subplot()
    xs, ys = _draw_areas(ax, s)
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
    ax.set_xlim(min(lon + xs) - 1.2, max(lon + xs) + 1.6)
    ax.set_ylim(min(lat + ys) - 0.8, max(lat + ys) + 0.8)
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
    set_title(ax, f"The corridor in {year}: tonnes carried and utilization", about(res, year))
    _place_labels(fig, ax, s, ports)
    return fig
