"""The economic appraisal of the dated projects (the README's appraisal section).

Runs ``appraise`` on scenarios/bottlenecks.yaml (the dated projects of the Middle Corridor
programmes, each with its sourced capex) under the central demand case and, for the risk analysis,
the low and high cases, and prints in Markdown: per measure, stand-alone against the do-minimum,
the ENPV, EIRR and BCR with their 95% CIs over the replications, the first-year return, the ENPV at
the low and high values of time, the switching value of the value of time and of the capex, the
probability that the ENPV is negative over the replications and cases, the stream that drives it,
and the incremental ENPV within the package; then the value-of-time range and its sources, and the
present value of each benefit stream per measure.
Usage: python benchmarks/appraisal_table.py [-n 5] [--workers 2] [--cases low,high] [--years 2024-2035]
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

import corridor_sim as cs
from corridor_sim.analyses.appraisal import appraise
from corridor_sim.analyses.benefits import STREAMS
from corridor_sim.analyses.indicators import present_value


def ci(m: float, lo: float, hi: float, fmt: str = "{:,.0f}") -> str:
    if m is None or m != m:
        return "-"
    if lo is None or lo != lo:
        return fmt.format(m)
    return f"{fmt.format(m)} ({fmt.format(lo)} to {fmt.format(hi)})"


def main() -> None:
    ap_ = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap_.add_argument("-n", type=int, default=5)
    ap_.add_argument("--workers", type=int, default=None)
    ap_.add_argument("--cases", default="low,high", help="other demand cases for the risk analysis ('' for none)")
    ap_.add_argument("--years", default=None, help="START-END (default: the scenario's)")
    a = ap_.parse_args()
    years = tuple(int(x) for x in a.years.split("-")) if a.years else None
    s = cs.load_scenario("scenarios/bottlenecks.yaml", years=years)
    cases = [c for c in a.cases.split(",") if c]
    t0 = time.perf_counter()
    ap = appraise(s, replications=a.n, workers=a.workers, demand_cases=cases, allow_large=True)
    wall = time.perf_counter() - t0
    st = s.costs.appraisal
    print(
        f"### Appraisal of the dated projects (scenarios/bottlenecks.yaml; {ap.guideline.split(':')[0]})\n\n"
        f"{a.n} replications; demand case {ap.demand_case}, the risk analysis over {', '.join(ap.demand_cases)}; "
        f"{ap.discount_rate_pct:g}% real over {ap.appraisal_years} years; CO2e at US${ap.carbon_price_usd_per_t:g}/t; "
        f"{ap.simulated_years} simulated years, {wall:.0f} s wall.\n"
    )
    print(
        "| measure | in service | capex US$ m | ENPV US$ m | EIRR % | BCR | FYRR % | ENPV at VoT low / high | BCR at VoT low / high | "
        "VoT switching | capex switching | P(ENPV<0) | driven by | incremental ENPV |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|")
    t = ap.table
    alone = t[t["mode"] == "stand-alone"].sort_values("enpv_musd", ascending=False)
    inc = t[t["mode"] == "incremental"].set_index("measure")
    for r in alone.itertuples():
        i = inc.loc[r.measure]
        vs = f"{r.vot_switching_factor:.2f}x" if r.vot_switching_factor == r.vot_switching_factor else "none"
        cs_ = f"{r.capex_switching_factor:.2f}x" if r.capex_switching_factor == r.capex_switching_factor else "-"
        print(
            f"| {r.measure} | {r.date} | {r.capex_musd:,.0f} | {ci(r.enpv_musd, r.enpv_musd_ci_low, r.enpv_musd_ci_high)} "
            f"| {ci(r.eirr_pct, r.eirr_pct_ci_low, r.eirr_pct_ci_high, '{:.1f}')} "
            f"| {ci(r.bcr, r.bcr_ci_low, r.bcr_ci_high, '{:.2f}')} | {r.fyrr_pct:.1f} "
            f"| {r.enpv_musd_vot_low:,.0f} / {r.enpv_musd_vot_high:,.0f} | {r.bcr_vot_low:.2f} / {r.bcr_vot_high:.2f} "
            f"| {vs} | {cs_} | {r.p_enpv_negative:.0%} "
            f"| {r.main_stream} ({r.main_stream_share:.0%}) | {ci(i.enpv_musd, i.enpv_musd_ci_low, i.enpv_musd_ci_high)} |"
        )
    print("\n### The value of time and the other appraisal values (base.yaml costs.appraisal)\n")
    print("| value | low | central | high |")
    print("|---|---:|---:|---:|")
    for c, b in st.value_of_time_usd_per_t_day.items():
        print(f"| value of time, {c}, US$/t/day | {b.low:g} | {b.central:g} | {b.high:g} |")
    print(
        f"| reliability ratio | {st.reliability_ratio.low:g} | {st.reliability_ratio.central:g} | {st.reliability_ratio.high:g} |"
    )
    print(
        f"| rail resource cost, US$/t-km | {st.rail_usd_per_t_km.low:g} | {st.rail_usd_per_t_km.central:g} "
        f"| {st.rail_usd_per_t_km.high:g} |"
    )
    print(f"\nSources: {st.source}.\n")
    print("### Present value of each benefit stream, stand-alone, central case (US$ m, mean over replications)\n")
    by = ap.by_year[(ap.by_year["mode"] == "stand-alone") & (ap.by_year.demand_case == ap.demand_case)]
    rows = []
    for m, g in by.groupby("measure"):
        mean = g.groupby("year")[list(STREAMS)].mean()
        rows.append(
            {"measure": m} | {k: present_value(mean[k].to_dict(), ap.discount_rate_pct, s.start_year) for k in STREAMS}
        )
    pv = pd.DataFrame(rows).set_index("measure").loc[list(alone.measure)]
    print("| measure | " + " | ".join(STREAMS) + " |")
    print("|---|" + "---:|" * len(STREAMS))
    for m, r in pv.iterrows():
        print(f"| {m} | " + " | ".join(f"{v:,.1f}" for v in r) + " |")
    print(
        "\n(The simulated years only: the appraisal holds the last year's benefits for the rest of the period; "
        "shippers_charges and operators_charges are transfers and net to zero.)"
    )


if __name__ == "__main__":
    main()
