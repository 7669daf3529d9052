"""The Caspian crossing: rail ferries, container feeders and tankers on their lines.

Each vessel is one process: at the home port it waits at anchor for its turn and for cargo, until
there is min_fill_share of today's capacity (capacity x draft load factor) or max_wait_for_cargo_h
has passed; it claims that cargo, berths, loads, waits for the port to open, sails, waits off the
far port while it is closed, berths, unloads into the yard there (waiting at the berth while the
yard is full), and returns. Only the
loaded (westbound) leg carries corridor cargo; the return leg's handling is in berth_fixed_h.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import simpy

from ..rng import gamma_mean_cv
from ..scenario import SeaLine as SeaLineCfg
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


class SeaLine:
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
    ):
        self.env = env
        self.id = cfg.id
        self.cfg = cfg
        self.origin, self.dest = origin, dest
        self.load_factor = load_factor  # callable: t_h -> usable share of deadweight at the draft
        self.voyages = recorder.table(Voyage, detail=True)
        self.states = recorder.table(VesselStateSpan, detail=True)
        self.shipped = Tally(bounds)  # units shipped, by year of departure
        self.shipped_tons = Tally(bounds)
        self.sailings = Tally(bounds)
        self.streams = streams
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
        return [
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

    def _state(self, vessel: str, state: str, t0: float) -> float:
        now = self.env.now
        if now > t0 and self.states is not None:
            self.states.append(VesselStateSpan(vessel, self.id, state, t0, now))
        return now

    def _vessel(self, name: str, group: str, rng, first: bool):
        env = self.env
        A, B = self.origin, self.dest
        pa, pb = A.port, B.port
        g = self.groups[group]
        working = g.working
        working.change(1)
        if first:
            # spread the initial fleet's first departures over one round trip
            yield env.timeout(rng.uniform(0.0, 2.0 * self.cfg.crossing_h))
        while True:
            if g.count > g.target:  # retired by the timeline, at its home port
                g.count -= 1
                g.fleet.change(-1)
                working.change(-1)
                return
            cfg = self.cfg
            capacity = g.capacity
            t = env.now
            # sail when full enough, or after max_wait_for_cargo_h (counted from this ship's turn)
            working.change(-1)
            yield from self.turn.acquire()
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
            working.change(1)
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
            A.release_space(units)
            t = self._state(name, "loading", t)
            yield from pa.wait_open()
            t = self._state(name, "weather_hold", t)
            A.berths.release()
            t_dep = env.now
            for lot in cargo:
                lot.stamps.append((f"sail:{self.id}", t_dep))
                lot.pos += 1
            yield env.timeout(gamma_mean_cv(rng, cfg.crossing_h, cfg.crossing_cv))
            t = self._state(name, "sailing", t)
            yield from pb.wait_open()
            t = self._state(name, "weather_hold", t)
            yield from B.berths.acquire()
            t = self._state(name, "waiting_berth", t)
            yield env.timeout(B.cfg.berth_fixed_h + units / B.cfg.handling_units_per_h)
            for lot in cargo:
                yield from B.land(lot)
            t_arr = env.now
            t = self._state(name, "unloading", t)
            self.shipped.add(t_dep, units)
            self.shipped_tons.add(t_dep, tons)
            self.sailings.add(t_dep, 1.0)
            if self.voyages is not None:
                self.voyages.append(Voyage(name, group, self.id, cfg.cargo, t_dep, t_arr, units, tons, capacity, lf))
            yield from pb.wait_open()
            t = self._state(name, "weather_hold", t)
            B.berths.release()
            yield env.timeout(gamma_mean_cv(rng, cfg.crossing_h, cfg.crossing_cv))
            t = self._state(name, "returning", t)
            yield from pa.wait_open()
            t = self._state(name, "weather_hold", t)
