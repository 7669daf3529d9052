"""Calibration report: the base scenario against the documented 2024 figures, over several seeds.

Prints a Markdown table (mean over seeds, 95% t-interval half-width, documented value, error).
Usage: python benchmarks/calibration.py [--seeds 10]
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import corridor_sim as cs

ROOT = Path(__file__).resolve().parents[1]


def t975(n: int) -> float:
    try:
        from scipy.stats import t
        return float(t.ppf(0.975, n - 1))
    except ImportError:  # pragma: no cover
        return 1.96


def measures(res) -> dict[str, float]:
    a = res.annual.set_index("flow")
    lots = res.lots
    trains = lots.drop_duplicates("consignment")     # a consignment split at a port is one train at the border
    out = {"corridor total, Mt": a.tons_delivered.sum() / 1e6}
    for f in a.index:
        out[f"{f}, Mt"] = a.loc[f, "tons_delivered"] / 1e6
    out["containers, TEU"] = a.loc[a.cargo == "container", "units_delivered"].sum()
    hours = []
    for gw, nxt in (("khorgos_altynkol", "altynkol_almaty"), ("alashankou_dostyk", "dostyk_aktogay")):
        g = trains[trains[f"t_rail:{gw}_h"].notna() & trains[f"t_rail:{nxt}_h"].notna()]
        hours.extend((g[f"t_rail:{nxt}_h"] - g.t_generated_h).tolist())
    out["KZ rail border crossing, h"] = float(np.mean(hours))
    v = res.voyages
    out["tanker arrivals at Baku, per month"] = (v.line == "tanker_aktau_sangachal").sum() / 12
    out["ferry railcars carried (Kuryk line)"] = v.loc[v.line == "ferry_kuryk_alat", "units"].sum()
    c = lots[lots.flow == "containers_cn_az"]
    out["China border -> Baku containers, days"] = float(np.average(c.transit_days, weights=c.tons))
    return out


DOCUMENTED = {
    "corridor total, Mt": (4.484, "KZ MinTransport via Report.az"),
    "containers, TEU": (56500, "TITR Association (seaports)"),
    "KZ rail border crossing, h": (69.7, "ADB CAREC CPMM 2023"),
    "tanker arrivals at Baku, per month": (13.0, "AZ Energy Min. 2023: 12-14"),
    "ferry railcars carried (Kuryk line)": (38136, "ASCO all lines: 2 x 19,068 (H1 2024); upper bound"),
    "China border -> Baku containers, days": (9.5, "News.az: Xi'an-Baku 8-11 days incl. China (upper bound)"),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10)
    args = ap.parse_args()
    scn = cs.load_scenario(ROOT / "scenarios" / "base.yaml", years=(2024, 2024))
    for f in scn.demand.flows:
        DOCUMENTED[f"{f.id}, Mt"] = (f.tons_per_year / 1e6, "derived split (seeds/SOURCES.md)")
    runs = [measures(cs.run(scn, seed=s)) for s in range(1, args.seeds + 1)]
    n = len(runs)
    print(f"Base scenario 2024, {n} seeds: mean ± 95% CI half-width\n")
    print("| measure | simulated | documented | error | source |\n|---|---:|---:|---:|---|")
    for key in runs[0]:
        x = np.array([r[key] for r in runs])
        mean, half = x.mean(), t975(n) * x.std(ddof=1) / np.sqrt(n)
        doc, src = DOCUMENTED.get(key, (np.nan, ""))
        err = f"{(mean / doc - 1) * 100:+.1f}%" if doc == doc else ""
        fmt = (lambda v: f"{v:,.3f}") if "Mt" in key else (lambda v: f"{v:,.1f}" if v < 1000 else f"{v:,.0f}")
        print(f"| {key} | {fmt(mean)} ± {fmt(half)} | {fmt(doc) if doc == doc else ''} | {err} | {src} |")


if __name__ == "__main__":
    main()
