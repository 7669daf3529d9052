"""Candidates for ``corridor-sim plan``: the typed, frozen measures a plan may choose from.

A candidate is a timeline entry waiting for a date: what it changes (``set``/``scale``), what it
costs (capex, and running costs a year), when works can start and how long they take. Recurrent
work that holds what it built (maintenance dredging that keeps a draft against the falling sea)
is its ``upkeep``: paid as the candidate's running cost for ``years``, and when it stops, its own
``set``/``scale`` apply (a second timeline entry, ``<id>_upkeep_ends``), so what the work held is
lost again (the load factor falls with the sea from the level it was held at).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field, model_validator

from .schema import Intervention, ScaleChanges, SetChanges, _changes_something
from .units import Frozen as _Frozen
from .units import Id, MusD

UPKEEP_ENDS = "_upkeep_ends"  # the suffix of the timeline entry at which a candidate's upkeep stops


class Upkeep(_Frozen):
    """Recurrent work that holds what a candidate built, paid as its ``opex_musd_per_year`` for
    ``years`` after service; then it stops and ``set``/``scale`` apply."""

    years: Annotated[float, Field(gt=0, le=100, allow_inf_nan=False)] = Field(
        description="Years the upkeep is paid after the candidate enters service"
    )
    set: SetChanges
    scale: ScaleChanges
    source: str = Field(description="Where the upkeep's cost and what stops with it come from, or 'assumption: why'")

    @model_validator(mode="after")
    def _changes_something(self):
        return _changes_something(self, "an upkeep")


class Candidate(_Frozen):
    """A measure the planner may build (``corridor-sim plan``): what it changes (``set``/``scale``,
    as a timeline entry), what it costs, and when it can be in service at the earliest."""

    id: Id
    description: str
    source: str = Field(description="Where the cost, lead time and figures come from, or 'assumption: why'")
    capex_musd: MusD = Field(description="What building it costs, US$ million (spent when it enters service)")
    opex_musd_per_year: MusD = Field(0.0, description="What running it costs each year, US$ million/yr")
    earliest_start: dt.date = Field(description="The first day works (or an order) can start, YYYY-MM-DD")
    lead_time_years: Annotated[float, Field(ge=0, le=30, allow_inf_nan=False)] = Field(
        description="Years from the start of works to service"
    )
    set: SetChanges
    scale: ScaleChanges
    upkeep: Upkeep | None = Field(
        None, description="Recurrent work holding what it built (its opex), and what changes when it stops"
    )

    @property
    def earliest_service(self) -> dt.date:
        """The first day it can be in service: earliest start + lead time (365.25-day years)."""
        return self.earliest_start + dt.timedelta(days=round(self.lead_time_years * 365.25))

    def entry(self, date: dt.date) -> Intervention:
        """The timeline entry that puts it in service on ``date``."""
        return Intervention(
            id=self.id,
            date=date,
            description=self.description,
            source=self.source,
            set=dict(self.set),
            scale=dict(self.scale),
            capex_musd=self.capex_musd,
            opex_musd_per_year=self.opex_musd_per_year,
        )

    def upkeep_end(self, date: dt.date) -> dt.date | None:
        """When its upkeep stops for service on ``date`` (None without upkeep)."""
        if self.upkeep is None:
            return None
        return date + dt.timedelta(days=round(self.upkeep.years * 365.25))

    def entries(self, date: dt.date) -> list[Intervention]:
        """Its timeline entries for service on ``date``: the entry, and with an upkeep the entry at
        which the upkeep stops (what it held is lost from then on)."""
        out = [self.entry(date)]
        end = self.upkeep_end(date)
        if self.upkeep is not None and end is not None:
            out.append(
                Intervention(
                    id=f"{self.id}{UPKEEP_ENDS}",
                    date=end,
                    description=f"{self.description}: its upkeep stops",
                    source=self.upkeep.source,
                    set=dict(self.upkeep.set),
                    scale=dict(self.upkeep.scale),
                )
            )
        return out

    def opex_years(self, appraisal_years: int) -> int:
        """The years its running cost is paid: its upkeep's, or the appraisal's."""
        if self.upkeep is None:
            return appraisal_years
        return max(1, round(self.upkeep.years))

    @model_validator(mode="after")
    def _changes_something(self):
        return _changes_something(self, "a candidate")


class CandidateSet(_Frozen):
    """A candidates file: the measures a plan may choose from."""

    description: str
    candidates: list[Candidate] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self):
        ids = [c.id for c in self.candidates]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"candidate ids must be unique; repeated: {', '.join(dup)}")
        return self
