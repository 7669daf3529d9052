"""The corridor map: the corridor in real coordinates (nodes at their latitude and longitude, no
tiles or internet) over the region's published geography (Natural Earth's countries, borders and
coastlines: ``present.geography``), legs as wide as the tonnes they carry and coloured by
utilization, routes closed that year dotted; any further areas from the scenario's ``map``
section. No two labels overlap: node names first, then the seas' and countries' names where they
find room."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import matplotlib
import matplotlib.cm as cm
import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from ...run.results import Results
from ...scenario.map_areas import MapInset
from ...scenario.schema import Scenario
from ..geography import label_points, region
from ..palette import CLOSED_COLOR
from .common import about, new_figure, set_title

# the colours of land and water under the network (styling, not data: the outlines are Natural Earth's)
WATER_FILL, WATER_EDGE, WATER_LABEL = "#d6e9f8", "#8db8dc", "#4a7fb0"
LAND_FILL, BORDER_COLOR, COUNTRY_LABEL = "#f5f2ea", "#a39a8c", "#8c8475"
MIN_COUNTRY_AREA_DEG2 = 1.5  # a country showing less than this in the view gets no name (it would not fit)


def _draw_geography(ax) -> None:
    """Land over water, coastlines, and land borders dashed: the published geography."""
    geo = region()
    ax.set_facecolor(WATER_FILL)
    outer = [np.asarray(r) for _, rings in geo.countries for r in rings]
    ax.add_collection(PolyCollection(outer, facecolors=LAND_FILL, edgecolors="none", zorder=0))
    ax.add_collection(
        LineCollection([np.asarray(c) for c in geo.coasts], colors=WATER_EDGE, linewidths=0.8, zorder=0.5)
    )
    ax.add_collection(
        LineCollection(
            [np.asarray(b) for b in geo.borders],
            colors=BORDER_COLOR,
            linewidths=0.7,
            linestyles=(0, (4, 2)),
            zorder=0.5,
        )
    )


def _draw_areas(ax, s: Scenario) -> tuple[list[float], list[float]]:
    """The scenario's map areas under the network (its ``map`` section); every point drawn, so
    that the axes take them in."""
    xs_all: list[float] = []
    ys_all: list[float] = []
    for area in s.map.areas if s.map is not None else []:
        xs, ys = zip(*area.outline_deg)
        ax.fill(xs, ys, color=WATER_FILL, zorder=0.6)
        ax.plot(xs, ys, color=WATER_EDGE, lw=0.8, zorder=0.6)
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


# label positions tried around a node, in points, nearest first; the far ones get a leader line
_LABEL_SPOTS = [
    (dx * r, dy * r)
    for r in (5, 11, 19, 30, 42, 56)
    for dx, dy in ((1, 1), (-1, 1), (1, -1), (-1, -1), (1.3, 0), (-1.3, 0), (0, 1.3), (0, -1.4))
]
# where a sea's or a country's name may move from its point, in points, if it would collide there
_SOFT_SPOTS = [(0, 0), (0, 12), (0, -12), (24, 0), (-24, 0), (0, 24), (0, -24), (36, 12), (-36, -12)]

Box = tuple[float, float, float, float]


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
        gid="node_label",
        **extra,
    )


def _soft_label(ax, text: str, lon: float, lat: float, dx: float, dy: float, kind: str):
    """A sea's or a country's name: italic blue on water, grey capitals on land."""
    water = kind != "country_label"
    return ax.annotate(
        text if water else text.upper(),
        (lon, lat),
        xytext=(dx, dy),
        textcoords="offset points",
        ha="center",
        va="center",
        fontsize=8 if water else 6.5,
        color=WATER_LABEL if water else COUNTRY_LABEL,
        style="italic" if water else "normal",
        zorder=1,
        gid=kind,
    )


def _drawn(fig):
    """The figure laid out and its renderer. Drawn without rendering: the layout and every
    artist's extent, not the pixels, which the save draws. The first call fixes the layout for
    good (the engine is then switched off): the names are placed in display coordinates, so
    data -> display must stay what it was when they were placed, up to the saved file."""
    fig.draw_without_rendering()
    fig.set_layout_engine("none")
    return fig.canvas.get_renderer()


def _box(t, renderer) -> Box:
    bb = t.get_window_extent(renderer)
    return (bb.x0, bb.y0, bb.x1, bb.y1)


def _overlap_sum(box: Box, boxes: np.ndarray) -> float:
    """The area ``box`` shares with each of ``boxes`` (an n x 4 array), added up."""
    if not len(boxes):
        return 0.0
    w = np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0])
    h = np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1])
    return float((np.clip(w, 0, None) * np.clip(h, 0, None)).sum())


def _line_boxes(ax) -> np.ndarray:
    """The network's drawn legs as small boxes every few pixels along them (as wide as the line), so
    that a name can keep off them."""
    out: list[tuple[float, float, float, float]] = []
    for line in ax.lines:
        if line.get_zorder() < 1 or line.get_gid() is not None:
            continue
        xy = line.get_transform().transform(np.column_stack(line.get_data()).astype(float))
        half = max(line.get_linewidth() * ax.figure.dpi / 72 / 2, 1.5)
        for (x0, y0), (x1, y1) in zip(xy[:-1], xy[1:]):
            steps = max(int(np.hypot(x1 - x0, y1 - y0) // 4), 1)
            for t in np.linspace(0, 1, steps + 1):
                x, y = x0 + (x1 - x0) * t, y0 + (y1 - y0) * t
                out.append((x - half, y - half, x + half, y + half))
    return np.asarray(out, dtype=float).reshape(-1, 4)


def _place_labels(fig, ax, s, priority: set, nodes: list, obstacles: list[Box], min_area_deg2: float) -> None:
    """Every name where it collides with no other name, no node marker and not the legend: node names
    first (ports first, then west to east), each at the first free spot around its node (far
    spots get a thin leader line); then the seas' and the countries' names, each near its point
    where it finds room inside the frame, or not at all."""
    renderer = _drawn(fig)  # the layout fixed, so data -> display is final
    to_px = ax.transData.transform
    markers: list[Box] = []
    for n in s.nodes:
        x, y = to_px((n.lon_deg, n.lat_deg))
        markers.append((x - 4, y - 4, x + 4, y + 4))
    legend = ax.get_legend()
    fixed = markers + obstacles + ([_box(legend, renderer)] if legend is not None else [])
    fixed += [_box(t, renderer) for t in ax.texts if t.get_gid() == "credit"]
    lines = _line_boxes(ax)
    frame = _box(ax.patch, renderer)
    outside = lambda b: (b[2] - b[0]) * (b[3] - b[1]) - _overlap(b, frame)  # the part of a box out of the frame
    placed: list[Box] = []
    order = sorted(nodes, key=lambda n: (n.id not in priority, n.lon_deg, n.lat_deg, n.id))
    for n in order:
        best: tuple[float, float, Box] | None = None
        best_cost: float | None = None
        for dx, dy in _LABEL_SPOTS:
            t = _node_label(ax, n, dx, dy)
            box = _box(t, renderer)
            t.remove()
            # a collision outweighs any amount of leg covered: off the legs where it can, near its node first
            collide = sum(_overlap(box, o) for o in placed + fixed) + outside(box)
            cost = collide * 1e4 + _overlap_sum(box, lines) * 0.05
            if best_cost is None or cost < best_cost - 1e-9:
                best, best_cost = (dx, dy, box), cost
            if cost == 0:
                break
        assert best is not None, "the first spot tried is always taken when nothing is better"
        dx, dy, box = best
        far = abs(dx) > 12 or abs(dy) > 12
        _node_label(ax, n, dx, dy, arrowprops={"arrowstyle": "-", "color": "#666666", "lw": 0.6} if far else None)
        placed.append(box)
    for text, lon, lat, kind in _soft_labels(ax, s, min_area_deg2):
        for dx, dy in _SOFT_SPOTS:
            t = _soft_label(ax, text, lon, lat, dx, dy, kind)
            box = _box(t, renderer)
            if (
                not outside(box)
                and not any(_overlap(box, o) > 0 for o in placed + fixed)
                and not _overlap_sum(box, lines)
            ):
                placed.append(box)
                break
            t.remove()


def _soft_labels(ax, s, min_area_deg2: float) -> list[tuple[str, float, float, str]]:
    """The scenario's areas' names, the seas' and the names of the countries that show in the view."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    out = [(a.label, a.label_at_deg[0], a.label_at_deg[1], "area_label") for a in (s.map.areas if s.map else [])]
    if s.map is None or s.map.geography != "natural_earth":
        return out
    geo = region()
    out += [(name, lon, lat, "water_label") for name, lon, lat in geo.water_labels if x0 < lon < x1 and y0 < lat < y1]
    out += [(n, x, y, "country_label") for n, x, y in label_points(geo, (x0, y0, x1, y1), min_area_deg2)]
    inset = s.map.inset
    if inset is None or (x0, y0, x1, y1) == tuple(inset.box_deg):
        return out
    # on the map, what the inset enlarges is named in the inset
    lon0, lat0, lon1, lat1 = inset.box_deg
    return [o for o in out if not (lon0 <= o[1] <= lon1 and lat0 <= o[2] <= lat1)]


def _overlap(a, b) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


@dataclass(frozen=True)
class _Network:
    """What the map draws of a year's network, for the map and its inset alike."""

    nodes: dict
    links_open: set
    lines_open: set
    lk: Any
    sea_tons: Any
    fleet_util: Any
    cmap: Any
    norm: Any
    width: Any


def _draw_network(ax, s: Scenario, net: _Network) -> None:
    """The legs (rail solid, sea dashed, closed dotted), as wide as their tonnes and coloured by
    utilization, and the nodes (ports as squares)."""
    for l in sorted(s.rail_links, key=lambda x: x.id):
        a, b = net.nodes[l.from_node], net.nodes[l.to_node]
        tons = float(net.lk.loc[l.id, "tons"]) if l.id in net.lk.index else 0.0
        util = (
            float(net.lk.loc[l.id, "path_utilization"])
            if l.id in net.lk.index and pd.notna(net.lk.loc[l.id, "path_utilization"])
            else None
        )
        if l.id not in net.links_open:
            ax.plot([a.lon_deg, b.lon_deg], [a.lat_deg, b.lat_deg], ls=":", color=CLOSED_COLOR, lw=1.4, zorder=1)
            continue
        color = net.cmap(net.norm(util)) if util is not None else "#777777"
        ax.plot(
            [a.lon_deg, b.lon_deg],
            [a.lat_deg, b.lat_deg],
            color=color,
            lw=net.width(tons),
            solid_capstyle="round",
            zorder=2,
        )
    arcs = _sea_arcs(s)
    for line in sorted(s.sea_lines, key=lambda x: x.id):
        a, b = net.nodes[line.from_port], net.nodes[line.to_port]
        tons = float(net.sea_tons.get(line.id, 0.0))
        util = net.fleet_util.get(line.id)
        ls = "--" if line.id in net.lines_open else ":"
        color = net.cmap(net.norm(util)) if util is not None and line.id in net.lines_open else CLOSED_COLOR
        x, y = _arc((a.lon_deg, a.lat_deg), arcs[line.id], (b.lon_deg, b.lat_deg))
        ax.plot(x, y, ls=ls, color=color, lw=net.width(tons), zorder=2, solid_capstyle="butt")
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


INSET_WIDTH = 0.34  # of the map's width
# where an inset may go (its lower-left corner, as fractions of the map): the one covering least is used
_INSET_SPOTS = [
    (0.30, 0.02),
    (0.34, 0.02),
    (0.37, 0.02),
    (0.42, 0.02),
    (0.02, 0.60),
    (0.20, 0.60),
    (0.40, 0.60),
    (0.02, 0.02),
]


def _add_inset(fig, ax, s: Scenario, inset: MapInset, net: _Network, geography: bool):
    """The scenario's inset: its box enlarged, in the spot that covers fewest nodes and legs (and
    not the legend), its box outlined on the map."""
    lon0, lat0, lon1, lat1 = inset.box_deg
    renderer = _drawn(fig)
    frame = _box(ax.patch, renderer)
    fw, fh = frame[2] - frame[0], frame[3] - frame[1]
    w_px = INSET_WIDTH * fw
    h_px = w_px * (lat1 - lat0) / ((lon1 - lon0) * np.cos(np.radians((lat0 + lat1) / 2)))
    covered = _line_boxes(ax)
    to_px = ax.transData.transform
    dots = np.array([to_px((n.lon_deg, n.lat_deg)) for n in s.nodes])
    legend = ax.get_legend()
    keep_clear = [_box(legend, renderer)] if legend is not None else []

    def cost(spot):
        x0, y0 = frame[0] + spot[0] * fw, frame[1] + spot[1] * fh
        box = (x0, y0, x0 + w_px, y0 + h_px + 16)  # its title above it too
        if box[2] > frame[2] or box[3] > frame[3]:
            return float("inf")
        inside = ((dots[:, 0] > box[0]) & (dots[:, 0] < box[2]) & (dots[:, 1] > box[1]) & (dots[:, 1] < box[3])).sum()
        return inside * 1e6 + _overlap_sum(box, covered) + sum(_overlap(box, k) for k in keep_clear) * 1e3

    spot = min(_INSET_SPOTS, key=cost)
    axins = ax.inset_axes([spot[0], spot[1], w_px / fw, h_px / fh])
    if geography:
        _draw_geography(axins)
    _draw_network(axins, s, net)
    axins.set_xlim(lon0, lon1)
    axins.set_ylim(lat0, lat1)
    axins.set_aspect(1 / np.cos(np.radians((lat0 + lat1) / 2)), adjustable="datalim")
    axins.set_xticks([])
    axins.set_yticks([])
    axins.set_title(inset.label, fontsize=8)  # centred: axins.title, which the names keep off
    ax.add_patch(
        Rectangle((lon0, lat0), lon1 - lon0, lat1 - lat0, fill=False, ec="#555555", lw=0.8, ls="--", zorder=3.5)
    )
    return axins


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

    net = _Network(nodes, links_open, lines_open, lk, sea_tons, fleet_util, cmap, norm, width)
    fig = new_figure(14, 5.6)  # as tall as the map at its aspect, with its titles and axis labels
    ax = fig.add_subplot()
    if s.map is not None and s.map.geography == "natural_earth":
        _draw_geography(ax)
    xs, ys = _draw_areas(ax, s)
    _draw_network(ax, s, net)
    lon = [n.lon_deg for n in s.nodes]
    lat = [n.lat_deg for n in s.nodes]
    ax.set_xlim(min(lon + xs) - 2.4, max(lon + xs) + 1.6)  # west: room for the Black Sea's name
    ax.set_ylim(min(lat + ys) - 1.2, max(lat + ys) + 1.0)
    ax.set_aspect(1 / np.cos(np.radians(np.mean(lat))))
    ax.set_xlabel("longitude, °E")
    ax.set_ylabel("latitude, °N")
    ax.grid(alpha=0.25, zorder=0.7)
    if s.map is not None and s.map.geography == "natural_earth":
        ax.text(
            0.002,
            0.004,
            "Land, borders and coastlines: Natural Earth (public domain)",
            transform=ax.transAxes,
            fontsize=6.5,
            color=COUNTRY_LABEL,
            gid="credit",
        )
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
    geography = s.map is not None and s.map.geography == "natural_earth"
    ports = {p.id for p in s.ports}
    inset_nodes: list = []
    obstacles: list[Box] = []
    if s.map is not None and s.map.inset is not None:
        axins = _add_inset(fig, ax, s, s.map.inset, net, geography)
        lon0, lat0, lon1, lat1 = s.map.inset.box_deg
        inset_nodes = [n for n in s.nodes if lon0 <= n.lon_deg <= lon1 and lat0 <= n.lat_deg <= lat1]
        renderer = _drawn(fig)
        obstacles = [_box(axins.patch, renderer), _box(axins.title, renderer)]
        _place_labels(fig, axins, s, ports, inset_nodes, [], MIN_COUNTRY_AREA_DEG2 / 6)
    # the nodes of the inset are named there; on the map, the names keep off the inset
    rest = [n for n in s.nodes if n not in inset_nodes]
    _place_labels(fig, ax, s, ports, rest, obstacles, MIN_COUNTRY_AREA_DEG2)
    return fig
