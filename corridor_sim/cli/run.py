"""``corridor-sim run``: one scenario, once or replicated, and what it prints."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click

from ..experiments.execution import Execution, session
from ..experiments.replicated import Replicated
from ..experiments.replications import ReplicationsFailed, replicate
from ..kpi import busiest_resources
from ..present import write
from ..present.limits import limit_tables
from ..run import output
from ..run.results import Results
from ..run.runsize import check
from ..run.simulate import run as simulate
from ..scenario.labels import resource_labels
from .main import (
    SEED,
    SET_HELP,
    RunError,
    RunsProgress,
    claim_out,
    demand_case_option,
    experiment_options,
    failed_replications,
    interrupted,
    load,
    lock_out,
    main,
    note,
)
from .terminal import Progress_, console, log, pm, print_table


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False),
    default=None,
    help="Result folder [default: results/<scenario-name>/, with --set: results/<name>--<path>=<value>.../].",
)
@click.option("--seed", type=SEED, default=1, show_default=True, help="Seed of the random streams.")
@click.option("--years", default=None, help="Simulated years START-END (e.g. 2024-2030); default: from the scenario.")
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE", help=SET_HELP)
@demand_case_option
@click.option(
    "--detail",
    is_flag=True,
    help="Also keep and write one row per consignment, voyage and vessel state (lots, voyages, "
    "vessel_states), for the operations charts; memory then grows with the years simulated.",
)
@click.option("--no-plots", is_flag=True, help="Write tables only.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or summary table.")
@experiment_options
def run(
    scenario,
    out,
    seed,
    years,
    overrides,
    demand_case,
    detail,
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
    """Run SCENARIO (a YAML file) and write tables, summary and plots."""
    scn = load(scenario, overrides, years, demand_case)
    out_dir = Path(out) if out else Path("results") / scn.slug
    resume = resume or resume_any_version
    if replications > 1 or resume:
        lock_out(out_dir)
        ex = Execution(
            workers=workers,
            scheduler=scheduler,
            resume=resume,
            resume_any_version=resume_any_version,
            allow_large=allow_large,
            log=note,
        )
        run_replicated(scn, out_dir, seed, replications, ex, overwrite, no_plots, quiet, detail)
        return
    claim_out(out_dir, overwrite=overwrite)  # refuse before simulating, not after
    check(scn, allow_large=allow_large, detail=detail)
    if scn.overrides:
        log.info(f"what-if: {scn.label}, written to {out_dir}/")
    try:
        with Progress_(f"{scn.label} {scn.start_year}-{scn.end_year}", quiet, unit="of the simulated time") as bar:
            res = simulate(scn, seed=seed, progress=lambda f: bar(round(f * 100), 100), allow_large=True, detail=detail)
        write(res, out_dir, plots=not no_plots, overwrite=overwrite)
    except KeyboardInterrupt:
        click.echo(f"\ninterrupted: nothing was written to {out_dir}/.", err=True)
        raise SystemExit(130) from None
    except OSError as exc:
        raise RunError(f"cannot write results to {out_dir}: {exc.strerror or exc}") from None
    if not quiet:
        print_summary(res, console())
    click.echo(
        f"results written to {out_dir}/ ({res.metadata['events']:,} events, "
        f"{res.metadata['wall_time_s']:.1f} s, {res.metadata['events_per_s']:,.0f} events/s)"
    )


def run_replicated(scn, out_dir, seed, n, ex, overwrite, no_plots, quiet, detail):
    failed = None
    with output.result_folder(
        out_dir, kind="replicated", overwrite=overwrite, resume=ex.resume, any_version=ex.resume_any_version
    ) as ws:
        # one session: metadata.json's accounting counts what this command ran (not what --resume reused)
        with session(ex) as sx:
            try:
                with RunsProgress(f"{scn.label} x {n}", quiet) as bar:
                    runs = replicate(scn, n, seed, ws.path, replace(sx, progress=bar), detail=detail)
            except KeyboardInterrupt:
                interrupted(out_dir, staged=ws.staged)
            except ReplicationsFailed as exc:
                failed, runs = exc, exc.runs[scn.name]
        assert sx.tally is not None, "a session keeps a tally"
        if runs:
            rep = Replicated(
                scn,
                seed,
                runs,
                metadata={"accounting": sx.tally.report()},
                failed=failed.failures[scn.name] if failed else [],
            )
            write(rep, ws.path, plots=not no_plots)
    if failed:
        raise failed_replications(failed, out_dir, bool(runs))
    if not quiet:
        print_replicated(rep)
    click.echo(
        f"{n} replications written to {out_dir}/ (statistics in annual.csv, totals.csv, summary.json; "
        f"each replication in replications/)"
    )


def print_limits(con, s, resources, note: str = "") -> None:
    """The limits that bind, per year: rolling stock, rail lines, the Georgian ports' queues."""
    for title, head, rows in limit_tables(s, resources):
        print_table(con, f"{title}{note}", head, rows)


def print_replicated(rep: Replicated) -> None:
    rows = []
    for r in rep.totals.to_dict(orient="records"):
        v = lambda m, f="{:,.2f}", r=r: pm(r.get(f"{m}_mean"), r.get(f"{m}_ci_low"), r.get(f"{m}_ci_high"), f)
        rows.append(
            [
                str(r["year"]),
                v("offered_mt"),
                v("delivered_mt"),
                v("diverted_mt"),
                v("stock_change_mt"),
                v("backlog_mt"),
                v("teu_delivered", "{:,.0f}"),
                v("entry_wait_days_mean", "{:,.1f}"),
                v("corridor_days_mean", "{:,.1f}"),
            ]
        )
    print_table(
        console(),
        f"{rep.scenario.label}: {rep.n} replications, mean ± 95% CI half-width; {CONSERVATION}",
        [
            "year",
            "offered Mt",
            "delivered Mt",
            "diverted Mt",
            "stock change\nMt",
            "backlog Mt\n(end)",
            "TEU delivered",
            "wait before\nentry, d",
            "in corridor,\nd",
        ],
        rows,
    )
    print_limits(console(), rep.scenario, rep.resources, f" (mean of {rep.n} replications)")


def print_summary(res: Results, con) -> None:
    """A single run in the terminal: per year and flow, then the busiest resources and the totals."""
    s = res.scenario
    rows = []
    for _, r in res.annual.iterrows():
        rows.append(
            [
                str(r.year),
                r.flow,
                f"{r.tons_offered / 1e3:,.1f}",
                f"{r.tons_delivered / 1e3:,.1f}",
                f"{r.tons_diverted / 1e3:,.1f}",
                f"{_stock_change(r) / 1e3:,.1f}",
                f"{r.tons_backlog / 1e3:,.1f}",
                f"{r.tons_in_system / 1e3:,.1f}",
                days_text(r.get("entry_wait_days_mean", float("nan"))),
                days_text(r.get("corridor_days_mean", float("nan"))),
                days_text(r.get("corridor_days_p95", float("nan"))),
            ]
        )
    for year, g in res.annual.groupby("year"):
        rows.append(
            [
                str(year),
                "all flows",
                f"{g.tons_offered.sum() / 1e3:,.1f}",
                f"{g.tons_delivered.sum() / 1e3:,.1f}",
                f"{g.tons_diverted.sum() / 1e3:,.1f}",
                f"{_stock_change(g).sum() / 1e3:,.1f}",
                f"{g.tons_backlog.sum() / 1e3:,.1f}",
                f"{g.tons_in_system.sum() / 1e3:,.1f}",
                "",
                "",
                "",
            ]
        )
    print_table(
        con,
        f"{s.label}: tonnes by flow and year (seed {res.seed}); {CONSERVATION}",
        [
            "year",
            "flow",
            "offered\nkt",
            "delivered\nkt",
            "diverted\nkt",
            "stock\nchange kt",
            "backlog kt\n(end)",
            "in corridor\nkt (end)",
            "wait before\nentry, d",
            "in corridor\nd, mean",
            "in corridor\nd, p95",
        ],
        rows,
        keys=2,
    )
    b = busiest_resources(res.resources, 3)
    names = resource_labels(s, b.resource)
    rows = []
    for _, r in b.iterrows():
        q = "-" if r.mean_queue != r.mean_queue else f"{r.mean_queue:,.1f} {r.queue_unit}"
        rows.append([names[r.resource], f"{r.utilization:.0%}", q])
    print_table(
        con,
        "busiest resources (mean utilization over the years)",
        ["resource", "utilization", "mean queue"],
        rows,
    )
    print_limits(con, s, res.resources)
    goal = s.goal_mt_per_year
    mt = res.delivered_mt()
    con.print("delivered: " + ", ".join(f"{y} {v:.2f} Mt" for y, v in mt.items()) + f"  (goal {goal:g} Mt/yr)")


# the run tables' conservation, in the demand terms of docs/kpis.md
CONSERVATION = "offered = delivered + diverted + stock change (waiting to enter or in the corridor, end less start)"


def _stock_change(r):
    """Tonnes waiting to enter or in the corridor at the year's end less at its start (a row or rows)."""
    return r.tons_backlog + r.tons_in_system - r.tons_backlog_start - r.tons_in_system_start


def days_text(x) -> str:
    return "-" if x != x else f"{x:.1f}"
