"""What the corridor map draws besides the network: areas (a sea, a lake) from their own outlines,
so that the map needs no tiles or downloads and what it shows of land and sea is scenario data."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from .units import Frozen, Id, Label

Lon = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
Lat = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]


class MapArea(Frozen):
    """An area drawn under the corridor map (a sea, a lake), from its own outline: the map uses no
    tiles or downloads, so what it shows of the land and the sea is data of the scenario."""

    id: Id
    label: Label = Field(description="What the map writes on it (a line break as \\n)")
    label_at_deg: tuple[Lon, Lat] = Field(description="Where the label goes: longitude, latitude")
    outline_deg: list[tuple[Lon, Lat]] = Field(
        min_length=3, max_length=10_000, description="The outline as longitude, latitude points, in order"
    )
    source: str


class Map(Frozen):
    """What the corridor map draws besides the network."""

    areas: list[MapArea] = Field(default_factory=list, description="Areas drawn under the network (seas, lakes)")
