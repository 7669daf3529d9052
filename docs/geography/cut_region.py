"""Cut the corridor map's geography out of Natural Earth: how
corridor_sim/present/data/middle_corridor.geojson was made.

Source: Natural Earth 1:10m Admin 0 countries, version 4.1.0 (public domain,
naturalearthdata.com), as redistributed in TopoJSON by the npm package world-atlas 2.0.2
(countries-10m.json; ISC licence, copyright 2013-2019 Michael Bostock). To remake the file:

    npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    python docs/geography/cut_region.py package/countries-10m.json

What it does, all in this script (no GIS library):
1. decodes the TopoJSON arcs (delta-encoded, quantized) into longitude, latitude points;
2. simplifies each arc (Douglas-Peucker, ``TOLERANCE_DEG``), arc by arc, so that the two countries
   on either side of a border keep the same line;
3. classes each arc as a land border (used by two countries) or a coastline (used by one: the
   sea, the Caspian included, is what no country covers);
4. keeps what falls in ``BOX`` (longitude, latitude): polygons clipped to it (Sutherland-Hodgman,
   the box is convex), lines cut where they leave it;
5. adds the water labels below (where the map writes "Caspian Sea", "Black Sea": placement only,
   not data), rounds to 3 decimals (about 100 m) and writes one GeoJSON FeatureCollection whose
   features say their ``kind``: ``country`` (a polygon with its ``name``), ``border``, ``coast``
   or ``water_label``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "corridor_sim" / "present" / "data" / "middle_corridor.geojson"
BOX = (30.0, 33.0, 92.0, 56.0)  # lon_min, lat_min, lon_max, lat_max: every shipped scenario's nodes, with margin
TOLERANCE_DEG = 0.01  # about 1 km: finer than a line's width on the map
# in open water, clear of the crossing's sea lines (Natural Earth's countries cover the Aral Sea
# and the lakes: only the seas that are water on the map are named)
WATER_LABELS = [("Caspian Sea", 49.8, 45.2), ("Black Sea", 40.3, 42.4)]


def decode_arcs(topo: dict) -> list[list[tuple[float, float]]]:
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            pts.append((x * sx + tx, y * sy + ty))
        arcs.append(pts)
    return arcs


def simplify(pts: list[tuple[float, float]], tol: float) -> list[tuple[float, float]]:
    """Douglas-Peucker, iterative; the ends are kept (they are where arcs meet)."""
    if len(pts) < 3:
        return pts
    keep = [False] * len(pts)
    keep[0] = keep[-1] = True
    stack = [(0, len(pts) - 1)]
    while stack:
        a, b = stack.pop()
        (x0, y0), (x1, y1) = pts[a], pts[b]
        dx, dy = x1 - x0, y1 - y0
        norm = (dx * dx + dy * dy) ** 0.5
        best, far = -1.0, -1
        for i in range(a + 1, b):
            px, py = pts[i]
            d = abs(dy * (px - x0) - dx * (py - y0)) / norm if norm else ((px - x0) ** 2 + (py - y0) ** 2) ** 0.5
            if d > best:
                best, far = d, i
        if far > 0 and best > tol:
            keep[far] = True
            stack += [(a, far), (far, b)]
    return [p for p, k in zip(pts, keep) if k]


def ring(indices: list[int], arcs: list) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for i in indices:
        pts = arcs[i] if i >= 0 else arcs[~i][::-1]
        out += pts if not out else pts[1:]
    return out


def inside(p, edge) -> bool:
    x, y = p
    lon0, lat0, lon1, lat1 = BOX
    return {"w": x >= lon0, "e": x <= lon1, "s": y >= lat0, "n": y <= lat1}[edge]


def cross(p, q, edge):
    (x0, y0), (x1, y1) = p, q
    lon0, lat0, lon1, lat1 = BOX
    if edge in "we":
        x = lon0 if edge == "w" else lon1
        return (x, y0 + (y1 - y0) * (x - x0) / (x1 - x0))
    y = lat0 if edge == "s" else lat1
    return (x0 + (x1 - x0) * (y - y0) / (y1 - y0), y)


def clip_polygon(pts):
    for edge in "wesn":
        if not pts:
            break
        out = []
        for i, q in enumerate(pts):
            p = pts[i - 1]
            if inside(q, edge):
                if not inside(p, edge):
                    out.append(cross(p, q, edge))
                out.append(q)
            elif inside(p, edge):
                out.append(cross(p, q, edge))
        pts = out
    return pts


def in_box(p) -> bool:
    return all(inside(p, e) for e in "wesn")


def clip_line(pts):
    """The runs of a line inside the box, each with the point where it leaves (the box is larger
    than any map's view, so the last segment's overshoot is never seen)."""
    runs, cur = [], []
    for i, p in enumerate(pts):
        if in_box(p):
            if not cur and i > 0:
                cur.append(pts[i - 1])
            cur.append(p)
        elif cur:
            runs.append(cur + [p])
            cur = []
    if cur:
        runs.append(cur)
    return [r for r in runs if len(r) >= 2]


def rounded(pts):
    return [[round(x, 3), round(y, 3)] for x, y in pts]


def main(path: str) -> None:
    topo = json.loads(Path(path).read_text(encoding="utf-8"))
    arcs = [simplify(a, TOLERANCE_DEG) for a in decode_arcs(topo)]
    users: dict[int, set[str]] = {}
    features = []
    for g in topo["objects"]["countries"]["geometries"]:
        name = g["properties"]["name"]
        polys = g["arcs"] if g["type"] == "MultiPolygon" else [g["arcs"]] if g["type"] == "Polygon" else []
        rings_out = []
        for poly in polys:
            for k, r in enumerate(poly):
                for i in r:
                    users.setdefault(i if i >= 0 else ~i, set()).add(name)
                clipped = clip_polygon(ring(r, arcs))
                if len(clipped) >= 3:
                    rings_out.append((k, rounded(clipped)))
        if rings_out:
            # each outer ring (k == 0) starts a polygon; its holes follow it
            polygons = []
            for k, r in rings_out:
                if k == 0 or not polygons:
                    polygons.append([r])
                else:
                    polygons[-1].append(r)
            features.append(
                {
                    "type": "Feature",
                    "properties": {"kind": "country", "name": name},
                    "geometry": {"type": "MultiPolygon", "coordinates": polygons},
                }
            )
    for i, names in sorted(users.items()):
        kind = "border" if len(names) > 1 else "coast"
        for run in clip_line(arcs[i]):
            features.append(
                {
                    "type": "Feature",
                    "properties": {"kind": kind, "between": sorted(names)},
                    "geometry": {"type": "LineString", "coordinates": rounded(run)},
                }
            )
    for text, lon, lat in WATER_LABELS:
        features.append(
            {
                "type": "Feature",
                "properties": {"kind": "water_label", "name": text},
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
            }
        )
    doc = {
        "type": "FeatureCollection",
        "source": "Natural Earth 1:10m Admin 0 countries v4.1.0 (public domain), from world-atlas 2.0.2 "
        "(ISC); cut by docs/geography/cut_region.py",
        "bbox": list(BOX),
        "features": features,
    }
    OUT.write_text(json.dumps(doc, separators=(",", ":")) + "\n", encoding="utf-8")
    kinds = {}
    for f in features:
        kinds[f["properties"]["kind"]] = kinds.get(f["properties"]["kind"], 0) + 1
    print(f"{OUT.name}: {OUT.stat().st_size:,} bytes, {kinds}")


if __name__ == "__main__":
    main(sys.argv[1])
