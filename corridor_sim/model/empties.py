"""Empties: wagons and boxes that go back after their cargo is delivered.

Each delivery of a flow with ``empties`` adds its share of units to the empties waiting where it
was delivered; every ``lot_units`` of them leave as one empty consignment on the flow's way back
(rail paths, yard space, the ships' return legs), booked at the loaded unit's rates (an
assumption: CIS tariffs charge empty wagons less) with the CO2e of the tare's tonne-km. The
returner hears of deliveries as a subscriber of the ledger (``LedgerObserver``).
"""

from __future__ import annotations

from collections.abc import Callable

from ..scenario.pricing import route_charge
from ..scenario.schema import Route, Scenario
from .cargo import Ledger, Lot


def empty_flow(flow: str) -> str:
    """The ledger's name for a flow's empties (not a scenario flow: kept out of its tables)."""
    return f"{flow}:empty"


class EmptiesReturn:
    """Gathers each flow's empties where it delivers and sends them back in consignments."""

    def __init__(
        self, s: Scenario, ledger: Ledger, legs: Callable[[list[str], str], tuple], launch: Callable[[Lot], None]
    ):
        self.ledger = ledger
        self.launch = launch
        self.live = s  # the scenario in force (the timeline may change a flow's empties)
        self.pending: dict[str, float] = {f.id: 0.0 for f in s.demand.flows if f.empties is not None}
        self.legs = {f.id: legs(f.empties.path, f.cargo) for f in s.demand.flows if f.empties is not None}
        self.charges = self._charges(s)

    def __bool__(self) -> bool:
        """Whether any flow returns empties."""
        return bool(self.pending)

    def reconfigure(self, s: Scenario) -> None:
        """The scenario after a timeline entry: its empties' shares, and their charges."""
        self.live = s
        self.charges = self._charges(s)

    @staticmethod
    def _charges(s: Scenario) -> dict[str, tuple[float, float]]:
        """Per flow with empties: an empty unit's charges (the loaded unit's rates on its way back)
        and its CO2e (the tare's tonne-km)."""
        out = {}
        for f in s.demand.flows:
            e = f.empties
            if e is None:
                continue
            ch = route_charge(s, f, Route(id="empty", path=e.path))
            out[f.id] = (ch.usd_per_unit, ch.kg_co2e_per_unit * e.tare_t_per_unit / ch.t_per_unit)
        return out

    # -- the ledger's subscriber ------------------------------------------------------------------
    def generated(self, lot: Lot) -> None:
        pass

    def diverted(self, flow: str, now: float, tons: float, units: float) -> None:
        pass

    def delivered(self, lot: Lot, now: float, where: str) -> None:
        """After a delivery: its share of empties joins those waiting where it was delivered; each
        lot_units of them leave as one empty consignment on the flow's way back."""
        if lot.flow not in self.pending:  # other flows, and the empties themselves
            return
        f = self.live.flow(lot.flow)
        e = f.empties
        if e is None:  # switched off by the timeline
            return
        self.pending[lot.flow] += lot.units * e.share
        size = f.lot_units
        while self.pending[lot.flow] >= size - 1e-9:
            self.pending[lot.flow] -= size
            usd, kg = self.charges[lot.flow]
            empty = Lot(
                self.ledger.new_id(),
                empty_flow(lot.flow),
                lot.cargo,
                "empty",
                self.legs[lot.flow],
                size * e.tare_t_per_unit,
                size,
                now,
                usd,
                kg,
                0.0,
            )
            self.ledger.generate(empty)
            self.launch(empty)
