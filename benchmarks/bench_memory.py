"""Peak memory of a 12-year run against a 1-year run of the base scenario.

Runs `corridor-sim run scenarios/base.yaml --years Y` in a fresh process for one year (2024) and
for the scenario's whole horizon, with and without plots, and reports each process's peak resident
memory (the kernel's maxrss for that process, from wait4) and the bytes written. Memory that grows
with the years simulated shows as the ratio; the target is within 10%.

``--source DIR`` measures the corridor_sim of another checkout with this Python (before and after).
Usage: python benchmarks/bench_memory.py [--repeat 2] [--source DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# the command line, checking it imported the corridor_sim of --source (not the working folder's)
ENTRY = (
    "import sys, corridor_sim; from pathlib import Path; "
    "assert Path(corridor_sim.__file__).resolve().is_relative_to(Path(sys.argv[1]).resolve()), corridor_sim.__file__; "
    "sys.argv = sys.argv[1:]; from corridor_sim.cli import main; main()"
)


def peak_rss_mb(cmd: list[str], env: dict, cwd: str) -> float:
    # from a neutral folder: `python -c` puts the working folder first on the path
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err}")
    return usage.ru_maxrss / 1024  # kB on Linux


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", type=Path, default=ROOT)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--long", default="2024-2035", help="the long horizon START-END")
    args = ap.parse_args()
    env = dict(os.environ, PYTHONPATH=str(args.source), MPLBACKEND="Agg")
    scenario = str(args.source / "scenarios" / "base.yaml")
    print(f"peak resident memory of `corridor-sim run base.yaml`, median of {args.repeat}, source {args.source}")
    print(f"  {'':12s} {'1 year MB':>10s} {args.long + ' MB':>14s} {'ratio':>7s} {'written 1 y / long, MB':>24s}")
    for label, extra in (("tables only", ["--no-plots"]), ("with plots", [])):
        peaks: dict[str, list[float]] = {"2024": [], args.long: []}
        sizes: dict[str, int] = {}
        for _ in range(args.repeat):
            for years in peaks:
                with tempfile.TemporaryDirectory() as tmp:
                    out = Path(tmp) / "run"
                    cmd = [
                        sys.executable,
                        "-c",
                        ENTRY,
                        str(args.source),
                        "run",
                        scenario,
                        "--years",
                        years,
                        "--out",
                        str(out),
                        "-q",
                        *extra,
                    ]
                    peaks[years].append(peak_rss_mb(cmd, env, tmp))
                    sizes[years] = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        one, many = statistics.median(peaks["2024"]), statistics.median(peaks[args.long])
        print(
            f"  {label:12s} {one:10.0f} {many:14.0f} {many / one:7.2f} "
            f"{sizes['2024'] / 1e6:11.1f} / {sizes[args.long] / 1e6:.1f}"
        )


if __name__ == "__main__":
    main()
