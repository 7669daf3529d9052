"""``corridor-sim compare``: several scenarios (and demand cases) on the same seeds, with each
scenario file's capacity when asked, and what it prints."""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from pathlib import Path

import click

from ..analyses.goal import measure_capacity
from ..experiments.comparison import Comparison, ComparisonFailed
from ..experiments.comparison import compare as run_compare
from ..experiments.execution import Execution, session
from ..present.figures import figures
from ..run import output
from ..scenario.labels import resource_labels
from .main import (
    COMPARE_REPLICATIONS,
    SEED,
    InputError,
    RunsProgress,
    experiment_options,
    failed_replications,
    interrupted,
    load,
    lock_out,
    main,
    note,
)
from .terminal import console, log, pm, print_table


@main.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder for the comparison (each scenario's results go in a subfolder) [default: results/compare/, "
    "with --set: results/compare--<path>=<value>.../].",
)
@click.option("--seed", type=SEED, default=1, show_default=True, help="The same seed for every scenario.")
@click.option("--years", default=None, help="Simulated years START-END for every scenario.")
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE", help="Override a field in every scenario.")
@click.option(
    "--route-flow",
    default=None,
    help="The flow whose route split is plotted [default: the scenario's output.route_split_flow, else its "
    "flow with the most routes].",
)
@click.option(
    "--demand-case",
    "demand_cases",
    default=None,
    metavar="NAME[,NAME...]|all",
    help="Demand case(s) to run each scenario under: one name, a comma-separated list, or 'all' for every "
    "case the scenarios declare (a fan of cases against the goal) [default: central].",
)
@click.option(
    "--capacity",
    "with_capacity",
    is_flag=True,
    help="Also estimate each scenario file's capacity by year (once per file, in its default demand "
    "case's mix, with the same replications and seed): capacity.csv, headroom.csv, a capacity-demand "
    "and a headroom chart per file, and the first year capacity reaches the goal.",
)
@click.option("--no-plots", is_flag=True, help="Write tables only.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or table.")
@lambda f: experiment_options(f, replications=COMPARE_REPLICATIONS)
def compare(
    scenarios,
    out,
    seed,
    years,
    overrides,
    route_flow,
    demand_cases,
    with_capacity,
    no_plots,
    quiet,
    replications,
    workers,
    scheduler,
    resume,
    resume_any_version,
    overwrite,
    allow_large,
):
    """Run several SCENARIOS with the same seeds and compare them side by side."""
    scns = []
    for p in scenarios:
        for case in cases_of(p, demand_cases, overrides, years):
            scns.append(load(p, overrides, years, case))
    names = [s.name for s in scns]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InputError(f"two scenarios share the name {', '.join(dupes)}; names must differ to be compared")
    known_flows = {f.id for s in scns for f in s.demand.flows}
    if route_flow is not None and route_flow not in known_flows:
        raise InputError(
            f"--route-flow: no flow '{route_flow}' in these scenarios (flows: {', '.join(sorted(known_flows))})"
        )
    out = out or ("results/" + scns[0].slug.replace(scns[0].name, "compare", 1))
    lock_out(out)
    resume = resume or resume_any_version
    if replications < COMPARE_REPLICATIONS:
        log.warning(
            f"{replications} replication(s): the first year at the goal and what binds can differ from seed to "
            f"seed, so one run may mislead; use -n {COMPARE_REPLICATIONS} or more for statements with intervals"
        )
    failed = None
    cmp: Comparison | None
    # one executor for the command (one process pool, or one Dask client) and the session's one
    # account of it: the runs and, with --capacity, the capacity runs
    command = Execution(workers=workers, scheduler=scheduler, allow_large=allow_large, log=note)
    with output.result_folder(
        Path(out), kind="compare", overwrite=overwrite, resume=resume, any_version=resume_any_version
    ) as ws:
        try:
            with session(command) as ex:
                with RunsProgress(f"{len(scns)} scenarios x {replications}", quiet) as bar:
                    runs = replace(ex, resume=resume, resume_any_version=resume_any_version, progress=bar)
                    cmp = run_compare(scns, seed=seed, replications=replications, out=ws.path, execution=runs)
                if with_capacity:
                    # capacity belongs to the file, not to a demand case: each file once, in its default case
                    files = {s.base_name: s for s in (load(p, overrides, years) for p in scenarios)}
                    with RunsProgress(f"capacity of {len(files)} scenario file(s)", quiet) as bar:
                        cmp.capacity, cmp.headroom = measure_capacity(
                            files, replications, seed, replace(ex, progress=bar)
                        )
                    assert ex.tally is not None, "a session keeps a tally"
                    cmp.meta["accounting"] = ex.tally.report()
        except KeyboardInterrupt:
            interrupted(out, staged=ws.staged or replications == 1)
        except ComparisonFailed as exc:
            failed, cmp = exc, exc.comparison
        if cmp is not None:
            cmp.write_into(ws.path, None if no_plots else partial(figures, route_flow=route_flow))
    if failed:
        raise failed_replications(failed, out, cmp is not None)
    if not quiet:
        assert cmp is not None, "a comparison is written or the command has failed"
        print_comparison(cmp, seed)
    click.echo(f"comparison written to {out}/")


def print_comparison(cmp: Comparison, seed: int) -> None:
    """Delivered Mt by year (rows) and scenario (columns), mean ± half-width; then per scenario the
    first year at the goal, the share of replications reaching it, and what binds last."""
    names = list(cmp.results)
    what = f"mean ± 95% CI half-width of {cmp.replications} replications" if cmp.replications > 1 else f"seed {seed}"
    a = cmp.annual.set_index(["scenario", "year"])
    rows = []
    for y in sorted(cmp.annual.year.unique()):
        rows.append(
            [str(int(y))]
            + [
                pm(a.loc[(n, y)].delivered_mt, a.loc[(n, y)].delivered_mt_ci_low, a.loc[(n, y)].delivered_mt_ci_high)
                for n in names
            ]
        )
    con = console()
    print_table(con, f"delivered Mt per year ({what}; the same seeds for every scenario)", ["year", *names], rows)
    last = int(cmp.binding.year.max())
    thr = {n: cmp.results[n][0].scenario.output.bottleneck_threshold for n in names}
    goal = cmp.goal.set_index("scenario")
    rows = []
    for n in names:
        b = cmp.binding[(cmp.binding.scenario == n) & (cmp.binding.year == last)].iloc[0]
        label = resource_labels(cmp.results[n][0].scenario, [b.resource])[b.resource] if b.resource else "-"
        share = f", named by {b.share_of_replications:.0%}" if cmp.replications > 1 and b.binding else ""
        binds = f"{label} ({b.utilization:.0%} used{share})" if b.binding else f"nothing at or above {thr[n]:.0%}"
        rows.append([n, cmp.goal_label(n), f"{goal.loc[n].share_reaching_goal:.0%}", binds])
    if cmp.capacity is None:
        print_table(
            con,
            "first year at goal (of the mean), and the replications reaching it",
            ["scenario", "first year\nat goal", "replications\nreaching it"],
            [r[:3] for r in rows],
        )
    else:  # capacity is the scenario file's, the same for each of its demand cases
        print_table(
            con,
            "first year at goal (of the means): delivered tonnes (demand), and capacity (of the scenario file)",
            ["scenario", "first year\ndelivered ≥ goal", "replications\nreaching it", "first year\ncapacity ≥ goal"],
            [[*r[:3], cmp.capacity_label(r[0]) or "-"] for r in rows],
        )
    con.print(f"what binds in {last}:")
    for r in rows:  # a sentence each: wrapped, never cut
        con.print(f"  {r[0]}: {r[3]}")


def cases_of(path: str, spec: str | None, overrides, years) -> list[str | None]:
    """The demand cases ``--demand-case`` asks for in one scenario file: None (the default), the
    names listed, or every declared case for 'all'."""
    if spec is None:
        return [None]
    names: list[str | None] = [c.strip() for c in spec.split(",") if c.strip()]
    if names == ["all"]:
        declared: list[str | None] = [c.id for c in load(path, overrides, years).demand_cases]
        if not declared:
            raise InputError(f"{path}: --demand-case all, but the scenario declares no demand_cases")
        return declared
    if not names:
        raise InputError(f"--demand-case takes NAME, NAME,NAME... or all, got {spec!r}")
    return names
