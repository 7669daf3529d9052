"""FIFO servers and yards that grant at once when they can, and own their capacity.

SimPy's Resource and Container send every request through the event queue, even when a server is
free: the request is an event, the process resumes only when the kernel processes it, and every
release is one more event that nobody waits for. Here a request that can be served at once is
granted in the caller and the process runs on; only a request that has to wait gets an event,
triggered when its turn comes. Releases never need one. Which process gets a server, and when,
is the same as with SimPy: FIFO, granted as soon as a server is free.

Capacity changes (a timeline entry adds berths, tracks or yard space) go through ``set_capacity``,
the only place capacity changes.
"""

from __future__ import annotations

from collections import deque

import simpy
from simpy.events import URGENT

from .meters import Counter, Meter

#: Tests set this to send grants-at-once through the event queue, as SimPy does, and check that
#: the results do not change.
GRANTS_VIA_KERNEL = False


class _GrantedNow(simpy.Event):
    """A grant through the kernel: triggered at creation and scheduled URGENT, as SimPy's own
    Initialize, so the process resumes before any other event of this instant, which is where
    the fast path runs on. (A NORMAL-priority grant would let processes resumed at the same
    instant run in between: two ships landing cargo at the same instant would interleave their
    lots in the yard's queue instead of landing one after the other.)"""

    def __init__(self, env: simpy.Environment):
        super().__init__(env)
        self._ok = True
        self._value = None
        env.schedule(self, URGENT)


class Server:
    """``capacity`` identical servers and one FIFO queue.

    ``yield from s.acquire()`` takes a server, waiting in line when none is free; ``s.release()``
    gives it back. ``request()`` is the same without a process: None when granted at once, else
    the event that fires at the grant. Users already served keep their server when capacity falls; waiting requests
    are granted, in order, as servers free up or capacity rises.

    >>> env = simpy.Environment()
    >>> s = Server(env, 1)
    >>> log = []
    >>> def user(name, hold_h):
    ...     yield from s.acquire()
    ...     log.append((name, env.now))
    ...     yield env.timeout(hold_h)
    ...     s.release()
    >>> for name in "abc":
    ...     _ = env.process(user(name, 2.0))
    >>> env.run()
    >>> log
    [('a', 0), ('b', 2.0), ('c', 4.0)]
    """

    __slots__ = ("env", "capacity", "users", "_waiting")

    def __init__(self, env: simpy.Environment, capacity: int):
        self.env = env
        self.capacity = int(capacity)
        self.users = 0
        self._waiting: deque[tuple[simpy.Event, float]] = deque()

    def request(self) -> simpy.Event | None:
        if self.users < self.capacity and not self._waiting:
            self.users += 1
            self._granted(self.env.now, queued=False)
            return _GrantedNow(self.env) if GRANTS_VIA_KERNEL else None
        ev = self.env.event()
        self._waiting.append((ev, self.env.now))
        self._queued()
        return ev

    def acquire(self):
        ev = self.request()
        if ev is not None:
            yield ev

    def release(self) -> None:
        self.users -= 1
        self._serve()

    def set_capacity(self, n: int) -> None:
        self.capacity = int(n)
        self._serve()

    def _serve(self) -> None:
        waiting = self._waiting
        while waiting and self.users < self.capacity:
            ev, t_asked = waiting.popleft()
            self.users += 1
            self._granted(t_asked, queued=True)
            ev.succeed()

    # hooks for the metered server
    def _granted(self, t_asked: float, queued: bool) -> None:
        pass

    def _queued(self) -> None:
        pass


class MonitoredResource(Server):
    """A server whose occupancy, queue and waits are metered by year.

    Kinds name what the resource is (crossing, berth, rail_track); the bottleneck ranking compares
    resources by utilization and queue. A request granted at once never counts as queued.
    """

    __slots__ = ("name", "kind", "where", "busy", "queue", "grants")

    def __init__(self, env: simpy.Environment, bounds: list[float], name: str, kind: str, capacity: int, where: str):
        super().__init__(env, capacity)
        self.name = name
        self.kind = kind
        self.where = where
        self.busy = Meter(env, bounds)
        self.queue = Meter(env, bounds)
        self.grants = Counter(bounds)

    def release(self) -> None:
        self.busy.change(-1)
        Server.release(self)

    def _granted(self, t_asked: float, queued: bool) -> None:
        now = self.env.now
        if queued:
            self.queue.change(-1)
        self.busy.change(1)
        self.grants.add(now, now - t_asked)

    def _queued(self) -> None:
        self.queue.change(1)

    def close(self, end_h: float) -> None:
        self.busy.close(end_h)
        self.queue.close(end_h)


class Yard:
    """Space for cargo units (TEU, wagons, tonnes of crude) with a FIFO line of reservations.

    ``yield from y.reserve(units)`` takes space, waiting while there is not enough; the first in
    line blocks those behind it, as in a SimPy Container, so a large train is not overtaken
    forever by small lots. ``release(units)`` gives space back. ``fill`` meters the units held.
    ``request(units)`` is ``reserve`` without a process: None when granted at once, else the event
    that fires at the grant.

    >>> env = simpy.Environment()
    >>> y = Yard(env, 10.0, Meter(env, [0.0, 100.0]))
    >>> log = []
    >>> def lot(name, units):
    ...     yield from y.reserve(units)
    ...     log.append((name, env.now))
    >>> def leave(at_h, units):
    ...     yield env.timeout(at_h)
    ...     y.release(units)
    >>> for name, units in (("a", 8.0), ("b", 5.0), ("c", 1.0)):
    ...     _ = env.process(lot(name, units))
    >>> _ = env.process(leave(3.0, 8.0))
    >>> env.run()
    >>> log, y.free_units
    ([('a', 0), ('b', 3.0), ('c', 3.0)], 4.0)
    """

    __slots__ = ("env", "capacity_units", "free_units", "fill", "_waiting")

    def __init__(self, env: simpy.Environment, capacity_units: float, fill: Meter):
        self.env = env
        self.capacity_units = capacity_units
        self.free_units = capacity_units
        self.fill = fill
        # (units, event to trigger); a None event is a capacity cut waiting for the space to empty
        self._waiting: deque[tuple[float, simpy.Event | None]] = deque()

    def request(self, units: float) -> simpy.Event | None:
        if not self._waiting and self.free_units >= units:
            self.free_units -= units
            self.fill.change(units)
            return _GrantedNow(self.env) if GRANTS_VIA_KERNEL else None
        ev = self.env.event()
        self._waiting.append((units, ev))
        return ev

    def reserve(self, units: float):
        ev = self.request(units)
        if ev is not None:
            yield ev

    def try_take(self, units: float) -> bool:
        """Take space at once if it is free and no one is waiting for it; else take nothing."""
        if self._waiting or self.free_units < units:
            return False
        self.free_units -= units
        self.fill.change(units)
        return True

    def force(self, units: float) -> None:
        """Take space even beyond the capacity (cargo a ship must put ashore): the yard is then
        over-full, and nothing waiting enters until enough has left."""
        self.free_units -= units
        self.fill.change(units)

    def release(self, units: float) -> None:
        self.free_units += units
        self.fill.change(-units)
        self._serve()

    def set_capacity(self, units: float) -> None:
        """A bigger yard takes waiting cargo at once; a smaller one loses its space as cargo
        leaves, in line with the reservations (nothing already in the yard is pushed out)."""
        delta = units - self.capacity_units
        self.capacity_units = units
        if delta > 0:
            self.free_units += delta
            self._serve()
        elif delta < 0:
            self._waiting.append((-delta, None))
            self._serve()

    def _serve(self) -> None:
        waiting = self._waiting
        while waiting and self.free_units >= waiting[0][0]:
            units, ev = waiting.popleft()
            self.free_units -= units
            if ev is not None:
                self.fill.change(units)
                ev.succeed()
