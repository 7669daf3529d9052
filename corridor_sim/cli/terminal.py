"""What the CLI prints: tables that fit the terminal, progress that reaches logs, and logging.

Tables are split by columns (the key columns repeated in each part) so that every part fits the
console's width: 80 columns when the output is a pipe or a log, the terminal's width otherwise,
``COLUMNS`` when set. Numbers with an interval print as ``mean ± half-width``.

Progress goes to a rich bar on a terminal; elsewhere (CI logs, nohup, a pipe) it goes through
``logging`` at INFO, at most every 10% or 30 s, so a log shows that a long run is alive.
"""

from __future__ import annotations

import logging
import re
import time

import click
from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from ..display import pm as display_pm

log = logging.getLogger("corridor_sim")


class _ClickHandler(logging.Handler):
    """Log records as 'corridor-sim: message' on the current stderr (click's, so tests capture it)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            prefix = "" if record.levelno == logging.INFO else f"{record.levelname.lower()}: "
            click.echo(f"corridor-sim: {prefix}{record.getMessage()}", err=True)
        except Exception:
            self.handleError(record)


def setup_logging(verbose: int, quiet: int) -> None:
    """-q: warnings only; default: progress and notes (INFO); -v: debug detail."""
    level = logging.INFO - 10 * verbose + 10 * quiet
    log.setLevel(max(logging.DEBUG, min(level, logging.ERROR)))
    if not any(isinstance(h, _ClickHandler) for h in log.handlers):
        log.addHandler(_ClickHandler())
    log.propagate = False


def console() -> Console:
    """stdout: the terminal's width on a terminal, else 80 columns (or COLUMNS)."""
    return Console(highlight=False)


def err_console() -> Console:
    return Console(stderr=True, highlight=False)


def pm(mean, low=None, high=None, fmt: str = "{:,.2f}") -> str:
    """mean ± half-width (``display.pm``), for the terminal."""
    return display_pm(mean, low, high, fmt)


# a cell that reads as a number: 1,234.5 / -3 / 12% / 4.42 ± 0.05 / 2031 / 120 TEU (a number and its
# unit) / 70% (1.4) and 63% (peak 81%) (a figure with a second one in brackets)
_NUM = r"[-+−]?[\d,]*\.?\d+(?:e[-+]?\d+)?%?"
_NUMBER = re.compile(rf"{_NUM}(?:\s*±\s*{_NUM})?(?:\s+[A-Za-z$/]{{1,6}})?(?:\s*\((?:[a-z]{{1,8}}\s+)?{_NUM}\))?")


def is_number_cell(text: str) -> bool:
    """Whether a table cell holds a number (with an interval or a short unit): those align right.

    >>> [is_number_cell(x) for x in ("4.42 ± 0.05", "1,204", "61%", "2031", "120 TEU", "70% (1.4)", "63% (peak 81%)")]
    [True, True, True, True, True, True, True]
    >>> [is_number_cell(x) for x in ("Aktau port", "ktz:aktau", "Poti (2 berths)", "not by 2035")]
    [False, False, False, False]
    """
    return bool(_NUMBER.fullmatch(text.strip()))


def number_columns(rows: list[list[str]], ncols: int) -> set[int]:
    """The columns whose every filled cell is a number ('-' and '' count as empty): text aligns
    left, numbers right, whatever the column's name."""
    right = set()
    for i in range(ncols):
        cells = [str(r[i]).strip() for r in rows if str(r[i]).strip() not in ("", "-")]
        if cells and all(is_number_cell(c) for c in cells):
            right.add(i)
    return right


def print_table(
    con: Console, title: str, head: list[str], rows: list[list[str]], keys: int = 1, right: set[int] | None = None
) -> None:
    """A table that fits ``con.width``: when it would not, its columns after the first ``keys`` are
    split into several tables, each repeating the key columns. Columns of numbers align right, text
    left (``right`` names the right-aligned ones instead)."""
    right = right if right is not None else number_columns(rows, len(head))
    widths = [max([len(h) for h in head[i].split("\n")] + [len(str(r[i])) for r in rows]) for i in range(len(head))]
    cost = lambda i: widths[i] + 3
    budget = con.width - 1 - sum(cost(i) for i in range(keys))
    parts: list[list[int]] = [[]]
    used = 0
    for i in range(keys, len(head)):
        if parts[-1] and used + cost(i) > budget:
            parts.append([])
            used = 0
        parts[-1].append(i)
        used += cost(i)
    con.print(title, soft_wrap=False, overflow="fold", width=con.width)  # once, above every part
    for n, cols in enumerate(parts):
        idx = list(range(keys)) + cols
        t = Table(
            caption=f"(part {n + 1} of {len(parts)})" if len(parts) > 1 else None,
            caption_justify="left",
            box=box.SIMPLE_HEAD,
            pad_edge=False,
        )
        for i in idx:
            t.add_column(head[i], justify="right" if i in right else "left", no_wrap=True)
        for r in rows:
            t.add_row(*[str(r[i]) for i in idx])
        con.print(t)


class Progress_:
    """Progress of a batch of runs: a rich bar on a terminal, INFO log lines elsewhere."""

    def __init__(self, label: str, quiet: bool, unit: str = "runs"):
        self.label, self.unit, self.quiet = label, unit, quiet
        con = err_console()
        self.bar = None
        if not quiet and con.is_terminal:
            self.bar = Progress(
                TextColumn(f"[bold]{label}[/]"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn(f"{unit} · {{task.fields[rate]}}"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=con,
                transient=True,
            )
        self.t0 = time.monotonic()
        self.last_log = 0.0
        self.last_share = -1.0
        # the total whose last line (100%) was logged: logged once, however often the end is reported
        # (a batch whose total then grows, as a plan's search does, logs on)
        self.ended: float | None = None

    def __enter__(self):
        if self.bar is not None:
            self.bar.__enter__()
            self.task = self.bar.add_task(self.unit, total=None, rate="-")
        return self

    def __call__(self, done: float, total: float | None) -> None:
        elapsed = time.monotonic() - self.t0
        if self.bar is not None:
            rate = f"{done / elapsed:.2f}/s" if elapsed and done else "-"
            self.bar.update(self.task, completed=done, total=total, rate=rate)
            return
        if self.quiet or not total or (done >= total and self.ended == total):
            return
        share = done / total
        if done >= total or share - self.last_share >= 0.1 or elapsed - self.last_log >= 30:
            eta = (elapsed / done * (total - done)) if done else None
            more = f", about {eta:,.0f} s to go" if eta is not None and done < total else ""
            what = (
                f"{100 * share:.0f}% {self.unit}"
                if self.unit.startswith("of ")
                else f"{done:g}/{total:g} {self.unit} done"
            )
            log.info(f"{self.label}: {what} ({elapsed:,.0f} s{more})")
            self.last_log, self.last_share = elapsed, share
            self.ended = total if done >= total else None

    def __exit__(self, *exc):
        if self.bar is not None:
            return self.bar.__exit__(*exc)
        return False
