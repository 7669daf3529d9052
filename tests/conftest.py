import contextlib
import functools
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))

BASE = ROOT / "scenarios" / "base.yaml"
CALIBRATION_YEARS = (2024, 2024)  # the base runs to 2035; most tests need only the calibrated year


# Coverage. The gate (pyproject.toml) counts what the traced tests run; a test marked ``untraced``
# runs with coverage paused, setup and call, where tracing would make it ~1.5x as long while it
# re-runs paths that traced tests cover: the whole-corridor reports, comparisons and batches.
# (pytest-cov's own ``no_cover`` pauses the call only, and fails under --no-cov.)
def pytest_configure(config):
    config.addinivalue_line("markers", "untraced: run this test with coverage paused (conftest.py)")


@contextlib.contextmanager
def _paused(item):
    """Coverage paused around a hook of an ``untraced`` test (nothing to pause under --no-cov)."""
    plugin = item.config.pluginmanager.getplugin("_cov")
    controller = getattr(plugin, "cov_controller", None)
    if controller is None or item.get_closest_marker("untraced") is None:
        yield
        return
    controller.pause()
    try:
        yield
    finally:
        controller.resume()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    with _paused(item):
        yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    with _paused(item):
        yield


@pytest.fixture(scope="session")
def base_path() -> Path:
    return BASE


@pytest.fixture(scope="session")
def base_results():
    """One run of the calibrated base scenario, shared by the tests that only read it."""
    import corridor_sim as cs

    return cs.run(cs.load_scenario(BASE, years=CALIBRATION_YEARS), seed=1)


@pytest.fixture(scope="session")
def base_2024_2025():
    """The calibrated base over 2024-2025, run once per seed and session: ``base_2024_2025(seed)``.
    Calibration reads five seeds and the golden tables seed 1; computed on first use, so a worker
    that only needs seed 1 runs only that."""
    import corridor_sim as cs

    scn = cs.load_scenario(BASE, years=(2024, 2025))

    @functools.cache
    def run(seed: int):
        return cs.run(scn, seed=seed)

    return run
