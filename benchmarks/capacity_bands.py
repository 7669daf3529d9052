"""The base's capacity trajectory under the bands of the two assumptions its falling capacity rests
on: how fast the Caspian falls (caspian.sea_level_decline_cm_per_year) and how much of a ship's load
each 10 cm of lost draft takes (caspian.load_factor_loss_per_10cm). Each at its low, central (the
scenario's value) and high from the scenario's `uncertain` list (sources: seeds/SOURCES.md section 17),
the others central, on the same seeds.

    python benchmarks/capacity_bands.py -n 3                       # base, 2024-2035
    python benchmarks/capacity_bands.py -n 2 --years 2024-2030 --figure docs/img/capacity_bands.png
    python benchmarks/capacity_bands.py --floor                    # when each level's ships reach the floor

Prints a Markdown table (capacity in the year's mix, Mt/yr, by year) and a sentence per assumption,
and draws the figure. A statement about capacity (what the corridor could carry), not demand.
"""

from __future__ import annotations

import argparse
import time

import corridor_sim as cs
from corridor_sim.analyses.bands import LEVELS, band_of, capacity_bands
from corridor_sim.present.plots.capacity import plot_capacity_bands

PATHS = ("caspian.sea_level_decline_cm_per_year", "caspian.load_factor_loss_per_10cm")


def table(bands, years) -> str:
    head = "| assumption | level | value | " + " | ".join(str(y) for y in years) + " |"
    out = [head, "|---|---|---:|" + "---:|" * len(years)]
    for path in dict.fromkeys(bands.assumption):
        for level in LEVELS:
            t = bands[(bands.assumption == path) & (bands.level == level)].set_index("year")
            cells = " | ".join(f"{t.capacity_mt[y]:.2f}" for y in years)
            out.append(f"| `{path}` | {level} | {t.value.iloc[0]:g} | {cells} |")
    return "\n".join(out)


def floor_years(s) -> str:
    """When each level's load factor reaches ``min_load_factor`` (an assumption: the draft below which
    operators would dredge or stop): from then on the two assumptions no longer move the capacity."""
    c = s.caspian
    out = [
        f"The load factor starts at {c.load_factor:g} in {c.base_year} and never falls below min_load_factor = {c.min_load_factor:g}:"
    ]
    for path in PATHS:
        b = band_of(s, path)
        when = []
        for level in LEVELS:
            decline = b.at(level) if path.endswith("cm_per_year") else c.sea_level_decline_cm_per_year
            slope = b.at(level) if path.endswith("per_10cm") else c.load_factor_loss_per_10cm
            per_year = slope * decline / 10.0
            year = c.base_year + (c.load_factor - c.min_load_factor) / per_year if per_year > 0 else float("inf")
            when.append(f"{level} ({b.at(level):g}) in {year:.1f}")
        out.append(f"- `{path}`: the floor is reached " + ", ".join(when) + ".")
    return "\n".join(out)


def sentences(bands, goal: float) -> str:
    out = []
    for path in dict.fromkeys(bands.assumption):
        part = bands[bands.assumption == path]
        first, last = int(part.year.min()), int(part.year.max())
        said = []
        for level in LEVELS:
            t = part[part.level == level].set_index("year")
            said.append(
                f"{level} ({t.value.iloc[0]:g}): {t.capacity_mt[first]:.2f} in {first} to {t.capacity_mt[last]:.2f} "
                f"Mt/yr in {last} (±{(t.capacity_mt_ci_high[last] - t.capacity_mt_ci_low[last]) / 2:.2f}), "
                f"held by {t.binding_label[last]}"
            )
        lo = part[part.year == last].capacity_mt
        out.append(
            f"- **`{path}`** (capacity): "
            + "; ".join(said)
            + f". The band spans {lo.max() - lo.min():.2f} Mt/yr in {last}"
            f"{'; no level reaches the ' + format(goal, 'g') + ' Mt goal' if part.capacity_mt.max() < goal else ''}."
        )
    return "\n".join(out)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=3, help="replications per year and level")
    ap.add_argument("--years", default="2024-2035", help="START-END")
    ap.add_argument("--scenario", default="scenarios/base.yaml")
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--figure", default=None, help="write the figure here (PNG)")
    ap.add_argument(
        "--floor", action="store_true", help="only when each level reaches the load factor's floor (no runs)"
    )
    a = ap.parse_args()
    first, _, last = a.years.partition("-")
    years = (int(first), int(last or first))
    s = cs.load_scenario(a.scenario)
    if a.floor:
        print(floor_years(s))
        raise SystemExit(0)
    t0 = time.perf_counter()
    bands = capacity_bands(s, PATHS, years, a.n, workers=a.workers, allow_large=True)
    wall = time.perf_counter() - t0
    ys = sorted(bands.year.unique())
    print(f"### Capacity in the year's mix under the bands ({s.label}, {a.n} replications, {wall:.0f} s)\n")
    print(table(bands, ys))
    print()
    print(sentences(bands, s.goal_mt_per_year))
    if a.figure:
        plot_capacity_bands(bands, s, a.n).savefig(a.figure, dpi=110)
        print(f"\nfigure: {a.figure}")
