"""From a finished model to the run's tables: each table built once from the records the model's
components declared beside them (``model.records``) and from their yearly rows, one place to add a
record type. Event tables cover the statistics period (after the warm-up).
"""

from __future__ import annotations

import platform
import sys
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version

import numpy as np
import pandas as pd

from .._version import __version__
from ..calendar import Calendar
from ..kpi import weighted_quantile
from ..model.build import InterventionApplied, Model
from ..model.cargo import Delivery, FlowYear, StockSnapshot
from ..model.demand import DemandPlan
from ..model.empties import empty_flow
from ..model.fleet import LineYear, VesselStateSpan, Voyage
from ..model.meters import ResourceYear
from ..model.port import Closure, LevelSeries, LevelStat
from ..model.rail import LinkYear
from ..model.records import columns
from ..scenario.schema import Scenario
from .results import Results


def _frame(rows: list, record: type) -> pd.DataFrame:
    """A table from its records and their declaration (columns in declared order)."""
    return pd.DataFrame(rows, columns=columns(record))


def _lots(deliveries: list[Delivery], cal: Calendar) -> pd.DataFrame:
    """One row per delivered consignment (or part) in the statistics period, each stage's time a column."""
    rows = []
    for d in deliveries:
        if d.t_delivered_h < 0:
            continue
        row = d._asdict()
        stages = row.pop("stages")
        for stage, t in stages.items():
            if stage not in ("entered", "delivered"):
                row[f"t_{stage}_h"] = t
        rows.append(row)
    if not rows:
        return pd.DataFrame(columns=[*LOT_COLUMNS, "year", "transit_days", "corridor_days", "backlog_days"])
    lots = pd.DataFrame(rows)
    lots["year"] = [cal.year_of(t) for t in lots.t_delivered_h]
    lots["transit_days"] = (lots.t_delivered_h - lots.t_generated_h) / 24.0
    lots["corridor_days"] = (lots.t_delivered_h - lots.t_entered_h) / 24.0
    lots["backlog_days"] = lots.transit_days - lots.corridor_days
    return lots


def _weighted_sd(x: np.ndarray, w: np.ndarray) -> float:
    """The tonne-weighted standard deviation of ``x`` (NaN without tonnes).

    >>> _weighted_sd(np.array([1.0, 3.0]), np.array([1.0, 1.0]))
    1.0
    """
    if w.sum() <= 0:
        return np.nan
    m = float(np.average(x, weights=w))
    return float(np.sqrt(np.average((x - m) ** 2, weights=w)))


LOT_COLUMNS = [c for c in columns(Delivery) if c != "stages"]


def _annual(
    s: Scenario, years: list[int], flow_years: dict, stocks: list[StockSnapshot], route_stats: dict
) -> pd.DataFrame:
    """Per year and flow: tonnes generated, delivered and diverted, stocks at the year's start and
    end, units delivered, the tonne-weighted mean and p95 of the days from generation to delivery,
    and the flow's empties (units sent back, delivered back, their CO2e) where it has any."""
    held = {(st.year, st.flow): st for st in stocks}
    empty = FlowYear()
    rows = []
    for y in years:
        for f in s.demand.flows:
            back = flow_years.get((y, empty_flow(f.id)), empty)
            back_route = route_stats.get((y, empty_flow(f.id), "empty"))
            fy = flow_years.get((y, f.id), empty)
            tw = np.asarray(fy.tons, dtype=float)
            td = np.asarray(fy.transit_days, dtype=float)
            tc = np.asarray(fy.corridor_days, dtype=float)
            st0, st1 = held.get((y, f.id)), held.get((y + 1, f.id))
            rows.append(
                {
                    "year": y,
                    "flow": f.id,
                    "cargo": f.cargo,
                    "unit": s.cargo_classes[f.cargo].unit,
                    "tons_offered": float(np.asarray(fy.generated, dtype=float).sum()),
                    "tons_delivered": float(tw.sum()),
                    "tons_diverted": float(np.asarray(fy.diverted, dtype=float).sum()),
                    "units_delivered": float(np.asarray(fy.units, dtype=float).sum()),
                    "tons_backlog_start": st0.tons_backlog if st0 else 0.0,
                    "tons_in_system_start": st0.tons_in_system if st0 else 0.0,
                    "tons_backlog": st1.tons_backlog if st1 else 0.0,
                    "tons_in_system": st1.tons_in_system if st1 else 0.0,
                    "transit_days_mean": float(np.average(td, weights=tw)) if tw.sum() > 0 else np.nan,
                    "transit_days_p95": weighted_quantile(td, tw, 0.95) if tw.sum() > 0 else np.nan,
                    # the spread shippers plan buffer stock against (an appraisal's reliability)
                    "transit_days_sd": _weighted_sd(td, tw),
                    # the two parts of the total apart (docs/kpis.md): waiting to enter, then in the corridor
                    "entry_wait_days_mean": float(np.average(td - tc, weights=tw)) if tw.sum() > 0 else np.nan,
                    "corridor_days_mean": float(np.average(tc, weights=tw)) if tw.sum() > 0 else np.nan,
                    "corridor_days_p95": weighted_quantile(tc, tw, 0.95) if tw.sum() > 0 else np.nan,
                    "empty_units_sent": float(np.asarray(back.generated, dtype=float).sum() / f.empties.tare_t_per_unit)
                    if f.empties is not None
                    else 0.0,
                    "empty_units_returned": float(np.asarray(back.units, dtype=float).sum()),
                    "empty_co2e_kg": back_route.co2e_kg if back_route is not None else 0.0,
                }
            )
    return pd.DataFrame(rows)


ROUTE_COLUMNS = [
    "year",
    "flow",
    "route",
    "tons_delivered",
    "units_delivered",
    "transit_days_mean",
    "charges_usd",
    "time_cost_usd",
    "co2e_kg",
    "charges_usd_per_unit",
    "cost_usd_per_unit_mean",
    "cost_usd_per_unit_p95",
    "co2e_kg_per_unit",
]


def _routes(years: list[int], route_stats: dict, flows: set[str]) -> pd.DataFrame:
    """Per year, flow and route: tonnes and units delivered (the route split needs no
    per-consignment detail), their door-to-door cost and CO2 (``scenario.pricing``): the charges
    paid, the shippers' time priced at the flow's value of time, and per unit the charges, the
    mean and p95 of charges + time over the units delivered, and the CO2e. Costs are NaN on a
    route nothing on which is priced, CO2e without emission factors."""
    rows = []
    for (y, f, r), acc in route_stats.items():
        if y not in years or f not in flows:  # a flow's empties are in the annual table
            continue
        units = acc.units
        per_unit = np.asarray(acc.lot_usd, dtype=float) / np.asarray(acc.lot_units, dtype=float)
        w = np.asarray(acc.lot_units, dtype=float)
        rows.append(
            {
                "year": y,
                "flow": f,
                "route": r,
                "tons_delivered": acc.tons,
                "units_delivered": units,
                "transit_days_mean": acc.tonne_days / acc.tons if acc.tons > 0 else np.nan,
                "charges_usd": acc.charges_usd,
                "time_cost_usd": acc.time_cost_usd,
                "co2e_kg": acc.co2e_kg,
                "charges_usd_per_unit": acc.charges_usd / units if units > 0 else np.nan,
                "cost_usd_per_unit_mean": (acc.charges_usd + acc.time_cost_usd) / units if units > 0 else np.nan,
                "cost_usd_per_unit_p95": weighted_quantile(per_unit, w, 0.95)
                if units > 0 and not np.isnan(per_unit).any()
                else np.nan,
                "co2e_kg_per_unit": acc.co2e_kg / units if units > 0 else np.nan,
            }
        )
    return pd.DataFrame(rows, columns=ROUTE_COLUMNS)


def _levels(series: list[LevelSeries]) -> pd.DataFrame:
    """The levels table (one LevelStat per row) from the components' series, column by column."""
    if not series:
        return pd.DataFrame(columns=columns(LevelStat))
    total = sum(len(x.t_h) for x in series)
    labels = {c: np.empty(total, dtype=object) for c in ("port", "cargo", "metric")}
    at = 0
    for x in series:  # each label cell points at the series' one string (no copy per row)
        k = len(x.t_h)
        labels["port"][at : at + k], labels["cargo"][at : at + k], labels["metric"][at : at + k] = (
            x.port,
            x.cargo,
            x.metric,
        )
        at += k
    cols = {
        "t_h": np.concatenate([x.t_h for x in series]),
        **labels,
        "value": np.concatenate([x.value for x in series]),
        "peak": np.concatenate([x.peak for x in series]),
    }
    return pd.DataFrame({c: cols[c] for c in columns(LevelStat)})


TRANSIT_BIN_DAYS = 0.5  # finer than a box plot of days to weeks can show; ~100 rows per flow and year


def _transit(s: Scenario, years: list[int], flow_years: dict) -> pd.DataFrame:
    """Per year and flow, tonnes delivered by days in the corridor (entry to delivery) in bins of
    TRANSIT_BIN_DAYS, each named by its middle: the distribution of a run's days, which the plots
    read without one row per consignment. Quantiles from it are within half a bin of the exact ones."""
    order = {f.id: i for i, f in enumerate(s.demand.flows)}
    rows = []
    for (y, flow), fy in sorted(flow_years.items(), key=lambda kv: (kv[0][0], order.get(kv[0][1], len(order)))):
        if y not in years or not len(fy.tons) or flow not in order:  # empties are not a flow's cargo
            continue
        bins, where = np.unique(
            np.floor(np.asarray(fy.corridor_days, dtype=float) / TRANSIT_BIN_DAYS), return_inverse=True
        )
        tons = np.bincount(where, weights=np.asarray(fy.tons, dtype=float))
        rows += [(y, flow, (b + 0.5) * TRANSIT_BIN_DAYS, t) for b, t in zip(bins.tolist(), tons.tolist())]
    return pd.DataFrame(rows, columns=["year", "flow", "corridor_days", "tons_delivered"])


DIVERSION_COLUMNS = ["year", "flow", "alternative", "where", "tons_diverted", "units_diverted"]


def _diversions(s: Scenario, years: list[int], flow_years: dict) -> pd.DataFrame:
    """Per year and flow: the tonnes and units diverted to each outside alternative (or turned
    away by a flow's hard limit, ``over_limit``), before they entered (``origin``) or from a
    Caspian port's yard (``port``). Their sum is the annual table's tons_diverted."""
    rows = []
    for y in years:
        for f in s.demand.flows:
            fy = flow_years.get((y, f.id))
            if fy is None:
                continue
            for (alt, where), (tons, units) in sorted(fy.diverted_by.items()):
                rows.append((y, f.id, alt, where, tons, units))
    return pd.DataFrame(rows, columns=DIVERSION_COLUMNS)


def collect(model: Model, wall_time_s: float) -> Results:
    """The run's tables, each built from the records the model's components wrote (declared next
    to them) and from their yearly rows; event tables cover the statistics period."""
    s: Scenario = model.scenario
    cal: Calendar = model.cal
    years = model.years
    rec = model.recorder
    annual = _annual(s, years, model.ledger.flow_years, rec.rows(StockSnapshot), model.ledger.route_stats)
    lots = _lots(rec.rows(Delivery), cal)
    resources = _frame(model.resource_rows(), ResourceYear)
    links = _frame(model.link_rows(), LinkYear)
    routes = _routes(years, model.ledger.route_stats, {f.id for f in s.demand.flows})
    levels = _levels(model.level_series())
    voyages = _frame(rec.rows(Voyage), Voyage)
    voyages["fill_share"] = voyages.units / (voyages.capacity_units * voyages.load_factor)
    states = _frame(rec.rows(VesselStateSpan), VesselStateSpan)
    port_order = {p.id: i for i, p in enumerate(s.ports)}
    closures = _frame(sorted(rec.rows(Closure), key=lambda c: (port_order[c.port], c.t_start_h)), Closure)
    # event tables cover the statistics period: voyages that left, and spans that end, after the warm-up
    voyages = voyages[voyages.t_depart_h >= 0].reset_index(drop=True)
    states = states[states.t_end_h > 0].reset_index(drop=True)
    closures = closures[closures.t_end_h > 0].reset_index(drop=True)
    demand = _frame(rec.rows(DemandPlan), DemandPlan)
    interventions = _frame(rec.rows(InterventionApplied), InterventionApplied)
    meta = {
        "scenario_name": s.name,
        "label": s.label,
        "overrides": dict(s.overrides),
        "notes": list(s.notes),  # what-ifs held against the timeline, a shorter run's entries
        "demand_case": s.demand_case,
        "scenario_hash": s.digest(),
        "seed": model.seed,
        "years": [s.start_year, s.end_year],
        "warmup_days": s.warmup_days,
        "corridor_sim_version": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": _versions(),
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "wall_time_s": round(wall_time_s, 3),
        "events": model.events,
        "detail": rec.detail,
        "events_per_s": round(model.events / wall_time_s, 1) if wall_time_s > 0 else None,
        "scenario": s.to_dict(),
    }
    return Results(
        s,
        model.seed,
        annual=annual,
        lots=lots,
        resources=resources,
        levels=levels,
        voyages=voyages,
        vessel_states=states,
        closures=closures,
        links=links,
        demand=demand,
        interventions=interventions,
        routes=routes,
        transit=_transit(s, years, model.ledger.flow_years),
        lines=_frame(model.line_rows(), LineYear),
        diversions=_diversions(s, years, model.ledger.flow_years),
        metadata=meta,
        detail=rec.detail,
    )


def _versions() -> dict:
    out: dict[str, str | None] = {}
    for pkg in ("simpy", "numpy", "pandas", "matplotlib", "pydantic"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = None
    return out
