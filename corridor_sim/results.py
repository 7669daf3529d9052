"""Results of one run: tidy pandas tables, a JSON summary, metadata, and writing to a folder.

Each table is built once from the lists the model recorded. Every Results carries the resolved
scenario, its hash, the seed and the versions, so a table can always be traced to what made it.
"""

from __future__ import annotations

import json
import platform
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import __version__, output
from .calendar import Calendar
from .kpi import weighted_quantile
from .model.build import InterventionApplied, empty_flow
from .model.cargo import Delivery, FlowYear, StockSnapshot
from .model.demand import DemandPlan
from .model.fleet import LineYear, VesselStateSpan, Voyage
from .model.meters import ResourceYear
from .model.port import Closure, LevelSeries, LevelStat
from .model.rail import LinkYear
from .model.records import columns
from .scenario import Scenario

TABLES = (
    "annual",
    "lots",
    "resources",
    "levels",
    "voyages",
    "vessel_states",
    "closures",
    "links",
    "demand",
    "interventions",
    "routes",
    "transit",
    "lines",
)
# pandas formats a CSV in chunks of ~16,000 rows by default, ~10 MB of strings at once for the
# levels of a 12-year run: smaller chunks keep writing's memory flat in the years simulated
CSV_CHUNK_ROWS = 2_000
# kept only when a run is asked for its detail (one row per consignment, voyage or vessel state)
DETAIL_TABLES = ("lots", "voyages", "vessel_states")


@dataclass(repr=False)  # the default repr would print every table: see display.py
class Results:
    scenario: Scenario
    seed: int
    annual: pd.DataFrame
    lots: pd.DataFrame
    resources: pd.DataFrame
    levels: pd.DataFrame
    voyages: pd.DataFrame
    vessel_states: pd.DataFrame
    closures: pd.DataFrame
    links: pd.DataFrame
    demand: pd.DataFrame
    interventions: pd.DataFrame
    routes: pd.DataFrame
    transit: pd.DataFrame  # tonnes delivered by days in the corridor, in bins (the distribution without detail)
    lines: pd.DataFrame  # per year and sea line: sailings, units and tonnes (the map without detail)
    metadata: dict = field(default_factory=dict)
    detail: bool = True  # whether the detail tables (DETAIL_TABLES) were kept
    # statistics derived from the tables, each computed once (``summary.once``): a worker fills it
    # writing its run's summary.json, and it travels back with the run, so the statistics across
    # replications and a comparison do not derive them again. Valid for the table objects they
    # were derived from (checked by identity): the tables are read-only once made.
    derived: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        # a Results made from another's fields gets its own dict (it may replace a table)
        self.derived = dict(self.derived)

    def __getstate__(self) -> dict:
        from .summary import valid_derived

        # values derived from tables since replaced do not travel
        return self.__dict__ if valid_derived(self) else {**self.__dict__, "derived": {}}

    def __setstate__(self, state: dict) -> None:
        # unpickled (a worker's run coming back): what was derived came with the very tables it
        # was derived from, which now have new identities
        self.__dict__.update(state)
        from .summary import rekey_derived

        rekey_derived(self)

    # -- what a user looks at first ------------------------------------------------------------
    @property
    def years(self) -> list[int]:
        return list(range(self.scenario.start_year, self.scenario.end_year + 1))

    def delivered_mt(self) -> pd.Series:
        """The corridor's tonnes delivered per year, in Mt (other traffic sharing it left out)."""
        other = [f.id for f in self.scenario.demand.flows if not f.corridor]
        a = self.annual[~self.annual.flow.isin(other)] if other else self.annual
        return a.groupby("year")["tons_delivered"].sum() / 1e6

    def summary(self) -> dict:
        """summary.json: this run as a batch of one (``corridor_sim.summary``, docs/summary.md)."""
        from .summary import summarize

        return summarize([self], self.scenario, self.seed)

    # -- files -----------------------------------------------------------------------------------
    def write(self, out: str | Path, plots: bool = True, overwrite: bool = False) -> Path:
        """Write tables (CSV, plus Parquet with pyarrow), summary.json, metadata.json and plots.

        The output contract (``corridor_sim.output``): ``out`` must be absent, empty, or earlier
        results, which are replaced only with ``overwrite``. Everything is written to a private
        folder beside ``out`` and swapped in at the end, so an interrupted or failed write never
        leaves a half-new result folder or loses the old one.
        """

        def fill(tmp: Path) -> None:
            parquet = _have_pyarrow()
            for name in TABLES:
                if name in DETAIL_TABLES and not self.detail:
                    continue  # not kept: no empty file that looks like a result
                df = getattr(self, name)
                if parquet:
                    _flat(df).to_parquet(tmp / f"{name}.parquet", index=False)
                # the detail tables grow with every simulated year: Parquet only (CSV costs ~12x the CPU)
                if name not in DETAIL_TABLES or not parquet:
                    df.to_csv(tmp / f"{name}.csv", index=False, chunksize=CSV_CHUNK_ROWS)
            (tmp / "summary.json").write_text(json.dumps(self.summary(), indent=2))
            (tmp / "metadata.json").write_text(json.dumps(self.metadata, indent=2, default=str))
            if plots:
                from .plots import save_all  # plots depend on results, not the other way round

                save_all(self, tmp)

        return output.write_folder(out, fill, kind="run", overwrite=overwrite)

    def _repr_html_(self) -> str:
        from .display import results_html

        return results_html(self)

    def __repr__(self) -> str:
        from .display import results_text

        return results_text(self)


def _num(x) -> float | None:
    x = float(x)
    return None if not np.isfinite(x) else round(x, 2)


def _have_pyarrow() -> bool:
    try:
        import pyarrow  # noqa: F401

        return True
    except ImportError:
        return False


def _rows(df: pd.DataFrame) -> Iterator[Any]:
    """``df.itertuples()`` with each row typed Any: pandas-stubs types every field of a row as any
    pandas scalar (a date, a string, NA ...) whatever its column holds, so ``int(row.year)`` would
    not type-check."""
    return df.itertuples()


def _flat(df: pd.DataFrame) -> pd.DataFrame:
    """Parquet wants one type per column: object columns become strings."""
    obj = [c for c in df.columns if df[c].dtype == object]
    return df.astype({c: "string" for c in obj}) if obj else df


# ----------------------------------------------------------------------------------------------
# From model records to tables
# ----------------------------------------------------------------------------------------------
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
                    "tons_generated": float(np.asarray(fy.generated, dtype=float).sum()),
                    "tons_delivered": float(tw.sum()),
                    "tons_diverted": float(np.asarray(fy.diverted, dtype=float).sum()),
                    "units_delivered": float(np.asarray(fy.units, dtype=float).sum()),
                    "tons_backlog_start": st0.tons_backlog if st0 else 0.0,
                    "tons_in_system_start": st0.tons_in_system if st0 else 0.0,
                    "tons_backlog": st1.tons_backlog if st1 else 0.0,
                    "tons_in_system": st1.tons_in_system if st1 else 0.0,
                    "transit_days_mean": float(np.average(td, weights=tw)) if tw.sum() > 0 else np.nan,
                    "transit_days_p95": weighted_quantile(td, tw, 0.95) if tw.sum() > 0 else np.nan,
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
    per-consignment detail), their door-to-door cost and CO2 (``model.charges``): the charges
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


def collect(model, wall_time_s: float) -> Results:
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
        metadata=meta,
        detail=rec.detail,
    )


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {}
    for pkg in ("simpy", "numpy", "pandas", "matplotlib", "pydantic"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = None
    return out


def load_results(
    folder: str | Path,
    scenario: Scenario,
    tables: tuple[str, ...] | None = None,
    columns: dict[str, list[str]] | None = None,
) -> Results:
    """Read a result folder written by ``Results.write`` back into Results (Parquet when present,
    so numbers round-trip exactly). A missing or damaged table or metadata.json is a
    ResultsFolderError naming the file.

    ``tables`` reads only those tables (the others are empty), and ``columns`` only some columns
    of a table: a report over many replications reads what each section needs, not every lot."""
    folder = Path(folder)
    wanted = set(TABLES if tables is None else tables)
    columns = columns or {}
    out: dict[str, Any] = {}  # table name -> its DataFrame
    meta = output.read_json(folder / "metadata.json", "metadata")
    detail = bool(meta.get("detail", True)) if isinstance(meta, dict) else True
    for name in TABLES:
        if name not in wanted:
            out[name] = pd.DataFrame()
            continue
        pq, csv = folder / f"{name}.parquet", folder / f"{name}.csv"
        if name in DETAIL_TABLES and not detail:
            out[name] = pd.DataFrame()
            continue
        path = pq if pq.exists() and _have_pyarrow() else csv
        cols = columns.get(name)
        try:
            if path is pq:
                df = pd.read_parquet(pq, columns=cols)
                out[name] = df.astype({c: object for c in df.columns if str(df[c].dtype) == "string"})
            else:
                out[name] = pd.read_csv(csv, usecols=cols) if csv.stat().st_size > 1 else pd.DataFrame()
        except FileNotFoundError:
            raise output.ResultsFolderError(
                f"{folder}: {path.name} is missing, so the result folder is incomplete"
            ) from None
        except Exception as exc:
            raise output.ResultsFolderError(
                f"{path}: the table is damaged and cannot be read ({type(exc).__name__}: {str(exc)[:200]})"
            ) from None
    if not isinstance(meta, dict) or isinstance(meta.get("seed"), bool) or not isinstance(meta.get("seed"), int):
        raise output.ResultsFolderError(f"{folder / 'metadata.json'}: the metadata is damaged (no integer 'seed')")
    return Results(scenario, int(meta["seed"]), metadata=meta, detail=detail, **out)


def replication_folders(folder: Path) -> list[Path]:
    """The replication folders of a replicated result folder, in order (temporary ones left out)."""
    reps = folder / "replications"
    return sorted(p for p in reps.iterdir() if p.is_dir() and not p.name.startswith(".")) if reps.is_dir() else []


def scenario_of(folder: Path) -> Scenario:
    """The scenario a result folder was run with, from its metadata.json."""
    from .loading import validate_dict

    meta_path = folder / "metadata.json"
    if not meta_path.exists():
        raise output.ResultsFolderError(f"{folder} is not a result folder (no metadata.json)")
    meta = output.read_json(meta_path, "metadata")
    if not isinstance(meta, dict) or not isinstance(meta.get("scenario"), dict):
        raise output.ResultsFolderError(f"{meta_path}: the metadata is damaged (no 'scenario' mapping)")
    return validate_dict(meta["scenario"], str(meta_path), check_dates=False)


def open_results(folder: str | Path) -> Results:
    """Read a result folder with the scenario it was run with (from its metadata.json). A folder of
    replications opens its first replication."""
    folder = Path(folder)
    if not folder.is_dir():
        raise output.ResultsFolderError(f"{folder}: no such result folder")
    if (folder / "manifest.json").exists() and (folder / "replications").exists():
        reps = replication_folders(folder)
        if not reps:
            raise output.ResultsFolderError(
                f"{folder / 'replications'} holds no replication: the run finished none; complete it with --resume"
            )
        folder = reps[0]
    return load_results(folder, scenario_of(folder))
