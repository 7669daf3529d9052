"""The heavy jobs (appraise, plan, sensitivity) account for their work and share one executor:
every command's JSON says its wall time, the CPU of this process and of the workers, the
simulated years, kernel events and sequential waves; one worker, two workers and a Dask cluster
give identical tables; a greedy round of the plan's search is one batch of runs, with the same
choices and evaluations as one set at a time."""

from __future__ import annotations

import datetime as dt
import json
import random

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from test_appraisal import scenario_dict as appraisal_dict
from test_plan_goals import cand, two_links
from test_plan_search import random_case

import corridor_sim as cs
from corridor_sim.analyses.appraisal import appraise
from corridor_sim.analyses.capacity import estimate_capacities, estimate_capacity
from corridor_sim.analyses.plan import VERIFY_SEED_OFFSET, plan
from corridor_sim.analyses.search import cheapest
from corridor_sim.analyses.sensitivity import sensitivity
from corridor_sim.calendar import Calendar
from corridor_sim.cli import main
from corridor_sim.experiments.execution import Execution, Task, execute, session
from corridor_sim.model.branch import branch_hour
from corridor_sim.scenario.variants import with_entries, without

from factories import build, rail_sea

ACCOUNTING = (
    "wall_s",
    "cpu_s_parent",
    "cpu_s_workers",
    "cpu_s_total",
    "cpu_s_tasks",
    "waves",
    "wave_sizes",
    "tasks",
    "runs",
    "simulated_years",
    "events",
)


def two_measures() -> dict:
    """test_appraisal's overloaded corridor over two years, with a second costed measure a year later."""
    d = appraisal_dict()
    d["end_year"] = 2024
    d["timeline"].append(
        {
            "id": "bigger_feeders",
            "date": "2024-01-01",
            "description": "bigger feeders",
            "source": "test",
            "capex_musd": 10.0,
            "opex_musd_per_year": 0.5,
            "set": {"sea_lines.p_q.vessels.v.capacity_units": 120},
        }
    )
    # and a later entry every variant has (so every variant's timeline is still running at 2024)
    d["timeline"].append(
        {
            "id": "later",
            "date": "2024-07-01",
            "description": "a feeder less",
            "source": "test",
            "set": {"sea_lines.p_q.vessels.v.count": 2},
        }
    )
    return d


def uncertain() -> cs.Scenario:
    d = rail_sea(tons_per_year=20000.0, lot=40.0, vessels=1, capacity=100.0, crossing_h=20.0)
    d["uncertain"] = [
        {"path": "sea_lines.p_q.vessels.v.capacity_units", "low": 60, "high": 140, "source": "test"},
        {"path": "ports.q.terminals.container.yard_capacity_units", "low": 3000, "high": 6000, "source": "test"},
    ]
    return build(d)


def plan_case():
    cands = [
        cand("first6", 100.0, {"o_p": 6}),
        cand("second6", 120.0, {"p_q": 6}),
        cand("both8", 500.0, {"o_p": 8, "p_q": 8}),
    ]
    return build(two_links()), cands


def test_the_appraisal_json_accounts_for_every_run(tmp_path):
    s = build(two_measures())
    ap = appraise(s, replications=2, seed=3, workers=2)
    a = ap.accounting
    assert set(ACCOUNTING) <= set(a)
    # variants: the do-minimum, each measure alone, and both: 4 x 2 replications x 2 years, in one
    # wave of a task per replication, whose runs branch from each other at the measures' dates
    assert a["tasks"] == 2 and a["runs"] == 4 * 2 and a["simulated_years"] == 4 * 2 * 2 == ap.simulated_years
    assert a["waves"] == 1 and a["wave_sizes"] == [2]
    # the second measure, alone and with the first, branches at its date (2024) from the do-minimum
    # and from the first alone: a year shared twice per replication (the first measure's date is
    # the first hour of the run: nothing before it to share)
    assert a["shared_years"] == pytest.approx(2 * 2 * 8760 / 8766, abs=1e-3)
    assert a["events"] > 0 and a["cpu_s_workers"] > 0 and a["worker_processes"] >= 1
    assert a["cpu_s_total"] == pytest.approx(a["cpu_s_parent"] + a["cpu_s_workers"], abs=2e-3)
    assert ap.cpu_s == a["cpu_s_total"] and 0 < a["cpu_s_tasks"] <= a["cpu_s_workers"] + 0.05
    meta = json.loads((ap.write(tmp_path / "ap") / "appraisal.json").read_text())
    assert meta["accounting"] == a and cs.Appraisal.read(tmp_path / "ap").accounting == a


@pytest.mark.parametrize("workers", [1, 2])
def test_shared_years_give_the_tables_of_full_runs(workers):
    d = two_measures()
    # a later entry every variant has, so the do-minimum's timeline process is waiting at each branch
    d["timeline"].append(
        {
            "id": "later",
            "date": "2024-07-01",
            "description": "x",
            "source": "t",
            "set": {"sea_lines.p_q.vessels.v.count": 2},
        }
    )
    s = build(d)
    shared = appraise(s, replications=2, seed=4, workers=workers)
    full = appraise(s, replications=2, seed=4, workers=workers, share_years=False)
    assert shared.accounting["shared_years"] > 2 and full.accounting["shared_years"] == 0
    assert shared.accounting["events"] < full.accounting["events"]
    pd.testing.assert_frame_equal(shared.table, full.table, check_exact=True)
    pd.testing.assert_frame_equal(shared.by_year, full.by_year, check_exact=True)
    pd.testing.assert_frame_equal(shared.distribution, full.distribution, check_exact=True)


@pytest.mark.parametrize("date", ["2024-03-17", "2023-12-31"])
def test_a_measure_dated_within_a_month_branches_at_its_months_start(date):
    # the flows look ahead to the next month start or timeline change: an entry on the 17th (or
    # the 31st) changes what they do from the 1st of its month, so the runs are one until then
    d = two_measures()
    d["timeline"][-2]["date"] = date
    s = build(d)
    cal = Calendar(s.start_year, s.end_year)
    day = dt.date.fromisoformat(date)
    assert branch_hour(without(s, ["bigger_feeders"]), s) == cal.date_h(day.replace(day=1))
    shared = appraise(s, replications=2, seed=4, workers=1)
    full = appraise(s, replications=2, seed=4, workers=1, share_years=False)
    assert shared.accounting["shared_years"] > 0 and full.accounting["shared_years"] == 0
    pd.testing.assert_frame_equal(shared.table, full.table, check_exact=True)
    pd.testing.assert_frame_equal(shared.by_year, full.by_year, check_exact=True)
    pd.testing.assert_frame_equal(shared.distribution, full.distribution, check_exact=True)


def test_in_one_process_the_workers_cost_nothing_apart():
    ap = appraise(build(appraisal_dict()), replications=2, seed=3, workers=1)
    a = ap.accounting
    assert a["worker_processes"] == 0 and a["simulated_years"] == 2 * 2
    # only forked runs (a branch: the measure's variant from its date) count apart from this process
    assert a["cpu_s_total"] >= a["cpu_s_tasks"] > 0 and a["cpu_s_workers"] <= a["cpu_s_tasks"]


@pytest.mark.untraced  # a whole-corridor job (conftest.py)
def test_one_worker_two_workers_and_dask_give_identical_tables():
    distributed = pytest.importorskip("distributed")
    s_ap, s_sens = build(two_measures()), uncertain()
    s_plan, cands = plan_case()

    def jobs(**where):
        return (
            appraise(s_ap, replications=2, seed=3, **where),
            plan(s_plan, cands, goal_mt=0.1, by=2023, replications=2, trajectory=False, **where),
            sensitivity(s_sens, trajectories=2, **where),
        )

    one = jobs(workers=1)
    two = jobs(workers=2)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as c:
        with distributed.Client(c) as client:
            dask = jobs(scheduler=client)
    for other in (two, dask):
        for a, b in ((one[0].table, other[0].table), (one[0].distribution, other[0].distribution)):
            pd.testing.assert_frame_equal(a, b, check_exact=True)
        assert [e.id for e in one[1].chosen] == [e.id for e in other[1].chosen] == ["first6", "second6"]
        pd.testing.assert_frame_equal(one[1].steps, other[1].steps, check_exact=True)
        assert one[1].capacity_mt == other[1].capacity_mt
        pd.testing.assert_frame_equal(one[2].ranking, other[2].ranking, check_exact=True)
        pd.testing.assert_frame_equal(one[2].runs, other[2].runs, check_exact=True)
        for x, y in zip(one, other):
            assert x.accounting["simulated_years"] == y.accounting["simulated_years"]
            assert x.accounting["waves"] == y.accounting["waves"]
        for x, y in zip(one[1:], other[1:]):
            assert x.accounting["events"] == y.accounting["events"]
    # on Dask (whose workers may run threads, which a fork would copy) every variant runs in full
    assert dask[0].accounting["shared_years"] == 0 and two[0].accounting["shared_years"] > 0
    assert two[0].accounting["events"] == one[0].accounting["events"] < dask[0].accounting["events"]


@pytest.mark.parametrize("seed", range(8))
def test_a_greedy_round_is_one_wave_with_the_same_choices_and_evaluations(seed):
    evaluate, cost, goal = random_case(random.Random(seed), 3, 6)
    ids = list(cost)
    batches: list[int] = []

    def met(v) -> bool:
        return v >= goal

    def many(sets):
        batches.append(len(sets))
        return [evaluate(s) for s in sets]

    plain = cheapest(ids, cost, evaluate, met, gain=float, max_evaluations=40, pair_pool=4)
    batched = cheapest(ids, cost, evaluate, met, gain=float, max_evaluations=40, pair_pool=4, evaluate_many=many)
    assert (plain.chosen, plain.cost, plain.proven, plain.evaluations) == (
        batched.chosen,
        batched.cost,
        batched.proven,
        batched.evaluations,
    )
    assert plain.steps == batched.steps
    assert sum(batches) <= batched.evaluations and batches and max(batches) > 1


def test_the_plan_counts_its_waves_fewer_than_its_evaluations():
    s, cands = plan_case()
    p = plan(s, cands, goal_mt=0.1, by=2023, replications=2, workers=1, trajectory=False)
    a = p.accounting
    assert a["waves"] < p.evaluations + 1  # + 1: the verification
    assert a["simulated_years"] == p.simulated_years and a["tasks"] == sum(a["wave_sizes"])
    # screening: 2 replications per set; verification: 2 more
    assert a["tasks"] == 2 * p.evaluations + 2


def test_the_plans_verification_and_trajectory_are_one_wave_with_the_same_tables():
    s, cands = plan_case()
    p = plan(s, cands, goal_mt=0.1, by=2023, replications=2, workers=1, trajectory=True)
    a = p.accounting
    # the last wave: the goal year's verification and every year's trajectory, 2 replications each
    assert a["wave_sizes"][-1] == 4 and a["tasks"] == 2 * p.evaluations + 4
    # the same as the trajectory estimated on its own, on the verification's seeds
    planned = with_entries(s, list(p.chosen), name=s.name)
    alone = estimate_capacity(planned, None, 2, 1 + VERIFY_SEED_OFFSET, by_cargo=False, workers=1)
    pd.testing.assert_frame_equal(p.trajectory, alone.trajectory, check_exact=True)
    again = plan(s, cands, goal_mt=0.1, by=2023, replications=2, workers=1, trajectory=False)
    assert again.capacity_mt == p.capacity_mt and again.share_at_goal == p.share_at_goal
    with pytest.raises(ValueError, match="years_each holds 1 entries for 2 scenarios"):
        estimate_capacities([s, s], None, 2, years_each=[2023])


def test_a_session_keeps_one_pool_for_every_wave():
    s = build(appraisal_dict())
    with session(Execution(workers=2)) as ex:
        for _ in range(3):
            list(execute([Task(s, k) for k in range(2)], ex))
        pids = set(ex.tally._pool_cpu)
        assert ex.pool is not None and ex.pool.executor is not None
    assert ex.tally.waves == 3 and ex.tally.tasks == 6 and 1 <= len(pids) <= 2
    assert ex.pool.executor is None  # closed with the session


def test_the_sensitivity_json_and_the_cli_report_the_accounting(tmp_path):
    sens = sensitivity(uncertain(), trajectories=2, workers=1)
    back = cs.Sensitivity.read(sens.write(tmp_path / "sens"))
    assert back.accounting == sens.accounting and back.accounting["simulated_years"] == len(sens.runs)
    assert back.accounting["waves"] == 1 and back.trajectories == 2
    # the command line writes the same fields
    path = tmp_path / "ap.yaml"
    path.write_text(yaml.safe_dump(appraisal_dict()))
    r = CliRunner().invoke(main, ["appraise", str(path), "-n", "2", "-w", "1", "-q", "--out", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    meta = json.loads((tmp_path / "out" / "appraisal.json").read_text())
    assert set(ACCOUNTING) <= set(meta["accounting"]) and meta["accounting"]["waves"] == 1
    assert meta["simulated_years"] == meta["accounting"]["simulated_years"] == 2 * 2


def test_bottlenecks_and_compare_report_their_waves(tmp_path):
    d = rail_sea(tons_per_year=20000.0, lot=40.0, vessels=1, capacity=100.0, crossing_h=20.0)
    s = build(d)
    ranking = cs.bottlenecks(s, replications=2, workers=2)
    a = ranking.accounting
    # the baseline, then the levers: two waves on one pool
    assert a["waves"] == 2 and a["wave_sizes"][0] == 2 and a["tasks"] == sum(a["wave_sizes"]) == a["runs"]
    assert a["cpu_s_workers"] > 0 and 1 <= a["worker_processes"] <= 2
    assert cs.Ranking.read(ranking.write(tmp_path / "b")).accounting == a
    other = rail_sea(tons_per_year=30000.0, lot=40.0, vessels=2, capacity=100.0, crossing_h=20.0)
    other["name"] = "tiny_bigger"
    cmp = cs.compare([s, build(other)], replications=2)
    assert cmp.meta["accounting"]["waves"] == 1 and cmp.meta["accounting"]["simulated_years"] == 2 * 2


def test_the_compare_command_runs_its_runs_and_capacity_on_one_pool(tmp_path):
    """`compare --capacity -w 2`: the comparison's runs, then the capacity runs, two waves on the
    command's one pool of two workers (two pools, one per wave, would be four worker processes)."""
    d = rail_sea(tons_per_year=20000.0, lot=40.0, vessels=1, capacity=100.0, crossing_h=20.0)
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(d))
    out = tmp_path / "cmp"
    args = ["compare", str(path), "-n", "2", "-w", "2", "--capacity", "-q", "--no-plots", "--out", str(out)]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    a = json.loads((out / "comparison.json").read_text())["accounting"]
    assert a["waves"] == 2 and a["wave_sizes"] == [2, 2], a
    assert 1 <= a["worker_processes"] <= 2 and a["cpu_s_workers"] > 0, a


def test_a_closed_dask_client_leaves_runs_forkable_and_an_open_one_does_not():
    """The order of work in one process does not decide whether years are shared: a Dask client
    closed earlier leaves an idle offload thread, which a fork may copy; an open client's event
    loop runs in a thread of its own, and then every variant runs in full."""
    distributed = pytest.importorskip("distributed")
    from corridor_sim.run.branches import can_fork

    s = build(two_measures())
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as c:
        with distributed.Client(c):
            assert not can_fork()
            during = appraise(s, replications=2, seed=3, workers=1)
    after = appraise(s, replications=2, seed=3, workers=1)
    assert can_fork()
    assert during.accounting["shared_years"] == 0 and after.accounting["shared_years"] > 0
    pd.testing.assert_frame_equal(during.table, after.table, check_exact=True)
