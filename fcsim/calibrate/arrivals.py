"""Arrival rates per category by hour of the week, with counts and exposure.

Arrivals are the attempt-1 ``received`` events (the simulator's arrival instants). The window
``[start, end)`` is the simulated run's (manifest ``window``) or, for a recorded log, the whole
hours from the first to the last arrival. Each hour of the week (0 = Monday 00:00 local time)
has an **exposure**: the hours of the window that fall in it.

A scenario describes a category's rate as ``daily rate × hourly[h] × weekly[d]`` (normalised
to a weekly mean of 1, :mod:`fcsim.scenarios.calendar`). :func:`arrival_rates` fits that
product form by Poisson maximum likelihood (iterative proportional fitting of the day and hour
margins against the exposure) and reports its deviance against the saturated 168-slot model
(a large deviance says the hour-by-day interaction matters and the product form is only an
approximation). The daily rate has an exact (Garwood) Poisson 95 % interval.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo

import numpy as np
import pandas as pd
from scipy import stats

from fcsim.eventlog import EventLog

__all__ = ["ArrivalFit", "CategoryArrivals", "arrival_rates", "arrival_times", "day_dispersion",
           "log_window"]

_HOUR = pd.Timedelta(hours=1)


@dataclass(frozen=True)
class CategoryArrivals:
    """One category's fitted arrival model."""

    category: str
    n: int
    per_day: float
    per_day_ci: tuple[float, float]
    hourly: tuple[float, ...]  # 24 weights, mean 1
    weekly: tuple[float, ...]  # 7 weights (Monday first), mean 1
    deviance: float  # product form vs saturated 168-slot model
    df: int
    p_value: float


@dataclass(frozen=True)
class ArrivalFit:
    """Arrival counts and fitted rates of a log."""

    start: pd.Timestamp
    end: pd.Timestamp
    tz: tzinfo
    days: float
    table: pd.DataFrame  # category, hour_of_week, count, exposure_h, rate_per_h
    categories: dict[str, CategoryArrivals]


def log_window(log: EventLog) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The arrival window: the manifest's, else whole hours around the arrivals."""
    win = log.manifest.get("window") if log.manifest else None
    if win:
        return (pd.Timestamp(win[0]).tz_convert("UTC"), pd.Timestamp(win[1]).tz_convert("UTC"))
    t = arrival_times(log)["received"]
    if t.empty:
        raise ValueError("log has no attempt-1 'received' event: no arrivals to calibrate")
    return t.min().floor("h"), t.max().floor("h") + _HOUR


def arrival_times(log: EventLog) -> pd.DataFrame:
    """ticket_id, scenario key (_s, _r), category and attempt-1 ``received`` time (UTC)."""
    ev = log.events
    sel = ev[(ev["attempt"] == 1) & (ev["activity"].astype(str) == "received")]
    key = [sel["scenario"].astype(object).fillna("").astype(str),
           pd.to_numeric(sel["replication"].astype(object)).astype("Int64").fillna(-1),
           sel["ticket_id"].astype(str)]
    first = sel.groupby(key, sort=False)["timestamp"].min()
    first.index.names = ["_s", "_r", "ticket_id"]
    out = first.rename("received").reset_index()
    tk = log.tickets
    cat = pd.DataFrame({
        "_s": tk["scenario"].astype(object).fillna("").astype(str),
        "_r": pd.to_numeric(tk["replication"].astype(object)).astype("Int64").fillna(-1),
        "ticket_id": tk["ticket_id"].astype(str), "category": tk["category"].astype(str)})
    return out.merge(cat, on=["_s", "_r", "ticket_id"], how="left")


def _how(ts: pd.Series, tz: tzinfo) -> np.ndarray:
    local = pd.to_datetime(ts, utc=True).dt.tz_convert(tz)
    return (local.dt.day_of_week * 24 + local.dt.hour).to_numpy(np.int64)


def _local_dates(ts: pd.Series | pd.DatetimeIndex, tz: tzinfo) -> np.ndarray:
    return np.asarray(pd.to_datetime(pd.Series(ts), utc=True).dt.tz_convert(tz).dt.date,
                      dtype=object)


def _in(dates: np.ndarray, skip: frozenset[date]) -> np.ndarray:
    """Mask of the ``dates`` in ``skip``."""
    return np.fromiter((d in skip for d in dates), bool, len(dates))


def _exposure(start: pd.Timestamp, end: pd.Timestamp, tz: tzinfo,
              exclude: frozenset[date] = frozenset()) -> np.ndarray:
    """Hours of [start, end) in each hour of the week (local), the ``exclude``d local dates
    left out."""
    out = np.zeros(168)
    hours = pd.date_range(start.floor("h"), end, freq="h", inclusive="left")
    if len(hours) == 0:
        return out
    lo = np.maximum(hours, start)
    hi = np.minimum(hours + _HOUR, end)
    frac = ((hi - lo) / _HOUR).to_numpy(float).copy()
    if exclude:
        frac[_in(_local_dates(hours, tz), exclude)] = 0.0
    np.add.at(out, _how(pd.Series(hours), tz), frac)
    return out


def _product_fit(counts: np.ndarray, expo: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Poisson MLE of counts[d, h] ~ expo[d, h] · a[d] · b[h] (IPF on the margins)."""
    a, b = np.ones(7), np.ones(24)
    for _ in range(200):
        den_b = (expo * a[:, None]).sum(axis=0)
        b_new = np.divide(counts.sum(axis=0), den_b, out=np.zeros(24), where=den_b > 0)
        den_a = (expo * b_new[None, :]).sum(axis=1)
        a_new = np.divide(counts.sum(axis=1), den_a, out=np.zeros(7), where=den_a > 0)
        done = np.allclose(a_new, a, rtol=1e-10) and np.allclose(b_new, b, rtol=1e-10)
        a, b = a_new, b_new
        if done:
            break
    return a, b


def _deviance(counts: np.ndarray, mu: np.ndarray) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(counts > 0, counts * np.log(counts / mu), 0.0) - (counts - mu)
    return float(2 * np.nansum(term))


def _garwood(n: int, exposure_days: float) -> tuple[float, float]:
    lo = stats.chi2.ppf(0.025, 2 * n) / 2 if n > 0 else 0.0
    hi = stats.chi2.ppf(0.975, 2 * n + 2) / 2
    return float(lo / exposure_days), float(hi / exposure_days)


def arrival_rates(log: EventLog, *, tz: tzinfo = UTC,
                  window: tuple[datetime, datetime] | None = None,
                  pooled_below: int = 0, exclude: Iterable[date] = ()) -> ArrivalFit:
    """Hour-of-week arrival counts, exposure and fitted rates per category.

    Parameters
    ----------
    log
        The event log.
    tz
        Time zone of the hours of the week (the scenario's fixed UTC offset).
    window
        ``(start, end)`` of the arrival window; default :func:`log_window`.
    pooled_below
        A category with fewer arrivals takes the profile fitted to all categories together
        (its daily rate stays its own).
    exclude
        Local dates left out of the counts and the exposure (holidays: the rates are those
        of ordinary days).
    """
    start, end = (log_window(log) if window is None
                  else (pd.Timestamp(window[0]).tz_convert("UTC"),
                        pd.Timestamp(window[1]).tz_convert("UTC")))
    if not end > start:
        raise ValueError(f"arrival window is empty: [{start}, {end})")
    arr = arrival_times(log)
    arr = arr[(arr["received"] >= start) & (arr["received"] < end)]
    n_runs = max(1, arr[["_s", "_r"]].drop_duplicates().shape[0])
    skip = frozenset(exclude)
    if skip:
        arr = arr[~_in(_local_dates(arr["received"], tz), skip)]
    expo = _exposure(start, end, tz, skip) * n_runs
    days = float(expo.sum() / 24.0)
    how = _how(arr["received"], tz)
    rows = []
    cats: dict[str, CategoryArrivals] = {}
    all_counts = np.bincount(how, minlength=168).astype(float)
    a_all, b_all = _product_fit(all_counts.reshape(7, 24), expo.reshape(7, 24))
    for c in sorted(arr["category"].dropna().unique()):
        counts = np.bincount(how[(arr["category"] == c).to_numpy()], minlength=168).astype(float)
        n = int(counts.sum())
        a, b = (_product_fit(counts.reshape(7, 24), expo.reshape(7, 24)) if n >= pooled_below
                else (a_all, b_all))
        w = np.outer(a, b).ravel()
        w = w / w.mean() if w.mean() > 0 else np.ones(168)
        eff_days = float(np.sum(w * expo) / 24.0)  # exposure weighted by the profile
        mu = w * expo * (n / (24.0 * eff_days)) if eff_days > 0 else np.zeros(168)
        dev = _deviance(counts, mu)
        df = int(np.sum(expo > 0)) - 30
        per_day = n / eff_days if eff_days > 0 else math.nan
        cats[c] = CategoryArrivals(
            category=c, n=n, per_day=per_day, per_day_ci=_garwood(n, eff_days),
            hourly=tuple(float(x) for x in b / b.mean()) if b.mean() > 0 else (1.0,) * 24,
            weekly=tuple(float(x) for x in a / a.mean()) if a.mean() > 0 else (1.0,) * 7,
            deviance=dev, df=df,
            p_value=float(stats.chi2.sf(dev, df)) if df > 0 else math.nan,
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(expo > 0, counts / expo, np.nan)
        rows.append(pd.DataFrame({"category": c, "hour_of_week": np.arange(168),
                                  "count": counts.astype(int), "exposure_h": expo,
                                  "rate_per_h": rate}))
    table = (pd.concat(rows, ignore_index=True) if rows else
             pd.DataFrame(columns=["category", "hour_of_week", "count", "exposure_h",
                                   "rate_per_h"]))
    return ArrivalFit(start=start, end=end, tz=tz, days=days / n_runs, table=table,
                      categories=cats)


def day_dispersion(log: EventLog, *, tz: tzinfo = UTC,
                   window: tuple[datetime, datetime] | None = None,
                   exclude: Iterable[date] = ()) -> tuple[float, int]:
    """Coefficient of variation of a gamma day factor, by the method of moments.

    Daily arrival counts ``n_d`` (all categories, whole local days inside the window) are
    compared with their weekday's mean ``m_d``: a mixed Poisson count with a mean-1 day factor
    of variance ``c²`` has ``Var = m + c² m²``, so
    ``c² = max(0, Σ((n_d − m_d)² − m_d) / Σ m_d²)``. Returns ``(c, number of days)``; ``c`` is
    0 with fewer than 14 days. A trend inside the window shows up as over-dispersion too (the
    intervals widen: honest about it, not explained by it). The ``exclude``d local dates
    (holidays) are left out.
    """
    start, end = (log_window(log) if window is None
                  else (pd.Timestamp(window[0]).tz_convert("UTC"),
                        pd.Timestamp(window[1]).tz_convert("UTC")))
    arr = arrival_times(log)
    arr = arr[(arr["received"] >= start) & (arr["received"] < end)]
    first = (start.tz_convert(tz).normalize() + pd.Timedelta(days=1)
             if start.tz_convert(tz) != start.tz_convert(tz).normalize()
             else start.tz_convert(tz))
    last = end.tz_convert(tz).normalize()
    days = pd.date_range(first, last, freq="D", inclusive="left")
    skip = frozenset(exclude)
    if skip:
        days = days[~_in(np.asarray(days.date, dtype=object), skip)]
    if len(days) < 14:
        return 0.0, len(days)
    local = arr["received"].dt.tz_convert(tz).dt.normalize()
    counts = local.value_counts().reindex(days, fill_value=0).to_numpy(float)
    wd = np.asarray(days.day_of_week)
    mean_w = np.array([counts[wd == w].mean() if (wd == w).any() else 0.0 for w in range(7)])
    m = mean_w[wd]
    den = float((m * m).sum())
    if den <= 0:
        return 0.0, len(days)
    c2 = max(0.0, float(((counts - m) ** 2 - m).sum()) / den)
    return float(np.sqrt(c2)), len(days)
