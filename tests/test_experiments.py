"""Replications, common random numbers, execution backends, resume, and the analyses."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import corridor_sim as cs
from corridor_sim.analyses.bottlenecks import bottlenecks
from corridor_sim.analyses.sensitivity import sensitivity
from corridor_sim.analyses.sweep import Sweep, sweep
from corridor_sim.cli import main
from corridor_sim.experiments.execution import replication_seed
from corridor_sim.experiments.replicated import Replicated
from corridor_sim.experiments.replications import replicate

from factories import build, rail_sea

STORMY = [0.3, 0.3, 0.1, 0.05, 0.05, 0.02, 0.02, 0.02, 0.05, 0.1, 0.3, 0.3]


def small(**kw) -> cs.Scenario:
    """A fleet-bound little corridor with storms: noisy enough for statistics, fast to run."""
    d = rail_sea(
        tons_per_year=kw.pop("tons", 12000.0),
        lot=40.0,
        vessels=kw.pop("vessels", 1),
        capacity=100.0,
        crossing_h=20.0,
        closure=kw.pop("closure", STORMY),
        **kw,
    )
    return build(d)


def delivered(runs) -> np.ndarray:
    return np.array([r.annual.tons_delivered.sum() for r in runs])


def test_ci_half_width_shrinks_as_one_over_root_n():
    s = small()
    half = {}
    for n in (4, 16):
        rep = Replicated(s, 1, replicate(s, n, seed=1, workers=1))
        row = rep.totals.iloc[0]
        half[n] = (row.delivered_mt_ci_high - row.delivered_mt_ci_low) / 2
    # t(3)=3.18 vs t(15)=2.13 and sqrt(16/4)=2: expect ~3; sample sds vary, so a wide band
    assert 1.6 < half[4] / half[16] < 5.5, half


def test_same_results_on_one_worker_two_workers_and_dask():
    pytest.importorskip("distributed")
    from distributed import LocalCluster

    s = small()
    one = replicate(s, 3, seed=5, workers=1)
    two = replicate(s, 3, seed=5, workers=2)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        dask = replicate(s, 3, seed=5, scheduler=cluster.scheduler_address)
    for a, b, c in zip(one, two, dask):
        assert a.seed == b.seed == c.seed
        pd.testing.assert_frame_equal(a.annual, b.annual, check_exact=True)
        pd.testing.assert_frame_equal(a.annual, c.annual, check_exact=True)
        pd.testing.assert_frame_equal(a.lots, c.lots, check_exact=True)
    assert [r.seed for r in one] == [replication_seed(5, r) for r in range(3)] and one[0].seed == 5


def test_common_random_numbers_shrink_the_variance_of_a_difference():
    a, b = small(vessels=1), small(vessels=2, tons=16000.0)
    n = 12
    ra = replicate(a, n, seed=1, workers=1)
    rb_same = replicate(b, n, seed=1, workers=1)  # the same seeds: common random numbers
    rb_indep = replicate(b, n, seed=999, workers=1)  # other seeds: independent
    var_crn = np.var(delivered(rb_same) - delivered(ra), ddof=1)
    var_ind = np.var(delivered(rb_indep) - delivered(ra), ddof=1)
    assert var_crn < 0.5 * var_ind, (var_crn, var_ind)


def test_interrupted_run_resumes_to_the_same_results(tmp_path):
    s = small()
    whole = Replicated(s, 3, replicate(s, 6, seed=3, out=tmp_path / "whole", workers=1))

    def stop_after_three(done, total):
        if done == 3:
            raise KeyboardInterrupt

    out = tmp_path / "cut"
    with pytest.raises(KeyboardInterrupt):
        replicate(s, 6, seed=3, out=out, workers=1, progress=stop_after_three)
    m = json.loads((out / "manifest.json").read_text())
    assert m["status"] == "partial" and m["done"] == [0, 1, 2]
    assert sorted(p.name for p in (out / "replications").iterdir()) == ["rep_000", "rep_001", "rep_002"]
    # without --resume the folder is not touched
    with pytest.raises(Exception, match="--resume"):
        replicate(s, 6, seed=3, out=out, workers=1)
    ran = []
    resumed = replicate(s, 6, seed=3, out=out, workers=1, resume=True, progress=lambda d, t: ran.append(d))
    assert ran[0] == 3 and ran[-1] == 6  # only the missing three ran
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"
    again = Replicated(s, 3, resumed)
    pd.testing.assert_frame_equal(again.annual, whole.annual)
    pd.testing.assert_frame_equal(again.totals, whole.totals)


def test_resume_refuses_another_scenario(tmp_path):
    s = small()
    replicate(s, 2, seed=1, out=tmp_path / "r", workers=1)
    with pytest.raises(Exception, match="another scenario or seed"):
        replicate(small(vessels=2), 2, seed=1, out=tmp_path / "r", workers=1, resume=True)


@pytest.mark.untraced  # a whole-corridor job (conftest.py)
def test_cli_replications_write_statistics_and_resume(tmp_path, base_path):
    out = tmp_path / "rep"
    r = CliRunner().invoke(main, ["run", str(base_path), "--years", "2024", "-n", "3", "-w", "1", "--out", str(out)])
    assert r.exit_code == 0, r.output
    s = json.loads((out / "summary.json").read_text())
    from corridor_sim.run.summary import check_summary

    assert check_summary(s) == []  # the same schema as a single run's (docs/summary.md)
    d = s["years"]["2024"]["total"]["delivered_mt"]
    assert s["replications"] == 3 and d["ci95"][0] < d["mean"] < d["ci95"][1] and d["sd"] > 0
    assert set(s["years"]["2024"]["flows"]["crude_kz_btc"]["tons_delivered"]) == {"mean", "sd", "ci95", "n"}
    a = pd.read_csv(out / "annual.csv")
    assert {"tons_delivered_mean", "tons_delivered_sd", "tons_delivered_ci_low", "tons_delivered_ci_high"} <= set(
        a.columns
    )
    assert (out / "annual_tons.png").stat().st_size > 20_000
    acct = json.loads((out / "metadata.json").read_text())["accounting"]
    assert acct["tasks"] == acct["runs"] == 3 and acct["simulated_years"] == 3 and acct["waves"] == 1
    assert acct["events"] > 0 and acct["cpu_s_total"] >= acct["cpu_s_tasks"] > 0
    again = CliRunner().invoke(main, ["run", str(base_path), "--years", "2024", "-n", "3", "--out", str(out)])
    assert again.exit_code == 2 and "--resume" in again.output
    more = CliRunner().invoke(
        main, ["run", str(base_path), "--years", "2024", "-n", "4", "-w", "1", "--out", str(out), "--resume"]
    )
    assert more.exit_code == 0, more.output
    assert json.loads((out / "manifest.json").read_text())["done"] == [0, 1, 2, 3]
    # what this command ran: the one replication missing, not the three read back
    acct = json.loads((out / "metadata.json").read_text())["accounting"]
    assert acct["runs"] == 1 and acct["simulated_years"] == 1


def test_sweep_records_a_failing_point_and_goes_on(tmp_path):
    s = small()
    table = sweep(s, [("sea_lines.p_q.vessels.v.count", [1, 2, -1])], replications=2, workers=1).table
    assert len(table) == 6
    bad = table[table["sea_lines.p_q.vessels.v.count"] == -1]
    assert (bad.status == "invalid").all() and bad.error.str.contains("greater than or equal to 0").all()
    ok = table[table.status == "ok"].groupby("sea_lines.p_q.vessels.v.count").delivered_mt_last_year.mean()
    assert ok[2] > ok[1]


def test_cli_sweep_writes_table_and_plot(tmp_path, base_path):
    out = tmp_path / "sw"
    r = CliRunner().invoke(
        main,
        [
            "sweep",
            str(base_path),
            "--years",
            "2024",
            "--vary",
            "demand.scale=0.8,1.2",
            "-w",
            "1",
            "--out",
            str(out),
            "-q",
        ],
    )
    assert r.exit_code == 0, r.output
    t = pd.read_csv(out / "sweep.csv")
    assert list(t["demand.scale"]) == [0.8, 1.2] and (t.status == "ok").all()
    assert (out / "sweep.png").stat().st_size > 15_000
    # sweep.json: what was swept and what it cost, counted where the runs were made
    meta = json.loads((out / "sweep.json").read_text())
    a = meta["accounting"]
    assert meta["paths"] == ["demand.scale"] and meta["points"] == 2 and meta["years"] == [2024, 2024]
    assert a["tasks"] == a["runs"] == 2 and a["simulated_years"] == 2 and a["waves"] == 1
    assert a["events"] > 0 and a["cpu_s_total"] >= a["cpu_s_tasks"] > 0
    back = Sweep.read(out)
    assert back.accounting == a and back.years == (2024, 2024) and back.paths == ["demand.scale"]
    bad = CliRunner().invoke(main, ["sweep", str(base_path), "--vary", "demand.scale"])
    assert bad.exit_code == 2 and "path=v1,v2" in bad.output


def test_bottleneck_ranking_puts_the_binding_fleet_first_and_skips_only_what_cannot_matter():
    s = small(tons=20000.0)
    full = bottlenecks(s, replications=2, workers=1, screened=False).table
    assert full.iloc[0].lever == "p_q:v" and full.iloc[0].delta_kt_mean > 1.0
    assert set(full.kind) >= {"rail_path", "berth", "rail_track", "yard", "fleet"} - {"rail_path"}
    rest = full[full.lever != "p_q:v"]
    assert rest.delta_kt_mean.abs().max() < 0.3 * full.iloc[0].delta_kt_mean
    # screened: the nearly idle resources are not run, each with its reason, and they are the ones
    # the full ranking found to change nothing (to a tenth of what the binding fleet adds)
    said = []
    t = bottlenecks(s, replications=2, workers=1, log=said.append).table
    skipped = t[t.skipped.notna()]
    assert (
        len(skipped) >= 3 and said and all("busy in the baseline" in w or "fill peaked" in w for w in skipped.skipped)
    )
    assert skipped.delta_kt_mean.isna().all()
    in_full = full.set_index("lever").loc[skipped.lever, "delta_kt_mean"]
    assert in_full.abs().max() < 0.1 * full.iloc[0].delta_kt_mean
    ran = t[t.skipped.isna()].set_index("lever").delta_kt_mean
    assert ran.equals(full.set_index("lever").loc[ran.index, "delta_kt_mean"])  # common random numbers
    assert t.iloc[0].lever == "p_q:v"


def test_morris_sensitivity_ranks_the_fleet_size_above_a_neutral_input():
    d = rail_sea(tons_per_year=20000.0, lot=40.0, vessels=1, capacity=100.0, crossing_h=20.0, closure=STORMY)
    d["uncertain"] = [
        {"path": "sea_lines.p_q.vessels.v.capacity_units", "low": 60, "high": 140, "source": "test"},
        {"path": "ports.q.terminals.container.yard_capacity_units", "low": 3000, "high": 6000, "source": "test"},
    ]
    result = sensitivity(build(d), trajectories=4, workers=1)
    ranking, runs = result.ranking, result.runs
    r = ranking[ranking.output == "delivered_mt_per_year"].set_index("parameter")
    assert (
        r.loc["sea_lines.p_q.vessels.v.capacity_units", "mu_star"]
        > 10 * r.loc["ports.q.terminals.container.yard_capacity_units", "mu_star"]
    )
    assert len(runs) == 4 * 3


def test_uncertain_paths_are_validated(base_path):
    with pytest.raises(cs.ScenarioError, match="unknown parameter path"):
        cs.load_scenario(
            base_path, overrides={"uncertain": [{"path": "caspian.nope", "low": 0, "high": 1, "source": "x"}]}
        )
    with pytest.raises(cs.ScenarioError, match="must be below"):
        cs.load_scenario(
            base_path, overrides={"uncertain": [{"path": "caspian.load_factor", "low": 1, "high": 0, "source": "x"}]}
        )
