"""The corridor's share of each rolling-stock fleet: the arithmetic behind base.yaml's pool counts.

One rule for every pool: the documented fleet in proportion to the corridor's share of the
railway's freight work in 2024. In Kazakhstan, whose hauls are long, that is tonne-km: each 2024
flow's tonnes (base.yaml's documented levels) x the length of its route on KTZ's links (the mean
of its routes), against the 327.9 bn t-km Kazakhstan's railways carried in 2024. In Georgia and
Azerbaijan, where the corridor's leg is about as long as the railway's average haul, tonnes: the
corridor's tonnes on the railway against the railway's tonnage (GR 13.7 Mt; ADY's transit 7.3 Mt,
the traffic the AZ8A locomotives of the East-West line haul). Nothing is simulated.
Usage: python benchmarks/stock_sizes.py
"""

from __future__ import annotations

from pathlib import Path

import corridor_sim as cs
from corridor_sim.scenario.schema import demand_tons

ROOT = Path(__file__).resolve().parents[1]

KZ_TKM_2024 = 327.9e9  # Trend, 7 Feb 2025 (national statistics): rail freight turnover 2024
FLEETS = {
    # pool: (fleet, what it is, railway, classes, measure, railway's total, source)
    "ktz_locomotives": (
        1778,
        "locomotives (end 2023)",
        "ktz",
        ("container", "wagon"),
        "tkm",
        KZ_TKM_2024,
        "Trend 2024",
    ),
    "ktz_wagons": (140_000, "freight wagons (early 2025)", "ktz", ("wagon",), "tkm", KZ_TKM_2024, "Qazinform 2025"),
    "ktz_flat_cars": (
        140_000,
        "freight wagons (early 2025)",
        "ktz",
        ("container",),
        "tkm",
        KZ_TKM_2024,
        "Qazinform 2025",
    ),
    "gr_locomotives": (
        91,
        "active locomotives (2025)",
        "gr",
        ("container", "wagon"),
        "t",
        13.7e6,
        "Georgia Today 2025; btuai.ge",
    ),
    "ady_locomotives": (
        40,
        "AZ8A freight locomotives",
        "ady",
        ("container", "wagon"),
        "t",
        7.3e6,
        "IRJ; Vibewire (ADY 2024)",
    ),
}


def main() -> None:
    scn = cs.load_scenario(ROOT / "scenarios" / "base.yaml", years=(2024, 2024))
    rail = {(l.from_node, l.to_node): l for l in scn.rail_links}
    work: dict[tuple[str, str, str], float] = {}  # (railway, class, measure) -> 2024 amount
    print("| flow | class | 2024 t | KTZ km (mean of routes) | KTZ bn t-km | on GR | on ADY |")
    print("|---|---|---:|---:|---:|---|---|")
    for f in scn.demand.flows:
        if not f.corridor:
            continue
        t = demand_tons(f, scn.demand, 2024)
        kms, rws = [], set()
        for r in f.routes:
            legs = [rail[(a, b)] for a, b in zip(r.path, r.path[1:]) if (a, b) in rail]
            kms.append(sum(l.length_km for l in legs if l.railway == "ktz"))
            rws |= {l.railway for l in legs}
        km = sum(kms) / len(kms)
        work[("ktz", f.cargo, "tkm")] = work.get(("ktz", f.cargo, "tkm"), 0.0) + t * km
        for rw in ("gr", "ady"):
            if rw in rws:
                work[(rw, f.cargo, "t")] = work.get((rw, f.cargo, "t"), 0.0) + t
        print(
            f"| {f.id} | {f.cargo} | {t:,.0f} | {km:,.0f} | {t * km / 1e9:.2f} | {'yes' if 'gr' in rws else ''} | "
            f"{'yes' if 'ady' in rws else ''} |"
        )
    print()
    print("| pool | fleet | share of the railway's work | corridor's count | base.yaml count | source |")
    print("|---|---|---:|---:|---:|---|")
    counts = {p.id: p.count for p in scn.rolling_stock}
    for pid, (fleet, what, rw, classes, measure, total, src) in FLEETS.items():
        mine = sum(work.get((rw, c, measure), 0.0) for c in classes)
        share = mine / total
        unit = "bn t-km" if measure == "tkm" else "Mt"
        div = 1e9 if measure == "tkm" else 1e6
        print(
            f"| {pid} | {fleet:,} {what} | {share:.2%} ({mine / div:.2f} of {total / div:,.1f} {unit}) | "
            f"{fleet * share:,.0f} | {counts.get(pid, '-')} | {src} |"
        )
    print("\nADY's platform wagons are its documented purchases (303 in 2023, 100 in 2025): its fleet before them is")
    print("not published, so that pool is a lower bound.")


if __name__ == "__main__":
    main()
