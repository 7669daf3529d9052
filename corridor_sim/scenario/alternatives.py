"""Outside alternatives: the ways a flow's shippers can send their cargo instead of the corridor
(the Northern route through Russia, all-sea via Suez or the Cape, CPC for Kazakh crude).

An alternative is what the corridor's route choice compares with, on the same generalized cost
(charges per tonne + the flow's value of time x days): a consignment takes the corridor while one
of its routes is cheaper than the cheapest alternative open to it, and goes the other way (counted
as diverted, by alternative) once the wait it expects makes every route dearer. The waiting a flow
accepts on a route therefore follows from the alternatives' charges and days; it is derived
(``accepted_wait_days``), not set. Dated changes (a route closing to EU-bound cargo, Suez closing,
freight rates by year) are timeline entries that set these fields, like any other change.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from .units import CargoKind, Days, Frozen, Id, Label, NonNegative, Share


class Alternative(Frozen):
    """One way to send a flow's cargo outside the modelled corridor, door to door over the same span
    as the flow's routes (from leaving the origin to the flow's destination)."""

    id: Id
    label: Label
    cargo: CargoKind = Field(description="The cargo class it carries (a flow names only alternatives of its class)")
    usd_per_t: Annotated[NonNegative, Field(le=10_000)] = Field(
        description="What one tonne pays door to door, US$/t (a container's rate per FEU / 40 t, per TEU / 20 t)"
    )
    days: Days = Field(description="Door-to-door days over the span of the flow's routes")
    open: bool = Field(True, description="Closed alternatives take nothing; a timeline entry opens or closes them")
    available_share: Share = Field(
        1.0,
        description="Share of a flow's shippers to whom it is open (the rest cannot use it: e.g. EU-bound "
        "boxes on the Northern route after 2022); each consignment draws whether it is among them",
    )
    source: str


def generalized_cost(alt: Alternative, value_of_time_usd_per_t_day: float) -> float:
    """What a tonne sent by ``alt`` costs its shipper, US$/t: charges + value of time x days.

    >>> a = Alternative(id="sea", label="Sea", cargo="container", usd_per_t=100, days=30, source="x")
    >>> generalized_cost(a, 2.0)
    160.0
    """
    return alt.usd_per_t + value_of_time_usd_per_t_day * alt.days
