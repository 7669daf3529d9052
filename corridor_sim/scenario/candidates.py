"""Candidate measures for ``corridor-sim plan``: a candidates file, read and checked against the
scenario it is for (every candidate's changes name fields of it, and the scenario with it is valid)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pydantic import ValidationError

from .candidate_schema import Candidate, CandidateSet
from .files import read_yaml
from .problems import Chain, Problem, ScenarioError, explain, locate, readable_path
from .schema import Scenario
from .units import FIRST_YEAR, LAST_YEAR
from .variants import with_entries, without


def load_candidates(path: str | Path, scenario: Scenario) -> list[Candidate]:
    """Read a candidates file and check that every candidate applies to ``scenario``: its
    set/scale paths name fields of it and the result validates (ScenarioError naming the file,
    the candidate's field and its line otherwise)."""
    src = str(path)
    if not Path(path).is_file():
        raise ScenarioError(src, [], header=f"{src}: no such candidates file")
    raw, tree = read_yaml(Path(path), src)
    chain: Chain = [(Path(path), tree)]
    try:
        cset = CandidateSet.model_validate(raw)
    except ValidationError as exc:
        probs = []
        for err in exc.errors():
            p = readable_path(raw, tuple(err["loc"]))
            probs.append(Problem(p, explain(err, CandidateSet), locate(chain, p)))
        n = len(probs)
        raise ScenarioError(
            src, probs, header=f"{src}: the candidates file is not valid ({n} problem{'s' if n != 1 else ''})"
        ) from None
    probs = []
    for c in cset.candidates:
        where = f"candidates.{c.id}"
        if (
            not FIRST_YEAR <= c.earliest_start.year <= LAST_YEAR
            or c.earliest_start.year + c.lead_time_years > LAST_YEAR
        ):
            at = f"{where}.earliest_start"
            probs.append(
                Problem(
                    at,
                    f"{c.earliest_start} with a lead time of {c.lead_time_years:g} years is outside the years a "
                    f"scenario can have ({FIRST_YEAR}-{LAST_YEAR}); give the first day works can start, "
                    f"no later than {LAST_YEAR} less the lead time",
                    locate(chain, at),
                )
            )
            continue
        first = max(c.earliest_service, dt.date(scenario.start_year, 1, 1))
        try:
            with_entries(scenario, c.entries(first))
        except ScenarioError as exc:
            for prob in exc.problems:
                probs.append(
                    Problem(where, f"does not apply to scenario '{scenario.name}': {prob}", locate(chain, where))
                )
    if probs:
        raise ScenarioError(src, probs, header=f"{src}: a candidate does not fit the scenario")
    return list(cset.candidates)


def own_candidates(scenario: Scenario, from_year: int) -> tuple[Scenario, list[Candidate]]:
    """The scenario's own costed timeline entries dated from ``from_year`` on, as candidates (each
    in service at the earliest on its own date: its lead time is in the date), and the scenario
    without them: a plan may then choose whether and when to build them (Zangezur, Alat phase 2,
    the rail programmes dated in a scenario)."""
    own = [iv for iv in scenario.timeline if iv.capex_musd is not None and iv.date >= dt.date(from_year, 1, 1)]
    cands = [
        Candidate(
            id=iv.id,
            description=iv.description,
            source=f"the scenario's own timeline entry (dated {iv.date.isoformat()}): {iv.source}",
            capex_musd=float(iv.capex_musd or 0.0),
            opex_musd_per_year=iv.opex_musd_per_year,
            earliest_start=iv.date,
            lead_time_years=0.0,
            set=dict(iv.set),
            scale=dict(iv.scale),
        )
        for iv in own
    ]
    return (without(scenario, [iv.id for iv in own]) if own else scenario), cands
