"""Simulation clock <-> calendar.

Simulation time is hours from 00:00 on 1 January of the scenario's start year. Warm-up runs at
negative times, so statistics simply count t >= 0. Real calendar years (2024 has 8,784 h) keep
annual totals comparable with published annual figures.
"""

from __future__ import annotations

import bisect
import math
from datetime import date, datetime, timedelta

HOURS_PER_DAY = 24.0


class Calendar:
    """Converts between simulation hours and dates for one run.

    >>> cal = Calendar(2024, 2025)
    >>> cal.year_start_h(2025)
    8784.0
    >>> cal.year_of(8783.9), cal.year_of(8784.0)
    (2024, 2025)
    >>> cal.month_of(24 * 31)   # 1 February 2024
    1
    """

    def __init__(self, start_year: int, end_year: int):
        self.start_year = start_year
        self.end_year = end_year
        self.origin = datetime(start_year, 1, 1)
        # Month starts from one year before the start (warm-up) to one year after the end.
        self._month_starts: list[float] = []
        self._month_index: list[int] = []
        for y in range(start_year - 1, end_year + 2):
            for m in range(1, 13):
                self._month_starts.append(self._hours(datetime(y, m, 1)))
                self._month_index.append(m - 1)
        self._year_starts = [self._hours(datetime(y, 1, 1)) for y in range(start_year - 1, end_year + 3)]

    def _hours(self, when: datetime) -> float:
        return (when - self.origin).total_seconds() / 3600.0

    @property
    def end_h(self) -> float:
        """The end of the last simulated year."""
        return self.year_start_h(self.end_year + 1)

    def year_start_h(self, year: int) -> float:
        i = year - self.start_year + 1  # the table is on the hot path (demand, load factor)
        return self._year_starts[i] if 0 <= i < len(self._year_starts) else self._hours(datetime(year, 1, 1))

    def year_of(self, t_h: float) -> int:
        i = bisect.bisect_right(self._year_starts, t_h) - 1
        return self.start_year - 1 + i

    def hours_in_year_at(self, t_h: float) -> float:
        """Length of the calendar year containing t_h (8,784 h in a leap year)."""
        y = self.year_of(t_h)
        return self.year_start_h(y + 1) - self.year_start_h(y)

    def month_of(self, t_h: float) -> int:
        """Month index 0..11 of simulation time t_h."""
        i = bisect.bisect_right(self._month_starts, t_h) - 1
        return self._month_index[max(i, 0)]

    def next_month_start_h(self, t_h: float) -> float:
        i = bisect.bisect_right(self._month_starts, t_h)
        return self._month_starts[min(i, len(self._month_starts) - 1)]

    def month_start_h(self, t_h: float) -> float:
        """The start of the month that holds ``t_h`` (-inf before the first month start kept).

        >>> c = Calendar(2024, 2024)
        >>> c.month_start_h(c.date_h(date(2024, 3, 17))) == c.date_h(date(2024, 3, 1))
        True
        """
        i = bisect.bisect_right(self._month_starts, t_h) - 1
        return self._month_starts[i] if i >= 0 else -math.inf

    def years_since(self, base_year: int, t_h: float) -> float:
        """Fractional years from 1 January of base_year to t_h."""
        return (t_h - self.year_start_h(base_year)) / (365.25 * HOURS_PER_DAY)

    def date_h(self, day: date) -> float:
        """00:00 of ``day`` in simulation hours (a timeline entry takes effect then)."""
        return self._hours(datetime(day.year, day.month, day.day))

    def to_datetime(self, t_h: float) -> datetime:
        return self.origin + timedelta(hours=float(t_h))

    def years(self) -> list[int]:
        return list(range(self.start_year, self.end_year + 1))
