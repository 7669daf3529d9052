"""The report's findings: sentences computed from the run, each tagged capacity, demand or cost.

What binds now and when that changes; when (if ever) the goal is carried under each demand case
and why; what the cheapest measures buy; the door-to-door charges beside the alternatives'
documented charges; and the assumptions that decide these. Where the report was not given what a
finding needs (no capacity folder, no ranking, no sensitivity run), the sentence names the
command that would compute it instead of guessing.

Every figure in a sentence is an element ``<b class="v" data-src="...">`` naming where the run
keeps it (``summary:<path in summary.json>``, ``routes:<year>:<flow>:<route>:<metric>``,
``scenario:<path in the scenario>``, ``capacity:<year>:<metric>``, ``bottlenecks:<row>:<metric>``,
``appraisal:<measure>:<metric>``, ``plan:<year>:<metric>``; ``data-scale`` when shown in per
cent), with ``data-run`` the run it is of: a test opens the report and checks each against the
files. Names read from the scenario are ``<span class="name">``; they are labels, not figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import pandas as pd
from markupsafe import Markup, escape

from ...analyses.capacity import demand_by_class
from ...experiments.comparison import Comparison, case_of, scenario_files
from ...experiments.replicated import Replicated
from ...kpi import route_costs
from ...scenario.labels import flow_label, resource_labels, route_label
from ...scenario.schema import Scenario
from ...stats import rows
from .. import plots
from .summary import _spans

TAGS = ("capacity", "demand", "cost")


@dataclass(frozen=True)
class Finding:
    tag: str  # one of TAGS
    html: Markup


def v(value: float, fmt: str, src: str, run: str, scale: float = 1.0) -> Markup:
    """A figure in a sentence, with where the run keeps it."""
    return Markup('<b class="v" data-src="{}" data-run="{}" data-scale="{}">{}</b>').format(
        src, run, f"{scale:g}", fmt.format(value * scale)
    )


def name(text: str) -> Markup:
    return Markup('<span class="name">{}</span>').format(text)


def cmd(text: str) -> Markup:
    return Markup("<code>{}</code>").format(text)


def _f(tag: str, *parts) -> Finding:
    return Finding(tag, Markup("").join(p if isinstance(p, Markup) else escape(p) for p in parts))


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _row(cmp: Comparison, n: str, year: int) -> pd.Series:
    a = cmp.annual[(cmp.annual.scenario == n) & (cmp.annual.year == year)]
    return a.iloc[0]


def _total(cmp: Comparison, n: str, year: int, metric: str, fmt: str = "{:.2f}") -> Markup:
    return v(float(_row(cmp, n, year)[metric]), fmt, f"summary:years.{year}.total.{metric}.mean", n)


def binds(cmp: Comparison, n: str) -> Finding:
    """What binds in the first year, and each year it changes."""
    s = cmp.results[n][0].scenario
    b = cmp.binding[cmp.binding.scenario == n].sort_values("year")
    labels = resource_labels(s, b.resource.dropna())
    seq = [(int(r.year), labels.get(r.resource, r.resource) if r.binding else "") for r in rows(b)]
    spans = _spans(seq)
    thr = v(s.output.bottleneck_threshold, "{:.0f}", "summary:bottleneck_threshold", n, 100)

    def what(label: str) -> list:
        return [name(label)] if label else ["nothing (no resource at or above ", thr, "% utilization)"]

    first_span, first = spans[0]
    parts: list = ["What binds the ", name(s.label), f" run in {first_span.split('–')[0]}: ", *what(first)]
    parts.append(", the resource at or above the threshold where cargo waits longest" if first else "")
    if len(spans) == 1:
        parts.append(f"; it stays so to {int(b.year.max())}.")
    else:
        parts.append("; then ")
        for i, (span, label) in enumerate(spans[1:]):
            parts += [", " if i else "", f"from {span.split('–')[0]}: ", *what(label)]
        parts.append(".")
    return _f("capacity", *parts)


def _binds_label(r: pd.Series) -> str:
    """What binds a capacity row, readably (its label; an older capacity.csv has only the id)."""
    label = r.get("binding_label")
    return label if isinstance(label, str) else str(r.get("binding", "not recorded"))


def _capacity_of(cmp: Comparison, n: str, caps: dict[str, pd.DataFrame]) -> pd.DataFrame | None:
    """The capacity of the year's mix by year of ``n``'s scenario file, when measured."""
    cap = caps.get(n) if n in caps else caps.get(case_of(cmp, n)[0])
    return None if cap is None or not len(cap[cap.cargo == "all"]) else cap[cap.cargo == "all"]


def capacity_goal(cmp: Comparison, n: str, caps: dict[str, pd.DataFrame]) -> Finding:
    """When what the corridor could carry reaches the goal, or the command that measures it."""
    s = cmp.results[n][0].scenario
    file_name, _ = case_of(cmp, n)
    cap = _capacity_of(cmp, n, caps)
    goal = v(s.goal_mt_per_year, "{:g}", "summary:goal_mt_per_year", n)
    if cap is None:
        return _f(
            "capacity",
            "What the corridor could carry (its capacity, with the offered tonnes saturated) was not measured for "
            "this report: ",
            cmd(f"corridor-sim capacity {file_name}.yaml --out capacity"),
            " measures it year by year, and ",
            cmd("corridor-sim report ... --capacity capacity"),
            " sets it here beside the tonnes delivered.",
        )
    t = cap.sort_values("year")
    hit = t[t.capacity_mt >= s.goal_mt_per_year]
    if len(hit):
        r = hit.iloc[0]
        y = int(r.year)
        return _f(
            "capacity",
            "The corridor could carry the goal of ",
            goal,
            f" Mt/yr from {y}: its capacity that year is ",
            v(float(r.capacity_mt), "{:.2f}", f"capacity:{y}:capacity_mt", n),
            " Mt/yr, and what binds it is ",
            name(_binds_label(r)),
            ".",
        )
    best = t.loc[t.capacity_mt.astype(float).idxmax()]  # type: ignore[call-overload]  # a label of t's index
    y = int(best.year)
    return _f(
        "capacity",
        "The corridor could not carry the goal of ",
        goal,
        f" Mt/yr in any year measured ({int(t.year.min())}–{int(t.year.max())}): its capacity peaks at ",
        v(float(best.capacity_mt), "{:.2f}", f"capacity:{y}:capacity_mt", n),
        f" Mt/yr in {y}, bound by ",
        name(_binds_label(best)),
        ".",
    )


def goal_by_case(cmp: Comparison, n: str, caps: dict[str, pd.DataFrame]) -> list[Finding]:
    """Per demand case run of ``n``'s scenario file: when the goal is carried, and why (or why not);
    then the cases declared but not run, with the command that runs them."""
    file_name, _ = case_of(cmp, n)
    runs = scenario_files(cmp)[file_name]
    cap = _capacity_of(cmp, n, caps)
    short = None if cap is None else bool(cap.capacity_mt.max() < cmp.results[n][0].scenario.goal_mt_per_year)
    out = [_goal_of_run(cmp, r, short) for r in runs]
    s = cmp.results[n][0].scenario
    missing = [c.id for c in s.demand_cases if c.id not in {cmp.results[r][0].scenario.demand_case for r in runs}]
    if missing:
        out.append(
            _f(
                "demand",
                f"The {_and(missing)} demand case{'s were' if len(missing) > 1 else ' was'} not run for this report: ",
                cmd(f"corridor-sim compare {file_name}.yaml --demand-case all --out compare"),
                " runs every case on the same seeds, and ",
                cmd("corridor-sim report compare"),
                " shows them here.",
            )
        )
    return out


def _goal_of_run(cmp: Comparison, r: str, capacity_short: bool | None) -> Finding:
    """When the goal is carried under run ``r``'s demand case, or why not: too little offered
    (demand; and whether the capacity, when measured, falls short too), or offered but not carried
    (the corridor's limits or charges)."""
    s = cmp.results[r][0].scenario
    g = cmp.goal.set_index("scenario").loc[r]
    goal = v(s.goal_mt_per_year, "{:g}", "summary:goal_mt_per_year", r)
    case = Markup("Under the {} demand case ({} run), ").format(s.demand_case, name(s.label))
    if pd.notna(g.first_year_at_goal):
        y = int(cast(float, g.first_year_at_goal))  # one scenario's row: a number
        return _f(
            "demand",
            case,
            "the goal of ",
            goal,
            f" Mt/yr is carried from {y}: ",
            _total(cmp, r, y, "delivered_mt"),
            " Mt delivered of ",
            _total(cmp, r, y, "offered_mt"),
            " Mt offered. What is offered grows to the goal and the corridor carries it; when it does is set by "
            "the demand case.",
        )
    last = int(cast(float, g.end_year))
    row = _row(cmp, r, last)
    trend = sum(demand_by_class(s, last).values()) / 1e6
    at_trend = v(trend, "{:.2f}", f"trend:{last}", r)
    offered, delivered, diverted = (
        _total(cmp, r, last, "offered_mt"),
        _total(cmp, r, last, "delivered_mt"),
        _total(cmp, r, last, "diverted_mt"),
    )
    carried = [
        " Mt is offered; ",
        delivered,
        " Mt is delivered and ",
        diverted,
        " Mt diverted (sent another way or given up as the corridor's days or charges made another way cheaper).",
    ]
    head = [case, "the goal of ", goal, f" Mt/yr is not carried by {last}: "]
    if trend < s.goal_mt_per_year:
        cap = {
            None: " (the capacity was not measured, above)",
            True: ", and so does the capacity (above)",
            False: ", not capacity",
        }[capacity_short]
        return _f(
            "demand",
            *head,
            "even at its trend the case offers only ",
            at_trend,
            f" Mt in {last}, so what is offered keeps it short{cap}. After the shippers' response to the "
            "corridor's days and charges, ",
            offered,
            *carried,
        )
    if float(row.offered_mt) < s.goal_mt_per_year:
        return _f(
            "capacity",
            *head,
            "at its trend the case would offer ",
            at_trend,
            f" Mt in {last}, but after the shippers' response to the corridor's days (what binds) and charges only ",
            offered,
            *carried[:-1],
            " Mt diverted: the corridor's days and charges keep it short, not demand.",
        )
    return _f(
        "capacity",
        *head,
        offered,
        f" Mt is offered in {last} (",
        at_trend,
        " Mt at trend), but only ",
        delivered,
        " Mt is delivered and ",
        diverted,
        " Mt diverted: the corridor's limits or charges keep it short, not demand.",
    )


def measures(cmp: Comparison, n: str, ranking, appraisal, frontier) -> list[Finding]:
    """What the cheapest measures buy: the ranking's top levers, the appraisal's cheapest measures,
    the plan's cheapest reaching the goal; else the commands that compute them."""
    file_name, _ = case_of(cmp, n)
    out = []
    if ranking is not None and len(ranking.table):
        t = ranking.table.dropna(subset=["delta_kt_mean"]).head(3)
        parts: list = [f"One step more of each limit, in {int(t.year.iloc[0])} ({ranking.scenario}): "]
        for i, r in enumerate(rows(t)):
            parts += [
                "; " if i else "",
                name(str(r.label)),
                " adds ",
                v(float(r.delta_kt_mean), "{:,.0f}", f"bottlenecks:{r.label}:delta_kt_mean", n),
                " kt delivered",
            ]
        out.append(_f("capacity", *parts, "."))
    if appraisal is not None and len(appraisal.table):
        t = appraisal.table.dropna(subset=["capex_musd"]).sort_values("capex_musd").head(2)
        parts = ["The cheapest appraised measures: "]
        for i, r in enumerate(rows(t)):
            parts += [
                "; " if i else "",
                name(str(r.measure)),
                " costs ",
                v(float(r.capex_musd), "{:,.0f}", f"appraisal:{r.measure}:capex_musd", n),
                " US$ m and returns an economic net present value of ",
                v(float(r.enpv_musd), "{:,.0f}", f"appraisal:{r.measure}:enpv_musd", n),
                " US$ m",
            ]
        out.append(_f("cost", *parts, " (the scenario's costs and values of time decide these)."))
    if frontier is not None:
        ft, goal = frontier
        ok = ft[ft.reached.astype(bool)].sort_values("by") if len(ft) else ft
        if len(ok):
            r = ok.iloc[0]
            out.append(
                _f(
                    "cost",
                    f"The cheapest plan that reaches {goal:g} Mt/yr of capacity by {int(r.by)} costs ",
                    v(float(r.capex_musd), "{:,.0f}", f"plan:{int(r.by)}:capex_musd", n),
                    " US$ m: ",
                    name(str(r.measures) if isinstance(r.measures, str) else "no measure"),
                    ".",
                )
            )
    if not out:
        out.append(
            _f(
                "capacity",
                "What the cheapest measures buy was not computed for this report: ",
                cmd(f"corridor-sim bottlenecks {file_name}.yaml --out bottlenecks"),
                " ranks every limit by the tonnes one step more of it adds, ",
                cmd(f"corridor-sim appraise {file_name}.yaml --out appraisal"),
                " the costed measures by their economic value; ",
                cmd("--bottlenecks bottlenecks --appraisal appraisal"),
                " add them here.",
            )
        )
    return out


def cost(cmp: Comparison, n: str) -> list[Finding]:
    """The door-to-door charges of the most used route of each cargo class with documented
    alternatives, in the last year, beside those alternatives' charges (charges with charges)."""
    s: Scenario = cmp.results[n][0].scenario
    rep = Replicated(s, cmp.results[n][0].seed, cmp.results[n])
    if not plots.priced(rep):
        return [
            _f("cost", "No route of the ", name(s.label), " run carries a charge: the scenario has no tariffs to cost.")
        ]
    year = int(cmp.annual[cmp.annual.scenario == n].year.max())
    rc = route_costs(plots.routes_of(rep), year)
    rc = rc[rc.charges_usd_per_unit.notna()]
    cargo = {f.id: f.cargo for f in s.demand.flows}
    rc = rc.assign(cargo=rc.flow.map(cargo))
    bench = s.costs.benchmarks if s.costs is not None else []
    out = []
    for c in dict.fromkeys(b.cargo for b in bench):
        mine = rc[rc.cargo == c].sort_values("units_delivered", ascending=False)
        if not len(mine):
            continue
        r = mine.iloc[0]
        unit = s.cargo_classes[c].unit
        key = f"routes:{year}:{r.flow}:{r.route}"
        parts: list = [
            f"In {year} a {unit} of ",
            name(flow_label(s, r.flow)),
            " ",
            name(route_label(s, r.route)),
            " (the most used route of its cargo) pays ",
            v(float(r.charges_usd_per_unit), "{:,.0f}", f"{key}:charges_usd_per_unit", n),
            " US$ in charges on the corridor, plus ",
            v(float(r.time_cost_usd_per_unit), "{:,.0f}", f"{key}:time_cost_usd_per_unit", n),
            " US$ of the shippers' time; the documented charges of the other ways, per ",
            unit,
            ": ",
        ]
        for i, b in enumerate(x for x in bench if x.cargo == c):
            parts += [
                ", " if i else "",
                name(b.label),
                " ",
                v(b.usd_per_unit_low, "{:,.0f}", f"scenario:costs.benchmarks.{b.id}.usd_per_unit_low", n),
                "–",
                v(b.usd_per_unit_high, "{:,.0f}", f"scenario:costs.benchmarks.{b.id}.usd_per_unit_high", n),
            ]
        parts.append(
            " US$ (their scopes are often wider than the modelled routes: Cost below). The tariffs in the "
            "scenario file decide the charges, not the corridor's capacity."
        )
        out.append(_f("cost", *parts))
    return out


def assumptions(cmp: Comparison, n: str) -> list[Finding]:
    """The assumptions that decide the findings: the demand case's spread when several were run
    (a sensitivity the report holds), what binds at the end, and the command that screens the rest."""
    s = cmp.results[n][0].scenario
    file_name, _ = case_of(cmp, n)
    runs = scenario_files(cmp)[file_name]
    last = int(cmp.annual[cmp.annual.scenario == n].year.max())
    out = []
    if len(runs) > 1:
        vals = {r: float(_row(cmp, r, last).delivered_mt) for r in runs}
        lo, hi = min(vals, key=vals.__getitem__), max(vals, key=vals.__getitem__)
        out.append(
            _f(
                "demand",
                "The demand case decides the demand findings: across the cases run "
                f"({_and([cmp.results[r][0].scenario.demand_case for r in runs])}), {last}'s delivered "
                "tonnes range from ",
                _total(cmp, lo, last, "delivered_mt"),
                f" Mt ({cmp.results[lo][0].scenario.demand_case}) to ",
                _total(cmp, hi, last, "delivered_mt"),
                f" Mt ({cmp.results[hi][0].scenario.demand_case}).",
            )
        )
    case = next((c.description for c in s.demand_cases if c.id == s.demand_case), None)
    b = cmp.binding[(cmp.binding.scenario == n) & (cmp.binding.year == last)]
    binding = b.iloc[0].resource if len(b) and bool(b.iloc[0].binding) else None
    parts: list = ["The demand case decides what is offered: this run's is ", name(s.demand_case)]
    parts += [" (", name(case), ")."] if case else ["."]
    if len(runs) == 1:
        parts.append(" The other cases would move every demand finding; they were not run (above).")
    out.append(_f("demand", *parts))
    where = (
        [f"gives what binds in {last}, ", name(resource_labels(s, [binding])[binding])]
        if binding is not None
        else ["gives the busiest resources"]
    )
    out.append(
        _f(
            "capacity",
            "What is carried is decided by the capacity the scenario ",
            *where,
            "; the cost by its tariffs. How much each assumption moves "
            "the results was not computed for this report (no sensitivity run): ",
            cmd(f"corridor-sim sensitivity {file_name}.yaml"),
            " screens the parameters the scenario marks as uncertain.",
        )
    )
    return out


def findings(
    cmp: Comparison,
    caps: dict[str, pd.DataFrame],
    ranking=None,
    appraisal=None,
    frontier: tuple[pd.DataFrame, float] | None = None,
) -> list[Finding]:
    """The report's findings about its first run (the reference) and its scenario file's cases."""
    n = next(iter(cmp.results))
    return [
        binds(cmp, n),
        capacity_goal(cmp, n, caps),
        *goal_by_case(cmp, n, caps),
        *measures(cmp, n, ranking, appraisal, frontier),
        *cost(cmp, n),
        *assumptions(cmp, n),
    ]
