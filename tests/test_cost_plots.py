"""The cost plots say what they show: the scenario, units, a legend where there are several
series; their numbers are the route_costs table's and the scenario's charges; and they are drawn
only when there is a cost to show."""

import numpy as np
import pandas as pd
import pytest
from test_plots import _texts  # every text a figure draws

from corridor_sim.analyses.appraisal import APPRAISAL_COLUMNS
from corridor_sim.analyses.plan import FRONTIER_COLUMNS
from corridor_sim.experiments.replicated import Replicated
from corridor_sim.kpi import route_costs
from corridor_sim.present import plots
from corridor_sim.scenario.pricing import route_charge


def _legend_labels(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]


@pytest.fixture(scope="module")
def replicated(base_results):
    """Two 'replications' of the 2024 base (the same run twice: intervals of zero width)."""
    return Replicated(base_results.scenario, 1, [base_results, base_results])


def test_route_costs_reads_the_routes_table(base_results):
    rc = route_costs(base_results.routes)
    r = base_results.routes
    assert set(zip(rc.flow, rc.route)) == set(zip(r.flow, r.route))
    row = rc.iloc[0]
    src = r[(r.flow == row.flow) & (r.route == row.route)].iloc[0]
    assert row.charges_usd_per_unit == pytest.approx(src.charges_usd_per_unit)
    assert row.charges_usd_per_t == pytest.approx(src.charges_usd / src.tons_delivered)
    assert row.n == 1 and np.isnan(row.charges_usd_per_unit_ci_low)


def test_cost_by_route(base_results):
    fig = plots.cost_by_route(base_results)
    text = _texts(fig)
    s = base_results.scenario
    assert s.label in text and "2024" in text and "not capacity" in text
    assert all("US" in ax.get_xlabel() and "per" in ax.get_xlabel() for ax in fig.axes)
    assert any("per TEU" in ax.get_xlabel() for ax in fig.axes)
    labels = _legend_labels(fig)
    assert "rail tariffs" in labels and "time cost (simulated, mean)" in labels
    assert any("documented rate" in l for l in labels)
    for b in s.costs.benchmarks:
        assert b.label in text
    # the stacked charges of a route are its route_charge total
    flow = next(f for f in s.demand.flows if f.cargo == "container")
    route = flow.routes[0]
    total = route_charge(s, flow, route).usd_per_unit
    ax = fig.axes[0]
    bars = [p for p in ax.patches if p.get_facecolor()[:3] != (1.0, 1.0, 1.0)]
    assert any(p.get_x() + p.get_width() == pytest.approx(total) for p in bars)


def test_co2_by_route(base_results):
    fig = plots.co2_by_route(base_results)
    text = _texts(fig)
    assert base_results.scenario.label in text and "2024" in text
    assert "kg per tonne" in fig.axes[0].get_xlabel()
    labels = _legend_labels(fig)
    assert any(l.startswith("rail") for l in labels) and any(l.startswith("sea") for l in labels)
    assert "kg per TEU" in text


def test_cost_plots_of_replications(replicated):
    for make in (plots.cost_by_route, plots.co2_by_route):
        text = _texts(make(replicated))
        assert "2 replications" in text
    assert "95% CI of the time cost" in _legend_labels(plots.cost_by_route(replicated))


def test_cost_plots_only_where_routes_are_priced(base_results, tmp_path):
    names = {p.stem for p in plots.save_all(base_results, tmp_path)}
    assert {"cost_by_route", "co2_by_route"} <= names
    r = base_results.routes.assign(charges_usd_per_unit=np.nan, co2e_kg_per_unit=np.nan)
    unpriced = type(base_results)(**{**base_results.__dict__, "routes": r})
    assert not plots.priced(unpriced)
    assert not plots.cost_figures(unpriced)


def _appraisal() -> pd.DataFrame:
    rows = [
        {"measure": "cheap", "capex_musd": 10.0, "capacity_added_mt": 0.4, "usd_per_t_capacity": 25.0, "bcr": 3.0},
        {"measure": "dear", "capex_musd": 900.0, "capacity_added_mt": 0.5, "usd_per_t_capacity": 1800.0, "bcr": 0.2},
        {"measure": "idle", "capex_musd": 50.0, "capacity_added_mt": -0.01, "usd_per_t_capacity": np.nan, "bcr": 0.1},
        {
            "measure": "late",
            "capex_musd": 80.0,
            "capacity_added_mt": np.nan,
            "usd_per_t_capacity": np.nan,
            "bcr": np.nan,
            "note": "in service after the simulated years: nothing measured",
        },
    ]
    t = pd.DataFrame(rows).reindex(columns=list(APPRAISAL_COLUMNS))
    t["usd_per_t_capacity_ci_low"] = t.usd_per_t_capacity * 0.8
    t["usd_per_t_capacity_ci_high"] = t.usd_per_t_capacity * 1.3
    return t


def test_measures_ranking():
    fig = plots.measures_ranking(_appraisal(), "bottlenecks · 2024–2027 · 2 replications")
    ax = fig.axes[0]
    text = _texts(fig)
    assert "bottlenecks" in text and "US" in ax.get_xlabel() and "t/yr" in ax.get_xlabel()
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks[0].startswith("cheap") and ticks[1].startswith("dear")  # cheapest first
    assert ticks[2].startswith("idle") and ticks[3].startswith("late")  # no gain: at the bottom
    assert "+0.40 Mt/yr" in text and "BCR 3.00" in text
    assert "no capacity gain" in text and "nothing measured" in text
    assert len(_legend_labels(fig)) == 2


def test_plan_frontier():
    f = pd.DataFrame(
        [
            {
                "by": 2026,
                "reached": False,
                "capex_musd": 161.0,
                "pv_cost_musd": 187.0,
                "capacity_mt": 7.3,
                "capacity_mt_ci_low": 6.3,
                "capacity_mt_ci_high": 8.3,
                "share_at_goal": 0.0,
                "measures": "a (2026-01-01)",
            },
            {
                "by": 2028,
                "reached": True,
                "capex_musd": 153.0,
                "pv_cost_musd": 166.0,
                "capacity_mt": 8.6,
                "capacity_mt_ci_low": 6.3,
                "capacity_mt_ci_high": 10.9,
                "share_at_goal": 1.0,
                "measures": "b (2028-01-01), c (2028-01-01)",
            },
        ],
        columns=list(FRONTIER_COLUMNS),
    )
    fig = plots.plan_frontier(f, 8.0, "options · 2 replications")
    ax = fig.axes[0]
    text = _texts(fig)
    assert "options" in text and "8 Mt/yr" in text and "US" in ax.get_ylabel()
    assert "8.60 Mt/yr [6.30–10.90]" in text and "2 measures" in text and "not reached" in text
    labels = _legend_labels(fig)
    assert len(labels) == 3 and any("no plan" in l for l in labels)
