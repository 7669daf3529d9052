"""Speed-up of 2 worker processes over 1 for a batch of replications (base scenario, year 2024).

Both batches run the same tasks in the same run of this script; the results are checked to be
identical, so the speed-up is for equal work. Usage: python benchmarks/bench_workers.py [-n 8]
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

import corridor_sim as cs
from corridor_sim.experiment import replicate

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", "--replications", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    scn = cs.load_scenario(ROOT / "scenarios" / "base.yaml", years=(2024, 2024))
    t0 = time.perf_counter()
    one = replicate(scn, args.replications, seed=1, workers=1)
    t1 = time.perf_counter() - t0
    t0 = time.perf_counter()
    many = replicate(scn, args.replications, seed=1, workers=args.workers)
    tn = time.perf_counter() - t0
    for a, b in zip(one, many):
        pd.testing.assert_frame_equal(a.annual, b.annual, check_exact=True)
    print(f"{args.replications} replications of base 2024 (identical results on both)")
    print(f"  1 worker       {t1:8.2f} s   {args.replications / t1:6.2f} runs/s")
    print(f"  {args.workers} workers      {tn:8.2f} s   {args.replications / tn:6.2f} runs/s")
    print(f"  speed-up       {t1 / tn:8.2f}x   (ideal {args.workers:.0f}x; includes starting the worker processes)")


if __name__ == "__main__":
    main()
