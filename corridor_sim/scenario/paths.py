"""Dotted paths into a scenario, as ``--set``, timeline entries, candidates and demand cases name
fields: ``demand.flows.crude_kz_btc.tons_per_year``, list items by id (terminals by cargo) or index.

They act on the raw mapping of a scenario (what a file holds, before validation); the result is
validated like a file by whoever edits it (``load``, ``timeline``, ``variants``).
"""

from __future__ import annotations

from typing import Any

from .problems import item_key
from .safeyaml import YamlInputError, YamlSyntaxError, load_value


def parse_override(text: str) -> tuple[str, Any]:
    """Split ``dotted.path=VALUE``; the value is read as a YAML scalar (numbers, true/false, lists).

    >>> parse_override("demand.scale=1.5")
    ('demand.scale', 1.5)
    >>> parse_override("sea_lines.ferry_kuryk_alat.vessels.asco_ferries.count=8")
    ('sea_lines.ferry_kuryk_alat.vessels.asco_ferries.count', 8)
    """
    if "=" not in text:
        raise ValueError(f"--set takes dotted.path=VALUE, got {text!r}")
    path, value = text.split("=", 1)
    path = path.strip()
    if not path:
        raise ValueError(f"--set has an empty path in {text!r}")
    try:
        parsed = load_value(value) if value.strip() else None
    except YamlSyntaxError:
        parsed = value  # not YAML: the text itself (validation names the field)
    except YamlInputError as exc:
        raise ValueError(f"--set {path}: the value {exc}") from None
    return path, parsed


def slot(raw: dict, path: str, create: bool, own: bool = False) -> tuple[Any, Any]:
    """The container and key that ``path`` names in a raw scenario dict (KeyError if it does not exist).

    With ``create``, the last key of a mapping may be new (validation then names it if unknown).
    With ``own``, each container on the way below ``raw`` is replaced by a shallow copy of itself, so
    that a change at the end touches no dict or list ``raw`` shares with another (a timeline's
    states share what their entries do not change).
    """
    parts = path.split(".")
    node: Any = raw
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        where = ".".join(parts[: i + 1])
        key: str | int | None
        if isinstance(node, dict):
            key = part
            if part.isdigit() and all(isinstance(k, int) for k in node):
                key = int(part)  # a year path (tons_by_year: {2027: ...}) is keyed by numbers
            if key not in node and not (last and create):
                known = ", ".join(sorted(map(str, node))) or "none"
                raise KeyError(f"'{where}' does not exist (keys here: {known})")
        elif isinstance(node, list):
            key = next((j for j, it in enumerate(node) if item_key(it) == part), None)
            if key is None and part.isdigit() and int(part) < len(node):
                key = int(part)
            if key is None:
                ids = [k for k in map(item_key, node) if k]
                known = ", ".join(ids) if ids else f"index 0..{len(node) - 1}"
                raise KeyError(f"'{where}' does not exist (items here: {known})")
        elif node is None:
            raise KeyError(f"'{'.'.join(parts[:i])}' is not set (null), so '{where}' does not exist")
        else:
            raise KeyError(f"'{'.'.join(parts[:i])}' is a value, not a section, so '{where}' does not exist")
        if last:
            return node, key
        if own and isinstance(node[key], dict | list):
            node[key] = node[key].copy()
        node = node[key]
    raise KeyError(f"empty path '{path}'")


def apply_override(raw: dict, path: str, value: Any) -> None:
    """Set ``path`` in the raw scenario dict. Lists are indexed by item id or position."""
    node, key = slot(raw, path, create=True)
    node[key] = value


def scale_value(raw: dict, path: str, factor: float) -> None:
    """Multiply the number at ``path`` by ``factor``."""
    node, key = slot(raw, path, create=False)
    value = node[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise KeyError(f"'{path}' is {value!r}, not a number, so it cannot be scaled")
    node[key] = value * factor


def value_at(raw: dict, path: str) -> Any:
    """The value at ``path`` in a raw scenario dict (KeyError if it does not exist)."""
    node, key = slot(raw, path, create=False)
    return node[key]


def apply_changes(raw: dict, set_: dict[str, Any], scale: dict[str, float]) -> None:
    """Apply ``set`` (dotted path: value) then ``scale`` (dotted path: factor) to a raw scenario;
    every path must exist (KeyError naming the first that does not)."""
    for path, value in set_.items():
        slot(raw, path, create=False)
        apply_override(raw, path, value)
    for path, factor in scale.items():
        scale_value(raw, path, factor)
