"""The event-driven reference for rail paths, kept for the tests only.

Every background train is a SimPy process that queues for the path (a one-server FIFO resource)
and holds it for the headway in force when it enters; corridor trains do the same. The arrival
stream is drawn from the link's background stream one number at a time, with the same
residual-rescaling rule when the timeline changes the rate, so for a given seed this must give
the same schedule as ``corridor_sim.model.paths.RailPaths`` computes without any of these events.
"""

from __future__ import annotations

import simpy

from corridor_sim.model.rail import RailLink
from corridor_sim.model.servers import MonitoredResource
from corridor_sim.rng import gamma_mean_cv, lognormal_mean_cv
from corridor_sim.scenario.schema import RailLink as RailLinkCfg

INF = float("inf")


class EventDrivenRailLink(RailLink):
    def _set_paths(self, cfg: RailLinkCfg) -> None:
        background = cfg.background_trains_per_day if cfg.paths_per_day is not None else 0.0
        mean_gap_h = 24.0 / background if background > 0 else INF
        if self.path is None and cfg.paths_per_day is not None:
            self.path = MonitoredResource(self.env, self.bounds, f"{cfg.id}:paths", "rail_path", 1, cfg.id)
            self._mean_gap_h = mean_gap_h
            self._arrivals = self.env.process(self._background())
        elif self.path is not None and mean_gap_h != self._mean_gap_h:
            self._arrivals.interrupt(mean_gap_h)

    def _background(self):
        env = self.env
        draw = self.background_rng.standard_exponential
        next_h = env.now + draw() * self._mean_gap_h if self._mean_gap_h < INF else INF
        while True:
            try:
                yield env.timeout(next_h - env.now) if next_h < INF else env.event()
            except simpy.Interrupt as change:
                old, self._mean_gap_h = self._mean_gap_h, change.cause
                if old == INF or self._mean_gap_h == INF:
                    next_h = env.now + draw() * self._mean_gap_h if self._mean_gap_h < INF else INF
                else:
                    next_h = env.now + (next_h - env.now) * (self._mean_gap_h / old)
                continue
            env.process(self._one_background_train())
            next_h += draw() * self._mean_gap_h

    def _one_background_train(self):
        yield from self.path.acquire()
        yield self.env.timeout(self.headway_h)
        self.path.release()

    def traverse(self, train):
        env = self.env
        run_h = self.length_km / self.speed_kmh
        held = 0.0
        if self.paths_per_day is not None:
            yield from self.path.acquire()
            self._entered(train, env.now)
            held = self.headway_h
            yield env.timeout(held)
            self.path.release()
        else:
            self._entered(train, env.now)
        if self.crossing is not None:
            c = self.crossing
            yield from self.station.acquire()
            yield env.timeout(gamma_mean_cv(self.rng, c.transshipment_h, c.transshipment_cv))
            self.station.release()
            yield env.timeout(lognormal_mean_cv(self.rng, c.dwell_mean_h, c.dwell_cv))
        if run_h > held:
            yield env.timeout(run_h - held)
