"""Readable names for what plots, tables and reports show, derived from the scenario, and a short
description of a whole scenario (``describe``, printed by ``corridor-sim validate``).

The model names resources by ids (``feeder_aktau_alat:kmtf_350``, ``aktau:container:berths``);
a reader wants places and things ("Aktau–Baku feeders: KMTF 350 TEU"). Every label comes from
the scenario: node names, the optional ``name`` of a sea line or vessel group, capacities and
units; nothing here knows a particular corridor.
"""

from __future__ import annotations

import re

from .schema import Flow, Route, Scenario

# what a vessel of each cargo kind (a schema literal) is called when its line has no name
VESSEL_WORDS = {"container": "container ships", "wagon": "rail ferries", "crude": "tankers"}
CARGO_WORDS = {"container": "container", "wagon": "wagon", "crude": "crude"}


def short_place(name: str) -> str:
    """A node's name without qualifiers: 'Aktau port' -> 'Aktau', 'Port of Baku (Alat)' -> 'Alat'.

    >>> [short_place(n) for n in ("Aktau port", "Port of Baku (Alat)", "Aktogay (junction)", "Sangachal terminal (BTC)")]
    ['Aktau', 'Alat', 'Aktogay', 'Sangachal']
    """
    m = re.match(r"^port of .+\((.+)\)$", name.strip(), flags=re.I)
    if m:  # 'Port of Baku (Alat)': the port is the place in parentheses
        return m.group(1).strip()
    s = re.sub(r"\s*\(.*?\)", "", name).strip()
    s = re.sub(r"^(port of)\s+", "", s, flags=re.I)
    s = re.sub(r"\s+(port|terminal|station)$", "", s, flags=re.I)
    return s or name


def place(s: Scenario, node_id: str) -> str:
    n = next((x for x in s.nodes if x.id == node_id), None)
    return short_place(n.name) if n else node_id


def _plural(unit: str, n: float) -> str:
    return unit if unit.isupper() or len(unit) <= 2 or n == 1 else unit + "s"


def link_label(s: Scenario, link_id: str) -> str:
    link = next((x for x in s.rail_links if x.id == link_id), None)
    return f"{place(s, link.from_node)}–{place(s, link.to_node)}" if link else link_id


def line_label(s: Scenario, line_id: str) -> str:
    """A sea line: its ``name``, else '<from>–<to> <vessels>' from its ports and cargo."""
    line = next((x for x in s.sea_lines if x.id == line_id), None)
    if line is None:
        return line_id
    return line.name or f"{place(s, line.from_port)}–{place(s, line.to_port)} {VESSEL_WORDS.get(line.cargo, 'ships')}"


def group_label(s: Scenario, line_id: str, group_id: str) -> str:
    """A vessel group: its ``name`` (else its id) and its capacity, 'KMTF (350 TEU)'. The capacity is
    always read from the scenario, so a what-if that changes it is labelled with the new one."""
    line = next((x for x in s.sea_lines if x.id == line_id), None)
    g = next((v for v in line.vessels if v.id == group_id), None) if line else None
    if line is None or g is None:
        return group_id
    unit = s.cargo_classes[line.cargo].unit if line.cargo in s.cargo_classes else "units"
    return f"{g.name or group_id.replace('_', ' ')} ({g.capacity_units:,.0f} {_plural(unit, g.capacity_units)})"


def resource_label(s: Scenario, resource: str) -> str:
    """Any resource of the results' ``resources`` table, readably.

    >>> from corridor_sim.scenario.load import load_scenario
    >>> import pathlib; b = load_scenario(pathlib.Path(__file__).parents[2] / "scenarios" / "base.yaml")
    >>> resource_label(b, "aktau:container:berths"), resource_label(b, "dostyk_aktogay:paths")
    ('Aktau container berths', 'Dostyk–Aktogay rail paths')
    """
    parts = resource.split(":")
    if len(parts) == 2 and parts[1] in ("paths", "crossing"):
        what = "rail paths" if parts[1] == "paths" else "border / gauge-change station"
        return f"{link_label(s, parts[0])} {what}"
    if len(parts) == 3 and parts[2] in ("berths", "rail_tracks", "yard"):
        what = {"berths": "berths", "rail_tracks": "rail tracks", "yard": "yard"}[parts[2]]
        return f"{place(s, parts[0])} {CARGO_WORDS.get(parts[1], parts[1])} {what}"
    if len(parts) == 2 and any(line.id == parts[0] for line in s.sea_lines):
        return f"{line_label(s, parts[0])}: {group_label(s, parts[0], parts[1])}"
    if len(parts) == 2 and parts[0] == "stock":  # a rolling-stock pool: its name and size
        pool = next((p for p in s.rolling_stock if p.id == parts[1]), None)
        if pool is not None:
            return f"{pool.label} ({pool.count:,} x {pool.availability_share:.0%})"
    return resource


def resource_labels(s: Scenario, resources) -> dict[str, str]:
    """Labels for many resources at once, made unique where two would read the same."""
    out = {r: resource_label(s, r) for r in dict.fromkeys(resources)}
    seen: dict[str, int] = {}
    for lab in out.values():
        seen[lab] = seen.get(lab, 0) + 1
    return {r: (lab if seen[lab] == 1 else f"{lab} [{r}]") for r, lab in out.items()}


def flow_label(s: Scenario, flow_id: str) -> str:
    """A flow by its description, without what the parentheses add.

    >>> from corridor_sim.scenario.load import load_scenario
    >>> import pathlib; b = load_scenario(pathlib.Path(__file__).parents[2] / "scenarios" / "base.yaml")
    >>> flow_label(b, "containers_cn_az")
    'Containers ending in Azerbaijan'
    """
    f = next((x for x in s.demand.flows if x.id == flow_id), None)
    if f is None or not f.description.strip():
        return flow_id
    return re.sub(r"\s*\(.*", "", f.description.strip()) or f.description.strip()


def route_label(s: Scenario, route_id: str) -> str:
    """A route by its id, the places in it named as the scenario names them.

    >>> from corridor_sim.scenario.load import load_scenario
    >>> import pathlib; b = load_scenario(pathlib.Path(__file__).parents[2] / "scenarios" / "base.yaml")
    >>> route_label(b, "via_dostyk"), route_label(b, "via_kuryk_batumi")
    ('via Dostyk', 'via Kuryk, Batumi')
    """
    nodes = {n.id for n in s.nodes}
    words = route_id.split("_")
    out = [words[0]] + [place(s, w) + "," if w in nodes else w for w in words[1:]]
    return " ".join(out).rstrip(",")


def port_label(s: Scenario, port_id: str) -> str:
    n = next((x for x in s.nodes if x.id == port_id), None)
    return n.name if n else port_id


def describe(s: Scenario) -> str:
    """A short human description of what a scenario contains."""
    lines = [
        f"{s.label}: {s.description.strip().splitlines()[0] if s.description.strip() else ''}",
        f"  years {s.start_year}-{s.end_year}, warm-up {s.warmup_days:g} days, goal {s.goal_mt_per_year:g} Mt/yr",
        f"  {len(s.nodes)} nodes, {len(s.rail_links)} rail links "
        f"({sum(1 for l in s.rail_links if l.crossing)} border/gauge-change crossings), "
        f"{len(s.ports)} ports, {len(s.sea_lines)} sea lines "
        f"({sum(v.count for l in s.sea_lines for v in l.vessels)} vessels)",
    ]
    total = sum(f.tons_per_year for f in s.demand.flows if f.corridor) * s.demand.scale
    case = f", demand case '{s.demand_case}'" if s.demand_cases else ""
    lines.append(f"  demand {total / 1e6:.3f} Mt/yr in {s.demand.base_year} (scale {s.demand.scale:g}{case}):")
    for f in s.demand.flows:
        unit = s.cargo_classes[f.cargo].unit
        units = f.tons_per_year * s.demand.scale / s.cargo_classes[f.cargo].t_per_unit

        def label(r: Route, f: Flow = f) -> str:
            how = "logit" if f.response is not None else f"{r.share:.0%}"
            return f"{r.id} ({how}{'' if r.open else ', closed'})"

        routes = ", ".join(label(r) for r in f.routes)
        resp = "responds to tariff and time" if f.response is not None else "fixed"
        if not f.corridor:
            resp += ", other traffic (not in the corridor's total)"
        path = "".join(f", {y}: {v * s.demand.scale / 1e6:.3f} Mt" for y, v in sorted(f.tons_by_year.items()))
        after = " after the path" if f.tons_by_year else ""
        lines.append(
            f"    {f.id:<22} {f.tons_per_year * s.demand.scale / 1e6:6.3f} Mt "
            f"({units:,.0f} {unit}){path}, growth {f.growth_pct_per_year:+g}%/yr{after}, {resp}; routes: {routes}"
        )
    if s.demand_cases:
        lines.append("  demand cases: " + ", ".join(c.id for c in s.demand_cases) + " (--demand-case)")
    if s.timeline:
        lines.append(f"  timeline ({len(s.timeline)} interventions):")
        for iv in sorted(s.timeline, key=lambda i: i.date):
            lines.append(f"    {iv.date}  {iv.id}: {iv.description}")
    return "\n".join(lines)
