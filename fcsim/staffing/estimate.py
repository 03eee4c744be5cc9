"""Judging a target on simulated weeks: an estimate, an interval inside [0, 1], a verdict.

For a rate KPI (an indicator, or a clock's met share) over ``R`` simulated weeks (the rows of
:func:`~fcsim.staffing.risk.replication_metrics`), the estimate is the mean of the weekly
values (weeks with an empty denominator left out, as in ``indicators.csv``'s scenario rows) and
the interval :func:`~fcsim.kpi.stats.proportion_interval` (logit-t over the weeks; Wilson on
the pooled counts when every week has the same value). For a 0/1 weekly outcome
(``zero_breach.*``) it is the share of weeks with a Clopper–Pearson interval.

With confidence ``c`` the interval is two-sided at level ``2c − 1``, so its lower end is a
one-sided ``c`` lower bound: the target is **met** when that lower end reaches the threshold
(``>`` strictly for ``>`` targets). The interval always lies inside [0, 1].
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fcsim.kpi.stats import proportion_interval
from fcsim.staffing.risk import clopper_pearson
from fcsim.staffing.targets import KpiTarget

__all__ = ["Estimate", "estimate", "value_interval"]


@dataclass(frozen=True)
class Estimate:
    """A target's estimate from simulated weeks (``summary.json``'s criteria items)."""

    kpi: str
    threshold: float
    strict: bool
    estimate: float
    ci_low: float
    ci_high: float
    met: bool
    weeks: int
    confidence: float

    @property
    def half_width(self) -> float:
        return (self.ci_high - self.ci_low) / 2.0

    def as_dict(self) -> dict[str, object]:
        def r(x: float) -> float | None:
            return None if math.isnan(x) else round(float(x), 6)

        return {"kpi": self.kpi, "threshold": self.threshold,
                "operator": ">" if self.strict else ">=", "estimate": r(self.estimate),
                "ci_low": r(self.ci_low), "ci_high": r(self.ci_high), "met": bool(self.met),
                "weeks": self.weeks, "confidence": self.confidence}


def _counts(metrics: pd.DataFrame, kpi: str) -> tuple[np.ndarray, np.ndarray]:
    if kpi.startswith("clock."):
        n_col = "clock_n." + kpi.removeprefix("clock.")
    else:
        n_col = f"n.{kpi}"
    if kpi not in metrics or n_col not in metrics:
        raise KeyError(f"the simulated weeks have no {kpi!r} (e.g. a clock that never applies "
                       "in this scenario)")
    v = metrics[kpi].astype(float).to_numpy()
    n = metrics[n_col].astype(float).fillna(0.0).to_numpy()
    k = np.where(n > 0, np.round(np.nan_to_num(v) * n), 0.0)
    return k, n


def value_interval(metrics: pd.DataFrame, kpi: str, level: float) -> tuple[float, float, float]:
    """Estimate and two-sided ``level`` interval of a KPI over the weeks (see module)."""
    if kpi.startswith(("zero_breach.", "clock_zero_breach.")):
        if kpi not in metrics:
            raise KeyError(f"the simulated weeks have no {kpi!r}")
        x = metrics[kpi].astype(float).dropna().to_numpy()
        if x.size == 0:
            return math.nan, math.nan, math.nan
        lo, hi = clopper_pearson(int(x.sum()), int(x.size), level)
        return float(x.mean()), lo, hi
    k, n = _counts(metrics, kpi)
    return proportion_interval(k, n, level)


def estimate(target: KpiTarget, metrics: pd.DataFrame, confidence: float) -> Estimate:
    """Judge ``target`` on the simulated weeks in ``metrics`` at one-sided ``confidence``."""
    if not 0.5 <= confidence < 1:
        raise ValueError(f"confidence must lie in [0.5, 1), got {confidence!r}")
    level = 2.0 * confidence - 1.0
    if level <= 0:
        mean, _, _ = value_interval(metrics, target.kpi, 0.5)
        lo = hi = mean
    else:
        mean, lo, hi = value_interval(metrics, target.kpi, level)
    met = not math.isnan(lo) and target.holds(lo)
    return Estimate(target.kpi, target.threshold, target.strict, mean, lo, hi, met,
                    len(metrics), confidence)
