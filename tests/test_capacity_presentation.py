"""Capacity beside demand: the goal table, the capacity-demand and headroom charts, the compare
outputs and the report's first table, checked on synthetic capacity tables whose answers are
known (capacity_frames) and on real comparisons for the tonnes delivered under two demand cases."""

from __future__ import annotations

import json
import re
import sys

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest
from capacity_frames import BERTHS, CROSSING, DOSTYK, FERRIES, headroom, trajectory

import corridor_sim as cs
from corridor_sim.analyses.goal import compare
from corridor_sim.experiments.comparison import Comparison, case_series, goal_table
from corridor_sim.kpi import first_year_at_least
from corridor_sim.present import plots
from corridor_sim.present.figures import DPI

GOAL = 4.5  # a goal the base reaches within three years, set on the scenario, as a user would with --set
YEARS = (2024, 2026)


@pytest.fixture(scope="module")
def cmp(base_path, tmp_path_factory):
    """base under its central and high demand cases, 2 replications, written as the CLI writes."""
    over = {"goal_mt_per_year": GOAL}
    scns = [
        cs.load_scenario(base_path, overrides=over, years=YEARS),
        cs.load_scenario(base_path, overrides=over, years=YEARS, demand_case="high"),
    ]
    out = tmp_path_factory.mktemp("cmp")
    c = compare(scns, replications=2, out=out)
    c.write_into(out)
    c.meta["folder"] = out
    return c


def capacity_figures(result, folder) -> None:
    """A comparison's capacity charts alone (``present.figures`` for what these tests read: the
    runs' own charts are drawn and checked in test_plots and test_report, and drawing them again
    for both scenarios here would double these tests' time)."""
    if isinstance(result, Comparison):
        plots.save_capacity(result, folder, DPI)


def _with(cmp, traj, head=None):
    import copy

    c = copy.copy(cmp)
    c.capacity, c.headroom = traj, head
    return c


def _reaching() -> pd.DataFrame:
    # mean reaches 4.5 in 2025 (4.7); the CI's low end only in 2026 (4.7 - 0.3 = 4.4 < 4.5 in 2025)
    return trajectory([4.2, 4.7, 5.0], [DOSTYK, FERRIES, BERTHS], half_width=[0.3, 0.4, 0.3], saturated=[0.6, 1, 1])


def _heads() -> pd.DataFrame:
    return pd.concat(
        [
            headroom(
                y,
                [
                    (FERRIES, 0.98, 0.05, 4.8),
                    (DOSTYK, 0.9, 0.2, 5.6),
                    (BERTHS, 0.6, 0.1, None),
                    (CROSSING, 0.3, 0.02, 14.0),
                ],
            )
            for y in range(2024, 2027)
        ],
        ignore_index=True,
    )


def _first_delivered(cmp, run) -> int | None:
    a = cmp.annual[cmp.annual.scenario == run].sort_values("year")
    hit = a[a.delivered_mt >= GOAL]
    return int(hit.year.iloc[0]) if len(hit) else None


def test_goal_table_gives_the_known_years(cmp):
    g = goal_table(_with(cmp, _reaching())).set_index("scenario")
    assert list(g.index) == ["base"]  # one row per scenario FILE, not per demand case
    r = g.loc["base"]
    assert r.goal_mt == GOAL
    assert r.capacity_first_year == 2025 and r.capacity_first_year_ci_low == 2026
    assert r.binding == FERRIES[0] and r.binding_label == FERRIES[1] and r.binding_year == 2025
    assert r.capacity_lower_bound  # 2024 was not saturated in every replication
    for case, run in (("central", "base"), ("high", "base_high")):
        expected = _first_delivered(cmp, run)
        got = r[f"delivered_first_year_{case}"]
        assert (pd.isna(got) and expected is None) or got == expected
    # never reaching: no year, and what binds in the last year measured
    never = trajectory([3.0, 3.5, 4.0], [DOSTYK, FERRIES, BERTHS], saturated=[1, 1, 1])
    r = goal_table(_with(cmp, never)).set_index("scenario").loc["base"]
    assert pd.isna(r.capacity_first_year) and pd.isna(r.capacity_first_year_ci_low)
    assert r.binding_year == 2026 and r.binding == BERTHS[0] and not r.capacity_lower_bound


def test_first_year_at_least_refuses_an_unknown_bound():
    with pytest.raises(ValueError, match="bound"):
        first_year_at_least(_reaching(), GOAL, bound="median")


def test_without_capacity_compare_is_as_before(cmp):
    assert cmp.capacity is None and cmp.headroom is None
    md = cmp.to_markdown()
    assert f"first year at {GOAL:g} Mt" in md and "capacity" not in md
    assert "capacity" not in str(cmp.summary())
    assert plots.save_capacity(cmp, cmp.meta["folder"]) == []
    assert not (cmp.meta["folder"] / "capacity.csv").exists()
    g = goal_table(cmp)
    assert "capacity_first_year" not in g and "delivered_first_year_high" in g


def test_compare_writes_capacity_tables_and_charts(cmp, tmp_path):
    c = _with(cmp, _reaching(), _heads())
    c.write_into(tmp_path, capacity_figures)
    for f in (
        "capacity.csv",
        "headroom.csv",
        "compare_capacity_goal.csv",
        "capacity_demand_base.png",
        "headroom_base.png",
    ):
        assert (tmp_path / f).exists(), f
    assert pd.read_csv(tmp_path / "capacity.csv").capacity_mt.tolist() == [4.2, 4.7, 5.0]
    assert not (tmp_path / "capacity_demand_base_high.png").exists()  # capacity is the file's, drawn once
    md = c.to_markdown()
    rows = md.splitlines()[2:]
    assert f"first year capacity ≥ {GOAL:g} Mt" in md and all(r.endswith("| 2025 |") for r in rows)  # both cases
    assert c.summary()["scenarios"]["base_high"]["first_year_capacity_at_goal"] == "2025"


def test_terminal_table_gains_the_capacity_column(cmp, capsys, monkeypatch):
    from corridor_sim.cli.compare import print_comparison

    monkeypatch.setenv("COLUMNS", "80")
    print_comparison(_with(cmp, _reaching()), 1)
    out = capsys.readouterr().out
    assert "capacity ≥ goal" in out and "2025" in out
    assert max(len(line) for line in out.splitlines()) <= 80
    print_comparison(cmp, 1)
    assert "capacity" not in capsys.readouterr().out


def _legend(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_capacity_demand_chart(cmp, tmp_path):
    c = _with(cmp, _reaching())
    s = cmp.results["base"][0].scenario
    fig = plots.plot_capacity_demand(s, c.capacity, case_series(c), c.replications)
    ax = fig.axes[0]
    assert ax.get_ylabel() == "Mt/yr" and ax.get_xlabel() == "year"
    legend = _legend(ax)
    for want in (
        "capacity in the year's mix: 95% CI",
        "capacity in the year's mix (mean)",
        "offered, central case",
        "offered, high case",
        "delivered, central case",
        "delivered, high case",
    ):
        assert want in legend, legend
    assert any("lower bound" in entry for entry in legend)
    assert ax.get_legend().get_bbox_to_anchor().x0 >= ax.get_window_extent().x1  # outside the data
    goal_lines = [l for l in ax.get_lines() if list(l.get_ydata()) == [GOAL, GOAL]]
    assert goal_lines, "the goal line is at the scenario's goal"
    title = ax.get_title(loc="left")
    assert title.startswith("base (goal_mt_per_year=4.5)") and f"{GOAL:g} Mt/yr goal" in title
    assert "2 replications" in title
    # delivered lines are the comparison's means
    lines = {l.get_label(): l for l in ax.get_lines()}
    central = cmp.annual[cmp.annual.scenario == "base"].sort_values("year")
    assert np.allclose(lines["delivered, central case"].get_ydata(), central.delivered_mt)
    notes = [t.get_text() for t in ax.texts if t.get_text() != f"goal {GOAL:g} Mt/yr"]
    assert notes == ["Dostyk–Aktogay rail\npaths", "Kuryk–Alat rail\nferries", "Aktau container\nberths"]
    path = tmp_path / "cd.png"
    fig.savefig(path, dpi=80)
    img = mpimg.imread(path)
    assert img.shape[1] >= 900 and len(np.unique((img[..., :3] * 255).astype(np.uint8).reshape(-1, 3), axis=0)) > 50


def test_binding_labels_never_overlap_and_year_ticks_stay_apart(cmp):
    kinds = [DOSTYK, FERRIES, BERTHS, CROSSING]
    years = 12
    traj = trajectory(
        [6.0 + 0.05 * i for i in range(years)], [kinds[i % 4] for i in range(years)], half_width=0.2
    )  # flat capacity, what binds changes every year: the labels compete for the same height
    s = cmp.results["base"][0].scenario
    fig = plots.plot_capacity_demand(s, traj)
    fig.canvas.draw()
    ax = fig.axes[0]
    r = fig.canvas.get_renderer()
    notes = [t for t in ax.texts if not t.get_text().startswith("goal")]
    assert len(notes) == years  # every change labelled
    boxes = [t.get_bbox_patch().get_window_extent(r) for t in notes]  # each label's frame, as drawn
    inside = ax.get_window_extent(r)
    for i, a in enumerate(boxes):
        assert inside.x0 <= a.x0 and a.x1 <= inside.x1 and inside.y0 <= a.y0 and a.y1 <= inside.y1
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b)
    ticks = [t.get_window_extent(r) for t in ax.get_xticklabels() if t.get_text()]
    assert len(ticks) == years and not any(a.overlaps(b) for a, b in zip(ticks, ticks[1:]))
    # the same change twice in a row is labelled once
    same = trajectory([6.0, 6.5, 7.0], [DOSTYK, DOSTYK, DOSTYK])
    assert len([t for t in plots.plot_capacity_demand(s, same).axes[0].texts if "Dostyk" in t.get_text()]) == 1


def test_headroom_chart(cmp):
    s = cmp.results["base"][0].scenario
    traj = _reaching()
    fig = plots.plot_headroom(_heads(), 2025, s, traj, top=3)
    ax = fig.axes[0]
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks[::-1] == [FERRIES[1], DOSTYK[1], BERTHS[1]]  # nearest to binding first, top 3 of 4
    assert not any(":" in t and "_" in t for t in ticks)  # human labels, not ids
    widths = sorted(p.get_width() for p in ax.patches if p.get_height() < 1 and p.get_width() > 0)
    assert widths == pytest.approx([2.0, 10.0, 40.0])
    segs = [seg for coll in ax.collections for seg in coll.get_segments()]
    xs = [x for seg in segs for x, _ in seg]
    assert min(xs) >= 0 and max(xs) <= 100  # 1 - (0.98 + 0.05) would be below 0: clipped
    bold = [t.get_text() for t in ax.get_yticklabels() if t.get_fontweight() == "bold"]
    assert bold == [FERRIES[1]]  # what binds the capacity in 2025, from the trajectory
    texts = [t.get_text() for t in ax.texts]
    assert "4.8" in texts and "5.6" in texts and "14.0" not in texts  # Mt/yr where known, of those shown
    assert "2025" in ax.get_title(loc="left") and "base" in ax.get_title(loc="left")
    assert "utilization" in ax.get_xlabel() and "%" in ax.get_xlabel()
    with pytest.raises(ValueError, match="no headroom"):
        plots.plot_headroom(_heads(), 2040, s)


@pytest.mark.untraced  # a whole-corridor job (conftest.py)
def test_report_opens_with_the_goal_table(cmp, tmp_path):
    from corridor_sim.present.report import build_report

    folder = cmp.meta["folder"]
    plain = build_report([folder])
    assert 'class="goal' not in plain and "capacity, offered and delivered by year" not in plain
    c = _with(cmp, _reaching(), _heads())
    c.write_into(folder, capacity_figures)
    try:
        html = build_report([folder])
    finally:
        for f in ("capacity.csv", "headroom.csv", "compare_capacity_goal.csv"):
            (folder / f).unlink()
    first = html[html.index("<table") : html.index("</table>")]
    assert 'class="goal exec"' in first
    assert (
        "first year the corridor could carry the goal" in first
        and "first year delivered ≥ goal, high demand case" in first
    )
    cells = re.findall(r"<td>(.*?)</td>", first)
    assert cells[0] == "<b>base</b>" and cells[2].startswith("2025 (4.70 ± 0.40 Mt/yr)") and cells[3] == "2026"
    assert "at the latest" in cells[2]
    assert cells[-1] == f"{FERRIES[1]} (2025)"
    assert first.count('class="tag cap"') == 3 and first.count('class="tag dem"') == 2
    summary = html[html.index('id="summary"') : html.index('id="scenarios"')]
    assert "capacity, offered and delivered by year, base" in summary and "headroom base 2025" in summary
    assert html.index("capacity, offered and delivered by year") < html.index("By scenario and demand case")


@pytest.mark.untraced  # a whole-corridor job (conftest.py)
def test_cli_compare_capacity(base_path, tmp_path):
    """compare --capacity with the estimator."""
    from click.testing import CliRunner

    from corridor_sim.cli import main

    out = tmp_path / "cmp"
    args = ["compare", str(base_path), "--years", "2024-2025", "-n", "2", "--workers", "1", "--out", str(out)]
    r = CliRunner().invoke(main, [*args, "--capacity", "--demand-case", "central,high"], env={"COLUMNS": "80"})
    assert r.exit_code == 0, r.output
    assert "capacity ≥ goal" in r.output
    traj = pd.read_csv(out / "capacity.csv")
    assert set(traj.scenario) == {"base"} and sorted(set(traj.year)) == [2024, 2025]  # once per file
    assert (out / "headroom.csv").exists() and (out / "capacity_demand_base.png").exists()
    assert (out / "headroom_base.png").exists() and not (out / "capacity_demand_base_high.png").exists()
    # the command's account holds the capacity runs too: two waves (the cases' runs, then the
    # file's capacity runs), 2 cases x 2 replications x 2 years, and at least a joint and a mix
    # run of the two years (and their warm-up) per capacity replication
    acc = json.loads((out / "comparison.json").read_text())["accounting"]
    assert acc["waves"] == 2 and acc["wave_sizes"] == [4, 2], acc
    assert acc["runs"] >= 4 + 2 * 2 and acc["simulated_years"] >= 4 * 2 + 2 * 2 * 2, acc


def test_compare_measures_capacity_once_per_file_in_its_central_case(base_path, monkeypatch):
    """The wiring, with a stand-in estimator that records what it is asked: one call per scenario
    file (not per demand case), on the central case's scenario, with the comparison's seed and
    replications; its tables are labelled with the file's name."""
    from dataclasses import dataclass

    calls = []

    @dataclass(frozen=True)
    class Estimate:
        trajectory: pd.DataFrame
        headroom: pd.DataFrame

    def estimate_capacities(scenarios, years=None, replications=5, seed=1, execution=None, **_):
        calls.extend((s.name, s.demand_case, replications, seed) for s in scenarios)
        return [Estimate(_reaching().assign(scenario=s.name), _heads().assign(scenario=s.name)) for s in scenarios]

    # the package exports a function named compare, so the module is reached through sys.modules
    monkeypatch.setattr(sys.modules["corridor_sim.analyses.goal"], "estimate_capacities", estimate_capacities)
    scns = [cs.load_scenario(base_path, years=(2024, 2024), demand_case=c) for c in ("high", "central", "low")]
    c = compare(scns, replications=1, seed=3, capacity=True)
    assert calls == [("base", "central", 1, 3)]
    assert set(c.capacity.scenario) == {"base"} and set(c.headroom.scenario) == {"base"}
    calls.clear()
    c = compare(scns[:1], replications=1, seed=3, capacity=True)  # only high compared: its scenario, named for the file
    assert calls == [("base_high", "high", 1, 3)] and set(c.capacity.scenario) == {"base"}
