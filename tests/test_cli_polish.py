"""What the command line prints, as a user reads it: progress that ends once, text left and
numbers right, intervals as mean ± half-width under readable headers, help for every option, and
one spelling for years (``--years 2030`` or ``--years 2024-2035``; the old ``--year`` still
accepted, with a warning)."""

from __future__ import annotations

import re

import click
import pytest
import yaml
from click.testing import CliRunner
from rich.console import Console

from corridor_sim.cli import main
from corridor_sim.cli.main import print_frame
from corridor_sim.cli.terminal import Progress_, number_columns, print_table

from factories import rail_sea

TINY = rail_sea(tons_per_year=20_000.0, lot=40.0, capacity=100.0)


@pytest.fixture()
def tiny(tmp_path):
    p = tmp_path / "tiny.yaml"
    p.write_text(yaml.safe_dump(TINY, sort_keys=False))
    return p


def invoke(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env={"COLUMNS": "100", **(env or {})})


def every_option():
    for name, cmd in sorted(main.commands.items()):
        for p in cmd.params:
            if isinstance(p, click.Option):
                yield name, p


def test_every_option_of_every_command_has_help():
    missing = [f"{name} {p.opts[0]}" for name, p in every_option() if not (p.help or "").strip()]
    assert not missing, f"options without help: {missing}"
    # and the help reaches --help (the option is listed with its text)
    r = invoke("bottlenecks", "--help")
    assert r.exit_code == 0 and re.search(r"-n, --replications\s+INTEGER RANGE\s+Replications", r.output)


def test_one_spelling_for_years_in_every_command():
    """No command shows --year in its help; every command that takes years takes --years."""
    for name, cmd in main.commands.items():
        shown = [o for p in cmd.params if isinstance(p, click.Option) and not p.hidden for o in p.opts]
        assert "--year" not in shown, name
    takes_years = {n for n, p in every_option() if "--years" in p.opts}
    assert {"run", "compare", "sweep", "capacity", "bottlenecks", "sensitivity", "appraise", "validate", "charts"} <= (
        takes_years
    )


def test_the_old_year_option_is_accepted_with_a_warning(tmp_path):
    """`capacity --year 2024` runs as `--years 2024` and says that the spelling is deprecated;
    both given at once is refused."""
    base = ["capacity", "scenarios/base.yaml", "-n", "2", "-w", "1", "--total-only", "--set", "demand.scale=0.02"]
    r = invoke(*base, "--year", "2024", "--out", tmp_path / "old")
    assert r.exit_code == 0, r.output
    assert "--year is deprecated" in r.output and "--years 2024" in r.output
    new = invoke(*base, "--years", "2024", "--out", tmp_path / "new")
    assert new.exit_code == 0 and "deprecated" not in new.output
    old_csv = (tmp_path / "old" / "capacity.csv").read_text()
    assert old_csv == (tmp_path / "new" / "capacity.csv").read_text()
    both = invoke(*base, "--years", "2024", "--year", "2024", "--out", tmp_path / "both")
    assert both.exit_code == 2 and "not both" in both.output and "Traceback" not in both.output


def test_a_command_of_one_year_refuses_a_span(tmp_path):
    r = invoke("bottlenecks", "scenarios/base.yaml", "--years", "2024-2026", "--out", tmp_path / "x")
    assert r.exit_code == 2, r.output
    assert "one year" in r.output and "--years 2026" in r.output and not (tmp_path / "x").exists()


def test_progress_ends_once(tiny, tmp_path):
    """The final 100% line of a run, and the last 'N/N runs done' of a batch, are logged once
    (off a terminal progress goes to the log), however often the end is reported."""
    r = invoke("run", tiny, "--out", tmp_path / "one", "--no-plots")
    assert r.exit_code == 0, r.output
    assert r.output.count("100% of the simulated time") == 1, r.output
    r = invoke("run", tiny, "-n", "3", "-w", "1", "--out", tmp_path / "three", "--no-plots")
    assert r.exit_code == 0, r.output
    assert r.output.count("3/3 runs done") == 1, r.output


def test_progress_reported_at_its_end_many_times_logs_it_once(caplog):
    import logging

    lines = []

    class Keep(logging.Handler):
        def emit(self, record):
            lines.append(record.getMessage())

    log = logging.getLogger("corridor_sim")
    h = Keep()
    log.addHandler(h)
    old = log.level
    log.setLevel(logging.INFO)
    try:
        with Progress_("batch", quiet=False) as bar:
            for done in (0, 5, 10, 10, 10, 10):
                bar(done, 10)
            bar(12, 12)  # the batch grew: its new end is logged, once
            bar(12, 12)
    finally:
        log.removeHandler(h)
        log.setLevel(old)
    assert sum("10/10" in x for x in lines) == 1, lines
    assert sum("12/12" in x for x in lines) == 1, lines


def columns_of(text: str, head: str) -> tuple[int, int]:
    """Where a header's text starts and ends in a printed table."""
    line = next(x for x in text.splitlines() if head in x)
    return line.index(head), line.index(head) + len(head)


def test_text_aligns_left_and_numbers_right():
    con = Console(width=100, record=True, force_terminal=False)
    rows = [["Aktau port", "4.42 ± 0.05", "61%", "ktz:aktau"], ["Batumi", "12.10 ± 1.20", "7%", "x"]]
    print_table(con, "t", ["name", "Mt", "share", "binds"], rows)
    text = con.export_text()
    lines = [x for x in text.splitlines() if "Aktau" in x or "Batumi" in x]
    # the text columns start where their headers start; the numbers end where theirs end
    for head, cell, left in (("name", "Aktau port", True), ("binds", "ktz:aktau", True), ("Mt", "4.42 ± 0.05", False)):
        start, end = columns_of(text, head)
        line = next(x for x in lines if cell in x)
        if left:
            assert line.index(cell) == start, (head, text)
        else:
            assert line.index(cell) + len(cell) == end, (head, text)
    assert number_columns(rows, 4) == {1, 2}


def test_every_interval_column_shows_plus_minus_under_a_readable_header(capsys, monkeypatch):
    import pandas as pd

    monkeypatch.setenv("COLUMNS", "120")
    df = pd.DataFrame(
        {
            "lever": ["A", "B"],
            "delta_kt_mean": [14.0, 9.0],
            "delta_kt_ci_low": [10.0, 5.0],
            "delta_kt_ci_high": [18.0, 13.0],
        }
    )
    print_frame(
        df, "t", ["lever", "added, kt"], {"added, kt": ("delta_kt_mean", "delta_kt_ci_low", "delta_kt_ci_high")}
    )
    out = capsys.readouterr().out
    assert "14.000 ± 4.000" in out and "added, kt" in out and "delta_kt" not in out


def test_a_sweep_none_of_whose_points_can_run_is_refused_and_writes_nothing(tiny, tmp_path):
    """Every point invalid (a path the scenario does not have): bad input, exit 2, one paragraph
    naming the --vary, the first point and what is allowed; no folder. One valid point among
    invalid ones is a sweep that ran: its invalid points are recorded (exit 0)."""
    out = tmp_path / "s"
    r = invoke("sweep", tiny, "--vary", "demand.nonesuch=1,2", "-w", "1", "--out", out)
    assert r.exit_code == 2, r.output
    assert r.output.count("error:") == 1 and "Traceback" not in r.output
    for words in ("--vary", str(tiny), "demand.nonesuch=1", "unknown field 'nonesuch'", "scale", "nothing was run"):
        assert words in r.output, (words, r.output)
    assert not out.exists()
    r = invoke("sweep", tiny, "--vary", "demand.scale=-1,1", "-w", "1", "--out", out, "-q")
    assert r.exit_code == 0, r.output
    assert "(2 runs, 1 failed or invalid)" in r.output and (out / "sweep.csv").is_file()


def test_sweep_table_has_readable_headers_and_intervals(tiny, tmp_path):
    r = invoke("sweep", tiny, "--vary", "demand.scale=0.5,1", "-n", "2", "-w", "1", "--out", tmp_path / "s")
    assert r.exit_code == 0, r.output
    table = r.output[r.output.index("sweep of") :]
    assert "±" in table and "delivered Mt," in table and "runs ok" in table
    for raw in ("n_ok", "_mean", "_ci_low", "_ci_high", "point", "error"):
        assert raw not in table, (raw, table)
    # the values varied and the KPI are numbers: right-aligned under their headers
    start, end = columns_of(table, "runs ok")
    row = next(x for x in table.splitlines() if x.strip().startswith("0.50"))
    assert row[end - 1] == "2", table
