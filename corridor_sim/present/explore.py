"""A small what-if explorer for notebooks: pick a scenario, a demand case and two levers, run a
year, see the tonnes delivered against the goal and what binds.

``what_if`` is a plain function (used headless, in tests and by the widgets); ``explorer`` wires
it to ipywidgets when they are installed (``pip install 'corridor-sim[notebook]'``) and returns
None otherwise, so a notebook degrades to the static result of ``what_if``.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

from ..kpi import binding_bottleneck
from ..run.simulate import run
from ..scenario.labels import resource_labels
from ..scenario.load import load_scenario
from ..scenario.schema import Scenario


@dataclass(repr=False)
class WhatIf:
    """One what-if's answer: what the year delivered against the goal, what binds, the busiest resources."""

    label: str
    year: int
    delivered_mt: float
    goal_mt: float
    binds: str
    busiest: list[tuple[str, float]]

    def __repr__(self) -> str:
        top = ", ".join(f"{n} {u:.0%}" for n, u in self.busiest)
        return (
            f"<what-if {self.label}, {self.year}: delivered {self.delivered_mt:.2f} Mt against a goal of "
            f"{self.goal_mt:g} Mt/yr; binds: {self.binds}; busiest: {top}>"
        )

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><td>{html.escape(n)}</td><td>{u:.0%}</td></tr>" for n, u in self.busiest)
        share = self.delivered_mt / self.goal_mt
        return (
            f"<b>{html.escape(self.label)}, {self.year}</b>: delivered <b>{self.delivered_mt:.2f} Mt</b> "
            f"({share:.0%} of the {self.goal_mt:g} Mt/yr goal); binds: <b>{html.escape(self.binds)}</b>"
            f"<table><tr><th>busiest resources</th><th>utilization</th></tr>{rows}</table>"
        )


def vessel_groups(scenario: Scenario) -> dict[str, str]:
    """Readable label -> 'line.group' for every vessel group of the scenario."""
    labels = resource_labels(scenario, [f"{l.id}:{v.id}" for l in scenario.sea_lines for v in l.vessels])
    return {lab: key.replace(":", ".") for key, lab in labels.items()}


def what_if(
    scenario_file: str | Path,
    demand_case: str | None = None,
    demand_scale: float = 1.0,
    vessel_group: str | None = None,
    extra_vessels: int = 0,
    year: int | None = None,
    seed: int = 1,
) -> WhatIf:
    """Run one year of a scenario with demand scaled and ``extra_vessels`` more of one vessel group
    ('line.group'), and say what it delivers and what binds."""
    base = load_scenario(scenario_file, demand_case=demand_case)
    year = year or base.start_year
    over: dict = {}
    if demand_scale != base.demand.scale:
        over["demand.scale"] = demand_scale
    if vessel_group and extra_vessels:
        line, group = vessel_group.split(".")
        count = next(v.count for l in base.sea_lines if l.id == line for v in l.vessels if v.id == group)
        over.update(base.added_vessels(line, group, count + extra_vessels))
    scn = load_scenario(scenario_file, demand_case=demand_case, overrides=over, years=(year, year))
    res = run(scn, seed=seed)
    b = binding_bottleneck(res.resources, scn.output.bottleneck_threshold)
    names = resource_labels(scn, res.resources.resource)
    binds = (
        names.get(b["resource"], "nothing")
        if b["binding"]
        else f"nothing at or above {scn.output.bottleneck_threshold:.0%}"
    )
    r = res.resources[res.resources.kind != "yard"].sort_values("utilization", ascending=False).head(4)
    return WhatIf(
        scn.label,
        year,
        float(res.delivered_mt().sum()),
        scn.goal_mt_per_year,
        binds,
        [(names[x], float(u)) for x, u in zip(r.resource, r.utilization)],
    )


def explorer(scenarios_dir: str | Path):
    """ipywidgets controls (scenario, demand case, demand scale, one vessel group and extra vessels,
    year) and a Run button; None where ipywidgets is not installed."""
    try:
        import ipywidgets as w
    except ImportError:
        return None
    files = sorted(Path(scenarios_dir).glob("*.yaml"))
    scenario = w.Dropdown(options=[(f.stem, f) for f in files], description="scenario")
    case = w.Dropdown(description="demand case")
    scale = w.FloatSlider(value=1.0, min=0.5, max=3.0, step=0.1, description="demand x")
    group = w.Dropdown(description="add vessels")
    extra = w.IntSlider(value=0, min=0, max=6, description="how many")
    year = w.IntSlider(description="year", min=1990, max=2100)
    button = w.Button(description="Run a year", button_style="primary")
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
            from IPython.display import display

            display(what_if(scenario.value, case.value, scale.value, group.value, extra.value, year.value))

    scenario.observe(refresh, names="value")
    button.on_click(go)
    refresh()
    return w.VBox([w.HBox([scenario, case]), w.HBox([scale, year]), w.HBox([group, extra]), button, out])
