"""A shareable report: one self-contained HTML file (images embedded, no scripts, no network).

``build_report`` reads result folders (single runs, replicated runs, or a comparison folder) and
renders ``templates/report.html.j2`` (Jinja2, autoescaped): an executive summary first, then the
scenarios, results with their intervals, what binds, the map, per-scenario charts, the
bottleneck ranking and the sustainable capacity when given, every parameter with its source, and
the assumptions, written from the scenarios that were run (``assumptions``).

Memory stays bounded for large runs: each replication is read with only the tables the
statistics need (annual, resources, and the route split),
and the detail behind the map and the port charts (levels, sea lines, links) is read for one
replication at a time, drawn, and dropped.
"""

from __future__ import annotations

import base64
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import jinja2
import pandas as pd

from . import __version__, output
from .assumptions import assumptions
from .capacity import HEADROOM_COLUMNS, TRAJECTORY_COLUMNS
from .compare import case_of, compare_results, goal_table, scenario_files
from .display import pm
from .labels import resource_labels
from .output import ResultsFolderError
from .palette import CAPACITY_COLOR, CASE_COLORS, KIND_COLORS, scenario_colors
from .results import Results, _rows, load_results, replication_folders, scenario_of
from .scenario import Scenario

GENERATOR = "<meta name='generator' content='corridor-sim'>"  # how a report is recognised as ours

# what the statistics need from each replication (the rest stays on disk)
LIGHT_TABLES = ("annual", "resources", "interventions", "demand", "routes")
DETAIL_TABLES = ("resources", "links", "lines", "levels", "closures", "demand", "interventions")


@dataclass
class Source:
    """One scenario's runs on disk: where its replications are, and what it was run with."""

    scenario: Scenario
    folders: list[Path]

    @property
    def label(self) -> str:
        return self.scenario.label


def _png(fig, alt: str) -> dict:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=95)
    return {"alt": alt, "src": "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()}


def find_sources(folder: Path) -> list[Source]:
    """The scenarios in a single-run, replicated or comparison folder."""
    folder = Path(folder)
    if (folder / "comparison.json").exists():
        # in the comparison's own order, so every scenario keeps the colour the CLI's plots gave it
        subs = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
        listed = output.read_json(folder / "comparison.json", "comparison").get("scenarios", {})
        rank = {name: i for i, name in enumerate(listed)}
        subs.sort(key=lambda p: (rank.get(p.name, len(rank)), p.name))
        out = []
        for sub in subs:
            out += find_sources(sub)
        return out
    if (folder / "manifest.json").exists():
        reps = replication_folders(folder)
        if not reps:
            raise ResultsFolderError(
                f"{folder / 'replications'} holds no replication: the run finished none; complete it with --resume"
            )
        return [Source(scenario_of(folder), reps)]
    if not folder.is_dir():
        raise ResultsFolderError(f"{folder}: no such result folder")
    return [Source(scenario_of(folder), [folder])]


def _light(src: Source) -> list[Results]:
    """Each replication with only what the statistics need."""
    return [load_results(f, src.scenario, LIGHT_TABLES) for f in src.folders]


def _detail(src: Source) -> Results:
    return load_results(src.folders[0], src.scenario, DETAIL_TABLES)


def load_folder(folder: Path) -> dict[str, list[Results]]:
    """Scenario label -> its runs (every table), from a single-run, replicated or comparison folder."""
    return {s.label: [load_results(f, s.scenario) for f in s.folders] for s in find_sources(Path(folder))}


# ----------------------------------------------------------------------------------------------
# Readers for the analyses' folders
# ----------------------------------------------------------------------------------------------
RANKING_COLUMNS = ("year", "label", "kind", "delta_kt_mean", "delta_kt_ci_low", "delta_kt_ci_high")
CAPACITY_COLUMNS = ("year", "cargo", "capacity_mt", "capacity_mt_ci_low", "capacity_mt_ci_high", "binding")


def _read_csv(path: Path, what: str, columns) -> pd.DataFrame:
    try:
        t = pd.read_csv(path)
    except Exception as exc:
        raise ResultsFolderError(f"{path}: the {what} is damaged ({type(exc).__name__})") from None
    missing = [c for c in columns if c not in t.columns]
    if missing or not len(t):
        raise ResultsFolderError(f"{path}: the {what} is damaged (missing {', '.join(missing) or 'rows'})")
    return t


def _read_ranking(path: Path) -> pd.DataFrame:
    """A bottleneck ranking written by ``corridor-sim bottlenecks`` (ResultsFolderError if damaged)."""
    return _read_csv(path, "ranking", RANKING_COLUMNS)


def _folder_meta(folder: Path, key: str) -> dict:
    """The first JSON file in ``folder`` that holds ``key`` (the analyses write their settings
    beside their tables), or {}."""
    for path in sorted(folder.glob("*.json")):
        try:
            doc = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(doc, dict) and key in doc:
            return doc
    return {}


def read_appraisal(folder: Path) -> pd.DataFrame:
    """appraisal.csv of a ``corridor-sim appraise`` folder: one row per measure (APPRAISAL_COLUMNS)."""
    from .appraisal import APPRAISAL_COLUMNS

    path = Path(folder) / "appraisal.csv"
    if not path.exists():
        raise ResultsFolderError(f"{folder}: no appraisal.csv (give a folder written by `corridor-sim appraise`)")
    return _read_csv(path, "appraisal", APPRAISAL_COLUMNS)


def read_frontier(folder: Path) -> pd.DataFrame:
    """frontier.csv of a ``corridor-sim plan`` folder: one row per goal year (FRONTIER_COLUMNS)."""
    from .appraisal import FRONTIER_COLUMNS

    path = Path(folder) / "frontier.csv"
    if not path.exists():
        raise ResultsFolderError(f"{folder}: no frontier.csv (give a folder written by `corridor-sim plan`)")
    return _read_csv(path, "plan frontier", FRONTIER_COLUMNS)


def _money(v, fmt: str = "{:,.0f}") -> str:
    return "-" if v is None or v != v else fmt.format(v)


def cost_section(rep, name: str) -> dict | None:
    """The Cost and CO2 part of one scenario: the cost-by-route figure, a table per route of
    charges, time cost, p95 and CO2e per unit, and the documented alternatives (None when no route
    is priced)."""
    from . import plots
    from .kpi import route_costs

    if not plots.priced(rep):
        return None
    s = rep.scenario
    year = s.end_year
    rc = route_costs(plots.routes_of(rep), year)
    rc = rc[rc.charges_usd_per_unit.notna()]
    cargo = {f.id: f.cargo for f in s.demand.flows}
    rows = [
        [
            f"{r.flow} · {r.route}",
            s.cargo_classes[cargo[r.flow]].unit if r.flow in cargo else "",
            _money(r.charges_usd_per_unit),
            pm(r.time_cost_usd_per_unit, r.time_cost_usd_per_unit_ci_low, r.time_cost_usd_per_unit_ci_high, "{:,.0f}"),
            pm(r.cost_usd_per_unit_p95, r.cost_usd_per_unit_p95_ci_low, r.cost_usd_per_unit_p95_ci_high, "{:,.0f}"),
            _money(r.co2e_kg_per_unit),
        ]
        for r in _rows(rc)
    ]
    bench = [
        [
            b.label,
            s.cargo_classes[b.cargo].unit,
            f"{b.usd_per_unit_low:,.0f}–{b.usd_per_unit_high:,.0f}",
            b.scope,
            b.source,
        ]
        for b in (s.costs.benchmarks if s.costs is not None else [])
    ]
    figs = [_png(plots.cost_by_route(rep, year), f"door-to-door cost by route, {name} {year}")]
    if rc.co2e_kg_per_unit.notna().any():
        figs.append(_png(plots.co2_by_route(rep, year), f"CO2e by route, {name} {year}"))
    return {
        "name": name,
        "year": year,
        "currency_year": s.costs.currency_year if s.costs is not None else None,
        "charts": figs,
        "rows": rows,
        "benchmarks": bench,
    }


def read_capacity(folder: Path) -> pd.DataFrame:
    """capacity.csv of a ``corridor-sim capacity`` folder: one row per year and cargo class."""
    path = Path(folder) / "capacity.csv"
    if not path.exists():
        raise ResultsFolderError(f"{folder}: no capacity.csv (give a folder written by `corridor-sim capacity`)")
    return _read_csv(path, "capacity table", CAPACITY_COLUMNS)


def read_trajectory(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame | None] | None:
    """The capacity trajectory (capacity.csv with every ``TRAJECTORY_COLUMNS``) and its headroom
    (headroom.csv, when there) of a comparison or capacity folder; None when its capacity.csv is
    absent or of a single year's measurement without the trajectory's columns."""
    path = Path(folder) / "capacity.csv"
    if not path.exists():
        return None
    t = _read_csv(path, "capacity table", CAPACITY_COLUMNS)
    if not set(TRAJECTORY_COLUMNS) <= set(t.columns):
        return None
    h = Path(folder) / "headroom.csv"
    return t, (_read_csv(h, "headroom table", HEADROOM_COLUMNS) if h.exists() else None)


def _year_text(y, end: int) -> str:
    return f"not by {end}" if y is None or pd.isna(y) else str(int(y))


def goal_rows(cmp) -> dict:
    """The report's first table, from ``compare.goal_table``: per scenario file, the first year its
    capacity reaches the goal (a statement about capacity) and the first year delivered tonnes do
    under each demand case (about demand, and what of it is carried), and what binds the capacity."""
    g = goal_table(cmp)
    cases = [c.removeprefix("delivered_first_year_") for c in g.columns if c.startswith("delivered_first_year_")]
    rows = []
    for r in _rows(g):
        end = int(r.end_year)
        if "capacity_first_year" in g and pd.notna(r.capacity_mt):
            cap = _year_text(r.capacity_first_year, end)
            if pd.notna(r.capacity_first_year):
                cap += f" ({pm(r.capacity_mt, r.capacity_mt_ci_low, r.capacity_mt_ci_high)} Mt/yr)"
            low = _year_text(r.capacity_first_year_ci_low, end)
            bound = " · at the latest: an earlier year is a lower bound" if r.capacity_lower_bound else ""
            binds = f"{r.binding_label} ({int(r.binding_year)})" if isinstance(r.binding_label, str) else "-"
        else:
            cap, low, bound, binds = "not measured", "-", "", "-"
        delivered = []
        for c in cases:
            v = getattr(r, f"delivered_first_year_{c}")
            run = next(
                (n for n in scenario_files(cmp)[r.scenario] if cmp.results[n][0].scenario.demand_case == c), None
            )
            delivered.append(_year_text(v, end) if run is not None else "not compared")
        rows.append(
            {
                "scenario": r.scenario,
                "goal": f"{r.goal_mt:g} Mt/yr",
                "capacity": cap + bound,
                "capacity_low": low,
                "delivered": delivered,
                "binds": binds,
            }
        )
    return {"cases": cases, "rows": rows}


# ----------------------------------------------------------------------------------------------
# The executive summary: computed from the results
# ----------------------------------------------------------------------------------------------
def _spans(years_to_value: list[tuple[int, str]]) -> list[tuple[str, str]]:
    """[(2024, a), (2025, a), (2026, b)] -> [('2024–2025', a), ('2026', b)]."""
    out: list[list] = []
    for y, v in years_to_value:
        if out and out[-1][2] == v and out[-1][1] == y - 1:
            out[-1][1] = y
        else:
            out.append([y, y, v])
    return [(f"{a}" if a == b else f"{a}–{b}", v) for a, b, v in out]


def _first_capacity_year(cap: pd.DataFrame | None, goal: float) -> str | None:
    if cap is None:
        return None
    t = cap[cap.cargo == "all"].sort_values("year")
    if not len(t):
        return None
    hit = t[t.capacity_mt >= goal]
    years = f"{int(t.year.min())}" + (f"–{int(t.year.max())}" if t.year.nunique() > 1 else "")
    if len(hit):
        r = hit.iloc[0]
        return f"{int(r.year)} ({pm(r.capacity_mt, r.capacity_mt_ci_low, r.capacity_mt_ci_high)} Mt/yr)"
    best = t.loc[t.capacity_mt.idxmax()]  # type: ignore[call-overload]  # pandas-stubs: .loc takes no Hashable label
    high = pm(best.capacity_mt, best.capacity_mt_ci_low, best.capacity_mt_ci_high)
    return f"not in the years measured ({years}); highest {high} Mt/yr in {int(best.year)}"


def summary_rows(cmp, ranking: pd.DataFrame | None, capacity: dict[str, pd.DataFrame]) -> list[dict]:
    """Per scenario and demand case: the first year delivered tonnes reach the goal (with the share
    of replications), the first year capacity does (when measured), what binds, and the measures
    that matter (its timeline beyond the reference's, and the top of the ranking when given)."""
    names = list(cmp.results)
    ref = cmp.results[names[0]][0].scenario
    ref_ids = {iv.id for iv in ref.timeline}
    rows = []
    for n in names:
        s = cmp.results[n][0].scenario
        years = cmp.annual[cmp.annual.scenario == n].year
        first, last = int(years.min()), int(years.max())
        labels = resource_labels(s, cmp.binding[cmp.binding.scenario == n].resource.dropna())
        g = cmp.goal.set_index("scenario").loc[n]
        a = cmp.annual[cmp.annual.scenario == n].set_index("year")
        goal_year = cmp.goal_label(n)
        reps = len(cmp.results[n])
        reach = (
            f"{g.share_reaching_goal:.0%} of {reps} replications reach it by {last}"
            if reps > 1
            else ("reaches it" if g.share_reaching_goal else "does not reach it") + f" by {last} (one run: no interval)"
        )
        b = cmp.binding[cmp.binding.scenario == n].sort_values("year")
        seq = [(int(r.year), labels.get(r.resource, r.resource) if r.binding else "nothing") for r in b.itertuples()]
        binds = "; ".join(f"{span}: {what}" for span, what in _spans(seq))
        own = [iv for iv in sorted(s.timeline, key=lambda i: i.date) if iv.id not in ref_ids or n == names[0]]
        measures = [f"{iv.date:%Y-%m}: {iv.description}" for iv in own][:6]
        more = max(0, len(own) - 6)
        top = []
        if ranking is not None and "scenario" in ranking and str(ranking.scenario.iloc[0]) == n:
            for r in _rows(ranking.head(3)):
                top.append(
                    f"{r.label}: {pm(r.delta_kt_mean, r.delta_kt_ci_low, r.delta_kt_ci_high, '{:,.0f}')} kt "
                    f"in {int(r.year)}"
                )
        rows.append(
            {
                "name": n,
                "case": s.demand_case,
                "goal": s.goal_mt_per_year,
                "delivered_first": pm(
                    a.loc[first].delivered_mt, a.loc[first].delivered_mt_ci_low, a.loc[first].delivered_mt_ci_high
                ),
                "delivered_last": pm(
                    a.loc[last].delivered_mt, a.loc[last].delivered_mt_ci_low, a.loc[last].delivered_mt_ci_high
                ),
                "first": first,
                "last": last,
                "goal_year": goal_year,
                "reach": reach,
                # capacity is the scenario file's: each of its demand cases reads the same
                "capacity_year": _first_capacity_year(
                    capacity[n] if n in capacity else capacity.get(case_of(cmp, n)[0]), s.goal_mt_per_year
                ),
                "binds": binds,
                "measures": measures,
                "more_measures": more,
                "ranking": top,
            }
        )
    return rows


# ----------------------------------------------------------------------------------------------
# Tables
# ----------------------------------------------------------------------------------------------
def _results_table(cmp) -> dict:
    names = list(cmp.results)
    a = cmp.annual.set_index(["scenario", "year"])
    rows = []
    for y in sorted(cmp.annual.year.unique()):
        rows.append(
            [str(int(y))]
            + [
                pm(a.loc[(n, y)].delivered_mt, a.loc[(n, y)].delivered_mt_ci_low, a.loc[(n, y)].delivered_mt_ci_high)
                if (n, y) in a.index
                else "-"
                for n in names
            ]
        )
    return {"head": ["year", *names], "rows": rows}


def _days_table(cmp) -> dict:
    names = list(cmp.results)
    a = cmp.annual.set_index(["scenario", "year"])
    head = ["year"] + [f"{n}: {w}" for n in names for w in ("wait before entry", "in corridor")]
    rows = []
    for y in sorted(cmp.annual.year.unique()):
        row = [str(int(y))]
        for n in names:
            if (n, y) not in a.index:
                row += ["-", "-"]
                continue
            r = a.loc[(n, y)]
            row += [
                pm(r.entry_wait_days_mean, r.entry_wait_days_mean_ci_low, r.entry_wait_days_mean_ci_high, "{:.1f}"),
                pm(r.corridor_days_mean, r.corridor_days_mean_ci_low, r.corridor_days_mean_ci_high, "{:.1f}"),
            ]
        rows.append(row)
    return {"head": head, "rows": rows}


def _binding_table(cmp) -> dict:
    names = list(cmp.results)
    years = sorted(cmp.binding.year.unique())
    b = cmp.binding.set_index(["scenario", "year"])
    rows = []
    for n in names:
        s = cmp.results[n][0].scenario
        labels = resource_labels(s, cmp.binding[cmp.binding.scenario == n].resource.dropna())
        row = [n]
        for y in years:
            r = b.loc[(n, y)] if (n, y) in b.index else None
            if r is None:
                row.append("-")
            elif not bool(r.binding):
                row.append(f"none at or above {s.output.bottleneck_threshold:.0%}")
            else:
                share = f" ({r.share_of_replications:.0%})" if cmp.replications > 1 else ""
                row.append(f"{labels.get(r.resource, r.resource)}{share}")
        rows.append(row)
    return {"head": ["scenario", *[str(y) for y in years]], "rows": rows}


def _parameters(s: Scenario) -> list[dict]:
    """Every parameter with its source, section by section."""

    def t(title, rows):
        head = list(rows[0]) if rows else []
        return {"title": title, "head": head, "rows": [[_cell(r[h]) for h in head] for r in rows]}

    parts = [
        t(
            "Cargo classes",
            [
                {"class": k, "unit": c.unit, "t per unit": c.t_per_unit, "source": c.source}
                for k, c in s.cargo_classes.items()
            ],
        )
    ]
    parts.append(
        t(
            "Rail links and crossings",
            [
                {
                    "link": l.id,
                    "from": l.from_node,
                    "to": l.to_node,
                    "km": l.length_km,
                    "km/h": l.speed_kmh,
                    "paths/day": round(l.paths, 1) if l.paths is not None else None,
                    "track": _track_text(l.track),
                    "other trains/day": l.background_trains_per_day,
                    "crossing": (
                        f"{l.crossing.transshipment_tracks} x {l.crossing.transshipment_h:g} h, dwell "
                        f"{l.crossing.dwell_mean_h:g} h"
                        if l.crossing
                        else ""
                    ),
                    "source": l.source + (f" | crossing: {l.crossing.source}" if l.crossing else ""),
                }
                for l in s.rail_links
            ],
        )
    )
    rows = [
        {
            "port": p.id,
            "cargo": tm.cargo,
            "berths": tm.berths,
            "handling units/h": tm.handling_units_per_h,
            "yard units": tm.yard_capacity_units,
            "rail tracks": tm.rail_tracks,
            "source": tm.source,
        }
        for p in s.ports
        for tm in p.terminals
    ]
    rows += [
        {
            "port": p.id,
            "cargo": "(storms)",
            "berths": "",
            "handling units/h": "",
            "yard units": "",
            "rail tracks": "",
            "source": p.weather.source,
        }
        for p in s.ports
    ]
    parts.append(t("Ports", rows))
    rows = [
        {
            "line": l.id,
            "cargo": l.cargo,
            "sea h": l.crossing_h,
            "vessels": f"{v.count} x {v.capacity_units:g}",
            "group": v.name or v.id,
            "source": v.source,
        }
        for l in s.sea_lines
        for v in l.vessels
    ]
    if s.caspian:
        c = s.caspian
        rows.append(
            {
                "line": "(sea level)",
                "cargo": "",
                "sea h": "",
                "vessels": f"load factor {c.load_factor:g}",
                "group": f"-{c.sea_level_decline_cm_per_year:g} cm/yr, {c.load_factor_loss_per_10cm:g} per 10 cm",
                "source": c.source,
            }
        )
    parts.append(t("Fleet and the sea", rows))
    parts.append(
        t(
            "Demand",
            [
                {
                    "flow": f.id,
                    "cargo": f.cargo,
                    "Mt/yr (base year)": f.tons_per_year * s.demand.scale / 1e6,
                    "growth %/yr": f.growth_pct_per_year,
                    "responds": "yes" if f.response else "no",
                    "source": f.source + (f" | response: {f.response.source}" if f.response else ""),
                }
                for f in s.demand.flows
            ],
        )
    )
    return parts


def _cell(v) -> str:
    if isinstance(v, float):
        return "" if v != v else f"{v:,.3g}" if abs(v) < 1000 else f"{v:,.0f}"
    return "" if v is None else str(v)


def _marked_assumptions(s: Scenario) -> list[list[str]]:
    """Every place where the scenario's own source says 'assumption'."""
    rows = []

    def walk(node, path):
        if isinstance(node, dict):
            src = node.get("source")
            if isinstance(src, str) and "assumption" in src.lower():
                rows.append([path or "(top)", src])
            for k, v in node.items():
                if k != "source":
                    walk(v, f"{path}.{k}" if path else k)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                key = (v.get("id") or v.get("cargo")) if isinstance(v, dict) else None
                walk(v, f"{path}.{key or i}")

    walk(s.to_dict(), "")
    return rows


def _assumption_groups(scenarios: dict[str, Scenario]) -> list[dict]:
    """One list when every scenario states the same; otherwise the shared statements once and each
    scenario's own after them."""
    lists = {n: assumptions(s) for n, s in scenarios.items()}
    common = [a for a in next(iter(lists.values())) if all(a in v for v in lists.values())]
    groups = [{"title": "Every scenario" if len(lists) > 1 else next(iter(lists)), "items": common}]
    for n, v in lists.items():
        own = [a for a in v if a not in common]
        if own:
            groups.append({"title": n, "items": own})
    return groups


def _route_opening_years(res: Results) -> list[int]:
    """Years just before and after a route opens (for the map), if the timeline opens one."""
    s = res.scenario
    for iv in sorted(s.timeline, key=lambda i: i.date):
        if any(str(k).endswith(".open") for k in iv.set):
            return [y for y in (iv.date.year - 1, iv.date.year + 1) if s.start_year <= y <= s.end_year]
    return []


# ----------------------------------------------------------------------------------------------
# Building
# ----------------------------------------------------------------------------------------------
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("corridor_sim", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


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
    comparison run with ``--demand-case all`` holds every case). ``capacity`` folders (from
    ``corridor-sim capacity``) give the year capacity reaches the goal; an ``appraisal`` folder
    (appraisal.csv) the measures' cost-effectiveness, a ``plan`` folder (frontier.csv) the cost of
    the cheapest plan by goal year."""
    from . import plots
    from .replicated import Replicated

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
    light = {n: _light(s) for n, s in sources.items()}
    cmp = compare_results(light)
    names = list(cmp.results)
    ranking = None
    if bottlenecks is not None:
        path = Path(bottlenecks) / "bottlenecks.csv"
        if not path.exists():
            raise ResultsFolderError(
                f"{bottlenecks}: no bottlenecks.csv (give a folder written by `corridor-sim bottlenecks`)"
            )
        ranking = _read_ranking(path)
    caps: dict[str, pd.DataFrame] = {}
    for d in capacity or []:
        t = read_capacity(Path(d))
        who = str(t.scenario.iloc[0]) if "scenario" in t else (names[0] if len(names) == 1 else None)
        if who is None:
            raise ResultsFolderError(
                f"{d}/capacity.csv does not say which scenario it measured (no 'scenario' "
                "column) and the report has several; re-run `corridor-sim capacity`"
            )
        caps[who] = pd.concat([caps[who], t]) if who in caps else t
    # capacity trajectories: a comparison's own (compare --capacity), and capacity folders in their
    # format; each scenario file's once, whichever folder brought it
    trajs: list[pd.DataFrame] = []
    heads: list[pd.DataFrame] = []
    for d in [*folders, *(capacity or [])]:
        pair = read_trajectory(Path(d))
        if pair is not None:
            trajs.append(pair[0])
            if pair[1] is not None:
                heads.append(pair[1])
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

    colors = scenario_colors(names)
    scen = {n: cmp.results[n][0].scenario for n in names}
    nrep = cmp.replications
    figures = {
        "tons": _png(plots.compare_tons(cmp), "cargo delivered by scenario against the goal"),
        "days": _png(plots.compare_transit(cmp), "days in the corridor and the wait before entry"),
        "binds": _png(plots.compare_bottlenecks(cmp), "what binds by scenario and year"),
    }
    capacity_charts = []
    if cmp.capacity is not None:
        from .compare import case_series

        series = case_series(cmp)
        for name, runs in scenario_files(cmp).items():
            if not (cmp.capacity.scenario == name).any():
                continue
            central = next((r for r in runs if scen[r].demand_case == "central"), runs[0])
            charts = [
                _png(
                    plots.plot_capacity_demand(scen[central], cmp.capacity, series[series.scenario == name], nrep),
                    f"capacity and demand by year, {name}",
                )
            ]
            if cmp.headroom is not None and (cmp.headroom.scenario == name).any():
                year = plots.capacity_year(cmp, name)
                charts.append(
                    _png(
                        plots.plot_headroom(cmp.headroom, year, scen[central], cmp.capacity), f"headroom {name} {year}"
                    )
                )
            capacity_charts.append({"name": name, "charts": charts})
    flow = plots.route_flow(cmp)
    if flow and any(len(scen[n].flow(flow).routes) > 1 for n in names if flow in {f.id for f in scen[n].demand.flows}):
        figures["routes"] = _png(plots.compare_routes(cmp, flow), f"route split of {flow}")
    maps, per_scenario = [], []
    for n in names:
        rep = Replicated(scen[n], cmp.results[n][0].seed, cmp.results[n])
        charts = [
            _png(plots.utilization_by_year(rep), f"utilization by year, {n}"),
            _png(plots.transit_by_year(rep), f"days by flow and year, {n}"),
        ]
        detail = _detail(sources[n])  # one replication's detail at a time
        charts.append(_png(plots.port_levels(detail), f"port yards and queues, {n}"))
        for y in _route_opening_years(detail) or [scen[n].end_year]:
            maps.append({"title": f"{n}, {y}", "img": _png(plots.corridor_map(detail, y), f"corridor map {n} {y}")})
        del detail
        per_scenario.append({"name": n, "charts": charts, "first_seed": cmp.results[n][0].seed})
    costs = [
        c for c in (cost_section(Replicated(scen[n], cmp.results[n][0].seed, cmp.results[n]), n) for n in names) if c
    ]
    measures = None
    if appraisal is not None:
        table = read_appraisal(Path(appraisal))
        meta = _folder_meta(Path(appraisal), "replications")
        label = " · ".join(
            str(x)
            for x in (
                meta.get("scenario", Path(appraisal).name),
                meta.get("replications") and f"{meta['replications']} replications",
            )
            if x
        )
        measures = {
            "label": label,
            "img": _png(plots.measures_ranking(table, label), "measures by capex per tonne of capacity added"),
            "rows": [
                [
                    str(r.measure),
                    _money(r.capex_musd),
                    pm(r.capacity_added_mt, r.capacity_added_mt_ci_low, r.capacity_added_mt_ci_high),
                    pm(r.usd_per_t_capacity, r.usd_per_t_capacity_ci_low, r.usd_per_t_capacity_ci_high, "{:,.0f}"),
                    pm(r.bcr, r.bcr_ci_low, r.bcr_ci_high),
                    str(r.note) if isinstance(r.note, str) else "",
                ]
                for r in _rows(table)
            ],
        }
    frontier = None
    if plan is not None:
        ft = read_frontier(Path(plan))
        meta = _folder_meta(Path(plan), "goal_mt_per_year")
        goal = float(meta.get("goal_mt_per_year", scen[names[0]].goal_mt_per_year))
        label = str(meta.get("scenario", Path(plan).name))
        frontier = {
            "label": label,
            "goal": goal,
            "img": _png(plots.plan_frontier(ft, goal, label), "cost of the cheapest plan by goal year"),
            "rows": [
                [
                    str(int(r.by)),
                    "yes" if bool(r.reached) else "no",
                    _money(r.capex_musd),
                    _money(r.pv_cost_musd),
                    pm(r.capacity_mt, r.capacity_mt_ci_low, r.capacity_mt_ci_high),
                    str(r.measures) if isinstance(r.measures, str) else "",
                ]
                for r in _rows(ft.sort_values("by"))
            ],
        }
    rank = None
    if ranking is not None:
        rank = {
            "scenario": str(ranking.scenario.iloc[0]) if "scenario" in ranking else "not recorded",
            "year": int(ranking.year.iloc[0]),
            "replications": int(ranking.replications.iloc[0]) if "replications" in ranking else None,
            "img": _png(plots.bottleneck_ranking(ranking), "bottleneck ranking"),
            "rows": [
                [r.label, r.kind, pm(r.delta_kt_mean, r.delta_kt_ci_low, r.delta_kt_ci_high, "{:,.0f}")]
                for r in ranking.head(12).itertuples()
            ],
        }
    cap_tables = [
        {
            "scenario": who,
            "rows": [
                [
                    str(int(r.year)),
                    str(r.cargo),
                    pm(r.capacity_mt, r.capacity_mt_ci_low, r.capacity_mt_ci_high),
                    str(r.binding_label if "binding_label" in t and isinstance(r.binding_label, str) else r.binding),
                ]
                for r in _rows(t.sort_values(["year", "cargo"]))
            ],
        }
        for who, t in caps.items()
    ]
    context = {
        "title": title or ("Corridor capacity: " + (", ".join(names) if len(names) < 6 else f"{len(names)} scenarios")),
        "generator": GENERATOR,
        "version": __version__,
        "made": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "names": names,
        "nrep": nrep,
        "seeds": ", ".join(str(x) for x in cmp.meta.get("seeds", [])),
        "years": f"{int(cmp.annual.year.min())}–{int(cmp.annual.year.max())}",
        "colors": colors,
        "kind_colors": KIND_COLORS,
        "tag_colors": {"capacity": CAPACITY_COLOR, "demand": CASE_COLORS["central"]},
        "summary": summary_rows(cmp, ranking, caps),
        "goal": goal_rows(cmp) if cmp.capacity is not None else None,
        "capacity_charts": capacity_charts,
        "scenarios": [
            {
                "name": n,
                "s": scen[n],
                "reps": len(cmp.results[n]),
                "case": next((c.description for c in scen[n].demand_cases if c.id == scen[n].demand_case), ""),
                "timeline": [
                    [str(iv.date), iv.id, iv.description, iv.source]
                    for iv in sorted(scen[n].timeline, key=lambda i: i.date)
                ],
            }
            for n in names
        ],
        "results": _results_table(cmp),
        "days": _days_table(cmp),
        "binding": _binding_table(cmp),
        "figures": figures,
        "maps": maps,
        "per_scenario": per_scenario,
        "ranking": rank,
        "costs": costs,
        "measures": measures,
        "frontier": frontier,
        "capacity": cap_tables,
        "parameters": [{"name": n, "parts": _parameters(scen[n])} for n in names],
        "assumptions": _assumption_groups(scen),
        "marked": {"name": names[0], "rows": _marked_assumptions(scen[names[0]])},
        "threshold": scen[names[0]].output.bottleneck_threshold,
    }
    return _env().get_template("report.html.j2").render(**context)


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


def _track_text(track) -> str:
    """A link's track in a few words: '1 track, loops every 38 km' or '2 tracks, 12 min headway'."""
    if track is None:
        return ""
    if track.tracks >= 2:
        return f"2 tracks, {track.headway_min:g} min headway"
    where = f"loops every {track.loop_spacing_km:g} km" if track.loop_spacing_km is not None else f"{track.loops} loops"
    return f"1 track, {where}"
