"""The report's tables: delivered tonnes, days and what binds by scenario and year; every
parameter with its source; and the assumptions, written from the scenarios as run."""

from __future__ import annotations

from typing import cast

from ...display import pm
from ...experiments.comparison import Comparison
from ...scenario.labels import resource_labels
from ...scenario.schema import Scenario
from ..assumptions import assumptions


def results_table(cmp: Comparison) -> dict:
    names = list(cmp.results)
    a = cmp.annual.set_index(["scenario", "year"])
    rows = []
    for y in sorted(cmp.annual.year.unique()):
        rows.append(
            [str(int(y))]
            + [
                pm(a.loc[(n, y)].delivered_mt, a.loc[(n, y)].delivered_mt_ci_low, a.loc[(n, y)].delivered_mt_ci_high)
                if (n, y) in a.index
                else "-"
                for n in names
            ]
        )
    return {"head": ["year", *names], "rows": rows}


def tonnes_table(cmp: Comparison) -> dict:
    """Per scenario and year, the demand terms of docs/kpis.md side by side: offered = delivered +
    diverted + stock change (waiting to enter or in the corridor, end of year less start)."""
    metrics = ("offered_mt", "delivered_mt", "diverted_mt", "stock_change_mt")
    rows = []
    for r in cmp.annual.sort_values(["scenario", "year"]).itertuples():
        cells = [pm(getattr(r, m), getattr(r, f"{m}_ci_low"), getattr(r, f"{m}_ci_high")) for m in metrics]
        rows.append([str(r.scenario), str(int(cast(float, r.year))), *cells])
    order = {n: i for i, n in enumerate(cmp.results)}
    rows.sort(key=lambda x: (order.get(x[0], 0), x[1]))
    return {"head": ["scenario", "year", "offered", "delivered", "diverted", "stock change"], "rows": rows}


def days_table(cmp: Comparison) -> dict:
    names = list(cmp.results)
    a = cmp.annual.set_index(["scenario", "year"])
    head = ["year"] + [f"{n}: {w}" for n in names for w in ("wait before entry", "in corridor")]
    rows = []
    for y in sorted(cmp.annual.year.unique()):
        row = [str(int(y))]
        for n in names:
            if (n, y) not in a.index:
                row += ["-", "-"]
                continue
            r = a.loc[(n, y)]
            row += [
                pm(r.entry_wait_days_mean, r.entry_wait_days_mean_ci_low, r.entry_wait_days_mean_ci_high, "{:.1f}"),
                pm(r.corridor_days_mean, r.corridor_days_mean_ci_low, r.corridor_days_mean_ci_high, "{:.1f}"),
            ]
        rows.append(row)
    return {"head": head, "rows": rows}


def binding_table(cmp: Comparison) -> dict:
    names = list(cmp.results)
    years = sorted(cmp.binding.year.unique())
    b = cmp.binding.set_index(["scenario", "year"])
    rows = []
    for n in names:
        s = cmp.results[n][0].scenario
        labels = resource_labels(s, cmp.binding[cmp.binding.scenario == n].resource.dropna())
        row = [n]
        for y in years:
            r = b.loc[(n, y)] if (n, y) in b.index else None
            if r is None:
                row.append("-")
            elif not bool(r.binding):
                row.append(f"none at or above {s.output.bottleneck_threshold:.0%}")
            else:
                share = f" ({r.share_of_replications:.0%})" if cmp.replications > 1 else ""
                row.append(f"{labels.get(r.resource, r.resource)}{share}")
        rows.append(row)
    return {"head": ["scenario", *[str(y) for y in years]], "rows": rows}


def parameters(s: Scenario) -> list[dict]:
    """Every parameter with its source, section by section."""

    def t(title, rows):
        head = list(rows[0]) if rows else []
        return {"title": title, "head": head, "rows": [[_cell(r[h]) for h in head] for r in rows]}

    parts = [
        t(
            "Cargo classes",
            [
                {"class": k, "unit": c.unit, "t per unit": c.t_per_unit, "source": c.source}
                for k, c in s.cargo_classes.items()
            ],
        )
    ]
    parts.append(
        t(
            "Rail links and crossings",
            [
                {
                    "link": l.id,
                    "from": l.from_node,
                    "to": l.to_node,
                    "km": l.length_km,
                    "km/h": l.speed_kmh,
                    "paths/day": round(l.paths, 1) if l.paths is not None else None,
                    "track": _track_text(l.track),
                    "other trains/day": l.background_trains_per_day,
                    "crossing": (
                        f"{l.crossing.transshipment_tracks} x {l.crossing.transshipment_h:g} h, dwell "
                        f"{l.crossing.dwell_mean_h:g} h"
                        if l.crossing
                        else ""
                    ),
                    "source": l.source + (f" | crossing: {l.crossing.source}" if l.crossing else ""),
                }
                for l in s.rail_links
            ],
        )
    )
    rows = [
        {
            "port": p.id,
            "cargo": tm.cargo,
            "berths": tm.berths,
            "handling units/h": tm.handling_units_per_h,
            "yard units": tm.yard_capacity_units,
            "rail tracks": tm.rail_tracks,
            "source": tm.source,
        }
        for p in s.ports
        for tm in p.terminals
    ]
    rows += [
        {
            "port": p.id,
            "cargo": "(storms)",
            "berths": "",
            "handling units/h": "",
            "yard units": "",
            "rail tracks": "",
            "source": p.weather.source,
        }
        for p in s.ports
    ]
    parts.append(t("Ports", rows))
    rows = [
        {
            "line": l.id,
            "cargo": l.cargo,
            "sea h": l.crossing_h,
            "vessels": f"{v.count} x {v.capacity_units:g}",
            "group": v.name or v.id,
            "source": v.source,
        }
        for l in s.sea_lines
        for v in l.vessels
    ]
    if s.caspian:
        c = s.caspian
        rows.append(
            {
                "line": "(sea level)",
                "cargo": "",
                "sea h": "",
                "vessels": f"load factor {c.load_factor:g}",
                "group": f"-{c.sea_level_decline_cm_per_year:g} cm/yr, {c.load_factor_loss_per_10cm:g} per 10 cm",
                "source": c.source,
            }
        )
    parts.append(t("Fleet and the sea", rows))
    parts.append(
        t(
            "Demand",
            [
                {
                    "flow": f.id,
                    "cargo": f.cargo,
                    "Mt/yr (base year)": f.tons_per_year * s.demand.scale / 1e6,
                    "growth %/yr": f.growth_pct_per_year,
                    "responds": "yes" if f.response else "no",
                    "source": f.source + (f" | response: {f.response.source}" if f.response else ""),
                }
                for f in s.demand.flows
            ],
        )
    )
    return parts


def _cell(v) -> str:
    if isinstance(v, float):
        return "" if v != v else f"{v:,.3g}" if abs(v) < 1000 else f"{v:,.0f}"
    return "" if v is None else str(v)


def marked_assumptions(s: Scenario) -> list[list[str]]:
    """Every place where the scenario's own source says 'assumption'."""
    rows = []

    def walk(node, path):
        if isinstance(node, dict):
            src = node.get("source")
            if isinstance(src, str) and "assumption" in src.lower():
                rows.append([path or "(top)", src])
            for k, v in node.items():
                if k != "source":
                    walk(v, f"{path}.{k}" if path else k)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                key = (v.get("id") or v.get("cargo")) if isinstance(v, dict) else None
                walk(v, f"{path}.{key or i}")

    walk(s.to_dict(), "")
    return rows


def assumption_groups(scenarios: dict[str, Scenario]) -> list[dict]:
    """One list when every scenario states the same; otherwise the shared statements once and each
    scenario's own after them."""
    lists = {n: assumptions(s) for n, s in scenarios.items()}
    common = [a for a in next(iter(lists.values())) if all(a in v for v in lists.values())]
    groups = [{"title": "Every scenario" if len(lists) > 1 else next(iter(lists)), "items": common}]
    for n, v in lists.items():
        own = [a for a in v if a not in common]
        if own:
            groups.append({"title": n, "items": own})
    return groups


def _track_text(track) -> str:
    """A link's track in a few words: '1 track, loops every 38 km' or '2 tracks, 12 min headway'."""
    if track is None:
        return ""
    if track.tracks >= 2:
        return f"2 tracks, {track.headway_min:g} min headway"
    where = f"loops every {track.loop_spacing_km:g} km" if track.loop_spacing_km is not None else f"{track.loops} loops"
    return f"1 track, {where}"
