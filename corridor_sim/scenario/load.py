"""Loading a scenario: its file and the files it extends, a demand case, ``--set`` overrides,
validation and every check, with every problem reported under its YAML path and line.

``validate_dict`` is the one validation: the schema (pydantic), the references between sections,
charges, demand paths and cases (``checks``), the timeline (resolved once, ``timeline``) and the
uncertain parameters. ``load_scenario`` reads a file through it; ``variants`` derives changed
scenarios through it.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .checks import check_charges, check_demand_cases, check_demand_paths, check_references
from .files import resolve_file
from .paths import apply_changes, apply_override, parse_override, value_at
from .problems import Chain, Problem, ScenarioError, explain, locate, readable_path
from .schema import Scenario
from .timeline import Timeline


def validate_dict(
    raw: dict, source: str = "<scenario>", tree: yaml.Node | Chain | None = None, check_dates: bool = True
) -> Scenario:
    """Validate a raw scenario mapping; raise ScenarioError listing every problem."""
    chain: Chain | None = tree if isinstance(tree, list) else ([(Path(source), tree)] if tree is not None else None)
    try:
        scn = Scenario.model_validate(raw)
    except ValidationError as exc:
        probs = []
        for err in exc.errors():
            path = readable_path(raw, tuple(err["loc"]))
            probs.append(Problem(path, explain(err), locate(chain, path)))
        raise ScenarioError(
            source,
            probs,
            header=(
                f"{source}: the scenario is not valid ({len(probs)} problem{'s' if len(probs) != 1 else ''}; "
                "references between sections, such as route nodes, are checked once these are fixed)"
            ),
        ) from None
    probs = check_references(scn)
    probs += check_charges(scn) if not probs else []
    probs += check_demand_paths(scn, check_dates) + check_demand_cases(raw, scn)
    if probs:
        raise ScenarioError(source, [Problem(p.path, p.message, locate(chain, p.path)) for p in probs])
    if scn.timeline:
        # resolved once, here, and carried by the scenario to the model (timeline.timeline)
        scn.derived["timeline"] = Timeline.build(scn, source, chain, check_dates)
    probs = _uncertain(raw, scn, chain)
    if probs:
        raise ScenarioError(source, probs)
    return scn


def _uncertain(raw: dict, scn: Scenario, chain: Chain | None) -> list[Problem]:
    """Every path of an uncertain parameter names a number of the scenario."""
    probs = []
    for i, u in enumerate(scn.uncertain):
        for path in u.paths:
            where = locate(chain, f"uncertain.{i}")
            try:
                value = value_at(raw, path)
            except KeyError as exc:
                probs.append(Problem(f"uncertain.{i}.path", f"unknown parameter path: {exc.args[0]}", where))
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                probs.append(Problem(f"uncertain.{i}.path", f"'{path}' is {value!r}, not a number", where))
    return probs


def choose_demand_case(raw: dict, case: str | None, source: str) -> None:
    """Apply demand case ``case`` (default: the file's ``demand_case``, else 'central') to the raw
    scenario. A case other than central renames the scenario ``<name>_<case>``, so its results
    never land in, or get mistaken for, the central case's folder; its ``file_name`` keeps the
    name it has in its file."""
    cases = raw.get("demand_cases") or []
    if not isinstance(cases, list):
        return  # the schema reports it
    chosen = case or raw.get("demand_case") or "central"
    by_id = {c.get("id"): c for c in cases if isinstance(c, dict)}
    if chosen not in by_id:
        if case is None and chosen == "central":
            return  # no cases declared: the file's own demand
        known = ", ".join(str(k) for k in by_id) or "none (the scenario declares no demand_cases)"
        raise ScenarioError(
            source,
            [Problem("--demand-case", f"unknown demand case '{chosen}'; cases: {known}")],
            header=f"{source}: the demand case does not exist",
        )
    c = by_id[chosen]
    try:
        apply_changes(raw, dict(c.get("set") or {}), dict(c.get("scale") or {}))
    except (KeyError, TypeError) as exc:
        raise ScenarioError(source, [Problem(f"demand_cases.{chosen}", f"cannot be applied: {exc}")]) from None
    raw["demand_case"] = chosen
    if chosen != "central" and isinstance(raw.get("name"), str):
        raw.setdefault("file_name", raw["name"])
        raw["name"] = f"{raw['name']}_{chosen}"


def _overrides(overrides: dict[str, Any] | list[str] | None, src: str) -> list[tuple[str, Any]]:
    """The overrides as (path, value): a mapping as given, or ``path=value`` strings as --set gives them."""
    if isinstance(overrides, dict):
        return list(overrides.items())
    items: list[tuple[str, Any]] = []
    for text in overrides or []:
        try:
            items.append(parse_override(text))
        except ValueError as exc:
            raise ScenarioError(src, [Problem("--set", str(exc))], header=f"{src}: an override is malformed") from None
    return items


def load_scenario(
    path: str | Path,
    overrides: dict[str, Any] | list[str] | None = None,
    years: tuple[int, int] | None = None,
    demand_case: str | None = None,
) -> Scenario:
    """Load a scenario file (and the files it extends), apply a demand case and overrides, and validate.

    ``demand_case`` names one of the file's ``demand_cases`` (default: central); ``overrides`` maps
    dotted paths to values (or is a list of ``path=value`` strings, as --set gives them) and wins
    over the case; ``years`` replaces start_year and end_year. Timeline dates and demand paths are
    checked against the file's own years; with other ``years``, earlier interventions are in force
    from the start and later ones never come.
    """
    src = str(path)
    raw, chain = resolve_file(path)
    if raw.get("demand_cases"):
        validate_dict(copy.deepcopy(raw), src, chain)  # the file and every case, before one is applied
    choose_demand_case(raw, demand_case, src)
    items = _overrides(overrides, src)
    probs = []
    for p, v in items:
        try:
            apply_override(raw, p, v)
        except KeyError as exc:
            probs.append(Problem(f"--set {p}", exc.args[0]))
    if probs:
        raise ScenarioError(src, probs, header=f"{src}: an override does not name a field of the scenario")
    if items:  # recorded, so that results, folders and reports say which what-if they are
        recorded = dict(raw.get("overrides") or {}) if isinstance(raw.get("overrides"), dict) else {}
        recorded.update(dict(items))
        raw["overrides"] = recorded
    scn = validate_dict(raw, src, chain)
    if years is not None and years != (scn.start_year, scn.end_year):
        raw["start_year"], raw["end_year"] = years
        scn = validate_dict(raw, src, chain, check_dates=False)
    return scn
