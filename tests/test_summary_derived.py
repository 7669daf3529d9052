"""What a run's statistics derive once (``summary.once``) equals deriving it from its tables each time.

A worker fills ``Results.derived`` writing its run's summary.json, and the run travels back with
it: the comparison and the replicated summary read those values instead of filtering every run's
tables per year again. These tests pin that the shortcut changes no number.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

import corridor_sim as cs
from corridor_sim.kpi import binding_bottleneck, route_split
from corridor_sim.run.summary import _binding_by_year, _flow_rows, _route_split_by_year, summarize, totals

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture(scope="module")
def runs():
    scn = cs.load_scenario(GOLDEN / "tiny_corridor.yaml")
    return [cs.run(scn, seed=s, detail=False) for s in (7, 8)]


def test_route_split_by_year_is_kpi_route_split_of_each_year(runs):
    for r in runs:
        derived = _route_split_by_year(r)
        assert sorted(derived) == sorted(int(y) for y in r.routes.year.unique())
        for year, rows in derived.items():
            ly = r.routes[r.routes.year == year]
            want = []
            for f, s in route_split(ly).items():
                tons = ly[ly.flow == f].groupby("route").tons_delivered.sum()
                want += [(f, str(route), float(v), float(tons[route])) for route, v in s.items()]
            assert rows == want  # exactly: the same sums in the same order
        assert any(len({f for f, *_ in rows}) < len(rows) for rows in derived.values()), "a flow with two routes"


def test_binding_and_rows_by_year_are_those_of_the_year_filtered(runs):
    r = runs[0]
    thr = r.scenario.output.bottleneck_threshold
    for year, b in _binding_by_year(r, thr).items():
        assert b == binding_bottleneck(r.resources[r.resources.year == year], thr)
    for (year, flow), row in _flow_rows(r).items():
        first = r.annual[(r.annual.year == year) & (r.annual.flow == flow)].iloc[0]
        assert {k: first[k] for k in row} == row


def test_a_summary_from_derived_values_equals_one_from_the_tables(runs):
    scn = runs[0].scenario
    fresh = summarize(runs, scn, 7)
    assert runs[0].derived and totals(runs[0]) is totals(runs[0])  # computed once, kept
    shipped = pickle.loads(pickle.dumps(runs))  # as a worker sends its run back
    assert shipped[0].derived.keys() == runs[0].derived.keys()
    assert summarize(shipped, scn, 7) == fresh
    for r in shipped:
        r.derived.clear()
    assert summarize(shipped, scn, 7) == fresh


def test_values_derived_from_a_replaced_table_are_not_used(runs):
    r = runs[1]
    before = totals(r)
    assert before is totals(r)
    copy = type(r)(**{**r.__dict__, "annual": r.annual.assign(tons_delivered=r.annual.tons_delivered * 2)})
    assert copy.derived is not r.derived
    assert (totals(copy).delivered_mt == 2 * before.delivered_mt).all()  # derived again from the new table
    assert totals(r) is before  # the original keeps its own
    r.annual = copy.annual  # replaced in place: what was derived before does not travel in a pickle
    assert pickle.loads(pickle.dumps(r)).derived == {}
