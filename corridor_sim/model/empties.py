"""Empties: wagons and boxes that go back after their cargo is delivered.

Each delivery of a flow with ``empties`` adds its share of units to the empties waiting where it
was delivered; every ``lot_units`` of them leave as one empty consignment on the flow's way back
(rail paths, yard space, the ships' return legs), booked at the loaded unit's rates (an
assumption: CIS tariffs charge empty wagons less) with the CO2e of the tare's tonne-km. The
returner is told by ``RailExit``, the ledger's subscriber (``LedgerObserver``) for deliveries,
which also hands the consignment's riding wagons or boxes back to their pool.
"""

from __future__ import annotations

from collections.abc import Callable

from ..scenario.pricing import route_charge
from ..scenario.schema import Route, Scenario
from .cargo import Ledger, Lot
from .stock import RollingStock


def empty_flow(flow: str) -> str:
    """The ledger's name for a flow's empties (not a scenario flow: kept out of its tables)."""
    return f"{flow}:empty"


class EmptiesReturn:
    """Gathers each flow's empties where it delivers and sends them back in consignments, by the way
    back that starts there (``Empties.path`` or one of ``also_from``)."""

    def __init__(
        self, s: Scenario, ledger: Ledger, legs: Callable[[list[str], str], tuple], launch: Callable[[Lot], None]
    ):
        self.ledger = ledger
        self.launch = launch
        self.live = s  # the scenario in force (the timeline may change a flow's empties)
        self.live_flows = {f.id: f for f in s.demand.flows}  # looked up per delivery
        with_empties = [f for f in s.demand.flows if f.empties is not None]
        # (flow, where delivered) -> units waiting there, and the legs of the way back from there
        self.pending: dict[tuple[str, str], float] = {}
        self.legs: dict[tuple[str, str], tuple] = {}
        for f in with_empties:
            assert f.empties is not None
            for path in f.empties.paths():
                self.pending[f.id, path[0]] = 0.0
                self.legs[f.id, path[0]] = legs(path, f.cargo)
        self.flows = {f.id for f in with_empties}
        # where each route of a flow delivers: a lot knows its route, not its last node
        self.ends = {(f.id, r.id): r.path[-1] for f in with_empties for r in f.routes}
        self.charges = self._charges(s)

    def __bool__(self) -> bool:
        """Whether any flow returns empties."""
        return bool(self.flows)

    def reconfigure(self, s: Scenario) -> None:
        """The scenario after a timeline entry: its empties' shares, and their charges."""
        self.live = s
        self.live_flows = {f.id: f for f in s.demand.flows}
        self.charges = self._charges(s)

    @staticmethod
    def _charges(s: Scenario) -> dict[tuple[str, str], tuple[float, float]]:
        """Per flow with empties and way back: an empty unit's charges (the loaded unit's rates on
        its way back) and its CO2e (the tare's tonne-km)."""
        out = {}
        for f in s.demand.flows:
            e = f.empties
            if e is None:
                continue
            for path in e.paths():
                ch = route_charge(s, f, Route(id="empty", path=path))
                out[f.id, path[0]] = (ch.usd_per_unit, ch.kg_co2e_per_unit * e.tare_t_per_unit / ch.t_per_unit)
        return out

    def share(self, flow: str) -> float:
        """The share of a flow's units that go back as empty consignments now (0 without empties)."""
        if flow not in self.flows:
            return 0.0
        e = self.live_flows[flow].empties
        return e.share if e is not None else 0.0

    def send_back(self, lot: Lot, now: float, pool=None) -> None:
        """After a consignment leaves the rails: its share of empties joins those waiting where it
        did; each lot_units of them leave as one empty consignment on the flow's way back from there
        (riding in ``pool``'s wagons or boxes, which go back to it when the consignment arrives)."""
        if lot.flow not in self.flows:  # other flows, and the empties themselves
            return
        f = self.live_flows[lot.flow]
        e = f.empties
        if e is None:  # switched off by the timeline
            return
        key = (lot.flow, self.ends[lot.flow, lot.route])
        self.pending[key] += lot.units * e.share
        size = f.lot_units
        while self.pending[key] >= size - 1e-9:
            self.pending[key] -= size
            usd, kg = self.charges[key]
            empty = Lot(
                self.ledger.new_id(),
                empty_flow(lot.flow),
                lot.cargo,
                "empty",
                self.legs[key],
                size * e.tare_t_per_unit,
                size,
                now,
                usd,
                kg,
                0.0,
            )
            empty.pool = pool
            self.ledger.generate(empty)
            self.launch(empty)


class RailExit:
    """A consignment leaves the rails for good (unloaded for a ship at the port its route ends in,
    or delivered): its riding wagons or boxes go back to their pool, and its share of empties joins
    those waiting there. Once per consignment (a part delivered later has left already). The
    ledger's subscriber for deliveries; the routing calls ``leave`` at a port cargo leaves by sea."""

    def __init__(self, stock: RollingStock | None, empties: EmptiesReturn):
        self.stock = stock
        self.empties = empties

    def leave(self, lot: Lot, now: float) -> None:
        if lot.returned:
            return
        lot.returned = True
        pool = lot.pool
        if self.stock is not None:
            self.stock.off_rails(lot)
        self.empties.send_back(lot, now, pool)

    # -- the ledger's subscriber ------------------------------------------------------------------
    def generated(self, lot: Lot) -> None:
        pass

    def diverted(self, flow: str, now: float, tons: float, units: float) -> None:
        pass

    def held(self, flow: str, t0: float, t1: float, tons: float, tons_per_h: float) -> None:
        pass

    def withdrawn(self, lot: Lot, now: float) -> None:
        pass  # only cargo without riding wagons or boxes leaves on its way (Terminal.receive_train)

    def delivered(self, lot: Lot, now: float, where: str) -> None:
        self.leave(lot, now)
