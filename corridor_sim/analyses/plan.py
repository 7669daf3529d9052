"""The cheapest plan of candidate measures that reaches a planner's goal.

Given candidate measures (cost, earliest start, lead time, what each changes, any upkeep) and a
goal (``scenario.goals.Goal``: capacity in the year's mix, or tonnes delivered under a demand
case, by a year, with a confidence, optionally a transit-time goal on named flows), find the
cheapest set that meets it. The search (``analyses.search``) handles limits that must grow
together: greedy by gain per dollar, with pairs bought together where no single measure adds;
a bound (every candidate: if that does not reach the goal, nothing does, and the plan says what
stops it); and a best-first enumeration by cost that proves the cheapest set within
``max_evaluations`` (``proven`` says whether it did).

What the search screens on: capacity in the mix in the goal year (saturated runs, screening
replications). For a capacity goal that is the goal itself. For a delivered goal it is necessary
(the corridor cannot deliver more than it can carry in the year's mix) but not sufficient:
delivered tonnes are what comes, under the goal's demand case, up to capacity; where the case
brings less than the goal, capacity alone does not meet it, and the plan says so (``reason``).
Verification runs on fresh replications (other seeds): capacity in the mix, and for a delivered
or transit goal ordinary runs of the scenario's years to the goal year: delivered tonnes and the
transit days of the goal's flows. A transit goal not met by the capacity plan is then pursued by
adding the measures that save the most days per dollar (ordinary runs), while any saves days.

Timing: for a capacity goal each measure enters service on 1 January of the goal year (its
earliest date if later), the latest date that still counts for the goal: building later is
cheaper in present value. For a delivered goal each enters service at its earliest date: demand
answers time and tariffs with a lag (partial adjustment), and a corridor congested until the goal
year delivers less in it than its capacity (the shippers have gone elsewhere). A
measure with upkeep (maintenance dredging) pays it for its upkeep's years, then what it held is
lost (a second timeline entry). The frontier (``frontier``) runs the search for each goal year in
a range: the cost against the year the goal is reached.

``Plan`` writes and reads its folder: plan.json, steps.csv, rejected.csv, plan_capacity.csv,
with the scenario file it extends plan.yaml (a scenario with the plan's timeline), and with a
frontier frontier.csv.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from ..display import CompactRepr
from ..experiments.execution import Execution, session
from ..experiments.replications import replicate
from ..run import output
from ..run.results import Figures
from ..scenario.candidate_schema import Candidate
from ..scenario.goals import Goal
from ..scenario.problems import ScenarioError
from ..scenario.schema import Intervention, Scenario
from ..scenario.variants import for_years, with_entries
from ..scenario.whatif import overlapping
from ..stats import mean_ci
from .appraisal import MIN_GAIN_MT, present_value
from .capacity import demand_by_class, estimate_capacities, estimate_capacity
from .files import folder_meta, read_table, write_meta
from .search import cheapest

# Screening and verification seeds differ by this offset: verification runs on replications the
# search never saw (the plan is not chosen on the noise it is judged by).
VERIFY_SEED_OFFSET = 1_000_003
# The sets the search may simulate before it stops proving (each a capacity estimate of the goal
# year on the screening replications): beyond it the best found is the plan, marked not proven.
MAX_EVALUATIONS = 60
PAIR_POOL = 6  # pairs are tried among the six measures whose single gains came closest
GREEDY_MAX = 12  # with more candidates, the first plan is pruned from all of them (analyses.search)
STEP_COLUMNS = ("phase", "measures", "cost", "value", "met")


@dataclass(frozen=True, repr=False)  # the repr is display.CompactRepr's: tables by their size, in full in _repr_html_
class Plan(CompactRepr):
    """``plan``'s result: the measures chosen, each with its in-service date; its cost; its
    capacity in the goal year (screening and verification) and trajectory; the steps of the
    search and why every other candidate was rejected."""

    goal_mt: float
    by: int
    confidence: float
    budget_musd: float | None
    chosen: tuple[Intervention, ...]
    capex_musd: float
    pv_cost_musd: float
    reached: bool  # the goal met in the goal year in >= confidence of the verification replications
    share_at_goal: float  # verification
    capacity_mt: dict  # verification: mean, ci_low, ci_high in the goal year
    steps: pd.DataFrame  # one row per candidate per round: added capacity and per dollar
    rejected: pd.DataFrame  # candidate, reason
    trajectory: pd.DataFrame | None  # the plan's capacity trajectory (capacity.TRAJECTORY_COLUMNS)
    scenario: str
    seed: int
    replications: int
    simulated_years: int
    cpu_s: float
    wall_s: float
    scenario_name: str = ""
    demand_case: str = "central"
    # what the folder also holds when given (``dataclasses.replace``): the frontier's table
    # (``frontier``), and the files the plan was made from, for plan.yaml, a scenario file that
    # extends the scenario's with the plan's timeline
    frontier: pd.DataFrame | None = None
    scenario_file: str | None = None
    candidates_file: str | None = None
    goal: Goal | None = None  # the goal as set (None: a capacity goal of goal_mt by ``by``)
    delivered_mt: dict | None = None  # verification: delivered in the goal year (delivered or transit goals)
    transit_days: dict | None = None  # verification: the transit goal's days
    offered_trend_mt: float | None = None  # the demand case's trend (offered before any response) in the goal year, Mt
    reason: str = ""  # why the goal is not met (what stops it), or ""
    proven: bool = False  # whether the search proved no cheaper set meets the goal
    evaluations: int = 0  # sets the search simulated
    binding: str = ""  # what stops the plan's mix in the goal year
    goal_file: str | None = None
    accounting: dict | None = None  # what it cost (``execution.Tally.report``)

    def timeline(self) -> list[dict]:
        """The plan as timeline entries (YAML-ready)."""
        return [e.model_dump(mode="json", exclude_defaults=False) for e in self.chosen]

    def meta(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "goal": None if self.goal is None else self.goal.model_dump(mode="json"),
            "goal_kind": self.goal.kind if self.goal is not None else "capacity",
            "goal_text": self.goal.text() if self.goal is not None else f"{self.goal_mt:g} Mt/yr of capacity",
            "reason": self.reason,
            "proven_cheapest": self.proven,
            "evaluations": self.evaluations,
            "delivered_mt_in_goal_year": self.delivered_mt,
            "transit_days_in_goal_year": self.transit_days,
            "offered_trend_mt_in_goal_year": self.offered_trend_mt,
            "what_stops_the_mix": self.binding,
            "goal_mt_per_year": self.goal_mt,
            "by": self.by,
            "confidence": self.confidence,
            "budget_musd": self.budget_musd,
            "reached": self.reached,
            "share_of_replications_at_goal": self.share_at_goal,
            "capacity_mt_in_goal_year": self.capacity_mt,
            "capex_musd": self.capex_musd,
            "pv_cost_musd": self.pv_cost_musd,
            "measures": [
                {"id": e.id, "date": e.date.isoformat(), "capex_musd": e.capex_musd, "description": e.description}
                for e in self.chosen
            ],
            "seed": self.seed,
            "replications": self.replications,
            "simulated_years": self.simulated_years,
            "cpu_s": round(self.cpu_s, 2),
            "wall_s": round(self.wall_s, 2),
            "accounting": self.accounting or {},
        }

    def write(self, out: str | Path, overwrite: bool = False, figures: Figures | None = None) -> Path:
        """plan.json, steps.csv, rejected.csv and plan_capacity.csv, with ``scenario_file``
        plan.yaml, with a ``frontier`` frontier.csv (and with ``figures`` frontier.png), in
        ``out``, under the output contract."""
        meta = {
            **self.meta(),
            "label": self.scenario,
            "demand_case": self.demand_case,
            "candidates": None if self.candidates_file is None else str(self.candidates_file),
        }
        where = Path(out)

        def fill(tmp: Path) -> None:
            write_meta(tmp / "plan.json", meta)
            if self.scenario_file is not None:
                rel = os.path.relpath(Path(self.scenario_file).resolve(), where.resolve())
                how = (
                    f"--goal-file {self.goal_file}"
                    if self.goal_file
                    else f"--goal {self.goal_mt:g} --by {self.by}"
                    if self.goal is None or self.goal.kind == "capacity"
                    else f"--goal-delivered {self.goal_mt:g} --by {self.by}"
                )
                (tmp / "plan.yaml").write_text(
                    f"# corridor-sim plan {self.scenario_file} --candidates {self.candidates_file} {how}\n"
                    + plan_scenario_yaml(rel, self, f"{self.scenario_name}_plan_{self.by}")
                )
            self.steps.to_csv(tmp / "steps.csv", index=False)
            self.rejected.to_csv(tmp / "rejected.csv", index=False)
            if self.trajectory is not None:
                self.trajectory.to_csv(tmp / "plan_capacity.csv", index=False)
            if self.frontier is not None:
                self.frontier.to_csv(tmp / "frontier.csv", index=False)
            if figures is not None:
                figures(self, tmp)

        return output.write_folder(out, fill, kind="plan", overwrite=overwrite)

    @classmethod
    def read(cls, folder: str | Path) -> Plan:
        """A plan folder read back: its settings and outcome (plan.json), its search (steps.csv,
        rejected.csv), its trajectory and frontier where written, and its measures from plan.yaml
        where there is one (ResultsFolderError if plan.json or a table is damaged)."""
        folder = Path(folder)
        meta = output.read_json(folder / "plan.json", "plan")
        if not isinstance(meta, dict) or "goal_mt_per_year" not in meta:
            raise output.ResultsFolderError(f"{folder / 'plan.json'}: the plan is damaged (no 'goal_mt_per_year')")
        chosen: tuple[Intervention, ...] = ()
        if (folder / "plan.yaml").exists():
            doc = yaml.safe_load((folder / "plan.yaml").read_text()) or {}
            chosen = tuple(Intervention.model_validate(e) for e in doc.get("timeline") or [])
        traj = folder / "plan_capacity.csv"
        front = folder / "frontier.csv"
        return cls(
            goal_mt=float(meta["goal_mt_per_year"]),
            by=int(meta.get("by", 0)),
            confidence=float(meta.get("confidence", 0.0)),
            budget_musd=meta.get("budget_musd"),
            chosen=chosen,
            capex_musd=float(meta.get("capex_musd", 0.0)),
            pv_cost_musd=float(meta.get("pv_cost_musd", 0.0)),
            reached=bool(meta.get("reached", False)),
            share_at_goal=float(meta.get("share_of_replications_at_goal", 0.0)),
            capacity_mt=dict(meta.get("capacity_mt_in_goal_year") or {}),
            steps=read_table(folder, "steps.csv", "plan's steps", ("phase", "measures"), "plan"),
            rejected=pd.read_csv(folder / "rejected.csv") if (folder / "rejected.csv").exists() else pd.DataFrame(),
            trajectory=pd.read_csv(traj) if traj.exists() else None,
            scenario=str(meta.get("scenario", folder.name)),
            seed=int(meta.get("seed", 0)),
            replications=int(meta.get("replications", 0)),
            simulated_years=int(meta.get("simulated_years", 0)),
            cpu_s=float(meta.get("cpu_s", 0.0)),
            wall_s=float(meta.get("wall_s", 0.0)),
            demand_case=str(meta.get("demand_case", "central")),
            candidates_file=meta.get("candidates"),
            goal=Goal.model_validate(meta["goal"]) if isinstance(meta.get("goal"), dict) else None,
            delivered_mt=meta.get("delivered_mt_in_goal_year"),
            transit_days=meta.get("transit_days_in_goal_year"),
            # "demand_mt_in_goal_year": its name before the demand terms (docs/kpis.md)
            offered_trend_mt=meta.get("offered_trend_mt_in_goal_year", meta.get("demand_mt_in_goal_year")),
            reason=str(meta.get("reason") or ""),
            proven=bool(meta.get("proven_cheapest", False)),
            evaluations=int(meta.get("evaluations") or 0),
            binding=str(meta.get("what_stops_the_mix") or ""),
            accounting=dict(meta.get("accounting") or {}),
            frontier=read_table(folder, "frontier.csv", "plan frontier", FRONTIER_COLUMNS, "plan")
            if front.exists()
            else None,
        )

    def with_frontier(self, table: pd.DataFrame) -> Plan:
        """This plan with a frontier's table to write beside it (``frontier``)."""
        return replace(self, frontier=table)


def read_frontier(folder: str | Path) -> tuple[pd.DataFrame, float | None, str]:
    """The frontier of a plan folder (frontier.csv, FRONTIER_COLUMNS), with its goal (None if no
    settings say) and the scenario's label from plan.json (the folder's name without it);
    ResultsFolderError if frontier.csv is missing or damaged."""
    table = read_table(folder, "frontier.csv", "plan frontier", FRONTIER_COLUMNS, "plan")
    meta = folder_meta(folder, "goal_mt_per_year")
    goal = meta.get("goal_mt_per_year")
    return table, None if goal is None else float(goal), str(meta.get("scenario", Path(folder).name))


def service_date(c: Candidate, by: int) -> dt.date:
    """When a chosen candidate enters service for a goal in year ``by``: 1 January of ``by``, or
    its earliest service date if that is later (then it cannot count for the goal)."""
    return max(dt.date(by, 1, 1), c.earliest_service)


def _refuse_clashes(scenario: Scenario, candidates: Sequence[Candidate], by: int) -> None:
    """A what-if holds for the whole run (``scenario.whatif``); a candidate is a timeline entry
    added at its service date, after the what-if was applied, so one that sets a field the scenario
    was loaded with a --set of would overwrite it there. Refused, naming both, rather than silent."""
    for c in candidates:
        clash = overlapping(scenario.overrides, [*c.set, *c.scale])
        if clash:
            w, p = clash[0]
            raise ScenarioError(
                "--candidates",
                [],
                header=(
                    f"--set {w}={scenario.overrides[w]} cannot hold for the whole plan: the candidate '{c.id}' "
                    f"(a timeline entry dated {service_date(c, by)} when chosen) changes {p}, and would overwrite the "
                    "what-if at its date. Leave out the --set, or leave the candidate out of (or change its value in) "
                    "a candidates file of your own."
                ),
            )


def _pv_cost(
    chosen: Iterable[tuple[Candidate, list[Intervention]]], rate: float, base_year: int, years_n: int
) -> float:
    """Present value of the plan's costs: each measure's capex in its service year and its running
    costs for its upkeep's years (or the appraisal's)."""
    flows: dict[int, float] = {}
    for c, entries in chosen:
        y0 = entries[0].date.year
        flows[y0] = flows.get(y0, 0.0) + c.capex_musd
        for y in range(y0, y0 + c.opex_years(years_n)):
            flows[y] = flows.get(y, 0.0) + c.opex_musd_per_year
    return present_value(flows, rate, base_year)


class _Screen:
    """Capacity in the mix of the scenario with a set of candidates in the goal year, per
    replication (screening seeds), with the year's "all" row (what stops the mix); memoized by
    ``search.cheapest``."""

    def __init__(self, s: Scenario, by: int, replications: int, seed: int, ex: Execution, entries):
        self.s, self.by, self.n, self.seed, self.ex, self.entries = s, by, replications, seed, ex, entries
        self.rows: dict[frozenset, dict] = {}
        self.values: dict[frozenset, tuple[float, ...]] = {}
        self.simulated_years = 0

    def __call__(self, ids: frozenset) -> tuple[float, ...]:
        return self.many([ids])[0]

    def many(self, sets: list[frozenset]) -> list[tuple[float, ...]]:
        """Several sets at once: their replications in one batch (one wave)."""
        scenarios = [
            with_entries(self.s, [e for i in sorted(ids) for e in self.entries[i]], name=self.s.name) for ids in sets
        ]
        ests = estimate_capacities(scenarios, self.by, self.n, self.seed, by_cargo=False, execution=self.ex)
        for ids, est in zip(sets, ests):
            self.simulated_years += est.simulated_years
            self.rows[ids] = est.trajectory.iloc[0].to_dict()
            self.values[ids] = tuple(est.per_replication[self.by])
        return [self.values[ids] for ids in sets]


def _share_at(values: Sequence[float], goal: float) -> float:
    return float(np.mean([v >= goal for v in values])) if len(values) else 0.0


def _screen_out(candidates: Sequence[Candidate], by: int, budget_musd: float | None) -> dict[str, str]:
    """Why a candidate cannot count: not in service by the goal year, or over the budget alone."""
    reasons = {}
    for c in candidates:
        if c.earliest_service > dt.date(by, 1, 1):
            reasons[c.id] = f"not in service by 1 January {by} (earliest {c.earliest_service.isoformat()})"
        elif budget_musd is not None and c.capex_musd > budget_musd:
            reasons[c.id] = f"costs US${c.capex_musd:,.0f} m, over the budget of US${budget_musd:,.0f} m"
    return reasons


def _runs(s: Scenario, goal: Goal, n: int, seed: int, ex: Execution) -> tuple[list[float], list[float] | None, int]:
    """Ordinary runs of ``s`` to the goal year: per replication the corridor's tonnes delivered in
    it (Mt) and, with a transit goal, the tonne-weighted days of its flows; simulated years."""
    first = s.start_year
    runs = replicate(for_years(s, first, goal.by), n, seed, execution=ex)
    delivered = [float(r.delivered_mt().get(goal.by, 0.0)) for r in runs]
    days = None
    if goal.transit is not None:
        col = "transit_days_mean" if goal.transit.statistic == "mean" else "transit_days_p95"
        days = []
        for r in runs:
            a = r.annual[(r.annual.year == goal.by) & r.annual.flow.isin(goal.transit.flows)]
            a = a[a.tons_delivered > 0]
            w = a.tons_delivered.sum()
            days.append(float((a[col] * a.tons_delivered).sum() / w) if w > 0 else float("inf"))
    return delivered, days, n * (goal.by - first + 1)


def _stops(row: dict | None) -> str:
    """What stops the mix, from a capacity row: the class and its binding resource."""
    if not row:
        return "the capacity estimate names no binding resource"
    who = row.get("binding_label") or row.get("binding") or "an unnamed resource"
    return f"{row.get('binding_class') or 'the mix'} stops at {who}"


def _goal_of(scenario: Scenario, goal: Goal | None, goal_mt: float | None, by: int | None, confidence: float) -> Goal:
    if goal is not None:
        if goal.demand_case != scenario.demand_case:
            raise ValueError(
                f"the goal is under the '{goal.demand_case}' demand case, the scenario was loaded with "
                f"'{scenario.demand_case}': load it with the goal's case"
            )
        return goal
    if goal_mt is None or by is None:
        raise ValueError("give a goal, or goal_mt and by")
    return Goal(
        description=f"{goal_mt:g} Mt/yr of capacity in the year's mix by {by}",
        source="the planner's options",
        by=by,
        capacity_mt_per_year=goal_mt,
        demand_case=scenario.demand_case,
        confidence=confidence,
    )


def plan(
    scenario: Scenario,
    candidates: Sequence[Candidate],
    goal_mt: float | None = None,
    by: int | None = None,
    budget_musd: float | None = None,
    confidence: float = 0.8,
    replications: int = 5,
    seed: int = 1,
    screening_replications: int | None = None,
    trajectory: bool = True,
    discount_rate_pct: float | None = None,
    execution: Execution | None = None,
    goal: Goal | None = None,
    max_evaluations: int = MAX_EVALUATIONS,
    **options,
) -> Plan:
    """The cheapest set of ``candidates`` (and their timing) that meets ``goal`` (or, without one,
    capacity in the year's mix >= ``goal_mt`` in year ``by`` in at least ``confidence`` of the
    replications); module docstring."""
    with session(Execution.of(execution, **options)) as ex:
        return _plan(
            scenario,
            candidates,
            goal_mt,
            by,
            budget_musd,
            confidence,
            replications,
            seed,
            screening_replications,
            trajectory,
            discount_rate_pct,
            ex,
            goal,
            max_evaluations,
        )


def _plan(
    scenario: Scenario,
    candidates: Sequence[Candidate],
    goal_mt: float | None,
    by: int | None,
    budget_musd: float | None,
    confidence: float,
    replications: int,
    seed: int,
    screening_replications: int | None,
    trajectory: bool,
    discount_rate_pct: float | None,
    ex: Execution,
    goal: Goal | None,
    max_evaluations: int,
) -> Plan:
    g = _goal_of(scenario, goal, goal_mt, by, confidence)
    by = g.by
    if not scenario.start_year <= by <= scenario.end_year:
        raise ValueError(f"--by {by} is outside the scenario's years {scenario.start_year}-{scenario.end_year}")
    if not 0 < g.confidence <= 1:
        raise ValueError(f"confidence must be in (0, 1], got {g.confidence}")
    if replications < 2:
        raise ValueError(f"a plan needs at least 2 replications, got {replications}")
    _refuse_clashes(scenario, candidates, by)
    costs = scenario.costs
    rate = discount_rate_pct if discount_rate_pct is not None else (costs.discount_rate_pct if costs else 6.0)
    years_n = costs.appraisal_years if costs else 25
    by_id = {c.id: c for c in candidates}
    when = (
        service_date
        if g.kind == "capacity"
        else lambda c, y: max(c.earliest_service, dt.date(scenario.start_year, 1, 1))
    )
    entries = {c.id: c.entries(when(c, by)) for c in candidates}
    reasons = _screen_out(candidates, by, budget_musd)
    open_ids = [c.id for c in candidates if c.id not in reasons]
    cost = {c.id: c.capex_musd for c in candidates}
    screen = _Screen(scenario, by, screening_replications or replications, seed, ex, entries)
    met = lambda v: _share_at(v, g.mt) >= g.confidence
    found = cheapest(
        open_ids,
        cost,
        screen,
        met,
        gain=lambda v: float(np.mean(v)),
        max_evaluations=max_evaluations,
        min_gain=MIN_GAIN_MT,
        pair_pool=PAIR_POOL,
        greedy_max=GREEDY_MAX,
        evaluate_many=screen.many,
    )
    chosen = list(found.chosen)
    vseed = seed + VERIFY_SEED_OFFSET
    sim_years = screen.simulated_years
    why_not = ""
    if not found.reachable:
        row = screen.rows.get(frozenset(open_ids))
        why_not = (
            f"no plan from these candidates reaches {g.mt:g} Mt/yr of capacity in the mix in {by}: with every "
            f"candidate in service it is {np.mean(screen(frozenset(open_ids))):.2f} Mt/yr; {_stops(row)}"
        )
        demand = sum(demand_by_class(scenario, by).values()) / 1e6
        if g.kind == "delivered" and demand < g.mt:
            why_not = (
                f"demand short: the {g.demand_case} case brings {demand:.2f} Mt in {by} (its trend), less than "
                f"{g.mt:g}, so no capacity delivers it; and {why_not}"
            )
    transit_steps: list[dict] = []
    # with no transit goal the plan is final here: its trajectory goes with its verification
    ver = _verify(scenario, g, chosen, entries, replications, vseed, ex, trajectory and g.transit is None)
    sim_years += ver["simulated_years"]
    if g.transit is not None and found.reachable and not ver["transit_met"]:
        chosen, ver, more = _add_for_transit(
            scenario,
            g,
            chosen,
            [i for i in open_ids if i not in chosen],
            entries,
            cost,
            replications,
            screening_replications or replications,
            seed,
            vseed,
            ex,
            transit_steps,
            max_evaluations,
        )
        sim_years += more
    plan_entries = tuple(e for i in chosen for e in entries[i])
    for cid in open_ids:
        if cid not in chosen and cid not in reasons:
            reasons[cid] = _why_not(cid, found, cost, screen.values)
    capex = float(sum(cost[i] for i in chosen))
    if budget_musd is not None and capex > budget_musd:
        why_not = (
            why_not or f"the cheapest plan found costs US${capex:,.0f} m, over the budget of US${budget_musd:,.0f} m"
        )
    reached, why = _verdict(scenario, g, ver, found, budget_musd, capex)
    traj = ver["trajectory"].trajectory if ver.get("trajectory") is not None else None
    if trajectory and traj is None:
        planned = with_entries(scenario, plan_entries, name=scenario.name)
        est = estimate_capacity(planned, None, replications, vseed, by_cargo=False, execution=ex)
        traj = est.trajectory
        sim_years += est.simulated_years
    steps = pd.DataFrame(found.steps + transit_steps, columns=list(STEP_COLUMNS))
    assert ex.tally is not None, "plan opens a session"
    acct = ex.tally.report()
    return Plan(
        goal_mt=g.mt,
        by=by,
        confidence=g.confidence,
        budget_musd=budget_musd,
        chosen=plan_entries,
        capex_musd=capex,
        pv_cost_musd=_pv_cost([(by_id[i], entries[i]) for i in chosen], rate, scenario.start_year, years_n),
        reached=reached,
        share_at_goal=ver["share_at_goal"],
        capacity_mt=ver["capacity"],
        steps=steps,
        rejected=pd.DataFrame(
            [{"candidate": c.id, "reason": reasons[c.id]} for c in candidates if c.id in reasons],
            columns=["candidate", "reason"],
        ),
        trajectory=traj,
        scenario=scenario.label,
        seed=seed,
        replications=replications,
        simulated_years=sim_years,
        cpu_s=acct["cpu_s_total"],
        wall_s=acct["wall_s"],
        accounting=acct,
        scenario_name=scenario.name,
        demand_case=scenario.demand_case,
        goal=g,
        delivered_mt=ver.get("delivered"),
        transit_days=ver.get("transit"),
        offered_trend_mt=sum(demand_by_class(scenario, by).values()) / 1e6,
        reason=why_not or why,
        proven=found.proven,
        evaluations=found.evaluations,
        binding=ver.get("stops", ""),
    )


def _verify(scenario, g: Goal, chosen, entries, n: int, vseed: int, ex, trajectory: bool = False) -> dict:
    """The plan on fresh replications: capacity in the mix in the goal year, and for a delivered or
    transit goal ordinary runs (delivered Mt, transit days). With ``trajectory``, also the plan's
    capacity in every year of the scenario (``out["trajectory"]``), in the same wave as the goal
    year's: the two do not depend on each other."""
    planned = with_entries(scenario, [e for i in chosen for e in entries[i]], name=scenario.name)
    if trajectory:
        est, whole = estimate_capacities(
            [planned, planned], None, n, vseed, by_cargo=False, execution=ex, years_each=[g.by, None]
        )
    else:
        est, whole = estimate_capacity(planned, g.by, n, vseed, by_cargo=False, execution=ex), None
    cap = est.per_replication[g.by]
    st = mean_ci(cap)
    out: dict[str, Any] = {
        "capacity": {"mean": st["mean"], "ci_low": st["ci_low"], "ci_high": st["ci_high"]},
        "capacity_values": cap,
        "stops": _stops(est.trajectory.iloc[0].to_dict()),
        "simulated_years": est.simulated_years + (whole.simulated_years if whole is not None else 0),
        "transit_met": True,
        "trajectory": whole,
    }
    if g.kind == "capacity" and g.transit is None:
        out["share_at_goal"] = _share_at(cap, g.mt)
        return out
    delivered, days, sim = _runs(planned, g, n, vseed, ex)
    out["simulated_years"] += sim
    d = mean_ci(delivered)
    out["delivered"] = {"mean": d["mean"], "ci_low": d["ci_low"], "ci_high": d["ci_high"]}
    out["share_at_goal"] = _share_at(cap if g.kind == "capacity" else delivered, g.mt)
    if days is not None and g.transit is not None:
        t = mean_ci(days)
        out["transit"] = {"mean": t["mean"], "ci_low": t["ci_low"], "ci_high": t["ci_high"]}
        out["transit_met"] = float(np.mean([x <= g.transit.max_days for x in days])) >= g.confidence
    return out


def _add_for_transit(scenario, g, chosen, rest, entries, cost, n, n_screen, seed, vseed, ex, steps, budget):
    """Add, round by round, the measure that saves the most transit days per dollar on the goal's
    flows (ordinary runs, screening seeds) until the transit goal is met or none saves a day's
    hundredth; then verify."""
    more = 0

    def days_of(ids) -> float:
        nonlocal more
        s = with_entries(scenario, [e for i in ids for e in entries[i]], name=scenario.name)
        _, days, sim = _runs(s, g, n_screen, seed, ex)
        more += sim
        return float(np.mean(days or [float("inf")]))

    now = days_of(chosen)
    ver = None
    while rest and len(steps) < budget:
        best, best_ratio, best_days = None, 0.0, now
        for i in rest:
            d = days_of([*chosen, i])
            steps.append(
                {"phase": "transit", "measures": " + ".join([*chosen, i]), "cost": cost[i], "value": d, "met": None}
            )
            ratio = (now - d) / max(cost[i], 1e-9)
            if now - d > 0.01 and ratio > best_ratio:
                best, best_ratio, best_days = i, ratio, d
        if best is None:
            break
        chosen, now = [*chosen, best], best_days
        rest = [i for i in rest if i != best]
        ver = _verify(scenario, g, chosen, entries, n, vseed, ex)
        more += ver["simulated_years"]
        if ver["transit_met"]:
            break
    return chosen, ver or _verify(scenario, g, chosen, entries, n, vseed, ex), more


def _why_not(cid: str, found, cost: dict[str, float], values: dict) -> str:
    """Why a candidate the search could use is not in the plan."""
    if not found.reachable:
        return "no plan from these candidates reaches the goal (plan.json's reason says what stops it)"
    alone, none = values.get(frozenset([cid])), values.get(frozenset())
    if alone is not None and none is not None and float(np.mean(alone)) - float(np.mean(none)) <= MIN_GAIN_MT:
        return (
            f"adds {float(np.mean(alone)) - float(np.mean(none)):+.2f} Mt/yr alone: the binding resource is elsewhere "
            "(it may still count bought with another, where two limits bind together)"
        )
    proof = "proven by enumeration" if found.proven else f"best found in {found.evaluations} evaluations, not proven"
    return (
        f"a cheaper set reaches the goal's capacity in the mix without it (US${found.cost:,.0f} m for the plan; {proof}); "
        f"alone it costs US${cost[cid]:,.0f} m"
    )


def _verdict(scenario, g: Goal, ver: dict, found, budget_musd, capex) -> tuple[bool, str]:
    """Whether the plan meets the goal on the verification replications, and if not, why."""
    if budget_musd is not None and capex > budget_musd:
        return False, f"over the budget: US${capex:,.0f} m against US${budget_musd:,.0f} m"
    ok = ver["share_at_goal"] >= g.confidence
    reasons = []
    if not ok and g.kind == "capacity":
        reasons.append(
            f"capacity in the mix {ver['capacity']['mean']:.2f} Mt/yr meets {g.mt:g} in {ver['share_at_goal']:.0%} of the "
            f"replications; {ver['stops']}"
        )
    if not ok and g.kind == "delivered":
        demand = sum(demand_by_class(scenario, g.by).values()) / 1e6
        dl = ver["delivered"]["mean"]
        if demand < g.mt:
            reasons.append(
                f"demand short: the {g.demand_case} case brings {demand:.2f} Mt in {g.by} (its trend, before its "
                f"response to tariffs and time) and {dl:.2f} Mt is delivered; capacity alone "
                f"({ver['capacity']['mean']:.2f} Mt/yr in the mix) does not deliver {g.mt:g} Mt"
            )
        else:
            reasons.append(
                f"delivered {dl:.2f} Mt in {g.by} against {g.mt:g} (demand {demand:.2f} Mt); capacity in the mix "
                f"{ver['capacity']['mean']:.2f} Mt/yr; {ver['stops']}"
            )
    if not ver["transit_met"] and g.transit is not None:
        t = ver.get("transit") or {}
        reasons.append(
            f"transit: {g.transit.statistic} days of {', '.join(g.transit.flows)} in {g.by} are "
            f"{t.get('mean', float('nan')):.1f} against at most {g.transit.max_days:g}, with every measure that saves days"
        )
    return ok and ver["transit_met"] and found.reachable, "; ".join(reasons)


FRONTIER_COLUMNS = (
    "by",
    "reached",
    "capex_musd",
    "pv_cost_musd",
    "capacity_mt",
    "capacity_mt_ci_low",
    "capacity_mt_ci_high",
    "share_at_goal",
    "measures",
)


def frontier(
    scenario: Scenario, candidates: Sequence[Candidate], goal_mt: float, years: Iterable[int], **kwargs
) -> tuple[pd.DataFrame, dict[int, Plan]]:
    """The cheapest plan for each goal year in ``years``: cost against the year the goal is reached."""
    plans = {y: plan(scenario, candidates, goal_mt, y, trajectory=False, **kwargs) for y in years}
    rows = [
        {
            "by": y,
            "reached": p.reached,
            "capex_musd": p.capex_musd,
            "pv_cost_musd": p.pv_cost_musd,
            "capacity_mt": p.capacity_mt["mean"],
            "capacity_mt_ci_low": p.capacity_mt["ci_low"],
            "capacity_mt_ci_high": p.capacity_mt["ci_high"],
            "share_at_goal": p.share_at_goal,
            "measures": ", ".join(f"{e.id} ({e.date.isoformat()})" for e in p.chosen),
        }
        for y, p in plans.items()
    ]
    return pd.DataFrame(rows, columns=list(FRONTIER_COLUMNS)), plans


def plan_scenario_yaml(scenario_file: str, p: Plan, name: str) -> str:
    """A scenario file that extends ``scenario_file`` with the plan's timeline."""
    doc = {
        "extends": scenario_file,
        "name": name,
        "description": (
            f"{p.scenario} with the cheapest plan found for {p.goal_mt:g} Mt/yr of capacity by {p.by} "
            f"(US${p.capex_musd:,.0f} m capex; corridor-sim plan)"
        ),
        "timeline": p.timeline(),
    }
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)
