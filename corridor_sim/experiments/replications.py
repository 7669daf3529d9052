"""Replications of a scenario on disk: out/replications/rep_000/ ... and out/manifest.json,
written as each finishes, so that an interrupted run can be resumed (``resume``): what is already
there is read back, checked (seed, scenario hash, every table) and reused, and only the rest runs.
A replication that fails is recorded with its seed and error, the others go on, and
``ReplicationsFailed`` says which failed once all have ended.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..run import output
from ..run.output import ResultsFolderError
from ..run.results import Results, load_results
from ..scenario.schema import Scenario
from .execution import Execution, Outcome, Task, execute, preflight, replication_seed

MANIFEST_KEYS = {
    "scenario": str,
    "scenario_hash": str,
    "seed": int,
    "replications": int,
    "seeds": list,
    "done": list,
    "status": str,
}


class ReplicationsFailed(Exception):
    """Some replications failed; the others finished. ``failures`` maps each scenario to its failed
    replications ({replication, seed, error}); ``runs`` holds those that succeeded, in order."""

    def __init__(self, failures: dict[str, list[dict]], runs: dict[str, list[Results]]):
        self.failures = failures
        self.runs = runs
        listed = "; ".join(
            f"{name} replication {f['replication']} (seed {f['seed']}): {f['error']}"
            for name, fs in failures.items()
            for f in fs
        )
        n = sum(len(fs) for fs in failures.values())
        super().__init__(f"{n} replication{'s' if n != 1 else ''} failed: {listed}")


def replicate(
    scenario: Scenario,
    n: int,
    seed: int = 1,
    out: str | Path | None = None,
    execution: Execution | None = None,
    detail: bool = False,
    **options,
) -> list[Results]:
    """Run ``n`` replications; with ``out``, write each as it finishes and keep a manifest.

    Returns the replications in order. ``execution`` (or its fields by name: ``workers=2``,
    ``resume=True`` ...) says where and how. With ``resume``, replications already in ``out``
    (same scenario and seed, each checked) are read back and only the missing ones run. A
    replication that fails is recorded and the others go on; then ReplicationsFailed is raised
    with them. ``detail`` keeps each replication's per-consignment tables.
    """
    ex = Execution.of(execution, **options)
    return replicate_many([(scenario, out)], n, seed, ex, detail)[scenario.name]


def replicate_many(
    jobs: Sequence[tuple[Scenario, str | Path | None]],
    n: int,
    seed: int = 1,
    execution: Execution | None = None,
    detail: bool = False,
    **options,
) -> dict[str, list[Results]]:
    """Replications of several scenarios with the same seeds (common random numbers), all run as
    one batch so the workers stay busy; each scenario's folder gets its replications and manifest.

    Folders follow the output contract (``output.result_folder``): new, resumed, or (with
    ``overwrite``) staged beside the old results and swapped in once every replication has run.
    Local workers write their own replication's folder; with a Dask scheduler (whose workers may
    not share this file system) this process writes them.
    """
    ex = Execution.of(execution, **options)
    seeds = [replication_seed(seed, r) for r in range(n)]
    # refuse what is too large or cannot run before any folder is claimed or written
    preflight([Task(scn, s, r, detail=detail) for scn, _ in jobs for r, s in enumerate(seeds)], ex, keep_results=True)
    with ExitStack() as stack:
        batch = [_Replications.start(scn, out, seed, seeds, ex, stack) for scn, out in jobs]
        by_name = {b.scenario.name: b for b in batch}
        tasks = [t for b in batch for t in b.tasks(seeds, detail, remote=bool(ex.scheduler))]
        total = n * len(jobs)
        done = sum(len(b.have) for b in batch)
        if ex.progress:
            ex.progress(done, total)
        try:
            # the size was checked above, for every replication kept; progress is counted here
            for outcome in execute(tasks, replace(ex, allow_large=True, progress=None)):
                by_name[outcome.task.scenario.name].record(outcome)
                done += 1
                if ex.progress:
                    ex.progress(done, total)
        finally:
            for b in batch:
                b.close(n)
    failed = {b.scenario.name: [b.failed[k] for k in sorted(b.failed)] for b in batch if b.failed}
    runs = {b.scenario.name: [b.have[r] for r in range(n) if r in b.have] for b in batch}
    if failed:
        raise ReplicationsFailed(failed, runs)
    return runs


@dataclass
class _Replications:
    """One scenario's replications in a batch: those done (reused or run), those failed, and its
    folder and manifest when it is written."""

    scenario: Scenario
    folder: Path | None
    manifest: dict = field(default_factory=dict)
    have: dict[int, Results] = field(default_factory=dict)
    failed: dict[int, dict] = field(default_factory=dict)

    @classmethod
    def start(
        cls, scn: Scenario, out: str | Path | None, seed: int, seeds: list[int], ex: Execution, stack: ExitStack
    ) -> _Replications:
        """Claim the scenario's folder (if any) under the output contract, start its manifest, and
        with ``resume`` read back the replications already there."""
        if out is None:
            return cls(scn, None)
        ws = stack.enter_context(
            output.result_folder(
                out, kind="replicated", overwrite=ex.overwrite, resume=ex.resume, any_version=ex.resume_any_version
            )
        )
        folder = ws.path
        reps = cls(scn, folder, _start_manifest(folder, scn, seed, len(seeds), seeds, ex.resume))
        if ex.resume:
            for r, s in enumerate(seeds):
                rep = folder / "replications" / f"rep_{r:03d}"
                if not rep.exists():
                    continue
                res, why = _reusable(rep, scn, s)
                if res is not None:
                    reps.have[r] = res
                else:
                    ex.say(f"{rep}: {why}; running it again")
        return reps

    def tasks(self, seeds: list[int], detail: bool, remote: bool) -> list[Task]:
        """A task per replication not done yet, writing its own folder where it runs on this machine."""
        return [
            Task(
                self.scenario,
                s,
                r,
                out=(self.folder / "replications" / f"rep_{r:03d}" if self.folder is not None and not remote else None),
                detail=detail,
            )
            for r, s in enumerate(seeds)
            if r not in self.have
        ]

    def record(self, outcome: Outcome[Results]) -> None:
        """A replication finished: keep it (writing its folder if its worker did not), or its error."""
        r = outcome.task.replication
        if outcome.error:
            self.failed[r] = {"replication": r, "seed": outcome.task.seed, "error": outcome.error}
        else:
            res = outcome.result
            assert res is not None, "a task that raised no error has its result"
            self.have[r] = res
            if self.folder is not None and outcome.task.out is None:
                res.write(self.folder / "replications" / f"rep_{r:03d}", overwrite=True)
        if self.folder is not None:
            self.manifest["done"] = sorted(self.have)
            self.manifest["failed"] = [self.failed[k] for k in sorted(self.failed)]
            output.write_json(self.folder / "manifest.json", self.manifest)

    def close(self, n: int) -> None:
        """The manifest's final word: complete, failed, or partial (interrupted: --resume completes it)."""
        if self.folder is None or not (self.folder / "manifest.json").exists():
            return  # no folder, or nothing finished in a new folder: it is left empty (and removed)
        m = self.manifest
        m["done"] = sorted(self.have)
        m["failed"] = [self.failed[k] for k in sorted(self.failed)]
        m["status"] = (
            "complete" if len(self.have) == n else "failed" if len(self.have) + len(self.failed) == n else "partial"
        )
        output.write_json(self.folder / "manifest.json", m)


def read_manifest(folder: Path) -> dict:
    """The manifest of a replicated result folder, checked for shape (ResultsFolderError if damaged)."""
    path = folder / "manifest.json"
    m = output.read_json(path, "manifest")
    if not isinstance(m, dict):
        raise ResultsFolderError(
            f"{path}: the manifest is damaged (a {type(m).__name__}, not a mapping); start again with --overwrite"
        )
    wrong = [k for k, t in MANIFEST_KEYS.items() if not isinstance(m.get(k), t) or isinstance(m.get(k), bool)]
    if wrong:
        raise ResultsFolderError(
            f"{path}: the manifest is damaged (missing or wrong: {', '.join(wrong)}); start again with --overwrite"
        )
    return m


def _start_manifest(out: Path, scenario: Scenario, seed: int, n: int, seeds: list[int], resume: bool) -> dict:
    fresh = {
        "scenario": scenario.name,
        "scenario_hash": scenario.digest(),
        "seed": seed,
        "replications": n,
        "seeds": seeds,
        "done": [],
        "failed": [],
        "status": "partial",
    }
    manifest = out / "manifest.json"
    if resume and any(p.name != output.MARKER for p in out.iterdir()):
        if not manifest.exists():
            raise ResultsFolderError(
                f"{out} has no manifest.json: it holds no replicated run to resume; use --overwrite to replace it"
            )
        old = read_manifest(out)
        if old["scenario_hash"] != fresh["scenario_hash"] or old["seed"] != seed:
            raise ResultsFolderError(
                f"{out} holds replications of another scenario or seed (scenario {old['scenario']}, "
                f"seed {old['seed']}); resume with the same scenario, overrides and --seed, or use --overwrite"
            )
        output.write_json(manifest, fresh)  # a new folder gets its manifest with its first replication
    return fresh


def write_replications(folder: Path, scenario: Scenario, seed: int, runs: list[Results], failed: list[dict]) -> None:
    """Replications made in memory, on disk as ``replicate`` leaves them: each succeeded one in
    folder/replications/rep_NNN/ and the manifest, which says which failed. A folder with a manifest
    already holds them (``replicate`` wrote them as they finished): it is left as it is."""
    folder = Path(folder)
    if (folder / "manifest.json").exists():
        return
    lost = {int(f["replication"]): f for f in failed}
    n = len(runs) + len(lost)
    done = [r for r in range(n) if r not in lost]  # the replications that succeeded, in order
    seeds = dict(zip(done, (res.seed for res in runs))) | {r: int(f["seed"]) for r, f in lost.items()}
    for r, res in zip(done, runs):
        res.write(folder / "replications" / f"rep_{r:03d}", overwrite=True)
    manifest = {
        "scenario": scenario.name,
        "scenario_hash": scenario.digest(),
        "seed": seed,
        "replications": n,
        "seeds": [seeds[r] for r in range(n)],
        "done": done,
        "failed": [lost[r] for r in sorted(lost)],
        "status": "complete" if not lost else "failed",
    }
    output.write_json(folder / "manifest.json", manifest)


def _reusable(rep: Path, scenario: Scenario, seed: int) -> tuple[Results | None, str]:
    """A replication folder read back, if it is complete and from this scenario and seed; else why not."""
    try:
        res = load_results(rep, scenario)
    except ResultsFolderError as exc:
        return None, f"incomplete or damaged ({exc})"
    if res.seed != seed:
        return None, f"it was run with seed {res.seed}, not this run's seed {seed} for it"
    if res.metadata.get("scenario_hash") != scenario.digest():
        return None, "it was run with another scenario (its scenario hash differs)"
    return res, ""
