"""Compact text and HTML for results in a terminal or a notebook.

A result holds tens of thousands of rows; what a reader wants at a glance is a few numbers per
year with their intervals. Every repr here stays under ``TEXT_LIMIT`` / ``HTML_LIMIT``
characters, whatever the run's size (tested), by showing at most ``MAX_YEARS`` years.
"""

from __future__ import annotations

import dataclasses
import html

import pandas as pd
import yaml

TEXT_LIMIT = 600
HTML_LIMIT = 6_000
MAX_YEARS = 12


def _years(years: list) -> list:
    """At most MAX_YEARS years, always the first and the last."""
    years = list(years)
    if len(years) <= MAX_YEARS:
        return years
    step = -(-len(years) // (MAX_YEARS - 1))
    picked = years[::step]
    return picked + ([years[-1]] if picked[-1] != years[-1] else [])


def pm(mean, low=None, high=None, fmt: str = "{:.2f}") -> str:
    """'4.42 ± 0.05' (mean ± half-width of the 95% interval), or '4.42' without an interval.

    >>> pm(4.4213, 4.37, 4.47), pm(4.4213), pm(None)
    ('4.42 ± 0.05', '4.42', '-')
    """
    if mean is None or mean != mean:
        return "-"
    text = fmt.format(mean)
    if low is None or high is None or low != low or high != high:
        return text
    return f"{text} ± {fmt.format((high - low) / 2)}"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 2] + "…>"


def _table_html(rows: list[list[str]], head: list[str]) -> str:
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _head_html(title: str, lines: list[str]) -> str:
    return f"<b>{html.escape(title)}</b><br>" + "<br>".join(html.escape(x) for x in lines)


# -- one run -------------------------------------------------------------------------------------
def results_text(res) -> str:
    s = res.scenario
    mt = res.delivered_mt()
    ys = _years(list(mt.index))
    body = ", ".join(f"{y}: {mt[y]:.2f}" for y in ys)
    more = "" if len(ys) == len(mt) else " (some years left out)"
    return _clip(
        f"<Results {s.label}, seed {res.seed}, {s.start_year}-{s.end_year}: delivered Mt {body}{more}; "
        f"goal {s.goal_mt_per_year:g} Mt/yr>",
        TEXT_LIMIT,
    )


def results_html(res) -> str:
    s = res.scenario
    a = res.annual
    rows = []
    for y in _years(sorted(a.year.unique())):
        g = a[a.year == y]
        w = g.tons_delivered
        wait = (g.entry_wait_days_mean * w).sum() / w.sum() if "entry_wait_days_mean" in g and w.sum() else float("nan")
        corr = (g.corridor_days_mean * w).sum() / w.sum() if "corridor_days_mean" in g and w.sum() else float("nan")
        rows.append(
            [
                str(y),
                f"{g.tons_offered.sum() / 1e6:.2f}",
                f"{w.sum() / 1e6:.2f}",
                f"{g.tons_diverted.sum() / 1e6:.2f}",
                f"{g.tons_backlog.sum() / 1e6:.2f}",
                pm(wait, fmt="{:.1f}"),
                pm(corr, fmt="{:.1f}"),
            ]
        )
    head = _head_html(
        f"corridor-sim results: {s.label}",
        [
            f"seed {res.seed}, {s.start_year}-{s.end_year}, demand case {s.demand_case}, goal "
            f"{s.goal_mt_per_year:g} Mt/yr; {res.metadata.get('events', 0):,} events"
        ],
    )
    table = _table_html(
        rows,
        [
            "year",
            "offered Mt",
            "delivered Mt",
            "diverted Mt",
            "backlog Mt (end)",
            "wait before entry, d",
            "in corridor, d",
        ],
    )
    return _clip(head + table, HTML_LIMIT)


# -- replications --------------------------------------------------------------------------------
def _totals_rows(t: pd.DataFrame) -> list[list[str]]:
    rows = []
    for y in _years(list(t.year)):
        r = t[t.year == y].iloc[0]
        rows.append(
            [
                str(int(y)),
                pm(r.delivered_mt_mean, r.delivered_mt_ci_low, r.delivered_mt_ci_high),
                pm(r.backlog_mt_mean, r.backlog_mt_ci_low, r.backlog_mt_ci_high),
                pm(
                    r.get("entry_wait_days_mean_mean"),
                    r.get("entry_wait_days_mean_ci_low"),
                    r.get("entry_wait_days_mean_ci_high"),
                    "{:.1f}",
                ),
                pm(
                    r.get("corridor_days_mean_mean"),
                    r.get("corridor_days_mean_ci_low"),
                    r.get("corridor_days_mean_ci_high"),
                    "{:.1f}",
                ),
            ]
        )
    return rows


def replicated_text(rep) -> str:
    s = rep.scenario
    t = rep.totals
    ys = _years(list(t.year))[:6] if len(t) > 6 else list(t.year)
    body = ", ".join(
        f"{int(y)}: "
        + pm(*t.loc[t.year == y, ["delivered_mt_mean", "delivered_mt_ci_low", "delivered_mt_ci_high"]].iloc[0].tolist())
        for y in ys
    )
    failed = f", {len(rep.failed)} failed" if rep.failed else ""
    return _clip(
        f"<Replicated {s.label}: {rep.n} replications{failed} (seeds from {rep.seed}), "
        f"{s.start_year}-{s.end_year}; delivered Mt, mean ± 95% CI: {body}>",
        TEXT_LIMIT,
    )


def replicated_html(rep) -> str:
    s = rep.scenario
    head = _head_html(
        f"corridor-sim: {s.label}, {rep.n} replications",
        [
            f"seeds from {rep.seed}, {s.start_year}-{s.end_year}, demand case {s.demand_case}, goal "
            f"{s.goal_mt_per_year:g} Mt/yr; mean ± 95% CI half-width"
        ],
    )
    table = _table_html(
        _totals_rows(rep.totals), ["year", "delivered Mt", "backlog Mt (end)", "wait before entry, d", "in corridor, d"]
    )
    return _clip(head + table, HTML_LIMIT)


# -- comparisons ---------------------------------------------------------------------------------
def _comparison_rows(cmp) -> list[list[str]]:
    last = int(cmp.annual.year.max())
    rows = []
    for name in cmp.results:
        a = cmp.annual[(cmp.annual.scenario == name) & (cmp.annual.year == last)].iloc[0]
        g = cmp.goal.set_index("scenario").loc[name]
        b = cmp.binding[(cmp.binding.scenario == name) & (cmp.binding.year == last)]
        binds = b.resource.iloc[0] if len(b) and bool(b.binding.iloc[0]) else "nothing"
        rows.append(
            [
                name,
                pm(a.delivered_mt, a.delivered_mt_ci_low, a.delivered_mt_ci_high),
                cmp.goal_label(name),
                f"{g.share_reaching_goal:.0%}",
                binds,
            ]
        )
    return rows


def comparison_text(cmp) -> str:
    last = int(cmp.annual.year.max())
    body = "; ".join(f"{r[0]}: {r[1]} Mt in {last}, goal {r[2]}" for r in _comparison_rows(cmp))
    return _clip(
        f"<Comparison of {len(cmp.results)} scenarios, {cmp.replications} replication(s) each: {body}>", TEXT_LIMIT
    )


def comparison_html(cmp) -> str:
    last = int(cmp.annual.year.max())
    head = _head_html(
        f"corridor-sim comparison: {len(cmp.results)} scenarios",
        [f"{cmp.replications} replication(s) each, the same seeds for every scenario; mean ± 95% CI half-width"],
    )
    table = _table_html(
        _comparison_rows(cmp)[:30],
        ["scenario", f"delivered Mt {last}", "first year at goal", "replications reaching goal", f"binds in {last}"],
    )
    return _clip(head + table, HTML_LIMIT)


# -- every other public object -------------------------------------------------------------------
REPR_LIMIT = 2_000  # the most any public object's repr prints (tested); the full view is _repr_html_


def _field_text(value) -> str:
    """One field, briefly: a table as its size and first columns, a long sequence as its length."""
    if isinstance(value, pd.DataFrame):
        cols = ", ".join(map(str, value.columns[:6])) + (", …" if len(value.columns) > 6 else "")
        return f"<table {len(value):,} row{'s' if len(value) != 1 else ''} × {len(value.columns)} columns: {cols}>"
    if isinstance(value, pd.Series):
        return f"<series of {len(value):,}>"
    if isinstance(value, list | tuple | set | frozenset | dict) and len(repr(value)) > 80:
        return f"<{type(value).__name__} of {len(value):,}>"
    if isinstance(value, float):
        return f"{value:.4g}"
    if callable(value) and not isinstance(value, type):
        return f"<{getattr(value, '__name__', type(value).__name__)}>"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "…"


def _fields(obj) -> list[tuple[str, object]]:
    if dataclasses.is_dataclass(obj):
        return [(f.name, getattr(obj, f.name)) for f in dataclasses.fields(obj) if f.repr]
    return list(vars(obj).items())


def object_text(obj) -> str:
    """``<Name field=value, ...>`` in at most REPR_LIMIT characters: tables by their size.

    >>> from dataclasses import dataclass
    >>> @dataclass(repr=False)
    ... class R(CompactRepr):
    ...     table: pd.DataFrame
    ...     seed: int
    >>> R(pd.DataFrame({"year": range(12), "mt": 1.0}), 1)
    <R table=<table 12 rows × 2 columns: year, mt>, seed=1>
    """
    body = ", ".join(f"{name}={_field_text(v)}" for name, v in _fields(obj))
    return _clip(f"<{type(obj).__name__} {body}>", REPR_LIMIT)


def object_html(obj) -> str:
    """Every field: scalars in a table, each table shown (pandas' notebook view, long ones cut in
    the middle)."""
    scalars, tables = [], []
    for name, v in _fields(obj):
        if isinstance(v, pd.DataFrame | pd.Series):
            frame = v.to_frame() if isinstance(v, pd.Series) else v
            tables.append(
                f"<p><b>{html.escape(name)}</b> ({len(v):,} rows)</p>" + frame.to_html(max_rows=30, max_cols=30)
            )
        else:
            scalars.append([name, _field_text(v)])
    return f"<b>{html.escape(type(obj).__name__)}</b>" + _table_html(scalars, ["field", "value"]) + "".join(tables)


class CompactRepr:
    """A result's repr in at most REPR_LIMIT characters (its fields, tables by their size), and its
    full view, every field and table, as ``_repr_html_`` for notebooks. A dataclass using it is
    declared with ``repr=False``, or the dataclass's own repr (every table in full) wins."""

    def __repr__(self) -> str:
        return object_text(self)

    def _repr_html_(self) -> str:
        return object_html(self)


def scenario_text(s) -> str:
    """A scenario in a line: what it is and how large, not its every field (``_repr_html_``)."""
    counts = ", ".join(
        f"{len(getattr(s, name))} {label}"
        for name, label in (
            ("nodes", "nodes"),
            ("rail_links", "rail links"),
            ("ports", "ports"),
            ("sea_lines", "sea lines"),
            ("timeline", "timeline entries"),
        )
        if hasattr(s, name)
    )
    flows = len(s.demand.flows) if hasattr(s, "demand") else 0
    return _clip(  # the label carries the overrides
        f"<Scenario {s.label}: {s.start_year}-{s.end_year}, demand case {s.demand_case}, goal "
        f"{s.goal_mt_per_year:g} Mt/yr; {counts}, {flows} demand flows>",
        REPR_LIMIT,
    )


def scenario_html(s) -> str:
    """A scenario's full view: its summary line, then every field as YAML."""
    full = yaml.safe_dump(s.model_dump(mode="json", by_alias=True), sort_keys=False, allow_unicode=True, width=100)
    return (
        f"<b>{html.escape(scenario_text(s))}</b>"
        f"<details><summary>every field ({len(full.splitlines()):,} lines)</summary>"
        f"<pre>{html.escape(full)}</pre></details>"
    )
