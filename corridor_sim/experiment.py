"""Experiments: replications with common random numbers, run in-process, on a local process pool
or on a Dask cluster, with results written as they finish so an interrupted run can be resumed.

Replication r of base seed s uses ``replication_seed(s, r)``: replication 0 is the base seed
itself (a single run and the first replication agree), and every scenario compared gets the same
seeds, so scenario differences are measured on common random numbers. The seed of a task never
depends on where or in what order it runs, so 1 worker, 2 workers and Dask give identical results.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import ExitStack
from dataclasses import dataclass, fields, replace
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from urllib.parse import urlsplit

import numpy as np

from . import output, runsize
from .output import ResultsFolderError
from .results import Results, load_results
from .scenario import Scenario
from .simulate import run

if TYPE_CHECKING:
    from .compare import Comparison


def replication_seed(base_seed: int, r: int) -> int:
    """Seed of replication r: the base seed for r = 0, then independent derived seeds.

    >>> replication_seed(7, 0), replication_seed(7, 1) == replication_seed(7, 1), replication_seed(7, 1) != 7
    (7, True, True)
    """
    if r == 0:
        return int(base_seed)
    return int(np.random.SeedSequence([int(base_seed), int(r)]).generate_state(1)[0])


@dataclass(frozen=True)
class Execution:
    """How a batch of runs is carried out, in one object instead of five arguments threaded
    through every layer: where (local processes or a Dask scheduler), what it may replace in its
    folder, how large it may be, and whom it tells about its progress."""

    workers: int | None = None  # local worker processes (None: all cores; 1: in this process)
    scheduler: Any = None  # a Dask scheduler address (tcp:// or tls://), or a distributed.Client
    resume: bool = False  # complete an interrupted replicated run in its folder
    overwrite: bool = False  # replace earlier results (kept until the new ones are complete)
    allow_large: bool = False  # skip the check of the batch's size against this machine's memory
    progress: Callable[[int, int], None] | None = None  # called with (runs done, runs in all)
    log: Callable[[str], None] | None = None  # told what is reused, re-run or skipped

    @classmethod
    def of(cls, execution: Execution | None = None, **options) -> Execution:
        """``execution``, with any options given by name on top (the API functions' keywords).

        >>> Execution.of(workers=2).workers, Execution.of(Execution(resume=True), workers=1)
        (2, Execution(workers=1, scheduler=None, resume=True, overwrite=False, allow_large=False, progress=None, log=None))
        """
        unknown = set(options) - {f.name for f in fields(cls)}
        if unknown:
            raise TypeError(f"unknown execution option(s): {', '.join(sorted(unknown))}")
        return replace(execution or cls(), **options)

    def say(self, message: str) -> None:
        if self.log is not None:
            self.log(message)


@dataclass(frozen=True)
class Task:
    """One simulation: a scenario and a seed, named by what it stands for in its batch (its
    replication, and the variant, point or sample of an analysis). ``out``: the folder the worker
    writes the run to (runs on this machine only); ``detail``: keep the per-consignment tables."""

    scenario: Scenario
    seed: int
    replication: int = 0
    variant: str = ""
    out: Path | None = None
    detail: bool = False

    @property
    def key(self) -> str:
        """A name for messages and Dask task keys."""
        parts = [self.scenario.name] + ([self.variant] if self.variant else []) + [f"rep_{self.replication:03d}"]
        return "/".join(parts)


R = TypeVar("R")


@dataclass
class Outcome(Generic[R]):
    """What a task gave: its result (a Results for ``run_task``; the KPIs an analysis reads for
    its own task functions) or the error that stopped it."""

    task: Task
    result: R | None
    error: str | None = None


def run_task(task: Task) -> Outcome[Results]:
    """Run one task (and write its folder, when it has one); an exception becomes a recorded error
    so a batch can go on. The size was checked, for every task at once, before any started."""
    try:
        res = run(task.scenario, seed=task.seed, allow_large=True, detail=task.detail)
        if task.out is not None:
            # the worker writes its own run: the parent only keeps the manifest, so N workers write
            # N folders at once instead of the parent writing them one after another
            res.write(task.out, plots=False, overwrite=True)
        return Outcome(task, res)
    except Exception as exc:
        return Outcome(task, None, f"{type(exc).__name__}: {exc}")


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


class SchedulerError(Exception):
    """--scheduler names no Dask scheduler that can be reached (bad input)."""


# ----------------------------------------------------------------------------------------------
# Workers die with the process that started them, even when it is SIGKILLed (no finally runs then)
# ----------------------------------------------------------------------------------------------
PR_SET_PDEATHSIG = 1


def _die_with_parent(main_pid: int) -> None:
    """Pool worker initializer: end this worker as soon as the run that started it is gone.

    A spawned worker's parent is the run: on Linux the kernel sends SIGKILL when it dies (prctl
    PR_SET_PDEATHSIG), and the pid check after it catches a run that died before the call. A
    forkserver worker's parent is the fork server, which outlives a SIGKILLed run while its
    workers hold its "alive" pipe; so it, and any worker where prctl is missing, watches the run's
    pid from a daemon thread instead (every half second).
    """
    if os.getppid() == main_pid and sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0:
                if os.getppid() != main_pid:
                    os._exit(1)
                return
        except (OSError, AttributeError):
            pass
    threading.Thread(target=_watch_run, args=(main_pid,), daemon=True, name="watch-run").start()


def _watch_run(main_pid: int) -> None:
    while True:
        try:
            os.kill(main_pid, 0)  # signal 0: only asks whether the process exists
        except ProcessLookupError:
            os._exit(1)
        except PermissionError:
            pass  # it exists
        time.sleep(0.5)


def _pool_context():
    """The start method for worker processes. forkserver where the platform has it: a clean server
    process imports corridor-sim once and forks each worker from it, so a worker neither re-imports
    everything (spawn costs ~0.5 s each) nor copies this process's threads and their locks (the
    progress bar's), which plain fork would."""
    import multiprocessing as mp

    if "forkserver" in mp.get_all_start_methods():
        ctx = get_context("forkserver")
        # pyarrow too (the server skips it where it is not installed): each worker writes Parquet,
        # and importing it costs ~0.5 s, once per worker otherwise
        ctx.set_forkserver_preload(
            ["corridor_sim.simulate", "corridor_sim.analysis", "corridor_sim.experiment", "pyarrow", "pyarrow.parquet"]
        )
        return ctx
    return get_context("spawn")


def execute(
    tasks: list, execution: Execution | None = None, fn: Callable = run_task, keep_results: bool = False
) -> Iterator[Outcome]:
    """Run tasks and yield their outcomes as they finish (any order), calling ``execution.progress``.

    ``execution.scheduler`` sends them to a Dask distributed cluster; otherwise
    ``execution.workers`` processes run them (1: in this process). Before anything starts, the size
    of the runs is checked against this machine's memory (``runsize.check``: the runs at once, plus
    every result when ``keep_results``) unless ``allow_large``. Stopping the iteration (Ctrl-C)
    cancels what has not started and stops the workers; workers also die with this process.
    """
    ex = execution or Execution()
    if not tasks:
        return
    preflight(tasks, ex, keep_results)
    done, total = 0, len(tasks)
    if ex.progress:
        ex.progress(0, total)
    for outcome in _outcomes(tasks, ex, fn):
        done += 1
        if ex.progress:
            ex.progress(done, total)
        yield outcome


def _outcomes(tasks: list, ex: Execution, fn: Callable) -> Iterator[Outcome]:
    workers = ex.workers or default_workers()
    if ex.scheduler:
        yield from _execute_dask(tasks, ex.scheduler, fn)
        return
    if workers <= 1 or len(tasks) == 1:
        for t in tasks:
            yield fn(t)
        return
    pool = ProcessPoolExecutor(
        max_workers=min(workers, len(tasks)),
        mp_context=_pool_context(),
        initializer=_die_with_parent,
        initargs=(os.getpid(),),
    )
    pending: set = set()
    finished = False
    try:
        pending = {pool.submit(fn, t) for t in tasks}
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                yield fut.result()
        finished = True
    finally:
        if finished:
            pool.shutdown(wait=True)  # idle workers end by themselves
        else:
            for fut in pending:
                fut.cancel()
            # interrupted or failed: stop running simulations too (ProcessPoolExecutor has no public kill)
            procs = list(getattr(pool, "_processes", {}).values())
            pool.shutdown(wait=False, cancel_futures=True)
            for p in procs:
                if p.is_alive():
                    p.terminate()


def preflight(tasks: list, execution: Execution | None = None, keep_results: bool = False) -> None:
    """What can refuse a batch before anything runs or is written: its size against this machine's
    memory (``runsize.check``: the runs at once, plus every result when ``keep_results``) and a
    scheduler that does not answer."""
    ex = execution or Execution()
    if not tasks:
        return
    workers = ex.workers or default_workers()
    at_once = 1 if (ex.scheduler or workers <= 1) else min(workers, len(tasks))
    distinct = list({id(t.scenario): t.scenario for t in tasks}.values())
    detail = any(t.detail for t in tasks)
    runsize.check(
        distinct,
        concurrent=at_once,
        kept=len(tasks) if keep_results else 0,
        allow_large=ex.allow_large,
        what="this batch of runs" if len(tasks) > 1 else "the run",
        detail=detail,
    )
    if isinstance(ex.scheduler, str):
        _reachable(ex.scheduler)


def _reachable(address: str) -> None:
    """Fail fast, naming the option, when a tcp:// or tls:// scheduler does not answer (a Dask
    client would retry for its whole timeout)."""
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.scheme not in ("tcp", "tls"):
        return
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host, port = None, None
    if not host or not port:
        raise SchedulerError(f"--scheduler {address}: give the scheduler as tcp://HOST:PORT (or tls://HOST:PORT)")
    try:
        socket.create_connection((host, port), timeout=5).close()
    except OSError as exc:
        raise SchedulerError(
            f"--scheduler {address}: no Dask scheduler answers there "
            f"({exc.strerror or exc}); start one (see the README) or check the address"
        ) from None


def _execute_dask(tasks: list, scheduler, fn) -> Iterator[Outcome]:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise SchedulerError("--scheduler needs Dask: pip install 'corridor-sim[dask]'") from None
    own = isinstance(scheduler, str)
    if own:
        _reachable(scheduler)
        try:
            # TLS and authentication come from Dask's own configuration (distributed.comm.tls.*)
            client = Client(scheduler, timeout="20s")
        except (OSError, ValueError, TypeError) as exc:
            raise SchedulerError(f"--scheduler {scheduler}: cannot connect ({type(exc).__name__}: {exc})") from None
    else:
        client = scheduler
    futures = [
        client.submit(fn, t, key=f"corridor-sim-{t.key}-{t.seed}-{t.scenario.digest()[:12]}", pure=False) for t in tasks
    ]
    try:
        for fut in as_completed(futures):
            yield fut.result()
    finally:
        for fut in futures:
            if not fut.done():
                fut.cancel()
        if own:
            client.close()


# ----------------------------------------------------------------------------------------------
# Replicated runs on disk: out/replications/rep_000/ ... and out/manifest.json
# ----------------------------------------------------------------------------------------------
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
        self.comparison: Comparison | None = None  # set by compare() when every scenario has results
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
    have: dict[str, dict[int, Results]] = {}
    failed: dict[str, dict[int, dict]] = {}
    folders: dict[str, Path | None] = {}
    manifests: dict[str, dict] = {}
    tasks = []
    say = ex.say
    remote = bool(ex.scheduler)
    folder: Path | None
    with ExitStack() as stack:
        for scn, out in jobs:
            have[scn.name], failed[scn.name] = {}, {}
            folders[scn.name] = None
            if out is not None:
                ws = stack.enter_context(
                    output.result_folder(out, kind="replicated", overwrite=ex.overwrite, resume=ex.resume)
                )
                folder = folders[scn.name] = ws.path
                manifests[scn.name] = _start_manifest(folder, scn, seed, n, seeds, ex.resume)
                if ex.resume:
                    for r in range(n):
                        rep = folder / "replications" / f"rep_{r:03d}"
                        if not rep.exists():
                            continue
                        res, why = _reusable(rep, scn, seeds[r])
                        if res is not None:
                            have[scn.name][r] = res
                        else:
                            say(f"{rep}: {why}; running it again")
            folder = folders[scn.name]
            tasks += [
                Task(
                    scn,
                    s,
                    r,
                    out=(folder / "replications" / f"rep_{r:03d}" if folder is not None and not remote else None),
                    detail=detail,
                )
                for r, s in enumerate(seeds)
                if r not in have[scn.name]
            ]
        total = n * len(jobs)
        done = sum(len(h) for h in have.values())
        if ex.progress:
            ex.progress(done, total)
        try:
            # the size was checked above, for every replication kept; progress is counted here
            for outcome in execute(tasks, replace(ex, allow_large=True, progress=None)):
                name, r = outcome.task.scenario.name, outcome.task.replication
                folder = folders[name]
                if outcome.error:
                    failed[name][r] = {"replication": r, "seed": outcome.task.seed, "error": outcome.error}
                else:
                    res = outcome.result
                    assert res is not None, "a task that raised no error has its result"
                    have[name][r] = res
                    if folder is not None and outcome.task.out is None:
                        res.write(folder / "replications" / f"rep_{r:03d}", plots=False, overwrite=True)
                if folder is not None:
                    m = manifests[name]
                    m["done"] = sorted(have[name])
                    m["failed"] = [failed[name][k] for k in sorted(failed[name])]
                    output.write_json(folder / "manifest.json", m)
                done += 1
                if ex.progress:
                    ex.progress(done, total)
        finally:
            for name, m in manifests.items():
                folder = folders[name]
                assert folder is not None, "a scenario has a manifest only when it has a folder"
                if not (folder / "manifest.json").exists():
                    continue  # nothing finished in a new folder: it is left empty (and removed)
                m["done"] = sorted(have[name])
                m["failed"] = [failed[name][k] for k in sorted(failed[name])]
                m["status"] = (
                    "complete"
                    if len(have[name]) == n
                    else "failed"
                    if len(have[name]) + len(failed[name]) == n
                    else "partial"
                )
                output.write_json(folder / "manifest.json", m)
    runs = {name: [h[r] for r in range(n) if r in h] for name, h in have.items()}
    if any(failed.values()):
        raise ReplicationsFailed({name: [f[k] for k in sorted(f)] for name, f in failed.items() if f}, runs)
    return runs


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
