"""A shareable report: one self-contained HTML file (images embedded, no scripts, no network).

``build_report`` reads result folders (single runs, replicated runs, or a comparison folder) and
lays out the scenario descriptions, the comparison table, the plots and the corridor map, what
binds, the bottleneck ranking (from a ``corridor-sim bottlenecks`` folder), every parameter with
its source, and the model's assumptions.
"""
from __future__ import annotations

import base64
import html
import io
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from . import __version__
from .compare import compare_results
from . import output
from .output import ResultsFolderError
from .results import Results, load_results, open_results, replication_folders, scenario_of
from .scenario import Scenario

ASSUMPTIONS = [
    "Westbound loaded traffic only: eastbound empties and return cargo are not tracked; their port time is in each "
    "terminal's berth_fixed_h.",
    "Cargo moves as consignments (a ~100-TEU container train, a 55-wagon train, a day of pipeline crude); vessels and "
    "onward trains may take part of one.",
    "Rail capacity is a path headway (24 h / paths per day); non-corridor trains take paths as a Poisson stream "
    "(background traffic, an assumption on every link).",
    "Border and gauge-change crossings: exchange cap, transshipment servers, lognormal document dwell (ADB CPMM means).",
    "Ports block: a train unloads only into yard space for all of it; ships unloading into a full yard wait at berth.",
    "Ships sail when filled to a share of capacity x draft load factor, or after a maximum wait; no ship leaves or "
    "berths at a closed port; storm closures follow a seasonal profile (~50% of Nov-Dec at Kuryk).",
    "The usable load factor falls with the Caspian (20 cm/yr, 3 points per 10 cm), both documented assumptions.",
    "Demand: each flow's documented path (2024 and 2025 volumes, signed oil agreements) then trend growth by demand "
    "case (low / central / high), times a response to tariffs (elasticity -0.8) and transit time (+5.2% per day "
    "saved, EDB), adjusting half-way each year; routes split by a logit on tariff + value of time x expected days "
    "(Little's law over the year just ended). Shippers who would wait past their patience send the cargo another "
    "way (counted as diverted).",
    "No tonne is lost: cargo waits as backlog or is counted as diverted; stocks are summed from the live consignments.",
    "'What binds' in a year: among resources at or above 85% utilization, the one where cargo waits longest.",
]

GENERATOR = "<meta name='generator' content='corridor-sim'>"   # how a report is recognised as ours

CSS = """
body{font-family:DejaVu Sans,Arial,sans-serif;margin:0;color:#1a1a1a;background:#fafafa}
main{max-width:1180px;margin:0 auto;padding:24px 32px;background:white}
h1{font-size:26px;margin:0 0 4px} h2{font-size:20px;border-bottom:2px solid #1f77b4;padding-bottom:4px;margin-top:36px}
h3{font-size:16px;margin:22px 0 8px} p.meta{color:#555;margin:0 0 16px}
table{border-collapse:collapse;font-size:13px;margin:8px 0 16px} th,td{border:1px solid #ddd;padding:4px 8px;text-align:right}
th{background:#eef3f9} td.l,th.l{text-align:left} img{max-width:100%;height:auto;border:1px solid #eee;margin:6px 0}
details{margin:6px 0 10px} summary{cursor:pointer;font-weight:bold} .note{color:#555;font-size:13px}
nav a{margin-right:14px} code{background:#f2f2f2;padding:1px 4px}
"""


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=95)
    return f'<img alt="figure" src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}">'


def _table(df: pd.DataFrame, left: tuple = (), digits: int = 2) -> str:
    cols = list(df.columns)
    head = "".join(f'<th class="{"l" if c in left else ""}">{html.escape(str(c))}</th>' for c in cols)
    rows = []
    for _, r in df.iterrows():
        cells = []
        for c in cols:
            v = r[c]
            if isinstance(v, float):
                text = "" if v != v else f"{v:,.{digits}f}"
            else:
                text = "" if v is None else str(v)
            cells.append(f'<td class="{"l" if c in left else ""}">{html.escape(text)}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def load_folder(folder: Path) -> dict[str, list[Results]]:
    """Scenario name -> its runs, from a single-run, replicated or comparison folder."""
    folder = Path(folder)
    if (folder / "comparison.json").exists():
        out = {}
        for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
            out.update(load_folder(sub))
        return out
    if (folder / "manifest.json").exists():
        scn = scenario_of(folder)
        reps = replication_folders(folder)
        if not reps:
            raise ResultsFolderError(f"{folder / 'replications'} holds no replication: the run finished none; "
                                     "complete it with --resume")
        return {scn.name: [load_results(r, scn) for r in reps]}
    res = open_results(folder)
    return {res.scenario.name: [res]}


def _parameters(s: Scenario) -> str:
    """Every parameter with its source, section by section (collapsed)."""
    parts = []
    rows = [{"class": k, "unit": c.unit, "t per unit": c.t_per_unit, "source": c.source} for k, c in s.cargo_classes.items()]
    parts.append(("Cargo classes", pd.DataFrame(rows), ("class", "unit", "source")))
    rows = [{"link": l.id, "from": l.from_node, "to": l.to_node, "km": l.length_km, "km/h": l.speed_kmh,
             "paths/day": l.paths_per_day, "other trains/day": l.background_trains_per_day,
             "crossing": (f"{l.crossing.transshipment_tracks} x {l.crossing.transshipment_h:g} h, dwell "
                          f"{l.crossing.dwell_mean_h:g} h" if l.crossing else ""),
             "source": l.source + (f" | crossing: {l.crossing.source}" if l.crossing else "")} for l in s.rail_links]
    parts.append(("Rail links and crossings", pd.DataFrame(rows), ("link", "from", "to", "crossing", "source")))
    rows = [{"port": p.id, "cargo": t.cargo, "berths": t.berths, "handling units/h": t.handling_units_per_h,
             "yard units": t.yard_capacity_units, "rail tracks": t.rail_tracks, "source": t.source}
            for p in s.ports for t in p.terminals]
    rows += [{"port": p.id, "cargo": "(storms)", "source": p.weather.source} for p in s.ports]
    parts.append(("Ports", pd.DataFrame(rows), ("port", "cargo", "source")))
    rows = [{"line": l.id, "cargo": l.cargo, "sea h": l.crossing_h, "vessels": f"{v.count} x {v.capacity_units:g}",
             "group": v.id, "source": v.source} for l in s.sea_lines for v in l.vessels]
    if s.caspian:
        rows.append({"line": "(Caspian)", "cargo": "", "vessels": f"load factor {s.caspian.load_factor:g}",
                     "group": f"-{s.caspian.sea_level_decline_cm_per_year:g} cm/yr", "source": s.caspian.source})
    parts.append(("Fleet and the Caspian", pd.DataFrame(rows), ("line", "cargo", "vessels", "group", "source")))
    rows = [{"flow": f.id, "cargo": f.cargo, "Mt/yr (base year)": f.tons_per_year / 1e6, "growth %/yr": f.growth_pct_per_year,
             "responds": "yes" if f.response else "no", "source": f.source
             + (f" | response: {f.response.source}" if f.response else "")} for f in s.demand.flows]
    parts.append(("Demand", pd.DataFrame(rows), ("flow", "cargo", "responds", "source")))
    out = []
    for title, df, left in parts:
        out.append(f"<details><summary>{html.escape(title)} ({len(df)})</summary>{_table(df, left, 2)}</details>")
    return "".join(out)


def _assumption_rows(s: Scenario) -> pd.DataFrame:
    rows = []
    d = s.to_dict()

    def walk(node, path):
        if isinstance(node, dict):
            src = node.get("source")
            if isinstance(src, str) and "assumption" in src.lower():
                rows.append({"where": path or "(top)", "stated source / reason": src})
            for k, v in node.items():
                if k != "source":
                    walk(v, f"{path}.{k}" if path else k)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                key = v.get("id") or v.get("cargo") if isinstance(v, dict) else None
                walk(v, f"{path}.{key or i}")
    walk(d, "")
    return pd.DataFrame(rows)


def _route_opening_years(runs: list[Results]) -> list[int]:
    """Years just before and after a route opens (for the map), if the timeline opens one."""
    iv = runs[0].interventions
    if iv is None or len(iv) == 0:
        return []
    s = runs[0].scenario
    for _, row in iv.iterrows():
        changes = row["set"] if isinstance(row["set"], dict) else {}
        if isinstance(row["set"], str):
            changes = {k: None for k in row["set"].split("'") if k.endswith(".open")}
        if any(str(k).endswith(".open") for k in changes):
            y = int(str(row["date"])[:4])
            years = [y - 1, y + 1]
            return [x for x in years if s.start_year <= x <= s.end_year]
    return []


RANKING_COLUMNS = ("year", "label", "kind", "delta_kt_mean", "delta_kt_ci_low", "delta_kt_ci_high")


def _read_ranking(path: Path) -> pd.DataFrame:
    """A bottleneck ranking written by ``corridor-sim bottlenecks`` (ResultsFolderError if damaged)."""
    try:
        t = pd.read_csv(path)
    except Exception as exc:  # noqa: BLE001 - pandas raises many kinds for a damaged file
        raise ResultsFolderError(f"{path}: the ranking is damaged ({type(exc).__name__})") from None
    missing = [c for c in RANKING_COLUMNS if c not in t.columns]
    if missing or not len(t):
        raise ResultsFolderError(f"{path}: the ranking is damaged (missing {', '.join(missing) or 'rows'})")
    return t


def build_report(folders: list[str | Path], bottlenecks: str | Path | None = None, title: str | None = None,
                 demand_case: str | None = None) -> str:
    """The report's HTML. With ``demand_case``, only the runs made under that demand case (a
    comparison run with ``--demand-case all`` holds every case)."""
    from . import plots

    runs: dict[str, list[Results]] = {}
    for f in folders:
        runs.update(load_folder(Path(f)))
    if not runs:
        raise ValueError("no results found in the folders given")
    if demand_case is not None:
        found = sorted({rs[0].scenario.demand_case for rs in runs.values()})
        runs = {n: rs for n, rs in runs.items() if rs[0].scenario.demand_case == demand_case}
        if not runs:
            raise ValueError(f"no run in these folders was made under demand case '{demand_case}' "
                             f"(cases found: {', '.join(found)})")
    cmp = compare_results(runs)
    names = list(runs)
    nrep = cmp.replications
    title = title or "Middle Corridor capacity: " + ", ".join(names)
    made = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    sec = []
    nav = ["scenarios", "results", "binds", "map", "plots", "ranking", "sources", "assumptions"]
    labels = ["Scenarios", "Results", "What binds", "Corridor map", "Plots", "Bottleneck ranking",
              "Parameters and sources", "Assumptions"]
    sec.append(f"<h1>{html.escape(title)}</h1><p class='meta'>corridor-sim {__version__} · generated {made} · "
               f"{len(names)} scenario(s) · {nrep} replication(s) each, seeds {html.escape(str(cmp.meta.get('seeds')))}"
               " (the same for every scenario)</p>")
    sec.append("<nav>" + "".join(f'<a href="#{a}">{l}</a>' for a, l in zip(nav, labels)) + "</nav>")

    # scenarios
    parts = ['<h2 id="scenarios">Scenarios</h2>']
    for n, rs in runs.items():
        s = rs[0].scenario
        case = (f" Demand case <b>{html.escape(s.demand_case)}</b>: "
                + html.escape(next((c.description for c in s.demand_cases if c.id == s.demand_case), "")) + "."
                if s.demand_cases else "")
        parts.append(f"<h3>{html.escape(n)}</h3><p>{html.escape(s.description)}{case}</p>"
                     f"<p class='note'>Years {s.start_year}-{s.end_year}, warm-up {s.warmup_days:g} days, goal "
                     f"{s.goal_mt_per_year:g} Mt/yr, {len(rs)} replication(s); scenario hash "
                     f"<code>{s.digest()[:12]}</code>.</p>")
        if s.timeline:
            tl = pd.DataFrame([{"date": str(iv.date), "intervention": iv.id, "what": iv.description, "source": iv.source}
                               for iv in sorted(s.timeline, key=lambda i: i.date)])
            parts.append(_table(tl, ("date", "intervention", "what", "source")))
    sec.append("".join(parts))

    # results
    table = cmp.table().reset_index()
    table.columns = [str(c) for c in table.columns]
    parts = ['<h2 id="results">Results</h2>',
             f"<p>Cargo delivered, Mt per year ({'mean of ' + str(nrep) + ' replications' if nrep > 1 else 'one run'})"
             " and the first year each scenario reaches the goal.</p>", _table(table, ("scenario", "first year at goal"))]
    parts.append(_png(plots.compare_tons(cmp)) if len(names) > 1 else _png(plots.annual_tons(runs[names[0]][0])))
    parts.append(_png(plots.compare_transit(cmp)))
    sec.append("".join(parts))

    # binds
    b = cmp.binding.copy()
    b["binding resource"] = [r if ok else "none at or above 85%" for r, ok in zip(b.resource, b.binding)]
    wide = b.pivot(index="scenario", columns="year", values="binding resource").loc[names].reset_index()
    wide.columns = [str(c) for c in wide.columns]
    sec.append('<h2 id="binds">What binds</h2><p>Each year, among resources at or above 85% utilization, the one '
               "where cargo waits longest.</p>" + _png(plots.compare_bottlenecks(cmp))
               + f"<details><summary>As a table</summary>{_table(wide, tuple(wide.columns))}</details>")

    # map
    parts = ['<h2 id="map">Corridor map</h2><p>Nodes at their coordinates; leg width = tonnes carried, colour = '
             "utilization; dotted = closed or unused that year.</p>"]
    for n, rs in runs.items():
        years = _route_opening_years(rs) or [rs[0].scenario.end_year]
        for y in years:
            parts.append(f"<h3>{html.escape(n)}, {y}</h3>" + _png(plots.corridor_map(rs[0], y)))
    sec.append("".join(parts))

    # plots per scenario
    parts = ['<h2 id="plots">Plots by scenario</h2>']
    for n, rs in runs.items():
        parts.append(f"<h3>{html.escape(n)}</h3>")
        parts.append(_png(plots.utilization(rs[0])))
        parts.append(_png(plots.port_levels(rs[0])))
    if any(len(f.routes) > 2 for rs in runs.values() for f in rs[0].scenario.demand.flows if f.id == "containers_cn_tr"):
        parts.append("<h3>Route split of Turkiye-bound containers</h3>" + _png(plots.compare_routes(cmp)))
    sec.append("".join(parts))

    # ranking
    parts = ['<h2 id="ranking">Bottleneck ranking</h2>']
    if bottlenecks is not None and (Path(bottlenecks) / "bottlenecks.csv").exists():
        t = _read_ranking(Path(bottlenecks) / "bottlenecks.csv")
        parts.append(f"<p>One step more of each resource in {int(t.year.iloc[0])}, ranked by the tonnes it adds "
                     "(common random numbers; 95% CI).</p>" + _png(plots.bottleneck_ranking(t))
                     + _table(t.head(12)[["label", "kind", "delta_kt_mean", "delta_kt_ci_low", "delta_kt_ci_high"]],
                              ("label", "kind"), 1))
    else:
        parts.append("<p class='note'>No ranking was given: run <code>corridor-sim bottlenecks SCENARIO --out DIR"
                     "</code> and pass <code>--bottlenecks DIR</code> to include it. The busiest resources of each "
                     "scenario are in the utilization plots above.</p>")
    sec.append("".join(parts))

    # sources
    parts = ['<h2 id="sources">Parameters and sources</h2><p>Every parameter of each scenario with its source, as '
             "resolved for the run (full derivations in seeds/SOURCES.md of the project).</p>"]
    for n, rs in runs.items():
        parts.append(f"<h3>{html.escape(n)}</h3>" + _parameters(rs[0].scenario))
    sec.append("".join(parts))

    # assumptions
    first = runs[names[0]][0].scenario
    at = _assumption_rows(first)
    sec.append('<h2 id="assumptions">Assumptions</h2><ul>' + "".join(f"<li>{html.escape(a)}</li>" for a in ASSUMPTIONS)
               + "</ul>" + f"<details><summary>Parameters marked as assumptions in {html.escape(first.name)} "
               f"({len(at)})</summary>{_table(at, tuple(at.columns))}</details>")
    body = "\n".join(sec)
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"{GENERATOR}<meta name='viewport' content='width=device-width, initial-scale=1'><style>{CSS}</style></head>"
            f"<body><main>{body}</main></body></html>")


def write_report(folders: list[str | Path], out: str | Path, bottlenecks: str | Path | None = None,
                 title: str | None = None, overwrite: bool = False, demand_case: str | None = None) -> Path:
    """Build the report and write it to ``out`` atomically. An existing report is replaced only
    with ``overwrite``; any other existing file never is (``output.claim_file``)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    output.claim_file(out, signature=GENERATOR.encode(), overwrite=overwrite)
    text = build_report(folders, bottlenecks, title, demand_case)
    output.write_text(out, text)
    return out
