"""The CLI as users run it: through click's runner, and once as a real subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import corridor_sim as cs
from corridor_sim.cli import main
from corridor_sim.run.results import DETAIL_TABLES, TABLES

from fuzzing import untraced

PNGS = ("annual_tons.png", "utilization.png", "transit_days.png", "port_levels.png", "corridor_map.png")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, base_path):
    out = tmp_path_factory.mktemp("run") / "base"
    result = CliRunner().invoke(main, ["run", str(base_path), "--out", str(out), "--seed", "3", "--years", "2024"])
    assert result.exit_code == 0, result.output
    return out, result.output


def test_run_writes_tables_summary_metadata_and_plots(run_dir):
    out, _ = run_dir
    for name in TABLES:
        if name in DETAIL_TABLES:  # kept only with --detail
            assert not (out / f"{name}.csv").exists() and not (out / f"{name}.parquet").exists()
            continue
        assert (out / f"{name}.csv").stat().st_size > 0
        assert (out / f"{name}.parquet").exists()  # pyarrow is in the test extra
    for png in PNGS:
        assert (out / png).stat().st_size > 20_000
    annual = pd.read_csv(out / "annual.csv")
    assert set(annual.flow) == {
        "containers_cn_az",
        "containers_cn_ge",
        "containers_cn_tr",
        "wagons_kz_export",
        "wagons_cn_transit",
        "crude_kz_btc",
    }
    assert not list(out.parent.glob(".base.*")), "no temporary folders left behind"


def test_detail_tables_are_written_as_parquet_when_asked(tmp_path, base_path):
    out = tmp_path / "d"
    r = CliRunner().invoke(
        main, ["run", str(base_path), "--out", str(out), "--years", "2024", "--detail", "--no-plots", "-q"]
    )
    assert r.exit_code == 0, r.output
    for name in DETAIL_TABLES:
        assert pd.read_parquet(out / f"{name}.parquet").shape[0] > 100
        assert not (out / f"{name}.csv").exists()  # CSV of a table this size costs ~12x the CPU
    back = cs.open_results(out)
    assert back.detail and len(back.lots) == len(pd.read_parquet(out / "lots.parquet"))


def test_summary_json_has_per_year_per_flow_stocks_and_teu(run_dir):
    from corridor_sim.run.summary import check_summary

    out, _ = run_dir
    s = json.loads((out / "summary.json").read_text())
    assert check_summary(s) == []  # the one schema (docs/summary.md)
    assert s["replications"] == 1 and s["seeds"] == [3]
    y = s["years"]["2024"]
    for flow in ("containers_cn_az", "crude_kz_btc"):
        assert set(y["flows"][flow]) >= {"tons_offered", "tons_delivered", "tons_in_system", "tons_backlog"}
        assert y["flows"][flow]["tons_delivered"]["sd"] is None  # one run: no spread
    assert 40_000 < y["total"]["teu_delivered"]["mean"] < 75_000  # ~56.5k TEU documented
    assert len(y["busiest_resources"]) == 3
    flows_mt = sum(f["tons_delivered"]["mean"] for f in y["flows"].values()) / 1e6
    assert y["total"]["delivered_mt"]["mean"] == pytest.approx(flows_mt, abs=1e-3)


def test_metadata_traces_the_run(run_dir, base_path):
    out, _ = run_dir
    m = json.loads((out / "metadata.json").read_text())
    assert m["seed"] == 3
    assert m["scenario_hash"] == cs.load_scenario(base_path, years=(2024, 2024)).digest()
    assert m["corridor_sim_version"] == cs.__version__
    assert m["python"].startswith("3.")
    assert m["events"] > 20_000 and m["events_per_s"] > 0 and m["wall_time_s"] > 0  # ~40k in a base year
    assert m["scenario"]["name"] == "base" and m["scenario"]["demand"]["flows"][0]["id"] == "containers_cn_az"


def test_terminal_summary_is_readable(run_dir):
    _, output = run_dir
    assert "all flows" in output and "busiest resources" in output
    assert "wait before" in output and "in corridor" in output and "containers_cn_az" in output
    assert "results written to" in output


def test_years_and_set_overrides(tmp_path, base_path):
    out = tmp_path / "x"
    r = CliRunner().invoke(
        main,
        [
            "run",
            str(base_path),
            "--out",
            str(out),
            "--years",
            "2024-2025",
            "--no-plots",
            "--quiet",
            "--set",
            "demand.scale=0.5",
        ],
    )
    assert r.exit_code == 0, r.output
    s = json.loads((out / "summary.json").read_text())
    assert set(s["years"]) == {"2024", "2025"}
    assert s["years"]["2024"]["total"]["offered_mt"]["mean"] == pytest.approx(0.5 * 4.484, rel=0.06)
    assert not list(out.glob("*.png"))


def test_validate_describes_the_scenario(base_path):
    r = CliRunner().invoke(main, ["validate", str(base_path)])
    assert r.exit_code == 0
    assert "valid" in r.output and "4.484 Mt/yr" in r.output and "ferry" not in r.output.split("\n")[0]
    assert "crude_kz_btc" in r.output


def test_failed_run_keeps_earlier_results(tmp_path, base_path, monkeypatch):
    out = tmp_path / "keep"
    assert (
        CliRunner()
        .invoke(main, ["run", str(base_path), "--out", str(out), "--no-plots", "-q", "--years", "2024"])
        .exit_code
        == 0
    )
    before = (out / "annual.csv").read_text()
    # bad input: nothing is touched
    r = CliRunner().invoke(main, ["run", str(base_path), "--out", str(out), "--set", "demand.scale=-2"])
    assert r.exit_code == 2 and (out / "annual.csv").read_text() == before
    # a failure while writing: the old folder survives whole, no temporary folder is left
    import importlib

    from corridor_sim.present import write

    # the module, not the function of the same name the package exports
    figures = importlib.import_module("corridor_sim.present.figures")

    def boom(*a, **k):
        raise RuntimeError("disk on fire")

    # patched where the writer looks it up, so the failure really happens mid-write
    monkeypatch.setattr(figures, "save_all", boom)
    res = cs.run(cs.load_scenario(base_path, years=(2024, 2024)), seed=9)
    with pytest.raises(RuntimeError):
        write(res, out, plots=True, overwrite=True)
    assert (out / "annual.csv").read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep"]


def test_schema_doc_is_current():
    from corridor_sim.scenario.schema_doc import schema_markdown

    doc = Path(__file__).resolve().parents[1] / "docs" / "scenario.md"
    assert doc.read_text() == schema_markdown(), "run: corridor-sim schema > docs/scenario.md"


def test_real_subprocess(tmp_path, base_path):
    exe = shutil.which("corridor-sim", path=str(Path(sys.executable).parent)) or shutil.which("corridor-sim")
    assert exe, "the corridor-sim script is installed with the package"
    out = tmp_path / "sub"
    env = dict(untraced(dict(os.environ)), COLUMNS="120")  # the installed script as a user starts it
    p = subprocess.run(
        [exe, "run", str(base_path), "--out", str(out), "--seed", "2", "--years", "2024-2025"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
    )
    assert p.returncode == 0, p.stderr
    assert "results written to" in p.stdout and (out / "summary.json").exists()
    assert set(json.loads((out / "summary.json").read_text())["years"]) == {"2024", "2025"}
    bad = subprocess.run([exe, "validate", str(tmp_path / "missing.yaml")], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "no such scenario file" in bad.stderr and "Traceback" not in bad.stderr


def test_summary_schema_doc_names_every_metric():
    """docs/summary.md documents the schema the code writes: its version and every metric."""
    from corridor_sim.run import summary

    doc = (Path(__file__).resolve().parents[1] / "docs" / "summary.md").read_text()
    assert f"version {summary.VERSION}" in doc and summary.SCHEMA in doc
    for m in summary.TOTAL_METRICS + summary.FLOW_METRICS:
        assert f"`{m}`" in doc, m
    assert summary.check_summary({"schema": "x"})  # a wrong file is refused
