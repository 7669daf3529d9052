"""The corridor map, operations charts and the HTML report, checked in a real headless Chromium."""

from __future__ import annotations

import os
import shutil

import pytest
from click.testing import CliRunner

import corridor_sim as cs
from corridor_sim.cli import main
from corridor_sim.present import plots
from corridor_sim.present.figures import figures
from corridor_sim.present.plots.maps import _open_links
from corridor_sim.present.report import build_report
from corridor_sim.run.output import ResultsFolderError


@pytest.fixture(scope="module")
def base_2024_folder(base_path, tmp_path_factory):
    """The base's 2024 tables as `run --no-plots` writes them, for the tests that only read them."""
    out = tmp_path_factory.mktemp("report") / "base"
    r = CliRunner().invoke(main, ["run", str(base_path), "--years", "2024", "--out", str(out), "-q", "--no-plots"])
    assert r.exit_code == 0, r.output
    return out


@pytest.fixture(scope="module")
def zangezur_run(base_path):
    return cs.run(cs.load_scenario(base_path.parent / "zangezur.yaml", years=(2027, 2029)), seed=1)


def test_map_shows_zangezur_closed_before_and_open_after(zangezur_run):
    links_2027, _ = _open_links(zangezur_run, 2027)
    links_2029, _ = _open_links(zangezur_run, 2029)
    zangezur = {"alat_horadiz", "horadiz_aghband", "aghband_ordubad", "ordubad_dilucu", "dilucu_kars"}
    assert not zangezur & links_2027 and zangezur <= links_2029
    fig = plots.corridor_map(zangezur_run, 2027)
    ax = fig.axes[0]
    dotted = [l for l in ax.get_lines() if l.get_linestyle() == ":"]
    assert len(dotted) >= len(zangezur)  # the closed route is drawn, dotted
    labels = {t.get_text() for a in (ax, *ax.child_axes) for t in a.texts}  # the Caucasus is named in the inset
    labels |= {c.get_text() for c in ax.get_children() if hasattr(c, "get_text")}
    assert {"Aktau port", "Kuryk port", "Port of Baku (Alat)", "Dostyk"} <= labels
    assert "longitude" in ax.get_xlabel() and "2027" in ax.get_title(loc="left")
    assert len(plots.corridor_map(zangezur_run, 2029).axes[0].get_lines()) > 20


def test_stringline_and_gantt_draw_the_window(zangezur_run):
    path = ["alashankou", "dostyk", "aktogay", "moyinty", "zhezkazgan", "beineu", "mangyshlak", "aktau"]
    fig = plots.stringline(zangezur_run, path, start="2028-03-01", days=20)
    ax = fig.axes[0]
    assert len(ax.get_lines()) > 5 and "km" in ax.get_ylabel()
    g = plots.fleet_gantt(zangezur_run, start="2028-11-15", days=30)
    closures, fleet = g.axes[:2]
    assert len(fleet.collections) > 10  # one broken bar per vessel and state
    assert len(closures.collections) >= 1  # a strip of storm closures per port
    assert any("held by weather" in t.get_text() for t in fleet.get_legend().get_texts())
    with pytest.raises(ValueError):
        plots.stringline(zangezur_run, ["aktau", "alat"])  # a sea leg has no rail time-distance


def test_charts_command(tmp_path, base_path, base_2024_folder):
    r = CliRunner().invoke(main, ["charts", str(base_2024_folder)])
    assert r.exit_code == 2 and "--detail" in r.output  # the charts need the per-train detail
    out = tmp_path / "b"
    assert (
        CliRunner()
        .invoke(main, ["run", str(base_path), "--years", "2024", "--out", str(out), "-q", "--no-plots", "--detail"])
        .exit_code
        == 0
    )
    r = CliRunner().invoke(main, ["charts", str(out), "--from", "2024-11-01", "--days", "20"])
    assert r.exit_code == 0, r.output
    for png in ("corridor_map", "stringline", "fleet_gantt"):
        assert (out / f"{png}.png").stat().st_size > 20_000
    bad = CliRunner().invoke(main, ["charts", str(out), "--line", "aktau,atlantis"])
    assert bad.exit_code == 2 and "node ids" in bad.output
    missing = CliRunner().invoke(main, ["charts", str(tmp_path / "nothing")])
    assert missing.exit_code == 2 and "Traceback" not in missing.output


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def test_report_loads_in_headless_chromium(tmp_path, base_path, base_2024_folder):
    runner = CliRunner()
    assert (
        runner.invoke(
            main,
            [
                "run",
                str(base_path.parent / "zangezur.yaml"),
                "--years",
                "2027-2029",
                "--out",
                str(tmp_path / "zangezur"),
                "-q",
                "--no-plots",
            ],
        ).exit_code
        == 0
    )
    report = tmp_path / "report.html"
    r = runner.invoke(main, ["report", str(base_2024_folder), str(tmp_path / "zangezur"), "--out", str(report)])
    assert r.exit_code == 0, r.output
    text = report.read_text()
    assert "<script" not in text and "http://" not in text and "https://" not in text  # self-contained
    exe = _chromium()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have Chromium (the .ci/run script installs it)")
        pytest.skip("Chromium is not installed here")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=exe,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        console, errors = [], []
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(report.as_uri())
        page.wait_for_load_state("load")
        sections = page.locator("h2").all_inner_texts()
        widths = page.evaluate("Array.from(document.images).map(i => i.naturalWidth)")
        maps = page.locator("#map ~ h3").all_inner_texts()
        page.screenshot(path=str(tmp_path / "report.png"), full_page=False)
        browser.close()
    assert [c for c in console if c.startswith(("error", "warning"))] == [] and errors == []
    assert sections == [
        "Summary",
        "Scenarios",
        "Results",
        "What binds",
        "Corridor map",
        "Plots by scenario",
        "Cost and CO2",
        "Bottleneck ranking",
        "Sustainable capacity",
        "Parameters and sources",
        "Assumptions",
    ]
    assert len(widths) >= 8 and min(widths) > 500  # every embedded image decoded
    assert "zangezur, 2027" in maps and "zangezur, 2029" in maps  # the route before and after it opens
    assert (tmp_path / "report.png").stat().st_size > 30_000


def test_report_summary_and_assumptions_follow_the_scenario(tmp_path, base_path):
    """A changed parameter changes the report's text: the assumptions are written from the run, and
    the summary from its results; a --set run is labelled as the what-if it is."""
    from corridor_sim.present.report import build_report

    runner = CliRunner()
    for extra, out in (([], "plain"), (["--set", "caspian.sea_level_decline_cm_per_year=7"], "seven")):
        r = runner.invoke(
            main,
            ["run", str(base_path), "--years", "2024-2025", "--out", str(tmp_path / out), "-q", "--no-plots", *extra],
        )
        assert r.exit_code == 0, r.output
    plain = build_report([tmp_path / "plain"])
    seven = build_report([tmp_path / "seven"])
    assert "20 cm/yr" in plain and "20 cm/yr" not in seven and "7 cm/yr" in seven
    assert "caspian.sea_level_decline_cm_per_year=7" in seven and "What-if" in seven
    assert "caspian.sea_level_decline_cm_per_year" not in plain
    summary = plain[plain.index('id="summary"') : plain.index('id="scenarios"')]
    assert "not by 2025" in summary and "10 Mt/yr" in summary  # the goal and the year, from the results
    goal = build_report([tmp_path / "plain"]).replace("x", "x")
    cap = tmp_path / "cap"
    cap.mkdir()
    (cap / "capacity.csv").write_text(
        "scenario,year,cargo,capacity_mt,capacity_mt_ci_low,capacity_mt_ci_high,binding\n"
        "base,2024,all,5.2,4.8,5.6,tanker\nbase,2025,all,10.4,10.0,10.8,ferry\n"
    )
    with_cap = build_report([tmp_path / "plain"], capacity=[cap])
    assert "capacity reaches it: <b>2025 (10.40 ± 0.40 Mt/yr)</b>" in with_cap
    assert goal.count("<h2") == with_cap.count("<h2")


def test_report_with_capacity_opens_with_the_goal_table_in_chromium(tmp_path, base_path):
    """A comparison carrying capacity (synthetic trajectory, real runs): the report's first table is
    the goal table, each column labelled capacity or demand, then the capacity charts."""
    import pandas as pd
    from capacity_frames import DOSTYK, FERRIES, headroom, trajectory

    from corridor_sim.analyses.goal import compare

    out = tmp_path / "cmp"
    scns = [
        cs.load_scenario(base_path, years=(2024, 2025)),
        cs.load_scenario(base_path, years=(2024, 2025), demand_case="low"),
    ]
    cmp = compare(scns, replications=1, out=out)
    cmp.capacity = trajectory([9.0, 10.4], [DOSTYK, FERRIES])
    cmp.headroom = pd.concat(
        [headroom(y, [(FERRIES, 0.97, 0.03, 10.5), (DOSTYK, 0.8, 0.05, 12.0)]) for y in (2024, 2025)]
    )
    cmp.write_into(out, figures)
    report = tmp_path / "report.html"
    r = CliRunner().invoke(main, ["report", str(out), "--out", str(report)])
    assert r.exit_code == 0, r.output
    exe = _chromium()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have Chromium (the .ci/run script installs it)")
        pytest.skip("Chromium is not installed here")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(report.as_uri())
        page.wait_for_load_state("load")
        heads = page.locator("table").first.locator("th").all_inner_texts()
        cells = page.locator("table").first.locator("td").all_inner_texts()
        alts = page.evaluate("Array.from(document.images).map(i => [i.alt, i.naturalWidth])")
        browser.close()
    assert errors == []
    assert (
        heads[0] == "scenario" and heads[2].startswith("capacity") and "first year the corridor could carry" in heads[2]
    )
    assert [h.split("\n")[0] for h in heads[4:6]] == ["demand", "demand"] and "low case" in heads[5]
    assert cells[:4] == ["base", "10 Mt/yr", "2025 (10.40 ± 0.40 Mt/yr)", "2025"]
    assert cells[-1] == f"{FERRIES[1]} (2025)"
    first = [a for a, w in alts[:2]]
    assert first == ["capacity and demand by year, base", "headroom base 2025"] and min(w for _, w in alts) > 500


def test_report_cost_section_with_appraisal_and_plan(tmp_path, base_2024_folder):
    """A priced run gets the Cost and CO2 section (figure and table per route, the documented
    alternatives), labelled as cost, not capacity; appraisal.csv and frontier.csv folders add the
    measures' ranking and the plan frontier."""
    import pandas as pd

    from corridor_sim.analyses.appraisal import APPRAISAL_COLUMNS
    from corridor_sim.analyses.plan import FRONTIER_COLUMNS

    (tmp_path / "appr").mkdir()
    a = pd.DataFrame(
        [
            {
                "measure": "asco_second_feeder",
                "mode": "stand-alone",
                "capex_musd": 10.0,
                "enpv_musd": 36.0,
                "eirr_pct": 28.0,
                "bcr": 2.1,
                "p_enpv_negative": 0.0,
                "vot_switching_factor": 0.4,
                "main_stream": "shippers_time",
                "main_stream_share": 0.7,
            }
        ],
    ).reindex(columns=list(APPRAISAL_COLUMNS))
    a.to_csv(tmp_path / "appr" / "appraisal.csv", index=False)
    (tmp_path / "plan").mkdir()
    f = pd.DataFrame(
        [
            {
                "by": 2028,
                "reached": True,
                "capex_musd": 153.0,
                "pv_cost_musd": 166.0,
                "capacity_mt": 8.6,
                "capacity_mt_ci_low": 6.3,
                "capacity_mt_ci_high": 10.9,
                "share_at_goal": 1.0,
                "measures": "dredging (2028-01-01)",
            }
        ],
        columns=list(FRONTIER_COLUMNS),
    )
    f.to_csv(tmp_path / "plan" / "frontier.csv", index=False)
    (tmp_path / "plan" / "plan.json").write_text('{"scenario": "options", "goal_mt_per_year": 8.0}')
    html = build_report([base_2024_folder], appraisal=tmp_path / "appr", plan=tmp_path / "plan")
    cost = html[html.index('<h2 id="costs">') : html.index('<h2 id="ranking">')]
    assert "cost figures, not capacity" in cost
    assert "containers_cn_az · via_dostyk" in cost and "charges, US$" in cost and "CO2e, kg" in cost
    assert "Northern route via Russia" in cost and "1,300–1,560" in cost
    # charges, charges + time and CO2 by route, the measures' ENPV, the plan frontier
    assert cost.count("<img") == 5
    assert "asco_second_feeder" in cost and "The cheapest plan for 8 Mt/yr" in cost and "dredging (2028-01-01)" in cost
    plain = build_report([base_2024_folder])
    assert '<h2 id="costs">' in plain and "Measures: capex" not in plain
    (tmp_path / "plan" / "frontier.csv").write_text("by,reached\n2028,True\n")
    with pytest.raises(ResultsFolderError, match="frontier"):
        build_report([base_2024_folder], plan=tmp_path / "plan")
