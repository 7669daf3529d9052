"""One writer per folder, and delete only what was written (issue 21).

A. A command holds a lock on its result folder for as long as it runs: a second command on the
   same folder exits 2 naming the folder and the holder, and writes nothing.
B. --overwrite removes exactly the files the previous run's marker lists and refuses a folder with
   any other (named, left intact); --resume never follows a link out of --out, and refuses results
   another version wrote unless --resume-any-version.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from corridor_sim import __version__
from corridor_sim.cli import main
from corridor_sim.run import output

from factories import rail_sea

ROOT = Path(__file__).resolve().parents[1]
CS = shutil.which("corridor-sim", path=str(Path(sys.executable).parent)) or shutil.which("corridor-sim")
TINY = rail_sea(tons_per_year=20_000.0, lot=40.0, capacity=100.0)
BASE = ROOT / "scenarios" / "base.yaml"
OPTIONS = ROOT / "scenarios" / "options.yaml"
CANDIDATES = ROOT / "scenarios" / "candidates.yaml"


@pytest.fixture()
def tiny(tmp_path) -> Path:
    p = tmp_path / "tiny.yaml"
    p.write_text(yaml.safe_dump(TINY, sort_keys=False))
    return p


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


HOLD = """
import sys, time
from corridor_sim.run import output
sys.argv = ["corridor-sim", "run", "other.yaml", "--out", sys.argv[1]]
with output.folder_lock(sys.argv[4]):
    print("held", flush=True)
    time.sleep(120)
"""


@pytest.fixture()
def holder(tmp_path):
    """Another process holding the lock on a folder, as a running command does."""
    procs = []

    def hold(folder: Path) -> subprocess.Popen:
        p = subprocess.Popen([sys.executable, "-c", HOLD, str(folder)], stdout=subprocess.PIPE, text=True)
        procs.append(p)
        assert p.stdout.readline().strip() == "held"
        return p

    yield hold
    for p in procs:
        if p.poll() is None:
            p.kill()
        p.wait(10)


# ----------------------------------------------------------------------------------------------
# A. One writer per folder
# ----------------------------------------------------------------------------------------------
COMMANDS = {
    "run": ["run", "{tiny}", "-q", "--no-plots"],
    "run -n 2": ["run", "{tiny}", "-n", "2", "-w", "1", "-q", "--no-plots"],
    "run --resume": ["run", "{tiny}", "-n", "2", "-w", "1", "-q", "--resume"],
    "compare": ["compare", "{tiny}", "-n", "1", "-w", "1", "-q", "--no-plots"],
    "sweep": ["sweep", "{tiny}", "--vary", "demand.scale=1,2", "-w", "1", "-q"],
    "capacity": ["capacity", str(BASE), "--years", "2024", "-n", "2", "-w", "1", "-q"],
    "bottlenecks": ["bottlenecks", str(BASE), "--year", "2024", "-w", "1", "-q"],
    "sensitivity": ["sensitivity", str(BASE), "--years", "2024", "-w", "1", "-q"],
    "appraise": ["appraise", str(OPTIONS), "--years", "2024-2025", "-w", "1", "-q"],
    "plan": ["plan", str(OPTIONS), "--candidates", str(CANDIDATES), "--by", "2030", "-w", "1", "-q"],
}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_second_command_on_a_folder_in_use_exits_2_naming_the_holder(tmp_path, tiny, holder, name):
    out = tmp_path / "busy"
    h = holder(out)
    r = invoke(*[a.format(tiny=tiny) for a in COMMANDS[name]], "--out", out)
    assert r.exit_code == 2, r.output
    (error,) = [line for line in r.output.splitlines() if line.startswith("error:")]  # one paragraph
    assert f"--out {out} is being written by another corridor-sim command" in error
    assert f"pid {h.pid}" in error and "corridor-sim run other.yaml" in error
    assert "Traceback" not in r.output
    assert not out.exists()  # nothing written, nothing mixed


def test_two_processes_on_one_out_one_runs_the_other_exits_2_and_nothing_is_mixed(tmp_path, tiny, holder):
    out = tmp_path / "one"
    assert invoke("run", tiny, "-n", "2", "-w", "1", "--seed", "1", "--out", out, "-q", "--no-plots").exit_code == 0
    before = snapshot(out)
    h = holder(out)
    second = [CS, "run", str(tiny), "-n", "2", "-w", "1", "--seed", "2", "--out", str(out), "-q", "--no-plots"]
    r = subprocess.run([*second, "--overwrite"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stderr
    assert "being written by another corridor-sim command" in r.stderr and f"pid {h.pid}" in r.stderr
    assert r.stderr.strip().count("\n") == 0
    assert snapshot(out) == before  # the manifest, summary and replications all still seed 1
    # the operating system drops the lock of a process that dies (here: SIGKILL): no stale lock
    h.send_signal(signal.SIGKILL)
    h.wait(10)
    r = subprocess.run([*second, "--overwrite"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert json.loads((out / "manifest.json").read_text())["seed"] == 2
    assert json.loads((out / "metadata.json").read_text())["seed"] == 2


def test_the_lock_is_re_entrant_within_a_command_and_released_after_it(tmp_path, tiny):
    out = tmp_path / "r"
    with output.folder_lock(out), output.folder_lock(out):
        pass
    assert invoke("run", tiny, "--out", out, "-q", "--no-plots").exit_code == 0
    assert not any(p.name.endswith(".holder.json") for p in output.lock_dir().iterdir() if str(out) in p.name)
    # released: another process can take it at once
    p = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys\nfrom corridor_sim.run import output\nwith output.folder_lock(sys.argv[1]): pass",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert p.returncode == 0, p.stderr


# ----------------------------------------------------------------------------------------------
# B. Delete only what you wrote
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "command",
    [
        ["run", "{tiny}", "-q", "--no-plots"],
        ["run", "{tiny}", "-n", "2", "-w", "1", "-q", "--no-plots"],
        ["compare", "{tiny}", "-n", "1", "-w", "1", "-q", "--no-plots"],
        ["compare", "{tiny}", "-n", "2", "-w", "1", "-q", "--no-plots"],
        ["sweep", "{tiny}", "--vary", "demand.scale=1,2", "-w", "1", "-q"],
    ],
)
def test_overwrite_refuses_a_folder_with_a_foreign_file_and_leaves_it_intact(tmp_path, tiny, command):
    out = tmp_path / "res"
    args = [a.format(tiny=tiny) for a in command] + ["--out", str(out)]
    assert invoke(*args).exit_code == 0
    assert output.foreign_files(out) == []  # everything a command writes is listed
    (out / "notes.txt").write_text("my notes")
    before = snapshot(out)
    r = invoke(*args, "--overwrite")
    assert r.exit_code == 2, r.output
    assert "notes.txt" in r.output and "--overwrite deletes only the files" in r.output
    assert "Traceback" not in r.output
    assert snapshot(out) == before
    (out / "notes.txt").unlink()
    assert invoke(*args, "--overwrite").exit_code == 0
    assert output.foreign_files(out) == []  # ... and so is everything a replacing command writes


def test_a_foreign_file_inside_a_replication_is_named_and_kept(tmp_path, tiny):
    out = tmp_path / "res"
    args = ["run", tiny, "-n", "2", "-w", "1", "-q", "--no-plots", "--out", out]
    assert invoke(*args).exit_code == 0
    (out / "replications" / "rep_001" / "mine.csv").write_text("1,2")
    r = invoke(*args, "--overwrite")
    assert r.exit_code == 2 and "replications/rep_001/mine.csv" in r.output
    assert (out / "replications" / "rep_001" / "mine.csv").read_text() == "1,2"


def test_overwrite_removes_exactly_the_files_of_the_previous_run(tmp_path, tiny):
    out = tmp_path / "res"
    assert invoke("run", tiny, "-n", "3", "-w", "1", "-q", "--no-plots", "--out", out).exit_code == 0
    assert (out / "replications" / "rep_002").is_dir()
    r = invoke("run", tiny, "-n", "2", "-w", "1", "-q", "--no-plots", "--out", out, "--overwrite")
    assert r.exit_code == 0, r.output
    assert not (out / "replications" / "rep_002").exists()  # the old run's third replication went with it
    assert json.loads((out / "manifest.json").read_text())["replications"] == 2
    assert output.foreign_files(out) == [] and not list(tmp_path.glob(".res.*"))


def test_a_folder_that_merely_contains_a_comparison_json_is_not_emptied(tmp_path, tiny):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "comparison.json").write_text("{}")
    (out / "thesis.tex").write_text("chapter 1")
    before = snapshot(out)
    for args in (["compare", tiny, "-n", "1"], ["run", tiny], ["sweep", tiny, "--vary", "demand.scale=1,2"]):
        r = invoke(*args, "-w", "1", "-q", "--out", out, "--overwrite")
        assert r.exit_code == 2, r.output
        assert "comparison.json" in r.output and "thesis.tex" in r.output and "Traceback" not in r.output
        assert snapshot(out) == before


def test_results_of_a_version_that_listed_no_files_are_not_replaced_and_the_message_says_why(tmp_path, tiny):
    out = tmp_path / "old"
    assert invoke("run", tiny, "-q", "--no-plots", "--out", out).exit_code == 0
    marker = json.loads((out / output.MARKER).read_text())
    del marker["files"]  # as earlier versions wrote it
    (out / output.MARKER).write_text(json.dumps(marker))
    before = snapshot(out)
    r = invoke("run", tiny, "-q", "--no-plots", "--out", out, "--overwrite")
    assert r.exit_code == 2, r.output
    assert "list no files they wrote" in r.output and "delete the folder yourself" in r.output
    assert snapshot(out) == before


def test_resume_refuses_a_symlinked_replications_folder_pointing_outside(tmp_path, tiny):
    out = tmp_path / "res"
    assert invoke("run", tiny, "-n", "2", "-w", "1", "-q", "--no-plots", "--out", out).exit_code == 0
    outside = tmp_path / "elsewhere"
    shutil.move(out / "replications", outside)
    (out / "replications").symlink_to(outside, target_is_directory=True)
    before = snapshot(outside)
    for extra in (["--resume"], ["--overwrite"]):
        r = invoke("run", tiny, "-n", "3", "-w", "1", "-q", "--no-plots", "--out", out, *extra)
        assert r.exit_code == 2, r.output
        assert "replications" in r.output
        assert ("symbolic link" in r.output) if extra == ["--resume"] else ("recorded writing" in r.output)
        assert "Traceback" not in r.output
        assert snapshot(outside) == before and not (outside / "rep_002").exists()
    assert (out / "replications").is_symlink()  # the user's link is left as it is


def test_resume_across_versions_is_refused_unless_asked_and_says_what_differs(tmp_path, tiny):
    out = tmp_path / "res"
    assert invoke("run", tiny, "-n", "2", "-w", "1", "-q", "--no-plots", "--out", out).exit_code == 0
    marker = json.loads((out / output.MARKER).read_text())
    (out / output.MARKER).write_text(json.dumps({**marker, "version": "0.0.1"}))
    before = snapshot(out)
    r = invoke("run", tiny, "-n", "3", "-w", "1", "-q", "--no-plots", "--out", out, "--resume")
    assert r.exit_code == 2, r.output
    assert "corridor-sim 0.0.1" in r.output and f"corridor-sim {__version__}" in r.output
    assert "--resume-any-version" in r.output and "Traceback" not in r.output
    assert snapshot(out) == before
    r = invoke("run", tiny, "-n", "3", "-w", "1", "-q", "--no-plots", "--out", out, "--resume", "--resume-any-version")
    assert r.exit_code == 0, r.output
    assert "reusing results written by corridor-sim 0.0.1" in r.output
    m = json.loads((out / output.MARKER).read_text())
    assert m["version"] == "0.0.1" and m["resumed_by"] == [__version__]
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"
    assert output.foreign_files(out) == []


def test_an_interrupted_run_lists_what_it_wrote_so_overwrite_can_replace_it(tmp_path, tiny):
    out = tmp_path / "res"
    args = [CS, "run", str(tiny), "-n", "40", "-w", "1", "-q", "--no-plots", "--out", str(out)]
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not (out / "replications" / "rep_001").exists() and time.time() < deadline and p.poll() is None:
        time.sleep(0.02)
    p.send_signal(signal.SIGKILL)
    p.wait(10)
    assert (out / "manifest.json").exists()
    assert output.foreign_files(out) == []  # killed mid-run, the marker still lists every file
    r = invoke("run", tiny, "-n", "2", "-w", "1", "-q", "--no-plots", "--out", out, "--overwrite")
    assert r.exit_code == 0, r.output


# ----------------------------------------------------------------------------------------------
# C. Every numeric option refuses nan and infinity; years and dates are bounded
# ----------------------------------------------------------------------------------------------
NUMERIC = [
    (["plan", str(OPTIONS), "--candidates", str(CANDIDATES), "--by", "2030"], "--goal"),
    (["plan", str(OPTIONS), "--candidates", str(CANDIDATES), "--by", "2030"], "--budget-musd"),
    (["plan", str(OPTIONS), "--candidates", str(CANDIDATES), "--by", "2030"], "--confidence"),
    (["appraise", str(OPTIONS)], "--discount-rate"),
    (["bottlenecks", str(BASE)], "--step"),
    (["charts", "some-run"], "--days"),
]


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "1e999"])
@pytest.mark.parametrize("args,option", NUMERIC, ids=[f"{a[0]} {o}" for a, o in NUMERIC])
def test_nan_and_infinity_are_refused_on_every_numeric_option(tmp_path, args, option, value):
    r = invoke(
        *args,
        option,
        value,
        "--out" if args[0] != "charts" else "--year",
        tmp_path / "x" if args[0] != "charts" else "2024",
    )
    assert r.exit_code == 2, r.output
    assert f"Invalid value for '{option}'" in r.output and "Traceback" not in r.output
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("value", [".nan", ".inf", "-.Inf", ".NaN"])
def test_a_sweep_refuses_a_value_that_is_not_finite(tmp_path, tiny, value):
    r = invoke("sweep", tiny, "--vary", f"demand.scale=1,{value}", "-w", "1", "-q", "--out", tmp_path / "x")
    assert r.exit_code == 2, r.output
    assert f"--vary demand.scale: the value '{value}' is not a finite number" in r.output
    assert "Traceback" not in r.output and not (tmp_path / "x").exists()


YEARS = [
    (["plan", str(OPTIONS), "--candidates", str(CANDIDATES)], "--by"),
    (["capacity", str(BASE)], "--year"),
    (["bottlenecks", str(BASE)], "--year"),
    (["charts", "some-run"], "--year"),
]


@pytest.mark.parametrize("value", ["0", "99999", "-2024"])
@pytest.mark.parametrize("args,option", YEARS, ids=[f"{a[0]} {o}" for a, o in YEARS])
def test_years_are_bounded(args, option, value):
    r = invoke(*args, option, value)
    assert r.exit_code == 2, r.output
    assert f"Invalid value for '{option}'" in r.output and "1990" in r.output and "Traceback" not in r.output


def test_every_float_option_of_every_command_is_finite():
    from corridor_sim.cli.main import Finite

    floats = [
        (cmd.name, p.name)
        for cmd in main.commands.values()
        for p in cmd.params
        if isinstance(p.type, click_float_types())
    ]
    assert floats, "the commands have float options"
    for cmd_name, p_name in floats:
        param = next(p for p in main.commands[cmd_name].params if p.name == p_name)
        assert isinstance(param.type, Finite), f"{cmd_name} --{p_name} takes nan"


def click_float_types():
    import click

    return (click.types.FloatParamType,)


def test_a_candidate_starting_in_9999_is_one_paragraph_not_a_crash(tmp_path):
    raw = yaml.safe_load(CANDIDATES.read_text())
    first = raw["candidates"][0]
    first["earliest_start"] = "9999-12-31"
    path = tmp_path / "cands.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    r = invoke("plan", OPTIONS, "--candidates", path, "--by", "2030", "--out", tmp_path / "p", "-q")
    assert r.exit_code == 2, r.output
    assert f"candidates.{first['id']}.earliest_start" in r.output and "9999-12-31" in r.output
    assert "2100" in r.output and "Traceback" not in r.output and "OverflowError" not in r.output


def test_statistics_written_beside_replications_from_python_are_listed(tmp_path, tiny):
    import corridor_sim as cs
    from corridor_sim.present import write

    from factories import build

    s = build(TINY)
    out = tmp_path / "api"
    runs = cs.replicate(s, 2, out=out, workers=1)
    write(cs.Replicated(s, 1, runs), out)  # the statistics and plots beside the replications
    assert (out / "summary.json").is_file() and (out / "annual_tons.png").is_file()
    assert output.foreign_files(out) == []  # so --overwrite may replace them later
    r = invoke("run", tiny, "-n", "2", "-w", "1", "-q", "--no-plots", "--out", out, "--overwrite")
    assert r.exit_code == 0, r.output
