"""The rows a run writes, and where it writes them.

Each table is declared once, as a ``NamedTuple`` next to the component that emits it (a voyage in
``fleet``, a delivered consignment in ``cargo``, a re-plan in ``demand`` ...): its fields are the
table's columns, in order, units in their names. Components append records to the lists the run's
``Recorder`` hands them, and ``corridor_sim.results`` turns each list into a DataFrame from the
declaration alone, so adding a table touches one place.

Detail tables (one row per consignment, voyage or vessel state) grow with every simulated year;
a run keeps them only when asked (``detail=True``, ``--detail``). The components then skip
building them: the recorder hands out ``None`` instead of a list.
"""

from __future__ import annotations

from typing import Literal, NamedTuple, overload


class Recorder:
    """One list of records per record type, for one run.

    >>> from typing import NamedTuple
    >>> class Ping(NamedTuple):
    ...     t_h: float
    >>> rec = Recorder(detail=False)
    >>> rec.table(Ping, detail=True) is None
    True
    >>> rows = rec.table(Ping)
    >>> rows.append(Ping(1.0)); rec.rows(Ping)
    [Ping(t_h=1.0)]
    """

    def __init__(self, detail: bool = True):
        self.detail = detail
        self._rows: dict[type, list] = {}

    @overload
    def table(self, record: type, detail: Literal[False] = False) -> list: ...
    @overload
    def table(self, record: type, detail: bool) -> list | None: ...
    def table(self, record: type, detail: bool = False) -> list | None:
        """The list a component appends ``record`` rows to; ``None`` for a detail table in a run
        that keeps no detail (the component then builds no rows at all)."""
        if detail and not self.detail:
            return None
        return self._rows.setdefault(record, [])

    def rows(self, record: type) -> list:
        return self._rows.get(record, [])

    def kept(self, record: type) -> bool:
        return record in self._rows


def columns(record: type[NamedTuple]) -> list[str]:
    """A record type's column names: its fields, with a trailing underscore dropped (it escapes a
    Python keyword, as in ``from_``).

    >>> from typing import NamedTuple
    >>> class Leg(NamedTuple):
    ...     from_: str
    ...     to: str
    >>> columns(Leg)
    ['from', 'to']
    """
    return [f[:-1] if f.endswith("_") else f for f in record._fields]
