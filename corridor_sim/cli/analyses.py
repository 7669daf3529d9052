"""The analyses' commands: ``sweep``, ``capacity``, ``appraise``, ``plan``, ``bottlenecks`` and
``sensitivity``. Each loads its scenario, refuses what it cannot run before running, calls the
analysis, writes its result with ``corridor_sim.present.write`` (tables and figures, under the
output contract) and prints what it found."""

from __future__ import annotations

import textwrap
from dataclasses import replace
from pathlib import Path

import click
import pandas as pd
from pydantic import ValidationError

from ..analyses.appraisal import appraise as run_appraisal
from ..analyses.bottlenecks import bottlenecks as run_bottlenecks
from ..analyses.capacity import CapacityEstimate, estimate_capacity
from ..analyses.plan import MAX_EVALUATIONS, Plan
from ..analyses.plan import frontier as run_frontier
from ..analyses.plan import plan as run_plan
from ..analyses.sensitivity import sensitivity as run_sensitivity
from ..analyses.sweep import parse_vary
from ..analyses.sweep import sweep as run_sweep
from ..present import write
from ..scenario.candidates import load_candidates, own_candidates
from ..scenario.goals import Goal, TransitGoal, check_goal, load_goal
from .main import (
    YEAR,
    YEARS_HELP,
    Finite,
    InputError,
    analysis,
    claim_out,
    common_options,
    load,
    main,
    note,
    old_year_option,
    one_year,
    parse_years,
    print_frame,
    years_given,
)
from .terminal import log, pm

MAX_SWEEP_RUNS = 100_000  # ~1 s each for a base year on one core: a day on a 2-core machine


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option(
    "--vary",
    "varies",
    multiple=True,
    required=True,
    metavar="PATH=V1,V2,...",
    help="A parameter and its values; repeat for a grid (every combination).",
)
@click.option(
    "--replications",
    "-n",
    type=click.IntRange(min=1, max=100_000),
    default=1,
    show_default=True,
    help="Replications of each point (seeds derived from --seed, the same at every point); the KPI gets its 95% CI.",
)
@click.option("--years", default=None, help=YEARS_HELP)
@click.option(
    "--kpi",
    type=click.Choice(["delivered_mt_last_year", "delivered_mt_per_year", "transit_days_mean"]),
    default="delivered_mt_last_year",
    show_default=True,
    help="The KPI plotted.",
)
@common_options
def sweep(
    scenario,
    varies,
    replications,
    years,
    kpi,
    out,
    overwrite,
    allow_large,
    seed,
    overrides,
    demand_case,
    workers,
    scheduler,
    quiet,
):
    """Run SCENARIO over a grid of parameter values (one row per point x replication)."""
    scn = load(scenario, overrides, years, demand_case)
    try:
        grid = [parse_vary(v) for v in varies]
    except ValueError as exc:
        raise InputError(str(exc)) from None
    paths = [p for p, _ in grid]
    twice = sorted({p for p in paths if paths.count(p) > 1})
    if twice:  # the grid would hold both, and each run only the last value set
        raise InputError(f"--vary names {', '.join(twice)} more than once; give all its values in one --vary")
    npoints = 1
    for _, v in grid:
        npoints *= len(v)
    if npoints * replications > MAX_SWEEP_RUNS and not allow_large:
        raise InputError(
            f"--vary: {npoints:,} points x {replications} replications is {npoints * replications:,} runs, "
            f"more than {MAX_SWEEP_RUNS:,}; vary fewer values, or add --allow-large"
        )
    out = Path(out or f"results/{scn.slug}-sweep")
    claim_out(out, overwrite=overwrite)  # refuse before running, not after
    result = analysis(
        f"sweep {npoints} points x {replications}",
        quiet,
        lambda bar: run_sweep(
            scn,
            grid,
            replications,
            seed,
            kpi=kpi,
            workers=workers,
            scheduler=scheduler,
            progress=bar,
            allow_large=allow_large,
            log=note,
        ),
    )
    table = result.table
    if (table.status == "invalid").all():
        # nothing could run: the values given are the input at fault, so refuse them as --set would
        # be refused, rather than write a table of errors with exit status 0
        first = table.iloc[0]
        values = ", ".join(f"{p}={first[p]}" for p in paths)
        raise InputError(
            f"--vary: no point of the sweep of {scenario} is a scenario that can run, so nothing was run or written to "
            f"{out}/; the first, {values}: {first.error}"
        )
    write(result, out, overwrite=overwrite)
    if not quiet:
        print_sweep(result.summary(), paths, kpi, scn.label, replications)
    bad = int((table.status != "ok").sum())
    click.echo(f"sweep written to {out}/ ({len(table)} runs, {bad} failed or invalid)")


# what the sweep's KPIs are called in its table (the column names are in sweep_summary.csv)
KPI_HEADS = {
    "delivered_mt_last_year": "delivered Mt,\nlast year",
    "delivered_mt_per_year": "delivered Mt/yr,\nmean of the years",
    "transit_days_mean": "days generation\nto delivery",
}


def print_sweep(summary: pd.DataFrame, paths: list[str], kpi: str, label: str, replications: int) -> None:
    """One row per point: the values varied, the replications that ran, the KPI as mean ± 95% CI
    half-width, and the first error where a point failed."""
    head = KPI_HEADS.get(kpi, kpi.replace("_", " "))
    failed = bool(summary.error.notna().any())
    frame = summary
    if failed:
        frame = frame.assign(error=[shorten(e, 40) if e is not None and e == e else "" for e in summary.error])
    print_frame(
        frame,
        f"sweep of {label}: {head.replace(chr(10), ' ')}, mean ± 95% CI half-width of {replications} replication(s)",
        [*paths, "runs ok", head, *(["error"] if failed else [])],
        {"runs ok": ("n_ok", None, None), head: (f"{kpi}_mean", f"{kpi}_ci_low", f"{kpi}_ci_high")},
        fmt="{:,.1f}" if kpi == "transit_days_mean" else "{:,.2f}",
        keys=max(len(paths), 1),
    )


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option(
    "--years",
    default=None,
    help="Years whose capacity is measured: YEAR (e.g. 2030) or START-END (e.g. 2024-2035) [default: the scenario's].",
)
@old_year_option
@click.option(
    "--replications",
    "-n",
    type=click.IntRange(min=2, max=10_000),
    default=5,
    show_default=True,
    help="Replications per year (seeds derived from --seed); capacity gets its 95% CI.",
)
@click.option("--total-only", is_flag=True, help="Only the corridor's total, not each cargo class.")
@common_options
def capacity(
    scenario,
    years,
    old_year,
    replications,
    total_only,
    out,
    overwrite,
    allow_large,
    seed,
    overrides,
    demand_case,
    workers,
    scheduler,
    quiet,
):
    """Sustainable capacity of SCENARIO, year by year: what it could carry with more cargo waiting
    than it can take, in each year's mix, with what binds and each resource's headroom."""
    years = years_given(years, old_year)
    span = parse_years(years)
    scn = load(scenario, overrides, None, demand_case)
    if span is not None and not (scn.start_year <= span[0] and span[1] <= scn.end_year):
        raise InputError(
            f"--years {years} is outside the years of {scenario} "
            f"({scn.start_year}-{scn.end_year}); capacity is measured in the scenario's own years"
        )
    out = Path(out or f"results/{scn.slug}-capacity")
    claim_out(out, overwrite=overwrite)  # refuse before running, not after
    est = analysis(
        "capacity",
        quiet,
        lambda bar: estimate_capacity(
            scn,
            span,
            replications,
            seed,
            not total_only,
            workers=workers,
            scheduler=scheduler,
            progress=bar,
            allow_large=allow_large,
            log=note,
        ),
    )
    write(est, out, overwrite=overwrite)
    if not quiet:
        print_capacity(est, replications)
    say_first_year(est)
    click.echo(f"capacity written to {out}/ (capacity.csv, headroom.csv, capacity.json)")


def print_capacity(est: CapacityEstimate, replications: int) -> None:
    """The capacity of the year's mix by year beside the tonnes offered at trend, then the last year's
    classes, each saturated on its own, and their sum labelled as such."""
    t = est.trajectory
    tot = t[t.cargo == "all"]
    total = tot.assign(
        # the line or link, not the vessel group: the full name is in capacity.csv
        binds=[shorten(str(x).split(":")[0], 30) for x in tot.binding_label],
        stops=[str(x) if isinstance(x, str) else "-" for x in tot.get("binding_class", [None] * len(tot))],
        offered=[f"{x:,.2f}" for x in tot.offered_trend_mt],
        saturated=[f"{x:.0%}" if x == x and x is not None else "-" for x in tot.saturated_share],
    )
    print_frame(
        total,
        f"capacity of {est.scenario} in the year's mix (the {est.demand_case} case's offered tonnes "
        f"saturated: multiplied until the first class's bottleneck binds), Mt/yr (mean ± 95% CI half-width, {replications} replications)",
        ["year", "capacity\nMt/yr", "offered at\ntrend, Mt/yr", "stops\n(class)", "binds", "saturated\nreplications"],
        {
            "capacity\nMt/yr": ("capacity_mt", "capacity_mt_ci_low", "capacity_mt_ci_high"),
            "offered at\ntrend, Mt/yr": ("offered", None, None),
            "stops\n(class)": ("stops", None, None),
            "saturated\nreplications": ("saturated", None, None),
        },
        fmt="{:,.2f}",
    )
    last = int(t.year.max())
    by_class = t[(t.cargo != "all") & (t.year == last)]
    if len(by_class):  # the classes of the last year, in their own units
        units = [
            pm(r.capacity_units, r.capacity_units_ci_low, r.capacity_units_ci_high, "{:,.0f}") + f" {r.unit}"
            for r in by_class.itertuples()
        ]
        print_frame(
            by_class.assign(binds=[shorten(str(x).split(":")[0], 24) for x in by_class.binding_label], units=units),
            f"each class saturated on its own in {last} (all classes saturated at once; not a capacity of the mix)",
            ["cargo", "capacity\nMt/yr", "capacity\nin units", "binds"],
            {
                "capacity\nMt/yr": ("capacity_mt", "capacity_mt_ci_low", "capacity_mt_ci_high"),
                "capacity\nin units": ("units", None, None),
            },
            fmt="{:,.2f}",
        )
        row = tot[tot.year == last]
        if len(row) and "classes_sum_mt" in row and row.classes_sum_mt.iloc[0] == row.classes_sum_mt.iloc[0]:
            click.echo(
                f"sum of the classes each saturated on its own in {last}: {row.classes_sum_mt.iloc[0]:,.2f} Mt/yr "
                "(a class's spare capacity carries no other class's cargo: not a capacity of the mix)"
            )


def say_first_year(est: CapacityEstimate) -> None:
    """The first year capacity reaches the goal (by its mean, and its CI's ends), and the years
    whose figure is a lower bound."""
    t = est.trajectory
    goal = est.goal_mt_per_year
    first = est.first_year_at_goal()
    last = int(t.year.max())
    if first["mean"] is not None:
        low = first["ci_low"]
        click.echo(
            f"capacity reaches {goal:g} Mt/yr first in {first['mean']} "
            f"(CI low reaches it in {low if low is not None else f'none of the years to {last}'})"
        )
    else:
        high = first["ci_high"]
        click.echo(
            f"capacity does not reach {goal:g} Mt/yr by {last}"
            + (f" (CI high reaches it in {high})" if high is not None else "")
        )
    unsat = t[t.saturated_share.notna() & (t.saturated_share < 1)]
    if len(unsat):
        click.echo(
            f"{len(unsat)} year/class row(s) not saturated in every replication: there the figure is a lower "
            "bound (saturated_share in capacity.csv)"
        )


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option(
    "--replications",
    "-n",
    type=click.IntRange(min=2, max=10_000),
    default=5,
    show_default=True,
    help="Replications of the scenario with and without each measure (the same seeds: common random numbers).",
)
@click.option(
    "--measure",
    "measures",
    multiple=True,
    metavar="ID",
    help="Appraise only this costed timeline entry (repeatable) [default: every entry with capex_musd].",
)
@click.option("--years", default=None, help=YEARS_HELP)
@click.option(
    "--discount-rate",
    "discount_rate",
    type=Finite(min=0, max=99.99),
    default=None,
    help="Real discount rate, %/yr, from 0 to under 100 [default: the scenario's costs.discount_rate_pct].",
)
@click.option(
    "--risk-cases",
    "risk_cases",
    default=None,
    metavar="CASE,CASE",
    help="Other demand cases to run too (e.g. low,high): the ENPV distribution and P(ENPV<0) pool the "
    "replications of every case [default: the scenario's case only].",
)
@common_options
def appraise(
    scenario,
    replications,
    measures,
    years,
    discount_rate,
    risk_cases,
    out,
    overwrite,
    allow_large,
    seed,
    overrides,
    demand_case,
    workers,
    scheduler,
    quiet,
):
    """The economic appraisal of each costed measure of SCENARIO (the EU Guide to Cost-Benefit
    Analysis, 2014): stand-alone against the do-minimum and incremental within the package, on
    common random numbers; each benefit stream by year, ENPV, EIRR, BCR, first-year return, the
    switching values of the value of time and the capex, and the ENPV's distribution, with 95% CIs."""
    scn = load(scenario, overrides, years, demand_case)
    cases = [c.strip() for c in (risk_cases or "").split(",") if c.strip()]
    known = {c.id for c in scn.demand_cases}
    unknown = [c for c in cases if c not in known]
    if unknown:
        raise InputError(
            f"--risk-cases: unknown demand case {', '.join(unknown)} of {scenario} (cases: {', '.join(sorted(known)) or 'none'})"
        )
    out = Path(out or f"results/{scn.slug}-appraisal")
    claim_out(out, overwrite=overwrite)
    ap = analysis(
        "appraisal",
        quiet,
        lambda bar: run_appraisal(
            scn,
            replications,
            seed,
            list(measures) or None,
            discount_rate,
            demand_cases=cases,
            workers=workers,
            scheduler=scheduler,
            progress=bar,
            allow_large=allow_large,
            log=note,
        ),
    )
    write(ap, out, overwrite=overwrite)
    if not quiet:
        t = ap.table.assign(
            measure=[shorten(f"{m} ({md[:5]}.)", 30) for m, md in zip(ap.table.measure, ap.table["mode"])],
            capex=[f"{x:,.0f}" if x == x else "-" for x in ap.table.capex_musd],
            p_negative=[f"{x:.0%}" if x == x else "-" for x in ap.table.p_enpv_negative],
        )
        print_frame(
            t,
            f"measures of {scn.label}: stand-alone against the do-minimum and incremental in the package "
            f"({replications} replications; {ap.discount_rate_pct:g}%/yr over {ap.appraisal_years} years; "
            f"P(ENPV<0) over {', '.join(ap.demand_cases)})",
            ["measure", "capex\nUS$ m", "ENPV\nUS$ m", "EIRR, %", "benefit-\ncost ratio", "P(ENPV<0)", "main stream"],
            {
                "capex\nUS$ m": ("capex", None, None),
                "ENPV\nUS$ m": ("enpv_musd", "enpv_musd_ci_low", "enpv_musd_ci_high"),
                "EIRR, %": ("eirr_pct", "eirr_pct_ci_low", "eirr_pct_ci_high"),
                "benefit-\ncost ratio": ("bcr", "bcr_ci_low", "bcr_ci_high"),
                "P(ENPV<0)": ("p_negative", None, None),
                "main stream": ("main_stream", None, None),
            },
            fmt="{:,.2f}",
        )
    click.echo(
        f"appraisal written to {out}/ (appraisal.csv, appraisal_by_year.csv, enpv_distribution.csv, appraisal.json, "
        f"measures_ranking.png, appraisal_streams.png); {ap.simulated_years} simulated years, {ap.wall_s:.0f} s"
    )


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option(
    "--candidates",
    "candidates_file",
    type=click.Path(dir_okay=False),
    required=True,
    help="YAML file of candidate measures (scenarios/candidates.yaml ships with the package).",
)
@click.option(
    "--goal",
    type=Finite(min=0, min_open=True),
    default=None,
    help="Goal as capacity in the year's mix, Mt/yr [default: the scenario's goal_mt_per_year].",
)
@click.option(
    "--goal-delivered",
    "goal_delivered",
    type=Finite(min=0, min_open=True),
    default=None,
    help="Goal as tonnes delivered in the year under --demand-case, Mt (not met by capacity alone where "
    "the case brings less).",
)
@click.option(
    "--goal-file",
    "goal_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="A goal file (scenarios/goals/wb_2030.yaml: the World Bank's 11 Mt carried in 2030 with "
    "China-Black Sea days halved): its year, amount, demand case, confidence and transit goal.",
)
@click.option(
    "--transit",
    "transit",
    default=None,
    metavar="FLOW[,FLOW]:DAYS",
    help="Also a transit-time goal: the tonne-weighted mean days of these flows in the goal year at most DAYS.",
)
@click.option(
    "--transit-statistic",
    type=click.Choice(["mean", "p95"]),
    default="mean",
    show_default=True,
    help="Each flow's mean or 95th-percentile days for --transit.",
)
@click.option("--by", "by", type=YEAR, default=None, help="The year in which the goal must be met.")
@click.option("--budget-musd", type=Finite(min=0), default=None, help="Capital budget, US$ million [default: none].")
@click.option(
    "--confidence",
    type=Finite(min=0, max=1, min_open=True),
    default=0.8,
    show_default=True,
    help="Share of replications in which the goal must be met.",
)
@click.option(
    "--replications",
    "-n",
    type=click.IntRange(min=2, max=10_000),
    default=5,
    show_default=True,
    help="Fresh replications on which the plan found is verified (seeds derived from --seed).",
)
@click.option(
    "--screening",
    type=click.IntRange(min=2, max=10_000),
    default=None,
    help="Replications per candidate while searching [default: --replications]; the plan is verified on -n fresh ones.",
)
@click.option(
    "--max-evaluations",
    type=click.IntRange(min=2, max=100_000),
    default=MAX_EVALUATIONS,
    show_default=True,
    help="Sets of measures the search may simulate; within it the plan is proven the cheapest, beyond it the best found.",
)
@click.option(
    "--own-entries-from",
    "own_from",
    type=YEAR,
    default=None,
    help="Offer the scenario's own costed timeline entries dated from this year on as candidates too "
    "(taken off its timeline; each no earlier than its date).",
)
@click.option(
    "--frontier",
    "frontier_years",
    default=None,
    metavar="START-END",
    help="Also find the cheapest plan for each goal year in START-END (cost against the year the goal is reached).",
)
@common_options
def plan(
    scenario,
    candidates_file,
    goal,
    goal_delivered,
    goal_file,
    transit,
    transit_statistic,
    by,
    budget_musd,
    confidence,
    replications,
    screening,
    max_evaluations,
    own_from,
    frontier_years,
    out,
    overwrite,
    allow_large,
    seed,
    overrides,
    demand_case,
    workers,
    scheduler,
    quiet,
):
    """The cheapest set of candidate measures, and when to build each, that meets a goal for SCENARIO:
    capacity in the year's mix (--goal), tonnes delivered under a demand case (--goal-delivered), or a
    goal file (--goal-file), optionally with a transit-time goal (--transit), in year --by in at least
    --confidence of the replications; the plan is saved as a scenario file that extends SCENARIO."""
    g, scn = plan_goal(
        scenario, overrides, demand_case, goal, goal_delivered, goal_file, transit, transit_statistic, by, confidence
    )
    span = parse_years(frontier_years, "--frontier")
    if span is not None and not (scn.start_year <= span[0] and span[1] <= scn.end_year):
        raise InputError(
            f"--frontier {frontier_years} is outside the years of {scenario} ({scn.start_year}-{scn.end_year})"
        )
    cands = load_candidates(candidates_file, scn)
    if own_from is not None:
        scn, own = own_candidates(scn, own_from)
        taken = {c.id for c in cands} & {c.id for c in own}
        cands = [c for c in cands if c.id not in taken] + own
    kind = "mt" if g.kind == "capacity" else "mt-delivered"
    out = Path(out or f"results/{scn.slug}-plan-{g.mt:g}{kind}-{g.by}")
    claim_out(out, overwrite=overwrite)
    kw = dict(
        budget_musd=budget_musd,
        replications=replications,
        seed=seed,
        screening_replications=screening,
        workers=workers,
        scheduler=scheduler,
        allow_large=allow_large,
        log=note,
        max_evaluations=max_evaluations,
    )
    p = analysis("plan", quiet, lambda bar: run_plan(scn, cands, goal=g, progress=bar, **kw))
    front = None
    if span is not None:
        front, _ = analysis(
            "frontier",
            quiet,
            lambda bar: run_frontier(
                scn, cands, g.mt, range(span[0], span[1] + 1), progress=bar, confidence=g.confidence, **kw
            ),
        )
    p = replace(p, scenario_file=scenario, candidates_file=candidates_file, frontier=front, goal_file=goal_file)
    write(p, out, overwrite=overwrite)
    print_plan(p, quiet, replications)
    extra = ", frontier.csv, frontier.png" if front is not None else ""
    click.echo(
        f"plan written to {out}/ (plan.yaml, plan.json, steps.csv, rejected.csv, plan_capacity.csv{extra}); "
        f"{p.simulated_years} simulated years, {p.wall_s:.0f} s"
    )


def plan_goal(scenario, overrides, demand_case, goal, goal_delivered, goal_file, transit, statistic, by, confidence):
    """The plan's goal (from --goal-file or the options) and the scenario loaded under its demand case."""
    if goal_file is not None:
        if goal is not None or goal_delivered is not None or by is not None or transit is not None:
            raise InputError("give --goal-file alone, or --goal/--goal-delivered, --by and --transit, not both")
        g = load_goal(goal_file, load(scenario, overrides, None, None))
        if demand_case is not None and demand_case != g.demand_case:
            raise InputError(
                f"--demand-case {demand_case} differs from the goal's demand_case '{g.demand_case}' in {goal_file}"
            )
        # central is every scenario's own demand, declared as a case or not
        return g, load(scenario, overrides, None, None if g.demand_case == "central" else g.demand_case)
    if goal is not None and goal_delivered is not None:
        raise InputError("give --goal (capacity in the mix) or --goal-delivered (tonnes delivered), not both")
    if by is None:
        raise InputError("--by is required (the year in which the goal must be met), or give --goal-file")
    scn = load(scenario, overrides, None, demand_case)
    mt = goal_delivered if goal_delivered is not None else (goal if goal is not None else scn.goal_mt_per_year)
    try:
        g = Goal(
            description="set by the plan's options",
            source="the planner's options",
            by=by,
            capacity_mt_per_year=None if goal_delivered is not None else mt,
            delivered_mt_per_year=goal_delivered,
            demand_case=scn.demand_case,
            confidence=confidence,
            transit=parse_transit(transit, statistic),
        )
    except ValidationError as exc:
        raise InputError(f"--goal/--goal-delivered/--transit: {exc.errors()[0]['msg']}") from None
    check_goal(
        g, scn, "the plan's options", names={"by": "--by", "demand_case": "--demand-case", "transit.flows": "--transit"}
    )
    return g, scn


def parse_transit(text: str | None, statistic: str) -> TransitGoal | None:
    """--transit FLOW[,FLOW]:DAYS as a transit goal (InputError naming the option otherwise)."""
    if text is None:
        return None
    flows, sep, days = text.rpartition(":")
    try:
        d = float(days)
    except ValueError:
        d = float("nan")
    names = [f.strip() for f in flows.split(",") if f.strip()]
    if not sep or not names or not 0 < d <= 365:
        raise InputError(f"--transit takes FLOW[,FLOW]:DAYS with days in (0, 365], got {text!r}")
    return TransitGoal(flows=names, statistic=statistic, max_days=d, source="the planner's options")


def print_plan(p: Plan, quiet: bool, replications: int) -> None:
    """The measures chosen, why the others were not, and whether the plan meets the goal (and why not)."""
    goal, by = p.goal_mt, p.by
    text = p.goal.text() if p.goal is not None else f"{goal:g} Mt/yr of capacity in {by}"
    if not quiet and len(p.chosen):
        print_frame(plan_rows(p), f"cheapest plan for {text} ({p.scenario})", ["measure", "in service", "capex US$ m"])
    if not quiet and len(p.rejected):
        click.echo("rejected candidates:")
        for r in p.rejected.itertuples():
            click.echo(textwrap.fill(f"{r.candidate}: {r.reason}", 100, initial_indent="  ", subsequent_indent="    "))
    cap = p.capacity_mt
    verdict = "meets" if p.reached else "does NOT meet"
    click.echo(
        f"the plan {verdict} the goal ({text}): capacity in the mix {cap['mean']:.2f} Mt/yr "
        f"(95% CI {num_text(cap['ci_low'])}-{num_text(cap['ci_high'])}); the goal met in "
        f"{p.share_at_goal:.0%} of {replications} fresh replications; capex US${p.capex_musd:,.0f} m "
        f"(present value US${p.pv_cost_musd:,.0f} m with running costs); "
        + (
            "no set of the candidates reaches it"
            if "no plan from these candidates" in p.reason
            else "proven the cheapest"
            if p.proven
            else f"the best found in {p.evaluations} evaluations, not proven"
        )
    )
    if p.delivered_mt:
        d = p.delivered_mt
        click.echo(f"delivered in {by}: {d['mean']:.2f} Mt (95% CI {num_text(d['ci_low'])}-{num_text(d['ci_high'])})")
    if p.transit_days:
        t = p.transit_days
        click.echo(f"transit days in {by}: {t['mean']:.1f} (95% CI {num_text(t['ci_low'])}-{num_text(t['ci_high'])})")
    if p.reason:
        click.echo(textwrap.fill(f"why not: {p.reason}", 100))


def num_text(x) -> str:
    return "-" if x is None else f"{x:.2f}"


def plan_rows(p: Plan) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "measure": e.id,
                "in service": e.date.isoformat(),
                "capex US$ m": "-" if e.capex_musd is None else f"{e.capex_musd:,.0f}",
            }
            for e in p.chosen
        ]
    )


def shorten(text, width: int) -> str:
    text = "-" if text is None or text != text else str(text)
    return text if len(text) <= width else text[: width - 1] + "…"


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option(
    "--years", default=None, metavar="YEAR", help="The year measured, e.g. 2030 [default: the scenario's last]."
)
@old_year_option
@click.option(
    "--replications",
    "-n",
    type=click.IntRange(min=2, max=10_000),
    default=2,
    show_default=True,
    help="Replications of the baseline and of each lever (the same seeds: common random numbers).",
)
@click.option(
    "--step",
    type=Finite(min=0.01, max=10),
    default=0.25,
    show_default=True,
    help="Relative step for rates and sizes (whole things get +1).",
)
@common_options
def bottlenecks(
    scenario,
    years,
    old_year,
    replications,
    step,
    out,
    overwrite,
    allow_large,
    seed,
    overrides,
    demand_case,
    workers,
    scheduler,
    quiet,
):
    """Rank every resource by the tonnes one step more of it adds: what to build first."""
    year = one_year(years_given(years, old_year), "bottlenecks measures")
    scn = load(scenario, overrides, None, demand_case)
    if year is not None and not scn.start_year <= year <= scn.end_year:
        raise InputError(f"--years {year} is outside the scenario's years {scn.start_year}-{scn.end_year}")
    out = Path(out or f"results/{scn.slug}-bottlenecks")
    claim_out(out, overwrite=overwrite)
    ranking = analysis(
        "bottlenecks",
        quiet,
        lambda bar: run_bottlenecks(
            scn,
            year,
            replications,
            seed,
            step,
            workers=workers,
            scheduler=scheduler,
            progress=bar,
            allow_large=allow_large,
            log=note,
        ),
    )
    write(ranking, out, overwrite=overwrite)
    table = ranking.table
    if not quiet:
        ran = table[table.skipped.isna()]
        print_frame(
            ran.head(12),
            f"what to build first in {scn.label}, {table.year.iloc[0]}: change in delivered kt, "
            f"mean ± 95% CI half-width of {replications} replications (baseline "
            f"{table.baseline_mt.iloc[0]:.2f} Mt)",
            ["lever", "delivered\nadded, kt"],  # the label names the resource and the step; kind is in the CSV
            {
                "lever": ("label", None, None),
                "delivered\nadded, kt": ("delta_kt_mean", "delta_kt_ci_low", "delta_kt_ci_high"),
            },
            fmt="{:,.0f}",  # kilotonnes: a tonne's precision would be noise
        )
        if len(ran) < len(table):
            click.echo(
                f"{len(table) - len(ran)} levers not run: their resources are nearly idle in the baseline "
                "(bottlenecks.csv, column 'skipped', says why for each)"
            )
    click.echo(f"ranking written to {out}/ (bottlenecks.csv, bottlenecks.png)")


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option(
    "--trajectories",
    type=click.IntRange(min=2, max=10_000),
    default=8,
    show_default=True,
    help="Morris trajectories (runs = trajectories x (parameters + 1)).",
)
@click.option(
    "--years",
    default=None,
    help="Simulated years: YEAR or START-END [default: the scenario's years, so that growth and demand "
    "parameters can act].",
)
@common_options
def sensitivity(
    scenario, trajectories, years, out, overwrite, allow_large, seed, overrides, demand_case, workers, scheduler, quiet
):
    """Morris screening of the parameters SCENARIO marks as uncertain (its 'uncertain:' list)."""
    scn = load(scenario, overrides, years, demand_case)
    if scn.start_year == scn.end_year and any(
        "growth" in p or "tons_by_year" in p for u in scn.uncertain for p in u.paths
    ):
        log.warning(
            f"one simulated year ({scn.start_year}): parameters of demand growth and demand paths cannot act "
            "within it, so they will rank low whatever they are worth; give --years START-END to screen them"
        )
    if not scn.uncertain:
        raise InputError(
            f"{scenario}: the scenario marks no uncertain parameters; add an 'uncertain:' list of "
            "{path, low, high, source} (see docs/scenario.md)"
        )
    out = Path(out or f"results/{scn.slug}-sensitivity")
    log.info(f"sensitivity: {trajectories * (len(scn.uncertain) + 1)} runs of {scn.start_year}-{scn.end_year}")
    claim_out(out, overwrite=overwrite)
    result = analysis(
        f"sensitivity x {trajectories}",
        quiet,
        lambda bar: run_sensitivity(
            scn,
            trajectories,
            seed=seed,
            workers=workers,
            scheduler=scheduler,
            progress=bar,
            allow_large=allow_large,
            log=note,
        ),
    )
    write(result, out, overwrite=overwrite)
    ranking, runs = result.ranking, result.runs
    if not quiet:
        print_frame(
            ranking.assign(
                mu_star_lo=ranking.mu_star - ranking.mu_star_conf, mu_star_hi=ranking.mu_star + ranking.mu_star_conf
            ),
            f"Morris screening of {scn.label}, {scn.start_year}-{scn.end_year} ({len(runs)} runs; mu* ± "
            "bootstrap 95% CI)",
            ["parameter", "output", "mu*", "sigma"],
            {"mu*": ("mu_star", "mu_star_lo", "mu_star_hi"), "sigma": ("sigma", None, None)},
        )
    click.echo(f"sensitivity written to {out}/")
