"""The capacity estimator's saturated source: in a saturated run, cargo that no shipper of a flow
would send is held at the origin instead of generated and diverted (``model.demand.flow_process``,
``Ledger.hold``). It carries what the diverting source carried, conserves every tonne it offers,
holds rather than diverts where all the flow's shippers have the same patience, and costs fewer
kernel events; a held flow wakes when its own cargo moves and the route is open again, or when the
timeline changes anything."""

from __future__ import annotations

import statistics

import simpy
from test_capacity import sea

from corridor_sim.analyses.capacity import HELD, MonthCounts, patience_days
from corridor_sim.calendar import Calendar
from corridor_sim.kpi import conservation_gap
from corridor_sim.model.cargo import Ledger, Lot
from corridor_sim.run.simulate import counts, run
from corridor_sim.scenario.variants import for_capacity, saturated

from factories import build

SEEDS = range(1, 7)


def saturated_sea(vessels: int = 1):
    """test_capacity's fleet-bound corridor (a flow with a limit on days, no alternatives; its ships
    carry ~15,000 t a year), at 20,000 t a year x3 as the estimator saturates it."""
    s = build(sea(vessels, tons=20_000.0))
    b = for_capacity(s, s.start_year)
    return saturated(b, {s.start_year: 3.0}, patience_days(b))


def one(s, seed: int, hold: bool):
    months = MonthCounts(Calendar(s.start_year, s.end_year))
    e0 = counts()["events"]
    res = run(s, seed, allow_large=True, detail=False, observers=[months], hold_at_origin=hold)
    return res, months.months, counts()["events"] - e0


def test_a_held_source_carries_what_a_diverting_one_carries_with_fewer_events():
    s = saturated_sea()
    got = {True: [], False: []}
    events = {True: 0, False: 0}
    for hold in (True, False):
        for seed in SEEDS:
            res, months, ev = one(s, seed, hold)
            a = res.annual
            got[hold].append(float(a.tons_delivered.sum()))
            events[hold] += ev
            assert conservation_gap(a).abs().max() < 1e-6  # offered = delivered + diverted + stock change
            if hold:
                # one patience for every shipper: nothing is turned away at the origin, all of it held,
                # and held in every month (the saturation check sees it)
                assert float(a.tons_diverted.sum()) == 0.0
                assert all(acc[HELD] > 0 for acc in months.values()) and len(months) == 12
    held, diverting = statistics.mean(got[True]), statistics.mean(got[False])
    spread = statistics.stdev(got[True] + got[False])
    assert abs(held - diverting) < 3 * spread * (2 / len(SEEDS)) ** 0.5 + 1e-9, (got, spread)
    assert events[True] < 0.95 * events[False], events


def test_a_held_source_offers_no_more_than_it_can_send():
    s = saturated_sea()
    res, _, _ = one(s, 1, True)
    diverting, _, _ = one(s, 1, False)
    offered, delivered = float(res.annual.tons_offered.sum()), float(res.annual.tons_delivered.sum())
    # held: what was offered went, or is on its way; diverting: x3 the demand, most of it turned away
    assert offered <= delivered * 1.1 < float(diverting.annual.tons_offered.sum()) / 2


def _lot(flow: str, tons: float = 10.0) -> Lot:
    return Lot(0, flow, "container", "r", (), tons, 1.0, 0.0, 0.0, 0.0, 0.0)


class Spans:
    """A ledger subscriber that keeps the holds it is told of."""

    def __init__(self):
        self.spans: list[tuple[str, float, float, float]] = []

    def held(self, flow: str, t0: float, t1: float, tons: float, tons_per_h: float) -> None:
        self.spans.append((flow, t0, t1, tons, tons_per_h))

    def generated(self, lot) -> None:
        pass

    def diverted(self, *args) -> None:
        pass

    def withdrawn(self, lot, now) -> None:
        pass

    def delivered(self, lot, now, where) -> None:
        pass


def test_a_held_flow_wakes_when_its_own_cargo_moves_and_it_is_open_or_the_timeline_changes():
    env = simpy.Environment()
    ledger = Ledger()
    spans = Spans()
    ledger.subscribe(spans)
    opened = {"f": False, "g": False, "h": False}
    woke: list[tuple[str, float]] = []

    def source(flow: str, rate: float):
        ev = env.event()
        ledger.hold(flow, env.now, 40.0, rate, ev, lambda now: opened[flow])
        yield ev
        woke.append((flow, env.now))

    def moves():
        lot_g, lot_f = _lot("g"), _lot("f")
        for lot in (lot_g, lot_f):
            lot.id = ledger.new_id()
            ledger.generate(lot)
        yield env.timeout(1.0)
        ledger.enter(lot_g, env.now)  # another flow's cargo: f stays held
        ledger.enter(lot_f, env.now)  # f's own, but f is still closed
        yield env.timeout(1.0)
        opened["f"] = True
        ledger.deliver(lot_f, env.now, "q")  # f's cargo moves and f is open: it wakes
        yield env.timeout(1.0)
        ledger.release_held(env.now)  # a timeline change wakes every held source

    env.process(source("f", 5.0))
    env.process(source("g", 7.0))
    env.process(moves())
    env.run()
    assert woke == [("f", 2.0), ("g", 3.0)]
    # each hold is told when it ends: its span, and the rate at which the source would have offered
    assert spans.spans == [("f", 0.0, 2.0, 40.0, 5.0), ("g", 0.0, 3.0, 40.0, 7.0)]
    # a hold still on at the run's end is told up to the end
    env.process(source("h", 2.0))
    env.run()
    ledger.end_holds(10.0)
    assert spans.spans[-1] == ("h", 3.0, 10.0, 40.0, 2.0) and woke[-1] == ("g", 3.0)


def test_the_months_a_hold_spans_each_count_what_it_held():
    cal = Calendar(2023, 2023)
    counts_ = MonthCounts(cal)
    jan, feb, mar = cal.year_start_h(2023), cal.next_month_start_h(0.0), cal.next_month_start_h(800.0)
    counts_.held("f", -100.0, mar + 10.0, 40.0, 2.0)  # from the warm-up to 10 h into March
    counts_.held("f", 5.0, 5.0, 40.0, 2.0)  # a hold that ends as it begins: its consignment alone
    held = {k[2]: v[HELD] for k, v in counts_.months.items()}
    # the first consignment was held in the warm-up: not counted
    assert held == {0: 2.0 * (feb - jan) + 40.0, 1: 2.0 * (mar - feb), 2: 20.0}
