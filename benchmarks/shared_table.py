"""The README's shared-corridor figures, computed: how much each sharing mechanism takes from the
corridor's capacity in two years, and the calibration years with each switched on.

    python benchmarks/shared_table.py -n 5            # capacity 2024 and 2030, calibration 2024-2025

Capacity is the corridor's own (Flow.corridor true: the TITR flows), measured with the other
traffic at its own demand (corridor_sim.capacity); the differences from base are paired over
replications (common random numbers), so their CIs are those of the differences.
"""

from __future__ import annotations

import argparse
import time

import corridor_sim as cs
from corridor_sim.experiments.replications import replicate
from corridor_sim.stats import mean_ci

SCENARIOS = {
    "base": "nothing shared (the calibrated base)",
    "shared_ports": "other traffic at Aktau and Alat berths and yards; Poti a port",
    "shared_fleet": "trucks on the Kuryk-Alat decks (wagons first); ASCO's ferries on two lines",
    "shared_fleet --set deck.loading=shares": "as shared_fleet, trucks on 35% of the Kuryk-Alat deck",
    "shared_both_ways": "empties (17% of wagons, 30% of boxes) and 0.1 Mt eastbound on the way back",
    "shared": "all of the above (wagons first)",
}
# a row's name: a scenario file, and what-if overrides after --set
OVERRIDES = {"deck.loading=shares": {"sea_lines.ferry_kuryk_alat.deck.loading": "shares"}}


def load(name: str, **kw) -> cs.Scenario:
    file, _, what = name.partition(" --set ")
    return cs.load_scenario(f"scenarios/{file}.yaml", overrides=OVERRIDES.get(what), **kw)


DOCUMENTED = {2024: (4.484, 56_500), 2025: (4.119, 77_000)}


def ci(x: dict, fmt: str = "{:.2f}") -> str:
    if x["ci_low"] is None:
        return fmt.format(x["mean"])
    return f"{fmt.format(x['mean'])} ({fmt.format(x['ci_low'])} to {fmt.format(x['ci_high'])})"


def capacity(args) -> None:
    years = [int(y) for y in args.years.split(",")]
    got = {}
    t0 = time.perf_counter()
    for name in SCENARIOS:
        s = load(name)
        got[name] = cs.estimate_capacity(s, years, args.n, by_cargo=False, workers=args.workers).per_replication
    wall = time.perf_counter() - t0
    print(f"### What sharing takes from the corridor's capacity ({args.n} replications, Mt/yr, 95% CI; {wall:.0f} s)\n")
    head = " | ".join(f"{y} capacity | {y} taken" for y in years)
    print(f"| scenario | what is shared | {head} |")
    print("|---|---|" + "---|---|" * len(years))
    for name, what in SCENARIOS.items():
        cells = []
        for y in years:
            cap = mean_ci(got[name][y])
            taken = mean_ci([b - v for b, v in zip(got["base"][y], got[name][y])])
            cells += [ci(cap), "-" if name == "base" else ci(taken)]
        print(f"| {name} | {what} | " + " | ".join(cells) + " |")
    print()


def calibration(args) -> None:
    print(f"### Calibration years with sharing ({args.n} replications; the corridor's own flows)\n")
    print(
        "| scenario | 2024 Mt (vs 4.484) | 2024 TEU (vs 56,500) | 2025 Mt (vs 4.119) | 2025 TEU (vs 77,000) | ferry railcars 2024, both ways |"
    )
    print("|---|---|---|---|---|---|")
    for name in SCENARIOS:
        s = load(name, years=(2024, 2025))
        runs = replicate(s, args.n, workers=args.workers)
        cells = []
        for y, (mt, teu) in DOCUMENTED.items():
            m = mean_ci([r.delivered_mt().loc[y] for r in runs])
            corridor = [f.id for f in s.demand.flows if f.corridor]
            t = mean_ci(
                [
                    r.annual[
                        (r.annual.year == y) & (r.annual.cargo == "container") & r.annual.flow.isin(corridor)
                    ].units_delivered.sum()
                    for r in runs
                ]
            )
            cells += [
                f"{m['mean']:.3f} ({(m['mean'] / mt - 1) * 100:+.1f}%)",
                f"{t['mean']:,.0f} ({(t['mean'] / teu - 1) * 100:+.1f}%)",
            ]
        rail = mean_ci(
            [
                r.lines[
                    (r.lines.year == 2024) & (r.lines.line == "ferry_kuryk_alat") & (r.lines.cargo == "wagon")
                ].units.sum()
                for r in runs
            ]
        )
        cells.append(f"{rail['mean']:,.0f}")
        print(f"| {name} | " + " | ".join(cells) + " |")
    print()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=5)
    ap.add_argument("--years", default="2024,2030")
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--skip-capacity", action="store_true")
    a = ap.parse_args()
    calibration(a)
    if not a.skip_capacity:
        capacity(a)
