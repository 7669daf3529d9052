"""Time-weighted statistics by calendar year, updated at each state change.

A Meter integrates a level (servers busy, trains queued, TEU in a yard) over time and splits the
integral at year boundaries, so utilization and mean queue per year cost O(1) per change and need
no event log. Only t >= 0 counts: the warm-up is excluded.
"""

from __future__ import annotations

import bisect
import math
from enum import StrEnum
from typing import NamedTuple

import simpy


class ResourceKind(StrEnum):
    """What a capacity-bearing resource is (the ``kind`` column of the resources table)."""

    RAIL_PATH = "rail_path"  # a rail link's train paths
    CROSSING = "crossing"  # a border or gauge-change station's servers
    BERTH = "berth"  # a terminal's berths
    RAIL_TRACK = "rail_track"  # a terminal's loading tracks
    FLEET = "fleet"  # a vessel group on its line
    YARD = "yard"  # a terminal's yard (a level, not servers)
    STOCK = "rolling_stock"  # a pool of wagons, flat cars, tank cars, boxes or locomotives (model.stock)


class ResourceYear(NamedTuple):
    """One row of ``resources``: one capacity-bearing resource in one year."""

    year: int
    resource: str
    kind: str  # a ResourceKind value
    where: str  # the link, port or sea line it belongs to
    capacity: float  # servers, units (a yard), or vessels in service (time-averaged)
    utilization: float  # busy share of capacity; a yard's mean fill share
    mean_queue: float  # time-averaged, in queue_unit
    max_queue: float
    queue_unit: str
    blocked_share: float  # port tracks: share of track time held by trains waiting for yard space
    entries: float  # grants in the year
    mean_wait_h: float  # mean wait of a grant; a fleet's cargo's wait in the origin yard
    # berths: share of the busy time held by non-corridor calls (nan where nothing else is metered;
    # rail paths' other trains show in entries, see capacity._tonnes)
    background_share: float = math.nan


NAN = math.nan


class Meter:
    """A level integrated over time by year (``bounds``: the year starts and the end of the run),
    with its peak per year. ``bins``, when set, is a second Meter over shorter spans (the levels
    table's bins) that follows every change of this one."""

    __slots__ = ("env", "bounds", "level", "t_last", "area", "peak", "_i", "_end", "bins")

    def __init__(self, env: simpy.Environment, bounds: list[float], level: float = 0.0):
        self.env = env
        self.bins: Meter | None = None
        self.bounds = bounds  # year starts: [y0, y1, ..., y_end]
        self.level = level
        self.t_last = env.now
        n = len(bounds) - 1
        self.area = [0.0] * n
        self.peak = [0.0] * n
        self._i = -1
        self._end = bounds[0]  # before the first year: nothing accumulates
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
        now = self.env.now
        i = self._i
        if now < self._end:  # the same year: _advance without the call (servers' hot path)
            if 0 <= i < len(self.area):
                self.area[i] += self.level * (now - self.t_last)
            self.t_last = now
        else:
            self._advance(now)
            i = self._i
        self.level = level
        if 0 <= i < len(self.area) and level > self.peak[i]:
            self.peak[i] = level
        if self.bins is not None:
            self.bins.set(level)

    def follow(self, bounds: list[float]) -> Meter:
        """Also meter this level over the spans between ``bounds`` (from now on); returns that Meter."""
        self.bins = Meter(self.env, bounds, self.level)
        return self.bins

    def add_span(self, t0: float, t1: float, level: float = 1.0) -> None:
        """Add ``level`` held over [t0, t1) to the yearly areas, for a schedule computed ahead of the
        clock (rail paths); ``level``/``set`` are not used then. The peak of each year the span
        touches rises to ``level`` at least."""
        b, area, peak = self.bounds, self.area, self.peak
        i = max(bisect.bisect_right(b, t0) - 1, 0)
        while i < len(area) and b[i] < t1:
            d = min(t1, b[i + 1]) - max(t0, b[i])
            if d > 0:
                area[i] += level * d
                if level > peak[i]:
                    peak[i] = level
            i += 1

    def raise_peak(self, t: float, level: float) -> None:
        """A level reached at t counts for the peak of t's year."""
        i = bisect.bisect_right(self.bounds, t) - 1
        if 0 <= i < len(self.peak) and level > self.peak[i]:
            self.peak[i] = level

    def close(self, end_h: float) -> None:
        """Integrate the level up to the end of the run (the clock stops at the last event)."""
        self._advance(end_h)
        if self.bins is not None:
            self.bins.close(end_h)

    def advance_to(self, t: float) -> None:
        """Integrate the current level up to ``t`` (no earlier than the last change), so that a
        year that ends at ``t`` can be read before the clock gets there."""
        self._advance(max(t, self.t_last))

    def mean(self, i: int) -> float:
        span = self.bounds[i + 1] - self.bounds[i]
        return self.area[i] / span if span > 0 else 0.0


class Tally:
    """A quantity summed by the year it happens in (units shipped, tonnes entering a link).

    >>> t = Tally([0.0, 10.0, 20.0]); t.add(5.0, 2.0); t.add(15.0, 3.0); t.add(-1.0, 9.0); t.total
    [2.0, 3.0]
    """

    __slots__ = ("bounds", "total")

    def __init__(self, bounds: list[float]):
        self.bounds = bounds
        self.total = [0.0] * (len(bounds) - 1)

    def add(self, t: float, amount: float) -> None:
        i = bisect.bisect_right(self.bounds, t) - 1
        if 0 <= i < len(self.total):
            self.total[i] += amount


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


def year_rows(
    res,
    years: list[int],
    queue_unit: str,
    blocked: list[float] | None = None,
    background: list[float] | None = None,
) -> list[ResourceYear]:
    """The resources-table rows of a metered server (``servers.MonitoredResource``, ``paths.RailPaths``):
    utilization, queue and waits in each year. ``blocked``: the yearly share of its capacity held
    by users that wait for something downstream (port tracks behind a full yard). ``background``:
    the yearly share of its busy time held by non-corridor users (berths)."""
    rows = []
    for i, y in enumerate(years):
        n = res.grants.count[i]
        rows.append(
            ResourceYear(
                y,
                res.name,
                str(res.kind),
                res.where,
                res.capacity,
                res.busy.mean(i) / res.capacity,
                res.queue.mean(i),
                res.queue.peak[i],
                queue_unit,
                blocked[i] if blocked is not None else NAN,
                n,
                res.grants.wait_sum[i] / n if n else NAN,
                background[i] if background is not None else NAN,
            )
        )
    return rows
