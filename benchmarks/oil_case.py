"""What binds on the way to 7 Mt/yr of Kazakh crude to BTC (scenarios/oil_btc_7mt.yaml).

Runs 2026-2028 of the oil case with its measures, and again without each group of them (the
tankers; Aktau's oil expansion; Sangachal's third berth), over a few seeds, and prints crude
delivered and diverted, and the utilization and cargo wait of the tankers and oil berths.
Usage: python benchmarks/oil_case.py [--seeds 3]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import corridor_sim as cs
from corridor_sim.kpi import binding_bottleneck
from corridor_sim.scenario.variants import without

ROOT = Path(__file__).resolve().parents[1]
CASES = {
    "with the fleet and berths": set(),
    "without the new tankers": {"kmg_tankers_to_btc", "new_tankers"},
    "without Aktau's 12.5 Mt/yr oil expansion": {"aktau_oil_12_5mt"},
    "without Sangachal's third berth": {"sangachal_third_berth"},
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=3)
    args = ap.parse_args()
    oil = cs.load_scenario(ROOT / "scenarios" / "oil_btc_7mt.yaml", years=(2026, 2028))
    print(f"Crude to BTC in the oil case, mean over {args.seeds} seeds:\n")
    print(
        "| case | year | crude delivered, Mt | diverted, Mt | tankers busy | Aktau oil berths busy | "
        "Sangachal berths busy | crude's wait for a tanker, days | what binds |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for label, ids in CASES.items():
        runs = [cs.run(without(oil, ids), seed=s, detail=False) for s in range(1, args.seeds + 1)]
        for year in (2026, 2027, 2028):

            def crude(col, year=year, runs=runs):
                return (
                    np.mean([r.annual[(r.annual.year == year) & (r.annual.cargo == "crude")][col].sum() for r in runs])
                    / 1e6
                )

            def res(name_part, col="utilization", year=year, runs=runs):
                vals = [
                    r.resources[(r.resources.year == year) & r.resources.resource.str.contains(name_part)][col].max()
                    for r in runs
                ]
                return float(np.nanmean(vals))

            thr = oil.output.bottleneck_threshold
            binds = [binding_bottleneck(r.resources[r.resources.year == year], thr) for r in runs]
            named = [b["resource"] for b in binds if b["binding"]]
            what = max(set(named), key=named.count) if named else f"nothing at or above {thr:.0%}"
            print(
                f"| {label} | {year} | {crude('tons_delivered'):.2f} | {crude('tons_diverted'):.2f} | "
                f"{res('tanker_aktau_sangachal'):.0%} | {res('aktau:crude:berths'):.0%} | "
                f"{res('sangachal:crude:berths'):.0%} | {res('tanker_aktau_sangachal', 'mean_wait_h') / 24:.1f} | "
                f"{what} |"
            )


if __name__ == "__main__":
    main()
