"""corridor-sim: a discrete-event simulator of freight capacity on the Middle Corridor.

The public API, used by the CLI and by notebooks alike::

    import corridor_sim as cs
    scn = cs.load_scenario("scenarios/base.yaml", overrides={"demand.scale": 1.2})
    res = cs.run(scn, seed=1)
    res.annual          # pandas DataFrame: tonnes by year and flow
    res.write("results/base")

The package is one folder per stage, each importing only the stages before it (README,
Architecture): ``scenario`` -> ``model`` -> ``run`` -> ``experiments`` -> ``analyses`` ->
``present`` -> ``cli``, with pure helpers (``rng``, ``calendar``, ``stats``, ``kpi``, ``display``)
at the top. Figures and the report are in ``corridor_sim.present``, imported on their own (they
bring matplotlib and Jinja2): ``from corridor_sim.present import plots, write``.
"""

from __future__ import annotations

import os as _os

# pyarrow (pandas' string columns, Parquet) allocates with the system allocator, which gives freed
# memory back; its default pool (mimalloc or jemalloc) keeps what it once held, and a 12-year run
# then peaked 13% above a 1-year run instead of 5% (benchmarks/bench_memory.py). Only a default,
# read when pyarrow is first imported: a process that chose a pool, or imported pyarrow before
# corridor-sim, keeps its own. Worker processes inherit it.
_os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")

from ._version import __version__
from .analyses.appraisal import Appraisal, appraise
from .analyses.bottlenecks import Ranking, bottlenecks
from .analyses.capacity import CapacityEstimate, capacity_trajectory, estimate_capacity
from .analyses.goal import compare
from .analyses.plan import Plan, frontier, plan
from .analyses.sensitivity import Sensitivity, sensitivity
from .analyses.sweep import Sweep, sweep
from .experiments.comparison import Comparison, compare_results
from .experiments.execution import Execution
from .experiments.replicated import Replicated
from .experiments.replications import replicate
from .kpi import first_year_at_least
from .run.results import Results, open_results
from .run.simulate import run
from .scenario.candidates import load_candidates
from .scenario.labels import describe
from .scenario.load import load_scenario, validate_dict
from .scenario.problems import ScenarioError
from .scenario.schema import Scenario

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
    # what notebooks and benchmarks use, so that they need no module of a stage
    "Results",
    "open_results",
    "Replicated",
    "replicate",
    "Execution",
    "load_candidates",
    "sweep",
    "Sweep",
    "bottlenecks",
    "Ranking",
    "sensitivity",
    "Sensitivity",
    "appraise",
    "Appraisal",
    "plan",
    "frontier",
    "Plan",
]
