"""Each mechanism of the model, tested alone on a small corridor."""

from __future__ import annotations

import math

import numpy as np
import pytest

import corridor_sim as cs

from factories import build, flow, link, node, port, rail_sea, scenario, sea_line, terminal

HOURS_2023 = 8760.0


def test_rail_link_offered_twice_its_paths_carries_its_paths():
    # 4 paths a day, 8 trains a day wanting them
    d = scenario(
        nodes=[node("o"), node("d")],
        rail_links=[link("o_d", "o", "d", length_km=400, speed_kmh=40, paths_per_day=4)],
        flows=[flow("f", ["o", "d"], tons_per_year=8 * 365 * 100, lot_units=100, cv=1.0)],
    )
    res = cs.run(build(d), seed=3)
    trains = int(res.links.loc[res.links.link == "o_d", "corridor_trains"].iloc[0])
    assert trains == pytest.approx(4 * 365, rel=0.01)  # the paths, not the demand
    util = res.resources.loc[res.resources.resource == "o_d:paths", "utilization"].iloc[0]
    assert util == pytest.approx(1.0, abs=0.01)
    a = res.annual.iloc[0]
    assert a.tons_backlog == pytest.approx(a.tons_offered / 2, rel=0.1)  # the rest waits, nothing is dropped
    assert a.tons_delivered == pytest.approx(4 * 365 * 100, rel=0.01)


def test_rail_link_below_its_paths_carries_the_demand():
    d = scenario(
        nodes=[node("o"), node("d")],
        rail_links=[link("o_d", "o", "d", paths_per_day=10)],
        flows=[flow("f", ["o", "d"], tons_per_year=4 * 365 * 100, lot_units=100, cv=0.3)],
    )
    res = cs.run(build(d), seed=3)
    a = res.annual.iloc[0]
    assert a.tons_delivered == pytest.approx(a.tons_offered, rel=0.01)
    assert a.tons_backlog == 0


def test_full_yard_stops_trains_unloading():
    # The ship sails once and is away for the rest of the year (a crossing of exactly a year, the
    # schema's longest): the yard (3 trains) fills and stays full.
    d = rail_sea(yard=300.0, lot=100.0, tons_per_year=100 * 365, capacity=100.0, crossing_h=8760.0)
    d["sea_lines"][0]["min_fill_share"] = 0.01
    d["sea_lines"][0]["crossing_cv"] = 0.0
    res = cs.run(build(d), seed=1)
    lv = res.levels[(res.levels.port == "p")]
    yard = lv[lv.metric == "yard_units"].value
    waiting = lv[lv.metric == "trains_waiting"].value
    assert yard.max() <= 300.0 + 1e-9  # never above capacity
    assert 300.0 - yard.iloc[-1] < 100.0  # no room left for another train
    assert waiting.iloc[-1] > 300  # trains queue behind the full yard
    unloaded = res.resources.loc[res.resources.resource == "p:container:rail_tracks", "entries"].iloc[0]
    assert unloaded <= 4 + 1  # 3 to fill the yard, 1 on the ship, 1 blocked on the track
    a = res.annual.iloc[0]
    assert a.tons_delivered == 0


def test_vessel_never_loads_above_capacity_times_load_factor(base_results):
    v = base_results.voyages
    assert len(v) > 100
    assert (v.units <= v.capacity_units * v.load_factor + 1e-6).all()
    # and the load factor binds: ships do sail full at today's draft
    assert (v.fill_share > 0.999).mean() > 0.5


def test_load_factor_falls_with_the_sea_level_by_vessel_type():
    """Draft-limited tankers lose deadweight as the sea falls; deck-limited rail ferries lose nothing
    until the usable deadweight drops below what a full deck of wagons weighs."""
    scn = cs.load_scenario("scenarios/base.yaml", years=(2024, 2026))
    res = cs.run(scn, seed=2)
    v = res.voyages.assign(year=lambda d: 2024 + (d.t_depart_h // 8766).astype(int))
    tank = v[v.line == "tanker_aktau_sangachal"].groupby("year").load_factor.mean()
    assert tank.is_monotonic_decreasing and tank.iloc[0] > tank.iloc[-1]
    c = scn.caspian
    lf_2026 = c.load_factor - c.load_factor_loss_per_10cm * c.sea_level_decline_cm_per_year * 2.5 / 10
    assert tank.loc[2026] == pytest.approx(lf_2026, abs=0.01)
    share = next(g for g in scn.sea_lines if g.id == "ferry_kuryk_alat").vessels[0].full_load_deadweight_share
    ferries = v[v.line == "ferry_kuryk_alat"]
    early = ferries[ferries.t_depart_h < 24 * 90]  # Q1 2024: >0.78 of deadweight usable
    assert (early.load_factor == 1.0).all() and len(early) > 10  # so the deck binds, not the draft
    ferry = ferries.groupby("year").load_factor.mean()
    assert ferry.loc[2026] == pytest.approx(lf_2026 / share, abs=0.01)  # then the draft does, less than for tankers
    assert ferry.loc[2026] > tank.loc[2026]


def _inside(t: np.ndarray, spans: np.ndarray) -> np.ndarray:
    """True where t falls strictly inside any (start, end) span."""
    if len(spans) == 0:
        return np.zeros(len(t), bool)
    return ((t[:, None] > spans[None, :, 0] + 1e-9) & (t[:, None] < spans[None, :, 1] - 1e-9)).any(axis=1)


def test_no_sailing_departs_while_its_port_is_closed(base_results):
    r = base_results
    assert len(r.closures) > 20  # storms do happen in the base year
    lines = {l.id: l for l in r.scenario.sea_lines}
    st = r.vessel_states
    checked = 0
    for state, end in (("sailing", "from_port"), ("returning", "to_port")):
        s = st[st.state == state]
        for line_id, g in s.groupby("line"):
            pid = getattr(lines[line_id], end)
            spans = r.closures.loc[r.closures.port == pid, ["t_start_h", "t_end_h"]].to_numpy()
            assert not _inside(g.t_start_h.to_numpy(), spans).any(), f"{line_id} left {pid} while closed"
            checked += len(g)
    assert checked > 500
    # and storms do hold ships: some weather holds last hours
    holds = st[st.state == "weather_hold"]
    assert (holds.t_end_h - holds.t_start_h).sum() > 24 * 30


def test_storm_closures_match_the_monthly_probabilities():
    # one port, January-only storms at 50%: over 20 years the closed share of January is ~0.5
    d = rail_sea(closure=[0.5] + [0.0] * 11)
    d["start_year"], d["end_year"] = 2001, 2020
    res = cs.run(build(d), seed=5)
    c = res.closures[res.closures.port == "p"]
    from corridor_sim.calendar import Calendar

    cal = Calendar(2001, 2020)
    jan = sum(31 * 24 for _ in range(20))
    closed = sum(e - s for s, e in zip(c.t_start_h, c.t_end_h))
    months = {cal.month_of(t) for t in c.t_start_h}
    assert months <= {0, 1}  # closures start in January (may run into February)
    assert closed / jan == pytest.approx(0.5, abs=0.07)


def test_littles_law_holds_for_a_port_queue():
    # Trains queue for one unloading track at port p (rho = 8/day x 2.4 h = 0.8), five calm years
    # from empty, so the edge effects (trains still queued on 31 December) are negligible.
    d = rail_sea(yard=5000.0, lot=100.0, tons_per_year=800 * 365, vessels=6, capacity=1000.0, crossing_h=10.0)
    d["ports"][0]["terminals"][0]["rail_handling_h"] = 2.4
    d["start_year"], d["end_year"] = 2021, 2025
    res = cs.run(build(d), seed=2)
    r = res.resources[res.resources.resource == "p:container:rail_tracks"]
    hours = 8760.0 * 4 + 8784.0
    L = (r.mean_queue * r.year.map(lambda y: 8784.0 if y == 2024 else 8760.0)).sum() / hours
    lam = r.entries.sum() / hours
    W = (r.entries * r.mean_wait_h).sum() / r.entries.sum()
    assert r.entries.sum() > 12_000 and L > 0.5  # a real queue, many trains
    assert L == pytest.approx(lam * W, rel=0.05)
    assert r.utilization.mean() == pytest.approx(0.8, abs=0.03)  # and the track is as busy as it should be


def _erlang_c_wait(lam: float, mu: float, c: int) -> float:
    a = lam / mu
    rho = a / c
    top = a**c / math.factorial(c) / (1 - rho)
    p_wait = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    return p_wait / (c * mu - lam)


def test_border_station_matches_erlang_c():
    lam, mu, c = 0.75, 0.5, 2  # trains/h, per server/h, servers: rho = 0.75
    crossing = {
        "transshipment_tracks": c,
        "transshipment_h": 1 / mu,
        "transshipment_cv": 1.0,
        "dwell_mean_h": 0.0,
        "dwell_cv": 0.0,
    }
    d = scenario(
        nodes=[node("o"), node("d")],
        rail_links=[link("o_d", "o", "d", length_km=1, speed_kmh=100, crossing=crossing)],
        flows=[flow("f", ["o", "d"], tons_per_year=lam * HOURS_2023 * 10, lot_units=10, cv=1.0)],
        warmup_days=30,
    )
    scn = build(d)
    waits = []
    for seed in range(12):
        res = cs.run(scn, seed=seed)
        row = res.resources[res.resources.resource == "o_d:crossing"].iloc[0]
        waits.append(row.mean_wait_h)
    waits = np.array(waits)
    mean, half = waits.mean(), 2.2 * waits.std(ddof=1) / math.sqrt(len(waits))  # t(11, 0.975) = 2.2
    expected = _erlang_c_wait(lam, mu, c)
    assert abs(mean - expected) <= half, f"simulated {mean:.3f} +- {half:.3f} h vs Erlang C {expected:.3f} h"
    assert half < 0.15 * expected  # and the interval is tight enough to mean something


def test_background_trains_take_paths():
    base = dict(
        nodes=[node("o"), node("d")], flows=[flow("f", ["o", "d"], tons_per_year=3 * 365 * 100, lot_units=100, cv=1.0)]
    )
    free = cs.run(build(scenario(rail_links=[link("o_d", "o", "d", paths_per_day=6)], **base)), seed=1)
    busy = cs.run(build(scenario(rail_links=[link("o_d", "o", "d", paths_per_day=6, background=2.5)], **base)), seed=1)
    u_free = free.resources.loc[free.resources.resource == "o_d:paths", "utilization"].iloc[0]
    u_busy = busy.resources.loc[busy.resources.resource == "o_d:paths", "utilization"].iloc[0]
    assert u_free == pytest.approx(0.5, abs=0.03)
    assert u_busy == pytest.approx((3 + 2.5) / 6, abs=0.03)
    assert busy.lots.transit_days.mean() > free.lots.transit_days.mean()


def test_onward_trains_form_at_the_far_port():
    # o -rail-> p -sea-> q -rail-> r: trains of 50 units leave q
    d = scenario(
        nodes=[node("o"), node("p"), node("q"), node("r")],
        rail_links=[link("o_p", "o", "p"), link("q_r", "q", "r")],
        ports=[port("p", [terminal()]), port("q", [terminal(train_units=50.0, train_max_wait_h=24.0)])],
        sea_lines=[sea_line("p_q", "p", "q", count=2, capacity=200.0)],
        flows=[flow("f", ["o", "p", "q", "r"], tons_per_year=100 * 365, lot_units=100)],
    )
    res = cs.run(build(d), seed=1)
    a = res.annual.iloc[0]
    assert a.tons_delivered > 0.95 * a.tons_offered
    assert set(res.lots.destination) == {"r"}
    assert res.lots.units.max() <= 50.0 + 1e-9  # lots were split into onward trains
    assert (res.lots.groupby("consignment").tons.sum() > 99).all()
