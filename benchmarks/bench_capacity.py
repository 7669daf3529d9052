"""Cost and precision of the capacity trajectory (`corridor-sim capacity`), against the bisection it replaced.

Runs what `corridor-sim capacity scenarios/base.yaml --years 2024-2035 -n 5` runs, in this process
(``--workers 1``, the default: every CPU second is this process's) or on a local pool
(``--workers 2``: CPU summed over the workers, as each reports it). Reported: the years simulated
(every replication and re-run counted), CPU and wall seconds, CPU per simulated year, and the 95% CI
half-width of the 2024 total as a share of the estimate (target: at most 5%). The CPU is also given
in bare-SimPy events (CPU x the events per CPU second of a bare SimPy loop timed in the same
process, as bench_year.py does), a figure that does not depend on the machine.

``--old`` also runs the single-year bisection of commit b3ee1fc (``analysis.capacity``, read with
``git show``) for 2024 at its default 3 replications, in this process, for the same figures.

Usage: python benchmarks/bench_capacity.py [-n 5] [--years 2024-2035] [--workers 1] [--old]
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import time
from pathlib import Path

import corridor_sim as cs

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_year.py, a sibling script
from bench_year import BARE_EVENTS, bare_simpy

ROOT = Path(__file__).resolve().parents[1]
OLD_COMMIT = "b3ee1fc"


def half_width_pct(row) -> float:
    return 100.0 * (row.capacity_mt_ci_high - row.capacity_mt_ci_low) / 2.0 / row.capacity_mt


def old_analysis():
    """analysis.py of OLD_COMMIT as a module of this corridor_sim package (its relative imports)."""
    src = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{OLD_COMMIT}:corridor_sim/analysis.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    spec = importlib.util.spec_from_loader("corridor_sim._analysis_" + OLD_COMMIT, loader=None)
    assert spec is not None
    mod = importlib.util.module_from_spec(spec)
    mod.__package__ = "corridor_sim"
    sys.modules[spec.name] = mod  # dataclasses look their module up there
    exec(compile(src, f"{OLD_COMMIT}:corridor_sim/analysis.py", "exec"), mod.__dict__)
    return mod


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", "--replications", type=int, default=5)
    ap.add_argument("--years", default="2024-2035")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--old", action="store_true", help=f"also run the bisection of {OLD_COMMIT} for the first year")
    args = ap.parse_args()
    first, last = (int(x) for x in args.years.split("-"))
    print("corridor_sim from", cs.__file__)
    scn = cs.load_scenario(ROOT / "scenarios" / "base.yaml")
    rate = bare_simpy(BARE_EVENTS)

    cpu0, t0 = time.process_time(), time.perf_counter()
    est = cs.estimate_capacity(scn, (first, last), args.replications, args.seed, workers=args.workers)
    wall = time.perf_counter() - t0
    cpu = est.cpu_s if args.workers > 1 else time.process_time() - cpu0
    assert cpu is not None
    t = est.trajectory
    row = t[(t.cargo == "all") & (t.year == first)].iloc[0]
    print(f"saturated trajectory, base {first}-{last}, {args.replications} replications, {args.workers} worker(s)")
    print(f"  simulated years (re-runs included)    {est.simulated_years:>12d}   ({est.runs} runs)")
    print(f"  CPU                                    {cpu:>12.1f} s")
    print(f"  wall                                   {wall:>12.1f} s")
    print(f"  CPU per simulated year                 {cpu / est.simulated_years:>12.3f} s")
    print(f"  CPU in bare-SimPy events               {cpu * rate:>12,.0f}   ({rate:,.0f} events per CPU s)")
    print(
        f"  {first} total capacity                    {row.capacity_mt:>12.3f} Mt/yr "
        f"[{row.capacity_mt_ci_low:.3f}, {row.capacity_mt_ci_high:.3f}], half-width {half_width_pct(row):.1f}%"
    )
    print(f"  rows saturated in every replication    {(t.saturated_share == 1).sum():>12d} of {len(t)}")

    if args.old:
        old = old_analysis()
        cpu0, t0 = time.process_time(), time.perf_counter()
        cap = old.capacity(scn, first, replications=3, seed=args.seed, by_cargo=True, workers=1)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - t0
        r = cap[cap.cargo == "all"].iloc[0]
        print(f"bisection of {OLD_COMMIT}, base {first}, 3 replications, 1 worker")
        print(f"  CPU                                    {cpu:>12.1f} s")
        print(f"  wall                                   {wall:>12.1f} s")
        print(f"  CPU in bare-SimPy events               {cpu * rate:>12,.0f}")
        print(
            f"  {first} total capacity                    {r.capacity_mt:>12.3f} Mt/yr "
            f"[{r.capacity_mt_ci_low:.3f}, {r.capacity_mt_ci_high:.3f}], half-width {half_width_pct(r):.1f}%"
        )


if __name__ == "__main__":
    main()
