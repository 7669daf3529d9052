"""CPU, simulated years, waves and wall time of the Morris screening on 1 and 2 workers.

Runs ``sensitivity`` of scenarios/base.yaml (its uncertain parameters; by default 2 trajectories
over 2024) on 1 worker and on W, checks the ranking and the runs identical, and prints the job's
own accounting (benchmarks/heavy.py), the parallel efficiency and on paper the wall time on a
64-worker Dask cluster.
Usage: python benchmarks/bench_sensitivity.py [--trajectories 2] [--years 2024] [--workers 2]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
from heavy import compare

import corridor_sim as cs
from corridor_sim.analyses.sensitivity import sensitivity

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trajectories", type=int, default=2)
    ap.add_argument("--years", default="2024", help="START-END")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    first, _, last = args.years.partition("-")
    scn = cs.load_scenario(ROOT / "scenarios" / "base.yaml", years=(int(first), int(last or first)))

    def job(w: int):
        return sensitivity(scn, trajectories=args.trajectories, seed=1, workers=w)

    def same(a, b) -> None:
        pd.testing.assert_frame_equal(a.ranking, b.ranking, check_exact=True)
        pd.testing.assert_frame_equal(a.runs, b.runs, check_exact=True)

    compare(f"sensitivity base.yaml --trajectories {args.trajectories} ({args.years})", job, same, args.workers)


if __name__ == "__main__":
    main()
