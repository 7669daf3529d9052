"""Calibration report: the base scenario against the documented 2024 and 2025 figures, over several seeds.

Prints, for each calibration year, a Markdown table (mean over seeds, 95% t-interval half-width,
documented value, error); then the reference transit days of the response blocks (the base year's
simulated means, which base.yaml quotes); then a forecast check: 2025 as the central case would
have projected it from 2024 alone (2025's observed demand levels left out).
Usage: python benchmarks/calibration.py [--seeds 10]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

import corridor_sim as cs
from corridor_sim.calendar import Calendar
from corridor_sim.scenario.schema import trend_tons
from corridor_sim.scenario.variants import with_changes
from corridor_sim.stats import mean_ci

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "base.yaml"

# year -> measure -> (documented value, source); measures without a value are shown for information
DOCUMENTED = {
    2024: {
        "corridor total, Mt": (4.484, "KZ MinTransport via Report.az"),
        "containers, TEU": (56500, "TITR Association (seaports)"),
        "crude to BTC, Mt": (1.40, "KazTransOil: >1.4 Mt"),
        "KZ rail border crossing, h": (69.7, "ADB CAREC CPMM 2023 (not tuned)"),
        "tanker arrivals at Baku, per month": (
            13.0,
            "AZ Energy Min.: 12-14 in 2023, before the 8,000-dwt JV tankers (not tuned)",
        ),
        "ferry railcars carried (Kuryk line)": (38136, "ASCO all lines: 2 x 19,068 (H1 2024); upper bound"),
        "China border -> Baku containers, days": (9.5, "News.az: Xi'an-Baku 8-11 days incl. China (upper bound)"),
        "BTK containers H1, TEU": (
            160,
            "GE Ministry of Economy via Caliber; the model has no ramp within 2024 (its 2024 Turkiye flow is an annual assumption)",
        ),
    },
    2025: {
        "corridor total, Mt": (4.119, "KZ MinTransport via Report.az (10 Mar 2026)"),
        "containers, TEU": (77000, "KZ MinTransport: ~77,000 TEU"),
        "crude to BTC, Mt": (1.2, "Energy Min. via Caspian Post: ~1.2 Mt projected"),
        "BTK containers H1, TEU": (9393, "GE Ministry of Economy via Caliber"),
        "ferry railcars Jan-Sep (Kuryk line)": (
            28076,
            "ASCO all lines, 9M 2025; upper bound (-4% on H1 2024 while the wagon remainder fell 29%)",
        ),
        "tanker arrivals at Baku, per month": (np.nan, ""),
    },
}


def measures(res, year: int) -> dict[str, float]:
    """The documented quantities, measured in one run, for one calendar year."""
    cal = Calendar(res.scenario.start_year, res.scenario.end_year)
    t0, t1 = cal.year_start_h(year), cal.year_start_h(year + 1)
    t_jul, t_oct = (
        cal.year_start_h(year) + 24 * (181 + (year % 4 == 0)),
        cal.year_start_h(year) + 24 * (273 + (year % 4 == 0)),
    )
    a = res.annual[res.annual.year == year].set_index("flow")
    lots = res.lots[res.lots.year == year]
    # the corridor's own flows (other traffic sharing its ships is not in the documented total)
    out = {"corridor total, Mt": float(res.delivered_mt().loc[year])}
    for f in a.index:
        if a.loc[f, "cargo"] != "crude":
            out[f"{f}, Mt"] = a.loc[f, "tons_delivered"] / 1e6
    out["containers, TEU"] = a.loc[a.cargo == "container", "units_delivered"].sum()
    out["crude to BTC, Mt"] = a.loc[a.cargo == "crude", "tons_delivered"].sum() / 1e6
    trains = lots.drop_duplicates("consignment")  # a consignment split at a port is one train at the border
    hours = []
    for gw, nxt in (("khorgos_altynkol", "altynkol_almaty"), ("alashankou_dostyk", "dostyk_aktogay")):
        if f"t_rail:{gw}_h" in trains and f"t_rail:{nxt}_h" in trains:
            g = trains[trains[f"t_rail:{gw}_h"].notna() & trains[f"t_rail:{nxt}_h"].notna()]
            hours.extend((g[f"t_rail:{nxt}_h"] - g.t_generated_h).tolist())
    out["KZ rail border crossing, h"] = float(np.mean(hours)) if hours else np.nan
    v = res.voyages
    in_year = (v.t_arrive_h >= t0) & (v.t_arrive_h < t1)
    out["tanker arrivals at Baku, per month"] = (in_year & (v.line == "tanker_aktau_sangachal")).sum() / 12
    ferry = v[v.line == "ferry_kuryk_alat"]
    out["ferry railcars carried (Kuryk line)"] = ferry.loc[
        (ferry.t_depart_h >= t0) & (ferry.t_depart_h < t1), "units"
    ].sum()
    out["ferry railcars Jan-Sep (Kuryk line)"] = ferry.loc[
        (ferry.t_depart_h >= t0) & (ferry.t_depart_h < t_oct), "units"
    ].sum()
    c = lots[lots.flow == "containers_cn_az"]
    out["China border -> Baku containers, days"] = (
        float(np.average(c.transit_days, weights=c.tons)) if len(c) else np.nan
    )
    btk = "t_rail:akhalkalaki_kars_h"
    allc = res.lots
    out["BTK containers H1, TEU"] = (
        allc.loc[(allc[btk] >= t0) & (allc[btk] < t_jul), "units"].sum() if btk in allc else 0.0
    )
    return out


def table(runs: list[dict[str, float]], documented: dict) -> str:
    n = len(runs)
    lines = ["| measure | simulated | documented | error | source |", "|---|---:|---:|---:|---|"]
    for key in runs[0]:
        x = [r[key] for r in runs]
        s = mean_ci(x)
        mean = s["mean"] if s["mean"] is not None else np.nan
        half = (s["ci_high"] - s["ci_low"]) / 2 if s["ci_low"] is not None else np.nan
        doc, src = documented.get(key, (np.nan, ""))
        err = f"{(mean / doc - 1) * 100:+.1f}%" if doc == doc and doc else ""
        fmt = (lambda v: f"{v:,.3f}") if "Mt" in key else (lambda v: f"{v:,.1f}" if abs(v) < 1000 else f"{v:,.0f}")
        lines.append(f"| {key} | {fmt(mean)} ± {fmt(half)} | {fmt(doc) if doc == doc else ''} | {err} | {src} |")
    return "\n".join(lines) + f"\n\n(mean ± 95% CI half-width over {n} seeds)"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10)
    args = ap.parse_args()
    seeds = range(1, args.seeds + 1)
    scn = cs.load_scenario(BASE, years=(2024, 2025))
    results = [cs.run(scn, seed=s) for s in seeds]
    for year in (2024, 2025):
        doc = dict(DOCUMENTED[year])
        for f in scn.demand.flows:
            if f.cargo != "crude":  # crude's row is "crude to BTC" (its 2025 level is a rate, paused 6 weeks)
                doc[f"{f.id}, Mt"] = (
                    trend_tons(f, scn.demand.base_year, year) / 1e6,
                    "derived split (seeds/SOURCES.md)",
                )
        print(f"### {year}\n")
        print(table([measures(r, year) for r in results], doc) + "\n")

    print("### Reference transit days (2024, tonne-weighted mean by flow; base.yaml's reference_transit_days)\n")
    days = pd.concat([r.annual[r.annual.year == 2024].set_index("flow").transit_days_mean for r in results], axis=1)
    for f, row in days.iterrows():
        s = mean_ci(row.to_numpy())
        print(f"- {f}: {s['mean']:.1f} days (± {(s['ci_high'] - s['ci_low']) / 2:.1f})")

    # the forecast check: 2025 as the central case projects it from the 2024 levels alone
    blind = with_changes(
        scn,
        {
            f"demand.flows.{f.id}.tons_by_year": {y: v for y, v in f.tons_by_year.items() if y != 2025}
            for f in scn.demand.flows
        },
        label="base without the 2025 demand levels",
    )
    fc = [measures(cs.run(blind, seed=s), 2025) for s in seeds]
    obs = DOCUMENTED[2025]
    print("\n### 2025 projected from 2024 alone (central growth rates, no 2025 levels): the demand side's error\n")
    print(table([{k: r[k] for k in ("corridor total, Mt", "containers, TEU", "crude to BTC, Mt")} for r in fc], obs))


if __name__ == "__main__":
    main()
