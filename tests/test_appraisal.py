"""The economic appraisal: one measure's benefit streams computed by hand on a small corridor match
the command's; the outside alternative caps the waiting the measure saves; charges net out; the
indicators follow their definitions; bad input is one paragraph."""

from __future__ import annotations

import math

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from test_alternatives import SEA, TARIFF, corridor

import corridor_sim as cs
from corridor_sim.analyses import indicators as ind
from corridor_sim.analyses.appraisal import appraise
from corridor_sim.cli import main
from corridor_sim.experiments.execution import replication_seed
from corridor_sim.scenario.variants import without

import factories as fx

VOT, RR, RAIL, SEA_H = 0.5, 1.0, 0.002, 300.0  # the appraisal's central values below
CAPEX = 20.0


def scenario_dict() -> dict:
    """The overloaded small corridor of test_alternatives (one feeder: ~76 t/day of 200 offered,
    the sea at US$150/t and 30 days as the alternative) and a measure that brings two more feeders
    from the first day (then ~230 t/day: no queue)."""
    d = corridor([SEA])
    d["costs"] = {
        "currency_year": 2023,
        "discount_rate_pct": 6.0,
        "carbon_price_usd_per_t": 0.0,
        "appraisal_years": 20,
        "appraisal": {
            "guideline": "EU Guide to Cost-Benefit Analysis of Investment Projects (2014)",
            "value_of_time_usd_per_t_day": {"container": {"low": 0.1, "central": VOT, "high": 2.0}},
            "reliability_ratio": {"low": 0.5, "central": RR, "high": 1.5},
            "rail_usd_per_t_km": {"low": 0.001, "central": RAIL, "high": 0.003},
            "sea_usd_per_sailing_h": {"container": {"low": 200.0, "central": SEA_H, "high": 400.0}},
            "asset_life_years": 40,
            "source": "test",
        },
        "source": "test",
    }
    d["timeline"] = [
        {
            "id": "two_more_feeders",
            "date": "2023-01-01",
            "description": "two more feeders",
            "source": "test",
            "capex_musd": CAPEX,
            "opex_musd_per_year": 1.0,
            "set": {"sea_lines.p_q.vessels.v.count": 3},
        }
    ]
    return d


@pytest.fixture(scope="module")
def case():
    s = fx.build(scenario_dict())
    ap = appraise(s, replications=2, seed=5, workers=1)
    runs = {
        r: (
            cs.run(without(s, ["two_more_feeders"]), seed=replication_seed(5, r)),
            cs.run(s, seed=replication_seed(5, r)),
        )
        for r in range(2)
    }
    return s, ap, runs


def by_hand(s, base, project) -> dict[str, float]:
    """The streams of the year from the two runs' tables, by the formulas of the guideline."""
    a0, a1 = base.annual.iloc[0], project.annual.iloc[0]
    t0, t1 = a0.tons_delivered, a1.tons_delivered
    c0 = base.routes.charges_usd.sum() / t0
    c1 = project.routes.charges_usd.sum() / t1
    te = min(t0, t1)
    g1 = c1 + VOT * a1.transit_days_mean + RR * VOT * a1.transit_days_sd
    g_sea = SEA["usd_per_t"] + VOT * SEA["days"]
    won = base.diversions.tons_diverted.sum() - project.diversions.tons_diverted.sum()
    won = min(won, t1 - t0)
    g0 = c0 + VOT * a0.transit_days_mean + RR * VOT * a0.transit_days_sd
    km = {l["id"]: l["length_km"] for l in scenario_dict()["rail_links"]}

    def resource(res) -> float:
        rail = RAIL * sum(row.tons * km[row.link] for row in res.links.itertuples())
        sea = SEA_H * sum(2 * 20.0 * row.voyages for row in res.lines.itertuples())  # crossing 20 h each way
        return (rail + sea) / res.annual.tons_delivered.sum()

    return {
        "shippers_time": te * VOT * (a0.transit_days_mean - a1.transit_days_mean),
        "shippers_reliability": te * RR * VOT * (a0.transit_days_sd - a1.transit_days_sd),
        "shippers_charges": te * (c0 - c1),
        "operators_charges": -te * (c0 - c1),
        "diverted_traffic": 0.5 * won * max(g_sea - g1, 0.0),
        "generated_traffic": 0.5 * (t1 - t0 - won) * (g0 - g1),
        "operators_resource": te * (resource(base) - resource(project)),
    }


def test_the_streams_match_a_computation_by_hand(case):
    s, ap, runs = case
    got = ap.by_year[(ap.by_year["mode"] == "stand-alone")].set_index("replication")
    for r, (base, project) in runs.items():
        want = by_hand(s, base, project)
        for k, v in want.items():
            assert got.loc[r, k] * 1e6 == pytest.approx(v, rel=1e-6, abs=1.0), (r, k)
        # most of the benefit is time saved on the cargo carried either way, and cargo won from the sea
        assert want["shippers_time"] > 0 and want["diverted_traffic"] > 0


def test_the_alternative_caps_the_waiting_the_measure_saves(case):
    """Without the measure the queue stands at the days the sea makes worth waiting,
    (150 + 0.5 x 30... on the route choice's value of time: (150 + 2 x 30 - 100) / 2 = 55 days);
    with it there is no queue: the days saved are bounded by the alternative, not by a patience."""
    _, _, runs = case
    accepted = (SEA["usd_per_t"] + 2.0 * SEA["days"] - TARIFF) / 2.0
    for base, project in runs.values():
        assert base.annual.transit_days_mean.iloc[0] < accepted * 1.05
        assert project.annual.transit_days_mean.iloc[0] < 5.0


def test_charges_are_transfers_that_net_out(case):
    _, ap, _ = case
    t = ap.by_year
    assert np.allclose(t.shippers_charges + t.operators_charges, 0.0)
    streams = [
        c for c in t.columns if c not in ("measure", "mode", "demand_case", "replication", "year", "economic_musd")
    ]
    assert np.allclose(t[streams].sum(axis=1), t.economic_musd)


def test_the_indicators_follow_their_definitions(case):
    s, ap, _ = case
    row = ap.table[ap.table["mode"] == "stand-alone"].iloc[0]
    econ = ap.by_year[(ap.by_year["mode"] == "stand-alone")].groupby("year").economic_musd.mean()
    benefit = float(econ.loc[2023]) * 1e6  # one simulated year, held for the 20 years
    cf = ind.cash_flows(2023, CAPEX * 1e6, 1e6, {2023: benefit}, 2023, 20, 40)
    assert cf.residual == {2042: CAPEX * 1e6 * 0.5}  # half the 40-year life left after 20
    # the mean over replications of the ENPV is the ENPV of the mean benefit (linear)
    assert row.enpv_musd == pytest.approx(ind.enpv(cf, 6.0, 2023) / 1e6, rel=1e-9)
    e = ind.eirr(cf)
    assert ind.enpv(cf, e, 2023) == pytest.approx(0.0, abs=1e-3 * CAPEX * 1e6)
    # the capex switching value: the factor on capex at which the ENPV is zero
    k = ind.capex_switching(cf, 6.0, 2023)
    cf_k = ind.CashFlows(cf.benefits, {2023: CAPEX * 1e6 * k}, cf.opex, {2042: CAPEX * 1e6 * 0.5 * k})
    assert ind.enpv(cf_k, 6.0, 2023) == pytest.approx(0.0, abs=1.0)
    assert row.capex_switching_factor == pytest.approx(k, rel=1e-9)
    assert 0.0 <= row.p_enpv_negative <= 1.0
    assert row.enpv_musd_vot_low < row.enpv_musd < row.enpv_musd_vot_high  # time saved: more at a higher value
    assert not math.isnan(row.vot_switching_factor) or row.enpv_musd > 0


def test_the_folder_round_trips(case, tmp_path):
    _, ap, _ = case
    ap.write(tmp_path / "ap")
    back = cs.Appraisal.read(tmp_path / "ap")
    assert back.guideline.startswith("EU Guide") and back.values["reliability_ratio"]["central"] == RR
    assert len(back.distribution) == len(ap.distribution) and len(back.by_year) == len(ap.by_year)


# -- bad input ---------------------------------------------------------------------------------


def _cli(tmp_path, *args):
    p = tmp_path / "ap.yaml"
    p.write_text(yaml.safe_dump(scenario_dict(), sort_keys=False))
    return CliRunner().invoke(main, ["appraise", str(p), "-n", "2", "--out", str(tmp_path / "out"), *args])


@pytest.mark.parametrize("rate", ["nan", "-1", "100", "150"])
def test_a_discount_rate_out_of_range(tmp_path, rate):
    res = _cli(tmp_path, "--discount-rate", rate)
    assert res.exit_code == 2 and "Traceback" not in res.output, res.output
    assert "--discount-rate" in res.output


def test_an_unknown_measure(tmp_path):
    res = _cli(tmp_path, "--measure", "nine_ferries")
    assert res.exit_code == 2 and "nine_ferries" in res.output and "two_more_feeders" in res.output, res.output


def test_an_unknown_risk_case(tmp_path):
    res = _cli(tmp_path, "--risk-cases", "doom")
    assert res.exit_code == 2 and "doom" in res.output, res.output


@pytest.mark.parametrize(
    "field, value, words",
    [
        ("reliability_ratio", {"low": 0.5, "central": 9.0, "high": 9.5}, "reliability_ratio"),
        ("reliability_ratio", {"low": 2.0, "central": 1.0, "high": 1.5}, "low <= central <= high"),
        ("rail_usd_per_t_km", {"low": 0.0, "central": 0.1, "high": 5.0}, "rail_usd_per_t_km"),
    ],
)
def test_a_guideline_value_out_of_range(tmp_path, field, value, words):
    d = scenario_dict()
    d["costs"]["appraisal"][field] = value
    p = tmp_path / "bad.yaml"
    p.write_text(yaml.safe_dump(d, sort_keys=False))
    res = CliRunner().invoke(main, ["validate", str(p)])
    assert res.exit_code == 2 and "Traceback" not in res.output, res.output
    assert "costs.appraisal" in res.output and words in res.output, res.output
