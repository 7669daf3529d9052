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
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import ExitStack
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Callable, Iterator
from urllib.parse import urlsplit

import numpy as np

from . import output, runsize
from .output import ResultsFolderError  # noqa: F401 - part of this module's API (raised by replicate)
from .results import Results, load_results
from .scenario import Scenario
from .simulate import run


def replication_seed(base_seed: int, r: int) -> int:
    """Seed of replication r: the base seed for r = 0, then independent derived seeds.

    >>> replication_seed(7, 0), replication_seed(7, 1) == replication_seed(7, 1), replication_seed(7, 1) != 7
    (7, True, True)
    """
    if r == 0:
        return int(base_seed)
    return int(np.random.SeedSequence([int(base_seed), int(r)]).generate_state(1)[0])


@dataclass(frozen=True)
class Task:
    """One simulation: a scenario and a seed, with a key that names it in results and on disk."""

    key: str
    scenario: Scenario
    seed: int


@dataclass
class Outcome:
    task: Task
    result: Results | None
    error: str | None = None


def run_task(task: Task) -> Outcome:
    """Run one task; an exception becomes a recorded error so a sweep can go on. The size was
    checked, for every task at once, before any started (``execute``)."""
    try:
        return Outcome(task, run(task.scenario, seed=task.seed, allow_large=True))
    except Exception as exc:  # noqa: BLE001 - reported per task, by design
        return Outcome(task, None, f"{type(exc).__name__}: {exc}")


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


class SchedulerError(Exception):
    """--scheduler names no Dask scheduler that can be reached (bad input)."""


# ----------------------------------------------------------------------------------------------
# Workers die with the process that started them, even when it is SIGKILLed (no finally runs then)
# ----------------------------------------------------------------------------------------------
PR_SET_PDEATHSIG = 1


def _die_with_parent(parent_pid: int) -> None:
    """Pool worker initializer: end this worker as soon as its parent is gone.

    Linux: the kernel sends SIGKILL when the parent dies (prctl PR_SET_PDEATHSIG); the pid check
    after it catches a parent that died before the call. Elsewhere a daemon thread polls the
    parent pid once a second.
    """
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0:
                if os.getppid() != parent_pid:
                    os._exit(1)
                return
        except (OSError, AttributeError):
            pass
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True, name="watch-parent").start()


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(1.0)
    os._exit(1)


def execute(tasks: list, workers: int | None = None, scheduler: str | None = None,
            fn: Callable = run_task, allow_large: bool = False, keep_results: bool = False) -> Iterator[Outcome]:
    """Run tasks and yield their outcomes as they finish (any order).

    ``scheduler`` (``tcp://host:port``) sends them to a Dask distributed cluster; otherwise
    ``workers`` processes run them (1: in this process). Before anything starts, the size of the
    runs is checked against this machine's memory (``runsize.check``: the runs at once, plus every
    result when ``keep_results``); ``allow_large`` skips that. Stopping the iteration (Ctrl-C)
    cancels what has not started and stops the workers; workers also die with this process.
    """
    if not tasks:
        return
    preflight(tasks, workers, scheduler, allow_large, keep_results)
    workers = workers or default_workers()
    if scheduler:
        yield from _execute_dask(tasks, scheduler, fn)
        return
    if workers <= 1 or len(tasks) == 1:
        for t in tasks:
            yield fn(t)
        return
    # spawn, not fork: the parent may hold threads (the progress bar) whose locks a fork would copy
    pool = ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=get_context("spawn"),
                               initializer=_die_with_parent, initargs=(os.getpid(),))
    pending: set = set()
    try:
        pending = {pool.submit(fn, t) for t in tasks}
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                yield fut.result()
    finally:
        for fut in pending:
            fut.cancel()
        # on interrupt, stop running simulations too (ProcessPoolExecutor has no public kill)
        procs = list(getattr(pool, "_processes", {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for p in procs:
            if p.is_alive():
                p.terminate()


def preflight(tasks: list, workers: int | None = None, scheduler: str | None = None, allow_large: bool = False,
              keep_results: bool = False) -> None:
    """What can refuse a batch before anything runs or is written: its size against this machine's
    memory (``runsize.check``: the runs at once, plus every result when ``keep_results``) and a
    scheduler that does not answer."""
    if not tasks:
        return
    workers = workers or default_workers()
    at_once = 1 if (scheduler or workers <= 1) else min(workers, len(tasks))
    distinct = list({id(t.scenario): t.scenario for t in tasks}.values())
    runsize.check(distinct, concurrent=at_once, kept=len(tasks) if keep_results else 0, allow_large=allow_large,
                  what="this batch of runs" if len(tasks) > 1 else "the run")
    if isinstance(scheduler, str):
        _reachable(scheduler)


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
        raise SchedulerError(f"--scheduler {address}: no Dask scheduler answers there "
                             f"({exc.strerror or exc}); start one (see the README) or check the address") from None


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
    futures = [client.submit(fn, t, key=f"corridor-sim-{t.key}-{t.seed}-{t.scenario.digest()[:12]}", pure=False)
               for t in tasks]
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
MANIFEST_KEYS = {"scenario": str, "scenario_hash": str, "seed": int, "replications": int, "seeds": list,
                 "done": list, "status": str}


class ReplicationsFailed(Exception):
    """Some replications failed; the others finished. ``failures`` maps each scenario to its failed
    replications ({replication, seed, error}); ``runs`` holds those that succeeded, in order."""

    def __init__(self, failures: dict[str, list[dict]], runs: dict[str, list[Results]]):
        self.failures = failures
        self.runs = runs
        self.comparison = None          # set by compare() when every scenario has results
        listed = "; ".join(f"{name} replication {f['replication']} (seed {f['seed']}): {f['error']}"
                           for name, fs in failures.items() for f in fs)
        n = sum(len(fs) for fs in failures.values())
        super().__init__(f"{n} replication{'s' if n != 1 else ''} failed: {listed}")


def replicate(scenario: Scenario, n: int, seed: int = 1, out: str | Path | None = None,
              workers: int | None = None, scheduler: str | None = None, resume: bool = False,
              overwrite: bool = False, progress: Callable[[int, int], None] | None = None,
              allow_large: bool = False, log: Callable[[str], None] | None = None) -> list[Results]:
    """Run ``n`` replications; with ``out``, write each as it finishes and keep a manifest.

    Returns the replications in order. With ``resume``, replications already in ``out`` (same
    scenario and seed, each checked) are read back and only the missing ones run. A replication
    that fails is recorded and the others go on; then ReplicationsFailed is raised with them.
    """
    return replicate_many([(scenario, out)], n, seed, workers, scheduler, resume, overwrite, progress,
                          allow_large, log)[scenario.name]


def replicate_many(jobs: list[tuple[Scenario, str | Path | None]], n: int, seed: int = 1,
                   workers: int | None = None, scheduler: str | None = None, resume: bool = False,
                   overwrite: bool = False, progress: Callable[[int, int], None] | None = None,
                   allow_large: bool = False, log: Callable[[str], None] | None = None
                   ) -> dict[str, list[Results]]:
    """Replications of several scenarios with the same seeds (common random numbers), all run as
    one batch so the workers stay busy; each scenario's folder gets its replications and manifest.

    Folders follow the output contract (``output.result_folder``): new, resumed, or (with
    ``overwrite``) staged beside the old results and swapped in once every replication has run.
    """
    seeds = [replication_seed(seed, r) for r in range(n)]
    # refuse what is too large or cannot run before any folder is claimed or written
    preflight([Task(f"{scn.name}/rep_{r:03d}", scn, s) for scn, _ in jobs for r, s in enumerate(seeds)],
              workers, scheduler, allow_large, keep_results=True)
    have: dict[str, dict[int, Results]] = {}
    failed: dict[str, dict[int, dict]] = {}
    folders: dict[str, Path | None] = {}
    manifests: dict[str, dict] = {}
    tasks = []
    say = log or (lambda msg: None)
    with ExitStack() as stack:
        for scn, out in jobs:
            have[scn.name], failed[scn.name] = {}, {}
            folders[scn.name] = None
            if out is not None:
                ws = stack.enter_context(output.result_folder(out, kind="replicated", overwrite=overwrite,
                                                              resume=resume))
                folder = folders[scn.name] = ws.path
                manifests[scn.name] = _start_manifest(folder, scn, seed, n, seeds, resume)
                if resume:
                    for r in range(n):
                        rep = folder / "replications" / f"rep_{r:03d}"
                        if not rep.exists():
                            continue
                        res, why = _reusable(rep, scn, seeds[r])
                        if res is not None:
                            have[scn.name][r] = res
                        else:
                            say(f"{rep}: {why}; running it again")
            tasks += [Task(f"{scn.name}/rep_{r:03d}", scn, s) for r, s in enumerate(seeds) if r not in have[scn.name]]
        total = n * len(jobs)
        done = sum(len(h) for h in have.values())
        if progress:
            progress(done, total)
        try:
            for outcome in execute(tasks, workers, scheduler, allow_large=True):   # checked above
                name, rep = outcome.task.key.split("/")
                r = int(rep.split("_")[1])
                if outcome.error:
                    failed[name][r] = {"replication": r, "seed": outcome.task.seed, "error": outcome.error}
                else:
                    have[name][r] = outcome.result
                    if folders[name] is not None:
                        outcome.result.write(folders[name] / "replications" / rep, plots=False, overwrite=True)
                if folders[name] is not None:
                    m = manifests[name]
                    m["done"] = sorted(have[name])
                    m["failed"] = [failed[name][k] for k in sorted(failed[name])]
                    output.write_json(folders[name] / "manifest.json", m)
                done += 1
                if progress:
                    progress(done, total)
        finally:
            for name, m in manifests.items():
                if not (folders[name] / "manifest.json").exists():
                    continue                 # nothing finished in a new folder: it is left empty (and removed)
                m["done"] = sorted(have[name])
                m["failed"] = [failed[name][k] for k in sorted(failed[name])]
                m["status"] = ("complete" if len(have[name]) == n else
                               "failed" if len(have[name]) + len(failed[name]) == n else "partial")
                output.write_json(folders[name] / "manifest.json", m)
    runs = {name: [h[r] for r in range(n) if r in h] for name, h in have.items()}
    if any(failed.values()):
        raise ReplicationsFailed({name: [f[k] for k in sorted(f)] for name, f in failed.items() if f}, runs)
    return runs


def read_manifest(folder: Path) -> dict:
    """The manifest of a replicated result folder, checked for shape (ResultsFolderError if damaged)."""
    path = folder / "manifest.json"
    m = output.read_json(path, "manifest")
    if not isinstance(m, dict):
        raise ResultsFolderError(f"{path}: the manifest is damaged (a {type(m).__name__}, not a mapping); "
                                 "start again with --overwrite")
    wrong = [k for k, t in MANIFEST_KEYS.items() if not isinstance(m.get(k), t) or isinstance(m.get(k), bool)]
    if wrong:
        raise ResultsFolderError(f"{path}: the manifest is damaged (missing or wrong: {', '.join(wrong)}); "
                                 "start again with --overwrite")
    return m


def _start_manifest(out: Path, scenario: Scenario, seed: int, n: int, seeds: list[int], resume: bool) -> dict:
    fresh = {"scenario": scenario.name, "scenario_hash": scenario.digest(), "seed": seed, "replications": n,
             "seeds": seeds, "done": [], "failed": [], "status": "partial"}
    manifest = out / "manifest.json"
    if resume and any(p.name != output.MARKER for p in out.iterdir()):
        if not manifest.exists():
            raise ResultsFolderError(f"{out} has no manifest.json: it holds no replicated run to resume; "
                                     "use --overwrite to replace it")
        old = read_manifest(out)
        if old["scenario_hash"] != fresh["scenario_hash"] or old["seed"] != seed:
            raise ResultsFolderError(
                f"{out} holds replications of another scenario or seed (scenario {old['scenario']}, "
                f"seed {old['seed']}); resume with the same scenario, overrides and --seed, or use --overwrite")
        output.write_json(manifest, fresh)   # a new folder gets its manifest with its first replication
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
