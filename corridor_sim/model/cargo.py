"""Cargo as quantities: a lot is a consignment of one flow; a train carries lots.

Lots move as batches, never as one process per wagon or TEU. A vessel or an onward train may take
part of a lot: ``split`` carves off the part, tonnes in proportion, and the pieces keep the
consignment id and every timestamp so far, so delivered rows still carry each stage's times.
"""

from __future__ import annotations

import math
from array import array
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from .records import Recorder

#: Where a diverted consignment left: before it entered (its shippers looked and went another
#: way), or from a Caspian port's yard while it waited for a ship.
AT_ORIGIN, AT_PORT = "origin", "port"
#: The alternative recorded for consignments a flow's hard limit (max_transit_days) turns away.
OVER_LIMIT = "over_limit"


class _Discard(list):
    """The stamps of a lot in a run that keeps no per-consignment detail: appends go nowhere."""

    __slots__ = ()

    def append(self, item) -> None:
        pass


NO_STAMPS: list = _Discard()


class Lot:
    __slots__ = (
        "id",
        "consignment",
        "flow",
        "cargo",
        "route",
        "legs",
        "pos",
        "tons",
        "units",
        "t_generated",
        "t_entered",
        "stamps",
        "usd_per_unit",
        "kg_co2e_per_unit",
        "usd_per_t_day",
        "pool",
        "returned",
        "alts",
    )

    def __init__(
        self,
        lot_id: int,
        flow: str,
        cargo: str,
        route: str,
        legs: tuple,
        tons: float,
        units: float,
        now: float,
        usd_per_unit: float = math.nan,
        kg_co2e_per_unit: float = math.nan,
        usd_per_t_day: float = 0.0,
    ):
        self.id = lot_id
        self.consignment = lot_id
        self.flow = flow
        self.cargo = cargo
        self.route = route
        self.legs = legs  # the route's legs (rail links and sea lines), in order
        self.pos = 0  # index of the leg the lot is on or waiting for
        self.tons = tons
        self.units = units
        self.t_generated = now
        self.t_entered: float | None = None
        self.stamps: list[tuple[str, float]] = []
        # the route's charges and emissions per unit, quoted when the consignment is booked
        # (scenario.pricing), and what a tonne-day in transit costs its shippers
        self.usd_per_unit = usd_per_unit
        self.kg_co2e_per_unit = kg_co2e_per_unit
        self.usd_per_t_day = usd_per_t_day
        self.pool = None  # the rolling-stock pool whose wagons or boxes it rides in (model.stock)
        self.returned = False  # it has left the rails for good (its riding stock went back)
        self.alts: tuple[str, ...] | None = None  # the outside alternatives open to its shippers

    def split(self, units: float, new_id: int) -> Lot:
        """Take ``units`` out of this lot into a new lot (same consignment and history)."""
        part = Lot.__new__(Lot)
        share = units / self.units
        part.id = new_id
        part.consignment = self.consignment
        part.flow, part.cargo, part.route, part.legs = self.flow, self.cargo, self.route, self.legs
        part.pos = self.pos
        part.tons = self.tons * share
        part.units = units
        self.tons -= part.tons
        self.units -= units
        part.t_generated, part.t_entered = self.t_generated, self.t_entered
        part.stamps = self.stamps if self.stamps is NO_STAMPS else list(self.stamps)
        part.usd_per_unit, part.kg_co2e_per_unit = self.usd_per_unit, self.kg_co2e_per_unit
        part.usd_per_t_day = self.usd_per_t_day
        part.pool, part.returned = self.pool, self.returned
        part.alts = self.alts
        return part


class Train:
    """Lots moving together on rail; all share the rest of their route."""

    __slots__ = ("lots", "units", "tons", "stock")

    def __init__(self, lots: list[Lot]):
        self.lots = lots
        self.stock = None  # its cars and locomotive (model.stock.Held), where stock is modelled
        self.units = sum(l.units for l in lots)
        self.tons = sum(l.tons for l in lots)

    def stamp(self, stage: str, now: float) -> None:
        for lot in self.lots:
            lot.stamps.append((stage, now))


class Delivery(NamedTuple):
    """One row of ``lots`` (detail): a consignment, or the part of one a vessel or an onward train
    took, delivered. ``stages`` holds the first time it reached each stage (``rail:<link>``,
    ``yard:<port>``, ``sail:<line>``, ``land:<port>``), h; the table spreads them into columns."""

    lot_id: int
    consignment: int
    flow: str
    cargo: str
    route: str
    destination: str
    tons: float
    units: float
    t_generated_h: float
    t_entered_h: float | None
    t_delivered_h: float
    charges_usd: float  # tariffs and fees on its legs (scenario.pricing), NaN on a route without any
    time_cost_usd: float  # days from generation to delivery x tonnes x the flow's value of time
    co2e_kg: float  # its legs' tonne-km x emission factors, NaN without factors
    stages: dict


class StockSnapshot(NamedTuple):
    """The tonnes of a flow waiting to enter (backlog) and in the corridor at the start of a year."""

    year: int
    t_h: float
    flow: str
    tons_backlog: float
    tons_in_system: float


@dataclass
class FlowYear:
    """What a flow generated, lost and delivered in one year: sums for the annual table and, one
    entry per delivered consignment (or part), what its distributions of days need. Arrays of
    doubles, not rows, so a run that keeps no detail holds ~40 bytes per delivery."""

    generated: array = field(default_factory=lambda: array("d"))  # tonnes, one entry per consignment
    diverted: array = field(default_factory=lambda: array("d"))  # tonnes
    tons: array = field(default_factory=lambda: array("d"))  # delivered
    units: array = field(default_factory=lambda: array("d"))
    transit_days: array = field(default_factory=lambda: array("d"))  # generated -> delivered
    corridor_days: array = field(default_factory=lambda: array("d"))  # entered -> delivered
    # (alternative, where it left: "origin" or "port") -> [tonnes, units] diverted there
    diverted_by: dict[tuple[str, str], list[float]] = field(default_factory=dict)


@dataclass
class RouteYear:
    """What one flow delivered on one route in one year, and what it cost and emitted: sums, and
    one entry per delivered consignment (or part) for the distribution of cost per unit."""

    tons: float = 0.0
    tonne_days: float = 0.0  # generated -> delivered
    units: float = 0.0
    charges_usd: float = 0.0
    time_cost_usd: float = 0.0
    co2e_kg: float = 0.0
    lot_units: array = field(default_factory=lambda: array("d"))
    lot_usd: array = field(default_factory=lambda: array("d"))  # charges + time cost of the consignment

    def add(self, tons: float, units: float, days: float, charges_usd: float, time_usd: float, co2e_kg: float) -> None:
        self.tons += tons
        self.tonne_days += tons * days
        self.units += units
        self.charges_usd += charges_usd
        self.time_cost_usd += time_usd
        self.co2e_kg += co2e_kg
        self.lot_units.append(units)
        self.lot_usd.append(charges_usd + time_usd)


def _no_year(t: float) -> int:
    return 0


class DeliveryRate:
    """Tonnes a route delivers per hour, exponentially weighted over ``horizon_h`` (the shippers'
    own horizon): recent deliveries count most, and it starts from a prior (what the route is
    meant to carry) so that a route still filling its pipeline is not taken for a blocked one."""

    __slots__ = ("horizon_h", "per_h", "t_h")

    def __init__(self, horizon_h: float, prior_per_h: float, now: float):
        self.horizon_h = horizon_h
        self.per_h = prior_per_h
        self.t_h = now

    def at(self, t: float) -> float:
        return self.per_h * math.exp(-(t - self.t_h) / self.horizon_h)

    def add(self, t: float, tons: float) -> None:
        self.per_h = self.at(t) + tons / self.horizon_h
        self.t_h = t


class _Integral(Protocol):
    """A time-integrated level split by year (``model.meters.Meter``)."""

    area: list[float]
    level: float

    def change(self, delta: float) -> None: ...

    def advance_to(self, t: float) -> None: ...


class LedgerObserver(Protocol):
    """A subscriber to the ledger (``Ledger.subscribe``), told of every consignment generated,
    every tonne diverted and every consignment (or part) delivered, as it happens. The ledger
    keeps its own accounts by year and route; a subscriber keeps whatever else it needs (the
    empties a delivery leaves, the capacity estimator's counts by month) without the model, or
    the ledger's methods, changing for it."""

    def generated(self, lot: Lot) -> None: ...

    def diverted(self, flow: str, now: float, tons: float, units: float) -> None: ...

    # a saturated source held its cargo from t0 to t1: the consignment it held at t0, then its rate
    def held(self, flow: str, t0: float, t1: float, tons: float, tons_per_h: float) -> None: ...

    def withdrawn(self, lot: Lot, now: float) -> None: ...  # a consignment that left on its way

    def delivered(self, lot: Lot, now: float, where: str) -> None: ...


@dataclass
class Ledger:
    """Where every tonne is: generated, waiting to enter (backlog), in the corridor, delivered.

    Stocks are summed from the live lots themselves, not kept as counters, so a split that loses
    or duplicates tonnes shows up as a conservation error instead of being hidden by arithmetic.
    The tonnes on each route (backlog and in the corridor) are also integrated over time, for the
    shippers' outlook (``route_outlook_days``).
    """

    live: dict[int, Lot] = field(default_factory=dict)
    next_id: int = 0
    year_of: Callable[[float], int] = _no_year
    recorder: Recorder = field(default_factory=Recorder)
    # (year, flow) -> what the flow generated, lost and delivered that year (statistics period only)
    flow_years: dict[tuple, FlowYear] = field(default_factory=dict)
    # a new year-split integral of a level (None: no route stocks are integrated)
    new_meter: Callable[[], _Integral] | None = None
    # (year, flow, route) -> tonnes, days, units, cost and CO2 delivered (warm-up years included)
    route_stats: dict[tuple, RouteYear] = field(default_factory=dict)
    # (year, flow, route) -> tonnes generated for the route
    route_generated: dict[tuple, float] = field(default_factory=dict)
    # (flow, route) -> tonnes on the route, integrated over time (tonne-hours by year)
    route_stock: dict[tuple, _Integral] = field(default_factory=dict)
    # (flow, route) -> recent delivery rate, for flows whose shippers look before they send
    route_rate: dict[tuple, DeliveryRate] = field(default_factory=dict)
    # told of every consignment generated, diverted and delivered (``subscribe``)
    observers: list[LedgerObserver] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.deliveries = self.recorder.table(Delivery, detail=True)
        self.stocks = self.recorder.table(StockSnapshot)
        self._backlog: dict[str, float] = defaultdict(float)  # flow -> tonnes generated, not yet entered
        # flow -> (the event its held source waits for, whether the flow is open again at an hour)
        # flow -> (the event its held source waits for, whether the flow is open again at an hour,
        # the hour the hold began, the consignment held then, the source's tonnes per hour)
        self._held: dict[str, tuple[Any, Callable[[float], bool], float, float, float]] = {}

    def _year(self, t: float, flow: str) -> FlowYear | None:
        """The accumulators of t's year, or None in the warm-up (statistics count t >= 0)."""
        if t < 0:
            return None
        key = (self.year_of(t), flow)
        fy = self.flow_years.get(key)
        if fy is None:
            fy = self.flow_years[key] = FlowYear()
        return fy

    def subscribe(self, observer: LedgerObserver) -> None:
        """Tell ``observer`` of every consignment generated, diverted and delivered from now on."""
        self.observers.append(observer)

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def _stock(self, lot: Lot) -> _Integral | None:
        if self.new_meter is None:
            return None
        key = (lot.flow, lot.route)
        m = self.route_stock.get(key)
        if m is None:
            m = self.route_stock[key] = self.new_meter()
        return m

    def generate(self, lot: Lot) -> None:
        self.live[lot.id] = lot
        if self.deliveries is None:
            lot.stamps = NO_STAMPS
        fy = self._year(lot.t_generated, lot.flow)
        if fy is not None:
            fy.generated.append(lot.tons)
        key = (self.year_of(lot.t_generated), lot.flow, lot.route)
        self.route_generated[key] = self.route_generated.get(key, 0.0) + lot.tons
        m = self._stock(lot)
        if m is not None:
            m.change(lot.tons)
        self._backlog[lot.flow] += lot.tons
        for o in self.observers:
            o.generated(lot)

    def adopt(self, part: Lot) -> None:
        """Register a piece split off a live lot."""
        self.live[part.id] = part

    def enter(self, lot: Lot, now: float) -> None:
        if lot.t_entered is None:
            lot.t_entered = now
            lot.stamps.append(("entered", now))
            self._backlog[lot.flow] -= lot.tons
            if self._held:
                self._changed(lot.flow, now)

    # -- a saturated source (capacity runs): cargo held at the origin, not generated and diverted --
    def hold(
        self, flow: str, now: float, tons: float, tons_per_h: float, event: Any, is_open: Callable[[float], bool]
    ) -> None:
        """``flow``'s source holds its cargo: no shipper of it would send a consignment now, and
        none will until the flow's cargo moves (it enters, is delivered or leaves on its way: the
        tonnes on its routes and their delivery rates change only then), so it waits for the
        first such moment at which ``is_open``, when the ledger succeeds ``event``. The tonnes held
        are never offered; when the hold ends, observers are told its span, the consignment that
        found the flow closed (``tons``) and the source's rate (``tons_per_h``): a source that drew
        its consignments all along would have turned that one away and, on average, rate x span
        more."""
        self._held[flow] = (event, is_open, now, tons, tons_per_h)

    def release_held(self, now: float) -> None:
        """Wake every held source (a timeline change may open a route or change an alternative)."""
        held, self._held = self._held, {}
        for flow, h in held.items():
            self._end_hold(flow, h, now)

    def end_holds(self, now: float) -> None:
        """The run's end: the holds still on are told to the observers up to ``now``."""
        for flow, (_, _, t0, tons, rate) in self._held.items():
            for o in self.observers:
                o.held(flow, t0, now, tons, rate)
        self._held = {}

    def _end_hold(self, flow: str, h: tuple, now: float) -> None:
        event, _, t0, tons, rate = h
        for o in self.observers:
            o.held(flow, t0, now, tons, rate)
        event.succeed()

    def _changed(self, flow: str, now: float) -> None:
        h = self._held.get(flow)
        if h is not None and h[1](now):
            del self._held[flow]
            self._end_hold(flow, h, now)

    def backlog_t(self, flow: str) -> float:
        """Tonnes of ``flow`` generated and still waiting to enter the corridor."""
        return self._backlog[flow]

    def watch_route(self, flow: str, route: str, now: float, horizon_h: float, prior_t_per_h: float) -> None:
        """Start tracking a route's delivery rate (once), from a prior of what it is meant to carry."""
        if (flow, route) not in self.route_rate:
            self.route_rate[(flow, route)] = DeliveryRate(horizon_h, prior_t_per_h, now)

    def expected_days(self, flow: str, route: str, now: float) -> float:
        """What a shipper expects a consignment sent now to take on a watched route, days: the
        tonnes already on it (waiting to enter or in the corridor) over the rate it has been
        delivering (Little's law at this moment). inf when it holds cargo and delivers nothing."""
        m = self.route_stock.get((flow, route))
        stock = m.level if m is not None else 0.0
        if stock <= 0.0:
            return 0.0
        rate = self.route_rate[(flow, route)].at(now)
        return stock / rate / 24.0 if rate > 0.0 else float("inf")

    def divert(self, flow: str, now: float, tons: float, units: float, alternative: str, where: str) -> None:
        """Demand that never joins the corridor: its shippers take ``alternative`` instead."""
        fy = self._year(now, flow)
        if fy is not None:
            fy.generated.append(tons)
            fy.diverted.append(tons)
            _add(fy.diverted_by, (alternative, where), tons, units)
        for o in self.observers:
            o.diverted(flow, now, tons, units)

    def withdraw(self, lot: Lot, now: float, alternative: str, where: str) -> None:
        """A consignment on its way that leaves the corridor for ``alternative`` (its tonnes were
        generated when it was sent; they now count as diverted, not in stock)."""
        del self.live[lot.id]
        m = self._stock(lot)
        if m is not None:
            m.change(-lot.tons)
        if lot.t_entered is None:
            self._backlog[lot.flow] -= lot.tons
        fy = self._year(now, lot.flow)
        if fy is not None:
            fy.diverted.append(lot.tons)
            _add(fy.diverted_by, (alternative, where), lot.tons, lot.units)
        for o in self.observers:
            o.withdrawn(lot, now)
        if self._held:
            self._changed(lot.flow, now)

    def deliver(self, lot: Lot, now: float, where: str) -> None:
        del self.live[lot.id]
        m = self._stock(lot)
        if m is not None:
            m.change(-lot.tons)
        rate = self.route_rate.get((lot.flow, lot.route))
        if rate is not None:
            rate.add(now, lot.tons)
        key = (self.year_of(now), lot.flow, lot.route)
        acc = self.route_stats.get(key)
        if acc is None:
            acc = self.route_stats[key] = RouteYear()
        days = (now - lot.t_generated) / 24.0
        charges, time_cost = lot.units * lot.usd_per_unit, lot.tons * days * lot.usd_per_t_day
        co2e = lot.units * lot.kg_co2e_per_unit
        acc.add(lot.tons, lot.units, days, charges, time_cost, co2e)
        fy = self._year(now, lot.flow)
        if fy is not None:
            assert lot.t_entered is not None, "a lot is delivered only after it entered the corridor"
            fy.tons.append(lot.tons)
            fy.units.append(lot.units)
            fy.transit_days.append((now - lot.t_generated) / 24.0)
            fy.corridor_days.append((now - lot.t_entered) / 24.0)
        if self.deliveries is not None:
            lot.stamps.append(("delivered", now))
            self.deliveries.append(
                Delivery(
                    lot.id,
                    lot.consignment,
                    lot.flow,
                    lot.cargo,
                    lot.route,
                    where,
                    lot.tons,
                    lot.units,
                    lot.t_generated,
                    lot.t_entered,
                    now,
                    charges,
                    time_cost,
                    co2e,
                    _stamp_dict(lot.stamps),
                )
            )
        for o in self.observers:
            o.delivered(lot, now, where)
        if self._held:
            self._changed(lot.flow, now)

    def close_year(self, t_end: float) -> None:
        """Integrate the route stocks up to ``t_end`` (a year boundary) before the year is read."""
        for m in self.route_stock.values():
            m.advance_to(t_end)

    def route_outlook_days(self, year: int, year_index: int, flow: str) -> dict[str, float]:
        """Expected days from generation to delivery on each route of ``flow``, from ``year``,
        by Little's law over the whole year: W = (time-average tonnes on the route, waiting to
        enter or in the corridor) / (tonnes sent onto the route per day) = tonne-days on the
        route / tonnes generated for it. ``year_index`` is the year's index in the run.

        Why this estimator: averaged over all twelve months it carries no seasonal bias (a stock
        read on 1 January sits in the storm peak and overstates the days 1.2-2.7x); in a corridor
        that is not congested it equals the tonne-weighted mean of the year's deliveries (Little's
        law); and where a queue grows it counts the cargo still waiting, which the delivered mean
        leaves out, so the outlook rises with the queue instead of lagging it. Routes that carried
        nothing that year have no estimate and keep their previous expectation.
        """
        out = {}
        for (f, route), m in self.route_stock.items():
            gen = self.route_generated.get((year, f, route), 0.0)
            if f == flow and gen > 0.0:
                out[route] = m.area[year_index] / 24.0 / gen
        return out

    def snapshot(self, now: float, label: Any) -> None:
        backlog: dict[str, float] = defaultdict(float)
        inside: dict[str, float] = defaultdict(float)
        for lot in self.live.values():
            (inside if lot.t_entered is not None else backlog)[lot.flow] += lot.tons
        # in the flows' order by name, not a set's: a set of strings iterates in an order that
        # differs from process to process (hash randomization); the annual table keys these by
        # flow, but nothing a run records should depend on which process ran it
        for flow in sorted(set(backlog) | set(inside)):
            self.stocks.append(StockSnapshot(label, now, flow, backlog.get(flow, 0.0), inside.get(flow, 0.0)))


def _add(acc: dict, key: tuple, tons: float, units: float) -> None:
    got = acc.get(key)
    if got is None:
        acc[key] = [tons, units]
    else:
        got[0] += tons
        got[1] += units


def _stamp_dict(stamps: list[tuple[str, float]]) -> dict[str, float]:
    """First time each stage was reached (a lot passes each stage once)."""
    out: dict[str, float] = {}
    for stage, t in stamps:
        out.setdefault(stage, t)
    return out
