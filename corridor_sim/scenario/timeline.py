"""A scenario's timeline, resolved once: the scenario after each dated entry.

Every entry is applied, in date order, to the scenario as data and the result validated like a
file, so a bad value, path or date is an error before the run starts. The loader builds the
``Timeline`` while it validates the scenario and keeps it with it (``Scenario.derived``); the
model, the run-size estimate, the capacity estimator and the plots read it from there
(``timeline(s)``), so it is resolved once whoever asks first.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from dataclasses import dataclass

from pydantic import ValidationError

from ..calendar import Calendar
from .checks import check_references
from .paths import apply_override, scale_value, slot
from .problems import Chain, Problem, ScenarioError, explain, locate, readable_path
from .schema import Intervention, Scenario

TIMELINE_SECTIONS = ("rail_links", "ports", "sea_lines", "rolling_stock", "caspian", "demand")


def _structure(s: Scenario) -> tuple:
    """What a timeline may not change: the network and the flows' routes (it may open or close them)."""
    return (
        tuple((l.id, l.from_node, l.to_node) for l in s.rail_links),
        tuple((p.id, tuple(t.cargo for t in p.terminals)) for p in s.ports),
        tuple((l.id, l.from_port, l.to_port, l.cargoes, tuple(v.id for v in l.vessels)) for l in s.sea_lines),
        tuple((f.id, f.cargo, tuple((r.id, tuple(r.path)) for r in f.routes)) for f in s.demand.flows),
        tuple((p.id, p.kind, tuple(p.cargo), tuple(p.railways)) for p in s.rolling_stock),
        tuple(l.railway for l in s.rail_links),
        s.caspian is None,
        s.demand.base_year,
    )


@dataclass(frozen=True, eq=False)  # it holds its scenario, which holds it: compared by identity
class Timeline:
    """The scenario ``base`` and, for each of its timeline entries in date order (ties keep file
    order), the scenario as it stands after it (``states``)."""

    base: Scenario
    states: tuple[tuple[Intervention, Scenario], ...]

    def __iter__(self) -> Iterator[tuple[Intervention, Scenario]]:
        return iter(self.states)

    def __len__(self) -> int:
        return len(self.states)

    def scenarios(self) -> list[Scenario]:
        """Every state the run goes through: the scenario itself, then after each entry."""
        return [self.base] + [after for _, after in self.states]

    def after(self, entry_id: str) -> Scenario:
        """The scenario as it stands after the entry ``entry_id``."""
        return next(after for iv, after in self.states if iv.id == entry_id)

    def on(self, day: dt.date) -> Scenario:
        """The scenario as it stands at the end of ``day``: every entry dated up to then applied."""
        out = self.base
        for iv, after in self.states:
            if iv.date <= day:
                out = after
        return out

    def year_shares(self, year: int) -> list[tuple[float, Scenario]]:
        """The states in force during ``year``, each with the share of the year it holds."""
        cal = Calendar(year, year)
        start, end = cal.year_start_h(year), cal.year_start_h(year + 1)
        changes = [(-math.inf, self.base)] + [(cal.date_h(iv.date), st) for iv, st in self.states]
        out = []
        for i, (t0, st) in enumerate(changes):
            t1 = changes[i + 1][0] if i + 1 < len(changes) else math.inf
            lo, hi = max(t0, start), min(t1, end)
            if hi > lo:
                out.append(((hi - lo) / (end - start), st))
        return out

    @classmethod
    def build(
        cls,
        s: Scenario,
        source: str = "<scenario>",
        chain: Chain | None = None,
        check_dates: bool = True,
        exempt: frozenset[str] = frozenset(),
    ) -> Timeline:
        """Resolve ``s``'s timeline, or raise one ScenarioError listing every entry that does not
        apply (its date outside the run with ``check_dates``, unless the entry's path is ``exempt``;
        a path that does not exist or outside TIMELINE_SECTIONS, a scenario after it that is not
        valid, a change of the network)."""
        if not s.timeline:
            return cls(s, ())
        raw = s.model_dump(mode="python", by_alias=True)
        raw["timeline"] = []
        start, end = dt.date(s.start_year, 1, 1), dt.date(s.end_year, 12, 31)
        shape = _structure(s)
        states, probs = [], []
        for iv in sorted(s.timeline, key=lambda i: i.date):
            ip = f"timeline.{iv.id}"
            if check_dates and not (start <= iv.date <= end) and ip not in exempt:
                probs.append(
                    Problem(
                        f"{ip}.date", f"{iv.date} is outside the run ({start} to {end})", locate(chain, f"{ip}.date")
                    )
                )
                continue
            # a new top level; below it, the state before is shared, and each container on the
            # entry's paths is copied as _apply reaches it (slot(..., own=True)): a deep copy of
            # the whole scenario per entry was most of a long timeline's load
            new = dict(raw)
            wrong = _apply(new, iv, chain)
            if wrong:
                probs += wrong
                continue
            try:
                after = Scenario.model_validate(new)
                refs = check_references(after)
            except ValidationError as exc:
                refs = [Problem(readable_path(new, tuple(e["loc"])), explain(e)) for e in exc.errors()]
            if refs:
                probs.extend(Problem(f"{ip}", f"after it, {p.path}: {p.message}", locate(chain, ip)) for p in refs)
                continue
            if _structure(after) != shape:
                probs.append(
                    Problem(
                        ip,
                        "a timeline may change values, counts and open/close routes, but not the "
                        "network (links, ports, lines, vessel groups, routes): define those in the "
                        "scenario and open them at the date",
                        locate(chain, ip),
                    )
                )
                continue
            raw = new
            states.append((iv, after))
        if probs:
            raise ScenarioError(
                source,
                probs,
                header=f"{source}: the timeline is not valid ({len(probs)} problem{'s' if len(probs) != 1 else ''})",
            )
        return cls(s, tuple(states))


def _apply(raw: dict, iv: Intervention, chain: Chain | None) -> list[Problem]:
    """Apply one entry's ``set`` and ``scale`` to a raw scenario; the problems with its paths."""
    ip = f"timeline.{iv.id}"
    probs = []
    for op, items in (("set", iv.set), ("scale", iv.scale)):
        for path, value in items.items():
            where = locate(chain, f"{ip}.{op}")
            if path.split(".")[0] not in TIMELINE_SECTIONS:
                probs.append(
                    Problem(f"{ip}.{op}.{path}", f"a timeline may change only {', '.join(TIMELINE_SECTIONS)}", where)
                )
                continue
            try:
                slot(raw, path, create=False, own=True)  # it exists; its containers are this state's own
                if op == "set":
                    apply_override(raw, path, value)
                else:
                    scale_value(raw, path, value)
            except KeyError as exc:
                probs.append(Problem(f"{ip}.{op}.{path}", f"unknown parameter path: {exc.args[0]}", where))
    return probs


def timeline(s: Scenario) -> Timeline:
    """``s``'s timeline, resolved once: as the loader resolved and checked it, or now for a
    scenario built without the loader (``Scenario.model_validate``), with its dates unchecked."""
    t = s.derived.get("timeline")
    if not isinstance(t, Timeline):
        t = s.derived["timeline"] = Timeline.build(s, check_dates=False)
    return t
