"""The limits that bind, per year, as the terminal shows them after a run (``cli.run``): each rolling-stock pool
and each rail line (utilization, and the trains waiting for stock or for a path), and the queues
at the Georgian ports (the yard's fill, trains waiting to unload, ships waiting for a berth).

Pure presentation over a run's ``resources`` table (one run) or a ``Replicated``'s (the means
over the replications): one row per resource, one column per year, each cell
"utilization (trains waiting)".
"""

from __future__ import annotations

import math

import pandas as pd

from ..scenario.labels import place, resource_label
from ..scenario.schema import Scenario


def _col(df: pd.DataFrame, name: str) -> str:
    """A metric's column: the replications' mean where there is one."""
    return f"{name}_mean" if f"{name}_mean" in df.columns else name


def _cell(util: float, waiting: float | None = None) -> str:
    if util is None or (isinstance(util, float) and math.isnan(util)):
        return "-"
    text = f"{util:.0%}"
    if waiting is not None and not (isinstance(waiting, float) and math.isnan(waiting)):
        text += f" ({waiting:.1f})"
    return text


def _wide(r: pd.DataFrame, years: list[int], value, label) -> list[list[str]]:
    rows = []
    for name, g in r.groupby("resource", sort=False):
        by_year = {int(y): row for y, row in zip(g.year, g.itertuples(index=False))}
        rows.append([label(name)] + [value(by_year[y]) if y in by_year else "-" for y in years])
    return rows


def limit_tables(s: Scenario, resources: pd.DataFrame) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, header, rows) of the three tables: rolling stock, rail lines, Georgian ports."""
    if resources is None or resources.empty:
        return []
    years = sorted(int(y) for y in resources.year.unique())
    u, q, peak = _col(resources, "utilization"), _col(resources, "mean_queue"), _col(resources, "max_queue")
    head = ["resource", *[str(y) for y in years]]
    out = []
    stock = resources[resources.kind == "rolling_stock"]
    if len(stock):
        rows = _wide(stock, years, lambda x: _cell(getattr(x, u), getattr(x, q)), lambda n: resource_label(s, n))
        out.append(("rolling stock: share out on trips (trains waiting for it)", head, rows))
    paths = resources[resources.kind == "rail_path"]
    if len(paths):
        rows = _wide(paths, years, lambda x: _cell(getattr(x, u), getattr(x, q)), lambda n: resource_label(s, n))
        out.append(("rail lines: paths used (trains waiting for a path)", head, rows))
    georgian = {n.id for n in s.nodes if n.country == "GE"} & {p.id for p in s.ports}
    ports = resources[resources["where"].isin(georgian) & resources.kind.isin(["yard", "rail_track", "berth"])]
    if len(ports):

        def value(x) -> str:
            if x.kind == "yard":  # a level: mean fill (peak fill)
                p = getattr(x, peak, float("nan")) if peak in ports.columns else float("nan")
                return _cell(getattr(x, u)) + (f" (peak {p:.0%})" if p == p else "")
            return f"{getattr(x, q):.1f}"  # trains waiting for a track, ships for a berth

        def label(n: str) -> str:
            pid, cargo, what = n.split(":")
            what = {"yard": "yard fill", "rail_tracks": "trains waiting", "berths": "ships waiting"}[what]
            return f"{place(s, pid)} {cargo}: {what}"

        rows = _wide(ports, years, value, label)
        out.append(
            ("Georgian ports: yard fill (peak), trains waiting to unload, ships waiting for a berth", head, rows)
        )
    return out
