"""Rail paths with the background trains computed instead of simulated: the same schedule as a
process per background train, and the M/D/1 queue where the answer is known."""

from __future__ import annotations

import math

import numpy as np
import pytest
import simpy

import corridor_sim as cs
from corridor_sim.model import build as model_build
from corridor_sim.model.paths import RailPaths

from event_driven import EventDrivenRailLink
from factories import build, flow, link, node, scenario

PATH_COLUMNS = ["utilization", "mean_queue", "max_queue", "entries", "mean_wait_h"]


def _two_links() -> cs.Scenario:
    """o -> m (a border crossing) -> d, both links busy with background trains, and a timeline
    that shortens and lengthens headways while trains queue and stops and restarts the background.
    o_m is overloaded (6.5 trains a day for 6 paths) until its paths double on 15 March."""
    crossing = {
        "transshipment_tracks": 1,
        "transshipment_h": 1.0,
        "transshipment_cv": 0.5,
        "dwell_mean_h": 2.0,
        "dwell_cv": 0.5,
    }
    d = scenario(
        nodes=[node("o"), node("m"), node("d")],
        rail_links=[
            link("o_m", "o", "m", length_km=60, speed_kmh=40, paths_per_day=6, background=3.0, crossing=crossing),
            link("m_d", "m", "d", length_km=300, speed_kmh=50, paths_per_day=7, background=2.0),
        ],
        flows=[flow("f", ["o", "m", "d"], tons_per_year=3.5 * 365 * 100, lot_units=100, cv=1.0)],
        warmup_days=30,
    )

    def entry(date, values):
        return {
            "id": "change_" + date.replace("-", "_"),
            "date": date,
            "description": "timetable",
            "source": "test",
            "set": values,
        }

    d["timeline"] = [
        entry("2023-03-15", {"rail_links.o_m.paths_per_day": 12, "rail_links.o_m.background_trains_per_day": 5.0}),
        entry("2023-06-01", {"rail_links.m_d.background_trains_per_day": 0.0}),
        entry("2023-08-01", {"rail_links.m_d.paths_per_day": 5, "rail_links.m_d.background_trains_per_day": 1.0}),
        entry("2023-10-01", {"rail_links.o_m.paths_per_day": 10}),
    ]
    return build(d)


def test_lazy_background_trains_give_the_schedule_of_one_process_per_train(monkeypatch):
    scn = _two_links()
    for seed in (1, 2, 3):
        lazy = cs.run(scn, seed=seed)
        with monkeypatch.context() as m:
            m.setattr(model_build, "RailLink", EventDrivenRailLink)
            ref = cs.run(scn, seed=seed)
        assert ref.metadata["events"] > 1.5 * lazy.metadata["events"]  # the reference did simulate them
        paths = lambda r: r.resources[r.resources.kind == "rail_path"].set_index("resource")[PATH_COLUMNS]
        got, want = paths(lazy), paths(ref)
        assert want.loc["o_m:paths", "max_queue"] > 20 and want.loc["m_d:paths", "max_queue"] >= 3
        np.testing.assert_allclose(got.to_numpy(float), want.to_numpy(float), rtol=1e-9, atol=1e-9)
        # every corridor train entered each link, and arrived, at the same time
        cols = ["t_generated_h", "t_rail:o_m_h", "t_rail:m_d_h", "t_delivered_h"]
        assert len(lazy.lots) == len(ref.lots) > 1000
        np.testing.assert_allclose(lazy.lots[cols].to_numpy(), ref.lots[cols].to_numpy(), rtol=0, atol=1e-6)


def test_corridor_trains_wait_as_in_an_md1_queue():
    # Poisson corridor trains (cv 1) and Poisson background trains share one path of 3 h headway:
    # rho = (3 + 3.4) / 8 = 0.8, and Pollaczek-Khinchine gives W = rho D / (2 (1 - rho)) = 6 h.
    lam_c, lam_b, paths = 3.0, 3.4, 8
    d = scenario(
        nodes=[node("o"), node("d")],
        rail_links=[link("o_d", "o", "d", length_km=10, speed_kmh=50, paths_per_day=paths, background=lam_b)],
        flows=[flow("f", ["o", "d"], tons_per_year=lam_c * 365 * 100, lot_units=100, cv=1.0)],
        warmup_days=60,
    )
    scn = build(d)
    rho, headway_h = (lam_c + lam_b) / paths, 24.0 / paths
    expected_h = rho * headway_h / (2 * (1 - rho))
    waits, util = [], []
    for seed in range(10):
        res = cs.run(scn, seed=seed)
        waits.append((res.lots["t_rail:o_d_h"] - res.lots.t_generated_h).mean())
        util.append(res.resources.set_index("resource").loc["o_d:paths", "utilization"])
    waits = np.array(waits)
    mean, half = waits.mean(), 2.26 * waits.std(ddof=1) / math.sqrt(len(waits))  # t(9, 0.975) = 2.26
    assert abs(mean - expected_h) <= half, f"simulated {mean:.2f} +- {half:.2f} h vs M/D/1 {expected_h:.2f} h"
    assert half < 0.15 * expected_h  # and the interval is tight enough to mean something
    assert np.mean(util) == pytest.approx(rho, abs=0.01)


def test_a_queue_carried_into_a_year_counts_for_that_years_peak():
    env = simpy.Environment(initial_time=9.0)
    p = RailPaths(
        env, [0.0, 10.0, 20.0], "l:paths", "l", headway_h=4.0, background_per_day=0.0, rng=np.random.default_rng(1)
    )
    starts = [p.book().start_h for _ in range(3)]  # three trains at 9 h: they start at 9, 13, 17
    p.close(20.0)
    assert starts == [9.0, 13.0, 17.0]
    assert p.queue.peak == [2.0, 2.0]  # two wait at 9 h, and still two at the year start
    assert p.queue.area == [2.0, 3.0 + 7.0]
