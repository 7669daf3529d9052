"""Cargo as quantities: a lot is a consignment of one flow; a train carries lots.

Lots move as batches, never as one process per wagon or TEU. A vessel or an onward train may take
part of a lot: ``split`` carves off the part, tonnes in proportion, and the pieces keep the
consignment id and every timestamp so far, so delivered rows still carry each stage's times.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable


class Lot:
    __slots__ = ("id", "consignment", "flow", "cargo", "route", "legs", "pos", "tons", "units",
                 "t_generated", "t_entered", "stamps")

    def __init__(self, lot_id: int, flow: str, cargo: str, route: str, legs: tuple,
                 tons: float, units: float, now: float):
        self.id = lot_id
        self.consignment = lot_id
        self.flow = flow
        self.cargo = cargo
        self.route = route
        self.legs = legs          # the route's legs (rail links and sea lines), in order
        self.pos = 0              # index of the leg the lot is on or waiting for
        self.tons = tons
        self.units = units
        self.t_generated = now
        self.t_entered: float | None = None
        self.stamps: list[tuple[str, float]] = []

    def split(self, units: float, new_id: int) -> "Lot":
        """Take ``units`` out of this lot into a new lot (same consignment and history)."""
        part = Lot.__new__(Lot)
        share = units / self.units
        part.id = new_id
        part.consignment = self.consignment
        part.flow, part.cargo, part.route, part.legs = self.flow, self.cargo, self.route, self.legs
        part.pos = self.pos
        part.tons = self.tons * share
        part.units = units
        self.tons -= part.tons
        self.units -= units
        part.t_generated, part.t_entered = self.t_generated, self.t_entered
        part.stamps = list(self.stamps)
        return part


class Train:
    """Lots moving together on rail; all share the rest of their route."""

    __slots__ = ("lots", "units", "tons")

    def __init__(self, lots: list[Lot]):
        self.lots = lots
        self.units = sum(l.units for l in lots)
        self.tons = sum(l.tons for l in lots)

    def stamp(self, stage: str, now: float) -> None:
        for lot in self.lots:
            lot.stamps.append((stage, now))


def _no_year(t: float) -> int:
    return 0


@dataclass
class Ledger:
    """Where every tonne is: generated, waiting to enter (backlog), in the corridor, delivered.

    Stocks are summed from the live lots themselves, not kept as counters, so a split that loses
    or duplicates tonnes shows up as a conservation error instead of being hidden by arithmetic.
    """

    live: dict[int, Lot] = field(default_factory=dict)
    next_id: int = 0
    generated_rows: list[tuple] = field(default_factory=list)
    delivered_rows: list[tuple] = field(default_factory=list)
    stock_rows: list[tuple] = field(default_factory=list)
    year_of: Callable[[float], int] = _no_year
    # (year, flow, route) -> [tonnes delivered, tonne-days in transit]: last year's route times
    route_stats: dict[tuple, list] = field(default_factory=dict)

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def generate(self, lot: Lot) -> None:
        self.live[lot.id] = lot
        self.generated_rows.append((lot.flow, lot.t_generated, lot.tons, lot.units))

    def adopt(self, part: Lot) -> None:
        """Register a piece split off a live lot."""
        self.live[part.id] = part

    def enter(self, lot: Lot, now: float) -> None:
        if lot.t_entered is None:
            lot.t_entered = now
            lot.stamps.append(("entered", now))

    def deliver(self, lot: Lot, now: float, where: str) -> None:
        del self.live[lot.id]
        lot.stamps.append(("delivered", now))
        acc = self.route_stats.setdefault((self.year_of(now), lot.flow, lot.route), [0.0, 0.0])
        acc[0] += lot.tons
        acc[1] += lot.tons * (now - lot.t_generated) / 24.0
        self.delivered_rows.append((lot.id, lot.consignment, lot.flow, lot.cargo, lot.route, where,
                                    lot.tons, lot.units, lot.t_generated, lot.t_entered, now,
                                    _stamp_dict(lot.stamps)))

    def route_days(self, year: int, flow: str) -> dict[str, float]:
        """Tonne-weighted mean transit days per route of a flow, for cargo delivered in ``year``."""
        return {route: acc[1] / acc[0] for (y, f, route), acc in self.route_stats.items()
                if y == year and f == flow and acc[0] > 0}

    def route_outlook_days(self, year: int, flow: str, days_in_year: float) -> dict[str, float]:
        """Expected days for cargo entering each route now, by Little's law: tonnes on the route
        (backlog and in the corridor) / tonnes delivered per day in ``year``; last year's mean
        where that is larger (a route with no queue still takes its running time).

        Last year's delivered times alone lag a growing queue by the queue's own length, and
        shippers who react to them swing demand from year to year; the stock reacts at once.
        """
        stock: dict[str, float] = defaultdict(float)
        for lot in self.live.values():
            if lot.flow == flow:
                stock[lot.route] += lot.tons
        out = {}
        for route, mean in self.route_days(year, flow).items():
            delivered = self.route_stats[(year, flow, route)][0]
            out[route] = max(mean, stock.get(route, 0.0) / (delivered / days_in_year))
        return out

    def snapshot(self, now: float, label: Any) -> None:
        backlog: dict[str, float] = defaultdict(float)
        inside: dict[str, float] = defaultdict(float)
        for lot in self.live.values():
            (inside if lot.t_entered is not None else backlog)[lot.flow] += lot.tons
        for flow in set(backlog) | set(inside):
            self.stock_rows.append((label, now, flow, backlog.get(flow, 0.0), inside.get(flow, 0.0)))


def _stamp_dict(stamps: list[tuple[str, float]]) -> dict[str, float]:
    """First time each stage was reached (a lot passes each stage once)."""
    out: dict[str, float] = {}
    for stage, t in stamps:
        out.setdefault(stage, t)
    return out
