"""Fitting stage durations: lognormal, gamma, Weibull and exponential by maximum likelihood.

:func:`fit_duration` fits every family with :mod:`scipy.stats` (location fixed at 0), compares
them by AIC and reports, for each, the Kolmogorov–Smirnov statistic and p-value and the
Anderson–Darling statistic against the fitted distribution (both computed with the fitted
parameters, so the p-value is optimistic: it is a screen, not a test). The family with the
lowest AIC wins among those whose mean lies in the sample mean's 99.9 % interval (normal
approximation, ``x̄ ± 3.29 s/√n`` on the positive values): the mean carries the load a stage
puts on its staff, and a heavy-tailed fit (a lognormal of huge σ) can hold a mean many times
the sample's while fitting its bulk best. Its parameters come in the scenario's
parameterisation (lognormal and gamma: ``mean`` and ``cv``; Weibull: ``shape`` and ``scale``;
exponential: ``mean``) with 95 % Wald intervals from the observed information (delta
method).

An empirical distribution (the means of 200 equal-count groups of the sorted sample) is used
only with a stated reason: more than 5 % of the values are exactly 0 (no continuous family has
an atom there), every family is rejected (KS p < ``reject_p``) on at least 50 values, or no
family keeps the sample's mean. A sample whose values are all equal gives a fixed duration.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from fcsim.kpi.stats import Z95

__all__ = ["FAMILIES", "DurationFit", "FamilyFit", "family_mean", "fit_duration"]

FAMILIES: tuple[str, ...] = ("lognormal", "gamma", "weibull", "exponential")
_Z999 = float(stats.norm.ppf(0.9995))
_N_QUANTILES = 200


@dataclass(frozen=True)
class FamilyFit:
    """One family's maximum-likelihood fit and its goodness of fit."""

    family: str
    params: dict[str, float]  # scenario parameterisation
    ci: dict[str, tuple[float, float]]  # 95 % Wald intervals of ``params``
    loglik: float
    aic: float
    ks: float
    ks_p: float
    ad: float


@dataclass(frozen=True)
class DurationFit:
    """The chosen distribution of one sample, with every family's fit for comparison."""

    n: int
    n_zero: int
    mean: float
    dist: dict[str, Any]  # a scenario distribution table, e.g. {"dist": "lognormal", ...}
    best: FamilyFit | None
    fits: tuple[FamilyFit, ...] = ()
    reason: str = ""  # why the chosen form is not the best family (empirical / fixed)
    notes: tuple[str, ...] = field(default=())


def _scipy(family: str, theta: np.ndarray) -> Any:
    """Frozen scipy distribution of ``family`` at log-parameters ``theta``."""
    a, b = np.exp(theta[0]), np.exp(theta[-1])
    if family == "lognormal":  # theta = (log sigma, mu): mu is not logged
        return stats.lognorm(s=a, scale=math.exp(theta[1]))
    if family == "gamma":
        return stats.gamma(a, scale=b)
    if family == "weibull":
        return stats.weibull_min(a, scale=b)
    return stats.expon(scale=a)


def _mle(family: str, x: np.ndarray) -> np.ndarray:
    if family == "lognormal":
        lx = np.log(x)
        return np.array([math.log(max(float(lx.std()), 1e-12)), float(lx.mean())])
    if family == "exponential":
        return np.array([math.log(float(x.mean()))])
    dist = stats.gamma if family == "gamma" else stats.weibull_min
    c, _, scale = dist.fit(x, floc=0)
    return np.array([math.log(c), math.log(scale)])


def _scenario_params(family: str, theta: np.ndarray) -> dict[str, float]:
    if family == "lognormal":
        s2 = math.exp(2 * theta[0])
        return {"mean": math.exp(theta[1] + s2 / 2), "cv": math.sqrt(math.expm1(s2))}
    if family == "gamma":
        k, sc = math.exp(theta[0]), math.exp(theta[1])
        return {"mean": k * sc, "cv": 1 / math.sqrt(k)}
    if family == "weibull":
        return {"shape": math.exp(theta[0]), "scale": math.exp(theta[1])}
    return {"mean": math.exp(theta[0])}


def _hessian(f: Callable[[np.ndarray], float], x0: np.ndarray) -> np.ndarray:
    k = len(x0)
    h = 1e-4 * np.maximum(1.0, np.abs(x0))
    out = np.empty((k, k))
    for i in range(k):
        for j in range(i, k):
            ei, ej = np.eye(k)[i] * h[i], np.eye(k)[j] * h[j]
            v = (f(x0 + ei + ej) - f(x0 + ei - ej) - f(x0 - ei + ej) + f(x0 - ei - ej))
            out[i, j] = out[j, i] = v / (4 * h[i] * h[j])
    return out


def _wald(family: str, theta: np.ndarray, x: np.ndarray) -> dict[str, tuple[float, float]]:
    def nll(t: np.ndarray) -> float:
        return -float(np.sum(_scipy(family, t).logpdf(x)))

    names = list(_scenario_params(family, theta))
    try:
        cov = np.linalg.inv(_hessian(nll, theta))
    except np.linalg.LinAlgError:
        return {k: (math.nan, math.nan) for k in names}
    out: dict[str, tuple[float, float]] = {}
    base = _scenario_params(family, theta)
    for name in names:
        grad = np.empty(len(theta))
        for i in range(len(theta)):
            d = np.zeros(len(theta))
            d[i] = 1e-6 * max(1.0, abs(theta[i]))
            grad[i] = (_scenario_params(family, theta + d)[name]
                       - _scenario_params(family, theta - d)[name]) / (2 * d[i])
        var = float(grad @ cov @ grad)
        se = math.sqrt(var) if var > 0 else math.nan
        out[name] = (base[name] - Z95 * se, base[name] + Z95 * se)
    return out


def _anderson_darling(cdf: np.ndarray) -> float:
    n = len(cdf)
    u = np.clip(np.sort(cdf), 1e-300, 1 - 1e-16)
    i = np.arange(1, n + 1)
    return float(-n - np.sum((2 * i - 1) * (np.log(u) + np.log1p(-u[::-1]))) / n)


@np.errstate(over="ignore")  # a nearly constant sample: a huge shape (AIC judges it)
def _fit_family(family: str, x: np.ndarray) -> FamilyFit:
    theta = _mle(family, x)
    d = _scipy(family, theta)
    ll = float(np.sum(d.logpdf(x)))
    ks = stats.kstest(x, d.cdf)
    return FamilyFit(
        family=family, params=_scenario_params(family, theta), ci=_wald(family, theta, x),
        loglik=ll, aic=2 * len(theta) - 2 * ll, ks=float(ks.statistic), ks_p=float(ks.pvalue),
        ad=_anderson_darling(d.cdf(x)),
    )


def _table(fit: FamilyFit) -> dict[str, Any]:
    return {"dist": fit.family, **{k: float(f"{v:.6g}") for k, v in fit.params.items()}}


def _empirical(x: np.ndarray) -> dict[str, Any]:
    """At most 200 values: the means of equal-count groups of the sorted sample (keeps the
    sample mean and the tail's weight, unlike plain quantiles)."""
    groups = np.array_split(np.sort(x), min(_N_QUANTILES, len(x)))
    return {"dist": "empirical", "values": [float(f"{g.mean():.6g}") for g in groups]}


def fit_duration(values: Sequence[float] | np.ndarray, *,
                 families: Sequence[str] = FAMILIES, reject_p: float = 1e-3) -> DurationFit:
    """Fit the families to ``values`` (minutes, >= 0) and choose one.

    Parameters
    ----------
    values
        The sample; NaN and negative values are an error.
    families
        Families to fit (subset of :data:`FAMILIES`).
    reject_p
        KS p-value below which a family counts as rejected (for the empirical fallback).

    Returns
    -------
    DurationFit
        ``dist`` is the table to write into a scenario.
    """
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        raise ValueError("fit_duration: empty sample")
    if not np.all(np.isfinite(x)) or x.min() < 0:
        raise ValueError("fit_duration: values must be finite and >= 0")
    unknown = set(families) - set(FAMILIES)
    if unknown:
        raise ValueError(f"fit_duration: unknown families {sorted(unknown)}")
    n, n_zero, mean = int(x.size), int(np.sum(x == 0)), float(x.mean())
    if np.ptp(x) == 0:
        return DurationFit(n, n_zero, mean, {"dist": "fixed", "value": float(x[0])}, None,
                           reason="every value is the same")
    pos = x[x > 0]
    fits = tuple(sorted((_fit_family(f, pos) for f in families), key=lambda f: f.aic)) \
        if pos.size >= 2 and np.ptp(pos) > 0 else ()
    best = fits[0] if fits else None
    notes: list[str] = []
    if n_zero > 0.05 * n:
        return DurationFit(n, n_zero, mean, _empirical(x), best, fits,
                           reason=f"{n_zero} of {n} values are exactly 0 (simultaneous "
                                  "events); no continuous family has an atom at 0")
    if best is None:
        return DurationFit(n, n_zero, mean, {"dist": "fixed", "value": mean}, None,
                           reason="fewer than two distinct positive values")
    if n_zero:
        notes.append(f"{n_zero} zero value(s) left out of the fit")
    if n >= 50 and all(f.ks_p < reject_p for f in fits):
        return DurationFit(n, n_zero, mean, _empirical(x), best, fits,
                           reason=f"every family rejected by KS (best {best.family}: "
                                  f"D = {best.ks:.3f}, p = {best.ks_p:.1e}, n = {n})",
                           notes=tuple(notes))
    lo, hi = _mean_band(pos)
    keeps = [f for f in fits if lo <= family_mean(f) <= hi]
    if not keeps:
        return DurationFit(n, n_zero, mean, _empirical(x), best, fits,
                           reason=f"no family keeps the sample's mean (best {best.family}: "
                                  f"mean {family_mean(best):.4g} outside [{lo:.4g}, {hi:.4g}])",
                           notes=tuple(notes))
    if keeps[0] is not best:
        notes.append(f"{best.family} (lowest AIC) not chosen: its mean {family_mean(best):.4g} "
                     f"lies outside the sample mean's 99.9 % interval [{lo:.4g}, {hi:.4g}]")
    return DurationFit(n, n_zero, mean, _table(keeps[0]), keeps[0], fits, notes=tuple(notes))


def _mean_band(pos: np.ndarray) -> tuple[float, float]:
    """The positive sample's mean ± 3.29 standard errors (99.9 %, normal approximation)."""
    m, se = float(pos.mean()), float(pos.std(ddof=1)) / math.sqrt(pos.size)
    return m - _Z999 * se, m + _Z999 * se


def family_mean(fit: FamilyFit) -> float:
    """The mean of a fitted family (minutes)."""
    if fit.family == "weibull":
        return fit.params["scale"] * math.gamma(1.0 + 1.0 / fit.params["shape"])
    return fit.params["mean"]
