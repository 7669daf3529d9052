"""The README's cost figures, computed: the cheapest plan for the World Bank's 2030 goal under each
demand case beside the scope of the World Bank's US$7 bn and of the dated projects, the cheapest plan
for a capacity goal by a year, and door-to-door cost and CO2 per TEU by route (the appraisal of the
dated projects is benchmarks/appraisal_table.py).

    python benchmarks/plan_table.py --wb -n 3 --screening 2 --skip-plans   # the World Bank's goal
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
from corridor_sim.analyses.plan import MAX_EVALUATIONS, frontier, plan
from corridor_sim.experiments.replications import replicate
from corridor_sim.scenario.candidates import load_candidates
from corridor_sim.scenario.goals import load_goal
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


SCENARIOS = (
    "base",
    "bottlenecks",
    "corridor_10mt",
    "ferry_reassignment",
    "oil_btc_7mt",
    "options",
    "shared",
    "shared_both_ways",
    "shared_fleet",
    "shared_ports",
    "unified_tariffs",
    "zangezur",
    "zangezur_late",
)


def ci_text(d, fmt="{:.2f}") -> str:
    if not d or d.get("mean") is None:
        return "-"
    lo, hi = d.get("ci_low"), d.get("ci_high")
    if lo is None or lo != lo:
        return fmt.format(d["mean"])
    return f"{fmt.format(d['mean'])} ({fmt.format(lo)}-{fmt.format(hi)})"


def dated_projects() -> tuple[float, list[str]]:
    """The costed timeline entries of the shipped scenarios, each counted once (by id), US$ m."""
    seen: dict[str, float] = {}
    for name in SCENARIOS:
        for iv in cs.load_scenario(f"scenarios/{name}.yaml").timeline:
            if iv.capex_musd is not None:
                seen.setdefault(iv.id, float(iv.capex_musd))
    return sum(seen.values()), sorted(seen)


def wb_plans(args) -> list[tuple[str, object]]:
    goal_file = "scenarios/goals/wb_2030.yaml"
    base = load_goal(goal_file, cs.load_scenario("scenarios/options.yaml"))
    print(
        f"### The cheapest plan for the World Bank's 2030 goal under each demand case ({base.text().replace(' (high demand)', '')}; "
        f"scenarios/options.yaml + scenarios/candidates.yaml, {args.n} verification replications, "
        f"{args.screening} screening)\n"
    )
    print(
        "| demand case | offered at trend 2030, Mt | measures (in service) | capex US$ m | PV cost US$ m | capacity in the mix 2030, Mt/yr (95% CI) "
        "| delivered 2030, Mt (95% CI) | China-Poti days 2030 (95% CI) | goal met | search | what stops it | run time |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    out = []
    for case in args.wb_cases.split(","):
        s = cs.load_scenario("scenarios/options.yaml", demand_case=case)
        g = base.model_copy(update={"demand_case": case})
        cands = load_candidates("scenarios/candidates.yaml", s)
        t0 = time.perf_counter()
        p = plan(
            s,
            cands,
            goal=g,
            replications=args.n,
            screening_replications=args.screening,
            workers=args.workers,
            trajectory=False,
            allow_large=True,
            max_evaluations=args.max_evaluations,
        )
        wall = time.perf_counter() - t0
        what = ", ".join(f"{e.id} ({e.date:%Y-%m})" for e in p.chosen if e.capex_musd is not None) or "none"
        unreachable = "no plan from these candidates" in p.reason
        search = (
            "no set reaches it"
            if unreachable
            else "proven cheapest"
            if p.proven
            else f"best of {p.evaluations} sets, not proven"
        )
        print(
            f"| {case} | {p.offered_trend_mt:.2f} | {what} | {p.capex_musd:,.0f} | {p.pv_cost_musd:,.0f} | {ci_text(p.capacity_mt)} "
            f"| {ci_text(p.delivered_mt)} | {ci_text(p.transit_days, '{:.1f}')} | {p.share_at_goal:.0%} of {args.n}"
            f"{'' if p.reached else ' (NOT met)'} | {search} | {p.reason or p.binding} | {wall:.0f} s, {p.simulated_years} simulated years |"
        )
        out.append((case, p))
    print()
    total, ids = dated_projects()
    cheapest = [p.capex_musd for _, p in out if p.reached]
    print("### What each figure counts (scope), beside the World Bank's US$7 bn\n")
    print("| figure | US$ bn | what it counts | what it leaves out |")
    print("|---|---|---|---|")
    print(
        "| World Bank, priority investments (W-5) | 7.0 | investments to eliminate the corridor's bottlenecks in "
        "Kazakhstan, Azerbaijan and Georgia, with trade policy, logistics services, trade finance, value chains and training "
        "(composition not published) | - |"
    )
    print(
        f"| the dated projects in the shipped scenarios | {total / 1000:.1f} | the capex of every costed timeline entry "
        f"({len(ids)}: {', '.join(ids)}), each once | projects without a published cost, running costs, soft measures |"
    )
    for case, p in out:
        print(
            f"| the cheapest plan found, {case} case | {p.capex_musd / 1000:.2f} | the candidates chosen "
            f"(capex; PV with running costs US${p.pv_cost_musd / 1000:.2f} bn) "
            f"{'meeting' if p.reached else 'NOT meeting'} the goal | measures outside candidates.yaml, "
            "the China-side and Türkiye legs, soft measures beyond the border-processing candidate |"
        )
    if not cheapest:
        print("\nNo plan from these candidates meets the World Bank's goal under any case: see 'what stops it'.")
    print()
    return out


def wb_every(args) -> None:
    """What every candidate at once delivers under each case (each at its earliest date): the most
    these candidates can deliver, beside the goal."""
    import datetime as dt

    from corridor_sim.analyses.plan import _runs

    base = load_goal("scenarios/goals/wb_2030.yaml", cs.load_scenario("scenarios/options.yaml"))
    print(f"### Every candidate at once, each at its earliest date ({args.n} replications)\n")
    print(
        "| demand case | measures in service by 2030 | capex US$ m | delivered 2030, Mt (95% CI) | China-Poti days 2030 (95% CI) |"
    )
    print("|---|---|---|---|---|")
    for case in args.wb_cases.split(","):
        s = cs.load_scenario("scenarios/options.yaml", demand_case=case)
        g = base.model_copy(update={"demand_case": case})
        cands = [
            c
            for c in load_candidates("scenarios/candidates.yaml", s)
            if c.earliest_service <= dt.date(g.by, 1, 1) and c.id != "kz_ferries_first"  # kz_ferries_four holds it
        ]
        entries = [e for c in cands for e in c.entries(max(c.earliest_service, dt.date(s.start_year, 1, 1)))]
        delivered, days, _ = _runs(
            with_entries(s, entries, name=s.name), g, args.n, 1, cs.Execution(workers=args.workers, allow_large=True)
        )
        d, t = mean_ci(delivered), mean_ci(days or [float("nan")])
        print(
            f"| {case} | {len(cands)} | {sum(c.capex_musd for c in cands):,.0f} | {d['mean']:.2f} ({d['ci_low']:.2f}-{d['ci_high']:.2f}) "
            f"| {t['mean']:.1f} ({t['ci_low']:.1f}-{t['ci_high']:.1f}) |"
        )
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
    ap.add_argument("--skip-plans", action="store_true")
    ap.add_argument("--frontier", default=None, metavar="START-END", help="cost against the goal year, central case")
    ap.add_argument("--wb", action="store_true", help="the World Bank's 2030 goal under each demand case")
    ap.add_argument("--wb-cases", default="low,central,high")
    ap.add_argument("--wb-every", action="store_true", help="what every candidate at once delivers under each case")
    ap.add_argument("--max-evaluations", type=int, default=MAX_EVALUATIONS)
    ap.add_argument("--skip-routes", action="store_true")
    a = ap.parse_args()
    if a.wb:
        wb_plans(a)
    if a.wb_every:
        wb_every(a)
    if not a.skip_routes:
        route_costs()
    if not a.skip_plans:
        plans(a)
    if a.frontier:
        frontier_table(a)
