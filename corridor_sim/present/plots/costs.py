"""Figures of cost and CO2: door-to-door charges per unit by route (stacked by leg kind, with the
time cost and its p95, beside the documented alternatives), CO2e per tonne by route and mode, the
measures' capex per tonne of capacity added, and the cost of the cheapest plan by goal year."""

from __future__ import annotations

import datetime as dt
import textwrap
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ...kpi import route_costs
from ...scenario.labels import flow_label, route_label
from ...scenario.pricing import route_charge
from ...scenario.schema import Scenario
from ...scenario.timeline import timeline
from ..palette import (
    ALTERNATIVE_COLOR,
    BENCHMARK_COLOR,
    DIESEL_COLOR,
    ELECTRIC_COLORS,
    GOAL_COLOR,
    LEG_COLORS,
    LEG_LABELS,
    SEA_CO2_COLORS,
    SHIP_TYPES,
    TIME_COST_COLOR,
)
from .common import about, new_figure, set_suptitle, set_title, year_axis


def _route_name(s: Scenario, flow: str, route: str) -> str:
    """A flow's route by the scenario's words, wrapped for an axis: 'Containers ending in
    Azerbaijan · via Dostyk'."""
    return textwrap.fill(f"{flow_label(s, flow)} · {route_label(s, route)}", 44)


def routes_of(res) -> pd.DataFrame:
    """The ``routes`` table of a run, or every replication's stacked with a ``replication`` column."""
    if res.replicated:
        return pd.concat([r.routes.assign(replication=i) for i, r in enumerate(res.runs)], ignore_index=True)
    return res.routes


def priced(res) -> bool:
    """Whether any route delivered cargo at a known charge (the cost plots have something to show)."""
    r = routes_of(res)
    return bool(len(r)) and bool((r.units_delivered > 0).any()) and bool(r.charges_usd_per_unit.notna().any())


def scenario_in_force(s: Scenario, year: int) -> Scenario:
    """The scenario as it stands on 31 December of ``year``: its timeline's entries up to then applied."""
    return timeline(s).on(dt.date(year, 12, 31))


def _cost_rows(res, year: int | None) -> tuple[pd.DataFrame, int]:
    """route_costs of the year (default the last simulated), priced and delivered routes only, in
    the scenario's order of flows and routes."""
    s = res.scenario
    year = s.end_year if year is None else int(year)
    rc = route_costs(routes_of(res), year)
    order = {(f.id, r.id): i for i, (f, r) in enumerate((f, r) for f in s.demand.flows for r in f.routes)}
    rc = rc.assign(_o=[order.get((f, r), len(order)) for f, r in zip(rc.flow, rc.route)]).sort_values("_o")
    return rc.drop(columns="_o").reset_index(drop=True), year


def _by_kind(parts, key) -> dict[str, float]:
    out: dict[str, float] = {}
    for p in parts:
        k = key(p)
        out[k] = out.get(k, 0.0) + (p.usd_per_unit if key is _leg_kind else p.kg_co2e_per_unit)
    return out


def _leg_kind(p) -> str:
    return p.kind


def _scope(text: str, width: int = 34) -> str:
    """A benchmark's scope, shortened to its first clause."""
    head = text.split("(")[0].split(";")[0].strip().rstrip(",")
    head = head[:-4].rstrip() if head.endswith(" via") else head
    return head if len(head) <= width else head[: width - 1].rstrip() + "…"


def _unit_text(unit: str) -> str:
    return "t" if unit == "t" else unit


def _alternatives_of(live: Scenario, cargo: str) -> list:
    """The open outside alternatives of a cargo class that some flow of the class can take."""
    named = {a for f in live.demand.flows if f.cargo == cargo for a in f.alternatives}
    return [a for a in live.demand.alternatives if a.cargo == cargo and a.open and a.id in named]


def cost_by_route(res, year: int | None = None) -> Figure:
    """Charges per unit of cargo by flow and route in one year, compared with charges only: the
    scenario's charges leg by leg (``model.charges``, summed by kind) beside the outside
    alternatives' charges (``demand.alternatives``, the rates the flows' shippers compare with) and
    the documented rates of ``costs.benchmarks``, for the same cargo. No time cost: the documented
    rates have none, so it would set charges + time beside charges alone (``generalized_cost_by_route``
    compares charges + time where every route has its time). One panel per cargo class."""
    s = res.scenario
    rc, year = _cost_rows(res, year)
    rc = rc[rc.charges_usd_per_unit.notna()]
    live = scenario_in_force(s, year)
    flows = {f.id: f for f in live.demand.flows}
    rc = rc[rc.flow.isin(list(flows))]
    classes = list(dict.fromkeys(flows[f].cargo for f in rc.flow))
    bench = list(s.costs.benchmarks) if s.costs is not None else []
    rows_of = {c: rc[[flows[f].cargo == c for f in rc.flow]] for c in classes}
    alts_of = {c: _alternatives_of(live, c) for c in classes}
    bench_of = {c: [b for b in bench if b.cargo == c] for c in classes}
    sizes = [len(rows_of[c]) + len(alts_of[c]) + len(bench_of[c]) for c in classes] or [1]
    fig = new_figure(12.5, 0.46 * sum(sizes) + 1.1 * len(sizes) + 2.4)
    axes = fig.subplots(len(sizes), 1, squeeze=False, gridspec_kw={"height_ratios": [n + 1.2 for n in sizes]})[:, 0]
    money = f"US\\$ of {s.costs.currency_year}" if s.costs is not None else "US\\$"
    kinds_seen: list[str] = []
    for ax, c in zip(axes, classes):
        unit = s.cargo_classes[c].unit
        t_unit = s.cargo_classes[c].t_per_unit
        rows = rows_of[c]
        labels, right = [], 0.0
        row: Any  # a table's row (itertuples): its fields are the table's columns
        for y, row in enumerate(rows.itertuples()):
            f = flows[row.flow]
            route = next(r for r in f.routes if r.id == row.route)
            parts = _by_kind(route_charge(live, f, route).parts, _leg_kind)
            left = 0.0
            for k in LEG_COLORS:
                v = parts.get(k, 0.0)
                if v > 0:
                    ax.barh(y, v, left=left, color=LEG_COLORS[k], height=0.62)
                    left += v
                    if k not in kinds_seen:
                        kinds_seen.append(k)
            ax.annotate(f"{left:,.0f}", (left, y), xytext=(6, 0), textcoords="offset points", va="center", fontsize=8)
            right = max(right, left)
            labels.append(_route_name(s, row.flow, row.route))
        n = len(rows)
        for i, a in enumerate(alts_of[c]):
            y, v = n + i, a.usd_per_t * t_unit
            ax.barh(y, v, color=ALTERNATIVE_COLOR, height=0.62)
            ax.annotate(f"{v:,.0f}", (v, y), xytext=(6, 0), textcoords="offset points", va="center", fontsize=8)
            right = max(right, v)
            labels.append(f"{a.label} (outside alternative)")
        m = n + len(alts_of[c])
        for i, b in enumerate(bench_of[c]):
            y = m + i
            ax.barh(
                y,
                b.usd_per_unit_high - b.usd_per_unit_low,
                left=b.usd_per_unit_low,
                color=BENCHMARK_COLOR,
                alpha=0.55,
                height=0.62,
            )
            ax.annotate(
                f"{b.usd_per_unit_low:,.0f}–{b.usd_per_unit_high:,.0f}",
                (b.usd_per_unit_high, y),
                xytext=(6, 0),
                textcoords="offset points",
                va="center",
                fontsize=8,
                color="#54278f",
            )
            right = max(right, b.usd_per_unit_high)
            labels.append(f"{b.label}: {_scope(b.scope, 30)}")
        if alts_of[c] or bench_of[c]:
            ax.axhline(n - 0.5, color="grey", lw=0.8, ls=":")
        ax.set_yticks(range(len(labels)), labels, fontsize=8.5)
        for tick in ax.get_yticklabels()[n:]:
            tick.set_color("#54278f")
            tick.set_fontstyle("italic")
        ax.set_ylim(len(labels) - 0.5, -0.6)
        ax.set_xlim(0, right * 1.18 if right > 0 else 1)
        ax.set_xlabel(f"charges, {money} per {_unit_text(unit)}")
        ax.set_title(f"{c} (per {_unit_text(unit)})", fontsize=10, loc="left")
        ax.grid(axis="x", alpha=0.3)
    handles: list[Any] = [Patch(color=LEG_COLORS[k], label=LEG_LABELS[k]) for k in LEG_COLORS if k in kinds_seen]
    if any(alts_of.values()):
        handles.append(Patch(color=ALTERNATIVE_COLOR, label="outside alternative's charges (the scenario's)"))
    if any(bench_of.values()):
        handles.append(Patch(color=BENCHMARK_COLOR, alpha=0.55, label="documented rate of another route (low–high)"))
    axes[0].legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8.5, frameon=False)
    set_suptitle(
        fig,
        f"Charges by route in {year}, beside the other routes' charges (charges with charges)",
        about(res, year)
        + "\nA cost figure, not capacity: the scenario's tariffs, fees and freight in force at the end "
        f"of {year}; the outside alternatives' charges as the scenario gives them; other routes' rates as "
        "documented (scope as quoted). Time is not in it: see the generalized cost.",
    )
    return fig


def generalized_cost_by_route(res, year: int | None = None) -> Figure:
    """Charges + the shippers' time per unit, for each flow's routes (the simulated days, mean with
    its 95% CI over replications and the p95) and for the outside alternatives it can take (their
    days), all at the flow's value of time: every row has its time cost, so the comparison is like
    with like. Flows without a value of time or without alternatives are left out."""
    s = res.scenario
    rc, year = _cost_rows(res, year)
    rc = rc[rc.charges_usd_per_unit.notna()]
    live = scenario_in_force(s, year)
    flows = {f.id: f for f in live.demand.flows if f.response is not None and f.alternatives}
    rc = rc[rc.flow.isin(list(flows))]
    shown = [f for f in flows if f in set(rc.flow)]
    alts = {a.id: a for a in live.demand.alternatives if a.open}
    sizes = [int((rc.flow == f).sum()) + sum(a in alts for a in flows[f].alternatives) for f in shown] or [1]
    fig = new_figure(12.5, 0.46 * sum(sizes) + 1.1 * len(sizes) + 2.4)
    axes = fig.subplots(len(sizes), 1, squeeze=False, gridspec_kw={"height_ratios": [n + 1.2 for n in sizes]})[:, 0]
    money = f"US\\$ of {s.costs.currency_year}" if s.costs is not None else "US\\$"
    reps = res.replicated and res.n > 1
    for ax, fid in zip(axes, shown):
        f = flows[fid]
        unit, t_unit = s.cargo_classes[f.cargo].unit, s.cargo_classes[f.cargo].t_per_unit
        vot = f.response.value_of_time_usd_per_t_day if f.response is not None else 0.0
        rows = rc[rc.flow == fid]
        labels, right = [], 0.0
        row: Any
        for y, row in enumerate(rows.itertuples()):
            ch, t = row.charges_usd_per_unit, row.time_cost_usd_per_unit
            ax.barh(y, ch, color="#6baed6", height=0.62)
            ax.barh(y, t, left=ch, color=TIME_COST_COLOR, height=0.62, hatch="//", edgecolor="white", lw=0)
            end = ch + t
            tip = end
            if reps and np.isfinite(row.time_cost_usd_per_unit_ci_low):
                ax.errorbar(
                    end,
                    y,
                    xerr=[[t - row.time_cost_usd_per_unit_ci_low], [row.time_cost_usd_per_unit_ci_high - t]],
                    fmt="none",
                    ecolor="black",
                    capsize=3,
                    lw=1,
                )
                tip = max(tip, ch + row.time_cost_usd_per_unit_ci_high)
            p95 = row.cost_usd_per_unit_p95
            if np.isfinite(p95):
                ax.plot([p95], [y], marker="D", color="black", ms=5, mfc="white", ls="none")
                tip = max(tip, p95)
            text = f"{end:,.0f} (p95 {p95:,.0f})" if np.isfinite(p95) else f"{end:,.0f}"
            ax.annotate(text, (tip, y), xytext=(8, 0), textcoords="offset points", va="center", fontsize=8)
            right = max(right, tip)
            labels.append(f"{route_label(s, row.route)} (corridor)")
        n = len(rows)
        for i, aid in enumerate(a for a in f.alternatives if a in alts):
            a = alts[aid]
            y, ch, t = n + i, a.usd_per_t * t_unit, vot * a.days * t_unit
            ax.barh(y, ch, color=ALTERNATIVE_COLOR, height=0.62)
            ax.barh(y, t, left=ch, color=TIME_COST_COLOR, height=0.62, hatch="//", edgecolor="white", lw=0)
            share = f", open to {a.available_share:.0%}" if a.available_share < 1 else ""
            ax.annotate(
                f"{ch + t:,.0f} ({a.days:g} days{share})",
                (ch + t, y),
                xytext=(8, 0),
                textcoords="offset points",
                va="center",
                fontsize=8,
            )
            right = max(right, ch + t)
            labels.append(f"{a.label}")
        ax.axhline(n - 0.5, color="grey", lw=0.8, ls=":")
        ax.set_yticks(range(len(labels)), labels, fontsize=8.5)
        for tick in ax.get_yticklabels()[n:]:
            tick.set_fontstyle("italic")
        ax.set_ylim(len(labels) - 0.5, -0.6)
        ax.set_xlim(0, right * 1.3 if right > 0 else 1)
        ax.set_xlabel(f"charges + time, {money} per {_unit_text(unit)}")
        ax.set_title(f"{fid} (per {_unit_text(unit)}; time at US\\${vot:g}/t/day)", fontsize=10, loc="left")
        ax.grid(axis="x", alpha=0.3)
    handles: list[Any] = [
        Patch(color="#6baed6", label="corridor route's charges"),
        Patch(color=ALTERNATIVE_COLOR, label="outside alternative's charges"),
        Patch(facecolor=TIME_COST_COLOR, hatch="//", edgecolor="white", label="time cost (days x value of time)"),
    ]
    if reps:
        handles.append(
            matplotlib.lines.Line2D([], [], color="black", marker="|", ls="-", lw=1, label="95% CI of the time cost")
        )
    handles.append(
        matplotlib.lines.Line2D(
            [], [], marker="D", color="black", mfc="white", ls="none", label="p95 of charges + time"
        )
    )
    axes[0].legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8.5, frameon=False)
    set_suptitle(
        fig,
        f"Generalized cost in {year}: charges + time, each route with its time (what shippers compare)",
        about(res, year) + "\nThe corridor's days are simulated; the alternatives' are door-to-door as the scenario "
        "gives them;\nall at the flow's value of time (its route choice's). A shipper leaves for an alternative "
        "once the corridor costs more.",
    )
    return fig


def _traction_colors(s) -> dict[str, str]:
    electric = [t for t in dict.fromkeys(l.traction for l in s.rail_links) if t != "diesel"]
    out = {"diesel": DIESEL_COLOR}
    out.update({t: ELECTRIC_COLORS[i % len(ELECTRIC_COLORS)] for i, t in enumerate(electric)})
    return out


def co2_by_route(res, year: int | None = None) -> Figure:
    """kg CO2e per tonne carried by flow and route in one year, stacked by mode (rail by traction,
    sea by the ship type of the cargo class; ``costs.emissions``), with each route's total per
    unit of its cargo (per TEU, per wagon) written beside the bar. Emissions per unit are fixed by
    the route and the factors, so replications do not change them."""
    s = res.scenario
    rc, year = _cost_rows(res, year)
    rc = rc[rc.co2e_kg_per_unit.notna()]
    live = scenario_in_force(s, year)
    flows = {f.id: f for f in live.demand.flows}
    rc = rc[rc.flow.isin(list(flows))]
    links = {l.id: l for l in live.rail_links}
    colors = _traction_colors(live)
    fig = new_figure(12.5, 0.44 * max(len(rc), 1) + 2.6)
    ax = fig.add_subplot()
    seen: dict[str, str] = {}
    labels, right = [], 0.0
    row: Any  # a table's row (itertuples): its fields are the table's columns
    for y, row in enumerate(rc.itertuples()):
        f = flows[row.flow]
        route = next(r for r in f.routes if r.id == row.route)
        charge = route_charge(live, f, route)
        t_unit = charge.t_per_unit
        stack: dict[str, float] = {}
        for p in charge.parts:
            if p.kind == "rail":
                key = f"rail, {links[p.leg].traction.replace('_', ' ')}"
                seen.setdefault(key, colors.get(links[p.leg].traction, DIESEL_COLOR))
            elif p.kind == "sea":
                key = f"sea, {SHIP_TYPES.get(f.cargo, f.cargo + ' ship')}"
                n_sea = sum(1 for k in seen if k.startswith("sea"))
                seen.setdefault(key, SEA_CO2_COLORS[n_sea % len(SEA_CO2_COLORS)])
            else:
                continue
            stack[key] = stack.get(key, 0.0) + p.kg_co2e_per_unit / t_unit
        left = 0.0
        for key in sorted(stack, key=lambda k: (k.startswith("sea"), k)):
            sea = key.startswith("sea")
            ax.barh(
                y,
                stack[key],
                left=left,
                color=seen[key],
                height=0.62,
                hatch="..." if sea else None,
                edgecolor="white",
                lw=0,
            )
            left += stack[key]
        unit = s.cargo_classes[f.cargo].unit
        per_unit = f" · {charge.kg_co2e_per_unit:,.0f} kg per {unit}" if unit != "t" else ""
        ax.annotate(
            f"{left:,.0f} kg/t{per_unit}", (left, y), xytext=(6, 0), textcoords="offset points", va="center", fontsize=8
        )
        right = max(right, left)
        labels.append(_route_name(s, row.flow, row.route))
    ax.set_yticks(range(len(labels)), labels, fontsize=8.5)
    ax.set_ylim(len(labels) - 0.5, -0.6)
    ax.set_xlim(0, right * 1.35 if right > 0 else 1)
    ax.set_xlabel("CO2e, kg per tonne of cargo carried (well to wheel)")
    ax.grid(axis="x", alpha=0.3)
    order = sorted(seen, key=lambda k: (k.startswith("sea"), k))
    handles = [
        Patch(facecolor=seen[k], hatch="..." if k.startswith("sea") else None, edgecolor="white", label=k)
        for k in order
    ]
    ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize=8.5,
        frameon=False,
        title="mode (rail by traction)",
        title_fontsize=8.5,
    )
    src = s.costs.emissions.source if s.costs is not None and s.costs.emissions is not None else "no factors"
    set_title(
        ax,
        f"CO2e by route in {year}: kg per tonne, by mode",
        about(res, year) + f"\ntonne-km on each leg x the scenario's emission factors ({_scope(src, 60)}); "
        "fixed by the route, not by capacity or replication",
    )
    return fig


def measures_ranking(table: pd.DataFrame, title_label: str) -> Figure:
    """The measures' economic net present value (``appraisal.appraise``'s table, or appraisal.csv):
    stand-alone against the do-minimum, highest first, with the 95% CI over replications, and the
    incremental value within the package beside it; each bar says the EIRR, the BCR and the
    probability that the ENPV is negative."""
    t = table.copy()
    alone = t[t["mode"] == "stand-alone"].sort_values("enpv_musd", ascending=False, na_position="last")
    inc = t[t["mode"] == "incremental"].set_index("measure")
    n = len(alone)
    fig = new_figure(12, 0.5 * max(n, 1) + 3.2)
    ax = fig.add_subplot()
    y = np.arange(n)
    mean = alone.enpv_musd.astype(float).to_numpy()
    lo = alone.enpv_musd_ci_low.astype(float).to_numpy()
    hi = alone.enpv_musd_ci_high.astype(float).to_numpy()
    colors = np.where(mean >= 0, "#1f77b4", "#d62728")
    ax.barh(y - 0.17, mean, color=colors, height=0.34, label="stand-alone, against the do-minimum (mean)")
    ax.errorbar(
        mean,
        y - 0.17,
        xerr=[np.nan_to_num(mean - lo), np.nan_to_num(hi - mean)],
        fmt="none",
        ecolor="black",
        capsize=3,
        lw=1,
        label="95% CI over replications",
    )
    inc_v = np.array([float(inc.enpv_musd.get(m, np.nan)) for m in alone.measure])
    ax.barh(y + 0.17, inc_v, color="#9ecae1", height=0.34, label="incremental, in the package's order (mean)")
    ax.axvline(0, color="black", lw=0.8)
    span = float(np.nanmax(np.abs(np.concatenate([lo, hi, mean, inc_v])))) if n else 1.0
    row: Any  # a table's row (itertuples): its fields are the table's columns
    for yi, row in zip(y, alone.itertuples()):
        eirr = f"EIRR {row.eirr_pct:.0f}%" if np.isfinite(float(row.eirr_pct)) else "no EIRR"
        bcr = f"BCR {row.bcr:.2f}" if np.isfinite(float(row.bcr)) else "BCR n/a"
        ax.annotate(
            f"{eirr} · {bcr} · P(ENPV<0) {row.p_enpv_negative:.0%}",
            (span * 1.02, yi),
            va="center",
            fontsize=8,
        )
    ax.set_yticks(y, [f"{m} ({c:,.0f} m)" for m, c in zip(alone.measure, alone.capex_musd)], fontsize=8.5)
    ax.set_ylim(n - 0.5, -0.7)
    ax.set_xlim(-span * 1.05, span * 1.75)
    ax.set_xlabel(r"economic net present value, US\$ m  (measure labels: capex, US\$ m)")
    ax.grid(axis="x", alpha=0.3)
    if n:  # below the axes: the bars' labels run to the right edge
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, fontsize=8.5, frameon=False)
    set_suptitle(
        fig,
        "What each measure is worth: economic net present value, highest first",
        f"{title_label}\nbenefits: shippers' time and reliability, traffic won from the alternatives and generated "
        "(rule of a half), operators' resource costs, CO2e, residual value; charges are transfers",
    )
    return fig


def plan_frontier(frontier: pd.DataFrame, goal_mt: float, title_label: str) -> Figure:
    """The cheapest plan's cost against the year the capacity goal is to be reached
    (``analyses.plan.frontier``, or frontier.csv): capex and its present value in US$ m, each reached
    plan labelled with its capacity in the goal year (mean and 95% CI); years in which no set of
    the candidates reaches the goal are marked at the bottom."""
    f = frontier.sort_values("by")
    reached = f[f.reached.astype(bool)]
    missed = f[~f.reached.astype(bool)]
    fig = new_figure(11, 5.6)
    ax = fig.add_subplot()
    ax.plot(reached.by, reached.capex_musd, "o-", color="#1f77b4", ms=7, label="capex, US\\$ m")
    ax.plot(
        reached.by, reached.pv_cost_musd, "s--", color="#ff7f0e", ms=6, label="present value of capex and opex, US\\$ m"
    )
    top = float(np.nanmax(f[["capex_musd", "pv_cost_musd"]].to_numpy(dtype=float))) if len(f) else 1.0
    top = top if np.isfinite(top) and top > 0 else 1.0
    row: Any  # a table's row (itertuples): its fields are the table's columns
    for row in reached.itertuples():
        ci = (
            f" [{row.capacity_mt_ci_low:.2f}–{row.capacity_mt_ci_high:.2f}]"
            if pd.notna(row.capacity_mt_ci_low) and pd.notna(row.capacity_mt_ci_high)
            else ""
        )
        n_m = len([m for m in str(row.measures).split("), ") if m.strip() and m != "nan"])
        ax.annotate(
            f"{row.capacity_mt:.2f} Mt/yr{ci}\n{n_m} measure{'s' if n_m != 1 else ''}, "
            f"{row.share_at_goal:.0%} of replications at goal",
            (row.by, max(row.capex_musd, row.pv_cost_musd if pd.notna(row.pv_cost_musd) else 0.0)),
            xytext=(0, 10),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=8,
        )
    if len(missed):
        ax.plot(
            missed.by,
            [0.0] * len(missed),
            "x",
            color=GOAL_COLOR,
            ms=10,
            mew=2,
            label="no plan of the candidates reaches the goal",
        )
        for row in missed.itertuples():
            ax.annotate(
                f"not reached\n(best {row.capacity_mt:.2f} Mt/yr)" if pd.notna(row.capacity_mt) else "not reached",
                (row.by, 0.0),
                xytext=(0, 10),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=8,
                color=GOAL_COLOR,
            )
    if len(f):
        year_axis(ax, f.by)
    ax.set_ylim(-0.06 * top, top * 1.35)
    ax.set_xlabel(f"year by which capacity is to reach {goal_mt:g} Mt/yr (measures in service on 1 January)")
    ax.set_ylabel("cost of the cheapest plan, US\\$ m")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8.5)
    set_title(
        ax,
        f"The cheapest plan for {goal_mt:g} Mt/yr of capacity, by the year it is wanted",
        f"{title_label}\ncapacity, not demand: what the corridor could carry in the goal year (labels: mean "
        "[95% CI] on replications the search did not see)",
    )
    return fig


STREAM_COLORS = {
    "shippers_time": "#1f77b4",
    "shippers_reliability": "#9ecae1",
    "shippers_charges": "#bdbdbd",
    "operators_charges": "#d9d9d9",
    "diverted_traffic": "#ff7f0e",
    "generated_traffic": "#fdae6b",
    "operators_resource": "#2ca02c",
    "co2": "#8c564b",
}


def appraisal_streams(by_year: pd.DataFrame, distribution: pd.DataFrame, rate_pct: float, title_label: str) -> Figure:
    """What drives each measure's value, stand-alone (``appraisal.appraise``'s by_year and
    distribution, or their CSVs): left, the present value of each benefit stream over the simulated
    years (mean over replications; the transfers drawn and netting out); right, the ENPV of every
    replication and demand case, with the share below zero."""
    b = by_year[by_year["mode"] == "stand-alone"]
    d = distribution[distribution["mode"] == "stand-alone"]
    base_year = int(b.year.min()) if len(b) else 0
    streams = [k for k in STREAM_COLORS if k in b.columns]
    pv: dict[str, dict[str, float]] = {}
    for m, g in b.groupby("measure", sort=False):
        case = g.demand_case.iloc[0]
        mean = g[g.demand_case == case].groupby("year")[streams].mean()
        pv[str(m)] = {
            k: float(sum(v / (1 + rate_pct / 100) ** (y - base_year + 0.5) for y, v in mean[k].items()))
            for k in streams
        }
    order = sorted(pv, key=lambda m: -sum(pv[m].values()))
    n = len(order)
    fig = new_figure(13, 0.5 * max(n, 1) + 2.8)
    ax, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.6, 1]})
    for y, m in enumerate(order):
        pos, neg = 0.0, 0.0
        for k in streams:
            v = pv[m][k]
            if v >= 0:
                ax.barh(y, v, left=pos, color=STREAM_COLORS[k], height=0.6)
                pos += v
            else:
                ax.barh(y, v, left=neg, color=STREAM_COLORS[k], height=0.6)
                neg += v
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(range(n), order, fontsize=8.5)
    ax.set_ylim(n - 0.5, -0.6)
    ax.set_xlabel("present value over the simulated years, US\\$ m")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(
        handles=[Patch(color=STREAM_COLORS[k], label=k.replace("_", " ")) for k in streams],
        loc="lower right",
        fontsize=7.5,
        frameon=False,
    )
    ax.set_title("benefit streams (stand-alone)", fontsize=10, loc="left")
    cases = list(dict.fromkeys(d.demand_case)) if len(d) else []
    marks = ["o", "s", "^", "D", "v"]
    for y, m in enumerate(order):
        g = d[d.measure == m]
        for i, c in enumerate(cases):
            x = g[g.demand_case == c].enpv_musd.to_numpy(dtype=float)
            ax2.plot(
                x,
                np.full(len(x), y + 0.12 * (i - (len(cases) - 1) / 2)),
                marks[i % len(marks)],
                ms=4,
                alpha=0.7,
                label=c if y == 0 else None,
                color=f"C{i}",
            )
        if len(g):
            share = float((g.enpv_musd < 0).mean())
            ax2.annotate(
                f"P(<0) {share:.0%}",
                (1.0, y),
                xycoords=("axes fraction", "data"),
                xytext=(4, 0),
                textcoords="offset points",
                va="center",
                fontsize=7.5,
            )
    ax2.axvline(0, color="black", lw=0.8)
    ax2.set_yticks(range(n), [""] * n)
    ax2.set_ylim(n - 0.5, -0.6)
    ax2.set_xlabel("ENPV of each replication, US\\$ m")
    ax2.grid(axis="x", alpha=0.3)
    if cases:
        ax2.legend(title="demand case", fontsize=7.5, title_fontsize=8, loc="lower left", frameon=False)
    ax2.set_title("risk: ENPV over replications and cases", fontsize=10, loc="left")
    set_suptitle(
        fig,
        "What each measure's value is made of, and how sure it is",
        f"{title_label}\ncharges are transfers (shippers' and operators' bars cancel);\nthe ENPV adds the years "
        "after the run (held at the last) and the residual value, less capex and opex",
    )
    return fig
