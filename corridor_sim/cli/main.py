"""The command line's group and what its commands share: the errors a user can cause and their
exit statuses, the options every command takes, loading a scenario, progress, terminal tables.

Every failure a user can cause ends with one paragraph and an exit status, never a traceback:
2 for bad input (the scenario, an option, a result folder that may not be used, a run too large
for the machine), 1 for a failure of the run itself (a failed replication, a full disk), 130 for
an interrupt. Anything else is a bug, reported the same way with status 1. The commands are thin:
each loads its scenario, calls the Python API and writes its result with
``corridor_sim.present.write`` (``run``, ``compare``, ``analyses``, ``files``).
"""

from __future__ import annotations

import math
import os
import re
import signal
from pathlib import Path

import click

from .._version import __version__
from ..experiments.execution import SchedulerError, scheduler_parts
from ..run import output
from ..run.output import ResultsFolderError
from ..run.runsize import RunTooLarge
from ..scenario.load import load_scenario
from ..scenario.problems import ScenarioError
from ..scenario.schema import Scenario
from ..scenario.units import FIRST_YEAR, LAST_YEAR
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


def bad_input(exc: Exception) -> InputError:
    return InputError(str(exc))


class Commands(click.Group):
    """The command group: turns what a user can cause into exit 2, a failed run into exit 1, and
    makes SIGTERM an interrupt (so temporary folders are removed and workers stopped)."""

    def invoke(self, ctx):
        previous = None
        try:
            previous = signal.signal(signal.SIGTERM, terminated)
        except (ValueError, AttributeError):  # not the main thread (an embedding caller): leave it
            pass
        try:
            return self._invoke(ctx)
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)

    def _invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (ScenarioError, ResultsFolderError, RunTooLarge, SchedulerError) as exc:
            raise bad_input(exc) from None
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


def terminated(signum, frame):
    raise KeyboardInterrupt


def parse_years(value: str | None, option: str = "--years") -> tuple[int, int] | None:
    if value is None:
        return None
    value = str(value)
    m = re.fullmatch(r"\s*(\d{4})\s*(?:-\s*(\d{4}))?\s*", value)
    if not m:
        raise InputError(f"{option} takes START-END or YEAR (e.g. 2024-2030), got {value!r}")
    start = int(m.group(1))
    end = int(m.group(2) or start)
    if end < start:
        raise InputError(f"{option}: the end year {end} is before the start year {start}")
    for year in (start, end):
        # named here, or the scenario file would be blamed for a year it does not contain
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise InputError(f"{option}: {year} is outside the years a scenario can have ({FIRST_YEAR}-{LAST_YEAR})")
    return start, end


YEARS_HELP = "Simulated years: YEAR (e.g. 2030) or START-END (e.g. 2024-2035) [default: the scenario's]."


def old_year_option(f):
    """``--year YEAR``: the old spelling of ``--years YEAR``, still accepted with a warning (one
    spelling for years in every command: ``--years 2030`` or ``--years 2024-2035``)."""
    return click.option(
        "--year",
        "old_year",
        type=click.IntRange(min=FIRST_YEAR, max=LAST_YEAR),
        default=None,
        hidden=True,
        help="Deprecated: the old spelling of --years YEAR (accepted, with a warning).",
    )(f)


def years_given(years: str | None, old_year: int | None) -> str | None:
    """``--years``, or the deprecated ``--year`` (warned about) as the same value."""
    if old_year is None:
        return years
    if years is not None:
        raise InputError("give --years or --year, not both (--year YEAR is the old spelling of --years YEAR)")
    log.warning(f"--year is deprecated and will be removed: write --years {old_year}")
    return str(old_year)


def one_year(years: str | None, what: str) -> int | None:
    """``--years`` where a command measures one year: YEAR, not a span."""
    span = parse_years(years)
    if span is None:
        return None
    if span[0] != span[1]:
        raise InputError(f"--years: {what} one year; give --years YEAR (e.g. --years {span[1]}), got {years!r}")
    return span[0]


def load(scenario: str, overrides: tuple[str, ...], years: str | None, demand_case: str | None = None) -> Scenario:
    """Load SCENARIO for a command, and say what loading did that the file does not (a what-if
    held against the timeline, a shorter run's entries): the notes the results record too."""
    if demand_case is not None and not demand_case.strip():
        # an empty name would quietly fall back to the file's own case, not the one meant
        raise InputError("--demand-case takes the id of one of the scenario's demand_cases, got an empty name")
    try:
        scn = load_scenario(scenario, overrides=list(overrides), years=parse_years(years), demand_case=demand_case)
    except ScenarioError as exc:
        raise InputError(str(exc)) from None
    for text in scn.notes:
        log.info(f"note: {text}")
    return scn


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


class Finite(click.FloatRange):
    """A float option that must be a finite number within its range: click's FloatRange lets nan
    through (every comparison with nan is false) and inf where there is no upper bound, and either
    would run and print meaningless figures. Every float option of every command uses it."""

    name = "finite number"

    def convert(self, value, param, ctx):
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(
                f"{value!r} is not a finite number; give a number such as 0.5 "
                f"(allowed: {self._describe_range() if self.min is not None or self.max is not None else 'any finite value'})",
                param,
                ctx,
            )
        return number


YEAR = click.IntRange(min=FIRST_YEAR, max=LAST_YEAR)  # the years a scenario may have (scenario.units)
SEED = click.IntRange(min=0)  # numpy's SeedSequence takes non-negative integers
ALLOW_LARGE = click.option(
    "--allow-large", is_flag=True, help="Run even where the size estimate exceeds what this machine can hold."
)


def scheduler_address(ctx, param, value: str | None) -> str | None:
    """--scheduler: a tcp:// or tls:// address needs a host and a port. Checked when the option is
    read, as a command that ends up running in this process (one replication) would otherwise
    ignore a malformed one without a word; whether a scheduler answers there is checked when
    runs are sent to it (``experiments.execution``)."""
    if value is None:
        return None
    try:
        scheduler_parts(value)
    except SchedulerError as exc:
        raise InputError(str(exc)) from None
    return value


def experiment_options(f, replications: int = 1):
    """--replications, --workers, --scheduler, --resume, --resume-any-version, --overwrite, --allow-large:
    shared by run and compare."""
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
                callback=scheduler_address,
                help="Run on a Dask distributed cluster instead (pip install 'corridor-sim[dask]').",
            ),
            click.option(
                "--resume", is_flag=True, help="Complete an interrupted run in --out: run only what is missing."
            ),
            click.option(
                "--resume-any-version",
                is_flag=True,
                help="--resume, reusing replications in --out even though another version of corridor-sim "
                "wrote them (which --resume refuses).",
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


def lock_out(out) -> None:
    """Hold the lock on the result folder ``out`` until this command ends (one writer per folder):
    a second command on it is refused, naming this one."""
    click.get_current_context().with_resource(output.folder_lock(out))


def claim_out(out, *, overwrite: bool = False) -> str:
    """Lock ``out`` for the rest of the command, then check it may be written (before any run)."""
    lock_out(out)
    return output.claim(out, overwrite=overwrite)


RunsProgress = Progress_  # a bar on a terminal, log lines elsewhere (cli.terminal)


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


def note(msg: str) -> None:
    log.warning(msg)


def failed_replications(exc, out, wrote: bool) -> RunError:
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


def analysis(label, quiet, fn):
    try:
        with RunsProgress(label, quiet) as bar:
            return fn(bar)
    except KeyboardInterrupt:
        click.echo("\ninterrupted: nothing was written.", err=True)
        raise SystemExit(130) from None
    except ValueError as exc:
        raise InputError(str(exc)) from None


def common_options(f):
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
            click.option(
                "--scheduler",
                default=None,
                metavar="tcp://HOST:PORT",
                callback=scheduler_address,
                help="Run on a Dask cluster.",
            ),
            click.option("--quiet", "-q", is_flag=True, help="No progress bar or table."),
        ]
    ):
        f = opt(f)
    return f


def print_frame(df, title, cols=None, intervals: dict | None = None, fmt: str = "{:,.3f}", keys: int = 1):
    """A data frame as a terminal table. ``intervals`` maps a shown column (its header) to the
    (mean, low, high) columns it shows, printed as mean ± half-width in ``fmt``; with low and high
    None, the one column ``mean`` under that header (a readable name for a raw column). Numbers
    align right, text left (``print_table``)."""
    cols = cols or list(df.columns)
    intervals = intervals or {}
    rows = []
    for r in df.to_dict(orient="records"):
        row = []
        for col in cols:
            m, lo, hi = intervals.get(col, (col, None, None))
            v = r.get(m)
            if lo is not None:
                row.append(pm(v, r.get(lo), r.get(hi), fmt))
            elif isinstance(v, float):
                row.append(pm(v, fmt=fmt))
            else:
                row.append("-" if v is None else str(v))
        rows.append(row)
    print_table(console(), title, [str(c) for c in cols], rows, keys=keys)
