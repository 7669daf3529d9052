"""Run one simulation: build the model, run it, collect Results (the one place a Model is run)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

from ..model.build import Model
from ..model.cargo import LedgerObserver
from ..scenario.schema import Scenario
from . import runsize
from .results import Results
from .tables import collect

# What this thread has simulated, for the accounting of a batch (``experiments.execution``): a
# task reads it before and after it runs, wherever it runs (this process, a worker process, a Dask
# worker's thread); per thread, so tasks running side by side in threads do not count each other's.
_counted = threading.local()


def counts() -> dict[str, float]:
    """Runs, simulated years and kernel events simulated in this thread so far, and the years
    that runs branched from another took over from it instead of simulating them (``branches``)."""
    if not hasattr(_counted, "c"):
        _counted.c = {"runs": 0, "simulated_years": 0, "events": 0, "shared_years": 0.0}
    return _counted.c


def run(
    scenario: Scenario,
    seed: int = 1,
    progress: Callable[[float], None] | None = None,
    allow_large: bool = False,
    detail: bool = True,
    observers: Sequence[LedgerObserver] = (),
    hold_at_origin: bool = False,
) -> Results:
    """Simulate ``scenario`` with random streams derived from ``seed``.

    ``progress``, if given, is called with the fraction of simulated time done (0..1). A run whose
    size estimate exceeds what this machine can hold raises ``runsize.RunTooLarge`` before it
    starts, unless ``allow_large``. With ``detail``, the run keeps one row per consignment, voyage
    and vessel state (``lots``, ``voyages``, ``vessel_states``). ``observers`` are told of every
    consignment generated, diverted and delivered as the run goes (``model.cargo.LedgerObserver``).
    ``hold_at_origin``: the capacity estimator's saturated source (``model.demand.flow_process``).
    """
    runsize.check(scenario, allow_large=allow_large, detail=detail)
    t0 = time.perf_counter()
    model = Model(scenario, seed, detail=detail, observers=observers, hold_at_origin=hold_at_origin)
    model.run(progress=progress)
    c = counts()
    c["runs"] += 1
    c["simulated_years"] += scenario.end_year - scenario.start_year + 1
    c["events"] += model.events
    return collect(model, time.perf_counter() - t0)
