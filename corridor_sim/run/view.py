"""What the plots and the report draw from: one run, or the statistics of its replications.

A ``Results`` (one run) and an ``experiments.replicated.Replicated`` (replications of one
scenario) both satisfy ``RunView``. ``replicated`` says which shape the tables have: a single
run's ``annual`` has ``tons_delivered``, the replications' the statistics of it
(``tons_delivered_mean``, ``_ci_low`` ...), and only they have ``totals`` and
``resources_over_years``; ``runs`` are the runs behind the tables (a single run: itself).
"""

from __future__ import annotations

from typing import Protocol

import pandas as pd

from ..scenario.schema import Scenario
from .results import Results


class RunView(Protocol):
    """One scenario's results, from one run or from its replications."""

    @property
    def replicated(self) -> bool: ...

    @property
    def scenario(self) -> Scenario: ...

    @property
    def seed(self) -> int: ...

    @property
    def n(self) -> int: ...

    @property
    def runs(self) -> list[Results]: ...

    @property
    def annual(self) -> pd.DataFrame: ...

    @property
    def resources(self) -> pd.DataFrame: ...
