"""Lint, format and type check as part of the test command (configured in pyproject.toml).

Each runs as a subprocess over the package, the tests and the benchmarks; a failure prints what
the tool said, so fixing it needs no second command.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PATHS = ["corridor_sim", "tests", "benchmarks"]


def _tool(name: str) -> str:
    exe = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if exe is None:
        pytest.fail(f"{name} is not installed: pip install -e '.[test]'")
    return exe


def _run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, f"{' '.join(cmd[:3])} ... found problems:\n{proc.stdout[-6000:]}{proc.stderr[-2000:]}"


def test_ruff_lint():
    _run([_tool("ruff"), "check", *PATHS])


def test_ruff_format():
    _run([_tool("ruff"), "format", "--check", *PATHS])


def test_mypy():
    _run([_tool("mypy"), "corridor_sim"])
