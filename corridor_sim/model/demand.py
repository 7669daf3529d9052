"""Cargo generation, route choice and demand response.

Each flow sends consignments (lots) into the corridor as a renewal process in *demand time*: the
gap between lots is lot_tons x G tonnes of demand (G gamma with mean 1 and cv interarrival_cv),
consumed at the current demand rate, so monthly factors and mid-year changes are followed exactly.
The rate is the flow's demand path for the calendar year (``scenario.demand_tons``: documented
levels, agreements, ramps and trend growth) times its response multiplier.

A flow with a ``response`` block re-plans at each year start and at each timeline entry: it splits
over its open routes by a logit on generalized cost (tariff + value of time x transit days, the
tariff being the route's charges per tonne, ``scenario.pricing``, and the days what shippers expect
from last year's route times, ``Ledger.route_outlook_days``),
and scales its trend demand by
(tariff / reference)^elasticity x (1 + gain per day saved)^(reference days - transit days).
Flows without one keep their fixed shares (renormalized over open routes) and trend demand.
"""

from __future__ import annotations

import bisect
import math
from typing import NamedTuple

import numpy as np
import simpy

from ..calendar import Calendar
from ..rng import gamma_mean_cv
from ..scenario.alternatives import Alternative, generalized_cost
from ..scenario.pricing import RouteCharge, value_of_time
from ..scenario.schema import Demand, Flow, demand_tons
from .cargo import AT_ORIGIN, OVER_LIMIT, Ledger, Lot


class DemandPlan(NamedTuple):
    """One row of ``demand``: a flow's plan for one open route, made at a year start or a timeline entry."""

    t_h: float
    year: int
    flow: str
    route: str
    share: float  # of the flow's consignments sent this way
    tariff_usd_per_t: float | None
    observed_days: float | None  # last year's days on the route (Little's law), at a year start
    transit_days: float | None  # the days shippers expect (adaptive), responding flows only
    generalized_cost_usd_per_t: float | None  # tariff + value of time x expected days
    demand_multiplier: float  # the response to tariffs and time (1: the path as is)
    # the days a consignment may expect on the route before the cheapest open alternative is
    # worth more to its shippers (every alternative open to them): derived, never set; None
    # where the flow has no priced alternative or no value of time
    accepted_wait_days: float | None
    trend_tons_per_year: float  # the demand path this year, before the response
    demand_tons_per_year: float  # trend x multiplier


class FlowState:
    """The live plan of one flow: its config, route split and demand multiplier.

    ``expected`` holds the shippers' expected transit days per route, ``anchor`` the multiplier
    and ``anchor_shares`` the route shares at the last year boundary; with lambda =
    adjustment_per_year, at each year boundary
        expected_r <- lambda x simulated_r + (1 - lambda) x expected_r
        share_r     = lambda x logit_r + (1 - lambda) x anchor_share_r   (renormalized)
        multiplier  = anchor^(1 - lambda) x target^lambda,
    and timeline entries within the year recompute the target (tariffs, open routes) from the
    same anchor, so several entries in one year do not compound.
    """

    def __init__(self, flow: Flow, legs: dict[str, tuple], charges: dict[str, RouteCharge]):
        self.flow = flow
        self.legs = legs  # route id -> compiled legs
        self.charges = charges  # route id -> its charges and emissions under the scenario in force
        self.multiplier = 1.0
        self.anchor: float | None = None
        self.anchor_shares: dict[str, float] | None = None
        self.shares: dict[str, float] = {}
        self.expected: dict[str, float] = {}
        self.route_ids: list[str] = []
        self.cum: np.ndarray = np.zeros(0)
        self._cum: list[float] = []
        self.alts: list[Alternative] = []  # the flow's open alternatives (``_refresh_alternatives``)
        self.vot = value_of_time(flow)
        self.alt_cost: dict[str, float] = {}
        self.route_usd: dict[str, float] = {}

    def replan(
        self,
        flow: Flow,
        simulated_days: dict[str, float] | None,
        t_h: float,
        year: int,
        demand: Demand,
        new_year: bool = False,
    ) -> list[DemandPlan]:
        """Recompute the split and multiplier; return the new plan, one record per open route."""
        self.flow = flow
        tariff_factor = demand.tariff_factor
        open_routes = [r for r in flow.routes if r.open]
        resp = flow.response
        # the DemandPlan fields from route to generalized cost
        rows: list[tuple[str, float, float | None, float | None, float | None, float | None]] = []
        if resp is None:
            shares = np.array([r.share for r in open_routes], dtype=float)
            shares = shares / shares.sum()
            self.multiplier = 1.0
            for r, sh in zip(open_routes, shares):
                rows.append((r.id, float(sh), self._tariff(r), None, None, None))
        else:
            lam = resp.adjustment_per_year
            for r in flow.routes:
                prior = self.expected.get(r.id, r.expected_transit_days or resp.reference_transit_days)
                sim = (simulated_days or {}).get(r.id)
                self.expected[r.id] = prior if (sim is None or not new_year) else lam * sim + (1 - lam) * prior
            # each route's charges per tonne (tariff_factor included); an unpriced route the reference
            tariffs = np.array(
                [
                    t if (t := self._tariff(r)) is not None else resp.reference_tariff_usd_per_t * tariff_factor
                    for r in open_routes
                ]
            )
            days = np.array([self.expected[r.id] for r in open_routes])
            cost = tariffs + resp.value_of_time_usd_per_t_day * days
            target_shares = logit_shares(cost.tolist(), resp.logit_scale_usd_per_t)
            if self.anchor_shares is None:
                shares = np.array(target_shares)  # the run starts at equilibrium
            else:
                if new_year:
                    self.anchor_shares = dict(self.shares)
                # shippers move part of the way each year: forwarders' gateway choices are sticky
                shares = np.array(
                    [
                        lam * t + (1 - lam) * self.anchor_shares.get(r.id, 0.0)
                        for r, t in zip(open_routes, target_shares)
                    ]
                )
                shares = shares / shares.sum()
            if self.anchor_shares is None:
                self.anchor_shares = {r.id: float(x) for r, x in zip(open_routes, shares)}
            self.shares = {r.id: float(x) for r, x in zip(open_routes, shares)}
            tariff_eff = float(shares @ tariffs)
            days_eff = float(shares @ days)
            target = (tariff_eff / resp.reference_tariff_usd_per_t) ** resp.tariff_elasticity * (
                1.0 + resp.trade_gain_per_day_saved
            ) ** (resp.reference_transit_days - days_eff)
            if self.anchor is None:
                self.anchor = target  # the run starts at equilibrium with its inputs
            elif new_year:
                self.anchor = self.multiplier
            self.multiplier = self.anchor ** (1.0 - lam) * target**lam
            for r, sh, t, d, c in zip(open_routes, shares, tariffs, days, cost):
                seen = (simulated_days or {}).get(r.id) if new_year else None
                rows.append((r.id, float(sh), float(t), seen, float(d), float(c)))
        self.shares = {r.id: float(x) for r, x in zip(open_routes, shares)}
        self.route_ids = [r.id for r in open_routes]
        self.cum = np.cumsum(shares)
        self._cum = self.cum.tolist()  # pick's hot path: bisect on a list, not a numpy call per lot
        trend = demand_tons(flow, demand, year)
        self._refresh_alternatives(demand)
        return [
            DemandPlan(
                t_h,
                year,
                flow.id,
                *row,
                self.multiplier,
                self.accepted_days(row[0], self.alts),
                trend,
                trend * self.multiplier,
            )
            for row in rows
        ]

    # -- outside alternatives ----------------------------------------------------------------------
    def _refresh_alternatives(self, demand: Demand) -> None:
        """The flow's open alternatives and their generalized costs under the scenario in force."""
        named = set(self.flow.alternatives)
        self.alts = [a for a in demand.alternatives if a.id in named and a.open]
        self.vot = value_of_time(self.flow)
        self.alt_cost = {a.id: generalized_cost(a, self.vot) for a in self.alts}
        # what one tonne pays on each route (an unpriced route: the flow's reference tariff)
        ref = self.flow.response.reference_tariff_usd_per_t * demand.tariff_factor if self.flow.response else 0.0
        self.route_usd = {r.id: (t if (t := self._tariff(r)) is not None else ref) for r in self.flow.routes}

    def usable(self, rng) -> list[Alternative]:
        """The open alternatives a new consignment's shippers can take: each partly available
        one is drawn for it (its available_share), the rest are open to all."""
        return [a for a in self.alts if a.available_share >= 1.0 or rng.random() < a.available_share]

    def best(self, alts: list[Alternative]) -> tuple[Alternative | None, float]:
        """The cheapest of ``alts`` by generalized cost, and that cost (None, inf: none)."""
        if not alts:
            return None, math.inf
        a = min(alts, key=lambda x: self.alt_cost[x.id])
        return a, self.alt_cost[a.id]

    def closed_to_all(self, ledger: Ledger, now: float, lot_tons: float) -> bool:
        """Whether no shipper of this flow would send a consignment now, the most patient
        included (``_screen``'s rules, with only the alternatives open to every consignment): its
        storage at origin is full, or every route would take longer than the cheapest such
        alternative makes worth it (or than its limit). Until the flow's own cargo moves, this
        stays true: the tonnes on its routes do not fall and their delivery rates only decay."""
        flow = self.flow
        if flow.storage_at_origin_t is not None and ledger.backlog_t(flow.id) + lot_tons > flow.storage_at_origin_t:
            return True
        watched = [r for r in self.route_ids if (flow.id, r) in ledger.route_rate]
        if len(watched) < len(self.route_ids):
            return False  # a route nobody has looked at yet: open
        if self.alts:
            _, g = self.best([a for a in self.alts if a.available_share >= 1.0])
            if self.vot <= 0.0 or math.isinf(g):
                return False  # some shippers have no alternative, or the flow leaves only when storage is full
            return all(self.route_usd[r] + self.vot * ledger.expected_days(flow.id, r, now) > g for r in watched)
        limit_d = flow.max_transit_days
        return limit_d is not None and all(ledger.expected_days(flow.id, r, now) > limit_d for r in watched)

    def accepted_days(self, route: str, alts: list[Alternative]) -> float | None:
        """The days on ``route`` at which the cheapest of ``alts`` costs its shippers as much:
        (its generalized cost - the route's charges) / value of time. None without both."""
        _, g = self.best(alts)
        if self.vot <= 0.0 or math.isinf(g):
            return None
        return (g - self.route_usd[route]) / self.vot

    def reconsider(self, lot: Lot, now: float, wait_h: float) -> str | None:
        """A consignment waiting for a Caspian ship: the alternative it leaves for, if the days it
        now expects (on its way so far + the wait of the cargo at the head of its queue) make the
        cheapest alternative open to it cheaper than staying (None: it stays)."""
        if not lot.alts or self.vot <= 0.0:
            return None
        a, g = self.best([x for x in self.alts if x.id in lot.alts])
        days = (now - lot.t_generated + wait_h) / 24.0
        if a is None or self.route_usd[lot.route] + self.vot * days <= g:
            return None
        return a.id

    def _tariff(self, route) -> float | None:
        """What one tonne pays on ``route`` under the scenario in force, US$: its charges
        (scenario.pricing, tariff_factor included), or None if nothing on it is priced."""
        ch = self.charges.get(route.id)
        return ch.usd_per_t if ch is not None and ch.priced else None

    def pick(self, u: float, among: list[str] | None = None) -> str:
        """The route for a uniform draw u, by the current shares (renormalized over ``among``)."""
        if among is not None and len(among) < len(self.route_ids):
            w = np.array([self.shares.get(r, 0.0) if r in among else 0.0 for r in self.route_ids])
            if w.sum() <= 0:
                w = np.array([1.0 if r in among else 0.0 for r in self.route_ids])
            cum = np.cumsum(w)
            k = int(np.searchsorted(cum, u * cum[-1], side="right"))
        else:
            k = bisect.bisect_right(self._cum, u * self._cum[-1])  # as searchsorted(side="right")
        return self.route_ids[min(k, len(self.route_ids) - 1)]


def flow_process(
    env: simpy.Environment,
    state: FlowState,
    model,
    t_per_unit: float,
    cal: Calendar,
    ledger: Ledger,
    rng,
    launch,
    hold: bool = False,
):
    """Generate the consignments of one flow for the whole run. With ``hold`` (the capacity
    estimator's saturated source), a consignment turned away at the origin when no shipper of the
    flow would send one holds the source instead of counting as diverted: nothing more is drawn
    until the flow is open again (``Ledger.hold``), so demand that cannot enter costs no events."""
    need = state.flow.lot_units * t_per_unit * rng.random()  # first gap from the equilibrium spread: no burst at t=0
    # what the rate is made of changes only with the flow's configuration or the year: kept from
    # one consignment to the next (this loop runs once per consignment), recomputed when it changes
    seen_flow: Flow | None = None
    seen_demand: tuple[Flow, Demand, int] | None = None
    factors: list[float] = []
    factor_mean = 1.0
    year_tons = 0.0
    while True:
        flow = state.flow
        demand: Demand = model.demand
        if flow is not seen_flow:
            monthly = np.asarray(flow.monthly_factor or [1.0] * 12, dtype=float)
            factors, factor_mean, seen_flow = monthly.tolist(), float(monthly.mean()), flow
        year = cal.year_of(env.now)
        if seen_demand is None or seen_demand[0] is not flow or seen_demand[1] is not demand or seen_demand[2] != year:
            year_tons, seen_demand = demand_tons(flow, demand, year), (flow, demand, year)
        rate_tph = (
            year_tons * state.multiplier / cal.hours_in_year_at(env.now) * factors[cal.month_of(env.now)] / factor_mean
        )
        horizon = min(cal.next_month_start_h(env.now), model.next_change_h(env.now))
        if rate_tph * (horizon - env.now) < need:
            # not enough demand before the rate changes (a new month, year or timeline entry):
            # carry what accrued and look again then
            need -= max(rate_tph * (horizon - env.now), 0.0)
            yield env.timeout(max(horizon - env.now, 1e-6))
            continue
        yield env.timeout(need / rate_tph)
        lot_tons = flow.lot_units * t_per_unit
        u = rng.random()
        route_id = state.pick(u)
        alts: tuple[str, ...] | None = None
        if state.alts or flow.max_transit_days is not None:
            route_id, alts, gone = _screen(state, flow, route_id, u, rng, ledger, env.now, rate_tph, lot_tons)
            if gone is not None:
                if hold and state.closed_to_all(ledger, env.now, lot_tons):
                    opened = env.event()
                    ledger.hold(flow.id, env.now, lot_tons, rate_tph, opened, _reopens(state, ledger, lot_tons))
                    yield opened
                else:
                    ledger.divert(flow.id, env.now, lot_tons, flow.lot_units, gone, AT_ORIGIN)
                # the next consignment after a fresh gap (memoryless at cv 1: as if drawn all along)
                need = lot_tons * gamma_mean_cv(rng, 1.0, flow.interarrival_cv)
                continue
        legs = state.legs[route_id]
        ch = state.charges[route_id]
        lot = Lot(
            ledger.new_id(),
            flow.id,
            flow.cargo,
            route_id,
            legs,
            lot_tons,
            flow.lot_units,
            env.now,
            ch.usd_per_unit,
            ch.kg_co2e_per_unit,
            value_of_time(flow),
        )
        lot.alts = alts
        ledger.generate(lot)
        launch(lot)
        need = lot_tons * gamma_mean_cv(rng, 1.0, flow.interarrival_cv)


def _reopens(state: FlowState, ledger: Ledger, lot_tons: float):
    """Whether a held flow is open again at an hour (``Ledger.hold``)."""

    def is_open(now: float) -> bool:
        return not state.closed_to_all(ledger, now, lot_tons)

    return is_open


def _screen(
    state: FlowState,
    flow: Flow,
    route_id: str,
    u: float,
    rng,
    ledger: Ledger,
    now: float,
    rate_tph: float,
    lot_tons: float,
):
    """Before a consignment is sent: (its route, the alternatives open to it, the alternative it
    takes instead, or None). Shippers look at each route as it stands now: the cargo already on
    it over what it has been delivering (Little's law at this moment, ``Ledger.expected_days``).

    * Storage at origin: when what waits to enter fills it, the consignment takes the cheapest open
      alternative by charges (crude goes to CPC).
    * Alternatives: a route is worth taking while its charges + value of time x expected days do
      not exceed the cheapest alternative open to these shippers; the drawn route if it is, another
      such route if one is (by the shares), else that alternative.
    * A hard limit (max_transit_days, flows without alternatives): routes that would take longer
      are not taken; with none left the consignment is counted as turned away (OVER_LIMIT).
    """
    if flow.storage_at_origin_t is not None and ledger.backlog_t(flow.id) + lot_tons > flow.storage_at_origin_t:
        cheapest = min(state.alts, key=lambda a: a.usd_per_t, default=None)
        return route_id, None, cheapest.id if cheapest is not None else OVER_LIMIT
    if state.alts:
        usable = state.usable(rng)
        alts = tuple(a.id for a in usable)
        best, g = state.best(usable)
        if best is None or state.vot <= 0.0:
            return route_id, alts, None  # contract flows (no value of time) leave only when storage is full
        for r in state.route_ids:
            accept = (g - state.route_usd[r]) / state.vot
            ledger.watch_route(flow.id, r, now, max(accept, 1.0) * 24.0, rate_tph * state.shares.get(r, 0.0))
        ok = [r for r in state.route_ids if state.route_usd[r] + state.vot * ledger.expected_days(flow.id, r, now) <= g]
        if route_id in ok:
            return route_id, alts, None
        if ok:
            return state.pick(u, among=ok), alts, None
        return route_id, alts, best.id
    limit_d = flow.max_transit_days
    assert limit_d is not None
    for r in state.route_ids:
        ledger.watch_route(flow.id, r, now, limit_d * 24.0, rate_tph * state.shares.get(r, 0.0))
    if ledger.expected_days(flow.id, route_id, now) <= limit_d:
        return route_id, None, None
    ok = [r for r in state.route_ids if ledger.expected_days(flow.id, r, now) <= limit_d]
    return (state.pick(u, among=ok), None, None) if ok else (route_id, None, OVER_LIMIT)


def logit_shares(costs: list[float], scale: float) -> list[float]:
    """Multinomial logit shares for generalized costs (lower is better).

    >>> [round(x, 3) for x in logit_shares([100.0, 100.0], 10.0)]
    [0.5, 0.5]
    >>> [round(x, 3) for x in logit_shares([100.0, 110.0], 10.0)]
    [0.731, 0.269]
    """
    m = min(costs)
    w = [math.exp(-(c - m) / scale) for c in costs]
    return [x / sum(w) for x in w]
