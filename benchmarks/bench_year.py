"""CPU cost of one simulated base year, in seconds and in bare-SimPy events.

One repetition builds and runs the base scenario for 2024 (its 90-day warm-up included) and then
times a bare SimPy loop in the same process. The machine-independent figure is the year's cost in
bare-SimPy events: CPU seconds x the bare loop's events per CPU second. Kernel events per 1,000 t
delivered says how much event traffic the model spends per unit of work (warm-up included in both
the events and the tonnes). CPU time (``time.process_time``), not wall time, so other processes on
the machine disturb the figures less; medians over the repetitions.
Usage: python benchmarks/bench_year.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import simpy

import corridor_sim as cs
from corridor_sim.model.build import Model
from corridor_sim.run.tables import collect

ROOT = Path(__file__).resolve().parents[1]
BARE_EVENTS = 300_000  # fixed, so the bare rate does not depend on the model being measured


def model_year(scn, seed: int) -> tuple[int, float, float, float]:
    """Kernel events, tonnes delivered, CPU s to build and run, CPU s to collect the tables."""
    t0 = time.process_time()
    model = Model(scn, seed)
    model.run()
    cpu_sim_s = time.process_time() - t0
    t1 = time.process_time()
    collect(model, cpu_sim_s)
    cpu_collect_s = time.process_time() - t1
    tons = sum(acc.tons for acc in model.ledger.route_stats.values())  # every tonne delivered, warm-up included
    return model.events, tons, cpu_sim_s, cpu_collect_s


def bare_simpy(n_events: int, n_procs: int = 200) -> float:
    """Events per CPU second of n_procs processes each waiting on timeouts (one event per step)."""
    env = simpy.Environment()
    per = n_events // n_procs

    def proc(env, k):
        for i in range(per):
            yield env.timeout(1.0 + (i * 7 + k) % 13)

    for k in range(n_procs):
        env.process(proc(env, k))
    step, peek = env.step, env.peek
    t0 = time.process_time()
    n = 0
    while peek() < float("inf"):
        step()
        n += 1
    return n / (time.process_time() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    scn = cs.load_scenario(ROOT / "scenarios" / "base.yaml", years=(2024, 2024))
    events, per_kt, cpu, collect, bare, cost = [], [], [], [], [], []
    for r in range(args.repeat):
        n, tons, cpu_sim_s, cpu_collect_s = model_year(scn, seed=r + 1)
        rate = bare_simpy(BARE_EVENTS)
        events.append(n)
        per_kt.append(n / (tons / 1000.0))
        cpu.append(cpu_sim_s)
        collect.append(cpu_collect_s)
        bare.append(rate)
        cost.append(cpu_sim_s * rate)
    med = statistics.median
    print(f"base scenario, 1 simulated year + {scn.warmup_days:g} d warm-up, seeds 1-{args.repeat} (medians)")
    print(f"  CPU per simulated year (build + run)   {med(cpu):>12.3f} s")
    print(f"  kernel events                          {med(events):>12,.0f}")
    print(f"  kernel events per 1,000 t delivered    {med(per_kt):>12.1f}")
    print(f"  bare SimPy events per CPU s            {med(bare):>12,.0f}")
    print(f"  cost in bare-SimPy events              {med(cost):>12,.0f}")
    print(f"  CPU to collect the tables              {med(collect):>12.3f} s")


if __name__ == "__main__":
    main()
