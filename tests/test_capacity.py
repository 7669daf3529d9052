"""Sustainable capacity (corridor_sim.capacity): saturated runs against capacities known in closed
form, independence from demand, the saturation check, and the command."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

import corridor_sim as cs
from corridor_sim.analyses.capacity import HEADROOM_COLUMNS, TRAJECTORY_COLUMNS, demand_by_class
from corridor_sim.cli import main
from corridor_sim.kpi import first_year_at_least

from factories import build, flow, link, node, rail_sea, scenario

STORMY = [0.3, 0.3, 0.1, 0.05, 0.05, 0.02, 0.02, 0.02, 0.05, 0.1, 0.3, 0.3]


def sea(vessels: int = 1, tons: float = 3000.0, closure=None, **kw) -> dict:
    """origin --rail--> P --sea--> Q, the sea line the scarce resource: 100-unit ships at load factor
    0.8, 20 h crossings, one berth per port (2 h fixed + 80 units at 50 units/h)."""
    return rail_sea(
        tons_per_year=tons,
        lot=40.0,
        vessels=vessels,
        capacity=100.0,
        crossing_h=20.0,
        closure=closure,
        warmup_days=30.0,
        **kw,
    )


SEA_TRIP_H = 2 * 20.0 + 2 * (2.0 + 80 / 50)  # a round trip: two crossings, a call at each end


def rail(paths_per_day: int, tons: float = 10_000.0) -> dict:
    """One rail link with its paths the only limit: 50-t trains, no background traffic."""
    return scenario(
        [node("o"), node("p")],
        [flow("f", ["o", "p"], tons, 50.0)],
        rail_links=[link("o_p", "o", "p", paths_per_day=paths_per_day)],
        warmup_days=10.0,
    )


def total(t: pd.DataFrame, year: int | None = None) -> pd.Series:
    rows = t[t.cargo == "all"]
    return rows.iloc[0] if year is None else rows[rows.year == year].iloc[0]


@pytest.mark.parametrize("vessels", [1, 2])
def test_a_fleet_bound_corridor_carries_its_closed_form_capacity(vessels):
    # saturated, every ship sails full (80 units of 1 t) once per round trip, all year
    expected_mt = vessels * 80 * 8760 / SEA_TRIP_H / 1e6
    est = cs.estimate_capacity(build(sea(vessels)), replications=4, workers=1)
    row = total(est.trajectory)
    assert row.capacity_mt_ci_low <= expected_mt <= row.capacity_mt_ci_high, (row.to_dict(), expected_mt)
    assert row.capacity_mt == pytest.approx(expected_mt, rel=0.02)
    assert row.binding == "p_q:v" and row.binding_kind == "fleet" and row.binding_share == 1.0
    assert row.saturated_share == 1.0
    box = est.trajectory[est.trajectory.cargo == "container"].iloc[0]
    assert box.unit == "TEU" and box.capacity_units == pytest.approx(expected_mt * 1e6, rel=0.02)
    # the fleet has no headroom; the berths it calls at have plenty, and a yard (a level) none given
    head = est.headroom.set_index("resource")
    assert head.loc["p_q:v", "headroom_mt"] == pytest.approx(0.0, abs=0.02 * expected_mt)
    assert head.loc["p:container:berths", "headroom_mt"] > expected_mt
    assert pd.isna(head.loc["p:container:yard", "capacity_mt"])


@pytest.mark.parametrize("paths", [4, 6])
def test_a_rail_bound_corridor_carries_its_paths(paths):
    # one 50-t train per path, paths_per_day a day, 365 days (2023)
    expected_mt = paths * 365 * 50 / 1e6
    est = cs.estimate_capacity(build(rail(paths)), replications=3, workers=1)
    row = total(est.trajectory)
    # a saturated FIFO of fixed headway is deterministic: within a train of the closed form
    assert abs(row.capacity_mt - expected_mt) <= 50 / 1e6 + 1e-12, (row.capacity_mt, expected_mt)
    assert row.capacity_mt_ci_low - 50e-6 <= expected_mt <= row.capacity_mt_ci_high + 50e-6
    assert row.binding == "o_p:paths" and row.binding_label and row.saturated_share == 1.0
    util = est.headroom.set_index("resource").loc["o_p:paths", "utilization"]
    assert util > 0.99


def test_capacity_does_not_depend_on_demand():
    # a stormy corridor (noisy), its demand x1 and x2: the saturated throughput is the same
    d = sea(1, tons=8000.0, closure=STORMY)
    low = cs.estimate_capacity(build(d), replications=4, workers=1).trajectory
    d["demand"]["scale"] = 2.0
    high = cs.estimate_capacity(build(d), replications=4, workers=1).trajectory
    a, b = total(low), total(high)
    assert a.capacity_mt_ci_low <= b.capacity_mt_ci_high and b.capacity_mt_ci_low <= a.capacity_mt_ci_high, (a, b)
    assert b.offered_trend_mt == pytest.approx(2 * a.offered_trend_mt)
    assert a.offered_trend_mt == pytest.approx(0.008)


def test_a_factor_too_low_is_reported_unsaturated_and_escalation_fixes_it():
    s = build(sea(1))  # demand 3 kt/yr against ~14.8 kt/yr of capacity
    short = cs.estimate_capacity(s, replications=2, workers=1, saturation_factor=0.5, max_escalations=0)
    row = total(short.trajectory)
    assert row.saturated_share < 1.0
    assert row.capacity_mt < 0.5 * 80 * 8760 / SEA_TRIP_H / 1e6  # it carried the demand, not capacity
    # from demand as it is (x1, then x3: still short), the second escalation (x9) saturates it
    fixed = cs.estimate_capacity(s, replications=2, workers=1, saturation_factor=1.0, max_escalations=2)
    row = total(fixed.trajectory)
    assert row.saturated_share == 1.0 and fixed.runs == 6 and fixed.factors[2023] == [9.0, 9.0]
    assert row.capacity_mt == pytest.approx(80 * 8760 / SEA_TRIP_H / 1e6, rel=0.02)


def test_trajectory_schema_years_and_first_year():
    d = sea(1, tons=20_000.0)  # x3 saturates the two ships of 2024 too
    d["end_year"] = 2024
    d["timeline"] = [
        {
            "id": "second_ship",
            "date": "2024-01-01",
            "description": "x",
            "source": "test",
            "set": {"sea_lines.p_q.vessels.v.count": 2},
        }
    ]
    s = build(d)
    est = cs.estimate_capacity(s, years=(2023, 2024), replications=2, workers=1)
    t = est.trajectory
    assert list(t.columns) == list(TRAJECTORY_COLUMNS) and list(est.headroom.columns) == list(HEADROOM_COLUMNS)
    assert list(t.cargo) == ["all", "container", "all", "container"] and pd.isna(t.unit.iloc[0])
    assert est.simulated_years == 4 and est.years == (2023, 2024)
    one = SEA_TRIP_H and 80 * 8760 / SEA_TRIP_H / 1e6
    assert total(t, 2024).capacity_mt == pytest.approx(2 * 8784 / 8760 * one, rel=0.03)  # the ship, in a leap year
    assert first_year_at_least(t, 1.5 * one) == 2024 and first_year_at_least(t, 3 * one) is None
    assert first_year_at_least(t, 0.5 * one, bound="ci_low") == 2023
    assert cs.capacity_trajectory(s, years=[2024], replications=2, workers=1).year.unique().tolist() == [2024]
    with pytest.raises(ValueError, match="outside the scenario's years"):
        cs.estimate_capacity(s, years=(2022, 2024), replications=2, workers=1)
    with pytest.raises(ValueError, match="bound"):
        first_year_at_least(t, 1.0, bound="median")


def test_demand_by_class_weights_the_timeline_over_the_year():
    d = sea(1, tons=3650.0)
    d["timeline"] = [
        {
            "id": "pause",
            "date": "2023-07-02",  # day 183 of 365
            "description": "x",
            "source": "test",
            "set": {"demand.flows.f.demand_factor": 0.0},
        }
    ]
    assert demand_by_class(build(d), 2023)["container"] == pytest.approx(3650.0 * 182 / 365)


def test_capacity_command_writes_both_tables_and_refuses_bad_years(tmp_path):
    d = sea(1)
    d["end_year"] = 2024
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(d, sort_keys=False))
    out = tmp_path / "cap"
    r = CliRunner().invoke(
        main, ["capacity", str(path), "--years", "2023-2024", "-n", "2", "-w", "1", "--out", str(out)]
    )
    assert r.exit_code == 0, r.output
    t = pd.read_csv(out / "capacity.csv")
    assert list(t.columns) == list(TRAJECTORY_COLUMNS) and sorted(t.year.unique()) == [2023, 2024]
    assert list(pd.read_csv(out / "headroom.csv").columns) == list(HEADROOM_COLUMNS)
    meta = json.loads((out / "capacity.json").read_text())
    assert meta["replications"] == 2 and meta["goal_mt_per_year"] == 10.0
    assert "capacity does not reach 10 Mt/yr by 2024" in r.output
    again = CliRunner().invoke(main, ["capacity", str(path), "-n", "2", "-w", "1", "--out", str(out)])
    assert again.exit_code == 2 and "--overwrite" in again.output  # never replaced without --overwrite
    for years, said in (("2020-2021", "outside the years"), ("20x4", "--years takes START-END")):
        bad = CliRunner().invoke(main, ["capacity", str(path), "--years", years, "--out", str(tmp_path / "x")])
        assert bad.exit_code == 2, bad.output
        assert said in bad.output and "Traceback" not in bad.output and len(bad.output.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()


def test_total_binds_where_the_class_with_least_capacity_per_demand_binds():
    """The total's binding resource is the one that stops the year's mix growing: the class whose
    capacity covers its demand the fewest times, not the fleet with the longest queue."""
    from corridor_sim.analyses.capacity import _first_to_bind

    year = {
        "binding": {"resource": "longest_queue", "kind": "fleet"},
        "classes": {
            "box": {"tons": 3.0e6, "binding": {"resource": "feeders", "kind": "fleet"}},
            "oil": {"tons": 2.0e6, "binding": {"resource": "tankers", "kind": "fleet"}},
        },
    }
    assert _first_to_bind(year, {"box": 1.0e6, "oil": 1.0e6})["resource"] == "tankers"  # 2x against 3x
    assert _first_to_bind(year, {"box": 2.0e6, "oil": 0.5e6})["resource"] == "feeders"  # 1.5x against 4x
    assert _first_to_bind(year, {"box": 0.0, "oil": 0.0})["resource"] == "longest_queue"  # no mix to grow


def two_lines(box_t: float, wagon_t: float) -> dict:
    """Two classes on separate lines: boxes o -> p on 4 paths a day, wagons o -> q on 6, 50-t
    trains: each class's capacity is its paths x 365 x 50 t, known in closed form."""
    return scenario(
        [node("o"), node("p"), node("q")],
        [flow("boxes", ["o", "p"], box_t, 50.0), flow("wagons", ["o", "q"], wagon_t, 50.0, cargo="wagon")],
        rail_links=[link("o_p", "o", "p", paths_per_day=4), link("o_q", "o", "q", paths_per_day=6)],
        warmup_days=10.0,
    )


@pytest.mark.parametrize(
    "box_t, wagon_t, at_demand, stops, expected_t",
    [
        # boxes 73,000 / 40,000 = 1.825x their demand, wagons 109,500 / 25,000 = 4.38x: boxes stop the mix
        (40_000.0, 25_000.0, None, "container", 1.825 * 65_000),
        # boxes 3.65x, wagons 1.825x: the wagons' line stops it
        (20_000.0, 60_000.0, None, "wagon", 1.825 * 80_000),
        # wagons counted at their demand (as crude is): boxes scale alone, wagons add their 60,000 t
        (20_000.0, 60_000.0, "wagon", "container", 3.65 * 20_000 + 60_000),
    ],
)
def test_mix_capacity_is_the_closed_form_on_a_two_class_corridor(box_t, wagon_t, at_demand, stops, expected_t):
    d = two_lines(box_t, wagon_t)
    if at_demand:
        d["cargo_classes"][at_demand]["in_mix"] = "at_demand"
    est = cs.estimate_capacity(build(d), replications=2, workers=1, saturation_factor=6.0)
    t = est.trajectory
    mix = total(t)
    # within 0.5% of the closed form (the mix run offers 15% over the level found: its first weeks
    # fill the queue, a few trains short of the line's rate)
    assert mix.capacity_mt == pytest.approx(expected_t / 1e6, rel=0.005), (mix.to_dict(), expected_t)
    assert mix.measure == "mix" and mix.binding_class == stops
    assert mix.binding == ("o_p:paths" if stops == "container" else "o_q:paths")
    assert est.per_replication[2023] == pytest.approx([expected_t / 1e6] * 2, rel=0.005)
    own = t[t.cargo != "all"].set_index("cargo")
    assert set(own.measure) == {"class saturated on its own"}
    assert own.capacity_mt["container"] == pytest.approx(0.073, abs=50e-6)
    assert own.capacity_mt["wagon"] == pytest.approx(0.1095, abs=50e-6)
    # their sum is kept, as such, and is more than the mix can carry
    assert mix.classes_sum_mt == pytest.approx(0.1825, abs=100e-6) and mix.classes_sum_mt > mix.capacity_mt


def test_the_capacity_command_prints_the_mix_and_labels_the_classes(tmp_path):
    path = tmp_path / "two.yaml"
    path.write_text(yaml.safe_dump(two_lines(40_000.0, 25_000.0), sort_keys=False))
    r = CliRunner().invoke(main, ["capacity", str(path), "-n", "2", "-w", "1", "--out", str(tmp_path / "cap")])
    assert r.exit_code == 0, r.output
    assert "in the year's mix" in r.output and "each class saturated on its own" in r.output
    assert "sum of the classes each saturated on its own in 2023: 0.18 Mt/yr" in r.output
    assert "0.12" in r.output  # the mix: 118,625 t


def test_the_mix_of_two_classes_sharing_a_line_is_the_line():
    """Boxes o -> p -> q (p -> q: 2 paths a day, 36,500 t/yr) and wagons o -> p share o -> p (4 paths,
    73,000 t/yr), demand 1:2. Scaling the mix, the shared line runs out first, at k = 73,000 / 60,000
    (the boxes' own link would allow 1.825): the mix's capacity is the line's 73,000 t, found by the
    mix run with both classes saturated there."""
    d = scenario(
        [node("o"), node("p"), node("q")],
        [flow("boxes", ["o", "p", "q"], 20_000.0, 50.0), flow("wagons", ["o", "p"], 40_000.0, 50.0, cargo="wagon")],
        rail_links=[link("o_p", "o", "p", paths_per_day=4), link("p_q", "p", "q", paths_per_day=2)],
        warmup_days=10.0,
    )
    est = cs.estimate_capacity(build(d), replications=2, workers=1, saturation_factor=6.0)
    mix = total(est.trajectory)
    assert mix.capacity_mt == pytest.approx(0.073, rel=0.03), mix.to_dict()
    assert mix.binding == "o_p:paths" and mix.saturated_share == 1.0
    own = est.trajectory[est.trajectory.cargo != "all"].set_index("cargo").capacity_mt
    # each class saturated on its own (all at once): the line split about as offered, 1:2
    assert own["container"] + own["wagon"] == pytest.approx(0.073, rel=0.03)
    assert own["wagon"] == pytest.approx(2 * own["container"], rel=0.1)
