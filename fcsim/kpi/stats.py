"""Confidence intervals used by the indicators (``KPI.md`` § Indicators).

* Each replication's row (and a single observed log's) carries a **Wilson score interval**
  at 95 % for the fraction ``numerator / denominator``, with ``z = norm.ppf(0.975)``.
* A scenario's summary row carries a **Student t interval** at 95 % around the mean of the
  replications' values (those with a denominator > 0), when there are at least two of them;
  it is not clipped to [0, 1].
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["Z95", "t_interval", "wilson_interval"]

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
    low = np.where(n > 0, centre - half, np.nan)
    high = np.where(n > 0, centre + half, np.nan)
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
