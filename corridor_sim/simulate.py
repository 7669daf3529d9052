"""Run one simulation: build the model, run it, collect Results."""

from __future__ import annotations

import time
from collections.abc import Callable

from . import runsize
from .model.build import Model
from .results import Results, collect
from .scenario import Scenario


def run(
    scenario: Scenario,
    seed: int = 1,
    progress: Callable[[float], None] | None = None,
    allow_large: bool = False,
    detail: bool = True,
) -> Results:
    """Simulate ``scenario`` with random streams derived from ``seed``.

    ``progress``, if given, is called with the fraction of simulated time done (0..1). A run whose
    size estimate exceeds what this machine can hold raises ``runsize.RunTooLarge`` before it
    starts, unless ``allow_large``. With ``detail``, the run keeps one row per consignment, voyage
    and vessel state (``lots``, ``voyages``, ``vessel_states``).
    """
    runsize.check(scenario, allow_large=allow_large, detail=detail)
    t0 = time.perf_counter()
    model = Model(scenario, seed, detail=detail)
    model.run(progress=progress)
    return collect(model, time.perf_counter() - t0)
