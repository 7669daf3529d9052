"""Run one simulation: build the model, run it, collect Results."""
from __future__ import annotations

import time
from typing import Callable

from .model.build import Model
from .results import Results, collect
from .scenario import Scenario


def run(scenario: Scenario, seed: int = 1, progress: Callable[[float], None] | None = None) -> Results:
    """Simulate ``scenario`` with random streams derived from ``seed``.

    ``progress``, if given, is called with the fraction of simulated time done (0..1).
    """
    t0 = time.perf_counter()
    model = Model(scenario, seed)
    model.run(progress=progress)
    return collect(model, time.perf_counter() - t0)
