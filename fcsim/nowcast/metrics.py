"""Scores of probabilistic breach forecasts: AUC, Brier score, quantile exceedance.

* :func:`auc` — the area under the ROC curve, i.e. the probability that a breached clock got a
  higher forecast than a met one (ties count one half: Mann–Whitney with mid-ranks).
* :func:`brier` — the mean squared difference between the probability and the outcome (0/1).
* :func:`exceedance` — the share of actual stop times after the forecast 95 % quantile: a stop
  after the horizon exceeds every finite quantile and none that is itself "after the horizon".
* :func:`cluster_bootstrap` — percentile intervals of a score, resampling whole origins (the
  clocks of one origin share a snapshot and are not independent).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import stats

__all__ = ["auc", "brier", "cluster_bootstrap", "exceedance"]


def auc(score: np.ndarray, outcome: np.ndarray) -> float:
    """AUC of ``score`` for the binary ``outcome``; NaN without both classes."""
    y = np.asarray(outcome, dtype=bool)
    n1, n0 = int(y.sum()), int((~y).sum())
    if n1 == 0 or n0 == 0:
        return float("nan")
    r = stats.rankdata(np.asarray(score, dtype=float))
    return float((r[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def brier(p: np.ndarray, outcome: np.ndarray) -> float:
    """Brier score; NaN for no forecasts."""
    p = np.asarray(p, dtype=float)
    if p.size == 0:
        return float("nan")
    return float(np.mean((p - np.asarray(outcome, dtype=float)) ** 2))


def exceedance(actual: np.ndarray, q95: np.ndarray) -> float:
    """Share of ``actual`` stop times later than the forecast ``q95`` (+inf: after the
    horizon — an actual +inf exceeds every finite quantile, a +inf quantile is never
    exceeded)."""
    a = np.asarray(actual, dtype=float)
    q = np.asarray(q95, dtype=float)
    if a.size == 0:
        return float("nan")
    return float(np.mean(np.isfinite(q) & (a > q)))


def cluster_bootstrap(fn: Callable[[np.ndarray], float], clusters: np.ndarray, *,
                      draws: int = 200, seed: int = 0, level: float = 0.95
                      ) -> tuple[float, float]:
    """Percentile interval of ``fn(rows)`` over resamples of whole clusters (``clusters``:
    each row's cluster label; ``fn`` takes the selected row indices)."""
    labels, inv = np.unique(clusters, return_inverse=True)
    if labels.size < 2:
        return float("nan"), float("nan")
    members = np.split(np.argsort(inv, kind="stable"), np.cumsum(np.bincount(inv))[:-1])
    rng = np.random.Generator(np.random.PCG64(seed))
    vals = []
    for _ in range(draws):
        pick = rng.integers(0, labels.size, labels.size)
        rows = np.concatenate([members[i] for i in pick])
        v = fn(rows)
        if v == v:
            vals.append(v)
    if not vals:
        return float("nan"), float("nan")
    a = (1 - level) / 2
    return float(np.quantile(vals, a)), float(np.quantile(vals, 1 - a))
