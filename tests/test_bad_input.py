"""Bad input: status 2, one clear message naming the file, the field and what is allowed, no traceback."""

from __future__ import annotations

import copy

import pydantic
import pytest
import yaml
from click.testing import CliRunner

import corridor_sim as cs
from corridor_sim.cli import main


@pytest.fixture(scope="module")
def base_dict(base_path):
    return yaml.safe_load(base_path.read_text())


def _write(tmp_path, d, name="bad.yaml"):
    p = tmp_path / name
    p.write_text(yaml.safe_dump(d, sort_keys=False))
    return p


def _fails(args, *expected):
    result = CliRunner().invoke(main, [str(a) for a in args])
    out = result.output
    assert result.exit_code == 2, out
    assert "Traceback" not in out and result.exc_info[0] is SystemExit, out
    for text in expected:
        assert text in out, f"{text!r} not in:\n{out}"
    return out


def _mutated(base_dict, fn):
    d = copy.deepcopy(base_dict)
    fn(d)
    return d


def test_yaml_syntax_error(tmp_path):
    p = tmp_path / "broken.yaml"
    p.write_text("name: x\n  description: [unclosed\n")
    _fails(["validate", p], "broken.yaml", "not valid YAML", "line 2")


def test_not_a_mapping(tmp_path):
    p = tmp_path / "list.yaml"
    p.write_text("- 1\n- 2\n")
    _fails(["run", p], "list.yaml", "mapping")


def test_missing_file(tmp_path):
    _fails(["run", tmp_path / "nope.yaml"], "nope.yaml", "no such scenario file")


@pytest.mark.parametrize(
    "mutate, path, words",
    [
        (lambda d: d["demand"].pop("flows"), "demand.flows", "required"),
        (
            lambda d: d["demand"]["flows"][0].pop("tons_per_year"),
            "demand.flows.containers_cn_az.tons_per_year",
            "required",
        ),
        (
            lambda d: d["rail_links"][4].update(lenght_km=5),
            "rail_links.dostyk_aktogay.lenght_km",
            "allowed here: id, from, to, length_km",
        ),
        (lambda d: d.update(colour="red"), "colour", "unknown field"),
        (lambda d: d["rail_links"][4].update(length_km="long"), "rail_links.dostyk_aktogay.length_km", "valid number"),
        (
            lambda d: d["ports"][1]["terminals"][0].update(berths=0),
            "ports.kuryk.terminals.wagon.berths",
            "greater than 0",
        ),
        (
            lambda d: d["ports"][0]["terminals"][0].update(yard_capacity_units=-5),
            "ports.aktau.terminals.container.yard_capacity_units",
            "greater than or equal to 1",  # one unit at least: a smaller one only multiplies events
        ),
        (
            lambda d: d["sea_lines"][0]["vessels"][0].update(capacity_units=0),
            "sea_lines.ferry_kuryk_alat.vessels.asco_ferry.capacity_units",
            "greater than or equal to 1",  # one unit at least: a smaller one only multiplies events
        ),
        (
            lambda d: d["rail_links"][4].update(background_trains_per_day=20),
            "rail_links.dostyk_aktogay",
            "below the paths its track gives",
        ),
        (
            lambda d: d["demand"]["flows"][0].update(cargo="bananas"),
            "demand.flows.containers_cn_az.cargo",
            "'container', 'wagon', 'crude' or 'truck'",
        ),
        (lambda d: d["caspian"].update(load_factor=1.4), "caspian.load_factor", "less than or equal to 1"),
        (lambda d: d.update(end_year=2020), "end_year", "before start_year"),
    ],
)
def test_schema_errors_name_the_field(tmp_path, base_dict, mutate, path, words):
    p = _write(tmp_path, _mutated(base_dict, mutate))
    out = _fails(["validate", p], "bad.yaml", path, words)
    assert "(line " in out


@pytest.mark.parametrize(
    "mutate, path, words",
    [
        (
            lambda d: d["demand"]["flows"][1]["routes"][0]["path"].__setitem__(3, "atlantis"),
            "demand.flows.containers_cn_ge.routes.via_altynkol.path.3",
            "unknown node 'atlantis'",
        ),
        (
            lambda d: d["demand"]["flows"][2]["routes"][0].update(path=["aktau", "poti"]),
            "demand.flows.containers_cn_tr.routes.via_altynkol.path.1",
            "connects nothing",
        ),
        (
            lambda d: d["demand"]["flows"][5]["routes"][0].update(share=0.7),
            "demand.flows.crude_kz_btc.routes",
            "add up to 1",
        ),
        (
            lambda d: d["demand"]["flows"][3]["routes"][0].update(share=0.7),
            "demand.flows.wagons_kz_export.routes.via_kuryk.share",
            "shares come from the logit",
        ),
        (
            lambda d: d["demand"]["flows"][5]["routes"][0].update(open=False),
            "demand.flows.crude_kz_btc.routes",
            "at least one route must be open",
        ),
        (lambda d: d["rail_links"][0].update(to="nowhere"), "rail_links.khorgos_altynkol.to", "unknown node 'nowhere'"),
        (
            lambda d: d["sea_lines"][0].update(to="sangachal"),
            "sea_lines.ferry_kuryk_alat.to",
            "has no 'wagon' terminal",
        ),
        (
            lambda d: d["ports"][0]["terminals"][0].update(yard_capacity_units=100),
            "ports.aktau.terminals.container.yard_capacity_units",
            "largest vessel",
        ),
    ],
)
def test_reference_errors_name_the_field(tmp_path, base_dict, mutate, path, words):
    p = _write(tmp_path, _mutated(base_dict, mutate))
    _fails(["validate", p], "bad.yaml", path, words)


def test_all_errors_are_listed_at_once(tmp_path, base_dict):
    def many(d):
        d["rail_links"][4]["length_km"] = -1
        d["ports"][0]["terminals"][0]["berths"] = "two"
        d["demand"]["flows"][0]["lot_units"] = 0

    out = _fails(["validate", _write(tmp_path, _mutated(base_dict, many))], "3 problems")
    assert out.count("\n  - ") == 3


@pytest.mark.parametrize(
    "setting, words",
    [
        ("demand.flows.nope.tons_per_year=1", ["'demand.flows.nope' does not exist", "containers_cn_az"]),
        ("demand.scal=2", ["demand.scal", "unknown field", "allowed here: base_year, scale, tariff_factor, flows"]),
        ("demand.scale=abc", ["demand.scale", "valid number"]),
        ("demand.scale", ["override is malformed", "dotted.path=VALUE"]),
        ("sea_lines.ferry_kuryk_alat.vessels.asco_ferry.count=-1", ["count", "greater than or equal to 0"]),
        ("demand.scale.deeper=1", ["is a value, not a section"]),
    ],
)
def test_bad_set_paths(base_path, setting, words):
    _fails(["run", base_path, "--set", setting, "--out", "unused"], str(base_path), *words)


def test_bad_years(base_path):
    _fails(["run", base_path, "--years", "2030-2020"], "--years")
    _fails(["run", base_path, "--years", "soon"], "--years", "START-END")


def test_api_raises_scenario_error(base_path):
    with pytest.raises(cs.ScenarioError) as err:
        cs.load_scenario(base_path, overrides={"demand.scale": -1})
    assert "demand.scale" in str(err.value) and err.value.problems[0].path == "demand.scale"


def test_set_reaches_list_items_by_id_and_terminals_by_cargo(base_path):
    s = cs.load_scenario(
        base_path,
        overrides=[
            "sea_lines.ferry_kuryk_alat.vessels.asco_ferry.count=9",
            "ports.kuryk.terminals.wagon.berths=3",
            "rail_links.dostyk_aktogay.paths_per_day=60",
        ],
    )
    assert s.sea_lines[0].vessels[0].count == 9
    assert s.port("kuryk").terminals[0].berths == 3
    assert next(l for l in s.rail_links if l.id == "dostyk_aktogay").paths_per_day == 60


def test_scenario_is_frozen(base_path):
    s = cs.load_scenario(base_path)
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        s.demand.scale = 2.0
