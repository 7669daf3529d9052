"""What the heavy jobs' benchmarks share (bench_appraise.py, bench_plan.py, bench_sensitivity.py).

Each job runs on 1 worker (in this process) and on W worker processes, one after the other in one
run of the script; the tables are checked identical; the figures are the job's own accounting
(its JSON's ``accounting``: wall time, CPU of this process and of the workers, simulated years,
kernel events, waves and each wave's task CPU). The parallel efficiency is the 1-worker wall time
over W times the W-worker wall time. CPU is also given in bare-SimPy events (CPU s x the events
per CPU s of a bare SimPy loop timed in this process, as bench_year.py does), which does not
depend on the machine. The wall time on a cluster of K workers is estimated on paper from the
waves and task sizes measured: the waves run one after another, and a wave of tasks takes at
least its largest task and at least its tasks' CPU over K; the parent's own CPU (the tally's, on
W workers, where the tasks are not in it) is added once.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from bench_year import BARE_EVENTS, bare_simpy


def on_paper(acct: dict, workers: int) -> float:
    """Wall time on ``workers`` workers from the waves and task sizes measured, s."""
    waves = sum(max(top, total / workers) for total, top in acct["wave_cpu_s"])
    return waves + acct["cpu_s_parent"]


def compare(
    name: str,
    job: Callable[[int], Any],
    same: Callable[[Any, Any], None],
    workers: int = 2,
    cluster: int = 64,
) -> None:
    """Run ``job(1)`` then ``job(workers)`` (each returns a result with ``.accounting``), check
    ``same(a, b)``, print the table."""
    rate = bare_simpy(BARE_EVENTS)
    one = job(1)
    many = job(workers)
    same(one, many)
    a1, aw = one.accounting, many.accounting
    eff = a1["wall_s"] / (workers * aw["wall_s"]) if aw["wall_s"] > 0 else float("nan")
    print(f"{name} ({os.cpu_count()} cores; identical tables on 1 and {workers} workers)")
    rows = [
        ("wall time, s", "wall_s", "{:10.1f}"),
        ("CPU in all, s (this process + workers)", "cpu_s_total", "{:10.1f}"),
        ("  of this process, s", "cpu_s_parent", "{:10.1f}"),
        ("  of the workers and forked runs, s", "cpu_s_workers", "{:10.1f}"),
        ("simulated years", "simulated_years", "{:10,.0f}"),
        ("  years shared (branched runs)", "shared_years", "{:10.1f}"),
        ("kernel events", "events", "{:10,.0f}"),
        ("waves (batches one after another)", "waves", "{:10,.0f}"),
        ("tasks", "tasks", "{:10,.0f}"),
        ("runs", "runs", "{:10,.0f}"),
    ]
    print(f"  {'':44s}{'1 worker':>10s}  {f'{workers} workers':>10s}")
    for label, key, fmt in rows:
        print(f"  {label:44s}{fmt.format(a1.get(key, 0))}  {fmt.format(aw.get(key, 0))}")
    print(f"  {'CPU in all, million bare-SimPy events':44s}{a1['cpu_s_total'] * rate / 1e6:10.1f}")
    print(f"  {'parallel efficiency on ' + str(workers) + ' workers':44s}{eff:10.2f}")
    print(f"  {'CPU s per simulated year':44s}{a1['cpu_s_total'] / max(a1['simulated_years'], 1):10.3f}")
    print(
        f"  on paper, {cluster} workers: {on_paper(aw, cluster):.1f} s wall "
        f"({aw['waves']} waves; largest task {max((t for _, t in aw['wave_cpu_s']), default=0):.1f} s CPU; "
        f"tasks per wave {aw['wave_sizes']})"
    )
