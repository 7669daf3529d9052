"""The corridor map over published geography: Natural Earth's land, borders and coastlines
(shipped with its origin and licence), and names that do not collide, checked by their bounding
boxes on the rendered figure."""

from __future__ import annotations

import itertools
from importlib import resources

import numpy as np
import pytest
from matplotlib.text import Text

import corridor_sim as cs
from corridor_sim.present import plots
from corridor_sim.present.geography import region

NAME_KINDS = {"node_label", "water_label", "country_label", "area_label"}


def test_the_geography_is_natural_earth_with_its_origin_and_licence():
    geo = region()
    assert "Natural Earth" in geo.source
    names = {n for n, _ in geo.countries}
    assert {"Kazakhstan", "Azerbaijan", "Georgia", "Turkmenistan", "Russia", "Iran"} <= names
    assert len(geo.borders) > 20 and len(geo.coasts) > 5
    note = (resources.files("corridor_sim.present") / "data" / "README.md").read_text(encoding="utf-8")
    assert "public domain" in note and "ISC" in note and "cut_region.py" in note


def _nearest_coast_deg(lon: float, lat: float) -> float:
    pts = np.concatenate([np.asarray(c) for c in region().coasts])
    scale = np.cos(np.radians(lat))
    return float(np.min(np.hypot((pts[:, 0] - lon) * scale, pts[:, 1] - lat)))


def test_every_port_of_the_base_lies_on_a_published_coastline(base_path):
    """The scenario's port coordinates and Natural Earth's coasts agree to within about 5 km (0.05°):
    the sea on the map is where the ports are."""
    s = cs.load_scenario(base_path)
    nodes = {n.id: n for n in s.nodes}
    far = {p.id: round(_nearest_coast_deg(nodes[p.id].lon_deg, nodes[p.id].lat_deg), 3) for p in s.ports}
    assert far and all(d < 0.05 for d in far.values()), far
    # and an inland junction is far from any coast
    assert _nearest_coast_deg(nodes["moyinty"].lon_deg, nodes["moyinty"].lat_deg) > 3


@pytest.fixture(scope="module")
def drawn(base_results):
    fig = plots.corridor_map(base_results)
    fig.canvas.draw()
    return fig


def test_no_two_names_collide_on_the_zangezur_map_either(base_path):
    """Zangezur adds six nodes south of the Caucasus, some inside the inset and some below it."""
    res = cs.run(cs.load_scenario(base_path.parent / "zangezur.yaml", years=(2024, 2024)), seed=1)
    fig = plots.corridor_map(res)
    fig.canvas.draw()
    boxes = _boxes(fig)
    assert sorted(n for n, k, _ in boxes if k == "node_label") == sorted(n.name for n in res.scenario.nodes)
    clashes = [(a[0], b[0]) for a, b in itertools.combinations(boxes, 2) if _overlap(a[2], b[2]) > 0.5]
    assert not clashes, clashes


def _all_axes(fig):
    """The map, its colour bar and the inset (a child of the map's axes)."""
    return [a for ax in fig.axes for a in (ax, *ax.child_axes)]


def _boxes(fig, axes=None):
    renderer = fig.canvas.get_renderer()
    out = []
    for ax in axes or _all_axes(fig):
        for t in ax.texts:
            if t.get_gid() in NAME_KINDS and t.get_visible():
                bb = Text.get_window_extent(t, renderer)  # the name itself, without its leader line
                out.append((t.get_text(), t.get_gid(), (bb.x0, bb.y0, bb.x1, bb.y1)))
    return out


def _overlap(a, b) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def test_no_two_names_on_the_map_collide(drawn, base_results):
    boxes = _boxes(drawn)
    kinds = {k for _, k, _ in boxes}
    assert {"node_label", "water_label", "country_label"} <= kinds
    names = [n for n, k, _ in boxes if k == "node_label"]
    assert sorted(names) == sorted(n.name for n in base_results.scenario.nodes)  # every node named once
    clashes = [(a[0], b[0]) for a, b in itertools.combinations(boxes, 2) if _overlap(a[2], b[2]) > 0.5]
    assert not clashes, clashes


def test_names_stay_inside_their_frame_and_off_the_markers_the_legend_and_the_inset(drawn, base_results):
    """Each name inside the frame of the map (or of the inset) it is drawn in, off every other
    node's marker drawn there, off the legend; the map's names off the inset."""
    renderer = drawn.canvas.get_renderer()
    main = drawn.axes[0]
    legend = main.get_legend().get_window_extent(renderer)
    (inset,) = main.child_axes
    inset_bb = inset.patch.get_window_extent(renderer)
    assert inset.get_title() == base_results.scenario.map.inset.label
    tb = inset.title.get_window_extent(renderer)
    title = (tb.x0, tb.y0, tb.x1, tb.y1)
    s = base_results.scenario
    lon0, lat0, lon1, lat1 = s.map.inset.box_deg
    in_inset = {n.name for n in s.nodes if lon0 <= n.lon_deg <= lon1 and lat0 <= n.lat_deg <= lat1}
    assert len(in_inset) >= 5
    for ax in (main, inset):
        frame = ax.patch.get_window_extent(renderer)
        to_px = ax.transData.transform
        x0, x1 = ax.get_xlim()
        y0, y1 = ax.get_ylim()
        markers = {
            n.name: to_px((n.lon_deg, n.lat_deg)) for n in s.nodes if x0 <= n.lon_deg <= x1 and y0 <= n.lat_deg <= y1
        }
        for text, _kind, box in _boxes(drawn, [ax]):
            assert frame.x0 - 0.5 <= box[0] and box[2] <= frame.x1 + 0.5, text
            assert frame.y0 - 0.5 <= box[1] and box[3] <= frame.y1 + 0.5, text
            assert not _overlap(box, (legend.x0, legend.y0, legend.x1, legend.y1)), text
            if ax is main:
                assert not _overlap(box, (inset_bb.x0, inset_bb.y0, inset_bb.x1, inset_bb.y1)), text
                assert not _overlap(box, title), text
                assert text not in in_inset  # the inset's nodes are named in the inset
            for name, (x, y) in markers.items():
                hidden = ax is main and name in in_inset
                if name != text and not hidden:
                    assert not _overlap(box, (x - 3, y - 3, x + 3, y + 3)), (text, name)
