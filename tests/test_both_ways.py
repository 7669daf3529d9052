"""Both directions (issue 11): a line's return leg carries what waits at its far port, an
eastbound flow and the empties of a westbound one conserve tonnes and units both ways, and
other traffic (Flow.corridor false) is kept out of the corridor's totals and its capacity."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import corridor_sim as cs
from corridor_sim.model.build import Model
from corridor_sim.model.empties import empty_flow

from factories import build, flow, link, node, port, scenario, sea_line, terminal


def two_way(empties_share: float | None = 1.0, eastbound_t: float = 0.0, return_leg: bool = True) -> dict:
    """o --rail--> p --sea--> q (delivered at q), with the rail and the sea both ways: a westbound
    flow whose wagons return empty to o, and an eastbound flow q -> p -> o."""
    d = scenario(
        nodes=[node("o"), node("p"), node("q")],
        rail_links=[link("o_p", "o", "p"), link("p_o", "p", "o")],
        ports=[
            port("p", [terminal("wagon", yard_capacity_units=400.0, train_units=20.0)]),
            port("q", [terminal("wagon", yard_capacity_units=400.0)]),
        ],
        sea_lines=[sea_line("p_q", "p", "q", cargo="wagon", count=2, capacity=40.0, crossing_h=10.0)],
        flows=[flow("west", ["o", "p", "q"], 60_000.0, 20.0, cargo="wagon")],
        t_per_unit=60.0,
        warmup_days=20.0,
    )
    d["sea_lines"][0]["return_leg"] = return_leg
    if empties_share is not None:
        d["demand"]["flows"][0]["empties"] = {
            "share": empties_share,
            "tare_t_per_unit": 24.0,
            "path": ["q", "p", "o"],
            "source": "test",
        }
    if eastbound_t:
        east = flow("east", ["q", "p", "o"], eastbound_t, 10.0, cargo="wagon")
        east["corridor"] = False
        d["demand"]["flows"].append(east)
    return d


def _ledger_after(d: dict, seed: int = 4) -> tuple[Model, cs.Results]:
    from corridor_sim.run.tables import collect

    m = Model(build(d), seed, detail=True)
    m.run()
    return m, collect(m, 1.0)


def test_the_return_leg_carries_empties_and_they_are_conserved():
    m, res = _ledger_after(two_way(1.0))
    west = res.annual[res.annual.flow == "west"].iloc[0]
    # every wagon delivered west goes back empty: what was sent back is what came less the
    # wagons still gathering into the next empty train (fewer than one train)
    pending = sum(v for (flow, _), v in m.empties.pending.items() if flow == "west")  # by place of delivery
    assert 0 <= pending < 20.0
    live_empty = [lot for lot in m.ledger.live.values() if lot.flow == empty_flow("west")]
    in_system = sum(lot.units for lot in live_empty)
    # units: sent back = returned + still on their way (this run's whole span, warm-up included)
    sent = sum(a.units for (y, f, r), a in m.ledger.route_stats.items() if f == empty_flow("west")) + in_system
    delivered_west = sum(a.units for (y, f, r), a in m.ledger.route_stats.items() if f == "west")
    assert sent + pending == pytest.approx(delivered_west, abs=1e-6)
    assert west.empty_units_returned > 0.8 * west.units_delivered
    # tonnes of the empties are their tare
    back = [a for (y, f, r), a in m.ledger.route_stats.items() if f == empty_flow("west")]
    assert sum(a.tons for a in back) == pytest.approx(24.0 * sum(a.units for a in back))
    # the return voyages carry them, never more than a ship
    v = res.voyages
    ret = v[v.line == "p_q:return"]
    assert len(ret) > 10 and (ret.units <= ret.capacity_units + 1e-9).all()
    lines = res.lines[(res.lines.from_port == "q") & (res.lines.to_port == "p")]
    assert lines.units.sum() == pytest.approx(ret.units.sum())
    # empties are not the corridor's cargo: the totals count the loaded west flow only
    assert res.delivered_mt().iloc[0] == pytest.approx(west.tons_delivered / 1e6)
    assert set(res.routes.flow) == {"west"}


def test_an_eastbound_flow_conserves_its_tonnes_and_shares_the_ships():
    m, res = _ledger_after(two_way(None, eastbound_t=20_000.0))
    a = res.annual.set_index("flow")
    for f in ("west", "east"):
        r = a.loc[f]
        # generated = delivered + still waiting or on its way at the end (one year, no warm-up leftovers)
        start = r.tons_backlog_start + r.tons_in_system_start
        end = r.tons_backlog + r.tons_in_system
        assert r.tons_offered + start == pytest.approx(r.tons_delivered + end + r.tons_diverted, rel=1e-9), f
    assert a.loc["east", "tons_delivered"] > 0.9 * 20_000.0
    # the eastbound tonnes crossed on the west line's way back
    back = res.lines[(res.lines.from_port == "q")]
    assert back.tons.sum() == pytest.approx(a.loc["east", "tons_delivered"], rel=0.05)
    # other traffic: simulated, not the corridor's
    assert res.delivered_mt().iloc[0] == pytest.approx(a.loc["west", "tons_delivered"] / 1e6)


def test_without_a_return_leg_the_way_back_is_refused_and_nothing_changes():
    d = two_way(1.0, return_leg=False)
    with pytest.raises(cs.ScenarioError, match="no rail link or 'wagon' sea line from 'q' to 'p'"):
        build(d)
    # a return leg with nothing waiting changes nothing westbound: same seeds, same deliveries
    plain = two_way(None, return_leg=False)
    ret = two_way(None, return_leg=True)
    a = cs.run(build(plain), seed=2, detail=False).annual
    b = cs.run(build(ret), seed=2, detail=False).annual
    np.testing.assert_allclose(a.tons_delivered, b.tons_delivered)


def test_empties_must_start_where_the_flow_delivers():
    d = two_way(1.0)
    d["demand"]["flows"][0]["empties"]["path"] = ["p", "o"]
    with pytest.raises(cs.ScenarioError, match=r"empties start where the flow delivers \(q\)"):
        build(d)


def test_capacity_saturates_the_corridor_only():
    d = two_way(None, eastbound_t=20_000.0)
    est = cs.estimate_capacity(build(d), replications=2, workers=1)
    t = est.trajectory
    total = t[t.cargo == "all"].iloc[0]
    # the eastbound flow keeps its own demand and is not counted: only the west flow is measured
    assert total.offered_trend_mt == pytest.approx(0.06)
    mixed = copy.deepcopy(d)
    mixed["demand"]["flows"][1]["corridor"] = True
    both = cs.estimate_capacity(build(mixed), replications=2, workers=1).trajectory
    assert both[both.cargo == "all"].iloc[0].offered_trend_mt == pytest.approx(0.08)
