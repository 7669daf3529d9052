"""The field types of a scenario, with their units and bounds: every number finite, every one
bounded far above anything real on the corridor and low enough that a scenario that validates also
runs; sizes that split cargo and durations that repeat are bounded from below, so that it also ends.
(How large a run is, in memory and time, is checked per run by corridor_sim.run.runsize.)"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

CargoKind = Literal["container", "wagon", "crude", "truck"]
Id = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", min_length=1, max_length=64)]
Finite = Annotated[float, Field(allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Share = Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]
FIRST_YEAR, LAST_YEAR = 1990, 2100  # the calendar years a scenario, an option or a candidate may name
Year = Annotated[int, Field(ge=FIRST_YEAR, le=LAST_YEAR)]
# durations of one operation: none (a sailing, a dwell, a wait for cargo) lasts a year
Hours = Annotated[float, Field(ge=0, le=8_760, allow_inf_nan=False)]
# a crossing, a processing time or a wait that triggers something: none on the corridor is shorter
# than six minutes, and a shorter one only multiplies events (a ship that sails empty every 1e-9 h)
PositiveHours = Annotated[float, Field(ge=0.1, le=8_760, allow_inf_nan=False)]
# a storm closure or a sampling step shorter than an hour would only multiply events
AtLeastAnHour = Annotated[float, Field(ge=1, le=8_760, allow_inf_nan=False)]
Days = Annotated[float, Field(gt=0, le=365, allow_inf_nan=False)]  # a transit time: under a year
Cv = Annotated[float, Field(ge=0, le=10, allow_inf_nan=False)]  # coefficient of variation: 10 is a
#   gamma of shape 0.01, far wider than any measured spread (the base uses 0.1-1)
Count = Annotated[int, Field(gt=0, le=100)]  # berths, tracks, servers at one place: the largest ports have ~30
Km = Annotated[float, Field(gt=0, le=10_000, allow_inf_nan=False)]  # a rail link between two nodes
Kmh = Annotated[float, Field(gt=0, le=300, allow_inf_nan=False)]  # freight runs at <= 120 km/h
TrainsPerDay = Annotated[float, Field(gt=0, le=500, allow_inf_nan=False)]  # a busy double track: ~250 a day
Units = Annotated[float, Field(ge=1, le=1e8, allow_inf_nan=False)]  # a yard, a vessel, a train in units:
#   the largest tank farms hold ~10 million t, the largest tankers 0.5 million t; from below, one unit
#   (a TEU, a wagon, a tonne): a ship call or a train of 1e-9 units would take 1e9 events per unit
UnitsPerHour = Annotated[float, Field(gt=0, le=1e5, allow_inf_nan=False)]  # crude berths load ~5,000 t/h
Label = Annotated[str, Field(min_length=1, max_length=80)]  # a name printed on a chart
UsdPerT = Annotated[float, Field(ge=1, le=10_000, allow_inf_nan=False)]  # a through tariff: US$1-10,000/t
#   (from below: demand goes as tariff^elasticity, which a near-zero tariff sends to infinity)
# a charge for one unit on one leg: a box's sea freight or a wagon's rail tariff is US$10-5,000;
# US$100,000 per unit is far above any
UsdPerUnit = Annotated[float, Field(ge=0, le=100_000, allow_inf_nan=False)]
UsdPerUnitKm = Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]  # rail: US$0.1-3 per TEU- or wagon-km
KgPerTKm = Annotated[float, Field(ge=0, le=10, allow_inf_nan=False)]  # freight modes emit 0.005-0.5 kg CO2e/t-km
MusD = Annotated[float, Field(ge=0, le=1e6, allow_inf_nan=False)]  # US$ million: the largest corridor project ~US$7 bn


class Frozen(BaseModel):
    """The base of every section of a scenario: unknown keys refused, values frozen once read."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
