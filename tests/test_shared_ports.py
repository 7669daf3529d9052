"""Ports shared with other traffic (issue 11): non-corridor calls at berths, other cargo in yards,
and sink ports (Poti) that the cargo leaves by sea."""

from __future__ import annotations

import copy
import math

import pytest

import corridor_sim as cs
from corridor_sim.kpi import conservation_gap

from factories import build, flow, link, node, port, rail_sea, scenario, terminal

CALL_UNITS = 100.0
FIXED_H, RATE = 4.0, 10.0  # an onward call of 100 units holds a berth 4 + 100/10 = 14 h
HANDLING_H = 2.0  # unloading one train into the yard


def sink_corridor(yard: float, berths: int = 1, tons_per_year: float = 400.0 * 365, lot: float = 100.0) -> dict:
    """origin --rail--> g, a port the cargo leaves by sea; demand well above the onward rate."""
    g = terminal(
        yard_capacity_units=yard,
        berths=berths,
        berth_fixed_h=FIXED_H,
        handling_units_per_h=RATE,
        rail_handling_h=HANDLING_H,
        onward_by_sea={"call_units": CALL_UNITS, "max_wait_h": 48.0, "source": "test"},
    )
    return scenario(
        nodes=[node("o"), node("g")],
        rail_links=[link("o_g", "o", "g")],
        ports=[port("g", [g])],
        flows=[flow("f", ["o", "g"], tons_per_year, lot, cv=0.5)],
    )


def _delivered_units(res) -> float:
    return float(res.annual.units_delivered.sum())


def _row(res, name: str):
    r = res.resources
    return r[r.resource == name].iloc[0]


def test_a_small_yard_at_a_sink_port_blocks_the_trains_feeding_it():
    hours = 8760.0
    call_h = FIXED_H + CALL_UNITS / RATE
    # a one-train yard: each call waits for the next train to unload (the yard is full meanwhile)
    tiny = cs.run(build(sink_corridor(yard=100.0)), seed=3)
    assert _delivered_units(tiny) == pytest.approx(hours / (call_h + HANDLING_H) * CALL_UNITS, rel=0.01)
    assert _row(tiny, "g:container:yard").utilization > 0.95
    tracks = _row(tiny, "g:container:rail_tracks")
    assert tracks.blocked_share > 0.8 and tracks.mean_queue > 10  # trains queue behind the full yard
    # a two-train yard: the next train unloads while a ship loads, so the berth alone binds
    room = cs.run(build(sink_corridor(yard=200.0)), seed=3)
    assert _delivered_units(room) == pytest.approx(hours / call_h * CALL_UNITS, rel=0.01)
    assert _row(room, "g:container:berths").utilization > 0.99
    # a faster onward rate (two berths) lifts it again
    fast = cs.run(build(sink_corridor(yard=300.0, berths=2)), seed=3)
    assert _delivered_units(fast) == pytest.approx(2 * hours / call_h * CALL_UNITS, rel=0.01)
    # the onward ships are in the lines table, and the cargo is delivered at the port
    line = fast.lines[fast.lines.line == "g_onward_container"].iloc[0]
    assert line.units == pytest.approx(_delivered_units(fast), abs=1e-6)
    assert line.voyages == pytest.approx(line.units / CALL_UNITS, abs=1)


def test_a_sink_port_loads_part_calls_after_max_wait():
    # 10 units a day in trains of 30: a call seldom fills; it leaves when the oldest has waited 48 h
    res = cs.run(build(sink_corridor(yard=1000.0, tons_per_year=10.0 * 365, lot=30.0)), seed=2)
    line = res.lines[res.lines.line == "g_onward_container"].iloc[0]
    assert line.units / line.voyages < CALL_UNITS
    assert _delivered_units(res) == pytest.approx(10.0 * 365, rel=0.1)


def with_background(d: dict, calls_per_day: float, berth_h: float, at: str = "p") -> dict:
    d = copy.deepcopy(d)
    for p in d["ports"]:
        if p["id"] == at:
            p["terminals"][0].update(
                background_calls_per_day=calls_per_day, background_berth_h=berth_h, background_berth_cv=0.0
            )
    return d


def test_b_background_calls_share_the_berth_and_delay_corridor_vessels():
    d = rail_sea(tons_per_year=60.0 * 365, capacity=200.0, vessels=2)
    alone = cs.run(build(d), seed=5)
    shared = cs.run(build(with_background(d, 2.0, 6.0)), seed=5)
    a, s = _row(alone, "p:container:berths"), _row(shared, "p:container:berths")
    # the berth's utilization rises by the offered background load, 2 calls x 6 h a day
    assert s.utilization - a.utilization == pytest.approx(2 * 6.0 / 24.0, abs=0.03)
    assert s.background_share == pytest.approx(0.5 / s.utilization, rel=0.06)
    assert math.isnan(a.background_share) or a.background_share == 0.0
    # the same corridor cargo, delayed at the berth: corridor vessels wait behind the other calls
    assert _delivered_units(shared) == pytest.approx(_delivered_units(alone), rel=0.02)
    corridor_calls = s.entries - 2.0 * 365
    assert corridor_calls == pytest.approx(a.entries, rel=0.12)
    assert s.mean_wait_h > a.mean_wait_h + 0.5


def test_b_background_calls_alone_queue_as_m_d_1():
    """A berth used by non-corridor calls only: Poisson arrivals, fixed berth time, so the mean
    wait is M/D/1's rho s / (2 (1 - rho))."""
    d = rail_sea(tons_per_year=20.0 * 365)
    d["nodes"].append(node("z"))
    d["ports"].append(
        port("z", [terminal(background_calls_per_day=1.0, background_berth_h=6.0, background_berth_cv=0.0)])
    )
    d["end_year"] = d["start_year"] + 9
    res = cs.run(build(d), seed=11)
    r = res.resources[res.resources.resource == "z:container:berths"]
    rho, s_h = 6.0 / 24.0, 6.0
    assert r.utilization.mean() == pytest.approx(rho, rel=0.05)
    wait = float((r.entries * r.mean_wait_h).sum() / r.entries.sum())
    assert wait == pytest.approx(rho * s_h / (2 * (1 - rho)), rel=0.15)
    assert (r.background_share == 1.0).all()


def test_background_yard_units_hold_part_of_the_yard():
    # 100 units of other cargo in a 200-unit yard: as the one-train yard above
    d = sink_corridor(yard=200.0)
    d["ports"][0]["terminals"][0]["background_yard_units"] = 100.0
    res = cs.run(build(d), seed=3)
    call_h = FIXED_H + CALL_UNITS / RATE
    assert _delivered_units(res) == pytest.approx(8760.0 / (call_h + HANDLING_H) * CALL_UNITS, rel=0.01)
    assert _row(res, "g:container:yard").utilization > 0.95  # the other cargo counts in the fill


def test_a_train_larger_than_the_sink_yard_is_refused():
    d = sink_corridor(yard=200.0)
    d["ports"][0]["terminals"][0]["background_yard_units"] = 150.0
    with pytest.raises(cs.ScenarioError, match="exceed the yard"):
        build(d)


def test_c_the_new_fields_at_their_defaults_change_nothing(base_path):
    plain = cs.load_scenario(base_path, years=(2024, 2024))
    sets = {}
    for p in plain.ports:
        for t in p.terminals:
            if t.background_calls_per_day or t.background_berth_h or t.background_yard_units:
                continue  # a port the base shares (Poti, Batumi): its own values, not the defaults
            key = f"ports.{p.id}.terminals.{t.cargo}"
            sets.update(
                {
                    f"{key}.background_calls_per_day": 0.0,
                    f"{key}.background_berth_h": 0.0,
                    f"{key}.background_yard_units": 0.0,
                }
            )
    explicit = cs.load_scenario(base_path, years=(2024, 2024), overrides=sets)
    a, b = cs.run(plain, seed=1), cs.run(explicit, seed=1)
    for table in ("annual", "resources", "links", "lines", "levels", "routes"):
        x, y = getattr(a, table), getattr(b, table)
        assert x.equals(y), table
    shared = {p.id for p in plain.ports for t in p.terminals if t.background_calls_per_day}  # Poti, Batumi
    assert shared, "the base shares some ports"
    berths = a.resources[(a.resources.kind == "berth") & ~a.resources["where"].isin(shared)]
    assert len(berths) and berths.background_share.fillna(0.0).eq(0.0).all()


def test_c_a_port_at_a_route_end_without_onward_by_sea_stays_a_plain_node():
    d = sink_corridor(yard=100.0)
    del d["ports"][0]["terminals"][0]["onward_by_sea"]
    res = cs.run(build(d), seed=3)
    # delivered on arrival: the whole demand, nothing in the port's yard
    assert _delivered_units(res) == pytest.approx(400.0 * 365, rel=0.05)
    assert _row(res, "g:container:yard").utilization == 0.0
    assert "g_onward_container" not in set(res.lines.line)


@pytest.mark.parametrize("yard,berths", [(100.0, 1), (300.0, 2)])
def test_d_conservation_with_sink_ports_and_background_traffic(yard, berths):
    d = with_background(sink_corridor(yard=yard, berths=berths), 1.0, 5.0, at="g")
    d["end_year"] = d["start_year"] + 1
    res = cs.run(build(d), seed=4)
    gap = conservation_gap(res.annual)
    assert (gap.abs() < 1e-6).all(), gap
