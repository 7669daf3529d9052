"""The command line: a thin shell over the Python API (load_scenario, run, Results.write).

Every failure a user can cause ends with one paragraph and an exit status, never a traceback:
2 for bad input (the scenario, an option, a result folder that may not be used, a run too large
for the machine), 1 for a failure of the run itself (a failed replication, a full disk), 130 for
an interrupt. Anything else is a bug, reported the same way with status 1.
"""

from __future__ import annotations

import os
import re
import signal
import sys
from dataclasses import replace
from functools import partial
from pathlib import Path

import click

from . import __version__, output
from .kpi import busiest_resources
from .loading import ScenarioError, load_scenario
from .output import ResultsFolderError
from .runsize import RunTooLarge
from .scenario import describe
from .terminal import Progress_, console, log, pm, print_table, setup_logging

EXIT_INPUT = 2
EXIT_RUN = 1


class InputError(click.ClickException):
    """Bad input: one clear message, exit status 2, never a traceback."""

    exit_code = EXIT_INPUT

    def show(self, file=None) -> None:
        click.echo(f"error: {self.message}", err=True)


class RunError(click.ClickException):
    """The run itself failed: one paragraph, exit status 1."""

    exit_code = EXIT_RUN

    def show(self, file=None) -> None:
        click.echo(f"error: {self.message}", err=True)


def _bad_input(exc: Exception) -> InputError:
    return InputError(str(exc))


class Commands(click.Group):
    """The command group: turns what a user can cause into exit 2, a failed run into exit 1, and
    makes SIGTERM an interrupt (so temporary folders are removed and workers stopped)."""

    def invoke(self, ctx):
        previous = None
        try:
            previous = signal.signal(signal.SIGTERM, _terminated)
        except (ValueError, AttributeError):  # not the main thread (an embedding caller): leave it
            pass
        try:
            return self._invoke(ctx)
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)

    def _invoke(self, ctx):
        from .experiment import SchedulerError

        try:
            return super().invoke(ctx)
        except (ScenarioError, ResultsFolderError, RunTooLarge, SchedulerError) as exc:
            raise _bad_input(exc) from None
        except MemoryError:
            raise RunError(
                "the run ran out of memory. Its size estimate (corridor_sim.runsize) was too low for "
                "this scenario: lower demand.scale, the years or the replications"
            ) from None
        except OSError as exc:
            where = f" ({exc.filename})" if exc.filename else ""
            raise RunError(f"a file could not be read or written{where}: {exc.strerror or exc}") from None
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            if os.environ.get("CORRIDOR_SIM_TRACEBACK"):
                raise
            raise RunError(
                f"corridor-sim failed unexpectedly ({type(exc).__name__}: {str(exc)[:500]}). This is a "
                "bug: please report it with the command you ran; CORRIDOR_SIM_TRACEBACK=1 shows where "
                "it happened"
            ) from None


def _terminated(signum, frame):
    raise KeyboardInterrupt


def _years(value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    value = str(value)
    m = re.fullmatch(r"\s*(\d{4})\s*(?:-\s*(\d{4}))?\s*", value)
    if not m:
        raise InputError(f"--years takes START-END or YEAR (e.g. 2024-2030), got {value!r}")
    start = int(m.group(1))
    end = int(m.group(2) or start)
    if end < start:
        raise InputError(f"--years: the end year {end} is before the start year {start}")
    return start, end


def _load(scenario: str, overrides: tuple[str, ...], years: str | None, demand_case: str | None = None):
    try:
        return load_scenario(scenario, overrides=list(overrides), years=_years(years), demand_case=demand_case)
    except ScenarioError as exc:
        raise InputError(str(exc)) from None


CASE_HELP = (
    "Demand case declared in the scenario's demand_cases (e.g. low, central, high) [default: central]. "
    "A case other than central adds _<case> to the scenario name, so its results get their own folder."
)


def demand_case_option(f):
    return click.option("--demand-case", "demand_case", default=None, metavar="NAME", help=CASE_HELP)(f)


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="corridor-sim")
@click.option("--verbose", "-v", count=True, help="More detail in the log (repeatable).")
@click.option("--quiet", "-q", count=True, help="Only warnings and errors in the log.")
def main(verbose: int, quiet: int) -> None:
    """corridor-sim: freight capacity of the Middle Corridor, as a discrete-event simulation.

    Progress and notes go to stderr through logging: a bar on a terminal, a line every 10% (or
    30 s) in a log or a pipe. -v shows more, -q only warnings."""
    setup_logging(verbose, quiet)


SEED = click.IntRange(min=0)  # numpy's SeedSequence takes non-negative integers
ALLOW_LARGE = click.option(
    "--allow-large", is_flag=True, help="Run even where the size estimate exceeds what this machine can hold."
)


def experiment_options(f, replications: int = 1):
    """--replications, --workers, --scheduler, --resume, --overwrite, --allow-large: shared by run and compare."""
    for opt in reversed(
        [
            click.option(
                "--replications",
                "-n",
                type=click.IntRange(min=1, max=100_000),
                default=replications,
                show_default=True,
                help="Independent replications (seeds derived from --seed); KPIs get mean, sd and 95% CI.",
            ),
            click.option(
                "--workers",
                "-w",
                type=click.IntRange(min=1),
                default=None,
                help="Local worker processes [default: all cores].",
            ),
            click.option(
                "--scheduler",
                default=None,
                metavar="tcp://HOST:PORT",
                help="Run on a Dask distributed cluster instead (pip install 'corridor-sim[dask]').",
            ),
            click.option(
                "--resume", is_flag=True, help="Complete an interrupted run in --out: run only what is missing."
            ),
            click.option(
                "--overwrite",
                is_flag=True,
                help="Replace results already in --out (kept until the new ones are complete).",
            ),
            ALLOW_LARGE,
        ]
    ):
        f = opt(f)
    return f


RunsProgress = Progress_  # a bar on a terminal, log lines elsewhere (corridor_sim.terminal)


def interrupted(out, what: str = "replications", staged: bool = False) -> None:
    if not staged and not any(Path(out).glob("**/manifest.json")):
        click.echo(f"\ninterrupted before any of the {what} finished: nothing was written to {out}/.", err=True)
    elif staged:
        click.echo(
            f"\ninterrupted: nothing was changed in {out}/ (its old results are kept; the new, unfinished "
            "ones were removed).",
            err=True,
        )
    else:
        click.echo(
            f"\ninterrupted: the finished {what} are in {out}/ and its manifest.json says 'partial'; "
            "run the same command with --resume to complete it.",
            err=True,
        )
    raise SystemExit(130)


def _note(msg: str) -> None:
    log.warning(msg)


def _failed_replications(exc, out, wrote: bool) -> RunError:
    where = (
        f"The statistics in {out}/ are over the replications that succeeded, and its manifest.json records "
        "the failed ones; run the same command with --resume to retry them"
        if wrote
        else "No replication succeeded, so no statistics were written"
    )
    return RunError(f"{exc}. {where}.")


COMPARE_REPLICATIONS = 5  # one seed reached the goal in a year where five did not (issue 15)

SET_HELP = (
    "Override a scenario field, e.g. --set demand.scale=1.5 or "
    "--set sea_lines.ferry_kuryk_alat.vessels.asco_ferry.count=8 (list items by id). Repeatable."
)


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
    overwrite,
    allow_large,
):
    """Run SCENARIO (a YAML file) and write tables, summary and plots."""
    from .experiment import Execution
    from .runsize import check
    from .simulate import run as simulate

    scn = _load(scenario, overrides, years, demand_case)
    out_dir = Path(out) if out else Path("results") / scn.slug
    if replications > 1 or resume:
        ex = Execution(workers=workers, scheduler=scheduler, resume=resume, allow_large=allow_large, log=_note)
        _run_replicated(scn, out_dir, seed, replications, ex, overwrite, no_plots, quiet, detail)
        return
    output.claim(out_dir, overwrite=overwrite)  # refuse before simulating, not after
    check(scn, allow_large=allow_large, detail=detail)
    if scn.overrides:
        log.info(f"what-if: {scn.label}, written to {out_dir}/")
    try:
        with Progress_(f"{scn.label} {scn.start_year}-{scn.end_year}", quiet, unit="of the simulated time") as bar:
            res = simulate(scn, seed=seed, progress=lambda f: bar(round(f * 100), 100), allow_large=True, detail=detail)
        res.write(out_dir, plots=not no_plots, overwrite=overwrite)
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


def _run_replicated(scn, out_dir, seed, n, ex, overwrite, no_plots, quiet, detail):
    from .experiment import ReplicationsFailed, replicate
    from .replicated import Replicated

    failed = None
    with output.result_folder(out_dir, kind="replicated", overwrite=overwrite, resume=ex.resume) as ws:
        try:
            with RunsProgress(f"{scn.label} x {n}", quiet) as bar:
                runs = replicate(scn, n, seed, ws.path, replace(ex, progress=bar), detail=detail)
        except KeyboardInterrupt:
            interrupted(out_dir, staged=ws.staged)
        except ReplicationsFailed as exc:
            failed, runs = exc, exc.runs[scn.name]
        if runs:
            rep = Replicated(scn, seed, runs, failed=failed.failures[scn.name] if failed else [])
            rep.write(ws.path, plots=not no_plots)
    if failed:
        raise _failed_replications(failed, out_dir, bool(runs))
    if not quiet:
        _print_replicated(rep)
    click.echo(
        f"{n} replications written to {out_dir}/ (statistics in annual.csv, totals.csv, summary.json; "
        f"each replication in replications/)"
    )


def _print_replicated(rep) -> None:
    rows = []
    for r in rep.totals.to_dict(orient="records"):
        v = lambda m, f="{:,.2f}", r=r: pm(r.get(f"{m}_mean"), r.get(f"{m}_ci_low"), r.get(f"{m}_ci_high"), f)
        rows.append(
            [
                str(r["year"]),
                v("delivered_mt"),
                v("generated_mt"),
                v("backlog_mt"),
                v("teu_delivered", "{:,.0f}"),
                v("entry_wait_days_mean", "{:,.1f}"),
                v("corridor_days_mean", "{:,.1f}"),
            ]
        )
    print_table(
        console(),
        f"{rep.scenario.label}: {rep.n} replications, mean ± 95% CI half-width",
        [
            "year",
            "delivered Mt",
            "generated Mt",
            "backlog Mt\n(end)",
            "TEU delivered",
            "wait before\nentry, d",
            "in corridor,\nd",
        ],
        rows,
    )
    from .limits_view import print_limits  # issue 22: the limits that bind, per year

    print_limits(console(), rep.scenario, rep.resources, f" (mean of {rep.n} replications)")


def pd_isna(x) -> bool:
    return x is None or x != x


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
    overwrite,
    allow_large,
):
    """Run several SCENARIOS with the same seeds and compare them side by side."""
    from .compare import Comparison, file_name, measure_capacity
    from .compare import compare as run_compare
    from .experiment import Execution, ReplicationsFailed

    scns = []
    for p in scenarios:
        for case in _cases(p, demand_cases, overrides, years):
            scns.append(_load(p, overrides, years, case))
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
    if replications < COMPARE_REPLICATIONS:
        log.warning(
            f"{replications} replication(s): the first year at the goal and what binds can differ from seed to "
            f"seed, so one run may mislead; use -n {COMPARE_REPLICATIONS} or more for statements with intervals"
        )
    failed = None
    cmp: Comparison | None
    with output.result_folder(Path(out), kind="compare", overwrite=overwrite, resume=resume) as ws:
        try:
            with RunsProgress(f"{len(scns)} scenarios x {replications}", quiet) as bar:
                ex = Execution(
                    workers=workers,
                    scheduler=scheduler,
                    resume=resume,
                    allow_large=allow_large,
                    progress=bar,
                    log=_note,
                )
                cmp = run_compare(scns, seed=seed, replications=replications, out=ws.path, execution=ex)
            if with_capacity:
                # capacity belongs to the file, not to a demand case: each file once, in its default case
                files = {file_name(s): s for s in (_load(p, overrides, years) for p in scenarios)}
                with RunsProgress(f"capacity of {len(files)} scenario file(s)", quiet) as bar:
                    cmp.capacity, cmp.headroom = measure_capacity(
                        files,
                        replications,
                        seed,
                        Execution(
                            workers=workers, scheduler=scheduler, allow_large=allow_large, progress=bar, log=_note
                        ),
                    )
        except KeyboardInterrupt:
            interrupted(out, staged=ws.staged or replications == 1)
        except ReplicationsFailed as exc:
            failed, cmp = exc, exc.comparison
        if cmp is not None:
            cmp.write_into(ws.path, plots=not no_plots, route_flow=route_flow)
    if failed:
        raise _failed_replications(failed, out, cmp is not None)
    if not quiet:
        print_comparison(cmp, seed)
    click.echo(f"comparison written to {out}/")


def print_comparison(cmp, seed: int) -> None:
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
    from .labels import resource_labels

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
            right={1, 2},
        )
    else:  # capacity is the scenario file's, the same for each of its demand cases
        print_table(
            con,
            "first year at goal (of the means): delivered tonnes (demand), and capacity (of the scenario file)",
            ["scenario", "first year\ndelivered ≥ goal", "replications\nreaching it", "first year\ncapacity ≥ goal"],
            [[*r[:3], cmp.capacity_label(r[0]) or "-"] for r in rows],
            right={1, 2, 3},
        )
    con.print(f"what binds in {last}:")
    for r in rows:  # a sentence each: wrapped, never cut
        con.print(f"  {r[0]}: {r[3]}")


def _cases(path: str, spec: str | None, overrides, years) -> list[str | None]:
    """The demand cases ``--demand-case`` asks for in one scenario file: None (the default), the
    names listed, or every declared case for 'all'."""
    if spec is None:
        return [None]
    names: list[str | None] = [c.strip() for c in spec.split(",") if c.strip()]
    if names == ["all"]:
        declared = [c.id for c in _load(path, overrides, years).demand_cases]
        if not declared:
            raise InputError(f"{path}: --demand-case all, but the scenario declares no demand_cases")
        return declared
    if not names:
        raise InputError(f"--demand-case takes NAME, NAME,NAME... or all, got {spec!r}")
    return names


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE", help=SET_HELP)
@click.option("--years", default=None, help="Check with these years START-END.")
@demand_case_option
def validate(scenario, overrides, years, demand_case):
    """Check SCENARIO; list every error with its YAML path, or describe what it contains."""
    scn = _load(scenario, overrides, years, demand_case)
    click.echo(f"{scenario}: valid")
    click.echo(describe(scn))


def _write_folder(out: Path, write, kind: str, overwrite: bool) -> None:
    """Write an analysis folder under the output contract (staged beside it, swapped in at the end)."""
    output.write_folder(out, write, kind=kind, overwrite=overwrite)


def _analysis(label, quiet, fn):
    try:
        with RunsProgress(label, quiet) as bar:
            return fn(bar)
    except KeyboardInterrupt:
        click.echo("\ninterrupted: nothing was written.", err=True)
        raise SystemExit(130) from None
    except ValueError as exc:
        raise InputError(str(exc)) from None


def _common(f):
    for opt in reversed(
        [
            click.option("--out", "out", type=click.Path(file_okay=False), default=None, help="Result folder."),
            click.option(
                "--overwrite",
                is_flag=True,
                help="Replace results already in --out (kept until the new ones are complete).",
            ),
            ALLOW_LARGE,
            click.option(
                "--seed", type=SEED, default=1, show_default=True, help="Base seed (replications derive from it)."
            ),
            click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE", help=SET_HELP),
            click.option("--demand-case", "demand_case", default=None, metavar="NAME", help=CASE_HELP),
            click.option(
                "--workers",
                "-w",
                type=click.IntRange(min=1),
                default=None,
                help="Local worker processes [default: all cores].",
            ),
            click.option("--scheduler", default=None, metavar="tcp://HOST:PORT", help="Run on a Dask cluster."),
            click.option("--quiet", "-q", is_flag=True, help="No progress bar or table."),
        ]
    ):
        f = opt(f)
    return f


def _table(df, title, cols=None, intervals: dict | None = None, fmt: str = "{:,.3f}"):
    """A data frame as a terminal table; ``intervals`` maps a shown column to its (mean, low, high)
    columns, printed as mean ± half-width in ``fmt``."""
    cols = cols or list(df.columns)
    intervals = intervals or {}
    rows = []
    for r in df.to_dict(orient="records"):
        row = []
        for col in cols:
            if col in intervals:
                m, lo, hi = intervals[col]
                row.append(pm(r.get(m), r.get(lo), r.get(hi), fmt))
                continue
            v = r.get(col)
            row.append("-" if v is None or v != v else (f"{v:,.3f}" if isinstance(v, float) else str(v)))
        rows.append(row)
    keys = 1
    print_table(
        console(),
        title,
        [str(c) for c in cols],
        rows,
        keys=keys,
        right={i for i, c in enumerate(cols) if c in intervals or (c in df and df[c].dtype != object)},
    )


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
@click.option("--replications", "-n", type=click.IntRange(min=1, max=100_000), default=1, show_default=True)
@click.option("--years", default=None, help="Simulated years START-END.")
@click.option(
    "--kpi",
    type=click.Choice(["delivered_mt_last_year", "delivered_mt_per_year", "transit_days_mean"]),
    default="delivered_mt_last_year",
    show_default=True,
    help="The KPI plotted.",
)
@_common
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
    from .analysis import parse_vary, sweep_summary
    from .analysis import sweep as run_sweep
    from .plots import sweep_plot

    scn = _load(scenario, overrides, years, demand_case)
    try:
        grid = [parse_vary(v) for v in varies]
    except ValueError as exc:
        raise InputError(str(exc)) from None
    paths = [p for p, _ in grid]
    npoints = 1
    for _, v in grid:
        npoints *= len(v)
    if npoints * replications > MAX_SWEEP_RUNS and not allow_large:
        raise InputError(
            f"--vary: {npoints:,} points x {replications} replications is {npoints * replications:,} runs, "
            f"more than {MAX_SWEEP_RUNS:,}; vary fewer values, or add --allow-large"
        )
    out = Path(out or f"results/{scn.slug}-sweep")
    output.claim(out, overwrite=overwrite)  # refuse before running, not after
    table = _analysis(
        f"sweep {npoints} points x {replications}",
        quiet,
        lambda bar: run_sweep(
            scn, grid, replications, seed, workers=workers, scheduler=scheduler, progress=bar, allow_large=allow_large
        ),
    )
    summary = sweep_summary(table, paths, kpi)

    def write(tmp):
        table.to_csv(tmp / "sweep.csv", index=False)
        summary.to_csv(tmp / "sweep_summary.csv", index=False)
        sweep_plot(
            summary,
            paths,
            kpi,
            f"Sweep of {scn.label}: {kpi} (mean over {replications} replication(s), error bars 95% CI)",
            f"{scn.label} · {scn.start_year}-{scn.end_year} · {replications} replication(s) per point",
        ).savefig(tmp / "sweep.png", dpi=110)

    _write_folder(out, write, "sweep", overwrite)
    if not quiet:
        _table(summary, f"sweep of {scn.name}: {kpi}")
    bad = int((table.status != "ok").sum())
    click.echo(f"sweep written to {out}/ ({len(table)} runs, {bad} failed or invalid)")


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option(
    "--years", default=None, help="Years START-END (or YEAR) whose capacity is measured [default: the scenario's]."
)
@click.option("--year", type=int, default=None, help="One year: the same as --years YEAR.")
@click.option("--replications", "-n", type=click.IntRange(min=2, max=10_000), default=5, show_default=True)
@click.option("--total-only", is_flag=True, help="Only the corridor's total, not each cargo class.")
@_common
def capacity(
    scenario,
    years,
    year,
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
    import json

    from .capacity import estimate_capacity, first_year_at_least

    if year is not None and years is not None:
        raise InputError("give --years or --year, not both")
    span = _years(str(year) if year is not None else years)
    scn = _load(scenario, overrides, None, demand_case)
    if span is not None and not (scn.start_year <= span[0] and span[1] <= scn.end_year):
        flag = "--year" if year is not None else "--years"
        raise InputError(
            f"{flag} {year if year is not None else years} is outside the years of {scenario} "
            f"({scn.start_year}-{scn.end_year}); capacity is measured in the scenario's own years"
        )
    out = Path(out or f"results/{scn.slug}-capacity")
    output.claim(out, overwrite=overwrite)  # refuse before running, not after
    est = _analysis(
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
            log=_note,
        ),
    )
    t = est.trajectory
    goal = scn.goal_mt_per_year
    first = {b: first_year_at_least(t, goal, bound=b) for b in ("mean", "ci_low", "ci_high")}
    meta = {
        **est.meta(),
        "label": scn.label,
        "demand_case": scn.demand_case,
        "overrides": dict(scn.overrides),
        "goal_mt_per_year": goal,
        "first_year_at_goal": first,
    }

    def write(tmp):
        t.to_csv(tmp / "capacity.csv", index=False)
        est.headroom.to_csv(tmp / "headroom.csv", index=False)
        (tmp / "capacity.json").write_text(json.dumps(meta, indent=2, default=str))

    _write_folder(out, write, "capacity", overwrite)
    if not quiet:
        tot = t[t.cargo == "all"]
        total = tot.assign(
            # the line or link, not the vessel group: the full name is in capacity.csv
            binds=[_short(str(x).split(":")[0], 30) for x in tot.binding_label],
            demand=[f"{x:,.2f}" for x in tot.demand_mt],
            saturated=[f"{x:.0%}" if x == x and x is not None else "-" for x in tot.saturated_share],
        )
        _table(
            total,
            f"capacity of {scn.label}, Mt/yr (mean ± 95% CI half-width, {replications} replications), "
            "beside the scenario's own demand",
            ["year", "Mt/yr", "demand", "binds", "saturated"],
            {"Mt/yr": ("capacity_mt", "capacity_mt_ci_low", "capacity_mt_ci_high")},
            fmt="{:,.2f}",
        )
        by_class = t[(t.cargo != "all") & (t.year == t.year.max())]
        if len(by_class):  # the classes of the last year, in their own units
            units = [
                pm(r.capacity_units, r.capacity_units_ci_low, r.capacity_units_ci_high, "{:,.0f}") + f" {r.unit}"
                for r in by_class.itertuples()
            ]
            _table(
                by_class.assign(binds=[_short(str(x).split(":")[0], 24) for x in by_class.binding_label], units=units),
                f"by cargo class in {int(t.year.max())}; the total binds where the class with the least "
                "capacity per tonne of its demand binds",
                ["cargo", "Mt/yr", "units", "binds"],
                {"Mt/yr": ("capacity_mt", "capacity_mt_ci_low", "capacity_mt_ci_high")},
                fmt="{:,.2f}",
            )
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
    click.echo(f"capacity written to {out}/ (capacity.csv, headroom.csv, capacity.json)")


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--replications", "-n", type=click.IntRange(min=2, max=10_000), default=5, show_default=True)
@click.option(
    "--measure",
    "measures",
    multiple=True,
    metavar="ID",
    help="Appraise only this costed timeline entry (repeatable) [default: every entry with capex_musd].",
)
@click.option("--years", default=None, help="Simulate only years START-END [default: the scenario's].")
@click.option(
    "--discount-rate",
    "discount_rate",
    type=click.FloatRange(min=0, max=50),
    default=None,
    help="Real discount rate, %/yr [default: the scenario's costs.discount_rate_pct, else 6].",
)
@_common
def appraise(
    scenario,
    replications,
    measures,
    years,
    discount_rate,
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
    """What each costed measure of SCENARIO buys, against the scenario without it (common random
    numbers): capacity and tonnes added, days and shipper cost saved, CO2e, US$ per tonne of capacity,
    NPV and benefit-cost ratio, each with its 95% CI."""
    import json

    from .appraisal import appraise as run_appraisal

    scn = _load(scenario, overrides, years, demand_case)
    out = Path(out or f"results/{scn.slug}-appraisal")
    output.claim(out, overwrite=overwrite)
    ap = _analysis(
        "appraisal",
        quiet,
        lambda bar: run_appraisal(
            scn,
            replications,
            seed,
            list(measures) or None,
            discount_rate,
            workers=workers,
            scheduler=scheduler,
            progress=bar,
            allow_large=allow_large,
            log=_note,
        ),
    )
    meta = {**ap.meta(), "label": scn.label, "demand_case": scn.demand_case, "overrides": dict(scn.overrides)}

    def write(tmp):
        ap.table.to_csv(tmp / "appraisal.csv", index=False)
        ap.by_year.to_csv(tmp / "appraisal_by_year.csv", index=False)
        (tmp / "appraisal.json").write_text(json.dumps(meta, indent=2, default=str))
        _save_figure(tmp / "measures_ranking.png", "measures_ranking", ap.table, scn.label)

    _write_folder(out, write, "appraisal", overwrite)
    if not quiet:
        t = ap.table.assign(measure=[_short(str(m), 26) for m in ap.table.measure])
        _table(
            t,
            f"measures of {scn.label} against the scenario without each ({replications} replications; "
            f"capacity and delivered Mt/yr averaged over the years each is in force; cost {ap.discount_rate_pct:g}%/yr)",
            ["measure", "capex_musd", "+cap Mt", "+dlv Mt", "US$/t cap", "BCR"],
            {
                "+cap Mt": ("capacity_added_mt", "capacity_added_mt_ci_low", "capacity_added_mt_ci_high"),
                "+dlv Mt": ("delivered_added_mt", "delivered_added_mt_ci_low", "delivered_added_mt_ci_high"),
                "US$/t cap": ("usd_per_t_capacity", "usd_per_t_capacity_ci_low", "usd_per_t_capacity_ci_high"),
                "BCR": ("bcr", "bcr_ci_low", "bcr_ci_high"),
            },
            fmt="{:,.2f}",
        )
    click.echo(
        f"appraisal written to {out}/ (appraisal.csv, appraisal_by_year.csv, appraisal.json, measures_ranking.png); "
        f"{ap.simulated_years} simulated years, {ap.wall_s:.0f} s"
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
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Capacity goal, Mt/yr [default: the scenario's goal_mt_per_year].",
)
@click.option("--by", "by", type=int, required=True, help="The year in which capacity must reach the goal.")
@click.option(
    "--budget-musd", type=click.FloatRange(min=0), default=None, help="Capital budget, US$ million [default: none]."
)
@click.option(
    "--confidence",
    type=click.FloatRange(min=0, max=1, min_open=True),
    default=0.8,
    show_default=True,
    help="Share of replications whose capacity must reach the goal.",
)
@click.option("--replications", "-n", type=click.IntRange(min=2, max=10_000), default=5, show_default=True)
@click.option(
    "--screening",
    type=click.IntRange(min=2, max=10_000),
    default=None,
    help="Replications per candidate while searching [default: --replications]; the plan is verified on -n fresh ones.",
)
@click.option(
    "--frontier",
    "frontier_years",
    default=None,
    metavar="START-END",
    help="Also find the cheapest plan for each goal year in START-END (cost against the year the goal is reached).",
)
@_common
def plan(
    scenario,
    candidates_file,
    goal,
    by,
    budget_musd,
    confidence,
    replications,
    screening,
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
    """The cheapest set of candidate measures, and when to build each, that gives SCENARIO a capacity of
    at least --goal Mt/yr in year --by in at least --confidence of the replications; the plan is saved
    as a scenario file that extends SCENARIO."""
    import json

    from .appraisal import frontier as run_frontier
    from .appraisal import plan as run_plan
    from .appraisal import plan_scenario_yaml
    from .loading import load_candidates

    scn = _load(scenario, overrides, None, demand_case)
    if not scn.start_year <= by <= scn.end_year:
        raise InputError(f"--by {by} is outside the years of {scenario} ({scn.start_year}-{scn.end_year})")
    span = _years(frontier_years)
    if span is not None and not (scn.start_year <= span[0] and span[1] <= scn.end_year):
        raise InputError(
            f"--frontier {frontier_years} is outside the years of {scenario} ({scn.start_year}-{scn.end_year})"
        )
    cands = load_candidates(candidates_file, scn)
    goal = goal if goal is not None else scn.goal_mt_per_year
    out = Path(out or f"results/{scn.slug}-plan-{goal:g}mt-{by}")
    output.claim(out, overwrite=overwrite)
    kw = dict(
        budget_musd=budget_musd,
        confidence=confidence,
        replications=replications,
        seed=seed,
        screening_replications=screening,
        workers=workers,
        scheduler=scheduler,
        allow_large=allow_large,
        log=_note,
    )
    p = _analysis("plan", quiet, lambda bar: run_plan(scn, cands, goal, by, progress=bar, **kw))
    front = None
    if span is not None:
        front, _ = _analysis(
            "frontier",
            quiet,
            lambda bar: run_frontier(scn, cands, goal, range(span[0], span[1] + 1), progress=bar, **kw),
        )
    name = f"{scn.name}_plan_{by}"
    meta = {**p.meta(), "label": scn.label, "demand_case": scn.demand_case, "candidates": str(candidates_file)}

    def write(tmp):
        (tmp / "plan.json").write_text(json.dumps(meta, indent=2, default=str))
        (tmp / "plan.yaml").write_text(
            f"# corridor-sim plan {scenario} --candidates {candidates_file} --goal {goal:g} --by {by}\n"
            + plan_scenario_yaml(os.path.relpath(Path(scenario).resolve(), out.resolve()), p, name)
        )
        p.steps.to_csv(tmp / "steps.csv", index=False)
        p.rejected.to_csv(tmp / "rejected.csv", index=False)
        if p.trajectory is not None:
            p.trajectory.to_csv(tmp / "plan_capacity.csv", index=False)
        if front is not None:
            front.to_csv(tmp / "frontier.csv", index=False)
            _save_figure(tmp / "frontier.png", "plan_frontier", front, goal, scn.label)

    _write_folder(out, write, "plan", overwrite)
    if not quiet and len(p.chosen):
        _table(
            _plan_rows(p),
            f"cheapest plan for {goal:g} Mt/yr of capacity in {by} ({scn.label})",
            ["measure", "in service", "capex US$ m"],
        )
    if not quiet and len(p.rejected):
        import textwrap

        click.echo("rejected candidates:")
        for r in p.rejected.itertuples():
            click.echo(textwrap.fill(f"{r.candidate}: {r.reason}", 100, initial_indent="  ", subsequent_indent="    "))
    cap = p.capacity_mt
    verdict = "reaches" if p.reached else "does NOT reach"
    click.echo(
        f"the plan {verdict} {goal:g} Mt/yr in {by}: capacity {cap['mean']:.2f} Mt/yr "
        f"(95% CI {_num(cap['ci_low'])}-{_num(cap['ci_high'])}), at or above the goal in "
        f"{p.share_at_goal:.0%} of {replications} fresh replications; capex US${p.capex_musd:,.0f} m "
        f"(present value US${p.pv_cost_musd:,.0f} m with running costs)"
    )
    extra = ", frontier.csv, frontier.png" if front is not None else ""
    click.echo(
        f"plan written to {out}/ (plan.yaml, plan.json, steps.csv, rejected.csv, plan_capacity.csv{extra}); "
        f"{p.simulated_years} simulated years, {p.wall_s:.0f} s"
    )


def _num(x) -> str:
    return "-" if x is None else f"{x:.2f}"


def _plan_rows(p):
    import pandas as pd

    return pd.DataFrame(
        [{"measure": e.id, "in service": e.date.isoformat(), "capex US$ m": f"{e.capex_musd:,.0f}"} for e in p.chosen]
    )


def _save_figure(path: Path, name: str, *args) -> None:
    """Draw the named figure of ``corridor_sim.plots`` with ``args`` and save it as a PNG."""
    import matplotlib.pyplot as plt

    from . import plots

    fig = getattr(plots, name)(*args)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _short(text, width: int) -> str:
    text = "-" if text is None or text != text else str(text)
    return text if len(text) <= width else text[: width - 1] + "…"


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--year", type=int, default=None, help="The year measured [default: the scenario's last].")
@click.option("--replications", "-n", type=click.IntRange(min=2, max=10_000), default=2, show_default=True)
@click.option(
    "--step",
    type=click.FloatRange(min=0.01, max=10),
    default=0.25,
    show_default=True,
    help="Relative step for rates and sizes (whole things get +1).",
)
@_common
def bottlenecks(
    scenario,
    year,
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
    from .analysis import bottlenecks as run_bottlenecks
    from .plots import bottleneck_ranking

    scn = _load(scenario, overrides, None, demand_case)
    if year is not None and not scn.start_year <= year <= scn.end_year:
        raise InputError(f"--year {year} is outside the scenario's years {scn.start_year}-{scn.end_year}")
    out = Path(out or f"results/{scn.slug}-bottlenecks")
    output.claim(out, overwrite=overwrite)
    table = _analysis(
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
            log=_note,
        ),
    )

    def write(tmp):
        table.to_csv(tmp / "bottlenecks.csv", index=False)
        bottleneck_ranking(table).savefig(tmp / "bottlenecks.png", dpi=110)

    _write_folder(out, write, "bottlenecks", overwrite)
    if not quiet:
        ran = table[table.skipped.isna()]
        _table(
            ran.head(12),
            f"what to build first in {scn.label}, {table.year.iloc[0]}: change in delivered kt, "
            f"mean ± 95% CI half-width of {replications} replications (baseline "
            f"{table.baseline_mt.iloc[0]:.2f} Mt)",
            ["label", "delta kt"],  # the label names the resource and the step; kind is in the CSV
            {"delta kt": ("delta_kt_mean", "delta_kt_ci_low", "delta_kt_ci_high")},
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
    help="Simulated years START-END [default: the scenario's years, so that growth and demand parameters can act].",
)
@_common
def sensitivity(
    scenario, trajectories, years, out, overwrite, allow_large, seed, overrides, demand_case, workers, scheduler, quiet
):
    """Morris screening of the parameters SCENARIO marks as uncertain (its 'uncertain:' list)."""
    from .analysis import sensitivity as run_sensitivity
    from .plots import sensitivity_plot

    scn = _load(scenario, overrides, years, demand_case)
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
    output.claim(out, overwrite=overwrite)
    ranking, runs = _analysis(
        f"sensitivity x {trajectories}",
        quiet,
        lambda bar: run_sensitivity(
            scn, trajectories, seed=seed, workers=workers, scheduler=scheduler, progress=bar, allow_large=allow_large
        ),
    )

    def write(tmp):
        ranking.to_csv(tmp / "sensitivity.csv", index=False)
        runs.to_csv(tmp / "sensitivity_runs.csv", index=False)
        sensitivity_plot(
            ranking, f"{scn.label} · {scn.start_year}-{scn.end_year} · {trajectories} trajectories, {len(runs)} runs"
        ).savefig(tmp / "sensitivity.png", dpi=110)

    _write_folder(out, write, "sensitivity", overwrite)
    if not quiet:
        _table(
            ranking.assign(
                mu_star_lo=ranking.mu_star - ranking.mu_star_conf, mu_star_hi=ranking.mu_star + ranking.mu_star_conf
            ),
            f"Morris screening of {scn.label}, {scn.start_year}-{scn.end_year} ({len(runs)} runs; mu* ± "
            "bootstrap 95% CI)",
            ["parameter", "output", "mu*", "sigma"],
            {"mu*": ("mu_star", "mu_star_lo", "mu_star_hi")},
        )
    click.echo(f"sensitivity written to {out}/")


@main.command()
@click.argument("result_dir", type=click.Path(file_okay=False))
@click.option(
    "--line",
    default=None,
    metavar="NODE,NODE,...",
    help="Rail path for the time-distance chart [default: the longest route].",
)
@click.option("--from", "start", default=None, metavar="YYYY-MM-DD", help="Start of the chart window [default: 1 Jan].")
@click.option("--days", type=click.FloatRange(min=1, max=3660), default=30.0, show_default=True, help="Window length.")
@click.option("--year", type=int, default=None, help="Year of the corridor map [default: the last].")
def charts(result_dir, line, start, days, year):
    """Operations charts of a finished run: corridor map, train time-distance chart, fleet Gantt."""
    from .plots import corridor_map, fleet_gantt, stringline
    from .results import open_results

    try:
        res = open_results(result_dir)
    except (ResultsFolderError, ScenarioError) as exc:
        raise InputError(str(exc)) from None
    if not res.detail:
        raise InputError(
            f"{result_dir}: this run kept no per-consignment, voyage or vessel-state detail, which the "
            "time-distance chart and the fleet Gantt draw; run it again with --detail"
        )
    path = [p.strip() for p in line.split(",")] if line else None
    nodes = {n.id for n in res.scenario.nodes}
    if path and (len(path) < 2 or any(p not in nodes for p in path)):
        raise InputError(f"--line: give at least two node ids from: {', '.join(sorted(nodes))}")
    if start:
        try:
            from datetime import date

            date.fromisoformat(start)
        except ValueError:
            raise InputError(f"--from takes a date YYYY-MM-DD, got {start!r}") from None
    s = res.scenario
    if year is not None and not s.start_year <= year <= s.end_year:
        raise InputError(f"--year {year} is outside the run's years {s.start_year}-{s.end_year}")
    out = Path(result_dir)
    try:
        figs = {
            "corridor_map": corridor_map(res, year),
            "stringline": stringline(res, path, start, days),
            "fleet_gantt": fleet_gantt(res, start, days),
        }
    except ValueError as exc:
        raise InputError(str(exc)) from None
    for name, fig in figs.items():  # chart files in a result folder are corridor-sim's own: replaced atomically
        output.write_file(out / f"{name}.png", partial(fig.savefig, dpi=110, format="png"))
    click.echo(f"charts written to {out}/ (corridor_map.png, stringline.png, fleet_gantt.png)")


@main.command()
@click.argument("result_dirs", nargs=-1, required=True, type=click.Path(file_okay=False))
@click.option("--out", "out", type=click.Path(dir_okay=False), default="report.html", show_default=True)
@click.option(
    "--bottlenecks",
    "bottlenecks_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="A folder written by `corridor-sim bottlenecks`, to include its ranking.",
)
@click.option(
    "--capacity",
    "capacity_dirs",
    type=click.Path(file_okay=False),
    multiple=True,
    help="A folder written by `corridor-sim capacity` (capacity.csv), for the year capacity reaches the "
    "goal. Repeatable (one per scenario).",
)
@click.option(
    "--appraisal",
    "appraisal_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="A folder written by `corridor-sim appraise` (appraisal.csv), for the measures' cost-effectiveness.",
)
@click.option(
    "--plan",
    "plan_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="A folder written by `corridor-sim plan --frontier` (frontier.csv), for cost against the year the goal is reached.",
)
@click.option("--title", default=None, help="Report title.")
@click.option(
    "--demand-case",
    "demand_case",
    default=None,
    metavar="NAME",
    help="Only the runs made under this demand case [default: every run in the folders].",
)
@click.option("--overwrite", is_flag=True, help="Replace a report already at --out.")
def report(result_dirs, out, bottlenecks_dir, capacity_dirs, appraisal_dir, plan_dir, title, demand_case, overwrite):
    """One self-contained HTML report (images embedded) from RESULT_DIRS: single runs, replicated
    runs or a comparison folder."""
    from .report import write_report

    for d in [*result_dirs, *(x for x in (appraisal_dir, plan_dir) if x is not None)]:
        if not Path(d).is_dir():
            raise InputError(f"{d}: no such result folder")
    try:
        path = write_report(
            list(result_dirs),
            out,
            bottlenecks_dir,
            title,
            overwrite=overwrite,
            demand_case=demand_case,
            capacity=list(capacity_dirs),
            appraisal=appraisal_dir,
            plan=plan_dir,
        )
    except (ResultsFolderError, ScenarioError, ValueError) as exc:
        raise InputError(f"cannot build the report: {exc}") from None
    click.echo(f"report written to {path} ({path.stat().st_size / 1e6:.1f} MB, self-contained)")


@main.command()
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the JSON Schema instead (for editors with yaml-language-server; docs/scenario.schema.json).",
)
@click.option(
    "--partial",
    is_flag=True,
    help="With --json: the schema of a file that extends another (no field required; "
    "docs/scenario.partial.schema.json).",
)
@click.option(
    "--candidates",
    is_flag=True,
    help="Print the JSON Schema of a candidates file (corridor-sim plan; docs/candidates.schema.json).",
)
def schema(as_json, partial, candidates):
    """Print the scenario file reference (Markdown), generated from the schema."""
    from .schema_doc import candidates_schema_text, json_schema_text, schema_markdown

    if candidates:
        click.echo(candidates_schema_text(), nl=False)
        return
    click.echo(json_schema_text(partial) if as_json else schema_markdown(), nl=False)


@main.command()
def kpis():
    """Print the KPI definitions (Markdown; docs/kpis.md), generated from corridor_sim/kpi.py."""
    from .kpi import kpi_markdown

    click.echo(kpi_markdown(), nl=False)


def print_summary(res, con) -> None:
    """A single run in the terminal: per year and flow, then the busiest resources and the totals."""
    s = res.scenario
    rows = []
    for _, r in res.annual.iterrows():
        rows.append(
            [
                str(r.year),
                r.flow,
                f"{r.tons_generated / 1e3:,.1f}",
                f"{r.tons_delivered / 1e3:,.1f}",
                f"{r.tons_backlog / 1e3:,.1f}",
                f"{r.tons_in_system / 1e3:,.1f}",
                _fmt(r.get("entry_wait_days_mean", float("nan"))),
                _fmt(r.get("corridor_days_mean", float("nan"))),
                _fmt(r.get("corridor_days_p95", float("nan"))),
            ]
        )
    for year, g in res.annual.groupby("year"):
        rows.append(
            [
                str(year),
                "all flows",
                f"{g.tons_generated.sum() / 1e3:,.1f}",
                f"{g.tons_delivered.sum() / 1e3:,.1f}",
                f"{g.tons_backlog.sum() / 1e3:,.1f}",
                f"{g.tons_in_system.sum() / 1e3:,.1f}",
                "",
                "",
                "",
            ]
        )
    print_table(
        con,
        f"{s.label}: tonnes by flow and year (seed {res.seed})",
        [
            "year",
            "flow",
            "generated\nkt",
            "delivered\nkt",
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
    from .labels import resource_labels

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
        right={1},
    )
    from .limits_view import print_limits  # issue 22: the limits that bind, per year

    print_limits(con, s, res.resources)
    goal = s.goal_mt_per_year
    mt = res.delivered_mt()
    con.print("delivered: " + ", ".join(f"{y} {v:.2f} Mt" for y, v in mt.items()) + f"  (goal {goal:g} Mt/yr)")


def _fmt(x) -> str:
    return "-" if x != x else f"{x:.1f}"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
