"""Named random streams.

One ``numpy.random.SeedSequence`` per run; each component draws from its own stream derived from
(seed, component name). Two scenarios run with the same seed therefore share their random numbers
component by component (common random numbers), and adding or changing one component does not
reshuffle the others, as spawning streams in creation order would.
"""

from __future__ import annotations

import functools
import math
import zlib

import numpy as np


class Streams:
    """Factory of independent, reproducible generators keyed by name.

    >>> a = Streams(7).get("port:aktau").random()
    >>> b = Streams(7).get("port:aktau").random()
    >>> a == b, a == Streams(7).get("port:kuryk").random()
    (True, False)
    """

    def __init__(self, seed: int):
        self.seed = int(seed)
        self.root = np.random.SeedSequence(self.seed)

    def get(self, name: str) -> np.random.Generator:
        key = zlib.crc32(name.encode("utf-8"))
        seq = np.random.SeedSequence(self.root.entropy, spawn_key=(key,))
        return np.random.Generator(np.random.PCG64(seq))


def gamma_mean_cv(rng: np.random.Generator, mean: float, cv: float) -> float:
    """A gamma draw with the given mean and coefficient of variation (cv=1: exponential)."""
    if mean <= 0.0:
        return 0.0
    if cv < 1e-6:  # below this the gamma is a spike at the mean (and 1/cv^2 overflows)
        return mean
    shape = 1.0 / (cv * cv)
    return float(rng.gamma(shape, mean / shape))


def lognormal_mean_cv(rng: np.random.Generator, mean: float, cv: float) -> float:
    """A lognormal draw with the given mean and coefficient of variation (long right tail)."""
    if mean <= 0.0:
        return 0.0
    if cv < 1e-6:
        return mean
    mu, sigma = _lognormal_params(mean, cv)
    return float(rng.lognormal(mu, sigma))


@functools.lru_cache(maxsize=256)
def _lognormal_params(mean: float, cv: float) -> tuple[float, float]:
    # computed once per (mean, cv): a model draws the same few dwell distributions thousands of times
    sigma2 = math.log1p(cv * cv)
    return math.log(mean) - sigma2 / 2.0, math.sqrt(sigma2)
