"""Outside alternatives: the waiting a flow accepts comes from them (closed form), the jam it
allows lasts as long as they make worth it, diverted tonnes conserve by alternative, an
alternative that is never cheaper draws nothing, and bad input is one paragraph."""

from __future__ import annotations

import copy

import pytest
import yaml
from click.testing import CliRunner

import corridor_sim as cs
from corridor_sim.cli import main

import factories as fx

SEA = {"id": "sea", "usd_per_t": 150.0, "days": 30.0}
VOT = 2.0  # US$/t/day
TARIFF = 100.0  # US$/t on the corridor's one route


def corridor(alts: list[dict], per_day: float = 200.0, vot: float = VOT, response: bool = True) -> dict:
    """origin -rail-> P -one feeder-> Q, priced US$100/t; ``per_day`` t/day offered (the feeder
    carries ~76 t/day: 200 overloads it, 40 does not); the flow may take ``alts``."""
    d = fx.rail_sea(tons_per_year=per_day * 365, lot=50.0)
    f = d["demand"]["flows"][0]
    f["routes"][0]["tariff_usd_per_t"] = TARIFF
    if response:
        del f["routes"][0]["share"]
        f["response"] = {
            "tariff_elasticity": 0.0,
            "trade_gain_per_day_saved": 0.0,
            "value_of_time_usd_per_t_day": vot,
            "logit_scale_usd_per_t": 10.0,
            "reference_tariff_usd_per_t": TARIFF,
            "reference_transit_days": 3.0,
            "source": "test",
        }
    d["demand"]["alternatives"] = [dict(a, label=a["id"], cargo="container", source="test") for a in alts]
    f["alternatives"] = [a["id"] for a in alts]
    return d


def accepted(alts: list[dict]) -> float:
    """The closed form: (cheapest open alternative's charges + VOT x days - the route's charges) / VOT."""
    g = min(a["usd_per_t"] + VOT * a["days"] for a in alts if a.get("open", True))
    return (g - TARIFF) / VOT


def h2_mean_days(res) -> float:
    lots = res.lots[res.lots.t_delivered_h > 4380.0]  # the second half-year: the jam has built up
    return float((lots.transit_days * lots.tons).sum() / lots.tons.sum())


CASES = {
    "sea only": [SEA],
    "sea closed, a dearer one open": [dict(SEA, open=False), {"id": "north", "usd_per_t": 200.0, "days": 40.0}],
    "a cheaper one opened": [SEA, {"id": "cheap", "usd_per_t": 100.0, "days": 10.0}],
}


@pytest.fixture(scope="module")
def runs():
    return {name: cs.run(fx.build(corridor(alts)), seed=3) for name, alts in CASES.items()}


def test_the_waiting_accepted_is_derived_from_the_alternatives(runs):
    for name, alts in CASES.items():
        got = runs[name].demand.accepted_wait_days.unique().tolist()
        assert got == [pytest.approx(accepted(alts))], name
    # closing the cheapest alternative raises the waiting, opening a cheaper one lowers it
    assert (
        accepted(CASES["sea closed, a dearer one open"])
        > accepted(CASES["sea only"])
        > accepted(CASES["a cheaper one opened"])
    )


def test_the_jam_lasts_as_long_as_the_alternatives_make_worth_it(runs):
    """Overloaded (200 t/day offered, ~76 carried), the queue grows until the marginal shipper
    would do better elsewhere: the second half-year's transit settles at the accepted days."""
    for name, alts in CASES.items():
        days = h2_mean_days(runs[name])
        assert days == pytest.approx(accepted(alts), rel=0.15), name
    assert (
        h2_mean_days(runs["sea closed, a dearer one open"])
        > h2_mean_days(runs["sea only"])
        > h2_mean_days(runs["a cheaper one opened"])
    )


def test_diverted_tonnes_conserve_by_alternative(runs):
    for name, res in runs.items():
        a = res.annual.iloc[0]
        stock = a.tons_backlog + a.tons_in_system - a.tons_backlog_start - a.tons_in_system_start
        assert a.tons_offered == pytest.approx(a.tons_delivered + a.tons_diverted + stock, rel=1e-9), name
        d = res.diversions
        assert d.tons_diverted.sum() == pytest.approx(a.tons_diverted, rel=1e-9), name
        # consignments turned back before they left and from the port's yard, all to the cheapest
        assert set(d["where"]) == {"origin", "port"}, name
        cheapest = min((x for x in CASES[name] if x.get("open", True)), key=lambda x: x["usd_per_t"] + VOT * x["days"])
        assert set(d.alternative) == {cheapest["id"]}, name


def test_an_alternative_never_cheaper_draws_nothing():
    dear = {"id": "dear", "usd_per_t": 5000.0, "days": 60.0}
    # not congested: the corridor is always cheaper than either alternative
    calm = cs.run(fx.build(corridor([SEA, dear], per_day=40.0)), seed=1)
    assert calm.annual.tons_diverted.sum() == 0.0 and calm.diversions.empty
    # congested: all that leaves goes to the cheaper alternative
    jam = cs.run(fx.build(corridor([SEA, dear])), seed=1)
    assert jam.diversions.tons_diverted.sum() > 0
    assert set(jam.diversions.alternative) == {"sea"}


def test_partly_available_alternative_is_drawn_per_consignment():
    """Half the shippers can take the cheap way: they leave at its 10 days, the others wait for
    the sea's 55; both alternatives draw."""
    alts = [SEA, {"id": "cheap", "usd_per_t": 100.0, "days": 10.0, "available_share": 0.5}]
    res = cs.run(fx.build(corridor(alts)), seed=2)
    by = res.diversions.groupby("alternative").tons_diverted.sum()
    assert set(by.index) == {"sea", "cheap"}
    assert h2_mean_days(res) > 10.0 * 1.15  # the patient half keeps the queue longer than 10 days


def test_storage_at_origin_sends_the_overflow_to_the_cheapest_alternative():
    """A contract flow (no value of time): it waits whatever the days, until what waits to enter
    fills its storage; then consignments go to the cheapest open alternative by charges."""
    d = corridor([SEA, {"id": "cpc", "usd_per_t": 38.0, "days": 20.0}], response=False)
    d["demand"]["flows"][0]["storage_at_origin_t"] = 500.0
    # the rail link into P admits few trains: a backlog forms at the origin
    d["rail_links"][0]["paths_per_day"] = 1.0
    res = cs.run(fx.build(d), seed=1)
    assert set(res.diversions.alternative) == {"cpc"} and set(res.diversions["where"]) == {"origin"}
    a = res.annual.iloc[0]
    assert a.tons_diverted > 0 and a.tons_backlog <= 500.0 + 50.0


# -- bad input ---------------------------------------------------------------------------------


def _fails(tmp_path, d: dict, *expected: str) -> str:
    p = tmp_path / "alt.yaml"
    p.write_text(yaml.safe_dump(d, sort_keys=False))
    result = CliRunner().invoke(main, ["validate", str(p)])
    out = result.output
    assert result.exit_code == 2, out
    assert "Traceback" not in out and result.exc_info[0] is SystemExit, out
    for text in ("alt.yaml", *expected):
        assert text in out, f"{text!r} not in:\n{out}"
    return out


def _without(key: str) -> dict:
    d = corridor([SEA])
    del d["demand"]["alternatives"][0][key]
    return d


@pytest.mark.parametrize("key", ["usd_per_t", "days"])
def test_an_alternative_without_charges_or_days(tmp_path, key):
    _fails(tmp_path, _without(key), "demand.alternatives", key)


def test_a_flow_naming_an_unknown_alternative(tmp_path):
    d = corridor([SEA])
    d["demand"]["flows"][0]["alternatives"] = ["sea", "northern"]
    _fails(tmp_path, d, "demand.flows.f.alternatives.1", "unknown alternative 'northern'", "sea")


def test_an_opening_date_outside_the_run(tmp_path):
    d = corridor([dict(SEA, open=False)] + [{"id": "north", "usd_per_t": 200.0, "days": 40.0}])
    d["timeline"] = [
        {
            "id": "suez_reopens",
            "date": "2031-01-01",
            "description": "the sea route opens",
            "source": "test",
            "set": {"demand.alternatives.sea.open": True},
        }
    ]
    _fails(tmp_path, d, "timeline", "2031")


def test_a_hard_limit_beside_alternatives(tmp_path):
    d = corridor([SEA])
    d["demand"]["flows"][0]["max_transit_days"] = 30
    _fails(tmp_path, d, "demand.flows.f.max_transit_days", "accepted_wait_days")


def test_an_alternative_of_another_cargo_class(tmp_path):
    d = corridor([SEA])
    d["demand"]["alternatives"][0]["cargo"] = "crude"
    _fails(tmp_path, d, "demand.flows.f.alternatives.0", "carries crude")


def test_the_alternatives_can_be_changed_on_the_command_line(tmp_path):
    d = corridor([SEA])
    p = tmp_path / "ok.yaml"
    p.write_text(yaml.safe_dump(copy.deepcopy(d), sort_keys=False))
    s = cs.load_scenario(p, overrides={"demand.alternatives.sea.days": 40})
    assert s.demand.alternatives[0].days == 40
