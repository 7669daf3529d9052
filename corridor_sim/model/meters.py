"""Time-weighted statistics by calendar year, updated at each state change.

A Meter integrates a level (servers busy, trains queued, TEU in a yard) over time and splits the
integral at year boundaries, so utilization and mean queue per year cost O(1) per change and need
no event log. Only t >= 0 counts: the warm-up is excluded.
"""
from __future__ import annotations

import bisect

import simpy


class Meter:
    __slots__ = ("env", "bounds", "level", "t_last", "area", "peak", "_i", "_end")

    def __init__(self, env: simpy.Environment, bounds: list[float], level: float = 0.0):
        self.env = env
        self.bounds = bounds            # year starts: [y0, y1, ..., y_end]
        self.level = level
        self.t_last = env.now
        n = len(bounds) - 1
        self.area = [0.0] * n
        self.peak = [0.0] * n
        self._i = -1
        self._end = bounds[0]           # before the first year: nothing accumulates
        self._locate(env.now)

    def _locate(self, t: float) -> None:
        i = bisect.bisect_right(self.bounds, t) - 1
        self._i = i if 0 <= i < len(self.area) else (-1 if t < self.bounds[0] else len(self.area))
        if self._i < 0:
            self._end = self.bounds[0]
        elif self._i >= len(self.area):
            self._end = float("inf")
        else:
            self._end = self.bounds[self._i + 1]
            if self.level > self.peak[self._i]:
                self.peak[self._i] = self.level

    def _advance(self, t: float) -> None:
        while t >= self._end and self._i < len(self.area):
            if self._i >= 0:
                self.area[self._i] += self.level * (self._end - self.t_last)
            self.t_last = self._end
            self._locate(self._end)
        if 0 <= self._i < len(self.area):
            self.area[self._i] += self.level * (t - self.t_last)
        self.t_last = t

    def change(self, delta: float) -> None:
        self.set(self.level + delta)

    def set(self, level: float) -> None:
        self._advance(self.env.now)
        self.level = level
        if 0 <= self._i < len(self.area) and level > self.peak[self._i]:
            self.peak[self._i] = level

    def close(self) -> None:
        self._advance(self.env.now)

    def advance_to(self, t: float) -> None:
        """Integrate the current level up to ``t`` (no earlier than the last change), so that a
        year that ends at ``t`` can be read before the clock gets there."""
        self._advance(max(t, self.t_last))

    def mean(self, i: int) -> float:
        span = self.bounds[i + 1] - self.bounds[i]
        return self.area[i] / span if span > 0 else 0.0


class Counter:
    """Events and their summed waits per year (for arrival rates and mean waits)."""

    __slots__ = ("bounds", "count", "wait_sum")

    def __init__(self, bounds: list[float]):
        self.bounds = bounds
        n = len(bounds) - 1
        self.count = [0] * n
        self.wait_sum = [0.0] * n

    def add(self, t: float, wait: float = 0.0) -> int | None:
        """Count one event at t; return its year index (None outside the statistics period)."""
        i = bisect.bisect_right(self.bounds, t) - 1
        if 0 <= i < len(self.count):
            self.count[i] += 1
            self.wait_sum[i] += wait
            return i
        return None


class MonitoredResource:
    """A SimPy resource whose occupancy, queue and waits are metered by year.

    Kinds name what the resource is (rail_path, crossing, berth, rail_track); the bottleneck
    ranking compares resources by utilization and queue.
    """

    def __init__(self, env: simpy.Environment, bounds: list[float], name: str, kind: str,
                 capacity: int, where: str):
        self.env = env
        self.name = name
        self.kind = kind
        self.where = where
        self.res = simpy.Resource(env, capacity=capacity)
        self.busy = Meter(env, bounds)
        self.queue = Meter(env, bounds)
        self.grants = Counter(bounds)

    @property
    def capacity(self) -> int:
        return self.res.capacity

    def set_capacity(self, n: int) -> None:
        """Change the number of servers at run time (SimPy has no public setter). Users already
        served keep their slot when capacity falls; waiting requests are granted when it rises."""
        self.res._capacity = int(n)
        self.res._trigger_put(None)

    def acquire(self):
        """``req = yield from r.acquire()``; waits its turn and meters it."""
        t0 = self.env.now
        self.queue.change(1)
        req = self.res.request()
        yield req
        self.queue.change(-1)
        self.busy.change(1)
        self.grants.add(self.env.now, self.env.now - t0)
        return req

    def release(self, req) -> None:
        self.res.release(req)
        self.busy.change(-1)

    def close(self) -> None:
        self.busy.close()
        self.queue.close()
