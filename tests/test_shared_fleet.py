"""The corridor as it is shared: trucks on the rail ferries' deck, and one fleet split among lines.

A small corridor: wagons and trucks wait at port P for one ferry to port Q; storms, the draft and
sea-time spread are off, so a round trip is a known number of hours and the closed forms hold.
"""

from __future__ import annotations

import pytest

import corridor_sim as cs
from corridor_sim.model.build import Model
from corridor_sim.model.fleet import DeckLoad
from corridor_sim.scenario.problems import ScenarioError
from tests.factories import build, flow, node, port, scenario, sea_line, terminal

CREW_H = 2.0  # berth_fixed_h at each end
CROSSING_H = 20.0
WAGONS_PER_DECK = 50.0
TRUCKS_PER_DECK = 50.0
HOURS = 8760.0  # 2023


def _still_sea(line: dict) -> dict:
    line["crossing_cv"] = 0.0
    return line


def _terminal(cargo: str, **kw) -> dict:
    # loading is all but instant, so a round trip is 2 x (berth time + crossing)
    return terminal(cargo, berth_fixed_h=CREW_H, handling_units_per_h=1e5, yard_capacity_units=1000.0, **kw)


def shared_deck(
    loading: str = "line_cargo_first",
    wagons_per_year: float = 30_000.0,
    trucks_per_year: float = 2_000.0,
    share: float = 0.5,
    vessels: int = 1,
) -> dict:
    """P --ferry (wagons, trucks on the same deck)--> Q; both classes enter at P."""
    line = _still_sea(
        sea_line("p_q", "p", "q", cargo="wagon", count=vessels, capacity=WAGONS_PER_DECK, crossing_h=CROSSING_H)
    )
    line["deck"] = {
        "cargo": "truck",
        "full_deck_units": TRUCKS_PER_DECK,
        "loading": loading,
        "deck_cargo_share": share,
        "source": "test",
    }
    d = scenario(
        nodes=[node("p"), node("q")],
        ports=[
            port("p", [_terminal("wagon"), _terminal("truck")]),
            port("q", [_terminal("wagon"), _terminal("truck")]),
        ],
        sea_lines=[line],
        flows=[
            flow("wagons", ["p", "q"], wagons_per_year, 50.0, cargo="wagon", cv=0.0),
            flow("trucks", ["p", "q"], trucks_per_year, 1.0, cargo="truck", cv=0.0),
        ],
    )
    d["cargo_classes"]["truck"] = {"unit": "truck", "t_per_unit": 1.0, "source": "test"}
    d["caspian"]["load_factor"] = 1.0  # no draft limit: the deck decides
    return d


def _run(d: dict, seed: int = 1) -> Model:
    return Model(build(d), seed).run()


def _shipped(m: Model, cargo: str) -> float:
    return sum(r.units for r in m.line_rows() if r.cargo == cargo)


@pytest.mark.parametrize("loading", ["line_cargo_first", "deck_cargo_first", "shares"])
def test_the_deck_never_carries_more_than_it_holds(loading):
    m = _run(shared_deck(loading, wagons_per_year=6_000.0, trucks_per_year=3_000.0))
    loads = m.recorder.rows(DeckLoad)
    assert len(loads) > 50
    for v in loads:
        assert v.line_units / v.line_full_deck_units + v.deck_units / v.deck_full_deck_units <= 1.0 + 1e-9
        assert v.deck_share_used <= 1.0 + 1e-9 and v.line_units >= 0 and v.deck_units >= 0
    # the voyages and lines tables count the same units
    assert sum(v.deck_units for v in loads if v.t_depart_h >= 0) == pytest.approx(_shipped(m, "truck"))
    assert sum(v.line_units for v in loads if v.t_depart_h >= 0) == pytest.approx(_shipped(m, "wagon"))
    # both classes got on board under every policy with this much room
    assert _shipped(m, "truck") > 0 and _shipped(m, "wagon") > 0


def test_giving_trucks_the_deck_first_costs_the_wagons_their_deck_share():
    """Saturated ferry (wagons always waiting), round trip T = 2 x (2 h + 20 h) = 44 h. Wagons
    first: every sailing carries 50 wagons and no truck. Trucks first: each sailing takes the
    trucks that came in a round trip (2,000 a year: ~10) and leaves 1 - k/50 of the deck to
    wagons, so the year's wagons fall by the trucks carried x 50/50, i.e. by ~2,000."""
    trucks_per_year = 2_000.0
    wf = _run(shared_deck("line_cargo_first", trucks_per_year=trucks_per_year))
    tf = _run(shared_deck("deck_cargo_first", trucks_per_year=trucks_per_year))
    round_trip_h = 2 * (CREW_H + CROSSING_H)
    sailings = [sum(r.voyages for r in m.line_rows() if r.cargo == "wagon") for m in (wf, tf)]
    # the first departure comes within one round trip; the count is the year over the round trip
    for n in sailings:
        assert HOURS / round_trip_h - 2 <= n <= HOURS / round_trip_h + 1
    assert _shipped(wf, "truck") == 0
    assert _shipped(wf, "wagon") == pytest.approx(sailings[0] * WAGONS_PER_DECK)
    carried = _shipped(tf, "truck")
    assert carried == pytest.approx(trucks_per_year, rel=0.02)  # all of them, less the last round trip's
    lost = _shipped(wf, "wagon") - _shipped(tf, "wagon")
    expected = carried * WAGONS_PER_DECK / TRUCKS_PER_DECK + (sailings[0] - sailings[1]) * WAGONS_PER_DECK
    assert lost == pytest.approx(expected, abs=1e-6)
    assert lost == pytest.approx(trucks_per_year * WAGONS_PER_DECK / TRUCKS_PER_DECK, rel=0.05)


def test_shares_hold_part_of_the_deck_for_trucks_when_both_queue():
    """Both classes saturated: each sailing carries share x 50 trucks and (1 - share) x 50 wagons."""
    m = _run(shared_deck("shares", wagons_per_year=30_000.0, trucks_per_year=30_000.0, share=0.3))
    loads = [v for v in m.recorder.rows(DeckLoad) if v.t_depart_h > 24 * 30]
    assert loads
    for v in loads:
        assert v.deck_units == pytest.approx(0.3 * TRUCKS_PER_DECK)
        assert v.line_units == pytest.approx(0.7 * WAGONS_PER_DECK)


def test_without_a_deck_nothing_changes_for_the_line():
    """The same line without trucks ships what the old line shipped, run for run."""
    d = shared_deck(trucks_per_year=2_000.0)
    plain = shared_deck()
    del plain["sea_lines"][0]["deck"]
    plain["demand"]["flows"] = plain["demand"]["flows"][:1]
    for p in plain["ports"]:
        p["terminals"] = p["terminals"][:1]
    a, b = _run(plain), _run(d)
    assert _shipped(a, "wagon") == pytest.approx(_shipped(b, "wagon"))  # wagons first: trucks take no room
    assert b.recorder.rows(DeckLoad) and not a.recorder.rows(DeckLoad)


def test_a_deck_needs_a_terminal_for_its_class_at_both_ports():
    d = shared_deck()
    d["ports"][1]["terminals"] = d["ports"][1]["terminals"][:1]
    with pytest.raises(ScenarioError, match="no 'truck' terminal"):
        build(d)


# -- one fleet, two lines ------------------------------------------------------------------------
def two_lines(move_on: str | None = None, ferries: int = 4) -> dict:
    """Ports P and R both send wagons to Q, on lines sharing one pool of ferries (3 on P-Q, 1 on
    R-Q), saturated at both; ``move_on`` moves one ferry from P-Q to R-Q at that date."""
    lines = [
        _still_sea(sea_line("p_q", "p", "q", cargo="wagon", count=ferries - 1, capacity=50.0, crossing_h=20.0)),
        _still_sea(sea_line("r_q", "r", "q", cargo="wagon", count=1, capacity=50.0, crossing_h=20.0)),
    ]
    d = scenario(
        nodes=[node("p"), node("q"), node("r")],
        ports=[port(x, [_terminal("wagon")]) for x in ("p", "q", "r")],
        sea_lines=lines,
        flows=[
            flow("from_p", ["p", "q"], 60_000.0, 50.0, cargo="wagon", cv=0.0),
            flow("from_r", ["r", "q"], 60_000.0, 50.0, cargo="wagon", cv=0.0),
        ],
    )
    d["caspian"]["load_factor"] = 1.0
    d["fleets"] = [{"id": "asco", "vessels": ferries, "groups": ["p_q.v", "r_q.v"], "source": "test"}]
    if move_on is not None:
        d["timeline"] = [
            {
                "id": "move_a_ferry",
                "date": move_on,
                "description": "one ferry from P-Q to R-Q",
                "source": "test",
                "set": {"sea_lines.p_q.vessels.v.count": ferries - 2, "sea_lines.r_q.vessels.v.count": 2},
            }
        ]
    return d


def _by_line(res) -> dict[str, float]:
    return res.lines.groupby("line").units.sum().to_dict()


def test_moving_a_ferry_between_lines_moves_its_capacity():
    """Mid-year, one of P-Q's three ferries moves to R-Q: P-Q loses about half a ferry-year of
    sailings and R-Q gains about as much (each ferry carries 8,760 / 44 x 50 = ~9,950 wagons a year)."""
    before = cs.run(build(two_lines()), seed=1, detail=False)
    after = cs.run(build(two_lines("2023-07-02")), seed=1, detail=False)
    a, b = _by_line(before), _by_line(after)
    half_a_ferry_year = 0.5 * HOURS / 44.0 * 50.0
    assert a["p_q"] - b["p_q"] == pytest.approx(half_a_ferry_year, rel=0.1)
    assert b["r_q"] - a["r_q"] == pytest.approx(half_a_ferry_year, rel=0.1)
    # the fleet is the same: what one line lost, the other gained (within a sailing or two)
    assert sum(b.values()) == pytest.approx(sum(a.values()), abs=2 * 50.0 + 1e-6)


def test_a_timeline_that_adds_ships_to_a_pool_is_refused():
    d = two_lines("2023-07-02")
    d["timeline"][0]["set"] = {"sea_lines.r_q.vessels.v.count": 2}  # +1 here, -1 nowhere
    with pytest.raises(ScenarioError, match="move ships, do not add them"):
        build(d)


def test_a_pool_names_groups_that_exist():
    d = two_lines()
    d["fleets"][0]["groups"] = ["p_q.v", "r_q.nope"]
    with pytest.raises(ScenarioError, match="unknown vessel group 'r_q.nope'"):
        build(d)
