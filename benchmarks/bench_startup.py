"""CPU cost of what a command does besides simulating: reading scenarios and drawing a run's charts.

Two parts, each timed in this process with a bare SimPy loop beside it (``bench_year.bare_simpy``),
so that each figure is also given in bare-SimPy events (CPU seconds x the loop's events per CPU
second), which does not depend on the machine:

- **load**: every shipped scenario file (``candidates.yaml`` is not a scenario) under each of its
  demand cases, read, merged along its ``extends`` chain and validated with its timeline, as every
  command does before it runs anything (and ``plan`` once per candidate set it derives);
- **charts**: the PNGs of a one-year base run (``present.plots.save_all``: the seven charts, and
  cost and CO2 where routes are priced), as ``corridor-sim run`` writes them; per chart, building
  the figure and saving it.

CPU time (``time.process_time``), medians over the repetitions.
Usage: python benchmarks/bench_startup.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import matplotlib.pyplot as plt

import corridor_sim as cs
from corridor_sim.present.plots.files import COST_FIGURES, FIGURES, cost_figures

from bench_year import BARE_EVENTS, bare_simpy

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted(p for p in (ROOT / "scenarios").glob("*.yaml") if p.name != "candidates.yaml")


def load_all() -> tuple[int, float]:
    """Loads made and their CPU s: every shipped file under each of its demand cases."""
    n, t0 = 0, time.process_time()
    for path in SCENARIOS:
        cases = [c.id for c in cs.load_scenario(path).demand_cases]
        n += 1
        for case in cases:
            cs.load_scenario(path, demand_case=case)
            n += 1
    return n, time.process_time() - t0


def charts(res, folder: Path) -> dict[str, tuple[float, float]]:
    """Per chart of the run: CPU s to build the figure, and to save it as a PNG."""
    out = {}
    priced = set(cost_figures(res))  # the cost charts this run has (built here once, then each timed)
    plt.close("all")
    for name, make in {**FIGURES, **{k: v for k, v in COST_FIGURES.items() if k in priced}}.items():
        t0 = time.process_time()
        fig = make(res)
        t1 = time.process_time()
        fig.savefig(folder / f"{name}.png", dpi=110)
        out[name] = (t1 - t0, time.process_time() - t1)
        plt.close(fig)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    res = cs.run(cs.load_scenario(ROOT / "scenarios" / "base.yaml", years=(2024, 2024)), seed=1)
    loads, load_cpu, bare = 0, [], []
    per_chart: dict[str, list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):
            loads, cpu = load_all()
            load_cpu.append(cpu)
            for name, t in charts(res, Path(tmp)).items():
                per_chart.setdefault(name, []).append(t)
            bare.append(bare_simpy(BARE_EVENTS))
    med = statistics.median
    rate = med(bare)
    print(f"bare SimPy loop: {rate:,.0f} events per CPU s (median of {args.repeat})")
    print(f"load: {len(SCENARIOS)} scenario files, {loads} loads (each file under each of its demand cases)")
    total = med(load_cpu)
    print(f"  all loads       {total:8.2f} s CPU   {total * rate / 1e6:8.2f} M bare events")
    print(f"  per load        {total / loads:8.3f} s CPU   {total / loads * rate / 1e6:8.2f} M bare events")
    print("charts of a one-year base run (build + save, s CPU)")
    build = save = 0.0
    for name, times in per_chart.items():
        b, s = med(t[0] for t in times), med(t[1] for t in times)
        build, save = build + b, save + s
        print(f"  {name:28s} {b:6.2f} + {s:5.2f}")
    print(
        f"  {'all':28s} {build:6.2f} + {save:5.2f} = {build + save:5.2f} s CPU   "
        f"{(build + save) * rate / 1e6:8.2f} M bare events"
    )


if __name__ == "__main__":
    main()
