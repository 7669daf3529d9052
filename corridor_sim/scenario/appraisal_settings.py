"""The values an economic appraisal needs beyond the model's own money (``costs.appraisal``):
resource values by cargo class, each a low / central / high band from the literature, so that the
appraisal can report its indicators at each and the switching value between them.

They are appraisal values, not the behavioural ones of route choice: a flow's ``response`` block
prices time at what its shippers act on (a willingness to pay, which includes buffer stock and
service), while the appraisal prices a tonne-day at the resource it uses (the inventory and capital
cost of the goods in transit, plus a reliability premium on the spread of transit days), as the
guidelines ask. Operators' resource costs are what running trains and ships uses up (fuel, crews,
maintenance), not what they charge: charges are transfers between shippers and operators.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from .units import CargoKind, Frozen, NonNegative

# a bound on every value of a band, far above any (US$100,000 an hour at sea); each use has its own below
BandValue = Annotated[NonNegative, Field(le=100_000)]


class Band(Frozen):
    """A value and its range: low <= central <= high."""

    low: BandValue
    central: BandValue
    high: BandValue

    @model_validator(mode="after")
    def _ordered(self):
        if not self.low <= self.central <= self.high:
            raise ValueError(f"needs low <= central <= high, got {self.low:g}, {self.central:g}, {self.high:g}")
        return self

    def at(self, case: str) -> float:
        """The band's value for ``case`` (low, central or high)."""
        return float(getattr(self, case))


BANDS = ("low", "central", "high")


def _bounded(hi: float, what: str):
    def check(v: dict[str, Band] | Band):
        bands = v.values() if isinstance(v, dict) else [v]
        for b in bands:
            if b.high > hi:
                raise ValueError(f"{what} above {hi:g} ({b.high:g}): far beyond any published value")
        return v

    return check


class AppraisalSettings(Frozen):
    """How measures are appraised (``corridor-sim appraise``): the guideline followed and its values."""

    guideline: Annotated[str, Field(min_length=1, max_length=300)] = Field(
        description="The published guideline the appraisal follows (name, edition, chapter)"
    )
    value_of_time_usd_per_t_day: dict[CargoKind, Band] = Field(
        description="What a tonne-day in transit costs, by cargo class, US$/t/day: the goods' inventory and "
        "capital cost (low: capital at the discount rate; central: a full carrying cost; high: the revealed "
        "willingness to pay of time-sensitive trade)"
    )
    reliability_ratio: Band = Field(
        description="The value of one day of standard deviation of transit time over that of one day of mean "
        "transit time (0: reliability not valued)"
    )
    rail_usd_per_t_km: Band = Field(
        description="Operators' resource cost of moving a net tonne one km by train (traction, crews, wagon "
        "time, excluding infrastructure charges, which are transfers), US$/t-km"
    )
    sea_usd_per_sailing_h: dict[CargoKind, Band] = Field(
        description="Operators' fuel cost of one hour at sea of a vessel of the class, US$/h (a sailing counts "
        "its crossing both ways); the vessels' capital and crews are fixed costs of the fleet, in the "
        "measures' capex and opex"
    )
    asset_life_years: Annotated[int, Field(ge=1, le=100)] = Field(
        30,
        description="Economic life of a measure's assets when its entry gives none: the residual value at the "
        "end of the appraisal period is the straight-line share of capex not yet used up",
    )
    source: str

    @model_validator(mode="after")
    def _plausible(self):
        _bounded(1_000.0, "value_of_time_usd_per_t_day")(self.value_of_time_usd_per_t_day)
        _bounded(5.0, "reliability_ratio")(self.reliability_ratio)
        _bounded(1.0, "rail_usd_per_t_km")(self.rail_usd_per_t_km)
        _bounded(100_000.0, "sea_usd_per_sailing_h")(self.sea_usd_per_sailing_h)
        return self
