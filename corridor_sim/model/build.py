"""Assemble the model from a Scenario, run it, and hand back raw records.

build -> run -> collect, as in desmod: ``Model(scenario, seed)`` creates every component and its
random stream; ``Model.run()`` advances the clock, taking a stock snapshot and re-planning demand
at each year boundary, while the timeline process applies interventions at their dates;
each component writes its typed records to the run's ``Recorder`` and closes its own meters,
and ``corridor_sim.results`` turns the records and the components' yearly rows into tables.

Interventions are data: the scenario after each one is resolved and validated when the scenario
is loaded (``Scenario.timeline_states``); at its date the model diffs the old and new scenario and hands each changed
component its new configuration. One mechanism serves a second track, a new ferry, a port phase,
a tariff cut and the opening of a route.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple

import simpy

from ..calendar import Calendar
from ..rng import Streams
from ..scenario import Route, Scenario
from .cargo import Ledger, Lot, Train
from .charges import flow_charges, route_charge
from .demand import DemandPlan, FlowState, flow_process
from .fleet import LineYear, ReturnLeg, SeaLine
from .meters import Meter, ResourceYear
from .port import ONWARD, Closure, LevelSeries, Port, Terminal
from .rail import LinkYear, RailLink
from .records import Recorder
from .stock import RollingStock
from .weather import load_factor, storm_process


def empty_flow(flow: str) -> str:
    """The ledger's name for a flow's empties (not a scenario flow: kept out of its tables)."""
    return f"{flow}:empty"


class InterventionApplied(NamedTuple):
    """One row of ``interventions``: a timeline entry as it took effect."""

    id: str
    date: str
    t_h: float  # when it took effect (the first simulated hour if dated before it)
    description: str
    source: str
    set: dict
    scale: dict


class Model:
    def __init__(self, scenario: Scenario, seed: int = 1, detail: bool = True):
        self.scenario = scenario
        self.seed = int(seed)
        self.cal = Calendar(scenario.start_year, scenario.end_year)
        self.years = self.cal.years()
        self.bounds = [self.cal.year_start_h(y) for y in self.years] + [self.cal.end_h]
        self.warmup_h = scenario.warmup_days * 24.0
        self.env = simpy.Environment(initial_time=-self.warmup_h)
        # the bins of the levels table: output.levels_every_h from the first statistics hour
        every = scenario.output.levels_every_h
        self.bins = [k * every for k in range(int(self.bounds[-1] // every) + 1)]
        if self.bins[-1] < self.bounds[-1]:
            self.bins.append(self.bounds[-1])
        self.streams = Streams(self.seed)
        self.recorder = rec = Recorder(detail)
        self.ledger = Ledger(year_of=self.cal.year_of, new_meter=lambda: Meter(self.env, self.bounds), recorder=rec)
        self.plans = rec.table(DemandPlan)
        self.applied = rec.table(InterventionApplied)
        closures = rec.table(Closure)
        self.events = 0

        # Interventions dated before the first simulated hour are in force from the start.
        t0 = -self.warmup_h
        pending = []
        s = scenario
        for iv, after in scenario.timeline_states:
            t_iv = self._hours(iv.date)
            if t_iv <= t0:
                s = after
                self._log(iv, t0)
            elif t_iv < self.bounds[-1]:
                pending.append((t_iv, iv, after))
        self.live = s  # the scenario as it stands now in the run
        self.caspian = s.caspian
        self.demand = s.demand
        self._change_times = [t for t, _, _ in pending]
        env, b = self.env, self.bounds

        self.links = {
            (l.from_node, l.to_node): RailLink(
                env, l, b, self.streams.get(f"rail:{l.id}"), self.streams.get(f"rail:{l.id}:background"), self.ledger
            )
            for l in s.rail_links
        }
        self.ports: dict[str, Port] = {}
        self.terminals: dict[tuple[str, str], Terminal] = {}
        for p in s.ports:
            port = self.ports[p.id] = Port(env, p.id, b, p.weather, closures, self.bins)
            for t in p.terminals:
                term = Terminal(
                    env,
                    port,
                    t,
                    b,
                    self.ledger,
                    self._start_train,
                    self.bins,
                    self.streams.get(f"port:{p.id}:{t.cargo}:background"),
                )
                port.terminals[t.cargo] = term
                self.terminals[(p.id, t.cargo)] = term
            env.process(storm_process(env, port, self.cal, self.streams.get(f"weather:{p.id}")))
        self.lines: dict[tuple[str, str, str], SeaLine] = {  # (from, to, cargo)
            (l.from_port, l.to_port, l.cargo): SeaLine(
                env,
                l,
                self.terminals[(l.from_port, l.cargo)],
                self.terminals[(l.to_port, l.cargo)],
                b,
                self.load_factor,
                self.streams,
                rec,
                self._deck_terminals(l),
            )
            for l in s.sea_lines
        }
        # a line that shares its deck carries a second class: its routes find the line by that class
        self.deck_lines: dict[tuple[str, str, str], SeaLine] = {
            (l.from_port, l.to_port, l.deck.cargo): self.lines[(l.from_port, l.to_port, l.cargo)]
            for l in s.sea_lines
            if l.deck is not None
        }
        # a line with a return leg also runs to -> from, for the cargo that waits at its far port
        self.back_lines: dict[tuple[str, str, str], ReturnLeg] = {
            (l.to_port, l.from_port, l.cargo): back
            for l in s.sea_lines
            if (back := self.lines[(l.from_port, l.to_port, l.cargo)].back) is not None
        }
        # empties: what each flow's deliveries leave to go back, gathered into empty consignments
        self.empties_pending: dict[str, float] = {f.id: 0.0 for f in s.demand.flows if f.empties is not None}
        self._empties_legs = {
            f.id: self._legs(f.empties.path, f.cargo) for f in s.demand.flows if f.empties is not None
        }
        self._empties_charge = self._empty_charges(s)
        # rolling stock: pools of cars, boxes and locomotives that trains take and give back
        self.stock: RollingStock | None = (
            RollingStock(env, b, s, self._empties_share, self._route_h) if s.rolling_stock else None
        )
        for term in self.terminals.values():
            term.stock = self.stock
        if self.empties_pending or self.stock is not None:
            self.ledger.on_delivered = self._leave_rails

        self.flows: dict[str, FlowState] = {}
        for f in s.demand.flows:
            state = self.flows[f.id] = FlowState(
                f, {r.id: self._legs(r.path, f.cargo) for r in f.routes}, flow_charges(s, f)
            )
            self.plans.extend(state.replan(f, None, t0, self.cal.year_of(max(t0, 0.0)), s.demand))
            env.process(
                flow_process(
                    env,
                    state,
                    self,
                    s.cargo_classes[f.cargo].t_per_unit,
                    self.cal,
                    self.ledger,
                    self.streams.get(f"demand:{f.id}"),
                    self._launch,
                )
            )
        if pending:
            env.process(self._timeline(pending))

    # -- time ----------------------------------------------------------------------------------
    def _hours(self, day) -> float:
        return (datetime(day.year, day.month, day.day) - self.cal.origin).total_seconds() / 3600.0

    def next_change_h(self, t_h: float) -> float:
        """The next time the timeline changes anything after t_h (inf if none)."""
        i = bisect.bisect_right(self._change_times, t_h)
        return self._change_times[i] if i < len(self._change_times) else float("inf")

    def load_factor(self, t_h: float) -> float:
        return load_factor(self.caspian, self.cal, t_h) if self.caspian else 1.0

    # -- routing ---------------------------------------------------------------------------------
    def _deck_terminals(self, line) -> tuple[Terminal, Terminal] | None:
        if line.deck is None:
            return None
        return self.terminals[(line.from_port, line.deck.cargo)], self.terminals[(line.to_port, line.deck.cargo)]

    def _legs(self, path: list[str], cargo: str) -> tuple:
        return tuple(
            self.links[(a, b)]
            if (a, b) in self.links
            else self.lines.get((a, b, cargo)) or self.deck_lines.get((a, b, cargo)) or self.back_lines[(a, b, cargo)]
            for a, b in zip(path, path[1:])
        )

    # -- empties -----------------------------------------------------------------------------------
    def _empty_charges(self, s: Scenario) -> dict[str, tuple[float, float]]:
        """Per flow with empties: an empty unit's charges (the loaded unit's rates on its way back:
        an assumption, CIS tariffs charge empty wagons less) and its CO2e (the tare's tonne-km)."""
        out = {}
        for f in s.demand.flows:
            e = f.empties
            if e is None:
                continue
            ch = route_charge(s, f, Route(id="empty", path=e.path))
            out[f.id] = (ch.usd_per_unit, ch.kg_co2e_per_unit * e.tare_t_per_unit / ch.t_per_unit)
        return out

    def _empties_share(self, flow: str) -> float:
        """The share of a flow's units that go back as empty consignments now (0 without empties)."""
        if flow not in self.empties_pending:
            return 0.0
        e = self.live.flow(flow).empties
        return e.share if e is not None else 0.0

    def _route_h(self, legs: tuple) -> float:
        """A route's running time, h: its rail links at their speeds and its sea crossings."""
        return sum(leg.length_km / leg.speed_kmh if isinstance(leg, RailLink) else leg.cfg.crossing_h for leg in legs)

    def _leave_rails(self, lot: Lot, now: float) -> None:
        """A consignment leaves the rails for good (unloaded for a ship at the port its route ends
        in, or delivered): its riding wagons or boxes go back, and its share of empties joins those
        waiting there. Once per consignment (a part delivered later has left already)."""
        if lot.returned:
            return
        lot.returned = True
        pool = lot.pool
        if self.stock is not None:
            self.stock.off_rails(lot)
        self._return_empties(lot, now, pool)

    def _return_empties(self, lot: Lot, now: float, pool=None) -> None:
        """After a delivery: its share of empties joins those waiting where it was delivered; each
        lot_units of them leave as one empty consignment on the flow's way back (riding in
        ``pool``'s wagons or boxes, which go back to it when the consignment arrives)."""
        if lot.flow not in self.empties_pending:  # other flows, and the empties themselves
            return
        f = self.live.flow(lot.flow)
        e = f.empties
        if e is None:  # switched off by the timeline
            return
        self.empties_pending[lot.flow] += lot.units * e.share
        size = f.lot_units
        while self.empties_pending[lot.flow] >= size - 1e-9:
            self.empties_pending[lot.flow] -= size
            usd, kg = self._empties_charge[lot.flow]
            empty = Lot(
                self.ledger.new_id(),
                empty_flow(lot.flow),
                lot.cargo,
                "empty",
                self._empties_legs[lot.flow],
                size * e.tare_t_per_unit,
                size,
                now,
                usd,
                kg,
                0.0,
            )
            empty.pool = pool
            self.ledger.generate(empty)
            self._launch(empty)

    def _launch(self, lot: Lot) -> None:
        first = lot.legs[0]
        if isinstance(first, RailLink):
            self._start_train(Train([lot]), lot.legs)
        else:
            first.origin_of(lot.cargo).accept_origin_lot(lot, first)

    def _start_train(self, train: Train, legs: tuple) -> None:
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
            if held is not None and leg.railway is not None and leg.railway != held.railway:
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
                self._leave_rails(lot, now)
            return
        if stock is not None:
            stock.end_run(train, legs, len(legs))
        now = self.env.now
        for lot in train.lots:
            self.ledger.deliver(lot, now, where)

    # -- timeline and demand re-planning ---------------------------------------------------------
    def _log(self, iv, t_h: float) -> None:
        self.applied.append(
            InterventionApplied(
                iv.id, iv.date.isoformat(), t_h, iv.description, iv.source, dict(iv.set), dict(iv.scale)
            )
        )

    def _timeline(self, pending):
        env = self.env
        for t_iv, iv, after in pending:
            if t_iv > env.now:
                yield env.timeout(t_iv - env.now)
            self.apply(after)
            self._log(iv, env.now)

    def apply(self, new: Scenario) -> None:
        """Hand every component whose configuration changed its new configuration."""
        old = self.live
        for lo, ln in zip(old.rail_links, new.rail_links):
            if lo != ln:
                self.links[(ln.from_node, ln.to_node)].reconfigure(ln)
        for po, pn in zip(old.ports, new.ports):
            if po.weather != pn.weather:
                self.ports[pn.id].weather = pn.weather
            for to, tn in zip(po.terminals, pn.terminals):
                if to != tn:
                    self.terminals[(pn.id, tn.cargo)].reconfigure(tn)
        for so, sn in zip(old.sea_lines, new.sea_lines):
            if so != sn:
                self.lines[(sn.from_port, sn.to_port, sn.cargo)].reconfigure(sn)
        if self.stock is not None:
            self.stock.reconfigure(old, new)
        self.caspian = new.caspian
        self.demand = new.demand
        self.live = new
        # any leg's charge or the tariff factor may have changed: what is booked from now on pays
        # the new charges, and route choice re-plans on them
        repriced = False
        for f in new.demand.flows:
            state = self.flows[f.id]
            charges = flow_charges(new, f)
            repriced |= charges != state.charges
            state.charges = charges
        self._empties_charge = self._empty_charges(new)
        if old.demand != new.demand or repriced:
            year = self.cal.year_of(max(self.env.now, 0.0))
            self._replan(year - 1, self.env.now, year, new_year=False)

    def _replan(self, data_year: int, now: float, year: int, new_year: bool) -> None:
        """Re-split every flow over its open routes and move its demand multiplier, from the
        transit days simulated in ``data_year`` (a new year) or with this year's data (a timeline entry)."""
        for f in self.demand.flows:
            days = (
                self.ledger.route_outlook_days(data_year, data_year - self.years[0], f.id)
                if data_year >= self.years[0]
                else None
            )
            self.plans.extend(self.flows[f.id].replan(f, days, now, year, self.demand, new_year))

    # -- observation -------------------------------------------------------------------------------
    def resource_rows(self) -> list[ResourceYear]:
        """Every capacity-bearing resource by year: rail paths and border stations, berths and port
        tracks, yards, vessel groups, then rolling-stock pools."""
        ys = self.years
        rows = [r for link in self.links.values() for r in link.resource_rows(ys)]
        rows += [r for term in self.terminals.values() for r in term.server_rows(ys)]
        rows += [r for term in self.terminals.values() for r in term.yard_rows(ys)]
        units = self.scenario.cargo_classes
        rows += [
            r for line in self.lines.values() for r in line.resource_rows(ys, self.bounds, units[line.cfg.cargo].unit)
        ]
        if self.stock is not None:
            rows += self.stock.resource_rows(ys)
        return rows

    def link_rows(self) -> list[LinkYear]:
        return [r for link in self.links.values() for r in link.link_rows(self.years)]

    def line_rows(self) -> list[LineYear]:
        """Every sea line by year, then the onward ships of sink ports (``<port>_onward_<cargo>``,
        to no modelled port: the sea beyond is out of scope)."""
        rows = [r for line in self.lines.values() for r in line.line_rows(self.years)]
        for term in self.terminals.values():
            if term.cfg.onward_by_sea is None and not any(term.onward_calls.total):
                continue
            pid, cargo = term.port.id, term.cargo
            rows += [
                LineYear(
                    y,
                    f"{pid}_onward_{cargo}",
                    pid,
                    "",
                    cargo,
                    int(term.onward_calls.total[i]),
                    term.onward_units.total[i],
                    term.onward_tons.total[i],
                )
                for i, y in enumerate(self.years)
            ]
        return rows

    def level_series(self) -> list[LevelSeries]:
        return [x for term in self.terminals.values() for x in term.level_series()] + [
            x for port in self.ports.values() for x in port.level_series()
        ]

    # -- running -------------------------------------------------------------------------------------
    def run(self, progress: Callable[[float], None] | None = None, chunk_h: float = 24.0 * 7) -> Model:
        """Advance to the end of the last year; at every year boundary snapshot the stocks and
        re-plan demand from the year just ended."""
        env = self.env
        step, peek = env.step, env.peek
        t_total = self.bounds[-1] + self.warmup_h
        n = 0
        t = env.now
        for k, mark in enumerate(self.bounds):
            while t < mark:
                t = min(t + chunk_h, mark)
                while peek() < t:
                    step()
                    n += 1
                if progress is not None:
                    progress((t + self.warmup_h) / t_total)
            self.ledger.snapshot(mark, self.cal.year_of(mark))
            self.ledger.close_year(mark)
            if 0 < k < len(self.bounds) - 1:
                self._replan(self.years[k - 1], mark, self.years[k], new_year=True)
        self.events = n
        end = self.bounds[-1]
        components: list[Any] = [
            *self.links.values(),
            *self.terminals.values(),
            *self.ports.values(),
            *self.lines.values(),
            *([self.stock] if self.stock is not None else []),
        ]
        for c in components:
            c.finish(end)
        return self
