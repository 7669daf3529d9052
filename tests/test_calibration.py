"""The base scenario reproduces the documented corridor in 2024 and 2025 (KZ MinTransport: 4.484 and
4.119 Mt; ~56,500 and ~77,000 TEU), over five seeds; the measuring is benchmarks/calibration.py's."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import corridor_sim as cs

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from calibration import measures

TOTAL_MT = {2024: 4.484, 2025: 4.119}
TEU = {2024: 56_500, 2025: 77_000}
SEEDS = range(1, 6)


@pytest.fixture(scope="module")
def runs(base_path, base_2024_2025):
    scn = cs.load_scenario(base_path, years=(2024, 2025))
    res = [base_2024_2025(s) for s in SEEDS]
    return scn, res, {y: [measures(r, y) for r in res] for y in (2024, 2025)}


@pytest.mark.parametrize("year", [2024, 2025])
def test_delivered_within_5_percent_of_documented(runs, year):
    _, _, m = runs
    delivered = np.mean([x["corridor total, Mt"] for x in m[year]])
    assert delivered == pytest.approx(TOTAL_MT[year], rel=0.05), (
        f"{year}, mean of {len(m[year])} seeds: {delivered:.3f} Mt"
    )


@pytest.mark.parametrize("year", [2024, 2025])
def test_containers_within_10_percent_of_documented_teu(runs, year):
    _, _, m = runs
    teu = np.mean([x["containers, TEU"] for x in m[year]])
    assert teu == pytest.approx(TEU[year], rel=0.10), f"{year}: {teu:,.0f} TEU"


def test_turkiye_bound_flow_matches_btk_in_2025(runs):
    """BTK carried 9,393 TEU in H1 2025 (GE Ministry of Economy): the Turkiye-bound boxes crossing
    Akhalkalaki-Kars in the model's first half of 2025. The model's half-year count runs below the
    half of its annual demand: boxes crossing in early January left China at 2024's lower rate, and
    the 2025 feeders are near full (some boxes wait, a few go another way). Since the base sends 30%
    of the boxes home empty on the feeders' return voyages (issue 22; the share is an assumption,
    seeds/SOURCES.md section 12), the feeders have less time for loaded boxes: -16% before, -18%
    with the empties over 10 seeds, -21% over the five seeds here. Within 25%."""
    _, _, m = runs
    btk = np.mean([x["BTK containers H1, TEU"] for x in m[2025]])
    assert btk == pytest.approx(9_393, rel=0.25)


def test_each_flow_within_10_percent_of_its_documented_share_in_2024(runs):
    scn, res, _ = runs
    documented = pd.Series({f.id: f.tons_per_year for f in scn.demand.flows})
    assert documented.sum() == pytest.approx(TOTAL_MT[2024] * 1e6)  # the split adds up to the total
    sim = pd.concat([r.annual[r.annual.year == 2024].set_index("flow").tons_delivered for r in res], axis=1).mean(
        axis=1
    )
    for flow, tons in documented.items():
        assert sim[flow] / sim.sum() == pytest.approx(tons / documented.sum(), rel=0.10), flow


def test_2025_split_adds_up_to_the_documented_total(runs):
    """The 2025 levels are the documented total less containers and crude; the crude level is the
    rate outside the six-week pause, so the year's crude comes to the ~1.2 Mt projected."""
    scn, _, m = runs
    dry = sum(f.tons_by_year[2025] for f in scn.demand.flows if f.cargo != "crude")
    assert (dry + 1.2e6) / 1e6 == pytest.approx(TOTAL_MT[2025], abs=0.001)
    assert np.mean([x["crude to BTC, Mt"] for x in m[2025]]) == pytest.approx(1.2, rel=0.05)


def test_border_time_close_to_adb_cpmm(runs):
    """ADB CAREC CPMM: Kazakhstan rail border crossing 69.7 h in 2023, 67.4 h in 2022 (not tuned)."""
    _, _, m = runs
    assert np.mean([x["KZ rail border crossing, h"] for x in m[2024]]) == pytest.approx(69.7, rel=0.15)
