"""A result's figures as PNG files: the seven charts of a run (and the two of cost and CO2 where
something is priced), of replications (with their intervals), of a comparison and of its
capacity. What writes a result folder calls these (``present.figures``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ...experiments.comparison import Comparison, case_of, case_series, scenario_files
from ...experiments.replicated import Replicated
from ...run.results import Results
from ...run.view import RunView
from .capacity import capacity_year, plot_capacity_demand, plot_headroom
from .common import about, save_figures, set_suptitle
from .comparison import compare_bottlenecks, compare_routes, compare_tons, compare_transit
from .costs import co2_by_route, cost_by_route, generalized_cost_by_route, priced, routes_of
from .maps import corridor_map
from .run import annual_tons, port_levels, transit_by_year, transit_days, utilization, utilization_by_year

FIGURES = {
    "annual_tons": annual_tons,
    "utilization": utilization,
    "utilization_by_year": utilization_by_year,
    "transit_days": transit_days,
    "transit_by_year": transit_by_year,
    "port_levels": port_levels,
    "corridor_map": lambda res: corridor_map(res),
}
# drawn only when some route delivered cargo at a known charge (``priced``), and the CO2 chart
# only with emission factors: a scenario without them has nothing to show, and an empty chart
# would look like a result
COST_FIGURES = {
    "cost_by_route": lambda res: cost_by_route(res),
    "generalized_cost_by_route": lambda res: generalized_cost_by_route(res),
    "co2_by_route": lambda res: co2_by_route(res),
}


def cost_figures(res: RunView) -> dict:
    """The cost and CO2 charts a run or its replications have something to show in (``COST_FIGURES``)."""
    if not priced(res):
        return {}
    s = res.scenario
    names = ["cost_by_route"]
    if any(f.alternatives and f.response is not None for f in s.demand.flows):
        names.append("generalized_cost_by_route")  # only where some flow has both a value of time and alternatives
    names += ["co2_by_route"] if routes_of(res).co2e_kg_per_unit.notna().any() else []
    return {name: COST_FIGURES[name](res) for name in names}


def save_all(res: Results, out: str | Path, dpi: int = 110) -> list[Path]:
    """The plots of one run."""
    out = Path(out)
    return save_figures({**{name: make(res) for name, make in FIGURES.items()}, **cost_figures(res)}, out, dpi)


def save_replicated(rep: Replicated, out: str | Path, dpi: int = 110) -> list[Path]:
    """Plots of a replicated run: totals and utilization with 95% CIs, days by year (means),
    transit days pooled over replications, and port levels and the map of the first replication
    (a time series does not average), each saying so."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    first = rep.runs[0]
    pooled = pd.concat([r.transit for r in rep.runs], ignore_index=True)
    figs = {
        "annual_tons": annual_tons(rep),
        "utilization": utilization(rep),
        "utilization_by_year": utilization_by_year(rep),
        "transit_days": transit_days(rep, pooled),
        "transit_by_year": transit_by_year(rep),
        "port_levels": port_levels(first),
        "corridor_map": corridor_map(first),
        **cost_figures(rep),
    }
    set_suptitle(
        figs["transit_days"],
        f"Days in the corridor, and the wait before entry, by flow (all {rep.n} replications pooled)",
        about(rep),
    )
    set_suptitle(
        figs["port_levels"],
        "Yard fill and trains waiting at the ports",
        f"{rep.scenario.label} · replication 1 of {rep.n} (seed {first.seed})",
    )
    return save_figures(figs, out, dpi)


def save_comparison(cmp: Comparison, out: str | Path, dpi: int = 110, flow: str | None = None) -> list[Path]:
    """The comparison's four charts: tonnes, days, the route split of ``flow`` and what binds."""
    out = Path(out)
    return save_figures(
        {
            "compare_tons": compare_tons(cmp),
            "compare_transit": compare_transit(cmp),
            "compare_routes": compare_routes(cmp, flow),
            "compare_bottlenecks": compare_bottlenecks(cmp),
        },
        out,
        dpi,
    )


def save_capacity(cmp: Comparison, out: str | Path, dpi: int = 110) -> list[Path]:
    """capacity_demand_<file>.png and headroom_<file>.png for each scenario file whose capacity the
    comparison carries (nothing without capacity)."""
    if cmp.capacity is None:
        return []
    series = case_series(cmp)
    figs = {}
    for name, runs in scenario_files(cmp).items():
        if not (cmp.capacity.scenario == name).any():
            continue
        central = next((r for r in runs if case_of(cmp, r)[1] == "central"), runs[0])
        s = cmp.results[central][0].scenario
        figs[f"capacity_demand_{name}"] = plot_capacity_demand(
            s, cmp.capacity, series[series.scenario == name], cmp.replications
        )
        if cmp.headroom is not None and (cmp.headroom.scenario == name).any():
            figs[f"headroom_{name}"] = plot_headroom(cmp.headroom, capacity_year(cmp, name), s, cmp.capacity)
    return save_figures(figs, Path(out), dpi)
