"""What the schema alone cannot check: references between sections, charges, demand paths and
demand cases. Each check returns the problems it finds (an empty list: none), under the YAML path
of the field to fix; ``load`` gathers them into one ``ScenarioError``.

``check_references`` runs one check per section, in the order a reader meets them in a file
(ids, rail links, ports, sea lines, what the output shows, fleets, yards, flows and their routes),
on what the sections have in common (``Network``: the nodes, terminals and legs).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field

from pydantic import ValidationError

from .paths import apply_changes
from .pricing import route_charge
from .problems import Problem, explain, readable_path
from .schema import Flow, Route, Scenario, Terminal

CASE_SECTIONS = ("demand",)  # what a demand case may change


@dataclass
class Network:
    """What the sections refer to: node ids, terminals by (port, cargo), the pairs joined by rail
    and by sea (a line's return leg included), and the largest vessel calling at each terminal."""

    nodes: set[str]
    terminals: dict[tuple[str, str], Terminal] = field(default_factory=dict)
    rail_pairs: set[tuple[str, str]] = field(default_factory=set)
    sea_pairs: set[tuple[str, str, str]] = field(default_factory=set)
    max_vessel: dict[tuple[str, str], float] = field(default_factory=dict)

    @property
    def node_list(self) -> str:
        return ", ".join(sorted(self.nodes))


def check_references(s: Scenario) -> list[Problem]:
    """Every reference between sections resolves, and the network they describe can run."""
    net = Network({n.id for n in s.nodes})
    probs = _unique_ids(s)
    probs += _rail_links(s, net)
    probs += _ports(s, net)
    probs += _cargo_classes(s)
    probs += _sea_lines(s, net)
    probs += _output(s)
    if any(l.cargo for l in s.sea_lines) and s.caspian is None:
        probs.append(Problem("caspian", "sea lines need a 'caspian' section (load factor and sea level)"))
    probs += _pairs(s, net)
    probs += _check_fleets(s)
    probs += _check_stock(s)
    probs += _yards(net)
    for f in s.demand.flows:
        probs += _flow(f, net)
    probs += _alternatives(s)
    return probs


def _alternatives(s: Scenario) -> list[Problem]:
    """Each flow names alternatives that exist and carry its cargo class; a flow's patience comes
    from them or from a hard limit (max_transit_days), not both; a storage at origin needs
    somewhere to send what does not fit."""
    alts = {a.id: a for a in s.demand.alternatives}
    probs = _duplicates(s.demand.alternatives, "demand.alternatives")
    for f in s.demand.flows:
        fp = f"demand.flows.{f.id}"
        for i, a in enumerate(f.alternatives):
            if a not in alts:
                known = ", ".join(sorted(alts)) or "none declared: add them under demand.alternatives"
                probs.append(Problem(f"{fp}.alternatives.{i}", f"unknown alternative '{a}' (alternatives: {known})"))
            elif alts[a].cargo != f.cargo:
                probs.append(
                    Problem(
                        f"{fp}.alternatives.{i}",
                        f"'{a}' carries {alts[a].cargo}, the flow {f.cargo}: name an alternative of the flow's class",
                    )
                )
        if f.alternatives and f.max_transit_days is not None:
            probs.append(
                Problem(
                    f"{fp}.max_transit_days",
                    "a flow with alternatives waits as long as they make worth it (derived, reported as "
                    "accepted_wait_days): remove max_transit_days, or the alternatives",
                )
            )
        if f.storage_at_origin_t is not None and not f.alternatives:
            probs.append(
                Problem(
                    f"{fp}.storage_at_origin_t",
                    "what does not fit in the storage goes to an alternative: name at least one in alternatives",
                )
            )
    return probs


def _duplicates(items: Iterable, section: str) -> list[Problem]:
    probs, seen = [], set()
    for it in items:
        if it.id in seen:
            probs.append(Problem(f"{section}.{it.id}", f"duplicate id '{it.id}'"))
        seen.add(it.id)
    return probs


def _unique_ids(s: Scenario) -> list[Problem]:
    return (
        _duplicates(s.nodes, "nodes")
        + _duplicates(s.rail_links, "rail_links")
        + _duplicates(s.ports, "ports")
        + _duplicates(s.sea_lines, "sea_lines")
        + _duplicates(s.demand.flows, "demand.flows")
    )


def _rail_links(s: Scenario, net: Network) -> list[Problem]:
    probs = []
    em = s.costs.emissions if s.costs is not None else None
    for link in s.rail_links:
        for end, nid in (("from", link.from_node), ("to", link.to_node)):
            if nid not in net.nodes:
                probs.append(
                    Problem(f"rail_links.{link.id}.{end}", f"unknown node '{nid}' (known nodes: {net.node_list})")
                )
        if link.from_node == link.to_node:
            probs.append(Problem(f"rail_links.{link.id}.to", "a rail link must join two different nodes"))
        if em is not None and link.traction not in em.rail_kg_per_t_km:
            known = ", ".join(sorted(em.rail_kg_per_t_km))
            probs.append(
                Problem(
                    f"rail_links.{link.id}.traction",
                    f"no emission factor for traction '{link.traction}' (costs.emissions.rail_kg_per_t_km has: {known})",
                )
            )
    return probs


def _ports(s: Scenario, net: Network) -> list[Problem]:
    """Ports stand on known nodes with one terminal per cargo class (collected into ``net``)."""
    probs = []
    for port in s.ports:
        if port.id not in net.nodes:
            probs.append(Problem(f"ports.{port.id}.id", f"unknown node '{port.id}' (known nodes: {net.node_list})"))
        seen = set()
        for term in port.terminals:
            if term.cargo in seen:
                probs.append(
                    Problem(f"ports.{port.id}.terminals.{term.cargo}", f"two terminals for '{term.cargo}' in one port")
                )
            seen.add(term.cargo)
            net.terminals[(port.id, term.cargo)] = term
    return probs


def _cargo_classes(s: Scenario) -> list[Problem]:
    used = {f.cargo for f in s.demand.flows} | {c for l in s.sea_lines for c in l.cargoes}
    return [
        Problem(f"cargo_classes.{c}", f"cargo class '{c}' is used but not declared")
        for c in sorted(used - set(s.cargo_classes))
    ]


def _sea_lines(s: Scenario, net: Network) -> list[Problem]:
    """A sea line joins two terminals of its cargo (and of its deck's), with unique vessel groups;
    the largest vessel calling at each terminal is collected into ``net``."""
    probs = []
    for line in s.sea_lines:
        for end, pid in (("from", line.from_port), ("to", line.to_port)):
            if (pid, line.cargo) not in net.terminals:
                probs.append(
                    Problem(
                        f"sea_lines.{line.id}.{end}",
                        f"port '{pid}' has no '{line.cargo}' terminal (a sea line runs between two terminals of its cargo)",
                    )
                )
        if line.deck is not None:
            if line.deck.cargo == line.cargo:
                probs.append(
                    Problem(f"sea_lines.{line.id}.deck.cargo", "the deck's class must differ from the line's own cargo")
                )
            for pid in (line.from_port, line.to_port):
                if (pid, line.deck.cargo) not in net.terminals:
                    probs.append(
                        Problem(
                            f"sea_lines.{line.id}.deck.cargo",
                            f"port '{pid}' has no '{line.deck.cargo}' terminal (deck cargo waits and lands at one)",
                        )
                    )
        if line.from_port == line.to_port:
            probs.append(Problem(f"sea_lines.{line.id}.to", "a sea line must join two different ports"))
        probs += _duplicates(line.vessels, f"sea_lines.{line.id}.vessels")
        biggest = max(v.capacity_units for v in line.vessels)
        for pid in (line.from_port, line.to_port):
            net.max_vessel[(pid, line.cargo)] = max(net.max_vessel.get((pid, line.cargo), 0.0), biggest)
    return probs


def _output(s: Scenario) -> list[Problem]:
    """The ports and the flow the output block names exist."""
    probs = []
    port_ids = {p.id for p in s.ports}
    for pid in s.output.ports_to_plot or []:
        if pid not in port_ids:
            probs.append(
                Problem(
                    "output.ports_to_plot", f"unknown port '{pid}' (ports: {', '.join(sorted(port_ids)) or 'none'})"
                )
            )
    flow_ids = {f.id for f in s.demand.flows}
    if s.output.route_split_flow is not None and s.output.route_split_flow not in flow_ids:
        probs.append(
            Problem(
                "output.route_split_flow",
                f"unknown flow '{s.output.route_split_flow}' (flows: {', '.join(sorted(flow_ids))})",
            )
        )
    return probs


def _pairs(s: Scenario, net: Network) -> list[Problem]:
    """One rail link per pair of nodes and one line per pair of ports and cargo (return legs
    included), collected into ``net``."""
    probs = []
    for l in s.rail_links:
        if (l.from_node, l.to_node) in net.rail_pairs:
            probs.append(
                Problem(
                    f"rail_links.{l.id}",
                    f"a second rail link from '{l.from_node}' to '{l.to_node}'; raise paths_per_day of the first instead",
                )
            )
        net.rail_pairs.add((l.from_node, l.to_node))
    for line in s.sea_lines:
        for cargo in line.cargoes:
            if (line.from_port, line.to_port, cargo) in net.sea_pairs:
                probs.append(
                    Problem(
                        f"sea_lines.{line.id}",
                        f"a second '{cargo}' line from '{line.from_port}' to '{line.to_port}'; "
                        "add vessel groups to the first instead",
                    )
                )
            net.sea_pairs.add((line.from_port, line.to_port, cargo))
    # a line with a return leg also carries its cargo to -> from (routes may run that way)
    for (a, b, cargo), line in s.sea_legs().items():
        if (a, b) == (line.to_port, line.from_port) and (a, b, cargo) in net.sea_pairs:
            probs.append(
                Problem(
                    f"sea_lines.{line.id}.return_leg", f"'{cargo}' from '{a}' to '{b}' already has a line of its own"
                )
            )
    net.sea_pairs |= set(s.sea_legs())
    return probs


def _largest_trains(s: Scenario) -> dict[tuple[str, str], tuple[float, str]]:
    """Per (cargo class, railway): the largest train formed there (a flow's consignment on a route
    that runs on it, or a port's onward train leaving onto it), and who forms it."""
    rail = {(l.from_node, l.to_node): l.railway for l in s.rail_links}
    trains: dict[tuple[str, str], tuple[float, str]] = {}

    def offer(key: tuple[str, str], units: float, who: str) -> None:
        if trains.get(key, (0.0, ""))[0] < units:
            trains[key] = (units, who)

    for f in s.demand.flows:
        for r in f.routes:
            on = {rail.get(pair) for pair in zip(r.path, r.path[1:])}
            for rw in (x for x in on if x is not None):
                offer((f.cargo, rw), f.lot_units, f"flow {f.id}'s consignments ({f.lot_units:g} units)")
    for p in s.ports:
        leaving = {x for (a, _), x in rail.items() if a == p.id and x is not None}
        for t in p.terminals:
            units = t.train_units
            if units is None:
                continue
            for rw in leaving:
                offer((t.cargo, rw), units, f"the {units:g}-unit trains formed at {p.id}")
    return trains


def _check_stock(s: Scenario) -> list[Problem]:
    """Every pool serves railways the network has, and holds at least what one train it serves
    needs (else that train would wait for ever): a locomotive, the cars of the largest train of its
    class formed on its railways, the wagons or boxes of the largest consignment. Checked in every
    timeline state."""
    probs = []
    railways = {l.railway for l in s.rail_links if l.railway is not None}
    trains = _largest_trains(s)
    for pool in s.rolling_stock:
        where = f"rolling_stock.{pool.id}"
        for rw in pool.railways:
            if rw not in railways:
                known = ", ".join(sorted(railways)) or "none: no rail link has a railway"
                probs.append(Problem(f"{where}.railways", f"no rail link runs on railway '{rw}' (railways: {known})"))
        have = pool.available
        what = "locomotives" if pool.kind == "locomotive" else f"{pool.kind.replace('_', ' ')}s"
        if pool.kind == "locomotive":
            uses = [(1.0, f"a train on railway '{rw}'") for rw in pool.railways if rw in railways]
        else:
            uses = [
                (-(-units // pool.units_per_car) if pool.kind == "flat_car" else units / pool.units_per_car, who)
                for c in pool.cargo
                for rw in pool.railways
                if (c, rw) in trains
                for units, who in [trains[(c, rw)]]
            ]
        for need, who in [max(uses)] if uses else []:
            if have < need - 1e-9:
                probs.append(
                    Problem(
                        f"{where}.count",
                        f"{have:g} {what} at hand (count {pool.count} x availability_share "
                        f"{pool.availability_share:g}), but {who} need {need:g}: a train would wait for ever; "
                        f"allowed: count x availability_share >= {need:g}, or take the railway out of the pool's railways",
                    )
                )
    return probs


def _check_fleets(s: Scenario) -> list[Problem]:
    """Every pooled group exists, belongs to one pool, and the pool's counts add up to its vessels
    (checked in every timeline state: moving ships between lines keeps the total)."""
    probs = []
    groups = {f"{l.id}.{v.id}": v.count for l in s.sea_lines for v in l.vessels}
    pooled: set[str] = set()
    for pool in s.fleets:
        where = f"fleets.{pool.id}"
        known = [g for g in pool.groups if g in groups]
        for g in pool.groups:
            if g not in groups:
                probs.append(Problem(f"{where}.groups", f"unknown vessel group '{g}' (line.group)"))
            elif g in pooled:
                probs.append(Problem(f"{where}.groups", f"vessel group '{g}' is in two pools"))
            pooled.add(g)
        total = sum(groups[g] for g in known)
        if len(known) == len(pool.groups) and total != pool.vessels:
            counts = ", ".join(f"{g}: {groups[g]}" for g in known)
            probs.append(
                Problem(
                    where,
                    f"its groups have {total} vessels ({counts}), the pool {pool.vessels}: move ships, do not add them",
                )
            )
    return probs


def _yards(net: Network) -> list[Problem]:
    """A terminal's yard holds its largest vessel's load and its onward trains."""
    probs = []
    for (pid, cargo), term in net.terminals.items():
        big = net.max_vessel.get((pid, cargo), 0.0)
        if big > term.yard_capacity_units:
            probs.append(
                Problem(
                    f"ports.{pid}.terminals.{cargo}.yard_capacity_units",
                    f"{term.yard_capacity_units:g} is smaller than the largest vessel calling ({big:g} units); it could never be loaded or unloaded",
                )
            )
        if term.train_units is not None and term.train_units > term.yard_capacity_units:
            probs.append(
                Problem(f"ports.{pid}.terminals.{cargo}.train_units", "onward trains cannot be larger than the yard")
            )
    return probs


def _flow(f: Flow, net: Network) -> list[Problem]:
    """A flow's route shares, its open routes, its empties' way back, and each route's path."""
    fp = f"demand.flows.{f.id}"
    probs = _shares(f, fp)
    if not any(r.open for r in f.routes):
        probs.append(Problem(f"{fp}.routes", "at least one route must be open (a timeline entry can open more)"))
    probs += _duplicates(f.routes, f"{fp}.routes")
    ways = [(r, f"{fp}.routes.{r.id}.path") for r in f.routes]
    if f.empties is not None:
        # the empties' way back is checked as a route that starts where the flow delivers
        ways.append((Route(id="empty", path=f.empties.path), f"{fp}.empties.path"))
        ways += [(Route(id="empty", path=p), f"{fp}.empties.also_from.{i}") for i, p in enumerate(f.empties.also_from)]
        probs += _empties_ends(f, fp)
        for p, pp in [(f.empties.path, f"{fp}.empties.path")] + [
            (q, f"{fp}.empties.also_from.{i}") for i, q in enumerate(f.empties.also_from)
        ]:
            probs += _loops(p, pp, "the empties' way back")
    for r, rp in ways:
        bad = [i for i, n in enumerate(r.path) if n not in net.nodes]
        probs += [Problem(f"{rp}.{i}", f"unknown node '{r.path[i]}' (known nodes: {net.node_list})") for i in bad]
        if not bad:
            probs += _route_legs(f, r, rp, net) + _route_yards(f, r, net)
    return probs


def _empties_ends(f: Flow, fp: str) -> list[Problem]:
    """One way back from each node where the flow's routes end, and none from anywhere else."""
    assert f.empties is not None
    ends = sorted({r.path[-1] for r in f.routes})
    starts = [p[0] for p in f.empties.paths()]
    where = ["path"] + [f"also_from.{i}" for i in range(len(f.empties.also_from))]
    probs = []
    for k, (start, w) in enumerate(zip(starts, where)):
        if start not in ends:
            probs.append(
                Problem(
                    f"{fp}.empties.{w}.0",
                    f"the empties start where the flow delivers ({', '.join(ends)}), not at '{start}'",
                )
            )
        elif start in starts[:k]:
            probs.append(
                Problem(f"{fp}.empties.{w}.0", f"a second way back from '{start}' (one per place of delivery)")
            )
    missing = [e for e in ends if e not in starts]
    if missing:
        probs.append(
            Problem(
                f"{fp}.empties.also_from",
                f"no way back for the empties delivered at {', '.join(missing)}: add a path starting there",
            )
        )
    return probs


def _loops(path: list[str], pp: str, what: str) -> list[Problem]:
    """A way that passes a node twice goes round in a loop (alat, aktau, alat, ...): each leg of it
    takes paths, yard space and ships for nothing, and a loop of sea legs sails the empties back and
    forth. The first node met again is named."""
    seen: dict[str, int] = {}
    for i, n in enumerate(path):
        if n in seen:
            return [
                Problem(
                    f"{pp}.{i}",
                    f"{what} passes '{n}' twice (at {seen[n]} and {i} of {' -> '.join(path)}): it goes round "
                    "in a loop; list each node once, from where the flow delivers to where the empties go",
                )
            ]
        seen[n] = i
    return []


def _shares(f: Flow, fp: str) -> list[Problem]:
    """Fixed shares on every route adding up to 1, or none where the logit splits the flow."""
    if f.response is not None:
        return [
            Problem(
                f"{fp}.routes.{r.id}.share", "shares come from the logit when the flow has a response block; remove it"
            )
            for r in f.routes
            if r.share is not None
        ]
    missing = [r.id for r in f.routes if r.share is None]
    if missing:
        return [
            Problem(f"{fp}.routes.{missing[0]}.share", "a flow without a response block needs a share on every route")
        ]
    total = sum(r.share for r in f.routes if r.share is not None)  # all of them (missing is empty)
    if abs(total - 1.0) > 1e-6:
        return [Problem(f"{fp}.routes", f"route shares add up to {total:g}; they must add up to 1")]
    return []


def _route_legs(f: Flow, r: Route, rp: str, net: Network) -> list[Problem]:
    """Each step of a route is a rail link or a sea line of its cargo, with the terminals that
    hand the cargo between them."""
    probs = []
    for i, (a, b) in enumerate(zip(r.path, r.path[1:])):
        nxt = r.path[i + 2] if i + 2 < len(r.path) else None
        if (a, b) in net.rail_pairs:
            if nxt is not None and (b, nxt, f.cargo) in net.sea_pairs and (b, f.cargo) not in net.terminals:
                probs.append(
                    Problem(f"{rp}.{i + 1}", f"port '{b}' has no '{f.cargo}' terminal to take trains onto ships")
                )
        elif (a, b, f.cargo) in net.sea_pairs:
            t = net.terminals.get((b, f.cargo))
            if nxt is not None and (b, nxt) in net.rail_pairs and t is not None and t.train_units is None:
                probs.append(
                    Problem(
                        f"ports.{b}.terminals.{f.cargo}.train_units",
                        f"route {f.id}/{r.id} leaves '{b}' by rail, so the terminal needs train_units",
                    )
                )
            t0 = net.terminals.get((a, f.cargo))
            if i == 0 and t0 is not None and f.lot_units > t0.yard_capacity_units:
                probs.append(
                    Problem(
                        f"demand.flows.{f.id}.lot_units",
                        f"{f.lot_units:g} units exceed the yard at '{a}' ({t0.yard_capacity_units:g})",
                    )
                )
        else:
            probs.append(
                Problem(
                    f"{rp}.{i + 1}",
                    f"no rail link or '{f.cargo}' sea line from '{a}' to '{b}': the route connects nothing there",
                )
            )
    return probs


def _route_yards(f: Flow, r: Route, net: Network) -> list[Problem]:
    """Trains arriving at a port must fit its yard (at a sink port too: they unload there),
    beside the other cargo it holds."""
    probs = []
    for i, (a, b) in enumerate(zip(r.path, r.path[1:])):
        t = net.terminals.get((b, f.cargo))
        if (
            (a, b) in net.rail_pairs
            and t is not None
            and (i + 2 < len(r.path) or t.onward_by_sea is not None)
            and f.lot_units > t.yard_capacity_units - t.background_yard_units
        ):
            room = t.yard_capacity_units - t.background_yard_units
            probs.append(
                Problem(f"demand.flows.{f.id}.lot_units", f"{f.lot_units:g} units exceed the yard at '{b}' ({room:g})")
            )
    return probs


def check_charges(s: Scenario) -> list[Problem]:
    """A route that is priced (any charge on it) must price every rail link it runs on for its
    cargo class: a link left out would pass for free, and route choice would favour it."""
    probs = []
    links = {(l.from_node, l.to_node): l for l in s.rail_links}
    for f in s.demand.flows:
        ways = list(f.routes) + (
            [Route(id="empty", path=p) for p in f.empties.paths()] if f.empties is not None else []
        )
        priced = any(route_charge(s, f, r).priced for r in f.routes)
        for r in ways:
            if r.tariff_usd_per_t is not None or not (priced or route_charge(s, f, r).priced):
                continue
            for a, b in zip(r.path, r.path[1:]):
                link = links.get((a, b))
                if link is not None and f.cargo not in link.tariff_usd_per_unit_km:
                    probs.append(
                        Problem(
                            f"rail_links.{link.id}.tariff_usd_per_unit_km",
                            f"no tariff for {f.cargo} (route {f.id}.{r.id} runs here and its other legs are "
                            "priced; give it one, 0 if the leg is free)",
                        )
                    )
    return list({(p.path, p.message): p for p in probs}.values())


def check_demand_paths(s: Scenario, check_dates: bool = True, exempt: frozenset[str] = frozenset()) -> list[Problem]:
    """A flow's tons_by_year must lie within the run (from the earlier of the demand base year and
    the first year, to the last year); checked against the file's own years, like timeline dates.
    ``exempt`` paths are not (a parent's points outside a child's shorter run: they shape its path)."""
    if not check_dates:
        return []
    first, last = min(s.demand.base_year, s.start_year), s.end_year
    return [
        Problem(
            f"demand.flows.{f.id}.tons_by_year.{y}",
            f"{y} is outside the run ({first}-{last}); a demand path lists years from the demand base "
            f"year or the first year to the last year",
        )
        for f in s.demand.flows
        for y in sorted(f.tons_by_year)
        if not first <= y <= last and f"demand.flows.{f.id}.tons_by_year.{y}" not in exempt
    ]


CASE_SECTIONS = ("demand",)


def check_demand_cases(raw: dict, s: Scenario) -> list[Problem]:
    """Every demand case changes only the demand section, names paths that exist, and leaves a
    valid scenario; a scenario with cases has a 'central' one (the default)."""
    if not s.demand_cases:
        return []
    probs: list[Problem] = []
    ids = [c.id for c in s.demand_cases]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        probs.append(Problem(f"demand_cases.{dup}", f"duplicate demand case '{dup}'"))
    if "central" not in ids:
        probs.append(
            Problem(
                "demand_cases",
                "a scenario with demand cases needs a 'central' case (the default; it may change nothing)",
            )
        )
    for case in s.demand_cases:
        cp = f"demand_cases.{case.id}"
        bad = False
        for op, items in (("set", case.set), ("scale", case.scale)):
            for path in items:
                if path.split(".")[0] not in CASE_SECTIONS:
                    probs.append(
                        Problem(
                            f"{cp}.{op}.{path}",
                            "a demand case may change only the demand section (paths starting 'demand.')",
                        )
                    )
                    bad = True
        if bad:
            continue
        # a case changes only its sections (checked above): the rest is shared, not copied
        trial = {k: copy.deepcopy(v) if k in CASE_SECTIONS else v for k, v in raw.items()}
        try:
            apply_changes(trial, case.set, case.scale)
        except KeyError as exc:
            probs.append(Problem(cp, f"unknown parameter path: {exc.args[0]}"))
            continue
        try:
            after = Scenario.model_validate(trial)
            refs = check_references(after)
        except ValidationError as exc:
            refs = [Problem(readable_path(trial, tuple(e["loc"])), explain(e)) for e in exc.errors()]
        probs.extend(Problem(cp, f"with this case, {p.path}: {p.message}") for p in refs)
    return probs
