"""The README's cost figures, computed: the cheapest plan for the goal by a year under each demand
case, the appraisal of the dated projects, and door-to-door cost and CO2 per TEU by route.

    python benchmarks/plan_table.py                      # goal 10 Mt/yr by 2030, central and high, -n 5
    python benchmarks/plan_table.py --by 2030 --cases central,high -n 5 --screening 3

Prints Markdown tables (with the planner's run time and simulated years) to paste into README.md.
Capacity (what the corridor could carry, saturated demand in the year's mix) decides the plan; the
demand case enters through the mix. Costs are the scenario files' assumptions (seeds/SOURCES.md 9).
"""

from __future__ import annotations

import argparse
import time

import corridor_sim as cs
from corridor_sim.analyses.appraisal import appraise
from corridor_sim.analyses.plan import frontier, plan
from corridor_sim.experiments.replications import replicate
from corridor_sim.scenario.candidates import load_candidates
from corridor_sim.scenario.pricing import flow_charges
from corridor_sim.scenario.variants import with_entries
from corridor_sim.stats import mean_ci


def plans(args) -> None:
    print(f"### Cheapest plan for {args.goal:g} Mt/yr of capacity in {args.by} (scenarios/options.yaml)\n")
    print(
        "| demand case | measures (in service) | capex US$ m | PV cost US$ m | capacity in the year, Mt/yr (95% CI) | replications at goal | delivered in the year, Mt (95% CI) | run time | simulated years |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for case in args.cases.split(","):
        s = cs.load_scenario("scenarios/options.yaml", demand_case=case)
        cands = load_candidates("scenarios/candidates.yaml", s)
        t0 = time.perf_counter()
        p = plan(
            s,
            cands,
            args.goal,
            args.by,
            replications=args.n,
            screening_replications=args.screening,
            workers=args.workers,
            trajectory=False,
        )
        wall = time.perf_counter() - t0
        what = ", ".join(f"{e.id} ({e.date:%Y-%m})" for e in p.chosen) or "none"
        c = p.capacity_mt
        # what the planned corridor delivers under this case's demand (demand, not capacity)
        runs = replicate(with_entries(s, p.chosen, name=s.name), args.n, workers=args.workers)
        dlv = mean_ci([float(r.delivered_mt().loc[args.by]) for r in runs])
        print(
            f"| {case} | {what} | {p.capex_musd:,.0f} | {p.pv_cost_musd:,.0f} | {c['mean']:.2f} ({c['ci_low']:.2f}-{c['ci_high']:.2f}) "
            f"| {p.share_at_goal:.0%} of {args.n}{'' if p.reached else ' (NOT reached)'} "
            f"| {dlv['mean']:.2f} ({dlv['ci_low']:.2f}-{dlv['ci_high']:.2f}) | {wall:.0f} s | {p.simulated_years} |"
        )
        for row in p.rejected.itertuples():
            print(f"<!-- {case}: {row.candidate}: {row.reason} -->")
    print()


def frontier_table(args) -> None:
    s = cs.load_scenario("scenarios/options.yaml")
    cands = load_candidates("scenarios/candidates.yaml", s)
    first, last = (int(x) for x in args.frontier.split("-"))
    t0 = time.perf_counter()
    front, plans_ = frontier(
        s,
        cands,
        args.goal,
        range(first, last + 1),
        replications=args.n,
        screening_replications=args.screening,
        workers=args.workers,
    )
    wall = time.perf_counter() - t0
    sim = sum(p.simulated_years for p in plans_.values())
    print(
        f"### Cost against the year {args.goal:g} Mt/yr of capacity is reached (central case; {wall:.0f} s, {sim} simulated years)\n"
    )
    print("| goal year | reached | capex US$ m | PV cost US$ m | capacity Mt/yr (95% CI) | measures |")
    print("|---|---|---|---|---|---|")
    for r in front.itertuples():
        print(
            f"| {r.by} | {'yes' if r.reached else 'no'} | {r.capex_musd:,.0f} | {r.pv_cost_musd:,.0f} "
            f"| {r.capacity_mt:.2f} ({r.capacity_mt_ci_low:.2f}-{r.capacity_mt_ci_high:.2f}) | {r.measures} |"
        )
    print()


def appraisal(args) -> None:
    s = cs.load_scenario("scenarios/bottlenecks.yaml")
    t0 = time.perf_counter()
    ap = appraise(s, replications=args.n, workers=args.workers)
    wall = time.perf_counter() - t0
    print(
        f"### Appraisal of the dated projects (scenarios/bottlenecks.yaml, {args.n} replications, {wall:.0f} s, "
        f"{ap.simulated_years} simulated years; {ap.discount_rate_pct:g}% discount rate, "
        f"US${ap.carbon_price_usd_per_t:g}/t CO2e)\n"
    )
    print(
        "| measure | in service | capex US$ m | capacity added Mt/yr | delivered added Mt/yr | US$ per t/yr of capacity | NPV US$ m | BCR |"
    )
    print("|---|---|---|---|---|---|---|---|")

    def ci(r, col, fmt="{:,.2f}"):
        m, lo, hi = getattr(r, col), getattr(r, f"{col}_ci_low"), getattr(r, f"{col}_ci_high")
        if m is None or m != m:
            return "-"
        if lo is None or lo != lo:
            return fmt.format(m)
        return f"{fmt.format(m)} ({fmt.format(lo)} to {fmt.format(hi)})"

    for r in ap.table.itertuples():
        print(
            f"| {r.measure} | {r.date} | {r.capex_musd:,.0f} | {ci(r, 'capacity_added_mt')} | {ci(r, 'delivered_added_mt')} "
            f"| {ci(r, 'usd_per_t_capacity', '{:,.0f}')} | {ci(r, 'npv_musd', '{:,.0f}')} | {ci(r, 'bcr')} |"
        )
    print()


def route_costs() -> None:
    s = cs.load_scenario("scenarios/base.yaml")
    print("### Charges and CO2e per unit by route, 2024 (scenarios/base.yaml; the scenario's tariffs)\n")
    print("| flow | route | charges US$ per unit | of which outside the network | kg CO2e per unit |")
    print("|---|---|---|---|---|")
    for f in s.demand.flows:
        unit = s.cargo_classes[f.cargo].unit
        for rid, ch in flow_charges(s, f).items():
            outside = sum(p.usd_per_unit for p in ch.parts if p.kind == "outside")
            print(
                f"| {f.id} | {rid} | {ch.usd_per_unit:,.0f} per {unit} | {outside:,.0f} | {ch.kg_co2e_per_unit:,.0f} |"
            )
    print()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--goal", type=float, default=10.0)
    ap.add_argument("--by", type=int, default=2030)
    ap.add_argument("--cases", default="central,high")
    ap.add_argument("-n", type=int, default=5)
    ap.add_argument("--screening", type=int, default=3)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--skip-appraisal", action="store_true")
    ap.add_argument("--skip-plans", action="store_true")
    ap.add_argument("--frontier", default=None, metavar="START-END", help="cost against the goal year, central case")
    a = ap.parse_args()
    route_costs()
    if not a.skip_plans:
        plans(a)
    if a.frontier:
        frontier_table(a)
    if not a.skip_appraisal:
        appraisal(a)
