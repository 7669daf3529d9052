"""Interventions, extends, route opening, demand response and comparison, each on a small scenario."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

import corridor_sim as cs
from corridor_sim.cli import main

from factories import build, flow, link, node, rail_sea, scenario

H_JUL_2023 = (31 + 28 + 31 + 30 + 31 + 30) * 24.0  # 1 July 2023 in hours from 1 January


def _rail(paths=2.0, trains_per_day=6.0, timeline=(), **flow_kw):
    d = scenario(
        nodes=[node("o"), node("d")],
        rail_links=[link("o_d", "o", "d", length_km=50, speed_kmh=50, paths_per_day=paths)],
        flows=[flow("f", ["o", "d"], tons_per_year=trains_per_day * 365 * 100, lot_units=100, **flow_kw)],
    )
    d["timeline"] = list(timeline)
    return d


def test_a_parameter_changes_exactly_at_its_date():
    iv = {
        "id": "more_paths",
        "date": "2023-07-01",
        "description": "second track",
        "source": "test",
        "set": {"rail_links.o_d.paths_per_day": 12.0},
    }
    res = cs.run(build(_rail(timeline=[iv])), seed=1)
    t = np.sort(res.lots["t_rail:o_d_h"].to_numpy())
    before, after = t[t < H_JUL_2023], t[t >= H_JUL_2023]
    assert np.diff(before).min() >= 12.0 - 1e-9  # 2 paths/day: one train every 12 h at most
    assert len(before) == pytest.approx(2 * 181, abs=2)  # the link ran full before
    assert (np.diff(after) < 12.0 - 1e-9).any()  # shorter headways only after the date
    assert len(after) / 184 > 5.0  # the queue drains at up to 12/day
    log = res.interventions.iloc[0]
    assert log.id == "more_paths" and log.t_h == H_JUL_2023


def test_a_route_carries_nothing_before_it_opens_and_traffic_after():
    d = scenario(
        nodes=[node("o"), node("a"), node("b")],
        rail_links=[link("o_a", "o", "a"), link("o_b", "o", "b")],
        flows=[flow("f", ["o", "a"], tons_per_year=4 * 365 * 100, lot_units=100)],
    )
    d["demand"]["flows"][0]["routes"] = [
        {"id": "old", "share": 0.5, "path": ["o", "a"]},
        {"id": "new", "share": 0.5, "path": ["o", "b"], "open": False},
    ]
    d["timeline"] = [
        {
            "id": "open_new",
            "date": "2023-07-01",
            "description": "opens",
            "source": "test",
            "set": {"demand.flows.f.routes.new.open": True},
        }
    ]
    res = cs.run(build(d), seed=3)
    new = res.lots[res.lots.route == "new"]
    old = res.lots[res.lots.route == "old"]
    assert len(new) > 100 and new.t_generated_h.min() >= H_JUL_2023
    assert (old.t_generated_h < H_JUL_2023).sum() > 300  # all cargo went the old way before
    share_after = len(new) / (len(new) + (old.t_generated_h >= H_JUL_2023).sum())
    assert share_after == pytest.approx(0.5, abs=0.06)
    assert set(res.lots.destination) == {"a", "b"}


def _responsive(tariff_factor_from_july=None, adjustment=1.0):
    d = _rail(paths=None, trains_per_day=8.0, cv=0.0)
    d["rail_links"][0]["paths_per_day"] = None
    d["demand"]["flows"][0]["routes"][0].pop("share")
    d["demand"]["flows"][0]["response"] = {
        "tariff_elasticity": -0.8,
        "trade_gain_per_day_saved": 0.0,
        "value_of_time_usd_per_t_day": 0.0,
        "logit_scale_usd_per_t": 10.0,
        "reference_tariff_usd_per_t": 100.0,
        "reference_transit_days": 1.0,
        "adjustment_per_year": adjustment,
        "source": "test",
    }
    if tariff_factor_from_july:
        d["timeline"] = [
            {
                "id": "cut",
                "date": "2023-07-01",
                "description": "tariff cut",
                "source": "test",
                "set": {"demand.tariff_factor": tariff_factor_from_july},
            }
        ]
    return build(d)


def test_a_tariff_cut_raises_demand_by_the_elasticity_formula():
    cut = cs.run(_responsive(0.8), seed=1)
    ref = cs.run(_responsive(None), seed=1)
    expected = 0.8**-0.8  # (tariff / reference) ^ elasticity = 1.195
    m = cut.demand.set_index("t_h").demand_multiplier
    assert m.loc[H_JUL_2023] == pytest.approx(expected, rel=1e-12)
    assert m.iloc[0] == 1.0
    g = lambda r, after: r.lots[(r.lots.t_generated_h >= H_JUL_2023) == after].tons.sum()
    assert g(cut, False) == pytest.approx(g(ref, False), rel=0.01)  # nothing changes before the date
    assert g(cut, True) / g(ref, True) == pytest.approx(expected, rel=0.02)  # +19.5% after it


def test_partial_adjustment_moves_part_of_the_way():
    half = cs.run(_responsive(0.8, adjustment=0.5), seed=1)
    m = half.demand.set_index("t_h").demand_multiplier
    assert m.loc[H_JUL_2023] == pytest.approx((0.8**-0.8) ** 0.5, rel=1e-12)


def _fleet_vs_rail(vessels: int, paths: float | None):
    d = rail_sea(
        tons_per_year=600 * 365, lot=100.0, vessels=vessels, capacity=200.0, crossing_h=20.0, far_yard=100000.0
    )
    d["rail_links"][0]["paths_per_day"] = paths
    return cs.run(build(d), seed=4).annual.tons_delivered.sum()


def test_more_vessels_help_a_fleet_bound_corridor_but_not_a_rail_bound_one():
    # 600 units/day wanted; one ship carries ~160 units per ~2-day round trip
    fleet_bound = _fleet_vs_rail(2, None), _fleet_vs_rail(4, None)
    assert fleet_bound[1] > 1.6 * fleet_bound[0]
    # the same corridor held to 1 train (100 units) a day by the rail link: ships are not the limit
    rail_bound = _fleet_vs_rail(4, 1.0), _fleet_vs_rail(8, 1.0)
    assert rail_bound[1] == pytest.approx(rail_bound[0], rel=0.02)
    assert rail_bound[0] == pytest.approx(365 * 100, rel=0.03)


def test_vessels_retire_and_join_by_the_timeline():
    d = rail_sea(tons_per_year=400 * 365, vessels=4, capacity=200.0)
    d["timeline"] = [
        {
            "id": "retire",
            "date": "2023-07-01",
            "description": "two ships leave",
            "source": "test",
            "set": {"sea_lines.p_q.vessels.v.count": 2},
        }
    ]
    res = cs.run(build(d), seed=2)
    v = res.voyages
    assert v[v.t_depart_h < H_JUL_2023].vessel.nunique() == 4
    assert v[v.t_depart_h > H_JUL_2023 + 24 * 10].vessel.nunique() == 2
    fleet = res.resources[res.resources.kind == "fleet"].capacity.iloc[0]
    assert 2.5 < fleet < 3.5  # time-averaged fleet over the year


def _write(tmp_path: Path, name: str, data: dict) -> Path:
    p = tmp_path / name
    p.write_text(yaml.safe_dump(data, sort_keys=False))
    return p


def test_cyclic_extends_is_a_clear_error(tmp_path):
    _write(tmp_path, "a.yaml", {"extends": "b.yaml", "name": "a"})
    _write(tmp_path, "b.yaml", {"extends": "a.yaml", "name": "b"})
    r = CliRunner().invoke(main, ["validate", str(tmp_path / "a.yaml")])
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert "circle" in r.output and "a.yaml -> b.yaml -> a.yaml" in r.output
    with pytest.raises(cs.ScenarioError):
        cs.load_scenario(tmp_path / "a.yaml")


def test_extends_chain_merges_by_id(base_path):
    late = cs.load_scenario(base_path.parent / "zangezur_late.yaml")
    z = cs.load_scenario(base_path.parent / "zangezur.yaml")
    base = cs.load_scenario(base_path)
    opening = lambda s: [iv for iv in s.timeline if iv.id == "zangezur_open"]
    assert [iv.date.year for iv in opening(late)] == [2030] and [iv.date.year for iv in opening(z)] == [2028]
    assert opening(late)[0].description == opening(z)[0].description  # merged field by field
    assert [iv.id for iv in late.timeline if iv.id != "zangezur_open"] == [iv.id for iv in base.timeline]
    tr = late.flow("containers_cn_tr")
    assert [r.id for r in tr.routes] == ["via_altynkol", "via_dostyk", "zangezur_altynkol", "zangezur_dostyk"]
    assert len(late.nodes) == len(base.nodes) + 4 and late.rail_links[0] == base.rail_links[0]
    both = cs.load_scenario(base_path.parent / "corridor_10mt.yaml")
    ids = {iv.id for iv in both.timeline}
    assert {"dostyk_moyinty_second_track", "through_tariff", "zangezur_open"} <= ids
    assert [r.id for r in both.flow("containers_cn_tr").routes][-3:] == [
        "via_bakhty",
        "zangezur_altynkol",
        "zangezur_dostyk",
    ]


@pytest.mark.parametrize(
    "iv, words",
    [
        ({"date": "2031-01-01", "set": {"demand.scale": 2}}, ["timeline.bad.date", "outside the run"]),
        (
            {"date": "2024-06-01", "set": {"rail_links.nowhere.paths_per_day": 5}},
            ["timeline.bad.set.rail_links.nowhere.paths_per_day", "unknown parameter path", "items here"],
        ),
        (
            {"date": "2024-06-01", "set": {"ports.kuryk.terminals.wagon.berths": -1}},
            ["timeline.bad", "berths", "greater than 0"],
        ),
        ({"date": "2024-06-01", "scale": {"rail_links.dostyk_aktogay.source": 0.5}}, ["not a number"]),
        (
            {"date": "2024-06-01", "scale": {"rail_links.dostyk_aktogay.crossing.dwell_mean_h": 0.5}},
            ["crossing' is not set"],
        ),
        ({"date": "2024-06-01", "set": {"start_year": 2025}}, ["may change only"]),
        (
            {"date": "2024-06-01", "set": {"demand.flows.crude_kz_btc.routes.by_tanker.open": False}},
            ["at least one route must be open"],
        ),
    ],
)
def test_bad_timelines_are_errors_before_the_run(tmp_path, base_path, iv, words):
    d = {
        "extends": str(base_path),
        "name": "bad",
        "end_year": 2030,
        "timeline": [{"id": "bad", "description": "x", "source": "test", **iv}],
    }
    r = CliRunner().invoke(main, ["run", str(_write(tmp_path, "bad.yaml", d)), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "Traceback" not in r.output, r.output
    for w in words:
        assert w in r.output, r.output
    assert not (tmp_path / "o").exists()


def test_interventions_before_the_chosen_years_are_in_force_from_the_start(base_path):
    s = cs.load_scenario(base_path.parent / "bottlenecks.yaml", years=(2029, 2029))
    from corridor_sim.model.build import Model

    m = Model(s, seed=1)
    assert m.links[("alashankou", "dostyk")].paths_per_day == 28
    assert m.live.caspian.held_load_factor == 0.95 and m.load_factor(0.0) == 0.95  # dredged and maintained
    assert {iv.id for iv in m.applied} >= {"dredging", "kz_700teu_vessels"}


@pytest.mark.untraced  # a whole-corridor job (conftest.py)
def test_compare_writes_table_plots_and_summary(tmp_path, base_path):
    out = tmp_path / "cmp"
    r = CliRunner().invoke(
        main,
        [
            "compare",
            str(base_path),
            str(base_path.parent / "bottlenecks.yaml"),
            "--years",
            "2024-2025",
            "--out",
            str(out),
            "--set",
            "goal_mt_per_year=4.4",
            "-n",
            "1",
            "-w",
            "1",
        ],
    )
    assert r.exit_code == 0, r.output
    assert "first year at goal" in r.output and "bottlenecks" in r.output
    table = (out / "compare_table.csv").read_text()
    assert "base" in table and "bottlenecks" in table
    for png in ("compare_tons", "compare_transit", "compare_routes", "compare_bottlenecks"):
        assert (out / f"{png}.png").stat().st_size > 20_000
    c = json.loads((out / "comparison.json").read_text())
    assert c["common_random_numbers"] and c["seeds"] == [1]
    assert set(c["scenarios"]) == {"base", "bottlenecks"}
    for name in ("base", "bottlenecks"):
        s = json.loads((out / name / "summary.json").read_text())
        y = s["years"]["2025"]
        assert "resource" in y["binding_bottleneck"] and "containers_cn_az" in y["route_split"]
    # both runs saw the same 2024 storms: common random numbers
    a = (out / "base" / "closures.csv").read_text()
    b = (out / "bottlenecks" / "closures.csv").read_text()
    assert a.splitlines()[:20] == b.splitlines()[:20]


def test_compare_goal_year_and_not_by(base_path, base_results):
    from corridor_sim.experiments.comparison import compare_results

    res = base_results  # the base, 2024, seed 1
    low = cs.run(
        cs.load_scenario(base_path, years=(2024, 2024), overrides={"goal_mt_per_year": 1.0, "name": "low_goal"}), seed=1
    )
    cmp = compare_results({"base": res, "low_goal": low})
    assert cmp.goal_label("base") == "not by 2024" and cmp.goal_label("low_goal") == "2024"
    assert "| base |" in cmp.to_markdown()
