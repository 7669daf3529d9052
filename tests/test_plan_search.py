"""The plan's search (analyses.search) against exhaustive enumeration: on small cases whose value
is known in closed form (capacity the least of what each resource allows), including cases where
two measures must be bought together, it finds the cheapest set that enumeration finds."""

from __future__ import annotations

import random

import pytest

from corridor_sim.analyses.search import cheapest, exhaustive


def series(base: dict[str, float], adds: dict[str, dict[str, float]]):
    """Capacity = the least, over resources, of base + what the chosen measures add to it."""

    def value(s: frozenset) -> float:
        return min(b + sum(adds[m].get(r, 0.0) for m in s) for r, b in base.items())

    return value


def test_two_measures_that_must_be_bought_together_are_found_where_greedy_stalls():
    # rail and fleet both at 5; the goal 8 needs both: neither alone adds anything
    value = series(
        {"rail": 5.0, "fleet": 5.0},
        {"loops": {"rail": 4.0}, "ships": {"fleet": 4.0}, "both": {"rail": 3.0, "fleet": 3.0}},
    )
    cost = {"loops": 100.0, "ships": 60.0, "both": 500.0}
    met = lambda v: v >= 8.0
    got = cheapest(list(cost), cost, value, met, gain=float)
    assert got.reachable and got.met and got.proven
    assert set(got.chosen) == {"loops", "ships"} and got.cost == 160.0
    assert exhaustive(list(cost), cost, value, met) == (("loops", "ships"), 160.0)
    # greedy took the dear measure that adds alone; the exact phase found the pair cheaper
    assert any(s["phase"] == "exact" and s["measures"] == "loops + ships" and s["met"] for s in got.steps)
    # without it, greedy's pairs phase buys the two together at once
    two = {"loops": 100.0, "ships": 60.0}
    got = cheapest(list(two), two, value, met, gain=float)
    assert set(got.chosen) == {"loops", "ships"} and got.proven
    assert any(s["phase"] == "greedy" and s["measures"] == "loops + ships" and s["met"] for s in got.steps)


def test_an_unreachable_goal_is_said_so_without_searching():
    value = series({"rail": 5.0}, {"loops": {"rail": 1.0}})
    got = cheapest(["loops"], {"loops": 10.0}, value, lambda v: v >= 8.0, gain=float)
    assert not got.reachable and not got.met and got.chosen == () and got.evaluations == 2


def test_measures_that_cannot_fit_under_the_incumbent_are_left_out_of_the_bound():
    # greedy stops at the dear measure that meets the goal alone (123); every cheaper set is made of
    # the four cheap measures, which together fall short: one run of the four proves the plan,
    # where the bound with the dear one in it (met) would have had each cheaper set tried
    value = series(
        {"rail": 4.0},
        {"a": {"rail": 0.02}, "b": {}, "c": {"rail": 0.5}, "d": {"rail": 0.07}, "big": {"rail": 1.2}},
    )
    cost = {"a": 38.0, "b": 50.0, "c": 50.0, "d": 58.0, "big": 123.0}
    met = lambda v: v >= 4.9
    evaluated: list[frozenset] = []

    def counted(s: frozenset) -> float:
        evaluated.append(s)
        return value(s)

    got = cheapest(list(cost), cost, counted, met, gain=float, max_evaluations=10_000)
    assert got.proven and got.chosen == ("big",) and got.cost == 123.0
    assert exhaustive(list(cost), cost, value, met) == (("big",), 123.0)
    # bound, empty set, five singles (big meets the goal alone: the greedy ends there, where its
    # next round would have tried four pairs with c), then the four cheap ones at once
    assert got.evaluations == len(evaluated) == 8
    assert [s["measures"] for s in got.steps if s["phase"] == "greedy"] == ["", "a", "b", "c", "d", "big"]
    assert evaluated[-1] == frozenset({"a", "b", "c", "d"})
    assert [s["measures"] for s in got.steps if s["phase"] == "exact"] == [""]


def random_case(rng: random.Random, n_res: int, n_meas: int):
    base = {f"r{k}": rng.uniform(2, 6) for k in range(n_res)}
    adds = {}
    for m in range(n_meas):
        hit = rng.sample(list(base), rng.randint(1, min(2, n_res)))
        adds[f"m{m}"] = {r: rng.choice([1.0, 2.0, 3.0, 4.0]) for r in hit}
    cost = {m: float(rng.choice([10, 20, 35, 50, 80, 120, 200])) for m in adds}
    goal = min(base.values()) + rng.uniform(1, 5)
    return series(base, adds), cost, goal


@pytest.mark.parametrize("seed", range(40))
def test_the_search_finds_the_enumerated_optimum_on_random_small_cases(seed):
    rng = random.Random(seed)
    value, cost, goal = random_case(rng, rng.randint(2, 3), rng.randint(3, 7))
    met = lambda v: v >= goal - 1e-12
    want = exhaustive(list(cost), cost, value, met)
    got = cheapest(list(cost), cost, value, met, gain=float, max_evaluations=10_000)
    if want is None:
        assert not got.reachable and not got.met
    else:
        assert got.met and got.proven and got.cost == pytest.approx(want[1]), (got, want)
        assert met(value(frozenset(got.chosen)))


def test_out_of_evaluations_the_best_found_is_returned_as_not_proven():
    rng = random.Random(3)
    value, cost, goal = random_case(rng, 3, 9)
    met = lambda v: v >= goal
    if exhaustive(list(cost), cost, value, met) is None:
        pytest.skip("unreachable case")
    got = cheapest(list(cost), cost, value, met, gain=float, max_evaluations=3)
    assert got.met and met(value(frozenset(got.chosen)))
    assert got.proven is False or got.evaluations <= 3


@pytest.mark.parametrize("seed", range(20))
def test_pruning_from_every_measure_then_enumerating_finds_the_optimum_too(seed):
    rng = random.Random(100 + seed)
    value, cost, goal = random_case(rng, rng.randint(2, 3), rng.randint(4, 7))
    met = lambda v: v >= goal - 1e-12
    want = exhaustive(list(cost), cost, value, met)
    got = cheapest(list(cost), cost, value, met, gain=float, max_evaluations=10_000, greedy_max=2)
    if want is None:
        assert not got.reachable
    else:
        assert got.proven and got.cost == pytest.approx(want[1]), (got, want)
