"""Figures of a comparison: tonnes against the goal by scenario (a fan of demand cases), days,
the route split of one flow, and what binds by scenario and year."""

from __future__ import annotations

import textwrap

from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from ...experiments.comparison import case_of
from ...scenario.labels import flow_label, resource_labels, route_label
from ..palette import CASE_STYLES, KIND_COLORS, KIND_LABELS, SCENARIO_COLORS, scenario_colors
from .common import FLOW_COLORS, draw_goal, draw_observed, new_figure, set_suptitle, set_title, year_axis


def comparison_colors(cmp) -> dict[str, str]:
    """Each compared run's colour: its scenario's, shared by its demand cases (palette order)."""
    cases = {n: case_of(cmp, n)[0] for n in cmp.results}
    base = scenario_colors(cases.values())
    return {n: base[b] for n, b in cases.items()}


def _compare_about(cmp) -> str:
    first = next(iter(cmp.results.values()))[0].scenario
    years = f"{int(cmp.annual.year.min())}–{int(cmp.annual.year.max())}"
    if cmp.replications > 1:
        how = f"mean of {cmp.replications} replications, 95% CI; the same seeds for every scenario"
    else:
        how = f"1 replication (seed {cmp.meta.get('seeds', ['?'])[0]}), the same for every scenario"
    over = f" · with {first.overrides_text}" if first.overrides else ""
    return f"{years} · {how}{over}"


def compare_tons(cmp) -> Figure:
    """Delivered Mt per year for each scenario, against the goal, with the documented history.
    Runs of one scenario under several demand cases share its colour (line style by case) and
    the span between its lowest and highest case is shaded: a fan of demand against the goal."""
    names = list(cmp.results)
    cases = {n: case_of(cmp, n) for n in names}
    colors = comparison_colors(cmp)
    first = next(iter(cmp.results.values()))[0].scenario
    fig = new_figure(11.5, 6.2)
    ax = fig.add_subplot()
    for n in names:
        base, case = cases[n]
        a = cmp.annual[cmp.annual.scenario == n]
        many = sum(1 for b, _ in cases.values() if b == base) > 1
        label = f"{base} ({case} demand case)" if many else n
        ax.plot(
            a.year,
            a.delivered_mt,
            CASE_STYLES.get(case, "-."),
            marker="o",
            ms=4,
            lw=2,
            color=colors[n],
            label=f"{label}: at goal {cmp.goal_label(n)}",
        )
        if cmp.replications > 1 and not many:
            ax.fill_between(
                a.year,
                a.delivered_mt_ci_low.astype(float),
                a.delivered_mt_ci_high.astype(float),
                color=colors[n],
                alpha=0.18,
                lw=0,
            )
    for base in dict.fromkeys(b for b, _ in cases.values()):
        runs = [n for n in names if cases[n][0] == base]
        if len(runs) > 1:
            wide = cmp.annual[cmp.annual.scenario.isin(runs)].pivot(
                index="year", columns="scenario", values="delivered_mt"
            )
            ax.fill_between(wide.index, wide.min(axis=1), wide.max(axis=1), color=colors[runs[0]], alpha=0.12, lw=0)
    goal = draw_goal(ax, first)
    years = sorted(set(cmp.annual.year) | draw_observed(ax, first, "s--"))
    year_axis(ax, years)
    ax.set_ylim(0, max(goal * 1.15, cmp.annual.delivered_mt.max() * 1.1))
    ax.set_ylabel("cargo delivered, Mt per year")
    ax.set_xlabel("year")
    set_title(ax, f"Scenarios: cargo delivered against the {goal:g} Mt/yr goal", _compare_about(cmp))
    ax.legend(loc="upper left", fontsize=9, frameon=True)
    ax.grid(alpha=0.3)
    return fig


def compare_transit(cmp) -> Figure:
    """Tonne-weighted days per year for each scenario: in the corridor, and apart the wait before
    entry (cargo waiting at a full border or tank farm is not in transit)."""
    names = list(cmp.results)
    colors = comparison_colors(cmp)
    fig = new_figure(12, 5.0)
    ax, ax2 = fig.subplots(1, 2, sharex=True)
    for n in names:
        a = cmp.annual[cmp.annual.scenario == n]
        ax.plot(a.year, a.corridor_days_mean, "-o", ms=4, lw=2, color=colors[n], label=n)
        ax2.plot(a.year, a.entry_wait_days_mean, "-o", ms=4, lw=2, color=colors[n], label=n)
        if cmp.replications > 1:
            for axis, m in ((ax, "corridor_days_mean"), (ax2, "entry_wait_days_mean")):
                axis.fill_between(
                    a.year,
                    a[f"{m}_ci_low"].astype(float),
                    a[f"{m}_ci_high"].astype(float),
                    color=colors[n],
                    alpha=0.15,
                    lw=0,
                )
    years = sorted(cmp.annual.year.unique())
    for axis, what in ((ax, "in the corridor, entry to delivery"), (ax2, "wait before entry")):
        year_axis(axis, years)
        axis.set_ylim(bottom=0)
        axis.set_ylabel(f"days {what}\n(tonne-weighted mean, all flows)", fontsize=9)
        axis.grid(alpha=0.3)
    ax.set_title("in the corridor", fontsize=10, loc="left")
    ax2.set_title("waiting to enter", fontsize=10, loc="left")
    ax.legend(fontsize=8.5)
    set_suptitle(fig, "Days in the corridor, and the wait before entry, by scenario", _compare_about(cmp))
    return fig


def route_flow(cmp_or_scenario, flow: str | None = None) -> str | None:
    """The flow whose route split is charted: ``flow``, else the scenario's ``output.route_split_flow``,
    else its flow with the most routes (the first such in scenario order)."""
    s = (
        cmp_or_scenario
        if hasattr(cmp_or_scenario, "demand")
        else next(iter(cmp_or_scenario.results.values()))[0].scenario
    )
    if flow:
        return flow
    if s.output.route_split_flow:
        return s.output.route_split_flow
    best = max(s.demand.flows, key=lambda f: len(f.routes), default=None)
    return best.id if best is not None else None


def compare_routes(cmp, flow: str | None = None) -> Figure:
    """Route split of one flow over the years, one panel per scenario."""
    flow = route_flow(cmp, flow)
    names = list(cmp.results)
    scn = cmp.results[names[0]][0].scenario  # the routes named in the first scenario's words
    r = cmp.routes[cmp.routes.flow == flow]
    routes = sorted(r.route.unique())
    palette = {c: (FLOW_COLORS + SCENARIO_COLORS)[i % 20] for i, c in enumerate(routes)}
    ncol = min(3, len(names))
    nrow = -(-len(names) // ncol)
    fig = new_figure(4.3 * ncol + 0.4, 3.1 * nrow + 1.6)
    axes = fig.subplots(nrow, ncol, squeeze=False, sharey=True)
    years = sorted(cmp.annual.year.unique())
    for ax, n in zip(axes.flat, names):
        w = r[r.scenario == n].pivot_table(index="year", columns="route", values="share", aggfunc="sum")
        w = w.reindex(index=years, columns=routes).fillna(0.0)
        ax.stackplot(w.index, [w[c] * 100 for c in routes], colors=[palette[c] for c in routes], alpha=0.85)
        ax.set_title(n, fontsize=10, loc="left")
        ax.set_ylim(0, 100)
        ax.set_xlim(years[0], years[-1])
        ax.set_xticks(years if len(years) <= 6 else years[::2])
        ax.tick_params(labelsize=8, axis="both")
        if len(years) > 6:
            ax.tick_params(axis="x", labelrotation=45)
    for ax in axes.flat[len(names) :]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("share of tonnes, %")
    fig.legend(
        handles=[Patch(color=palette[c], label=route_label(scn, c)) for c in routes],
        loc="outside lower center",
        ncol=min(len(routes), 5),
        fontsize=9,
    )
    desc = scn.flow(flow).description if flow else ""
    title = flow_label(scn, flow) if flow else "the flow"
    set_suptitle(fig, f"Route split of {title}: delivered tonnes by route", f"{desc} · {_compare_about(cmp)}")
    return fig


def compare_bottlenecks(cmp) -> Figure:
    """The binding resource per scenario and year, coloured by kind, with the share of replications
    that name it."""
    names = list(cmp.results)
    years = sorted(cmp.binding.year.unique())
    first = next(iter(cmp.results.values()))[0].scenario
    thr = first.output.bottleneck_threshold
    fig = new_figure(max(12, 1.15 * len(years) + 3.5), 0.95 * len(names) + 2.4)
    ax = fig.add_subplot()
    b = cmp.binding.set_index(["scenario", "year"])
    for i, n in enumerate(names):
        s = cmp.results[n][0].scenario
        for j, y in enumerate(years):
            row = b.loc[(n, y)] if (n, y) in b.index else None
            bound = row is not None and bool(row.binding)
            if row is not None and bound:
                color = KIND_COLORS.get(row.kind, "#dddddd")
                label = textwrap.fill(_short_label(s, row.resource), 15, break_long_words=False)
                if cmp.replications > 1:
                    label += f"\n{row.share_of_replications:.0%}"
            else:
                color, label = "#f2f2f2", "none"
            ax.add_patch(Rectangle((j, i), 0.96, 0.92, color=color, alpha=0.6 if bound else 1))
            ax.text(
                j + 0.48, i + 0.46, label, ha="center", va="center", fontsize=6.3, color="black" if bound else "#888888"
            )
    ax.set_xlim(0, len(years))
    ax.set_ylim(len(names), 0)
    ax.set_xticks([j + 0.48 for j in range(len(years))], [str(y) for y in years], fontsize=9)
    ax.set_yticks([i + 0.46 for i in range(len(names))], names, fontsize=9)
    ax.tick_params(length=0)
    for sp in ax.spines.values():
        sp.set_visible(False)
    kinds = sorted({k for k in cmp.binding[cmp.binding.binding].kind.dropna()})
    ax.legend(
        handles=[Patch(color=KIND_COLORS[k], alpha=0.6, label=KIND_LABELS[k]) for k in kinds]
        + [Patch(color="#f2f2f2", label=f"none at or above {thr:.0%}")],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.04),
        ncol=4,
        fontsize=8,
        frameon=False,
    )
    share = "; % = share of replications naming it" if cmp.replications > 1 else ""
    set_title(
        ax,
        f"What binds: among resources at or above {thr:.0%} utilization, the one where cargo waits longest{share}",
        _compare_about(cmp),
    )
    return fig


def _short_label(s, resource: str) -> str:
    """A resource's label, short enough for a grid cell ('Kuryk–Alat rail ferries: ASCO ferries (52 wagons)'
    loses its capacity)."""
    return resource_labels(s, [resource])[resource].split(" (")[0]
