"""The corridor map, operations charts and the HTML report, checked in a real headless Chromium."""
from __future__ import annotations

import os
import shutil

import pytest
from click.testing import CliRunner

import corridor_sim as cs
from corridor_sim import plots
from corridor_sim.cli import main
from corridor_sim.plots import _open_links


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
    assert len(dotted) >= len(zangezur)                       # the closed route is drawn, dotted
    labels = {t.get_text() for t in ax.texts}
    assert {"Aktau port", "Kuryk port", "Port of Baku (Alat)", "Dostyk"} <= labels
    assert "longitude" in ax.get_xlabel() and "2027" in ax.get_title()
    assert len(plots.corridor_map(zangezur_run, 2029).axes[0].get_lines()) > 20


def test_stringline_and_gantt_draw_the_window(zangezur_run):
    path = ["alashankou", "dostyk", "aktogay", "moyinty", "zhezkazgan", "beineu", "mangyshlak", "aktau"]
    fig = plots.stringline(zangezur_run, path, start="2028-03-01", days=20)
    ax = fig.axes[0]
    assert len(ax.get_lines()) > 5 and "km" in ax.get_ylabel()
    g = plots.fleet_gantt(zangezur_run, start="2028-11-15", days=30)
    assert len(g.axes[0].collections) > 10                    # one broken bar per vessel and state
    assert any("held by weather" in t.get_text() for t in g.axes[0].get_legend().get_texts())
    with pytest.raises(ValueError):
        plots.stringline(zangezur_run, ["aktau", "alat"])    # a sea leg has no rail time-distance


def test_charts_command(tmp_path, base_path):
    lean = tmp_path / "lean"
    assert CliRunner().invoke(main, ["run", str(base_path), "--years", "2024", "--out", str(lean), "-q",
                                     "--no-plots"]).exit_code == 0
    r = CliRunner().invoke(main, ["charts", str(lean)])
    assert r.exit_code == 2 and "--detail" in r.output             # the charts need the per-train detail
    out = tmp_path / "b"
    assert CliRunner().invoke(main, ["run", str(base_path), "--years", "2024", "--out", str(out), "-q",
                                     "--no-plots", "--detail"]).exit_code == 0
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


def test_report_loads_in_headless_chromium(tmp_path, base_path):
    runner = CliRunner()
    assert runner.invoke(main, ["run", str(base_path), "--years", "2024", "--out", str(tmp_path / "base"), "-q",
                                "--no-plots"]).exit_code == 0
    assert runner.invoke(main, ["run", str(base_path.parent / "zangezur.yaml"), "--years", "2027-2029", "--out",
                                str(tmp_path / "zangezur"), "-q", "--no-plots"]).exit_code == 0
    report = tmp_path / "report.html"
    r = runner.invoke(main, ["report", str(tmp_path / "base"), str(tmp_path / "zangezur"), "--out", str(report)])
    assert r.exit_code == 0, r.output
    text = report.read_text()
    assert "<script" not in text and "http://" not in text and "https://" not in text   # self-contained
    exe = _chromium()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have Chromium (the .ci/run script installs it)")
        pytest.skip("Chromium is not installed here")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-quic"])
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
    assert sections == ["Scenarios", "Results", "What binds", "Corridor map", "Plots by scenario",
                        "Bottleneck ranking", "Parameters and sources", "Assumptions"]
    assert len(widths) >= 8 and min(widths) > 500              # every embedded image decoded
    assert "zangezur, 2027" in maps and "zangezur, 2029" in maps   # the route before and after it opens
    assert (tmp_path / "report.png").stat().st_size > 30_000
