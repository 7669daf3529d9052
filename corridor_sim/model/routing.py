"""How cargo moves along its route: the legs of a path, a consignment's start on its first leg, and
a train's run along rail legs until it reaches a ship, a sink port or its destination.

A route is a list of nodes; its legs are the rail links and sea lines between consecutive nodes:
a rail link by (from, to), a sea line by (from, to, cargo), also for the second class of a shared
deck and for the way back of a line with a return leg. ``Network`` holds the components by those
keys; the model builds them (``model.build``) and hands them over.
"""

from __future__ import annotations

from collections.abc import Callable

import simpy

from .cargo import Ledger, Lot, Train
from .fleet import ReturnLeg, SeaLine
from .port import ONWARD, Terminal
from .rail import RailLink
from .stock import RollingStock


def route_h(legs: tuple) -> float:
    """A route's running time, h: its rail links at their speeds and its sea crossings."""
    return sum(leg.length_km / leg.speed_kmh if isinstance(leg, RailLink) else leg.cfg.crossing_h for leg in legs)


def _stays(lot: Lot, now: float) -> None:
    """Where nothing rides back (no rolling stock, no empties), leaving the rails changes nothing."""


class Network:
    """The corridor's components by what routes name them by, and the one way trains run."""

    def __init__(self, env: simpy.Environment, ledger: Ledger):
        self.env = env
        self.ledger = ledger
        self.links: dict[tuple[str, str], RailLink] = {}  # (from, to)
        self.terminals: dict[tuple[str, str], Terminal] = {}  # (port, cargo)
        self.lines: dict[tuple[str, str, str], SeaLine] = {}  # (from, to, cargo): the line's own
        # a line that shares its deck carries a second class: its routes find the line by that class
        self.deck_lines: dict[tuple[str, str, str], SeaLine] = {}
        # a line with a return leg also runs to -> from, for the cargo that waits at its far port
        self.back_lines: dict[tuple[str, str, str], ReturnLeg] = {}
        # the rolling stock trains take where they form (None: trains form whenever cargo is there)
        self.stock: RollingStock | None = None
        # told when a consignment leaves the rails for good at a port it leaves by sea (the model's)
        self.leave_rails: Callable[[Lot, float], None] = _stays

    def add_line(self, line: SeaLine) -> None:
        """A sea line, under its own cargo, its deck's class and its way back."""
        cfg = line.cfg
        self.lines[(cfg.from_port, cfg.to_port, cfg.cargo)] = line
        if cfg.deck is not None:
            self.deck_lines[(cfg.from_port, cfg.to_port, cfg.deck.cargo)] = line
        if line.back is not None:
            self.back_lines[(cfg.to_port, cfg.from_port, cfg.cargo)] = line.back

    def legs(self, path: list[str], cargo: str) -> tuple:
        """The legs of a path for a cargo class: rail links and sea lines (or their way back)."""
        return tuple(
            self.links[(a, b)]
            if (a, b) in self.links
            else self.lines.get((a, b, cargo)) or self.deck_lines.get((a, b, cargo)) or self.back_lines[(a, b, cargo)]
            for a, b in zip(path, path[1:])
        )

    def launch(self, lot: Lot) -> None:
        """Send a new consignment on its way: by train, or into its first ship's origin yard."""
        first = lot.legs[0]
        if isinstance(first, RailLink):
            self.start_train(Train([lot]), lot.legs)
        else:
            first.origin_of(lot.cargo).accept_origin_lot(lot, first)

    def start_train(self, train: Train, legs: tuple) -> None:
        """A train leaves on ``legs`` (from a border, an origin or a port's onward tracks)."""
        self.env.process(self._run_train(train, legs))

    def _run_train(self, train: Train, legs: tuple):
        stock = self.stock
        if stock is not None and train.stock is None and isinstance(legs[0], RailLink):
            # formed at its origin: it waits there (as backlog) until its stock is at hand
            if not stock.form_now(train, legs[0]):
                yield from stock.form(train, legs[0])
        held = train.stock
        for k, leg in enumerate(legs):
            if isinstance(leg, (SeaLine, ReturnLeg)):
                yield from leg.origin_of(train.lots[0].cargo).receive_train(train, leg)
                if stock is not None:
                    stock.end_run(train, legs, k)
                return
            if stock is not None and held is not None and leg.railway is not None and leg.railway != held.railway:
                if not stock.border_now(train, legs, k):  # a railway border: its locomotive, maybe its cars
                    yield from stock.border(train, legs, k)
            yield from leg.traverse(train)
            for lot in train.lots:
                lot.pos += 1
        where = legs[-1].to_node
        sink = self.terminals.get((where, train.lots[0].cargo))
        if sink is not None and sink.cfg.onward_by_sea is not None:
            # a port the cargo leaves by sea (Poti): delivered when loaded aboard there; the train's
            # stock goes back once it is unloaded into the yard
            yield from sink.receive_train(train, ONWARD)
            if stock is not None:
                stock.end_run(train, legs, len(legs))
            now = self.env.now
            for lot in train.lots:
                self.leave_rails(lot, now)
            return
        if stock is not None:
            stock.end_run(train, legs, len(legs))
        now = self.env.now
        for lot in train.lots:
            self.ledger.deliver(lot, now, where)
