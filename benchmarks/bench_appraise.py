"""CPU, simulated years, waves and wall time of the appraisal on 1 and 2 workers.

Runs ``appraise`` of scenarios/bottlenecks.yaml (or SCENARIO) on 1 worker and on W, checks the
tables identical, and prints the job's own accounting (benchmarks/heavy.py): wall time, CPU of
this process and of the workers, simulated years (and those shared: each variant's years before
the measure that distinguishes it from another are taken over from that run), kernel events,
waves, the parallel efficiency, and on paper the wall time on a 64-worker Dask cluster. With
``--no-share`` every variant runs in full (what the appraisal did before it shared years).
Usage: python benchmarks/bench_appraise.py [SCENARIO] [-n 2] [--years 2024-2027] [--workers 2] [--no-share]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
from heavy import compare

import corridor_sim as cs
from corridor_sim.analyses.appraisal import appraise

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario", nargs="?", default=str(ROOT / "scenarios" / "bottlenecks.yaml"))
    ap.add_argument("-n", type=int, default=2)
    ap.add_argument("--years", default="2024-2027", help="START-END ('' for the scenario's)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--no-share", action="store_true", help="every variant in full")
    args = ap.parse_args()
    years = None
    if args.years:
        first, _, last = args.years.partition("-")
        years = (int(first), int(last or first))
    scn = cs.load_scenario(args.scenario, years=years)

    def job(w: int):
        return appraise(scn, replications=args.n, seed=1, workers=w, share_years=not args.no_share)

    def same(a, b) -> None:
        pd.testing.assert_frame_equal(a.table, b.table, check_exact=True)

    what = f"appraise {Path(args.scenario).name} -n {args.n} ({scn.start_year}-{scn.end_year})"
    compare(what + (", every variant in full" if args.no_share else ""), job, same, args.workers)


if __name__ == "__main__":
    main()
