"""Plots are rendered to files and say what they show: titles, units, legends, content."""
import matplotlib.image as mpimg
import numpy as np
import pytest

from corridor_sim import plots


@pytest.fixture(scope="module")
def pngs(tmp_path_factory, base_results):
    out = tmp_path_factory.mktemp("plots")
    return {p.stem: p for p in plots.save_all(base_results, out)}


def test_every_png_is_a_real_picture(pngs):
    assert set(pngs) == {"annual_tons", "utilization", "transit_days", "port_levels", "corridor_map"}
    for name, path in pngs.items():
        img = mpimg.imread(path)
        h, w = img.shape[:2]
        assert w >= 800 and h >= 400, name
        colours = np.unique((img[..., :3] * 255).astype(np.uint8).reshape(-1, 3), axis=0)
        assert len(colours) > 50, f"{name} looks blank"


def test_annual_tons_shows_flows_goal_and_observations(base_results):
    fig = plots.annual_tons(base_results)
    ax = fig.axes[0]
    assert "10 Mt goal" in ax.get_title() and "Mt" in ax.get_ylabel()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    for f in base_results.scenario.demand.flows:
        assert any(f.id in l for l in labels)
    assert any("observed" in l for l in labels)
    assert any(l.get_ydata()[0] == 10.0 for l in ax.get_lines() if len(l.get_ydata()) == 2)  # goal line
    # bar heights add up to the delivered total
    total = sum(p.get_height() for p in ax.patches)
    assert total == pytest.approx(base_results.delivered_mt().sum(), rel=1e-6)


def test_utilization_ranks_resources_with_units(base_results):
    fig = plots.utilization(base_results)
    ax = fig.axes[0]
    assert "%" in ax.get_xlabel()
    widths = [p.get_width() for p in ax.patches]
    assert widths == sorted(widths) and max(widths) <= 100.0 + 1e-9
    assert ax.get_legend() is not None


def test_transit_days_has_one_box_per_flow(base_results):
    fig = plots.transit_days(base_results)
    ax = fig.axes[0]
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks == [f.id for f in base_results.scenario.demand.flows]
    assert "days" in ax.get_xlabel()


def test_port_levels_has_the_three_caspian_ports(base_results):
    fig = plots.port_levels(base_results)
    titles = [ax.get_title(loc="left") for ax in fig.axes if ax.get_title(loc="left")]
    assert titles == ["Aktau", "Kuryk", "Port of Baku (Alat)"]
    assert all("%" in ax.get_ylabel() for ax in fig.axes if ax.get_title(loc="left"))
