"""The commands about files: ``validate`` a scenario, the operations ``charts`` of a finished run,
the HTML ``report``, and the generated references (``schema``, ``kpis``)."""

from __future__ import annotations

from datetime import date
from functools import partial
from pathlib import Path

import click

from ..kpi import kpi_markdown
from ..present.plots import corridor_map, fleet_gantt, stringline
from ..present.report import write_report
from ..run import output
from ..run.output import ResultsFolderError
from ..run.results import open_results
from ..scenario.labels import describe
from ..scenario.problems import ScenarioError
from ..scenario.schema_doc import candidates_schema_text, json_schema_text, schema_markdown
from .main import (
    SET_HELP,
    YEARS_HELP,
    Finite,
    InputError,
    demand_case_option,
    load,
    lock_out,
    main,
    old_year_option,
    one_year,
    years_given,
)


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE", help=SET_HELP)
@click.option("--years", default=None, help=YEARS_HELP)
@demand_case_option
def validate(scenario, overrides, years, demand_case):
    """Check SCENARIO; list every error with its YAML path, or describe what it contains."""
    scn = load(scenario, overrides, years, demand_case)
    click.echo(f"{scenario}: valid")
    click.echo(describe(scn))


@main.command()
@click.argument("result_dir", type=click.Path(file_okay=False))
@click.option(
    "--line",
    default=None,
    metavar="NODE,NODE,...",
    help="Rail path for the time-distance chart [default: the longest route].",
)
@click.option("--from", "start", default=None, metavar="YYYY-MM-DD", help="Start of the chart window [default: 1 Jan].")
@click.option("--days", type=Finite(min=1, max=3660), default=30.0, show_default=True, help="Window length.")
@click.option(
    "--years", default=None, metavar="YEAR", help="Year of the corridor map, e.g. 2030 [default: the run's last]."
)
@old_year_option
def charts(result_dir, line, start, days, years, old_year):
    """Operations charts of a finished run: corridor map, train time-distance chart, fleet Gantt."""
    year = one_year(years_given(years, old_year), "the corridor map shows")
    try:
        res = open_results(result_dir)
    except (ResultsFolderError, ScenarioError) as exc:
        raise InputError(str(exc)) from None
    if not res.detail:
        raise InputError(
            f"{result_dir}: this run kept no per-consignment, voyage or vessel-state detail, which the "
            "time-distance chart and the fleet Gantt draw; run it again with --detail"
        )
    path = [p.strip() for p in line.split(",")] if line is not None else None
    nodes = {n.id for n in res.scenario.nodes}
    if path and (len(path) < 2 or any(p not in nodes for p in path)):
        raise InputError(f"--line: give at least two node ids from: {', '.join(sorted(nodes))}")
    if start is not None:  # an empty one too: the charts would fail on it without naming the option
        try:
            date.fromisoformat(start)
        except ValueError:
            raise InputError(f"--from takes a date YYYY-MM-DD, got {start!r}") from None
    s = res.scenario
    if year is not None and not s.start_year <= year <= s.end_year:
        raise InputError(f"--years {year} is outside the run's years {s.start_year}-{s.end_year}")
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
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False),
    default="report.html",
    show_default=True,
    help="The report's HTML file (one self-contained page).",
)
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
    for d in [*result_dirs, *(x for x in (appraisal_dir, plan_dir) if x is not None)]:
        if not Path(d).is_dir():
            raise InputError(f"{d}: no such result folder")
    lock_out(out)  # one writer: a second report to the same file is refused, naming this one
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
    if candidates:
        click.echo(candidates_schema_text(), nl=False)
        return
    click.echo(json_schema_text(partial) if as_json else schema_markdown(), nl=False)


@main.command()
def kpis():
    """Print the KPI definitions (Markdown; docs/kpis.md), generated from corridor_sim/kpi.py."""
    click.echo(kpi_markdown(), nl=False)
