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
    """Charges with charges: the routes' charges beside the alternatives' and the documented rates,
    with no time cost anywhere (the documented rates have none)."""
    fig = plots.cost_by_route(base_results)
    text = _texts(fig)
    s = base_results.scenario
    assert s.label in text and "2024" in text and "not capacity" in text and "charges with charges" in text
    assert all("charges" in ax.get_xlabel() and "per" in ax.get_xlabel() for ax in fig.axes)
    assert any("per TEU" in ax.get_xlabel() for ax in fig.axes)
    labels = _legend_labels(fig)
    assert "rail tariffs" in labels and not any("time" in l for l in labels)
    assert any("documented rate" in l for l in labels) and any("outside alternative" in l for l in labels)
    for b in s.costs.benchmarks:
        assert b.label in text
    for a in s.demand.alternatives:
        assert a.label in text
    # the stacked charges of a route are its route_charge total
    flow = next(f for f in s.demand.flows if f.cargo == "container")
    route = flow.routes[0]
    total = route_charge(s, flow, route).usd_per_unit
    ax = fig.axes[0]
    bars = [p for p in ax.patches if p.get_facecolor()[:3] != (1.0, 1.0, 1.0)]
    assert any(p.get_x() + p.get_width() == pytest.approx(total) for p in bars)


def test_generalized_cost_by_route(base_results):
    """Charges + time only where every row has its time: each flow's routes (simulated days) and
    its alternatives (their days), at the flow's value of time."""
    fig = plots.generalized_cost_by_route(base_results)
    text = _texts(fig)
    s = base_results.scenario
    shown = [f for f in s.demand.flows if f.alternatives and f.response is not None]
    assert len(fig.axes) == len(shown) and all(f.id in text for f in shown)
    assert "time cost (days x value of time)" in _legend_labels(fig)
    # an alternative's bar is its charges + value of time x days, per TEU
    f = next(f for f in shown if f.id == "containers_cn_tr")
    a = next(a for a in s.demand.alternatives if a.id == f.alternatives[0])
    t = s.cargo_classes["container"].t_per_unit
    want = (a.usd_per_t + f.response.value_of_time_usd_per_t_day * a.days) * t
    ax = fig.axes[[g.id for g in shown].index(f.id)]
    assert any(p.get_x() + p.get_width() == pytest.approx(want) for p in ax.patches)


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
    assert "95% CI of the time cost" in _legend_labels(plots.generalized_cost_by_route(replicated))


def test_cost_plots_only_where_routes_are_priced(base_results, tmp_path):
    names = {p.stem for p in plots.save_all(base_results, tmp_path)}
    assert {"cost_by_route", "generalized_cost_by_route", "co2_by_route"} <= names
    r = base_results.routes.assign(charges_usd_per_unit=np.nan, co2e_kg_per_unit=np.nan)
    unpriced = type(base_results)(**{**base_results.__dict__, "routes": r})
    assert not plots.priced(unpriced)
    assert not plots.cost_figures(unpriced)


def _appraisal() -> pd.DataFrame:
    rows = []
    for m, capex, e, irr, b, p in (
        ("good", 10.0, 120.0, 25.0, 3.0, 0.0),
        ("poor", 900.0, -600.0, 1.0, 0.3, 1.0),
        ("close", 50.0, 5.0, 6.5, 1.05, 0.4),
    ):
        for mode, k in (("stand-alone", 1.0), ("incremental", 0.8)):
            rows.append(
                {
                    "measure": m,
                    "mode": mode,
                    "capex_musd": capex,
                    "enpv_musd": e * k,
                    "enpv_musd_ci_low": e * k - 30.0,
                    "enpv_musd_ci_high": e * k + 30.0,
                    "eirr_pct": irr,
                    "bcr": b,
                    "p_enpv_negative": p,
                }
            )
    return pd.DataFrame(rows).reindex(columns=list(APPRAISAL_COLUMNS))


def test_measures_ranking():
    fig = plots.measures_ranking(_appraisal(), "bottlenecks · 2024–2027 · 2 replications")
    ax = fig.axes[0]
    text = _texts(fig)
    assert "bottlenecks" in text and "US" in ax.get_xlabel() and "net present value" in ax.get_xlabel()
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert [t.split(" ")[0] for t in ticks] == ["good", "close", "poor"]  # highest ENPV first
    assert "EIRR 25%" in text and "BCR 3.00" in text and "P(ENPV<0) 100%" in text
    assert "stand-alone" in text and "incremental" in text


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
