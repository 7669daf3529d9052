"""The command line: a thin shell over the Python API (load_scenario, run, Results.write)."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from . import __version__
from .kpi import busiest_resources
from .scenario import ScenarioError, describe, load_scenario

EXIT_INPUT = 2


class InputError(click.ClickException):
    """Bad input: one clear message, exit status 2, never a traceback."""

    exit_code = EXIT_INPUT

    def show(self, file=None) -> None:
        click.echo(f"error: {self.message}", err=True)


def _years(value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    m = re.fullmatch(r"\s*(\d{4})\s*(?:-\s*(\d{4}))?\s*", value)
    if not m:
        raise InputError(f"--years takes START-END or YEAR (e.g. 2024-2030), got {value!r}")
    start = int(m.group(1))
    end = int(m.group(2) or start)
    if end < start:
        raise InputError(f"--years: the end year {end} is before the start year {start}")
    return start, end


def _load(scenario: str, overrides: tuple[str, ...], years: str | None):
    try:
        return load_scenario(scenario, overrides=list(overrides), years=_years(years))
    except ScenarioError as exc:
        raise InputError(str(exc)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="corridor-sim")
def main() -> None:
    """corridor-sim: freight capacity of the Middle Corridor, as a discrete-event simulation."""


SET_HELP = ("Override a scenario field, e.g. --set demand.scale=1.5 or "
            "--set sea_lines.ferry_kuryk_alat.vessels.asco_ferry.count=8 (list items by id). Repeatable.")


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--out", "out", type=click.Path(file_okay=False), default=None,
              help="Result folder [default: results/<scenario-name>/].")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the random streams.")
@click.option("--years", default=None, help="Simulated years START-END (e.g. 2024-2030); default: from the scenario.")
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE", help=SET_HELP)
@click.option("--no-plots", is_flag=True, help="Write tables only.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or summary table.")
def run(scenario, out, seed, years, overrides, no_plots, quiet):
    """Run SCENARIO (a YAML file) and write tables, summary and plots."""
    from .simulate import run as simulate

    scn = _load(scenario, overrides, years)
    out_dir = Path(out) if out else Path("results") / scn.name
    console = Console(stderr=True)
    show_bar = not quiet and console.is_terminal
    with Progress(TextColumn(f"[bold]{scn.name}[/] {scn.start_year}-{scn.end_year}"), BarColumn(),
                  TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(), TimeRemainingColumn(),
                  console=console, transient=True, disable=not show_bar) as bar:
        task = bar.add_task("simulating", total=1.0)
        res = simulate(scn, seed=seed, progress=lambda f: bar.update(task, completed=f))
    try:
        res.write(out_dir, plots=not no_plots)
    except OSError as exc:
        raise click.ClickException(f"cannot write results to {out_dir}: {exc.strerror or exc}") from None
    if not quiet:
        out_console = Console()
        if not out_console.is_terminal:
            out_console = Console(width=130)  # logs and pipes: no 80-column squeeze
        print_summary(res, out_console)
    click.echo(f"results written to {out_dir}/ ({res.metadata['events']:,} events, "
               f"{res.metadata['wall_time_s']:.1f} s, {res.metadata['events_per_s']:,.0f} events/s)")


@main.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--out", "out", type=click.Path(file_okay=False), default="results/compare", show_default=True,
              help="Folder for the comparison (each scenario's results go in a subfolder).")
@click.option("--seed", type=int, default=1, show_default=True, help="The same seed for every scenario.")
@click.option("--years", default=None, help="Simulated years START-END for every scenario.")
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE", help="Override a field in every scenario.")
@click.option("--route-flow", default="containers_cn_tr", show_default=True,
              help="The flow whose route split is plotted.")
@click.option("--no-plots", is_flag=True, help="Write tables only.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or table.")
def compare(scenarios, out, seed, years, overrides, route_flow, no_plots, quiet):
    """Run several SCENARIOS with the same seed and compare them side by side."""
    from .compare import compare as run_compare

    scns = [_load(p, overrides, years) for p in scenarios]
    names = [s.name for s in scns]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InputError(f"two scenarios share the name {', '.join(dupes)}; names must differ to be compared")
    console = Console(stderr=True)
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                  TimeElapsedColumn(), TimeRemainingColumn(), console=console, transient=True,
                  disable=quiet or not console.is_terminal) as bar:
        task = bar.add_task("scenarios", total=float(len(scns)))
        done = {n: 0.0 for n in names}

        def tick(name, frac):
            done[name] = frac
            bar.update(task, completed=sum(done.values()), description=f"{name}")
        cmp = run_compare(scns, seed=seed, progress=tick)
    known_flows = {f.id for s in scns for f in s.demand.flows}
    if route_flow not in known_flows:
        raise InputError(f"--route-flow: no flow '{route_flow}' in these scenarios (flows: {', '.join(sorted(known_flows))})")
    try:
        cmp.write(Path(out), plots=not no_plots, route_flow=route_flow)
    except OSError as exc:
        raise click.ClickException(f"cannot write results to {out}: {exc.strerror or exc}") from None
    if not quiet:
        c = Console() if Console().is_terminal else Console(width=160)
        t = Table(title=f"delivered Mt per year (seed {seed}, the same for every scenario)", title_justify="left")
        table = cmp.table()
        t.add_column("scenario")
        for col in table.columns:
            t.add_column(str(col), justify="right")
        for name, row in table.iterrows():
            t.add_row(name, *[f"{v:.2f}" if isinstance(v, float) else str(v) for v in row])
        c.print(t)
        last = cmp.binding[cmp.binding.year == cmp.binding.year.max()]
        for r in last.itertuples():
            what = f"{r.resource} ({r.utilization:.0%})" if r.binding else "nothing at or above 85%"
            c.print(f"  {r.scenario}: binding in {r.year}: {what}")
    click.echo(f"comparison written to {out}/")


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE", help=SET_HELP)
@click.option("--years", default=None, help="Check with these years START-END.")
def validate(scenario, overrides, years):
    """Check SCENARIO; list every error with its YAML path, or describe what it contains."""
    scn = _load(scenario, overrides, years)
    click.echo(f"{scenario}: valid")
    click.echo(describe(scn))


@main.command()
def schema():
    """Print the scenario file reference (Markdown), generated from the schema."""
    from .schema_doc import schema_markdown
    click.echo(schema_markdown(), nl=False)


def print_summary(res, console: Console) -> None:
    s = res.scenario
    t = Table(title=f"{s.name}: tonnes by flow and year (seed {res.seed})", title_justify="left")
    for col in ("year", "flow", "generated kt", "delivered kt", "backlog kt (end)", "in corridor kt (end)",
                "transit d mean", "transit d p95"):
        t.add_column(col, justify="left" if col in ("flow",) else "right")
    for _, r in res.annual.iterrows():
        t.add_row(str(r.year), r.flow, f"{r.tons_generated / 1e3:,.1f}", f"{r.tons_delivered / 1e3:,.1f}",
                  f"{r.tons_backlog / 1e3:,.1f}", f"{r.tons_in_system / 1e3:,.1f}",
                  _fmt(r.transit_days_mean), _fmt(r.transit_days_p95))
    for year, g in res.annual.groupby("year"):
        t.add_row(str(year), "[bold]all flows[/]", f"[bold]{g.tons_generated.sum() / 1e3:,.1f}[/]",
                  f"[bold]{g.tons_delivered.sum() / 1e3:,.1f}[/]", f"{g.tons_backlog.sum() / 1e3:,.1f}",
                  f"{g.tons_in_system.sum() / 1e3:,.1f}", "", "")
    console.print(t)
    b = busiest_resources(res.resources, 3)
    bt = Table(title="busiest resources (mean utilization over the years)", title_justify="left")
    for col in ("resource", "kind", "utilization", "mean queue"):
        bt.add_column(col, justify="left" if col in ("resource", "kind") else "right")
    for _, r in b.iterrows():
        q = "-" if r.mean_queue != r.mean_queue else f"{r.mean_queue:,.1f} {r.queue_unit}"
        bt.add_row(r.resource, r.kind, f"{r.utilization:.0%}", q)
    console.print(bt)
    goal = s.goal_mt_per_year
    mt = res.delivered_mt()
    console.print("delivered: " + ", ".join(f"{y} {v:.2f} Mt" for y, v in mt.items())
                  + f"  (goal {goal:g} Mt/yr)")


def _fmt(x) -> str:
    return "-" if x != x else f"{x:.1f}"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
