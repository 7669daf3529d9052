"""What the corridor map draws besides the network: the published geography the scenario names
(Natural Earth's countries, borders and coastlines, shipped with corridor-sim) and areas (a sea, a
lake) from their own outlines, so that the map needs no tiles or downloads and what it shows of
land and sea is the scenario's choice."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

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


class MapInset(Frozen):
    """An enlarged view of a crowded part of the map (nodes too close for their names at the map's
    scale), drawn where it covers least of the map; those nodes are named in it."""

    label: Label = Field(description="The inset's title")
    box_deg: tuple[Lon, Lat, Lon, Lat] = Field(
        description="What it enlarges: longitude and latitude of its south-west, then of its north-east corner"
    )

    @model_validator(mode="after")
    def _ordered(self):
        lon0, lat0, lon1, lat1 = self.box_deg
        if not (lon0 < lon1 and lat0 < lat1):
            raise ValueError("box_deg: give the south-west corner (lon, lat) first, then the north-east one")
        return self


class Map(Frozen):
    """What the corridor map draws besides the network."""

    geography: Literal["natural_earth"] | None = Field(
        default=None,
        description="Published geography drawn under the network: 'natural_earth' (Natural Earth's countries, "
        "land borders and coastlines, public domain, of longitude 30-92 E and latitude 33-56 N, shipped with "
        "corridor-sim: corridor_sim/present/data/README.md says its origin and how it was cut), or none",
    )
    areas: list[MapArea] = Field(
        default_factory=list, description="Areas drawn under the network from their own outlines (seas, lakes)"
    )
    inset: MapInset | None = Field(default=None, description="An enlarged view of a crowded part of the map")
