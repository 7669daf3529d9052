"""corridor-sim: a discrete-event simulator of freight capacity on the Middle Corridor.

The public API, used by the CLI and by notebooks alike::

    import corridor_sim as cs
    scn = cs.load_scenario("scenarios/base.yaml", overrides={"demand.scale": 1.2})
    res = cs.run(scn, seed=1)
    res.annual          # pandas DataFrame: tonnes by year and flow
    res.write("results/base")
"""

from __future__ import annotations

import os as _os

__version__ = "0.1.0"

# pyarrow (pandas' string columns, Parquet) allocates with the system allocator, which gives freed
# memory back; its default pool (mimalloc or jemalloc) keeps what it once held, and a 12-year run
# then peaked 13% above a 1-year run instead of 5% (benchmarks/bench_memory.py). Only a default,
# read when pyarrow is first imported: a process that chose a pool, or imported pyarrow before
# corridor-sim, keeps its own. Worker processes inherit it.
_os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")

from .capacity import CapacityEstimate, capacity_trajectory, estimate_capacity, first_year_at_least
from .compare import Comparison, compare, compare_results
from .loading import ScenarioError, load_scenario, validate_dict
from .scenario import Scenario, describe
from .simulate import run

__all__ = [
    "Scenario",
    "ScenarioError",
    "describe",
    "load_scenario",
    "validate_dict",
    "run",
    "compare",
    "compare_results",
    "Comparison",
    "estimate_capacity",
    "capacity_trajectory",
    "first_year_at_least",
    "CapacityEstimate",
    "__version__",
]
