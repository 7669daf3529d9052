"""Figures, by subject: each a pure function of results returning a matplotlib Figure on its own
Agg canvas (no pyplot, no process-wide backend), saying what it shows (scenario, years,
replications or seed), with names from the scenario and colours from ``present.palette``.

- ``run``: one scenario, a run or its replications (a ``run.view.RunView``)
- ``costs``: cost and CO2 by route, measures and the plan's frontier
- ``comparison``: scenarios side by side
- ``capacity``: capacity beside demand, and headroom
- ``analyses``: a sweep, the bottleneck ranking, the sensitivity ranking
- ``maps``: the corridor map
- ``operations``: the time-distance chart and the fleet Gantt (a run with detail)
- ``files``: a result's figures as PNG files
- ``common``: what every figure shares

Every figure is importable from here: ``from corridor_sim.present import plots; plots.corridor_map(res)``.
"""

from .analyses import bottleneck_ranking, sensitivity_plot, sweep_plot
from .capacity import capacity_year, plot_capacity_demand, plot_headroom
from .common import FLOW_COLORS, about
from .comparison import (
    compare_bottlenecks,
    compare_routes,
    compare_tons,
    compare_transit,
    comparison_colors,
    route_flow,
)
from .costs import (
    appraisal_streams,
    co2_by_route,
    cost_by_route,
    generalized_cost_by_route,
    measures_ranking,
    plan_frontier,
    priced,
    routes_of,
    scenario_in_force,
)
from .files import COST_FIGURES, FIGURES, cost_figures, save_all, save_capacity, save_comparison, save_replicated
from .maps import corridor_map
from .operations import fleet_gantt, stringline
from .run import annual_tons, port_levels, transit_by_year, transit_days, utilization, utilization_by_year

__all__ = [
    "COST_FIGURES",
    "FIGURES",
    "FLOW_COLORS",
    "about",
    "annual_tons",
    "bottleneck_ranking",
    "capacity_year",
    "co2_by_route",
    "compare_bottlenecks",
    "compare_routes",
    "compare_tons",
    "compare_transit",
    "comparison_colors",
    "corridor_map",
    "cost_figures",
    "appraisal_streams",
    "cost_by_route",
    "generalized_cost_by_route",
    "fleet_gantt",
    "measures_ranking",
    "plan_frontier",
    "plot_capacity_demand",
    "plot_headroom",
    "port_levels",
    "priced",
    "route_flow",
    "routes_of",
    "save_all",
    "save_capacity",
    "save_comparison",
    "save_replicated",
    "scenario_in_force",
    "sensitivity_plot",
    "stringline",
    "sweep_plot",
    "transit_by_year",
    "transit_days",
    "utilization",
    "utilization_by_year",
]
