"""A rail line's train paths per day from its track: a pure function, no simulation.

Two methods, both the ones the railways of the corridor use (sources: the project's research
notes, section 0, cited in seeds/SOURCES.md section 13):

* **Single track with passing loops** (the CIS timetable-period method, "период графика"; the
  same structure as Scott's formula). Trains meet only at loops, so a pair of trains (one each
  way) occupies the hardest section between two loops for the timetable period
  ``T = 2 x 60 x L / v + tau`` minutes: the running time over the section of length ``L`` km at the
  freight running speed ``v`` km/h in both directions, plus the station intervals ``tau``
  (non-simultaneous arrival, crossing, acceleration and braking; 6-9 min in the textbooks). The
  line then gives ``N = (1440 - m) x f / T`` pairs of trains a day, where ``m`` is the daily
  maintenance window (min) and ``f`` the usable share of the theoretical capacity (the UIC 406
  daily occupancy, the CIS reliability and fill coefficients). A directional link on a single
  track has ``N`` paths a day in its direction (a paired timetable: as many each way).
* **Double track** (UIC 406 occupancy over the signalling headway): each direction has its own
  track, so ``N = (1440 - m) x f / h`` paths a day per direction for a minimum headway ``h`` min.

``L`` is the mean loop-to-loop section (the line's length over its sections) unless a scenario
gives the longest: the scenario's ``loop_spacing_km`` says which it is in its source. The one free
factor ``f`` is the same for every line: it is fitted to the published capacities of the
corridor's single-track lines (``benchmarks/track_check.py`` fits it and prints each line's
computed against its published figure, with the error), never to a delivered tonnage.

>>> round(single_track_pairs_per_day(26.1, 57.9, 8.0, 120.0, 0.61), 1)
13.0
>>> round(double_track_paths_per_day(12.0, 120.0, 0.61), 1)
67.1
"""

from __future__ import annotations

MINUTES_PER_DAY = 1440.0


def period_min(section_km: float, speed_kmh: float, station_interval_min: float) -> float:
    """The timetable period of one pair of trains over a section between two loops, min.

    >>> round(period_min(38.3, 57.9, 8.0), 2)  # Shalkar-Beineu's mean section (498 km / 13)
    87.38
    """
    return 2.0 * 60.0 * section_km / speed_kmh + station_interval_min


def single_track_pairs_per_day(
    section_km: float, speed_kmh: float, station_interval_min: float, maintenance_min: float, fill_share: float
) -> float:
    """Pairs of trains a day on a single track whose loops are ``section_km`` apart.

    >>> round(single_track_pairs_per_day(40.0, 60.0, 0.0, 0.0, 1.0), 3)  # T = 80 min: 1440 / 80
    18.0
    >>> round(single_track_pairs_per_day(40.0, 60.0, 0.0, 120.0, 0.5), 3)  # 1320 x 0.5 / 80
    8.25
    """
    return (MINUTES_PER_DAY - maintenance_min) * fill_share / period_min(section_km, speed_kmh, station_interval_min)


def double_track_paths_per_day(headway_min: float, maintenance_min: float, fill_share: float) -> float:
    """Paths a day in each direction on a double track with a minimum headway of ``headway_min``.

    >>> double_track_paths_per_day(8.0, 0.0, 1.0)  # 1440 / 8
    180.0
    """
    return (MINUTES_PER_DAY - maintenance_min) * fill_share / headway_min


def section_km(length_km: float, loop_spacing_km: float | None, loops: int | None) -> float:
    """The section between loops: the given spacing, or the link's length over its loops + 1.

    >>> round(section_km(988.0, None, 42), 2)
    22.98
    >>> section_km(988.0, 38.3, None)
    38.3
    """
    if loop_spacing_km is not None:
        return loop_spacing_km
    if loops is None:
        raise ValueError("a single track needs loop_spacing_km or loops")
    return length_km / (loops + 1)


def paths_per_day(track, length_km: float) -> float:
    """A link's paths a day in its direction from its ``track`` block (``scenario.Track``).

    >>> from types import SimpleNamespace as T
    >>> t = T(tracks=1, loop_spacing_km=None, loops=9, running_speed_kmh=60.0, station_interval_min=0.0,
    ...       headway_min=None, maintenance_min_per_day=0.0, fill_share=1.0)
    >>> round(paths_per_day(t, 400.0), 3)  # 10 sections of 40 km: T = 80 min
    18.0
    """
    if track.tracks >= 2:
        return double_track_paths_per_day(track.headway_min, track.maintenance_min_per_day, track.fill_share)
    sec = section_km(length_km, track.loop_spacing_km, track.loops)
    return single_track_pairs_per_day(
        sec, track.running_speed_kmh, track.station_interval_min, track.maintenance_min_per_day, track.fill_share
    )
