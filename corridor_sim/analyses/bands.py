"""The capacity trajectory under the bands of the assumptions it rests on.

A finding such as "the corridor's capacity falls in the 2030s" is only as firm as the assumptions
that drive it. Each assumption named here is one of the scenario's ``uncertain`` entries: its low and
high come from there (with their source), its central is the scenario's own value. The trajectory is
estimated at the central once and at each assumption's low and high with the others at their
central, on the same seeds (common random numbers), so a band's width is the assumption's, not the
random numbers'. A statement about **capacity** (what the corridor could carry), never about demand.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from ..experiments.execution import Execution
from ..scenario.schema import Scenario, Uncertain
from ..scenario.variants import value, with_changes
from .capacity import estimate_capacity

LEVELS = ("low", "central", "high")


@dataclass(frozen=True)
class Band:
    """One assumption's low, central (the scenario's value) and high, with the range's source."""

    path: str
    low: float
    central: float
    high: float
    source: str
    also: tuple[str, ...] = ()

    def at(self, level: str) -> float:
        """The value at ``level`` (low, central or high).

        >>> Band("caspian.x", 1.0, 2.0, 3.0, "s").at("high")
        3.0
        """
        return {"low": self.low, "central": self.central, "high": self.high}[level]


def band_of(scenario: Scenario, path: str) -> Band:
    """The band of the ``uncertain`` entry for ``path`` (its low and high, the scenario's value as
    the central); a ValueError naming the paths there are if the scenario has none for it."""
    found: list[Uncertain] = [u for u in scenario.uncertain if path in u.paths]
    if not found:
        have = ", ".join(u.path for u in scenario.uncertain) or "none"
        raise ValueError(
            f"scenario '{scenario.name}' gives no range for '{path}' in its 'uncertain' list "
            f"(it has: {have}); add one with low, high and source"
        )
    u = found[0]
    central = float(value(scenario, path))
    if not min(u.low, u.high) <= central <= max(u.low, u.high):
        raise ValueError(
            f"scenario '{scenario.name}': {path} = {central:g} lies outside its own range "
            f"{u.low:g}-{u.high:g} in 'uncertain'; a band's central must lie within it"
        )
    return Band(path, float(u.low), central, float(u.high), u.source, tuple(p for p in u.paths if p != path))


def capacity_bands(
    scenario: Scenario,
    paths: Iterable[str],
    years: tuple[int, int] | Iterable[int] | int | None = None,
    replications: int = 3,
    seed: int = 1,
    execution: Execution | None = None,
    **options,
) -> pd.DataFrame:
    """The capacity trajectory (the corridor in the year's mix) at the central, and at each band's
    low and high with every other assumption central: one row per assumption, level and year, with
    the value set, the capacity and its 95% CI and what binds. The central's rows appear once for
    each assumption (the same run), so each assumption's three lines read on their own."""
    bands = [band_of(scenario, p) for p in paths]
    ex = Execution.of(execution, **options)
    if not bands:
        raise ValueError("capacity_bands needs at least one path")

    def trajectory(s: Scenario) -> pd.DataFrame:
        est = estimate_capacity(s, years, replications, seed=seed, by_cargo=False, execution=ex)
        t = est.trajectory
        return t[t.cargo == "all"][
            ["year", "capacity_mt", "capacity_mt_ci_low", "capacity_mt_ci_high", "binding_label"]
        ].reset_index(drop=True)

    central = trajectory(scenario)
    out = []
    for b in bands:
        for level in LEVELS:
            if level == "central":
                t = central.copy()
            else:
                v = b.at(level)
                point = {p: v for p in (b.path, *b.also)}
                t = trajectory(with_changes(scenario, point, label=f"{b.path}={v:g}"))
            t.insert(0, "value", b.at(level))
            t.insert(0, "level", level)
            t.insert(0, "assumption", b.path)
            out.append(t)
    return pd.concat(out, ignore_index=True)
