"""Goals a planner sets (scenario.goals), candidates with upkeep (dredging), and the plan's search
on simulated corridors: two measures that must be bought together, found as enumeration finds
them; a delivered goal that capacity alone does not meet when demand is short; bad goals refused
in one paragraph naming the file (or option) and the field."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

import corridor_sim as cs
from corridor_sim.analyses.capacity import estimate_capacity
from corridor_sim.analyses.plan import plan
from corridor_sim.analyses.search import exhaustive
from corridor_sim.cli import main
from corridor_sim.scenario.candidate_schema import Candidate
from corridor_sim.scenario.goals import Goal
from corridor_sim.scenario.variants import with_entries

from factories import build, flow, link, node, rail_sea, scenario


def two_links(tons: float = 60_000.0) -> dict:
    """o -> p -> q by rail, 4 paths a day on each link, 50-t trains: 4 x 365 x 50 t = 0.073 Mt/yr,
    and either link alone raised leaves the other binding."""
    d = scenario(
        [node("o"), node("p"), node("q")],
        [flow("f", ["o", "p", "q"], tons, 50.0)],
        rail_links=[link("o_p", "o", "p", paths_per_day=4), link("p_q", "p", "q", paths_per_day=4)],
        warmup_days=10.0,
    )
    return d


def cand(cid: str, capex: float, paths: dict[str, int], **kw) -> Candidate:
    return Candidate.model_validate(
        {
            "id": cid,
            "description": cid,
            "source": "test",
            "capex_musd": capex,
            "earliest_start": "2020-01-01",
            "lead_time_years": 1.0,
            "set": {f"rail_links.{k}.paths_per_day": v for k, v in paths.items()},
            **kw,
        }
    )


def test_the_plan_buys_two_measures_together_as_enumeration_does():
    s = build(two_links())
    cands = [
        cand("first6", 100.0, {"o_p": 6}),
        cand("second6", 120.0, {"p_q": 6}),
        cand("both8", 500.0, {"o_p": 8, "p_q": 8}),
    ]
    p = plan(s, cands, goal_mt=0.1, by=2023, replications=2, workers=1, trajectory=False)
    # 6 paths on both links carry 0.1095 Mt/yr; neither alone adds anything
    assert sorted(e.id for e in p.chosen) == ["first6", "second6"] and p.capex_musd == 220.0
    assert p.reached and p.proven and p.capacity_mt["mean"] == pytest.approx(6 * 365 * 50 / 1e6, abs=1e-4)
    why = dict(zip(p.rejected.candidate, p.rejected.reason))
    assert "binding resource is elsewhere" not in why["both8"]  # it adds alone, but costs more
    # every subset simulated: the cheapest that reaches the goal is the same pair
    cost = {c.id: c.capex_musd for c in cands}
    by_id = {c.id: c for c in cands}

    def value(ids):
        sc = with_entries(s, [by_id[i].entry(dt.date(2023, 1, 1)) for i in sorted(ids)])
        return tuple(estimate_capacity(sc, 2023, 2, 1, by_cargo=False, workers=1).per_replication[2023])

    met = lambda v: np.mean([x >= 0.1 for x in v]) >= 0.8
    assert exhaustive(list(cost), cost, value, met) == (("first6", "second6"), 220.0)


def stormless_sea(decline_cm: float) -> dict:
    d = rail_sea(tons_per_year=30_000.0, lot=40.0, capacity=100.0, crossing_h=20.0, warmup_days=30.0)
    d["end_year"] = 2025
    d["caspian"] = {
        "load_factor": 0.8,
        "base_year": 2023,
        "sea_level_decline_cm_per_year": decline_cm,
        "load_factor_loss_per_10cm": 0.03,
        "min_load_factor": 0.3,
        "source": "test",
    }
    return d


def dredging(upkeep_years: float) -> Candidate:
    return Candidate.model_validate(
        {
            "id": "dredging",
            "description": "dredging",
            "source": "test",
            "capex_musd": 10.0,
            "opex_musd_per_year": 1.0,
            "earliest_start": "2020-01-01",
            "lead_time_years": 0.0,
            "set": {"caspian.held_load_factor": 0.95},
            "upkeep": {"years": upkeep_years, "set": {"caspian.held_load_factor": None}, "source": "test"},
        }
    )


def test_dredging_holds_the_load_factor_while_maintained_and_it_falls_again_when_maintenance_stops():
    s = build(stormless_sea(20.0))
    cap = lambda c: (
        estimate_capacity(
            with_entries(s, c.entries(dt.date(2023, 1, 1))) if c else s, (2023, 2025), 2, 1, by_cargo=False, workers=1
        )
        .trajectory.set_index("year")
        .capacity_mt
    )
    held, stopped, none = cap(dredging(10.0)), cap(dredging(1.0)), cap(None)
    # held at 0.95 all three years (a ship's load follows the load factor)
    assert held[2025] == pytest.approx(held[2023], rel=0.03)
    # maintained in 2023 only: from 2024 the draft falls 20 cm a year, 0.06 of load factor
    assert stopped[2023] == pytest.approx(held[2023], rel=0.03)
    assert stopped[2024] < 0.985 * held[2024] and stopped[2025] < 0.96 * stopped[2024]
    # still above the undredged corridor, which lost the same draft from 0.8
    assert (stopped > none * 1.05).all() and none[2025] < none[2023]
    # the upkeep is paid only while it lasts, and the plan's scenario holds both entries
    entries = dredging(1.0).entries(dt.date(2023, 1, 1))
    assert [e.id for e in entries] == ["dredging", "dredging_upkeep_ends"] and entries[1].date == dt.date(2024, 1, 1)
    assert dredging(1.0).opex_years(25) == 1 and dredging(10.0).opex_years(25) == 10


def test_a_delivered_goal_is_not_met_by_capacity_alone_when_demand_is_short():
    s = build(two_links(tons=30_000.0))  # 0.03 Mt/yr comes; the goal asks 0.1 Mt delivered
    cands = [cand("first6", 100.0, {"o_p": 6}), cand("second6", 120.0, {"p_q": 6})]
    g = Goal(description="x", source="test", by=2023, delivered_mt_per_year=0.1)
    p = plan(s, cands, goal=g, replications=2, workers=1, trajectory=False)
    assert not p.reached
    assert p.capacity_mt["mean"] >= 0.1  # the capacity is bought...
    assert p.delivered_mt["mean"] == pytest.approx(0.03, rel=0.15)  # ...and what comes is delivered
    assert "demand short" in p.reason and "capacity alone" in p.reason
    # the same goal with the demand there is met
    rich = plan(build(two_links(tons=200_000.0)), cands, goal=g, replications=2, workers=1, trajectory=False)
    assert rich.reached and rich.delivered_mt["mean"] >= 0.1 and rich.reason == ""


def write(tmp_path, name: str, doc: dict):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def test_the_plan_command_takes_a_delivered_goal_and_a_goal_file(tmp_path):
    scn = write(tmp_path, "two.yaml", two_links(tons=200_000.0))
    cf = write(
        tmp_path,
        "cands.yaml",
        {
            "description": "test",
            "candidates": [
                {**cand("first6", 100.0, {"o_p": 6}).model_dump(mode="json", exclude_none=True)},
                {**cand("second6", 120.0, {"p_q": 6}).model_dump(mode="json", exclude_none=True)},
            ],
        },
    )
    out = tmp_path / "plan"
    r = CliRunner().invoke(
        main,
        [
            "plan",
            str(scn),
            "--candidates",
            str(cf),
            "--goal-delivered",
            "0.1",
            "--by",
            "2023",
            "-n",
            "2",
            "-w",
            "1",
            "--out",
            str(out),
            "-q",
            "--transit",
            "f:200",
        ],
    )
    assert r.exit_code == 0, r.output
    assert "the plan meets the goal (0.1 Mt/yr delivered in 2023" in r.output and "transit days in 2023" in r.output
    assert cs.load_scenario(out / "plan.yaml").timeline and (out / "plan.json").exists()
    # the same as a goal file, run as a user runs it (a subprocess)
    gf = write(tmp_path, "goal.yaml", {"description": "g", "source": "test", "by": 2023, "delivered_mt_per_year": 0.1})
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "corridor_sim",
            "plan",
            str(scn),
            "--candidates",
            str(cf),
            "--goal-file",
            str(gf),
            "-n",
            "2",
            "-w",
            "1",
            "-q",
            "--out",
            str(tmp_path / "plan2"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert res.returncode == 0, res.stderr
    assert "proven the cheapest" in res.stdout


@pytest.mark.parametrize(
    "goal, field, said",
    [
        ({"by": 2020}, "by", "is in the past of scenario 'tiny'"),
        ({"demand_case": "boom"}, "demand_case", "'boom' is not a demand case of scenario 'tiny'; allowed: central"),
        ({"transit": {"flows": ["nowhere"], "max_days": 5, "source": "x"}}, "transit.flows", "'nowhere' is not a flow"),
        ({"capacity_mt_per_year": 1.0}, "<top level>", "give one of capacity_mt_per_year or delivered_mt_per_year"),
    ],
)
def test_a_bad_goal_file_is_one_paragraph_naming_the_file_and_field(tmp_path, goal, field, said):
    d = two_links()
    d["end_year"] = 2025
    scn = write(tmp_path, "two.yaml", d)
    gf = write(
        tmp_path, "goal.yaml", {"description": "g", "source": "test", "by": 2024, "delivered_mt_per_year": 0.1, **goal}
    )
    cf = write(
        tmp_path,
        "cands.yaml",
        {
            "description": "t",
            "candidates": [cand("first6", 1.0, {"o_p": 6}).model_dump(mode="json", exclude_none=True)],
        },
    )
    r = CliRunner().invoke(
        main, ["plan", str(scn), "--candidates", str(cf), "--goal-file", str(gf), "--out", str(tmp_path / "x")]
    )
    assert r.exit_code == 2, r.output
    assert str(gf) in r.output and field in r.output and said in r.output and "Traceback" not in r.output
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(
    "args, said",
    [
        (["--goal-delivered", "0.1", "--by", "2020"], "--by: 2020 is in the past"),
        (["--goal-delivered", "0.1", "--by", "2023", "--transit", "nowhere:5"], "--transit: 'nowhere' is not a flow"),
        (["--goal-delivered", "0.1", "--by", "2023", "--transit", "f"], "--transit takes FLOW[,FLOW]:DAYS"),
        (["--goal-delivered", "0.1", "--by", "2023", "--demand-case", "boom"], "boom"),
        (["--goal", "0.1", "--goal-delivered", "0.1", "--by", "2023"], "not both"),
    ],
)
def test_bad_goal_options_are_refused_naming_the_option(tmp_path, args, said):
    scn = write(tmp_path, "two.yaml", two_links())
    cf = write(
        tmp_path,
        "cands.yaml",
        {
            "description": "t",
            "candidates": [cand("first6", 1.0, {"o_p": 6}).model_dump(mode="json", exclude_none=True)],
        },
    )
    r = CliRunner().invoke(main, ["plan", str(scn), "--candidates", str(cf), *args, "--out", str(tmp_path / "x")])
    assert r.exit_code == 2, r.output
    assert said in r.output and "Traceback" not in r.output
    assert not (tmp_path / "x").exists()


def test_the_shipped_goal_and_candidates_fit_the_options_scenario():
    from corridor_sim.scenario.candidates import load_candidates
    from corridor_sim.scenario.goals import load_goal

    s = cs.load_scenario("scenarios/options.yaml", demand_case="high")
    g = load_goal("scenarios/goals/wb_2030.yaml", s)
    assert g.kind == "delivered" and g.mt == 11 and g.by == 2030 and g.demand_case == "high" and g.transit
    cands = {c.id: c for c in load_candidates("scenarios/candidates.yaml", s)}
    # a measure for every single-track section the corridor's cargo runs on, and every rolling-stock pool
    for lid in ("zhezkazgan_beineu", "moyinty_zhezkazgan", "beineu_mangyshlak", "marabda_samtredia"):
        assert f"{lid}_loops" in cands and f"{lid}_second_track" in cands
    for pool in s.rolling_stock:
        assert any(f"rolling_stock.{pool.id}.count" in c.set for c in cands.values()), pool.id
    assert cands["dredging"].upkeep is not None and cands["dredging"].opex_musd_per_year > 3.1
    for c in cands.values():
        assert c.source and c.capex_musd > 0 and c.earliest_start


def test_a_scenarios_own_costed_entries_become_candidates():
    from corridor_sim.scenario.candidates import own_candidates

    s = cs.load_scenario("scenarios/zangezur.yaml")
    rest, own = own_candidates(s, 2026)
    ids = {c.id for c in own}
    assert "zangezur_open" in ids and "dostyk_moyinty_second_track" not in ids  # built in 2025
    z = next(c for c in own if c.id == "zangezur_open")
    assert z.capex_musd == 3625 and z.earliest_service == dt.date(2028, 1, 1) and z.lead_time_years == 0
    assert not ids & {iv.id for iv in rest.timeline}
    assert with_entries(rest, [z.entry(dt.date(2029, 1, 1))]).timeline  # it fits the scenario it came from
