"""Runs of scenarios that differ only from a date on, with the time before it simulated once.

A tree of scenarios (each named, with the one it branches from): each root runs in full; at the
hour a child's timeline first differs from its parent's (``model.branch.branch_hour``), the
process forks, the copy turns into the child's run (``model.branch.become``) and goes on to the
end, sending its result back through a pipe, while the parent waits for it and then goes on. One
process at a time (the parent waits), so a tree uses one core like a run does. A child whose
branch hour cannot be shared runs in full; so does every node where this process cannot fork
(no ``os.fork``, or other threads running, which a fork would copy mid-step: a Dask worker's
threads). The results are those of full runs of each scenario, to the last digit
(tests/test_heavy_jobs.py); ``simulate.counts`` counts what was simulated here and, as
``shared_years``, the years the children took over from their parents.
"""

from __future__ import annotations

import ctypes
import functools
import os
import pickle
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..model.branch import at, become, branch_hour
from ..model.build import Model
from ..scenario.schema import Scenario
from .simulate import counts, run
from .tables import collect

HOURS_PER_YEAR = 8766.0  # 365.25 days: for the count of shared years only


@dataclass
class Node:
    name: str
    scenario: Scenario
    parent: str | None = None
    children: list[tuple[float, Node]] = field(default_factory=list)


# a thread a fork may leave behind: a worker's watch on the process that started it, which holds
# no lock a forked run needs (``experiments.execution``)
QUIET_THREADS = frozenset({"watch-run"})
# threads of an idle pool left behind by a closed Dask client (distributed's offload executor,
# one thread that (de)serialises for the client's event loop). It works only while a client's
# loop runs, and that loop's own thread is not quiet: with a client open no run is forked.
QUIET_THREAD_PREFIXES = ("Dask-Offload",)


def can_fork() -> bool:
    """Whether this process may fork a run: a POSIX fork, and no other thread (but a watch) that a
    fork would copy mid-step."""
    me = threading.current_thread()
    return hasattr(os, "fork") and all(t is me or _quiet(t.name) for t in threading.enumerate())


def _quiet(name: str) -> bool:
    return name in QUIET_THREADS or name.startswith(QUIET_THREAD_PREFIXES)


def _die_with_parent() -> None:
    """In a forked run: end when the process that forked it ends (Linux), not run on unwatched."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


def run_tree(
    nodes: Sequence[tuple[str, Scenario, str | None]], seed: int, reduce: Callable[[Any], Any], share: bool = True
) -> dict[str, Any]:
    """Every node's ``reduce(Results)``, by name: each node a (name, scenario, parent's name or
    None); children share their parents' time before their branch hour where they can."""
    by_name = {n: Node(n, s, p) for n, s, p in nodes}
    roots: list[Node] = []
    for node in by_name.values():
        parent = by_name.get(node.parent) if node.parent is not None else None
        hour = branch_hour(parent.scenario, node.scenario) if (parent is not None and share and can_fork()) else None
        if parent is None or hour is None:
            roots.append(node)
        else:
            parent.children.append((hour, node))
    out: dict[str, Any] = {}
    for root in roots:
        out.update(_run_node(root, seed, reduce))
    return out


def _run_node(node: Node, seed: int, reduce: Callable[[Any], Any]) -> dict[str, Any]:
    if not node.children:
        return {node.name: reduce(run(node.scenario, seed, allow_large=True, detail=False))}
    t0 = time.perf_counter()
    model = Model(node.scenario, seed, detail=False)
    state = _State(node, model, seed, reduce)
    state.watch(node)
    try:
        model.run()
        c = counts()
        c["runs"] += 1
        c["simulated_years"] += state.node.scenario.end_year - state.node.scenario.start_year + 1
        c["events"] += model.events - state.events_before
        got = {state.node.name: reduce(collect(model, time.perf_counter() - t0))}
        got.update(state.results)
    except BaseException as exc:
        if state.pipe is None:
            raise
        # a branch (a copy of its parent's process): it tells its parent and ends, never
        # going on with its parent's work
        _send(state.pipe, {"error": f"{type(exc).__name__}: {exc}"})
        os._exit(1)
    if state.pipe is None:
        return got
    # a branch: send what this process and its own branches made, with what it counted, and end
    _send(state.pipe, {"results": got, "counts": {k: c[k] - state.counts_before.get(k, 0) for k in c}})
    os._exit(0)


@dataclass
class _State:
    """What a process running a tree is now: the node it is, what its branches sent back, and
    for a branch the pipe to its parent and the counts it started from."""

    node: Node
    model: Model
    seed: int
    reduce: Callable[[Any], Any]
    results: dict[str, Any] = field(default_factory=dict)
    pipe: int | None = None
    events_before: int = 0
    counts_before: dict[str, float] = field(default_factory=dict)

    def watch(self, node: Node) -> None:
        """Stop at each of ``node``'s children's branch hours (and only theirs)."""
        self.model.stops.clear()
        for hour, child in node.children:
            at(self.model, hour, functools.partial(self.fork, child, hour))

    def fork(self, child: Node, hour: float) -> int:
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the copy: it becomes the child's run
            os.close(r)
            _die_with_parent()
            try:
                delta = become(self.model, child.scenario)
                if delta is None:  # it cannot: the child's run (and its tree) in full, here
                    before = dict(counts())
                    got = _run_node(Node(child.name, child.scenario, None, child.children), self.seed, self.reduce)
                    _send(w, {"results": got, "counts": {k: v - before.get(k, 0) for k, v in counts().items()}})
                    os._exit(0)
            except BaseException as exc:
                _send(w, {"error": f"{type(exc).__name__}: {exc}"})
                os._exit(1)
            self.pipe, self.node, self.results = w, child, {}
            self.events_before = self.model.events + delta
            self.counts_before = dict(counts())
            counts()["shared_years"] = counts().get("shared_years", 0) + max(hour, 0.0) / HOURS_PER_YEAR
            self.watch(child)
            return delta
        os.close(w)
        msg = _receive(r)
        os.waitpid(pid, 0)
        if "error" in msg:
            raise RuntimeError(f"the branch {child.name} failed: {msg['error']}")
        self.results.update(msg["results"])
        c = counts()
        for k, v in msg["counts"].items():
            c[k] = c.get(k, 0) + v
        return 0


def _send(fd: int, msg: dict) -> None:
    data = pickle.dumps(msg, protocol=pickle.HIGHEST_PROTOCOL)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _receive(fd: int) -> dict:
    with os.fdopen(fd, "rb") as fh:
        data = fh.read()
    if not data:
        return {"error": "it ended without sending its result"}
    return pickle.loads(data)
