"""The base run's numbers do not depend on how results are presented.

tests/golden/ holds the annual and resources tables of the base scenario, 2024-2025, seed 1, as
main's code wrote them before the presentation work (issue 15). Presentation may add columns
(e.g. the wait before entry); every column that was there must come out the same. Whoever
changes the model on purpose regenerates the files (the command is in this module).
"""

from pathlib import Path

import pandas as pd
import pytest

import corridor_sim as cs

GOLDEN = Path(__file__).parent / "golden"
# regenerate:  python -c "import tests.test_tables_unchanged as t; t.regenerate()"  (from the clone's root)


def _run():
    return cs.run(cs.load_scenario(Path(__file__).parents[1] / "scenarios" / "base.yaml", years=(2024, 2025)), seed=1)


def regenerate() -> None:
    r = _run()
    r.annual.to_csv(GOLDEN / "base_2024_2025_seed1_annual.csv", index=False, float_format="%.6f")
    r.resources[["year", "resource", "kind", "utilization", "mean_queue", "mean_wait_h"]].to_csv(
        GOLDEN / "base_2024_2025_seed1_resources.csv", index=False, float_format="%.6f"
    )


@pytest.fixture(scope="module")
def run(base_2024_2025):
    return base_2024_2025(1)  # what _run() makes, shared with the calibration tests


@pytest.mark.parametrize("table,keys", [("annual", ["year", "flow"]), ("resources", ["year", "resource"])])
def test_base_tables_are_unchanged(run, table, keys):
    want = pd.read_csv(GOLDEN / f"base_2024_2025_seed1_{table}.csv")
    got = getattr(run, table)[list(want.columns)].reset_index(drop=True)
    assert list(got[keys].astype(str).itertuples(index=False)) == list(want[keys].astype(str).itertuples(index=False))
    for col in want.columns:
        if pd.api.types.is_numeric_dtype(want[col]):
            pd.testing.assert_series_equal(
                got[col].astype(float),
                want[col].astype(float),
                check_names=False,
                rtol=0,
                atol=5e-6,
                obj=f"{table}.{col}",
            )
        else:
            assert got[col].astype(str).tolist() == want[col].astype(str).tolist(), f"{table}.{col}"


def test_the_two_parts_of_the_days_add_up(run):
    a = run.annual.dropna(subset=["transit_days_mean"])
    assert ((a.entry_wait_days_mean + a.corridor_days_mean) - a.transit_days_mean).abs().max() < 1e-9
    assert (a.entry_wait_days_mean >= -1e-9).all() and (a.corridor_days_p95 >= a.corridor_days_mean - 1e-9).all()
