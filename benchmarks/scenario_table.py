"""The README's scenario table: every shipped scenario under every demand case, with replications.

For each scenario and demand case: delivered Mt in the years asked (mean ± 95% CI half-width over
the replications, the same seeds everywhere), demand lost to other routes (diverted) in the last
year, the first year the mean reaches the goal, the share of replications that reach it by the last
year, and what binds in the last year (the resource most often binding across replications).
With ``--capacity`` it also measures each scenario file's capacity year by year
(``cs.estimate_capacity``: saturated demand in the central case's mix, the same seeds) and prints
a second table that keeps the two questions apart: what the corridor *could* carry (capacity, with
its 95% CI, and the first year it reaches the goal) beside the first year it *does* carry the goal
under each demand case, and what binds. Prints Markdown. Usage:

    python benchmarks/scenario_table.py [-n 5] [--workers 2] [--years 2027,2030,2035] [--capacity]
"""

from __future__ import annotations

import argparse
from pathlib import Path
from types import SimpleNamespace

import pandas as pd

import corridor_sim as cs
from corridor_sim.scenario.labels import resource_label

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
    ap.add_argument("--capacity", action="store_true", help="also the capacity table")
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
        what = (
            f"{resource_label(s, binds.resource)} ({binds.share_of_replications:.0%})"
            if binds.binding
            else f"nothing at or above {s.output.bottleneck_threshold:.0%}"
        )
        first = cmp.goal_label(n)
        print(
            f"| {base} | {s.demand_case} | " + " | ".join(cells) + f" | {_pm(div, 'diverted_mt')} | {first} | "
            f"{g.loc[n, 'share_reaching_goal']:.0%} | {what} |"
        )

    if args.capacity:
        capacity_table(args, [n for n in args.scenarios.split(",")], years, cmp, goal)


def capacity_table(args, names: list[str], years: list[int], cmp, goal: float) -> None:
    """Capacity (central case's mix) beside delivered tonnes under each case, per scenario file."""
    print(
        f"\nCapacity, Mt/yr (saturated demand in the central case's mix; mean ± 95% CI half-width over "
        f"{args.replications} replications, the same seeds), and the first year at {goal:g} Mt of capacity "
        "and of delivered tonnes under each demand case:\n"
    )
    head = (
        ["scenario"]
        + [f"capacity {y}" for y in [2024, *years]]
        + [f"capacity ≥ {goal:g} Mt (CI low)"]
        + [f"delivered ≥ {goal:g} Mt, {c}" for c in CASES]
        + ["binds first (capacity, 2035)"]
    )
    print("| " + " | ".join(head) + " |")
    print("|---|" + "---:|" * (len(years) + 1) + "---|" * (len(CASES) + 2))
    for name in names:
        scn = cs.load_scenario(ROOT / "scenarios" / f"{name}.yaml")
        est = cs.estimate_capacity(scn, replications=args.replications, seed=args.seed, workers=args.workers)
        t = est.trajectory
        tot = t[t.cargo == "all"].set_index("year")
        cells = []
        for y in [2024, *years]:
            r = tot.loc[y]
            low = "" if r.saturated_share == 1 else " (lower bound)"
            cells.append(_pm(r, "capacity_mt") + low)
        first, low = cs.first_year_at_least(t, goal), cs.first_year_at_least(t, goal, bound="ci_low")
        cap = f"{first or 'not by ' + str(scn.end_year)} ({low or 'not by ' + str(scn.end_year)})"
        path = ROOT / "scenarios" / f"{name}.yaml"
        done = [cmp.goal_label(cs.load_scenario(path, demand_case=c).name) for c in CASES]
        last = tot.loc[scn.end_year]
        print(f"| {name} | " + " | ".join(cells) + f" | {cap} | " + " | ".join(done) + f" | {last.binding_label} |")


if __name__ == "__main__":
    main()
