"""The report's sections that draw: the comparison's figures, capacity beside demand, each
scenario's charts and maps, cost and CO2, the measures' appraisal, the plan's frontier, the
bottleneck ranking and the capacity tables. Each builds what its part of the template reads, from
the results and the analyses' folders (read with their result types' ``read``)."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pandas as pd
from PIL import Image

from ...analyses.appraisal import Appraisal
from ...analyses.bottlenecks import Ranking
from ...analyses.plan import read_frontier
from ...display import pm
from ...experiments.comparison import Comparison, case_series, scenario_files
from ...experiments.replicated import Replicated
from ...kpi import route_costs
from ...run.results import Results
from ...scenario.labels import flow_label, route_label
from ...scenario.schema import Scenario
from ...stats import rows
from .. import plots
from .sources import Source

REPORT_DPI = 80  # the report's figures: readable on a screen, small enough to keep the page light


def png(fig, alt: str) -> dict:
    """A figure as an image the HTML file holds itself (no file beside it, no network): a PNG of
    at most 256 colours (the figures' flat colours need no more), so the report stays light."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=REPORT_DPI)
    img = Image.open(io.BytesIO(buf.getvalue())).convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return {"alt": alt, "src": "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()}


def money(v, fmt: str = "{:,.0f}") -> str:
    return "-" if v is None or v != v else fmt.format(v)


def comparison_figures(cmp: Comparison, scen: dict[str, Scenario]) -> dict:
    """Tonnes against the goal, days and what binds, by scenario; the route split of the flow the
    scenarios chart, where it has a choice of routes."""
    names = list(cmp.results)
    figures = {
        "tons": png(plots.compare_tons(cmp), "cargo delivered by scenario against the goal"),
        "days": png(plots.compare_transit(cmp), "days in the corridor and the wait before entry"),
        "binds": png(plots.compare_bottlenecks(cmp), "what binds by scenario and year"),
    }
    flow = plots.route_flow(cmp)
    if flow and any(len(scen[n].flow(flow).routes) > 1 for n in names if flow in {f.id for f in scen[n].demand.flows}):
        figures["routes"] = png(plots.compare_routes(cmp, flow), f"route split of {flow_label(scen[names[0]], flow)}")
    return figures


def capacity_charts(cmp: Comparison, scen: dict[str, Scenario]) -> list[dict]:
    """Per scenario file whose capacity was measured: capacity beside demand, and its headroom."""
    if cmp.capacity is None:
        return []
    out = []
    series = case_series(cmp)
    for name, runs in scenario_files(cmp).items():
        if not (cmp.capacity.scenario == name).any():
            continue
        central = next((r for r in runs if scen[r].demand_case == "central"), runs[0])
        charts = [
            png(
                plots.plot_capacity_demand(
                    scen[central], cmp.capacity, series[series.scenario == name], cmp.replications
                ),
                f"capacity, offered and delivered by year, {name}",
            )
        ]
        if cmp.headroom is not None and (cmp.headroom.scenario == name).any():
            year = plots.capacity_year(cmp, name)
            charts.append(
                png(plots.plot_headroom(cmp.headroom, year, scen[central], cmp.capacity), f"headroom {name} {year}")
            )
        out.append({"name": name, "charts": charts})
    return out


def _route_opening_years(res: Results) -> list[int]:
    """Years just before and after a route opens (for the map), if the timeline opens one."""
    s = res.scenario
    for iv in sorted(s.timeline, key=lambda i: i.date):
        if any(str(k).endswith(".open") for k in iv.set):
            return [y for y in (iv.date.year - 1, iv.date.year + 1) if s.start_year <= y <= s.end_year]
    return []


def scenario_charts(cmp: Comparison, scen: dict[str, Scenario], sources: dict[str, Source]) -> tuple[list, list]:
    """Each scenario's utilization and days by year and its ports, and the corridor map (before and
    after a route opens); the detail behind the maps read one replication at a time."""
    maps, per_scenario = [], []
    for n in cmp.results:
        rep = Replicated(scen[n], cmp.results[n][0].seed, cmp.results[n])
        charts = [
            png(plots.utilization_by_year(rep), f"utilization by year, {n}"),
            png(plots.transit_by_year(rep), f"days by flow and year, {n}"),
        ]
        detail = sources[n].detail()  # one replication's detail at a time
        charts.append(png(plots.port_levels(detail), f"port yards and queues, {n}"))
        for y in _route_opening_years(detail) or [scen[n].end_year]:
            maps.append({"title": f"{n}, {y}", "img": png(plots.corridor_map(detail, y), f"corridor map {n} {y}")})
        del detail
        per_scenario.append({"name": n, "charts": charts, "first_seed": cmp.results[n][0].seed})
    return maps, per_scenario


def cost_section(rep: Replicated, name: str) -> dict | None:
    """The Cost and CO2 part of one scenario: the cost-by-route figure, a table per route of
    charges, time cost, p95 and CO2e per unit, and the documented alternatives (None when no route
    is priced)."""
    if not plots.priced(rep):
        return None
    s = rep.scenario
    year = s.end_year
    rc = route_costs(plots.routes_of(rep), year)
    rc = rc[rc.charges_usd_per_unit.notna()]
    cargo = {f.id: f.cargo for f in s.demand.flows}
    table = [
        [
            f"{flow_label(s, r.flow)} · {route_label(s, r.route)}",
            s.cargo_classes[cargo[r.flow]].unit if r.flow in cargo else "",
            money(r.charges_usd_per_unit),
            pm(r.time_cost_usd_per_unit, r.time_cost_usd_per_unit_ci_low, r.time_cost_usd_per_unit_ci_high, "{:,.0f}"),
            pm(r.cost_usd_per_unit_p95, r.cost_usd_per_unit_p95_ci_low, r.cost_usd_per_unit_p95_ci_high, "{:,.0f}"),
            money(r.co2e_kg_per_unit),
        ]
        for r in rows(rc)
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
    figs = [png(plots.cost_by_route(rep, year), f"charges by route beside the other routes' charges, {name} {year}")]
    if any(f.alternatives and f.response is not None for f in s.demand.flows):
        figs.append(
            png(plots.generalized_cost_by_route(rep, year), f"charges + time, each route with its time, {name} {year}")
        )
    if rc.co2e_kg_per_unit.notna().any():
        figs.append(png(plots.co2_by_route(rep, year), f"CO2e by route, {name} {year}"))
    return {
        "name": name,
        "year": year,
        "currency_year": s.costs.currency_year if s.costs is not None else None,
        "charts": figs,
        "rows": table,
        "benchmarks": bench,
    }


def measures_section(folder: str | Path) -> dict:
    """The measures' economic appraisal, from an appraisal folder (``Appraisal.read``)."""
    ap = Appraisal.read(folder)
    label = " · ".join(
        str(x)
        for x in (
            ap.scenario,
            ap.replications and f"{ap.replications} replications",
            ap.guideline and f"{ap.guideline[:60]}...",
        )
        if x
    )
    return {
        "label": label,
        "img": png(plots.measures_ranking(ap.table, label), "measures by economic net present value"),
        "streams": png(
            plots.appraisal_streams(ap.by_year, ap.distribution, ap.discount_rate_pct, label),
            "benefit streams and the ENPV over replications",
        )
        if len(ap.by_year) and len(ap.distribution)
        else None,
        "rows": [
            [
                f"{r.measure} ({r.mode})",
                money(r.capex_musd),
                pm(r.enpv_musd, r.enpv_musd_ci_low, r.enpv_musd_ci_high, "{:,.0f}"),
                pm(r.eirr_pct, r.eirr_pct_ci_low, r.eirr_pct_ci_high, "{:,.1f}"),
                pm(r.bcr, r.bcr_ci_low, r.bcr_ci_high),
                f"{r.p_enpv_negative:.0%}" if r.p_enpv_negative == r.p_enpv_negative else "",
                f"{r.vot_switching_factor:.2f}" if r.vot_switching_factor == r.vot_switching_factor else "none",
                f"{r.main_stream} ({r.main_stream_share:.0%})" if isinstance(r.main_stream, str) else "",
            ]
            for r in rows(ap.table)
        ],
    }


def frontier_section(folder: str | Path, goal_of_scenario: float) -> dict:
    """The cost of the cheapest plan by goal year, from a plan folder with a frontier (its goal
    from the plan's settings, else the scenario's)."""
    ft, goal, label = read_frontier(folder)
    goal = goal_of_scenario if goal is None else goal
    return {
        "label": label,
        "goal": goal,
        "img": png(plots.plan_frontier(ft, goal, label), "cost of the cheapest plan by goal year"),
        "rows": [
            [
                str(int(r.by)),
                "yes" if bool(r.reached) else "no",
                money(r.capex_musd),
                money(r.pv_cost_musd),
                pm(r.capacity_mt, r.capacity_mt_ci_low, r.capacity_mt_ci_high),
                str(r.measures) if isinstance(r.measures, str) else "",
            ]
            for r in rows(ft.sort_values("by"))
        ],
    }


def ranking_section(ranking: Ranking) -> dict:
    """The bottleneck ranking: for which scenario, year and replications, its chart and top rows."""
    t = ranking.table
    return {
        "scenario": ranking.scenario,
        "year": int(t.year.iloc[0]),
        "replications": int(t.replications.iloc[0]) if "replications" in t else None,
        "img": png(plots.bottleneck_ranking(t), "bottleneck ranking"),
        "rows": [
            [r.label, r.kind, pm(r.delta_kt_mean, r.delta_kt_ci_low, r.delta_kt_ci_high, "{:,.0f}")]
            for r in t.head(12).itertuples()
        ],
    }


def capacity_tables(caps: dict[str, pd.DataFrame]) -> list[dict]:
    """The sustainable capacity by year of each scenario measured: the year's mix, then each class
    saturated on its own (not a capacity of the mix, nor is their sum)."""
    return [
        {
            "scenario": who,
            "rows": [
                [
                    str(int(r.year)),
                    "the year's mix" if r.cargo == "all" else f"{r.cargo} (each class saturated on its own)",
                    pm(r.capacity_mt, r.capacity_mt_ci_low, r.capacity_mt_ci_high),
                    str(r.binding_label if "binding_label" in t and isinstance(r.binding_label, str) else r.binding),
                ]
                for r in rows(t.sort_values(["year", "cargo"]))
            ],
        }
        for who, t in caps.items()
    ]
