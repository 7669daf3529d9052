"""The Caspian crossing: rail ferries, container feeders and tankers on their lines.

Each vessel is one process: at the home port it waits at anchor for its turn and for cargo, until
there is min_fill_share of today's capacity (capacity x draft load factor) or max_wait_for_cargo_h
has passed; it claims that cargo, berths, loads, waits for the port to open, sails, waits off the
far port while it is closed, berths, unloads into the yard there (waiting at the berth while the
yard is full), and returns. Only the
loaded (westbound) leg carries corridor cargo; the return leg's handling is in berth_fixed_h.
"""
from __future__ import annotations

import simpy

from ..rng import gamma_mean_cv
from ..scenario import SeaLine as SeaLineCfg
from .meters import Meter
from .servers import Server
from .port import Port, Terminal


class SeaLine:
    def __init__(self, env: simpy.Environment, cfg: SeaLineCfg, origin: Terminal, dest: Terminal,
                 bounds: list[float], load_factor, streams, recorder_rows: dict):
        self.env = env
        self.id = cfg.id
        self.cfg = cfg
        self.origin, self.dest = origin, dest
        self.load_factor = load_factor         # callable: t_h -> usable share of deadweight at the draft
        self.voyages = recorder_rows["voyages"]
        self.states = recorder_rows["vessel_states"]
        self.streams = streams
        self.groups: dict[str, dict] = {}
        # Ships wait for cargo at anchor, one at a time per line (FIFO): the first claims the cargo,
        # then takes a berth. Waiting at a berth would make idle berths look busy.
        self.turn = Server(env, 1)
        for g in cfg.vessels:
            self.groups[g.id] = {"count": 0, "target": 0, "capacity": g.capacity_units, "full_share": g.full_load_deadweight_share,
                                 "working": Meter(env, bounds), "fleet": Meter(env, bounds), "built": 0}
            self._resize(g.id, g.count, first=True)

    def _resize(self, gid: str, count: int, first: bool = False) -> None:
        """Put vessels into service, or mark some to retire the next time they are home."""
        g = self.groups[gid]
        g["target"] = count
        while g["count"] < count:
            g["built"] += 1
            g["count"] += 1
            g["fleet"].change(1)
            name = f"{gid}_{g['built']}"
            self.env.process(self._vessel(name, gid, self.streams.get(f"vessel:{self.id}:{name}"), first))

    def reconfigure(self, cfg: SeaLineCfg) -> None:
        """Apply new parameters from the timeline: sea time, fill policy, vessel counts and sizes."""
        self.cfg = cfg
        for v in cfg.vessels:
            self.groups[v.id]["capacity"] = v.capacity_units
            self.groups[v.id]["full_share"] = v.full_load_deadweight_share
            self._resize(v.id, v.count)

    def usable_share(self, group: str, t_h: float) -> float:
        """Share of a vessel's design capacity it can load at t: the deadweight the draft leaves
        usable, against what a full load of its units weighs (a deck-limited ferry loses nothing
        until the draft cuts below its full load's weight)."""
        return min(1.0, self.load_factor(t_h) / self.groups[group]["full_share"])

    def _state(self, vessel: str, state: str, t0: float) -> float:
        now = self.env.now
        if now > t0:
            self.states.append((vessel, self.id, state, t0, now))
        return now

    def _vessel(self, name: str, group: str, rng, first: bool):
        env = self.env
        A, B = self.origin, self.dest
        pa, pb = A.port, B.port
        g = self.groups[group]
        working = g["working"]
        working.change(1)
        if first:
            # spread the initial fleet's first departures over one round trip
            yield env.timeout(rng.uniform(0.0, 2.0 * self.cfg.crossing_h))
        while True:
            if g["count"] > g["target"]:        # retired by the timeline, at its home port
                g["count"] -= 1
                g["fleet"].change(-1)
                working.change(-1)
                return
            cfg = self.cfg
            capacity = g["capacity"]
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
                    yield A.arrival(self)       # nothing at all: sail with the first cargo
                    continue
                yield A.arrival(self, until_h=deadline)
            working.change(1)
            lf = self.usable_share(group, env.now)
            cargo = A.take(self, capacity * lf, free=False)
            self.turn.release()
            t = self._state(name, "waiting_cargo", t)
            units = tons = 0
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
            self.voyages.append((name, group, self.id, cfg.cargo, t_dep, t_arr, units, tons, capacity, lf))
            yield from pb.wait_open()
            t = self._state(name, "weather_hold", t)
            B.berths.release()
            yield env.timeout(gamma_mean_cv(rng, cfg.crossing_h, cfg.crossing_cv))
            t = self._state(name, "returning", t)
            yield from pa.wait_open()
            t = self._state(name, "weather_hold", t)
