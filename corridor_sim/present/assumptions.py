"""The model's assumptions as a reader needs them, written from the scenario that was run.

Each statement joins what the model does (fixed in code) with the numbers the scenario gave it,
and names the scenario's own source for those numbers. Nothing here quotes a number of a
particular corridor: a run with a 7 cm/yr sea reads 7 cm/yr.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass

from ..scenario.labels import line_label, link_label, place
from ..scenario.pricing import accepted_wait_days
from ..scenario.schema import Scenario


@dataclass(frozen=True)
class Assumption:
    topic: str
    text: str
    source: str = ""


def _range(values, fmt="{:g}") -> str:
    v = sorted(set(values))
    if not v:
        return "-"
    return fmt.format(v[0]) if len(v) == 1 else f"{fmt.format(v[0])} to {fmt.format(v[-1])}"


def _direction(s: Scenario) -> Assumption:
    """Which ways cargo moves, as the scenario has it: one way, loaded, or back too (return legs
    of sea lines, flows routed over them, empties going back)."""
    back = [l for l in s.sea_lines if l.return_leg]
    returns = {(l.to_port, l.from_port, l.cargo) for l in back}
    against = [
        f.id
        for f in s.demand.flows
        if any((a, b, f.cargo) in returns for r in f.routes for a, b in zip(r.path, r.path[1:]))
    ]
    empties = [f for f in s.demand.flows if f.empties is not None]
    if not back and not empties:
        return Assumption(
            "direction",
            "Loaded traffic in the corridor's direction only: empties and return cargo are not "
            "tracked; their port time is in each terminal's berth_fixed_h.",
        )
    parts = []
    if back:
        names = ", ".join(line_label(s, l.id) for l in back)
        parts.append(f"ships of {len(back)} sea line(s) ({names}) carry what waits at the far port on their way back")
    if against:
        parts.append(f"flows against the corridor's direction: {', '.join(against)}")
    if empties:
        shares = "; ".join(f"{f.id} {f.empties.share:.0%}" for f in empties if f.empties is not None)
        parts.append(
            f"empties go back by paths of their own ({shares} of the units delivered), "
            "at the loaded unit's rates and with their tare's CO2e"
        )
    rest = (
        " Other ships return empty; their port time is in each terminal's berth_fixed_h."
        if len(back) < len(s.sea_lines)
        else ""
    )
    return Assumption(
        "direction",
        "Both directions: " + "; ".join(parts) + "." + rest,
        "; ".join(dict.fromkeys([*(l.source for l in back), *(f.empties.source for f in empties if f.empties)])),
    )


def _shared(s: Scenario) -> Assumption | None:
    """What the corridor shares with other traffic, as the scenario has it (None: nothing)."""
    other = [f.id for f in s.demand.flows if not f.corridor]
    calls = [f"{place(s, p.id)} {t.cargo}" for p in s.ports for t in p.terminals if t.background_calls_per_day > 0]
    yards = [f"{place(s, p.id)} {t.cargo}" for p in s.ports for t in p.terminals if t.background_yard_units > 0]
    decks = [line_label(s, l.id) for l in s.sea_lines if l.deck is not None]
    parts = []
    if other:
        parts.append(
            f"other traffic simulated beside the corridor's cargo, not counted in its tonnes ({', '.join(other)})"
        )
    if calls:
        parts.append(f"other vessel calls share the berths of {', '.join(calls)}")
    if yards:
        parts.append(f"other cargo holds part of the yards of {', '.join(yards)}")
    if decks:
        parts.append(f"a second class shares the deck of {', '.join(decks)}")
    if s.fleets:
        parts.append(f"{len(s.fleets)} fleet(s) shared among lines ({', '.join(p.id for p in s.fleets)})")
    if not parts:
        return None
    return Assumption("shared", "The corridor shares its resources: " + "; ".join(parts) + ".")


def assumptions(s: Scenario) -> list[Assumption]:
    out = [_direction(s)]
    shared = _shared(s)
    if shared is not None:
        out.append(shared)
    lots = "; ".join(f"{f.id} {f.lot_units:,.0f} {s.cargo_classes[f.cargo].unit}" for f in s.demand.flows)
    out.append(
        Assumption(
            "consignments", f"Cargo moves as consignments ({lots}); vessels and onward trains may take part of one."
        )
    )
    paths = [l for l in s.rail_links if l.paths is not None]
    bg = [l for l in paths if l.background_trains_per_day > 0]
    if paths:
        out.append(
            Assumption(
                "rail",
                f"Rail capacity is a path headway (24 h / paths per day: {_range([round(l.paths or 0.0, 1) for l in paths])} "
                f"paths a day on {len(paths)} links); other trains take paths as a Poisson "
                f"stream on {len(bg)} links ({_range([l.background_trains_per_day for l in bg])} "
                "a day).",
                "; ".join(dict.fromkeys(l.source for l in paths)),
            )
        )
    cross = [(l, l.crossing) for l in s.rail_links if l.crossing]
    if cross:
        dw = ", ".join(f"{link_label(s, l.id)} {c.dwell_mean_h:g} h" for l, c in cross)
        out.append(
            Assumption(
                "borders",
                f"Border and gauge-change crossings: exchange paths, transshipment servers and "
                f"a lognormal document dwell (mean: {dw}).",
                "; ".join(dict.fromkeys(c.source for _, c in cross)),
            )
        )
    out.append(
        Assumption(
            "ports",
            "Ports block: a train unloads only into yard room for all of it; a ship unloading "
            "into a full yard waits at its berth.",
        )
    )
    for line in s.sea_lines:
        out.append(
            Assumption(
                "ships",
                f"{line.name or line.id}: ships sail when loaded to {line.min_fill_share:.0%} of "
                f"today's capacity or after {line.max_wait_for_cargo_h:g} h; "
                f"{line.crossing_h:g} h at sea.",
                line.source,
            )
        )
    for p in s.ports:
        probs = p.weather.closure_probability_by_month
        top = max(range(12), key=lambda m: probs[m])
        if probs[top] > 0:
            out.append(
                Assumption(
                    "storms",
                    f"Storm closures at {place(s, p.id)}: closed up to {probs[top]:.0%} of the "
                    f"time (in {calendar.month_name[top + 1]}), spells of {p.weather.closure_mean_h:g} h "
                    "on average; no ship leaves or berths at a closed port.",
                    p.weather.source,
                )
            )
    if s.caspian is not None:
        c = s.caspian
        out.append(
            Assumption(
                "draft",
                f"The usable load factor starts at {c.load_factor:g} in {c.base_year} and falls "
                f"with the sea: {c.sea_level_decline_cm_per_year:g} cm/yr, "
                f"{c.load_factor_loss_per_10cm * 100:g} points per 10 cm, never below "
                f"{c.min_load_factor:g}.",
                c.source,
            )
        )
    resp = [f.response for f in s.demand.flows if f.response]
    if resp:
        el = _range([r.tariff_elasticity for r in resp])
        gain = _range([r.trade_gain_per_day_saved * 100 for r in resp], "{:g}%")
        adj = _range([r.adjustment_per_year for r in resp], "{:.0%}")
        out.append(
            Assumption(
                "demand",
                f"Demand follows each flow's documented path and trend, times a response to "
                f"tariffs (elasticity {el}) and transit time ({gain} per day saved), closing "
                f"{adj} of the gap each year; routes split by a logit on tariff + value of time "
                "x expected days.",
                "; ".join(dict.fromkeys(r.source for r in resp)),
            )
        )
    case = next((c for c in s.demand_cases if c.id == s.demand_case), None)
    if case is not None:
        out.append(Assumption("demand case", f"Demand case '{case.id}': {case.description}.", case.source))
    if s.demand.scale != 1 or s.demand.tariff_factor != 1:
        out.append(
            Assumption(
                "demand scale", f"Every flow's demand x {s.demand.scale:g}, every tariff x {s.demand.tariff_factor:g}."
            )
        )
    with_alts = [(f, d) for f in s.demand.flows if (d := accepted_wait_days(s, f)) is not None]
    if with_alts:
        out.append(
            Assumption(
                "alternatives",
                "Shippers leave for the cheapest outside alternative open to them (the Northern route, "
                "the sea, CPC) once the wait they expect makes it cheaper; the waiting this allows is "
                "derived, not set (at the start: "
                + ", ".join(f"{f.id} {d:.0f} d" for f, d in with_alts)
                + "), and what leaves is counted as diverted, by alternative.",
            )
        )
    limited = [f for f in s.demand.flows if f.max_transit_days]
    if limited:
        out.append(
            Assumption(
                "limit",
                "Flows without alternatives that take no consignment expected to exceed a limit ("
                + ", ".join(f"{f.id} {f.max_transit_days:g} d" for f in limited)
                + "): what is turned away is counted as diverted.",
            )
        )
    out.append(
        Assumption(
            "stocks",
            "No tonne is lost: cargo waits as backlog or is counted as diverted; stocks are "
            "summed from the live consignments.",
        )
    )
    out.append(
        Assumption(
            "what binds",
            f"What binds in a year: among resources at or above "
            f"{s.output.bottleneck_threshold:.0%} utilization, the one where cargo waits "
            "longest (yards excluded).",
        )
    )
    out.append(Assumption("goal", f"The goal: {s.goal_mt_per_year:g} Mt/yr delivered."))
    if s.overrides:
        out.append(Assumption("what-if", f"Changed from the scenario file for this run: {s.overrides_text}."))
    return out
