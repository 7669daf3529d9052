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


def appraisal_costs(year: int = 2023) -> dict:
    """A ``costs`` section with the appraisal's values, for small corridors that are appraised."""
    band = lambda lo, c, hi: {"low": lo, "central": c, "high": hi}
    return {
        "currency_year": year,
        "discount_rate_pct": 6.0,
        "carbon_price_usd_per_t": 0.0,
        "appraisal_years": 20,
        "appraisal": {
            "guideline": "EU Guide to Cost-Benefit Analysis of Investment Projects (2014)",
            "value_of_time_usd_per_t_day": {c: band(0.1, 0.5, 2.0) for c in ("container", "wagon", "crude")},
            "reliability_ratio": band(0.5, 1.0, 1.5),
            "rail_usd_per_t_km": band(0.001, 0.002, 0.003),
            "sea_usd_per_sailing_h": {c: band(200.0, 300.0, 400.0) for c in ("container", "wagon", "crude")},
            "asset_life_years": 40,
            "source": "test",
        },
        "source": "test",
    }


def build(d: dict) -> cs.Scenario:
    return cs.validate_dict(copy.deepcopy(d), "<test>")


def every_section() -> dict:
    """o --single track, crossing--> p ==sea (deck, way back, pooled fleet)==> q (onward by sea),
    p --double track--> o for the empties; one corridor flow of boxes, one non-corridor wagon flow
    on the deck; everything else a scenario can have, once."""
    d = rail_sea(tons_per_year=20_000.0, lot=40.0, capacity=100.0)
    d["nodes"].append(node("r"))
    o_p = d["rail_links"][0]
    o_p.update(
        railway="ktz",
        paths_per_day=None,
        track={"tracks": 1, "loops": 4, "running_speed_kmh": 60.0, "fill_share": 0.7, "source": "test"},
        crossing={
            "transshipment_tracks": 1,
            "transshipment_h": 2.0,
            "dwell_mean_h": 4.0,
            "fee_usd_per_unit": {"container": 50.0},
            "source": "test",
        },
        tariff_usd_per_unit_km={"container": 0.5},
    )
    p_o = link("p_o", "p", "o")
    p_o.update(railway="ktz", paths_per_day=None, tariff_usd_per_unit_km={"container": 0.5})
    p_o["track"] = {"tracks": 2, "headway_min": 10.0, "fill_share": 0.7, "source": "test"}
    q_r = link("q_r", "q", "r")
    d["rail_links"] += [p_o, q_r]
    for p in d["ports"]:
        p["terminals"].append(terminal("wagon", yard_capacity_units=500.0))
    q_box = d["ports"][1]["terminals"][0]
    q_box["onward_by_sea"] = {"call_units": 50.0, "max_wait_h": 72.0, "min_interval_h": 24.0, "source": "test"}
    q_box.update(background_calls_per_day=0.2, background_berth_h=5.0, background_yard_units=10.0)
    d["ports"][0]["terminals"][0]["train_units"] = 40.0
    line = d["sea_lines"][0]
    line.update(return_leg=True, freight_usd_per_unit=100.0, distance_km=400.0)
    line["deck"] = {"cargo": "wagon", "full_deck_units": 20.0, "loading": "shares", "source": "test"}
    line["vessels"][0].update(count=2, full_load_deadweight_share=0.9)
    d["fleets"] = [{"id": "pool", "vessels": 2, "groups": ["p_q.v"], "source": "test"}]
    d["rolling_stock"] = [
        {
            "id": "flats",
            "operator": "test",
            "kind": "flat_car",
            "count": 200,
            "units_per_car": 2.0,
            "cargo": ["container"],
            "railways": ["ktz"],
            "terminal_dwell_h": 12.0,
            "source": "test",
        },
        {
            "id": "locos",
            "operator": "test",
            "kind": "locomotive",
            "count": 20,
            "availability_share": 0.9,
            "railways": ["ktz"],
            "terminal_dwell_h": 6.0,
            "source": "test",
        },
    ]
    boxes = d["demand"]["flows"][0]
    boxes.update(
        tons_by_year={2023: 25_000.0}, growth_pct_per_year=5.0, alternatives=["sea"], storage_at_origin_t=5_000.0
    )
    boxes["monthly_factor"] = [1.0] * 12
    boxes["routes"][0].update(share=None, tariff_usd_per_t=300.0, outside_usd_per_t=10.0, expected_transit_days=5.0)
    boxes["response"] = {
        "tariff_elasticity": -0.8,
        "trade_gain_per_day_saved": 0.05,
        "value_of_time_usd_per_t_day": 3.0,
        "logit_scale_usd_per_t": 50.0,
        "reference_tariff_usd_per_t": 300.0,
        "reference_transit_days": 5.0,
        "adjustment_per_year": 0.5,
        "source": "test",
    }
    boxes["empties"] = {"share": 0.3, "tare_t_per_unit": 2.2, "path": ["q", "p", "o"], "source": "test"}
    trucks = flow("deck_wagons", ["p", "q"], 3_000.0, 5.0, cargo="wagon")
    trucks["corridor"] = False
    trucks["max_transit_days"] = 60.0  # a hard limit: the flow has no alternatives
    d["demand"]["alternatives"] = [
        {
            "id": "sea",
            "label": "Sea",
            "cargo": "container",
            "usd_per_t": 200.0,
            "days": 30.0,
            "available_share": 0.8,
            "source": "test",
        }
    ]
    d["demand"]["flows"].append(trucks)
    d["demand"].update(scale=1.0, tariff_factor=1.0)
    d["ports"][0]["weather"]["closure_probability_by_month"] = [0.01] * 12
    d["caspian"].update(sea_level_decline_cm_per_year=5.0, load_factor_loss_per_10cm=0.01)
    d["timeline"] = [
        {
            "id": "more_berths",
            "date": "2023-01-01",
            "description": "a second berth at p",
            "source": "test",
            "set": {"ports.p.terminals.container.berths": 2},
            "scale": {"demand.scale": 1.1},
            "capex_musd": 10.0,
            "opex_musd_per_year": 1.0,
            "asset_life_years": 30,
        }
    ]
    d["demand_cases"] = [
        {"id": "high", "description": "more", "source": "test", "scale": {"demand.flows.f.tons_per_year": 1.5}},
        {"id": "central", "description": "as the file", "source": "test"},
    ]
    d["uncertain"] = [{"path": "demand.scale", "low": 0.8, "high": 1.2, "source": "test"}]
    d["observed"] = {"series": "test", "mt_by_year": {2023: 0.02}, "source": "test"}
    d["costs"] = {
        "currency_year": 2023,
        "emissions": {
            "rail_kg_per_t_km": {"diesel": 0.03},
            "sea_kg_per_t_km": {"container": 0.02, "wagon": 0.03},
            "source": "test",
        },
        "benchmarks": [
            {
                "id": "north",
                "label": "North",
                "cargo": "container",
                "usd_per_unit_low": 1000.0,
                "usd_per_unit_high": 2000.0,
                "scope": "test",
                "source": "test",
            }
        ],
        "appraisal": appraisal_costs()["appraisal"],
        "source": "test",
    }
    return d
