"""Run one simulation: build the model, run it, collect Results (the one place a Model is run)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from ..model.build import Model
from ..model.cargo import LedgerObserver
from ..scenario.schema import Scenario
from . import runsize
from .results import Results
from .tables import collect


def run(
    scenario: Scenario,
    seed: int = 1,
    progress: Callable[[float], None] | None = None,
    allow_large: bool = False,
    detail: bool = True,
    observers: Sequence[LedgerObserver] = (),
) -> Results:
    """Simulate ``scenario`` with random streams derived from ``seed``.

    ``progress``, if given, is called with the fraction of simulated time done (0..1). A run whose
    size estimate exceeds what this machine can hold raises ``runsize.RunTooLarge`` before it
    starts, unless ``allow_large``. With ``detail``, the run keeps one row per consignment, voyage
    and vessel state (``lots``, ``voyages``, ``vessel_states``). ``observers`` are told of every
    consignment generated, diverted and delivered as the run goes (``model.cargo.LedgerObserver``).
    """
    runsize.check(scenario, allow_large=allow_large, detail=detail)
    t0 = time.perf_counter()
    model = Model(scenario, seed, detail=detail, observers=observers)
    model.run(progress=progress)
    return collect(model, time.perf_counter() - t0)
