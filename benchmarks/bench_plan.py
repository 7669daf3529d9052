"""CPU, simulated years, waves and wall time of the plan's search on 1 and 2 workers.

Runs ``plan`` of scenarios/options.yaml with scenarios/candidates.yaml for a capacity goal (by
default 4.9 Mt/yr in the mix by 2027, 2 replications, at most 20 evaluations: the greedy with its
pairs, the pruning and the exact phase all run) on 1 worker and on W, checks the same measures,
steps and capacity, and prints the job's own accounting (benchmarks/heavy.py), the parallel
efficiency and on paper the wall time on a 64-worker Dask cluster.
Usage: python benchmarks/bench_plan.py [--goal 4.9] [--by 2027] [-n 2] [--max-evaluations 20] [--workers 2]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
from heavy import compare

import corridor_sim as cs
from corridor_sim.analyses.plan import plan
from corridor_sim.scenario.candidates import load_candidates

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--goal", type=float, default=4.9)
    ap.add_argument("--by", type=int, default=2027)
    ap.add_argument("-n", type=int, default=2)
    ap.add_argument("--max-evaluations", type=int, default=20)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    scn = cs.load_scenario(ROOT / "scenarios" / "options.yaml")
    cands = load_candidates(ROOT / "scenarios" / "candidates.yaml", scn)

    made = []

    def job(w: int):
        made.append(
            plan(
                scn,
                cands,
                goal_mt=args.goal,
                by=args.by,
                replications=args.n,
                max_evaluations=args.max_evaluations,
                workers=w,
            )
        )
        return made[-1]

    def same(a, b) -> None:
        assert [e.id for e in a.chosen] == [e.id for e in b.chosen] and a.capacity_mt == b.capacity_mt
        pd.testing.assert_frame_equal(a.steps, b.steps, check_exact=True)

    what = f"plan options.yaml --goal {args.goal:g} --by {args.by} -n {args.n} --max-evaluations {args.max_evaluations}"
    compare(what, job, same, args.workers)
    p = made[0]
    print(f"  chosen: {', '.join(e.id for e in p.chosen) or 'nothing'}; capacity {p.capacity_mt}")


if __name__ == "__main__":
    main()
