"""The one rule for a what-if against the timeline: a what-if holds for the whole run.

A what-if (``--set``, a sweep's or a sensitivity sample's point, a bottleneck lever, the
explorer's added vessels) changes a field of the scenario as its file writes it. A dated timeline
entry that sets the same field later would otherwise overwrite it at its date, silently throwing
the what-if away. So, when a what-if is applied (``hold``), the timeline's later values of that
field are changed with it:

- a number set to a new value: each later value the timeline sets is shifted by the same delta
  (the file's feeder count 0, ``--set ...count=3``: +3, and the timeline's 1 becomes 4);
- a number scaled by a factor: each later value the timeline sets is scaled by the same factor;
- anything else (text, a switch, a whole section, a field the file leaves empty): the what-if
  replaces the timeline's later values of it, and of anything inside it;
- a timeline entry that scales the field scales the what-if's value (nothing to change).

A shifted value that makes no sense (a value the timeline sets that is not a number; a section
the timeline writes without the field) is refused here; one that is out of bounds (a vessel count
below 0) is refused when the scenario is validated. Either way ``refusal`` turns it into one
paragraph naming the timeline entry and its date. Every entry changed is said in a note, which
the scenario keeps (``Scenario.notes``) and the run writes to its metadata.

``fixed`` values (the capacity probes' demand with no response) replace the timeline's values
whatever their type: they are held at exactly that value.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .paths import slot, value_at
from .problems import ScenarioError


@dataclass
class Held:
    """What applying what-ifs did to the timeline: a note per what-if that changed an entry, and
    the entries changed (id -> date), so that a problem with one of them is told as a refusal."""

    notes: list[str] = field(default_factory=list)
    entries: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (date, what-if)


class CannotHold(Exception):
    """A what-if that cannot hold against a timeline entry (the message is one sentence)."""


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _text(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


def _shift(old: Any, kind: str, amount: Any) -> Any:
    """``old`` (a value the timeline sets) shifted as the what-if shifted its field."""
    if kind == "replace":
        return copy.deepcopy(amount)
    if not _number(old):
        raise CannotHold(f"sets it to {old!r}, which is not a number and cannot be shifted")
    out = old + amount if kind == "delta" else old * amount
    if isinstance(old, int) and isinstance(out, float) and out.is_integer() and isinstance(amount, int):
        out = int(out)
    return out


def _rule(old: Any, new: Any, fixed: bool) -> tuple[str, Any]:
    """How the timeline's later values follow a what-if that set ``old`` to ``new``."""
    if not fixed and _number(old) and _number(new):
        return "delta", new - old
    return "replace", new


def hold(
    raw: dict,
    values: Mapping[str, Any] | None = None,
    factors: Mapping[str, float] | None = None,
    fixed: Mapping[str, Any] | None = None,
    what: str = "--set",
    source: str = "<scenario>",
    defaults: Callable[[str], Any] | None = None,
) -> Held:
    """Apply ``values`` (set), ``factors`` (scale) and ``fixed`` (set, held exactly) to a raw
    scenario, and change its timeline so that each holds for the whole run (see the module
    docstring). ``defaults`` gives the value of a field the raw mapping leaves out (a file relies on
    the schema's default). KeyError for a path that does not exist; ScenarioError when a what-if
    cannot hold."""
    held = Held()
    found = raw.get("timeline")
    timeline: list = found if isinstance(found, list) else []
    changes: list[tuple[str, str, Any, str]] = []  # path, kind, amount, label
    for table, is_fixed in ((values or {}, False), (fixed or {}, True)):
        for path, new in table.items():
            node, key = slot(raw, path, create=True)
            if isinstance(node, dict) and key not in node:
                old = defaults(path) if defaults is not None else None
            else:
                old = node[key]
            kind, amount = _rule(old, new, is_fixed)
            node[key] = new
            if kind == "delta":
                sign = "+" if amount >= 0 else "-"
                label = f"{what} {path}={_text(new)} ({sign}{_text(abs(amount))} on the file's {_text(old)})"
            else:
                label = f"{what} {path}={_text(new)}"
            changes.append((path, kind, amount, label))
    for path, f in (factors or {}).items():
        node, key = slot(raw, path, create=False)
        old = node[key]
        if not _number(old):
            raise KeyError(f"'{path}' is {old!r}, not a number, so it cannot be scaled")
        node[key] = old * f
        changes.append((path, "factor", f, f"{what} {path} x{_text(f)}"))
    for path, kind, amount, label in changes:
        done = []
        for entry in timeline:
            if not isinstance(entry, dict):
                continue  # the schema reports it
            try:
                here = _hold_entry(entry, path, kind, amount)
            except CannotHold as exc:
                header = refusal_text(label, entry.get("id"), entry.get("date"), f"the entry {exc}")
                raise ScenarioError(source, [], header=f"{source}: {header}") from None
            if here:
                done += here
                held.entries.setdefault(str(entry.get("id")), (str(entry.get("date")), label))
        if done:
            verb = "replaces" if kind == "replace" else ("scales" if kind == "factor" else "shifts")
            held.notes.append(
                f"{label} holds for the whole run: it {verb} the timeline's later values ({'; '.join(done)})"
            )
    return held


def _hold_entry(entry: dict, path: str, kind: str, amount: Any) -> list[str]:
    """Change one raw timeline entry so that the what-if at ``path`` holds; what was changed."""
    done = []
    where = f"{entry.get('id')} ({entry.get('date')})"
    found = entry.get("set")
    sets: dict = found if isinstance(found, dict) else {}
    for tp in list(sets):
        tv = sets[tp]
        if tp == path:
            new = _shift(tv, kind, amount)
            if new != tv:
                sets[tp] = new
                done.append(f"{where}: {_text(tv)} -> {_text(new)}")
        elif tp.startswith(path + "."):
            # the entry changes a part of what the what-if sets whole: the what-if's part holds
            if kind != "replace":
                raise CannotHold(f"sets {tp}, a part of a number")  # cannot happen: a number has no parts
            try:
                new = value_at({"v": amount}, "v" + tp[len(path) :])
            except KeyError:
                raise CannotHold(
                    f"sets {tp}, which the what-if's value of {path} does not have; set {tp} instead"
                ) from None
            if new != tv:
                sets[tp] = copy.deepcopy(new)
                done.append(f"{where}: {tp} {_text(tv)} -> {_text(new)}")
        elif path.startswith(tp + "."):
            # the entry writes a whole section that holds the what-if's field: change it inside
            inner = copy.deepcopy(tv)
            try:
                node, key = slot({"v": inner}, "v" + path[len(tp) :], create=False)
            except KeyError:
                raise CannotHold(
                    f"writes {tp} whole without {path[len(tp) + 1 :]}, so the what-if has nothing to hold on to"
                ) from None
            old = node[key]
            node[key] = _shift(old, kind, amount)
            if node[key] != old:
                sets[tp] = inner
                done.append(f"{where}: {path} {_text(old)} -> {_text(node[key])}")
    found = entry.get("scale")
    scales: dict = found if isinstance(found, dict) else {}
    for tp in list(scales):
        # a part of what the what-if replaces whole is not scaled by the timeline: the what-if holds
        if kind == "replace" and tp.startswith(path + ".") and scales[tp] != 1:
            done.append(f"{where}: no longer scales {tp} (x{_text(scales[tp])})")
            scales[tp] = 1.0
    return done


def refusal_text(what_if: str, entry: Any, date: Any, why: str) -> str:
    """The one paragraph that refuses a what-if that cannot hold against a timeline entry."""
    return (
        f"{what_if} cannot hold for the whole run: the timeline entry '{entry}' ({date}) also sets this "
        f"field, and a what-if holds for the whole run (a number's later values are shifted by the same "
        f"change, other values replaced), but {why}. Choose a value that stays valid after {date}, run "
        f"years before it (--years), or change the entry in a scenario file of your own."
    )


def refused(exc: ScenarioError, held: Held, source: str) -> ScenarioError:
    """A validation error after ``hold``: one paragraph naming the entry when it is about a timeline
    entry the what-if changed, else the error as it is."""
    for p in exc.problems:
        for eid, (date, label) in held.entries.items():
            if p.path == f"timeline.{eid}" or p.path.startswith(f"timeline.{eid}."):
                why = p.message
                if why.startswith("after it, "):
                    why = why[len("after it, ") :]
                return ScenarioError(source, [], header=f"{source}: " + refusal_text(label, eid, date, f"then {why}"))
    return exc


def overlapping(what_ifs: Mapping[str, Any], paths: Iterable[str]) -> list[tuple[str, str]]:
    """(what-if path, path) for each of ``paths`` that is, holds or lies inside a what-if's field."""
    return [(w, p) for p in paths for w in what_ifs if p == w or p.startswith(w + ".") or w.startswith(p + ".")]
