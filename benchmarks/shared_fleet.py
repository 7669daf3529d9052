"""The shared corridor against the base: 2024 as calibrated, with trucks on the ferry decks and the
Turkmenbashi line on the same fleet (scenarios/shared_fleet.yaml).

Prints, for base and shared_fleet, the calibration measures (benchmarks/calibration.py) over a few
seeds, the corridor total without the flows outside the TITR series (trucks and the Turkmenbashi
line's wagons), and the ASCO wheeled units the run implies (wagons and trucks ferried on both
lines) against the 76,757 ASCO reported for 2024.
Usage: python benchmarks/shared_fleet.py [--seeds 3] [--year 2024]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import corridor_sim as cs

sys.path.insert(0, str(Path(__file__).resolve().parent))
from calibration import DOCUMENTED, measures, table

ROOT = Path(__file__).resolve().parents[1]
OUTSIDE_TITR = ("trucks_kuryk_alat", "trucks_turkmenbashi_alat", "wagons_turkmenbashi_alat")
FERRIES = ("ferry_kuryk_alat", "ferry_turkmenbashi_alat")
ASCO_WHEELED_2024 = (76757.0, "ASCO wheeled units 2024, all lines (1news.az)")


def shared_measures(res, year: int) -> dict[str, float]:
    out = measures(res, year)
    a = res.annual[res.annual.year == year]
    titr = a[~a.flow.isin(OUTSIDE_TITR)]
    out["TITR total (without trucks and Turkmenbashi), Mt"] = titr.tons_delivered.sum() / 1e6
    out["wagons delivered (TITR flows)"] = titr.loc[titr.cargo == "wagon", "units_delivered"].sum()
    lines = res.lines[(res.lines.year == year) & res.lines.line.isin(FERRIES)]
    out["ASCO wheeled units (wagons + trucks ferried)"] = lines.units.sum()
    out["trucks ferried"] = lines.loc[lines.cargo == "truck", "units"].sum()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--year", type=int, default=2024)
    args = ap.parse_args()
    documented = dict(DOCUMENTED.get(args.year, {}))
    documented["ASCO wheeled units (wagons + trucks ferried)"] = ASCO_WHEELED_2024
    for name in ("base", "shared_fleet"):
        scn = cs.load_scenario(ROOT / "scenarios" / f"{name}.yaml", years=(args.year, args.year))
        runs = [shared_measures(cs.run(scn, seed=k + 1, detail=True), args.year) for k in range(args.seeds)]
        print(f"\n## {name}, {args.year}\n")
        print(table(runs, documented))


if __name__ == "__main__":
    main()
