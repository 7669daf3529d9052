"""When does the corridor reach its goal: scenarios compared on common random numbers, with each
scenario file's capacity beside the tonnes delivered under each of its demand cases.

Capacity (what the corridor could carry) belongs to the scenario file, not to a demand case: it is
measured once per file, in its central case's mix when that case is compared, and set beside the
first year delivered tonnes (what comes, and is carried) reach the goal under each case
(``experiments.comparison.goal_table``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from ..experiments.comparison import Comparison
from ..experiments.comparison import compare as compare_runs
from ..experiments.execution import Execution, session
from ..scenario.schema import Scenario
from .capacity import estimate_capacities


def capacity_scenarios(scenarios: list[Scenario]) -> dict[str, Scenario]:
    """Each scenario file's name -> the scenario whose capacity is measured: its central case when
    compared, else the first case given (a demand case changes only demand, and capacity is set by
    infrastructure; the mix saturated is then that case's)."""
    out: dict[str, Scenario] = {}
    for s in scenarios:
        if s.base_name not in out or s.demand_case == "central":
            out[s.base_name] = s
    return out


def measure_capacity(
    scenarios: Mapping[str, Scenario], replications: int, seed: int, execution: Execution | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One capacity trajectory and headroom per scenario file (not per demand case: capacity
    depends on the infrastructure, not on what comes), labelled with the file's scenario name."""
    traj, head = [], []
    # the files' estimates are independent: their replications go to the executor in one batch
    with session(Execution.of(execution)) as ex:
        ests = estimate_capacities(list(scenarios.values()), None, replications, seed, execution=ex)
    for base, est in zip(scenarios, ests):
        traj.append(est.trajectory.assign(scenario=base))
        head.append(est.headroom.assign(scenario=base))
    return pd.concat(traj, ignore_index=True), pd.concat(head, ignore_index=True)


def compare(
    scenarios: list[Scenario],
    seed: int = 1,
    replications: int = 1,
    out: str | Path | None = None,
    execution: Execution | None = None,
    capacity: bool = False,
    capacity_of: Mapping[str, Scenario] | None = None,
    **options,
) -> Comparison:
    """Run each scenario (``replications`` times, the same seeds for all) and compare them
    (``experiments.comparison.compare``).

    With ``capacity``, also the capacity trajectory and headroom of each scenario file
    (``analyses.capacity.estimate_capacity``, with the same replications and seed), once per file
    whatever the demand cases compared: ``capacity_of`` maps each file's scenario name to the
    scenario to measure (default: ``capacity_scenarios``, its central case when compared). When
    replications fail, ComparisonFailed is raised with the comparison of those that succeeded
    (without capacity)."""
    ex = Execution.of(execution, **({"workers": 1} | options) if execution is None else options)
    with session(ex) as ex:  # one executor, and one account of the runs and the capacity runs
        cmp = compare_runs(scenarios, seed, replications, out, ex)
        if capacity:
            cmp.capacity, cmp.headroom = measure_capacity(
                capacity_of or capacity_scenarios(scenarios), replications, seed, ex
            )
        assert ex.tally is not None, "a session keeps a tally"
        cmp.meta["accounting"] = ex.tally.report()  # in comparison.json (docs/performance.md)
    return cmp
