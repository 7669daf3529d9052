"""The cheapest set of measures that meets a goal, where limits must grow together.

Greedy by gain per dollar stops where two resources bind jointly: a rail line and the fleet
behind it, or two classes whose capacities per tonne of demand are equal: neither measure alone
adds anything. The search here has three phases, each on an ``evaluate(set)`` that is memoized
(a set is simulated once) and a ``met(value)`` test:

1. **Greedy with bundles**: round by round, the single measure with the most gain per dollar; when
   no single measure adds more than ``min_gain``, the best *pair* (both bought together), so a
   joint bottleneck does not stop it. A round in which an option meets the goal ends the greedy
   with the cheapest such option: a first plan is all this phase is for (phase 3 finds any cheaper
   set), and another round would cost a run per measure left. Then pruning: each chosen measure, dearest first, is dropped
   if the goal is met without it. This gives a first plan (the incumbent) quickly. With more than
   ``greedy_max`` measures (each greedy round simulates every one left), the first plan is found
   by pruning from every measure instead: dearest first, each is dropped if the goal is met
   without it (one simulation per measure); measures that must grow together both stay, as
   dropping either breaks the goal.
2. **Bound**: the set of every measure. If even that does not meet the goal, no plan does: the
   search stops and says so (``reachable`` False).
3. **Best-first enumeration by cost** (exact): the sets cheaper than the incumbent, in order of
   cost (each set generated once: its children add a measure after its last in cost order),
   with a bound that prunes a set's whole subtree when the set plus every measure after it that
   would keep it cheaper than the incumbent does not meet the goal (measures dearer than what is
   left under the incumbent's cost are never bought below it, so they are left out of the bound;
   a set already evaluated that holds all of them and falls short answers without a run of its
   own). The first set that meets the goal is the cheapest there is, under the one
   assumption the bound needs: adding a measure never lowers the value (more capacity never
   carries less; with common random numbers this holds up to noise). Within
   ``max_evaluations`` it proves the optimum (``proven`` True); beyond, the incumbent is returned
   and ``proven`` says it was not proven.

``exhaustive`` enumerates every subset (for tests on small cases: the search must find what it finds).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

MIN_GAIN = 1e-3  # a gain at or below this is nothing (in the value's own units)


@dataclass
class Found:
    """What the search found: the measures, their cost, the value they reach and how it was found."""

    chosen: tuple[str, ...]
    cost: float
    value: Any
    met: bool
    reachable: bool  # whether the set of every measure meets the goal
    proven: bool  # whether phase 3 finished: no cheaper set meets the goal
    evaluations: int
    steps: list[dict] = field(default_factory=list)  # phase, set tried, its cost, gain and whether it met


class _Memo:
    def __init__(
        self, evaluate: Callable[[frozenset], Any], evaluate_many: Callable[[list[frozenset]], list] | None = None
    ):
        self.evaluate = evaluate
        self.evaluate_many = evaluate_many
        self.memo: dict[frozenset, Any] = {}

    def prefetch(self, sets) -> None:
        """Evaluate, in one batch, those of ``sets`` the search is about to evaluate one after
        another anyway (a greedy round's options): the same sets, so the same values and count."""
        keys = list(dict.fromkeys(frozenset(s) for s in sets if frozenset(s) not in self.memo))
        if self.evaluate_many is None or len(keys) < 2:
            return
        for key, value in zip(keys, self.evaluate_many(keys)):
            self.memo[key] = value

    def __call__(self, ids) -> Any:
        key = frozenset(ids)
        if key not in self.memo:
            self.memo[key] = self.evaluate(key)
        return self.memo[key]

    @property
    def count(self) -> int:
        return len(self.memo)


def cheapest(
    ids: Sequence[str],
    cost: dict[str, float],
    evaluate: Callable[[frozenset], Any],
    met: Callable[[Any], bool],
    gain: Callable[[Any], float],
    max_evaluations: int = 200,
    min_gain: float = MIN_GAIN,
    pair_pool: int | None = None,
    greedy_max: int | None = None,
    evaluate_many: Callable[[list[frozenset]], list] | None = None,
) -> Found:
    """The cheapest subset of ``ids`` whose ``evaluate`` value is ``met`` (module docstring).
    ``gain(value)`` is the scalar the greedy phase compares (e.g. mean capacity); ``pair_pool``
    restricts the pairs phase 1 tries to those among the measures whose single gains came
    closest, that many of them (default: every pair). ``evaluate_many``, if given, evaluates a
    list of sets at once (one batch of runs): the sets a step evaluates regardless of each
    other's values go to it together, so a round of the greedy is one wave, not one per set."""
    ev = _Memo(evaluate, evaluate_many)
    steps: list[dict] = []
    order = sorted(ids, key=lambda i: (cost[i], i))
    total = lambda s: float(sum(cost[i] for i in s))

    def note(phase: str, s, v) -> None:
        steps.append(
            {"phase": phase, "measures": " + ".join(sorted(s)), "cost": total(s), "value": gain(v), "met": met(v)}
        )

    greedy = not (greedy_max is not None and len(order) > greedy_max)
    # the bound and the greedy's starting point (the empty set), which it evaluates first, at once
    ev.prefetch([order, []] if greedy else [order])
    everything = ev(order)
    note("bound", order, everything)
    if not met(everything):
        v0 = ev([])
        return Found((), 0.0, v0, met(v0), False, True, ev.count, steps)
    if not greedy:
        chosen, value = list(order), everything
    else:
        chosen, value = _greedy(order, cost, ev, met, gain, min_gain, pair_pool, note)
    if not met(value):  # greedy stalled short of the goal: every measure meets it, so start from there
        chosen, value = list(order), everything
    chosen, value = _prune(chosen, cost, ev, met, note, value)
    best = (tuple(sorted(chosen)), value)
    proven = True
    for s in _by_cost(order, cost, total(chosen), ev, met, note, max_evaluations):
        if s is None:
            proven = False
            break
        best = (tuple(sorted(s)), ev(s))
        break
    return Found(best[0], total(best[0]), best[1], True, True, proven, ev.count, steps)


def _greedy(order, cost, ev, met, gain, min_gain, pair_pool, note) -> tuple[list[str], Any]:
    chosen: list[str] = []
    now = ev([])
    note("greedy", [], now)
    while not met(now):
        rest = [i for i in order if i not in chosen]
        if not rest:
            break
        options: list[tuple[str, ...]] = [(i,) for i in rest]
        ev.prefetch([[*chosen, *opt] for opt in options])
        pick = _best(options, chosen, cost, ev, gain, now, min_gain, note)
        done = _cheapest_met(options, chosen, cost, ev, met, gain)
        if done is not None:  # an option meets the goal already: it is the first plan
            chosen += list(done)
            return chosen, ev(chosen)
        if pick is None:  # no single measure adds: a joint bottleneck? try pairs bought together
            pool = sorted(rest, key=lambda i: (-gain(ev([*chosen, i])), cost[i], i))[:pair_pool]
            pairs = list(itertools.combinations(sorted(pool, key=lambda i: (cost[i], i)), 2))
            ev.prefetch([[*chosen, *opt] for opt in pairs])
            pick = _best(pairs, chosen, cost, ev, gain, now, min_gain, note)
        if pick is None:
            break
        chosen += list(pick)
        now = ev(chosen)
    return chosen, now


def _best(options, chosen, cost, ev, gain, now, min_gain, note) -> tuple[str, ...] | None:
    best, best_ratio = None, 0.0
    for opt in options:
        s = [*chosen, *opt]
        v = ev(s)
        note("greedy", s, v)
        g = gain(v) - gain(now)
        ratio = g / max(sum(cost[i] for i in opt), 1e-9)
        if g > min_gain and ratio > best_ratio:
            best, best_ratio = tuple(opt), ratio
    return best


def _cheapest_met(options, chosen, cost, ev, met, gain) -> tuple[str, ...] | None:
    """The cheapest of a round's options (evaluated) that meets the goal (ties: the most value,
    then by name), or None."""
    ok = [opt for opt in options if met(ev([*chosen, *opt]))]
    if not ok:
        return None
    return min(ok, key=lambda o: (sum(cost[i] for i in o), -gain(ev([*chosen, *o])), o))


def _prune(chosen, cost, ev, met, note, value) -> tuple[list[str], Any]:
    for i in sorted(chosen, key=lambda j: (-cost[j], j)):
        rest = [j for j in chosen if j != i]
        v = ev(rest)
        note("prune", rest, v)
        if met(v):
            chosen, value = rest, v
    return chosen, value


def _by_cost(order, cost, limit, ev, met, note, max_evaluations):
    """Sets cheaper than ``limit`` in order of cost; yields the first that meets the goal, or None
    when the evaluations ran out (then no more)."""
    index = {i: k for k, i in enumerate(order)}
    heap: list[tuple[float, tuple[str, ...]]] = [(0.0, ())]
    while heap:
        c, s = heapq.heappop(heap)
        if c >= limit - 1e-9:
            return
        if ev.count >= max_evaluations and frozenset(s) not in ev.memo:
            yield None
            return
        v = ev(s)
        note("exact", s, v)
        if met(v):
            yield s
            return
        # the measures a set below this one may add: after its last in cost order, and only those
        # that keep it cheaper than the incumbent (the dearer could never be bought here)
        after = [k for k in (order[index[s[-1]] + 1 :] if s else order) if c + cost[k] < limit - 1e-9]
        if not after:
            continue
        top = (*s, *after)
        if _fails_within(ev, top, met):  # a set holding all of them fell short already
            continue
        if frozenset(top) not in ev.memo and ev.count >= max_evaluations:
            yield None
            return
        if not met(ev(top)):  # nothing below this set meets the goal (adding never lowers the value)
            continue
        for k in after:
            child = (*s, k)
            heapq.heappush(heap, (c + cost[k], child))


def _fails_within(ev: _Memo, s, met: Callable[[Any], bool]) -> bool:
    """Whether a set already evaluated holds every measure of ``s`` and falls short of the goal:
    then ``s`` does too (adding never lowers the value), with no run of its own."""
    key = frozenset(s)
    return any(key <= done and not met(v) for done, v in ev.memo.items())


def exhaustive(
    ids: Sequence[str], cost: dict[str, float], evaluate: Callable[[frozenset], Hashable], met: Callable[[Any], bool]
) -> tuple[tuple[str, ...], float] | None:
    """The cheapest subset meeting the goal by trying every subset (ties: fewer measures, then by
    name); None if none does. For tests on small cases."""
    best = None
    for n in range(len(ids) + 1):
        for s in itertools.combinations(sorted(ids), n):
            if met(evaluate(frozenset(s))):
                key = (round(sum(cost[i] for i in s), 9), n, s)
                if best is None or key < best:
                    best = key
    return None if best is None else (best[2], float(best[0]))
