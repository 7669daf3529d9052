"""Assemble the model from a Scenario, run it, and hand back raw records.

build -> run -> collect, as in desmod: ``Model(scenario, seed)`` creates every component and its
random stream; ``Model.run()`` advances the clock, taking a stock snapshot and re-planning demand
at each year boundary, while the timeline process applies interventions at their dates;
each component writes its typed records to the run's ``Recorder`` and closes its own meters,
and ``corridor_sim.run.tables`` turns the records and the components' yearly rows into tables.
How cargo moves between components is in ``routing``; empties going back in ``empties``.

Interventions are data: the scenario after each one is resolved and validated when the scenario
is loaded (``scenario.timeline``); at its date the model diffs the old and new scenario and hands
each changed component its new configuration. One mechanism serves a second track, a new ferry, a
port phase, a tariff cut and the opening of a route.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import simpy

from ..calendar import Calendar
from ..rng import Streams
from ..scenario.pricing import flow_charges
from ..scenario.schema import Scenario
from ..scenario.timeline import timeline
from .cargo import Ledger, LedgerObserver
from .demand import DemandPlan, FlowState, flow_process
from .empties import EmptiesReturn, RailExit
from .fleet import LineYear, SeaLine
from .meters import Meter, ResourceYear
from .port import Closure, LevelSeries, Port, Terminal
from .rail import LinkYear, RailLink
from .records import Recorder
from .routing import Network, route_h
from .stock import RollingStock
from .weather import load_factor, storm_process


def next_eid(env: simpy.Environment) -> int | None:
    """The id the environment will give its next event, without taking it (None where this
    Python's itertools.count cannot say: then a run cannot branch, ``model.branch``)."""
    try:
        return int(env._eid.__reduce__()[1][0])
    except (AttributeError, TypeError, IndexError):
        return None


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
    """One simulation of a scenario: every component of the corridor with its own random stream,
    the ledger that knows where every tonne is, and the clock.

    ``Model(scenario, seed)`` builds the rail links, ports and their terminals, sea lines and
    flows as the scenario stands at the first simulated hour (timeline entries dated before it are
    in force from the start); ``run()`` advances the clock year by year, snapshotting the stocks
    and re-planning demand at each year boundary, while the timeline hands each changed component
    its new configuration at its date. ``observers`` are told of every consignment generated,
    diverted and delivered (``LedgerObserver``). Afterwards the components' yearly rows
    (``resource_rows``, ``link_rows``, ``line_rows``, ``level_series``) and the recorder's typed
    records are what ``run.tables`` makes the run's tables from.
    """

    def __init__(
        self,
        scenario: Scenario,
        seed: int = 1,
        detail: bool = True,
        observers: Sequence[LedgerObserver] = (),
        hold_at_origin: bool = False,
    ):
        self.scenario = scenario
        # the capacity estimator's saturated source: cargo that cannot enter is held at the
        # origin, not generated and diverted (``demand.flow_process``)
        self.hold_at_origin = hold_at_origin
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
        self.events = 0

        # Interventions dated before the first simulated hour are in force from the start.
        t0 = -self.warmup_h
        pending = []
        s = scenario
        for iv, after in timeline(scenario):
            t_iv = self.cal.date_h(iv.date)
            if t_iv <= t0:
                s = after
                self._log(iv, t0)
            elif t_iv < self.bounds[-1]:
                pending.append((t_iv, iv, after))
        self.live = s  # the scenario as it stands now in the run
        self.caspian = s.caspian
        self.draft_released: tuple[float, float] | None = None  # (load factor held, hour its maintenance stopped)
        self.demand = s.demand
        self._change_times = [t for t, _, _ in pending]

        self.net = Network(self.env, self.ledger)
        self.links = self.net.links
        self.terminals = self.net.terminals
        self.lines = self.net.lines
        self.ports: dict[str, Port] = {}
        self._build_links(s)
        self._build_ports(s, rec.table(Closure))
        self._build_lines(s)
        # empties: what each flow's deliveries leave to go back, gathered into empty consignments
        self.empties = EmptiesReturn(s, self.ledger, self.net.legs, self.net.launch)
        # rolling stock: pools of cars, boxes and locomotives that trains take and give back
        self.stock: RollingStock | None = (
            RollingStock(self.env, self.bounds, s, self.empties.share, route_h) if s.rolling_stock else None
        )
        self.net.stock = self.stock
        for term in self.terminals.values():
            term.stock = self.stock
        # what leaves the rails for good (delivered, or unloaded for a ship at its last port) sends
        # its riding wagons or boxes back, and its share of empties
        rails = RailExit(self.stock, self.empties)
        self.net.leave_rails = rails.leave
        if self.empties or self.stock is not None:
            self.ledger.subscribe(rails)
        for o in observers:
            self.ledger.subscribe(o)
        self.flows: dict[str, FlowState] = {}
        self._build_flows(s, t0)
        if any(f.alternatives for f in s.demand.flows):
            for term in self.terminals.values():
                term.reconsider = self._reconsider
        # the timeline process, and the next event id when it ended: where a run branches into
        # another timeline (``model.branch``) it takes over from them
        self.timeline_proc = self.env.process(self._timeline(pending)) if pending else None
        self.timeline_end_eid: int | None = None
        # (hour, call) to make before the first event at that hour (``model.branch``): each call
        # returns a change to the count of events
        self.stops: list[tuple[float, Callable[[], int]]] = []

    # -- building ------------------------------------------------------------------------------
    def _build_links(self, s: Scenario) -> None:
        for l in s.rail_links:
            self.links[(l.from_node, l.to_node)] = RailLink(
                self.env,
                l,
                self.bounds,
                self.streams.get(f"rail:{l.id}"),
                self.streams.get(f"rail:{l.id}:background"),
                self.ledger,
            )

    def _build_ports(self, s: Scenario, closures: list) -> None:
        env = self.env
        for p in s.ports:
            port = self.ports[p.id] = Port(env, p.id, self.bounds, p.weather, closures, self.bins)
            for t in p.terminals:
                term = Terminal(
                    env,
                    port,
                    t,
                    self.bounds,
                    self.ledger,
                    self.net.start_train,
                    self.bins,
                    self.streams.get(f"port:{p.id}:{t.cargo}:background"),
                )
                port.terminals[t.cargo] = term
                self.terminals[(p.id, t.cargo)] = term
            env.process(storm_process(env, port, self.cal, self.streams.get(f"weather:{p.id}")))

    def _build_lines(self, s: Scenario) -> None:
        for l in s.sea_lines:
            deck = (
                None
                if l.deck is None
                else (self.terminals[(l.from_port, l.deck.cargo)], self.terminals[(l.to_port, l.deck.cargo)])
            )
            self.net.add_line(
                SeaLine(
                    self.env,
                    l,
                    self.terminals[(l.from_port, l.cargo)],
                    self.terminals[(l.to_port, l.cargo)],
                    self.bounds,
                    self.load_factor,
                    self.streams,
                    self.recorder,
                    deck,
                )
            )

    def _build_flows(self, s: Scenario, t0: float) -> None:
        for f in s.demand.flows:
            state = self.flows[f.id] = FlowState(
                f, {r.id: self.net.legs(r.path, f.cargo) for r in f.routes}, flow_charges(s, f)
            )
            self.plans.extend(state.replan(f, None, t0, self.cal.year_of(max(t0, 0.0)), s.demand))
            self.env.process(
                flow_process(
                    self.env,
                    state,
                    self,
                    s.cargo_classes[f.cargo].t_per_unit,
                    self.cal,
                    self.ledger,
                    self.streams.get(f"demand:{f.id}"),
                    self.net.launch,
                    self.hold_at_origin,
                )
            )

    def _reconsider(self, lot, now: float, wait_h: float) -> str | None:
        return self.flows[lot.flow].reconsider(lot, now, wait_h)

    # -- time ----------------------------------------------------------------------------------
    def next_change_h(self, t_h: float) -> float:
        """The next time the timeline changes anything after t_h (inf if none)."""
        i = bisect.bisect_right(self._change_times, t_h)
        return self._change_times[i] if i < len(self._change_times) else float("inf")

    def load_factor(self, t_h: float) -> float:
        return load_factor(self.caspian, self.cal, t_h, self.draft_released) if self.caspian else 1.0

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
        self.timeline_end_eid = next_eid(env)

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
        if old.caspian is not None and new.caspian is not None:
            held, now_held = old.caspian.held_load_factor, new.caspian.held_load_factor
            if held is not None and now_held is None:  # maintenance dredging stops: the draft falls from here
                self.draft_released = (self.load_factor(self.env.now), self.env.now)
            elif now_held is not None:
                self.draft_released = None
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
        self.empties.reconfigure(new)
        self.ledger.release_held(self.env.now)  # what changed may open a held flow's route or alternatives
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
                if self.stops and self.stops[0][0] <= t:  # a stop in this chunk: run to it, make it
                    t = self.stops[0][0]
                    while peek() < t:
                        step()
                        n += 1
                    while self.stops and self.stops[0][0] <= t:
                        self.events = n  # the events so far, for what the stop does
                        n += self.stops.pop(0)[1]()
                    continue
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
        self.ledger.end_holds(end)
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
