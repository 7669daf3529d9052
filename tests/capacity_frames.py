"""Synthetic capacity tables in the estimator's schemas (capacity.TRAJECTORY_COLUMNS and
HEADROOM_COLUMNS), for testing what is drawn, tabled and reported from them without running the
estimator: every value is given by the test, so the expected answer is known."""

from __future__ import annotations

import pandas as pd

from corridor_sim.analyses.capacity import HEADROOM_COLUMNS, TRAJECTORY_COLUMNS

# (resource id, readable label, kind): ids as the model names them, labels as labels.py writes them
FERRIES = ("kuryk_alat:asco_ferries", "Kuryk–Alat rail ferries: ASCO ferries (52 wagons)", "fleet")
DOSTYK = ("dostyk_aktogay:paths", "Dostyk–Aktogay rail paths", "rail_path")
BERTHS = ("aktau:container:berths", "Aktau container berths", "berth")
CROSSING = ("beyneu_mangyshlak:crossing", "Beyneu–Mangyshlak border / gauge-change station", "crossing")


def trajectory(
    capacity: list[float],
    binding: list[tuple[str, str, str]],
    scenario: str = "base",
    start_year: int = 2024,
    half_width: float | list[float] = 0.4,
    saturated: list[float] | None = None,
    demand: list[float] | None = None,
    replications: int = 5,
) -> pd.DataFrame:
    """One 'all' row per year (capacity Mt/yr with a symmetric interval), what binds each year,
    the share of replications saturated (default: all) and the demand of the mix saturated."""
    n = len(capacity)
    hw = half_width if isinstance(half_width, list) else [half_width] * n
    sat = saturated or [1.0] * n
    dem = demand or [c * 0.7 for c in capacity]
    rows = []
    for i in range(n):
        res, label, kind = binding[i]
        rows.append(
            {
                "scenario": scenario,
                "year": start_year + i,
                "cargo": "all",
                "unit": "t",
                "replications": replications,
                "capacity_mt": capacity[i],
                "capacity_mt_ci_low": capacity[i] - hw[i],
                "capacity_mt_ci_high": capacity[i] + hw[i],
                "capacity_units": capacity[i] * 1e6,
                "capacity_units_ci_low": (capacity[i] - hw[i]) * 1e6,
                "capacity_units_ci_high": (capacity[i] + hw[i]) * 1e6,
                "offered_trend_mt": dem[i],
                "binding": res,
                "binding_label": label,
                "binding_kind": kind,
                "binding_share": 0.8,
                "saturated_share": sat[i],
                "binding_class": "container",
                "measure": "mix",
                "classes_sum_mt": capacity[i] * 1.1,
            }
        )
    t = pd.DataFrame(rows)
    assert tuple(t.columns) == TRAJECTORY_COLUMNS
    return t


def headroom(
    year: int,
    resources: list[tuple[tuple[str, str, str], float, float, float | None]],
    scenario: str = "base",
) -> pd.DataFrame:
    """Rows of one year: ((id, label, kind), utilization, CI half-width, capacity Mt/yr or None)."""
    rows = []
    for (res, label, kind), u, hw, cap in resources:
        tonnes = 5.0 * u
        rows.append(
            {
                "scenario": scenario,
                "year": year,
                "resource": res,
                "label": label,
                "kind": kind,
                "utilization": u,
                "utilization_ci_low": u - hw,
                "utilization_ci_high": u + hw,
                "tonnes_mt": tonnes,
                "capacity_mt": cap,
                "headroom_mt": (cap - tonnes) if cap is not None else None,
            }
        )
    t = pd.DataFrame(rows)
    assert tuple(t.columns) == HEADROOM_COLUMNS
    return t
