"""The Caspian crossing: rail ferries, container feeders and tankers on their lines.

Each vessel is one process: berth at the home port, wait for cargo until it is filled to
min_fill_share of today's capacity (capacity x draft load factor) or max_wait_for_cargo_h has
passed, load, wait for the port to open, sail, wait off the far port while it is closed, berth,
unload into the yard there (waiting at the berth while the yard is full), and return. Only the
loaded (westbound) leg carries corridor cargo; the return leg's handling is in berth_fixed_h.
"""
from __future__ import annotations

import simpy

from ..rng import gamma_mean_cv
from ..scenario import SeaLine as SeaLineCfg
from .meters import Meter
from .port import Port, Terminal


class SeaLine:
    def __init__(self, env: simpy.Environment, cfg: SeaLineCfg, origin: Terminal, dest: Terminal,
                 bounds: list[float], load_factor, streams, recorder_rows: dict):
        self.env = env
        self.id = cfg.id
        self.cfg = cfg
        self.origin, self.dest = origin, dest
        self.load_factor = load_factor         # callable: t_h -> share of capacity usable
        self.voyages = recorder_rows["voyages"]
        self.states = recorder_rows["vessel_states"]
        self.groups: dict[str, dict] = {}
        for g in cfg.vessels:
            self.groups[g.id] = {"count": g.count, "capacity": g.capacity_units, "working": Meter(env, bounds)}
            for k in range(g.count):
                name = f"{g.id}_{k + 1}"
                env.process(self._vessel(name, g.id, g.capacity_units, streams.get(f"vessel:{cfg.id}:{name}")))

    @property
    def vessel_count(self) -> int:
        return sum(g["count"] for g in self.groups.values())

    def _state(self, vessel: str, state: str, t0: float) -> float:
        now = self.env.now
        if now > t0:
            self.states.append((vessel, self.id, state, t0, now))
        return now

    def _vessel(self, name: str, group: str, capacity: float, rng):
        env = self.env
        cfg = self.cfg
        A, B = self.origin, self.dest
        pa, pb = A.port, B.port
        working = self.groups[group]["working"]
        working.change(1)
        # spread the fleet's first departures over one crossing
        yield env.timeout(rng.uniform(0.0, 2.0 * cfg.crossing_h))
        while True:
            t = env.now
            req = yield from A.berths.acquire()
            t = self._state(name, "waiting_berth", t)
            # sail when full enough, or after max_wait_for_cargo_h
            working.change(-1)
            deadline = env.now + cfg.max_wait_for_cargo_h
            while True:
                waiting = A.queued.get(self, 0.0)
                if waiting >= cfg.min_fill_share * capacity * self.load_factor(env.now) - 1e-9:
                    break
                left = deadline - env.now
                if left <= 0:
                    if waiting > 1e-9:
                        break
                    yield A.arrival(self)       # nothing at all: sail with the first cargo
                    continue
                yield A.arrival(self) | env.timeout(left)
            working.change(1)
            t = self._state(name, "waiting_cargo", t)
            lf = self.load_factor(env.now)
            cargo = A.take(self, capacity * lf)
            units = sum(l.units for l in cargo)
            tons = sum(l.tons for l in cargo)
            yield env.timeout(A.cfg.berth_fixed_h + units / A.cfg.handling_units_per_h)
            t = self._state(name, "loading", t)
            yield from pa.wait_open()
            t = self._state(name, "weather_hold", t)
            A.berths.release(req)
            t_dep = env.now
            for lot in cargo:
                lot.stamps.append((f"sail:{self.id}", t_dep))
                lot.pos += 1
            yield env.timeout(gamma_mean_cv(rng, cfg.crossing_h, cfg.crossing_cv))
            t = self._state(name, "sailing", t)
            yield from pb.wait_open()
            t = self._state(name, "weather_hold", t)
            req = yield from B.berths.acquire()
            t = self._state(name, "waiting_berth", t)
            yield env.timeout(B.cfg.berth_fixed_h + units / B.cfg.handling_units_per_h)
            for lot in cargo:
                yield from B.land(lot)
            t_arr = env.now
            t = self._state(name, "unloading", t)
            self.voyages.append((name, group, self.id, cfg.cargo, t_dep, t_arr, units, tons, capacity, lf))
            yield from pb.wait_open()
            t = self._state(name, "weather_hold", t)
            B.berths.release(req)
            yield env.timeout(gamma_mean_cv(rng, cfg.crossing_h, cfg.crossing_cv))
            t = self._state(name, "returning", t)
            yield from pa.wait_open()
            t = self._state(name, "weather_hold", t)
