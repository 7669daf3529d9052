"""Experiments: replications with common random numbers, run in-process, on a local process pool
or on a Dask cluster, with results written as they finish so an interrupted run can be resumed.

Replication r of base seed s uses ``replication_seed(s, r)``: replication 0 is the base seed
itself (a single run and the first replication agree), and every scenario compared gets the same
seeds, so scenario differences are measured on common random numbers. The seed of a task never
depends on where or in what order it runs, so 1 worker, 2 workers and Dask give identical results.
"""
from __future__ import annotations

import json
import os
import shutil
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import pandas as pd

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
    """Run one task; an exception becomes a recorded error so a sweep can go on."""
    try:
        return Outcome(task, run(task.scenario, seed=task.seed))
    except Exception as exc:  # noqa: BLE001 - reported per task, by design
        return Outcome(task, None, f"{type(exc).__name__}: {exc}")


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def execute(tasks: list[Task], workers: int | None = None, scheduler: str | None = None,
            fn: Callable[[Task], Outcome] = run_task) -> Iterator[Outcome]:
    """Run tasks and yield their outcomes as they finish (any order).

    ``scheduler`` (``tcp://host:port``) sends them to a Dask distributed cluster; otherwise
    ``workers`` processes run them (1: in this process). Stopping the iteration (Ctrl-C) cancels
    what has not started and stops the workers.
    """
    if not tasks:
        return
    if scheduler:
        yield from _execute_dask(tasks, scheduler, fn)
        return
    workers = workers or default_workers()
    if workers <= 1 or len(tasks) == 1:
        for t in tasks:
            yield fn(t)
        return
    # spawn, not fork: the parent may hold threads (the progress bar) whose locks a fork would copy
    pool = ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=get_context("spawn"))
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


def _execute_dask(tasks: list[Task], scheduler: str, fn) -> Iterator[Outcome]:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise RuntimeError("--scheduler needs Dask: pip install 'corridor-sim[dask]'") from None
    client = scheduler if not isinstance(scheduler, str) else Client(scheduler, timeout="20s")
    own = isinstance(scheduler, str)
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
class ResultsFolderError(Exception):
    """A result folder that cannot be used as asked (message for the user)."""


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str))
    os.replace(tmp, path)


def replicate(scenario: Scenario, n: int, seed: int = 1, out: str | Path | None = None,
              workers: int | None = None, scheduler: str | None = None, resume: bool = False,
              overwrite: bool = False, progress: Callable[[int, int], None] | None = None) -> list[Results]:
    """Run ``n`` replications; with ``out``, write each as it finishes and keep a manifest.

    Returns the replications in order. With ``resume``, replications already in ``out`` (same
    scenario and seed) are read back and only the missing ones run.
    """
    return replicate_many([(scenario, out)], n, seed, workers, scheduler, resume, overwrite, progress)[scenario.name]


def replicate_many(jobs: list[tuple[Scenario, str | Path | None]], n: int, seed: int = 1,
                   workers: int | None = None, scheduler: str | None = None, resume: bool = False,
                   overwrite: bool = False, progress: Callable[[int, int], None] | None = None
                   ) -> dict[str, list[Results]]:
    """Replications of several scenarios with the same seeds (common random numbers), all run as
    one batch so the workers stay busy; each scenario's folder gets its replications and manifest."""
    seeds = [replication_seed(seed, r) for r in range(n)]
    have: dict[str, dict[int, Results]] = {}
    folders: dict[str, Path | None] = {}
    manifests: dict[str, dict] = {}
    tasks = []
    for scn, out in jobs:
        have[scn.name] = {}
        folder = folders[scn.name] = Path(out) if out is not None else None
        if folder is not None:
            manifests[scn.name] = _prepare_folder(folder, scn, seed, n, seeds, resume, overwrite)
            for r in range(n):
                rep = folder / "replications" / f"rep_{r:03d}"
                if resume and (rep / "metadata.json").exists():
                    have[scn.name][r] = load_results(rep, scn)
        tasks += [Task(f"{scn.name}/rep_{r:03d}", scn, s) for r, s in enumerate(seeds) if r not in have[scn.name]]
    total = n * len(jobs)
    done = sum(len(h) for h in have.values())
    if progress:
        progress(done, total)
    try:
        for outcome in execute(tasks, workers, scheduler):
            name, rep = outcome.task.key.split("/")
            r = int(rep.split("_")[1])
            if outcome.error:
                raise RuntimeError(f"{name} replication {r} (seed {outcome.task.seed}) failed: {outcome.error}")
            have[name][r] = outcome.result
            if folders[name] is not None:
                outcome.result.write(folders[name] / "replications" / rep, plots=False)
                m = manifests[name]
                m["done"] = sorted(set(m["done"]) | {r})
                _write_json(folders[name] / "manifest.json", m)
            done += 1
            if progress:
                progress(done, total)
    finally:
        for name, m in manifests.items():
            m["status"] = "complete" if len(have[name]) == n else "partial"
            _write_json(folders[name] / "manifest.json", m)
    return {name: [h[r] for r in range(n)] for name, h in have.items()}


def _prepare_folder(out: Path, scenario: Scenario, seed: int, n: int, seeds: list[int], resume: bool,
                    overwrite: bool) -> dict:
    manifest_path = out / "manifest.json"
    fresh = {"scenario": scenario.name, "scenario_hash": scenario.digest(), "seed": seed, "replications": n,
             "seeds": seeds, "done": [], "status": "partial"}
    if out.exists() and any(out.iterdir()):
        old = json.loads(manifest_path.read_text()) if manifest_path.exists() else None
        if resume:
            if old is None:
                raise ResultsFolderError(f"{out} has no manifest.json: nothing to resume there")
            if old["scenario_hash"] != fresh["scenario_hash"] or old["seed"] != seed:
                raise ResultsFolderError(
                    f"{out} holds replications of another scenario or seed (scenario {old['scenario']}, "
                    f"seed {old['seed']}); resume with the same scenario, overrides and --seed, or use --overwrite")
            fresh["done"] = [r for r in old.get("done", []) if r < n]
            return fresh
        if not overwrite:
            state = (f"{old['status']} results ({len(old['done'])} of {old['replications']} replications)"
                     if old else "results")
            raise ResultsFolderError(f"{out} already holds {state}; add --resume to complete them, "
                                     "or --overwrite to start again")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    _write_json(manifest_path, fresh)
    return fresh
