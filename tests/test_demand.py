"""The demand side: year paths, the shippers' outlook, the response, patience, oil, demand cases."""

import copy

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import corridor_sim as cs
from corridor_sim.cli import main
from corridor_sim.kpi import binding_bottleneck, conservation_gap
from corridor_sim.scenario.variants import without

from factories import build, flow, link, node, scenario

RESPONSE = {
    "tariff_elasticity": -0.8,
    "trade_gain_per_day_saved": 0.052,
    "value_of_time_usd_per_t_day": 25.0,
    "logit_scale_usd_per_t": 50.0,
    "reference_tariff_usd_per_t": 100.0,
    "adjustment_per_year": 0.5,
    "source": "test",
}


def _rail(
    years: int,
    paths_per_day: float | None,
    tons_per_year: float,
    growth: float = 0.0,
    reference_days: float = 2.5,
    patience_days: float | None = None,
    dwell_h: float = 30.0,
) -> dict:
    """One rail link with a border crossing (a lognormal dwell spreads the transit times); a flow of
    100-t lots that responds to transit time. Uncongested unless paths_per_day is small."""
    d = scenario(
        nodes=[node("o"), node("d")],
        rail_links=[
            link(
                "o_d",
                "o",
                "d",
                length_km=1000.0,
                speed_kmh=50.0,
                paths_per_day=paths_per_day,
                crossing={"transshipment_tracks": 4, "transshipment_h": 2.0, "dwell_mean_h": dwell_h, "dwell_cv": 0.6},
            )
        ],
        flows=[flow("f", ["o", "d"], tons_per_year, lot_units=100.0, cv=0.5)],
        year=2023,
        warmup_days=30.0,
    )
    d["end_year"] = 2023 + years - 1
    f = d["demand"]["flows"][0]
    f["routes"][0].pop("share")
    f["response"] = dict(RESPONSE, reference_transit_days=reference_days)
    f["growth_pct_per_year"] = growth
    f["max_transit_days"] = patience_days
    return d


def _yearly(res, col: str) -> pd.Series:
    """A demand-table column at each new-year re-plan (the first row of each year)."""
    d = res.demand[res.demand.t_h >= 0]
    return d.groupby("year")[col].first()


# ---------------------------------------------------------------------------------------------
# The outlook reads the whole year (Little's law), not one night
# ---------------------------------------------------------------------------------------------
def test_outlook_equals_the_delivered_mean_in_an_uncongested_corridor():
    """Little's law over a year: tonne-days on the route / tonnes sent = the delivered mean, up to
    the cargo on the way at the year's two ends. Tolerance 5% (a few lots straddle each boundary)."""
    res = cs.run(build(_rail(4, None, 365 * 400.0)), seed=3)
    seen = _yearly(res, "observed_days")  # estimated from the year before
    delivered = res.annual.set_index("year").transit_days_mean
    for year in (2024, 2025, 2026):
        assert seen.loc[year] == pytest.approx(delivered.loc[year - 1], rel=0.05), year


def test_a_stable_corridor_shows_no_demand_drift():
    """No growth, nothing congested, reference days = the corridor's own: the multiplier stays at 1
    within 2% every year (the outlook's noise over ~1,400 lots a year times the 5.2%/day response)."""
    d = _rail(8, None, 365 * 400.0)
    probe = cs.run(build(_rail(1, None, 365 * 400.0)), seed=11)
    d["demand"]["flows"][0]["response"]["reference_transit_days"] = float(probe.annual.transit_days_mean.iloc[0])
    res = cs.run(build(d), seed=5)
    m = _yearly(res, "demand_multiplier")
    assert (m - 1.0).abs().max() < 0.02, m
    gen = res.annual.set_index("year").tons_offered
    assert gen.iloc[-1] / gen.iloc[0] == pytest.approx(1.0, abs=0.06)  # Poisson-ish noise of a year's lots


def test_a_growing_queue_raises_the_outlook_ahead_of_the_delivered_mean():
    """The link loses most of its paths on 1 July: from then the queue grows. The outlook reads it in
    the next re-plan (it counts the cargo still waiting at the year's end, which the delivered mean
    leaves out) and keeps rising while the queue grows."""
    d = _rail(3, 24.0, 365 * 400.0, reference_days=2.5)  # 4 lots a day, each its own train
    d["demand"]["flows"][0]["response"]["trade_gain_per_day_saved"] = 0.0  # keep the demand on, to grow the queue
    d["timeline"] = [
        {
            "id": "cut",
            "date": "2023-07-01",
            "description": "track works",
            "source": "test",
            "set": {"rail_links.o_d.paths_per_day": 3.0},
        }
    ]
    res = cs.run(build(d), seed=2)
    seen = _yearly(res, "observed_days")
    assert seen.loc[2024] > 3 * 2.5  # three times the uncongested ~2.5 days
    assert seen.loc[2024] < seen.loc[2025]


def test_demand_never_falls_when_nothing_on_the_route_is_congested():
    for seed in (1, 2, 3):
        d = _rail(6, None, 365 * 400.0, growth=4.0)
        probe = cs.run(build(_rail(1, None, 365 * 400.0)), seed=seed + 10)
        d["demand"]["flows"][0]["response"]["reference_transit_days"] = float(probe.annual.transit_days_mean.iloc[0])
        res = cs.run(build(d), seed=seed)
        planned = _yearly(res, "demand_tons_per_year")
        assert (planned.diff().dropna() > 0).all(), (seed, planned)


# ---------------------------------------------------------------------------------------------
# Year paths, pauses, patience
# ---------------------------------------------------------------------------------------------
def test_a_year_path_sets_each_years_demand():
    d = scenario(
        nodes=[node("o"), node("d")],
        rail_links=[link("o_d", "o", "d")],
        flows=[flow("f", ["o", "d"], 100_000.0, lot_units=100.0, cv=0.3)],
        year=2023,
    )
    d["end_year"] = 2026
    d["demand"]["flows"][0].update(tons_by_year={2024: 300_000.0, 2026: 100_000.0}, growth_pct_per_year=10.0)
    res = cs.run(build(d), seed=1)
    gen = res.annual.set_index("year").tons_offered
    for year, want in ((2023, 1e5), (2024, 3e5), (2025, 2e5), (2026, 1e5)):  # 2025: linear between points
        assert gen.loc[year] == pytest.approx(want, rel=0.06), year
    assert _yearly(res, "trend_tons_per_year").loc[2025] == pytest.approx(2e5)


def test_a_timeline_pause_stops_a_flow_and_it_resumes():
    d = scenario(
        nodes=[node("o"), node("d")],
        rail_links=[link("o_d", "o", "d")],
        flows=[flow("f", ["o", "d"], 365 * 1000.0, lot_units=100.0, cv=0.2)],
        year=2023,
    )
    d["timeline"] = [
        {
            "id": "pause",
            "date": "2023-08-01",
            "description": "stop",
            "source": "test",
            "set": {"demand.flows.f.demand_factor": 0.0},
        },
        {
            "id": "resume",
            "date": "2023-09-13",
            "description": "go",
            "source": "test",
            "set": {"demand.flows.f.demand_factor": 1.0},
        },
    ]
    res = cs.run(build(d), seed=1)
    t = res.lots.t_generated_h
    aug1, sep13 = 24 * 212, 24 * 255
    assert not ((t > aug1 + 1e-6) & (t < sep13)).any()
    assert (t > sep13).sum() > 50
    assert res.annual.tons_offered.sum() == pytest.approx(365_000 * (1 - 43 / 365), rel=0.05)


def test_patience_diverts_demand_and_bounds_the_queue():
    """Four times the cargo the link can take: without patience the queue grows all year; with 10
    days' patience the excess is diverted, every tonne is accounted for, and what is carried waits
    about ten days at most."""
    stuck = cs.run(build(_rail(1, 1.0, 365 * 400.0)), seed=4)
    patient = cs.run(build(_rail(1, 1.0, 365 * 400.0, patience_days=10.0)), seed=4)
    a = patient.annual.iloc[0]
    assert a.tons_diverted > 0.5 * a.tons_offered
    assert (conservation_gap(patient.annual).abs() < 1e-6).all()
    assert stuck.annual.tons_backlog.iloc[0] > 50 * patient.annual.tons_backlog.iloc[0]
    # after the 30-day warm-up, in which the rate the shippers expect falls from its prior (the
    # 4 lots/day the route is meant to carry) to the 1 path/day it delivers
    carried = patient.lots[patient.lots.t_generated_h > 0].transit_days
    assert carried.mean() < 11.0  # they join while they expect <= 10 days: ~10 +- the estimate's lag
    assert carried.quantile(0.95) < 10.0 + 3.0  # + the dwell's lognormal tail (p95 ~2.3 d)
    assert stuck.lots.transit_days.mean() > 10 * carried.mean()
    assert a.tons_delivered == pytest.approx(stuck.annual.tons_delivered.iloc[0], rel=0.05)  # same capacity used


def test_patience_moves_cargo_to_another_open_route_before_diverting_it():
    d = scenario(
        nodes=[node("o"), node("a"), node("d")],
        rail_links=[
            link("o_a", "o", "a", paths_per_day=1.0),
            link("a_d", "a", "d"),
            link("o_d", "o", "d", paths_per_day=24.0),
        ],
        flows=[flow("f", ["o", "a", "d"], 365 * 400.0, lot_units=100.0)],
        year=2023,
    )
    f = d["demand"]["flows"][0]
    f["routes"] = [
        {"id": "narrow", "share": 0.9, "path": ["o", "a", "d"]},
        {"id": "wide", "share": 0.1, "path": ["o", "d"]},
    ]
    f["max_transit_days"] = 5.0
    res = cs.run(build(d), seed=1)
    split = res.lots.groupby("route").tons.sum()
    assert split["wide"] > split["narrow"]  # the 10% route takes most once the narrow one is clogged
    assert res.annual.tons_diverted.sum() < 0.02 * res.annual.tons_offered.sum()


# ---------------------------------------------------------------------------------------------
# Oil to BTC: 7 Mt with its fleet, bound by the tankers without it
# ---------------------------------------------------------------------------------------------
def test_oil_case_reaches_7_mt_with_its_fleet_and_binds_on_the_tankers_without(base_path):
    oil = cs.load_scenario(base_path.parent / "oil_btc_7mt.yaml", years=(2027, 2028))
    crude = lambda r: r.annual[(r.annual.cargo == "crude") & (r.annual.year == 2028)].iloc[0]
    full = cs.run(oil, seed=1)
    assert crude(full).tons_delivered == pytest.approx(7.0e6, rel=0.08)
    bare = cs.run(without(oil, {"kmg_tankers_to_btc", "new_tankers"}), seed=1)
    c = crude(bare)
    assert c.tons_delivered < 0.4 * 7.0e6 and c.tons_diverted > 0.5 * 7.0e6
    binds = binding_bottleneck(bare.resources[bare.resources.year == 2028], oil.output.bottleneck_threshold)
    assert binds["binding"] and binds["resource"].startswith("tanker_aktau_sangachal:")


def test_the_oil_case_keeps_its_path_in_every_demand_case(base_path):
    for case in ("low", "central", "high"):
        s = cs.load_scenario(base_path.parent / "oil_btc_7mt.yaml", demand_case=case)
        assert s.flow("crude_kz_btc").tons_by_year == {2025: 1_360_000, 2026: 4_180_000, 2027: 7_000_000}, case


# ---------------------------------------------------------------------------------------------
# Demand cases
# ---------------------------------------------------------------------------------------------
def test_demand_cases_change_growth_and_name(base_path):
    central, low, high = (cs.load_scenario(base_path, demand_case=c) for c in ("central", "low", "high"))
    assert central.name == "base" and low.name == "base_low" and high.name == "base_high"
    assert (low.demand_case, high.demand_case) == ("low", "high")
    from corridor_sim.scenario.schema import trend_tons

    level = lambda s, f, y: trend_tons(s.flow(f), s.demand.base_year, y)
    for f in ("containers_cn_az", "wagons_kz_export"):
        assert level(low, f, 2030) < level(central, f, 2030) < level(high, f, 2030), f
        # the observed 2024-2025 levels are shared by every case
        assert {level(s, f, y) for s in (low, central, high) for y in (2024,)} == {level(central, f, 2024)}
        assert {level(s, f, 2025) for s in (low, central, high)} == {level(central, f, 2025)}
    # high reaches the World Bank's 2030 end-state: containers 4.07 Mt, other dry cargo 3.78 Mt
    by_cargo = lambda s, c: sum(level(s, f.id, 2030) for f in s.demand.flows if f.cargo == c)
    assert by_cargo(high, "container") == pytest.approx(4.07e6, rel=1e-4)
    assert by_cargo(high, "wagon") == pytest.approx(3.78e6, rel=1e-4)
    assert cs.load_scenario(base_path) == central  # central is the default


@pytest.mark.untraced  # a whole-corridor job (conftest.py)
def test_run_and_compare_take_a_demand_case(tmp_path, base_path):
    r = CliRunner().invoke(
        main,
        [
            "run",
            str(base_path),
            "--years",
            "2024",
            "--demand-case",
            "high",
            "--no-plots",
            "-q",
            "--out",
            str(tmp_path / "h"),
        ],
    )
    assert r.exit_code == 0, r.output
    import json

    meta = json.loads((tmp_path / "h" / "metadata.json").read_text())
    assert meta["scenario"]["demand_case"] == "high" and meta["scenario_name"] == "base_high"
    r = CliRunner().invoke(
        main,
        [
            "compare",
            str(base_path),
            "--years",
            "2024-2025",
            "--demand-case",
            "all",
            "-q",
            "-n",
            "1",
            "-w",
            "1",
            "--out",
            str(tmp_path / "fan"),
        ],
    )
    assert r.exit_code == 0, r.output
    table = pd.read_csv(tmp_path / "fan" / "compare_table.csv", index_col=0)
    assert list(table.index) == ["base", "base_low", "base_high"]
    assert (tmp_path / "fan" / "compare_tons.png").stat().st_size > 10_000
    # the report keeps one case, and says which
    from corridor_sim.present.report import build_report

    page = build_report([tmp_path / "fan"], demand_case="high")
    assert "base_high</h3>" in page and "base_low</h3>" not in page and "Demand case <b>high</b>" in page
    r = CliRunner().invoke(
        main, ["report", str(tmp_path / "fan"), "--demand-case", "boom", "--out", str(tmp_path / "r.html")]
    )
    assert r.exit_code == 2 and "cases found: central, high, low" in r.output


# ---------------------------------------------------------------------------------------------
# Bad input on the new fields: exit 2, one message naming the file and the field
# ---------------------------------------------------------------------------------------------
def _bad(tmp_path, base_path, edit, *args):
    import yaml

    raw = yaml.safe_load(base_path.read_text())
    edit(raw)
    p = tmp_path / "bad.yaml"
    p.write_text(yaml.safe_dump(raw, sort_keys=False))
    r = CliRunner().invoke(main, ["validate", str(p), *args])
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output and str(p) in r.output
    return r.output


def _crude(raw):
    return next(f for f in raw["demand"]["flows"] if f["id"] == "crude_kz_btc")


def test_a_negative_ramp_is_refused(tmp_path, base_path):
    out = _bad(tmp_path, base_path, lambda raw: _crude(raw)["tons_by_year"].update({2027: -5}))
    assert "demand.flows.crude_kz_btc.tons_by_year.2027" in out and "greater than or equal to 0" in out


def test_a_path_year_outside_the_run_is_refused(tmp_path, base_path):
    out = _bad(tmp_path, base_path, lambda raw: _crude(raw)["tons_by_year"].update({2040: 7_000_000}))
    assert "demand.flows.crude_kz_btc.tons_by_year.2040" in out and "outside the run (2024-2035)" in out


def test_an_unknown_demand_case_is_refused(tmp_path, base_path):
    out = _bad(tmp_path, base_path, lambda raw: None, "--demand-case", "boom")
    assert "--demand-case" in out and "boom" in out and "central, low, high" in out


def test_a_demand_case_may_change_only_demand(tmp_path, base_path):
    def edit(raw):
        raw["demand_cases"][1]["set"]["sea_lines.ferry_kuryk_alat.crossing_h"] = 10

    out = _bad(tmp_path, base_path, edit)
    assert "demand_cases.low.set.sea_lines.ferry_kuryk_alat.crossing_h" in out and "only the demand section" in out


def test_demand_cases_need_a_central_one(tmp_path, base_path):
    out = _bad(tmp_path, base_path, lambda raw: raw["demand_cases"].pop(0))
    assert "demand_cases" in out and "'central'" in out


def test_a_year_path_can_be_overridden_on_the_command_line(base_path):
    s = cs.load_scenario(base_path, overrides=["demand.flows.crude_kz_btc.tons_by_year.2027=5000000"])
    assert s.flow("crude_kz_btc").tons_by_year[2027] == 5_000_000
    assert set(s.flow("crude_kz_btc").tons_by_year) == {2025, 2026, 2027}


# ---------------------------------------------------------------------------------------------
# Sensitivity covers what decides the answer
# ---------------------------------------------------------------------------------------------
def test_base_marks_the_demand_levers_uncertain(base_path):
    s = cs.load_scenario(base_path)
    paths = {p for u in s.uncertain for p in u.paths}
    for must in (
        "demand.flows.containers_cn_az.growth_pct_per_year",
        "demand.flows.wagons_kz_export.growth_pct_per_year",
        "demand.flows.crude_kz_btc.tons_by_year.2027",
        "sea_lines.tanker_aktau_sangachal.vessels.kz_tanker.count",
        "demand.flows.wagons_cn_transit.response.tariff_elasticity",
        "demand.flows.containers_cn_tr.response.trade_gain_per_day_saved",
        "caspian.load_factor_loss_per_10cm",
    ):
        assert must in paths, must


def test_sensitivity_moves_shared_paths_together():
    from corridor_sim.analyses.sensitivity import sensitivity

    d = _rail(1, None, 365 * 200.0)
    d["demand"]["flows"].append(copy.deepcopy(d["demand"]["flows"][0]) | {"id": "g"})
    d["uncertain"] = [
        {
            "path": "demand.flows.f.tons_per_year",
            "also": ["demand.flows.g.tons_per_year"],
            "low": 50_000,
            "high": 100_000,
            "source": "test",
        },
        {"path": "rail_links.o_d.crossing.dwell_mean_h", "low": 10, "high": 40, "source": "test"},
    ]
    result = sensitivity(build(d), trajectories=2, levels=4, workers=1)
    ranking, runs = result.ranking, result.runs
    assert (runs["demand.flows.f.tons_per_year"] == runs["demand.flows.g.tons_per_year"]).all()
    assert set(ranking.parameter) == {
        "demand.flows.f.tons_per_year (and 1 more)",
        "rail_links.o_d.crossing.dwell_mean_h",
    }
    top = ranking[ranking.output == "delivered_mt_per_year"].iloc[0]
    assert top.parameter.startswith("demand.flows.f.tons_per_year") and np.isfinite(top.mu_star)
