"""Assemble the model from a Scenario, run it, and hand back raw records.

build -> run -> collect, as in desmod: ``Model(scenario, seed)`` creates every component and its
random stream; ``Model.run()`` advances the clock, taking a stock snapshot at each year boundary;
``Model.records()`` returns plain lists and dicts that ``corridor_sim.results`` turns into tables.
"""
from __future__ import annotations

from functools import partial
from typing import Callable

import simpy

from ..calendar import Calendar
from ..rng import Streams
from ..scenario import Scenario
from .cargo import Ledger, Lot, Train
from .demand import flow_process
from .fleet import SeaLine
from .port import Port, Terminal
from .rail import RailLink
from .weather import load_factor, storm_process


class Model:
    def __init__(self, scenario: Scenario, seed: int = 1):
        s = scenario
        self.scenario = s
        self.seed = int(seed)
        self.cal = Calendar(s.start_year, s.end_year)
        self.years = self.cal.years()
        self.bounds = [self.cal.year_start_h(y) for y in self.years] + [self.cal.end_h]
        self.warmup_h = s.warmup_days * 24.0
        self.env = simpy.Environment(initial_time=-self.warmup_h)
        self.streams = Streams(self.seed)
        self.ledger = Ledger()
        self.rows: dict[str, list] = {"voyages": [], "vessel_states": [], "levels": []}
        self.events = 0
        env, b = self.env, self.bounds

        self.links = {(l.from_node, l.to_node): RailLink(env, l, b, self.streams.get(f"rail:{l.id}"), self.ledger)
                      for l in s.rail_links}
        self.ports: dict[str, Port] = {}
        self.terminals: dict[tuple[str, str], Terminal] = {}
        for p in s.ports:
            port = self.ports[p.id] = Port(env, p.id, b)
            for t in p.terminals:
                term = Terminal(env, port, t, b, self.ledger, self._start_train)
                port.terminals[t.cargo] = term
                self.terminals[(p.id, t.cargo)] = term
            env.process(storm_process(env, port, p.weather, self.cal, self.streams.get(f"weather:{p.id}")))
        lf = partial(load_factor, s.caspian, self.cal) if s.caspian else (lambda t: 1.0)
        self.lines = {(l.from_port, l.to_port, l.cargo): SeaLine(
            env, l, self.terminals[(l.from_port, l.cargo)], self.terminals[(l.to_port, l.cargo)],
            b, lf, self.streams, self.rows) for l in s.sea_lines}

        for f in s.demand.flows:
            routes = [(r.id, r.share, self._legs(r.path, f.cargo)) for r in f.routes]
            env.process(flow_process(env, f, s.demand, s.cargo_classes[f.cargo].t_per_unit, routes,
                                     self.cal, self.ledger, self.streams.get(f"demand:{f.id}"), self._launch))
        env.process(self._sample_levels())

    # -- routing ---------------------------------------------------------------------------------
    def _legs(self, path: list[str], cargo: str) -> tuple:
        legs = []
        for a, b in zip(path, path[1:]):
            legs.append(self.links[(a, b)] if (a, b) in self.links else self.lines[(a, b, cargo)])
        return tuple(legs)

    def _launch(self, lot: Lot) -> None:
        first = lot.legs[0]
        if isinstance(first, RailLink):
            self._start_train(Train([lot]), lot.legs)
        else:
            self.env.process(first.origin.accept_origin_lot(lot, first))

    def _start_train(self, train: Train, legs: tuple) -> None:
        self.env.process(self._run_train(train, legs))

    def _run_train(self, train: Train, legs: tuple):
        for leg in legs:
            if isinstance(leg, SeaLine):
                yield from leg.origin.receive_train(train, leg)
                return
            yield from leg.traverse(train)
            for lot in train.lots:
                lot.pos += 1
        now = self.env.now
        where = legs[-1].to_node
        for lot in train.lots:
            self.ledger.deliver(lot, now, where)

    # -- observation -------------------------------------------------------------------------------
    def _sample_levels(self):
        env = self.env
        every = self.scenario.output.levels_every_h
        if env.now < 0:
            yield env.timeout(-env.now)
        rows = self.rows["levels"]
        while True:
            t = env.now
            for (pid, cargo), term in self.terminals.items():
                rows.append((t, pid, cargo, "yard_units", term.yard.level))
                rows.append((t, pid, cargo, "yard_share", term.yard.level / term.capacity_units))
                rows.append((t, pid, cargo, "trains_waiting", term.tracks.queue.level))
                rows.append((t, pid, cargo, "vessels_waiting_berth", term.berths.queue.level))
            for pid, port in self.ports.items():
                rows.append((t, pid, "", "port_closed", 0.0 if port.is_open else 1.0))
            yield env.timeout(every)

    def resources(self):
        """Every capacity-bearing resource with its year meters (for utilization and queues)."""
        for link in self.links.values():
            yield from link.resources()
        for term in self.terminals.values():
            yield from term.resources()

    # -- running -------------------------------------------------------------------------------------
    def run(self, progress: Callable[[float], None] | None = None, chunk_h: float = 24.0 * 7) -> "Model":
        """Advance to the end of the last year; snapshot stocks at every year boundary."""
        env = self.env
        step, peek = env.step, env.peek
        marks = list(self.bounds)
        t_total = self.bounds[-1] + self.warmup_h
        n = 0
        t = env.now
        for mark in marks:
            while t < mark:
                t = min(t + chunk_h, mark)
                while peek() < t:
                    step()
                    n += 1
                if progress is not None:
                    progress((t + self.warmup_h) / t_total)
            self.ledger.snapshot(mark, self.cal.year_of(mark))
        self.events = n
        end = self.bounds[-1]
        for res in self.resources():
            res.busy._advance(end)
            res.queue._advance(end)
        for term in self.terminals.values():
            term.yard._advance(end)
        for port in self.ports.values():
            port.closed._advance(end)
            if not port.is_open:
                port.closures.append((port.id, port._closed_at, end))
        for line in self.lines.values():
            for g in line.groups.values():
                g["working"]._advance(end)
        return self
