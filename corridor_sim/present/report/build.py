"""A shareable report: one self-contained HTML file (images embedded, no scripts, no network).

``build_report`` reads result folders (single runs, replicated runs, or a comparison folder) and
the analyses' folders, and renders ``templates/report.html.j2`` (Jinja2, autoescaped): an
executive summary first, then the scenarios, results with their intervals, what binds, the map,
per-scenario charts, cost and CO2, the bottleneck ranking and the sustainable capacity when
given, every parameter with its source, and the assumptions, written from the scenarios that were
run (``present.assumptions``). Each part is built in its own module: the folders read
(``sources``), the summary (``summary``), the tables (``tables``), the sections that draw
(``sections``); here they are put together.
"""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import jinja2
import pandas as pd

from ..._version import __version__
from ...analyses.appraisal import Appraisal
from ...analyses.bottlenecks import Ranking
from ...analyses.capacity import CapacityEstimate
from ...analyses.plan import read_frontier
from ...experiments.comparison import Comparison, compare_results, scenario_files
from ...experiments.replicated import Replicated
from ...run import output
from ...run.output import ResultsFolderError
from ..palette import CAPACITY_COLOR, CASE_COLORS, COST_COLOR, KIND_COLORS, scenario_colors
from .findings import findings
from .sections import (
    capacity_charts,
    capacity_tables,
    comparison_figures,
    cost_section,
    frontier_section,
    measures_section,
    ranking_section,
    scenario_charts,
)
from .sources import Source, find_sources
from .summary import goal_rows, summary_rows
from .tables import (
    assumption_groups,
    binding_table,
    days_table,
    marked_assumptions,
    parameters,
    results_table,
    tonnes_table,
)

GENERATOR = "<meta name='generator' content='corridor-sim'>"  # how a report is recognised as ours


@cache
def source_commit() -> str:
    """The git commit of the corridor-sim source this report was made with, when it runs from a
    clone; else 'not recorded' (an installed package carries no commit)."""
    here = Path(__file__).resolve().parents[3]
    if not (here / ".git").exists():
        return "not recorded (not run from a clone)"
    try:
        out = subprocess.run(
            ["git", "-C", str(here), "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return "not recorded (git not available)"
    dirty = subprocess.run(
        ["git", "-C", str(here), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        timeout=10,
    ).stdout.strip()
    return (out.stdout.strip() + (" with local changes" if dirty else "")) if out.returncode == 0 else "not recorded"


def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("corridor_sim.present.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _sources(folders: list[str | Path], demand_case: str | None) -> dict[str, Source]:
    """Every scenario in the folders by its label, only those of ``demand_case`` when given."""
    sources: dict[str, Source] = {}
    for f in folders:
        for src in find_sources(Path(f)):
            sources[src.label] = src
    if not sources:
        raise ValueError("no results found in the folders given")
    if demand_case is not None:
        found = sorted({s.scenario.demand_case for s in sources.values()})
        sources = {n: s for n, s in sources.items() if s.scenario.demand_case == demand_case}
        if not sources:
            raise ValueError(
                f"no run in these folders was made under demand case '{demand_case}' (cases found: {', '.join(found)})"
            )
    return sources


def _capacity_tables(capacity: list[str | Path], names: list[str]) -> dict[str, pd.DataFrame]:
    """The capacity folders' tables by the scenario each measured."""
    caps: dict[str, pd.DataFrame] = {}
    for d in capacity:
        t = CapacityEstimate.read(d).trajectory
        who = str(t.scenario.iloc[0]) if "scenario" in t else (names[0] if len(names) == 1 else None)
        if who is None:
            raise ResultsFolderError(
                f"{d}/capacity.csv does not say which scenario it measured (no 'scenario' "
                "column) and the report has several; re-run `corridor-sim capacity`"
            )
        caps[who] = pd.concat([caps[who], t]) if who in caps else t
    return caps


def _add_capacity(cmp: Comparison, folders: list[str | Path], caps: dict[str, pd.DataFrame]) -> None:
    """The capacity trajectories and headroom of the compared scenario files: a comparison's own
    (compare --capacity), and capacity folders in their format; each file's once, whichever folder
    brought it. Measured files' trajectories also join the capacity section's tables."""
    trajs: list[pd.DataFrame] = []
    heads: list[pd.DataFrame] = []
    for d in folders:
        if not (Path(d) / "capacity.csv").exists():
            continue
        est = CapacityEstimate.read(d)
        if est.has_trajectory:
            trajs.append(est.trajectory)
            if len(est.headroom):
                heads.append(est.headroom)
    files = set(scenario_files(cmp))
    if trajs:
        traj = pd.concat(trajs, ignore_index=True).drop_duplicates(["scenario", "year", "cargo"])
        cmp.capacity = traj[traj.scenario.isin(files)] if traj.scenario.isin(files).any() else None
    if heads and cmp.capacity is not None:
        head = pd.concat(heads, ignore_index=True).drop_duplicates(["scenario", "year", "resource"])
        cmp.headroom = head[head.scenario.isin(files)]
    if cmp.capacity is not None:
        measured: pd.DataFrame = cmp.capacity
        for who in sorted(set(measured.scenario)):
            if who not in caps:  # also in the capacity section's tables
                caps[who] = measured[measured.scenario == who]


def build_report(
    folders: list[str | Path],
    bottlenecks: str | Path | None = None,
    title: str | None = None,
    demand_case: str | None = None,
    capacity: list[str | Path] | None = None,
    appraisal: str | Path | None = None,
    plan: str | Path | None = None,
) -> str:
    """The report's HTML. With ``demand_case``, only the runs made under that demand case (a
    comparison run with ``--demand-case all`` holds every case). A ``bottlenecks`` folder (a
    ``Ranking``) gives the ranking; ``capacity`` folders (``CapacityEstimate``) the year capacity
    reaches the goal; an ``appraisal`` folder (``Appraisal``) the measures' cost-effectiveness, a
    ``plan`` folder with a frontier (``Plan``) the cost of the cheapest plan by goal year. Every
    folder may come from the command line or from the Python API alike."""
    sources = _sources(folders, demand_case)
    cmp = compare_results({n: s.light() for n, s in sources.items()})
    names = list(cmp.results)
    ranking = Ranking.read(bottlenecks) if bottlenecks is not None else None
    caps = _capacity_tables(capacity or [], names)
    _add_capacity(cmp, [*folders, *(capacity or [])], caps)
    scen = {n: cmp.results[n][0].scenario for n in names}
    maps, per_scenario = scenario_charts(cmp, scen, sources)
    appraised = Appraisal.read(appraisal) if appraisal is not None else None
    frontier = None
    if plan is not None:
        ft, goal, _ = read_frontier(plan)
        frontier = (ft, scen[names[0]].goal_mt_per_year if goal is None else goal)
    context = {
        "title": title or ("Corridor capacity: " + (", ".join(names) if len(names) < 6 else f"{len(names)} scenarios")),
        "generator": GENERATOR,
        "version": __version__,
        "commit": source_commit(),
        "made": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "names": names,
        "nrep": cmp.replications,
        "seeds": ", ".join(str(x) for x in cmp.meta.get("seeds", [])),
        "years": f"{int(cmp.annual.year.min())}–{int(cmp.annual.year.max())}",
        "colors": scenario_colors(names),
        "kind_colors": KIND_COLORS,
        "tag_colors": {"capacity": CAPACITY_COLOR, "demand": CASE_COLORS["central"], "cost": COST_COLOR},
        "findings": findings(cmp, caps, ranking, appraised, frontier),
        "summary": summary_rows(cmp, None if ranking is None else ranking.table, caps),
        "goal": goal_rows(cmp) if cmp.capacity is not None else None,
        "capacity_charts": capacity_charts(cmp, scen),
        "scenarios": [_scenario_part(n, scen[n], len(cmp.results[n])) for n in names],
        "results": results_table(cmp),
        "tonnes": tonnes_table(cmp),
        "days": days_table(cmp),
        "binding": binding_table(cmp),
        "figures": comparison_figures(cmp, scen),
        "maps": maps,
        "per_scenario": per_scenario,
        "ranking": ranking_section(ranking) if ranking is not None else None,
        "costs": [
            c for n in names if (c := cost_section(Replicated(scen[n], cmp.results[n][0].seed, cmp.results[n]), n))
        ],
        "measures": measures_section(appraisal) if appraisal is not None else None,
        "frontier": frontier_section(plan, scen[names[0]].goal_mt_per_year) if plan is not None else None,
        "capacity": capacity_tables(caps),
        "parameters": [{"name": n, "parts": parameters(scen[n])} for n in names],
        "assumptions": assumption_groups(scen),
        "marked": {"name": names[0], "rows": marked_assumptions(scen[names[0]])},
        "threshold": scen[names[0]].output.bottleneck_threshold,
    }
    return _env().get_template("report.html.j2").render(**context)


def _scenario_part(name: str, s, reps: int) -> dict:
    """One scenario in the Scenarios section: its description, demand case and timeline."""
    return {
        "name": name,
        "s": s,
        "reps": reps,
        "case": next((c.description for c in s.demand_cases if c.id == s.demand_case), ""),
        "timeline": [
            [str(iv.date), iv.id, iv.description, iv.source] for iv in sorted(s.timeline, key=lambda i: i.date)
        ],
    }


def write_report(
    folders: list[str | Path],
    out: str | Path,
    bottlenecks: str | Path | None = None,
    title: str | None = None,
    overwrite: bool = False,
    demand_case: str | None = None,
    capacity: list[str | Path] | None = None,
    appraisal: str | Path | None = None,
    plan: str | Path | None = None,
) -> Path:
    """Build the report and write it to ``out`` atomically. An existing report is replaced only
    with ``overwrite``; any other existing file never is (``output.claim_file``)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    output.claim_file(out, signature=GENERATOR.encode(), overwrite=overwrite)
    text = build_report(folders, bottlenecks, title, demand_case, capacity, appraisal, plan)
    output.write_text(out, text)
    return out
