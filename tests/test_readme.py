"""The README is what a newcomer reads first: it stays short (at most 300 lines), its two first
commands are the install-and-run and the test commands (the second is what CI runs), every command
it shows runs (each as a user would type it, in a fresh folder, the ones that take years for one
year), every script it names exists and takes the options it is given, and every link points to a
file of the repository."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from fuzzing import untraced

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BIN = Path(sys.executable).parent


def bash_blocks(text: str) -> list[list[str]]:
    """The commands of each ```bash block: continuation lines joined, comments dropped."""
    blocks = []
    for body in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        body = body.replace("\\\n", " ")
        blocks.append([line.split("  #")[0].strip() for line in body.splitlines() if line.strip()])
    return blocks


COMMANDS = [c for block in bash_blocks(README)[1:] for c in block]
YEARLY = {"run", "compare", "capacity", "bottlenecks"}  # the commands that take --years and --workers


def test_the_readme_is_short_and_opens_with_the_two_commands():
    assert len(README.splitlines()) <= 300
    install, tests = bash_blocks(README)[0]
    assert install.endswith("corridor-sim run scenarios/base.yaml") and "pip install -e ." in install
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert ci.endswith(tests.split("&& ", 1)[1]), (ci, tests)  # CI runs the README's test command


def for_one_year(command: str) -> list[str]:
    """The command as a user would run it, the ones that take years for the first year only, and
    in one process (the suite already keeps both cores busy: a pool of workers per command would
    only queue behind the other tests, and the pools are tested in test_experiments)."""
    args = shlex.split(command)
    assert args[0] == "corridor-sim", command
    if args[1] in YEARLY:
        if "--years" in args:
            args[args.index("--years") + 1] = "2024"
        else:
            args += ["--years", "2024"]
        if not {"-w", "--workers"} & set(args):
            args += ["--workers", "1"]
    return [str(BIN / "corridor-sim"), *args[1:]]


def test_the_readme_shows_its_commands():
    subs = {shlex.split(c)[1] for c in COMMANDS}
    assert {"run", "validate", "compare", "capacity", "bottlenecks", "report"} <= subs, subs


def test_every_command_in_the_readme_runs(tmp_path):
    """In order, in one fresh folder holding the repository's scenarios as a user's clone would (the
    report reads the run before it), each command exits 0 without a traceback."""
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios")
    env = dict(os.environ)
    for command in COMMANDS:
        r = subprocess.run(
            for_one_year(command), cwd=tmp_path, capture_output=True, text=True, timeout=600, env=untraced(env)
        )
        assert r.returncode == 0, f"{command}\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}"
        assert "Traceback" not in r.stderr, command
    assert (tmp_path / "results" / "base" / "summary.json").is_file()
    assert (tmp_path / "report.html").stat().st_size > 10_000


def test_every_script_the_readme_names_exists_and_takes_its_options():
    named = re.findall(r"`python (benchmarks/[\w./]+\.py)([^`]*)`", README)
    assert len(named) >= 4
    for script, options in named:
        path = ROOT / script
        assert path.is_file(), script
        given = re.findall(r"(--[\w-]+|-\w)\b", options)
        help_text = subprocess.run(
            [sys.executable, str(path), "--help"], capture_output=True, text=True, timeout=120, cwd=ROOT
        ).stdout
        for option in given:
            assert re.search(rf"(^|[\s,\[]){re.escape(option)}\b", help_text), f"{script} takes no {option}"


def test_every_link_in_the_readme_points_to_a_file():
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", README):
        if not target.startswith("http"):
            assert (ROOT / target).exists(), target
