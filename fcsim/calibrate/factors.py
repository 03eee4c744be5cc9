"""Hour-of-day and resource effects on stage durations, with the evidence that they matter.

Both work on the log-durations of the stage samples (:func:`fcsim.calibrate.passes.
stage_samples`; positive values only).

**Hour** (:func:`hour_factors`), per logged activity that ends a stage: the local hour of day of
the stage's start. An hour's factor is the ratio of its median to the activity's overall
median, shrunk toward 1 by its sample size ``n_h``: ``1 + n_h / (n_h + K) · (ratio − 1)``
(``K`` = :data:`SHRINK_N`); hours with fewer than :data:`MIN_HOUR_N` values get 1. The factors
are then divided by their sample-weighted mean, so the stage's mean is kept (the fitted
distribution already holds it). The evidence is a Gaussian likelihood-ratio test and AIC
comparison of the log-durations with and without hour means (hours below
:data:`MIN_HOUR_N` pooled): an activity gets factors only when AIC prefers the hour effects.

**Resource** (:func:`resource_sigma`), per role: log-durations centred by their stage's mean,
grouped by the resource that ended the stage (resources with fewer than :data:`MIN_RES_N`
values left out), one-way random-effects ANOVA (unbalanced: ``n0 = (N − Σnᵢ²/N)/(k − 1)``):
``σ_b² = max(0, (MSB − MSW) / n0)``, its 95 % interval from the F distribution of
``MSB/MSW`` (``σ_b²/σ_w² ∈ [(F/F_hi − 1)/n0, (F/F_lo − 1)/n0]``), the variance share
``σ_b²/(σ_b² + σ_w²)`` and the F-test's p-value. The simulator gives each member a lognormal
speed factor ``exp(σ_b Z − σ_b²/2)`` (:mod:`fcsim.sim.duration_factors`).

**De-convolution** (:func:`deconvolve`): the simulator multiplies a stage's drawn duration by
its hour factor and by the member's speed factor, so the distributions are fitted to the
samples with those effects divided out — each value by its hour's factor (activities whose
factors are used) and by ``exp(b̂ᵣ)``, ``b̂ᵣ = nᵣσ_b² / (nᵣσ_b² + σ_w²) · ȳᵣ`` the best linear
unbiased predictor of its resource's effect (``ȳᵣ`` its mean centred log-duration) — then
scaled back to each sample's own mean. Without it, the factors would add their spread on top
of a distribution that already holds it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["MIN_HOUR_N", "MIN_RES_N", "SHRINK_N", "HourFit", "ResourceFit", "deconvolve",
           "hour_factors", "random_effects", "resource_sigma"]

#: fewest values for an hour of its own
MIN_HOUR_N = 10
#: shrinkage constant: an hour with this many values keeps half its ratio
SHRINK_N = 30
#: fewest values for a resource in the variance components
MIN_RES_N = 5
#: activities that are not staff work (the customer's decision)
_NOT_WORK = frozenset({"accepted", "rejected", ""})


@dataclass(frozen=True)
class HourFit:
    """One activity's hour factors and the evidence for them."""

    activity: str
    n: int
    factors: tuple[float, ...]  # 24
    n_by_hour: tuple[int, ...]
    lr: float
    df: int
    p_value: float
    delta_aic: float  # AIC without hours − AIC with hours (> 0: hours help)

    @property
    def helps(self) -> bool:
        return self.delta_aic > 0

    def evidence(self) -> dict[str, Any]:
        return {"n": self.n, "lr": self.lr, "df": self.df, "p_value": self.p_value,
                "delta_aic": self.delta_aic, "used": self.helps,
                "factors": [round(f, 4) for f in self.factors],
                "n_by_hour": list(self.n_by_hour)}


@dataclass(frozen=True)
class ResourceFit:
    """One role's between-resource σ (log scale) and its evidence."""

    role: str
    n: int
    resources: int
    sigma: float
    sigma_ci: tuple[float, float]
    sigma_within: float
    share: float
    p_value: float

    def evidence(self) -> dict[str, Any]:
        return {"n": self.n, "resources": self.resources, "sigma": self.sigma,
                "sigma_ci95": list(self.sigma_ci), "sigma_within": self.sigma_within,
                "variance_share": self.share, "p_value": self.p_value}


def _is_work(samples: pd.DataFrame) -> pd.Series:
    """Positive staff-work samples with a known start: the ones the factors are fitted on."""
    return ((samples["value_min"] > 0) & samples["start_ms"].notna()
            & ~samples["activity"].astype(str).isin(_NOT_WORK))


def _positive(samples: pd.DataFrame) -> pd.DataFrame:
    return samples[_is_work(samples)]


def _local_hour(start_ms: pd.Series, tz: tzinfo) -> np.ndarray:
    t = pd.to_datetime(start_ms.to_numpy(np.int64), unit="ms", utc=True)
    return np.asarray(t.tz_convert(tz).hour, np.int64)


def _rss(y: np.ndarray, g: np.ndarray) -> float:
    means = pd.Series(y).groupby(g).transform("mean").to_numpy()
    return float(np.sum((y - means) ** 2))


def hour_factors(samples: pd.DataFrame, tz: tzinfo, *, min_n: int = 30) -> list[HourFit]:
    """Hour factors per activity with at least ``min_n`` positive values (module docstring)."""
    s = _positive(samples)
    out: list[HourFit] = []
    for act, g in s.groupby(s["activity"].astype(str), sort=True):
        if len(g) < min_n:
            continue
        x = g["value_min"].to_numpy(float)
        h = _local_hour(g["start_ms"], tz)
        n_h = np.bincount(h, minlength=24)
        med = float(np.median(x))
        f = np.ones(24)
        for k in range(24):
            if n_h[k] >= MIN_HOUR_N and med > 0:
                ratio = float(np.median(x[h == k])) / med
                f[k] = 1.0 + n_h[k] / (n_h[k] + SHRINK_N) * (ratio - 1.0)
        f = f / float(np.sum(n_h * f) / n_h.sum())
        y = np.log(x)
        grp = np.where(n_h[h] >= MIN_HOUR_N, h, -1)
        k_groups = len(np.unique(grp))
        rss0 = float(np.sum((y - y.mean()) ** 2))
        rss1 = _rss(y, grp)
        n = len(y)
        lr = n * math.log(rss0 / rss1) if rss1 > 0 and rss0 > 0 else 0.0
        df = k_groups - 1
        out.append(HourFit(
            activity=str(act), n=n, factors=tuple(float(v) for v in f),
            n_by_hour=tuple(int(v) for v in n_h), lr=lr, df=df,
            p_value=float(stats.chi2.sf(lr, df)) if df > 0 else math.nan,
            delta_aic=lr - 2 * df))
    return out


def random_effects(y: np.ndarray, groups: np.ndarray, *, conf: float = 0.95
                   ) -> tuple[float, tuple[float, float], float, float, int]:
    """One-way random-effects ANOVA: ``(σ_b, its interval at confidence conf, σ_w, p, k)`` of
    ``y`` by ``groups`` (see the module docstring)."""
    df = pd.DataFrame({"y": y, "g": groups})
    stats_g = df.groupby("g")["y"].agg(["size", "mean"])
    k, n = len(stats_g), len(df)
    if k < 2 or n - k < 1:
        return math.nan, (math.nan, math.nan), math.nan, math.nan, k
    grand = float(df["y"].mean())
    ssb = float(np.sum(stats_g["size"] * (stats_g["mean"] - grand) ** 2))
    ssw = float(np.sum((df["y"] - df["g"].map(stats_g["mean"])) ** 2))
    msb, msw = ssb / (k - 1), ssw / (n - k)
    n0 = (n - float(np.sum(stats_g["size"] ** 2)) / n) / (k - 1)
    sb2 = max(0.0, (msb - msw) / n0)
    if msw <= 0:  # no variation within a resource: no F distribution to lean on
        return math.sqrt(sb2), (math.nan, math.nan), 0.0, math.nan, k
    f = msb / msw
    lo_q = stats.f.ppf(0.5 + conf / 2, k - 1, n - k)
    hi_q = stats.f.ppf(0.5 - conf / 2, k - 1, n - k)
    lo = math.sqrt(max(0.0, (f / lo_q - 1) / n0) * msw)
    hi = math.sqrt(max(0.0, (f / hi_q - 1) / n0) * msw)
    return (math.sqrt(sb2), (lo, hi), math.sqrt(msw), float(stats.f.sf(f, k - 1, n - k)), k)


RoleLogs = tuple[str, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _role_logs(samples: pd.DataFrame) -> Iterator[RoleLogs]:
    """Per role: the work samples' positions in ``samples``, their log-durations centred by
    their stage's mean, their resources, and which resources have at least
    :data:`MIN_RES_N` values."""
    s = _positive(samples.reset_index(drop=True))
    s = s[s["resource"].notna() & s["role"].notna()]
    for role, g in s.groupby(s["role"].astype(str), sort=True):
        y = np.log(g["value_min"].to_numpy(float))
        y = y - pd.Series(y).groupby(g["stage"].astype(str).to_numpy()).transform("mean") \
            .to_numpy()
        res = g["resource"].astype(str).to_numpy()
        counts = pd.Series(res).value_counts()
        yield (str(role), g.index.to_numpy(), y, res,
               np.isin(res, counts.index[counts >= MIN_RES_N]))


def resource_sigma(samples: pd.DataFrame, *, min_n: int = 30) -> list[ResourceFit]:
    """Between-resource σ per role of the stage's resource (module docstring)."""
    out: list[ResourceFit] = []
    for role, _at, y, res, keep in _role_logs(samples):
        if keep.sum() < min_n:
            continue
        sb, ci, sw, p, k = random_effects(y[keep], res[keep])
        if not math.isfinite(sb):
            continue
        out.append(ResourceFit(role=str(role), n=int(keep.sum()), resources=k, sigma=sb,
                               sigma_ci=ci, sigma_within=sw,
                               share=sb * sb / (sb * sb + sw * sw) if sw > 0 else math.nan,
                               p_value=p))
    return out


def _blup(y: np.ndarray, res: np.ndarray, fit: ResourceFit) -> dict[str, float]:
    """Per resource (with at least :data:`MIN_RES_N` values): the best linear unbiased
    predictor of its effect, ``nᵣσ_b² / (nᵣσ_b² + σ_w²) · ȳᵣ`` of the centred log-durations."""
    g = pd.Series(y).groupby(res).agg(["size", "mean"])
    sb2, sw2 = fit.sigma ** 2, fit.sigma_within ** 2
    if sb2 <= 0:  # no between-resource spread: no effect to predict
        return {str(r): 0.0 for r in g.index}
    shrink = g["size"] * sb2 / (g["size"] * sb2 + sw2)
    return {str(r): float(v) for r, v in (shrink * g["mean"]).items()}


def deconvolve(samples: pd.DataFrame, tz: tzinfo, hours: Sequence[HourFit],
               resources: Sequence[ResourceFit]) -> pd.DataFrame:
    """``samples`` with the used hour factors (``hours`` whose evidence helps) and the
    resource effects of ``resources`` divided out of each work value, then the work values of
    every (field, category) scaled back to their own sum, so that each sample keeps its mean
    (module docstring). Other rows are unchanged; nothing to divide returns ``samples``."""
    work = _is_work(samples).to_numpy()
    div = np.ones(len(samples))
    act = samples["activity"].astype(str).to_numpy()
    for h in hours:
        m = work & (act == h.activity)
        if h.helps and m.any():
            div[m] *= np.asarray(h.factors)[_local_hour(samples["start_ms"][m], tz)]
    fits = {f.role: f for f in resources}
    if fits:  # one pass over the roles' centred log-durations
        for role, at, y, res, keep in _role_logs(samples):
            if role in fits:
                eff = _blup(y[keep], res[keep], fits[role])
                div[at[keep]] *= np.exp([eff[r] for r in res[keep]])
    if np.all(div == 1.0):
        return samples
    raw = samples["value_min"].to_numpy(float)
    value = np.where(work, raw / div, raw)
    keys = [samples["field"].astype(str).to_numpy(), samples["category"].astype(str).to_numpy()]
    back = (pd.Series(np.where(work, raw, 0.0)).groupby(keys).transform("sum")
            / pd.Series(np.where(work, value, 0.0)).groupby(keys).transform("sum")).to_numpy()
    return samples.assign(value_min=np.where(work, value * back, raw))
