"""What the fuzz tests share: running ``python -m corridor_sim`` as a subprocess with a timeout (so a
hang fails a test, with the command, instead of stalling the suite), a few at once, and counting
the outcomes (exit 0, exit 2, other, hang) that the tests print with -s; and the bounds of the
schema's numbers, read from its pydantic models, with the values at and just outside them."""

from __future__ import annotations

import math
import os
import shlex
import signal
import subprocess
import sys
import time
import types
import typing
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel
from pydantic.fields import FieldInfo

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_S = 60.0  # a small corridor's year runs in seconds; a minute is a hang
REFUSE_AT_ONCE_S = 20.0  # what must be refused before it starts (run-size check): no simulation
PARALLEL = 2  # the suite's machine has two cores
# big-but-valid inputs are refused by the run-size check in under a second instead of run for minutes
ENV = {"CORRIDOR_SIM_MEMORY": "1G", "MPLBACKEND": "Agg"}
# The suite's pass is a fixed, derandomized sample sized to keep the whole suite within its time;
# CORRIDOR_SIM_FUZZ=full runs the full pass (every extreme, and the larger counts of mutants).
FULL = os.environ.get("CORRIDOR_SIM_FUZZ") == "full"


def sized(suite: int, full: int) -> int:
    """How many cases a fuzz test tries: ``full`` in the full pass, ``suite`` otherwise."""
    return full if FULL else suite


@dataclass(frozen=True)
class Outcome:
    args: tuple[str, ...]
    code: int | None  # None: killed at the timeout
    output: str
    seconds: float

    @property
    def command(self) -> str:
        return "corridor-sim " + shlex.join(self.args)

    @property
    def kind(self) -> str:
        if self.code is None:
            return "hang"
        if "Traceback" in self.output:
            return "traceback"
        return {0: "exit 0", 2: "exit 2"}.get(self.code, f"exit {self.code}")

    def describe(self) -> str:
        tail = self.output[-3000:]
        return f"{self.kind} after {self.seconds:.1f} s: {self.command}\n{tail}"


# what makes coverage start in a Python subprocess (pyproject's [tool.coverage.run] patch)
COVERAGE_VARS = ("COVERAGE_PROCESS_START", "COVERAGE_PROCESS_CONFIG")


def untraced(env: dict[str, str]) -> dict[str, str]:
    """``env`` without what starts coverage in a subprocess. The commands these tests start are
    the CLI's own, measured in-process by the CLI tests; traced, a run takes two to three times
    as long, and the fuzz and README tests run hundreds of them."""
    return {k: v for k, v in env.items() if k not in COVERAGE_VARS}


def cli(args, timeout: float = TIMEOUT_S, cwd: Path | None = None, memory: str | None = None) -> Outcome:
    """Run one command in its own process group, untraced; at the timeout the whole group is killed.
    ``memory``: what the run-size check may assume the machine has (default: 1G)."""
    env = {k: v for k, v in untraced(dict(os.environ)).items() if k != "CORRIDOR_SIM_TRACEBACK"} | ENV
    if memory:
        env["CORRIDOR_SIM_MEMORY"] = memory
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "corridor_sim", *args],
        cwd=cwd or ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        out, _ = proc.communicate(timeout=timeout)
        code: int | None = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        code = None
    return Outcome(tuple(str(a) for a in args), code, out or "", time.perf_counter() - t0)


def cli_many(commands: list[list[str]], timeout: float = TIMEOUT_S) -> list[Outcome]:
    """Run the commands, PARALLEL at a time, each with its own timeout; outcomes in order."""
    with ThreadPoolExecutor(PARALLEL) as pool:
        return list(pool.map(lambda a: cli(a, timeout), commands))


def tally(outcomes) -> Counter:
    return Counter(o.kind for o in outcomes)


RUN_SIZE = ("too large", "--allow-large")  # the run-size check's refusal names its override


def ended_well(o: Outcome, refusal: tuple[str, ...] = ()) -> bool:
    """Exit 0, or exit 2 with one paragraph (an error, no traceback) that says all of ``refusal``."""
    if o.kind == "exit 0":
        return True
    return o.kind == "exit 2" and "error: " in o.output and all(r in o.output for r in refusal)


# -- the bounds of numeric fields, from the pydantic models --------------------------------------


def _bounds(info: FieldInfo | None, extra: list) -> dict:
    out: dict = {}
    for m in [*(info.metadata if info is not None else []), *extra]:
        for k in ("ge", "gt", "le", "lt"):
            v = getattr(m, k, None)
            if v is not None:
                # several constraints of one kind (Positive, then a tighter gt): the tighter holds
                out[k] = max(out.get(k, v), v) if k in ("ge", "gt") else min(out.get(k, v), v)
        if getattr(m, "allow_inf_nan", None) is False:
            out["finite"] = True
    return out


def _numeric(tp) -> tuple[type, list, str] | None:
    """(int or float, the constraints, where: '' the value itself, '[]' each item, '{}' each value)
    for a numeric annotation, possibly optional, a list or a dict of numbers; else None."""
    where = ""
    extra: list = []
    for _ in range(4):
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp, *meta = typing.get_args(tp)
            for m in meta:
                extra.extend(m.metadata if isinstance(m, FieldInfo) else [m])
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return None
            tp = args[0]
        elif origin is list and not where:
            tp, where = typing.get_args(tp)[0], "[]"
        elif origin is dict and not where:
            tp, where = typing.get_args(tp)[1], "{}"
        else:
            break
    if tp in (int, float):
        return tp, extra, where
    return None


def numeric_fields(models: list[type[BaseModel]]) -> list[tuple[str, str, type, dict, str]]:
    """(model, field, int or float, bounds, where) for every bounded number of the ``models``."""
    out = []
    for cls in models:
        name = cls.__name__
        hints = typing.get_type_hints(cls, include_extras=True)
        for fname, info in cls.model_fields.items():
            num = _numeric(hints[fname])
            if num is None:
                continue
            tp, extra, where = num
            b = _bounds(info, extra)
            if any(k in b for k in ("ge", "gt", "le", "lt")):
                out.append((name, fname, tp, b, where))
    return out


def extremes(tp: type, b: dict) -> tuple[list, list]:
    """(the smallest and largest allowed values, values just outside) for a field's bounds."""
    inside, outside = [], []
    if tp is int:
        lo = b["ge"] if "ge" in b else (b["gt"] + 1 if "gt" in b else None)
        hi = b["le"] if "le" in b else (b["lt"] - 1 if "lt" in b else None)
        inside += [v for v in (lo, hi) if v is not None]
        outside += [lo - 1] if lo is not None else []
        outside += [hi + 1] if hi is not None else []
        return inside, outside
    lo = b["ge"] if "ge" in b else (math.nextafter(b["gt"], math.inf) if "gt" in b else None)
    hi = b["le"] if "le" in b else (math.nextafter(b["lt"], -math.inf) if "lt" in b else None)
    inside += [float(v) for v in (lo, hi) if v is not None]
    if "ge" in b:
        outside.append(math.nextafter(float(b["ge"]), -math.inf))
    if "gt" in b:
        outside.append(float(b["gt"]))
    if "le" in b:
        outside.append(math.nextafter(float(b["le"]), math.inf))
    if "lt" in b:
        outside.append(float(b["lt"]))
    if b.get("finite"):
        outside += [math.inf if hi is None else -math.inf, math.nan]
    return inside, outside
