"""Goals a planner sets for ``corridor-sim plan``: what the corridor must do, by when, under which
demand case, with what confidence, and optionally how fast.

A goal is one of:

- ``capacity_mt_per_year``: capacity in the year's mix (``analyses.capacity``): what the corridor
  could carry, whatever comes. A statement about **capacity**.
- ``delivered_mt_per_year``: tonnes the corridor's flows deliver in the year under the goal's
  demand case (ordinary runs, demand responding to tariffs and time). A statement about
  **demand** met by capacity: where the case brings less than the goal, no capacity delivers it.

and optionally a ``transit`` goal: the tonne-weighted mean (or the p95) transit days of named flows
in the year at or below ``max_days``. A goal is read from a file (``scenarios/goals/*.yaml``,
``load_goal``) or built from the command's options; either way it is checked against the scenario
(``check_goal``): a goal year the scenario cannot change, a demand case it does not declare or a
transit goal on a flow it does not have is refused naming the file (or option) and the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, model_validator

from .files import read_yaml
from .problems import Chain, Problem, ScenarioError, explain, locate, readable_path
from .schema import Scenario
from .units import Frozen as _Frozen
from .units import Id, Share, Year

MassMt = Annotated[float, Field(gt=0, le=10_000, allow_inf_nan=False)]


class TransitGoal(_Frozen):
    """Transit days on named flows in the goal year: the tonne-weighted mean over the flows of
    their mean (or p95) days, at or below ``max_days``."""

    flows: list[Id] = Field(min_length=1, description="The flows whose transit days count (demand.flows ids)")
    statistic: Literal["mean", "p95"] = Field("mean", description="Each flow's mean or 95th-percentile days")
    max_days: Annotated[float, Field(gt=0, le=365, allow_inf_nan=False)] = Field(
        description="The days not to exceed in the goal year"
    )
    source: str = Field(description="Where the target comes from, or 'assumption: why'")


class Goal(_Frozen):
    """What a plan must reach (module docstring): one of capacity or delivered tonnes, by a year."""

    description: str
    source: str = Field(description="Whose goal it is and where it is stated")
    by: Year = Field(description="The year in which the goal must be met")
    capacity_mt_per_year: MassMt | None = Field(None, description="Capacity in the year's mix, Mt/yr")
    delivered_mt_per_year: MassMt | None = Field(
        None, description="Tonnes delivered by the corridor's flows in the year, Mt (under demand_case)"
    )
    demand_case: Id = Field("central", description="The demand case the goal is judged under")
    confidence: Share = Field(0.8, description="Share of replications in which it must be met")
    transit: TransitGoal | None = None

    @model_validator(mode="after")
    def _one_amount(self):
        if (self.capacity_mt_per_year is None) == (self.delivered_mt_per_year is None):
            raise ValueError("give one of capacity_mt_per_year or delivered_mt_per_year")
        if not self.confidence > 0:
            raise ValueError("confidence must be above 0")
        return self

    @property
    def kind(self) -> str:
        """'capacity' or 'delivered'."""
        return "capacity" if self.capacity_mt_per_year is not None else "delivered"

    @property
    def mt(self) -> float:
        """The goal's amount, Mt (of capacity or delivered)."""
        amount = self.capacity_mt_per_year if self.capacity_mt_per_year is not None else self.delivered_mt_per_year
        return float(amount or 0.0)

    def text(self) -> str:
        """The goal in words, for tables and files."""
        what = "of capacity in the year's mix" if self.kind == "capacity" else "delivered"
        out = f"{self.mt:g} Mt/yr {what} in {self.by} ({self.demand_case} demand)"
        if self.transit is not None:
            t = self.transit
            out += f", {t.statistic} transit of {', '.join(t.flows)} at most {t.max_days:g} days"
        return out


def check_goal(goal: Goal, scenario: Scenario, source: str, names: dict[str, str] | None = None) -> None:
    """Refuse a goal the scenario cannot be planned for (ScenarioError naming ``source`` and the
    field, or the option ``names`` maps it to): a year before the scenario's first (its past: no
    plan changes it) or after its last, a demand case it does not declare, a transit goal on a flow
    it has not."""

    def name(f: str) -> str:
        return (names or {}).get(f) or f

    probs = []
    first = scenario.start_year
    if goal.by < first:
        probs.append(
            Problem(
                name("by"),
                f"{goal.by} is in the past of scenario '{scenario.name}' (it starts in {scenario.start_year}); "
                f"give a year from {first} to {scenario.end_year}",
            )
        )
    elif goal.by > scenario.end_year:
        probs.append(
            Problem(
                name("by"),
                f"{goal.by} is after the last year of scenario '{scenario.name}'; give a year from {first} to "
                f"{scenario.end_year}",
            )
        )
    cases = ["central", *[c.id for c in scenario.demand_cases if c.id != "central"]]
    if goal.demand_case not in cases:
        probs.append(
            Problem(
                name("demand_case"),
                f"'{goal.demand_case}' is not a demand case of scenario '{scenario.name}'; allowed: {', '.join(cases)}",
            )
        )
    if goal.transit is not None:
        flows = [f.id for f in scenario.demand.flows]
        for f in goal.transit.flows:
            if f not in flows:
                probs.append(
                    Problem(
                        name("transit.flows"),
                        f"'{f}' is not a flow of scenario '{scenario.name}'; allowed: {', '.join(flows)}",
                    )
                )
    if probs:
        raise ScenarioError(source, probs, header=f"{source}: the goal does not fit the scenario")


def load_goal(path: str | Path, scenario: Scenario) -> Goal:
    """Read a goal file (its fields at the top level) and check it against ``scenario``
    (ScenarioError naming the file, the field and its line otherwise)."""
    src = str(path)
    if not Path(path).is_file():
        raise ScenarioError(src, [], header=f"{src}: no such goal file")
    raw, tree = read_yaml(Path(path), src)
    chain: Chain = [(Path(path), tree)]
    try:
        goal = Goal.model_validate(raw)
    except ValidationError as exc:
        probs = []
        for err in exc.errors():
            p = readable_path(raw, tuple(err["loc"]))
            probs.append(Problem(p, explain(err, Goal), locate(chain, p)))
        n = len(probs)
        raise ScenarioError(
            src, probs, header=f"{src}: the goal file is not valid ({n} problem{'s' if n != 1 else ''})"
        ) from None
    try:
        check_goal(goal, scenario, src)
    except ScenarioError as exc:
        located = [Problem(p.path, p.message, locate(chain, p.path)) for p in exc.problems]
        raise ScenarioError(src, located, header=f"{src}: the goal does not fit the scenario") from None
    return goal
