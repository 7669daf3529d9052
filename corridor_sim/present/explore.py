"""A small what-if explorer for notebooks: pick a scenario, a demand case and two levers, run the
scenario's path to a year with replications, see what that year delivers (with its 95% interval)
against the goal and what binds.

It answers the same question as a full run: the chosen year is reached along the scenario's own
path from its first year (the stocks, queues and timeline entries of the years before it), on
the same replication seeds as ``corridor-sim run -n``, so its figure for a year is the full
run's figure for that year. Its what-ifs are ``--set`` overrides, held against the timeline by
the project's one rule (``scenario/whatif.py``, applied by ``load_scenario``): two more vessels
of a group are two more at every date, not a count the timeline's later entries overwrite.

``what_if`` is a plain function (used headless, in tests and by the widgets); ``explorer`` wires
it to ipywidgets when they are installed (``pip install 'corridor-sim[notebook]'``) and returns
None otherwise, so a notebook degrades to the static result of ``what_if``.
"""

from __future__ import annotations

import html
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..display import pm
from ..experiments.execution import Execution
from ..experiments.replicated import Replicated
from ..experiments.replications import replicate
from ..kpi import binding_bottleneck
from ..scenario import safeyaml
from ..scenario.labels import resource_labels
from ..scenario.load import load_scenario
from ..scenario.schema import Scenario


@dataclass(repr=False)
class WhatIf:
    """One what-if's answer for one year, reached along the scenario's path from its first year:
    what the year delivered (mean and 95% interval over the replications) against the goal, what
    binds (and in how many replications), the busiest resources."""

    label: str
    year: int
    start_year: int
    replications: int
    delivered_mt: float
    delivered_mt_ci_low: float | None
    delivered_mt_ci_high: float | None
    goal_mt: float
    binds: str
    binds_in: int
    busiest: list[tuple[str, float]]

    @property
    def delivered_text(self) -> str:
        return pm(self.delivered_mt, self.delivered_mt_ci_low, self.delivered_mt_ci_high) + " Mt"

    @property
    def how(self) -> str:
        path = f"the path from {self.start_year}" if self.year > self.start_year else "its first year"
        return f"{path}, {self.replications} replication{'s' if self.replications != 1 else ''}"

    def __repr__(self) -> str:
        top = ", ".join(f"{n} {u:.0%}" for n, u in self.busiest)
        return (
            f"<what-if {self.label}, {self.year} ({self.how}): delivered {self.delivered_text} (95% CI) against "
            f"a goal of {self.goal_mt:g} Mt/yr; binds: {self.binds} (in {self.binds_in} of {self.replications}); "
            f"busiest: {top}>"
        )

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><td>{html.escape(n)}</td><td>{u:.0%}</td></tr>" for n, u in self.busiest)
        share = self.delivered_mt / self.goal_mt
        return (
            f"<b>{html.escape(self.label)}, {self.year}</b> ({html.escape(self.how)}): delivered "
            f"<b>{html.escape(self.delivered_text)}</b> (mean ± 95% CI half-width; {share:.0%} of the "
            f"{self.goal_mt:g} Mt/yr goal); binds: <b>{html.escape(self.binds)}</b> (in {self.binds_in} of "
            f"{self.replications} replications)"
            f"<table><tr><th>busiest resources</th><th>utilization (mean)</th></tr>{rows}</table>"
        )


def vessel_groups(scenario: Scenario) -> dict[str, str]:
    """Readable label -> 'line.group' for every vessel group of the scenario."""
    labels = resource_labels(scenario, [f"{l.id}:{v.id}" for l in scenario.sea_lines for v in l.vessels])
    return {lab: key.replace(":", ".") for key, lab in labels.items()}


def scenario_files(folder: str | Path) -> list[Path]:
    """The scenario files in ``folder``: YAML files that describe a corridor (nodes) or extend one,
    not the other files kept beside them (a plan's candidates).

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "a.yaml").write_text("extends: base.yaml\\nname: a\\n")
    >>> _ = (d / "candidates.yaml").write_text("candidates: []\\n")
    >>> [p.name for p in scenario_files(d)]
    ['a.yaml']
    """
    out = []
    for f in sorted(Path(folder).glob("*.yaml")):
        try:
            top = safeyaml.load(safeyaml.read_text(f))[0]
        except Exception:  # a file that cannot be read as YAML is no scenario to offer
            continue
        if isinstance(top, dict) and ("nodes" in top or "extends" in top):
            out.append(f)
    return out


def _overrides(base: Scenario, demand_scale: float, vessel_group: str | None, extra_vessels: int) -> dict:
    """The what-if as ``--set`` overrides of the file's values (the timeline then shifts with them)."""
    over: dict = {}
    if demand_scale != base.demand.scale:
        over["demand.scale"] = demand_scale
    if vessel_group and extra_vessels:
        line, group = vessel_group.split(".")
        count = next(v.count for l in base.sea_lines if l.id == line for v in l.vessels if v.id == group)
        over.update(base.added_vessels(line, group, count + extra_vessels))
    return over


def what_if(
    scenario_file: str | Path,
    demand_case: str | None = None,
    demand_scale: float = 1.0,
    vessel_group: str | None = None,
    extra_vessels: int = 0,
    year: int | None = None,
    seed: int = 1,
    replications: int = 3,
    workers: int | None = 1,
) -> WhatIf:
    """Run a scenario from its first year to ``year`` (default: its first) with demand scaled and
    ``extra_vessels`` more of one vessel group ('line.group'), ``replications`` times on the seeds of
    ``corridor-sim run -n`` from ``seed``, and say what ``year`` delivers and what binds."""
    base = load_scenario(scenario_file, demand_case=demand_case)
    year = base.start_year if year is None else int(year)
    if not base.start_year <= year <= base.end_year:
        raise ValueError(f"year {year} is outside the years of {scenario_file} ({base.start_year}-{base.end_year})")
    over = _overrides(base, demand_scale, vessel_group, extra_vessels)
    scn = load_scenario(scenario_file, demand_case=demand_case, overrides=over, years=(base.start_year, year))
    runs = replicate(scn, replications, seed, execution=Execution(workers=workers))
    t = Replicated(scn, seed, runs).totals
    row = t[t.year == year].iloc[0]
    names = resource_labels(scn, pd.concat([r.resources.resource for r in runs]).unique())
    thr = scn.output.bottleneck_threshold
    votes: Counter[str] = Counter()
    for r in runs:
        b = binding_bottleneck(r.resources[r.resources.year == year], thr)
        votes[names.get(b["resource"], "nothing") if b["binding"] else f"nothing at or above {thr:.0%}"] += 1
    binds, binds_in = votes.most_common(1)[0]
    used = pd.concat([r.resources[(r.resources.year == year) & (r.resources.kind != "yard")] for r in runs])
    top = used.groupby("resource").utilization.mean().sort_values(ascending=False).head(4)
    low, high = row.get("delivered_mt_ci_low"), row.get("delivered_mt_ci_high")
    return WhatIf(
        scn.label,
        year,
        scn.start_year,
        len(runs),
        float(row.delivered_mt_mean),
        None if low is None or pd.isna(low) else float(low),
        None if high is None or pd.isna(high) else float(high),
        scn.goal_mt_per_year,
        binds,
        binds_in,
        [(names[str(x)], float(u)) for x, u in top.items()],
    )


def explorer(scenarios_dir: str | Path):
    """ipywidgets controls (scenario, demand case, demand scale, one vessel group and extra vessels,
    year, replications) and a Run button; None where ipywidgets is not installed."""
    try:  # an optional extra ([notebook]): imported here so that the package runs without it
        import ipywidgets as w
    except ImportError:
        return None
    files = scenario_files(scenarios_dir)
    scenario = w.Dropdown(options=[(f.stem, f) for f in files], description="scenario")
    case = w.Dropdown(description="demand case")
    scale = w.FloatSlider(value=1.0, min=0.5, max=3.0, step=0.1, description="demand x")
    group = w.Dropdown(description="add vessels")
    extra = w.IntSlider(value=0, min=0, max=6, description="how many")
    year = w.IntSlider(description="year", min=1990, max=2100)
    reps = w.IntSlider(value=3, min=2, max=10, description="replications")
    button = w.Button(description="Run to the year", button_style="primary")
    out = w.Output()

    def refresh(_=None):
        s = load_scenario(scenario.value)
        case.options = [c.id for c in s.demand_cases] or ["central"]
        group.options = list(vessel_groups(s).items())
        year.max = max(year.max, s.end_year)  # widen first: a slider refuses min above max
        year.min, year.max = s.start_year, s.end_year
        year.value = s.start_year

    def go(_=None):
        with out:
            out.clear_output()
            from IPython.display import display  # IPython is there wherever ipywidgets is

            display(
                what_if(
                    scenario.value,
                    case.value,
                    scale.value,
                    group.value,
                    extra.value,
                    year.value,
                    replications=reps.value,
                )
            )

    scenario.observe(refresh, names="value")
    button.on_click(go)
    refresh()
    return w.VBox(
        [w.HBox([scenario, case]), w.HBox([scale, year]), w.HBox([group, extra]), w.HBox([reps, button]), out]
    )
