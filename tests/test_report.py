"""The corridor map, operations charts and the HTML report, checked in a real headless Chromium.

The runs behind the reports go in this process (``-w 1``): the suite already keeps both cores
busy, and worker pools are tested in test_experiments.py and test_heavy_jobs.py."""

from __future__ import annotations

import json
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
        # the sections open as a reader opens them; their images (loaded lazily) then decode
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        page.wait_for_function("Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")
        widths = page.evaluate("Array.from(document.images).map(i => i.naturalWidth)")
        maps = page.locator("#sec-map h3").all_inner_texts()
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


@pytest.mark.untraced  # a whole-corridor job (conftest.py)
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
    cap = tmp_path / "cap"
    cap.mkdir()
    (cap / "capacity.csv").write_text(
        "scenario,year,cargo,capacity_mt,capacity_mt_ci_low,capacity_mt_ci_high,binding\n"
        "base,2024,all,5.2,4.8,5.6,tanker\nbase,2025,all,10.4,10.0,10.8,ferry\n"
    )
    with_cap = build_report([tmp_path / "plain"], capacity=[cap])
    assert "capacity reaches it: <b>2025 (10.40 ± 0.40 Mt/yr)</b>" in with_cap
    assert plain.count("<h2") == with_cap.count("<h2")


@pytest.mark.untraced  # a whole-corridor job (conftest.py)
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
        page.locator("summary", has_text="The tables behind the findings").click()  # as a reader opens them
        heads = page.locator("table").first.locator("th").all_inner_texts()
        cells = page.locator("table").first.locator("td").all_inner_texts()
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        page.wait_for_function("Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")
        alts = page.evaluate("Array.from(document.images).map(i => [i.alt, i.naturalWidth])")
        browser.close()
    assert errors == []
    assert (
        heads[0] == "scenario" and heads[2].startswith("capacity") and "first year the corridor could carry" in heads[2]
    )
    assert [h.split("\n")[0] for h in heads[4:6]] == ["demand", "demand"] and "low demand case" in heads[5]
    assert cells[:4] == ["base", "10 Mt/yr", "2025 (10.40 ± 0.40 Mt/yr)", "2025"]
    assert cells[-1] == f"{FERRIES[1]} (2025)"
    first = [a for a, w in alts[:2]]
    assert (
        first == ["capacity, offered and delivered by year, base", "headroom base 2025"]
        and min(w for _, w in alts) > 500
    )


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
    assert "Containers ending in Azerbaijan · via Dostyk" in cost and "charges, US$" in cost and "CO2e, kg" in cost
    assert "Northern route via Russia" in cost and "1,300–1,560" in cost
    # charges, charges + time and CO2 by route, the measures' ENPV, the plan frontier
    assert cost.count("<img") == 5
    assert "asco_second_feeder" in cost and "The cheapest plan for 8 Mt/yr" in cost and "dredging (2028-01-01)" in cost
    plain = build_report([base_2024_folder])
    assert '<h2 id="costs">' in plain and "Measures: capex" not in plain
    (tmp_path / "plan" / "frontier.csv").write_text("by,reached\n2028,True\n")
    with pytest.raises(ResultsFolderError, match="frontier"):
        build_report([base_2024_folder], plan=tmp_path / "plan")


def _resolve(folder, run: str, src: str) -> float:
    """A figure the report's summary names (``data-src``), read from the run's own files: the
    summary.json path, the route costs of its replications' routes.csv, its scenario, or the
    capacity.csv beside a comparison's runs. ``folder`` is the run's, or a comparison's holding it."""
    import json

    import pandas as pd

    from corridor_sim.kpi import route_costs

    kind, _, rest = src.partition(":")
    if kind == "capacity":
        year, metric = rest.split(":")
        cap = pd.read_csv(folder / "capacity.csv")
        return float(cap[(cap.year == int(year)) & (cap.cargo == "all")].iloc[0][metric])
    folder = folder / run if (folder / run / "summary.json").exists() else folder
    if kind == "trend":  # the demand case's trend in the year, of the scenario the run was made with
        from corridor_sim.analyses.capacity import demand_by_class
        from corridor_sim.run.results import scenario_of

        return sum(demand_by_class(scenario_of(folder), int(rest)).values()) / 1e6
    if kind == "summary":
        node = json.loads((folder / "summary.json").read_text())
        for key in rest.split("."):
            node = node[key]
        return float(node)
    if kind == "routes":
        year, flow, route, metric = rest.split(":")
        reps = sorted((folder / "replications").glob("rep_*/routes.csv")) or [folder / "routes.csv"]
        stacked = pd.concat([pd.read_csv(p).assign(replication=i) for i, p in enumerate(reps)], ignore_index=True)
        t = route_costs(stacked, int(year))
        return float(t[(t.flow == flow) & (t.route == route)].iloc[0][metric])
    if kind == "scenario":
        node = json.loads((folder / "metadata.json").read_text())["scenario"]
        for key in rest.split("."):
            node = next(x for x in node if x["id"] == key) if isinstance(node, list) else node[key]
        return float(node)
    raise AssertionError(f"the summary names a source this test cannot read: {src}")


def _open(report, exe):
    """The report in headless Chromium: its load time (ms), the summary's findings (tag, text
    without figures, names or commands, and each figure with its source) and the page's labels."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(report.as_uri())
        page.wait_for_load_state("load")
        load_ms = page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
        found = page.evaluate(
            """Array.from(document.querySelectorAll('#summary ~ ul.findings > li')).map(li => {
                 const c = li.cloneNode(true);
                 const figs = Array.from(c.querySelectorAll('b.v')).map(b => [b.dataset.src, b.dataset.run,
                     Number(b.dataset.scale), b.textContent]);
                 c.querySelectorAll('b.v, span.name, code').forEach(e => e.remove());
                 const tag = c.querySelector('.tag').textContent; c.querySelector('.tag').remove();
                 return {tag: tag, text: c.textContent, figs: figs, full: li.textContent};
               })"""
        )
        labels = page.evaluate(
            "Array.from(document.querySelectorAll('th, caption, summary')).map(e => e.innerText)"
            ".concat(Array.from(document.images).map(i => i.alt))"
        )
        page.screenshot(path=str(report.with_suffix(".png")), full_page=False)
        browser.close()
    assert errors == []
    return load_ms, found, labels


@pytest.fixture(scope="module")
def base_report(base_path, tmp_path_factory):
    """The base scenario, two replications, and its report, as a user makes them; over three of
    its years (2024-2026: the calibrated year and the measures of 2025), which the findings name."""
    tmp = tmp_path_factory.mktemp("base_report")
    args = ["run", str(base_path), "-n", "2", "--years", "2024-2026", "-w", "1", "--out", str(tmp / "base"), "-q"]
    args.append("--no-plots")
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    report = tmp / "report.html"
    r = CliRunner().invoke(main, ["report", str(tmp / "base"), "--out", str(report)])
    assert r.exit_code == 0, r.output
    return tmp / "base", report


def _check_findings(found: list[dict], folder, runs: set[str], years: set[int]) -> int:
    """Each finding tagged capacity, demand or cost; each figure in it the run's own, to the
    precision shown; no number in it but the run's years. The figures checked."""
    import re

    assert len(found) >= 6 and {f["tag"] for f in found} == {"capacity", "demand", "cost"}
    checked = 0
    for f in found:
        assert f["tag"] in ("capacity", "demand", "cost"), f["full"]
        stray = [int(x) for x in re.findall(r"\d[\d,.]*", f["text"].replace(",", "")) if x.isdigit()]
        assert all(y in years for y in stray), f"a number in the summary is not a figure of the run: {f['full']}"
        assert not re.search(r"\d+\.\d+", f["text"]), f["full"]
        for src, run, scale, text in f["figs"]:
            assert run in runs, run
            want = _resolve(folder, run, src) * scale
            shown = float(text.replace(",", ""))
            places = len(text.split(".")[1]) if "." in text else 0
            # to the precision shown (summary.json keeps three decimals)
            assert abs(shown - want) <= 10**-places / 2 + 1e-3, (src, text, want)
            checked += 1
    return checked


@pytest.mark.untraced  # a whole-corridor job (conftest.py)
def test_report_opens_with_findings_each_figure_the_runs(base_report):
    """The base report opens with findings in sentences, each tagged capacity, demand or cost, each
    figure in them equal to the run's own (summary.json, its routes, its scenario) at the precision
    shown, and no other number but the run's years; the page is under 2 MB and loads in under a
    second in Chromium."""
    import json
    import re

    folder, report = base_report
    size = report.stat().st_size
    assert size < 2_000_000, f"the report is {size / 1e6:.1f} MB"
    exe = _chromium()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have Chromium (the .ci/run script installs it)")
        pytest.skip("Chromium is not installed here")
    load_ms, found, labels = _open(report, exe)
    assert load_ms < 1000, f"the report took {load_ms:.0f} ms to load"
    summary = json.loads((folder / "summary.json").read_text())
    years = {int(y) for y in summary["years"]}
    assert _check_findings(found, folder, {"base"}, years) >= 8
    text = " ".join(f["full"] for f in found)
    # the diverted tonnes, the goal and the demand cases not run, from the run itself
    last = max(years)
    assert f"{summary['years'][str(last)]['total']['diverted_mt']['mean']:.2f} Mt diverted" in text
    assert "low and high demand cases were not run" in text and "corridor-sim compare base.yaml" in text
    assert "corridor-sim sensitivity base.yaml" in text  # no sensitivity run: the command, not a guess
    assert not [x for x in labels if re.search(r"\b[a-z]+_[a-z_]+:[a-z0-9_]+\b", x)]  # no internal resource ids


@pytest.mark.untraced  # a whole-corridor job (conftest.py)
def test_every_label_uses_the_demand_terms_and_the_tables_conserve(base_report, base_path):
    """Every table and chart labelled 'demand' uses the defined terms (docs/kpis.md): in the report,
    the run tables, annual_tons.png and the capacity chart; the run table shows offered = delivered
    + diverted + stock change (on screen, to its rounding), and the report's table too."""
    import re

    from corridor_sim.experiments.comparison import case_series, compare_results
    from corridor_sim.kpi import DEMAND_TERMS, demand_words_ok
    from corridor_sim.present.report.sources import find_sources
    from corridor_sim.present.report.tables import tonnes_table

    assert {"offered", "delivered", "diverted", "saturated"} <= set(DEMAND_TERMS)
    doc = (base_path.parents[1] / "docs" / "kpis.md").read_text()
    assert all(f"**{t}**" in doc for t in DEMAND_TERMS)
    folder, report = base_report
    html = report.read_text()
    heads = re.findall(r"<th[^>]*>(.*?)</th>", html, flags=re.S) + re.findall(r'alt="([^"]*)"', html)
    heads = [re.sub(r"<br>", "\n", re.sub(r"<(?!br)[^>]+>", "", h)) for h in heads]
    assert heads and [h for h in heads if not demand_words_ok(h)] == []
    for name in ("annual.csv", "totals.csv"):
        cols = (folder / name).read_text().splitlines()[0]
        assert "demand" not in cols and "generated" not in cols and "offered" in cols
    # the run table as printed, conserving
    r = CliRunner().invoke(
        main,
        ["run", str(base_path), "--years", "2024-2025", "-n", "2", "-w", "1", "--out", str(folder.parent / "small")]
        + ["--no-plots"],
    )
    assert r.exit_code == 0, r.output
    assert "offered Mt" in r.output and "diverted Mt" in r.output and "generated" not in r.output
    printed = re.findall(
        r"^\s*(20\d\d)\s+([\d.]+) ± [\d.]+\s+([\d.]+) ± [\d.]+\s+([\d.]+) ± [\d.]+\s+(-?[\d.]+) ± ",
        r.output,
        flags=re.M,
    )
    assert len(printed) == 2
    for _, offered, delivered, diverted, change in printed:
        assert float(offered) == pytest.approx(float(delivered) + float(diverted) + float(change), abs=0.02)
    # the report's table and the charts
    src = find_sources(folder)[0]
    cmp = compare_results({src.label: src.light()})
    t = tonnes_table(cmp)
    assert t["head"][2:] == ["offered", "delivered", "diverted", "stock change"]
    for row in t["rows"]:
        o, d, v, c = (float(x.split(" ± ")[0]) for x in row[2:])
        assert o == pytest.approx(d + v + c, abs=0.02)
    from capacity_frames import DOSTYK, FERRIES, trajectory

    from corridor_sim.experiments.replicated import Replicated

    rep = Replicated(src.scenario, src.light()[0].seed, src.light())
    cap = trajectory([9.0, 10.4], [DOSTYK, FERRIES])
    figs = [
        plots.annual_tons(rep),
        plots.plot_capacity_demand(src.scenario, cap, case_series(cmp), 2),
        plots.plot_capacity_demand(src.scenario, cap),
    ]
    texts = []
    for fig in figs:
        for ax in fig.axes:
            texts += [ax.get_title(loc=w) for w in ("left", "center")] + [ax.get_ylabel(), ax.get_xlabel()]
            if ax.get_legend():
                texts += [x.get_text() for x in ax.get_legend().get_texts()]
        texts += [x.get_text() for x in fig.texts]
    assert [x for x in texts if not demand_words_ok(x)] == []
    assert any("diverted" in x for x in texts) and any("offered" in x for x in texts)


@pytest.mark.untraced  # a whole-corridor job (conftest.py)
def test_report_findings_of_every_demand_case_with_capacity(tmp_path, base_path):
    """A comparison of the base under every demand case, with its capacity measured: a finding per
    case (when the goal is carried, or what keeps it short), the capacity's year or peak, the
    spread across the cases; each figure the run's own (each case's folder, capacity.csv)."""
    out = tmp_path / "cmp"
    r = CliRunner().invoke(
        main,
        [
            "compare",
            str(base_path),
            "--demand-case",
            "all",
            "--years",
            "2024-2025",
            "-n",
            "2",
            "-w",
            "1",
            "--capacity",
            "--out",
            str(out),
            "-q",
            "--no-plots",
        ],
    )
    assert r.exit_code == 0, r.output
    report = tmp_path / "report.html"
    assert CliRunner().invoke(main, ["report", str(out), "--out", str(report)]).exit_code == 0
    exe = _chromium()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have Chromium (the .ci/run script installs it)")
        pytest.skip("Chromium is not installed here")
    load_ms, found, labels = _open(report, exe)
    assert load_ms < 1000
    assert _check_findings(found, out, {"base", "base_low", "base_high"}, {2024, 2025}) >= 12
    from corridor_sim.kpi import demand_words_ok

    assert [x for x in labels if not demand_words_ok(x)] == []  # with the capacity charts and every case
    text = " ".join(f["full"] for f in found)
    for case in ("central", "low", "high"):
        assert f"Under the {case} demand case" in text
    assert "across the cases run (central, low and high)" in text and "were not run" not in text
    assert "capacity was not measured" not in text and ("could carry the goal" in text or "could not carry" in text)


@pytest.mark.untraced  # a whole-corridor job (conftest.py)
def test_report_finding_when_the_trend_reaches_the_goal_but_is_not_carried(tmp_path, base_path):
    """With demand scaled so that its trend passes the goal, what keeps the goal short is no longer
    demand: the finding says so, tagged capacity, its figures the run's own."""
    out = tmp_path / "scaled"
    r = CliRunner().invoke(
        main,
        [
            "run",
            str(base_path),
            "--years",
            "2024-2025",
            "-n",
            "2",
            "-w",
            "1",
            "--set",
            "demand.scale=2.6",
            "--out",
            str(out),
            "-q",
            "--no-plots",
        ],
    )
    assert r.exit_code == 0, r.output
    report = tmp_path / "report.html"
    assert CliRunner().invoke(main, ["report", str(out), "--out", str(report)]).exit_code == 0
    exe = _chromium()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have Chromium (the .ci/run script installs it)")
        pytest.skip("Chromium is not installed here")
    _, found, _ = _open(report, exe)
    run = json.loads((out / "summary.json").read_text())["label"]
    assert _check_findings(found, out, {run}, {2024, 2025}) >= 8
    goal = [f for f in found if "is not carried by 2025" in f["full"]]
    assert len(goal) == 1 and goal[0]["tag"] == "capacity" and "not demand" in goal[0]["full"], goal
