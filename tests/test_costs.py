"""Door-to-door cost and CO2 (model.charges), the appraisal of costed measures and the cheapest plan
(corridor_sim.appraisal): sums that must add up exactly, a tariff that moves both route choice and
reported cost, and plans whose optimum is known by hand."""

from __future__ import annotations

import copy
import datetime as dt
import math

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

import corridor_sim as cs
from corridor_sim.analyses.appraisal import appraise
from corridor_sim.analyses.benefits import STREAMS, economic
from corridor_sim.analyses.plan import plan
from corridor_sim.cli import main
from corridor_sim.model.demand import logit_shares
from corridor_sim.scenario.candidate_schema import Candidate
from corridor_sim.scenario.candidates import load_candidates
from corridor_sim.scenario.pricing import flow_charges, great_circle_km
from corridor_sim.scenario.problems import ScenarioError
from corridor_sim.scenario.variants import without

from factories import appraisal_costs, build, flow, link, node, rail_sea, scenario

EMISSIONS = {
    "rail_kg_per_t_km": {"diesel": 0.025, "electric": 0.01},
    "sea_kg_per_t_km": {"container": 0.04, "wagon": 0.13, "crude": 0.02},
    "source": "test",
}


def priced() -> dict:
    """origin --rail (crossing)--> P --sea--> Q, every leg charged, with emission factors."""
    d = rail_sea(tons_per_year=30_000.0, lot=50.0, t_per_unit=10.0, warmup_days=5.0)
    lk = d["rail_links"][0]
    lk.update(tariff_usd_per_unit_km={"container": 0.5}, traction="electric", length_km=200.0)
    lk["crossing"] = {
        "transshipment_tracks": 1,
        "transshipment_h": 1.0,
        "dwell_mean_h": 2.0,
        "fee_usd_per_unit": {"container": 30.0},
        "source": "test",
    }
    d["ports"][0]["terminals"][0]["handling_usd_per_unit"] = 40.0
    d["ports"][1]["terminals"][0]["handling_usd_per_unit"] = 60.0
    d["sea_lines"][0].update(freight_usd_per_unit=300.0, distance_km=500.0)
    d["demand"]["flows"][0]["routes"][0]["outside_usd_per_t"] = 2.0
    d["costs"] = {"currency_year": 2023, "emissions": EMISSIONS, "source": "test"}
    return d


# per TEU: rail 0.5 x 200 + fee 30 + P 40 + sea 300 + Q 60 + outside 2 $/t x 10 t
BY_HAND_USD = 0.5 * 200 + 30 + 40 + 300 + 60 + 2 * 10
BY_HAND_KG = (0.01 * 200 + 0.04 * 500) * 10  # t-km x factor, 10 t per unit


def test_route_charges_add_up_from_the_legs():
    s = build(priced())
    ch = flow_charges(s, s.demand.flows[0])["r"]
    assert ch.usd_per_unit == pytest.approx(BY_HAND_USD)
    assert ch.kg_co2e_per_unit == pytest.approx(BY_HAND_KG)
    assert {p.kind for p in ch.parts} == {"border", "rail", "port", "sea", "outside"}
    # the tariff factor scales every charge, not the emissions
    d = priced()
    d["demand"]["tariff_factor"] = 0.5
    half = flow_charges(build(d), build(d).demand.flows[0])["r"]
    assert half.usd_per_unit == pytest.approx(BY_HAND_USD / 2) and half.kg_co2e_per_unit == ch.kg_co2e_per_unit


def test_every_delivered_lot_carries_its_cost_and_co2_exactly():
    s = build(priced())
    res = cs.run(s, seed=3, detail=True)
    lots = res.lots
    assert len(lots) > 40  # 30,000 t in 500-t consignments, some split by the ships
    np.testing.assert_allclose(lots.charges_usd, lots.units * BY_HAND_USD, rtol=1e-12)
    np.testing.assert_allclose(lots.co2e_kg, lots.units * BY_HAND_KG, rtol=1e-12)
    # no response block: the shippers' time is not priced
    assert (lots.time_cost_usd == 0).all()
    # the routes table sums the lots exactly (same year)
    r = res.routes.iloc[0]
    mine = lots[lots.year == r.year]
    assert r.charges_usd == pytest.approx(mine.charges_usd.sum(), rel=1e-12)
    assert r.co2e_kg == pytest.approx(mine.co2e_kg.sum(), rel=1e-12)
    assert r.charges_usd_per_unit == pytest.approx(BY_HAND_USD)


def two_routes(tariff_b: float = 0.5, vot: float = 0.0) -> dict:
    """One flow choosing by logit between two parallel rail links a->b priced per unit-km."""
    d = scenario(
        [node("a"), node("b"), node("c")],
        [flow("f", ["a", "b"], 200_000.0, 50.0)],
        rail_links=[link("a_b", "a", "b"), link("a_c", "a", "c"), link("c_b", "c", "b")],
        warmup_days=5.0,
        t_per_unit=10.0,
    )
    for lk in d["rail_links"]:
        lk["tariff_usd_per_unit_km"] = {"container": 0.5}
    d["rail_links"][1]["tariff_usd_per_unit_km"] = {"container": tariff_b}
    f = d["demand"]["flows"][0]
    f["routes"] = [{"id": "direct", "path": ["a", "b"]}, {"id": "via_c", "path": ["a", "c", "b"]}]
    f["response"] = {
        "tariff_elasticity": -0.5,
        "trade_gain_per_day_saved": 0.0,
        "value_of_time_usd_per_t_day": vot,
        "logit_scale_usd_per_t": 5.0,
        "reference_tariff_usd_per_t": 5.0,
        "reference_transit_days": 1.0,
        "source": "test",
    }
    return d


def test_a_tariff_change_moves_route_choice_and_reported_cost():
    # direct: 100 km x 0.5 = 50 US$/TEU (5 $/t); via c: 100 km x 0.5 + 100 km x tariff_b
    cheap, dear = build(two_routes(0.0)), build(two_routes(1.0))
    r_cheap = cs.run(cheap, seed=2, detail=False).routes.set_index("route")
    r_dear = cs.run(dear, seed=2, detail=False).routes.set_index("route")
    share = lambda r: r.tons_delivered["via_c"] / r.tons_delivered.sum()
    # via_c costs 5 $/t (equal) when c_b is free, 15 $/t at 1 $/unit-km: logit over 5 $/t
    want_cheap = logit_shares([5.0, 5.0], 5.0)[1]
    want_dear = logit_shares([5.0, 15.0], 5.0)[1]
    assert share(r_cheap) == pytest.approx(want_cheap, abs=0.07)  # 400 consignments: sd 0.025
    assert share(r_dear) == pytest.approx(want_dear, abs=0.05)
    assert r_dear.charges_usd_per_unit["via_c"] == pytest.approx(150.0)
    assert r_cheap.charges_usd_per_unit["via_c"] == pytest.approx(50.0)
    # and the demand plan records the same money
    plans = cs.run(dear, seed=2, detail=False).demand
    assert plans[plans.route == "via_c"].tariff_usd_per_t.iloc[0] == pytest.approx(15.0)


def test_a_priced_route_must_price_every_rail_link_and_traction_must_have_a_factor():
    d = priced()
    d["rail_links"][0]["tariff_usd_per_unit_km"] = {}
    with pytest.raises(ScenarioError, match=r"rail_links\.o_p\.tariff_usd_per_unit_km.*no tariff for container"):
        build(d)
    d = priced()
    d["rail_links"][0]["traction"] = "steam"
    with pytest.raises(ScenarioError, match="no emission factor for traction 'steam'"):
        build(d)


def test_great_circle_and_no_change_no_benefit():
    assert great_circle_km(0.0, 0.0, 0.0, 1.0) == pytest.approx(111.19, abs=0.01)
    # nothing changes: no benefit in any stream
    assert economic(dict.fromkeys(STREAMS, 0.0)) == 0.0


def test_base_reference_tariffs_are_its_2024_charges():
    """The base file's reference tariffs are the logit-weighted 2024 charges of each flow's routes
    (at equal days), so 2024 demand holds at the tariffs in force."""
    s = cs.load_scenario("scenarios/base.yaml")
    for f in s.demand.flows:
        if f.response is None:
            continue
        ch = flow_charges(s, f)
        t = [ch[r.id].usd_per_t for r in f.routes if r.open]
        ref = float(np.dot(logit_shares(t, f.response.logit_scale_usd_per_t), t))
        assert f.response.reference_tariff_usd_per_t == pytest.approx(ref, rel=5e-4), f.id


def test_candidates_and_dated_projects_agree():
    """A project dated in bottlenecks.yaml and offered in candidates.yaml changes the same things
    at the same cost."""
    s = cs.load_scenario("scenarios/bottlenecks.yaml")
    cands = {c.id: c for c in load_candidates("scenarios/candidates.yaml", cs.load_scenario("scenarios/options.yaml"))}
    both = [iv for iv in s.timeline if iv.id in cands]
    assert len(both) >= 8
    for iv in both:
        c = cands[iv.id]
        assert (iv.set, iv.scale, iv.capex_musd, iv.opex_musd_per_year) == (
            c.set,
            c.scale,
            c.capex_musd,
            c.opex_musd_per_year,
        ), iv.id


# ------------------------------------------------------------------------------------------------
# Appraisal and plan on a corridor whose capacity is known in closed form
# ------------------------------------------------------------------------------------------------
def rail4() -> dict:
    """One rail link with 4 paths a day and 50-t trains: 4 x 365 x 50 t = 0.073 Mt/yr (2023)."""
    d = scenario(
        [node("o"), node("p")],
        [flow("f", ["o", "p"], 60_000.0, 50.0)],
        rail_links=[link("o_p", "o", "p", paths_per_day=4)],
        warmup_days=10.0,
    )
    d["rail_links"][0]["tariff_usd_per_unit_km"] = {"container": 0.1}
    return d


def cand(cid: str, capex: float, paths: float | None = None, start: str = "2020-01-01", **kw) -> Candidate:
    change = {"set": {"rail_links.o_p.paths_per_day": paths}} if paths else {"scale": {"rail_links.o_p.speed_kmh": 2.0}}
    return Candidate.model_validate(
        {
            "id": cid,
            "description": cid,
            "source": "test",
            "capex_musd": capex,
            "earliest_start": start,
            "lead_time_years": 1.0,
            **change,
            **kw,
        }
    )


MT = lambda paths: paths * 365 * 50 / 1e6


def test_the_plan_finds_the_cheapest_upgrade_known_by_hand():
    s = build(rail4())
    cands = [cand("faster", 10.0), cand("paths6", 100.0, 6), cand("paths8", 300.0, 8)]
    p = plan(s, cands, goal_mt=0.1, by=2023, replications=2, workers=1, trajectory=False)
    # faster trains add nothing (the paths bind); 6 paths (0.1095 Mt) reach 0.1 for US$100 m,
    # 8 paths too but for US$300 m: the cheapest plan is the 6 paths, in service 1 Jan 2023
    assert [e.id for e in p.chosen] == ["paths6"]
    assert p.chosen[0].date == dt.date(2023, 1, 1)
    assert p.reached and p.share_at_goal == 1.0 and p.capex_musd == 100.0
    assert p.capacity_mt["mean"] == pytest.approx(MT(6), abs=1e-4)
    why = dict(zip(p.rejected.candidate, p.rejected.reason))
    assert "binding resource is elsewhere" in why["faster"]
    assert (
        "a cheaper set reaches the goal's capacity in the mix without it" in why["paths8"]
        and "proven by enumeration" in why["paths8"]
    )
    assert p.proven and p.reason == ""
    # a budget below the 6 paths leaves nothing that reaches the goal
    poor = plan(s, cands, goal_mt=0.1, by=2023, budget_musd=50.0, replications=2, workers=1, trajectory=False)
    assert not poor.reached and "over the budget" in dict(zip(poor.rejected.candidate, poor.rejected.reason))["paths6"]
    # the 6 paths not ready in time: the dearer 8 paths are the plan
    late = [cand("faster", 10.0), cand("paths6", 100.0, 6, start="2022-06-01"), cand("paths8", 300.0, 8)]
    p8 = plan(s, late, goal_mt=0.1, by=2023, replications=2, workers=1, trajectory=False)
    assert [e.id for e in p8.chosen] == ["paths8"] and "not in service by 1 January 2023" in p8.rejected.reason.iloc[
        0
    ] + " ".join(p8.rejected.reason)


def test_appraisal_measures_what_a_known_capacity_gain_buys():
    """Demand (0.06 Mt) is below both capacities (0.073 and 0.11 Mt/yr): no tonnes are added, but
    trains wait less for a path, so the measure's benefit is shippers' time, and the transfers net out."""
    d = rail4()
    d["costs"] = appraisal_costs()
    d["timeline"] = [
        {
            "id": "paths6",
            "date": "2023-01-01",
            "description": "six paths",
            "source": "test",
            "set": {"rail_links.o_p.paths_per_day": 6},
            "capex_musd": 100.0,
            "opex_musd_per_year": 1.0,
        }
    ]
    s = build(d)
    assert [iv.id for iv in without(s, ["paths6"]).timeline] == []
    ap = appraise(s, replications=2, workers=1)
    row = ap.table.iloc[0]
    assert abs(row.delivered_added_mt) < 0.002
    assert row.days_saved > 0
    streams = ap.by_year.groupby("mode")[["shippers_time", "shippers_charges", "operators_charges"]].mean()
    assert (streams.shippers_time > 0).all()
    assert np.allclose(streams.shippers_charges + streams.operators_charges, 0.0)
    # a US$100 m measure saving hours on 0.06 Mt: far from paying back
    assert math.isfinite(row.enpv_musd) and row.enpv_musd < 0 and row.bcr < 1


def test_plan_command_writes_a_scenario_file_that_loads(tmp_path):
    scn = tmp_path / "rail.yaml"
    scn.write_text(yaml.safe_dump(rail4()))
    cf = tmp_path / "cands.yaml"
    cf.write_text(
        yaml.safe_dump(
            {
                "description": "test",
                "candidates": [
                    c.model_dump(mode="json", exclude={"opex_musd_per_year"})
                    for c in (cand("paths6", 100.0, 6), cand("paths8", 300.0, 8))
                ],
            }
        )
    )
    out = tmp_path / "plan"
    r = CliRunner().invoke(
        main,
        [
            "plan",
            str(scn),
            "--candidates",
            str(cf),
            "--goal",
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
        ],
    )
    assert r.exit_code == 0, r.output
    assert "the plan meets the goal (0.1 Mt/yr of capacity in the year's mix in 2023" in r.output
    planned = cs.load_scenario(out / "plan.yaml")
    assert [iv.id for iv in planned.timeline] == ["paths6"] and planned.timeline[0].capex_musd == 100.0
    assert (out / "rejected.csv").exists() and (out / "plan_capacity.csv").exists()
    # a candidate naming a field the scenario lacks: exit 2, the file, the candidate and the line
    bad = copy.deepcopy(yaml.safe_load(cf.read_text()))
    bad["candidates"][0]["set"] = {"rail_links.nowhere.paths_per_day": 6}
    cf.write_text(yaml.safe_dump(bad))
    r = CliRunner().invoke(
        main, ["plan", str(scn), "--candidates", str(cf), "--by", "2023", "--out", str(tmp_path / "x")]
    )
    assert r.exit_code == 2 and str(cf) in r.output and "candidates.paths6" in r.output and "line" in r.output
