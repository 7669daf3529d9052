"""The package's layout shows its architecture: one folder per stage, each importing only the
stages before it, with no import cycle and no import hidden in a function to dodge one.

The stages, in order (README, Architecture):

    helpers      corridor_sim/{_version, rng, calendar, stats, kpi, display}.py: pure, importable by all
    scenario     what a user writes: the schema, loading, checks, variants
    model        the simulation
    run          one run and its files
    experiments  many runs: execution, replications, comparison tables
    analyses     questions of many runs: sweep, bottlenecks, sensitivity, capacity, appraisal, plan, goal
    present      what people see: plots, the report, assumptions
    cli          the commands

``corridor_sim/__init__.py`` (the public API) and ``__main__.py`` sit above every stage; nothing in
the package imports them. Every check reads the source with ``ast``: nothing is imported.
"""

from __future__ import annotations

import ast
import importlib.util
import sys
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "corridor_sim"
HELPERS = ("_version", "rng", "calendar", "stats", "kpi", "display")
STAGES = ("scenario", "model", "run", "experiments", "analyses", "present", "cli")
TOP = ("corridor_sim", "corridor_sim.__main__")
# Imports allowed inside a function: optional extras, imported where they are used so that the
# package works without them (pip install 'corridor-sim[...]'), each with the reason.
LAZY = {
    "distributed": "[dask]: only --scheduler needs a Dask cluster",
    "SALib": "[sensitivity]: only Morris screening needs SALib (and scipy through it)",
    "ipywidgets": "[notebook]: only the explorer's widgets need it",
    "IPython": "[notebook]: the explorer displays its widgets in a notebook only",
    "pyarrow": "[parquet]: Parquet is written only where pyarrow is installed",
}
MAX_LINES = 1000
MAX_TOP_LEVEL_FILES = 10


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


MODULES = _modules()


def _rank(module: str) -> int:
    """0 for the helpers, 1.. for the stages in order, above all for the public API."""
    if module in TOP:
        return len(STAGES) + 1
    first = module.split(".")[1]
    if first in HELPERS:
        return 0
    if first in STAGES:
        return STAGES.index(first) + 1
    raise AssertionError(f"{module}: neither a helper nor in a stage folder ({', '.join(STAGES)})")


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The modules an import statement names (a name imported from a package is its submodule
    when there is one)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if node.level:
        base = module.split(".")
        if not MODULES[module].name == "__init__.py":
            base = base[:-1]
        base = base[: len(base) - node.level + 1]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    return [f"{target}.{a.name}" if f"{target}.{a.name}" in MODULES else target for a in node.names]


def _imports() -> tuple[dict[str, set[str]], list[str]]:
    """Each module's imports of the package at module level (type-checking ones included), and
    every import placed inside a function."""
    graph: dict[str, set[str]] = defaultdict(set)
    hidden = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(), str(path))

        def visit(node: ast.AST, in_function: bool, module: str = module, path: Path = path) -> None:
            for child in ast.iter_child_nodes(node):
                inside = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
                if isinstance(child, (ast.Import, ast.ImportFrom)):
                    for target in _targets(module, child):
                        if in_function:
                            if target.split(".")[0] not in LAZY:
                                hidden.append(f"{path.relative_to(PACKAGE.parent)}:{child.lineno}: import {target}")
                        elif target == "corridor_sim" or target.startswith("corridor_sim."):
                            graph[module].add(target)
                visit(child, inside)

        visit(tree, False)
    return graph, hidden


GRAPH, HIDDEN = _imports()


def test_every_module_is_a_helper_or_in_a_stage():
    for module in MODULES:
        _rank(module)


def test_no_stage_imports_a_later_one():
    bad = []
    for module, targets in GRAPH.items():
        for target in targets:
            if target in TOP and module not in TOP:
                bad.append(f"{module} imports the public API {target} (import what it re-exports from its stage)")
            elif _rank(target) > _rank(module):
                bad.append(f"{module} imports {target}, of a later stage")
    assert bad == []


def test_no_import_cycle():
    cycles = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    stack: list[str] = []

    def walk(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for t in sorted(GRAPH.get(m, ())):
            if t not in MODULES:
                continue
            if state.get(t) == 1:
                cycles.append(" -> ".join(stack[stack.index(t) :] + [t]))
            elif t not in state:
                walk(t)
        stack.pop()
        state[m] = 2

    for m in sorted(MODULES):
        if m not in state:
            walk(m)
    assert cycles == []


def test_no_import_inside_a_function_but_optional_extras():
    assert HIDDEN == [], "import at module level; only optional extras may wait (LAZY, with the reason)"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_over_the_size_limit(module):
    lines = len(MODULES[module].read_text().splitlines())
    assert lines <= MAX_LINES, f"{module}: {lines} lines; split it by what it models"


def test_few_files_directly_in_the_package():
    files = sorted(p.name for p in PACKAGE.iterdir() if p.is_file())
    assert len(files) <= MAX_TOP_LEVEL_FILES, files


def test_every_stage_has_its_folder_and_says_what_it_is():
    for stage in STAGES:
        init = PACKAGE / stage / "__init__.py"
        assert init.is_file(), f"corridor_sim/{stage}/ is missing"
        assert ast.get_docstring(ast.parse(init.read_text())), f"corridor_sim/{stage}/__init__.py: no docstring"


SCRIPTS = sorted((PACKAGE.parent / "benchmarks").glob("*.py")) + [PACKAGE.parent / "docs" / "make_figures.py"]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_the_scripts_the_readme_names_import_what_exists(script):
    """The benchmarks and the figure script are run by hand, not by the suite: a moved module must
    not leave them importing what is gone (the README's figures are computed by them)."""
    sys.path.insert(0, str(script.parent))  # a benchmark may import its neighbour (bench_year)
    try:
        spec = importlib.util.spec_from_file_location(f"script_{script.stem}", script)
        assert spec is not None and spec.loader is not None
        spec.loader.exec_module(importlib.util.module_from_spec(spec))  # top level only: main() is guarded
    finally:
        sys.path.remove(str(script.parent))
