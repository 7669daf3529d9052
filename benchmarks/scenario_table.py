"""The README's scenario table: every shipped scenario under every demand case, with replications.

For each scenario and demand case: delivered Mt in the years asked (mean ± 95% CI half-width over
the replications, the same seeds everywhere), demand lost to other routes (diverted) in the last
year, the first year the mean reaches the goal, the share of replications that reach it by the last
year, and what binds in the last year (the resource most often binding across replications).
Prints Markdown. Usage:

    python benchmarks/scenario_table.py [-n 5] [--workers 2] [--years 2027,2030,2035]
"""

from __future__ import annotations

import argparse
from pathlib import Path
from types import SimpleNamespace

import pandas as pd

import corridor_sim as cs

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ["base", "bottlenecks", "unified_tariffs", "zangezur", "zangezur_late", "corridor_10mt", "oil_btc_7mt"]
CASES = ["low", "central", "high"]


def _pm(row, col: str) -> str:
    mean, lo, hi = row[col], row.get(f"{col}_ci_low"), row.get(f"{col}_ci_high")
    if lo is None or lo != lo:
        return f"{mean:.2f}"
    return f"{mean:.2f} ± {(hi - lo) / 2:.2f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", "--replications", type=int, default=5)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--years", default="2027,2030,2035")
    ap.add_argument("--scenarios", default=",".join(SCENARIOS))
    args = ap.parse_args()
    years = [int(y) for y in args.years.split(",")]
    scns = [
        cs.load_scenario(ROOT / "scenarios" / f"{name}.yaml", demand_case=case)
        for name in args.scenarios.split(",")
        for case in CASES
    ]
    # one scenario and case at a time, keeping only the comparison tables: every replication's
    # full tables for 21 runs x n would not fit in memory (corridor_sim.runsize refuses it)
    parts = [cs.compare([s], seed=args.seed, replications=args.replications, workers=args.workers) for s in scns]
    cmp = SimpleNamespace(
        annual=pd.concat([p.annual for p in parts]),
        goal=pd.concat([p.goal for p in parts]),
        binding=pd.concat([p.binding for p in parts]),
        replications=parts[0].replications,
        goal_label={s.name: p.goal_label(s.name) for s, p in zip(scns, parts)}.get,
    )
    last = max(cmp.annual.year)
    goal = scns[0].goal_mt_per_year
    print(
        f"Delivered Mt per year, mean ± 95% CI half-width over {cmp.replications} replications "
        f"(seeds from {args.seed}, the same for every run):\n"
    )
    head = (
        ["scenario", "demand case"]
        + [str(y) for y in years]
        + [
            f"diverted {last}, Mt",
            f"first year at {goal:g} Mt",
            f"replications at {goal:g} Mt by {last}",
            f"binds in {last}",
        ]
    )
    print("| " + " | ".join(head) + " |")
    print("|---|---|" + "---:|" * (len(years) + 2) + "---|---|")
    a = cmp.annual.set_index(["scenario", "year"])
    g = cmp.goal.set_index("scenario")
    b = cmp.binding.set_index(["scenario", "year"])
    for s in scns:
        n = s.name
        base = n[: -len(s.demand_case) - 1] if s.demand_case != "central" else n
        cells = [_pm(a.loc[(n, y)], "delivered_mt") for y in years]
        div = a.loc[(n, last)]
        binds = b.loc[(n, last)]
        what = f"{binds.resource} ({binds.share_of_replications:.0%})" if binds.binding else "nothing at or above 85%"
        first = cmp.goal_label(n)
        print(
            f"| {base} | {s.demand_case} | " + " | ".join(cells) + f" | {_pm(div, 'diverted_mt')} | {first} | "
            f"{g.loc[n, 'share_reaching_goal']:.0%} | {what} |"
        )


if __name__ == "__main__":
    main()
