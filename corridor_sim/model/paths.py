"""A rail link's train paths, with the non-corridor trains computed instead of simulated.

A link's capacity is one FIFO server whose service time is the headway (24 h / paths_per_day) in
force when the service starts. Two streams share it: corridor trains, processes that book a path
when they reach the link, and background trains (Dostyk carries mostly China-Europe traffic via
Russia), a Poisson stream that exists here only as numbers. Each background arrival is drawn and
placed by Lindley's recursion, start = max(arrival, end of the previous service), end = start +
headway, when something needs the schedule: a corridor train booking a path, a timeline change
to the link, or the end of the run. That gives exactly the schedule of a FIFO server fed by both
streams, with no kernel event for a background train; a corridor train that has to wait costs one
event (its wake-up at its start).

A timeline change advances the schedule to its instant with the old parameters first. Services
started by then keep their headway; services not yet started are re-timed with the new one, and a
corridor train whose start moves earlier is woken (interrupted) to sleep until its new start. The
background rate changes from that instant: the time to the next arrival, exponential and
memoryless, is rescaled to the new rate.
"""
from __future__ import annotations

import bisect
from collections import deque

import numpy as np
import simpy

from .meters import Counter, Meter

_DRAWS = 512      # standard exponential gaps drawn per batch (the same numbers as one at a time)


class Slot:
    """One train's place in a link's FIFO: when it arrived, starts and ends its service (h); the
    process to wake if its start moves earlier (None for a background train)."""

    __slots__ = ("arrival_h", "start_h", "end_h", "process")

    def __init__(self, arrival_h: float, start_h: float, end_h: float, process: simpy.Process | None):
        self.arrival_h = arrival_h
        self.start_h = start_h
        self.end_h = end_h
        self.process = process


class RailPaths:
    """A link's paths, metered by year like a one-server resource (busy time, queue, waits).

    ``book`` returns a corridor train's Slot; the train sleeps until ``slot.start_h`` (again, if a
    timeline change interrupts it) and holds the path until ``slot.end_h``.

    >>> env = simpy.Environment(initial_time=0.0)
    >>> p = RailPaths(env, [0.0, 100.0], "l:paths", "l", headway_h=2.0, background_per_day=0.0,
    ...               rng=np.random.default_rng(1))
    >>> a, b = p.book(), p.book()
    >>> (a.start_h, a.end_h), (b.start_h, b.end_h)
    ((0.0, 2.0), (2.0, 4.0))
    >>> p.close(100.0)
    >>> p.busy.area, p.queue.area, p.grants.count, p.grants.wait_sum
    ([4.0], [2.0], [2], [2.0])
    """

    kind = "rail_path"
    capacity = 1

    def __init__(self, env: simpy.Environment, bounds: list[float], name: str, where: str,
                 headway_h: float, background_per_day: float, rng: np.random.Generator):
        self.env = env
        self.name = name
        self.where = where
        self.bounds = bounds
        self.busy = Meter(env, bounds)
        self.queue = Meter(env, bounds)
        self.grants = Counter(bounds)
        self.headway_h = headway_h
        self._rng = rng
        self._gaps: list[float] = []
        self._k = 0
        self._mean_gap_h = _mean_gap_h(background_per_day)
        self._next_h = self._next_arrival_h(env.now)                 # the next background train
        self._free_h = -float("inf")      # end of the last service started
        self._waiting: deque[Slot] = deque()   # booked, not started by the schedule's clock
        self._at_bound = [0] * len(bounds)     # trains waiting across each year start

    # -- the schedule ------------------------------------------------------------------------------
    def _gap(self) -> float:
        if self._k == len(self._gaps):
            self._gaps = self._rng.standard_exponential(_DRAWS).tolist()
            self._k = 0
        self._k += 1
        return self._gaps[self._k - 1]

    def _next_arrival_h(self, after_h: float) -> float:
        mean = self._mean_gap_h
        return after_h + self._gap() * mean if mean < float("inf") else float("inf")

    def _tail_h(self) -> float:
        return self._waiting[-1].end_h if self._waiting else self._free_h

    def _start_due(self, t: float) -> None:
        """Meter the waiting trains whose service starts at or before t."""
        waiting = self._waiting
        while waiting and waiting[0].start_h <= t:
            s = waiting.popleft()
            self._free_h = s.end_h
            self._meter(s.arrival_h, s.start_h, s.end_h)

    def _arrive(self, t: float, process: simpy.Process | None = None, corridor: bool = False) -> Slot | None:
        """A train arrives at t: place it in the FIFO. A corridor train gets its Slot; a background
        train served at once is only metered."""
        self._start_due(t)
        start = max(t, self._tail_h())
        end = start + self.headway_h
        if start <= t:
            self._free_h = end
            self._meter(t, start, end)
            return Slot(t, start, end, process) if corridor else None
        slot = Slot(t, start, end, process)
        self._waiting.append(slot)
        self.queue.raise_peak(t, len(self._waiting))
        return slot

    def _advance(self, t: float) -> None:
        """Place every background arrival before t, and meter every service started by t."""
        while self._next_h < t:
            self._arrive(self._next_h)
            self._next_h += self._gap() * self._mean_gap_h
        self._start_due(t)

    def _meter(self, arrival_h: float, start_h: float, end_h: float) -> None:
        self.busy.add_span(start_h, end_h)
        if start_h > arrival_h:
            self.queue.add_span(arrival_h, start_h)
            # the queue carried into a year is a candidate for that year's peak, as in a Meter
            b = self.bounds
            k = bisect.bisect_right(b, arrival_h)
            while k < len(b) - 1 and b[k] <= start_h:
                self._at_bound[k] += 1
                self.queue.raise_peak(b[k], self._at_bound[k])
                k += 1
        self.grants.add(start_h, start_h - arrival_h)

    # -- what the model calls ----------------------------------------------------------------------
    def book(self) -> Slot:
        """The active process, a corridor train, asks for a path now."""
        now = self.env.now
        self._advance(now)
        return self._arrive(now, self.env.active_process, corridor=True)

    def reconfigure(self, headway_h: float, background_per_day: float) -> None:
        now = self.env.now
        self._advance(now)
        self.headway_h = headway_h
        prev = self._free_h
        for slot in self._waiting:
            start = max(slot.arrival_h, prev)
            moved_earlier = start < slot.start_h
            slot.start_h, slot.end_h = start, start + headway_h
            prev = slot.end_h
            if moved_earlier and slot.process is not None:
                slot.process.interrupt("timetable change")
        mean_gap_h = _mean_gap_h(background_per_day)
        if mean_gap_h != self._mean_gap_h:
            old, self._mean_gap_h = self._mean_gap_h, mean_gap_h
            if old == float("inf") or mean_gap_h == float("inf"):
                self._next_h = self._next_arrival_h(now)
            else:
                self._next_h = now + (self._next_h - now) * (mean_gap_h / old)

    def close(self, end_h: float) -> None:
        """Place the background trains up to the end of the run and meter what is still waiting."""
        self._advance(end_h)
        while self._waiting:
            s = self._waiting.popleft()
            self._meter(s.arrival_h, s.start_h, s.end_h)


def _mean_gap_h(trains_per_day: float) -> float:
    return 24.0 / trains_per_day if trains_per_day > 0 else float("inf")
