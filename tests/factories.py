"""Small corridors for mechanism and property tests, built as plain dicts and validated like files."""

from __future__ import annotations

import copy

import corridor_sim as cs

CALM = [0.0] * 12


def node(i: str, lat: float = 40.0, lon: float = 50.0) -> dict:
    return {"id": i, "name": i.title(), "country": "KZ", "lat_deg": lat, "lon_deg": lon}


def terminal(cargo: str = "container", **kw) -> dict:
    t = {
        "cargo": cargo,
        "berths": 1,
        "berth_fixed_h": 2.0,
        "handling_units_per_h": 50.0,
        "yard_capacity_units": 1000.0,
        "rail_tracks": 1,
        "rail_handling_h": 2.0,
        "source": "test",
    }
    t.update(kw)
    return t


def port(pid: str, terminals: list[dict], closure=None, closure_mean_h: float = 24.0) -> dict:
    return {
        "id": pid,
        "terminals": terminals,
        "weather": {
            "closure_probability_by_month": closure or CALM,
            "closure_mean_h": closure_mean_h,
            "closure_cv": 0.5,
            "source": "test",
        },
    }


def flow(
    fid: str, path: list[str], tons_per_year: float, lot_units: float, cargo: str = "container", cv: float = 1.0
) -> dict:
    return {
        "id": fid,
        "cargo": cargo,
        "description": fid,
        "tons_per_year": tons_per_year,
        "lot_units": lot_units,
        "interarrival_cv": cv,
        "source": "test",
        "routes": [{"id": "r", "share": 1.0, "path": path}],
    }


def scenario(
    nodes, flows, rail_links=(), ports=(), sea_lines=(), year=2023, warmup_days=0.0, t_per_unit=1.0, caspian=None
) -> dict:
    d = {
        "name": "tiny",
        "description": "test corridor",
        "start_year": year,
        "end_year": year,
        "warmup_days": warmup_days,
        "cargo_classes": {
            c: {"unit": u, "t_per_unit": t_per_unit, "source": "test"}
            for c, u in (("container", "TEU"), ("wagon", "wagon"), ("crude", "t"))
        },
        "nodes": list(nodes),
        "rail_links": list(rail_links),
        "ports": list(ports),
        "sea_lines": list(sea_lines),
        "demand": {"base_year": year, "flows": list(flows)},
        "output": {"levels_every_h": 6.0},
    }
    if sea_lines:
        d["caspian"] = caspian or {
            "load_factor": 0.8,
            "base_year": year,
            "sea_level_decline_cm_per_year": 0.0,
            "load_factor_loss_per_10cm": 0.0,
            "min_load_factor": 0.5,
            "source": "test",
        }
    return d


def link(
    lid: str,
    a: str,
    b: str,
    length_km: float = 100.0,
    speed_kmh: float = 50.0,
    paths_per_day=None,
    background: float = 0.0,
    crossing: dict | None = None,
) -> dict:
    d = {
        "id": lid,
        "from": a,
        "to": b,
        "length_km": length_km,
        "speed_kmh": speed_kmh,
        "paths_per_day": paths_per_day,
        "background_trains_per_day": background,
        "source": "test",
    }
    if crossing:
        d["crossing"] = dict(crossing, source="test")
    return d


def sea_line(
    lid: str,
    a: str,
    b: str,
    cargo: str = "container",
    count: int = 1,
    capacity: float = 200.0,
    crossing_h: float = 20.0,
    min_fill: float = 0.9,
    max_wait_h: float = 48.0,
) -> dict:
    return {
        "id": lid,
        "from": a,
        "to": b,
        "cargo": cargo,
        "crossing_h": crossing_h,
        "crossing_cv": 0.1,
        "min_fill_share": min_fill,
        "max_wait_for_cargo_h": max_wait_h,
        "source": "test",
        "vessels": [{"id": "v", "count": count, "capacity_units": capacity, "source": "test"}],
    }


def rail_sea(
    year=2023,
    yard=1000.0,
    lot=100.0,
    tons_per_year=100.0 * 365,
    vessels=1,
    capacity=200.0,
    crossing_h=20.0,
    closure=None,
    tracks=1,
    far_yard=5000.0,
    **kw,
) -> dict:
    """origin --rail--> port P --sea--> port Q (delivered at Q)."""
    return scenario(
        nodes=[node("o"), node("p"), node("q")],
        rail_links=[link("o_p", "o", "p")],
        ports=[
            port("p", [terminal(yard_capacity_units=yard, rail_tracks=tracks)], closure),
            port("q", [terminal(yard_capacity_units=far_yard)], closure),
        ],
        sea_lines=[sea_line("p_q", "p", "q", count=vessels, capacity=capacity, crossing_h=crossing_h)],
        flows=[flow("f", ["o", "p", "q"], tons_per_year, lot)],
        year=year,
        **kw,
    )


def build(d: dict) -> cs.Scenario:
    return cs.validate_dict(copy.deepcopy(d), "<test>")
