"""Property-based fuzzing of scenario files (hypothesis): whatever a careless or hostile user writes,
corridor-sim exits 0 or 2, never with a traceback, names the file and the field it refuses, and
runs what it accepts to the end.

Mutants of the calibrated base scenario and of a small factory corridor: a value replaced by a
wrong type, a non-finite, huge, tiny or negative number; a key deleted; an unknown key added; a
reference broken; the file re-encoded (Latin-1, UTF-16, binary bytes, truncated); an alias bomb,
a recursive alias or deep nesting; a syntax error. Each mutant is validated; those that validate
run one year through the CLI (the base without warm-up, for speed) and must finish with exit 0,
or be refused by the run-size check with exit 2 (CORRIDOR_SIM_MEMORY=1G keeps those quick).
Examples are derandomized so CI sees the same mutants each time; the counts are printed (-s).
"""

from __future__ import annotations

import copy
import itertools
from collections import Counter
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corridor_sim.cli import main

from factories import rail_sea

ROOT = Path(__file__).resolve().parents[1]
BASE = yaml.safe_load((ROOT / "scenarios" / "base.yaml").read_text())


def _tiny() -> dict:
    """A small corridor that exercises a border crossing, a port, a sea line and a response block."""
    d = rail_sea(tons_per_year=15_000.0, lot=40.0, capacity=100.0)
    d["rail_links"][0]["crossing"] = {
        "transshipment_tracks": 1,
        "transshipment_h": 2.0,
        "transshipment_cv": 0.5,
        "dwell_mean_h": 6.0,
        "dwell_cv": 0.6,
        "source": "test",
    }
    d["demand"]["flows"][0]["routes"][0].pop("share")
    d["demand"]["flows"][0]["response"] = {
        "tariff_elasticity": -0.8,
        "trade_gain_per_day_saved": 0.05,
        "value_of_time_usd_per_t_day": 3.0,
        "logit_scale_usd_per_t": 50.0,
        "reference_tariff_usd_per_t": 100.0,
        "reference_transit_days": 5.0,
        "adjustment_per_year": 0.5,
        "source": "test",
    }
    return d


TINY = _tiny()


def _paths(node, path=()):
    yield path
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*path, i))


def _get(d, path):
    for k in path:
        d = d[k]
    return d


def _names(d, path) -> set[str]:
    """What an error about ``path`` may call it: its keys and the ids of the list items on the way."""
    out, node = set(), d
    for k in path:
        if isinstance(k, str):
            out.add(k)
        node = node[k] if isinstance(node, (dict, list)) else None
        if isinstance(node, dict):
            out.update(str(node[i]) for i in ("id", "cargo") if isinstance(node.get(i), str))
    return out


VALUES = st.one_of(
    st.sampled_from(
        [
            float("inf"),
            float("-inf"),
            float("nan"),
            1e12,
            -1e12,
            10**400,
            1e-9,
            0,
            -1,
            0.5,
            True,
            None,
            "",
            "abc",
            "2025-02-30",
            [],
            {},
            [1, 2],
            {"x": 1},
            "1e400",
        ]
    ),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(),
    st.text(max_size=20),
)
BOMB = (
    "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
    "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
    "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
)


REFERENCED = {"nodes", "rail_links", "ports", "sea_lines", "terminals", "vessels", "routes"}


@st.composite
def mutants(draw, base: dict):
    """(kind, file bytes, names an error may use) for one mutation of ``base``."""
    d = copy.deepcopy(base)
    paths = [p for p in _paths(d) if p]
    kind = draw(
        st.sampled_from(["value", "value", "value", "delete", "unknown", "reference", "encoding", "bomb", "syntax"])
    )
    names: set[str] = set()
    if kind == "value":
        path = draw(st.sampled_from(paths))
        _get(d, path[:-1])[path[-1]] = draw(VALUES)
        names = _names(d, path)
    elif kind == "delete":
        path = draw(st.sampled_from([p for p in paths if isinstance(p[-1], str)]))
        del _get(d, path[:-1])[path[-1]]
        names = _names(d, path[:-1]) | {path[-1]}
        if path[-1] in REFERENCED:
            # a section with a default (an empty list) may go; what referred to it is then the error
            names |= {"connects nothing", "unknown node", "unknown port", "no terminal", "no port"}
    elif kind == "unknown":
        parent = draw(st.sampled_from([p[:-1] for p in paths if isinstance(p[-1], str)]))
        key = draw(st.sampled_from(["colour", "lenght_km", "berth", "Flows", "x_y"]))
        _get(d, parent)[key] = 1
        names = {key}
    elif kind == "reference":
        refs = [p for p in paths if p[-1] in ("from", "to") or (len(p) > 1 and p[-2] == "path")]
        path = draw(st.sampled_from(refs))
        _get(d, path[:-1])[path[-1]] = draw(st.sampled_from(["atlantis", "aktau", "khorgos", "q", "o"]))
        names = _names(d, path) | {"atlantis", "aktau", "khorgos"}
    text = yaml.safe_dump(d, sort_keys=False, allow_unicode=True)
    if kind == "encoding":
        how = draw(st.sampled_from(["latin-1", "utf-16", "nul", "truncate"]))
        if how == "latin-1":
            return kind, text.replace("description: ", "description: café ", 1).encode("latin-1"), {"UTF-8"}
        if how == "utf-16":
            return kind, text.encode("utf-16"), {"UTF-16"}
        if how == "nul":
            at = draw(st.integers(0, len(text)))
            return kind, text[:at].encode() + b"\x00\xff" + text[at:].encode(), {"NUL"}
        cut = draw(st.integers(0, len(text)))
        return kind, text.encode()[:cut], set()  # a truncated file may be valid YAML, or not
    if kind == "bomb":
        how = draw(st.sampled_from(["aliases", "recursive", "deep"]))
        if how == "aliases":
            return (
                kind,
                (
                    text
                    + "timeline:\n  - {id: b, date: 2024-06-01, description: x, source: x, set: {demand.scale: *g}}\n"
                )
                .replace("name:", BOMB + "name:", 1)
                .encode(),
                {"aliases"},
            )
        if how == "recursive":
            return kind, (text + "uncertain: &u [*u]\n").encode(), {"anchor"}
        return kind, (text + "observed: " + "[" * 200 + "]" * 200 + "\n").encode(), {"deeper"}
    if kind == "syntax":
        at = draw(st.integers(0, len(text)))
        junk = draw(st.sampled_from([":", "- ", "\t", "[", "{", "'", '"', "&", "*", "!!python/object:os.system ", "%"]))
        return kind, (text[:at] + junk + text[at:]).encode(), set()
    return kind, text.encode(), names


def _fuzz(tmp_path: Path, base: dict, examples: int, run_args: list[str]) -> Counter:
    stats: Counter = Counter()
    counter = itertools.count()

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(m=mutants(base))
    def one(m):
        kind, data, names = m
        i = next(counter)
        f = tmp_path / f"m{i}.yaml"
        f.write_bytes(data)
        r = CliRunner().invoke(main, ["validate", str(f)])
        stats["tried"] += 1
        stats[f"{kind}"] += 1
        assert r.exc_info[0] is SystemExit and "Traceback" not in r.output, r.output
        assert r.exit_code in (0, 2), r.output
        if r.exit_code == 2:
            stats["refused"] += 1
            assert f.name in r.output, r.output
            if names:
                assert any(n in r.output for n in names), (names, r.output)
            return
        stats["valid"] += 1
        run = CliRunner().invoke(
            main, ["run", str(f), *run_args, "--out", str(tmp_path / f"out{i}"), "-q", "--no-plots"]
        )
        assert run.exc_info[0] is SystemExit and run.exit_code in (0, 2), run.output
        if run.exit_code == 2:
            assert "too large" in run.output and "--allow-large" in run.output, run.output
            stats["too large"] += 1
        else:
            stats["ran"] += 1

    one()
    return stats


@pytest.fixture()
def small_memory(monkeypatch):
    monkeypatch.setenv("CORRIDOR_SIM_MEMORY", "1G")  # big-but-valid mutants are refused, not run for minutes


def test_fuzz_mutants_of_the_base_scenario(tmp_path, small_memory):
    stats = _fuzz(tmp_path, BASE, 150, ["--years", "2024", "--set", "warmup_days=0"])
    print(f"\nbase scenario mutants: {dict(stats)}")
    assert stats["tried"] == 150 and stats["refused"] > 75 and stats["ran"] > 5


def test_fuzz_mutants_of_a_small_corridor(tmp_path, small_memory):
    stats = _fuzz(tmp_path, TINY, 250, [])
    print(f"\nsmall corridor mutants: {dict(stats)}")
    assert stats["tried"] == 250 and stats["refused"] > 100 and stats["ran"] > 10
