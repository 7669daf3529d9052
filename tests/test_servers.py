"""The model's own servers and yards: grants at once, FIFO waits, capacity changes, and results
identical to grants sent through the SimPy kernel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import simpy

import corridor_sim as cs
from corridor_sim.model import servers
from corridor_sim.model.meters import Meter
from corridor_sim.model.servers import MonitoredResource, Server, Yard
from corridor_sim.run.results import TABLES

from factories import build, rail_sea

H_JUL_2023 = (31 + 28 + 31 + 30 + 31 + 30) * 24.0


def _same_tables(a: cs.Results, b: cs.Results) -> None:
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True, obj=name)


def _both_ways(scn: cs.Scenario, seed: int, monkeypatch) -> tuple[cs.Results, cs.Results]:
    fast = cs.run(scn, seed=seed)
    monkeypatch.setattr(servers, "GRANTS_VIA_KERNEL", True)
    kernel = cs.run(scn, seed=seed)
    monkeypatch.setattr(servers, "GRANTS_VIA_KERNEL", False)
    return fast, kernel


def test_grants_at_once_give_the_same_base_year_as_grants_through_the_kernel(base_path, monkeypatch):
    fast, kernel = _both_ways(cs.load_scenario(base_path, years=(2024, 2024)), 3, monkeypatch)
    assert kernel.metadata["events"] > fast.metadata["events"] + 10_000  # the switch did reroute grants
    _same_tables(fast, kernel)


def test_grants_at_once_give_the_same_results_through_storms_and_capacity_changes(monkeypatch):
    # storms hold ships at both ports; the timeline cuts the origin yard, then adds berths, tracks and space
    d = rail_sea(
        yard=600.0, tons_per_year=300 * 365, vessels=3, capacity=200.0, tracks=1, closure=[0.3] * 12, warmup_days=20
    )
    d["timeline"] = [
        {
            "id": "cut",
            "date": "2023-04-01",
            "description": "yard cut",
            "source": "test",
            "set": {"ports.p.terminals.container.yard_capacity_units": 250.0},
        },
        {
            "id": "grow",
            "date": "2023-09-01",
            "description": "more of everything",
            "source": "test",
            "set": {
                "ports.p.terminals.container.yard_capacity_units": 900.0,
                "ports.p.terminals.container.rail_tracks": 2,
                "ports.q.terminals.container.berths": 2,
            },
        },
    ]
    for seed in (1, 2):
        fast, kernel = _both_ways(build(d), seed, monkeypatch)
        assert kernel.metadata["events"] > fast.metadata["events"]
        _same_tables(fast, kernel)


def test_a_server_grants_in_order_and_a_rise_in_capacity_serves_every_waiting_request():
    env = simpy.Environment()
    s = Server(env, 1)
    granted = {}

    def user(name, hold_h):
        yield from s.acquire()
        granted[name] = env.now
        yield env.timeout(hold_h)
        s.release()

    def more_servers():
        yield env.timeout(1.0)
        s.set_capacity(3)

    for name in "abcd":
        env.process(user(name, 10.0))
    env.process(more_servers())
    env.run()
    assert granted == {"a": 0.0, "b": 1.0, "c": 1.0, "d": 10.0}


def test_a_fall_in_capacity_lets_users_finish_and_holds_the_queue():
    env = simpy.Environment()
    s = Server(env, 2)
    granted = {}

    def user(name, at_h, hold_h):
        yield env.timeout(at_h)
        yield from s.acquire()
        granted[name] = env.now
        yield env.timeout(hold_h)
        s.release()

    def fewer_servers():
        yield env.timeout(1.0)
        s.set_capacity(1)

    env.process(user("a", 0.0, 4.0))
    env.process(user("b", 0.0, 6.0))
    env.process(user("c", 2.0, 1.0))
    env.process(fewer_servers())
    env.run()
    assert granted == {"a": 0.0, "b": 0.0, "c": 6.0}  # c waits until both are gone, not just one


def test_a_monitored_resource_meters_busy_time_queue_and_waits():
    env = simpy.Environment()
    r = MonitoredResource(env, [0.0, 10.0], "r", "berth", 1, "here")

    def user():
        yield from r.acquire()
        yield env.timeout(4.0)
        r.release()

    env.process(user())
    env.process(user())
    env.run()
    r.close(10.0)
    assert r.busy.area == [8.0] and r.queue.area == [4.0]
    assert r.grants.count == [2] and r.grants.wait_sum == [4.0]
    assert r.queue.peak == [1.0]  # the request granted at once never counted as queued


def test_a_smaller_yard_loses_its_space_as_cargo_leaves_in_line():
    env = simpy.Environment()
    y = Yard(env, 10.0, Meter(env, [0.0, 100.0]))
    log = []

    def lot(name, at_h, units):
        yield env.timeout(at_h)
        yield from y.reserve(units)
        log.append((name, env.now))

    def cut():
        yield env.timeout(1.0)
        y.set_capacity(5.0)

    def leave():
        yield env.timeout(3.0)
        y.release(8.0)

    env.process(lot("big", 0.0, 8.0))
    env.process(cut())
    env.process(lot("small", 2.0, 3.0))  # fits in the 2 units free only after the cut is served
    env.process(leave())
    env.run()
    assert log == [("big", 0.0), ("small", 3.0)]
    assert y.capacity_units == 5.0 and y.free_units == 2.0 and y.fill.level == 3.0


def test_a_timeline_yard_cut_holds_the_yard_to_its_new_size():
    d = rail_sea(yard=1000.0, tons_per_year=150 * 365, vessels=1, capacity=100.0, crossing_h=30.0)
    d["timeline"] = [
        {
            "id": "cut",
            "date": "2023-07-01",
            "description": "yard cut",
            "source": "test",
            "set": {"ports.p.terminals.container.yard_capacity_units": 300.0},
        }
    ]
    res = cs.run(build(d), seed=1)
    lv = res.levels[(res.levels.port == "p") & (res.levels.metric == "yard_units")]
    before, after = lv[lv.t_h < H_JUL_2023], lv[lv.t_h >= H_JUL_2023]
    assert before.value.max() > 500.0  # the ship is the bottleneck: the yard fills
    settled = after[after.value <= 300.0].t_h.min()
    assert settled < H_JUL_2023 + 24 * 30  # the cargo already there leaves within weeks
    assert (after[after.t_h >= settled].value <= 300.0 + 1e-9).all()
    row = res.resources[res.resources.resource == "p:container:yard"].iloc[0]
    assert row.capacity == 300.0


def test_a_yard_cut_below_its_fill_waits_for_cargo_to_leave_and_holds_the_line():
    """A smaller yard pushes nothing out: its lost space is taken, in line, as cargo leaves, and a
    lot that asks after the cut waits behind it even where space looks free."""
    env = simpy.Environment()
    y = Yard(env, 10.0, Meter(env, [0.0, 100.0]))
    log = []

    def lot(name, units, at_h):
        yield env.timeout(at_h)
        yield from y.reserve(units)
        log.append((name, env.now))

    def cut(at_h, units):
        yield env.timeout(at_h)
        y.set_capacity(units)

    def leave(at_h, units):
        yield env.timeout(at_h)
        y.release(units)

    env.process(lot("big", 8.0, 0.0))
    env.process(cut(1.0, 5.0))
    env.process(lot("small", 1.0, 2.0))  # 2 units look free, but the cut is first in line
    env.process(leave(3.0, 8.0))
    env.run()
    assert log == [("big", 0.0), ("small", 3.0)]
    assert y.capacity_units == 5.0 and y.free_units == 4.0
    y.fill.close(100.0)
    assert y.fill.area[0] == 8.0 * 3.0 + 1.0 * 97.0  # unit-hours held, to the end of the period


def test_a_timeline_cut_of_a_port_yard_blocks_trains_and_conserves_cargo():
    """The model's reconfigure path: a yard cut mid-year lowers throughput after the date, keeps
    every tonne, and the yard's time-weighted fill stays within each period's capacity."""
    d = rail_sea(yard=800.0, tons_per_year=100.0 * 365 * 1.5, vessels=2, capacity=200.0)
    d["timeline"] = [
        {
            "id": "yard_cut",
            "date": "2023-07-01",
            "description": "half the yard closes for works",
            "source": "test",
            "set": {"ports.p.terminals.container.yard_capacity_units": 250.0},
        }
    ]
    res = cs.run(build(d), seed=4)
    assert res.interventions.id.tolist() == ["yard_cut"]
    gap = cs.kpi.conservation_gap(res.annual).abs().max()
    assert gap < 1e-6 * res.annual.tons_offered.sum()
    lv = res.levels[(res.levels.port == "p") & (res.levels.metric == "yard_units")]
    after = lv[lv.t_h >= H_JUL_2023 + 30 * 24.0]  # a month after the cut, the old fill has left
    assert after.value.max() <= 250.0 + 1e-6
    assert lv[lv.t_h < H_JUL_2023].value.max() > 250.0  # the cut binds: more was held before
    t = np.sort(res.lots["t_land:q_h"].to_numpy())
    per_day_before = ((t > 30 * 24.0) & (t < H_JUL_2023)).sum() / (H_JUL_2023 / 24.0 - 30)
    per_day_after = (t >= H_JUL_2023).sum() / (365 - H_JUL_2023 / 24.0)
    assert per_day_after < per_day_before
