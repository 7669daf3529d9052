"""The boundary pass of the fuzz: every bounded number of the scenario schema, at its smallest and
largest allowed value on purpose, and just outside.

The numeric fields and their bounds are read from the pydantic models (``scenario.schema``, with the
types of ``scenario.units``: ge, gt, le, lt), not listed by hand, so a new field is tried as soon as
it exists. Each is set, one at a time, in a small corridor that has every kind of section (a single
and a double track, a railway and its rolling stock, a border crossing, ports with onward ships on a
liner schedule, a sea line with a deck, a way back and a fleet pool, empties, a non-corridor flow, a
timeline entry, demand cases, costs, an uncertain range). Just outside its bounds a value must be
refused by ``validate`` with exit 2 and one paragraph naming the file and the field. At each
allowed extreme it must validate (or be refused by a check across fields, naming the file), and a
deterministic sample of those that validate (all of them with CORRIDOR_SIM_FUZZ=full) is run for one short year as a subprocess with a timeout: it must run to
the end (exit 0) or be refused by the run-size check (exit 2), never hang. The counts are printed (-s).
"""

from __future__ import annotations

import copy
import random
from collections import Counter
from pathlib import Path

import yaml
from click.testing import CliRunner
from pydantic import BaseModel

from corridor_sim.cli import main
from corridor_sim.scenario import schema

from factories import build, every_section
from fuzzing import FULL, RUN_SIZE, cli_many, ended_well, extremes, numeric_fields, tally

SAMPLE = 15  # accepted extremes run per suite (each a subprocess of ~3 s); the full pass runs them all


SMALL = every_section()
SMALL_SCENARIO = build(SMALL)


SCENARIO_MODELS = [
    cls
    for name, cls in vars(schema).items()
    if isinstance(cls, type)
    and issubclass(cls, BaseModel)
    and cls.__module__ == schema.__name__
    and name not in ("Candidate", "CandidateSet")  # a candidates file's: tried in test_fuzz_scenarios
]
FIELDS = numeric_fields(SCENARIO_MODELS)


# -- where each model sits in the small corridor ---------------------------------------------------


def _places(obj, path=()):
    """(model class name, path in the scenario dict) of every model instance in a validated scenario."""
    if isinstance(obj, BaseModel):
        yield type(obj).__name__, path
        for fname, info in type(obj).model_fields.items():
            key = info.alias or fname
            yield from _places(getattr(obj, fname), (*path, key))
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from _places(v, (*path, i))
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _places(v, (*path, k))


PLACES: dict[str, tuple] = {}
for _cls, _path in _places(SMALL_SCENARIO):
    PLACES.setdefault(_cls, _path)


def _target(d: dict, model: str, fname: str, where: str) -> tuple[dict | list, object] | None:
    """The container and key to set for one field of the first instance of ``model`` in ``d``."""
    if model not in PLACES:
        return None
    node = d
    for k in PLACES[model]:
        node = node[k]
    alias = getattr(getattr(schema, model).model_fields[fname], "alias", None) or fname
    if not where:
        return node, alias
    value = node.get(alias)
    if where == "[]":
        if not value:
            return None
        return value, 0
    if not value:
        return None
    return value, next(iter(value))


def cases() -> tuple[list, list, list]:
    """(accepted, refused, skipped): (label, dotted field, value, file dict) of each case."""
    accepted, refused, skipped = [], [], []
    for model, fname, tp, b, where in FIELDS:
        inside, outside = extremes(tp, b)
        label = f"{model}.{fname}{where}"
        if _target(SMALL, model, fname, where) is None:
            skipped.append(label)
            continue
        for values, into in ((inside, accepted), (outside, refused)):
            for v in values:
                d = copy.deepcopy(SMALL)
                box, key = _target(d, model, fname, where)
                box[key] = v
                into.append((f"{label}={v!r}", fname, v, d))
    return accepted, refused, skipped


ACCEPTED, REFUSED, SKIPPED = cases()


def _write(tmp: Path, i: int, d: dict) -> Path:
    f = tmp / f"b{i}.yaml"
    f.write_text(yaml.safe_dump(d, sort_keys=False))
    return f


def test_the_small_corridor_has_every_section():
    """Every scenario model with a bounded number sits in the small corridor (the map's points, pairs of
    longitude and latitude, are not read as numbers: a map only draws)."""
    assert not SKIPPED, SKIPPED
    assert len(FIELDS) > 100 and len(ACCEPTED) > 200, (len(FIELDS), len(ACCEPTED))


def test_values_just_outside_the_bounds_are_refused(tmp_path):
    """Each just-outside value: exit 2, one paragraph naming the file and the field, no traceback."""
    stats: Counter = Counter()
    for i, (label, fname, _, d) in enumerate(REFUSED):
        f = _write(tmp_path, i, d)
        r = CliRunner().invoke(main, ["validate", str(f)])
        stats[f"exit {r.exit_code}"] += 1
        assert r.exc_info[0] is SystemExit and "Traceback" not in r.output, (label, r.output)
        assert r.exit_code == 2, (label, r.output)
        assert f.name in r.output and fname in r.output, (label, r.output)
    print(f"\nboundary pass, just outside: {len(REFUSED)} values of {len(FIELDS)} fields: {dict(stats)}")
    assert stats["exit 2"] == len(REFUSED) > 250


def _run_args(f: Path, out: Path) -> list[str]:
    return ["run", str(f), "--out", str(out), "-q", "--no-plots", "-w", "1"]


def _sample(valid: list) -> list:
    return valid if FULL else random.Random(21).sample(valid, min(SAMPLE, len(valid)))


def test_allowed_extremes_validate_and_run_to_the_end(tmp_path):
    """Every allowed extreme validates, or is refused by a check across fields (one paragraph naming
    the file and the field); a fixed sample of those that validate runs (a subprocess each, with a
    timeout) to the end, or is refused by the run-size check: never a hang, never a traceback."""
    valid, checked = [], Counter()
    for i, case in enumerate(ACCEPTED):
        label, _, _, d = case
        f = _write(tmp_path, i, d)
        r = CliRunner().invoke(main, ["validate", str(f)])
        checked[f"exit {r.exit_code}"] += 1
        assert r.exc_info[0] is SystemExit and "Traceback" not in r.output, (label, r.output)
        assert r.exit_code in (0, 2), (label, r.output)
        if r.exit_code == 2:  # the paragraph names the file and the check's field (maybe another one)
            assert f.name in r.output and r.output.startswith("error: "), (label, r.output)
        else:
            valid.append(case)
    sample = _sample(valid)
    files = [_write(tmp_path, 10_000 + i, d) for i, (_, _, _, d) in enumerate(sample)]
    outcomes = cli_many([_run_args(f, tmp_path / f"out{i}") for i, f in enumerate(files)])
    stats = tally(outcomes)
    print(
        f"\nboundary pass, allowed extremes: {len(ACCEPTED)} values of {len(FIELDS)} fields validated "
        f"{dict(checked)}; {len(sample)} of the {len(valid)} valid run{' (all)' if FULL else ''}: {dict(stats)}"
    )
    bad = [
        f"{label}: {o.describe()}"
        for (label, *_), o in zip(sample, outcomes, strict=True)
        if not ended_well(o, RUN_SIZE)
    ]
    assert not bad, "\n\n".join(bad)
    assert checked["exit 0"] > 150 and len(sample) == (len(valid) if FULL else SAMPLE)
