"""Speed-up of 2 worker processes over 1 for a batch of replications, writing included.

Runs what `corridor-sim run SCENARIO -n 8 --workers W --out DIR` runs, in this process: the
replications, each written to its folder (tables and Parquet) by the worker that ran it, and the
manifest. The statistics and plots written afterwards by the parent are the same for any number of
workers and are left out. Both batches run the same seeds in the same run of this script, the
results are checked to be identical, and the batches alternate (1, W, 1, W, ...) so a disturbance
on the machine falls on both; the medians are reported. The worker start-up (the fork server
importing corridor-sim once) is included in every batch: each batch builds a fresh pool, as the CLI
does.

Usage: python benchmarks/bench_workers.py [-n 8] [--workers 2] [--years 2024-2035] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd

import corridor_sim as cs
from corridor_sim.experiments.replications import replicate

ROOT = Path(__file__).resolve().parents[1]


def _batch(scn, n: int, workers: int, where: Path) -> tuple[float, list]:
    out = where / f"w{workers}"
    t0 = time.perf_counter()
    runs = replicate(scn, n, seed=1, out=out, workers=workers)
    wall = time.perf_counter() - t0
    shutil.rmtree(out)
    return wall, runs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario", nargs="?", default=str(ROOT / "scenarios" / "base.yaml"))
    ap.add_argument("-n", "--replications", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--years", default=None, help="START-END (default: the scenario's years)")
    ap.add_argument("--repeat", type=int, default=3, help="alternating pairs of batches")
    args = ap.parse_args()
    years = None
    if args.years:
        first, _, last = args.years.partition("-")
        years = (int(first), int(last or first))
    scn = cs.load_scenario(args.scenario, years=years)
    ones, manys = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):
            t1, one = _batch(scn, args.replications, 1, Path(tmp))
            tn, many = _batch(scn, args.replications, args.workers, Path(tmp))
            for a, b in zip(one, many):
                pd.testing.assert_frame_equal(a.annual, b.annual, check_exact=True)
            ones.append(t1)
            manys.append(tn)
            print(f"  pair: 1 worker {t1:7.2f} s, {args.workers} workers {tn:7.2f} s, {t1 / tn:5.2f}x", flush=True)
    t1, tn = statistics.median(ones), statistics.median(manys)
    first, last = scn.start_year, scn.end_year
    print(
        f"{args.replications} replications of {scn.name} {first}-{last}, each written to its folder "
        f"(identical results on both); median of {args.repeat} alternating pairs, wall time, "
        f"{os.cpu_count()} cores"
    )
    print(f"  1 worker       {t1:8.2f} s   {args.replications / t1:6.2f} runs/s")
    print(f"  {args.workers} workers      {tn:8.2f} s   {args.replications / tn:6.2f} runs/s")
    print(f"  speed-up       {t1 / tn:8.2f}x   (ideal {args.workers:.0f}x; worker start-up included)")


if __name__ == "__main__":
    main()
