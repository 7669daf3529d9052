"""The explorer answers the question a full run answers: the year chosen is reached along the
scenario's path from its first year, with replications and an interval, on the full run's seeds;
it offers only scenario files; its what-ifs hold against the timeline by the one rule; and it and
all four notebooks need nothing beyond ``pip install -e '.[notebook]'``."""

from __future__ import annotations

import ast
import json
import re
import sys
from importlib import metadata
from pathlib import Path

import pytest

import corridor_sim as cs
from corridor_sim.present.explore import explorer, scenario_files, what_if

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.untraced  # a whole-corridor job (conftest.py)
def test_the_explorers_year_is_the_full_runs_year(base_path):
    """The base run to 2027 with two replications (seeds 1 and 2), against the explorer's 2027 on
    the same seeds: the full run's figure lies within the explorer's 95% interval, and since both
    follow the same path on the same seeds they agree to the digit. (The old explorer ran its year
    alone from an empty corridor: in 2035, 4.58 Mt against 4.41 ± 0.09 in the full run.) The
    property holds for any year; 2027 keeps the paths short (four years each)."""
    w = what_if(base_path, year=2027, replications=2, workers=2)
    assert (w.year, w.start_year, w.replications) == (2027, 2024, 2)
    s = cs.load_scenario(base_path, years=(2024, 2027))
    full = cs.Replicated(s, 1, cs.replicate(s, 2, 1, workers=2)).totals.set_index("year").loc[2027]
    assert w.delivered_mt_ci_low is not None and w.delivered_mt_ci_high is not None
    assert w.delivered_mt_ci_low <= full.delivered_mt_mean <= w.delivered_mt_ci_high
    assert w.delivered_mt == pytest.approx(full.delivered_mt_mean, abs=1e-9)
    assert "2027 (the path from 2024, 2 replications)" in repr(w) and "±" in repr(w)


def test_the_explorer_offers_only_scenarios():
    files = [p.name for p in scenario_files(SCENARIOS)]
    assert "base.yaml" in files and "zangezur.yaml" in files
    assert "candidates.yaml" not in files
    for f in scenario_files(SCENARIOS):  # every file offered loads as a scenario
        cs.load_scenario(f)
    ui = explorer(SCENARIOS)
    assert ui is not None  # ipywidgets is in the test extra
    dropdown = ui.children[0].children[0]
    assert [name for name, _ in dropdown.options] == [p.stem for p in scenario_files(SCENARIOS)]


def test_a_year_outside_the_scenario_is_refused(base_path):
    with pytest.raises(ValueError, match="outside the years"):
        what_if(base_path, year=2040, replications=2)


def _imports(nb: Path) -> set[str]:
    """The top-level modules a notebook's code cells import (magics left out)."""
    cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
    code = "\n".join(
        "\n".join(line for line in "".join(c["source"]).splitlines() if not line.lstrip().startswith(("%", "!")))
        for c in cells
        if c["cell_type"] == "code"
    )
    names = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def _closure(requirements: list[str]) -> set[str]:
    """The distributions these requirements install, with their own dependencies (extras of the
    dependencies left out, as pip leaves them out)."""
    seen: set[str] = set()
    todo = [re.split(r"[ ;<>=!~\[]", r, maxsplit=1)[0] for r in requirements]
    while todo:
        name = todo.pop().lower().replace("_", "-")
        if name in seen:
            continue
        seen.add(name)
        try:
            reqs = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        todo += [re.split(r"[ ;<>=!~\[]", r, maxsplit=1)[0] for r in reqs if "extra ==" not in r]
    return seen


def test_the_notebooks_need_only_the_notebook_extra():
    """Every module the four notebooks import is the standard library's, corridor-sim's or
    installed by corridor-sim with its [notebook] extra (not by [test]: notebooks 02 and 03 used
    to import scipy, which only the sensitivity extra brought)."""
    meta = metadata.metadata("corridor-sim")
    core = [r for r in meta.get_all("Requires-Dist") if "extra ==" not in r]
    notebook = [r for r in meta.get_all("Requires-Dist") if re.search(r"extra\s*==\s*['\"]notebook['\"]", r)]
    assert any(r.startswith("ipykernel") for r in notebook) and any(r.startswith("jupyterlab") for r in notebook)
    allowed = _closure(core + notebook) | {"corridor-sim"}
    owners = metadata.packages_distributions()
    assert len(NOTEBOOKS) == 4
    for nb in NOTEBOOKS:
        for module in _imports(nb):
            if module in sys.stdlib_module_names:
                continue
            dists = {d.lower().replace("_", "-") for d in owners.get(module, [])}
            assert dists & allowed, f"{nb.name} imports {module} ({dists or 'not installed'}), not in [notebook]"
