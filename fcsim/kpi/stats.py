"""Confidence intervals used by the indicators (``KPI.md`` § Indicators).

* Each replication's row (and a single observed log's) carries a **Wilson score interval**
  at 95 % for the fraction ``numerator / denominator``, with ``z = norm.ppf(0.975)``.
* A scenario's summary row carries :func:`proportion_interval`: a **logit-t interval**
  across the replications with a denominator > 0 (:func:`logit_t_interval`), widened if
  needed to contain the mean it stands beside; when every such replication has the same
  value (one replication included), the **Wilson interval of the pooled counts**. Either
  stays inside [0, 1] without clipping. (This supersedes ``KPI.md``'s t-interval, which ran
  outside [0, 1], e.g. 100.07 %.)
* fcsim's own proportion measures (first-contact ownership, :mod:`fcsim.kpi.ownership`) carry
  the logit-t interval too.
* Counts (e.g. breaches per week) carry :func:`count_interval`: a t interval whose lower end
  is never below 0.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["Z95", "count_interval", "logit_t_interval", "proportion_interval", "t_interval",
           "wilson_interval"]

#: The two-sided 95 % normal quantile.
Z95: float = float(stats.norm.ppf(0.975))


def wilson_interval(
    numerator: np.ndarray, denominator: np.ndarray, z: float = Z95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for ``numerator / denominator``, element-wise.

    Parameters
    ----------
    numerator, denominator
        Counts (array-like of equal shape); a denominator of 0 gives NaN bounds.
    z
        The normal quantile (default: 95 % two-sided).

    Returns
    -------
    (low, high)
        Float arrays; NaN where the denominator is 0.
    """
    k = np.asarray(numerator, dtype=float)
    n = np.asarray(denominator, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        z2 = z * z
        centre = (p + z2 / (2 * n)) / (1 + z2 / n)
        half = z / (1 + z2 / n) * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    # inside [0, 1] mathematically; the clip only removes floating-point excess (1 + 2e-16)
    low = np.where(n > 0, np.clip(centre - half, 0.0, 1.0), np.nan)
    high = np.where(n > 0, np.clip(centre + half, 0.0, 1.0), np.nan)
    return low, high


def t_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and two-sided Student t interval of ``values`` (NaNs dropped).

    Returns
    -------
    (mean, low, high)
        ``mean`` is NaN for no values; ``low``/``high`` are NaN below two values.
    """
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    m = v.size
    if m == 0:
        return float("nan"), float("nan"), float("nan")
    mean = float(v.mean())
    if m < 2:
        return mean, float("nan"), float("nan")
    q = float(stats.t.ppf(0.5 + level / 2, df=m - 1))
    half = q * float(v.std(ddof=1)) / np.sqrt(m)
    return mean, mean - half, mean + half


def logit_t_interval(numerator: np.ndarray, denominator: np.ndarray,
                     level: float = 0.95) -> tuple[float, float]:
    """A Student t interval on the logit scale across replications, mapped back to [0, 1].

    Each replication with a denominator > 0 contributes its empirical logit
    ``log((k + 0.5) / (n − k + 0.5))`` (finite at 0 % and 100 %); the t interval of their
    mean is transformed back with the logistic function, so it lies in (0, 1) and follows the
    between-replication spread (not only the binomial noise within one).

    Returns
    -------
    (low, high)
        NaN below two replications with a denominator > 0.
    """
    k = np.asarray(numerator, dtype=float)
    n = np.asarray(denominator, dtype=float)
    use = n > 0
    k, n = k[use], n[use]
    if k.size < 2:
        return float("nan"), float("nan")
    z = np.log((k + 0.5) / (n - k + 0.5))
    q = float(stats.t.ppf(0.5 + level / 2, df=k.size - 1))
    half = q * float(z.std(ddof=1)) / np.sqrt(k.size)
    m = float(z.mean())
    return float(1 / (1 + np.exp(-(m - half)))), float(1 / (1 + np.exp(-(m + half))))


def proportion_interval(numerator: np.ndarray, denominator: np.ndarray,
                        level: float = 0.95) -> tuple[float, float, float]:
    """Mean of the replications' fractions and an interval inside [0, 1] around it.

    Replications with a denominator of 0 are left out. Two or more distinct fractions: the
    logit-t interval (:func:`logit_t_interval`), widened to contain the mean; all fractions
    equal (or one replication): the Wilson interval of the pooled counts at the same level.

    Returns
    -------
    (mean, low, high)
        NaN without a replication with a denominator > 0.
    """
    k = np.asarray(numerator, dtype=float)
    n = np.asarray(denominator, dtype=float)
    use = n > 0
    k, n = k[use], n[use]
    if k.size == 0:
        return float("nan"), float("nan"), float("nan")
    frac = k / n
    mean = float(frac.mean())
    if k.size < 2 or np.all(frac == frac[0]):
        z = float(stats.norm.ppf(0.5 + level / 2))
        lo, hi = wilson_interval(np.array([k.sum()]), np.array([n.sum()]), z=z)
        return mean, float(lo[0]), float(hi[0])
    lo_f, hi_f = logit_t_interval(k, n, level)
    return mean, min(lo_f, mean), max(hi_f, mean)


def count_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and t interval of non-negative counts, its lower end floored at 0."""
    mean, lo, hi = t_interval(values, level)
    if lo == lo:  # not NaN
        lo = max(lo, 0.0)
    return mean, lo, hi
