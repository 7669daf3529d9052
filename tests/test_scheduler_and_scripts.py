"""A scheduler address that is malformed or never answers, and the API from any script (issue 21).

D. ``--scheduler tcp://[::1`` is one paragraph; a peer that accepts the connection and stays
   silent fails the handshake within seconds (exit 2), never hangs the run.
E. A script without ``if __name__ == "__main__":``, or one piped to ``python -``, runs in-process
   with one warning line instead of dying with BrokenProcessPool and the workers' tracebacks.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from corridor_sim.cli import main
from corridor_sim.experiments.execution import SchedulerError, _reachable

from factories import rail_sea

ROOT = Path(__file__).resolve().parents[1]
CS = shutil.which("corridor-sim", path=str(Path(sys.executable).parent)) or shutil.which("corridor-sim")
TINY = rail_sea(tons_per_year=20_000.0, lot=40.0, capacity=100.0)


@pytest.fixture()
def tiny(tmp_path) -> Path:
    p = tmp_path / "tiny.yaml"
    p.write_text(yaml.safe_dump(TINY, sort_keys=False))
    return p


@pytest.fixture()
def silent_server():
    """A local TCP server that accepts every connection and never sends a byte."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept():
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
                held.append(conn)  # kept open, unanswered
            except OSError:
                continue

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    yield f"tcp://127.0.0.1:{srv.getsockname()[1]}"
    stop.set()
    t.join(5)
    for c in held:
        c.close()
    srv.close()


@pytest.mark.parametrize("address", ["tcp://[::1", "tcp://[::1]", "tls://host:99999", "tcp://:8786"])
def test_a_malformed_scheduler_address_is_one_paragraph(tmp_path, tiny, address):
    r = CliRunner().invoke(main, ["run", str(tiny), "-n", "2", "--out", str(tmp_path / "x"), "--scheduler", address])
    assert r.exit_code == 2, r.output
    (error,) = [line for line in r.output.splitlines() if line.startswith("error:")]
    assert f"--scheduler {address}" in error and "tcp://HOST:PORT" in error
    assert "Traceback" not in r.output and not (tmp_path / "x").exists()


def test_a_scheduler_that_accepts_and_never_answers_fails_within_seconds(tmp_path, tiny, silent_server):
    out = tmp_path / "x"
    t0 = time.monotonic()
    r = subprocess.run(
        [CS, "run", str(tiny), "-n", "2", "--out", str(out), "--scheduler", silent_server, "-q"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    elapsed = time.monotonic() - t0
    assert r.returncode == 2, r.stderr
    assert "does not answer as a Dask scheduler within 5 s" in r.stderr and "Traceback" not in r.stderr
    assert r.stderr.strip().count("\n") == 0
    assert elapsed < 20, elapsed  # the 5 s handshake, and the start of the command
    assert not out.exists()


def test_the_handshake_times_out_and_a_real_scheduler_passes(silent_server):
    t0 = time.monotonic()
    with pytest.raises(SchedulerError, match="does not answer"):
        _reachable(silent_server, timeout_s=0.5)
    assert time.monotonic() - t0 < 5
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=0, processes=False, protocol="tcp://", dashboard_address=None) as c:
        _reachable(c.scheduler_address, timeout_s=5)  # it speaks first: no error


# ----------------------------------------------------------------------------------------------
# E. The API from any script
# ----------------------------------------------------------------------------------------------
CAPACITY = f"""
import corridor_sim as cs
s = cs.load_scenario({str(ROOT / "scenarios" / "base.yaml")!r}, years=(2024, 2024))
t = cs.capacity_trajectory(s, replications=2, workers=2)
print("capacity rows", len(t))
"""

APPRAISE = f"""
import corridor_sim as cs
s = cs.load_scenario({str(ROOT / "scenarios" / "options.yaml")!r}, years=(2024, 2025))
a = cs.appraise(s, replications=2, workers=2)
print("appraised", len(a.table))
"""


def _check(r: subprocess.CompletedProcess, expect: str, warned: bool) -> None:
    assert r.returncode == 0, r.stderr[-3000:]
    assert expect in r.stdout
    # under the suite's coverage (pytest-cov measures subprocesses), coverage may warn about its own
    # set-up on stderr: that is the test harness speaking, not corridor-sim
    lines = [
        line
        for line in r.stderr.splitlines()
        if line.strip() and "CoverageWarning" not in line and 'self.warn(msg, slug="' not in line
    ]
    assert "Traceback" not in r.stderr and "BrokenProcessPool" not in r.stderr
    if warned:
        assert len(lines) == 1, lines
        assert "running in this process instead" in lines[0] and 'if __name__ == "__main__":' in lines[0]
    else:
        assert lines == [], lines


@pytest.mark.parametrize(
    "script,expect", [(CAPACITY, "capacity rows"), (APPRAISE, "appraised")], ids=["capacity", "appraise"]
)
def test_a_script_piped_to_python_runs_in_process_with_one_warning_line(script, expect):
    r = subprocess.run([sys.executable, "-"], input=script, capture_output=True, text=True, timeout=300)
    _check(r, expect, warned=True)
    assert "(<stdin>)" in r.stderr


def test_a_script_without_a_main_guard_runs_in_process_with_one_warning_line(tmp_path):
    path = tmp_path / "no_guard.py"
    path.write_text(CAPACITY)
    r = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    _check(r, "capacity rows", warned=True)
    assert f"{path} calls corridor-sim at its top level (line 4)" in r.stderr


def test_a_script_with_the_guard_uses_worker_processes_without_a_word(tmp_path):
    path = tmp_path / "guarded.py"
    body = textwrap.indent(CAPACITY.strip(), "    ")
    path.write_text(f'if __name__ == "__main__":\n{body}\n')
    r = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    _check(r, "capacity rows", warned=False)
