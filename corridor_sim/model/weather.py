"""Storm closures of Caspian ports and the draft-limited load factor.

Closures alternate with open spells: a closure lasts a gamma-distributed time (mean
closure_mean_h); the open spell before it is exponential with mean chosen so that the long-run
closed share in month m equals closure_probability_by_month[m]: open_mean = D (1 - p) / p.
"""

from __future__ import annotations

import simpy

from ..calendar import HOURS_PER_DAY, Calendar
from ..rng import gamma_mean_cv
from ..scenario.schema import Caspian, Weather


def storm_process(env: simpy.Environment, port, cal: Calendar, rng):
    while True:
        cfg: Weather = port.weather
        p = cfg.closure_probability_by_month[cal.month_of(env.now)]
        if p <= 0.0:
            # calm month: look again at the start of the next one
            yield env.timeout(max(cal.next_month_start_h(env.now) - env.now, 1.0))
            continue
        open_mean = cfg.closure_mean_h * (1.0 - p) / p
        spell = rng.exponential(open_mean)
        month_end = cal.next_month_start_h(env.now)
        if env.now + spell > month_end:
            # the month's rate changes: redraw from the month boundary (memoryless)
            yield env.timeout(month_end - env.now)
            continue
        yield env.timeout(spell)
        length = gamma_mean_cv(rng, cfg.closure_mean_h, cfg.closure_cv)
        port.close()
        yield env.timeout(length)
        port.reopen()


def load_factor(c: Caspian, cal: Calendar, t_h: float, released: tuple[float, float] | None = None) -> float:
    """Usable share of a vessel's capacity at time t, as the Caspian falls.

    The draft follows the sea: from ``load_factor`` in ``base_year``, ``load_factor_loss_per_10cm``
    for every 10 cm it falls, never below ``min_load_factor``. Maintenance dredging holds a draft
    (``held_load_factor``) for as long as it is set; ``released`` = (the level held, the hour its
    maintenance stopped): from then the load factor falls from that level at the sea's rate again,
    and never below the undredged draft.

    >>> from corridor_sim.scenario.schema import Caspian
    >>> c = Caspian(load_factor=0.8, base_year=2024, sea_level_decline_cm_per_year=20,
    ...             load_factor_loss_per_10cm=0.03, min_load_factor=0.5, source="x")
    >>> round(load_factor(c, Calendar(2024, 2030), 0.0), 3)
    0.8
    >>> round(load_factor(c, Calendar(2024, 2030), 2 * 8766.0), 3)
    0.68
    >>> round(load_factor(c.model_copy(update={"held_load_factor": 0.95}), Calendar(2024, 2030), 2 * 8766.0), 3)
    0.95
    >>> round(load_factor(c, Calendar(2024, 2030), 3 * 8766.0, released=(0.95, 2 * 8766.0)), 3)
    0.89
    """
    if c.held_load_factor is not None:
        return max(c.held_load_factor, _natural(c, cal, t_h))
    natural = _natural(c, cal, t_h)
    if released is None:
        return natural
    level, since_h = released
    fall_cm = c.sea_level_decline_cm_per_year * max(t_h - since_h, 0.0) / (365.25 * HOURS_PER_DAY)
    return max(natural, c.min_load_factor, level - c.load_factor_loss_per_10cm * fall_cm / 10.0)


def _natural(c: Caspian, cal: Calendar, t_h: float) -> float:
    """The load factor at the undredged draft (``load_factor``'s first paragraph)."""
    years = max(cal.years_since(c.base_year, t_h), 0.0)
    drop_cm = c.sea_level_decline_cm_per_year * years
    return max(c.min_load_factor, c.load_factor - c.load_factor_loss_per_10cm * drop_cm / 10.0)
