"""The Caspian crossing: rail ferries, container feeders and tankers on their lines.

Each vessel is one process: at the home port it waits at anchor for its turn and for cargo, until
there is min_fill_share of today's capacity (capacity x draft load factor) or max_wait_for_cargo_h
has passed; it claims that cargo, berths, loads, waits for the port to open, sails, waits off the
far port while it is closed, berths, unloads into the yard there (waiting at the berth while the
yard is full), and returns. The return leg sails empty (its handling is in berth_fixed_h), unless
the line has a ``return_leg``: then, at the far berth, the vessel claims what waits there for the
way back (eastbound cargo, empties; ``ReturnLeg`` is that queue's key and the routes' leg), without
waiting for more, hands its yard space to the cargo it unloads, and takes it home: landed on
arrival if the home yard has room, else at its next call, into the space its outgoing load leaves
(``Aboard``). Yard space passes from cargo leaving to cargo arriving at the same berth, never
through the queue of trains waiting for space: a ship that waited at its berth for space only it
could free would never leave.

A line with a shared ``deck`` (trucks on the rail ferries) loads two classes on one deck: a unit of
the line's cargo takes 1/capacity_units of it, a deck unit 1/full_deck_units; ``deck_plan`` splits
the deck by the line's loading policy, and the fill rule counts the deck, not the wagons alone.
The deck cargo waits at its own terminal in each port (a truck park) and rolls on at the line's
berth, at its terminal's handling rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import simpy

from ..rng import gamma_mean_cv
from ..scenario.schema import Deck as DeckCfg
from ..scenario.schema import SeaLine as SeaLineCfg
from .meters import NAN, Meter, ResourceKind, ResourceYear, Tally
from .port import Terminal
from .records import Recorder
from .servers import Server


class Voyage(NamedTuple):
    """One row of ``voyages`` (detail): a loaded crossing."""

    vessel: str
    group: str
    line: str
    cargo: str
    t_depart_h: float
    t_arrive_h: float  # when unloading ended at the far port
    units: float
    tons: float
    capacity_units: float
    load_factor: float  # share of capacity usable at the draft of the day


class DeckLoad(NamedTuple):
    """One row of ``deck_loads`` (detail): how a loaded crossing of a line with a shared deck split
    the deck between the line's cargo and the deck's class."""

    vessel: str
    line: str
    t_depart_h: float
    line_cargo: str
    line_units: float
    line_full_deck_units: float  # the vessel's capacity_units: the line's units a whole deck takes
    deck_cargo: str
    deck_units: float
    deck_full_deck_units: float
    deck_share_used: float  # line_units / line_full_deck_units + deck_units / deck_full_deck_units


def deck_plan(
    line_waiting: float, deck_waiting: float, line_full: float, line_limit: float, deck: DeckCfg
) -> tuple[float, float]:
    """What one vessel loads of the line's cargo and of the deck's class, in units.

    A line unit takes 1/line_full of the deck, a deck unit 1/deck.full_deck_units; the draft caps
    the line's cargo at line_limit. Under "shares" each class first fills its own part of the deck,
    then takes what the other leaves (a ferry does not sail with deck held for trucks that are not
    there).

    >>> from corridor_sim.scenario.schema import Deck
    >>> d = Deck(cargo="truck", full_deck_units=50, loading="deck_cargo_first", source="")
    >>> deck_plan(100, 20, 50, 50, d)
    (30.0, 20)
    >>> deck_plan(100, 20, 50, 50, d.model_copy(update={"loading": "line_cargo_first"}))
    (50, 0.0)
    >>> deck_plan(100, 100, 50, 50, d.model_copy(update={"loading": "shares", "deck_cargo_share": 0.4}))
    (30.0, 20.0)
    """
    per_deck = deck.full_deck_units

    def line_in(room: float) -> float:
        return min(line_waiting, line_limit, max(room, 0.0) * line_full)

    def deck_in(room: float, waiting: float = deck_waiting) -> float:
        return min(waiting, max(room, 0.0) * per_deck)

    if deck.loading == "line_cargo_first":
        line = line_in(1.0)
        return line, deck_in(1.0 - line / line_full)
    if deck.loading == "deck_cargo_first":
        trucks = deck_in(1.0)
        return line_in(1.0 - trucks / per_deck), trucks
    held = deck_in(deck.deck_cargo_share)
    line = line_in(1.0 - held / per_deck)
    return line, held + deck_in(1.0 - line / line_full - held / per_deck, deck_waiting - held)


class LineYear(NamedTuple):
    """One row of ``lines``: a sea line in one year, by the year its sailings left."""

    year: int
    line: str
    from_port: str
    to_port: str
    cargo: str
    voyages: int
    units: float
    tons: float


class VesselStateSpan(NamedTuple):
    """One row of ``vessel_states`` (detail): what a vessel did from t_start_h to t_end_h."""

    vessel: str
    line: str
    state: str  # waiting_cargo, waiting_berth, loading, weather_hold, sailing, unloading, returning
    t_start_h: float
    t_end_h: float


class Aboard(NamedTuple):
    """Cargo a vessel brought home on its return leg and has not landed yet: it lands on arrival
    if the home yard has room, else at the vessel's next call, as its outbound load leaves the
    yard (a roll-off/roll-on swap: a ship waiting at a berth for a yard full of the cargo only it
    could take would never leave)."""

    lots: list
    units: float
    tons: float
    load_share: float
    t_depart_h: float


class Loaded(NamedTuple):
    """A vessel loaded at its berth, ready to sail: its lots (the line's cargo, then the deck
    class's), their units and tonnes, the usable share of its capacity, and when loading ended."""

    cargo: list
    units: float
    tons: float
    load_share: float
    deck_lots: list
    deck_units: float
    t_h: float


@dataclass
class VesselGroupState:
    """A vessel group on its line: how many are in service and wanted, their size, and meters of
    the vessels in service and of those not waiting for cargo."""

    capacity: float
    full_share: float  # full_load_deadweight_share
    working: Meter
    fleet: Meter
    count: int = 0
    target: int = 0
    built: int = 0


def _sail(lots: list, stage: str, t_h: float) -> None:
    """Lots leave on a crossing: stamped, and on to their next leg."""
    for lot in lots:
        lot.stamps.append((stage, t_h))
        lot.pos += 1


class ReturnLeg:
    """The way back of a line with ``return_leg``: a leg of routes that run to -> from, whose
    cargo waits at the line's far terminal (``origin`` here) for the line's vessels to take it
    home (``dest``)."""

    def __init__(self, line: SeaLine):
        self.line = line
        self.id = f"{line.id}:return"
        self.origin, self.dest = line.dest, line.origin
        self.shipped = Tally(line.bounds)
        self.shipped_tons = Tally(line.bounds)
        self.sailings = Tally(line.bounds)

    @property
    def cfg(self) -> SeaLineCfg:
        return self.line.cfg

    def origin_of(self, cargo: str) -> Terminal:
        return self.origin


class SeaLine:
    """One sea line between two ports' terminals of its cargo: its vessel groups (one process per
    vessel), the turn at anchor they wait for cargo in, and what they carried by year.

    Cargo of the line waits in the origin terminal's queue for the line (``origin_of``), trains
    bring it there and ships take it (module docstring). A ``deck`` shares each vessel with a second
    class waiting at its own terminals; a ``return_leg`` (``back``) carries what waits at the far
    port on the way home. ``reconfigure`` takes a timeline's new sea time, fill policy and vessel
    counts (vessels join, or retire the next time they are home); ``resource_rows`` and
    ``line_rows`` are its rows of the run's tables.
    """

    def __init__(
        self,
        env: simpy.Environment,
        cfg: SeaLineCfg,
        origin: Terminal,
        dest: Terminal,
        bounds: list[float],
        load_factor,
        streams,
        recorder: Recorder,
        deck_terminals: tuple[Terminal, Terminal] | None = None,
    ):
        self.env = env
        self.id = cfg.id
        self.cfg = cfg
        self.origin, self.dest = origin, dest
        # the deck class's terminals at the two ports (None: the deck is the line's own)
        self.deck_terminals = deck_terminals
        self.deck_loads = recorder.table(DeckLoad, detail=True) if deck_terminals is not None else None
        self.deck_shipped = Tally(bounds)
        self.deck_shipped_tons = Tally(bounds)
        self.load_factor = load_factor  # callable: t_h -> usable share of deadweight at the draft
        self.voyages = recorder.table(Voyage, detail=True)
        self.states = recorder.table(VesselStateSpan, detail=True)
        self.shipped = Tally(bounds)  # units shipped, by year of departure
        self.shipped_tons = Tally(bounds)
        self.sailings = Tally(bounds)
        self.streams = streams
        self.bounds = bounds
        self.back = ReturnLeg(self) if cfg.return_leg else None
        self.groups: dict[str, VesselGroupState] = {}
        # Ships wait for cargo at anchor, one at a time per line (FIFO): the first claims the cargo,
        # then takes a berth. Waiting at a berth would make idle berths look busy.
        self.turn = Server(env, 1)
        for g in cfg.vessels:
            self.groups[g.id] = VesselGroupState(
                g.capacity_units, g.full_load_deadweight_share, Meter(env, bounds), Meter(env, bounds)
            )
            self._resize(g.id, g.count, first=True)

    def _resize(self, gid: str, count: int, first: bool = False) -> None:
        """Put vessels into service, or mark some to retire the next time they are home."""
        g = self.groups[gid]
        g.target = count
        while g.count < count:
            g.built += 1
            g.count += 1
            g.fleet.change(1)
            name = f"{gid}_{g.built}"
            self.env.process(self._vessel(name, gid, self.streams.get(f"vessel:{self.id}:{name}"), first))

    def reconfigure(self, cfg: SeaLineCfg) -> None:
        """Apply new parameters from the timeline: sea time, fill policy, vessel counts and sizes."""
        self.cfg = cfg
        for v in cfg.vessels:
            self.groups[v.id].capacity = v.capacity_units
            self.groups[v.id].full_share = v.full_load_deadweight_share
            self._resize(v.id, v.count)

    def origin_of(self, cargo: str) -> Terminal:
        """Where cargo of this class waits for the line: the deck class's terminal, or the line's."""
        if self.deck_terminals is not None and cargo != self.cfg.cargo:
            return self.deck_terminals[0]
        return self.origin

    def usable_share(self, group: str, t_h: float) -> float:
        """Share of a vessel's design capacity it can load at t: the deadweight the draft leaves
        usable, against what a full load of its units weighs (a deck-limited ferry loses nothing
        until the draft cuts below its full load's weight)."""
        return min(1.0, self.load_factor(t_h) / self.groups[group].full_share)

    def finish(self, end_h: float) -> None:
        """Close the meters at the end of the run."""
        for g in self.groups.values():
            g.working.close(end_h)
            g.fleet.close(end_h)

    def resource_rows(self, years: list[int], bounds: list[float], unit: str) -> list[ResourceYear]:
        """Each vessel group by year: vessels in service (time-averaged) as its capacity, the share
        of their time not spent waiting for cargo as its utilization, and, as its wait, the cargo's
        mean wait in the origin yard by Little's law (units waiting / units shipped per hour)."""
        rows = []
        yard = self.origin.yard
        for gid, g in self.groups.items():
            for i, y in enumerate(years):
                fleet = g.fleet.mean(i)
                if fleet <= 1e-9:
                    continue
                rate = self.shipped.total[i] / (bounds[i + 1] - bounds[i])
                rows.append(
                    ResourceYear(
                        y,
                        f"{self.id}:{gid}",
                        ResourceKind.FLEET.value,
                        self.id,
                        round(fleet, 3),
                        min(g.working.mean(i) / fleet, 1.0),
                        yard.mean(i),
                        yard.peak[i],
                        f"{unit} in the {self.origin.port.id} yard",
                        NAN,
                        NAN,
                        yard.mean(i) / rate if rate > 0 else NAN,
                    )
                )
        return rows

    def line_rows(self, years: list[int]) -> list[LineYear]:
        """The line's own cargo by year, then the deck class's (same sailings) if it shares its deck."""
        rows = [
            LineYear(
                y,
                self.id,
                self.origin.port.id,
                self.dest.port.id,
                self.cfg.cargo,
                int(self.sailings.total[i]),
                self.shipped.total[i],
                self.shipped_tons.total[i],
            )
            for i, y in enumerate(years)
        ]
        if self.deck_terminals is not None and self.cfg.deck is not None:
            rows += [
                LineYear(
                    y,
                    self.id,
                    self.origin.port.id,
                    self.dest.port.id,
                    self.cfg.deck.cargo,
                    int(self.sailings.total[i]),
                    self.deck_shipped.total[i],
                    self.deck_shipped_tons.total[i],
                )
                for i, y in enumerate(years)
            ]
        if self.back is not None:
            b = self.back
            rows += [
                LineYear(
                    y,
                    self.id,
                    self.dest.port.id,
                    self.origin.port.id,
                    self.cfg.cargo,
                    int(b.sailings.total[i]),
                    b.shipped.total[i],
                    b.shipped_tons.total[i],
                )
                for i, y in enumerate(years)
            ]
        return rows

    def _state(self, vessel: str, state: str, t0: float) -> float:
        now = self.env.now
        if now > t0 and self.states is not None:
            self.states.append(VesselStateSpan(vessel, self.id, state, t0, now))
        return now

    def _vessel(self, name: str, group: str, rng, first: bool):
        env = self.env
        g = self.groups[group]
        working = g.working
        working.change(1)
        load = self._load_own if self.deck_terminals is None else self._load_shared
        if first:
            # spread the initial fleet's first departures over one round trip
            yield env.timeout(rng.uniform(0.0, 2.0 * self.cfg.crossing_h))
        aboard: Aboard | None = None
        while True:
            if g.count > g.target:  # retired by the timeline, at its home port
                if aboard is not None:
                    yield from self._land_back(name, group, aboard, at_berth=False)
                g.count -= 1
                g.fleet.change(-1)
                working.change(-1)
                return
            cfg = self.cfg  # this voyage's parameters, as they stand when it starts waiting
            capacity = g.capacity
            t = env.now
            # sail when full enough, or after max_wait_for_cargo_h (counted from this ship's turn)
            working.change(-1)
            yield from self.turn.acquire()
            loaded = yield from load(name, group, cfg, capacity, t, aboard)
            aboard = yield from self._sail_and_land(name, group, rng, cfg, capacity, loaded)

    def _land_all(self, T: Terminal, lots: list, held: float, ashore: bool = False):
        """Land ``lots`` at ``T`` in the yard space ``held`` first: the space the ship's outgoing
        cargo has just left, handed over instead of freed (freed, it would go to the trains
        waiting for space, and a ship waiting at its berth for a yard that only it can empty would
        never leave); then what is left of it is freed. Beyond it, a lot waits for space, unless
        ``ashore``: return cargo landing at home into a full yard is put ashore all the same (the
        yard is over-full until trains clear it) rather than hold the berth for ever."""
        for lot in lots:
            if not T.stays(lot) or (held < lot.units - 1e-9 and not ashore):
                yield from T.land(lot)  # delivered here, or waits for yard space like any cargo
                continue
            if held >= lot.units - 1e-9:
                held -= lot.units
            elif not T.try_reserve(lot.units):
                T.force_space(lot.units)
            yield from T.land(lot, reserved=True)
        if held > 1e-9:
            T.release_space(held)

    def _land_back(self, name: str, group: str, aboard: Aboard, at_berth: bool, held: float = 0.0):
        """Land what the return leg brought home: at a berth of its own, or during a loading call
        (``at_berth``) in the space ``held`` of the load that left."""
        env, A = self.env, self.origin
        t = env.now
        if not at_berth:
            yield from A.berths.acquire()
            t = self._state(name, "waiting_berth", t)
        yield env.timeout((0.0 if at_berth else A.cfg.berth_fixed_h) + aboard.units / A.cfg.handling_units_per_h)
        yield from self._land_all(A, aboard.lots, held, ashore=True)
        if not at_berth:
            A.berths.release()
        self._state(name, "unloading", t)
        back = self.back
        assert back is not None
        back.shipped.add(aboard.t_depart_h, aboard.units)
        back.shipped_tons.add(aboard.t_depart_h, aboard.tons)
        back.sailings.add(aboard.t_depart_h, 1.0)
        if self.voyages is not None:
            self.voyages.append(
                Voyage(
                    name,
                    group,
                    back.id,
                    self.cfg.cargo,
                    aboard.t_depart_h,
                    env.now,
                    aboard.units,
                    aboard.tons,
                    self.groups[group].capacity,
                    aboard.load_share,
                )
            )

    def _load_own(
        self, name: str, group: str, cfg: SeaLineCfg, capacity: float, t: float, aboard: Aboard | None = None
    ):
        """Wait for min_fill_share of today's capacity (or the deadline), claim it, berth and load."""
        env = self.env
        A = self.origin
        deadline = env.now + cfg.max_wait_for_cargo_h
        while True:
            waiting = A.queued.get(self, 0.0)
            if waiting >= cfg.min_fill_share * capacity * self.usable_share(group, env.now) - 1e-9:
                break
            if deadline <= env.now:
                if waiting > 1e-9:
                    break
                yield A.arrival(self)  # nothing at all: sail with the first cargo
                continue
            yield A.arrival(self, until_h=deadline)
        self.groups[group].working.change(1)
        lf = self.usable_share(group, env.now)
        cargo = A.take(self, capacity * lf, free=False)
        self.turn.release()
        t = self._state(name, "waiting_cargo", t)
        units: float = 0
        tons: float = 0
        for lot in cargo:
            units += lot.units
            tons += lot.tons
        yield from A.berths.acquire()
        t = self._state(name, "waiting_berth", t)
        yield env.timeout(A.cfg.berth_fixed_h + units / A.cfg.handling_units_per_h)
        if aboard is None:
            A.release_space(units)
        else:  # the return cargo rolls off into the space the outgoing load leaves
            yield from self._land_back(name, group, aboard, at_berth=True, held=units)
        t = self._state(name, "loading", t)
        return Loaded(cargo, units, tons, lf, [], 0.0, t)

    def _load_shared(
        self, name: str, group: str, cfg: SeaLineCfg, capacity: float, t: float, aboard: Aboard | None = None
    ):
        """As ``_load_own`` on a shared deck: wait until the deck, as ``deck_plan`` would load it, is
        min_fill_share full (of its usable share), then claim both classes and roll them on."""
        env = self.env
        A = self.origin
        assert self.deck_terminals is not None
        D = self.deck_terminals[0]
        deadline = env.now + cfg.max_wait_for_cargo_h
        while True:
            lf = self.usable_share(group, env.now)
            line_units, deck_units = self._plan(capacity, lf)
            share = self._deck_share(capacity, line_units, deck_units)
            if share >= cfg.min_fill_share * lf - 1e-9:
                break
            if deadline <= env.now:
                if share > 1e-9:
                    break
                yield self._cargo_arrival(None)  # nothing at all: sail with the first cargo
                continue
            yield self._cargo_arrival(deadline)
        self.groups[group].working.change(1)
        cargo = A.take(self, line_units, free=False)
        deck_lots = D.take(self, deck_units, free=False)
        self.turn.release()
        t = self._state(name, "waiting_cargo", t)
        units = sum(lot.units for lot in cargo)
        tons = sum(lot.tons for lot in cargo)
        deck = sum(lot.units for lot in deck_lots)
        yield from A.berths.acquire()
        t = self._state(name, "waiting_berth", t)
        yield env.timeout(A.cfg.berth_fixed_h + units / A.cfg.handling_units_per_h + deck / D.cfg.handling_units_per_h)
        D.release_space(deck)
        if aboard is None:
            A.release_space(units)
        else:  # the return cargo rolls off into the space the outgoing load leaves
            yield from self._land_back(name, group, aboard, at_berth=True, held=units)
        t = self._state(name, "loading", t)
        return Loaded(cargo, units, tons, lf, deck_lots, deck, t)

    def _plan(self, capacity: float, lf: float) -> tuple[float, float]:
        deck = self.cfg.deck
        assert deck is not None and self.deck_terminals is not None
        waiting = self.origin.queued.get(self, 0.0)
        return deck_plan(waiting, self.deck_terminals[0].queued.get(self, 0.0), capacity, capacity * lf, deck)

    def _deck_share(self, capacity: float, line_units: float, deck_units: float) -> float:
        deck = self.cfg.deck
        assert deck is not None
        return line_units / capacity + deck_units / deck.full_deck_units

    def _cargo_arrival(self, until_h: float | None) -> simpy.Event:
        """One event that fires when cargo of either class is queued for this line (or at until_h):
        the deck terminal wakes the same event as the line's terminal, so no event fires to no one."""
        assert self.deck_terminals is not None
        ev = self.origin.arrival(self, until_h=until_h)
        self.deck_terminals[0].also_wake(self, ev)
        return ev

    def _sail_and_land(self, name: str, group: str, rng, cfg: SeaLineCfg, capacity: float, loaded: Loaded):
        """From the loaded vessel at its berth to its return home. Deck lots roll off at the deck
        class's terminal at the far port."""
        env = self.env
        A, B = self.origin, self.dest
        pa, pb = A.port, B.port
        cargo, units, tons, lf, t = loaded.cargo, loaded.units, loaded.tons, loaded.load_share, loaded.t_h
        deck_lots, deck_units = loaded.deck_lots, loaded.deck_units
        yield from pa.wait_open()
        t = self._state(name, "weather_hold", t)
        A.berths.release()
        t_dep = env.now
        _sail(cargo, f"sail:{self.id}", t_dep)
        _sail(deck_lots, f"sail:{self.id}", t_dep)
        yield env.timeout(gamma_mean_cv(rng, cfg.crossing_h, cfg.crossing_cv))
        t = self._state(name, "sailing", t)
        yield from pb.wait_open()
        t = self._state(name, "weather_hold", t)
        yield from B.berths.acquire()
        t = self._state(name, "waiting_berth", t)
        # the way back claims what waits for it now (up to what the draft leaves of the ship): its
        # yard space goes to the cargo landing (a roll-off/roll-on swap), the rest is freed below
        back: list = []
        back_units = back_tons = 0.0
        lf_back = 0.0
        if self.back is not None:
            lf_back = self.usable_share(group, env.now)
            back = B.take(self.back, capacity * lf_back, free=False)
            for lot in back:
                back_units += lot.units
                back_tons += lot.tons
        if self.deck_terminals is None:
            yield env.timeout(B.cfg.berth_fixed_h + units / B.cfg.handling_units_per_h)
        else:
            DB = self.deck_terminals[1]
            yield env.timeout(
                B.cfg.berth_fixed_h + units / B.cfg.handling_units_per_h + deck_units / DB.cfg.handling_units_per_h
            )
            for lot in deck_lots:
                yield from DB.land(lot)
        yield from self._land_all(B, cargo, back_units)
        t_arr = env.now
        t = self._state(name, "unloading", t)
        self.shipped.add(t_dep, units)
        self.shipped_tons.add(t_dep, tons)
        self.sailings.add(t_dep, 1.0)
        if self.voyages is not None:
            self.voyages.append(Voyage(name, group, self.id, cfg.cargo, t_dep, t_arr, units, tons, capacity, lf))
        if self.deck_terminals is not None:
            self._count_deck(name, t_dep, deck_lots, units, capacity)
        if back:
            yield env.timeout(back_units / B.cfg.handling_units_per_h)
            t = self._state(name, "loading", t)
        yield from pb.wait_open()
        t = self._state(name, "weather_hold", t)
        B.berths.release()
        t_back = env.now
        _sail(back, f"sail:{self.id}:return", t_back)
        yield env.timeout(gamma_mean_cv(rng, cfg.crossing_h, cfg.crossing_cv))
        t = self._state(name, "returning", t)
        yield from pa.wait_open()
        self._state(name, "weather_hold", t)
        if not back:
            return None
        aboard = Aboard(back, back_units, back_tons, lf_back, t_back)
        if A.try_reserve(back_units):  # room at home: land at once, in the space just taken
            yield from self._land_back(name, group, aboard, at_berth=False, held=back_units)
            return None
        return aboard  # the home yard is full: lands at the next call, as the outbound load leaves

    def _count_deck(self, name: str, t_dep: float, deck_lots: list, line_units: float, capacity: float) -> None:
        deck = self.cfg.deck
        assert deck is not None
        units = sum(lot.units for lot in deck_lots)
        self.deck_shipped.add(t_dep, units)
        self.deck_shipped_tons.add(t_dep, sum(lot.tons for lot in deck_lots))
        if self.deck_loads is not None:
            share = self._deck_share(capacity, line_units, units)
            self.deck_loads.append(
                DeckLoad(
                    name,
                    self.id,
                    t_dep,
                    self.cfg.cargo,
                    line_units,
                    capacity,
                    deck.cargo,
                    units,
                    deck.full_deck_units,
                    share,
                )
            )
