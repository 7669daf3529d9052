"""The notebooks in notebooks/ run top to bottom without an error and are stored without outputs.

Each notebook is executed headless with nbclient in a kernel of *this* interpreter (so it sees the
corridor_sim under test), with notebooks/ as its working directory. The stored files are checked
to be clean (no outputs, no execution counts) so they are committed that way.

A notebook's tunable values (horizon, replications) sit in one cell tagged ``parameters``, the
papermill convention; the suite sets shorter ones in a cell inserted after it (``PARAMETERS``), so
every cell still runs, on less simulated time. The values stored in the notebook are a reader's.
"""

from __future__ import annotations

import ast
import os
import sys
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
NAMES = [
    "01_base_2024.ipynb",
    "02_scenarios_to_10mt.ipynb",
    "03_what_to_build_first.ipynb",
    "04_the_cheapest_plan.ipynb",
]
KERNEL = "python3"
CELL_TIMEOUT_S = 600
# What the suite runs instead of each notebook's stored parameters: each keeps what its text reads
# from the years it covers, and cuts the simulated years or replications where the time goes.
PARAMETERS = {
    # 2027-2029 still holds the year before Zangezur opens (2028), its opening and the year after,
    # which the route-split and map cells compare; 3 simulated years instead of 7
    "02_scenarios_to_10mt.ipynb": "YEARS = (2027, 2029)",
    # the Morris screening on 2 trajectories (its least) instead of 3, and the capacity of the
    # calibration year on 2 replications (its least) instead of 5
    "03_what_to_build_first.ipynb": "TRAJECTORIES = 2\nCAP_REPS = 2",
    # the plan keeps its two goal years (2026, 2027) from a later start; cost by route and the
    # appraisal run fewer years (the appraisal still spans the measures dated 2025-2026)
    "04_the_cheapest_plan.ipynb": (
        "RUN_YEARS, RUN_REPS = (2026, 2026), 2\nAPPRAISAL_YEARS = (2025, 2026)\nPLAN_YEARS = (2026, 2027)"
    ),
}


def _runs_this_python(argv: list[str]) -> bool:
    """A kernelspec starts this interpreter: jupyter_client swaps a bare 'python' for sys.executable."""
    exe = argv[0] if argv else ""
    if exe in {"python", f"python{sys.version_info[0]}", "python{}.{}".format(*sys.version_info[:2])}:
        return True
    return os.path.normcase(os.path.abspath(exe)) == os.path.normcase(os.path.abspath(sys.executable))


def _spec_ok() -> bool:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(KERNEL)
    except NoSuchKernel:
        return False
    return _runs_this_python(spec.argv)


@pytest.fixture(scope="session")
def kernel_name(tmp_path_factory):
    """'python3', made to start this interpreter: install ipykernel's spec into sys.prefix if
    jupyter_client does not find one (once per session); if a user-level spec still shadows it,
    put a private copy first on JUPYTER_PATH."""
    from ipykernel.kernelspec import install

    with pytest.MonkeyPatch.context() as mp:
        if not _spec_ok():
            try:
                install(user=False, prefix=sys.prefix)
            except OSError:
                pass
        if not _spec_ok():
            prefix = tmp_path_factory.mktemp("jupyter")
            install(user=False, prefix=str(prefix))
            mp.setenv(
                "JUPYTER_PATH",
                os.pathsep.join(filter(None, [str(prefix / "share" / "jupyter"), os.environ.get("JUPYTER_PATH")])),
            )
        assert _spec_ok(), "no python3 kernelspec for this interpreter"
        yield KERNEL


@pytest.mark.parametrize("name", NAMES)
def test_notebook_stored_clean(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    assert nb.nbformat == 4
    assert nb.metadata.get("kernelspec", {}).get("name") == KERNEL
    dirty = [
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count") is not None)
    ]
    assert not dirty, f"{name}: cells {dirty} have stored outputs; clear them before committing"


def _parameters_cell(nb) -> int:
    tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, f"expected one cell tagged 'parameters', found cells {tagged}"
    return tagged[0]


def _assigned(source: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return names


@pytest.mark.parametrize("name", sorted(PARAMETERS))
def test_the_suite_sets_only_parameters_the_notebook_has(name):
    """An override of a name the parameters cell no longer assigns would run the stored values
    unnoticed (and slowly): every name set here is one the notebook's parameters cell sets."""
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    stored = _assigned(nb.cells[_parameters_cell(nb)].source)
    assert _assigned(PARAMETERS[name]) <= stored, (_assigned(PARAMETERS[name]) - stored, stored)


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs(name, kernel_name, monkeypatch):
    # the kernel and its workers run untraced: measuring them (coverage starts in every Python
    # subprocess that inherits these variables) would cost the suite ~100 s and cover nothing the
    # library's own tests do not; the notebooks are here to prove the documentation runs
    for var in ("COVERAGE_PROCESS_CONFIG", "COVERAGE_PROCESS_START"):
        monkeypatch.delenv(var, raising=False)
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    if name in PARAMETERS:  # in memory only, after the parameters cell, as papermill injects them
        at = _parameters_cell(nb) + 1
        nb.cells.insert(at, nbformat.v4.new_code_cell(PARAMETERS[name], metadata={"tags": ["injected-parameters"]}))
    # First, in memory only: prove the kernel is this interpreter (the stored file is untouched).
    nb.cells.insert(0, nbformat.v4.new_code_cell(f"import sys\nassert sys.prefix == {sys.prefix!r}, sys.prefix"))
    client = nbclient.NotebookClient(
        nb, kernel_name=kernel_name, timeout=CELL_TIMEOUT_S, resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    t0 = time.perf_counter()
    client.execute()  # raises CellExecutionError on the first cell that fails
    elapsed = time.perf_counter() - t0
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors, errors
    print(f"{name}: {elapsed:.0f} s")
