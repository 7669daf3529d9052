"""Execution: batches of independent runs (Tasks), in this process, on a local process pool or
on a Dask cluster, with identical results wherever they run.

A ``Task`` is a scenario and a seed, named by what it stands for in its batch; a worker function
turns it into an ``Outcome`` (its result, or the error that stopped it: the ``task`` decorator), so
a batch goes on past a failure and its caller decides what one means. ``Execution`` says where and
how, in one object. Replication r of base seed s uses ``replication_seed(s, r)``: replication 0
is the base seed itself (a single run and the first replication agree), and every scenario
compared gets the same seeds, so scenario differences are measured on common random numbers. The
seed of a task never depends on where or in what order it runs, so 1 worker, 2 workers and Dask
give identical results.
"""

from __future__ import annotations

import ast
import ctypes
import functools
import logging
import multiprocessing as mp
import os
import signal
import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from multiprocessing import get_context
from pathlib import Path
from types import FrameType
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit

import numpy as np

try:
    import resource  # POSIX: the CPU of forked runs (run.branches)
except ImportError:  # pragma: no cover - Windows, where runs are not forked
    resource = None  # type: ignore[assignment]

from ..display import CompactRepr
from ..run import runsize
from ..run.results import Results
from ..run.simulate import counts, run
from ..scenario.schema import Scenario


def replication_seed(base_seed: int, r: int) -> int:
    """Seed of replication r: the base seed for r = 0, then independent derived seeds.

    >>> replication_seed(7, 0), replication_seed(7, 1) == replication_seed(7, 1), replication_seed(7, 1) != 7
    (7, True, True)
    """
    if r == 0:
        return int(base_seed)
    return int(np.random.SeedSequence([int(base_seed), int(r)]).generate_state(1)[0])


@dataclass(frozen=True, repr=False)  # the repr is display.CompactRepr's
class Execution(CompactRepr):
    """How a batch of runs is carried out, in one object instead of five arguments threaded
    through every layer: where (local processes or a Dask scheduler), what it may replace in its
    folder, how large it may be, and whom it tells about its progress."""

    workers: int | None = None  # local worker processes (None: all cores; 1: in this process)
    scheduler: Any = None  # a Dask scheduler address (tcp:// or tls://), or a distributed.Client
    resume: bool = False  # complete an interrupted replicated run in its folder
    resume_any_version: bool = False  # resume even what another corridor-sim version wrote
    overwrite: bool = False  # replace earlier results (kept until the new ones are complete)
    allow_large: bool = False  # skip the check of the batch's size against this machine's memory
    progress: Callable[[int, int], None] | None = None  # called with (runs done, runs in all)
    log: Callable[[str], None] | None = None  # told what is reused, re-run or skipped
    tally: Tally | None = None  # what the command's runs cost, added up (``session``)
    pool: Session | None = None  # the command's one process pool or Dask client (``session``)

    @classmethod
    def of(cls, execution: Execution | None = None, **options) -> Execution:
        """``execution``, with any options given by name on top (the API functions' keywords).

        >>> Execution.of(workers=2).workers, Execution.of(Execution(resume=True), workers=1)
        (2, <Execution workers=1, scheduler=None, resume=True, resume_any_version=False, overwrite=False, allow_large=False, progress=None, log=None, tally=None, pool=None>)
        """
        unknown = set(options) - {f.name for f in fields(cls)}
        if unknown:
            raise TypeError(f"unknown execution option(s): {', '.join(sorted(unknown))}")
        return replace(execution or cls(), **options)

    def say(self, message: str) -> None:
        if self.log is not None:
            self.log(message)


# ----------------------------------------------------------------------------------------------
# Accounting: what a command's runs cost, wherever they ran
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Cost:
    """What one task cost, measured where it ran: the process (``pid``) and its CPU so far
    (``process_cpu_s``: a pool worker's whole life, its start and every task it ran), the task's
    own CPU (its thread's), and the runs, simulated years and kernel events it simulated."""

    pid: int
    process_cpu_s: float
    task_cpu_s: float
    runs: int
    simulated_years: int
    events: int
    children_cpu_s: float = 0.0  # of the processes it forked (runs branched at a date: run.branches)
    shared_years: float = 0.0  # years its branched runs took over instead of simulating them


def _children_cpu_s() -> float:
    """CPU of this process's ended and waited-for children (POSIX; 0 elsewhere)."""
    if resource is None:
        return 0.0
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _measured(fn: Callable[[Task], Outcome], t: Task) -> tuple[Outcome, Cost]:
    """Run a task function and measure it (in the worker, so the figures are the worker's)."""
    c0 = dict(counts())
    th0, ch0 = time.thread_time(), _children_cpu_s()
    outcome = fn(t)
    c1 = counts()
    children = _children_cpu_s() - ch0
    cost = Cost(
        os.getpid(),
        time.process_time(),
        time.thread_time() - th0 + children,
        int(c1["runs"] - c0["runs"]),
        int(c1["simulated_years"] - c0["simulated_years"]),
        int(c1["events"] - c0["events"]),
        children,
        c1["shared_years"] - c0["shared_years"],
    )
    return outcome, cost


@dataclass
class Tally:
    """What a command cost, added up over its batches: the sequential ``waves`` (batches run one
    after another because each needs the last one's results), tasks, runs, simulated years and
    kernel events; the wall time and this process's CPU since the tally started; and the CPU of
    the workers: for worker processes of this command's own pool, each process's CPU over its
    life (its start included); for a Dask cluster, whose workers serve others too, the tasks'
    own CPU. Tasks run in this process (one worker, or Dask threads in it) are in its own CPU."""

    waves: int = 0
    tasks: int = 0
    runs: int = 0
    simulated_years: int = 0
    events: int = 0
    shared_years: float = 0.0
    task_cpu_s: float = 0.0
    wave_sizes: list[int] = field(default_factory=list)
    wave_cpu_s: list[list[float]] = field(default_factory=list)  # per wave: its tasks' CPU in all, the largest
    t0: float = field(default_factory=time.perf_counter)
    cpu0: float = field(default_factory=time.process_time)
    _pool_cpu: dict[int, float] = field(default_factory=dict)
    _remote_cpu_s: float = 0.0
    _forked_cpu_s: float = 0.0

    def wave(self, n: int) -> None:
        self.waves += 1
        self.wave_sizes.append(n)
        self.wave_cpu_s.append([0.0, 0.0])

    def record(self, cost: Cost, own_pool: bool) -> None:
        self.tasks += 1
        self.runs += cost.runs
        self.simulated_years += cost.simulated_years
        self.events += cost.events
        self.shared_years += cost.shared_years
        self.task_cpu_s += cost.task_cpu_s
        if self.wave_cpu_s:  # the wave running now (waves run one after another)
            w = self.wave_cpu_s[-1]
            w[0], w[1] = w[0] + cost.task_cpu_s, max(w[1], cost.task_cpu_s)
        self._forked_cpu_s += cost.children_cpu_s  # other processes, wherever the task ran
        if cost.pid == os.getpid():
            return  # in this process: in its own CPU
        if own_pool:
            self._pool_cpu[cost.pid] = max(self._pool_cpu.get(cost.pid, 0.0), cost.process_cpu_s)
        else:
            self._remote_cpu_s += cost.task_cpu_s - cost.children_cpu_s

    @property
    def worker_cpu_s(self) -> float:
        return sum(self._pool_cpu.values()) + self._remote_cpu_s + self._forked_cpu_s

    def report(self) -> dict[str, Any]:
        """The accounting fields of a command's JSON (docs/performance.md)."""
        parent = time.process_time() - self.cpu0
        return {
            "wall_s": round(time.perf_counter() - self.t0, 3),
            "cpu_s_parent": round(parent, 3),
            "cpu_s_workers": round(self.worker_cpu_s, 3),
            "cpu_s_total": round(parent + self.worker_cpu_s, 3),
            "cpu_s_tasks": round(self.task_cpu_s, 3),
            "worker_processes": len(self._pool_cpu),
            "waves": self.waves,
            "wave_sizes": list(self.wave_sizes),
            "wave_cpu_s": [[round(a, 3), round(b, 3)] for a, b in self.wave_cpu_s],
            "tasks": self.tasks,
            "runs": self.runs,
            "simulated_years": self.simulated_years,
            "shared_years": round(self.shared_years, 3),
            "events": self.events,
        }


class Session:
    """A command's one executor: the local process pool (started at its first batch that needs
    one, kept for every later batch) or the Dask client, closed when the command ends
    (``session``)."""

    def __init__(self, ex: Execution):
        self.ex = ex
        self.executor: ProcessPoolExecutor | None = None
        self.size = 0  # the pool's workers
        self.client: Any = None
        self.own_client = False  # a client the session connected (not one the caller gave)
        self.broken = False  # the workers could not start: later batches run in this process

    def pool(self, workers: int, tasks: int) -> ProcessPoolExecutor:
        """The pool for a batch of ``tasks``: as many workers as the batch can use, up to
        ``workers``; kept while big enough, replaced by a bigger one for a bigger batch."""
        size = min(workers, tasks)
        if self.executor is not None and self.size < size:
            self.executor.shutdown(wait=True)
            self.executor = None
        if self.executor is None:
            self.size = size
            self.executor = ProcessPoolExecutor(
                max_workers=size,
                mp_context=_pool_context(),
                initializer=_die_with_parent,
                initargs=(os.getpid(),),
            )
        return self.executor

    def kill(self) -> None:
        """Stop the pool's workers now (an interrupted or failed batch)."""
        if self.executor is not None:
            _kill(self.executor)
            self.executor = None

    def close(self, ok: bool) -> None:
        if self.executor is not None:
            if ok:
                self.executor.shutdown(wait=True)
            else:
                _kill(self.executor)
            self.executor = None
        if self.client is not None and self.own_client:
            self.client.close()
        self.client = None


@contextmanager
def session(execution: Execution | None = None) -> Iterator[Execution]:
    """``execution`` for a whole command: one process pool (or Dask client) for all its batches,
    and a ``Tally`` of what they cost. Within a session already open (a plan's capacity
    estimates), that session's pool and tally."""
    ex = execution or Execution()
    tally = ex.tally if ex.tally is not None else Tally()
    if ex.pool is not None:
        yield replace(ex, tally=tally)
        return
    s = Session(ex)
    ok = False
    try:
        yield replace(ex, tally=tally, pool=s)
        ok = True
    finally:
        s.close(ok)


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


def task(fn: Callable[..., R]) -> Callable[..., Outcome[R]]:
    """Make ``fn`` a worker function: called with its fixed arguments (bound with
    ``functools.partial``) and then a Task, it returns the Task's Outcome, an exception becoming a
    recorded error so that a batch can go on. The one place a task's failure is caught."""

    @functools.wraps(fn)
    def as_outcome(*args: Any) -> Outcome[R]:
        t: Task = args[-1]
        try:
            return Outcome(t, fn(*args))
        except Exception as exc:
            return Outcome(t, None, f"{type(exc).__name__}: {exc}")

    return as_outcome


@task
def run_task(t: Task) -> Results:
    """Run one task (and write its folder, when it has one). The size was checked, for every task
    at once, before any started."""
    res = run(t.scenario, seed=t.seed, allow_large=True, detail=t.detail)
    if t.out is not None:
        # the worker writes its own run: the parent only keeps the manifest, so N workers write
        # N folders at once instead of the parent writing them one after another
        res.write(t.out, overwrite=True)
    return res


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
    # named as run.branches knows it: a thread a forked run may leave behind
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
    if "forkserver" in mp.get_all_start_methods():
        ctx = get_context("forkserver")
        # pyarrow too (the server skips it where it is not installed): each worker writes Parquet,
        # and importing it costs ~0.5 s, once per worker otherwise
        ctx.set_forkserver_preload(["corridor_sim", "pyarrow", "pyarrow.parquet"])
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
    if ex.tally is not None:
        ex.tally.wave(len(tasks))
    done, total = 0, len(tasks)
    if ex.progress:
        ex.progress(0, total)
    for outcome in _run(tasks, ex, fn):
        done += 1
        if ex.progress:
            ex.progress(done, total)
        yield outcome


@dataclass(frozen=True)
class Succeeded(Generic[R]):
    """A task that succeeded, and its result."""

    task: Task
    result: R


def succeeded(tasks: list[Task], ex: Execution, fn: Callable[[Task], Outcome[R]], what: str) -> Iterator[Succeeded[R]]:
    """``execute``'s outcomes of tasks that must all succeed (an analysis cannot rank on a missing
    run): RuntimeError naming the first that failed."""
    for outcome in execute(tasks, ex, fn):
        if outcome.error or outcome.result is None:
            raise RuntimeError(f"{what} {outcome.task.key} failed: {outcome.error}")
        yield Succeeded(outcome.task, outcome.result)


# ----------------------------------------------------------------------------------------------
# Can worker processes start from this program? (a script without a __main__ guard, stdin)
# ----------------------------------------------------------------------------------------------
GUARD = 'if __name__ == "__main__":'
_warned: set[str] = set()


def _is_guard(stmt: ast.stmt) -> bool:
    """``if __name__ == "__main__":`` (either way round)."""
    if not isinstance(stmt, ast.If) or not isinstance(stmt.test, ast.Compare) or len(stmt.test.comparators) != 1:
        return False
    sides = [stmt.test.left, stmt.test.comparators[0]]
    names = [x.id for x in sides if isinstance(x, ast.Name)]
    consts = [x.value for x in sides if isinstance(x, ast.Constant)]
    return isinstance(stmt.test.ops[0], ast.Eq) and names == ["__name__"] and consts == ["__main__"]


@functools.lru_cache(maxsize=32)
def _guarded_lines(path: str) -> tuple[tuple[int, int, bool], ...] | None:
    """The top-level statements of a program file: (first line, last line, under the guard)."""
    try:
        tree = ast.parse(Path(path).read_bytes())
    except (OSError, SyntaxError, ValueError):
        return None
    return tuple((st.lineno, st.end_lineno or st.lineno, _is_guard(st)) for st in tree.body)


def workers_cannot_start() -> str | None:
    """Why worker processes cannot start from this program, or None when they can.

    A worker process (spawn or forkserver) first re-imports the program's main module: a program
    read from stdin (``python -``) cannot be re-imported, and one that calls corridor-sim at its
    top level, outside ``if __name__ == "__main__":``, would call it again in every worker, which
    Python refuses. Both end in BrokenProcessPool and a wall of tracebacks from the workers; this
    sees them before any worker starts. A program with no main file (``python -c``, an
    interactive session, a notebook) is not re-imported, so its workers start.
    """
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    path = getattr(spec, "origin", None) if spec is not None else getattr(main, "__file__", None)
    if main is None or not path:
        return None
    if not Path(path).is_file():
        return f"this program ({path}) cannot be re-imported by worker processes"
    frame: FrameType | None = sys._getframe(1)
    top = None
    while frame is not None:
        if frame.f_globals is vars(main) and frame.f_code.co_name == "<module>":
            top = frame  # the main module's own code, running its top level
        frame = frame.f_back
    stmts = _guarded_lines(str(path)) if top is not None else None
    if stmts is None or top is None:
        return None
    line = top.f_lineno
    for first, last, guarded in stmts:
        if first <= line <= last and not guarded:
            return (
                f"{path} calls corridor-sim at its top level (line {line}), outside "
                f"'{GUARD}', so worker processes, which re-import it, cannot start"
            )
    return None


def _in_process_note(reason: str) -> None:
    """One warning line, once per reason, for runs that go in this process instead of workers."""
    if reason in _warned:
        return
    _warned.add(reason)
    logging.getLogger("corridor_sim").warning(
        f"corridor-sim: {reason}; running in this process instead (one core). To use every core, put "
        f"the calls in a file under {GUARD!r}."
    )


def _run(tasks: list, ex: Execution, fn: Callable) -> Iterator[Outcome]:
    workers = ex.workers or default_workers()
    if ex.scheduler:
        yield from _execute_dask(tasks, ex, fn)
        return
    if workers > 1 and len(tasks) > 1:
        reason = workers_cannot_start()
        if reason:
            _in_process_note(reason)
            workers = 1
    if ex.pool is not None and ex.pool.broken:
        workers = 1
    if workers <= 1 or len(tasks) == 1:
        yield from _here(tasks, ex, fn)
        return
    yield from _run_pool(tasks, workers, fn, ex)


def _here(tasks: list, ex: Execution, fn: Callable) -> Iterator[Outcome]:
    for t in tasks:
        outcome, cost = _measured(fn, t)
        if ex.tally is not None:
            ex.tally.record(cost, own_pool=False)
        yield outcome


def _kill(pool: ProcessPoolExecutor) -> None:
    """Stop a pool and its running simulations too (ProcessPoolExecutor has no public kill)."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        if p.is_alive():
            p.terminate()


def _run_pool(tasks: list, workers: int, fn: Callable, ex: Execution | None = None) -> Iterator[Outcome]:
    """The tasks on local worker processes: the session's pool (kept for the next batch), or one
    of their own (ended with the batch)."""
    sess = ex.pool if ex is not None else None
    if sess is not None:
        pool = sess.pool(workers, len(tasks))
    else:
        pool = ProcessPoolExecutor(
            max_workers=min(workers, len(tasks)),
            mp_context=_pool_context(),
            initializer=_die_with_parent,
            initargs=(os.getpid(),),
        )
    tally = ex.tally if ex is not None else None
    pending: set = set()
    finished = started = broken = False
    try:
        pending = {pool.submit(_measured, fn, t) for t in tasks}
        while pending and not broken:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                try:
                    outcome, cost = fut.result()
                except BrokenProcessPool:
                    if started:
                        raise
                    broken = True  # no worker finished anything: they could not start (below)
                    break
                started = True
                if tally is not None:
                    tally.record(cost, own_pool=True)
                yield outcome
        finished = not broken
    finally:
        if finished:
            if sess is None:
                pool.shutdown(wait=True)  # idle workers end by themselves
        else:
            for fut in pending:
                fut.cancel()
            # interrupted or failed: stop running simulations too
            if sess is not None:
                sess.kill()
            else:
                _kill(pool)
    if not finished:
        # the workers died before finishing anything, for a reason not seen up front: run here
        _in_process_note("the worker processes ended before finishing any run")
        if sess is not None:
            sess.broken = True
        yield from _here(tasks, ex or Execution(), fn)


def preflight(tasks: list, execution: Execution | None = None, keep_results: bool = False) -> None:
    """What can refuse a batch before anything runs or is written: its size against this machine's
    memory and each run's time (``runsize.check``: the runs at once, plus every result when
    ``keep_results``), the runs' time in all (``runsize.check_batch``), and a scheduler that does
    not answer."""
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
    if len(tasks) > 1:
        # one run may fit while thousands of them take hours: their estimates add up
        seconds = {id(s): runsize.estimate(s, detail).seconds for s in distinct}
        runsize.check_batch(
            [seconds[id(t.scenario)] for t in tasks], at_once, ex.allow_large, f"this batch of {len(tasks):,} runs"
        )
    if isinstance(ex.scheduler, str):
        _reachable(ex.scheduler)


HANDSHAKE_TIMEOUT_S = 5.0  # a scheduler answers a new connection at once; a LAN round trip is ~ms


def scheduler_parts(address: str) -> tuple[str, str | None, int | None]:
    """A --scheduler address as (scheme, host, port); a tcp:// or tls:// one needs a host and a
    port (SchedulerError, naming the option, otherwise)."""
    try:
        parts = urlsplit(address if "://" in address else f"tcp://{address}")
        host, port = parts.hostname, parts.port
    except ValueError as exc:
        raise SchedulerError(
            f"--scheduler {address}: not an address ({exc}); give the scheduler as tcp://HOST:PORT "
            "(or tls://HOST:PORT; an IPv6 host in brackets, e.g. tcp://[::1]:8786)"
        ) from None
    if parts.scheme in ("tcp", "tls") and (not host or not port):
        raise SchedulerError(f"--scheduler {address}: give the scheduler as tcp://HOST:PORT (or tls://HOST:PORT)")
    return parts.scheme, host, port


def _reachable(address: str, timeout_s: float = HANDSHAKE_TIMEOUT_S) -> None:
    """Fail fast, naming the option, when a tcp:// or tls:// address is malformed, or nothing
    there answers as a Dask scheduler within ``timeout_s``: a Dask client would retry for its
    whole timeout, and one whose connection is accepted by something that never answers waits on
    it. A Dask scheduler speaks first on a new connection (its handshake), so a silent peer is
    not one; over tls:// the TLS handshake is the first answer."""
    scheme, host, port = scheduler_parts(address)
    if scheme not in ("tcp", "tls"):
        return
    try:
        sock = socket.create_connection((host, port), timeout=timeout_s)
    except OSError as exc:
        raise SchedulerError(
            f"--scheduler {address}: no Dask scheduler answers there "
            f"({exc.strerror or exc}); start one (see the README) or check the address"
        ) from None
    silent = SchedulerError(
        f"--scheduler {address}: something accepts connections there but does not answer as a Dask "
        f"scheduler within {timeout_s:g} s; check the address and port (the scheduler's, 8786 by default)"
    )
    with sock:
        sock.settimeout(timeout_s)
        try:
            if scheme == "tls":
                ctx = ssl.create_default_context()
                # only "does it answer?": Dask's own TLS configuration authenticates the real connection
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
                ctx.wrap_socket(sock, server_hostname=host).close()
                return
            answer = sock.recv(1)
        except TimeoutError:
            raise silent from None
        except ssl.SSLError:
            return  # it answered, in TLS: whether it accepts us is for the Dask client to say
        except OSError as exc:
            raise SchedulerError(
                f"--scheduler {address}: the connection was dropped before a Dask scheduler answered "
                f"({exc.strerror or exc}); check the address"
            ) from None
    if not answer:
        raise SchedulerError(
            f"--scheduler {address}: the peer closed the connection without answering as a Dask scheduler; "
            "check the address and port"
        )


def _dask_client(scheduler) -> tuple[Any, bool]:
    """A Dask client for ``scheduler`` (an address or a Client) and whether it is ours to close."""
    try:
        from distributed import Client
    except ImportError:
        raise SchedulerError("--scheduler needs Dask: pip install 'corridor-sim[dask]'") from None
    if not isinstance(scheduler, str):
        return scheduler, False
    _reachable(scheduler)
    try:
        # TLS and authentication come from Dask's own configuration (distributed.comm.tls.*)
        return Client(scheduler, timeout="20s"), True
    except (OSError, ValueError, TypeError) as exc:
        raise SchedulerError(f"--scheduler {scheduler}: cannot connect ({type(exc).__name__}: {exc})") from None


def _execute_dask(tasks: list, ex: Execution, fn) -> Iterator[Outcome]:
    """The tasks on a Dask cluster; within a session, on the session's one client."""
    from distributed import as_completed  # the optional extra, there once _dask_client found it

    if ex.pool is not None:
        if ex.pool.client is None:
            ex.pool.client, ex.pool.own_client = _dask_client(ex.scheduler)
        client, own = ex.pool.client, False
    else:
        client, own = _dask_client(ex.scheduler)
    measured = functools.partial(_measured, fn)
    futures = [
        client.submit(measured, t, key=f"corridor-sim-{t.key}-{t.seed}-{t.scenario.digest()[:12]}", pure=False)
        for t in tasks
    ]
    try:
        for fut in as_completed(futures):
            outcome, cost = fut.result()
            if ex.tally is not None:
                ex.tally.record(cost, own_pool=False)
            yield outcome
    finally:
        for fut in futures:
            if not fut.done():
                fut.cancel()
        if own:
            client.close()
