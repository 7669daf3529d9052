"""The Python API writes every folder the report reads, and each result reads its folder back.

No command line here: runs, a replicated comparison with each file's capacity, a bottleneck
ranking, a capacity estimate, an appraisal and a plan with its frontier are computed with
``corridor_sim`` calls, written with ``corridor_sim.present.write``, and the report is built from
those folders alone. Every analysis result type writes its folder (``write``) and reads it back
(``read``) with the same tables.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest
import yaml

import corridor_sim as cs
from corridor_sim.analyses.sweep import Sweep
from corridor_sim.present import write
from corridor_sim.present.report import build_report
from corridor_sim.scenario.candidate_schema import Candidate

from factories import appraisal_costs, build, flow, link, node, scenario


def rail4(name: str = "rail4") -> dict:
    """One rail link with 4 paths a day and 50-t trains (0.073 Mt/yr), and a costed entry giving
    it 6 paths in 2024 (the second year)."""
    d = scenario(
        [node("o", 43.0, 51.0), node("p", 40.0, 49.5)],
        [flow("f", ["o", "p"], 60_000.0, 50.0)],
        rail_links=[link("o_p", "o", "p", paths_per_day=4)],
        warmup_days=10.0,
    )
    d["name"] = name
    d["end_year"] = 2024
    d["rail_links"][0]["tariff_usd_per_unit_km"] = {"container": 0.1}
    d["costs"] = appraisal_costs()
    d["timeline"] = [
        {
            "id": "paths6",
            "date": "2024-01-01",
            "description": "six paths",
            "source": "test",
            "set": {"rail_links.o_p.paths_per_day": 6},
            "capex_musd": 100.0,
        }
    ]
    return d


def candidate(cid: str, capex: float, paths: float) -> Candidate:
    return Candidate.model_validate(
        {
            "id": cid,
            "description": cid,
            "source": "test",
            "capex_musd": capex,
            "earliest_start": "2020-01-01",
            "lead_time_years": 1.0,
            "set": {"rail_links.o_p.paths_per_day": paths},
        }
    )


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """Every folder the report reads, written through the Python API."""
    root = tmp_path_factory.mktemp("api")
    s = build(rail4())
    other = cs.validate_dict({**rail4("rail4_slow"), "goal_mt_per_year": 0.05})
    # a replicated comparison, computed in memory with each file's capacity, then written whole
    cmp = cs.compare([s, other], replications=2, workers=1, capacity=True)
    write(cmp, root / "compare")
    write(cs.bottlenecks(s, 2024, replications=2, workers=1), root / "bottlenecks")
    write(cs.estimate_capacity(s, replications=2, workers=1), root / "capacity")
    write(cs.appraise(s, replications=2, workers=1), root / "appraisal")
    no_entry = cs.validate_dict({**rail4(), "timeline": []})
    cands = [candidate("paths6", 100.0, 6), candidate("paths8", 300.0, 8)]
    p = cs.plan(no_entry, cands, goal_mt=0.1, by=2024, replications=2, workers=1, trajectory=False)
    front, _ = cs.frontier(no_entry, cands, 0.1, [2023, 2024], replications=2, workers=1)
    write(dataclasses.replace(p, frontier=front), root / "plan")
    return root


@pytest.mark.untraced  # a whole-corridor job (conftest.py)
def test_a_report_from_folders_written_by_the_python_api_alone(folders):
    html = build_report(
        [folders / "compare"],
        bottlenecks=folders / "bottlenecks",
        capacity=[folders / "capacity"],
        appraisal=folders / "appraisal",
        plan=folders / "plan",
    )
    assert 'class="goal' in html  # the comparison's capacity: the goal table comes first
    for name in ("rail4", "rail4_slow"):
        assert name in html
    ranking = html[html.index('<h2 id="ranking">') : html.index('<h2 id="capacity">')]
    assert "For <b>rail4</b> in <b>2024</b>" in ranking and "<img" in ranking
    cost = html[html.index('<h2 id="costs">') : html.index('<h2 id="ranking">')]
    assert "paths6" in cost and "The cheapest plan for 0.1 Mt/yr" in cost
    capacity = html[html.index('<h2 id="capacity">') : html.index('<h2 id="sources">')]
    assert "<h3>rail4</h3>" in capacity


def test_the_folders_hold_what_the_command_line_writes(folders):
    assert (folders / "compare" / "comparison.json").exists()
    assert (folders / "compare" / "rail4" / "manifest.json").exists()  # replications written whole
    assert len(list((folders / "compare" / "rail4" / "replications").iterdir())) == 2
    for f in ("compare_tons.png", "capacity.csv", "headroom.csv", "compare_capacity_goal.csv"):
        assert (folders / "compare" / f).exists(), f
    for sub, files in {
        "bottlenecks": ("bottlenecks.csv", "bottlenecks.png"),
        "capacity": ("capacity.csv", "headroom.csv", "capacity.json"),
        "appraisal": (
            "appraisal.csv",
            "appraisal_by_year.csv",
            "enpv_distribution.csv",
            "appraisal.json",
            "measures_ranking.png",
            "appraisal_streams.png",
        ),
        "plan": ("plan.json", "steps.csv", "rejected.csv", "frontier.csv", "frontier.png"),
    }.items():
        for f in files:
            assert (folders / sub / f).exists(), f"{sub}/{f}"
        assert (folders / sub / ".corridor-sim").exists()  # claimed under the output contract


def test_each_result_reads_its_folder_back(folders, tmp_path):
    ranking = cs.Ranking.read(folders / "bottlenecks")
    assert ranking.scenario == "rail4" and ranking.table.iloc[0].lever == "o_p:paths"
    est = cs.CapacityEstimate.read(folders / "capacity")
    assert est.has_trajectory and est.replications == 2 and est.goal_mt_per_year == 10.0
    assert est.first_year_at_goal() == {"mean": None, "ci_low": None, "ci_high": None}
    ap = cs.Appraisal.read(folders / "appraisal")
    assert ap.replications == 2 and list(ap.table.measure) == ["paths6", "paths6"]
    assert list(ap.table["mode"]) == ["stand-alone", "incremental"]
    p = cs.Plan.read(folders / "plan")
    assert p.by == 2024 and p.goal_mt == 0.1 and p.frontier is not None and list(p.frontier.by) == [2023, 2024]
    cmp = cs.Comparison.read(folders / "compare")
    assert list(cmp.results) == ["rail4", "rail4_slow"] and cmp.replications == 2 and cmp.capacity is not None
    # a sweep and a sensitivity screening, round trip
    s = build(rail4())
    sw = cs.sweep(s, [("rail_links.o_p.paths_per_day", [4, 5])], workers=1, kpi="delivered_mt_per_year")
    back = Sweep.read(sw.write(tmp_path / "sweep"))
    assert back.paths == ["rail_links.o_p.paths_per_day"] and back.kpi == "delivered_mt_per_year"
    pd.testing.assert_frame_equal(back.summary(), sw.summary(), check_dtype=False)
    d = rail4()
    d["uncertain"] = [{"path": "rail_links.o_p.speed_kmh", "low": 40, "high": 60, "source": "test"}]
    sens = cs.sensitivity(build(d), trajectories=2, workers=1)
    again = cs.Sensitivity.read(sens.write(tmp_path / "sens"))
    assert list(again.ranking.parameter) == list(sens.ranking.parameter) and len(again.runs) == len(sens.runs)


def test_a_plan_written_with_its_scenario_file_extends_it(tmp_path):
    """plan.yaml, the scenario with the plan's timeline, is written where the plan knows its file."""
    scn_file = tmp_path / "rail4.yaml"
    scn_file.write_text(yaml.safe_dump({**rail4(), "timeline": []}, sort_keys=False))
    s = cs.load_scenario(scn_file)
    p = cs.plan(s, [candidate("paths6", 100.0, 6)], goal_mt=0.1, by=2024, replications=2, workers=1, trajectory=False)
    out = tmp_path / "plan"
    write(dataclasses.replace(p, scenario_file=str(scn_file), candidates_file="candidates.yaml"), out)
    planned = cs.load_scenario(out / "plan.yaml")
    assert planned.name == "rail4_plan_2024" and [iv.id for iv in planned.timeline] == ["paths6"]
    assert planned.timeline[0].date == dt.date(2024, 1, 1)
    assert [iv.id for iv in cs.Plan.read(out).chosen] == ["paths6"]
