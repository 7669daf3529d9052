"""The indicators an economic appraisal reports (EU Guide to Cost-Benefit Analysis, 2014): the
economic net present value (ENPV), the economic internal rate of return (EIRR), the benefit-cost
ratio (BCR), the first-year rate of return (FYRR), the residual value, and the switching values of
the decisive inputs. Pure functions of a measure's yearly benefits and costs.

Conventions: amounts by calendar year at mid-year, discounted to 1 January of the base year; the
appraisal period runs ``years_n`` years from the year of the measure's date (construction year
included, as the guidelines count it); benefits of years after the simulated ones are held at the
last simulated year's value; the residual value is the straight-line share of the capex not used
up by the end of the period, counted in its last year.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq


@dataclass(frozen=True)
class CashFlows:
    """One measure's yearly economic benefits, costs and residual value, US$ (year -> amount)."""

    benefits: dict[int, float]
    capex: dict[int, float]
    opex: dict[int, float]
    residual: dict[int, float]

    def net(self) -> dict[int, float]:
        years = set(self.benefits) | set(self.capex) | set(self.opex) | set(self.residual)
        return {
            y: self.benefits.get(y, 0.0) + self.residual.get(y, 0.0) - self.capex.get(y, 0.0) - self.opex.get(y, 0.0)
            for y in sorted(years)
        }


def present_value(flows_by_year: dict[int, float], rate_pct: float, base_year: int) -> float:
    """Sum of amounts by year discounted to 1 January of ``base_year`` (amounts at mid-year).

    >>> round(present_value({2024: 100.0, 2025: 100.0}, 10.0, 2024), 2)
    182.02
    """
    r = rate_pct / 100.0
    return float(sum(v / (1.0 + r) ** (y - base_year + 0.5) for y, v in flows_by_year.items()))


def cash_flows(
    date_year: int,
    capex_usd: float,
    opex_usd_per_year: float,
    benefits_by_year: dict[int, float],
    last_simulated: int,
    years_n: int,
    life_years: int,
) -> CashFlows:
    """A measure's cash flows over its appraisal period (the module's conventions).

    >>> cf = cash_flows(2030, 100.0, 1.0, {2030: 10.0, 2031: 20.0}, 2031, 4, 8)
    >>> cf.benefits, cf.residual
    ({2030: 10.0, 2031: 20.0, 2032: 20.0, 2033: 20.0}, {2033: 50.0})
    """
    span = range(date_year, date_year + years_n)
    held = benefits_by_year.get(last_simulated, 0.0)
    ben = {y: benefits_by_year.get(y, 0.0) if y <= last_simulated else held for y in span}
    rv = capex_usd * max(0.0, 1.0 - years_n / life_years)
    return CashFlows(ben, {date_year: capex_usd}, dict.fromkeys(span, opex_usd_per_year), {span[-1]: rv})


def enpv(cf: CashFlows, rate_pct: float, base_year: int) -> float:
    return present_value(cf.net(), rate_pct, base_year)


def bcr(cf: CashFlows, rate_pct: float, base_year: int) -> float:
    """PV of benefits and residual value over PV of capex and opex (NaN without costs)."""
    b = present_value(cf.benefits, rate_pct, base_year) + present_value(cf.residual, rate_pct, base_year)
    c = present_value(cf.capex, rate_pct, base_year) + present_value(cf.opex, rate_pct, base_year)
    return b / c if c > 0 else math.nan


def eirr(cf: CashFlows) -> float:
    """The discount rate (%) at which the ENPV is zero; NaN where there is none in -50%..1,000%
    (net flows that never change sign: all gain or all loss).

    >>> round(eirr(CashFlows({2025: 110.0}, {2024: 100.0}, {}, {})), 6)
    10.0
    """
    net = cf.net()
    if not net or min(net.values()) >= 0 or max(net.values()) <= 0:
        return math.nan
    y0 = min(net)

    def f(r: float) -> float:
        return sum(v / (1.0 + r) ** (y - y0) for y, v in net.items())

    lo, hi = -0.5, 10.0  # a rate below -50% a year is no return worth reporting
    f_lo, f_hi = f(lo), f(hi)
    if not (math.isfinite(f_lo) and math.isfinite(f_hi)) or np.sign(f_lo) == np.sign(f_hi):
        return math.nan
    return 100.0 * brentq(f, lo, hi, xtol=1e-10)


def fyrr(cf: CashFlows, first_full_year: int, capex_usd: float) -> float:
    """The first full year's net benefit (benefits - opex) over the capex, % (NaN without capex)."""
    if capex_usd <= 0:
        return math.nan
    return 100.0 * (cf.benefits.get(first_full_year, 0.0) - cf.opex.get(first_full_year, 0.0)) / capex_usd


def capex_switching(cf: CashFlows, rate_pct: float, base_year: int) -> float:
    """The factor on the capex (and with it the residual value) at which the ENPV is zero: > 1, the
    measure stands a cost overrun of that factor; NaN without capex."""
    net_capex = present_value(cf.capex, rate_pct, base_year) - present_value(cf.residual, rate_pct, base_year)
    if net_capex <= 0:
        return math.nan
    return (present_value(cf.benefits, rate_pct, base_year) - present_value(cf.opex, rate_pct, base_year)) / net_capex


def linear_switching(at_zero: float, at_one: float) -> float:
    """The factor k on an input at which an amount affine in it, a + b k, is zero, from its values
    at k = 0 and k = 1 (NaN if it does not depend on the input or never reaches zero for k >= 0).

    >>> linear_switching(-50.0, 50.0)
    0.5
    """
    slope = at_one - at_zero
    if slope == 0:
        return math.nan
    k = -at_zero / slope
    return k if k >= 0 else math.nan
