"""Rail links: line sections and border / gauge-change crossings.

A link's capacity is its *paths* (``paths.RailPaths``): a train holds the link's entry for the
headway (24 h / paths_per_day) and then runs for length/speed, so a link offered more trains than
it has paths carries exactly its paths. Non-corridor traffic (Dostyk is mostly China-Europe traffic
via Russia) takes paths as a Poisson stream of background trains, tracked in utilization but not in
corridor tonnes. A crossing adds gauge-change/transshipment servers and a document dwell.
"""

from __future__ import annotations

from typing import NamedTuple

import simpy

from ..rng import gamma_mean_cv, lognormal_mean_cv
from ..scenario.schema import RailLink as RailLinkCfg
from .cargo import Ledger, Train
from .meters import NAN, Counter, ResourceKind, ResourceYear, year_rows
from .paths import RailPaths, Slot
from .servers import MonitoredResource


class LinkYear(NamedTuple):
    """One row of ``links``: a rail link in one year."""

    year: int
    link: str
    from_: str
    to: str
    corridor_trains: int  # corridor trains entering the link
    tons: float  # corridor tonnes entering the link
    path_utilization: float  # share of the link's paths used, background trains included (nan: unconstrained)


class RailLink:
    def __init__(
        self, env: simpy.Environment, cfg: RailLinkCfg, bounds: list[float], rng, background_rng, ledger: Ledger
    ):
        self.env = env
        self.id = cfg.id
        self.from_node, self.to_node = cfg.from_node, cfg.to_node
        self.length_km = cfg.length_km
        self.speed_kmh = cfg.speed_kmh
        self.paths_per_day = cfg.paths  # an explicit paths_per_day, or the paths the track gives
        self.railway = cfg.railway
        self.crossing = cfg.crossing
        self.rng = rng
        self.background_rng = background_rng  # its own stream: corridor traffic does not shift it
        self.ledger = ledger
        self.bounds = bounds
        self.path: RailPaths | None = None
        self._set_paths(cfg)
        self.station = (
            MonitoredResource(
                env, bounds, f"{cfg.id}:crossing", ResourceKind.CROSSING, cfg.crossing.transshipment_tracks, cfg.id
            )
            if cfg.crossing is not None
            else None
        )
        self._stage = f"rail:{cfg.id}"  # the stamp a train takes when it enters the link
        self.corridor = Counter(bounds)  # corridor trains entering the link, per year
        self.tons = [0.0] * (len(bounds) - 1)

    def _set_paths(self, cfg: RailLinkCfg) -> None:
        # background trains take paths only while the link has them
        background = cfg.background_trains_per_day if cfg.paths is not None else 0.0
        if self.path is not None:
            self.path.reconfigure(self.headway_h, background)
        elif cfg.paths is not None:
            self.path = RailPaths(
                self.env, self.bounds, f"{cfg.id}:paths", cfg.id, self.headway_h, background, self.background_rng
            )

    def reconfigure(self, cfg: RailLinkCfg) -> None:
        """Apply new parameters from the timeline (a second track, a higher exchange cap ...)."""
        self.length_km, self.speed_kmh = cfg.length_km, cfg.speed_kmh
        self.paths_per_day = cfg.paths
        self.railway = cfg.railway
        self._set_paths(cfg)
        if cfg.crossing is not None:
            if self.station is None:
                self.station = MonitoredResource(
                    self.env,
                    self.bounds,
                    f"{self.id}:crossing",
                    ResourceKind.CROSSING,
                    cfg.crossing.transshipment_tracks,
                    self.id,
                )
            else:
                self.station.set_capacity(cfg.crossing.transshipment_tracks)
        self.crossing = cfg.crossing

    def resources(self) -> list:
        return [r for r in (self.path, self.station) if r is not None]

    def finish(self, end_h: float) -> None:
        """Close the meters at the end of the run."""
        for r in self.resources():
            r.close(end_h)

    def resource_rows(self, years: list[int]) -> list[ResourceYear]:
        return [row for r in self.resources() for row in year_rows(r, years, "trains")]

    def link_rows(self, years: list[int]) -> list[LinkYear]:
        return [
            LinkYear(
                y,
                self.id,
                self.from_node,
                self.to_node,
                self.corridor.count[i],
                self.tons[i],
                self.path.busy.mean(i) if self.path else NAN,
            )
            for i, y in enumerate(years)
        ]

    @property
    def headway_h(self) -> float:
        return 24.0 / self.paths_per_day if self.paths_per_day else 0.0

    def traverse(self, train: Train):
        """Move one train over the link (a generator for ``yield from``).

        A train entering the corridor here wakes at its start on the path, so that it counts as
        backlog until then. One already in the corridor sleeps through its wait and its hold (and
        its run, where there is no crossing) in one timeout, and is stamped with its start on waking.
        """
        env = self.env
        run_h = self.length_km / self.speed_kmh
        if self.paths_per_day is None:
            start_h = end_h = reached_h = env.now
        else:
            assert self.path is not None, "a link with paths_per_day has its paths (_set_paths)"
            slot = self.path.book()
            entering = train.lots[0].t_entered is None  # a train's lots enter the corridor together
            reached_h = self._wake_h(slot, run_h, entering)
            while reached_h > env.now:
                try:
                    yield env.timeout(reached_h - env.now)
                except simpy.Interrupt:
                    pass  # a timetable change re-timed the slot earlier
                else:
                    if self._wake_h(slot, run_h, entering) == reached_h:
                        break  # as planned (the clock may differ from it in the last bit)
                reached_h = self._wake_h(slot, run_h, entering)
            start_h, end_h = slot.start_h, slot.end_h
        self._entered(train, start_h)
        # planned times, not the clock, decide what is left to wait, so no wait of a rounding error
        if self.crossing is not None:
            if end_h > reached_h:
                yield env.timeout(end_h - env.now)
            c = self.crossing
            assert self.station is not None, "a link with a crossing has its station (reconfigure)"
            yield from self.station.acquire()
            yield env.timeout(gamma_mean_cv(self.rng, c.transshipment_h, c.transshipment_cv))
            self.station.release()
            # the document dwell and the rest of the run, one after the other, are one wait
            rest_h = lognormal_mean_cv(self.rng, c.dwell_mean_h, c.dwell_cv) + max(run_h - (end_h - start_h), 0.0)
            if rest_h > 0:
                yield env.timeout(rest_h)
        else:
            # the schedule releases the path by itself: holding it and running are one wait
            leave_h = end_h if end_h - start_h >= run_h else start_h + run_h
            if leave_h > reached_h:
                yield env.timeout(leave_h - env.now)

    def _wake_h(self, slot: Slot, run_h: float, entering: bool) -> float:
        """When a booked train next has something to do: enter the corridor at its start, or
        leave the path for the crossing, or leave the link."""
        if entering:
            return slot.start_h
        if self.crossing is not None or slot.end_h - slot.start_h >= run_h:
            return slot.end_h
        return slot.start_h + run_h

    def _entered(self, train: Train, t_h: float) -> None:
        for lot in train.lots:
            if lot.t_entered is None:
                self.ledger.enter(lot, t_h)
        train.stamp(self._stage, t_h)
        i = self.corridor.add(t_h)
        if i is not None:
            self.tons[i] += train.tons
