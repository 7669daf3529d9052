"""The input contract: every failure a user can cause ends with exit 2 (bad input) or 1 (a failed
run) and one paragraph naming the file, the field or the option, never a traceback.

Each case from issue 12 runs as a real subprocess (``CASES``); the numeric bounds are checked
field by field in-process; the run-size estimate, --resume's checks and failed replications
have their own tests.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

import corridor_sim as cs
from corridor_sim.cli import main
from corridor_sim.run import runsize

from factories import rail_sea

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "base.yaml"
CS = shutil.which("corridor-sim", path=str(Path(sys.executable).parent)) or shutil.which("corridor-sim")
TINY = rail_sea(tons_per_year=20_000.0, lot=40.0, capacity=100.0)
BOMB = """
timeline:
  - id: bomb
    date: 2024-06-01
    description: billion laughs
    source: test
    set:
      demand.scale: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
      b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
      c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
      d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
      e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
      f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
      g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]
      h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]
      i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


def _cli(args, env=None, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CS, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )


@pytest.fixture(scope="module")
def w(tmp_path_factory) -> Path:
    """A folder of broken inputs and damaged result folders, one per case."""
    w = tmp_path_factory.mktemp("cases")
    base = BASE.read_text()
    (w / "latin1.yaml").write_bytes(base.replace("name: base", "name: base  # café").encode("latin-1"))
    (w / "utf16.yaml").write_bytes(base.encode("utf-16"))
    (w / "binary.yaml").write_bytes(bytes(range(256)) * 4)
    (w / "baddate.yaml").write_text(
        f"extends: {BASE}\n"
        + BOMB.split("    set:")[0].replace("2024-06-01", "2025-02-30")
        + "    set: {demand.scale: 2}\n"
    )
    (w / "deep.yaml").write_text("name: " + "[" * 5000 + "]" * 5000 + "\n")
    for i in range(40):
        (w / f"chain{i}.yaml").write_text(f"extends: chain{i + 1}.yaml\n")
    shutil.copy(BASE, w / "chain40.yaml")
    (w / "devzero.yaml").write_text("extends: /dev/zero\n")
    (w / "zero.yaml").symlink_to("/dev/zero")
    (w / "devlink.yaml").write_text("extends: zero.yaml\n")
    (w / "adir.yaml").mkdir()
    (w / "extdir.yaml").write_text("extends: adir.yaml\n")
    (w / "extbin.yaml").write_text("extends: binary.yaml\n")
    os.mkfifo(w / "fifo.yaml")
    (w / "extfifo.yaml").write_text("extends: fifo.yaml\n")
    (w / "secret.yaml").write_text("root: x\napi_token: hunter2-secret\n")
    (w / "extsecret.yaml").write_text("extends: secret.yaml\n")
    (w / "bomb.yaml").write_text(f"extends: {BASE}\n" + BOMB)
    (w / "recursive.yaml").write_text(f"extends: {BASE}\nuncertain: &x [*x]\n")
    (w / "huge.yaml").write_text(base + "#" * (1 << 20) + "\n")
    (w / "berths.yaml").write_text(base.replace("berths: 2", "berths: 1" + "0" * 400, 1))
    (w / "tiny.yaml").write_text(yaml.safe_dump(TINY, sort_keys=False))
    (w / "afile").write_text("x")
    runner = CliRunner()
    assert runner.invoke(main, ["run", str(w / "tiny.yaml"), "--out", str(w / "one"), "-q"]).exit_code == 0
    assert (
        runner.invoke(
            main, ["run", str(w / "tiny.yaml"), "-n", "3", "-w", "1", "--out", str(w / "reps"), "-q", "--no-plots"]
        ).exit_code
        == 0
    )
    for name, damage in DAMAGES.items():
        shutil.copytree(w / ("one" if name.startswith("one") else "reps"), w / name)
        damage(w / name)
    return w


def _truncate(p: Path) -> None:
    p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2])


def _empty_replications(d: Path) -> None:
    shutil.rmtree(d / "replications")
    (d / "replications").mkdir()


def _edit_manifest(fn):
    def damage(d: Path) -> None:
        m = json.loads((d / "manifest.json").read_text())
        (d / "manifest.json").write_text(json.dumps(fn(m)))

    return damage


DAMAGES = {
    "one_badmeta": lambda d: _truncate(d / "metadata.json"),
    "reps_badmeta": lambda d: (d / "metadata.json").write_text("[1, 2"),
    "reps_norep": _empty_replications,
    "reps_truncated": lambda d: _truncate(d / "manifest.json"),
    "reps_emptymanifest": lambda d: (d / "manifest.json").write_text(""),
    "reps_list": lambda d: (d / "manifest.json").write_text("[1, 2, 3]"),
    "reps_nokey": _edit_manifest(lambda m: {k: v for k, v in m.items() if k != "seed"}),
    "reps_parquet": lambda d: (d / "replications" / "rep_001" / "annual.parquet").write_bytes(b"PAR1 broken"),
}

# name: (arguments, expected exit status, words the message must contain)
# the consignments runsize estimates for demand x1000 in the base year (what the message must quote)
X1000_LOTS = runsize.estimate(cs.load_scenario(BASE, years=(2024, 2024), overrides={"demand.scale": 1000})).lots
# the line of base.yaml's "name:", where the latin-1 case puts its accented letter
NAME_LINE = next(i for i, line in enumerate(BASE.read_text().splitlines(), 1) if line.startswith("name: base"))
CASES = {
    "latin-1 file": (["validate", "{w}/latin1.yaml"], 2, ["latin1.yaml", "not UTF-8", f"line {NAME_LINE}"]),
    "utf-16 file": (["validate", "{w}/utf16.yaml"], 2, ["utf16.yaml", "UTF-16"]),
    "binary file": (["run", "{w}/binary.yaml"], 2, ["binary.yaml", "binary file"]),
    "impossible date": (["validate", "{w}/baddate.yaml"], 2, ["baddate.yaml", "line 5", "day is out of range"]),
    "deep nesting": (["validate", "{w}/deep.yaml"], 2, ["deep.yaml", "deeper than 64 levels"]),
    "long extends chain": (["validate", "{w}/chain0.yaml"], 2, ["chain0.yaml", "extends", "8 files deep"]),
    "extends /dev/zero": (["validate", "{w}/devzero.yaml"], 2, ["devzero.yaml", "/dev/zero", ".yaml or .yml"]),
    "extends a device": (["validate", "{w}/devlink.yaml"], 2, ["devlink.yaml", "zero.yaml", "a device"]),
    "extends a folder": (["validate", "{w}/extdir.yaml"], 2, ["extdir.yaml", "adir.yaml", "a folder"]),
    "extends a binary file": (["validate", "{w}/extbin.yaml"], 2, ["extbin.yaml", "binary.yaml", "binary file"]),
    "extends a FIFO": (["validate", "{w}/extfifo.yaml"], 2, ["extfifo.yaml", "named pipe"]),
    "extends a file that is not a scenario": (
        ["validate", "{w}/extsecret.yaml"],
        2,
        ["extsecret.yaml", "secret.yaml", "not a scenario file"],
    ),
    "alias bomb in a timeline value": (["validate", "{w}/bomb.yaml"], 2, ["bomb.yaml", "aliases", "200,000"]),
    "recursive alias": (["validate", "{w}/recursive.yaml"], 2, ["recursive.yaml", "its own anchor"]),
    "file over 1 MiB": (["validate", "{w}/huge.yaml"], 2, ["huge.yaml", "1 MiB"]),
    "berths 10**400": (["run", "{w}/berths.yaml"], 2, ["berths", "less than or equal to 100"]),
    "scenario is a folder": (["run", "{w}/adir.yaml"], 2, ["adir.yaml", "directory"]),
    "--seed -1": (["run", "{w}/tiny.yaml", "--seed", "-1"], 2, ["--seed", "-1"]),
    "unreachable --scheduler": (
        ["run", "{w}/tiny.yaml", "-n", "2", "--out", "{w}/x1", "--scheduler", "tcp://127.0.0.1:1"],
        2,
        ["--scheduler", "tcp://127.0.0.1:1"],
    ),
    "malformed --scheduler": (
        ["sweep", "{w}/tiny.yaml", "--vary", "demand.scale=1,2", "--out", "{w}/x2", "--scheduler", "tcp://nohost"],
        2,
        ["--scheduler", "tcp://HOST:PORT"],
    ),
    "uncreatable --out with -n 2": (
        ["run", "{w}/tiny.yaml", "-n", "2", "--out", "{w}/afile/sub"],
        2,
        ["--out", "afile is a file"],
    ),
    "malformed sweep --vary": (
        ["sweep", "{w}/tiny.yaml", "--vary", "demand.scale=[1", "--out", "{w}/x3"],
        2,
        ["--vary demand.scale", "'[1'"],
    ),
    "--vary without values": (
        ["sweep", "{w}/tiny.yaml", "--vary", "demand.scale=", "--out", "{w}/x4"],
        2,
        ["--vary", "at least one value"],
    ),
    "alias bomb in --set": (
        ["validate", "{w}/tiny.yaml", "--set", "demand.scale=" + "[" * 100 + "]" * 100],
        2,
        ["--set demand.scale", "deeper"],
    ),
    "demand x1000": (
        ["run", str(BASE), "--years", "2024", "--set", "demand.scale=1000", "--out", "{w}/x5"],
        2,
        ["too large", f"{X1000_LOTS:,.0f} consignments", "--allow-large"],
    ),
    "too many replications": (["run", "{w}/tiny.yaml", "-n", "1000000000"], 2, ["--replications"]),
    "report on damaged metadata.json": (
        ["report", "{w}/one_badmeta", "--out", "{w}/r1.html"],
        2,
        ["one_badmeta/metadata.json", "damaged"],
    ),
    "charts on damaged metadata.json": (["charts", "{w}/one_badmeta"], 2, ["one_badmeta/metadata.json", "damaged"]),
    "report on a damaged replicated folder": (
        ["report", "{w}/reps_badmeta", "--out", "{w}/r2.html"],
        2,
        ["reps_badmeta/metadata.json", "damaged"],
    ),
    "report on empty replications/": (
        ["report", "{w}/reps_norep", "--out", "{w}/r3.html"],
        2,
        ["reps_norep/replications", "no replication"],
    ),
    "charts on empty replications/": (["charts", "{w}/reps_norep"], 2, ["reps_norep/replications", "no replication"]),
    "--resume, truncated manifest": (
        ["run", "{w}/tiny.yaml", "-n", "3", "--out", "{w}/reps_truncated", "--resume"],
        2,
        ["reps_truncated/manifest.json", "damaged"],
    ),
    "--resume, empty manifest": (
        ["run", "{w}/tiny.yaml", "-n", "3", "--out", "{w}/reps_emptymanifest", "--resume"],
        2,
        ["reps_emptymanifest/manifest.json", "damaged"],
    ),
    "--resume, list-shaped manifest": (
        ["run", "{w}/tiny.yaml", "-n", "3", "--out", "{w}/reps_list", "--resume"],
        2,
        ["reps_list/manifest.json", "not a mapping"],
    ),
    "--resume, manifest without a key": (
        ["run", "{w}/tiny.yaml", "-n", "3", "--out", "{w}/reps_nokey", "--resume"],
        2,
        ["reps_nokey/manifest.json", "seed"],
    ),
    "--resume, corrupt Parquet file": (
        ["run", "{w}/tiny.yaml", "-n", "3", "-w", "1", "--out", "{w}/reps_parquet", "--resume", "-q", "--no-plots"],
        0,
        ["rep_001", "annual.parquet", "damaged", "running it again"],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_case_exits_cleanly_as_a_subprocess(w, case):
    args, code, words = CASES[case]
    t0 = time.perf_counter()
    p = _cli([a.replace("{w}", str(w)) for a in args], env={"CORRIDOR_SIM_MEMORY": "8G"}, timeout=60)
    took = time.perf_counter() - t0
    out = p.stdout + p.stderr
    assert p.returncode == code, out
    assert "Traceback" not in p.stderr, p.stderr
    for word in words:
        assert word in out, f"{word!r} not in:\n{out}"
    assert took < 30, f"{case} took {took:.0f} s: refusing should be quick"
    if code == 2:
        assert p.stderr.count("\nerror:") + p.stderr.startswith("error:") <= 1  # one paragraph
    assert "hunter2" not in out  # a file that is not a scenario is never quoted


def test_a_resumed_replication_of_another_seed_is_run_again(tmp_path):
    """--resume checks each replication's seed, scenario hash and tables before reusing it."""
    tiny = tmp_path / "tiny.yaml"
    tiny.write_text(yaml.safe_dump(TINY, sort_keys=False))
    runner = CliRunner()
    a, b = tmp_path / "a", tmp_path / "b"
    assert runner.invoke(main, ["run", str(tiny), "-n", "2", "-w", "1", "--out", str(a), "-q"]).exit_code == 0
    assert (
        runner.invoke(main, ["run", str(tiny), "-n", "2", "-w", "1", "--seed", "9", "--out", str(b), "-q"]).exit_code
        == 0
    )
    shutil.rmtree(a / "replications" / "rep_001")
    shutil.copytree(b / "replications" / "rep_001", a / "replications" / "rep_001")  # another run's replication
    r = runner.invoke(main, ["run", str(tiny), "-n", "2", "-w", "1", "--out", str(a), "-q", "--resume"])
    assert r.exit_code == 0, r.output
    assert "rep_001" in r.output and "seed" in r.output and "running it again" in r.output
    s = json.loads((a / "summary.json").read_text())
    m = json.loads((a / "manifest.json").read_text())
    assert s["seeds"] == m["seeds"]  # the seeds reported are this run's
    meta = json.loads((a / "replications" / "rep_001" / "metadata.json").read_text())
    assert meta["seed"] == m["seeds"][1]


def test_a_failed_replication_is_recorded_and_the_others_carry_on(tmp_path, monkeypatch):
    import corridor_sim.experiments.execution as ex

    tiny = tmp_path / "tiny.yaml"
    tiny.write_text(yaml.safe_dump(TINY, sort_keys=False))
    bad = ex.replication_seed(1, 1)
    real = ex.run

    def flaky(scn, seed, **kw):
        if seed == bad:
            raise ZeroDivisionError("float division by zero")
        return real(scn, seed=seed, **kw)

    monkeypatch.setattr(ex, "run", flaky)
    out = tmp_path / "f"
    r = CliRunner().invoke(main, ["run", str(tiny), "-n", "3", "-w", "1", "--out", str(out), "-q"])
    assert r.exit_code == 1, r.output
    assert f"replication 1 (seed {bad})" in r.output and "ZeroDivisionError" in r.output and "--resume" in r.output
    assert r.exc_info[0] is SystemExit
    m = json.loads((out / "manifest.json").read_text())
    assert m["status"] == "failed" and m["done"] == [0, 2]
    assert m["failed"] == [{"replication": 1, "seed": bad, "error": "ZeroDivisionError: float division by zero"}]
    s = json.loads((out / "summary.json").read_text())
    assert s["replications"] == 2 and "1 failed" in s["statistics"]
    monkeypatch.setattr(ex, "run", real)
    again = CliRunner().invoke(main, ["run", str(tiny), "-n", "3", "-w", "1", "--out", str(out), "-q", "--resume"])
    assert again.exit_code == 0, again.output
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"


def test_demand_x1000_is_refused_in_well_under_a_second_of_work(monkeypatch):
    monkeypatch.setenv("CORRIDOR_SIM_MEMORY", "8G")
    scn = cs.load_scenario(BASE, overrides={"demand.scale": 1000}, years=(2024, 2024))
    t0 = time.perf_counter()
    with pytest.raises(runsize.RunTooLarge, match="--allow-large"):
        cs.run(scn, seed=1)
    assert time.perf_counter() - t0 < 2.0
    size = runsize.estimate(cs.load_scenario(BASE, years=(2024, 2035)))
    assert 20_000 < size.lots < 100_000 and size.peak_bytes < 1e9  # the base itself runs anywhere
    assert runsize.check(cs.load_scenario(BASE, years=(2024, 2035))).lots == size.lots


def test_the_estimate_follows_demand_years_and_lot_size():
    one = runsize.estimate(cs.load_scenario(BASE, years=(2024, 2024)))
    assert runsize.estimate(
        cs.load_scenario(BASE, overrides={"demand.scale": 2}, years=(2024, 2024))
    ).lots == pytest.approx(2 * one.lots, rel=1e-9)
    assert runsize.estimate(cs.load_scenario(BASE, years=(2024, 2025))).lots > 1.8 * one.lots
    lots = runsize.estimate(
        cs.load_scenario(BASE, overrides={"demand.flows.crude_kz_btc.lot_units": 40}, years=(2024, 2024))
    ).lots
    assert lots > one.lots + 30_000  # crude in 40-t lots instead of 4,000-t: ~35,000 more a year


def test_replications_count_against_memory_too(monkeypatch):
    monkeypatch.setenv("CORRIDOR_SIM_MEMORY", "8G")
    scn = cs.load_scenario(BASE)
    runsize.check(scn, concurrent=2, kept=10)
    with pytest.raises(runsize.RunTooLarge, match="tables of 100000 finished runs"):
        runsize.check(scn, concurrent=2, kept=100_000)


# ----------------------------------------------------------------------------------------------
# Every number is finite and bounded: infinity and 1e12 are refused in every numeric field
# ----------------------------------------------------------------------------------------------
def _numeric_leaves(node, path=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _numeric_leaves(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _numeric_leaves(v, (*path, i))
    elif isinstance(node, (int, float)) and not isinstance(node, bool):
        yield path


@pytest.fixture(scope="module")
def base_dict():
    return yaml.safe_load(BASE.read_text())


def _set(d, path, value):
    for k in path[:-1]:
        d = d[k]
    d[path[-1]] = value


def test_infinity_and_huge_values_are_refused_in_every_numeric_field(base_dict):
    leaves = [p for p in _numeric_leaves(base_dict) if p[0] not in ("uncertain",)]
    fields = {p[-1] for p in leaves if isinstance(p[-1], str)}
    assert len(fields) >= 33, sorted(fields)  # the issue counted ~33 fields accepting infinity
    for path in leaves:
        for bad in (float("inf"), float("-inf"), float("nan"), 1e12):
            d = copy.deepcopy(base_dict)
            _set(d, path, bad)
            with pytest.raises(cs.ScenarioError) as err:
                cs.validate_dict(d, "base.yaml")
            field = next((k for k in reversed(path) if isinstance(k, str)), None)
            assert field in str(err.value), (path, bad, str(err.value))
    for path in [p for p in _numeric_leaves(base_dict) if p[0] == "uncertain"]:
        d = copy.deepcopy(base_dict)
        _set(d, path, float("inf"))
        with pytest.raises(cs.ScenarioError, match="finite"):
            cs.validate_dict(d, "base.yaml")


@pytest.mark.parametrize(
    "setting, field",
    [
        ("demand.flows.containers_cn_az.interarrival_cv=.inf", "interarrival_cv"),
        ("goal_mt_per_year=.inf", "goal_mt_per_year"),
        ("demand.flows.containers_cn_az.tons_per_year=.inf", "tons_per_year"),
        ("warmup_days=1e12", "warmup_days"),
        ("sea_lines.ferry_kuryk_alat.vessels.asco_ferry.count=1000000000000", "count"),
        ("demand.flows.containers_cn_az.lot_units=1e-9", "lot_units"),
        ("demand.flows.containers_cn_az.response.reference_tariff_usd_per_t=0", "reference_tariff_usd_per_t"),
        ("ports.aktau.weather.closure_mean_h=1e-9", "closure_mean_h"),
        ("output.levels_every_h=1e-6", "levels_every_h"),
    ],
)
def test_values_that_used_to_validate_and_then_crash_or_hang(base_path, setting, field):
    r = CliRunner().invoke(main, ["run", str(base_path), "--years", "2024", "--set", setting, "--out", "unused"])
    assert r.exit_code == 2 and field in r.output and r.exc_info[0] is SystemExit, r.output


# -- the YAML parser: libyaml's where PyYAML has it, PyYAML's own where not ---------------------------
PARSE_BOTH = r"""
import json, sys
if sys.argv[1] == "pure":
    sys.modules["yaml._yaml"] = None  # as on a PyYAML built without libyaml
from pathlib import Path
from corridor_sim.scenario import safeyaml

def marks(node, out):
    out.append([node.tag, node.start_mark.line, node.start_mark.column])
    for child in safeyaml._children(node):
        marks(child, out)
    return out

got = {"libyaml": safeyaml.LIBYAML, "files": {}, "errors": []}
for f in sorted(Path(sys.argv[2]).glob("*.yaml")):
    data, node = safeyaml.load(safeyaml.read_text(f))
    got["files"][f.name] = [json.dumps(data, sort_keys=True, default=str), marks(node, [])]
for text in sys.argv[3:]:
    try:
        safeyaml.load(text)
        got["errors"].append(None)
    except safeyaml.YamlInputError as exc:
        got["errors"].append(str(exc).split(" at line")[0].split(" by line")[0])
    except Exception as exc:
        got["errors"].append(type(exc).__name__)
print(json.dumps(got))
"""


def test_libyaml_and_pure_python_parsers_read_every_scenario_alike():
    """Where PyYAML has libyaml its C parser reads the files (several times faster); without it,
    PyYAML's own. Both give every shipped file the same values and every node the same line and
    column (the error messages point there), and refuse the same bad documents alike."""
    bad = [
        "a: " + "[" * 70 + "1" + "]" * 70,  # deeper than the limit, within libyaml's own
        "a: " + "[" * 1100 + "1" + "]" * 1100,  # past libyaml's limit too
        "a: &x [*x]",  # an alias inside its own anchor
        "a: 2025-02-30",  # an impossible date
        "a: [1, 2",  # a syntax error
    ]
    got = {}
    for parser in ("libyaml", "pure"):
        p = subprocess.run(
            [sys.executable, "-c", PARSE_BOTH, parser, str(ROOT / "scenarios"), *bad],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert p.returncode == 0, p.stderr
        got[parser] = json.loads(p.stdout)
    assert got["libyaml"]["libyaml"] is True and got["pure"]["libyaml"] is False
    assert got["libyaml"]["files"] == got["pure"]["files"] and len(got["pure"]["files"]) >= 10
    assert got["libyaml"]["errors"] == got["pure"]["errors"]
    assert got["pure"]["errors"][:2] == ["nests deeper than 64 levels"] * 2
    assert got["pure"]["errors"][4] in ("ParserError", "ScannerError")


@pytest.mark.parametrize("name", ["base.yaml", "corridor_10mt.yaml", "oil_btc_7mt.yaml"])
def test_timeline_states_share_only_what_their_entries_do_not_change(name):
    """The timeline's states are built sharing what an entry does not change (only the containers
    on its paths are copied): each state is what a deep copy of the state before, with the entry
    applied, gives; and building them changes none of the entries (a value an entry sets is never
    written into by a later one)."""
    from corridor_sim.scenario.paths import apply_override, scale_value
    from corridor_sim.scenario.timeline import timeline

    for case in ("central", "high"):
        s = cs.load_scenario(ROOT / "scenarios" / name, demand_case=case)
        entries = [iv.model_dump() for iv in s.timeline]
        states = timeline(s).states
        assert len(states) >= 5 and [iv.model_dump() for iv in s.timeline] == entries
        raw = s.model_dump(mode="python", by_alias=True)
        raw["timeline"] = []
        for iv, after in states:
            raw = copy.deepcopy(raw)
            for path, value in iv.set.items():
                apply_override(raw, path, copy.deepcopy(value))
            for path, factor in iv.scale.items():
                scale_value(raw, path, factor)
            assert cs.Scenario.model_validate(raw).model_dump() == after.model_dump(), (name, case, iv.id)
