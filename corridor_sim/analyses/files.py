"""What every analysis folder has in common: tables read back with a check that they are whole,
and the settings an analysis writes beside its tables. Each result type writes and reads its own
folder with these (``write(folder)``, ``read(folder)``), so the command line, the report and a
Python session write and read the same files.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from ..run.output import ResultsFolderError


def read_table(folder: str | Path, name: str, what: str, columns: Iterable[str], command: str) -> pd.DataFrame:
    """``folder/name``, a table of at least one row with every one of ``columns``; a
    ResultsFolderError naming the file (and the command that writes it) otherwise."""
    path = Path(folder) / name
    if not path.exists():
        raise ResultsFolderError(f"{folder}: no {name} (give a folder written by `corridor-sim {command}`)")
    return check_table(path, what, columns)


def check_table(path: Path, what: str, columns: Iterable[str]) -> pd.DataFrame:
    """A table read back, whole: at least one row and every one of ``columns``."""
    try:
        t = pd.read_csv(path)
    except Exception as exc:
        raise ResultsFolderError(f"{path}: the {what} is damaged ({type(exc).__name__})") from None
    missing = [c for c in columns if c not in t.columns]
    if missing or not len(t):
        raise ResultsFolderError(f"{path}: the {what} is damaged (missing {', '.join(missing) or 'rows'})")
    return t


def write_meta(path: Path, meta: dict) -> None:
    """An analysis's settings and how it ran, beside its tables (JSON)."""
    path.write_text(json.dumps(meta, indent=2, default=str))


def folder_meta(folder: str | Path, key: str) -> dict:
    """The first JSON file in ``folder`` that holds ``key`` (the analyses write their settings
    beside their tables), or {}."""
    for path in sorted(Path(folder).glob("*.json")):
        try:
            doc = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(doc, dict) and key in doc:
            return doc
    return {}
