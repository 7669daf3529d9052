"""Storm closures of Caspian ports and the draft-limited load factor.

Closures alternate with open spells: a closure lasts a gamma-distributed time (mean
closure_mean_h); the open spell before it is exponential with mean chosen so that the long-run
closed share in month m equals closure_probability_by_month[m]: open_mean = D (1 - p) / p.
"""

from __future__ import annotations

import simpy

from ..calendar import Calendar
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


def load_factor(c: Caspian, cal: Calendar, t_h: float) -> float:
    """Usable share of a vessel's capacity at time t, as the Caspian falls.

    >>> from corridor_sim.scenario.schema import Caspian
    >>> c = Caspian(load_factor=0.8, base_year=2024, sea_level_decline_cm_per_year=20,
    ...             load_factor_loss_per_10cm=0.03, min_load_factor=0.5, source="x")
    >>> round(load_factor(c, Calendar(2024, 2030), 0.0), 3)
    0.8
    >>> round(load_factor(c, Calendar(2024, 2030), 2 * 8766.0), 3)
    0.68
    """
    years = max(cal.years_since(c.base_year, t_h), 0.0)
    drop_cm = c.sea_level_decline_cm_per_year * years
    return max(c.min_load_factor, c.load_factor - c.load_factor_loss_per_10cm * drop_cm / 10.0)
