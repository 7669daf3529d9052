"""Statistics over replications: pure functions, the one place where intervals are computed.

Three kinds of interval, each named where it is used (docs/kpis.md lists which KPI takes which):

- ``mean_ci``: the Student t interval of a mean over replications, for quantities without bounds
  (tonnes, days).
- ``share_ci``: for shares bounded to [0, 1] (utilization), the same t interval built on the logit
  scale by the delta method and transformed back, so it never leaves [0, 1] and is asymmetric
  near the bounds; where the replications agree exactly it is the point.
- ``aggregate(..., over=...)``: the interval of a mean over several years is the interval of each
  replication's multi-year mean (one value per replication), not an average of yearly intervals.

The t quantile is computed here (regularized incomplete beta by continued fraction, then
bisection), so the package needs no scipy for it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

LEVEL = 0.95


def rows(df: pd.DataFrame) -> Iterator[Any]:
    """``df.itertuples()`` with each row typed Any: pandas-stubs types every field of a row as any
    pandas scalar (a date, a string, NA ...) whatever its column holds, so ``int(row.year)`` would
    not type-check."""
    return df.itertuples()


# ----------------------------------------------------------------------------------------------
# Student t quantile without scipy
# ----------------------------------------------------------------------------------------------
def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 400):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def _betainc(a: float, b: float, x: float) -> float:
    """Regularized incomplete beta I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    lbeta = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(lbeta) * _betacf(a, b, x) / a
    return 1.0 - math.exp(lbeta) * _betacf(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with ``df`` degrees of freedom.

    >>> round(t_cdf(0.0, 3), 12), round(t_cdf(2.228138851986, 10), 6)
    (0.5, 0.975)
    """
    x = df / (df + t * t)
    tail = 0.5 * _betainc(df / 2.0, 0.5, x)
    return 1.0 - tail if t > 0 else tail


@lru_cache(maxsize=4096)  # ~45 incomplete-beta evaluations each; every interval asks for (0.975, n - 1)
def t_quantile(p: float, df: float) -> float:
    """The ``p`` quantile of Student's t (bisection on ``t_cdf``, to ~1e-12).

    >>> [round(t_quantile(0.975, n), 4) for n in (1, 2, 4, 9, 29, 1000)]
    [12.7062, 4.3027, 2.7764, 2.2622, 2.0452, 1.9623]
    """
    if not 0.0 < p < 1.0 or df <= 0:
        raise ValueError(f"t_quantile needs 0 < p < 1 and df > 0, got p={p}, df={df}")
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    lo, hi = 0.0, 1.0
    while t_cdf(hi, df) < p:
        hi *= 2.0
    for _ in range(200):
        mid = (lo + hi) / 2.0
        if t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-12 * max(1.0, hi):
            break
    return (lo + hi) / 2.0


# ----------------------------------------------------------------------------------------------
# Intervals
# ----------------------------------------------------------------------------------------------
def _finite(values) -> np.ndarray:
    return np.asarray([v for v in values if v is not None and np.isfinite(v)], dtype=float)


def mean_ci(values, level: float = LEVEL) -> dict:
    """Mean, standard deviation and the t confidence interval of the mean.

    >>> r = mean_ci([1.0, 2.0, 3.0])
    >>> r["mean"], r["sd"], round(r["ci_low"], 3), round(r["ci_high"], 3)
    (2.0, 1.0, -0.484, 4.484)
    >>> mean_ci([5.0])["ci_low"] is None
    True
    """
    x = _finite(values)
    n = x.size
    if n == 0:
        return {"n": 0, "mean": None, "sd": None, "ci_low": None, "ci_high": None}
    mean = float(x.mean())
    if n == 1:
        return {"n": 1, "mean": mean, "sd": None, "ci_low": None, "ci_high": None}
    sd = float(x.std(ddof=1))
    half = t_quantile(0.5 + level / 2, n - 1) * sd / math.sqrt(n)
    return {"n": n, "mean": mean, "sd": sd, "ci_low": mean - half, "ci_high": mean + half}


SHARE_EPS = 1e-6  # a mean share is kept this far inside (0, 1) so that its logit is finite


def share_ci(values, level: float = LEVEL) -> dict:
    """Mean of shares in [0, 1] with a confidence interval that stays in [0, 1].

    The t interval of the mean is built on the logit scale by the delta method,
    logit(m) +- t * se / (m (1 - m)), and transformed back: close to the plain t interval for a
    share near 0.5, asymmetric and inside the bounds near 0 or 1.

    >>> r = share_ci([0.97, 0.99, 1.0])
    >>> r["ci_high"] <= 1.0 and r["ci_low"] < r["mean"] < r["ci_high"]
    True
    >>> round(mean_ci([0.97, 0.99, 1.0])["ci_high"], 3)      # the plain t interval passes 100%
    1.025
    >>> share_ci([0.5, 0.5])["ci_low"]
    0.5
    >>> share_ci([0.0, 1e-12, 0.0])["ci_low"] >= 0.0  # far out on the logit scale: no overflow
    True
    """
    x = _finite(values)
    n = x.size
    base = mean_ci(x, level)
    if n < 2:
        return base
    m = min(max(base["mean"], SHARE_EPS), 1.0 - SHARE_EPS)
    se = base["sd"] / math.sqrt(n)
    if se == 0.0:
        return {**base, "ci_low": base["mean"], "ci_high": base["mean"]}
    centre = math.log(m / (1.0 - m))
    half = t_quantile(0.5 + level / 2, n - 1) * se / (m * (1.0 - m))
    # the logistic function both ways round, so a wide interval near 0 or 1 cannot overflow exp
    expit = lambda z: 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))
    return {**base, "ci_low": expit(centre - half), "ci_high": expit(centre + half)}


def aggregate(
    frames: list[pd.DataFrame],
    keys: list[str],
    metrics: list[str],
    shares: tuple[str, ...] = (),
    over: str | None = None,
) -> pd.DataFrame:
    """Stack one table per replication and give each metric its mean, sd and 95% CI per key.

    Columns: keys, n, then <metric>_mean, <metric>_sd, <metric>_ci_low, <metric>_ci_high.
    Metrics named in ``shares`` get the bounded interval of ``share_ci``. With ``over`` (e.g.
    "year"), each replication's values are first averaged over that column, and the interval is
    that of those per-replication means: the interval of the multi-year mean itself.
    """
    if not frames:
        return pd.DataFrame(columns=keys)
    tall = pd.concat([f.assign(replication=i) for i, f in enumerate(frames)], ignore_index=True)
    if over is not None:
        tall = tall.groupby(keys + ["replication"], as_index=False, sort=False)[metrics].mean()
    rows = []
    for key, g in tall.groupby(keys, sort=False):
        row = dict(zip(keys, key if isinstance(key, tuple) else (key,)))
        row["n"] = int(g.replication.nunique())
        for m in metrics:
            s = (share_ci if m in shares else mean_ci)(g[m].to_numpy(dtype=float))
            row.update(
                {f"{m}_mean": s["mean"], f"{m}_sd": s["sd"], f"{m}_ci_low": s["ci_low"], f"{m}_ci_high": s["ci_high"]}
            )
        rows.append(row)
    return pd.DataFrame(rows)


def stat_dict(values, digits: int = 3, share: bool = False) -> dict:
    """mean_ci (or share_ci) rounded, for JSON."""
    s = (share_ci if share else mean_ci)(values)
    rnd = lambda v: None if v is None else round(v, digits)
    return {"mean": rnd(s["mean"]), "sd": rnd(s["sd"]), "ci95": [rnd(s["ci_low"]), rnd(s["ci_high"])], "n": s["n"]}


def half_width(low, high) -> float | None:
    """Half the width of an interval (None where there is none), for 'mean ± half-width' text."""
    if low is None or high is None or low != low or high != high:
        return None
    return (float(high) - float(low)) / 2.0
