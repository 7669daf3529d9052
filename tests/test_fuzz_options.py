"""The fuzz of command options: every command, each numeric option (and the options that take
years, paths, overrides, a scheduler) at the edges of what it allows and with junk.

Junk (nan, inf, negative, zero, huge, malformed, out of range) must be refused before anything
runs: exit 2, one paragraph that names the option (or the field it sets), never a traceback.
Those are checked in-process (click's CliRunner, fast) under an alarm, so even one that ran
and hung would fail. Values at the edges of what is allowed run the command for real, as a
subprocess with a timeout, on a small corridor of one year: each must end with exit 0, or exit
2 with one paragraph (a run too large for the machine, a year outside the scenario), never a
hang or a traceback. The counts of cases and outcomes are printed (-s)."""

from __future__ import annotations

import signal
from collections import Counter
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

from corridor_sim.cli import main

from factories import every_section
from fuzzing import REFUSE_AT_ONCE_S, RUN_SIZE, TIMEOUT_S, cli, cli_many, ended_well, tally

CANDIDATES = {
    "description": "test candidates",
    "candidates": [
        {
            "id": "more_berths",
            "description": "a third berth at p",
            "source": "test",
            "capex_musd": 5.0,
            "earliest_start": "2023-01-01",
            "lead_time_years": 0.0,
            "set": {"ports.p.terminals.container.berths": 3},
        }
    ],
}

# each command on the small corridor, as cheap as it goes ({out}: a fresh folder per case)
FAST = ["-q", "-w", "1", "--out", "{out}"]
COMMANDS = {
    "run": ["run", "{s}", "--no-plots", *FAST],
    "compare": ["compare", "{s}", "{s2}", "-n", "1", "--no-plots", *FAST],
    "sweep": ["sweep", "{s}", "--vary", "demand.scale=1", *FAST],  # a second --vary: a grid
    "capacity": ["capacity", "{s}", "-n", "2", *FAST],
    "bottlenecks": ["bottlenecks", "{s}", "-n", "2", *FAST],
    "sensitivity": ["sensitivity", "{s}", "--trajectories", "2", *FAST],
    "appraise": ["appraise", "{s}", "-n", "2", *FAST],
    "plan": ["plan", "{s}", "--candidates", "{c}", "--by", "2023", "-n", "2", *FAST],
    "validate": ["validate", "{s}"],
    "report": ["report", "{r}", "--out", "{out}.html"],
    "charts": ["charts", "{r}"],
}

NUMBERS = ["nan", "inf", "-inf", "1e400", "abc", "", "1,5", "0x10"]
INTEGERS = [*NUMBERS, "-1", "1.5"]
HUGE = str(10**26)
YEARS = ["abc", "", "2023-2022", "1989", "2101", "20231", "2023-", "nan", "-2023", "2023..2024"]

# junk each option must refuse, per command as each allows
SEED = ("--seed", INTEGERS)
WORKERS = ("--workers", [*INTEGERS, "0"])
SETS = (
    "--set",
    [
        "demand.scale=nan",
        "demand.scale=inf",
        "demand.scale=-1",
        "demand.scale=1e400",
        "demand.scale=",
        "demand.scale",
        "=1",
        "no.such.field=1",
        "demand.scale=abc",
        "demand.flows.f.lot_units=0",
    ],
)
CASE = ("--demand-case", ["nosuch", "", "HIGH"])
SCHEDULER = ("--scheduler", ["tcp://[::1", "nonsense", "tcp://", "tcp://host:99999"])


def _reps(lo: int, hi: int) -> tuple:
    return ("--replications", [*INTEGERS, str(lo - 1), str(hi + 1), HUGE])


YEARS_OPT = ("--years", YEARS)
YEAR_OPT = ("--year", [*INTEGERS, "1989", "2101", HUGE])
VARY = (
    "--vary",
    [
        "demand.scale=.nan",
        "demand.scale=.inf",
        "demand.scale=",
        "demand.scale",
        "=1",
        "demand.scale=0.5,1",  # the sweep's own path again
        "no.such=1",
        "x=1e400",
        "demand.scale=nan",
        "demand.scale=-1",
    ],
)
JUNK: dict[str, list[tuple]] = {
    "run": [SEED, WORKERS, _reps(1, 100_000), YEARS_OPT, SETS, CASE, SCHEDULER],
    "compare": [SEED, WORKERS, _reps(1, 100_000), YEARS_OPT, SETS, CASE, SCHEDULER],
    "sweep": [SEED, WORKERS, _reps(1, 100_000), YEARS_OPT, SETS, CASE, SCHEDULER, VARY],
    "capacity": [SEED, WORKERS, _reps(2, 10_000), YEARS_OPT, YEAR_OPT, SETS, CASE, SCHEDULER],
    "bottlenecks": [
        SEED,
        WORKERS,
        _reps(2, 10_000),
        YEARS_OPT,
        YEAR_OPT,
        ("--step", [*NUMBERS, "0", "-1", "0.0099", "10.01"]),
        SETS,
    ],
    "sensitivity": [SEED, WORKERS, YEARS_OPT, ("--trajectories", [*INTEGERS, "1", "10001", HUGE]), SETS],
    "appraise": [
        SEED,
        WORKERS,
        _reps(2, 10_000),
        YEARS_OPT,
        ("--discount-rate", [*NUMBERS, "-1", "100"]),
        ("--measure", ["nosuch", ""]),
        SETS,
    ],
    "plan": [
        SEED,
        WORKERS,
        _reps(2, 10_000),
        ("--goal", [*NUMBERS, "0", "-1"]),
        ("--by", [*INTEGERS, "1989", "2101", "2024", HUGE]),
        ("--budget-musd", [*NUMBERS, "-1"]),
        ("--confidence", [*NUMBERS, "0", "-1", "1.0001"]),
        ("--screening", [*INTEGERS, "1", "10001", HUGE]),
        ("--frontier", [*YEARS, "2024-2025"]),
        ("--goal-delivered", [*NUMBERS, "0", "-1"]),
        ("--max-evaluations", [*INTEGERS, "1", "100001", HUGE]),
        ("--own-entries-from", [*INTEGERS, "1989", "2101"]),
        SETS,
    ],
    "validate": [YEARS_OPT, SETS, CASE],
    "report": [("--demand-case", ["nosuch"])],
    "charts": [
        ("--days", [*NUMBERS, "0", "-1", "0.99", "3660.1"]),
        YEARS_OPT,
        ("--year", [*INTEGERS, "1989", "2101", HUGE]),
        ("--from", ["2023-02-30", "abc", "", "99999-01-01", "2023-13-01"]),
        ("--line", ["nosuch,p", "o", ",", ""]),
    ],
}

# the edges each command is run with for real, a subprocess each: every numeric option at its
# smallest allowed value and, where it has one, its largest (a run that large must be refused by
# the run-size check), several options to one command line where they can go together
EDGES: dict[str, list[list[str]]] = {
    "run": [
        [
            "--seed",
            "0",
            "--workers",
            "1",
            "-n",
            "1",
            "--years",
            "2023",
            "--set",
            "demand.scale=0",
            "--demand-case",
            "high",
        ],
        [
            "--seed",
            str(2**128),
            "--workers",
            HUGE,
            "-n",
            "2",
            "--years",
            "2023-2023",
            "--set",
            "demand.tariff_factor=100",
        ],
        ["--set", "demand.scale=1000", "--set", "demand.tariff_factor=0.01"],
        ["-n", "100000"],
    ],
    "compare": [
        ["--seed", "0", "--workers", "1", "-n", "1", "--years", "2023", "--demand-case", "high"],
        ["--seed", str(2**128), "--workers", HUGE, "-n", "100000"],
    ],
    "sweep": [
        [
            "--seed",
            "0",
            "--workers",
            HUGE,
            "-n",
            "1",
            "--years",
            "2023",
            "--vary",
            "sea_lines.p_q.vessels.v.count=1,,2",
        ],
        ["--vary", "demand.tariff_factor=0.01,100", "-n", "100000"],
    ],
    "capacity": [
        ["--seed", "0", "--workers", "1", "-n", "2", "--years", "2023"],
        ["--year", "2023", "--workers", HUGE],
        ["--year", "1990"],
        ["--year", "2100"],
    ],
    "bottlenecks": [
        ["--seed", "0", "--workers", "1", "-n", "2", "--year", "2023", "--step", "0.01"],
        ["--step", "10", "-n", "10000"],
        ["--year", "2100"],
        ["--years", "2023", "-n", "2", "--workers", "1"],
    ],
    "sensitivity": [
        ["--seed", "0", "--workers", "1", "--trajectories", "2", "--years", "2023"],
        ["--workers", HUGE],
    ],
    "appraise": [
        [
            "--seed",
            "0",
            "--workers",
            "1",
            "-n",
            "2",
            "--years",
            "2023",
            "--discount-rate",
            "0",
            "--measure",
            "more_berths",
        ],
        ["--discount-rate", "99.99"],
    ],
    "plan": [
        [
            *("--seed", "0", "--workers", "1", "-n", "2", "--goal", "1e-9", "--by", "2023", "--budget-musd", "0"),
            *("--confidence", "1", "--screening", "2", "--frontier", "2023-2023"),
        ],
        ["--goal", "1e300", "--budget-musd", "1e300", "--confidence", "1e-9"],
        ["--goal-delivered", "1e-9", "--max-evaluations", "2", "--own-entries-from", "2023", "-n", "2"],
    ],
    "validate": [["--years", "2023", "--set", "demand.scale=1000", "--demand-case", "high"]],
    "report": [["--demand-case", "central", "--title", "x" * 10_000]],
    "charts": [
        ["--days", "1", "--year", "2023", "--from", "2023-12-31", "--line", "o,p"],
        ["--days", "3660"],
        ["--years", "2023"],
    ],
}


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, str]:
    """The small corridor (twice, under two names), candidates for it, and one run kept in detail."""
    tmp = tmp_path_factory.mktemp("options")
    s = every_section()
    (tmp / "s.yaml").write_text(yaml.safe_dump(s, sort_keys=False))
    (tmp / "s2.yaml").write_text(yaml.safe_dump(dict(s, name="tiny2"), sort_keys=False))
    (tmp / "c.yaml").write_text(yaml.safe_dump(CANDIDATES, sort_keys=False))
    o = cli(["run", str(tmp / "s.yaml"), "--detail", "-q", "-w", "1", "--out", str(tmp / "r")])
    assert o.kind == "exit 0", o.describe()
    return {"s": str(tmp / "s.yaml"), "s2": str(tmp / "s2.yaml"), "c": str(tmp / "c.yaml"), "r": str(tmp / "r")}


def _fill(args: list[str], files: dict, out: Path) -> list[str]:
    return [a.format(out=out, **files) for a in args]


def junk() -> list[tuple[str, str, str]]:
    """(command, option, value) of every junk value."""
    return [(cmd, opt, v) for cmd, opts in JUNK.items() for opt, values in opts for v in values]


BY_VALUE = ("--measure", "--demand-case", "--line")  # refusals that name what was asked for


class Alarm(Exception):
    pass


def _alarm(signum, frame):
    raise Alarm(f"still running after {TIMEOUT_S:.0f} s")


def test_every_command_and_numeric_option_is_tried():
    """Each numeric option of each command has junk and is run at an edge; so are the years."""
    assert set(main.commands) - set(COMMANDS) == {"schema", "kpis"}  # these two take no values
    for cmd in COMMANDS:
        assert cmd in main.commands and cmd in JUNK and cmd in EDGES, cmd
        numeric = {
            p.opts[0]
            for p in main.commands[cmd].params
            if isinstance(p.type, (click.types.IntParamType, click.types.FloatParamType))
        }
        numeric |= {o for o in ("--years", "--frontier") if o in {p.opts[0] for p in main.commands[cmd].params}}
        with_junk = {opt for opt, values in JUNK[cmd] if values}
        runs = [*EDGES[cmd], TOO_LONG.get(cmd, [])]
        at_edges = {"--replications" if a == "-n" else a for args in runs for a in args if a.startswith("-")}
        assert numeric <= with_junk, (cmd, numeric - with_junk)
        assert numeric <= at_edges, (cmd, numeric - at_edges)


def test_junk_option_values_are_refused_with_one_paragraph(files, tmp_path):
    stats: Counter = Counter()
    previous = signal.signal(signal.SIGALRM, _alarm)
    try:
        for i, (cmd, opt, value) in enumerate(junk()):
            args = [*_fill(COMMANDS[cmd], files, tmp_path / f"o{i}"), opt, value]
            signal.alarm(int(TIMEOUT_S))
            try:
                r = CliRunner().invoke(main, args)
            finally:
                signal.alarm(0)
            stats[f"exit {r.exit_code}"] += 1
            shown = f"corridor-sim {' '.join(args)}\n{r.output}"
            assert r.exc_info[0] is SystemExit and "Traceback" not in r.output, shown
            if (cmd, opt) == ("sweep", "--vary") and r.exit_code == 0:
                # documented: a point whose values the scenario refuses is recorded, and the sweep goes on
                assert "failed or invalid" in r.output and ", 0 failed" not in r.output, shown
                continue
            assert r.exit_code == 2, shown
            name = value.split("=")[0] if opt in ("--set", "--vary") and "=" in value[1:] else opt
            named = name in r.output or name.lstrip("-") in r.output
            assert named or (opt in BY_VALUE and value in r.output), shown
    finally:
        signal.signal(signal.SIGALRM, previous)
    n = sum(len(opts) for opts in JUNK.values())
    print(f"\noption junk: {len(junk())} values for {n} options of {len(JUNK)} commands: {dict(stats)}")
    assert stats["exit 2"] >= len(junk()) - 5 and len(junk()) > 300


# The largest allowed counts of runs on the small corridor: too small for the memory check, and
# each run alone is quick, so they would run for hours
# (issue 21 item 4): each is refused at once, by the estimate of the runs' time in all.
TOO_LONG = {
    "capacity": ["-n", "10000"],
    "sensitivity": ["--trajectories", "10000"],
    "appraise": ["-n", "10000"],
    "plan": ["-n", "10000", "--screening", "10000"],
}


def test_option_edges_run_to_the_end_in_a_subprocess(files, tmp_path):
    edges = [(cmd, args) for cmd, runs in EDGES.items() for args in runs]
    commands = [[*_fill(COMMANDS[cmd], files, tmp_path / f"o{i}"), *args] for i, (cmd, args) in enumerate(edges)]
    outcomes = cli_many(commands)
    stats = tally(outcomes)
    n = sum(a.startswith("-") for _, args in edges for a in args)
    print(f"\noption edges: {n} option values in {len(edges)} commands, each a subprocess: {dict(stats)}")
    for (cmd, args), o in zip(edges, outcomes, strict=True):
        if o.kind != "exit 0":  # what was refused, and why (the first line of its paragraph)
            print(f"  {o.kind}: {cmd} {' '.join(a[:40] for a in args)}: {o.output.strip().splitlines()[0][:160]}")
    bad = [o.describe() for o in outcomes if not ended_well(o)]
    assert not bad, "\n\n".join(bad)
    assert stats["exit 0"] > len(edges) // 2


def test_the_largest_counts_of_runs_are_refused_at_once(files, tmp_path):
    commands = [[*_fill(COMMANDS[cmd], files, tmp_path / cmd), *args] for cmd, args in TOO_LONG.items()]
    outcomes = cli_many(commands, timeout=REFUSE_AT_ONCE_S)
    bad = [o.describe() for o in outcomes if not (o.kind == "exit 2" and all(r in o.output for r in RUN_SIZE))]
    assert not bad, "\n\n".join(bad)
