"""The README's capacity-in-the-mix figures, computed: each shipped scenario's capacity in the year's
mix (its central demand scaled until the first class's bottleneck saturates; crude at its demand case),
with the class and resource that stop it, beside the sum of the classes each saturated on its own.

    python benchmarks/mix_table.py -n 5                 # base 2024, every shipped scenario in 2030
    python benchmarks/mix_table.py -n 3 --years 2030 --scenarios base,corridor_10mt

Prints a Markdown table to paste into README.md. Capacity (what the corridor could carry) in the
year's mix of the central case: a statement about capacity, set by the scenario's infrastructure and
the mix of what comes.
"""

from __future__ import annotations

import argparse
import time

import corridor_sim as cs

SCENARIOS = (
    "base",
    "bottlenecks",
    "corridor_10mt",
    "ferry_reassignment",
    "oil_btc_7mt",
    "options",
    "shared",
    "shared_both_ways",
    "shared_fleet",
    "shared_ports",
    "unified_tariffs",
    "zangezur",
    "zangezur_late",
)


def row(name: str, year: int, n: int, workers: int | None) -> str:
    s = cs.load_scenario(f"scenarios/{name}.yaml")
    t0 = time.perf_counter()
    est = cs.estimate_capacity(s, year, n, workers=workers, allow_large=True)
    wall = time.perf_counter() - t0
    t = est.trajectory
    a = t[t.cargo == "all"].iloc[0]
    hw = (a.capacity_mt_ci_high - a.capacity_mt_ci_low) / 2
    classes = ", ".join(
        f"{r.cargo} {r.capacity_mt:.2f}" for r in t[t.cargo != "all"].itertuples() if r.capacity_mt == r.capacity_mt
    )
    return (
        f"| {name} | {year} | {a.capacity_mt:.2f} ± {hw:.2f} | {a.offered_trend_mt:.2f} | {a.binding_class} | {a.binding_label} "
        f"| {a.classes_sum_mt:.2f} ({classes}) | {a.saturated_share:.0%} | {wall:.0f} s |"
    )


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=5)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--years", default="2030", help="the year of every scenario (base 2024 is always first)")
    ap.add_argument("--scenarios", default=",".join(SCENARIOS))
    a = ap.parse_args()
    print(f"### Capacity in the year's mix (central demand; {a.n} replications, mean ± 95% CI half-width)\n")
    print(
        "| scenario | year | capacity in the mix, Mt/yr | offered at trend, Mt | class that stops it | at | "
        "sum of the classes each saturated on its own, Mt/yr (not a capacity of the mix) | saturated | run time |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    print(row("base", 2024, a.n, a.workers))
    for name in a.scenarios.split(","):
        print(row(name, int(a.years), a.n, a.workers))
    print()
