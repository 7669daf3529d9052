"""The documentation site builds from docs/ with no warning (``mkdocs build --strict``), with
every page the navigation names: the API reference from the docstrings and the four notebooks
rendered (as stored, without running them)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mkdocs")
pytest.importorskip("mkdocstrings_handlers.python")
pytest.importorskip("mkdocs_jupyter")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ["01_base_2024", "02_scenarios_to_10mt", "03_what_to_build_first", "04_the_cheapest_plan"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site built once, in a temporary folder (the build's cache too: nothing is written into
    the repository)."""
    work = tmp_path_factory.mktemp("docs")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "DOCS_EXECUTE_NOTEBOOKS": "false"}
    r = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml"), "-d", str(work / "site")],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return r, work / "site"


def text_of(page: Path) -> str:
    import html

    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8"))))


def test_the_site_builds_with_no_warning(site):
    r, _ = site
    assert r.returncode == 0, r.stdout + r.stderr
    assert "WARNING" not in r.stderr and "WARNING" not in r.stdout, r.stderr


@pytest.mark.parametrize(
    "page",
    [
        "index.html",
        "getting-started/index.html",
        "architecture/index.html",
        "scenario/index.html",
        "kpis/index.html",
        "analyses/capacity/index.html",
        "analyses/bottlenecks/index.html",
        "analyses/plan/index.html",
        "analyses/appraise/index.html",
        "analyses/sensitivity/index.html",
        "api/index.html",
        "changelog/index.html",
        "findings/index.html",
        "limits/index.html",
        "scenarios/index.html",
        "costs/index.html",
        "shared/index.html",
        "calibration/index.html",
        "usage/index.html",
        "experiments/index.html",
        "outputs/index.html",
        "model/index.html",
        "performance/index.html",
        "tests/index.html",
    ],
)
def test_every_page_is_there(site, page):
    assert (site[1] / page).is_file()


def test_the_api_reference_comes_from_the_docstrings(site):
    import corridor_sim as cs

    text = text_of(site[1] / "api" / "index.html")
    for obj in (cs.load_scenario, cs.run, cs.estimate_capacity, cs.Replicated):
        first = " ".join((obj.__doc__ or "").replace("`", "").split())[:40]
        assert first and first in text, (obj.__name__, first)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_the_notebooks_are_rendered(site, name):
    import json

    page = site[1] / "notebooks" / name / "index.html"
    assert page.is_file()
    text = text_of(page)
    nb = json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text(encoding="utf-8"))
    code = next(c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip())
    line = next(x for x in "".join(code["source"]).splitlines() if x.strip()).strip()
    words = re.findall(r"\w+", line)[:3]
    assert all(w in text for w in words), (name, words)


def test_the_generated_reference_pages_are_the_committed_ones(site):
    """The scenario and KPI pages are docs/scenario.md and docs/kpis.md as the CLI generates them."""
    text = text_of(site[1] / "kpis" / "index.html")
    assert "tons_delivered" in text and "KPI definitions" in text


def test_one_version_string():
    """The version is written once (corridor_sim/_version.py): the package's metadata, the
    citation file and the changelog's newest heading follow it."""
    import tomllib
    from importlib.metadata import version

    import yaml

    import corridor_sim as cs

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert version("corridor-sim") == cs.__version__
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert citation["version"] == cs.__version__ and citation["cff-version"] == "1.2.0"
    assert citation["title"] and citation["authors"] and citation["license"] == "MIT"
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## {re.escape(cs.__version__)}\b", changelog, re.M)


def test_the_package_says_it_is_typed():
    """PEP 561: py.typed ships with the package, so type checkers of its users read its annotations."""
    import tomllib

    import corridor_sim as cs

    assert (Path(cs.__file__).parent / "py.typed").is_file()
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["package-data"]
    assert "py.typed" in data["corridor_sim"]


def test_what_left_the_readme_is_on_the_site(site):
    """The README keeps what a newcomer needs first; the rest moved to the site, with its figures:
    the calibration tables, the backcast and the model's mechanisms are there, and every image a
    page shows was copied into the site."""
    assert "Backcast" in text_of(site[1] / "calibration" / "index.html")
    assert "accepted_wait_days" in text_of(site[1] / "model" / "index.html")
    for page in site[1].rglob("index.html"):
        for src in re.findall(r'<img[^>]+src="([^"]+)"', page.read_text(encoding="utf-8")):
            if not src.startswith(("http", "data:")):
                assert (page.parent / src).resolve().is_file(), (page, src)
