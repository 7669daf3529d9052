"""What a consignment pays and emits on its route: tariffs, fees and CO2, leg by leg.

Charges are declared where they are levied: a rail link's tariff per unit-km and its crossing's
fee per unit, a terminal's charges per unit and call, a sea line's freight per unit, and a route's
charges outside the modelled network. Emissions are tonne-km times the factor of the mode
(``costs.emissions``): rail by the link's traction, sea by the ship type of the cargo class.

A route's charges are fixed by the scenario in force (the timeline may change any of them, and
``demand.tariff_factor`` scales them all), so they are a pure function of the scenario, computed
here: the loader checks that a priced route prices every leg, the model quotes them to each
consignment when it is booked (a price is quoted when the cargo is sent), and route choice reads
the same amounts, so the money shippers choose by is the money the results report. What varies
between consignments is the time they take, priced at the flow's value of time (``value_of_time``).
"""

from __future__ import annotations

import math
from typing import NamedTuple

from .alternatives import generalized_cost
from .schema import Flow, Route, Scenario, SeaLine

EARTH_RADIUS_KM = 6371.0


class ChargePart(NamedTuple):
    """One piece of a route's door-to-door cost and emissions, per unit of its cargo class."""

    leg: str  # the rail link, crossing, port call or sea line (or 'outside' / 'through tariff')
    kind: str  # rail, border, port, sea, outside, through
    usd_per_unit: float
    kg_co2e_per_unit: float


class RouteCharge(NamedTuple):
    """A route's charges and emissions per unit, leg by leg; totals are the parts' sums.

    ``priced`` is False when nothing on the route carries a charge (its cost is then unknown and
    reported as NaN); ``kg_co2e_per_unit`` is NaN without emission factors."""

    flow: str
    route: str
    cargo: str
    t_per_unit: float
    parts: tuple[ChargePart, ...]
    priced: bool

    @property
    def usd_per_unit(self) -> float:
        return math.fsum(p.usd_per_unit for p in self.parts) if self.priced else math.nan

    @property
    def usd_per_t(self) -> float:
        return self.usd_per_unit / self.t_per_unit

    @property
    def kg_co2e_per_unit(self) -> float:
        return math.fsum(p.kg_co2e_per_unit for p in self.parts)

    @property
    def kg_co2e_per_t(self) -> float:
        return self.kg_co2e_per_unit / self.t_per_unit


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Distance on the sphere, km.

    >>> round(great_circle_km(43.61, 51.20, 39.94, 49.42))  # Aktau to Alat
    434
    """
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def sea_km(s: Scenario, line: SeaLine) -> float:
    """A sea line's distance: declared, or the great circle between its ports."""
    if line.distance_km is not None:
        return float(line.distance_km)
    a, b = s.node(line.from_port), s.node(line.to_port)
    return great_circle_km(a.lat_deg, a.lon_deg, b.lat_deg, b.lon_deg)


def route_charge(s: Scenario, flow: Flow, route: Route) -> RouteCharge:
    """The charges (times ``demand.tariff_factor``) and emissions of one unit of ``flow`` on ``route``
    under scenario ``s``.

    A route with a published through tariff pays that instead of its legs' charges (emissions
    still come from the legs).
    """
    cargo = flow.cargo
    t_unit = s.cargo_classes[cargo].t_per_unit
    factor = s.demand.tariff_factor
    em = s.costs.emissions if s.costs is not None else None

    def co2(kg_per_t_km: float | None, km: float) -> float:
        return math.nan if kg_per_t_km is None else kg_per_t_km * km * t_unit

    links = {(l.from_node, l.to_node): l for l in s.rail_links}
    lines = s.sea_legs()  # a line's way back: the same freight and distance, the ports swapped
    terminals = {(p.id, t.cargo): t for p in s.ports for t in p.terminals}
    parts: list[ChargePart] = []
    priced = False
    for a, b in zip(route.path, route.path[1:]):
        link = links.get((a, b))
        if link is not None:
            if link.crossing is not None:
                fee = link.crossing.fee_usd_per_unit.get(cargo)
                priced |= fee is not None
                parts.append(ChargePart(link.id, "border", (fee or 0.0) * factor, 0.0))
            rate = link.tariff_usd_per_unit_km.get(cargo)
            priced |= rate is not None
            kg = em.rail_kg_per_t_km.get(link.traction) if em is not None else None
            parts.append(ChargePart(link.id, "rail", (rate or 0.0) * link.length_km * factor, co2(kg, link.length_km)))
            continue
        line = lines[(a, b, cargo)]
        for port, what in ((a, "loading"), (None, "sea"), (b, "discharge")):
            if port is None:
                freight = line.freight_for(cargo)
                priced |= freight > 0
                kg = em.sea_kg_per_t_km.get(cargo) if em is not None else None
                parts.append(ChargePart(line.id, "sea", freight * factor, co2(kg, sea_km(s, line))))
            else:
                usd = terminals[(port, cargo)].handling_usd_per_unit
                priced |= usd > 0
                parts.append(ChargePart(f"{port} {what}", "port", usd * factor, 0.0))
    if route.tariff_usd_per_t is not None:
        # a published through rate replaces the legs' charges; their emissions stay
        parts = [p._replace(usd_per_unit=0.0) for p in parts]
        parts.append(ChargePart("through tariff", "through", route.tariff_usd_per_t * t_unit * factor, 0.0))
        priced = True
    if route.outside_usd_per_t > 0:
        parts.append(ChargePart("outside the network", "outside", route.outside_usd_per_t * t_unit * factor, 0.0))
        priced = True
    return RouteCharge(flow.id, route.id, cargo, t_unit, tuple(parts), priced)


def flow_charges(s: Scenario, flow: Flow) -> dict[str, RouteCharge]:
    """Every route of ``flow`` (open or not): its charges under ``s``."""
    return {r.id: route_charge(s, flow, r) for r in flow.routes}


def value_of_time(flow: Flow) -> float:
    """What a tonne-day in transit costs the flow's shippers, US$: the response's value of time
    (a flow without a response block has none declared, and its time is not priced)."""
    return flow.response.value_of_time_usd_per_t_day if flow.response is not None else 0.0


def accepted_wait_days(s: Scenario, flow: Flow) -> float | None:
    """The longest waiting ``flow``'s shippers accept on one of its open routes before the cheapest
    of its open alternatives (all shippers able to take it) is worth more, days, under ``s`` as it
    stands: (the alternative's charges + value of time x days - the route's charges) / value of
    time. None if the flow has no open alternative or no value of time (the model's ``FlowState``
    makes the same comparison for each consignment, on the days it then expects)."""
    vot = value_of_time(flow)
    named = set(flow.alternatives)
    costs = [generalized_cost(a, vot) for a in s.demand.alternatives if a.id in named and a.open]
    if vot <= 0.0 or not costs or flow.response is None:
        return None
    charges = flow_charges(s, flow)
    ref = flow.response.reference_tariff_usd_per_t * s.demand.tariff_factor
    usd = [c.usd_per_t if (c := charges.get(r.id)) is not None and c.priced else ref for r in flow.routes if r.open]
    return (min(costs) - min(usd)) / vot
