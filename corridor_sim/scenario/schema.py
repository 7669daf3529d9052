"""Scenario: the typed, frozen description of one corridor run (the schema).

Everything the model needs comes from here; the model never reads files. Units are in field names
(``_km``, ``_h``, ``_per_day``); ``_units`` means the unit of the terminal's or line's cargo class
(TEU for containers, wagons for wagon cargo, tonnes for crude), as declared in ``cargo_classes``.
Every model rejects unknown keys. Reading YAML, ``extends`` and ``--set`` are in ``files``,
``paths`` and ``load``; what the schema alone cannot check is in ``checks``; the timeline is
resolved in ``timeline``; changed scenarios are derived in ``variants``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from .. import display
from .alternatives import Alternative
from .appraisal_settings import AppraisalSettings
from .map_areas import Map
from .track import paths_per_day
from .units import (
    AtLeastAnHour,
    CargoKind,
    Count,
    Cv,
    Days,
    Finite,
    Hours,
    Id,
    KgPerTKm,
    Km,
    Kmh,
    Label,
    MusD,
    NonNegative,
    Positive,
    PositiveHours,
    Share,
    TrainsPerDay,
    Units,
    UnitsPerHour,
    UsdPerT,
    UsdPerUnit,
    UsdPerUnitKm,
    Year,
)
from .units import Frozen as _Frozen


class CargoClass(_Frozen):
    unit: str = Field(description="Name of the handling unit: TEU, wagon or t")
    t_per_unit: Annotated[Positive, Field(ge=0.01, le=1_000)] = Field(description="Net tonnes per unit")  # a wagon:
    #   < 100 t; from below, 10 kg: units (and events) per tonne grow as 1 / t_per_unit
    in_mix: Literal["scaled", "at_demand"] = Field(
        "scaled", description="In the mix capacity: scaled with the year's mix, or counted at its demand case"
    )
    source: str


class Node(_Frozen):
    id: Id
    name: str
    country: str = Field(pattern=r"^[A-Z]{2}$")
    lat_deg: Finite = Field(ge=-90, le=90)
    lon_deg: Finite = Field(ge=-180, le=180)


class Crossing(_Frozen):
    """A border or gauge-change station at the entry of a rail link."""

    transshipment_tracks: Count = Field(description="Trains processed at once (gauge change / transshipment)")
    transshipment_h: PositiveHours = Field(description="Mean processing time per train, h")
    transshipment_cv: Cv = Field(0.5, description="Coefficient of variation (1 = exponential)")
    dwell_mean_h: Hours = Field(description="Mean document/customs dwell after processing, h")
    dwell_cv: Cv = 0.6
    fee_usd_per_unit: dict[CargoKind, UsdPerUnit] = Field(
        default_factory=dict,
        description="Border, gauge-change or transshipment fee per unit crossing here, by cargo class, US$",
    )
    source: str


class Track(_Frozen):
    """The track a rail link runs on, from which its train paths a day follow (``corridor_sim.scenario.track``:
    the timetable-period method for a single track with passing loops, UIC 406 occupancy over the
    signalling headway for a double track)."""

    tracks: Literal[1, 2] = Field(description="Main tracks: 1 (trains meet at passing loops) or 2 (one each way)")
    loop_spacing_km: Km | None = Field(
        None,
        description="Single track: the section between passing loops the method uses (mean, unless the source gives the longest), km",
    )
    loops: Annotated[int, Field(ge=0, le=1_000)] | None = Field(
        None,
        description="Single track: passing loops and stations on the link (sections = loops + 1), instead of loop_spacing_km",
    )
    running_speed_kmh: Kmh | None = Field(
        None, description="Single track: freight running speed between loops (no stops), km/h"
    )
    station_interval_min: Annotated[float, Field(ge=0, le=120, allow_inf_nan=False)] = Field(
        8.0, description="Single track: station intervals per pair of trains (arrival, crossing, start, braking), min"
    )
    headway_min: Annotated[float, Field(gt=0, le=240, allow_inf_nan=False)] | None = Field(
        None, description="Double track: minimum signalling headway between trains one way, min"
    )
    maintenance_min_per_day: Annotated[float, Field(ge=0, le=720, allow_inf_nan=False)] = Field(
        120.0, description="Daily maintenance window with no trains, min"
    )
    fill_share: Share = Field(description="Usable share of the theoretical capacity (UIC 406 daily occupancy)")
    source: str

    @model_validator(mode="after")
    def _complete(self):
        if self.tracks == 1:
            if self.loop_spacing_km is None and self.loops is None:
                raise ValueError("a single track needs loop_spacing_km or loops (where trains meet)")
            if self.running_speed_kmh is None:
                raise ValueError("a single track needs running_speed_kmh (the freight speed between loops)")
        elif self.headway_min is None:
            raise ValueError("a double track needs headway_min (the signalling headway one way)")
        return self


class RailLink(_Frozen):
    id: Id
    from_node: Id = Field(alias="from")
    to_node: Id = Field(alias="to")
    length_km: Km
    speed_kmh: Kmh = Field(description="Average running speed incl. technical stops, km/h")
    paths_per_day: TrainsPerDay | None = Field(
        None,
        description="Train paths a day in the link's direction: an explicit figure, which wins over the "
        "paths computed from track (None: from track, or unconstrained without it)",
    )
    track: Track | None = Field(
        None, description="Single or double track, loops, speed, headway: the paths a day follow from it"
    )
    railway: Id | None = Field(
        None,
        description="The railway that runs the link (ktz, ady, gr ...): its rolling stock serves the link, "
        "and locomotives change where the railway changes",
    )
    background_trains_per_day: Annotated[NonNegative, Field(le=500)] = Field(
        0.0, description="Non-corridor trains sharing the paths (Poisson), trains/day"
    )
    crossing: Crossing | None = None
    tariff_usd_per_unit_km: dict[CargoKind, UsdPerUnitKm] = Field(
        default_factory=dict,
        description="Rail freight charge per unit and km on this link, by cargo class, US$ (a TEU, a wagon, a tonne)",
    )
    traction: Id = Field(
        "diesel",
        description="How trains are hauled here, a key of costs.emissions.rail_kg_per_t_km (e.g. diesel, "
        "electric_kz: electric traction differs by the grid that feeds it)",
    )
    source: str

    @property
    def paths(self) -> float | None:
        """Paths a day in the link's direction: paths_per_day if given (it wins), else computed from
        the track, else None (unconstrained)."""
        if self.paths_per_day is not None:
            return self.paths_per_day
        if self.track is not None:
            return paths_per_day(self.track, self.length_km)
        return None

    @model_validator(mode="after")
    def _background_fits(self):
        t = self.track
        if t is not None and t.tracks == 1 and t.loop_spacing_km is not None and t.loop_spacing_km > self.length_km:
            raise ValueError(
                f"track.loop_spacing_km ({t.loop_spacing_km:g} km) is longer than the link ({self.length_km:g} km): "
                "the section between passing loops is at most length_km (or give track.loops instead)"
            )
        paths = self.paths
        if paths is not None and self.background_trains_per_day >= paths:
            what = "paths_per_day" if self.paths_per_day is not None else "the paths its track gives"
            raise ValueError(
                f"background_trains_per_day ({self.background_trains_per_day}) must be below "
                f"{what} ({paths:.4g}), or the link has no room for corridor trains"
            )
        return self


class OnwardBySea(_Frozen):
    """Cargo that ends its corridor trip here and leaves by sea (Poti, Batumi onto the Black Sea),
    delivered when loaded aboard; each call holds a berth for berth_fixed_h + units /
    handling_units_per_h. ``min_interval_h``: liners on a schedule carry at most call_units each
    interval (the rest waits for the next call); without it ships come as cargo does (tramps)."""

    call_units: Units = Field(description="Units a ship call loads: a call comes when this much waits, units")
    max_wait_h: PositiveHours = Field(
        72.0, description="...or when the oldest cargo has waited this long, and loads what there is, h"
    )
    min_interval_h: PositiveHours | None = Field(
        None, description="Calls come at most this often (a line's schedule), h; none: ships come as cargo does"
    )
    source: str


class Terminal(_Frozen):
    cargo: CargoKind
    berths: Count
    berth_fixed_h: Hours = Field(description="Per vessel call: mooring, formalities, return cargo, h")
    handling_units_per_h: UnitsPerHour = Field(description="Ship loading/unloading rate, units/h")
    yard_capacity_units: Units = Field(description="Yard / sidings / tank capacity, units")
    rail_tracks: Count = Field(1, description="Trains loaded or unloaded at once")
    rail_handling_h: Hours = Field(4.0, description="Time to unload or load one train, h")
    train_units: Units | None = Field(None, description="Size of onward trains formed here, units")
    train_max_wait_h: PositiveHours = Field(48.0, description="An onward train leaves part-full after this wait, h")
    handling_usd_per_unit: UsdPerUnit = Field(
        0.0, description="Port charges per unit and call (handling, wharfage, dues), at loading and at discharge, US$"
    )
    background_calls_per_day: Annotated[NonNegative, Field(le=500)] = Field(
        0.0,
        description="Non-corridor vessel calls sharing the berths (Poisson, FIFO with corridor vessels: "
        "North-South, Turkmenbashi, oil and grain business), calls/day",
    )
    background_berth_h: Hours = Field(0.0, description="Mean berth time of one non-corridor call, h")
    background_berth_cv: Cv = Field(0.5, description="Spread of the non-corridor calls' berth times (0 = fixed)")
    background_yard_units: Annotated[NonNegative, Field(le=1e8)] = Field(
        0.0, description="Other cargo occupying the yard all the time (a constant level), units"
    )
    onward_by_sea: OnwardBySea | None = Field(
        None,
        description="Cargo arriving by rail on a route that ends here leaves by ship calls (a sink port: Poti); "
        "None: such a route ends at the node, as at a plain station",
    )
    source: str

    @model_validator(mode="after")
    def _background_fits(self):
        if self.background_calls_per_day > 0 and self.background_berth_h <= 0:
            raise ValueError("background_calls_per_day needs a positive background_berth_h")
        if self.background_yard_units >= self.yard_capacity_units:
            raise ValueError(
                f"background_yard_units ({self.background_yard_units:g}) must be below yard_capacity_units "
                f"({self.yard_capacity_units:g}), or the yard has no room for corridor cargo"
            )
        return self


class Weather(_Frozen):
    closure_probability_by_month: list[Annotated[Finite, Field(ge=0, lt=1)]] = Field(min_length=12, max_length=12)
    closure_mean_h: AtLeastAnHour = Field(48.0, description="Mean length of one storm closure, h")
    closure_cv: Cv = 0.7
    source: str


class Port(_Frozen):
    id: Id = Field(description="The node where the port is")
    terminals: list[Terminal] = Field(min_length=1)
    weather: Weather


class VesselGroup(_Frozen):
    id: Id
    name: Label | None = Field(
        None,
        description="Readable name on plots and in reports, without the capacity, "
        "which is added from capacity_units (default: the id)",
    )
    count: int = Field(
        ge=0, le=500, description="Vessels in service (0: a group that enters service by the timeline)"
    )  # the Caspian fleet is ~100
    capacity_units: Units = Field(description="Design capacity at full draft, units")
    full_load_deadweight_share: Share = Field(
        1.0,
        description="What a full load of this vessel's units weighs, as a share of its deadweight. The draft "
        "leaves the Caspian load factor of deadweight usable, so the vessel loads "
        "min(1, load factor / this share) of its capacity: 1 = loaded to the draft limit (tankers, "
        "deep feeders); a rail ferry whose deck fills at 78% of deadweight loses nothing until the "
        "load factor falls below 0.78",
    )
    source: str


class Deck(_Frozen):
    """A second unit class sharing the vessels' deck with the line's own cargo: trucks on the rail
    ferries' deck. A line unit takes 1/capacity_units of a vessel's deck, a deck unit 1/full_deck_units;
    the draft limits the line's cargo only (trucks are light: 50 trucks of ~40 t gross weigh ~35% of
    an Azerbaijan-class ferry's deadweight)."""

    cargo: CargoKind = Field(description="The class that shares the deck (it has a terminal at both ports)")
    full_deck_units: Units = Field(
        description="Units of this class a vessel's whole deck takes (an Azerbaijan-class ferry: 50 trucks, "
        "against its 46-56 wagons), units"
    )
    loading: Literal["line_cargo_first", "deck_cargo_first", "shares"] = Field(
        "line_cargo_first",
        description="Who gets the deck: the line's cargo first (the rest to this class), this class first, or "
        "shares (deck_cargo_share of each deck held for this class first; either class takes what the other "
        "leaves)",
    )
    deck_cargo_share: Share = Field(
        0.5, description="Under loading: shares, the share of each deck held for this class"
    )
    freight_usd_per_unit: UsdPerUnit = Field(0.0, description="Sea freight per unit of this class, port to port, US$")
    source: str


class SeaLine(_Frozen):
    id: Id
    name: Label | None = Field(
        None,
        description="Readable name on plots and in reports (default: from its ports' "
        "node names and cargo, e.g. 'Aktau–Alat container ships')",
    )
    from_port: Id = Field(alias="from")
    to_port: Id = Field(alias="to")
    cargo: CargoKind
    crossing_h: PositiveHours = Field(description="Mean sea time one way, h")
    crossing_cv: Cv = 0.1
    min_fill_share: Share = Field(0.9, description="Sail when loaded to this share of today's capacity")
    max_wait_for_cargo_h: Hours = Field(48.0, description="...or after waiting this long for cargo, h")
    vessels: list[VesselGroup] = Field(min_length=1)
    freight_usd_per_unit: UsdPerUnit = Field(0.0, description="Sea freight per unit, port to port, US$")
    distance_km: Km | None = Field(
        None, description="Sea distance for emissions, km (default: the great circle between the two ports)"
    )
    deck: Deck | None = Field(
        None, description="Another unit class sharing the vessels' deck (trucks on rail ferries); none: the line's own"
    )
    return_leg: bool = Field(
        False,
        description="The way back (to -> from) carries the line's cargo that waits for it at the far port "
        "(eastbound flows, empties; it does not wait for more) instead of sailing empty; routes may then "
        "run to -> from over this line",
    )
    source: str

    @property
    def cargoes(self) -> tuple[str, ...]:
        """The classes the line carries: its own, then its deck's."""
        return (self.cargo,) if self.deck is None else (self.cargo, self.deck.cargo)

    def freight_for(self, cargo: str) -> float:
        """Sea freight per unit of ``cargo``, US$."""
        return (
            self.deck.freight_usd_per_unit
            if self.deck is not None and cargo == self.deck.cargo
            else self.freight_usd_per_unit
        )


class FleetPool(_Frozen):
    """One owner's vessels split among lines (ASCO's ferries on Baku-Kuryk and Baku-Turkmenbashi):
    the counts of its groups are the assignment, and a timeline entry that moves ships from one line
    to another must keep their total, checked in every state of the timeline."""

    id: Id
    vessels: int = Field(ge=0, le=500, description="Vessels in the pool, on all its lines together")
    groups: list[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")]] = Field(
        min_length=1, description="Its vessel groups as line.group (sea line id, vessel group id)"
    )
    source: str


class StockPool(_Frozen):
    """A pool of rolling stock: wagons, flat cars, tank cars, boxes or locomotives of one operator,
    counted as a quantity (``model.stock``). A train forms only when what it needs is at hand: its
    cars (flat cars for boxes, tank cars, wagons) and a locomotive of the railway it runs on; a
    class counted in wagons rides in the pool's wagons all the way to where it is unloaded, and a
    box pool's boxes go with their cargo to its destination. What is taken comes back after the
    trip: loaded or empty over the network (running times from the links), plus the terminal dwell."""

    id: Id
    name: Label | None = Field(None, description="Shown in tables and charts (default: the id)")
    operator: str = Field(description="Who owns or runs the pool (KTZ, ADY, Georgian Railway, lessors)")
    kind: Literal["flat_car", "wagon", "tank_car", "locomotive", "box"]
    count: int = Field(ge=0, le=1_000_000, description="Units in the pool (cars, boxes or locomotives)")
    availability_share: Share = Field(1.0, description="Share in working order (not in repair), the rest idle")
    units_per_car: Annotated[Positive, Field(ge=0.01, le=10_000)] = Field(  # cars per train grow as 1 / it
        1.0, description="Cargo units one car or box carries (TEU per flat car; 1 for a wagon counted as the unit)"
    )
    cargo: list[CargoKind] = Field(
        default_factory=list, description="The cargo classes it carries (a locomotive pool: none, it hauls all)"
    )
    railways: list[Id] = Field(min_length=1, description="The railways (RailLink.railway) where it is taken")
    terminal_dwell_h: Hours = Field(description="Time at the two ends of a cycle (loading, unloading, shunting), h")
    source: str

    @property
    def available(self) -> float:
        return self.count * self.availability_share

    @property
    def label(self) -> str:
        return self.name or self.id


class Caspian(_Frozen):
    load_factor: Share = Field(
        description="Usable share of a vessel's deadweight at the draft of the base year "
        "(what each vessel type loads follows from its full_load_deadweight_share)"
    )
    base_year: Year
    sea_level_decline_cm_per_year: Annotated[NonNegative, Field(le=100)]  # 5x the fastest fall on record
    load_factor_loss_per_10cm: Annotated[NonNegative, Field(le=1)]
    min_load_factor: Share
    held_load_factor: Share | None = Field(
        None, description="Load factor held by maintenance dredging while set; unset, it falls from it with the sea"
    )
    source: str


class Route(_Frozen):
    id: Id
    share: Share | None = Field(None, description="Fixed share of the flow (flows without a response block)")
    path: list[Id] = Field(min_length=2)
    open: bool = Field(True, description="Closed routes carry nothing; a timeline entry opens them")
    tariff_usd_per_t: UsdPerT | None = Field(
        None,
        description="A published through tariff for the whole route, US$/t, which replaces its legs' charges "
        "(default: the sum of the legs' charges; a route with none takes the flow's reference tariff)",
    )
    outside_usd_per_t: Annotated[NonNegative, Field(le=10_000)] = Field(
        0.0,
        description="Charges on the route outside the modelled network (pre-carriage to the first node, "
        "on-carriage from the last), US$/t, added to the legs' charges",
    )
    expected_transit_days: Days | None = Field(
        None, description="Transit time assumed before the route has carried anything, days"
    )


class Response(_Frozen):
    """How a flow's demand and route choice respond to tariffs and transit time.

    Each year (and at each timeline entry) the flow splits over its open routes by a logit on
    generalized cost, tariff + value_of_time x expected transit days, and its demand is the trend
    times a multiplier that moves toward (tariff / reference)^tariff_elasticity x
    (1 + trade_gain_per_day_saved)^(reference days - expected days). Expected days per route and
    the multiplier close ``adjustment_per_year`` of their gap each year (adaptive expectations and
    partial adjustment), which keeps a congested corridor from swinging year to year.
    """

    tariff_elasticity: Finite = Field(
        ge=-5, le=0, description="Constant elasticity of demand to the through tariff"
    )  # published: -0.2 to -2
    trade_gain_per_day_saved: Annotated[NonNegative, Field(le=1)] = Field(
        description="Share of demand gained per day of transit saved"
    )  # EDB: 0.052
    value_of_time_usd_per_t_day: Annotated[NonNegative, Field(le=1_000)] = Field(
        description="Shippers' cost of one day in transit, US$/t/day"
    )
    logit_scale_usd_per_t: Annotated[Positive, Field(le=10_000)] = Field(
        description="Spread of route choice: cost difference for an e-fold share ratio, US$/t"
    )
    reference_tariff_usd_per_t: UsdPerT = Field(description="Tariff at which the trend demand holds, US$/t")
    reference_transit_days: Days = Field(description="Transit time at which the trend demand holds, days")
    adjustment_per_year: Share = Field(
        1.0,
        description="Share of the gap to the new demand level (and to new route times) closed each year; "
        "1 = at once, lower = shippers adjust with a lag",
    )
    source: str


class Empties(_Frozen):
    """Wagons or boxes that return empty: each delivery adds ``share`` of its units to the empties
    waiting where it was delivered; every lot_units of them leave as one empty consignment on the
    way back from there (``path`` or ``also_from``: rail paths, yards, the ships' way back)."""

    share: Share = Field(description="Share of the units delivered that return empty")
    tare_t_per_unit: Annotated[Positive, Field(le=100)] = Field(
        description="What an empty unit weighs, t (a TEU ~2.2 t, a wagon ~24 t): its tonnes on the way back"
    )
    path: list[Id] = Field(min_length=2, description="The way back, from where the flow delivers")
    also_from: list[Annotated[list[Id], Field(min_length=2)]] = Field([], description="Ways back from other ends")
    source: str

    def paths(self) -> list[list[str]]:  # a delivery's empties leave by the way from where it was
        return [self.path, *self.also_from]


class Flow(_Frozen):
    """One flow of cargo. Its trend demand in calendar year y, t/yr, is a path: ``tons_per_year`` in
    the demand base year and ``tons_by_year`` in the years listed there (documented volumes,
    agreements, ramps), linear between listed years, and growing at ``growth_pct_per_year`` after
    the last one (before the first, backwards at the same rate). See ``trend_tons``."""

    id: Id
    cargo: CargoKind
    description: str
    tons_per_year: Annotated[NonNegative, Field(le=1e9)] = Field(
        description="Demand in the demand base year, t/yr"
    )  # Russia's railways: 1.2 Gt/yr
    tons_by_year: dict[Year, Annotated[NonNegative, Field(le=1e9)]] = Field(
        default_factory=dict,
        description="Demand in other calendar years, t/yr (observed volumes, signed agreements, "
        "ramps); linear between listed years, growth_pct_per_year after the last",
    )
    growth_pct_per_year: Finite = Field(
        0.0, gt=-100, le=100, description="Trend growth after the last year of the path, %/yr"
    )
    demand_factor: Annotated[NonNegative, Field(le=1_000)] = Field(  # as monthly_factor: a pause (0) or a surge
        1.0,
        description="Multiplies this flow's demand; a timeline entry setting 0 pauses the flow (e.g. a pipeline stop)",
    )
    max_transit_days: Days | None = Field(
        None,
        description="A hard limit on the days a consignment may take, for a flow without alternatives (capacity "
        "runs set it so that saturated demand stays bounded); shippers' patience comes from `alternatives`",
    )
    alternatives: list[Id] = Field([], description="Ids of demand.alternatives its shippers can take instead")
    storage_at_origin_t: Annotated[Positive, Field(le=1e8)] | None = Field(
        None,
        description="Tonnes it holds at its origin waiting to enter; when full, consignments take the "
        "cheapest open alternative (crude: the tank share at the port)",
    )
    lot_units: Annotated[Positive, Field(ge=1, le=1e6)] = Field(
        description="Units per consignment entering the corridor (a train, or a pipeline batch)"
    )  # at least one TEU, wagon or tonne
    interarrival_cv: Cv = Field(1.0, description="Spread of gaps between consignments (1 = Poisson, 0 = evenly spaced)")
    monthly_factor: list[Annotated[NonNegative, Field(le=1_000)]] | None = Field(None, min_length=12, max_length=12)
    routes: list[Route] = Field(min_length=1)
    response: Response | None = None
    empties: Empties | None = Field(
        None, description="Equipment that returns empty after delivery (wagons, boxes): none, nothing returns"
    )
    corridor: bool = Field(
        True,
        description="Counted as the corridor's cargo (its tonnes, its capacity); false for other traffic that "
        "shares the corridor's ships, decks and paths (trucks, other lines, a what-if eastbound flow): "
        "simulated, but kept out of the corridor's totals and not saturated when capacity is measured",
    )
    source: str

    @field_validator("monthly_factor")
    @classmethod
    def _not_all_zero(cls, v):
        if v is not None and sum(v) <= 0:
            raise ValueError("monthly_factor must have at least one positive month")
        return v


class Demand(_Frozen):
    base_year: Year
    scale: Annotated[NonNegative, Field(le=1_000)] = Field(1.0, description="Multiplies every flow's tons_per_year")
    tariff_factor: Annotated[Positive, Field(ge=0.01, le=100)] = Field(
        1.0, description="Multiplies every route's tariff (a corridor-wide through-tariff change)"
    )
    flows: list[Flow] = Field(min_length=1)
    alternatives: list[Alternative] = Field([], description="Outside alternatives the flows compare with")


class Observed(_Frozen):
    """A documented series to compare with (plotted beside the simulated years)."""

    series: str
    mt_by_year: dict[Year, Annotated[NonNegative, Field(le=10_000)]]
    source: str


# What a timeline entry or a candidate measure changes, as dotted paths (as --set takes them)
SetChanges = Annotated[dict[str, Any], Field(default_factory=dict, description="dotted.path: new value")]
ScaleChanges = Annotated[
    dict[str, Annotated[Finite, Field(ge=0, le=1_000)]],
    Field(default_factory=dict, description="dotted.path: factor to multiply by"),
]


def _changes_something(change, what: str):
    if not change.set and not change.scale:
        raise ValueError(f"{what} needs 'set' or 'scale' (or both)")
    return change


class Intervention(_Frozen):
    """A dated change to the scenario, applied inside the running simulation."""

    id: Id
    date: dt.date = Field(description="When it takes effect (00:00), YYYY-MM-DD")
    description: str
    source: str = Field(description="Where the date and figures come from, or 'assumption: why'")
    set: SetChanges
    scale: ScaleChanges
    capex_musd: MusD | None = Field(
        None, description="What building the measure costs, US$ million (spent at its date; the source says where from)"
    )
    opex_musd_per_year: MusD = Field(0.0, description="What running it costs each year from its date, US$ million/yr")
    asset_life_years: Annotated[int, Field(ge=1, le=100)] | None = Field(None, description="Economic life, yr")

    @model_validator(mode="after")
    def _changes_something(self):
        return _changes_something(self, "an intervention")


class DemandCase(_Frozen):
    """A named demand assumption (low, central, high, ...): changes to the demand section applied
    when the case is chosen (``--demand-case``), validated like the file itself."""

    id: Id
    description: str
    source: str = Field(description="Where the rates or levels come from, or 'assumption: why'")
    set: dict[str, Any] = Field(default_factory=dict, description="demand.dotted.path: value")
    scale: dict[str, Annotated[Finite, Field(ge=0, le=1_000)]] = Field(
        default_factory=dict, description="demand.dotted.path: factor to multiply by"
    )


class Uncertain(_Frozen):
    """A parameter whose value is uncertain, with the range a sensitivity analysis explores."""

    path: str = Field(description="Dotted path of a numeric parameter, as --set takes it")
    also: list[str] = Field(
        default_factory=list,
        description="Other paths that take the same value (one uncertainty "
        "shared by several fields, e.g. every container flow's growth)",
    )
    low: Finite
    high: Finite
    source: str = Field(description="Where the range comes from")

    @property
    def paths(self) -> list[str]:
        return [self.path, *self.also]

    @property
    def label(self) -> str:
        return self.path if not self.also else f"{self.path} (and {len(self.also)} more)"

    @model_validator(mode="after")
    def _ordered(self):
        if not self.low < self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        return self


class EmissionFactors(_Frozen):
    """CO2-equivalent per tonne-km by mode, well to wheel (the GLEC Framework's scope)."""

    rail_kg_per_t_km: dict[Id, KgPerTKm] = Field(
        description="Rail by traction (RailLink.traction: diesel, electric by grid ...), kg CO2e per net tonne-km"
    )
    sea_kg_per_t_km: dict[CargoKind, KgPerTKm] = Field(
        description="Sea by the ship type that carries the cargo class (container feeder, rail ferry, tanker), "
        "kg CO2e per net tonne-km, empty returns included"
    )
    source: str


class CostBenchmark(_Frozen):
    """A documented door-to-door rate of another way to move the same cargo (the Northern route
    through Russia, the sea round Suez), to set the corridor's cost beside."""

    id: Id
    label: Label
    cargo: CargoKind
    usd_per_unit_low: UsdPerUnit
    usd_per_unit_high: UsdPerUnit
    scope: str = Field(description="From where to where the rate runs (rates quoted China-Europe, China-Baku ...)")
    source: str

    @model_validator(mode="after")
    def _ordered(self):
        if self.usd_per_unit_high < self.usd_per_unit_low:
            raise ValueError(f"usd_per_unit_high ({self.usd_per_unit_high}) is below usd_per_unit_low")
        return self


class Costs(_Frozen):
    """What moving cargo costs and emits, and how measures are appraised."""

    currency_year: Year = Field(description="The US$ of this year (every amount in the file)")
    emissions: EmissionFactors | None = Field(None, description="Emission factors (none: no CO2 is reported)")
    benchmarks: list[CostBenchmark] = Field(default_factory=list)
    discount_rate_pct: Annotated[NonNegative, Field(le=50)] = Field(
        6.0, description="Real discount rate for appraisal (corridor-sim appraise and plan), %/yr"
    )
    carbon_price_usd_per_t: Annotated[NonNegative, Field(le=10_000)] = Field(
        0.0, description="Shadow price of CO2e in appraisal, US$/t"
    )
    appraisal_years: Annotated[int, Field(ge=1, le=100)] = Field(
        25,
        description="Years of benefits an appraisal counts from a measure's date (the simulated years' last "
        "benefit is held flat after the run)",
    )
    appraisal: AppraisalSettings | None = Field(None, description="The guideline's values (corridor-sim appraise)")
    source: str


class Output(_Frozen):
    """What results, plots and reports show: read from here, never assumed by the library."""

    levels_every_h: AtLeastAnHour = Field(
        168.0,
        description="Length of the bins of the levels table (yard fill, queues and port closures: the "
        "time-weighted mean and the peak in each bin), h",
    )
    bottleneck_threshold: Share = Field(
        0.85,
        description="A resource can bind in a year when its utilization is at or above this share; among those, "
        "the one where cargo waits longest binds",
    )
    route_split_flow: Id | None = Field(
        None, description="The flow whose route split is charted (default: the flow with the most routes)"
    )
    ports_to_plot: list[Id] | None = Field(
        None, description="Ports whose yard fill and queues are plotted, in this order (default: every port)"
    )
    summary_scope: str | None = Field(
        None,
        description="What the corridor's tonnes count, as summary.json states it (the published series they "
        "compare with); default: the corridor's own flows, by id",
    )


class Scenario(_Frozen):
    """One corridor run's every input, typed and frozen: the network (nodes, rail links, ports, sea
    lines, fleets, the sea), demand and its cases, the dated timeline, costs, what the outputs show,
    and how it was loaded (the ``--set`` overrides, the file's name under a demand case).

    A scenario is built by ``load.load_scenario`` or ``load.validate_dict`` (every check, the
    timeline resolved once) and derived with changes only by ``variants``; nothing changes it after.
    It names its results (``label``, ``slug``), tells them apart (``digest``), and offers look-ups
    for the model (``node``, ``port``, ``flow``, ``sea_legs``). The file format is docs/scenario.md.
    """

    name: Id = Field(description="Short name; the default result folder is results/<name>/")
    description: str = Field(description="What the scenario represents (shown by validate and in reports)")
    start_year: Year = Field(description="First simulated (and reported) calendar year")
    end_year: Year = Field(description="Last simulated calendar year (inclusive)")
    warmup_days: Annotated[NonNegative, Field(le=1_096)] = Field(
        90.0, description="Simulated before 1 January of start_year, excluded from statistics"
    )  # queues fill in weeks; 3 years is ample
    goal_mt_per_year: Annotated[Positive, Field(le=10_000)] = Field(
        10.0, description="The corridor goal drawn on plots, Mt/yr"
    )
    cargo_classes: dict[CargoKind, CargoClass]
    nodes: list[Node] = Field(min_length=2, description="Places with coordinates: stations, borders, ports")
    rail_links: list[RailLink] = Field(default_factory=list)
    ports: list[Port] = Field(default_factory=list)
    sea_lines: list[SeaLine] = Field(default_factory=list)
    fleets: list[FleetPool] = Field(
        default_factory=list, description="Vessel groups that share one fleet among lines (their total is kept)"
    )
    rolling_stock: list[StockPool] = Field(
        default_factory=list,
        description="Wagons, flat cars, tank cars, boxes and locomotives by operator (none: stock never runs short)",
    )
    caspian: Caspian | None = Field(None, description="Draft and sea level; required when there are sea lines")
    demand: Demand
    timeline: list[Intervention] = Field(default_factory=list, description="Dated interventions, applied in date order")
    observed: Observed | None = Field(None, description="A documented series plotted beside the simulated years")
    costs: Costs | None = Field(
        None, description="Currency year, emission factors, other routes' rates and appraisal settings"
    )
    demand_cases: list[DemandCase] = Field(
        default_factory=list,
        description="Named demand assumptions (low, central, high, ...) chosen with --demand-case; "
        "'central' is the file's own demand",
    )
    demand_case: Id = Field(
        "central", description="The demand case this scenario stands for (set when a case is applied)"
    )
    uncertain: list[Uncertain] = Field(
        default_factory=list, description="Parameters with ranges, for `corridor-sim sensitivity`"
    )
    output: Output = Field(default_factory=Output)
    map: Map | None = Field(
        None, description="What the corridor map draws besides the network (none: the network alone)"
    )
    overrides: dict[str, Any] = Field(
        default_factory=dict,
        description="The --set overrides this scenario was loaded with (path: value), recorded by "
        "the loader so results say what they are; not written by hand",
    )
    file_name: Id | None = Field(
        None,
        description="The scenario's name in its file, when a demand case renamed it (base for base_high), "
        "recorded by the loader so the cases of one file are grouped; not written by hand",
    )
    notes: list[str] = Field(
        default_factory=list,
        description="What loading it did that its file does not say (what-ifs held against the timeline, "
        "a parent's entries outside a shorter run), for the run's metadata; not written by hand",
    )

    @model_validator(mode="after")
    def _years_ordered(self):
        if self.end_year < self.start_year:
            raise ValueError(f"end_year ({self.end_year}) is before start_year ({self.start_year})")
        return self

    @cached_property
    def derived(self) -> dict[str, Any]:
        """What is derived from this scenario once and kept with it, as it is frozen: its resolved
        timeline (``timeline.timeline``). Not a field: not dumped, compared or hashed."""
        return {}

    @property
    def base_name(self) -> str:
        """The scenario's name in its file: a demand case other than central renames a scenario
        '<name>_<case>', and its capacity and its other cases belong to the file's name."""
        return self.file_name or self.name

    # -- convenience look-ups (not part of the data) ------------------------------------------
    def node(self, node_id: str) -> Node:
        return next(n for n in self.nodes if n.id == node_id)

    def port(self, port_id: str) -> Port:
        return next(p for p in self.ports if p.id == port_id)

    def flow(self, flow_id: str) -> Flow:
        return next(f for f in self.demand.flows if f.id == flow_id)

    def sea_legs(self) -> dict[tuple[str, str, str], SeaLine]:
        """Every way a route can cross the sea: (from port, to port, cargo) -> the line that
        carries it (a line's own cargo and its deck's, and its way back if it has a return leg)."""
        out = {(l.from_port, l.to_port, c): l for l in self.sea_lines for c in l.cargoes}
        out.update({(l.to_port, l.from_port, l.cargo): l for l in self.sea_lines if l.return_leg})
        return out

    def added_vessels(self, line_id: str, group_id: str, count: int) -> dict[str, int]:
        """The overrides that put ``count`` vessels in a group: its count, and its pool's total if
        it is pooled (a vessel added, not moved from another line)."""
        old = next(v.count for l in self.sea_lines if l.id == line_id for v in l.vessels if v.id == group_id)
        out = {f"sea_lines.{line_id}.vessels.{group_id}.count": count}
        for pool in self.fleets:
            if f"{line_id}.{group_id}" in pool.groups:
                out[f"fleets.{pool.id}.vessels"] = pool.vessels + count - old
        return out

    def to_dict(self) -> dict:
        return self.model_dump(mode="json", by_alias=True)

    # -- what results are called ---------------------------------------------------------------
    @property
    def overrides_text(self) -> str:
        """The overrides as 'path=value, ...' (sorted by path), or '' without any."""
        return ", ".join(f"{p}={_value_text(v)}" for p, v in sorted(self.overrides.items()))

    @property
    def label(self) -> str:
        """The name with its overrides, as plots and reports print it: 'base (demand.scale=1.5)'."""
        return f"{self.name} ({self.overrides_text})" if self.overrides else self.name

    def __repr__(self) -> str:  # a line (display.py): every field is in _repr_html_
        return display.scenario_text(self)

    __str__ = __repr__

    def _repr_html_(self) -> str:
        return display.scenario_html(self)

    @property
    def slug(self) -> str:
        """A folder name for its results: the name, then each override as --path=value (sorted by path).

        Characters a file system may refuse become '_'; a name that would be longer than
        ``SLUG_MAX`` characters, or that lost characters, ends in a short hash of the exact
        overrides instead, so two different what-ifs never share a folder.
        """
        if not self.overrides:
            return self.name
        parts = [f"{p}={_value_text(v)}" for p, v in sorted(self.overrides.items())]
        safe = [re.sub(r"[^A-Za-z0-9._=+-]", "_", x) for x in parts]
        slug = "--".join([self.name, *safe])
        if safe != parts or len(slug) > SLUG_MAX:
            digest = hashlib.sha256(json.dumps(self.overrides, sort_keys=True, default=str).encode()).hexdigest()[:8]
            slug = slug[: SLUG_MAX - 9].rstrip("-_.") + "-" + digest
        return slug

    def digest(self) -> str:
        """SHA-256 of the resolved scenario, to tell results of different inputs apart.

        Shared decks, fleet pools, the file name, the map and the summary's scope left at their
        defaults are left out, so a scenario written before they existed keeps its hash (and its
        cached results stay valid); so are the loader's notes, which describe, not change, it."""
        d = self.to_dict()
        del d["notes"]  # they describe how the scenario came about; its values are what it runs
        for key in ("file_name", "map"):
            if d[key] is None:
                del d[key]
        if d["output"]["summary_scope"] is None:
            del d["output"]["summary_scope"]
        if not d["fleets"]:
            del d["fleets"]
        if not d["rolling_stock"]:
            del d["rolling_stock"]
        for link in d["rail_links"]:
            for k in ("track", "railway"):
                if link[k] is None:
                    del link[k]
        for line in d["sea_lines"]:
            if line["deck"] is None:
                del line["deck"]
            if not line["return_leg"]:
                del line["return_leg"]
        for f in d["demand"]["flows"]:
            if f["empties"] is None:
                del f["empties"]
            if f["corridor"]:
                del f["corridor"]
        blob = json.dumps(d, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()


SLUG_MAX = 96  # well under the 255 bytes a file name may have, readable in a listing


def _value_text(v: Any) -> str:
    """An override's value as the user would type it: 1.5, true, [1, 2]."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return f"{v:g}" if abs(v) < 1e15 else repr(v)
    if isinstance(v, (int, float, str)):
        return str(v)
    return json.dumps(v, sort_keys=True, default=str, separators=(",", ":"))


def trend_tons(flow: Flow, base_year: int, year: int) -> float:
    """A flow's trend demand in calendar ``year``, t/yr, from its path (before any scale or response).

    The path's points are (base_year, tons_per_year) and ``tons_by_year``; between points the level
    is linear, after the last it grows at growth_pct_per_year, before the first it shrinks back at
    that rate. Demand steps at 1 January: a year's total is its level, as published series count.

    >>> f = Flow(id="f", cargo="crude", description="", tons_per_year=1.4e6, lot_units=4000, source="",
    ...          tons_by_year={2025: 1.2e6, 2027: 7.0e6}, growth_pct_per_year=10,
    ...          routes=[{"id": "r", "share": 1, "path": ["a", "b"]}])
    >>> [round(trend_tons(f, 2024, y) / 1e6, 3) for y in (2023, 2024, 2025, 2026, 2027, 2028)]
    [1.273, 1.4, 1.2, 4.1, 7.0, 7.7]
    """
    points = dict(flow.tons_by_year)
    points.setdefault(base_year, flow.tons_per_year)
    years = sorted(points)
    g = 1.0 + flow.growth_pct_per_year / 100.0
    if year >= years[-1]:
        return points[years[-1]] * g ** (year - years[-1])
    if year <= years[0]:
        return points[years[0]] * g ** (year - years[0])
    i = next(k for k in range(1, len(years)) if years[k] >= year)
    y0, y1 = years[i - 1], years[i]
    return points[y0] + (points[y1] - points[y0]) * (year - y0) / (y1 - y0)


def demand_tons(flow: Flow, demand: Demand, year: int) -> float:
    """A flow's demand in calendar ``year`` before the response, t/yr: its trend path times the
    corridor-wide scale and the flow's own demand_factor."""
    return trend_tons(flow, demand.base_year, year) * demand.scale * flow.demand_factor
