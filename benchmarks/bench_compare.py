"""CPU-seconds and bytes of the README's five-scenario comparison with five replications.

Runs, as a user would, in a fresh process:

    corridor-sim compare base bottlenecks unified_tariffs zangezur corridor_10mt -n 5 --out DIR

and reports the CPU time of that command and of every process it started (its worker processes,
and a fork server and its workers, which outlive the command by a moment: this script adopts them
as a child subreaper on Linux and waits for them, so their CPU is counted), the wall time, and the
bytes it wrote. The CPU is also priced in bare-SimPy events (CPU x the events per CPU second of a
bare SimPy loop timed in this process), a figure that does not depend on the machine.

``--source DIR`` runs the corridor_sim package found in another checkout (e.g. a worktree of an
older commit) with this Python, to measure before and after on the same machine.
Usage: python benchmarks/bench_compare.py [-n 5] [--workers 2] [--source DIR] [--keep DIR]
"""

from __future__ import annotations

import argparse
import ctypes
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_year import BARE_EVENTS, bare_simpy

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ["base", "bottlenecks", "unified_tariffs", "zangezur", "corridor_10mt"]
PR_SET_CHILD_SUBREAPER = 36
# the command line, saying first which corridor_sim it imported (so --source is checked, not assumed)
ENTRY = (
    "import corridor_sim; print('corridor_sim from', corridor_sim.__file__); from corridor_sim.cli import main; main()"
)


def _adopt_orphans() -> bool:
    """Become the reaper of orphaned descendants (a fork server outlives the command briefly)."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0


def _reap_all() -> None:
    while True:
        try:
            os.wait()
        except ChildProcessError:
            return


def _bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", "--replications", type=int, default=5)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--source", type=Path, default=ROOT, help="checkout whose corridor_sim is measured")
    ap.add_argument("--keep", type=Path, default=None, help="write the results here instead of a temporary folder")
    ap.add_argument("--years", default=None, help="START-END passed to compare (default: the scenarios' years)")
    args = ap.parse_args()
    adopted = _adopt_orphans()
    files = [str(args.source / "scenarios" / f"{s}.yaml") for s in SCENARIOS]
    with tempfile.TemporaryDirectory() as tmp:
        out = args.keep or Path(tmp) / "compare5"
        cmd = [
            sys.executable,
            "-c",
            ENTRY,
            "compare",
            *files,
            "-n",
            str(args.replications),
            "--workers",
            str(args.workers),
            "--out",
            str(out),
            "-q",
        ]
        if args.years:
            cmd += ["--years", args.years]
        env = dict(os.environ, PYTHONPATH=str(args.source), MPLBACKEND="Agg")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        # from a neutral folder: `python -c` puts the working folder first on the path, which would
        # import the checkout the benchmark was started in instead of --source
        proc = subprocess.run(cmd, env=env, cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        wall = time.perf_counter() - t0
        _reap_all()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode != 0:
            sys.exit(f"compare failed ({proc.returncode}):\n{proc.stdout}")
        if f"corridor_sim from {args.source.resolve()}" not in proc.stdout:
            sys.exit(f"the command did not import the corridor_sim of {args.source}:\n{proc.stdout[:500]}")
        written = _bytes(out)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    bare = bare_simpy(BARE_EVENTS)
    print(
        f"compare of {len(SCENARIOS)} scenarios x {args.replications} replications, {args.workers} workers, "
        f"source {args.source}"
    )
    print(f"  CPU, all processes    {cpu:10.1f} s{'' if adopted else '  (fork server not adopted: CPU may be low)'}")
    print(f"  wall                  {wall:10.1f} s")
    print(f"  written               {written / 1e6:10.1f} MB")
    print(f"  bare SimPy            {bare:10,.0f} events per CPU second (this process)")
    print(f"  cost                  {cpu * bare / 1e6:10.1f} M bare-SimPy events")


if __name__ == "__main__":
    main()
