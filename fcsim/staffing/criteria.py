"""Search criteria: "KPI >= threshold with confidence", and when that verdict is already certain.

A :class:`Criterion` judges per-replication values of one KPI by a one-sided lower confidence
bound — Student t on the mean of values in ``[low, high]``, or Clopper–Pearson for 0/1 values.
:meth:`Criterion.bound_range` gives the exact range of the bound a full sample of ``total``
values can still reach from a partial one (the t bound is concave in the unknown values: its
minimum lies at a vertex, where only the number of values at ``high`` matters, and its maximum
at equal unknowns), so :meth:`Criterion.verdict` can stop a configuration early without ever
changing the verdict the full sample would give.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import optimize, stats

__all__ = ["Criterion"]

_EPS = 1e-7

@dataclass(frozen=True)
class Criterion:
    """``kpi >= threshold`` (``>`` if ``strict``) at one-sided confidence ``confidence``.

    ``binary``: values are 0/1 and the bound is Clopper–Pearson's; else a Student t lower
    bound on the mean (no bound, ``-inf``, below two values). Values must lie in
    ``[low, high]``; a NaN value (e.g. an empty denominator) counts as ``nan_as``.
    """

    kpi: str
    threshold: float
    confidence: float = 0.95
    binary: bool = False
    strict: bool = False
    low: float = 0.0
    high: float = 1.0
    nan_as: float = 1.0

    def __post_init__(self) -> None:
        if not 0.5 <= self.confidence < 1:
            raise ValueError(f"criterion {self.kpi}: confidence must be in [0.5, 1), "
                             f"got {self.confidence!r}")
        if not self.low < self.high or not self.low <= self.nan_as <= self.high:
            raise ValueError(f"criterion {self.kpi}: need low < high and nan_as in [low, high]")

    def clean(self, values: Sequence[float]) -> npt.NDArray[np.float64]:
        v = np.asarray(values, dtype=float)
        v = np.where(np.isnan(v), self.nan_as, v)
        if v.size and (v.min() < self.low - 1e-12 or v.max() > self.high + 1e-12):
            raise ValueError(f"criterion {self.kpi}: values outside [{self.low}, {self.high}]")
        if self.binary and np.any((v != 0) & (v != 1)):
            raise ValueError(f"criterion {self.kpi}: binary criterion got a value not 0/1")
        return v

    def _t_bound(self, s1: float, s2: float, n: int) -> float:
        if n < 2:
            return -math.inf
        mean = s1 / n
        var = max((s2 - n * mean * mean) / (n - 1), 0.0)
        q = float(stats.t.ppf(self.confidence, df=n - 1))
        return mean - q * math.sqrt(var / n)

    def _cp_bound(self, k: int, n: int) -> float:
        if n == 0:
            return -math.inf
        if k == 0:
            return 0.0
        return float(stats.beta.ppf(1.0 - self.confidence, k, n - k + 1))

    def lower_bound(self, values: Sequence[float]) -> float:
        """The one-sided lower confidence bound from these values."""
        v = self.clean(values)
        if self.binary:
            return self._cp_bound(int(v.sum()), v.size)
        return self._t_bound(float(v.sum()), float((v * v).sum()), v.size)

    def passes(self, values: Sequence[float]) -> bool:
        lb = self.lower_bound(values)
        return lb > self.threshold if self.strict else lb >= self.threshold

    def bound_range(self, values: Sequence[float], total: int) -> tuple[float, float]:
        """Smallest and largest final lower bound over every completion to ``total`` values."""
        v = self.clean(values)
        m = total - v.size
        if m < 0:
            raise ValueError("more values than the total")
        if self.binary:
            k = int(v.sum())
            return self._cp_bound(k, total), self._cp_bound(k + m, total)
        s1, s2 = float(v.sum()), float((v * v).sum())
        lo, hi = self.low, self.high
        # concave in the unknowns: the minimum is at a vertex (only the count at `high`
        # matters), the maximum at equal unknowns (symmetry)
        mins = [self._t_bound(s1 + j * hi + (m - j) * lo, s2 + j * hi * hi + (m - j) * lo * lo,
                              total) for j in range(m + 1)]

        def f(x: float) -> float:
            return self._t_bound(s1 + m * x, s2 + m * x * x, total)

        if m == 0:
            return f(lo), f(lo)
        res = optimize.minimize_scalar(lambda x: -f(x), bounds=(lo, hi), method="bounded",
                                       options={"xatol": 1e-12 * max(1.0, hi - lo)})
        best = max(f(lo), f(hi), -float(res.fun))
        return min(mins), best

    def verdict(self, values: Sequence[float], total: int) -> bool | None:
        """``True``/``False`` once the verdict at ``total`` values is certain, else ``None``."""
        if len(values) >= total:
            return self.passes(values[:total])
        lo, hi = self.bound_range(values, total)
        if not self.strict:
            if hi < self.threshold - _EPS:
                return False
            if lo >= self.threshold + _EPS:
                return True
        else:
            if hi <= self.threshold - _EPS:
                return False
            if lo > self.threshold + _EPS:
                return True
        return None
