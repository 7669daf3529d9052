"""Figures, each a pure function of Results returning a matplotlib Figure (no pyplot state)."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display needed, none assumed

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.patches  # noqa: E402,F401
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from .calendar import Calendar  # noqa: E402
from .kpi import CAPACITY_KINDS  # noqa: E402

FLOW_COLORS = ["#1f77b4", "#6baed6", "#9ecae1", "#d62728", "#ff9896", "#2ca02c", "#9467bd", "#8c564b",
               "#e377c2", "#7f7f7f"]
KIND_COLORS = {"fleet": "#1f77b4", "rail_path": "#d62728", "crossing": "#ff7f0e", "berth": "#2ca02c",
               "rail_track": "#9467bd", "yard": "#8c564b"}
KIND_LABELS = {"fleet": "vessel fleet (time not waiting for cargo)", "rail_path": "rail line paths",
               "crossing": "border / gauge-change station", "berth": "port berths",
               "rail_track": "port rail tracks", "yard": "port yard (mean fill)"}


def _subtitle(res) -> str:
    return f"scenario '{res.scenario.name}', seed {res.seed}, corridor-sim {res.metadata.get('corridor_sim_version', '')}"


def _subtitle_any(res) -> str:
    if hasattr(res, "runs"):
        return (f"scenario '{res.scenario.name}', {res.n} replications (seeds from {res.seed}): "
                "mean, error bars = 95% CI of the total")
    return _subtitle(res)


def _history_and_goal(ax, scenario, style: str) -> float:
    """The documented series (if the scenario has one) and the goal line; returns the goal."""
    if scenario.observed is not None:
        obs = pd.Series(scenario.observed.mt_by_year).sort_index()
        ax.plot(obs.index, obs.values, style, color="black", lw=1.2, ms=5, label=f"observed: {scenario.observed.series}")
    goal = scenario.goal_mt_per_year
    ax.axhline(goal, color="#d62728", ls="--", lw=1.5)
    ax.annotate(f"goal {goal:g} Mt/yr", (0.01, goal), xycoords=("axes fraction", "data"), va="bottom",
                color="#d62728", fontsize=10, xytext=(0, 3), textcoords="offset points")
    return goal


def annual_tons(res) -> Figure:
    """Delivered tonnes per year by flow, the documented series, and the 10 Mt goal
    (for replications: the mean by flow, with the 95% CI of the total as error bars)."""
    s = res.scenario
    replicated = hasattr(res, "runs")
    col = "tons_delivered_mean" if replicated else "tons_delivered"
    a = res.annual.pivot_table(index="year", columns="flow", values=col, aggfunc="sum") / 1e6
    a = a[[f.id for f in s.demand.flows if f.id in a.columns]]
    fig = Figure(figsize=(10, 5.8), layout="constrained")
    ax = fig.add_subplot()
    bottom = np.zeros(len(a))
    for i, flow in enumerate(a.columns):
        ax.bar(a.index, a[flow], bottom=bottom, color=FLOW_COLORS[i % len(FLOW_COLORS)], width=0.7,
               label=f"{flow} (simulated)")
        bottom += a[flow].to_numpy()
    if replicated and res.n > 1:
        t = res.totals.set_index("year").loc[a.index]
        ax.errorbar(a.index, t.delivered_mt_mean, yerr=[t.delivered_mt_mean - t.delivered_mt_ci_low,
                    t.delivered_mt_ci_high - t.delivered_mt_mean], fmt="none", ecolor="black", capsize=4, lw=1.2,
                    label="95% CI of the total")
    for x, total in zip(a.index, bottom):
        ax.annotate(f"{total:.2f}", (x, total), ha="center", va="bottom", fontsize=9, xytext=(0, 2 if len(a) < 6 else 6),
                    textcoords="offset points", rotation=0 if len(a) < 9 else 90)
    goal = _history_and_goal(ax, s, "o-")
    years = sorted(set(a.index) | (set(s.observed.mt_by_year) if s.observed else set()))
    ax.set_xticks(years)
    ax.set_xlim(min(years) - 0.6, max(years) + 0.6)
    ax.set_ylim(0, max(goal, float(bottom.max()) if len(bottom) else 0) * 1.15)
    ax.set_ylabel("cargo delivered, Mt per year")
    ax.set_xlabel("year")
    ax.set_title("Middle Corridor cargo delivered by flow, against the 10 Mt goal\n" + _subtitle_any(res), fontsize=11)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, frameon=False)
    ax.grid(axis="y", alpha=0.3)
    return fig


def utilization(res, top: int = 22) -> Figure:
    """Mean utilization of each capacity-bearing resource, busiest first (replications: 95% CI bars)."""
    replicated = hasattr(res, "runs")
    r = res.resources[res.resources.kind.isin(CAPACITY_KINDS)]
    if replicated:
        r = r.rename(columns={"utilization_mean": "utilization"})
        r = r.assign(half=(r.utilization_ci_high - r.utilization_ci_low) / 2)
        agg = r.groupby(["resource", "kind"], as_index=False).agg(utilization=("utilization", "mean"),
                                                                   half=("half", "mean"))
    else:
        agg = r.groupby(["resource", "kind"], as_index=False).utilization.mean()
    agg = agg.sort_values("utilization").tail(top)
    fig = Figure(figsize=(10, 0.32 * len(agg) + 1.8), layout="constrained")
    ax = fig.add_subplot()
    colors = [KIND_COLORS.get(k, "grey") for k in agg.kind]
    ax.barh(agg.resource, agg.utilization * 100, color=colors,
            xerr=(agg.half.fillna(0) * 100) if "half" in agg else None, error_kw={"ecolor": "black", "capsize": 2})
    for y, v in enumerate(agg.utilization * 100):
        ax.annotate(f"{v:.0f}%", (v, y), va="center", xytext=(3, 0), textcoords="offset points", fontsize=8)
    ax.axvline(100, color="black", lw=0.8)
    ax.set_xlim(0, 112)
    ax.set_xlabel("utilization, % of capacity (mean over simulated years)")
    yrs = f"{res.scenario.start_year}" + (f"-{res.scenario.end_year}" if res.scenario.end_year > res.scenario.start_year else "")
    ax.set_title(f"Where the corridor is busiest, {yrs}\n" + _subtitle_any(res).replace("of the total", ""), fontsize=11)
    kinds = [k for k in KIND_COLORS if k in set(agg.kind)]
    ax.legend(handles=[Patch(color=KIND_COLORS[k], label=KIND_LABELS[k]) for k in kinds], loc="lower right",
              fontsize=8, frameon=True)
    ax.tick_params(axis="y", labelsize=8)
    ax.grid(axis="x", alpha=0.3)
    return fig


def transit_days(res) -> Figure:
    """Distribution of door-to-door transit time (entry request to delivery) by flow."""
    lots = res.lots
    flows = [f.id for f in res.scenario.demand.flows if f.id in set(lots.flow)]
    fig = Figure(figsize=(10, 0.6 * max(len(flows), 1) + 2.2), layout="constrained")
    ax = fig.add_subplot()
    data = [lots.loc[lots.flow == f, "transit_days"].to_numpy() for f in flows]
    if flows:
        bp = ax.boxplot(data, orientation="horizontal", tick_labels=flows, whis=(5, 95), showfliers=False, patch_artist=True,
                        medianprops={"color": "black"})
        for patch, color in zip(bp["boxes"], FLOW_COLORS):
            patch.set_facecolor(color)
            patch.set_alpha(0.6)
        for i, f in enumerate(flows):
            g = lots[lots.flow == f]
            mean = np.average(g.transit_days, weights=g.tons)
            ax.plot(mean, i + 1, "D", color="black", ms=5)
    ax.set_xlabel("transit time, days (box: quartiles; whiskers: 5th-95th percentile; diamond: tonne-weighted mean)")
    ax.set_title("Transit time from the corridor entry (border or origin) to delivery\n" + _subtitle(res), fontsize=11)
    ax.grid(axis="x", alpha=0.3)
    ax.set_xlim(left=0)
    ax.invert_yaxis()                     # flows top-down in scenario order
    return fig


PORT_LABELS = {"aktau": "Aktau", "kuryk": "Kuryk", "alat": "Port of Baku (Alat)"}


def port_levels(res, ports: tuple[str, ...] = ("aktau", "kuryk", "alat")) -> Figure:
    """Yard fill and trains waiting over time at the Caspian ports, with storm closures shaded."""
    lv = res.levels
    ports = tuple(p for p in ports if p in set(lv.port))
    cal = Calendar(res.scenario.start_year, res.scenario.end_year)
    fig = Figure(figsize=(11, 2.7 * max(len(ports), 1) + 0.8), layout="constrained")
    axes = fig.subplots(max(len(ports), 1), 1, sharex=True, squeeze=False)[:, 0]
    closures = res.closures
    for ax, pid in zip(axes, ports):
        p = lv[lv.port == pid]
        for _, c in closures[(closures.port == pid) & (closures.t_end_h > 0)].iterrows():
            ax.axvspan(cal.to_datetime(max(c.t_start_h, 0.0)), cal.to_datetime(c.t_end_h), color="#bbbbbb", alpha=0.45, lw=0)
        for i, (cargo, g) in enumerate(p[p.metric == "yard_share"].groupby("cargo")):
            ax.plot([cal.to_datetime(t) for t in g.t_h], g.value * 100, lw=1.2, color=FLOW_COLORS[[0, 3, 5][i % 3]],
                    label=f"{cargo} yard fill, %")
        ax.set_ylim(0, 135)               # headroom above 100% for the legend
        ax.set_yticks([0, 25, 50, 75, 100])
        ax.set_ylabel("yard fill, %")
        ax2 = ax.twinx()
        w = p[p.metric == "trains_waiting"].groupby("t_h").value.sum()
        ax2.plot([cal.to_datetime(t) for t in w.index], w.values, color="black", lw=0.9, ls=":",
                 label="trains waiting to unload")
        ax2.set_ylabel("trains waiting")
        ax2.set_ylim(0, max(4.0, float(w.max()) if len(w) else 4.0) * 1.35)
        ax.set_title(PORT_LABELS.get(pid, pid), loc="left", fontsize=10, fontweight="bold")
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = ax2.get_legend_handles_labels()
        ax.legend(h1 + h2 + [Patch(color="#bbbbbb", alpha=0.45)], l1 + l2 + ["port closed by storm"],
                  loc="upper left", fontsize=8, ncol=4, frameon=True)
        ax.grid(alpha=0.3)
    axes[-1].xaxis.set_major_formatter(mdates.ConciseDateFormatter(axes[-1].xaxis.get_major_locator()))
    fig.suptitle("Yard fill and trains waiting at the Caspian ports\n" + _subtitle(res), fontsize=11)
    return fig


FIGURES = {"annual_tons": annual_tons, "utilization": utilization, "transit_days": transit_days,
           "port_levels": port_levels, "corridor_map": lambda res: corridor_map(res)}


def save_all(res, out: str | Path, dpi: int = 110) -> list[Path]:
    out = Path(out)
    paths = []
    for name, make in FIGURES.items():
        fig = make(res)
        path = out / f"{name}.png"
        fig.savefig(path, dpi=dpi)
        paths.append(path)
    return paths


# ----------------------------------------------------------------------------------------------
# Scenario comparison
# ----------------------------------------------------------------------------------------------
SCENARIO_COLORS = ["#444444", "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#d62728", "#8c564b", "#17becf"]


def _scenario_colors(names) -> dict:
    return {n: SCENARIO_COLORS[i % len(SCENARIO_COLORS)] for i, n in enumerate(names)}


CASE_STYLES = {"low": ":", "central": "-", "high": "--"}


def _case_of(cmp, name: str) -> tuple[str, str]:
    """(scenario without its demand-case suffix, demand case) of one compared run."""
    s = cmp.results[name][0].scenario
    case = s.demand_case
    base = name[: -len(case) - 1] if case != "central" and name.endswith(f"_{case}") else name
    return base, case


def compare_tons(cmp) -> Figure:
    """Delivered Mt per year for each scenario, against the goal, with the documented history.
    Runs of one scenario under several demand cases share its colour (line style by case) and
    the span between its lowest and highest case is shaded: a fan of demand against the goal."""
    names = list(cmp.results)
    cases = {n: _case_of(cmp, n) for n in names}
    bases = list(dict.fromkeys(b for b, _ in cases.values()))
    colors = _scenario_colors(bases)
    first = next(iter(cmp.results.values()))[0].scenario
    fig = Figure(figsize=(11, 6), layout="constrained")
    ax = fig.add_subplot()
    for n in names:
        base, case = cases[n]
        a = cmp.annual[cmp.annual.scenario == n]
        many = sum(1 for b, _ in cases.values() if b == base) > 1
        label = f"{base} ({case} demand)" if many else n
        ax.plot(a.year, a.delivered_mt, CASE_STYLES.get(case, "-."), marker="o", ms=4, lw=2, color=colors[base],
                label=f"{label}, at goal: {cmp.goal_label(n)}")
        if cmp.replications > 1 and not many:
            ax.fill_between(a.year, a.delivered_mt_ci_low.astype(float), a.delivered_mt_ci_high.astype(float),
                            color=colors[base], alpha=0.18, lw=0)
    for base in bases:
        runs = [n for n in names if cases[n][0] == base]
        if len(runs) > 1:
            wide = cmp.annual[cmp.annual.scenario.isin(runs)].pivot(index="year", columns="scenario",
                                                                     values="delivered_mt")
            ax.fill_between(wide.index, wide.min(axis=1), wide.max(axis=1), color=colors[base], alpha=0.12, lw=0)
    goal = _history_and_goal(ax, first, "s--")
    years = sorted(set(cmp.annual.year) | (set(first.observed.mt_by_year) if first.observed else set()))
    ax.set_xticks(years)
    ax.tick_params(axis="x", labelrotation=45)
    ax.set_ylim(0, max(goal * 1.15, cmp.annual.delivered_mt.max() * 1.1))
    ax.set_ylabel("cargo delivered, Mt per year")
    ax.set_xlabel("year")
    if cmp.replications > 1:
        how = f"mean of {cmp.replications} replications, bands: 95% CI; the same seeds for every scenario"
    else:
        how = f"seed {cmp.meta.get('seeds', ['?'])[0]}, the same for every scenario (common random numbers)"
    ax.set_title(f"Middle Corridor scenarios: cargo delivered against the {goal:g} Mt goal\n{how}", fontsize=11)
    ax.legend(loc="center left", bbox_to_anchor=(0.005, 0.58), fontsize=9, frameon=True)
    ax.grid(alpha=0.3)
    return fig


def compare_transit(cmp) -> Figure:
    """Tonne-weighted mean transit days per year for each scenario."""
    names = list(cmp.results)
    colors = _scenario_colors(names)
    fig = Figure(figsize=(11, 4.8), layout="constrained")
    ax = fig.add_subplot()
    for n in names:
        a = cmp.annual[cmp.annual.scenario == n]
        ax.plot(a.year, a.transit_days_mean, "-o", ms=4, lw=2, color=colors[n], label=n)
    ax.set_xticks(sorted(cmp.annual.year.unique()))
    ax.tick_params(axis="x", labelrotation=45)
    ax.set_ylim(bottom=0)
    ax.set_ylabel("mean transit, days (tonne-weighted, all flows)")
    ax.set_xlabel("year")
    ax.set_title("Transit time from corridor entry to delivery, by scenario", fontsize=11)
    ax.legend(fontsize=9, ncol=3)
    ax.grid(alpha=0.3)
    return fig


def compare_routes(cmp, flow: str = "containers_cn_tr") -> Figure:
    """Route split of one flow over the years, one panel per scenario."""
    names = list(cmp.results)
    r = cmp.routes[cmp.routes.flow == flow]
    routes = sorted(r.route.unique())
    palette = dict(zip(routes, FLOW_COLORS + SCENARIO_COLORS))
    ncol = min(3, len(names))
    nrow = -(-len(names) // ncol)
    fig = Figure(figsize=(4.2 * ncol, 3.0 * nrow + 1.2), layout="constrained")
    axes = fig.subplots(nrow, ncol, squeeze=False, sharey=True)
    years = sorted(cmp.annual.year.unique())
    for ax, n in zip(axes.flat, names):
        w = r[r.scenario == n].pivot_table(index="year", columns="route", values="share", aggfunc="sum")
        w = w.reindex(index=years, columns=routes).fillna(0.0)
        ax.stackplot(w.index, [w[c] * 100 for c in routes], colors=[palette[c] for c in routes], alpha=0.85)
        ax.set_title(n, fontsize=10)
        ax.set_ylim(0, 100)
        ax.set_xlim(years[0], years[-1])
        ax.tick_params(labelsize=8)
    for ax in axes.flat[len(names):]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("share of tonnes, %")
    fig.legend(handles=[Patch(color=palette[c], label=c) for c in routes], loc="outside lower center",
               ncol=min(len(routes), 6), fontsize=9)
    fig.suptitle(f"Route split of {flow} (delivered tonnes by route)", fontsize=11)
    return fig


def compare_bottlenecks(cmp) -> Figure:
    """The binding resource per scenario and year (utilization >= 85%), coloured by kind."""
    names = list(cmp.results)
    years = sorted(cmp.binding.year.unique())
    fig = Figure(figsize=(max(11, 1.05 * len(years) + 2.5), 0.75 * len(names) + 1.8), layout="constrained")
    ax = fig.add_subplot()
    b = cmp.binding.set_index(["scenario", "year"])
    for i, n in enumerate(names):
        for j, y in enumerate(years):
            row = b.loc[(n, y)] if (n, y) in b.index else None
            bound = row is not None and bool(row.binding)
            color = KIND_COLORS.get(row.kind, "#dddddd") if bound else "#f2f2f2"
            ax.add_patch(matplotlib.patches.Rectangle((j, i), 0.96, 0.9, color=color, alpha=0.75 if bound else 1))
            label = _short(row.resource) if bound else "none"
            ax.text(j + 0.48, i + 0.45, label, ha="center", va="center", fontsize=6.5,
                    color="black" if bound else "#888888", wrap=True)
    ax.set_xlim(0, len(years))
    ax.set_ylim(len(names), 0)
    ax.set_xticks([j + 0.48 for j in range(len(years))], [str(y) for y in years], fontsize=9)
    ax.set_yticks([i + 0.45 for i in range(len(names))], names, fontsize=9)
    ax.tick_params(length=0)
    for s in ax.spines.values():
        s.set_visible(False)
    kinds = sorted({k for k in cmp.binding[cmp.binding.binding].kind.dropna()})
    ax.legend(handles=[Patch(color=KIND_COLORS[k], alpha=0.75, label=KIND_LABELS[k]) for k in kinds]
              + [Patch(color="#f2f2f2", label="none at or above 85%")], loc="upper center",
              bbox_to_anchor=(0.5, -0.08), ncol=4, fontsize=8, frameon=False)
    ax.set_title("What binds: among resources at or above 85% utilization, the one where cargo waits longest", fontsize=11)
    return fig


def _short(resource: str) -> str:
    """'tanker_aktau_sangachal:kmtf_tanker' -> 'tanker aktau\\nsangachal\\nkmtf tanker' (fits a grid cell)."""
    import textwrap
    parts = resource.split(":")
    return "\n".join(textwrap.fill(p.replace("_", " "), 14) for p in parts[:2])


def save_comparison(cmp, out: str | Path, dpi: int = 110, flow: str = "containers_cn_tr") -> list[Path]:
    out = Path(out)
    paths = []
    for name, fig in (("compare_tons", compare_tons(cmp)), ("compare_transit", compare_transit(cmp)),
                      ("compare_routes", compare_routes(cmp, flow)), ("compare_bottlenecks", compare_bottlenecks(cmp))):
        path = out / f"{name}.png"
        fig.savefig(path, dpi=dpi)
        paths.append(path)
    return paths


def save_replicated(rep, out: str | Path, dpi: int = 110) -> list[Path]:
    """Plots of a replicated run: totals and utilization with 95% CIs, transit days pooled over
    replications, and port levels of the first replication (a time series does not average)."""
    from types import SimpleNamespace

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    first = rep.runs[0]
    pooled = SimpleNamespace(lots=pd.concat([r.lots for r in rep.runs], ignore_index=True), scenario=rep.scenario,
                             seed=rep.seed, metadata=first.metadata)
    figs = {"annual_tons": annual_tons(rep), "utilization": utilization(rep), "transit_days": transit_days(pooled),
            "port_levels": port_levels(first), "corridor_map": corridor_map(first)}
    figs["transit_days"].axes[0].set_title(f"Transit time from the corridor entry to delivery, all {rep.n} replications "
                                           f"pooled\nscenario '{rep.scenario.name}'", fontsize=11)
    figs["port_levels"].suptitle(f"Yard fill and trains waiting at the Caspian ports\nscenario '{rep.scenario.name}', "
                                 f"replication 1 of {rep.n} (seed {first.seed})", fontsize=11)
    paths = []
    for name, fig in figs.items():
        path = out / f"{name}.png"
        fig.savefig(path, dpi=dpi)
        paths.append(path)
    return paths


# ----------------------------------------------------------------------------------------------
# Analyses
# ----------------------------------------------------------------------------------------------
def sweep_plot(summary: pd.DataFrame, paths: list[str], kpi: str = "delivered_mt_last_year",
               title: str = "") -> Figure:
    """The main KPI over the first varied parameter, one line per combination of the others."""
    fig = Figure(figsize=(10, 5.5), layout="constrained")
    ax = fig.add_subplot()
    x = paths[0]
    others = paths[1:]
    groups = summary.groupby(others) if others else [((), summary)]
    for i, (key, g) in enumerate(groups):
        g = g.sort_values(x)
        ok = g[g[f"{kpi}_mean"].notna()]
        key = key if isinstance(key, tuple) else (key,)
        label = ", ".join(f"{p.split('.')[-2] if p.count('.') else p}.{p.split('.')[-1]}={v}" for p, v in zip(others, key)) or "mean"
        yerr = None
        if ok[f"{kpi}_ci_low"].notna().any():
            yerr = [ok[f"{kpi}_mean"] - ok[f"{kpi}_ci_low"].fillna(ok[f"{kpi}_mean"]),
                    ok[f"{kpi}_ci_high"].fillna(ok[f"{kpi}_mean"]) - ok[f"{kpi}_mean"]]
        ax.errorbar(ok[x], ok[f"{kpi}_mean"], yerr=yerr, fmt="-o", capsize=3,
                    color=SCENARIO_COLORS[(i + 1) % len(SCENARIO_COLORS)], label=label)
        bad = g[g[f"{kpi}_mean"].isna()]
        for xv in bad[x]:
            ax.axvline(xv, color="#d62728", ls=":", lw=1)
    if summary[f"{kpi}_mean"].isna().any():
        ax.plot([], [], color="#d62728", ls=":", label="point failed (see sweep.csv)")
    ax.set_xlabel(x)
    ax.set_ylabel({"delivered_mt_last_year": "delivered in the last year, Mt",
                   "delivered_mt_per_year": "delivered, Mt per year (mean over the years)",
                   "transit_days_mean": "mean transit, days"}.get(kpi, kpi))
    ax.set_title(title or f"Sweep: {kpi} (mean, error bars 95% CI over replications)", fontsize=11)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9)
    return fig


def bottleneck_ranking(table: pd.DataFrame, top: int = 20) -> Figure:
    """Change in delivered tonnes from one step more of each resource, largest first (levers the
    screening skipped, on nearly idle resources, have no bar)."""
    t = table[table.delta_kt_mean.notna()].head(top).iloc[::-1]
    fig = Figure(figsize=(11, 0.36 * len(t) + 2.0), layout="constrained")
    ax = fig.add_subplot()
    colors = [KIND_COLORS.get(k, "grey") for k in t.kind]
    xerr = None
    if t.delta_kt_ci_low.notna().any():
        xerr = [t.delta_kt_mean - t.delta_kt_ci_low.fillna(t.delta_kt_mean),
                t.delta_kt_ci_high.fillna(t.delta_kt_mean) - t.delta_kt_mean]
    ax.barh(t.label, t.delta_kt_mean, xerr=xerr, color=colors, error_kw={"ecolor": "black", "capsize": 2})
    ax.axvline(0, color="black", lw=0.8)
    year = int(table.year.iloc[0]) if len(table) else ""
    base = table.baseline_mt.iloc[0] if len(table) else float("nan")
    ax.set_xlabel(f"change in cargo delivered in {year}, kt (baseline {base:.2f} Mt; error bars: 95% CI, common random numbers)")
    ax.set_title(f"What to build first: one step more of each resource, ranked by the tonnes it adds in {year}", fontsize=11)
    kinds = [k for k in KIND_COLORS if k in set(t.kind)]
    ax.legend(handles=[Patch(color=KIND_COLORS[k], label=KIND_LABELS[k]) for k in kinds], loc="lower right", fontsize=8)
    ax.tick_params(axis="y", labelsize=8)
    ax.grid(axis="x", alpha=0.3)
    return fig


def sensitivity_plot(ranking: pd.DataFrame) -> Figure:
    """Morris mu* (mean absolute elementary effect) per parameter, for each output."""
    outputs = list(dict.fromkeys(ranking.output))
    fig = Figure(figsize=(12, 0.45 * ranking.parameter.nunique() + 2.2), layout="constrained")
    axes = fig.subplots(1, len(outputs), squeeze=False)[0]
    units = {"delivered_mt_per_year": "delivered, Mt per year", "transit_days_mean": "mean transit, days"}
    for ax, out in zip(axes, outputs):
        r = ranking[ranking.output == out].sort_values("mu_star")
        ax.barh(r.parameter, r.mu_star, xerr=r.mu_star_conf, color="#1f77b4", error_kw={"ecolor": "black", "capsize": 2})
        ax.set_xlabel(f"mu* (effect on {units.get(out, out)})")
        ax.set_title(units.get(out, out), fontsize=10)
        ax.tick_params(axis="y", labelsize=8)
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle("Global sensitivity (Morris screening): which uncertain inputs move the results most\n"
                 "bars: mu* (mean absolute elementary effect over the input's range); error bars: bootstrap 95% CI",
                 fontsize=11)
    return fig


# ----------------------------------------------------------------------------------------------
# The corridor map and operations charts
# ----------------------------------------------------------------------------------------------
# A coarse outline of the Caspian Sea (lon, lat), traced by hand from a public map at ~50 km
# resolution: enough to place the ports and the crossing, drawn without tiles or downloads.
CASPIAN_OUTLINE = [
    (47.5, 43.0), (48.3, 42.05), (49.1, 41.2), (49.6, 40.6), (50.4, 40.45), (49.9, 40.3), (49.4, 39.95),
    (48.95, 39.2), (48.85, 38.45), (49.0, 37.9), (49.5, 37.45), (50.3, 37.1), (51.5, 36.75), (52.6, 36.75),
    (53.9, 36.9), (53.95, 37.6), (53.85, 38.5), (53.1, 39.4), (53.0, 40.0), (52.75, 40.6), (53.3, 41.0),
    (54.4, 41.1), (54.2, 41.8), (53.3, 41.9), (52.8, 42.4), (52.3, 42.9), (51.66, 43.18), (51.2, 43.6),
    (50.8, 44.1), (50.3, 44.6), (50.5, 45.0), (51.3, 45.3), (52.3, 45.5), (53.1, 46.3), (52.6, 46.8),
    (51.9, 47.1), (51.0, 46.9), (49.9, 46.6), (49.0, 46.3), (48.0, 45.9), (47.4, 45.4), (47.2, 44.7),
    (47.5, 43.9), (47.5, 43.0),
]


def _open_links(res, year: int) -> tuple[set, set]:
    """Rail links and sea lines on at least one route open in ``year`` (from the demand plans)."""
    s = res.scenario
    d = res.demand[res.demand.year <= year]
    open_routes = set()
    for flow, g in d.groupby("flow"):
        last_t = g.t_h.max()
        open_routes |= {(flow, r) for r in g[g.t_h == last_t].route}
    links, lines = set(), set()
    rail = {(l.from_node, l.to_node): l.id for l in s.rail_links}
    sea = {(l.from_port, l.to_port, l.cargo): l.id for l in s.sea_lines}
    for f in s.demand.flows:
        for r in f.routes:
            if (f.id, r.id) not in open_routes:
                continue
            for a, b in zip(r.path, r.path[1:]):
                if (a, b) in rail:
                    links.add(rail[(a, b)])
                elif (a, b, f.cargo) in sea:
                    lines.add(sea[(a, b, f.cargo)])
    return links, lines


def corridor_map(res, year: int | None = None) -> Figure:
    """The corridor in real coordinates: legs as wide as the tonnes they carry, coloured by
    utilization; routes closed in that year dotted (the Zangezur route before it opens)."""
    import matplotlib.cm as cm
    from matplotlib.colors import Normalize
    from matplotlib.lines import Line2D

    s = res.scenario
    year = year or s.end_year
    nodes = {n.id: n for n in s.nodes}
    links_open, lines_open = _open_links(res, year)
    lk = res.links[res.links.year == year].set_index("link")
    rs = res.resources[res.resources.year == year]
    v = res.voyages[[Calendar(s.start_year, s.end_year).year_of(t) == year for t in res.voyages.t_depart_h]] \
        if len(res.voyages) else res.voyages
    sea_tons = v.groupby("line").tons.sum() if len(v) else pd.Series(dtype=float)
    fleet_util = rs[rs.kind == "fleet"].groupby("where").utilization.mean()
    cmap, norm = matplotlib.colormaps["plasma_r"], Normalize(0.0, 1.0)
    width = lambda t: 0.8 + 9.0 * (t / 5e6) ** 0.7  # noqa: E731  (5 Mt/yr ~ 10 pt)

    fig = Figure(figsize=(14, 6.4), layout="constrained")
    ax = fig.add_subplot()
    xs, ys = zip(*CASPIAN_OUTLINE)
    ax.fill(xs, ys, color="#d6e9f8", zorder=0)
    ax.plot(xs, ys, color="#8db8dc", lw=0.8, zorder=0)
    ax.text(51.6, 37.9, "Caspian Sea\n(outline approximate)", ha="center", fontsize=8, color="#4a7fb0", style="italic")
    for l in s.rail_links:
        a, b = nodes[l.from_node], nodes[l.to_node]
        tons = float(lk.loc[l.id, "tons"]) if l.id in lk.index else 0.0
        util = float(lk.loc[l.id, "path_utilization"]) if l.id in lk.index and pd.notna(lk.loc[l.id, "path_utilization"]) else None
        if l.id not in links_open:
            ax.plot([a.lon_deg, b.lon_deg], [a.lat_deg, b.lat_deg], ls=":", color="#999999", lw=1.4, zorder=1)
            continue
        color = cmap(norm(util)) if util is not None else "#777777"
        ax.plot([a.lon_deg, b.lon_deg], [a.lat_deg, b.lat_deg], color=color, lw=width(tons), solid_capstyle="round", zorder=2)
    for line in s.sea_lines:
        a, b = nodes[line.from_port], nodes[line.to_port]
        tons = float(sea_tons.get(line.id, 0.0))
        util = fleet_util.get(line.id)
        ls = "--" if line.id in lines_open else ":"
        color = cmap(norm(util)) if util is not None and line.id in lines_open else "#999999"
        mid = ((a.lon_deg + b.lon_deg) / 2 + 0.35 * (hash(line.cargo) % 3 - 1), (a.lat_deg + b.lat_deg) / 2)
        ax.plot([a.lon_deg, mid[0], b.lon_deg], [a.lat_deg, mid[1], b.lat_deg], ls=ls, color=color,
                lw=width(tons), zorder=2)
    ports = {p.id for p in s.ports}
    for n in s.nodes:
        is_port = n.id in ports
        ax.plot(n.lon_deg, n.lat_deg, "s" if is_port else "o", ms=7 if is_port else 4.5,
                color="#1a1a1a" if is_port else "white", mec="#1a1a1a", zorder=3)
        dx, dy = _label_offset(n, s.nodes)
        ax.annotate(n.name, (n.lon_deg, n.lat_deg), xytext=(dx, dy), textcoords="offset points", fontsize=7.5,
                    ha="left" if dx >= 0 else "right", va="bottom" if dy >= 0 else "top", zorder=4,
                    bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.6})
    ax.set_aspect(1 / np.cos(np.radians(43)))
    ax.set_xlabel("longitude, °E")
    ax.set_ylabel("latitude, °N")
    ax.grid(alpha=0.25)
    sm = cm.ScalarMappable(norm=norm, cmap=cmap)
    fig.colorbar(sm, ax=ax, shrink=0.6, label="utilization (rail: train paths; sea: fleet busy share)")
    handles = [Line2D([], [], color="#555555", lw=width(t), label=f"{t / 1e6:g} Mt/yr") for t in (0.5e6, 2e6, 5e6)]
    handles += [Line2D([], [], color="#555555", lw=2, label="rail link"),
                Line2D([], [], color="#555555", lw=2, ls="--", label="sea line"),
                Line2D([], [], color="#999999", lw=1.4, ls=":", label=f"closed or unused in {year}"),
                Line2D([], [], marker="s", color="#1a1a1a", lw=0, label="port")]
    ax.legend(handles=handles, loc="lower right", fontsize=8, title="line width = tonnes carried", title_fontsize=8,
              ncol=2)
    ax.set_title(f"The Middle Corridor in {year}: corridor tonnes carried and utilization\n{_subtitle(res)}",
                 fontsize=11)
    return fig


def _label_offset(node, nodes, near_deg: float = 1.2) -> tuple[float, float]:
    """Place a label away from the node's close neighbours (in points)."""
    vx = vy = 0.0
    for m in nodes:
        if m.id == node.id:
            continue
        dx, dy = node.lon_deg - m.lon_deg, node.lat_deg - m.lat_deg
        d = (dx * dx + dy * dy) ** 0.5
        if 0 < d < near_deg:
            vx += dx / d * (near_deg - d)
            vy += dy / d * (near_deg - d)
    if vx == 0 and vy == 0:
        return 4.0, 4.0
    norm = (vx * vx + vy * vy) ** 0.5
    return 6.0 * vx / norm + (2 if vx >= 0 else -2), 6.0 * vy / norm


def _window(res, start: str | None, days: float) -> tuple[float, float, Calendar]:
    cal = Calendar(res.scenario.start_year, res.scenario.end_year)
    if start is None:
        t0 = 0.0
    else:
        from datetime import datetime as _dt
        t0 = (_dt.fromisoformat(start) - cal.origin).total_seconds() / 3600.0
    return t0, t0 + days * 24.0, cal


def stringline(res, path: list[str] | None = None, start: str | None = None, days: float = 14.0) -> Figure:
    """Time-distance chart of corridor trains along a rail path (node ids), coloured by flow.

    Each line is one consignment: its position at each link entry along the path, so a flat
    stretch is a train held (at a border, a full yard), a steep one a train running.
    """
    s = res.scenario
    if path is None:
        path = max((r.path for f in s.demand.flows for r in f.routes), key=len)
    rail = {(l.from_node, l.to_node): l for l in s.rail_links}
    segs = [(a, b) for a, b in zip(path, path[1:]) if (a, b) in rail]
    if not segs:
        raise ValueError(f"no rail link along {path}")
    dist, cum = {}, 0.0
    for a, b in segs:
        dist[a] = cum
        cum += rail[(a, b)].length_km
    dist[segs[-1][1]] = cum
    t0, t1, cal = _window(res, start, days)
    lots = res.lots
    cols = [(f"t_rail:{rail[(a, b)].id}_h", dist[a]) for a, b in segs]
    end_col = f"t_yard:{segs[-1][1]}_h"
    fig = Figure(figsize=(12, 6.5), layout="constrained")
    ax = fig.add_subplot()
    flows = [f.id for f in s.demand.flows]
    seen = set()
    first = lots.drop_duplicates("consignment")
    for _, lot in first.iterrows():
        pts = [(lot[c], d) for c, d in cols if c in lot and pd.notna(lot[c])]
        if end_col in lot and pd.notna(lot[end_col]):
            pts.append((lot[end_col], cum))
        elif "t_delivered_h" in lot and lot.destination == path[-1]:
            pts.append((lot.t_delivered_h, cum))
        pts = [p for p in pts if t0 - 24 * 10 <= p[0] <= t1 + 24 * 10]
        if len(pts) < 2 or max(p[0] for p in pts) < t0 or min(p[0] for p in pts) > t1:
            continue
        color = FLOW_COLORS[flows.index(lot.flow) % len(FLOW_COLORS)]
        ax.plot([cal.to_datetime(t) for t, _ in pts], [d for _, d in pts], color=color, lw=1.1, alpha=0.85,
                label=lot.flow if lot.flow not in seen else None)
        seen.add(lot.flow)
    ax.set_xlim(cal.to_datetime(t0), cal.to_datetime(t1))
    ax.set_ylim(cum * 1.02, -cum * 0.02)
    ticks, last = [], None
    for n, d in dist.items():                 # skip a station too close to the previous label
        if last is None or d - last >= 0.03 * cum:
            ticks.append((n, d))
            last = d
    ax.set_yticks([d for _, d in ticks], [f"{next((x.name for x in s.nodes if x.id == n), n)} ({d:.0f} km)"
                                          for n, d in ticks], fontsize=8)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax.xaxis.get_major_locator()))
    ax.set_xlabel("date")
    ax.set_ylabel("distance along the line, km")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper right", title="flow")
    ax.set_title(f"Time-distance chart: corridor trains {path[0]} -> {path[-1]}, {days:g} days from "
                 f"{cal.to_datetime(t0):%d %b %Y}\n{_subtitle(res)}", fontsize=11)
    return fig


STATE_COLORS = {"loading": "#2ca02c", "unloading": "#98df8a", "sailing": "#1f77b4", "returning": "#aec7e8",
                "waiting_berth": "#ff7f0e", "waiting_cargo": "#c7c7c7", "weather_hold": "#d62728"}
STATE_LABELS = {"loading": "loading", "unloading": "unloading", "sailing": "sailing loaded", "returning": "sailing back",
                "waiting_berth": "waiting for a berth", "waiting_cargo": "waiting for cargo (at anchor)",
                "weather_hold": "held by weather"}


def fleet_gantt(res, start: str | None = None, days: float = 30.0, line: str | None = None) -> Figure:
    """What every vessel was doing over a window: loading, waiting, held by weather, sailing."""
    st = res.vessel_states
    if line:
        st = st[st.line == line]
    t0, t1, cal = _window(res, start, days)
    st = st[(st.t_end_h > t0) & (st.t_start_h < t1)]
    vessels = sorted(st.vessel.unique(), key=lambda v: (st[st.vessel == v].line.iloc[0], v))
    fig = Figure(figsize=(13, 0.32 * max(len(vessels), 4) + 2.2), layout="constrained")
    ax = fig.add_subplot()
    for i, v in enumerate(vessels):
        g = st[st.vessel == v]
        for state, gg in g.groupby("state"):
            spans = [(mdates.date2num(cal.to_datetime(max(a, t0))), (min(b, t1) - max(a, t0)) / 24.0)
                     for a, b in zip(gg.t_start_h, gg.t_end_h)]
            ax.broken_barh(spans, (i - 0.4, 0.8), color=STATE_COLORS.get(state, "grey"))
    ax.set_yticks(range(len(vessels)), [f"{v} ({st[st.vessel == v].line.iloc[0]})" for v in vessels], fontsize=7.5)
    ax.set_ylim(len(vessels) - 0.5, -0.5)
    ax.set_xlim(mdates.date2num(cal.to_datetime(t0)), mdates.date2num(cal.to_datetime(t1)))
    ax.xaxis_date()
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax.xaxis.get_major_locator()))
    closures = res.closures[(res.closures.t_end_h > t0) & (res.closures.t_start_h < t1)]
    for _, c in closures.iterrows():
        ax.axvspan(mdates.date2num(cal.to_datetime(max(c.t_start_h, t0))), mdates.date2num(cal.to_datetime(min(c.t_end_h, t1))),
                   color="#d62728", alpha=0.06, lw=0)
    ax.legend(handles=[Patch(color=STATE_COLORS[k], label=STATE_LABELS[k]) for k in STATE_COLORS]
              + [Patch(color="#d62728", alpha=0.15, label="a port closed by storm")],
              loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=4, fontsize=8, frameon=False)
    ax.set_title(f"The Caspian fleet, {days:g} days from {cal.to_datetime(t0):%d %b %Y}\n{_subtitle(res)}", fontsize=11)
    ax.grid(axis="x", alpha=0.3)
    return fig
