"""Cargo generation: each flow sends consignments (lots) into the corridor as a Poisson stream.

The rate follows the flow's annual demand (base-year tonnes x scale x growth) and its monthly
factor. Each lot picks a route by the routes' shares. A lot that cannot enter yet (no path at the
border, no room in the tank farm) waits as backlog: nothing is dropped.
"""
from __future__ import annotations

import numpy as np
import simpy

from ..calendar import Calendar
from ..rng import gamma_mean_cv
from ..scenario import Demand, Flow, demand_tons
from .cargo import Ledger, Lot



def flow_process(env: simpy.Environment, flow: Flow, demand: Demand, t_per_unit: float,
                 routes: list[tuple[str, float, tuple]], cal: Calendar, ledger: Ledger, rng, launch):
    """Consignments arrive as a renewal process in *demand time*.

    The gap between lots is lot_tons x G tonnes of demand (G: gamma, mean 1, cv interarrival_cv),
    consumed at the current month's demand rate. With cv = 1 this is a Poisson process whose rate
    follows demand exactly, month by month; with cv < 1 arrivals are more regular (timetabled
    trains), which narrows the year-to-year noise of big lots.
    """
    lot_tons = flow.lot_units * t_per_unit
    factors = np.asarray(flow.monthly_factor or [1.0] * 12, dtype=float)
    factors = factors / factors.mean()
    cum = np.cumsum([share for _, share, _ in routes])
    cv = flow.interarrival_cv
    # the first gap is drawn from the equilibrium (forward-recurrence) spread: no burst at t=0
    need = lot_tons * rng.random()
    while True:
        years = cal.years_since(demand.base_year, env.now)
        rate_tph = demand_tons(flow, demand, years) / cal.hours_in_year_at(env.now) * factors[cal.month_of(env.now)]
        month_end = cal.next_month_start_h(env.now)
        if rate_tph * (month_end - env.now) < need:
            need -= max(rate_tph * (month_end - env.now), 0.0)
            yield env.timeout(max(month_end - env.now, 1e-6))
            continue
        yield env.timeout(need / rate_tph)
        k = int(np.searchsorted(cum, rng.random() * cum[-1], side="right"))
        route_id, _, legs = routes[min(k, len(routes) - 1)]
        lot = Lot(ledger.new_id(), flow.id, flow.cargo, route_id, legs, lot_tons, flow.lot_units, env.now)
        ledger.generate(lot)
        launch(lot)
        need = lot_tons * gamma_mean_cv(rng, 1.0, cv)
