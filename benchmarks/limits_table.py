"""What binds first, with the limits that bind: base and corridor_10mt in 2024, 2030 and 2035.

Two statements, kept apart:

* **capacity** (what the corridor could carry, cargo always waiting: ``corridor-sim capacity``),
  total and per cargo class, with the resource each binds on (its kind: rail paths, rolling stock,
  a fleet, a berth ...);
* **delivered** under the central demand case: the busiest rolling-stock pool and rail line each
  year, and what binds the year (the scenario's bottleneck rule).

Every figure is a mean over the replications (95% CI half-width where shown), on common seeds.
Usage: python benchmarks/limits_table.py [-n 5] [--scenarios base corridor_10mt] [--years 2024 2030 2035]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import corridor_sim as cs
from corridor_sim.experiments.replicated import Replicated
from corridor_sim.experiments.replications import replicate
from corridor_sim.kpi import binding_bottleneck
from corridor_sim.scenario.labels import resource_label

ROOT = Path(__file__).resolve().parents[1]


def capacity_rows(scn, years: list[int], n: int) -> list[str]:
    est = cs.estimate_capacity(scn, years=(years[0], years[-1]), replications=n, workers=1)
    t = est.trajectory
    rows = []
    for y in years:
        for _, r in t[t.year == y].iterrows():
            half = (r.capacity_mt_ci_high - r.capacity_mt_ci_low) / 2
            rows.append(
                f"| {scn.name} | {y} | {r.cargo} | {r.capacity_mt:.2f} ± {half:.2f} | "
                f"{r.binding_label} | {r.binding_kind} | {r.binding_share:.0%} |"
            )
    return rows


def delivered_rows(scn, years: list[int], n: int) -> list[str]:
    runs = replicate(scn, n, seed=1, workers=1)
    rep = Replicated(scn, 1, runs)
    res = rep.resources
    thr = scn.output.bottleneck_threshold
    rows = []
    for y in years:
        r = res[res.year == y]
        mt = float(rep.totals.loc[rep.totals.year == y, "delivered_mt_mean"].iloc[0])
        top = {}
        for kind in ("rolling_stock", "rail_path"):
            k = r[r.kind == kind].sort_values("utilization_mean", ascending=False)
            if len(k):
                x = k.iloc[0]
                top[kind] = (
                    f"{resource_label(scn, x.resource)} {x.utilization_mean:.0%} "
                    f"({x.mean_queue_mean:.1f} trains waiting, {x.mean_wait_h_mean:.1f} h)"
                )
        flat = r.rename(columns={"utilization_mean": "utilization", "mean_wait_h_mean": "mean_wait_h"})
        b = binding_bottleneck(flat, thr)
        binds = (
            f"{resource_label(scn, b['resource'])} ({b['kind']}, {b['utilization']:.0%})" if b["binding"] else "nothing"
        )
        rows.append(
            f"| {scn.name} | {y} | {mt:.2f} | {binds} | {top.get('rolling_stock', '-')} | {top.get('rail_path', '-')} |"
        )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", "--replications", type=int, default=5)
    ap.add_argument("--scenarios", nargs="+", default=["base", "corridor_10mt"])
    ap.add_argument("--years", nargs="+", type=int, default=[2024, 2030, 2035])
    a = ap.parse_args()
    t0 = time.time()
    scns = [cs.load_scenario(ROOT / "scenarios" / f"{name}.yaml") for name in a.scenarios]
    print(f"### Capacity (cargo always waiting), {a.replications} replications\n")
    print("| scenario | year | cargo | capacity Mt/yr | binds on | kind | share of replications |")
    print("|---|---|---|---:|---|---|---:|")
    for scn in scns:
        for row in capacity_rows(scn, a.years, a.replications):
            print(row)
    print(f"\n### Delivered under central demand, {a.replications} replications\n")
    print("| scenario | year | delivered Mt | binds (delivered run) | busiest rolling stock | busiest rail line |")
    print("|---|---|---:|---|---|---|")
    for scn in scns:
        for row in delivered_rows(scn, a.years, a.replications):
            print(row)
    print(f"\n({time.time() - t0:.0f} s)")


if __name__ == "__main__":
    main()
