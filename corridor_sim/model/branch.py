"""A run that turns into the run of another timeline at a date: the time before it simulated once.

Two scenarios that differ only in timeline entries dated ``d`` or later make the same run until
``d``, event for event, when three things hold (``branch_hour`` checks them):

- every timeline entry before ``d`` is the same, in the same order, with the same effect;
- the flows' look-ahead sees no difference: a flow's demand accrues up to the next month start or
  the next timeline change (``Model.next_change_h``), whichever is first. An entry dated 31
  December makes the flows of its scenario stop at that hour, the other's not, so from 1 December
  (when they look ahead past the 31st) the runs differ; before the start of the month that holds
  the first difference no flow looks past it, so the runs are one until then. The branch hour is
  the first difference where it is a month start (or a change both timelines have then), else
  the start of its month;
- the event that wakes the timeline at ``d`` takes, in the run turned into the other, the place
  in the event queue (time, priority, id) its own run would have given it. Its timeline process
  created it when it applied the last entry before ``d`` (or when it started), at the moment the
  trunk's created its own next timeout (or ended, taking the same event id): ``become``
  re-targets that event, so the order of everything at the same hour is the other run's.

``become`` then gives the model the other scenario and the rest of its timeline. What it cannot
do (a trunk with no timeline process, an interpreter whose event counter cannot be read) it
refuses (None), and the caller runs the other scenario in full. ``experiments.branches`` forks a
worker at ``d`` so both runs go on; tests/test_heavy_jobs.py checks the branched runs against
full ones, table for table.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any

from simpy.core import NORMAL
from simpy.events import Event, Process

from ..calendar import Calendar
from ..scenario.schema import Scenario
from ..scenario.timeline import timeline
from .build import Model

# what may differ between two scenarios that run as one until a date: their timelines, and the
# names and notes that say which variant each is
_OWN = {"timeline", "name", "label", "notes", "description"}


def _entries(cal: Calendar, s: Scenario, end_h: float) -> list[tuple[float, Any, Scenario]]:
    """The timeline entries of ``s`` that come within the run: (hour, entry, the scenario after it)."""
    return [(cal.date_h(iv.date), iv, after) for iv, after in timeline(s) if cal.date_h(iv.date) < end_h]


def branch_hour(trunk: Scenario, other: Scenario) -> float | None:
    """The hour until which a run of ``other`` is the run of ``trunk`` (module docstring), or None
    when they differ from the start, do not differ at all, or cannot share any time."""
    if (trunk.start_year, trunk.end_year, trunk.warmup_days) != (other.start_year, other.end_year, other.warmup_days):
        return None
    if trunk.model_dump(exclude=_OWN) != other.model_dump(exclude=_OWN):
        return None
    cal = Calendar(trunk.start_year, trunk.end_year)
    end_h, t0 = cal.end_h, -trunk.warmup_days * 24.0
    a, b = _entries(cal, trunk, end_h), _entries(cal, other, end_h)
    k = 0
    while k < min(len(a), len(b)) and a[k][0] == b[k][0] and a[k][1] == b[k][1]:
        k += 1
    if k == len(a) == len(b):
        return None  # the same timeline: the same run
    d = min(x[k][0] for x in (a, b) if k < len(x))
    both = any(t == d for t, _, _ in a[:k])  # a change both have at d (their first k are the same)
    if not both:
        d = cal.month_start_h(d)  # d itself at a month start; before d's month no flow looks past it
    return d if d > t0 else None


def become(model: Model, other: Scenario) -> int | None:
    """Turn ``model``, stopped before its first event at the branch hour (``branch_hour``), into
    the run of ``other`` from here: its scenario, the rest of its timeline, and the event that
    wakes the timeline next put where ``other``'s own run puts it. Returns the change to the
    count of events (the trunk's ended timeline process was one event more), or None where it
    cannot (the caller then runs ``other`` in full)."""
    env = model.env
    now = env.now
    entries = _entries(model.cal, other, model.bounds[-1])
    rest = [e for e in entries if e[0] >= now]
    if not rest or model.timeline_proc is None:
        return None
    proc = model.timeline_proc
    wake = Event(env)
    wake._ok, wake._value = True, None
    if proc.is_alive:
        target = proc._target
        at = [i for i, q in enumerate(env._queue) if q[3] is target]
        if len(at) != 1:
            return None
        _, prio, taken, _ = env._queue[at[0]]
        env._queue[at[0]] = (rest[0][0], prio, taken, wake)
        heapq.heapify(env._queue)
        delta = 0
    else:
        ended = model.timeline_end_eid
        if ended is None:
            return None
        heapq.heappush(env._queue, (rest[0][0], NORMAL, ended, wake))
        proc = Process.__new__(Process)  # a process resumed by ``wake``, as the other run's is
        proc.env, proc.callbacks = env, []
        delta = -1  # the trunk's timeline process ended with an event of its own; the other's did not
    proc._generator = model._timeline(rest)
    proc._target = wake
    wake.callbacks = [proc._resume]
    model.timeline_proc = proc
    # the other scenario as it stands now (its entries before now are the trunk's, checked)
    live = other
    for t, _, after in entries:
        if t < now:
            live = after
    model.scenario = other
    model.live, model.caspian, model.demand = live, live.caspian, live.demand
    model.empties.live = live
    model._change_times = [t for t, _, _ in entries if t > -model.warmup_h]
    return delta


def at(model: Model, hour: float, call: Callable[[], int]) -> None:
    """Make ``call`` before the model's first event at ``hour`` (kept in time order)."""
    model.stops.append((hour, call))
    model.stops.sort(key=lambda s: s[0])
