"""The report's summary, computed from the results: the goal table (capacity beside delivered
tonnes, per scenario file) and, per scenario and demand case, the first year delivered tonnes
reach the goal, what binds year span by year span, and the measures that matter."""

from __future__ import annotations

import pandas as pd

from ...display import pm
from ...experiments.comparison import Comparison, case_of, goal_table, scenario_files
from ...scenario.labels import resource_labels
from ...stats import rows as table_rows


def _year_text(y, end: int) -> str:
    return f"not by {end}" if y is None or pd.isna(y) else str(int(y))


def goal_rows(cmp: Comparison) -> dict:
    """The report's first table, from ``experiments.comparison.goal_table``: per scenario file, the first year its
    capacity reaches the goal (a statement about capacity) and the first year delivered tonnes do
    under each demand case (about demand, and what of it is carried), and what binds the capacity."""
    g = goal_table(cmp)
    cases = [c.removeprefix("delivered_first_year_") for c in g.columns if c.startswith("delivered_first_year_")]
    rows = []
    for r in table_rows(g):
        end = int(r.end_year)
        if "capacity_first_year" in g and pd.notna(r.capacity_mt):
            cap = _year_text(r.capacity_first_year, end)
            if pd.notna(r.capacity_first_year):
                cap += f" ({pm(r.capacity_mt, r.capacity_mt_ci_low, r.capacity_mt_ci_high)} Mt/yr)"
            low = _year_text(r.capacity_first_year_ci_low, end)
            bound = " · at the latest: an earlier year is a lower bound" if r.capacity_lower_bound else ""
            binds = f"{r.binding_label} ({int(r.binding_year)})" if isinstance(r.binding_label, str) else "-"
        else:
            cap, low, bound, binds = "not measured", "-", "", "-"
        delivered = []
        for c in cases:
            v = getattr(r, f"delivered_first_year_{c}")
            run = next(
                (n for n in scenario_files(cmp)[r.scenario] if cmp.results[n][0].scenario.demand_case == c), None
            )
            delivered.append(_year_text(v, end) if run is not None else "not compared")
        rows.append(
            {
                "scenario": r.scenario,
                "goal": f"{r.goal_mt:g} Mt/yr",
                "capacity": cap + bound,
                "capacity_low": low,
                "delivered": delivered,
                "binds": binds,
            }
        )
    return {"cases": cases, "rows": rows}


def _spans(years_to_value: list[tuple[int, str]]) -> list[tuple[str, str]]:
    """[(2024, a), (2025, a), (2026, b)] -> [('2024–2025', a), ('2026', b)]."""
    out: list[list] = []
    for y, v in years_to_value:
        if out and out[-1][2] == v and out[-1][1] == y - 1:
            out[-1][1] = y
        else:
            out.append([y, y, v])
    return [(f"{a}" if a == b else f"{a}–{b}", v) for a, b, v in out]


def _first_capacity_year(cap: pd.DataFrame | None, goal: float) -> str | None:
    if cap is None:
        return None
    t = cap[cap.cargo == "all"].sort_values("year")
    if not len(t):
        return None
    hit = t[t.capacity_mt >= goal]
    years = f"{int(t.year.min())}" + (f"–{int(t.year.max())}" if t.year.nunique() > 1 else "")
    if len(hit):
        r = hit.iloc[0]
        return f"{int(r.year)} ({pm(r.capacity_mt, r.capacity_mt_ci_low, r.capacity_mt_ci_high)} Mt/yr)"
    best = t.loc[t.capacity_mt.idxmax()]  # type: ignore[call-overload]  # pandas-stubs: .loc takes no Hashable label
    high = pm(best.capacity_mt, best.capacity_mt_ci_low, best.capacity_mt_ci_high)
    return f"not in the years measured ({years}); highest {high} Mt/yr in {int(best.year)}"


def summary_rows(cmp: Comparison, ranking: pd.DataFrame | None, capacity: dict[str, pd.DataFrame]) -> list[dict]:
    """Per scenario and demand case: the first year delivered tonnes reach the goal (with the share
    of replications), the first year capacity does (when measured), what binds, and the measures
    that matter (its timeline beyond the reference's, and the top of the ranking when given)."""
    names = list(cmp.results)
    ref = cmp.results[names[0]][0].scenario
    ref_ids = {iv.id for iv in ref.timeline}
    rows = []
    for n in names:
        s = cmp.results[n][0].scenario
        years = cmp.annual[cmp.annual.scenario == n].year
        first, last = int(years.min()), int(years.max())
        labels = resource_labels(s, cmp.binding[cmp.binding.scenario == n].resource.dropna())
        g = cmp.goal.set_index("scenario").loc[n]
        a = cmp.annual[cmp.annual.scenario == n].set_index("year")
        goal_year = cmp.goal_label(n)
        reps = len(cmp.results[n])
        reach = (
            f"{g.share_reaching_goal:.0%} of {reps} replications reach it by {last}"
            if reps > 1
            else ("reaches it" if g.share_reaching_goal else "does not reach it") + f" by {last} (one run: no interval)"
        )
        b = cmp.binding[cmp.binding.scenario == n].sort_values("year")
        seq = [(int(r.year), labels.get(r.resource, r.resource) if r.binding else "nothing") for r in table_rows(b)]
        binds = "; ".join(f"{span}: {what}" for span, what in _spans(seq))
        own = [iv for iv in sorted(s.timeline, key=lambda i: i.date) if iv.id not in ref_ids or n == names[0]]
        measures = [f"{iv.date:%Y-%m}: {iv.description}" for iv in own][:6]
        more = max(0, len(own) - 6)
        top = []
        if ranking is not None and "scenario" in ranking and str(ranking.scenario.iloc[0]) == n:
            for r in table_rows(ranking.head(3)):
                top.append(
                    f"{r.label}: {pm(r.delta_kt_mean, r.delta_kt_ci_low, r.delta_kt_ci_high, '{:,.0f}')} kt "
                    f"in {int(r.year)}"
                )
        rows.append(
            {
                "name": n,
                "case": s.demand_case,
                "goal": s.goal_mt_per_year,
                "delivered_first": pm(
                    a.loc[first].delivered_mt, a.loc[first].delivered_mt_ci_low, a.loc[first].delivered_mt_ci_high
                ),
                "delivered_last": pm(
                    a.loc[last].delivered_mt, a.loc[last].delivered_mt_ci_low, a.loc[last].delivered_mt_ci_high
                ),
                "first": first,
                "last": last,
                "goal_year": goal_year,
                "reach": reach,
                # capacity is the scenario file's: each of its demand cases reads the same
                "capacity_year": _first_capacity_year(
                    capacity[n] if n in capacity else capacity.get(case_of(cmp, n)[0]), s.goal_mt_per_year
                ),
                "binds": binds,
                "measures": measures,
                "more_measures": more,
                "ranking": top,
            }
        )
    return rows
