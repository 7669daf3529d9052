"""The cheapest plan of candidate measures that reaches a capacity goal.

Given candidate measures (cost, earliest start, lead time, what each changes),
a goal in Mt/yr of capacity and a year, find the cheapest set that gives capacity >= goal in that
year in at least ``confidence`` of the replications, within a budget. The search:

1. Greedy by marginal capacity per dollar: from the scenario, each round estimates the goal year's
   capacity with each remaining candidate added (in service on 1 January of the goal year, or on
   its earliest date if later: a candidate not in service by then cannot count) and takes the
   one with the most added capacity per US$ of capex; until the goal is met (screening
   replications) or nothing adds capacity or the budget is spent. This is the bottleneck ranking
   of ``corridor-sim bottlenecks`` restricted to buildable, costed measures and divided by cost.
2. Pruning: each chosen measure, most expensive first, is dropped if the goal is met without it
   (greedy can pick a measure that a later one made redundant).
3. Verification on fresh replications (other seeds): the plan's capacity in the goal year, the
   share of replications at or above the goal, and its trajectory over every year with its CI.

Timing: each measure enters service on 1 January of the goal year (its earliest date if later),
the latest date that still counts for the goal: building later is cheaper in present value.
The frontier (``frontier``) runs the search for each goal year in a range: the cost against the
year the goal is reached. Limits: greedy finds the optimum when measures act on separate
bottlenecks or one binding resource at a time; where two resources bind together (neither alone
adds capacity) it stops, and says so in the rejected candidates' reasons.

``Plan`` writes and reads its folder: plan.json, steps.csv, rejected.csv, plan_capacity.csv,
with the scenario file it extends plan.yaml (a scenario with the plan's timeline), and with a
frontier frontier.csv.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from ..display import CompactRepr
from ..experiments.execution import Execution
from ..run import output
from ..run.results import Figures
from ..scenario.problems import ScenarioError
from ..scenario.schema import Candidate, Intervention, Scenario
from ..scenario.variants import with_entries
from ..scenario.whatif import overlapping
from ..stats import mean_ci
from .appraisal import MIN_GAIN_MT, present_value
from .capacity import estimate_capacity
from .files import folder_meta, read_table, write_meta

# Screening and verification seeds differ by this offset: verification runs on replications the
# search never saw (the plan is not chosen on the noise it is judged by).
VERIFY_SEED_OFFSET = 1_000_003


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

    def timeline(self) -> list[dict]:
        """The plan as timeline entries (YAML-ready)."""
        return [e.model_dump(mode="json", exclude_defaults=False) for e in self.chosen]

    def meta(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
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
                (tmp / "plan.yaml").write_text(
                    f"# corridor-sim plan {self.scenario_file} --candidates {self.candidates_file} "
                    f"--goal {self.goal_mt:g} --by {self.by}\n"
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
            steps=read_table(folder, "steps.csv", "plan's steps", ("candidate",), "plan"),
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


def _pv_cost(entries: Iterable[Intervention], rate: float, base_year: int, years_n: int) -> float:
    flows: dict[int, float] = {}
    for e in entries:
        flows[e.date.year] = flows.get(e.date.year, 0.0) + (e.capex_musd or 0.0)
        for y in range(e.date.year, e.date.year + years_n):
            flows[y] = flows.get(y, 0.0) + e.opex_musd_per_year
    return present_value(flows, rate, base_year)


class _Capacity:
    """Capacity of the scenario with a set of candidates in one year, per replication; memoized
    by the set (the search asks for the same sets again when it prunes)."""

    def __init__(self, s: Scenario, by: int, replications: int, seed: int, ex: Execution):
        self.s, self.by, self.n, self.seed, self.ex = s, by, replications, seed, ex
        self.memo: dict[frozenset, list[float]] = {}
        self.simulated_years = 0

    def __call__(self, entries: Sequence[Intervention]) -> list[float]:
        key = frozenset((e.id, e.date) for e in entries)
        if key not in self.memo:
            s = with_entries(self.s, entries, name=self.s.name)
            est = estimate_capacity(s, self.by, self.n, self.seed, by_cargo=False, execution=self.ex)
            self.memo[key] = est.per_replication[self.by]
            self.simulated_years += est.simulated_years
        return self.memo[key]


def _share_at(values: list[float], goal: float) -> float:
    return float(np.mean([v >= goal for v in values])) if values else 0.0


@dataclass
class _Search:
    """The greedy search for the cheapest plan (module docstring): the capacity of a set of
    candidates in the goal year, their entries and costs, the goal, and what it found."""

    cap: _Capacity
    entry: dict[str, Intervention]
    cost: dict[str, float]
    goal_mt: float
    confidence: float
    budget_musd: float | None
    by: int
    chosen: list[str] = field(default_factory=list)
    steps: list[dict] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)

    def met(self, values: list[float]) -> bool:
        return _share_at(values, self.goal_mt) >= self.confidence

    def screen(self, candidates: Sequence[Candidate]) -> list[str]:
        """The candidates that may count: in service by the goal year and within the budget."""
        for c in candidates:
            if c.earliest_service > dt.date(self.by, 1, 1):
                self.reasons[c.id] = (
                    f"not in service by 1 January {self.by} (earliest {c.earliest_service.isoformat()})"
                )
            elif self.budget_musd is not None and c.capex_musd > self.budget_musd:
                self.reasons[c.id] = f"costs US${c.capex_musd:,.0f} m, over the budget of US${self.budget_musd:,.0f} m"
        return [c.id for c in candidates if c.id not in self.reasons]

    def greedy(self, open_ids: list[str]) -> list[float]:
        """Add, round by round, the candidate with the most capacity per dollar until the goal is
        met or nothing adds capacity; the capacity reached, per replication."""
        now = self.cap([])
        rnd = 0
        while not self.met(now):
            rnd += 1
            best, vals = self._round(rnd, open_ids, now)
            if best is None:
                break
            self.chosen.append(best)
            now = vals
        return now

    def _round(self, rnd: int, open_ids: list[str], now: list[float]) -> tuple[str | None, list[float]]:
        spent = sum(self.cost[i] for i in self.chosen)
        best, best_ratio, best_vals = None, 0.0, now
        for cid in open_ids:
            if cid in self.chosen:
                continue
            if self.budget_musd is not None and spent + self.cost[cid] > self.budget_musd:
                self.steps.append(
                    {"round": rnd, "candidate": cid, "added_mt": None, "mt_per_busd": None, "note": "over budget"}
                )
                continue
            vals = self.cap([self.entry[i] for i in [*self.chosen, cid]])
            gain = float(np.mean(vals) - np.mean(now))
            ratio = gain / max(self.cost[cid], 1e-9) * 1000.0  # Mt/yr per US$ bn
            self.steps.append({"round": rnd, "candidate": cid, "added_mt": gain, "mt_per_busd": ratio, "note": ""})
            if gain > MIN_GAIN_MT and ratio > best_ratio:
                best, best_ratio, best_vals = cid, ratio, vals
        return best, best_vals

    def prune(self, now: list[float]) -> list[float]:
        """Drop what the goal does not need, most expensive first (greedy may pick a measure a
        later one made redundant)."""
        for cid in sorted(self.chosen, key=lambda i: -self.cost[i]):
            rest = [i for i in self.chosen if i != cid]
            vals = self.cap([self.entry[i] for i in rest])
            if self.met(vals):
                self.chosen = rest
                now = vals
                self.reasons[cid] = "dropped when pruning: the goal is met without it"
        return now

    def why_not(self, cid: str, met: bool) -> str:
        """Why a candidate the search tried is not in the plan."""
        tried = [s_ for s_ in self.steps if s_["candidate"] == cid and s_["added_mt"] is not None]
        if not tried:
            return "over the budget left after the measures chosen"
        last = tried[-1]
        gain = float(last["added_mt"])
        if gain <= MIN_GAIN_MT:
            return (
                f"adds {last['added_mt']:+.2f} Mt/yr in {self.by} with the measures chosen before it: "
                "the binding resource is elsewhere"
            )
        if met:
            return (
                f"adds {last['added_mt']:+.2f} Mt/yr for US${self.cost[cid]:,.0f} m "
                f"({last['mt_per_busd']:.2f} Mt/yr per US$ bn): less per dollar than the measures chosen, "
                "and the goal is met without it"
            )
        return f"adds {last['added_mt']:+.2f} Mt/yr; not enough with the others to reach the goal"


def plan(
    scenario: Scenario,
    candidates: Sequence[Candidate],
    goal_mt: float,
    by: int,
    budget_musd: float | None = None,
    confidence: float = 0.8,
    replications: int = 5,
    seed: int = 1,
    screening_replications: int | None = None,
    trajectory: bool = True,
    discount_rate_pct: float | None = None,
    execution: Execution | None = None,
    **options,
) -> Plan:
    """The cheapest set of ``candidates`` (and their timing) that gives the scenario capacity >=
    ``goal_mt`` in year ``by`` in at least ``confidence`` of the replications (module docstring)."""
    ex = Execution.of(execution, **options)
    if not scenario.start_year <= by <= scenario.end_year:
        raise ValueError(f"--by {by} is outside the scenario's years {scenario.start_year}-{scenario.end_year}")
    if not 0 < confidence <= 1:
        raise ValueError(f"confidence must be in (0, 1], got {confidence}")
    if replications < 2:
        raise ValueError(f"a plan needs at least 2 replications, got {replications}")
    _refuse_clashes(scenario, candidates, by)
    costs = scenario.costs
    rate = discount_rate_pct if discount_rate_pct is not None else (costs.discount_rate_pct if costs else 6.0)
    years_n = costs.appraisal_years if costs else 25
    t0, cpu0 = time.perf_counter(), time.process_time()
    search = _Search(
        _Capacity(scenario, by, screening_replications or replications, seed, ex),
        {c.id: c.entry(service_date(c, by)) for c in candidates},
        {c.id: c.capex_musd for c in candidates},
        goal_mt,
        confidence,
        budget_musd,
        by,
    )
    open_ids = search.screen(candidates)
    now = search.greedy(open_ids)
    met = search.met(now)
    if met:
        search.prune(now)
    for cid in open_ids:
        if cid not in search.chosen and cid not in search.reasons:
            search.reasons[cid] = search.why_not(cid, met)
    plan_entries = tuple(search.entry[i] for i in search.chosen)
    # verification on replications the search did not see
    vseed = seed + VERIFY_SEED_OFFSET
    planned = with_entries(scenario, plan_entries, name=scenario.name)
    ver = estimate_capacity(planned, by, replications, vseed, by_cargo=False, execution=ex)
    vals = ver.per_replication[by]
    st = mean_ci(vals)
    sim_years = search.cap.simulated_years + ver.simulated_years
    traj = None
    if trajectory:
        est = estimate_capacity(planned, None, replications, vseed, by_cargo=False, execution=ex)
        traj = est.trajectory
        sim_years += est.simulated_years
    share = _share_at(vals, goal_mt)
    return Plan(
        goal_mt=goal_mt,
        by=by,
        confidence=confidence,
        budget_musd=budget_musd,
        chosen=plan_entries,
        capex_musd=float(sum(search.cost[i] for i in search.chosen)),
        pv_cost_musd=_pv_cost(plan_entries, rate, scenario.start_year, years_n),
        reached=met and share >= confidence,
        share_at_goal=share,
        capacity_mt={"mean": st["mean"], "ci_low": st["ci_low"], "ci_high": st["ci_high"]},
        steps=pd.DataFrame(search.steps, columns=["round", "candidate", "added_mt", "mt_per_busd", "note"]),
        rejected=pd.DataFrame(
            [{"candidate": c.id, "reason": search.reasons[c.id]} for c in candidates if c.id in search.reasons],
            columns=["candidate", "reason"],
        ),
        trajectory=traj,
        scenario=scenario.label,
        seed=seed,
        replications=replications,
        simulated_years=sim_years,
        cpu_s=time.process_time() - cpu0,
        wall_s=time.perf_counter() - t0,
        scenario_name=scenario.name,
        demand_case=scenario.demand_case,
    )


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
