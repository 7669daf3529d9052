"""Rolling stock as quantities: pools of wagons, flat cars, tank cars, boxes and locomotives.

A pool is a count of interchangeable units (``scenario.StockPool``: count x availability_share),
never a process per wagon. A train forms only when what it needs is at hand:

* its **cars**: flat cars for boxes, tank cars, wagons (``units / units_per_car`` of the pool that
  serves its cargo class on the railway where it forms), held until the train is unloaded (at a
  port's yard, or where it is delivered);
* a **locomotive** of the railway it runs on, changed where the railway changes (a train waits at
  the border for the next railway's locomotive);
* for a class counted in wagons (or a pool of boxes), the wagons or boxes **ride with the cargo**:
  taken where the consignment first forms a train, kept over ferries and onward trains, and freed
  where the cargo leaves the rails for good (unloaded for a ship at a port the route ends in, or
  delivered).

A shortage holds the train where it forms: at a flow's origin its cargo is backlog (it has not
entered the corridor), at a port the cargo stays in the yard. What a train took comes back after
the trip: cars and locomotives after the running time of the links they ran over (the way back,
at the links' speeds) plus the pool's terminal dwell; riding wagons and boxes after their route's
running time (rail links and sea crossings) plus the dwell, except the share a flow sends back
as empty consignments (``Flow.empties``), which return to the pool when that consignment arrives.

The pool keeps what is due back in a heap and counts it in only when someone asks, so a train that
finds its stock at hand costs no kernel event; a train that has to wait costs one, when the return
it waits for comes due. Waiting trains are served first come, first served (the first in line
blocks those behind it, as in a yard).
"""

from __future__ import annotations

import heapq
import math
from collections import deque

import simpy

from ..scenario.schema import StockPool as StockPoolCfg
from .meters import Counter, Meter, ResourceKind, ResourceYear, year_rows

#: kinds whose units go with the cargo rather than with the train (for classes counted in them)
RIDING_KINDS = ("wagon", "tank_car", "box")


class StockPool:
    """A pool's units at hand, due back, and the trains waiting for them, metered by year like a
    server: ``busy`` is the units out (taken, and not yet back), ``queue`` the trains waiting.

    >>> from types import SimpleNamespace as C
    >>> env = simpy.Environment()
    >>> pool = StockPool(env, [0.0, 100.0], C(id="p", label="p", count=10, availability_share=1.0,
    ...                  operator="o", kind="wagon", railways=["r"]))
    >>> pool.request(8.0) is None  # at hand: no event
    True
    >>> ev = pool.request(5.0)  # 2 left: waits
    >>> pool.release(8.0, due_h=6.0)  # back at t = 6
    >>> env.run()
    >>> ev.triggered, env.now, pool.free
    (True, 6.0, 5.0)
    >>> pool.close(100.0); pool.busy.area[0], pool.grants.wait_sum[0]  # 8 x 6 + 5 x 94
    (518.0, 6.0)
    """

    kind = ResourceKind.STOCK

    def __init__(self, env: simpy.Environment, bounds: list[float], cfg: StockPoolCfg):
        self.env = env
        self.id = cfg.id
        self.name = f"stock:{cfg.id}"
        self.where = ",".join(cfg.railways)
        self.cfg = cfg
        self.capacity = cfg.count * cfg.availability_share
        self.free = self.capacity
        self._due: list[tuple[float, int, float]] = []  # (time due back, order, units)
        self._seq = 0
        self._waiting: deque[tuple[float, simpy.Event, float]] = deque()  # (units, event, asked at)
        self._first: deque[tuple[float, simpy.Event, float]] = deque()  # trains formed at ports, served first
        self._wake_h = math.inf  # when the pending wake-up fires (inf: none)
        self.busy = Meter(env, bounds)
        self.queue = Meter(env, bounds)
        self.grants = Counter(bounds)
        self.waited = Counter(bounds)  # grants that had to wait

    # -- what trains call --------------------------------------------------------------------------
    def request(self, units: float, first: bool = False) -> simpy.Event | None:
        """Take ``units`` now (None), or join the line: the event fires when they are granted.

        ``first``: a train formed at a port, where cargo that came by ship (empties going home,
        cargo going on) waits in the yard for it. It goes ahead of the trains forming at origins:
        a train unloaded at a port hands its stock to the train leaving it, as a railway runs a
        round trip. Without it, trains queued at a full yard could hold every car while the yard
        fills with empties waiting for cars, and neither would ever move."""
        now = self.env.now
        self._collect(now)
        line = self._first if first else self._waiting
        if not line and (first or not self._first) and self.free >= units - 1e-9:
            self._grant(units, now, now)
            return None
        ev = self.env.event()
        line.append((units, ev, now))
        self.queue.change(1)
        self._schedule_wake()
        return ev

    def can_take(self, units: float, first: bool = False) -> bool:
        """Whether ``request`` would grant ``units`` at once (and then takes nothing)."""
        self._collect(self.env.now)
        line = self._first if first else self._waiting
        return not line and (first or not self._first) and self.free >= units - 1e-9

    def take(self, units: float) -> None:
        """Grant ``units`` now: only after ``can_take`` said so, at the same instant."""
        now = self.env.now
        self._grant(units, now, now)

    def acquire(self, units: float, first: bool = False):
        """``yield from pool.acquire(n)``: returns the hours waited."""
        t0 = self.env.now
        ev = self.request(units, first)
        if ev is not None:
            yield ev
        return self.env.now - t0

    def release(self, units: float, due_h: float) -> None:
        """``units`` taken earlier come back to the pool at ``due_h`` (now or later)."""
        now = self.env.now
        due_h = max(due_h, now)
        self.busy.change(-units)
        self.busy.add_span(now, due_h, units)  # still out while they travel back
        self._seq += 1
        heapq.heappush(self._due, (due_h, self._seq, units))
        if self._waiting or self._first:
            if due_h <= now:
                self._serve()
            else:
                self._schedule_wake()

    def reconfigure(self, cfg: StockPoolCfg) -> None:
        """A timeline change of the pool's size: units added are at hand at once; units retired
        leave as they come back (the pool's free count may fall below zero until then)."""
        new = cfg.count * cfg.availability_share
        self.free += new - self.capacity
        self.capacity = new
        self.cfg = cfg
        self._serve()

    # -- the pool's bookkeeping ----------------------------------------------------------------------
    def _grant(self, units: float, asked_h: float, now: float) -> None:
        self.free -= units
        self.busy.change(units)
        self.grants.add(now, now - asked_h)

    def _collect(self, now: float) -> None:
        due = self._due
        while due and due[0][0] <= now:
            self.free += heapq.heappop(due)[2]

    def _serve(self) -> None:
        now = self.env.now
        self._collect(now)
        for waiting in (self._first, self._waiting):
            while waiting and self.free >= waiting[0][0] - 1e-9:
                units, ev, asked = waiting.popleft()
                self.queue.change(-1)
                self._grant(units, asked, now)
                self.waited.add(now)
                ev.succeed()
            if waiting:
                break  # the first in line blocks those behind it (and the origins' line)
        if self._first or self._waiting:
            self._schedule_wake()

    def _schedule_wake(self) -> None:
        """One timeout at the next return due, if it is earlier than the one pending."""
        if not self._due:
            return
        t = self._due[0][0]
        if t >= self._wake_h:
            return
        self._wake_h = t
        ev = self.env.timeout(max(t - self.env.now, 0.0))
        ev.callbacks.append(self._woken)

    def _woken(self, _: simpy.Event) -> None:
        if self.env.now >= self._wake_h:
            self._wake_h = math.inf
        self._serve()

    # -- meters ------------------------------------------------------------------------------------
    def close(self, end_h: float) -> None:
        self.busy.close(end_h)
        self.queue.close(end_h)

    def finish(self, end_h: float) -> None:
        self.close(end_h)

    def resource_rows(self, years: list[int]) -> list[ResourceYear]:
        """The resources-table rows: utilization = units out (travelling or waiting to come back)
        over units available; queue and waits are trains waiting for this pool."""
        if self.capacity <= 0:
            return []
        return year_rows(self, years, "trains")


class Held:
    """What one train holds: its cars and its locomotive, and from which of its legs on each has
    run (the way back takes as long as the links run over, at their speeds)."""

    __slots__ = ("cars", "n_cars", "car_from", "loco", "railway", "loco_from")

    def __init__(self):
        self.cars: StockPool | None = None
        self.n_cars = 0.0
        self.car_from = 0  # index in the train's legs where it took its cars
        self.loco: StockPool | None = None
        self.railway: str | None = None
        self.loco_from = 0


def run_h(legs: tuple, start: int, end: int) -> float:
    """Running time over legs[start:end] (rail links), h.

    >>> from types import SimpleNamespace as L
    >>> run_h((L(length_km=100.0, speed_kmh=50.0), L(crossing_h=9.0), L(length_km=60.0, speed_kmh=30.0)), 0, 3)
    4.0
    """
    return sum(leg.length_km / leg.speed_kmh for leg in legs[start:end] if hasattr(leg, "length_km"))


class RollingStock:
    """The run's pools and the rules by which trains take and give back stock.

    ``cars[(cargo, railway)]``: the pool whose cars a train of that class forming on that railway
    takes; ``riding[(cargo, railway)]``: the pool whose wagons or boxes a consignment of that class
    rides in from where it first forms a train; ``locos[railway]``: the railway's locomotives.
    ``empties_share(flow)`` (the model's) says what share of a consignment's riding units go back
    as empty consignments; ``route_h(legs)`` the running time of a consignment's route.
    """

    def __init__(self, env: simpy.Environment, bounds: list[float], scenario, empties_share, route_h):
        self.env = env
        self.pools: dict[str, StockPool] = {p.id: StockPool(env, bounds, p) for p in scenario.rolling_stock}
        self.cars: dict[tuple[str, str], StockPool] = {}
        self.riding: dict[tuple[str, str], StockPool] = {}
        self.locos: dict[str, StockPool] = {}
        for cfg in scenario.rolling_stock:
            pool = self.pools[cfg.id]
            for r in cfg.railways:
                if cfg.kind == "locomotive":
                    self.locos[r] = pool
                    continue
                for c in cfg.cargo:
                    rides = cfg.kind == "box" or (
                        cfg.kind in RIDING_KINDS and scenario.cargo_classes[c].unit == "wagon"
                    )
                    (self.riding if rides else self.cars)[(c, r)] = pool
        self.empties_share = empties_share
        self.route_h = route_h
        self._prefix: dict[int, list[float]] = {}  # id(legs) -> running hours up to each leg

    def reconfigure(self, old, new) -> None:
        for po, pn in zip(old.rolling_stock, new.rolling_stock):
            if po != pn:
                self.pools[pn.id].reconfigure(pn)
        self._prefix.clear()  # a timeline entry may change a link's speed

    def _run_h(self, legs: tuple, start: int, end: int) -> float:
        """``run_h`` from running hours kept per route (a train's legs are its route's tuple)."""
        p = self._prefix.get(id(legs))
        if p is None:
            p = [0.0]
            for i in range(len(legs)):
                p.append(p[-1] + run_h(legs, i, i + 1))
            self._prefix[id(legs)] = p
        return p[end] - p[start]

    # -- forming a train ---------------------------------------------------------------------------
    def form(self, train, first_link):
        """Wait until the train's stock is at hand where it first forms (a generator for ``yield
        from``): riding wagons or boxes for its consignments that have none yet, then its cars and a
        locomotive of the first link's railway. Sets ``train.stock``."""
        yield from self._ride(train, first_link.railway)
        train.stock = yield from self.reserve(train.lots[0].cargo, train.units, first_link, at_port=False)

    def form_now(self, train, first_link) -> bool:
        """``form`` without a process switch: when everything the train needs where it forms is at
        hand, take it all at once and return True (the usual case); else take nothing and return
        False (the caller then waits in ``form``)."""
        railway = first_link.railway
        cargo = train.lots[0].cargo
        needs = self._needs(train, cargo, railway, with_cars=True)
        if needs is None:
            return False
        held = Held()
        self._take_all(train, needs, held, railway, 0)
        train.stock = held
        return True

    def border_now(self, train, legs: tuple, k: int) -> bool:
        """``border`` without a process switch, when the next railway's stock is at hand."""
        held, railway = train.stock, legs[k].railway
        needs = self._needs(train, train.lots[0].cargo, railway, with_cars=held.cars is None)
        if needs is None:
            return False
        self._give_loco(held, legs, k)
        self._take_all(train, needs, held, railway, k)
        return True

    def _needs(self, train, cargo: str, railway: str | None, with_cars: bool):
        """(riding pool and units, car pool and cars, locomotive pool) a train needs on ``railway``,
        or None if any of them is not at hand now."""
        if railway is None:
            return (None, 0.0, None, 0, None)
        ride = self.riding.get((cargo, railway))
        ride_units = 0.0
        if ride is not None:
            ride_units = sum(l.units for l in train.lots if l.pool is None and not l.returned) / ride.cfg.units_per_car
            if ride_units > 0 and not ride.can_take(ride_units):
                return None
        cars = self.cars.get((cargo, railway)) if with_cars else None
        n = 0
        if cars is not None:
            n = math.ceil(train.units / cars.cfg.units_per_car - 1e-9)
            if not cars.can_take(n):
                return None
        loco = self.locos.get(railway)
        if loco is not None and not loco.can_take(1.0):
            return None
        return (ride, ride_units, cars, n, loco)

    def _take_all(self, train, needs, held: Held, railway: str | None, k: int) -> None:
        ride, ride_units, cars, n, loco = needs
        if ride is not None and ride_units > 0:
            ride.take(ride_units)
            for lot in train.lots:
                if lot.pool is None and not lot.returned:
                    lot.pool = ride
        if cars is not None:
            cars.take(n)
            held.cars, held.n_cars, held.car_from = cars, n, k
        if loco is not None:
            loco.take(1.0)
        held.loco, held.railway, held.loco_from = loco, railway, k

    def _ride(self, train, railway: str | None):
        """Riding wagons or boxes of ``railway``'s pool for the consignments that have none yet."""
        pool = self.riding.get((train.lots[0].cargo, railway)) if railway is not None else None
        if pool is not None:
            for lot in train.lots:
                if lot.pool is None and not lot.returned:
                    yield from pool.acquire(lot.units / pool.cfg.units_per_car)
                    lot.pool = pool

    def reserve(self, cargo: str, units: float, first_link, at_port: bool = True):
        """The cars for ``units`` of ``cargo`` and a locomotive, where a train onto ``first_link``
        forms; waits until they are at hand and returns what the train holds (``Held``). A train
        formed at a port (``at_port``) is served before the trains forming at origins."""
        held = Held()
        railway = getattr(first_link, "railway", None)
        if railway is None:
            return held
        pool = self.cars.get((cargo, railway))
        if pool is not None:
            n = math.ceil(units / pool.cfg.units_per_car - 1e-9)
            yield from pool.acquire(n, at_port)
            held.cars, held.n_cars = pool, n
        yield from self._take_loco(held, railway, 0, at_port)
        return held

    def _take_loco(self, held: Held, railway: str, at: int, first: bool = False):
        held.railway, held.loco_from = railway, at
        pool = self.locos.get(railway)
        if pool is not None:
            yield from pool.acquire(1.0, first)
        held.loco = pool

    def border(self, train, legs: tuple, k: int):
        """Before a train runs onto ``legs[k]``, a link of another railway than the one it is on:
        the next railway's locomotive, and, where the cargo was transshipped onto this railway (a
        border exchange), its wagons or flat cars. The model calls it only where the railway
        changes, so a train costs nothing here between borders."""
        held, railway = train.stock, legs[k].railway
        self._give_loco(held, legs, k)
        yield from self._ride(train, railway)
        if held.cars is None:
            pool = self.cars.get((train.lots[0].cargo, railway))
            if pool is not None:
                n = math.ceil(train.units / pool.cfg.units_per_car - 1e-9)
                yield from pool.acquire(n)
                held.cars, held.n_cars, held.car_from = pool, n, k
        yield from self._take_loco(held, railway, k)

    def _give_loco(self, held: Held, legs: tuple, k: int) -> None:
        if held.loco is not None:
            back_h = self._run_h(legs, held.loco_from, k) + held.loco.cfg.terminal_dwell_h
            held.loco.release(1.0, self.env.now + back_h)
            held.loco = None

    def end_run(self, train, legs: tuple, k: int) -> None:
        """The train is unloaded after ``legs[:k]``: its cars and locomotive go back."""
        held = train.stock
        if held is None:
            return
        self._give_loco(held, legs, k)
        if held.cars is not None:
            back_h = self._run_h(legs, held.car_from, k) + held.cars.cfg.terminal_dwell_h
            held.cars.release(held.n_cars, self.env.now + back_h)
            held.cars = None
        train.stock = None

    # -- consignments leaving the rails ----------------------------------------------------------------
    def off_rails(self, lot) -> float:
        """A consignment leaves the rails for good (unloaded for a ship, or delivered): its riding
        units go back, all but the share its flow sends back as empty consignments, which stay out
        until those arrive. Returns the units that stay out for the empties (0 without a pool)."""
        pool = lot.pool
        if pool is None:
            return 0.0
        lot.pool = None
        units = lot.units / pool.cfg.units_per_car
        if lot.route == "empty":  # an empty consignment home: its wagons or boxes are at hand after the dwell
            pool.release(units, self.env.now + pool.cfg.terminal_dwell_h)
            return 0.0
        share = self.empties_share(lot.flow)
        back = units * (1.0 - share)
        if back > 0:
            pool.release(back, self.env.now + self.route_h(lot.legs) + pool.cfg.terminal_dwell_h)
        return units * share

    # -- meters --------------------------------------------------------------------------------------
    def finish(self, end_h: float) -> None:
        for p in self.pools.values():
            p.finish(end_h)

    def resource_rows(self, years: list[int]) -> list[ResourceYear]:
        return [r for p in self.pools.values() for r in p.resource_rows(years)]
