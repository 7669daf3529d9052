"""Statistics across replications, in one place, and the one ``summary.json`` they make.

A single run is a batch of one: the same functions give its totals, what binds, its route
shares and the first year it reaches the goal, and the same summary schema (with ``sd`` and the
interval null). ``experiments.replicated.Replicated``, ``experiments.comparison.compare_results``
and the analyses call these functions; nothing re-derives them. The schema is documented in docs/summary.md and
checked by ``check_summary``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from ..kpi import binding_bottleneck, busiest_resources, first_year_at
from ..scenario.schema import Scenario
from ..stats import stat_dict

T = TypeVar("T")

SCHEMA = "corridor-sim/summary"
VERSION = 4

TOTAL_METRICS = [
    "offered_mt",
    "delivered_mt",
    "diverted_mt",
    "backlog_mt",
    "in_system_mt",
    "stock_change_mt",
    "teu_delivered",
    "entry_wait_days_mean",
    "corridor_days_mean",
    "transit_days_mean",
    "charges_musd",
    "cost_usd_per_t",
    "co2e_kt",
    "co2e_kg_per_t",
]
FLOW_METRICS = [
    "tons_offered",
    "tons_delivered",
    "tons_diverted",
    "tons_in_system",
    "tons_backlog",
    "entry_wait_days_mean",
    "corridor_days_mean",
    "corridor_days_p95",
    "transit_days_mean",
    "transit_days_p95",
]
DAYS = (
    "entry_wait_days: generation to corridor entry; corridor_days: entry to delivery; transit_days: their "
    "sum (docs/kpis.md)"
)


def once(res, key: Hashable, make: Callable[[], T]) -> T:
    """``make()``, computed once per run and kept in ``res.derived`` (a Results). The same few
    values of each run are read by its own summary.json, the statistics across its replications
    and a comparison; a worker computes them writing its run, and they come back with it. Callers
    must not modify what they get."""
    memo = getattr(res, "derived", None)
    if not isinstance(memo, dict):
        try:  # a Results unpickled from before the field existed, or a stand-in object
            memo = res.derived = {}
        except AttributeError:
            return make()
    tables = _tables_key(res)
    if memo.get(_FROM) != tables:  # derived from other tables (one was replaced): start again
        memo.clear()
        memo[_FROM] = tables
    if key not in memo:
        memo[key] = make()
    return memo[key]


_FROM = "_derived_from"  # the identities of the tables the values were derived from
_DERIVED_FROM_TABLES = ("annual", "resources", "routes")


def _tables_key(res) -> tuple[int, ...]:
    return tuple(id(getattr(res, name, None)) for name in _DERIVED_FROM_TABLES)


def valid_derived(res) -> bool:
    """Whether ``res.derived`` holds values derived from the tables ``res`` has now (or nothing)."""
    memo = getattr(res, "derived", None)
    return not memo or memo.get(_FROM) == _tables_key(res)


def rekey_derived(res) -> None:
    """After unpickling a run: its derived values came with its tables, now new objects."""
    memo = getattr(res, "derived", None)
    if isinstance(memo, dict) and memo:
        memo[_FROM] = _tables_key(res)


def totals(res) -> pd.DataFrame:
    """Per year, the corridor totals of one run (Mt, TEU, tonne-weighted days). Computed once per
    run: do not modify the table returned."""
    return once(res, "totals", lambda: _totals(res))


def _stock_change_t(g: pd.DataFrame) -> float:
    """Tonnes waiting to enter or inside the corridor at the year's end less at its start (a run
    written before the start-of-year stocks were kept counts from zero)."""
    start = sum(float(g[c].sum()) for c in ("tons_backlog_start", "tons_in_system_start") if c in g)
    return float(g.tons_backlog.sum() + g.tons_in_system.sum()) - start


def _totals(res) -> pd.DataFrame:
    rows = []

    def weighted(col, g, w):  # tonne-weighted over flows; NaN where nothing was delivered
        if col not in g:  # results written before the days were split have no such column
            return np.nan
        ok = g[col].notna() & (w > 0)
        return float((g.loc[ok, col] * w[ok]).sum() / w[ok].sum()) if w[ok].sum() > 0 else np.nan

    # the corridor's cargo only: other traffic sharing its resources (Flow.corridor false) is not
    # the corridor's tonnage
    other = {f.id for f in res.scenario.demand.flows if not f.corridor} if hasattr(res, "scenario") else set()
    annual = res.annual[~res.annual.flow.isin(list(other))] if other else res.annual
    money = _money_by_year(res, other)
    for year, g in annual.groupby("year"):
        w = g.tons_delivered
        rows.append(
            {
                "year": int(year),
                "offered_mt": g.tons_offered.sum() / 1e6,
                "delivered_mt": w.sum() / 1e6,
                "diverted_mt": g.tons_diverted.sum() / 1e6,
                "backlog_mt": g.tons_backlog.sum() / 1e6,
                "in_system_mt": g.tons_in_system.sum() / 1e6,
                # offered = delivered + diverted + stock_change: the year's tonnes all accounted for
                "stock_change_mt": _stock_change_t(g) / 1e6,
                "teu_delivered": g.loc[g.cargo == "container", "units_delivered"].sum(),
                "entry_wait_days_mean": weighted("entry_wait_days_mean", g, w),
                "corridor_days_mean": weighted("corridor_days_mean", g, w),
                "transit_days_mean": weighted("transit_days_mean", g, w),
                **money.get(int(year), _NO_MONEY),
            }
        )
    return pd.DataFrame(rows, columns=["year", *TOTAL_METRICS])


_NO_MONEY = {"charges_musd": np.nan, "cost_usd_per_t": np.nan, "co2e_kt": np.nan, "co2e_kg_per_t": np.nan}


def _money_by_year(res, other: set) -> dict[int, dict[str, float]]:
    """Per year: the charges the corridor's flows paid (US$ m), their door-to-door cost per tonne
    (charges + time), and their CO2e with their empties' (kt, and kg per tonne delivered); NaN
    where nothing is priced or no emission factor is given (or a table predates them)."""
    r = getattr(res, "routes", None)
    if r is None or "charges_usd" not in getattr(r, "columns", ()):
        return {}
    r = r[~r.flow.isin(list(other))] if other else r
    a = res.annual
    empties = a.groupby("year").empty_co2e_kg.sum(min_count=1) if "empty_co2e_kg" in a else None
    out = {}
    for year, g in r.groupby("year"):
        tons = float(g.tons_delivered.sum())
        charges = float(g.charges_usd.sum(min_count=len(g)))  # NaN if any route is unpriced
        cost = charges + float(g.time_cost_usd.sum())
        co2 = float(g.co2e_kg.sum(min_count=len(g)))
        if empties is not None and int(year) in empties.index and empties.loc[year] == empties.loc[year]:
            co2 += float(empties.loc[year])
        out[int(year)] = {
            "charges_musd": charges / 1e6,
            "cost_usd_per_t": cost / tons if tons > 0 else np.nan,
            "co2e_kt": co2 / 1e6,
            "co2e_kg_per_t": co2 / tons if tons > 0 else np.nan,
        }
    return out


def binding_vote(runs: list, year: int, threshold: float) -> dict:
    """What binds in ``year`` across replications: the resource most often binding (each run's
    ``kpi.binding_bottleneck`` at the scenario's ``output.bottleneck_threshold``), with the share of
    replications it binds in, its kind and mean utilization; if none binds in any run, the busiest
    resource with ``binding`` False."""
    bbs = [_binding_by_year(r, threshold).get(int(year)) or _binding_in(r, year, threshold) for r in runs]
    named = Counter(b["resource"] for b in bbs if b["binding"])
    if named:
        resource, count = named.most_common(1)[0]
        same = [b for b in bbs if b["resource"] == resource]
        return {
            "resource": resource,
            "kind": same[0]["kind"],
            "utilization": round(float(np.mean([b["utilization"] for b in same])), 3),
            "share_of_replications": round(count / len(runs), 3),
            "binding": True,
        }
    top = max(bbs, key=lambda b: b["utilization"] or 0)
    return {
        "resource": top["resource"],
        "kind": top["kind"],
        "utilization": top["utilization"],
        "share_of_replications": 0.0,
        "binding": False,
    }


def _binding_in(res, year: int, threshold: float) -> dict:
    return binding_bottleneck(res.resources[res.resources.year == year], threshold)


def _binding_by_year(res, threshold: float) -> dict[int, dict]:
    """``kpi.binding_bottleneck`` of each year of one run (a year's rows as a filter on it gives them)."""
    return once(
        res,
        ("binding", threshold),
        lambda: {int(y): binding_bottleneck(g, threshold) for y, g in res.resources.groupby("year", sort=False)},
    )


def _route_split_by_year(res) -> dict[int, list[tuple[str, str, float, float]]]:
    """Per year of one run: (flow, route, share of the flow's delivered tonnes, tonnes)."""

    def make() -> dict[int, list[tuple[str, str, float, float]]]:
        # kpi.route_split of each year's rows, all years in one grouping: each (year, flow, route)
        # sums the same rows in the same order, and each flow's routes come sorted, as there
        out: dict[int, list[tuple[str, str, float, float]]] = {}
        if res.routes.empty:
            return out
        sums = res.routes.groupby(["year", "flow", "route"]).tons_delivered.sum()
        keys, tons = sums.index.tolist(), sums.to_numpy(dtype=float)
        a = 0
        while a < len(keys):
            year, flow = keys[a][0], keys[a][1]
            b = a + 1
            while b < len(keys) and keys[b][0] == year and keys[b][1] == flow:
                b += 1
            rows = out.setdefault(int(year), [])
            t = tons[a:b]
            total = t.sum()
            if total > 0:
                share = t / total
                rows += [(str(flow), str(keys[k][2]), float(share[k - a]), float(t[k - a])) for k in range(a, b)]
            a = b
        return out

    return once(res, "route_split", make)


def route_shares(runs: list, year: int) -> dict[tuple[str, str], dict[str, list[float]]]:
    """Per (flow, route) in ``year``: its share of the flow's delivered tonnes and its tonnes, one
    value per replication (0 where a replication sent nothing that way)."""
    out: dict[tuple[str, str], dict[str, list[float]]] = {}
    for i, r in enumerate(runs):
        for f, route, share, tons in _route_split_by_year(r).get(int(year), []):
            d = out.setdefault((f, route), {"share": [0.0] * len(runs), "tons": [0.0] * len(runs)})
            d["share"][i] = share
            d["tons"][i] = tons
    return out


def _flow_rows(res) -> dict[tuple[int, str], dict[str, Any]]:
    """One run's annual rows by (year, flow), the first where a pair repeats."""

    def make() -> dict[tuple[int, str], dict[str, Any]]:
        out: dict[tuple[int, str], dict[str, Any]] = {}
        for row in res.annual.to_dict(orient="records"):
            out.setdefault((int(row["year"]), row["flow"]), row)
        return out

    return once(res, "flow_rows", make)


def goal_reach(runs: list, goal_mt: float, mean_delivered: pd.Series) -> dict:
    """The first year the mean delivered tonnes reach the goal (None: not in the run) and the
    share of replications that reach it in some year."""
    reach = [first_year_at(totals(r).set_index("year").delivered_mt, goal_mt) for r in runs]
    return {
        "first_year_of_mean": first_year_at(mean_delivered, goal_mt),
        "share_of_replications_reaching_goal": round(sum(x is not None for x in reach) / len(runs), 3),
    }


def scope(scenario: Scenario) -> str:
    """What the corridor's tonnes count: as the scenario states it (``output.summary_scope``, the
    series they compare with), else its own flows (other traffic sharing it is not its tonnage)."""
    stated = scenario.output.summary_scope
    if stated is not None:
        return stated
    return "the corridor's own flows: " + ", ".join(f.id for f in scenario.demand.flows if f.corridor)


def summarize(runs: list, scenario: Scenario, seed: int, failed: list[dict] | None = None) -> dict:
    """The summary.json of a run (a batch of one) or of replications of one scenario."""
    n = len(runs)
    tot = [totals(r).set_index("year") for r in runs]
    out: dict[str, Any] = {
        "schema": SCHEMA,
        "version": VERSION,
        "scenario": scenario.name,
        "label": scenario.label,
        "overrides": dict(scenario.overrides),
        "demand_case": scenario.demand_case,
        "seed": seed,
        "replications": n,
        "seeds": [r.seed for r in runs],
        "goal_mt_per_year": scenario.goal_mt_per_year,
        "bottleneck_threshold": scenario.output.bottleneck_threshold,
        "days": DAYS,
        "scope": scope(scenario),
        "statistics": (
            "mean, sd and 95% t confidence interval over replications (route shares: on the logit "
            "scale, inside [0, 1]; docs/kpis.md)"
            if n > 1
            else "one run: sd and the interval are null"
        ),
        "years": {},
    }
    if failed:
        out["statistics"] += (
            f" (the {n} that succeeded; {len(failed)} failed: replications "
            + ", ".join(str(f["replication"]) for f in failed)
            + ")"
        )
    out["failed_replications"] = list(failed or [])
    flows = list(dict.fromkeys(runs[0].annual.flow))
    metrics = [m for m in FLOW_METRICS if m in runs[0].annual.columns]
    flow_rows = [_flow_rows(r) for r in runs]
    # each year's resources of every run, in the order of the runs (one split, not a filter a year)
    by_year = dict(iter(pd.concat([r.resources for r in runs]).groupby("year", sort=False)))
    for year in sorted(tot[0].index):
        per_flow = {}
        for flow in flows:
            rows = [fr[(int(year), flow)] for fr in flow_rows]
            per_flow[flow] = {
                m: stat_dict([float(x[m]) for x in rows], 1 if m.startswith("tons") else 2) for m in metrics
            }
        resources = by_year.get(year, runs[0].resources.iloc[0:0])
        splits: dict[str, dict[str, dict]] = {}
        for (f, route), d in route_shares(runs, year).items():
            splits.setdefault(f, {})[route] = stat_dict(d["share"], 4, share=True)
        out["years"][str(int(year))] = {
            "total": {m: stat_dict([t.loc[year, m] for t in tot], 3) for m in TOTAL_METRICS},
            "flows": per_flow,
            "busiest_resources": busiest_resources(resources, 3).to_dict(orient="records"),
            "binding_bottleneck": binding_vote(runs, year, scenario.output.bottleneck_threshold),
            "route_split": splits,
        }
    mean = pd.Series([np.mean([t.loc[y, "delivered_mt"] for t in tot]) for y in tot[0].index], index=tot[0].index)
    out["first_year_at_goal"] = goal_reach(runs, scenario.goal_mt_per_year, mean)
    iv = runs[0].interventions
    out["interventions"] = iv[["id", "date", "description"]].to_dict(orient="records") if len(iv) else []
    return out


_STAT = {"mean", "sd", "ci95", "n"}


def check_summary(s: Any) -> list[str]:
    """What is wrong with a summary.json's shape (an empty list: nothing). For readers of result
    folders and for the test that pins the schema (docs/summary.md)."""
    if not isinstance(s, dict):
        return ["not a mapping"]
    probs: list[str] = []
    if s.get("schema") != SCHEMA or s.get("version") != VERSION:
        probs.append(f"schema/version is {s.get('schema')!r}/{s.get('version')!r}, not {SCHEMA!r}/{VERSION}")
    for k, t in (
        ("scenario", str),
        ("label", str),
        ("overrides", dict),
        ("demand_case", str),
        ("seed", int),
        ("replications", int),
        ("seeds", list),
        ("goal_mt_per_year", (int, float)),
        ("bottleneck_threshold", (int, float)),
        ("years", dict),
        ("first_year_at_goal", dict),
        ("interventions", list),
        ("failed_replications", list),
    ):
        if not isinstance(s.get(k), t):
            probs.append(f"{k}: missing or not {t}")
    for year, y in (s.get("years") or {}).items():
        probs += _check_year(year, y)
    g = s.get("first_year_at_goal") or {}
    if set(g) != {"first_year_of_mean", "share_of_replications_reaching_goal"}:
        probs.append("first_year_at_goal: wrong keys")
    return probs


def _check_year(year: Any, y: Any) -> list[str]:
    """What is wrong with one year of a summary.json: its totals, flows, what binds, route split."""
    if not (isinstance(year, str) and year.isdigit()) or not isinstance(y, dict):
        return [f"years.{year}: not a year's mapping"]
    probs = []
    for m in TOTAL_METRICS:
        if set((y.get("total") or {}).get(m) or {}) != _STAT:
            probs.append(f"years.{year}.total.{m}: not a statistic {sorted(_STAT)}")
    for flow, d in (y.get("flows") or {}).items():
        for m in FLOW_METRICS:
            if set((d or {}).get(m) or {}) != _STAT:
                probs.append(f"years.{year}.flows.{flow}.{m}: not a statistic")
    b = y.get("binding_bottleneck")
    if not isinstance(b, dict) or set(b) != {"resource", "kind", "utilization", "share_of_replications", "binding"}:
        probs.append(f"years.{year}.binding_bottleneck: wrong keys")
    for flow, routes in (y.get("route_split") or {}).items():
        for route, st in routes.items():
            if set(st) != _STAT:
                probs.append(f"years.{year}.route_split.{flow}.{route}: not a statistic")
    return probs
