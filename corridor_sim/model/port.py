"""Caspian ports: terminals with berths, rail tracks and a finite yard that blocks when full.

A terminal keeps its cargo as FIFO queues of lots keyed by where the lots go next (a sea line, or
the rest of a rail route). Trains unloading need yard space for all their units before they can
unload, so a full yard holds trains on the port tracks and congestion backs up the line, as at
Aktau in 2022-23. Ships unloading into a full yard wait at the berth.

Ports are shared: non-corridor calls (North-South and Turkmenbashi business at Alat, oil and grain
at Aktau, the Black Sea trade at Poti) take berths in the same FIFO line as corridor vessels, and
other cargo can hold part of the yard. A terminal with ``onward_by_sea`` is where a route ends by
rail (Poti): trains unload into its yard, and ships call to load the cargo away, which is then
delivered; the sea beyond is out of scope.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from functools import partial
from typing import NamedTuple

import numpy as np
import simpy

from ..rng import gamma_mean_cv
from ..scenario.schema import Terminal as TerminalCfg
from .cargo import AT_PORT, Ledger, Lot, Train
from .meters import NAN, Meter, ResourceKind, ResourceYear, Tally, year_rows
from .servers import MonitoredResource, Yard
from .stock import RollingStock

#: The queue key of cargo that leaves a sink terminal by sea (``Terminal.onward_by_sea``).
ONWARD = "onward_by_sea"


class Closure(NamedTuple):
    """One row of ``closures``: a storm closure of a port."""

    port: str
    t_start_h: float
    t_end_h: float


class LevelStat(NamedTuple):
    """One row of ``levels``: a terminal's yard fill or queue (or a port's closed state) over one
    bin of ``output.levels_every_h`` from t_h: its time-weighted mean and its peak (exact, from
    the meters, not samples)."""

    t_h: float
    port: str
    cargo: str  # "" for a port-wide metric
    metric: str  # yard_units, yard_share, trains_waiting, vessels_waiting_berth, port_closed
    value: float  # time-weighted mean over the bin
    peak: float  # highest level in the bin


class LevelSeries(NamedTuple):
    """One series of ``levels`` rows (LevelStat) as columns: a metric's bins for one terminal or
    port. Components hand these over, not a tuple per bin, so a 12-year run's weekly levels
    (~17,000 rows) are a few arrays until the table is built."""

    port: str
    cargo: str
    metric: str
    t_h: np.ndarray
    value: np.ndarray
    peak: np.ndarray


def _bin_series(meter: Meter, port: str, cargo: str, metric: str, scale=None) -> LevelSeries:
    bins = meter.bins
    assert bins is not None, "a meter reports levels only where it follows the bins"
    bounds = np.asarray(bins.bounds, dtype=float)
    t, span = bounds[:-1], np.diff(bounds)
    mean = np.divide(np.asarray(bins.area, dtype=float), span, out=np.zeros_like(span), where=span > 0)
    peak = np.asarray(bins.peak, dtype=float)
    if scale is not None:
        k = 1.0 / np.asarray([scale(x) for x in t], dtype=float)
        mean, peak = mean * k, peak * k
    return LevelSeries(port, cargo, metric, t, mean, peak)


class Port:
    """A port's weather and its terminals: storms close it (no ship leaves or berths), processes
    wait for it to open, and the time it was closed is measured."""

    def __init__(
        self, env: simpy.Environment, port_id: str, bounds: list[float], weather, closures: list, bins: list[float]
    ):
        self.env = env
        self.id = port_id
        self.weather = weather  # read by the storm process at each spell: the timeline may change it
        self.is_open = True
        self._waiting: list[simpy.Event] = []  # one event per process waiting for the port to open
        self.closed = Meter(env, bounds)
        self.closed.follow(bins)
        self.closures = closures  # the run's Closure rows (every port writes to it)
        self._closed_at = 0.0
        self.terminals: dict[str, Terminal] = {}

    def close(self) -> None:
        if self.is_open:
            self.is_open = False
            self._closed_at = self.env.now
            self.closed.set(1.0)

    def reopen(self) -> None:
        if not self.is_open:
            self.is_open = True
            self.closed.set(0.0)
            self.closures.append(Closure(self.id, self._closed_at, self.env.now))
            # Each waiter has its own event, so each resumes and makes its moves in turn, as it
            # would if it had found the port open; one shared event would resume them all before
            # any of them moves on (see servers.GRANTS_VIA_KERNEL).
            waiting, self._waiting = self._waiting, []
            for ev in waiting:
                ev.succeed()

    def wait_open(self):
        """``yield from port.wait_open()``: no event at all while the port is open."""
        while not self.is_open:
            ev = self.env.event()
            self._waiting.append(ev)
            yield ev

    def finish(self, end_h: float) -> None:
        """Close the meters at the end of the run; a closure still running ends there."""
        self.closed.close(end_h)
        if not self.is_open:
            self.closures.append(Closure(self.id, self._closed_at, end_h))

    def level_series(self) -> list[LevelSeries]:
        return [_bin_series(self.closed, self.id, "", "port_closed")]


class Terminal:
    """One cargo class's terminal at a port: berths (shared with other calls in one FIFO line),
    rail tracks, a finite yard that blocks when full, and the queues of cargo by where it goes next.

    Trains unload only when the yard has room for all of them (``receive_train``), ships load from
    and unload into the yard at a berth, onward trains form here from cargo with the same rest of
    its route, and at a sink port (``onward_by_sea``) ships call to take the cargo away (module
    docstring). ``reconfigure`` takes a timeline's new berths, rates and yard; ``server_rows``,
    ``yard_rows`` and ``level_series`` are its rows of the run's tables.
    """

    def __init__(
        self,
        env: simpy.Environment,
        port: Port,
        cfg: TerminalCfg,
        bounds: list[float],
        ledger: Ledger,
        start_train,
        bins: list[float],
        background_rng: np.random.Generator | None = None,
    ):
        self.env = env
        self.port = port
        self.cargo = cfg.cargo
        self.cfg = cfg
        self.name = f"{port.id}:{cfg.cargo}"
        self.ledger = ledger
        self.start_train = start_train  # callback(train, legs): sends a train on its way
        self.berths = MonitoredResource(env, bounds, f"{self.name}:berths", ResourceKind.BERTH, cfg.berths, port.id)
        self.tracks = MonitoredResource(
            env, bounds, f"{self.name}:rail_tracks", ResourceKind.RAIL_TRACK, cfg.rail_tracks, port.id
        )
        self.yard = Meter(env, bounds)  # units in the yard
        self.space = Yard(env, cfg.yard_capacity_units, self.yard)
        self.blocked = Meter(env, bounds)  # trains on the port tracks waiting for yard space
        for m in (self.yard, self.tracks.queue, self.berths.queue):
            m.follow(bins)  # the levels table: each bin's mean and peak
        self._capacities = [(env.now, cfg.yard_capacity_units)]  # the yard's size from each time on
        self.queues: dict[object, deque] = {}
        self.queued: dict[object, float] = {}
        self._arrivals: dict[object, simpy.Event] = {}
        self._timers: dict[object, float] = {}  # the deadline of the timer pending for a key
        self._deadline_of: dict[object, tuple[float, simpy.Event]] = {}  # the waiter a deadline wakes
        self._formers: set = set()
        # non-corridor traffic: its own stream, so corridor traffic does not shift it
        self.background_rng = background_rng
        self.background_busy = Meter(env, bounds)  # berths held by non-corridor calls
        self._background_calling = False
        self._background_yard_units = 0.0
        self.onward_units = Tally(bounds)  # units loaded onto onward ships (sink terminals), by year
        self.onward_tons = Tally(bounds)
        self.onward_calls = Tally(bounds)
        self._onward_running = False
        self._last_onward_h = -float("inf")  # when the last onward call was formed
        self.stock: RollingStock | None = None  # the run's rolling stock, set by build
        # (lot, now, the wait of the cargo at the head of its queue, h) -> the outside alternative
        # a consignment waiting here for a ship leaves for, or None; set by build where flows have them
        self.reconsider: Callable[[Lot, float, float], str | None] | None = None
        self._start_shared(cfg)

    @property
    def capacity_units(self) -> float:
        return self.space.capacity_units

    def finish(self, end_h: float) -> None:
        """Close the meters at the end of the run."""
        for m in (self.berths, self.tracks, self.yard, self.blocked, self.background_busy):
            m.close(end_h)

    def _capacity_at(self, t: float) -> float:
        return next(c for t0, c in reversed(self._capacities) if t0 <= t or t0 == self._capacities[0][0])

    def level_series(self) -> list[LevelSeries]:
        """Yard fill (units and share of the yard's size at the bin's start), trains waiting for a
        track and vessels waiting for a berth, per bin."""
        p, c = self.port.id, self.cargo
        return [
            _bin_series(self.yard, p, c, "yard_units"),
            _bin_series(self.yard, p, c, "yard_share", self._capacity_at),
            _bin_series(self.tracks.queue, p, c, "trains_waiting"),
            _bin_series(self.berths.queue, p, c, "vessels_waiting_berth"),
        ]

    def server_rows(self, years: list[int]) -> list[ResourceYear]:
        """Berths and rail tracks, by year. The tracks' utilization counts handling only; the share
        of track time held by trains waiting for yard space is their ``blocked_share``."""
        n = range(len(years))
        blocked = [self.blocked.mean(i) / self.tracks.capacity for i in n]
        background = [
            self.background_busy.area[i] / self.berths.busy.area[i] if self.berths.busy.area[i] > 0 else NAN for i in n
        ]
        return year_rows(self.berths, years, "vessels", background=background) + year_rows(
            self.tracks, years, "trains", blocked
        )

    def yard_rows(self, years: list[int]) -> list[ResourceYear]:
        """The yard by year: utilization is its mean fill share, max_queue its peak fill share."""
        return [
            ResourceYear(
                y,
                f"{self.name}:yard",
                ResourceKind.YARD.value,
                self.port.id,
                self.capacity_units,
                self.yard.mean(i) / self.capacity_units,
                NAN,
                self.yard.peak[i] / self.capacity_units,
                "peak fill share",
                NAN,
                NAN,
                NAN,
            )
            for i, y in enumerate(years)
        ]

    def resources(self) -> list[MonitoredResource]:
        return [self.berths, self.tracks]

    def reconfigure(self, cfg: TerminalCfg) -> None:
        """Apply new parameters from the timeline (more berths, a bigger yard, faster cranes ...)."""
        self.berths.set_capacity(cfg.berths)
        self.tracks.set_capacity(cfg.rail_tracks)
        self.space.set_capacity(cfg.yard_capacity_units)
        if cfg.yard_capacity_units != self._capacities[-1][1]:
            self._capacities.append((self.env.now, cfg.yard_capacity_units))
        self.cfg = cfg
        self._start_shared(cfg)

    # -- sharing the port ------------------------------------------------------------------------
    def _start_shared(self, cfg: TerminalCfg) -> None:
        """Start (or re-level) what the terminal shares: non-corridor calls, other cargo in the
        yard, onward ships. With every field at its default nothing starts and nothing is drawn,
        so a scenario without them runs exactly as before."""
        if cfg.background_calls_per_day > 0 and not self._background_calling:
            assert self.background_rng is not None, "a terminal with background calls has its stream (build)"
            self._background_calling = True
            self.env.process(self._background_calls())
        self._level_background_yard(cfg.background_yard_units)
        if cfg.onward_by_sea is not None and not self._onward_running:
            self._onward_running = True
            self.env.process(self._ship_onward())

    def _level_background_yard(self, units: float) -> None:
        """Other cargo held in the yard at a constant level. A rise takes its place in line with
        the reservations (the grant, if it has to wait, is one event per timeline change); a fall
        frees space at once."""
        delta = units - self._background_yard_units
        self._background_yard_units = units
        if delta > 1e-9:
            self.space.request(delta)
        elif delta < -1e-9:
            self.space.release(-delta)

    def _background_calls(self):
        """Non-corridor vessel calls, Poisson, each holding a berth in the FIFO line with corridor
        vessels. Why a process, not Lindley's recursion as for rail paths (paths.RailPaths): the
        berths are several servers, and a corridor vessel's berth time is not known when it takes
        a berth (it waits there for the yard and for the weather), so the background schedule
        cannot be computed ahead. The process is cheap: per call, the arrival's timeout and the
        end of its berth time (a callback, no process of its own), plus a grant when it queues.
        A rate change by the timeline takes effect from the next arrival."""
        env, rng = self.env, self.background_rng
        assert rng is not None
        while True:
            rate = self.cfg.background_calls_per_day
            if rate <= 0:
                self._background_calling = False
                return
            yield env.timeout(rng.exponential(24.0 / rate))
            if self.cfg.background_calls_per_day > 0:
                hold_h = gamma_mean_cv(rng, self.cfg.background_berth_h, self.cfg.background_berth_cv)
                ev = self.berths.request()
                if ev is None:
                    self._background_berth(hold_h)
                else:
                    ev.callbacks.append(partial(self._background_granted, hold_h))

    def _background_granted(self, hold_h: float, _: simpy.Event) -> None:
        self._background_berth(hold_h)

    def _background_berth(self, hold_h: float) -> None:
        self.background_busy.change(1)
        done = self.env.timeout(hold_h)
        done.callbacks.append(self._background_leave)

    def _background_leave(self, _: simpy.Event) -> None:
        self.background_busy.change(-1)
        self.berths.release()

    def _ship_onward(self):
        """Form onward ship calls from the cargo that ends here: a call comes when call_units wait,
        or when the oldest has waited max_wait_h, and loads up to call_units. Each call then loads
        at a berth in its own process, so calls use the terminal's berths side by side."""
        env = self.env
        while True:
            onward = self.cfg.onward_by_sea
            if onward is None:  # the timeline took the role away: cargo already here stays queued
                self._onward_running = False
                return
            while self.queued.get(ONWARD, 0.0) <= 1e-9:
                yield self.arrival(ONWARD)
            while self.queued[ONWARD] < onward.call_units - 1e-9:
                oldest_h = self.oldest_wait_start(ONWARD)
                assert oldest_h is not None, "cargo is queued (queued > 0)"
                deadline_h = oldest_h + onward.max_wait_h
                if deadline_h <= env.now:
                    break
                yield self.arrival(ONWARD, until_h=deadline_h)
            if onward.min_interval_h is not None and env.now < self._last_onward_h + onward.min_interval_h:
                # a line's schedule: the next call comes one interval after the last, and loads what
                # waits then (up to a call's units)
                yield env.timeout(self._last_onward_h + onward.min_interval_h - env.now)
            cargo = self.take(ONWARD, onward.call_units, free=False)
            if cargo:
                self._last_onward_h = env.now
                env.process(self._load_onward(cargo))

    def _load_onward(self, cargo: list[Lot]):
        """One onward call: berth, load (the cargo is delivered aboard), wait out a storm at the
        berth, leave."""
        env = self.env
        units = sum(lot.units for lot in cargo)
        yield from self.berths.acquire()
        yield env.timeout(self.cfg.berth_fixed_h + units / self.cfg.handling_units_per_h)
        self.release_space(units)
        now = env.now
        for lot in cargo:
            lot.stamps.append((f"ship:{self.port.id}", now))
            self.onward_tons.add(now, lot.tons)
            self.ledger.deliver(lot, now, self.port.id)
        self.onward_units.add(now, units)
        self.onward_calls.add(now, 1.0)
        yield from self.port.wait_open()
        self.berths.release()

    # -- yard bookkeeping ----------------------------------------------------------------------
    def _free(self, units: float) -> None:
        if units > 0:
            self.space.release(units)

    def _enqueue(self, key, lot: Lot) -> None:
        q = self.queues.get(key)
        if q is None:
            q = self.queues[key] = deque()
            self.queued[key] = 0.0
        q.append((lot, self.env.now))
        self.queued[key] += lot.units
        lot.stamps.append((f"yard:{self.port.id}", self.env.now))
        ev = self._arrivals.pop(key, None)
        if ev is not None and not ev.triggered:
            ev.succeed()

    def arrival(self, key, until_h: float | None = None) -> simpy.Event:
        """An event that fires the next time cargo is queued for ``key`` (one waiter per key), or
        at ``until_h`` if that comes first. One event, where ``arrival | timeout`` would take three
        (the arrival, the condition and the timeout). A waiter woken by cargo that is still short of
        a load waits again for the same deadline (its oldest cargo has not changed): it reuses the
        timer already pending for that deadline, so a deadline costs one kernel event however often
        cargo comes before it. A timer whose deadline no one waits for any more fires to no one."""
        ev = self._arrivals[key] = self.env.event()
        if until_h is None:
            self._deadline_of.pop(key, None)
            return ev
        self._deadline_of[key] = (until_h, ev)
        if self._timers.get(key) != until_h:
            self._timers[key] = until_h
            timer = self.env.timeout(until_h - self.env.now)
            timer.callbacks.append(partial(self._deadline_passed, key, until_h))
        return ev

    def _deadline_passed(self, key, until_h: float, _: simpy.Event) -> None:
        if self._timers.get(key) == until_h:
            del self._timers[key]
        waiter = self._deadline_of.get(key)
        if waiter is not None and waiter[0] == until_h:
            del self._deadline_of[key]
            if not waiter[1].triggered:
                waiter[1].succeed()

    def also_wake(self, key, ev: simpy.Event) -> None:
        """Fire ``ev``, another terminal's arrival event, when cargo is next queued here for ``key``
        too (a ferry waiting for wagons or trucks at one berth)."""
        self._arrivals[key] = ev

    def oldest_wait_start(self, key) -> float | None:
        q = self.queues.get(key)
        return q[0][1] if q else None

    def take(self, key, max_units: float, free: bool = True) -> list[Lot]:
        """Pop up to ``max_units`` of cargo for ``key`` (FIFO), splitting the last lot if needed.

        With ``free=False`` the cargo is claimed but its yard space is kept until the caller
        calls ``release_space`` (a ship claims its cargo, then loads it from the yard at the berth).
        """
        q = self.queues.get(key)
        out: list[Lot] = []
        room = max_units
        while q and room > 1e-9:
            lot = q[0][0]
            if lot.units <= room + 1e-9:
                q.popleft()
                out.append(lot)
                room -= lot.units
            else:
                part = lot.split(room, self.ledger.new_id())
                self.ledger.adopt(part)
                out.append(part)
                room = 0.0
        taken = max_units - room
        if out:
            self.queued[key] = max(self.queued[key] - taken, 0.0) if q else 0.0
            if free:
                self._free(taken)
        return out

    def release_space(self, units: float) -> None:
        self._free(units)

    # -- arrivals --------------------------------------------------------------------------------
    def receive_train(self, train: Train, key):
        """Unload a train into the yard; blocks while the yard is full.

        Time held by a full yard is metered apart (``blocked``), since it is a symptom of what is
        downstream, not a shortage of tracks. Where it waits: on a port track (the track's
        utilization counts handling only), unless the terminal also sends trains on
        (``train_units``: cargo landed here leaves by rail, as empties and eastbound cargo do at a
        Caspian port used both ways); then it waits outside the port and takes a track only once
        there is room, because the trains formed here need the same tracks to leave, and a train
        holding one while it waits for space that only they can free would wait for ever.
        """
        if self.cfg.train_units is not None:
            if self.space.free_units < train.units:
                self.blocked.change(1)
                yield from self.space.reserve(train.units)
                self.blocked.change(-1)
            else:
                yield from self.space.reserve(train.units)
            yield from self.tracks.acquire()
        else:
            yield from self.tracks.acquire()
            if self.space.free_units < train.units:
                self.tracks.busy.change(-1)
                self.blocked.change(1)
                yield from self.space.reserve(train.units)
                self.blocked.change(-1)
                self.tracks.busy.change(1)
            else:
                yield from self.space.reserve(train.units)
        yield self.env.timeout(self.cfg.rail_handling_h)
        self.tracks.release()
        ask = self.reconsider if not isinstance(key, str) else None  # waiting for a Caspian ship
        for lot in train.lots:
            if ask is not None and lot.alts and lot.pool is None and self._leaves(ask, key, lot):
                continue
            self._enqueue(key, lot)

    def _leaves(self, ask, key, lot: Lot) -> bool:
        """Whether a consignment just unloaded for a ship leaves for an outside alternative, seeing
        how long the cargo at the head of its queue has waited; if so its yard space is freed and
        the ledger counts it as diverted from here. Only cargo without riding wagons or boxes
        leaves (a box on its own can be trucked or railed away; a wagon is the railway's)."""
        now = self.env.now
        head = self.oldest_wait_start(key)
        alt = ask(lot, now, now - head if head is not None else 0.0)
        if alt is None:
            return False
        lot.stamps.append((f"left:{self.port.id}", now))
        self._free(lot.units)
        self.ledger.withdraw(lot, now, alt, AT_PORT)
        return True

    def accept_origin_lot(self, lot: Lot, key) -> None:
        """Cargo that starts here (crude from the pipeline): backlog until the tank has room. No
        process: the lot is admitted at once, or by a callback on its grant."""
        ev = self.space.request(lot.units)
        if ev is None:
            self._admit(lot, key)
        else:
            ev.callbacks.append(lambda _: self._admit(lot, key))

    def _admit(self, lot: Lot, key) -> None:
        self.ledger.enter(lot, self.env.now)
        self._enqueue(key, lot)

    def try_reserve(self, units: float) -> bool:
        """Yard space for ``units`` now, if it is free and nothing waits for it (else nothing)."""
        return self.space.try_take(units)

    def force_space(self, units: float) -> None:
        """Yard space for cargo a ship must put ashore, beyond the capacity if need be."""
        self.space.force(units)

    def stays(self, lot: Lot) -> bool:
        """Whether a lot landed here waits in the yard (for an onward train) rather than ends here."""
        return lot.pos < len(lot.legs)

    def land(self, lot: Lot, reserved: bool = False):
        """A lot unloaded from a ship: delivered here, or queued for an onward train (in yard space
        it reserves, or that the ship ``reserved`` for it)."""
        now = self.env.now
        lot.stamps.append((f"land:{self.port.id}", now))
        if lot.pos >= len(lot.legs):
            self.ledger.deliver(lot, now, self.port.id)
            return
        if not reserved:
            yield from self.space.reserve(lot.units)
        key = lot.legs[lot.pos :]
        self._enqueue(key, lot)
        if key not in self._formers:
            self._formers.add(key)
            self.env.process(self._form_trains(key))

    # -- onward trains -------------------------------------------------------------------------
    def _form_trains(self, key):
        """Form onward trains of train_units, or smaller after train_max_wait_h."""
        env = self.env
        size = self.cfg.train_units
        assert size is not None, "a terminal that sends cargo on by rail has train_units (checked on loading)"
        while True:
            while self.queued.get(key, 0.0) <= 1e-9:
                yield self.arrival(key)
            while self.queued[key] < size - 1e-9:
                oldest_h = self.oldest_wait_start(key)
                assert oldest_h is not None, "cargo is queued for key (queued > 0)"
                deadline_h = oldest_h + self.cfg.train_max_wait_h
                if deadline_h <= env.now:
                    break
                yield self.arrival(key, until_h=deadline_h)
            units = min(self.queued[key], size)
            held = None
            if self.stock is not None:
                # the cars and locomotive first: while they are short, the cargo stays in the yard
                held = yield from self.stock.reserve(self.cargo, units, key[0])
            yield from self.tracks.acquire()
            taken = self.take(key, units)
            yield env.timeout(self.cfg.rail_handling_h)
            self.tracks.release()
            if taken:
                train = Train(taken)
                train.stock = held
                self.start_train(train, key)
