"""Key performance indicators: pure functions of result tables."""
from __future__ import annotations

import numpy as np
import pandas as pd

# Resources whose utilization says something about capacity (a yard's share is a level, a
# fleet's is the share of vessel time not spent waiting for cargo).
CAPACITY_KINDS = ("rail_path", "crossing", "berth", "rail_track", "fleet", "yard")


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
    return float(v[min(np.searchsorted(cum, q - 1e-12), v.size - 1)])


def busiest_resources(resources: pd.DataFrame, n: int = 3) -> pd.DataFrame:
    """The n resources with the highest mean utilization over the years given."""
    r = resources[resources.kind.isin(CAPACITY_KINDS)]
    if r.empty:
        return pd.DataFrame(columns=["resource", "kind", "utilization", "mean_queue", "queue_unit"])
    agg = r.groupby(["resource", "kind"], as_index=False).agg(utilization=("utilization", "mean"),
                                                               mean_queue=("mean_queue", "mean"),
                                                               queue_unit=("queue_unit", "first"))
    agg = agg.sort_values("utilization", ascending=False).head(n)
    agg["utilization"] = agg.utilization.round(3)
    agg["mean_queue"] = agg.mean_queue.round(2)
    return agg.reset_index(drop=True)


def conservation_gap(annual: pd.DataFrame) -> pd.Series:
    """Per year and flow: (stock at start + generated) - (delivered + diverted + stock at end), in tonnes.

    Zero (to rounding) when no tonne is created or lost.
    """
    a = annual
    gap = (a.tons_backlog_start + a.tons_in_system_start + a.tons_generated
           - a.tons_delivered - a.tons_diverted - a.tons_backlog - a.tons_in_system)
    return pd.Series(gap.to_numpy(), index=pd.MultiIndex.from_frame(a[["year", "flow"]]))


def binding_bottleneck(resources: pd.DataFrame, threshold: float = 0.85) -> dict:
    """The resource that limits throughput in one year.

    Among resources at or above ``threshold`` utilization, the one where cargo waits longest
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
    return {"resource": top.resource, "kind": top.kind, "utilization": round(float(top.utilization), 3),
            "mean_wait_h": round(wait, 2) if wait is not None else None, "binding": bool(len(hot))}


def route_split(routes: pd.DataFrame) -> dict[str, pd.Series]:
    """Share of each flow's delivered tonnes by route, from the ``routes`` table (one year's rows,
    or several years': the shares are then of their total)."""
    out = {}
    if routes.empty:
        return out
    for flow, g in routes.groupby("flow"):
        t = g.groupby("route").tons_delivered.sum()
        if t.sum() > 0:
            out[flow] = t / t.sum()
    return out


def first_year_at(delivered_mt: pd.Series, goal_mt: float):
    """First year whose delivered tonnes reach the goal, or None.

    >>> first_year_at(pd.Series({2030: 9.0, 2031: 10.2, 2032: 9.9}), 10.0)
    2031
    >>> first_year_at(pd.Series({2030: 9.0}), 10.0) is None
    True
    """
    hit = delivered_mt[delivered_mt >= goal_mt]
    return int(hit.index.min()) if len(hit) else None
