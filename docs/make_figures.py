"""Regenerate every figure in the README (docs/img/) from the commands a user would run.

    python docs/make_figures.py [--workers 2] [--keep DIR]

Runs, with the CLI in a fresh process each (about 10 minutes on 2 cores):

- the base scenario, 2024-2035, 5 replications: annual_tons, transit_by_year;
- the base scenario, 2024-2025, 5 replications (what binds in the documented years):
  utilization, utilization_by_year, transit_days, port_levels, cost_by_route, generalized_cost_by_route, co2_by_route;
- the base scenario, 2024, seed 1, with --detail, and `corridor-sim charts` on it: corridor_map,
  stringline, fleet_gantt (a November storm month);
- the README's five-scenario comparison with 5 replications and `--capacity`: compare_tons,
  compare_bottlenecks, compare_routes;
- corridor_10mt under every demand case with `compare --capacity`, 5 replications:
  capacity_demand_corridor_10mt, headroom_corridor_10mt;
- the bottleneck ranking of 2030 and the capacity of 2024, and the report over all of it in
  headless Chromium: report_screenshot (skipped where Chromium is missing).

Results go to a temporary folder (or --keep DIR); only docs/img/*.png are replaced.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMG = ROOT / "docs" / "img"
SCN = ROOT / "scenarios"
FIVE = ["base", "bottlenecks", "unified_tariffs", "zangezur", "corridor_10mt"]


def cli(*args: str) -> None:
    cmd = [sys.executable, "-m", "corridor_sim", "-q", *args]
    print("$ corridor-sim " + " ".join(args), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT)


def take(folder: Path, *names: str) -> None:
    for name in names:
        shutil.copyfile(folder / f"{name}.png", IMG / f"{name}.png")
        print(f"  docs/img/{name}.png", flush=True)


def screenshot(report: Path, png: Path) -> bool:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        print("  Chromium is missing: report_screenshot.png left as it was")
        return False
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(report.as_uri())
        page.wait_for_load_state("load")
        page.screenshot(path=str(png), full_page=False)
        browser.close()
    print(f"  docs/img/{png.name}")
    return True


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", default="2")
    ap.add_argument("--keep", type=Path, default=None, help="keep the runs in this folder")
    args = ap.parse_args()
    w = ["--workers", args.workers]
    with tempfile.TemporaryDirectory() as tmp:
        out = args.keep or Path(tmp)
        base = str(SCN / "base.yaml")
        cli("run", base, "-n", "5", *w, "--out", str(out / "base"), "--overwrite")
        take(out / "base", "annual_tons", "transit_by_year")
        cli("run", base, "--years", "2024-2025", "-n", "5", *w, "--out", str(out / "base-2025"), "--overwrite")
        take(
            out / "base-2025",
            "utilization",
            "utilization_by_year",
            "transit_days",
            "port_levels",
            "cost_by_route",
            "generalized_cost_by_route",
            "co2_by_route",
        )
        cli("run", base, "--years", "2024", "--seed", "1", "--detail", "--out", str(out / "y2024"), "--overwrite")
        cli("charts", str(out / "y2024"), "--from", "2024-11-10", "--days", "30")
        take(out / "y2024", "corridor_map", "stringline", "fleet_gantt")
        cli(
            "compare",
            *[str(SCN / f"{s}.yaml") for s in FIVE],
            "--capacity",  # so that the report opens with capacity beside delivered tonnes
            "-n",
            "5",
            *w,
            "--out",
            str(out / "compare5"),
            "--overwrite",
        )
        take(out / "compare5", "compare_tons", "compare_bottlenecks", "compare_routes")
        cap10 = str(SCN / "corridor_10mt.yaml")
        cli(
            "compare",
            cap10,
            "--demand-case",
            "all",
            "--capacity",
            "-n",
            "5",
            *w,
            "--out",
            str(out / "cap10"),
            "--overwrite",
        )
        take(out / "cap10", "capacity_demand_corridor_10mt", "headroom_corridor_10mt")
        cli("bottlenecks", base, "--years", "2030", "-n", "2", *w, "--out", str(out / "bottlenecks"), "--overwrite")
        cli("capacity", base, "--years", "2024", "-n", "2", *w, "--out", str(out / "capacity"), "--overwrite")
        report = out / "report.html"
        cli(
            "report",
            str(out / "compare5"),
            "--bottlenecks",
            str(out / "bottlenecks"),
            "--capacity",
            str(out / "capacity"),
            "--out",
            str(report),
            "--overwrite",
        )
        screenshot(report, IMG / "report_screenshot.png")


if __name__ == "__main__":
    main()
