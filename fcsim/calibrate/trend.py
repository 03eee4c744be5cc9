"""A log-linear trend in the training period's weekly arrivals, tested before it is used.

The whole local days of the training window (holidays left out) are grouped into weeks of 7
days from the first whole day. Week ``w`` (midpoint ``t_w`` weeks after the first day) has
count ``y_w`` and an expected count without trend ``e_w`` (the sum of its ordinary days'
weekday means, so a week with a holiday or a partial week is not mistaken for a dip). The
model is ``y_w ~ quasi-Poisson(e_w · exp(a + b t_w))``, fitted by maximum likelihood (Newton);
the dispersion ``φ`` is Pearson's χ² over ``W − 2`` (at least 1), the slope's standard error
``sqrt(φ I⁻¹)``, its test a t-test on ``W − 2`` degrees of freedom.

The trend is **extrapolated only when significant** (two-sided p below ``level``, 0.01 by
default) and only to a forecast window that is known (``fcsim validate``'s test period, or a
forecast start given to :func:`fcsim.calibrate.calibrate`): every category's rate is multiplied
by the fitted rate's mean over the forecast window over the training mean
(:meth:`TrendFit.multiplier`). A trend is chosen over weighting recent weeks because it comes
with a test (a significant slope or none) and an interval, and it leaves the rate untouched
when the data show no drift; weighting would move the rate by noise in the last weeks whatever
the evidence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["TrendFit", "fit_trend"]

#: fewest whole weeks for a trend test
MIN_WEEKS = 8


@dataclass(frozen=True)
class TrendFit:
    """Slope of the weekly arrivals (log scale, per week) and its test."""

    weeks: int
    slope: float  # per week, log scale (nan: not estimable)
    ci: tuple[float, float]  # 95 %
    p_value: float
    dispersion: float
    intercept: float
    t0: pd.Timestamp | None  # start of week 0 (local midnight)
    level: float

    @property
    def significant(self) -> bool:
        return math.isfinite(self.p_value) and self.p_value < self.level

    def multiplier(self, start: pd.Timestamp, end: pd.Timestamp) -> float:
        """Fitted mean rate over ``[start, end)`` over the training mean rate (1 when the
        slope is not significant)."""
        if not self.significant or self.t0 is None:
            return 1.0
        week = pd.Timedelta(days=7)
        t1 = (start - self.t0) / week
        t2 = (end - self.t0) / week
        b = self.slope
        fut = (math.exp(b * t2) - math.exp(b * t1)) / (b * (t2 - t1)) if abs(b) > 1e-12 \
            else math.exp(b * t1)
        return float(math.exp(self.intercept) * fut)

    def evidence(self) -> dict[str, Any]:
        return {"method": "quasi-Poisson log-linear trend of weekly counts (offset: weekday "
                          "means), t-test on the slope",
                "weeks": self.weeks, "slope_per_week": self.slope,
                "slope_ci95": list(self.ci), "p_value": self.p_value,
                "dispersion": self.dispersion, "level": self.level,
                "significant": self.significant}


def fit_trend(counts: pd.Series, expected: np.ndarray, ordinary: np.ndarray, *,
              level: float = 0.01) -> TrendFit:
    """Fit the trend to daily ``counts`` (whole local days), their no-trend ``expected``
    counts and the ``ordinary`` (not holiday) mask; see the module docstring."""
    nan = TrendFit(0, math.nan, (math.nan, math.nan), math.nan, math.nan, 0.0, None, level)
    n = len(counts)
    n_weeks = n // 7
    if n_weeks < MIN_WEEKS:
        return replace(nan, weeks=n_weeks)
    v = counts.to_numpy(float)[: 7 * n_weeks].reshape(n_weeks, 7)
    e = np.asarray(expected, float)[: 7 * n_weeks].reshape(n_weeks, 7)
    o = np.asarray(ordinary, bool)[: 7 * n_weeks].reshape(n_weeks, 7)
    y = (v * o).sum(axis=1)
    off = (e * o).sum(axis=1)
    keep = off > 0
    y, off = y[keep], off[keep]
    t = (np.arange(n_weeks, dtype=float) + 0.5)[keep]
    if len(y) < MIN_WEEKS or y.sum() == 0:
        return replace(nan, weeks=len(y))
    x = np.column_stack([np.ones_like(t), t])
    beta = np.array([math.log(y.sum() / off.sum()), 0.0])
    for _ in range(50):
        mu = off * np.exp(x @ beta)
        info = x.T @ (mu[:, None] * x)
        step = np.linalg.solve(info, x.T @ (y - mu))
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    mu = off * np.exp(x @ beta)
    info = x.T @ (mu[:, None] * x)
    df = len(y) - 2
    phi = max(1.0, float(np.sum((y - mu) ** 2 / mu)) / df)
    cov = phi * np.linalg.inv(info)
    se = math.sqrt(float(cov[1, 1]))
    b = float(beta[1])
    q = float(stats.t.ppf(0.975, df))
    p = float(2 * stats.t.sf(abs(b / se), df)) if se > 0 else math.nan
    # training mean rate relative to exp(a): the fitted counts sum to the observed ones
    a_rel = float(math.log(off.sum() / np.sum(off * np.exp(b * t))))
    return TrendFit(weeks=len(y), slope=b, ci=(b - q * se, b + q * se), p_value=p,
                    dispersion=phi, intercept=a_rel, t0=counts.index[0], level=level)
