"""Every public object prints in at most 2,000 characters (``repr``), whatever it holds, and shows
its full view in a notebook (``_repr_html_``): the scenario's every field, a result's every table."""

from __future__ import annotations

import dataclasses

import pytest

import corridor_sim as cs
from corridor_sim.display import REPR_LIMIT
from corridor_sim.scenario.candidate_schema import Candidate

from factories import appraisal_costs, build, flow, link, node, scenario


def rail4() -> dict:
    """One rail link, a costed timeline entry in its second year, a two-year run."""
    d = scenario(
        [node("o", 43.0, 51.0), node("p", 40.0, 49.5)],
        [flow("f", ["o", "p"], 60_000.0, 50.0)],
        rail_links=[link("o_p", "o", "p", paths_per_day=4)],
        warmup_days=10.0,
    )
    d["name"], d["end_year"] = "rail4", 2024
    d["rail_links"][0]["tariff_usd_per_unit_km"] = {"container": 0.1}
    d["costs"] = appraisal_costs()
    d["timeline"] = [
        {
            "id": "paths6",
            "date": "2024-01-01",
            "description": "six paths",
            "source": "test",
            "set": {"rail_links.o_p.paths_per_day": 6},
            "capex_musd": 100.0,
        }
    ]
    d["uncertain"] = [{"path": "rail_links.o_p.speed_kmh", "low": 40.0, "high": 60.0, "source": "test"}]
    return d


@pytest.fixture(scope="module")
def objects(base_path):
    s = build(rail4())
    runs = [cs.run(s, seed=k) for k in (1, 2)]
    cand = Candidate.model_validate(
        {
            "id": "paths6",
            "description": "six paths",
            "source": "test",
            "capex_musd": 100.0,
            "earliest_start": "2020-01-01",
            "lead_time_years": 1.0,
            "set": {"rail_links.o_p.paths_per_day": 6},
        }
    )
    no_entry = cs.validate_dict({**rail4(), "timeline": []})
    out = {
        "Scenario (base)": cs.load_scenario(base_path),
        "Results": runs[0],
        "Replicated": cs.Replicated(s, 1, runs),
        "Comparison": cs.compare_results({"a": runs, "b": runs}),
        "Execution": cs.Execution(workers=1),
        "Sweep": cs.sweep(s, [("demand.scale", [0.5, 1.0])], 2, workers=1),
        "Ranking": cs.bottlenecks(s, 2024, replications=2, workers=1),
        "CapacityEstimate": cs.estimate_capacity(s, replications=2, workers=1),
        "Appraisal": cs.appraise(s, replications=2, workers=1),
        "Plan": cs.plan(no_entry, [cand], goal_mt=0.1, by=2024, replications=2, workers=1, trajectory=False),
    }
    pytest.importorskip("SALib")
    out["Sensitivity"] = cs.sensitivity(s, 2, workers=1)
    return out


PUBLIC_TYPES = {
    "Scenario",
    "Results",
    "Replicated",
    "Comparison",
    "Execution",
    "Sweep",
    "Ranking",
    "CapacityEstimate",
    "Appraisal",
    "Plan",
    "Sensitivity",
}


def test_every_public_type_is_tried():
    """Every class the package exports (but the error, whose repr is its message) is in the test."""
    exported = {n for n in cs.__all__ if isinstance(getattr(cs, n), type) and not issubclass(getattr(cs, n), Exception)}
    assert exported == PUBLIC_TYPES


def test_the_base_scenario_prints_in_a_line(base_path):
    s = cs.load_scenario(base_path, overrides={"demand.scale": 1.2})
    text = repr(s)
    assert len(text) <= 300 and str(s) == text
    assert text.startswith("<Scenario base (demand.scale=1.2): 2024-2035") and "rail links" in text
    page = s._repr_html_()
    # the full view: every field, the timeline's every entry among them
    assert all(e.id in page for e in s.timeline) and all(link.id in page for link in s.rail_links)
    assert len(page) > 20 * len(text)


def test_every_public_object_has_a_compact_repr_and_a_full_view(objects):
    seen = {type(o).__name__ for o in objects.values()}
    assert seen == PUBLIC_TYPES
    for name, obj in objects.items():
        text = repr(obj)
        assert 20 < len(text) <= REPR_LIMIT, (name, len(text))
        assert "\n" not in text.strip() or len(text.splitlines()) < 30, name
        page = obj._repr_html_()
        assert page.startswith("<") and len(page) > len(text) / 2, name
    # a result's tables are named by their size in the repr and shown in full in the view
    cap = objects["CapacityEstimate"]
    assert f"trajectory=<table {len(cap.trajectory):,} rows" in repr(cap)
    assert cap.trajectory.columns[0] in cap._repr_html_() and "capacity_mt" in cap._repr_html_()


def test_a_repr_stays_compact_however_large_the_result(objects):
    """A ranking with a hundred times the rows prints as short as before."""
    import pandas as pd

    r = objects["Ranking"]
    big = dataclasses.replace(r, table=pd.concat([r.table] * 100, ignore_index=True))
    assert len(repr(big)) <= REPR_LIMIT and f"{len(big.table):,} rows" in repr(big)
