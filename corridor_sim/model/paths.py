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
corridor train whose start or end moves earlier is woken (interrupted) to sleep again. The
background rate changes from that instant: the time to the next arrival, exponential and
memoryless, is rescaled to the new rate.
"""

from __future__ import annotations

import bisect
from collections import deque
from typing import final

import numpy as np
import simpy

from .meters import Counter, Meter, ResourceKind

_DRAWS = 512  # standard exponential gaps drawn per batch (the same numbers as one at a time)


@final  # so that ``type(w) is Slot`` tells a Slot from a float to the type checker both ways
class Slot:
    """A corridor train's place in a link's FIFO: when it arrived, starts and ends its service (h),
    and its process, to wake if a timetable change moves its slot earlier."""

    __slots__ = ("arrival_h", "start_h", "end_h", "process")

    def __init__(self, arrival_h: float, start_h: float, end_h: float, process: simpy.Process | None):
        self.arrival_h = arrival_h
        self.start_h = start_h
        self.end_h = end_h
        self.process = process


class RailPaths:
    """A link's paths, metered by year like a one-server resource (busy time, queue, waits).

    ``book`` returns a corridor train's Slot: the train starts at ``slot.start_h`` and holds the
    path until ``slot.end_h``, both final once the start has passed; a timeline change before that
    re-times the slot and interrupts the train if it moved earlier.

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

    kind = ResourceKind.RAIL_PATH
    capacity = 1

    def __init__(
        self,
        env: simpy.Environment,
        bounds: list[float],
        name: str,
        where: str,
        headway_h: float,
        background_per_day: float,
        rng: np.random.Generator,
    ):
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
        self._next_h = self._next_arrival_h(env.now)  # the next background train
        self._free_h = -float("inf")  # end of the last service started
        self._tail_h = -float("inf")  # end of the last service placed (started or waiting)
        # The trains waiting, in order. While trains wait, each starts when the one before ends, so
        # a background train is kept as its arrival time alone; a corridor train as its Slot.
        self._waiting: deque[float | Slot] = deque()
        self._at_bound = [0] * len(bounds)  # trains waiting across each year start
        self._year = (0, -float("inf"), -float("inf"))  # (index, start, end) of the year last metered

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

    def _start_due(self, t: float) -> None:
        """Meter the waiting trains whose service starts at or before t."""
        waiting = self._waiting
        while waiting and self._free_h <= t:
            w = waiting.popleft()
            if type(w) is Slot:
                self._free_h = w.end_h
                self._meter(w.arrival_h, w.start_h, w.end_h)
            else:
                start = self._free_h
                self._free_h = start + self.headway_h
                self._meter(w, start, self._free_h)

    def _arrive(self, t: float, process: simpy.Process | None = None) -> Slot:
        """A corridor train arrives at t: its place in the FIFO."""
        self._start_due(t)
        start = max(t, self._tail_h)
        slot = Slot(t, start, start + self.headway_h, process)
        self._tail_h = slot.end_h
        if start <= t:
            self._free_h = slot.end_h
            self._meter(t, start, slot.end_h)
        else:
            self._waiting.append(slot)
            self.queue.raise_peak(t, len(self._waiting))
        return slot

    def _advance(self, t: float) -> None:
        """Place every background arrival before t (Lindley's recursion), and meter every service
        started by t. This loop is the model's innermost, so it inlines ``_start_due`` and the
        metering of a service inside the year last metered (``_meter`` does the rest)."""
        if self._next_h < t:
            waiting = self._waiting
            headway, mean_gap = self.headway_h, self._mean_gap_h
            gaps, k = self._gaps, self._k
            i, lo, hi = self._year
            busy, queue, peak = self.busy.area, self.queue.area, self.queue.peak
            count, wait_sum = self.grants.count, self.grants.wait_sum
            free, tail = self._free_h, self._tail_h
            a = self._next_h
            while a < t:
                while waiting and free <= a:
                    w = waiting.popleft()
                    if type(w) is Slot:
                        arrival, start, free = w.arrival_h, w.start_h, w.end_h
                    else:
                        arrival, start = w, free
                        free = start + headway
                    if lo <= arrival and free <= hi:
                        if i >= 0:
                            wait = start - arrival
                            busy[i] += free - start
                            queue[i] += wait
                            count[i] += 1
                            wait_sum[i] += wait
                    else:
                        self._meter(arrival, start, free)
                        i, lo, hi = self._year
                if tail > a:
                    waiting.append(a)
                    tail += headway
                    n = len(waiting)
                    if lo <= a < hi and i >= 0:
                        if n > peak[i]:
                            peak[i] = n
                    else:
                        self.queue.raise_peak(a, n)
                else:
                    free = tail = a + headway
                    if lo <= a and free <= hi:
                        if i >= 0:
                            busy[i] += headway
                            count[i] += 1
                    else:
                        self._meter(a, a, free)
                        i, lo, hi = self._year
                if k == len(gaps):
                    gaps, k = self._rng.standard_exponential(_DRAWS).tolist(), 0
                    self._gaps = gaps
                a += gaps[k] * mean_gap
                k += 1
            self._next_h, self._k, self._free_h, self._tail_h = a, k, free, tail
        if self._waiting and self._free_h <= t:
            self._start_due(t)

    def _meter(self, arrival_h: float, start_h: float, end_h: float) -> None:
        i, lo, hi = self._year
        if lo <= arrival_h and end_h <= hi:
            # inside one year (peaks are raised at arrivals, and by the first span of the year)
            if i >= 0:
                wait = start_h - arrival_h
                self.busy.area[i] += end_h - start_h
                self.queue.area[i] += wait
                self.grants.count[i] += 1
                self.grants.wait_sum[i] += wait
            return
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
        # remember start_h's year (the warm-up is year -1, where nothing is metered)
        b = self.bounds
        k = bisect.bisect_right(b, start_h) - 1
        if k < 0:
            self._year = (-1, -float("inf"), b[0])
        elif k < len(b) - 1:
            self._year = (k, b[k], b[k + 1])

    # -- what the model calls ----------------------------------------------------------------------
    def book(self) -> Slot:
        """The active process, a corridor train, asks for a path now."""
        now = self.env.now
        self._advance(now)
        return self._arrive(now, self.env.active_process)

    def reconfigure(self, headway_h: float, background_per_day: float) -> None:
        """A timetable change now (the caller is the timeline process, never a waiting train)."""
        now = self.env.now
        self._advance(now)
        self.headway_h = headway_h
        # everyone still waiting arrived by now and the path is busy past now: back to back again
        end = self._free_h
        for w in self._waiting:
            start, end = end, end + headway_h
            if type(w) is Slot:
                moved_earlier = start < w.start_h or end < w.end_h
                w.start_h, w.end_h = start, end
                if moved_earlier and w.process is not None:
                    w.process.interrupt("timetable change")
        self._tail_h = end
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
        self._start_due(float("inf"))


def _mean_gap_h(trains_per_day: float) -> float:
    return 24.0 / trains_per_day if trains_per_day > 0 else float("inf")
