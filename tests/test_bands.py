"""The capacity trajectory under an assumption's low, central and high (analyses.bands): the
central is the scenario's own capacity on the same seeds, a ship-bound corridor's capacity follows
the load factor each level gives, bad requests are named, and the figure says what it shows."""

from __future__ import annotations

import numpy as np
import pytest

import corridor_sim as cs
from corridor_sim.analyses.bands import band_of, capacity_bands
from corridor_sim.analyses.capacity import estimate_capacity
from corridor_sim.present.plots.capacity import plot_capacity_bands

from factories import build, rail_sea

DECLINE = "caspian.sea_level_decline_cm_per_year"
SLOPE = "caspian.load_factor_loss_per_10cm"


def falling_sea() -> cs.Scenario:
    """A ship-bound corridor (one 200-t ship) over 2023-2024 whose sea falls 20 cm a year, with
    bands on the fall and on the load factor's loss per 10 cm."""
    d = rail_sea(tons_per_year=60_000.0, capacity=200.0, crossing_h=20.0)
    d["end_year"] = 2024
    d["caspian"].update(sea_level_decline_cm_per_year=20.0, load_factor_loss_per_10cm=0.04, min_load_factor=0.2)
    d["uncertain"] = [
        {"path": DECLINE, "low": 5.0, "high": 30.0, "source": "test"},
        {"path": SLOPE, "low": 0.02, "high": 0.06, "source": "test"},
    ]
    return build(d)


@pytest.fixture(scope="module")
def bands():
    return capacity_bands(falling_sea(), [DECLINE, SLOPE], (2023, 2024), 2, workers=1)


def mean_load_factor(decline_cm: float, slope: float, year_index: int) -> float:
    """The load factor averaged over a year: 0.8 at the start of the base year, falling linearly."""
    mid_fall_cm = decline_cm * (year_index + 0.5)
    return 0.8 - slope * mid_fall_cm / 10.0


def test_every_assumption_has_three_levels_and_the_central_is_the_scenarios_own(bands):
    assert set(bands.assumption) == {DECLINE, SLOPE}
    assert set(bands.level) == {"low", "central", "high"}
    assert len(bands) == 2 * 3 * 2  # assumptions x levels x years
    own = estimate_capacity(falling_sea(), (2023, 2024), 2, by_cargo=False, workers=1).trajectory
    own = own[own.cargo == "all"].set_index("year").capacity_mt
    for path in (DECLINE, SLOPE):
        central = bands[(bands.assumption == path) & (bands.level == "central")].set_index("year")
        assert central.value.iloc[0] == {DECLINE: 20.0, SLOPE: 0.04}[path]
        np.testing.assert_allclose(central.capacity_mt, own.loc[central.index], rtol=1e-12)


def test_a_ship_bound_corridor_carries_what_each_levels_load_factor_allows(bands):
    """In 2024 the sea has fallen 20-40 cm: each level's capacity over the central's is its mean
    load factor over the central's (the ship binds), within 6%; and more fall or a steeper toll never
    carries more."""
    for path, values in ((DECLINE, {"low": 5.0, "high": 30.0}), (SLOPE, {"low": 0.02, "high": 0.06})):
        part = bands[(bands.assumption == path) & (bands.year == 2024)].set_index("level")
        lf_c = mean_load_factor(20.0, 0.04, 1)
        for level, v in values.items():
            lf = mean_load_factor(v, 0.04, 1) if path == DECLINE else mean_load_factor(20.0, v, 1)
            ratio = part.capacity_mt[level] / part.capacity_mt["central"]
            assert ratio == pytest.approx(lf / lf_c, rel=0.06), (path, level, ratio, lf / lf_c)
        assert part.capacity_mt["high"] <= part.capacity_mt["central"] <= part.capacity_mt["low"]


def test_a_path_without_a_range_or_a_central_outside_it_is_named():
    s = falling_sea()
    with pytest.raises(ValueError, match=r"no range for 'caspian.min_load_factor'.*it has: caspian"):
        band_of(s, "caspian.min_load_factor")
    d = rail_sea()
    d["caspian"].update(sea_level_decline_cm_per_year=40.0)
    d["uncertain"] = [{"path": DECLINE, "low": 5.0, "high": 30.0, "source": "test"}]
    with pytest.raises(ValueError, match=r"= 40 lies outside its own range 5-30"):
        band_of(build(d), DECLINE)
    b = band_of(s, SLOPE)
    assert (b.low, b.central, b.high, b.source) == (0.02, 0.04, 0.06, "test")


def test_the_figure_has_a_panel_per_assumption_with_its_levels_and_units(bands):
    fig = plot_capacity_bands(bands, falling_sea(), 2)
    fig.canvas.draw()
    axes = [ax for ax in fig.axes if ax.get_legend() is not None]
    assert len(axes) == 2
    titles = [ax.get_title(loc="left") for ax in axes]
    assert "Sea level decline (cm/yr)" in titles[0] and "Load factor loss (per 10 cm)" in titles[1]
    labels = [t.get_text() for t in axes[0].get_legend().get_texts()]
    assert labels == ["high: 30", "central: 20", "low: 5"]
    assert "Mt/yr" in axes[0].get_ylabel()
    assert "tiny" in fig.get_suptitle() and "2023–2024" in fig.get_suptitle()
