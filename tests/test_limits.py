"""The limits that bind (issue 22): rolling-stock pools, paths from the track, the Black Sea leg.

Closed forms on tiny corridors (tests/factories.py): a pool smaller than the trains need carries
its cycle rate; a single track with N loops carries the paths the timetable-period formula gives;
empties conserve wagons and boxes; the leg to the Black Sea conserves tonnes; a full yard at Poti
holds trains upstream. Bad input names the file, the field and what is allowed.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

import corridor_sim as cs
from corridor_sim.cli import main
from corridor_sim.model.build import Model
from corridor_sim.model.port import ONWARD
from corridor_sim.scenario.schema import demand_tons
from corridor_sim.scenario.track import single_track_pairs_per_day
from tests.factories import build, flow, link, node, port, scenario, terminal

ROOT = Path(__file__).resolve().parents[1]
YEAR_H = 8760.0


def _pool(pid, kind, count, railways=("r",), cargo=("container",), units_per_car=1.0, dwell_h=4.0):
    return {
        "id": pid,
        "operator": "test",
        "kind": kind,
        "count": count,
        "units_per_car": units_per_car,
        "cargo": list(cargo),
        "railways": list(railways),
        "terminal_dwell_h": dwell_h,
        "source": "test",
    }


def _line(pools, tons_per_year=200_000.0, lot=100.0, cargo="container", length_km=500.0, speed_kmh=50.0):
    """o --rail (railway r, no path limit)--> d, evenly spaced consignments of ``lot`` units."""
    lk = dict(link("o_d", "o", "d", length_km=length_km, speed_kmh=speed_kmh), railway="r")
    d = scenario(
        nodes=[node("o"), node("d")], rail_links=[lk], flows=[flow("f", ["o", "d"], tons_per_year, lot, cargo, cv=0.0)]
    )
    d["rolling_stock"] = pools
    return d


def _delivered_units(res) -> float:
    return float(res.annual.units_delivered.sum())


@pytest.mark.parametrize("kind", ["flat_car", "locomotive"])
def test_a_pool_smaller_than_the_trains_need_carries_its_cycle_rate(kind):
    """Closed form: a pool that holds k trains' worth, each away for the loaded run, the run back
    and the terminal dwell (10 + 10 + 4 h), forms k trains per 24 h, whatever the demand."""
    if kind == "flat_car":  # 100-TEU trains on 50 flats of 2 TEU; 110 flats hold 2 trains
        pools = [_pool("flats", "flat_car", 110, units_per_car=2.0)]
        per_cycle, in_use = 2, 100 / 110  # 10 flats idle: not enough for a third train
    else:  # one locomotive: one train per cycle
        pools = [_pool("locos", "locomotive", 1, cargo=())]
        per_cycle, in_use = 1, 1.0
    res = cs.run(build(_line(pools)), seed=1)
    cycle_h = 10.0 + 10.0 + 4.0
    want = per_cycle * math.floor((YEAR_H - 10.0) / cycle_h + 1) * 100.0  # trains delivered in the year, x 100 TEU
    assert _delivered_units(res) == pytest.approx(want, rel=0.01)
    row = res.resources[res.resources.kind == "rolling_stock"].iloc[0]
    assert row.utilization == pytest.approx(in_use, abs=0.01) and row.mean_queue > 1  # it binds: trains wait
    # with stock enough, demand (2,000 trains) decides, not the pool
    big = (
        [_pool("flats", "flat_car", 10_000, units_per_car=2.0)]
        if kind == "flat_car"
        else [_pool("l", "locomotive", 100, cargo=())]
    )
    assert _delivered_units(cs.run(build(_line(big)), seed=1)) == pytest.approx(200_000.0, rel=0.01)


@pytest.mark.parametrize("loops", [0, 4, 9])
def test_a_single_track_with_n_loops_gives_the_computed_paths(loops):
    """Closed form: 200 km with N loops at 60 km/h, 8 min of station intervals, a 2 h maintenance
    window and fill 0.61 gives (1440 - 120) x 0.61 / (2 x 200/(N+1) + 8) pairs a day; a link
    offered far more trains carries exactly that many a day."""
    track = {
        "tracks": 1,
        "loops": loops,
        "running_speed_kmh": 60.0,
        "station_interval_min": 8.0,
        "maintenance_min_per_day": 120.0,
        "fill_share": 0.61,
        "source": "test",
    }
    lk = dict(link("o_d", "o", "d", length_km=200.0, speed_kmh=60.0), track=track)
    d = scenario(nodes=[node("o"), node("d")], rail_links=[lk], flows=[flow("f", ["o", "d"], 1e6, 100.0, cv=1.0)])
    scn = build(d)
    want = (1440 - 120) * 0.61 / (2 * 60 * 200 / (loops + 1) / 60 + 8)
    assert scn.rail_links[0].paths == pytest.approx(want)
    assert want == pytest.approx(single_track_pairs_per_day(200 / (loops + 1), 60.0, 8.0, 120.0, 0.61))
    res = cs.run(scn, seed=3)
    trains = float(res.links.corridor_trains.sum())
    assert trains == pytest.approx(want * 365, rel=0.01)
    # an explicit paths_per_day wins over the track
    d["rail_links"][0]["paths_per_day"] = 2.0
    assert build(d).rail_links[0].paths == 2.0


def _riding(kind: str, cargo: str):
    """o -> d by rail (railway r), the units riding in a pool, half of them back as empties."""
    back = dict(link("d_o", "d", "o", length_km=500.0, speed_kmh=50.0), railway="r")
    d = _line(
        [_pool("p", kind, 5000, cargo=(cargo,), units_per_car=2.0 if kind == "box" else 1.0)], 50_000.0, 50.0, cargo
    )
    d["rail_links"].append(back)
    d["cargo_classes"][cargo]["unit"] = "wagon" if cargo == "wagon" else "TEU"
    d["demand"]["flows"][0]["empties"] = {"share": 0.5, "tare_t_per_unit": 0.3, "path": ["d", "o"], "source": "test"}
    return d


@pytest.mark.parametrize("kind,cargo", [("wagon", "wagon"), ("box", "container")])
def test_empties_conserve_wagons_and_boxes(kind, cargo):
    """Every unit of a pool is at hand, on its way back, riding a live consignment (loaded or
    empty), or waiting at the destination to make up an empty consignment: none is lost or made."""
    m = Model(build(_riding(kind, cargo)), seed=2, detail=False).run()
    pool = m.stock.pools["p"]
    per = pool.cfg.units_per_car
    riding = sum(l.units for l in m.ledger.live.values() if l.pool is pool) / per
    due = sum(u for _, _, u in pool._due)
    pending = sum(v for (flow, _), v in m.empties.pending.items() if flow == "f") / per
    assert pool.free + due + riding + pending == pytest.approx(pool.capacity, abs=1e-6)
    assert pool.grants.count[0] > 100  # the pool was used throughout
    assert riding > 0 and due > 0  # some units out on each kind of trip at the end


def _poti(yard: float, berths: int = 1, call_units: float = 200.0, handling: float = 50.0, locos: int = 0):
    """o --rail (10 paths/day, railway r)--> poti, where trains unload into the yard and ships load
    it away; with ``locos``, a pool of locomotives that trains hold until they are unloaded."""
    t = terminal(
        "container",
        yard_capacity_units=yard,
        berths=berths,
        handling_units_per_h=handling,
        rail_tracks=1,
        rail_handling_h=2.0,
        onward_by_sea={"call_units": call_units, "max_wait_h": 24.0, "source": "test"},
    )
    d = scenario(
        nodes=[node("o"), node("poti")],
        rail_links=[dict(link("o_poti", "o", "poti", paths_per_day=10.0), railway="r")],
        ports=[port("poti", [t])],
        flows=[flow("f", ["o", "poti"], 100.0 * 365 * 5, 100.0, cv=0.5)],
    )
    if locos:
        d["rolling_stock"] = [_pool("locos", "locomotive", locos, cargo=())]
    return d


def test_the_black_sea_leg_conserves_tonnes():
    """What was generated is delivered (loaded aboard at Poti) or still somewhere: in the yard,
    on the way, or waiting to enter; and what the onward ships loaded is what was delivered."""
    m = Model(build(_poti(yard=2000.0, locos=6)), seed=5, detail=False).run()
    fy = m.ledger.flow_years[(2023, "f")]
    generated, delivered = sum(fy.generated), sum(fy.tons)
    live = sum(l.tons for l in m.ledger.live.values())
    assert generated == pytest.approx(delivered + live, rel=1e-9)
    term = m.terminals[("poti", "container")]
    assert sum(term.onward_tons.total) == pytest.approx(delivered, rel=1e-9)
    in_yard = sum(l.tons for l, _ in term.queues.get(ONWARD, ()))
    assert 0 <= in_yard <= live + 1e-9


def test_a_yard_that_fills_at_poti_holds_trains_upstream():
    """Ships slower than the trains (one berth loading 200 TEU at 10 TEU/h): the yard fills, trains
    wait outside it holding their locomotives, so no locomotive is at hand at the origin and the
    cargo waits there to enter (backlog); with fast ships none of this happens."""
    slow = cs.run(build(_poti(yard=400.0, handling=10.0, locos=6)), seed=5)
    fast = cs.run(build(_poti(yard=400.0, handling=200.0, locos=6)), seed=5)
    r = slow.resources.set_index("resource")
    assert r.loc["poti:container:yard", "max_queue"] == pytest.approx(1.0)  # peak fill: the yard full
    assert r.loc["poti:container:rail_tracks", "blocked_share"] > 0.5  # trains held for yard space
    assert r.loc["stock:locos", "utilization"] > 0.95 and r.loc["stock:locos", "mean_queue"] > 10
    assert slow.annual.tons_backlog.iloc[0] > 10 * fast.annual.tons_backlog.iloc[0] + 10_000
    assert slow.annual.tons_delivered.sum() < 0.8 * fast.annual.tons_delivered.sum()


def test_a_liner_schedule_carries_one_call_each_interval():
    """Onward liners on a schedule (``min_interval_h``): with more cargo than they take, the Black
    Sea leg carries call_units every min_interval_h (closed form: 100 TEU x 8,760 h / 240 h = 3,650
    TEU a year), and the rest waits in Poti's yard; without the schedule the berth alone bounds it."""
    d = _poti(yard=1e6, call_units=100.0, handling=200.0)
    d["ports"][0]["terminals"][0]["onward_by_sea"]["min_interval_h"] = 240.0
    m = Model(build(d), seed=4, detail=False).run()
    term = m.terminals[("poti", "container")]
    assert sum(term.onward_units.total) == pytest.approx(100.0 * YEAR_H / 240.0, abs=100.0)
    assert term.queued[ONWARD] > 100_000  # the rest of the year's 182,500 TEU waits in the yard
    free = Model(build(_poti(yard=1e6, call_units=100.0, handling=200.0)), seed=4, detail=False).run()
    assert sum(free.terminals[("poti", "container")].onward_units.total) > 10 * sum(term.onward_units.total)


def _two_ports():
    """o -> p1 and o -> p2 by rail (railway r), half the boxes back as empties from where they land,
    riding a pool of flat cars."""
    links = [
        dict(link(i, a, b, length_km=300.0, speed_kmh=50.0), railway="r")
        for i, a, b in [("o_p1", "o", "p1"), ("o_p2", "o", "p2"), ("p1_o", "p1", "o"), ("p2_o", "p2", "o")]
    ]
    f = flow("f", ["o", "p1"], 100_000.0, 50.0, cv=0.0)
    f["routes"] = [
        {"id": "to_p1", "share": 0.5, "path": ["o", "p1"]},
        {"id": "to_p2", "share": 0.5, "path": ["o", "p2"]},
    ]
    f["empties"] = {
        "share": 0.5,
        "tare_t_per_unit": 0.1,
        "path": ["p1", "o"],
        "also_from": [["p2", "o"]],
        "source": "test",
    }
    d = scenario(nodes=[node("o"), node("p1"), node("p2")], rail_links=links, flows=[f])
    d["rolling_stock"] = [_pool("p", "flat_car", 3000, units_per_car=2.0)]
    return d


def test_empties_go_back_from_where_they_were_delivered():
    """A flow that ends at two ports sends each port's empties back by the way that starts there:
    at each port, half the units delivered there = the empty consignments that left it (50 units
    each, on its way back or waiting to enter it) + the empties still gathering there."""
    m = Model(build(_two_ports()), seed=3, detail=False).run()
    assert set(m.empties.pending) == {("f", "p1"), ("f", "p2")}
    for end, route, back in (("p1", "to_p1", "p1_o"), ("p2", "to_p2", "p2_o")):
        delivered = sum(acc.units for (_, f, r), acc in m.ledger.route_stats.items() if (f, r) == ("f", route))
        entered = float(sum(m.links[(end, "o")].corridor.count))
        waiting = sum(
            1 for l in m.ledger.live.values() if l.route == "empty" and l.legs[0].id == back and l.t_entered is None
        )
        assert entered > 5  # empty trains left from both ports
        assert 0.5 * delivered == pytest.approx(50.0 * (entered + waiting) + m.empties.pending["f", end], abs=1e-6)


@pytest.mark.parametrize(
    "change,field,allowed",
    [
        (lambda e: e.pop("also_from"), "empties.also_from", "no way back for the empties delivered at p2"),
        (lambda e: e["also_from"].append(["p1", "o"]), "empties.also_from.1.0", "a second way back from 'p1'"),
        (lambda e: e["also_from"].append(["o", "p1"]), "empties.also_from.1.0", "not at 'o'"),
    ],
)
def test_each_end_has_one_way_back(change, field, allowed):
    d = _two_ports()
    change(d["demand"]["flows"][0]["empties"])
    with pytest.raises(cs.ScenarioError) as err:
        build(d)
    assert field in str(err.value) and allowed in str(err.value)


# Drewry, Container Census & Leasing 2022/23 (via Container News / Capital Link, Jul 2022): ~6 M TEU
# of the ~50 M TEU global box pool were surplus in 2022 (51.4 M TEU in 2023, Drewry via Asia Cargo News)
IDLE_BOXES_TEU = 6.0e6
BOX_CYCLE_DAYS = 90.0  # assumption: loaded out in <= 45 days (the flows' patience is 30) and back empty in <= 45
RESPONSE_BOUND = 2.0  # assumption: the demand response at most doubles a flow's trend (it moves it by a few %)


def test_boxes_cannot_bind_in_any_shipped_scenario():
    """Boxes are not a pool in the model: no source gives a corridor operator's box fleet, and the
    container flows load in China, from the world's pool (shipper-owned or leased boxes). They cannot
    bind: in every shipped scenario and demand case, the boxes its container flows could tie up at
    once in its last year (the year's TEU x a 90-day cycle x 2 for the demand response: 177,000 TEU
    at most, the high case of 2035) are under 5% of the boxes the world had idle alone, and under
    half a percent of its pool. A box shortage shows as a price (lease rates), which is
    the outside alternatives' business, not a quantity the corridor runs out of."""
    worst = 0.0
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        if path.name == "candidates.yaml":
            continue
        for case in [c.id for c in cs.load_scenario(path).demand_cases] or [None]:
            s = cs.load_scenario(path, demand_case=case)
            teu = sum(
                demand_tons(f, s.demand, s.end_year) / s.cargo_classes[f.cargo].t_per_unit
                for f in s.demand.flows
                if f.cargo == "container"
            )
            worst = max(worst, teu * RESPONSE_BOUND * BOX_CYCLE_DAYS / 365.0)
    assert 10_000 < worst < 0.05 * IDLE_BOXES_TEU


# -- bad input: one paragraph naming the file, the field and what is allowed ----------------------
@pytest.mark.parametrize(
    "override,field,allowed",
    [
        (
            "rolling_stock.ktz_wagons.count=0",
            "rolling_stock.ktz_wagons.count",
            "allowed: count x availability_share >= 55",
        ),
        (
            "rail_links.zhezkazgan_beineu.track.loop_spacing_km=1200",
            "rail_links.zhezkazgan_beineu",
            "the section between passing loops is at most length_km",
        ),
        ("timeline.btk_5mt.date=2036-05-20", "timeline.btk_5mt.date", "outside the run (2024-01-01 to 2035-12-31)"),
    ],
)
def test_bad_limits_input_is_one_paragraph(override, field, allowed):
    out = CliRunner().invoke(main, ["validate", str(ROOT / "scenarios" / "base.yaml"), "--set", override])
    assert out.exit_code == 2
    text = out.output
    assert "base.yaml" in text and field in text and allowed in text
    assert "Traceback" not in text


def test_the_base_runs_its_limits():
    """The base has paths from track on every rail link but the border exchanges' documented caps,
    every link on a railway, and pools that are used."""
    scn = cs.load_scenario(ROOT / "scenarios" / "base.yaml", years=(2024, 2024))
    for l in scn.rail_links:
        assert l.railway is not None, l.id
        assert l.track is not None or l.crossing is not None and l.paths_per_day is not None, l.id
    assert {p.kind for p in scn.rolling_stock} >= {"locomotive", "wagon", "flat_car"}
    assert [iv.id for iv in scn.timeline if iv.id == "btk_5mt"] and copy.deepcopy(scn.port("poti"))
