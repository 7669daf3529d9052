"""The economic benefits of a change to the corridor, stream by stream and year by year, following
the EU Guide to Cost-Benefit Analysis of Investment Projects (2014: economic analysis and the
transport chapter): the project (1) against its counterfactual (0), on common random numbers.

Per flow and year, with T tonnes delivered, c charges per tonne, d mean and s standard deviation
of door-to-door days, v the appraisal's value of time of the flow's class and r = reliability
ratio x v, and Te = min(T0, T1) the traffic carried either way:

* ``shippers_time``: Te x v x (d0 - d1);
* ``shippers_reliability``: Te x r x (s0 - s1);
* ``shippers_charges``: Te x (c0 - c1), and ``operators_charges`` its opposite: charges are
  transfers between shippers and operators, shown both ways and netting to zero;
* ``diverted_traffic``: tonnes the project wins back from an outside alternative a (the fall in
  what was diverted to a, at most the traffic gained) by the rule of a half with a's generalized
  cost as the bound, 1/2 x W_a x max(G_a - G1, 0), G_a = a's charges + v x a's days, G1 = c1 + v d1
  + r s1 (the shippers chose the corridor: where the appraisal's resource value of time, lower than
  the one they act on, puts the alternative below it, their gain is taken as zero, not negative);
  traffic lost to an alternative counts 1/2 x L_a x min(G0 - G_a, 0) (a loss);
* ``generated_traffic``: the rest of the change in tonnes by the rule of a half on the corridor's
  own generalized costs, 1/2 x (T1 - T0 - W) x (G0 - G1);
* ``operators_resource``: the operators' resource cost per tonne saved (rail tonne-km x the resource
  cost per tonne-km, hours at sea x fuel per hour, over the corridor's tonnes) x Te: fuller ships
  and shorter trips for the same cargo. The traffic gained pays charges taken to equal what
  carrying it uses up (assumption: no operators' margin on it, a conservative reading; the
  corridor's charges include infrastructure access charges, themselves transfers), so it adds no
  operators' surplus;
* ``co2``: the change in CO2e per tonne carried x the tonnes carried x the shadow price.

Not counted (say so wherever the result is shown): the alternatives' own resource costs and
emissions (outside the model), wider economic benefits, and other externalities (no sourced values).
All streams are affine in the value of time, which the switching value uses.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict

from ..run.results import Results
from ..scenario.appraisal_settings import AppraisalSettings
from ..scenario.schema import Scenario
from ..scenario.timeline import timeline

STREAMS = (
    "shippers_time",
    "shippers_reliability",
    "shippers_charges",
    "operators_charges",
    "diverted_traffic",
    "generated_traffic",
    "operators_resource",
    "co2",
)
TRANSFERS = ("shippers_charges", "operators_charges")  # they net to zero: shown, never added twice


def run_money(res: Results) -> dict:
    """What one run leaves for an appraisal, small enough to send back from a worker: per year and
    flow the tonnes, charges, days, spread and CO2e delivered, the tonnes diverted per alternative,
    and per year the rail tonne-km and the hours at sea per cargo class."""
    s = res.scenario
    r = res.routes
    ch: dict[tuple[int, str], tuple[float, float]] = {}
    if not r.empty:
        for y, f, usd, kg in zip(r.year.tolist(), r.flow.tolist(), r.charges_usd.tolist(), r.co2e_kg.tolist()):
            u0, k0 = ch.get((int(y), str(f)), (0.0, 0.0))
            # unpriced routes and runs without emission factors have NaN: nothing to count
            ch[(int(y), str(f))] = (u0 + _or0(usd), k0 + _or0(kg))
    a = res.annual
    flows: dict[int, dict[str, dict[str, float]]] = defaultdict(dict)
    cols = ("year", "flow", "tons_delivered", "transit_days_mean", "transit_days_sd")
    for y, f, t, d, sd in zip(*(a[c].tolist() for c in cols)):
        usd, kg = ch.get((int(y), str(f)), (0.0, 0.0))
        flows[int(y)][str(f)] = {"tons": float(t), "days": float(d), "sd": float(sd), "charges_usd": usd, "co2e_kg": kg}
    diverted: dict[int, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    dv = res.diversions
    for y, f, alt, t in zip(dv.year.tolist(), dv.flow.tolist(), dv.alternative.tolist(), dv.tons_diverted.tolist()):
        got = diverted[int(y)][str(f)]
        got[str(alt)] = got.get(str(alt), 0.0) + float(t)
    length = {l.id: l.length_km for l in s.rail_links}
    rail: dict[int, float] = defaultdict(float)
    for y, link, t in zip(res.links.year.tolist(), res.links.link.tolist(), res.links.tons.tolist()):
        rail[int(y)] += float(t) * length.get(str(link), 0.0)
    crossing = {l.id: l.crossing_h for l in s.sea_lines}
    sea: dict[int, dict[str, float]] = defaultdict(dict)
    ln = res.lines
    for y, line, cargo, n in zip(ln.year.tolist(), ln.line.tolist(), ln.cargo.tolist(), ln.voyages.tolist()):
        by = sea[int(y)]
        by[str(cargo)] = by.get(str(cargo), 0.0) + 2.0 * crossing.get(str(line), 0.0) * float(n)  # out and back
    return {
        "flows": {y: dict(v) for y, v in flows.items()},
        "diverted": {y: {f: dict(d) for f, d in v.items()} for y, v in diverted.items()},
        "rail_t_km": dict(rail),
        "sea_h": {y: dict(v) for y, v in sea.items()},
    }


def _or0(x) -> float:
    x = float(x)
    return x if math.isfinite(x) else 0.0


def values_in(settings: AppraisalSettings, case: str = "central", vot_scale: float = 1.0) -> dict:
    """The appraisal's unit values for a band (low, central, high), the value of time x ``vot_scale``."""
    vot = {c: b.at(case) * vot_scale for c, b in settings.value_of_time_usd_per_t_day.items()}
    return {
        "vot": vot,
        "rr": settings.reliability_ratio.at(case),
        "rail": settings.rail_usd_per_t_km.at(case),
        "sea": {c: b.at(case) for c, b in settings.sea_usd_per_sailing_h.items()},
    }


def _alt_costs(s: Scenario, year: int, vot: dict[str, float]) -> dict[str, float]:
    """Each outside alternative's generalized cost per tonne in ``year`` (as in force at mid-year)."""
    st = timeline(s).on(dt.date(year, 7, 1))
    return {a.id: a.usd_per_t + vot.get(a.cargo, 0.0) * a.days for a in st.demand.alternatives}


def _per_t(m: dict) -> tuple[float, float, float]:
    t = m["tons"]
    return (m["charges_usd"] / t if t > 0 else 0.0), (m["days"] if t > 0 else 0.0), (m["sd"] if t > 0 else 0.0)


def _traffic_change(
    t0: float, t1: float, g0: float, g1: float, won: dict[str, float], lost: dict[str, float], alt: dict[str, float]
) -> tuple[float, float]:
    """(diverted, generated): the rule of a half on the change in tonnes, the part won from or lost
    to each alternative bounded by that alternative's generalized cost."""
    dt_ = t1 - t0
    if dt_ >= 0:
        w = {a: x for a, x in won.items() if x > 0 and a in alt}
        k = min(1.0, dt_ / sum(w.values())) if w else 0.0  # never more won back than gained
        # no shipper switches to be worse off (revealed preference): where the appraisal's value of
        # time puts the alternative below the corridor, the gain is taken as zero, not negative
        div = sum(0.5 * x * k * max(alt[a] - g1, 0.0) for a, x in w.items())
        rest = dt_ - k * sum(w.values())
    else:
        l_ = {a: x for a, x in lost.items() if x > 0 and a in alt}
        k = min(1.0, -dt_ / sum(l_.values())) if l_ else 0.0
        div = sum(0.5 * x * k * min(g0 - alt[a], 0.0) for a, x in l_.items())
        rest = dt_ + k * sum(l_.values())
    return div, 0.5 * rest * (g0 - g1)


def year_streams(s: Scenario, base: dict, project: dict, year: int, values: dict, carbon_usd_per_t: float) -> dict:
    """The benefit streams (US$) of ``project`` over ``base`` (two ``run_money``) in ``year``."""
    out = dict.fromkeys(STREAMS, 0.0)
    vot, rr = values["vot"], values["rr"]
    alt = _alt_costs(s, year, vot)
    cargo = {f.id: f.cargo for f in s.demand.flows}
    f0, f1 = base["flows"].get(year, {}), project["flows"].get(year, {})
    d0, d1 = base["diverted"].get(year, {}), project["diverted"].get(year, {})
    empty = {"tons": 0.0, "days": 0.0, "sd": 0.0, "charges_usd": 0.0, "co2e_kg": 0.0}
    for f in sorted(set(f0) | set(f1)):  # in one order: the sums are the same in every process
        m0, m1 = f0.get(f, empty), f1.get(f, empty)
        t0, t1 = m0["tons"], m1["tons"]
        (c0, dd0, s0), (c1, dd1, s1) = _per_t(m0), _per_t(m1)
        v = vot.get(cargo.get(f, ""), 0.0)
        te = min(t0, t1)
        if te > 0:
            out["shippers_time"] += te * v * (dd0 - dd1)
            out["shippers_reliability"] += te * rr * v * (s0 - s1)
            out["shippers_charges"] += te * (c0 - c1)
            out["operators_charges"] -= te * (c0 - c1)
        g0, g1 = c0 + v * dd0 + rr * v * s0, c1 + v * dd1 + rr * v * s1
        if t0 <= 0:
            g0 = g1  # nothing came before: the corridor's own cost gives no bound, the alternatives do
        if t1 <= 0:
            g1 = g0
        a0, a1 = d0.get(f, {}), d1.get(f, {})
        won = {a: a0.get(a, 0.0) - a1.get(a, 0.0) for a in sorted(set(a0) | set(a1))}
        div, gen = _traffic_change(t0, t1, g0, g1, won, {a: -x for a, x in won.items()}, alt)
        out["diverted_traffic"] += div
        out["generated_traffic"] += gen
        if t0 > 0 and t1 > 0:
            out["co2"] += carbon_usd_per_t * (m0["co2e_kg"] / t0 - m1["co2e_kg"] / t1) / 1000.0 * t1
    out["operators_resource"] = _resource_saved(base, project, year, values)
    return out


def _resource_saved(base: dict, project: dict, year: int, values: dict) -> float:
    """The operators' resource cost per tonne carried, before less after, x the tonnes carried
    either way (US$): rail tonne-km and hours at sea over all the corridor's tonnes that year."""

    def per_t(m: dict) -> tuple[float, float]:
        tons = sum(v["tons"] for v in m["flows"].get(year, {}).values())
        rail = values["rail"] * m["rail_t_km"].get(year, 0.0)
        sea = sum(values["sea"].get(c, 0.0) * h for c, h in m["sea_h"].get(year, {}).items())
        return tons, ((rail + sea) / tons if tons > 0 else 0.0)

    (t0, r0), (t1, r1) = per_t(base), per_t(project)
    return min(t0, t1) * (r0 - r1)


def economic(streams: dict) -> float:
    """A year's economic benefit, US$: every stream, the transfers netting to zero."""
    return float(math.fsum(streams[k] for k in STREAMS))
