"""What a reader sees: what-if folders and labels, terminal tables, reprs, conventions (issue 15)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import corridor_sim as cs
from corridor_sim.cli import main

from fuzzing import untraced

ROOT = Path(__file__).resolve().parents[1]


def test_a_set_run_writes_to_a_folder_named_after_its_overrides_and_says_so(tmp_path, base_path):
    cwd = os.getcwd()
    os.chdir(tmp_path)  # the default folder is results/<slug> under the working directory
    try:
        r = CliRunner().invoke(
            main,
            [
                "run",
                str(base_path),
                "--years",
                "2024",
                "-q",
                "--set",
                "demand.scale=1.5",
                "--set",
                "sea_lines.ferry_kuryk_alat.vessels.asco_ferry.count=9",
            ],
        )
    finally:
        os.chdir(cwd)
    assert r.exit_code == 0, r.output
    folder = tmp_path / "results" / "base--demand.scale=1.5--sea_lines.ferry_kuryk_alat.vessels.asco_ferry.count=9"
    assert folder.is_dir() and not (tmp_path / "results" / "base").exists()
    summary = json.loads((folder / "summary.json").read_text())
    meta = json.loads((folder / "metadata.json").read_text())
    want = {"demand.scale": 1.5, "sea_lines.ferry_kuryk_alat.vessels.asco_ferry.count": 9}
    assert summary["overrides"] == want and meta["overrides"] == want
    assert summary["label"] == "base (demand.scale=1.5, sea_lines.ferry_kuryk_alat.vessels.asco_ferry.count=9)"
    import matplotlib.image  # noqa: F401  (the plots exist and are labelled: the title text is in the figure)

    res = cs.run(cs.load_scenario(base_path, overrides={"demand.scale": 1.5}, years=(2024, 2024)), seed=1)
    from corridor_sim.present import plots

    assert "demand.scale=1.5" in plots.annual_tons(res).axes[0].get_title(loc="left")
    assert res.scenario.overrides == {"demand.scale": 1.5} and "demand.scale=1.5" in repr(res)


def test_folder_names_of_what_ifs_are_safe_and_distinct(base_path):
    a = cs.load_scenario(base_path, overrides={"timeline.btc_oil_pause.description": "a/b: c"})
    b = cs.load_scenario(base_path, overrides={"timeline.btc_oil_pause.description": "a_b_ c"})
    assert re.fullmatch(r"[A-Za-z0-9._=+-]+", a.slug) and a.slug != b.slug
    long = cs.load_scenario(
        base_path,
        overrides={f"demand.flows.{f.id}.growth_pct_per_year": 3 for f in cs.load_scenario(base_path).demand.flows},
    )
    assert len(long.slug) <= 96 and long.slug.startswith("base--")
    assert cs.load_scenario(base_path).slug == "base"


def _wide_lines(text: str, width: int = 80) -> list[str]:
    return [
        line
        for line in text.splitlines()
        if len(line) > width and not line.startswith("corridor-sim:") and "written to" not in line
    ]


def test_terminal_tables_fit_80_columns_and_show_intervals(tmp_path, base_path):
    # untraced: what is printed is measured in-process by the CLI tests; here, only the terminal
    env = dict(untraced(dict(os.environ)), COLUMNS="80")
    exe = [sys.executable, "-m", "corridor_sim"]
    p = subprocess.run(
        [
            *exe,
            "compare",
            str(base_path),
            str(base_path.parent / "zangezur.yaml"),
            "--years",
            "2024-2025",
            "-n",
            "2",
            "-w",
            "2",
            "--no-plots",
            "--out",
            str(tmp_path / "c"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert p.returncode == 0, p.stderr
    assert _wide_lines(p.stdout) == [], p.stdout
    assert re.search(r"\d\.\d\d ± \d\.\d\d", p.stdout), p.stdout  # mean ± half-width with n > 1
    assert "2/2 runs" in p.stderr or "runs done" in p.stderr  # progress in a log, not a terminal
    q = subprocess.run(
        [*exe, "run", str(base_path), "--years", "2024", "--no-plots", "--out", str(tmp_path / "r")],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert q.returncode == 0, q.stderr
    assert _wide_lines(q.stdout) == [] and "containers_cn_az" in q.stdout and "wait before" in q.stdout
    assert "% of the simulated time" in q.stderr
    quiet = subprocess.run(
        [
            *exe,
            "-q",
            "run",
            str(base_path),
            "--years",
            "2024",
            "--no-plots",
            "--out",
            str(tmp_path / "r"),
            "--overwrite",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert quiet.returncode == 0 and "simulated time" not in quiet.stderr


def test_compare_with_one_replication_warns(tmp_path, base_path):
    r = CliRunner().invoke(
        main,
        ["compare", str(base_path), "--years", "2024", "-n", "1", "--no-plots", "-q", "--out", str(tmp_path / "c")],
    )
    assert r.exit_code == 0, r.output
    assert "1 replication(s)" in r.output and "may mislead" in r.output


def test_reprs_are_compact(base_results, base_path):
    from corridor_sim.display import HTML_LIMIT, TEXT_LIMIT
    from corridor_sim.experiments.comparison import compare_results
    from corridor_sim.experiments.replicated import Replicated

    s = cs.load_scenario(base_path, years=(2024, 2025))
    runs = [cs.run(s, seed=k) for k in (1, 2)]
    rep = Replicated(s, 1, runs)
    cmp = compare_results({"base": runs, "again": runs})
    for obj in (base_results, rep, cmp):
        text, page = repr(obj), obj._repr_html_()
        assert 40 < len(text) <= TEXT_LIMIT and 100 < len(page) <= HTML_LIMIT, type(obj).__name__
        assert "base" in text
    assert "±" in repr(rep) and "2025" in repr(rep)


def test_python_m_corridor_sim_version():
    p = subprocess.run([sys.executable, "-m", "corridor_sim", "--version"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and p.stdout.strip() == f"corridor-sim, version {cs.__version__}"


@pytest.mark.parametrize(
    "name,args",
    [
        ("scenario.schema.json", ["schema", "--json"]),
        ("scenario.partial.schema.json", ["schema", "--json", "--partial"]),
        ("candidates.schema.json", ["schema", "--candidates"]),
        ("kpis.md", ["kpis"]),
    ],
)
def test_generated_docs_are_current(name, args):
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0
    assert (ROOT / "docs" / name).read_text() == r.output, f"run: corridor-sim {' '.join(args)} > docs/{name}"


def _plain(x):
    import datetime

    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_plain(v) for v in x]
    return x.isoformat() if isinstance(x, datetime.date) else x


def test_scenario_files_name_a_schema_they_follow():
    import jsonschema
    import yaml

    for f in sorted((ROOT / "scenarios").glob("*.yaml")):
        first = f.read_text().splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema="), f
        schema = json.loads((f.parent / first.split("$schema=")[1]).read_text())
        data = _plain(yaml.safe_load(f.read_text()))
        assert list(jsonschema.Draft202012Validator(schema).iter_errors(data)) == [], f
        bad = {**data, "nmae": "x"}
        assert list(jsonschema.Draft202012Validator(schema).iter_errors(bad)), "the schema must catch a typo"


def test_library_code_quotes_no_scenario_facts():
    """Goals, flows, ports, thresholds come from the scenario (issue 13)."""
    hits = []
    for path in (ROOT / "corridor_sim").rglob("*.py"):
        for i, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r'10 Mt|containers_cn_tr|"aktau"|85%', line) and "example" not in line:
                hits.append(f"{path.name}:{i}: {line.strip()}")
    assert hits == []


def test_sources_stay_inside_the_repository():
    hits = []
    for base in ("scenarios", "seeds", "corridor_sim", "docs"):
        for path in (ROOT / base).rglob("*"):
            if path.is_file() and path.suffix in {".py", ".md", ".yaml", ".csv", ".txt", ".json"}:
                for i, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                    if re.search(r"shared/|corridor_facts", line) and "compiled from the cited sources" not in line:
                        hits.append(f"{path.relative_to(ROOT)}:{i}")
    readme = (ROOT / "README.md").read_text()
    hits += [
        f"README.md:{i}"
        for i, line in enumerate(readme.splitlines(), 1)
        if re.search(r"shared/|corridor_facts", line) and "compiled from the cited sources" not in line
    ]
    assert hits == []


def test_the_explorer_runs_a_what_if_and_says_what_binds(base_path):
    from corridor_sim.present.explore import explorer, vessel_groups, what_if

    s = cs.load_scenario(base_path)
    groups = vessel_groups(s)
    assert "Kuryk–Alat rail ferries: ASCO ferries (52 wagons)" in groups
    more = what_if(base_path, "central", 1.0, groups["Kuryk–Alat rail ferries: ASCO ferries (52 wagons)"], 2, 2024)
    base = what_if(base_path, "central", 1.0, None, 0, 2024)
    assert base.year == 2024 and base.goal_mt == s.goal_mt_per_year and 3 < base.delivered_mt < 6
    assert "ferry_kuryk_alat.vessels.asco_ferry.count=8" in more.label and "binds" in repr(more)
    assert "<b>" in more._repr_html_()
    ui = explorer(base_path.parent)
    assert ui is not None and len(ui.children) == 5  # ipywidgets is in the test extra


def test_the_assumptions_say_which_ways_cargo_moves_and_what_is_shared(base_path):
    """The report's assumptions follow the scenario, not a fixed sentence: a corridor without return
    legs or empties is loaded and one way; the base, which sends its empties home on the ships' way
    back, and a scenario with an eastbound flow say both directions, and name what goes back and what
    the corridor shares."""
    from corridor_sim.present.assumptions import assumptions

    from factories import build, rail_sea

    def said(name: str) -> dict[str, str]:
        return {a.topic: a.text for a in assumptions(cs.load_scenario(base_path.parent / name))}

    one_way = {a.topic: a.text for a in assumptions(build(rail_sea()))}
    assert one_way["direction"].startswith("Loaded traffic in the corridor's direction only")
    assert "shared" not in one_way
    base = said("base.yaml")
    assert base["direction"].startswith("Both directions") and "not tracked" not in base["direction"]
    both = said("shared_both_ways.yaml")
    assert both["direction"].startswith("Both directions") and "not tracked" not in both["direction"]
    assert "wagons_az_kz_eastbound" in both["direction"] and "17%" in both["direction"]
    assert "wagons_az_kz_eastbound" in both["shared"]
    fleet = said("shared_fleet.yaml")
    assert "shares the deck" in fleet["shared"] and "asco_ferries" in fleet["shared"]
