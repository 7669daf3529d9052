"""The bottleneck ranking: what to build first.

Each capacity-bearing resource is raised one step in one year (+25% train paths, yard or handling
rate; +1 berth, track, transshipment line or vessel of each group) and the change in delivered
tonnes is measured against the unchanged scenario on common random numbers (paired differences,
95% CI). The scenario is first fixed as it stands in that year with demand at its trend
(``scenario.variants.for_capacity``), so a lever's effect is capacity, not a demand response.
Levers on resources the baseline shows nearly idle are screened out before they run.
``Ranking`` writes and reads its folder (bottlenecks.csv).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..display import CompactRepr
from ..experiments.execution import Execution, Task, preflight, replication_seed, session, succeeded, task
from ..run import output
from ..run.results import Figures
from ..run.simulate import run
from ..scenario.labels import group_label, line_label, link_label, place
from ..scenario.problems import ScenarioError
from ..scenario.schema import Scenario
from ..scenario.timeline import timeline
from ..scenario.variants import for_capacity, with_changes
from ..stats import mean_ci
from .files import folder_meta, read_table, write_meta

RANKING_COLUMNS = ("year", "label", "kind", "delta_kt_mean", "delta_kt_ci_low", "delta_kt_ci_high")


@dataclass(frozen=True, repr=False)  # the repr is display.CompactRepr's: tables by their size, in full in _repr_html_
class Ranking(CompactRepr):
    """``bottlenecks``'s result: one row per lever (``table``: the scenario, the lever, its kind
    and label, the year, the replications, the change in delivered kt with its 95% CI, the
    baseline's Mt, and why it was skipped if it was), those that ran first, best first."""

    table: pd.DataFrame
    accounting: dict = field(default_factory=dict)  # what it cost (``execution.Tally.report``)

    @property
    def scenario(self) -> str:
        return str(self.table.scenario.iloc[0]) if "scenario" in self.table else "not recorded"

    def write(self, out: str | Path, overwrite: bool = False, figures: Figures | None = None) -> Path:
        """bottlenecks.csv, bottlenecks.json (what it cost) and with ``figures`` bottlenecks.png in
        ``out``, under the output contract."""

        def fill(tmp: Path) -> None:
            self.table.to_csv(tmp / "bottlenecks.csv", index=False)
            write_meta(tmp / "bottlenecks.json", {"scenario": self.scenario, "accounting": self.accounting})
            if figures is not None:
                figures(self, tmp)

        return output.write_folder(out, fill, kind="bottlenecks", overwrite=overwrite)

    @classmethod
    def read(cls, folder: str | Path) -> Ranking:
        """A ranking folder read back (ResultsFolderError if bottlenecks.csv is missing or damaged)."""
        table = read_table(folder, "bottlenecks.csv", "ranking", RANKING_COLUMNS, "bottlenecks")
        return cls(table, dict(folder_meta(folder, "accounting").get("accounting") or {}))


@dataclass(frozen=True)
class Lever:
    """One step more of one resource: the values it sets and the factors it scales (dotted paths),
    and values it fixes (``variants.with_changes``: each holds for the whole run)."""

    id: str
    kind: str
    label: str
    set: tuple = ()
    scale: tuple = ()
    fixed: tuple = ()


def levers(s: Scenario, step: float = 0.25) -> list[Lever]:
    """Every capacity-bearing resource and how to raise it by one step: +step for rates and sizes,
    +1 for whole things (a berth, a track, a vessel).

    The step is taken on the resource as it stands when the run starts (``s``'s timeline applied
    up to then: the second ASCO feeder of 2025 is there in 2030), and written as a change of the
    file's value that holds for the whole run (``scenario.whatif``): +1 vessel on the file's count
    shifts the timeline's later counts by one too, so the lever adds one vessel to what is there,
    whatever the timeline did before."""
    now = timeline(s).on(dt.date(s.start_year, 1, 1))
    out = []
    f = 1.0 + step
    for l in s.rail_links:
        lnow = next(x for x in now.rail_links if x.id == l.id)
        if lnow.paths is not None:
            # an explicit figure that wins over the track's (tracks are not raised by a fraction)
            path = f"rail_links.{l.id}.paths_per_day"
            if l.paths_per_day is not None and lnow.paths_per_day is not None:
                change = {"scale": ((path, f),)}  # the timeline's later figures x f too
            else:  # from the track: the figure it gives now, raised, held
                change = {"fixed": ((path, round(lnow.paths * f, 6)),)}
            out.append(Lever(f"{l.id}:paths", "rail_path", f"{link_label(s, l.id)}: +{step:.0%} train paths", **change))
        if l.crossing is not None and lnow.crossing is not None:
            out.append(
                Lever(
                    f"{l.id}:crossing",
                    "crossing",
                    f"{link_label(s, l.id)} crossing: +1 transshipment track",
                    set=((f"rail_links.{l.id}.crossing.transshipment_tracks", l.crossing.transshipment_tracks + 1),),
                )
            )
    for p in s.ports:
        for t in p.terminals:
            base = f"ports.{p.id}.terminals.{t.cargo}"
            where = f"{place(s, p.id)} {t.cargo}"
            out += [
                Lever(
                    f"{p.id}:{t.cargo}:berths", "berth", f"{where}: +1 berth", set=((f"{base}.berths", t.berths + 1),)
                ),
                Lever(
                    f"{p.id}:{t.cargo}:rail_tracks",
                    "rail_track",
                    f"{where}: +1 rail track",
                    set=((f"{base}.rail_tracks", t.rail_tracks + 1),),
                ),
                Lever(
                    f"{p.id}:{t.cargo}:yard",
                    "yard",
                    f"{where}: +{step:.0%} yard",
                    scale=((f"{base}.yard_capacity_units", f),),
                ),
                Lever(
                    f"{p.id}:{t.cargo}:handling",
                    "berth",
                    f"{where}: +{step:.0%} ship handling rate",
                    scale=((f"{base}.handling_units_per_h", f),),
                ),
            ]
    for pool in s.rolling_stock:
        have = next(x.count for x in now.rolling_stock if x.id == pool.id)
        out.append(
            Lever(
                f"stock:{pool.id}",
                "rolling_stock",
                f"{pool.label}: +{step:.0%} {pool.kind.replace('_', ' ')}s",
                set=((f"rolling_stock.{pool.id}.count", pool.count + math.ceil(have * f) - have),),
            )
        )
    for line in s.sea_lines:
        for v in line.vessels:
            out.append(
                Lever(
                    f"{line.id}:{v.id}",
                    "fleet",
                    f"{line_label(now, line.id)}: +1 {group_label(now, line.id, v.id)}",
                    set=tuple(s.added_vessels(line.id, v.id, v.count + 1).items()),
                )
            )
    return out


def lever_scenario(base: Scenario, lv: Lever) -> Scenario:
    """``base`` with the lever pulled, holding for the whole run (``variants.with_changes``)."""
    return with_changes(base, dict(lv.set), dict(lv.scale), label=lv.id, fixed=dict(lv.fixed))


# A lever on a resource busy less than this share of the year in the baseline is not run: cargo
# hardly queues at it, so one step more of it cannot carry more. (A yard is screened on its peak
# fill instead, a vessel group on its line's busiest group.) tests/test_experiments.py checks on a
# full ranking that the levers screened out change delivered tonnes by nothing measurable.
SCREEN_UTILIZATION = 0.5
SCREEN_YARD_PEAK = 0.9


@task
def baseline_task(t: Task) -> dict:
    """A baseline run's delivered tonnes and what the screening reads: each resource's utilization
    and (yards) peak fill, in the year measured."""
    res = run(t.scenario, seed=t.seed, allow_large=True, detail=False)
    r = res.resources
    return {
        "delivered_t": float(res.annual.tons_delivered.sum()),
        "utilization": dict(zip(r.resource, r.utilization.astype(float))),
        "peak": dict(zip(r.resource, r.max_queue.astype(float))),
    }


@task
def delivered_task(t: Task) -> float:
    """A run's delivered tonnes, all it sends back."""
    return float(run(t.scenario, seed=t.seed, allow_large=True, detail=False).annual.tons_delivered.sum())


def screen(lv: Lever, utilization: dict[str, float], peak: dict[str, float]) -> str | None:
    """Why ``lv`` cannot matter in the baseline (the most over its replications), or None to run it."""
    if lv.kind == "yard":
        top = peak.get(lv.id, 1.0)
        return (
            None if top >= SCREEN_YARD_PEAK else f"the yard's fill peaked at {top:.0%} (below {SCREEN_YARD_PEAK:.0%})"
        )
    if lv.kind == "fleet":
        line = lv.id.split(":")[0]
        groups = [u for name, u in utilization.items() if name.split(":")[0] == line]
        top = max(groups) if groups else 1.0
        what = "its line's busiest vessel group"
    else:
        resource = lv.id.rsplit(":", 1)[0] + ":berths" if lv.id.endswith(":handling") else lv.id
        top = utilization.get(resource, 1.0)
        what = "the resource"
    if top >= SCREEN_UTILIZATION:
        return None
    return f"{what} was {top:.0%} busy in the baseline (below {SCREEN_UTILIZATION:.0%}): cargo hardly queues there"


def bottlenecks(
    scenario: Scenario,
    year: int | None = None,
    replications: int = 2,
    seed: int = 1,
    step: float = 0.25,
    screened: bool = True,
    execution: Execution | None = None,
    **options,
) -> Ranking:
    """Raise each resource's capacity by one step in ``year`` and measure the change in delivered
    tonnes against the unchanged scenario on common random numbers (paired differences).

    The baseline runs first; with ``screened``, levers on resources it shows nearly idle are not
    run, and appear in the table with ``skipped`` giving the reason and no delta."""
    with session(Execution.of(execution, **options)) as ex:
        return _bottlenecks(scenario, year, replications, seed, step, screened, ex)


def _bottlenecks(
    scenario: Scenario, year: int | None, replications: int, seed: int, step: float, screened: bool, ex: Execution
) -> Ranking:
    year = year or scenario.end_year
    base = for_capacity(scenario, year)
    seeds = [replication_seed(seed, r) for r in range(replications)]
    all_levers = levers(base, step)
    variants: dict[str, Scenario] = {}
    beyond: dict[str, str] = {}  # levers whose step leaves what a scenario may hold (a large --step)
    for lv in all_levers:
        try:
            variants[lv.id] = lever_scenario(base, lv)
        except ScenarioError as exc:
            p = exc.problems[0]
            beyond[lv.id] = f"one step more is outside what a scenario may hold ({p.path}: {p.message})"
    if beyond:
        ex.say(f"{len(beyond)} of {len(all_levers)} levers not run: one step more is outside the scenario's bounds")
    first = [Task(base, sd, r, variant="baseline") for r, sd in enumerate(seeds)]
    # one size check for the whole analysis; progress counts the runs of both batches together
    preflight(first + [Task(v, sd, r) for v in variants.values() for r, sd in enumerate(seeds)], ex)
    total = replications * (1 + len(all_levers))

    def batch(offset: int) -> Execution:
        tell = ex.progress
        return replace(ex, allow_large=True, progress=(lambda d, t: tell(offset + d, total)) if tell else None)

    b: dict[int, float] = {}
    util: dict[str, float] = {}
    peak: dict[str, float] = {}
    for outcome in succeeded(first, batch(0), baseline_task, "bottleneck baseline"):
        b[outcome.task.replication] = outcome.result["delivered_t"]
        for k, u in outcome.result["utilization"].items():
            util[k] = max(util.get(k, 0.0), u if u == u else 0.0)
        for k, u in outcome.result["peak"].items():
            peak[k] = max(peak.get(k, 0.0), u if u == u else 0.0)
    idle = {lv.id: why for lv in all_levers if lv.id not in beyond and screened and (why := screen(lv, util, peak))}
    if idle:
        ex.say(f"{len(idle)} of {len(all_levers)} levers skipped: their resources are nearly idle in the baseline")
    skipped = {**beyond, **idle}
    total -= replications * len(skipped)
    tasks = [
        Task(variants[lv.id], sd, r, variant=lv.id)
        for lv in all_levers
        if lv.id not in skipped
        for r, sd in enumerate(seeds)
    ]
    delivered: dict[str, dict[int, float]] = {lv.id: {} for lv in all_levers}
    for done in succeeded(tasks, batch(replications), delivered_task, "bottleneck run"):
        delivered[done.task.variant][done.task.replication] = done.result
    rows = []
    for lv in all_levers:
        if lv.id in skipped:
            s = {"mean": None, "ci_low": None, "ci_high": None}
        else:
            s = mean_ci([(delivered[lv.id][r] - b[r]) / 1e3 for r in range(replications)])
        rows.append(
            {
                "scenario": scenario.label,
                "lever": lv.id,
                "kind": lv.kind,
                "label": lv.label,
                "year": year,
                "replications": replications,
                "delta_kt_mean": s["mean"],
                "delta_kt_ci_low": s["ci_low"],
                "delta_kt_ci_high": s["ci_high"],
                "baseline_mt": float(np.mean(list(b.values())) / 1e6),
                "skipped": skipped.get(lv.id),
            }
        )
    table = pd.DataFrame(rows)
    ran = table[table.skipped.isna()].sort_values("delta_kt_mean", ascending=False)
    assert ex.tally is not None, "bottlenecks opens a session"
    return Ranking(pd.concat([ran, table[table.skipped.notna()]]).reset_index(drop=True), ex.tally.report())
