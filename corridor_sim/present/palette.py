"""Colours and line styles: one table shared by every plot, the CLI's files and the HTML report,
so a scenario, a resource kind or a flow has the same colour wherever a reader meets it."""

from __future__ import annotations

# Scenarios in the order they are given (the first, usually the reference, in dark grey).
SCENARIO_COLORS = [
    "#444444",
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#9467bd",
    "#d62728",
    "#8c564b",
    "#17becf",
    "#bcbd22",
    "#e377c2",
]
# Flows in scenario order: blues for containers come first in the shipped scenarios, but the
# colour follows the position, never the flow's name.
FLOW_COLORS = [
    "#1f77b4",
    "#6baed6",
    "#9ecae1",
    "#d62728",
    "#ff9896",
    "#2ca02c",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
]
KIND_COLORS = {
    "fleet": "#1f77b4",
    "rail_path": "#d62728",
    "crossing": "#ff7f0e",
    "berth": "#2ca02c",
    "rail_track": "#9467bd",
    "yard": "#8c564b",
    "rolling_stock": "#17becf",
}
KIND_LABELS = {
    "fleet": "vessel fleet (time not waiting for cargo)",
    "rail_path": "rail line paths",
    "crossing": "border / gauge-change station",
    "berth": "port berths",
    "rail_track": "port rail tracks",
    "yard": "port yard (mean fill)",
    "rolling_stock": "rolling stock (share out on trips)",
}
CASE_STYLES = {"low": ":", "central": "-", "high": "--"}
# Where line style already says demand (dashed) or delivered (solid), a demand case is a colour;
# cases outside these three take OTHER_CASE_COLORS by order of appearance.
CASE_COLORS = {"low": "#2ca02c", "central": "#1f77b4", "high": "#ff7f0e"}
OTHER_CASE_COLORS = ["#d62728", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"]
CAPACITY_COLOR = "#6a3d9a"  # what the corridor could carry (a band and its mean)
COST_COLOR = "#b15928"  # a finding about cost (the report's tag), apart from capacity's and demand's
GOAL_COLOR = "#d62728"
OBSERVED_COLOR = "black"
CLOSED_COLOR = "#999999"  # a route closed or unused that year
CLOSURE_COLOR = "#4d4d4d"  # a port closed by storm (not the red of a vessel held by weather)
STATE_COLORS = {
    "loading": "#2ca02c",
    "unloading": "#98df8a",
    "sailing": "#1f77b4",
    "returning": "#aec7e8",
    "waiting_berth": "#ff7f0e",
    "waiting_cargo": "#c7c7c7",
    "weather_hold": "#d62728",
}
STATE_LABELS = {
    "loading": "loading",
    "unloading": "unloading",
    "sailing": "sailing loaded",
    "returning": "sailing back",
    "waiting_berth": "waiting for a berth",
    "waiting_cargo": "waiting for cargo (at anchor)",
    "weather_hold": "held by weather",
}
# the two parts of a consignment's days: waiting to enter the corridor, then moving through it
ENTRY_WAIT_COLOR = "#bdbdbd"
CORRIDOR_COLOR = "#1f77b4"


def scenario_colors(names) -> dict[str, str]:
    """Scenario name -> colour, by order of first appearance (the same order gives the same colours
    in the CLI's plots and in a report built from the same folders).

    >>> scenario_colors(["base", "bottlenecks", "base"])
    {'base': '#444444', 'bottlenecks': '#1f77b4'}
    """
    out: dict[str, str] = {}
    for n in names:
        if n not in out:
            out[n] = SCENARIO_COLORS[len(out) % len(SCENARIO_COLORS)]
    return out


def case_colors(cases) -> dict[str, str]:
    """Demand case -> colour: low, central and high their own; any other by order of appearance.

    >>> case_colors(["central", "high", "surge"])
    {'central': '#1f77b4', 'high': '#ff7f0e', 'surge': '#d62728'}
    """
    out: dict[str, str] = {}
    for c in cases:
        if c not in out:
            n = sum(1 for k in out if k not in CASE_COLORS)
            out[c] = CASE_COLORS.get(c) or OTHER_CASE_COLORS[n % len(OTHER_CASE_COLORS)]
    return out


def flow_color(index: int) -> str:
    return FLOW_COLORS[index % len(FLOW_COLORS)]


# A route's door-to-door cost, leg by leg (``model.charges``: ChargePart.kind), then the shippers'
# time; other ways of moving the same cargo (``costs.benchmarks``) as pale bands.
LEG_COLORS = {
    "rail": "#d62728",
    "border": "#ff7f0e",
    "port": "#2ca02c",
    "sea": "#1f77b4",
    "outside": "#8c564b",
    "through": "#9467bd",
}
LEG_LABELS = {
    "rail": "rail tariffs",
    "border": "border / gauge-change fees",
    "port": "port charges",
    "sea": "sea freight",
    "outside": "outside the network (Chinese leg)",
    "through": "through tariff",
}
TIME_COST_COLOR = "#bdbdbd"
BENCHMARK_COLOR = "#9e9ac8"
# CO2e by mode: rail by traction (diesel, then electric in the order met), sea by ship type
DIESEL_COLOR = "#636363"
ELECTRIC_COLORS = ["#31a354", "#74c476", "#a1d99b", "#006d2c", "#c7e9c0"]
SEA_CO2_COLORS = ["#1f77b4", "#6baed6", "#08519c", "#9ecae1"]
# what carries each cargo class across the sea, as the emission factors name it
SHIP_TYPES = {"container": "container feeder", "wagon": "rail ferry", "crude": "tanker"}
ALTERNATIVE_COLOR = (
    "#d9a441"  # an outside alternative (the sea, the Northern route, CPC): charges the shippers compare with
)
