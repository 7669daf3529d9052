"""One simulated year of the base scenario against a bare SimPy loop with the same number of events.

Prints both event rates and their ratio, measured in the same run on the same machine, so the
figure is comparable across machines (the ratio says what the model's bookkeeping costs on top of
SimPy's own event loop). Usage: python benchmarks/bench_year.py [--repeat 3]
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import simpy

import corridor_sim as cs
from corridor_sim.model.build import Model

ROOT = Path(__file__).resolve().parents[1]


def model_year(seed: int) -> tuple[int, float, float]:
    scn = cs.load_scenario(ROOT / "scenarios" / "base.yaml", years=(2024, 2024))
    t0 = time.perf_counter()
    model = Model(scn, seed)
    model.run()
    t_sim = time.perf_counter() - t0
    t1 = time.perf_counter()
    cs.results.collect(model, t_sim)
    return model.events, t_sim, time.perf_counter() - t1


def bare_simpy(n_events: int, n_procs: int = 200) -> float:
    """n_procs processes each waiting on timeouts: one event per step, as in the model."""
    env = simpy.Environment()
    per = n_events // n_procs

    def proc(env, k):
        for i in range(per):
            yield env.timeout(1.0 + (i * 7 + k) % 13)

    for k in range(n_procs):
        env.process(proc(env, k))
    step, peek = env.step, env.peek
    t0 = time.perf_counter()
    n = 0
    while peek() < float("inf"):
        step()
        n += 1
    return n / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rates, raw, sims, collects = [], [], [], []
    for r in range(args.repeat):
        n, t_sim, t_collect = model_year(seed=r + 1)
        rates.append(n / t_sim)
        sims.append(t_sim)
        collects.append(t_collect)
        raw.append(bare_simpy(n))
    model_rate, raw_rate = statistics.median(rates), statistics.median(raw)
    print(f"base scenario, 1 simulated year + {cs.load_scenario(ROOT / 'scenarios/base.yaml').warmup_days:g} d warm-up, "
          f"{args.repeat} runs (medians)")
    print(f"  events per run           {n:>12,}")
    print(f"  simulate (build + run)   {statistics.median(sims):>12.2f} s")
    print(f"  collect tables           {statistics.median(collects):>12.2f} s")
    print(f"  model events/s           {model_rate:>12,.0f}")
    print(f"  bare SimPy events/s      {raw_rate:>12,.0f}")
    print(f"  ratio model / bare SimPy {model_rate / raw_rate:>12.2f}")


if __name__ == "__main__":
    main()
