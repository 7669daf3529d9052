"""The output contract (corridor_sim/output.py), clause by clause, through the CLI and the API.

1. A folder corridor-sim did not write is never emptied, not even with --overwrite.
2. Results are replaced only with --overwrite, and the old ones stay until the new are complete,
   through an interrupt, a failure, or a kill between writing and swapping.
3. Temporary names are unique, created exclusively, never follow a planted symlink, and are
   removed on every exit path; those of a killed run are cleaned up by the next one.
4. A killed run's worker processes die with it.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

import corridor_sim as cs
from corridor_sim.cli import main
from corridor_sim.experiments.replications import replicate
from corridor_sim.run import output

from factories import build, rail_sea

CS = shutil.which("corridor-sim", path=str(Path(sys.executable).parent)) or shutil.which("corridor-sim")
TINY = rail_sea(tons_per_year=20_000.0, lot=40.0, capacity=100.0)


@pytest.fixture()
def tiny(tmp_path) -> Path:
    """A small corridor as a scenario file: a run takes a fraction of a second."""
    p = tmp_path / "tiny.yaml"
    p.write_text(yaml.safe_dump(TINY, sort_keys=False))
    return p


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".tmp-" in p.name or ".old-" in p.name)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# ----------------------------------------------------------------------------------------------
# 1. Never empty a folder corridor-sim did not write
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "command",
    [
        ["run", "{s}", "--out", "{d}"],
        ["run", "{s}", "--out", "{d}", "--overwrite"],
        ["run", "{s}", "-n", "2", "-w", "1", "--out", "{d}", "--overwrite"],
        ["run", "{s}", "-n", "2", "-w", "1", "--out", "{d}", "--resume"],
        ["sweep", "{s}", "--vary", "demand.scale=1,2", "-w", "1", "--out", "{d}", "--overwrite"],
        ["compare", "{s}", "--route-flow", "f", "--out", "{d}", "--overwrite"],
    ],
)
def test_a_folder_corridor_sim_did_not_write_is_never_emptied(tmp_path, tiny, command):
    d = tmp_path / "d"
    d.mkdir()
    (d / "keep.txt").write_text("x")
    r = invoke(*[a.format(s=tiny, d=d) for a in command])
    assert r.exit_code == 2, r.output
    assert "keep.txt" in r.output and "did not write" in r.output and "Traceback" not in r.output
    assert sorted(p.name for p in d.iterdir()) == ["keep.txt"] and (d / "keep.txt").read_text() == "x"


def test_an_empty_folder_is_used_and_results_are_replaced_only_with_overwrite(tmp_path, tiny):
    out = tmp_path / "e"
    out.mkdir()
    assert invoke("run", tiny, "--out", out, "-q", "--no-plots").exit_code == 0
    first = (out / "metadata.json").read_text()
    again = invoke("run", tiny, "--out", out, "-q", "--no-plots", "--seed", "2")
    assert again.exit_code == 2 and "--overwrite" in again.output
    assert (out / "metadata.json").read_text() == first
    r = invoke("run", tiny, "--out", out, "-q", "--no-plots", "--seed", "2", "--overwrite")
    assert r.exit_code == 0, r.output
    assert json.loads((out / "metadata.json").read_text())["seed"] == 2
    assert leftovers(tmp_path) == [] and (out / output.MARKER).is_file()


def test_sweep_does_not_replace_results_without_overwrite(tmp_path, tiny):
    out = tmp_path / "sw"
    args = ["sweep", tiny, "--vary", "demand.scale=1,2", "-w", "1", "--out", out, "-q"]
    assert invoke(*args).exit_code == 0
    before = snapshot(out)
    r = invoke(*args)
    assert r.exit_code == 2 and "--overwrite" in r.output
    assert snapshot(out) == before
    assert invoke(*args, "--overwrite").exit_code == 0


# ----------------------------------------------------------------------------------------------
# 2. --overwrite keeps the old results until the new ones are complete
# ----------------------------------------------------------------------------------------------
def test_an_interrupted_overwrite_keeps_the_old_replications(tmp_path):
    s = build(TINY)
    out = tmp_path / "r"
    replicate(s, 2, seed=1, out=out, workers=1)
    before = snapshot(out)

    def stop_after_one(done, total):
        if done == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        replicate(s, 3, seed=7, out=out, workers=1, overwrite=True, progress=stop_after_one)
    assert snapshot(out) == before
    assert leftovers(tmp_path) == []
    replicate(s, 3, seed=7, out=out, workers=1, overwrite=True)
    assert json.loads((out / "manifest.json").read_text())["seed"] == 7


def _replace_and_die(out: str, seed: int, patch: str) -> None:
    """In a child process: write new results over ``out`` and die by SIGKILL at ``patch``."""
    res = cs.run(build(TINY), seed=seed)
    die = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)
    if patch == "before swap":
        output.swap_in = die  # every file written, nothing swapped
    elif patch == "between renames":
        output._exchange = lambda a, b: False  # the portable two-rename swap ...
        real_rename = os.rename
        calls = []

        def rename(a, b):
            calls.append(a)
            if len(calls) == 2:  # ... killed between its two renames
                die()
            real_rename(a, b)

        os.rename = rename
    elif patch == "replicating":

        def progress(done, total):
            if done == 2:
                die()

        replicate(build(TINY), 4, seed=seed, out=out, workers=1, overwrite=True, progress=progress)
        return
    res.write(out, overwrite=True)


@pytest.mark.parametrize("where", ["before swap", "between renames", "replicating"])
def test_a_kill_while_replacing_loses_nothing_and_the_next_run_cleans_up(tmp_path, where):
    out = tmp_path / "keep"
    if where == "replicating":
        replicate(build(TINY), 2, seed=1, out=out, workers=1)
    else:
        cs.run(build(TINY), seed=1).write(out)
    before = snapshot(out)
    child = multiprocessing.get_context("fork").Process(target=_replace_and_die, args=(str(out), 5, where))
    child.start()
    child.join(60)
    assert child.exitcode == -signal.SIGKILL
    left = leftovers(tmp_path)
    assert left and all(f".{os.getpid()}-" not in n for n in left)  # the dead child's, named by its pid
    if where == "between renames":
        assert not out.exists()  # the old results sit under their .old- name
    else:
        assert snapshot(out) == before
    output.claim(out, overwrite=True)  # what the next command does first
    assert leftovers(tmp_path) == []
    assert snapshot(out) == before  # ... including putting an old folder back


def test_a_killed_single_run_leaves_no_temporary_folder_for_long(tmp_path, base_path):
    out = tmp_path / "y"
    p = subprocess.Popen(
        [CS, "run", str(base_path), "--years", "2024", "--out", str(out), "-q"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 120
    while not list(tmp_path.glob(".y.tmp-*")) and p.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    assert list(tmp_path.glob(".y.tmp-*")), "the run writes into a temporary folder beside --out"
    p.send_signal(signal.SIGKILL)
    p.wait()
    assert not out.exists() and leftovers(tmp_path)
    r = invoke("run", base_path, "--years", "2024", "--out", out, "-q", "--no-plots")
    assert r.exit_code == 0, r.output
    assert leftovers(tmp_path) == []


def test_sigterm_removes_the_temporary_folder(tmp_path, base_path):
    out = tmp_path / "t"
    p = subprocess.Popen(
        [CS, "run", str(base_path), "--years", "2024", "--out", str(out), "-q"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 120
    while not list(tmp_path.glob(".t.tmp-*")) and p.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130 and "interrupted" in err and "Traceback" not in err
    assert leftovers(tmp_path) == [] and not out.exists()


# ----------------------------------------------------------------------------------------------
# 3. Temporary names: unique, exclusive, never through a symlink
# ----------------------------------------------------------------------------------------------
OLD_FIXED_NAMES = [
    ".summary.json.tmp",
    ".metadata.json.tmp",
    ".manifest.json.tmp",
    ".annual.csv.tmp",
    ".annual_tons.png.tmp",
    ".corridor_map.png.tmp",
]


def test_planted_symlinks_are_never_followed(tmp_path, tiny):
    outside = tmp_path / "outside"
    outside.mkdir()
    out = tmp_path / "r"
    assert invoke("run", tiny, "-n", "2", "-w", "1", "--out", out, "-q", "--detail").exit_code == 0
    for name in OLD_FIXED_NAMES:  # the fixed names earlier versions wrote through
        (out / name).symlink_to(outside / name.strip("."))
    (out / "totals.csv").unlink()
    (out / "totals.csv").symlink_to(outside / "victim.csv")  # a link at a destination is replaced, not followed
    (outside / "victim.csv").write_text("mine")
    (tmp_path / ".rep.html.tmp").symlink_to(outside / "rep.html")
    assert invoke("run", tiny, "-n", "3", "-w", "1", "--out", out, "-q", "--resume", "--detail").exit_code == 0
    assert invoke("charts", out, "--days", "5").exit_code == 0  # the charts draw the detail
    r = invoke("report", out, "--out", tmp_path / "rep.html")
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in outside.iterdir()) == ["victim.csv"]
    assert (outside / "victim.csv").read_text() == "mine"
    assert (out / "totals.csv").is_file() and not (out / "totals.csv").is_symlink()
    names = [output.temp_prefix("x") for _ in range(2)]
    assert names[0] == names[1] and f"-{os.getpid()}-" in names[0]  # the prefix; mkstemp/mkdtemp add the unique part


def test_report_never_replaces_a_file_it_did_not_write(tmp_path, tiny):
    run_dir = tmp_path / "run"
    assert invoke("run", tiny, "--out", run_dir, "-q").exit_code == 0
    mine = tmp_path / "notes.html"
    mine.write_text("<html>my notes</html>")
    for extra in ([], ["--overwrite"]):
        r = invoke("report", run_dir, "--out", mine, *extra)
        assert r.exit_code == 2 and "did not write" in r.output
    assert mine.read_text() == "<html>my notes</html>"
    rep = tmp_path / "rep.html"
    assert invoke("report", run_dir, "--out", rep).exit_code == 0
    again = invoke("report", run_dir, "--out", rep)
    assert again.exit_code == 2 and "--overwrite" in again.output
    assert invoke("report", run_dir, "--out", rep, "--overwrite").exit_code == 0


# ----------------------------------------------------------------------------------------------
# 4. Workers die with the run
# ----------------------------------------------------------------------------------------------
def _children(pid: int) -> list[int]:
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        kids = _children(todo.pop())
        out += kids
        todo += kids
    return out


def _is_worker(pid: int) -> bool:
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_text(errors="replace")
    except OSError:
        return False
    return "spawn_main" in cmd or "forkserver" in cmd


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has exited


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_sigkilled_replicated_run_takes_its_workers_with_it(tmp_path, base_path):
    p = subprocess.Popen(
        [CS, "run", str(base_path), "--years", "2024", "-n", "4", "--workers", "2", "--out", str(tmp_path / "r"), "-q"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 120
    workers: list[int] = []
    while time.time() < deadline and p.poll() is None:
        # spawned workers are the run's children; forkserver workers are the fork server's
        workers = [k for k in _descendants(p.pid) if _is_worker(k)]
        if len(workers) >= 2:
            break
        time.sleep(0.05)
    assert len(workers) >= 2, "the run started two worker processes"
    p.send_signal(signal.SIGKILL)
    p.wait()
    deadline = time.time() + 20
    while any(_running(w) for w in workers) and time.time() < deadline:
        time.sleep(0.1)
    assert not any(_running(w) for w in workers), "the workers outlived the run"
