"""Backcast: the 2022-2023 corridor (scenarios/history_2022_2023.yaml) against what was documented.

The scenario is built from documents about 2022-23 only (the fleet, ports, track and the offered
demand of the period); none of the delivered figures printed here is an input. Prints, for 2022
and 2023, over N seeds (mean and 95% t-interval half-width):

- delivered Mt (the KZ MinTransport TITR scope) and container TEU;
- container transit from the China border to Alat, to Poti and to Kars (tonne-weighted mean and
  p95 of the days from generation to delivery, from the lots table);
- where the queue sits (the resources with the longest mean wait, and the busiest);
- diverted tonnes by outside alternative (the run's ``diversions`` table);
- the documented figures beside them, with their sources;

then item 3 of issue 23: the 2022 container transit with every flow's remaining patience-like
setting (max_transit_days where a flow still has it, value_of_time_usd_per_t_day,
logit_scale_usd_per_t, and crude's storage_at_origin_t) doubled and halved, with the change in %.

Usage: python benchmarks/backcast.py [--seeds 5] [--workers 2] [--no-patience]
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

import corridor_sim as cs
from corridor_sim.calendar import Calendar
from corridor_sim.scenario.variants import with_changes
from corridor_sim.stats import mean_ci

ROOT = Path(__file__).resolve().parents[1]
HISTORY = ROOT / "scenarios" / "history_2022_2023.yaml"
YEARS = (2022, 2023)

# the container flows and the destination whose days the row reports
TRANSIT = {
    "China border -> Alat": ("containers_cn_az", "alat"),
    "China border -> Poti": ("containers_cn_ge", "poti"),
    "China border -> Kars": ("containers_cn_tr", "kars"),
}

# year -> measure -> (documented value or text, source). Observed only: never an input.
DOCUMENTED = {
    2022: {
        "delivered, Mt": (
            1.485,
            "KZ MinTransport TITR series (research O1; the 1.7 Mt of R25 is the Aktau+Kuryk port scope)",
        ),
        "containers, TEU": (33600, "TITR Association, all directions but the Turkmen one (R119); 33,700 KZ MIID (R25)"),
        "China border -> Poti, mean days": ("38-53", "China -> Black Sea ports, 2022 (R41, KZ government)"),
        "China border -> Kars, mean days": (">20", "China (Alashankou) -> Kars before Aug 2025 (R47)"),
        "KZ section (China border -> Aktau yard), mean days": (12, "KZ section of the TITR, 2022 (R41, KZ government)"),
        "BTK (Kars) tonnes, kt": (
            432,
            "BTK 432,284 t in 2022, all cargo (R103); the model's BTK carries only the corridor's boxes",
        ),
        "Aktau TITR containers Jan-Oct, TEU": (23800, "Aktau port via ElDala (R122); all Aktau boxes 26,400"),
        "Kuryk wagons and trucks Jan-Oct, Mt": (1.57, "DERIVED from R126 (1.8 Mt in Jan-Oct 2023 = +15%)"),
        "feeder sailings Aktau->Alat per week, Sep-Dec": (
            "3-4",
            "R42 (TELS/FreightWaves): 7 vessels, ~3-4 westbound voyages a week, ~3,600 TEU a month",
        ),
        "crude to BTC, Mt": ("~0.12 (9M)", "KazTransOil Aktau->Baku, DERIVED (research K6b)"),
    },
    2023: {
        "delivered, Mt": (2.764, "KZ MinTransport TITR series (R113; research O4)"),
        "containers, TEU": ("~20,500", "DERIVED in the fact sheet (facts B.2); no official 2023 TITR box count"),
        "China border -> Poti, mean days": (
            "19-23",
            "China -> Black Sea ports, early 2023 (R41); 'almost 23' mid-2023 (R118)",
        ),
        "China border -> Kars, mean days": (">20", "China (Alashankou) -> Kars before Aug 2025 (R47)"),
        "KZ section (China border -> Aktau yard), mean days": (6, "early 2023 (R41); target 5"),
        "Aktau TITR containers Jan-Oct, TEU": (">13,000 (Jan-Jul)", "Aktau port (R123): all containers, Jan-Jul"),
        "Kuryk wagons and trucks Jan-Oct, Mt": (1.8, "R126 (rail >1 Mt and road 430 kt in Jan-Aug, R125)"),
        "crude to BTC, Mt": (1.392, "KZ crude to Sangachal 2023 (facts A.1); 990 kt in 9M (R59)"),
    },
}


def _wq(x: np.ndarray, w: np.ndarray, q: float) -> float:
    if len(x) == 0 or w.sum() <= 0:
        return np.nan
    i = np.argsort(x)
    cw = np.cumsum(w[i]) / w.sum()
    return float(x[i][np.searchsorted(cw, q)])


def measures(res, year: int) -> dict[str, float]:
    """What the backcast compares, measured in one run for one calendar year."""
    a = res.annual[res.annual.year == year]
    corridor = {f.id for f in res.scenario.demand.flows if f.corridor}
    a = a[a.flow.isin(corridor)]
    out = {
        "delivered, Mt": float(res.delivered_mt().loc[year]),
        "offered, Mt": a.tons_offered.sum() / 1e6,
        "containers, TEU": float(a.loc[a.cargo == "container", "units_delivered"].sum()),
        "crude to BTC, Mt": a.loc[a.cargo == "crude", "tons_delivered"].sum() / 1e6,
    }
    lots = res.lots[res.lots.year == year]
    for label, (flow, dest) in TRANSIT.items():
        c = lots[(lots.flow == flow) & (lots.destination == dest)]
        x, w = c.transit_days.to_numpy(float), c.tons.to_numpy(float)
        out[f"{label}, mean days"] = float(np.average(x, weights=w)) if w.sum() > 0 else np.nan
        out[f"{label}, p95 days"] = _wq(x, w, 0.95)
    # the Kazakh section: from the China border (where a consignment is generated) to the Aktau yard
    c = lots[lots.flow.isin(corridor) & (lots.cargo == "container")]
    if "t_yard:aktau_h" in c:
        c = c[c["t_yard:aktau_h"].notna()]
        x, w = ((c["t_yard:aktau_h"] - c.t_generated_h) / 24.0).to_numpy(float), c.tons.to_numpy(float)
        out["KZ section (China border -> Aktau yard), mean days"] = (
            float(np.average(x, weights=w)) if w.sum() else np.nan
        )
    btk = "t_rail:akhalkalaki_kars_h"
    out["BTK (Kars) tonnes, kt"] = float(lots.loc[lots[btk].notna(), "tons"].sum()) / 1e3 if btk in lots else 0.0
    cal = Calendar(res.scenario.start_year, res.scenario.end_year)
    t0 = cal.year_start_h(year)
    t_sep = t0 + 24 * (date(year, 9, 1) - date(year, 1, 1)).days
    t_nov = t0 + 24 * (date(year, 11, 1) - date(year, 1, 1)).days
    t1 = cal.year_start_h(year + 1)
    every = res.lots  # by the time they reached the port, not by the year they were delivered in
    aktau, kuryk = "t_yard:aktau_h", "t_yard:kuryk_h"
    at_aktau = every[every.flow.isin(corridor) & (every.cargo == "container")]
    out["Aktau TITR containers Jan-Oct, TEU"] = (
        float(at_aktau.loc[(at_aktau[aktau] >= t0) & (at_aktau[aktau] < t_nov), "units"].sum())
        if aktau in every
        else 0.0
    )
    out["Kuryk wagons and trucks Jan-Oct, Mt"] = (
        float(every.loc[(every[kuryk] >= t0) & (every[kuryk] < t_nov), "tons"].sum()) / 1e6 if kuryk in every else 0.0
    )
    v = res.voyages
    feeder = v[(v.line == "feeder_aktau_alat") & (v.t_depart_h >= t_sep) & (v.t_depart_h < t1)]
    out["feeder sailings Aktau->Alat per week, Sep-Dec"] = len(feeder) / ((t1 - t_sep) / 168.0)
    return out


def queues(res, year: int) -> pd.DataFrame:
    r = res.resources[res.resources.year == year]
    fleets = r[r.kind == "fleet"]  # a line's vessel groups share one cargo queue: one row per line
    lines = fleets.groupby("where", as_index=False).agg(
        utilization=("utilization", "mean"), mean_wait_h=("mean_wait_h", "max"), mean_queue=("mean_queue", "max")
    )
    lines = lines.assign(resource=lines["where"] + " (ships)", kind="fleet")
    cols = ["resource", "kind", "utilization", "mean_wait_h", "mean_queue"]
    return pd.concat([r[r.kind != "fleet"][cols], lines[cols]], ignore_index=True)


def diversions(res, year: int) -> dict[str, float]:
    """Diverted tonnes by alternative in one year; a clear stop if the run has no such table."""
    table = getattr(res, "diversions", None)
    if table is None or not isinstance(table, pd.DataFrame):
        raise LookupError(
            "the run has no 'diversions' table (Results.diversions: one row per year, flow and outside "
            "alternative with the tonnes diverted to it, columns year, flow, alternative, tons_diverted). "
            "It comes with the outside alternatives of issue 23; this corridor-sim has none."
        )
    col = next((c for c in ("tons_diverted", "tons") if c in table), None)
    if col is None or "alternative" not in table or "year" not in table:
        raise LookupError(
            f"the run's diversions table has columns {list(table.columns)}; expected year, alternative "
            "and tons_diverted"
        )
    d = table[table.year == year]
    return {f"diverted to {k}, kt": v / 1e3 for k, v in d.groupby("alternative")[col].sum().items()}


def _one(args: tuple) -> tuple:
    scn, seed, kind = args
    res = cs.run(scn, seed=seed)
    if kind == "patience":  # only the 2022 container transit
        return tuple(measures(res, 2022)[f"{k}, mean days"] for k in TRANSIT)
    out = {y: measures(res, y) for y in YEARS}
    q = {y: queues(res, y) for y in YEARS}
    try:
        dv = {y: diversions(res, y) for y in YEARS}
    except LookupError as exc:
        dv = exc
    return out, q, dv


def _fmt(key: str, v: float) -> str:
    if v != v:
        return "n/a"
    if "Mt" in key:
        return f"{v:,.3f}"
    return f"{v:,.1f}" if abs(v) < 1000 else f"{v:,.0f}"


def _ci(xs: list[float]) -> tuple[float, float]:
    xs = [x for x in xs if x == x]
    if not xs:
        return np.nan, np.nan
    s = mean_ci(xs)
    half = (s["ci_high"] - s["ci_low"]) / 2 if s["ci_low"] is not None else np.nan
    return s["mean"], half


def table(runs: list[dict], year: int) -> str:
    lines = ["| measure | simulated | documented | source |", "|---|---:|---:|---|"]
    doc = DOCUMENTED[year]
    for key in runs[0]:
        m, h = _ci([r[key] for r in runs])
        d, src = doc.get(key, ("", ""))
        d = _fmt(key, d) if isinstance(d, (int, float)) else d
        lines.append(f"| {key} | {_fmt(key, m)} ± {_fmt(key, h)} | {d} | {src} |")
    return "\n".join(lines)


def queue_table(qs: list[pd.DataFrame]) -> str:
    allq = pd.concat(qs).groupby(["resource", "kind"], as_index=False).mean(numeric_only=True)
    lines = ["| resource | kind | utilization | mean wait, h | mean queue |", "|---|---|---:|---:|---:|"]
    top = pd.concat([allq.nlargest(4, "mean_wait_h"), allq.nlargest(4, "utilization")]).drop_duplicates("resource")
    for _, r in top.iterrows():
        lines.append(f"| {r.resource} | {r.kind} | {r.utilization:.0%} | {r.mean_wait_h:,.1f} | {r.mean_queue:,.1f} |")
    return "\n".join(lines)


PATIENCE = (
    "max_transit_days",
    "response.value_of_time_usd_per_t_day",
    "response.logit_scale_usd_per_t",
    "storage_at_origin_t",
)


def patience_changes(scn, factor: float, which: tuple[str, ...] = PATIENCE) -> dict:
    """Every corridor flow's remaining patience-like settings times ``factor``."""
    changes = {}
    for f in scn.demand.flows:
        if not f.corridor:
            continue
        for p in which:
            obj = f
            for part in p.split("."):
                obj = getattr(obj, part, None)
            if isinstance(obj, (int, float)) and not isinstance(obj, bool):
                changes[f"demand.flows.{f.id}.{p}"] = obj * factor
    return changes


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--no-patience", action="store_true", help="skip item 3 (the patience check)")
    args = ap.parse_args()
    seeds = list(range(1, args.seeds + 1))
    scn = cs.load_scenario(HISTORY, years=YEARS)
    with ProcessPoolExecutor(args.workers) as pool:
        results = list(pool.map(_one, [(scn, s, "full") for s in seeds]))
        print(f"Backcast of {HISTORY.name}, {len(seeds)} seeds (mean ± 95% CI half-width)\n")
        missing = None
        for year in YEARS:
            print(f"### {year}\n")
            print(table([r[0][year] for r in results], year) + "\n")
            print(f"Where the queue sits in {year} (longest mean waits and busiest resources, mean over seeds):\n")
            print(queue_table([r[1][year] for r in results]) + "\n")
            dv = [r[2] for r in results]
            if isinstance(dv[0], LookupError):
                missing = dv[0]
            else:
                keys = sorted({k for d in dv for k in d[year]})
                print(f"Diverted to the outside alternatives in {year}:\n")
                print("| alternative | kt |\n|---|---:|")
                for k in keys:
                    m, h = _ci([d[year].get(k, 0.0) for d in dv])
                    print(f"| {k.removeprefix('diverted to ').removesuffix(', kt')} | {m:,.0f} ± {h:,.0f} |")
                print()
        if not args.no_patience:
            one = cs.load_scenario(HISTORY, years=(2022, 2022))
            variants = {"as set": {}}
            for factor, name in ((2.0, "doubled"), (0.5, "halved")):
                variants[f"all {name}"] = patience_changes(one, factor)
                for p in PATIENCE:
                    ch = patience_changes(one, factor, (p,))
                    if ch:
                        variants[f"{p.split('.')[-1]} {name}"] = ch
            jobs = [(with_changes(one, ch), s, "patience") for ch in variants.values() for s in seeds]
            out = list(pool.map(_one, jobs))
            n = len(seeds)
            rows = {name: out[i * n : (i + 1) * n] for i, name in enumerate(variants)}
            ref = {k: np.mean([r[j] for r in rows["as set"]]) for j, k in enumerate(TRANSIT)}
            print("### Item 3: 2022 container transit (mean days) with the patience-like settings changed\n")
            print("| settings | " + " | ".join(TRANSIT) + " |\n|---|" + "---:|" * len(TRANSIT))
            for name, rs in rows.items():
                cells = []
                for j, k in enumerate(TRANSIT):
                    m = np.mean([r[j] for r in rs])
                    cells.append(f"{m:.1f}" + ("" if name == "as set" else f" ({(m / ref[k] - 1) * 100:+.0f}%)"))
                print(f"| {name} | " + " | ".join(cells) + " |")
            print()
    if missing is not None:
        print(f"backcast.py: {missing}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
