"""What-ifs against the timeline (a what-if holds for the whole run), and runs shorter than the
scenario's: a child that ends sooner than the file it extends, --years."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from corridor_sim.analyses.bottlenecks import lever_scenario, levers
from corridor_sim.cli import main
from corridor_sim.scenario.files import resolve_file
from corridor_sim.scenario.load import load_scenario, validate_dict
from corridor_sim.scenario.problems import ScenarioError
from corridor_sim.scenario.timeline import timeline
from corridor_sim.scenario.variants import for_capacity, with_changes

ASCO = "sea_lines.feeder_aktau_alat.vessels.asco_feeder.count"
EXCHANGE = "rail_links.alashankou_dostyk.paths_per_day"


def _state(s, day: dt.date):
    return timeline(s).on(day)


def _asco(s) -> int:
    return next(v.count for l in s.sea_lines if l.id == "feeder_aktau_alat" for v in l.vessels if v.id == "asco_feeder")


def _paths(s, link: str) -> float:
    return next(l.paths for l in s.rail_links if l.id == link)


def _delivered(out: Path) -> float:
    import pandas as pd

    return float(pd.read_csv(out / "annual.csv").tons_delivered.sum())


def test_set_on_a_timeline_field_changes_the_result(tmp_path, base_path):
    """The file has no ASCO feeder and the timeline adds one on 2025-01-01: --set count=3 used to
    be overwritten at that date, giving exactly the base's tonnes in 2026 (the entry is in force
    from the start). It now holds: 1 becomes 4."""
    runner = CliRunner()
    plain, more = tmp_path / "plain", tmp_path / "more"
    r0 = runner.invoke(main, ["run", str(base_path), "--years", "2026", "--no-plots", "--out", str(plain)])
    r1 = runner.invoke(
        main, ["run", str(base_path), "--years", "2026", "--no-plots", "--out", str(more), "--set", f"{ASCO}=3"]
    )
    assert r0.exit_code == 0, r0.output
    assert r1.exit_code == 0, r1.output
    assert _delivered(more) > _delivered(plain) + 50_000  # t: three more feeders than the timeline's one
    notes = json.loads((more / "metadata.json").read_text())["notes"]
    assert any("asco_second_feeder (2025-01-01): 1 -> 4" in n for n in notes), notes
    assert "asco_second_feeder" in r1.output  # said on the terminal too


def test_set_holds_in_every_state_of_the_timeline(base_path):
    s = load_scenario(base_path, overrides=[f"{ASCO}=3", f"{EXCHANGE}=12"])
    assert _asco(s) == 3
    assert _asco(_state(s, dt.date(2030, 1, 1))) == 4
    # the exchange limit: 14 in the file, 28 from 2025-07-01; 12 is -2, so 26 from then on
    assert _paths(s, "alashankou_dostyk") == 12
    assert _paths(_state(s, dt.date(2025, 7, 2)), "alashankou_dostyk") == 26
    assert any("dostyk_exchange_28 (2025-07-01): 28 -> 26" in n for n in s.notes), s.notes
    # an explicit figure on a link whose paths come from its track, which the timeline doubles in
    # 2025: the figure wins over the track in every state, as it does in the file
    s = load_scenario(base_path, overrides=["rail_links.dostyk_aktogay.paths_per_day=10"])
    assert _paths(_state(s, dt.date(2026, 6, 1)), "dostyk_aktogay") == 10


def test_a_field_the_file_leaves_to_its_default_is_shifted_from_the_default(base_path):
    # demand_factor is not written in base.yaml (default 1); the timeline pauses it (0) and resumes it (1)
    s = load_scenario(base_path, overrides=["demand.flows.crude_kz_btc.demand_factor=1.5"])
    on = lambda d: _state(s, d).flow("crude_kz_btc").demand_factor
    assert (on(dt.date(2025, 8, 2)), on(dt.date(2025, 9, 14))) == (0.5, 1.5)


def test_a_what_if_that_cannot_hold_is_refused_naming_the_entry_and_its_date(base_path):
    # 1 -> 0.5 is -0.5; the pause's 0 would become -0.5
    r = CliRunner().invoke(main, ["validate", str(base_path), "--set", "demand.flows.crude_kz_btc.demand_factor=0.5"])
    assert r.exit_code == 2
    msg = r.output.strip()
    assert "\n" not in msg and "Traceback" not in msg
    assert "btc_oil_pause" in msg and "2025-08-01" in msg and "--years" in msg


def test_a_non_number_what_if_replaces_the_timelines_values(base_path):
    s = load_scenario(base_path, overrides=["rail_links.dostyk_aktogay.traction=diesel"])
    assert next(l.traction for l in _state(s, dt.date(2030, 1, 1)).rail_links if l.id == "dostyk_aktogay") == "diesel"
    assert any("dostyk_moyinty_second_track" in n and "replaces" in n for n in s.notes)


def _edited_base(base_path, extra: int):
    """base.yaml with ``extra`` ASCO feeders written into the file and into its timeline entry."""
    raw, _ = resolve_file(base_path)
    line = next(l for l in raw["sea_lines"] if l["id"] == "feeder_aktau_alat")
    next(v for v in line["vessels"] if v["id"] == "asco_feeder")["count"] += extra
    next(e for e in raw["timeline"] if e["id"] == "asco_second_feeder")["set"][ASCO] += extra
    return validate_dict(raw, str(base_path))


def test_the_bottleneck_lever_adds_what_an_added_asco_feeder_adds(base_path):
    """The ranking's '+1 ASCO' lever is the same scenario as base.yaml with one more ASCO feeder
    written in by hand: it used to set the file's 0 to 1, which the timeline's 1 then overwrote."""
    base = for_capacity(load_scenario(base_path), 2030)
    lever = next(lv for lv in levers(base) if lv.id == "feeder_aktau_alat:asco_feeder")
    assert "ASCO" in lever.label
    pulled = lever_scenario(base, lever)
    direct = for_capacity(_edited_base(base_path, 1), 2030)
    assert pulled.digest() == direct.digest()
    assert _asco(_state(pulled, dt.date(2030, 1, 1))) == _asco(_state(base, dt.date(2030, 1, 1))) + 1


def test_levers_step_from_what_stands_in_the_year(base_path):
    base = for_capacity(load_scenario(base_path), 2030)
    by_id = {lv.id: lv for lv in levers(base)}
    now = _state(base, dt.date(2030, 1, 1))
    for link in ("alashankou_dostyk", "dostyk_aktogay"):  # an explicit limit; paths from a track the timeline doubled
        after = _state(lever_scenario(base, by_id[f"{link}:paths"]), dt.date(2030, 1, 1))
        assert _paths(after, link) == pytest.approx(_paths(now, link) * 1.25)


def test_sweeps_and_samples_hold_as_set_does(base_path):
    s = load_scenario(base_path)
    swept = with_changes(s, {ASCO: 3}, label="point 0")
    loaded = load_scenario(base_path, overrides=[f"{ASCO}=3"])
    strip = lambda x: {k: v for k, v in x.to_dict().items() if k not in ("overrides", "notes")}
    assert strip(swept) == strip(loaded)  # the loader records the override; the values are the same
    with pytest.raises(ScenarioError, match="btc_oil_pause"):
        with_changes(s, {"demand.flows.crude_kz_btc.demand_factor": 0.5}, label="sample 3")


def _child(tmp_path: Path, base_path: Path, text: str) -> Path:
    child = tmp_path / "short.yaml"
    child.write_text(f"extends: {base_path}\nname: short\n{text}")
    return child


def test_a_child_of_base_that_ends_in_2025_runs(tmp_path, base_path):
    """base.yaml lists 2027 crude demand and entries up to 2025-12-25: a child that ends in 2025
    (or starts in 2026) used to be refused for them. They are left to the parent, with one note."""
    child = _child(tmp_path, base_path, "start_year: 2025\nend_year: 2025\n")
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["run", str(child), "--no-plots", "--out", str(out)])
    assert r.exit_code == 0, r.output
    notes = json.loads((out / "metadata.json").read_text())["notes"]
    assert len(notes) == 1 and "base.yaml" in notes[0], notes
    assert "btk_5mt (2024-05-20)" in notes[0] and "crude_kz_btc 2027" in notes[0]
    # the parent's demand path still shapes the child's years: the same 2025 demand as the parent's
    parent, short = load_scenario(base_path), load_scenario(child)
    from corridor_sim.scenario.schema import demand_tons

    for f in parent.demand.flows:
        assert demand_tons(short.flow(f.id), short.demand, 2025) == demand_tons(f, parent.demand, 2025)
    later = load_scenario(_child(tmp_path, base_path, "start_year: 2026\nend_year: 2026\n"))
    assert "in force from the start" in later.notes[0]


def test_a_childs_own_entry_outside_its_years_is_still_refused(tmp_path, base_path):
    child = _child(
        tmp_path,
        base_path,
        "end_year: 2025\ntimeline:\n  - {id: mine, date: 2027-01-01, description: x, source: x,\n"
        "     set: {demand.scale: 2}}\n",
    )
    with pytest.raises(ScenarioError, match="timeline.mine.date"):
        load_scenario(child)


def test_years_shorter_than_the_file_say_what_happens_to_the_timeline(base_path):
    s = load_scenario(base_path, years=(2024, 2024))
    assert any(n.startswith("--years 2024-2024") and "dostyk_exchange_28 (2025-07-01)" in n for n in s.notes)


def test_an_empties_way_that_loops_is_refused(tmp_path, base_path):
    child = tmp_path / "loop.yaml"
    child.write_text(
        f"extends: {base_path}\nname: loop\ndemand:\n  flows:\n    - id: containers_cn_az\n"
        "      empties: {path: [alat, aktau, alat, aktau, alat]}\n"
    )
    r = CliRunner().invoke(main, ["validate", str(child)])
    assert r.exit_code == 2
    assert "demand.flows.containers_cn_az.empties.path.2" in r.output and "twice" in r.output
    assert "Traceback" not in r.output


def test_a_shorter_child_takes_its_parents_demand_cases(tmp_path, base_path):
    # base.yaml's high case writes demand paths to 2030
    s = load_scenario(_child(tmp_path, base_path, "end_year: 2025\n"), demand_case="high")
    assert s.demand_case == "high" and "2030" in s.notes[-1]


def test_plan_refuses_a_set_that_a_candidate_would_overwrite(tmp_path):
    root = Path(__file__).resolve().parents[1] / "scenarios"
    args = ["plan", str(root / "options.yaml"), "--candidates", str(root / "candidates.yaml")]
    args += ["--goal", "10", "--by", "2030", "--out", str(tmp_path / "p")]
    r = CliRunner().invoke(main, [*args, "--set", "sea_lines.feeder_aktau_alat.vessels.kz_700.count=1"])
    assert r.exit_code == 2 and "kz_700teu_vessels" in r.output and "2030-01-01" in r.output, r.output
    assert not (tmp_path / "p").exists()


def test_hold_names_only_the_entries_it_changed(base_path):
    from corridor_sim.scenario.whatif import hold

    raw, _ = resolve_file(base_path)
    raw["demand"]["flows"][-1]["demand_factor"] = 1.0  # crude_kz_btc, written out
    held = hold(raw, {"demand.flows.crude_kz_btc.demand_factor": 1.5})
    assert set(held.entries) == {"btc_oil_pause", "btc_oil_resumes"}
    assert len(held.notes) == 1 and "0 -> 0.5" in held.notes[0] and "1 -> 1.5" in held.notes[0]


def _raw(timeline: list[dict]) -> dict:
    link = {"id": "l", "paths_per_day": 10, "track": {"tracks": 1, "headway_min": 20}}
    return {"rail_links": [link], "timeline": timeline}


def _entry(eid: str, **changes) -> dict:
    return {"id": eid, "date": "2026-01-01", **changes}


def test_the_rule_for_sections_parts_factors_and_values_that_cannot_shift():
    from corridor_sim.scenario.whatif import hold

    # a whole section set by the what-if: the timeline's change of a part of it takes the what-if's part
    raw = _raw([_entry("e", set={"rail_links.l.track.tracks": 2}, scale={"rail_links.l.track.headway_min": 0.5})])
    held = hold(raw, {"rail_links.l.track": {"tracks": 1, "headway_min": 15}})
    assert raw["timeline"][0]["set"] == {"rail_links.l.track.tracks": 1}
    assert raw["timeline"][0]["scale"] == {"rail_links.l.track.headway_min": 1.0}
    assert "replaces" in held.notes[0]
    # a field inside a section the timeline writes whole: shifted inside it
    raw = _raw([_entry("e", set={"rail_links.l.track": {"tracks": 2, "headway_min": 12}})])
    hold(raw, {"rail_links.l.track.headway_min": 25})
    assert raw["timeline"][0]["set"]["rail_links.l.track"] == {"tracks": 2, "headway_min": 17}
    # a factor scales the timeline's later values
    raw = _raw([_entry("e", set={"rail_links.l.paths_per_day": 28})])
    hold(raw, factors={"rail_links.l.paths_per_day": 1.25})
    assert (raw["rail_links"][0]["paths_per_day"], raw["timeline"][0]["set"]["rail_links.l.paths_per_day"]) == (
        12.5,
        35.0,
    )
    # fixed: held at exactly its value
    raw = _raw([_entry("e", set={"rail_links.l.paths_per_day": 28})])
    hold(raw, fixed={"rail_links.l.paths_per_day": 11})
    assert raw["timeline"][0]["set"]["rail_links.l.paths_per_day"] == 11
    # what cannot shift is refused, naming the entry and its date
    for entries, change in [
        ([_entry("back_to_track", set={"rail_links.l.paths_per_day": None})], {"rail_links.l.paths_per_day": 12}),
        ([_entry("new_track", set={"rail_links.l.track": {"tracks": 2}})], {"rail_links.l.track.headway_min": 25}),
        ([_entry("part", set={"rail_links.l.track.tracks": 2})], {"rail_links.l.track": None}),
    ]:
        with pytest.raises(ScenarioError, match=rf"'{entries[0]['id']}' \(2026-01-01\)"):
            hold(_raw(entries), change)


def test_the_explorers_added_vessels_hold_against_the_timeline(base_path):
    from corridor_sim.present.explore import what_if

    # in 2026 the timeline's 2025 feeder is in force from the start: it used to overwrite the two
    # added, giving exactly the same tonnes; now there are three
    plain = what_if(base_path, year=2026, replications=2, workers=2)
    more = what_if(
        base_path, vessel_group="feeder_aktau_alat.asco_feeder", extra_vessels=2, year=2026, replications=2, workers=2
    )
    assert more.delivered_mt > plain.delivered_mt + 0.05


def test_a_sweep_over_a_timeline_field_says_it_holds_and_measures_it(tmp_path, base_path):
    import pandas as pd

    out = tmp_path / "sw"
    args = ["sweep", str(base_path), "--years", "2026", "--vary", f"{ASCO}=0,2", "-w", "1", "--out", str(out)]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    assert "holds for the whole run" in r.output and "asco_second_feeder" in r.output
    t = pd.read_csv(out / "sweep.csv").set_index(ASCO)
    assert t.delivered_mt_last_year[2] > t.delivered_mt_last_year[0] + 0.05  # three feeders against one


def test_sensitivity_samples_hold_against_the_timeline_and_say_so():
    from corridor_sim.analyses.sensitivity import sensitivity

    from factories import build, rail_sea

    d = rail_sea(tons_per_year=20000.0, lot=40.0, vessels=1, capacity=100.0)
    d["timeline"] = [
        {
            "id": "second_ship",
            "date": "2023-07-01",
            "description": "x",
            "source": "test",
            "set": {"sea_lines.p_q.vessels.v.count": 2},
        }
    ]
    d["uncertain"] = [{"path": "sea_lines.p_q.vessels.v.count", "low": 1, "high": 3, "source": "test"}]
    said: list[str] = []
    runs = sensitivity(build(d), trajectories=2, workers=1, log=said.append).runs
    assert any("each sample holds for the whole run" in s and "second_ship (2023-07-01)" in s for s in said), said
    assert len(runs) == 2 * 2
