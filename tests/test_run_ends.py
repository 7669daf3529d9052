"""Every run ends: sizes that split cargo and durations that repeat are bounded from below, and a
run estimated to take longer than the limit is refused before it starts (as a subprocess with a
timeout, so a hang fails the test instead of stalling the suite)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

import corridor_sim as cs
from corridor_sim.cli import main
from corridor_sim.run import runsize

from factories import every_section

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "base.yaml"
SHARED_PORTS = ROOT / "scenarios" / "shared_ports.yaml"


def _cli(args: list[str], tmp_path: Path, timeout: float = 60, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "corridor_sim", *args, "--out", str(tmp_path / "out"), "--no-plots"],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=tmp_path,
        env={**os.environ, **env},
    )


def _one_paragraph(p: subprocess.CompletedProcess) -> str:
    """The error that ends stderr (after any notes), one paragraph, exit status 2."""
    assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
    assert "Traceback" not in p.stderr, p.stderr
    err = p.stderr[p.stderr.index("error:") :].strip()
    assert "\n\n" not in err, err
    return err


def test_a_ship_call_of_1e_9_units_is_refused_not_run_for_ever(tmp_path):
    t0 = time.perf_counter()
    p = _cli(
        ["run", str(SHARED_PORTS), "--set", "ports.poti.terminals.container.onward_by_sea.call_units=1e-9"], tmp_path
    )
    err = _one_paragraph(p)
    assert "call_units" in err and "greater than or equal to 1" in err
    assert time.perf_counter() - t0 < 30  # the interpreter's start included; refused before any run
    assert not (tmp_path / "out").exists()


def test_demand_x1000_is_refused_at_once_for_the_time_it_would_take(tmp_path):
    # with the memory this machine has: the time alone refuses it
    env = {k: v for k, v in os.environ.items() if k not in ("CORRIDOR_SIM_MEMORY", "CORRIDOR_SIM_MAX_MINUTES")}
    t0 = time.perf_counter()
    p = subprocess.run(
        [sys.executable, "-m", "corridor_sim", "run", str(BASE), "--years", "2024", "--set", "demand.scale=1000"]
        + ["--out", str(tmp_path / "out"), "--no-plots"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={**env, "CORRIDOR_SIM_MEMORY": "1000G"},
    )
    err = _one_paragraph(p)
    assert "too large to finish in the time allowed" in err and "min" in err
    assert "CORRIDOR_SIM_MAX_MINUTES" in err and "--allow-large" in err
    assert time.perf_counter() - t0 < 30
    assert not (tmp_path / "out").exists()
    scn = cs.load_scenario(BASE, overrides={"demand.scale": 1000}, years=(2024, 2024))
    t0 = time.perf_counter()
    with pytest.raises(runsize.RunTooLarge):
        runsize.check(scn)
    assert time.perf_counter() - t0 < 1.0  # the estimate itself: well under a second


@pytest.mark.parametrize(
    "scenario, years, setting",
    [
        (BASE, (2025, 2025), None),
        (SHARED_PORTS, (2024, 2024), "ports.poti.terminals.container.onward_by_sea.call_units=1"),
        (BASE, (2025, 2025), "sea_lines.feeder_aktau_alat.max_wait_for_cargo_h=0"),
    ],
)
def test_the_estimate_is_above_the_events_a_run_takes(scenario, years, setting):
    """An upper estimate: at the smallest ship call allowed, and with ships that never wait for cargo."""
    scn = cs.load_scenario(scenario, overrides=[setting] if setting else None, years=years)
    size = runsize.estimate(scn, detail=False)
    events = cs.run(scn, seed=1, detail=False).metadata["events"]
    assert events < size.events < 6 * events


def test_the_time_limit_is_stated_and_can_be_raised_or_overridden(monkeypatch):
    scn = cs.load_scenario(BASE, years=(2024, 2024))
    monkeypatch.setenv("CORRIDOR_SIM_MAX_MINUTES", "0.001")
    with pytest.raises(runsize.RunTooLarge, match=r"limit of 0 s a run"):
        runsize.check(scn)
    runsize.check(scn, allow_large=True)
    monkeypatch.setenv("CORRIDOR_SIM_MAX_MINUTES", "nan")
    r = CliRunner().invoke(main, ["run", str(BASE), "--years", "2024", "--out", "unused"])
    assert r.exit_code == 2 and "CORRIDOR_SIM_MAX_MINUTES='nan' is not a positive number" in r.output
    monkeypatch.delenv("CORRIDOR_SIM_MAX_MINUTES")
    assert runsize.check(scn).seconds < runsize.MAX_RUN_MINUTES * 60


@pytest.mark.parametrize(
    "setting, field",
    [
        ("ports.poti.terminals.container.onward_by_sea.call_units=0.5", "call_units"),
        ("ports.aktau.terminals.container.train_units=1e-9", "train_units"),
        ("sea_lines.feeder_aktau_alat.vessels.asco_feeder.capacity_units=1e-6", "capacity_units"),
        ("sea_lines.feeder_aktau_alat.crossing_h=1e-9", "crossing_h"),
        ("ports.aktau.terminals.container.train_max_wait_h=1e-9", "train_max_wait_h"),
        ("cargo_classes.container.t_per_unit=1e-9", "t_per_unit"),
        ("rolling_stock.ady_flat_cars.units_per_car=1e-9", "units_per_car"),
    ],
)
def test_sizes_and_durations_that_only_multiply_events_are_refused(setting, field):
    r = CliRunner().invoke(main, ["validate", str(BASE), "--set", setting])
    assert r.exit_code == 2 and field in r.output and "Traceback" not in r.output, r.output


def test_a_batch_is_refused_for_its_runs_time_in_all(monkeypatch):
    """Each run may fit while thousands of them take hours: their estimates add up, at the runs made
    at once, against a stated limit that the environment can raise and --allow-large can override."""
    monkeypatch.delenv("CORRIDOR_SIM_MAX_BATCH_MINUTES", raising=False)
    assert runsize.check_batch([60.0] * 100, at_once=2) == pytest.approx(3000.0)  # 50 min: allowed
    with pytest.raises(runsize.RunTooLarge) as err:
        runsize.check_batch([60.0] * 1000, at_once=2, what="this batch of 1,000 runs")
    text = str(err.value)
    assert "1,000 runs" in text and "2 at a time" in text and "CORRIDOR_SIM_MAX_BATCH_MINUTES" in text
    assert "--allow-large" in text
    assert runsize.check_batch([60.0] * 1000, at_once=2, allow_large=True) == pytest.approx(30_000.0)
    monkeypatch.setenv("CORRIDOR_SIM_MAX_BATCH_MINUTES", "600")
    assert runsize.check_batch([60.0] * 1000, at_once=2) == pytest.approx(30_000.0)
    monkeypatch.setenv("CORRIDOR_SIM_MAX_BATCH_MINUTES", "nan")
    with pytest.raises(runsize.RunTooLarge, match="not a positive number of minutes"):
        runsize.check_batch([1.0], at_once=1)


def test_a_bottleneck_step_beyond_the_bounds_skips_that_lever(tmp_path):
    """A large --step can push a resource past what a scenario may hold (500 paths a day): that
    lever is reported as not run, with the bound it would break, and the others are measured."""
    f = tmp_path / "s.yaml"
    f.write_text(yaml.safe_dump(every_section(), sort_keys=False))
    out = tmp_path / "b"
    r = CliRunner().invoke(main, ["bottlenecks", str(f), "--step", "10", "-n", "2", "-w", "1", "-q", "--out", str(out)])
    assert r.exit_code == 0, r.output
    csvs = sorted(out.glob("*.csv"))
    table = pd.concat([pd.read_csv(c) for c in csvs if "skipped" in pd.read_csv(c, nrows=0).columns])
    beyond = table.skipped.fillna("").str.contains("outside what a scenario may hold")
    assert beyond.any() and table.skipped.isna().any(), table[["skipped"]]
