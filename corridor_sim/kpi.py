"""Key performance indicators: pure functions of result tables, and their definitions.

``DEFINITIONS`` is the one list of what each KPI measures, its unit, where it appears and which
interval it gets over replications; ``docs/kpis.md`` is generated from it (``corridor-sim kpis``)
and a test keeps the two equal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .stats import mean_ci

# Resources whose utilization says something about capacity (a yard's share is a level, a
# fleet's is the share of vessel time not spent waiting for cargo, a rolling-stock pool's the share
# of its units out on trips).
CAPACITY_KINDS = ("rail_path", "crossing", "berth", "rail_track", "fleet", "yard", "rolling_stock")


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """Quantile of ``values`` where each value counts by its weight (tonnes).

    >>> weighted_quantile(np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 2.0]), 0.5)
    2.0
    >>> weighted_quantile(np.array([5.0]), np.array([3.0]), 0.95)
    5.0
    """
    values = np.asarray(values, dtype=float)
    weights = np.asarray(weights, dtype=float)
    if values.size == 0 or weights.sum() <= 0:
        return float("nan")
    order = np.argsort(values)
    v, w = values[order], weights[order]
    cum = np.cumsum(w) / w.sum()
    return float(v[min(int(np.searchsorted(cum, q - 1e-12)), v.size - 1)])


def busiest_resources(resources: pd.DataFrame, n: int = 3) -> pd.DataFrame:
    """The n resources with the highest mean utilization over the years given."""
    r = resources[resources.kind.isin(CAPACITY_KINDS)]
    if r.empty:
        return pd.DataFrame(columns=["resource", "kind", "utilization", "mean_queue", "queue_unit"])
    agg = r.groupby(["resource", "kind"], as_index=False).agg(
        utilization=("utilization", "mean"), mean_queue=("mean_queue", "mean"), queue_unit=("queue_unit", "first")
    )
    agg = agg.sort_values("utilization", ascending=False).head(n)
    agg["utilization"] = agg.utilization.round(3)
    agg["mean_queue"] = agg.mean_queue.round(2)
    return agg.reset_index(drop=True)


def conservation_gap(annual: pd.DataFrame) -> pd.Series:
    """Per year and flow: (stock at start + offered) - (delivered + diverted + stock at end), in tonnes.

    Zero (to rounding) when no tonne is created or lost.
    """
    a = annual
    gap = (
        a.tons_backlog_start
        + a.tons_in_system_start
        + a.tons_offered
        - a.tons_delivered
        - a.tons_diverted
        - a.tons_backlog
        - a.tons_in_system
    )
    return pd.Series(gap.to_numpy(), index=pd.MultiIndex.from_frame(a[["year", "flow"]]))


def binding_bottleneck(resources: pd.DataFrame, threshold: float) -> dict:
    """The resource that limits throughput in one year.

    ``threshold`` is the scenario's ``output.bottleneck_threshold``. Among resources at or above
    that utilization, the one where cargo waits longest
    (mean wait per train, vessel, or for a fleet the cargo's wait in the origin yard): a line 92%
    busy with half-hour waits binds less than a fleet 90% busy with cargo waiting three days.
    Yards are symptoms of what is downstream, so they are not candidates. If nothing reaches the
    threshold, nothing binds and the busiest resource is reported with ``binding: False``.
    """
    r = resources[resources.kind.isin([k for k in CAPACITY_KINDS if k != "yard"])].dropna(subset=["utilization"])
    if r.empty:
        return {"resource": None, "kind": None, "utilization": None, "mean_wait_h": None, "binding": False}
    hot = r[r.utilization >= threshold]
    if len(hot):
        top = hot.assign(w=hot.mean_wait_h.fillna(0.0)).sort_values(["w", "utilization"], ascending=False).iloc[0]
    else:
        top = r.sort_values("utilization", ascending=False).iloc[0]
    wait = float(top.mean_wait_h) if pd.notna(top.mean_wait_h) else None
    return {
        "resource": top.resource,
        "kind": top.kind,
        "utilization": round(float(top.utilization), 3),
        "mean_wait_h": round(wait, 2) if wait is not None else None,
        "binding": bool(len(hot)),
    }


def route_split(routes: pd.DataFrame) -> dict[str, pd.Series]:
    """Share of each flow's delivered tonnes by route, from the ``routes`` table (one year's rows,
    or several years': the shares are then of their total)."""
    out: dict[str, pd.Series] = {}
    if routes.empty:
        return out
    for flow, g in routes.groupby("flow"):
        t = g.groupby("route").tons_delivered.sum()
        if t.sum() > 0:
            out[str(flow)] = t / t.sum()  # flow ids are strings
    return out


ROUTE_COST_METRICS = (
    "charges_usd_per_unit",
    "time_cost_usd_per_unit",
    "cost_usd_per_unit_mean",
    "cost_usd_per_unit_p95",
    "co2e_kg_per_unit",
    "charges_usd_per_t",
    "cost_usd_per_t",
    "co2e_kg_per_t",
)


def route_costs(routes: pd.DataFrame, year: int | None = None) -> pd.DataFrame:
    """Door-to-door cost and CO2e per unit and per tonne, by flow and route, in one year (default
    the last in ``routes``): the mean over replications, with its 95% CI (``stats.mean_ci``)
    where there are two or more.

    ``routes`` is a run's ``routes`` table, or several replications' stacked with a
    ``replication`` column. Per unit: charges, time cost (the shippers' days at the flow's value
    of time), their sum's mean and p95 over the units delivered, and CO2e; per tonne: charges,
    charges + time, and CO2e over the tonnes delivered. Routes that delivered nothing that year
    are left out. Columns: year, flow, route, n (replications), tons_delivered and
    units_delivered (means), then each metric of ``ROUTE_COST_METRICS`` with ``_ci_low`` and
    ``_ci_high``.

    >>> one = pd.DataFrame({"year": [2024], "flow": ["f"], "route": ["r"], "tons_delivered": [40.0],
    ...     "units_delivered": [2.0], "charges_usd": [2000.0], "time_cost_usd": [400.0], "co2e_kg": [100.0],
    ...     "charges_usd_per_unit": [1000.0], "cost_usd_per_unit_mean": [1200.0],
    ...     "cost_usd_per_unit_p95": [1300.0], "co2e_kg_per_unit": [50.0]})
    >>> t = route_costs(one)
    >>> t[["charges_usd_per_unit", "time_cost_usd_per_unit", "charges_usd_per_t", "co2e_kg_per_t"]].iloc[0].tolist()
    [1000.0, 200.0, 50.0, 2.5]
    >>> bool(t.charges_usd_per_unit_ci_low.isna().iloc[0])
    True
    >>> two = pd.concat([one.assign(replication=0), one.assign(replication=1, cost_usd_per_unit_mean=1400.0)])
    >>> t = route_costs(two).iloc[0]
    >>> int(t.n), float(t.cost_usd_per_unit_mean), round(float(t.cost_usd_per_unit_mean_ci_high), 1)
    (2, 1300.0, 2570.6)
    """
    keys = ["year", "flow", "route"]
    cols = keys + ["n", "tons_delivered", "units_delivered"]
    cols += [f"{m}{s}" for m in ROUTE_COST_METRICS for s in ("", "_ci_low", "_ci_high")]
    r = routes[routes.units_delivered > 0] if len(routes) else routes
    if r.empty:
        return pd.DataFrame(columns=cols)
    year = int(r.year.max()) if year is None else int(year)
    r = r[r.year == year]
    if "replication" not in r:
        r = r.assign(replication=0)
    units, tons = r.units_delivered, r.tons_delivered.where(r.tons_delivered > 0)
    r = r.assign(
        time_cost_usd_per_unit=r.time_cost_usd / units,
        charges_usd_per_t=r.charges_usd / tons,
        cost_usd_per_t=(r.charges_usd + r.time_cost_usd) / tons,
        co2e_kg_per_t=r.co2e_kg / tons,
    )
    rows = []
    for key, g in r.groupby(keys, sort=False):
        row: dict = dict(zip(keys, key))
        row["n"] = int(g.replication.nunique())
        row["tons_delivered"] = float(g.tons_delivered.mean())
        row["units_delivered"] = float(g.units_delivered.mean())
        for m in ROUTE_COST_METRICS:
            st = mean_ci(g[m].to_numpy(dtype=float))
            row[m] = np.nan if st["mean"] is None else st["mean"]
            row[f"{m}_ci_low"] = np.nan if st["ci_low"] is None else st["ci_low"]
            row[f"{m}_ci_high"] = np.nan if st["ci_high"] is None else st["ci_high"]
        rows.append(row)
    return pd.DataFrame(rows, columns=cols)


def first_year_at(delivered_mt: pd.Series, goal_mt: float):
    """First year whose delivered tonnes reach the goal, or None.

    >>> first_year_at(pd.Series({2030: 9.0, 2031: 10.2, 2032: 9.9}), 10.0)
    2031
    >>> first_year_at(pd.Series({2030: 9.0}), 10.0) is None
    True
    """
    hit = delivered_mt[delivered_mt >= goal_mt]
    return int(hit.index.min()) if len(hit) else None


def first_year_at_least(trajectory: pd.DataFrame, goal_mt: float, cargo: str = "all", bound: str = "mean"):
    """The first year whose capacity (a capacity trajectory's mean, or the low or high end of its
    CI) reaches ``goal_mt``, or None.

    >>> t = pd.DataFrame({"year": [2030, 2031], "cargo": "all", "capacity_mt": [9.5, 10.5],
    ...                   "capacity_mt_ci_low": [9.0, 9.9], "capacity_mt_ci_high": [10.0, 11.1]})
    >>> first_year_at_least(t, 10.0), first_year_at_least(t, 10.0, bound="ci_low"), first_year_at_least(t, 10.0, bound="ci_high")
    (2031, None, 2030)
    """
    col = {"mean": "capacity_mt", "ci_low": "capacity_mt_ci_low", "ci_high": "capacity_mt_ci_high"}.get(bound)
    if col is None:
        raise ValueError(f"bound must be 'mean', 'ci_low' or 'ci_high', got {bound!r}")
    t = trajectory[trajectory.cargo == cargo]
    hit = t[pd.to_numeric(t[col], errors="coerce") >= goal_mt]
    return int(hit.year.min()) if len(hit) else None


# ----------------------------------------------------------------------------------------------
# Definitions (docs/kpis.md)
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Kpi:
    name: str  # the column or key in the tables and summary.json
    unit: str
    definition: str
    interval: str  # how its 95% interval over replications is computed (corridor_sim.stats)
    where: str  # tables and files it appears in


T_INTERVAL = "Student t interval of the mean over replications (`stats.mean_ci`)"
SHARE_INTERVAL = (
    "t interval on the logit scale (delta method), transformed back, so it stays in [0, 1] (`stats.share_ci`)"
)
MULTI_YEAR = (
    "over several years: each replication's mean over the years first, then the interval of those "
    "means (`stats.aggregate(..., over='year')`), not an average of yearly intervals"
)

# The one vocabulary for demand: every table, chart and the report name the tonnes of demand with
# these words (docs/kpis.md); "demand" alone names only the side of a finding (demand, not
# capacity) and the demand case.
DEMAND_TERMS: dict[str, str] = {
    "offered": "the tonnes that sought the corridor in the year under the run's demand case, after its response "
    "to tariffs and time (`tons_offered`, `offered_mt`); in capacity's tables, `offered_trend_mt`: the demand "
    "case's trend, before any response, as capacity runs are made.",
    "delivered": "the tonnes that reached the end of their route in the year (`tons_delivered`, `delivered_mt`).",
    "diverted": "the tonnes offered that went elsewhere or gave up: an outside alternative became cheaper, or a "
    "flow's limit on days turned them away (`tons_diverted`, `diverted_mt`).",
    "stock change": "the tonnes waiting to enter or inside the corridor at the year's end less at its start "
    "(`stock_change_mt`). Offered = delivered + diverted + stock change, every year.",
    "saturated": "the capacity runs' multiple of the offered tonnes at trend (`corridor-sim capacity`), raised until "
    "more cargo waits than the corridor can take; a way to measure capacity, never a demand.",
}


def demand_words_ok(label: str) -> bool:
    r"""Whether a table's or chart's label says "demand" only as the vocabulary allows: the demand
    case, or the side of a finding (a tag alone on its line, "(demand)", "not demand"); tonnes are
    offered, delivered, diverted or saturated, never "demand" nor "generated".

    >>> [demand_words_ok(x) for x in ("offered, central demand case", "demand\nfirst year", "demand, Mt/yr")]
    [True, True, False]
    >>> demand_words_ok("generated Mt"), demand_words_ok("what is offered (demand)")
    (False, True)
    """
    t = label.lower()
    if "generated" in t:
        return False
    t = re.sub(r"demand cases?|\(demand\)|not demand|^\s*demand\s*$", "", t, flags=re.M)
    return "demand" not in t


DEFINITIONS: tuple[Kpi, ...] = (
    Kpi(
        "tons_offered",
        "t",
        "Offered: cargo that sought the corridor in the year under the run's demand case (after its response "
        "to tariffs and time), counted when the consignment is created. Offered = delivered + diverted + "
        "the change in stock (waiting to enter or in the corridor).",
        T_INTERVAL,
        "annual.csv, summary.json",
    ),
    Kpi(
        "tons_delivered",
        "t",
        "Cargo that reached the end of its route in the year.",
        T_INTERVAL,
        "annual.csv, totals.csv (delivered_mt), summary.json, every tonnes plot",
    ),
    Kpi(
        "tons_diverted",
        "t",
        "Cargo whose shippers sent it another way: an outside alternative (the Northern route, the "
        "sea, CPC) became cheaper than every open route on the days they expected, before it left "
        "or while it waited for a Caspian ship; or a flow's hard limit (`max_transit_days`) turned it "
        "away. By alternative and place in diversions.csv.",
        T_INTERVAL,
        "annual.csv, diversions.csv, summary.json",
    ),
    Kpi(
        "tons_backlog",
        "t",
        "At the end of the year: cargo offered but not yet admitted to the corridor (waiting for "
        "an exchange path at a border, or for tank room at the origin).",
        T_INTERVAL,
        "annual.csv, summary.json",
    ),
    Kpi(
        "tons_in_system",
        "t",
        "At the end of the year: cargo inside the corridor (on trains, in yards, on ships).",
        T_INTERVAL,
        "annual.csv, summary.json",
    ),
    Kpi(
        "entry_wait_days_mean",
        "days",
        "Wait before entry: from when a consignment is offered to when it enters "
        "the corridor (its first rail link or its origin port), tonne-weighted over the cargo delivered in the year. "
        "Cargo that waits at a full border or tank farm waits here, not in the corridor.",
        T_INTERVAL,
        "annual.csv, totals.csv, summary.json, transit plots, report",
    ),
    Kpi(
        "corridor_days_mean",
        "days",
        "Transit in the corridor: from entry to delivery, tonne-weighted over the cargo delivered in the year.",
        T_INTERVAL,
        "annual.csv, totals.csv, summary.json, transit plots, report",
    ),
    Kpi(
        "corridor_days_p95",
        "days",
        "95th percentile (tonne-weighted) of the transit in the corridor.",
        T_INTERVAL,
        "annual.csv, summary.json",
    ),
    Kpi(
        "transit_days_mean",
        "days",
        "Total days from when a consignment is offered to its delivery: wait before entry + transit in the "
        "corridor, tonne-weighted. Kept for comparison with earlier results; labelled 'total, incl. wait before "
        "entry' wherever it is shown.",
        T_INTERVAL,
        "annual.csv, totals.csv, summary.json",
    ),
    Kpi(
        "transit_days_p95",
        "days",
        "95th percentile (tonne-weighted) of the total days from offer to delivery.",
        T_INTERVAL,
        "annual.csv, summary.json",
    ),
    Kpi(
        "transit_days_sd",
        "days",
        "Standard deviation (tonne-weighted) of the total days from offer to delivery: the spread "
        "shippers hold buffer stock against, valued as reliability in an appraisal.",
        T_INTERVAL,
        "annual.csv",
    ),
    Kpi(
        "utilization",
        "share of capacity (0-1)",
        "Time-weighted share of a resource's capacity in use over the year: "
        "train paths taken, servers busy, berths or tracks occupied, a fleet's vessel time not spent waiting for "
        "cargo, a yard's mean fill. A port track held by a train waiting for yard room counts as blocked, not busy. "
        "Berths and yards count non-corridor calls and other cargo too; a berth's `background_share` (resources.csv) "
        "is the share of its busy time those calls hold.",
        SHARE_INTERVAL + "; " + MULTI_YEAR,
        "resources.csv, utilization plots, report",
    ),
    Kpi(
        "mean_wait_h",
        "hours",
        "Mean wait per entry at a resource (per train, per vessel, non-corridor calls at a berth included); "
        "for a fleet, the "
        "cargo's mean wait in the origin yard by Little's law (units waiting / units shipped per hour).",
        T_INTERVAL,
        "resources.csv",
    ),
    Kpi(
        "binding_bottleneck",
        "resource",
        "What binds in a year: among resources at or above the scenario's "
        "`output.bottleneck_threshold` utilization (yards excluded: they are symptoms), the one where cargo waits "
        "longest. Over replications: the resource named most often, with the share of replications naming it.",
        "share of replications naming it (no interval)",
        "summary.json, compare_binding.csv, plots, report",
    ),
    Kpi(
        "first_year_at_goal",
        "year",
        "The first year whose mean delivered tonnes reach the scenario's "
        "`goal_mt_per_year`, with the share of replications that reach the goal in some year of the run.",
        "share of replications (no interval)",
        "summary.json, comparison.json, report",
    ),
    Kpi(
        "route_split",
        "share of tonnes",
        "Each route's share of a flow's delivered tonnes in the year.",
        SHARE_INTERVAL,
        "summary.json, compare_routes.csv, route plots",
    ),
    Kpi(
        "capacity_mt",
        "Mt/yr",
        "Sustainable capacity (`corridor-sim capacity`): the tonnes delivered in the year with every "
        "flow's offered tonnes saturated, multiplied (in the year's mix, no response to tariffs or time) until more cargo waits than "
        "the corridor can take, checked month by month (`saturated_share`), in one run per replication over "
        "the years; per cargo class, the class's tonnes under that joint saturation.",
        T_INTERVAL,
        "capacity.csv, report",
    ),
    Kpi(
        "cost_usd_per_unit_mean",
        "US$ per TEU, wagon or t",
        "Door-to-door cost of the units a route delivered in the year: the charges on its legs "
        "(`model/charges.py`: rail tariffs, border fees, port charges per call, sea freight, charges "
        "outside the network, times the tariff factor, quoted when the consignment was booked) plus the "
        "shippers' time at the flow's value of time; with its p95 over the units (`cost_usd_per_unit_p95`) "
        "and the charges alone (`charges_usd_per_unit`). A **cost** figure: the tariff assumptions decide it.",
        T_INTERVAL,
        "routes.csv, report, cost_by_route.png",
    ),
    Kpi(
        "co2e_kg_per_unit",
        "kg CO2e per TEU, wagon or t",
        "Emissions of the units a route delivered: each leg's tonne-km times its mode's factor "
        "(rail by traction and grid, sea by ship type; well to wake); none while waiting.",
        T_INTERVAL,
        "routes.csv, report, co2_by_route.png",
    ),
    Kpi(
        "co2e_kt",
        "kt CO2e",
        "The corridor's emissions in the year: its flows' delivered tonne-km times the factors, with the "
        "empties they send back (`co2e_kg_per_t`: per tonne of the corridor's cargo delivered).",
        T_INTERVAL,
        "summary.json (total), totals.csv",
    ),
)


def kpi_markdown() -> str:
    """docs/kpis.md: every KPI with its unit, definition and interval."""
    lines = [
        "# KPI definitions",
        "",
        "Generated by `corridor-sim kpis` from `corridor_sim/kpi.py` (`DEFINITIONS`); do not edit by hand.",
        "",
        "Intervals are 95% intervals over replications, all computed in `corridor_sim/stats.py`. With one "
        "replication no interval is given.",
        "",
    ]
    lines += [
        "## Demand: offered, delivered, diverted, saturated",
        "",
        "One vocabulary for the tonnes of demand, used by every table, chart and the report. A finding "
        "is tagged **demand** when what is offered decides it, **capacity** when what the corridor could "
        "carry does, **cost** when charges do.",
        "",
    ]
    lines += [f"- **{term}**: {text}" for term, text in DEMAND_TERMS.items()]
    lines.append("")
    for k in DEFINITIONS:
        lines += [
            f"## `{k.name}`",
            "",
            f"- **unit**: {k.unit}",
            f"- **definition**: {k.definition}",
            f"- **interval**: {k.interval}",
            f"- **in**: {k.where}",
            "",
        ]
    return "\n".join(lines)
