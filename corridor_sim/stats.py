"""Statistics over replications: pure functions."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats as _st


def mean_ci(values, level: float = 0.95) -> dict:
    """Mean, standard deviation and the t confidence interval of the mean.

    >>> r = mean_ci([1.0, 2.0, 3.0])
    >>> r["mean"], r["sd"], round(r["ci_low"], 3), round(r["ci_high"], 3)
    (2.0, 1.0, -0.484, 4.484)
    >>> mean_ci([5.0])["ci_low"] is None
    True
    """
    x = np.asarray([v for v in values if v is not None and np.isfinite(v)], dtype=float)
    n = x.size
    if n == 0:
        return {"n": 0, "mean": None, "sd": None, "ci_low": None, "ci_high": None}
    mean = float(x.mean())
    if n == 1:
        return {"n": 1, "mean": mean, "sd": None, "ci_low": None, "ci_high": None}
    sd = float(x.std(ddof=1))
    half = float(_st.t.ppf(0.5 + level / 2, n - 1)) * sd / math.sqrt(n)
    return {"n": n, "mean": mean, "sd": sd, "ci_low": mean - half, "ci_high": mean + half}


def aggregate(frames: list[pd.DataFrame], keys: list[str], metrics: list[str]) -> pd.DataFrame:
    """Stack one table per replication and give each metric its mean, sd and 95% CI per key.

    Columns: keys, n, then <metric>_mean, <metric>_sd, <metric>_ci_low, <metric>_ci_high.
    """
    if not frames:
        return pd.DataFrame(columns=keys)
    tall = pd.concat([f.assign(replication=i) for i, f in enumerate(frames)], ignore_index=True)
    rows = []
    for key, g in tall.groupby(keys, sort=False):
        row = dict(zip(keys, key if isinstance(key, tuple) else (key,)))
        row["n"] = int(g.replication.nunique())
        for m in metrics:
            s = mean_ci(g[m].to_numpy(dtype=float))
            row.update({f"{m}_mean": s["mean"], f"{m}_sd": s["sd"], f"{m}_ci_low": s["ci_low"],
                        f"{m}_ci_high": s["ci_high"]})
        rows.append(row)
    return pd.DataFrame(rows)


def stat_dict(values, digits: int = 3) -> dict:
    """mean_ci rounded, for JSON."""
    s = mean_ci(values)
    rnd = lambda v: None if v is None else round(v, digits)  # noqa: E731
    return {"mean": rnd(s["mean"]), "sd": rnd(s["sd"]), "ci95": [rnd(s["ci_low"]), rnd(s["ci_high"])], "n": s["n"]}
