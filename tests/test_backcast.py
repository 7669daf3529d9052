"""The 2022-23 backcast scenario and its benchmark (issue 23, item 2): what users run."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from click.testing import CliRunner

import corridor_sim as cs
from corridor_sim.cli import main
from corridor_sim.scenario.schema import demand_tons

ROOT = Path(__file__).resolve().parents[1]
HISTORY = ROOT / "scenarios" / "history_2022_2023.yaml"


def _bench():
    spec = importlib.util.spec_from_file_location("backcast_bench", ROOT / "benchmarks" / "backcast.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize(
    "case,mt_2022,teu_2022", [("central", 3.2, 50_000), ("low", 2.2, 40_000), ("high", 3.5, 80_000)]
)
def test_the_offered_demand_is_the_documented_plan(case, mt_2022, teu_2022):
    """2022's offered demand is the TITR Association's plan (3.2 Mt, 50,000 TEU) and the research
    sheet's range around it, whatever the split over the flows."""
    s = cs.load_scenario(HISTORY, demand_case=case)
    corridor = [f for f in s.demand.flows if f.corridor]
    assert sum(demand_tons(f, s.demand, 2022) for f in corridor) / 1e6 == pytest.approx(mt_2022, abs=0.001)
    teu = sum(demand_tons(f, s.demand, 2022) for f in corridor if f.cargo == "container") / 20.0
    assert teu == pytest.approx(teu_2022, abs=5)


def test_no_corridor_flow_has_its_patience_set():
    """The boxes and the crude take their waiting from their alternatives; the wagon cargo has none
    (as in base.yaml) and waits; no flow has a hard limit."""
    s = cs.load_scenario(HISTORY)
    for f in s.demand.flows:
        if f.corridor:
            assert f.max_transit_days is None, f.id
            assert bool(f.alternatives) == (f.cargo != "wagon"), f.id


def test_the_northern_route_and_the_red_sea_change_on_their_dates():
    """The Northern route's availability for EU-bound boxes and the Suez/Cape switch are timeline
    entries of the years they happened."""
    s = cs.load_scenario(HISTORY)
    by_id = {e.id: e for e in s.timeline}
    assert str(by_id["northern_eu_spring_2022"].date) == "2022-03-01"
    assert by_id["red_sea_diversion"].set["demand.alternatives.sea_cape_bs.open"] is True
    alts = {a.id: a for a in s.demand.alternatives}
    assert alts["northern_rail_eu"].available_share == 1.0 and not alts["sea_cape_bs"].open


def test_the_cli_validates_the_backcast_scenario():
    res = CliRunner().invoke(main, ["validate", str(HISTORY)])
    assert res.exit_code == 0, res.output
    assert "history_2022_2023" in res.output and "2022-2023" in res.output


def test_the_benchmark_stops_clearly_without_a_diversions_table():
    bench = _bench()
    with pytest.raises(LookupError, match="no 'diversions' table"):
        bench.diversions(SimpleNamespace(), 2022)
    table = pd.DataFrame({"year": [2022, 2022, 2023], "alternative": ["a", "a", "b"], "tons_diverted": [1e3, 2e3, 5e3]})
    assert bench.diversions(SimpleNamespace(diversions=table), 2022) == {"diverted to a, kt": 3.0}


def test_the_patience_check_doubles_every_remaining_setting():
    bench = _bench()
    s = cs.load_scenario(HISTORY, years=(2022, 2022))
    ch = bench.patience_changes(s, 2.0)
    crude = next(f for f in s.demand.flows if f.id == "crude_kz_btc")
    assert ch["demand.flows.crude_kz_btc.storage_at_origin_t"] == 2 * crude.storage_at_origin_t
    az = next(f for f in s.demand.flows if f.id == "containers_cn_az")
    assert (
        ch["demand.flows.containers_cn_az.response.value_of_time_usd_per_t_day"]
        == 2 * az.response.value_of_time_usd_per_t_day
    )
    assert not any(k.endswith("max_transit_days") for k in ch)  # none left: the alternatives replace them
    assert not any("trucks" in k for k in ch)  # other traffic on the decks is not the corridor's
