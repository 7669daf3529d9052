"""Results of one run: tidy pandas tables, a JSON summary, metadata, and writing to a folder.

Each table is built once from the lists the model recorded. Every Results carries the resolved
scenario, its hash, the seed and the versions, so a table can always be traced to what made it.
"""
from __future__ import annotations

import json
import platform
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from . import __version__, output
from .calendar import Calendar
from .kpi import binding_bottleneck, busiest_resources, route_split, weighted_quantile
from .scenario import Scenario

TABLES = ("annual", "lots", "resources", "levels", "voyages", "vessel_states", "closures", "links", "demand",
          "interventions")


@dataclass(repr=False)   # the default repr would print every table: see display.py
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
    metadata: dict = field(default_factory=dict)

    # -- what a user looks at first ------------------------------------------------------------
    @property
    def years(self) -> list[int]:
        return list(range(self.scenario.start_year, self.scenario.end_year + 1))

    def delivered_mt(self) -> pd.Series:
        """Tonnes delivered per year, in Mt."""
        return self.annual.groupby("year")["tons_delivered"].sum() / 1e6

    def summary(self) -> dict:
        s = self.scenario
        out: dict = {"scenario": s.name, "label": s.label, "overrides": dict(s.overrides),
                     "demand_case": s.demand_case, "seed": self.seed, "goal_mt_per_year": s.goal_mt_per_year,
                     "bottleneck_threshold": s.output.bottleneck_threshold,
                     "days": "entry_wait_days: generation to corridor entry; corridor_days: entry to delivery; "
                             "transit_days: their sum (docs/kpis.md)",
                     "years": {}}
        for year, grp in self.annual.groupby("year"):
            flows = {}
            for _, r in grp.iterrows():
                flows[r.flow] = {k: round(float(r[k]), 1) for k in
                                 ("tons_generated", "tons_delivered", "tons_diverted", "tons_in_system", "tons_backlog")}
                for k in ("entry_wait_days_mean", "corridor_days_mean", "corridor_days_p95", "transit_days_mean",
                          "transit_days_p95"):
                    flows[r.flow][k] = _num(r[k])
            total = {k: round(float(grp[k].sum()), 1) for k in
                     ("tons_generated", "tons_delivered", "tons_diverted", "tons_in_system", "tons_backlog")}
            teu = float(grp.loc[grp.cargo == "container", "units_delivered"].sum())
            res_y = self.resources[self.resources.year == year]
            busiest = busiest_resources(res_y, 3)
            split = route_split(self.lots[self.lots.year == year])
            out["years"][str(int(year))] = {
                "total": total,
                "teu_delivered": round(teu, 1),
                "flows": flows,
                "busiest_resources": busiest.to_dict(orient="records"),
                "binding_bottleneck": binding_bottleneck(res_y, s.output.bottleneck_threshold),
                "route_split": {f: {r: round(float(v), 4) for r, v in g.items()} for f, g in split.items()},
            }
        out["interventions"] = self.interventions[["id", "date", "description"]].to_dict(orient="records") \
            if len(self.interventions) else []
        lots = self.lots
        out["transit_days"] = {
            f: {"mean": _num(np.average(g.transit_days, weights=g.tons)),
                "p95": _num(weighted_quantile(g.transit_days.to_numpy(), g.tons.to_numpy(), 0.95)),
                "entry_wait_mean": _num(np.average(g.transit_days - g.corridor_days, weights=g.tons)),
                "corridor_mean": _num(np.average(g.corridor_days, weights=g.tons))}
            for f, g in lots.groupby("flow")} if len(lots) else {}
        return out

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
                df = getattr(self, name)
                df.to_csv(tmp / f"{name}.csv", index=False)
                if parquet:
                    _flat(df).to_parquet(tmp / f"{name}.parquet", index=False)
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


def _flat(df: pd.DataFrame) -> pd.DataFrame:
    """Parquet wants one type per column: object columns become strings."""
    obj = [c for c in df.columns if df[c].dtype == object]
    return df.astype({c: "string" for c in obj}) if obj else df


# ----------------------------------------------------------------------------------------------
# From model records to tables
# ----------------------------------------------------------------------------------------------
def collect(model, wall_time_s: float) -> Results:
    s: Scenario = model.scenario
    cal: Calendar = model.cal
    years = model.years
    ledger = model.ledger
    flows = {f.id: f for f in s.demand.flows}
    end_h = model.bounds[-1]

    # lots delivered within the statistics period
    rows = []
    for (lid, cons, flow, cargo, route, where, tons, units, t_gen, t_ent, t_del, stamps) in ledger.delivered_rows:
        if t_del < 0:
            continue
        row = {"lot_id": lid, "consignment": cons, "flow": flow, "cargo": cargo, "route": route,
               "destination": where, "tons": tons, "units": units, "t_generated_h": t_gen,
               "t_entered_h": t_ent, "t_delivered_h": t_del}
        for stage, t in stamps.items():
            if stage not in ("entered", "delivered"):
                row[f"t_{stage}_h"] = t
        rows.append(row)
    lots = pd.DataFrame(rows)
    if len(lots):
        lots["year"] = [cal.year_of(t) for t in lots.t_delivered_h]
        lots["transit_days"] = (lots.t_delivered_h - lots.t_generated_h) / 24.0
        lots["corridor_days"] = (lots.t_delivered_h - lots.t_entered_h) / 24.0
        lots["backlog_days"] = lots.transit_days - lots.corridor_days
    else:
        lots = pd.DataFrame(columns=["lot_id", "consignment", "flow", "cargo", "route", "destination", "tons",
                                     "units", "t_generated_h", "t_entered_h", "t_delivered_h", "year",
                                     "transit_days", "corridor_days", "backlog_days"])

    gen = pd.DataFrame(ledger.generated_rows, columns=["flow", "t", "tons", "units"])
    gen = gen[gen.t >= 0]
    gen["year"] = [cal.year_of(t) for t in gen.t]
    div = pd.DataFrame(ledger.diverted_rows, columns=["flow", "t", "tons", "units"])
    div = div[div.t >= 0]
    div["year"] = [cal.year_of(t) for t in div.t]
    stocks = pd.DataFrame(ledger.stock_rows, columns=["year", "t", "flow", "backlog", "in_system"])

    annual_rows = []
    for y in years:
        for fid, f in flows.items():
            g = gen[(gen.year == y) & (gen.flow == fid)]
            dv = div[(div.year == y) & (div.flow == fid)]
            d = lots[(lots.year == y) & (lots.flow == fid)]
            st0 = stocks[(stocks.year == y) & (stocks.flow == fid)]
            st1 = stocks[(stocks.year == y + 1) & (stocks.flow == fid)]
            tw = d.tons.to_numpy(dtype=float)
            td = d.transit_days.to_numpy(dtype=float)
            tc = d.corridor_days.to_numpy(dtype=float)
            annual_rows.append({
                "year": y, "flow": fid, "cargo": f.cargo, "unit": s.cargo_classes[f.cargo].unit,
                "tons_generated": float(g.tons.sum()), "tons_delivered": float(tw.sum()),
                "tons_diverted": float(dv.tons.sum()), "units_delivered": float(d.units.sum()),
                "tons_backlog_start": float(st0.backlog.sum()), "tons_in_system_start": float(st0.in_system.sum()),
                "tons_backlog": float(st1.backlog.sum()), "tons_in_system": float(st1.in_system.sum()),
                "transit_days_mean": float(np.average(td, weights=tw)) if tw.sum() > 0 else np.nan,
                "transit_days_p95": weighted_quantile(td, tw, 0.95) if tw.sum() > 0 else np.nan,
                # the two parts of the total apart (docs/kpis.md): waiting to enter, then in the corridor
                "entry_wait_days_mean": float(np.average(td - tc, weights=tw)) if tw.sum() > 0 else np.nan,
                "corridor_days_mean": float(np.average(tc, weights=tw)) if tw.sum() > 0 else np.nan,
                "corridor_days_p95": weighted_quantile(tc, tw, 0.95) if tw.sum() > 0 else np.nan,
            })
    annual = pd.DataFrame(annual_rows)

    # port tracks: the share of track time held by trains waiting for yard space (not in utilization)
    blocked = {t.tracks.name: [t.blocked.mean(i) / t.tracks.capacity for i in range(len(years))]
               for t in model.terminals.values()}
    res_rows = []
    for r in model.resources():
        for i, y in enumerate(years):
            n = r.grants.count[i]
            res_rows.append({"year": y, "resource": r.name, "kind": r.kind, "where": r.where,
                             "capacity": r.capacity, "utilization": r.busy.mean(i) / r.capacity,
                             "mean_queue": r.queue.mean(i), "max_queue": r.queue.peak[i],
                             "queue_unit": "vessels" if r.kind == "berth" else "trains",
                             "blocked_share": blocked.get(r.name, [np.nan] * len(years))[i],
                             "entries": n, "mean_wait_h": r.grants.wait_sum[i] / n if n else np.nan})
    for term in model.terminals.values():
        for i, y in enumerate(years):
            res_rows.append({"year": y, "resource": f"{term.name}:yard", "kind": "yard", "where": term.port.id,
                             "capacity": term.capacity_units, "utilization": term.yard.mean(i) / term.capacity_units,
                             "mean_queue": np.nan, "max_queue": term.yard.peak[i] / term.capacity_units,
                             "queue_unit": "peak fill share",
                             "entries": np.nan, "mean_wait_h": np.nan})
    shipped: dict[tuple[str, int], float] = {}
    for v in model.rows["voyages"]:
        if v[4] >= 0:
            key = (v[2], cal.year_of(v[4]))
            shipped[key] = shipped.get(key, 0.0) + v[6]
    for line in model.lines.values():
        for gid, g in line.groups.items():
            for i, y in enumerate(years):
                fleet = g["fleet"].mean(i)             # vessels in service, time-averaged over the year
                if fleet <= 1e-9:
                    continue
                # cargo's mean wait in the origin yard, by Little's law: units waiting / units shipped per hour
                rate = shipped.get((line.id, y), 0.0) / (model.bounds[i + 1] - model.bounds[i])
                yard_wait_h = line.origin.yard.mean(i) / rate if rate > 0 else np.nan
                res_rows.append({"year": y, "resource": f"{line.id}:{gid}", "kind": "fleet", "where": line.id,
                                 "capacity": round(fleet, 3), "utilization": min(g["working"].mean(i) / fleet, 1.0),
                                 "mean_queue": line.origin.yard.mean(i), "max_queue": line.origin.yard.peak[i],
                                 "queue_unit": f"{s.cargo_classes[line.cfg.cargo].unit} in the {line.origin.port.id} yard",
                                 "entries": np.nan, "mean_wait_h": yard_wait_h})
    resources = pd.DataFrame(res_rows)

    link_rows = []
    for link in model.links.values():
        for i, y in enumerate(years):
            link_rows.append({"year": y, "link": link.id, "from": link.from_node, "to": link.to_node,
                              "corridor_trains": link.corridor.count[i], "tons": link.tons[i],
                              "path_utilization": (link.path.busy.mean(i) if link.path else np.nan)})
    links = pd.DataFrame(link_rows)

    levels = pd.DataFrame(model.rows["levels"], columns=["t_h", "port", "cargo", "metric", "value"])
    levels = levels[levels.t_h < end_h]
    voyages = pd.DataFrame(model.rows["voyages"], columns=["vessel", "group", "line", "cargo", "t_depart_h",
                                                           "t_arrive_h", "units", "tons", "capacity_units", "load_factor"])
    voyages["fill_share"] = voyages.units / (voyages.capacity_units * voyages.load_factor)
    states = pd.DataFrame(model.rows["vessel_states"], columns=["vessel", "line", "state", "t_start_h", "t_end_h"])
    closures = pd.DataFrame([c for p in model.ports.values() for c in p.closures],
                            columns=["port", "t_start_h", "t_end_h"])
    # event tables cover the statistics period: voyages that left, and spans that end, after the warm-up
    voyages = voyages[voyages.t_depart_h >= 0].reset_index(drop=True)
    states = states[states.t_end_h > 0].reset_index(drop=True)
    closures = closures[closures.t_end_h > 0].reset_index(drop=True)

    demand = pd.DataFrame(model.rows["demand"], columns=["t_h", "year", "flow", "route", "share", "tariff_usd_per_t",
                                                          "observed_days", "transit_days", "generalized_cost_usd_per_t",
                                                          "demand_multiplier", "trend_tons_per_year",
                                                          "demand_tons_per_year"])
    interventions = pd.DataFrame(model.rows["interventions"], columns=["id", "date", "t_h", "description", "source",
                                                                     "set", "scale"])
    meta = {
        "scenario_name": s.name, "label": s.label, "overrides": dict(s.overrides), "demand_case": s.demand_case,
        "scenario_hash": s.digest(), "seed": model.seed,
        "years": [s.start_year, s.end_year], "warmup_days": s.warmup_days,
        "corridor_sim_version": __version__, "python": sys.version.split()[0],
        "platform": platform.platform(), "packages": _versions(),
        "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "wall_time_s": round(wall_time_s, 3), "events": model.events,
        "events_per_s": round(model.events / wall_time_s, 1) if wall_time_s > 0 else None,
        "scenario": s.to_dict(),
    }
    return Results(s, model.seed, annual, lots, resources, levels, voyages, states, closures, links, demand,
                   interventions, meta)


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version
    out = {}
    for pkg in ("simpy", "numpy", "pandas", "matplotlib", "pydantic"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = None
    return out


def load_results(folder: str | Path, scenario: Scenario, tables: tuple[str, ...] | None = None,
                 columns: dict[str, list[str]] | None = None) -> Results:
    """Read a result folder written by ``Results.write`` back into Results (Parquet when present,
    so numbers round-trip exactly). A missing or damaged table or metadata.json is a
    ResultsFolderError naming the file.

    ``tables`` reads only those tables (the others are empty), and ``columns`` only some columns
    of a table: a report over many replications reads what each section needs, not every lot."""
    folder = Path(folder)
    wanted = set(TABLES if tables is None else tables)
    columns = columns or {}
    out = {}
    for name in TABLES:
        if name not in wanted:
            out[name] = pd.DataFrame()
            continue
        pq, csv = folder / f"{name}.parquet", folder / f"{name}.csv"
        path = pq if pq.exists() and _have_pyarrow() else csv
        cols = columns.get(name)
        try:
            if path is pq:
                df = pd.read_parquet(pq, columns=cols)
                out[name] = df.astype({c: object for c in df.columns if str(df[c].dtype) == "string"})
            else:
                out[name] = pd.read_csv(csv, usecols=cols) if csv.stat().st_size > 1 else pd.DataFrame()
        except FileNotFoundError:
            raise output.ResultsFolderError(f"{folder}: {csv.name} is missing, so the result folder is incomplete") from None
        except Exception as exc:  # noqa: BLE001 - pandas and pyarrow raise many kinds for a damaged file
            raise output.ResultsFolderError(f"{path}: the table is damaged and cannot be read "
                                            f"({type(exc).__name__}: {str(exc)[:200]})") from None
    meta = output.read_json(folder / "metadata.json", "metadata")
    if not isinstance(meta, dict) or isinstance(meta.get("seed"), bool) or not isinstance(meta.get("seed"), int):
        raise output.ResultsFolderError(f"{folder / 'metadata.json'}: the metadata is damaged (no integer 'seed')")
    return Results(scenario, int(meta["seed"]), metadata=meta, **out)


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
            raise output.ResultsFolderError(f"{folder / 'replications'} holds no replication: the run finished "
                                            "none; complete it with --resume")
        folder = reps[0]
    return load_results(folder, scenario_of(folder))
