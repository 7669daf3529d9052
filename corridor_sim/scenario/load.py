"""Loading a scenario: its file and the files it extends, a demand case, ``--set`` overrides,
validation and every check, with every problem reported under its YAML path and line.

``validate_dict`` is the one validation: the schema (pydantic), the references between sections,
charges, demand paths and cases (``checks``), the timeline (resolved once, ``timeline``) and the
uncertain parameters. ``load_scenario`` reads a file through it; ``variants`` derives changed
scenarios through it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .checks import check_charges, check_demand_cases, check_demand_paths, check_references
from .files import resolve_file
from .paths import apply_changes, apply_override, parse_override, value_at
from .problems import Chain, Problem, ScenarioError, explain, line_of, locate, readable_path
from .schema import Scenario
from .timeline import Timeline
from .whatif import Held, hold, refused


def validate_dict(
    raw: dict,
    source: str = "<scenario>",
    tree: yaml.Node | Chain | None = None,
    check_dates: bool = True,
    exempt: frozenset[str] = frozenset(),
) -> Scenario:
    """Validate a raw scenario mapping; raise ScenarioError listing every problem. ``exempt``: the
    timeline entries and demand path points whose years are not checked against the run's
    (``timeline.<id>``, ``demand.flows.<id>.tons_by_year.<year>``: a parent's, in a shorter child)."""
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
    probs += check_demand_paths(scn, check_dates, exempt) + check_demand_cases(raw, scn)
    if probs:
        raise ScenarioError(source, [Problem(p.path, p.message, locate(chain, p.path)) for p in probs])
    if scn.timeline:
        # resolved once, here, and carried by the scenario to the model (timeline.timeline)
        scn.derived["timeline"] = Timeline.build(scn, source, chain, check_dates, exempt)
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
    over the case, for the whole run (``whatif``: the timeline's later values of the field are
    shifted with it); ``years`` replaces start_year and end_year. Timeline dates and demand paths
    are checked against the file's own years, except a parent's (``shorter``); with other
    ``years``, or in a child that runs fewer years than its parent, earlier entries are in force
    from the start and later ones never come, as the scenario's notes say.
    """
    src = str(path)
    raw, chain = resolve_file(path)
    exempt, note = shorter(raw, chain)
    if raw.get("demand_cases"):
        # the file and every case, before one is applied
        validate_dict(copy.deepcopy(raw), src, chain, exempt=exempt)
    choose_demand_case(raw, demand_case, src)
    exempt, note = shorter(raw, chain)  # again: a case of the parent's may write demand paths
    items = _overrides(overrides, src)
    notes = list(raw.get("notes") or []) if isinstance(raw.get("notes"), list) else []
    held = Held()
    if items:
        trial = copy.deepcopy(raw)
        try:
            held = hold(trial, dict(items), source=src, defaults=_defaults(raw))
        except KeyError:  # name every path that does not exist, not only the first
            probs = []
            for p, v in items:
                try:
                    apply_override(raw, p, v)
                except KeyError as exc:
                    probs.append(Problem(f"--set {p}", exc.args[0]))
            raise ScenarioError(
                src, probs, header=f"{src}: an override does not name a field of the scenario"
            ) from None
        raw = trial
        # recorded, so that results, folders and reports say which what-if they are
        recorded = dict(raw.get("overrides") or {}) if isinstance(raw.get("overrides"), dict) else {}
        recorded.update(dict(items))
        raw["overrides"] = recorded
    notes += held.notes + ([note] if note else [])
    if notes:
        raw["notes"] = notes
    try:
        scn = validate_dict(raw, src, chain, exempt=exempt)
    except ScenarioError as exc:
        raise refused(exc, held, src) from None
    if years is not None and years != (scn.start_year, scn.end_year):
        raw["start_year"], raw["end_year"] = years
        moved = _outside([(iv.id, iv.date) for iv in scn.timeline], *years)
        if moved:
            raw["notes"] = notes + [f"--years {years[0]}-{years[1]}: {moved}"]
        scn = validate_dict(raw, src, chain, check_dates=False)
    return scn


def _defaults(raw: dict) -> Callable[[str], Any]:
    """The value of a field a raw scenario leaves to the schema's default (None if it cannot tell:
    the scenario is not valid, and validation will say why)."""
    full: list[dict] = []

    def default(path: str) -> Any:
        if not full:
            try:
                full.append(Scenario.model_validate(copy.deepcopy(raw)).model_dump(mode="python", by_alias=True))
            except ValidationError:
                full.append({})
        try:
            return value_at(full[0], path)
        except KeyError:
            return None

    return default


def _outside(entries: list[tuple[str, Any]], first: int, last: int) -> str:
    """What happens to timeline entries (id, date) outside the years first-last, as a note."""
    after = [f"{i} ({d})" for i, d in entries if d.year > last]
    before = [f"{i} ({d})" for i, d in entries if d.year < first]
    out = []
    if after:
        out.append(f"the timeline entries after {last} never come: {', '.join(after)}")
    if before:
        out.append(f"the timeline entries before {first} are in force from the start: {', '.join(before)}")
    return "; ".join(out)


def shorter(raw: dict, chain: Chain) -> tuple[frozenset[str], str]:
    """A child that runs fewer years than the files it extends: the parent's timeline entries and
    demand path points outside the child's years (paths exempt from the date checks, as with
    --years), and the note that says so; nothing for a file that extends none.

    The parent's entries after the child's last year never come, those before its first are in
    force from the start; its demand path points outside the child's years stay points of the path
    (dropping them would change the demand in the years the child runs), they are not refused."""
    if len(chain) < 2:
        return frozenset(), ""
    own = chain[0][1]
    try:
        first, last = int(raw["start_year"]), int(raw["end_year"])
        base_year = int(raw["demand"]["base_year"])
        flows = [f for f in raw["demand"]["flows"] if isinstance(f, dict)]
        entries = [e for e in raw.get("timeline") or [] if isinstance(e, dict)]
    except (KeyError, TypeError, ValueError):
        return frozenset(), ""  # the schema reports what is missing or malformed
    exempt: set[str] = set()
    moved = []
    for e in entries:
        date = e.get("date")
        year = getattr(date, "year", None)
        if year is not None and not first <= year <= last and not line_of(own, f"timeline.{e.get('id')}", exact=True):
            exempt.add(f"timeline.{e.get('id')}")
            moved.append((str(e.get("id")), date))
    points = []
    for f in flows:
        tby = f.get("tons_by_year")
        if not isinstance(tby, dict) or line_of(own, f"demand.flows.{f.get('id')}.tons_by_year", exact=True):
            continue
        for y in tby:
            if isinstance(y, int) and not min(first, base_year) <= y <= last:
                exempt.add(f"demand.flows.{f.get('id')}.tons_by_year.{y}")
                points.append(f"{f.get('id')} {y}")
    if not exempt:
        return frozenset(), ""
    parts = []
    if moved:
        parts.append(_outside(moved, first, last))
    if points:
        parts.append(f"demand path points outside them only shape the path: {', '.join(points)}")
    return frozenset(exempt), (
        f"runs {first}-{last}, fewer years than the files it extends ({', '.join(p.name for p, _ in chain[1:])}): "
        + "; ".join(parts)
    )
