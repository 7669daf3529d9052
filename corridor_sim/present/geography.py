"""The region's published geography, drawn under the corridor map: Natural Earth's countries,
land borders and coastlines (the Caspian's included), cut to the region by
docs/geography/cut_region.py and shipped in present/data/ with its origin and licence. Read once;
no tiles, no downloads. What the map shows of land and sea is this data, not a tracing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

Ring = tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Geography:
    """Countries (each a name and its polygons' outer rings), the land borders and coastlines as
    lines, and where the seas' names go."""

    countries: tuple[tuple[str, tuple[Ring, ...]], ...]
    borders: tuple[Ring, ...]
    coasts: tuple[Ring, ...]
    water_labels: tuple[tuple[str, float, float], ...]
    source: str


def _ring(points) -> Ring:
    return tuple((float(x), float(y)) for x, y in points)


@lru_cache(maxsize=1)
def region() -> Geography:
    """The shipped region (longitude 30-92° E, latitude 33-56° N)."""
    text = (resources.files("corridor_sim.present") / "data" / "middle_corridor.geojson").read_text(encoding="utf-8")
    doc = json.loads(text)
    countries, borders, coasts, labels = [], [], [], []
    for f in doc["features"]:
        kind, geom = f["properties"]["kind"], f["geometry"]
        if kind == "country":
            countries.append((f["properties"]["name"], tuple(_ring(poly[0]) for poly in geom["coordinates"])))
        elif kind == "border":
            borders.append(_ring(geom["coordinates"]))
        elif kind == "coast":
            coasts.append(_ring(geom["coordinates"]))
        elif kind == "water_label":
            lon, lat = geom["coordinates"]
            labels.append((f["properties"]["name"], float(lon), float(lat)))
    return Geography(tuple(countries), tuple(borders), tuple(coasts), tuple(labels), doc["source"])


def clip(ring: Ring, box: tuple[float, float, float, float]) -> Ring:
    """The part of a polygon inside ``box`` (lon_min, lat_min, lon_max, lat_max): Sutherland-Hodgman,
    exact for a convex box.

    >>> clip(((0, 0), (4, 0), (4, 4), (0, 4)), (1, 1, 2, 5))
    ((1.0, 1.0), (2.0, 1.0), (2.0, 4.0), (1.0, 4.0))
    """
    lo_x, lo_y, hi_x, hi_y = (float(v) for v in box)
    tests = (
        (lambda p: p[0] >= lo_x, lambda p, q: (lo_x, p[1] + (q[1] - p[1]) * (lo_x - p[0]) / (q[0] - p[0]))),
        (lambda p: p[0] <= hi_x, lambda p, q: (hi_x, p[1] + (q[1] - p[1]) * (hi_x - p[0]) / (q[0] - p[0]))),
        (lambda p: p[1] >= lo_y, lambda p, q: (p[0] + (q[0] - p[0]) * (lo_y - p[1]) / (q[1] - p[1]), lo_y)),
        (lambda p: p[1] <= hi_y, lambda p, q: (p[0] + (q[0] - p[0]) * (hi_y - p[1]) / (q[1] - p[1]), hi_y)),
    )
    pts = [(float(x), float(y)) for x, y in ring]
    for inside, cross in tests:
        out: list[tuple[float, float]] = []
        for i, q in enumerate(pts):
            p = pts[i - 1]
            if inside(q):
                if not inside(p):
                    out.append(cross(p, q))
                out.append(q)
            elif inside(p):
                out.append(cross(p, q))
        pts = out
        if not pts:
            break
    return tuple(pts)


def area_centroid(ring: Ring) -> tuple[float, float, float]:
    """A polygon's area (square degrees) and centroid (shoelace).

    >>> area_centroid(((0, 0), (2, 0), (2, 2), (0, 2)))
    (4.0, 1.0, 1.0)
    """
    a = cx = cy = 0.0
    for i in range(len(ring)):
        (x0, y0), (x1, y1) = ring[i - 1], ring[i]
        c = x0 * y1 - x1 * y0
        a += c
        cx += (x0 + x1) * c
        cy += (y0 + y1) * c
    if abs(a) < 1e-12:
        return 0.0, float("nan"), float("nan")
    return abs(a) / 2, cx / (3 * a), cy / (3 * a)


def label_points(geo: Geography, box: tuple[float, float, float, float], min_area_deg2: float) -> list:
    """Where each country's name goes in the view ``box``: the centroid of its largest visible part,
    for countries that show at least ``min_area_deg2`` there."""
    out = []
    for name, rings in geo.countries:
        best = (0.0, float("nan"), float("nan"))
        for r in rings:
            part = clip(r, box)
            if len(part) >= 3:
                ac = area_centroid(part)
                best = max(best, ac)
        if best[0] >= min_area_deg2:
            out.append((name, best[1], best[2]))
    return out
