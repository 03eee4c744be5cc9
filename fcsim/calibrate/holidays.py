"""Holiday calendar of a training log: days far below what the weekday profile predicts.

Daily arrival counts ``n_d`` (all categories, whole local days of the window) are compared with
their weekday's mean ``m_d`` over the ordinary days. Under the scenario's arrival law a day's
count is gamma-Poisson (negative binomial) with mean ``m_d`` and variance ``m_d + c² m_d²``
(``c`` the gamma day factor's coefficient of variation, :func:`fcsim.calibrate.arrivals.
day_dispersion`'s estimator on the ordinary days). A day is a **holiday** when its one-sided
lower-tail p-value ``P(N ≤ n_d)`` is below ``level / D`` (Bonferroni over the ``D`` days
tested, ``level`` = 0.01 by default). Weekday means and ``c`` are re-estimated without the
detected days until the set no longer changes (a holiday inflates ``c`` and lowers its
weekday's mean, which hides the next one).

The holiday **rate factor** is ``Σ n_d / Σ m_d`` over the holidays (the scenario's
``holiday_factor``: a holiday keeps its weekday's hour profile), with an exact Poisson 95 %
interval for the count. A given calendar (one ISO date per line) replaces the detection; its
factor is estimated the same way from its dates inside the window.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, tzinfo
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["HolidayFit", "daily_counts", "detect_holidays", "next_year", "read_calendar",
           "weekday_means"]


@dataclass(frozen=True)
class HolidayFit:
    """The holiday calendar of a window and its evidence."""

    holidays: tuple[date, ...]  # detected (or given) dates inside the window
    factor: float | None  # Σ n / Σ m over them (None: no holiday in the window)
    factor_ci: tuple[float, float] | None
    cv: float  # day factor's c on the ordinary days
    level: float
    n_days: int
    given: bool
    days: tuple[dict[str, Any], ...] = field(default=())  # date, weekday, count, expected, p

    def evidence(self) -> dict[str, Any]:
        """JSON-ready evidence (the calibration's report)."""
        return {"method": "given calendar" if self.given else
                "one-sided gamma-Poisson lower tail, Bonferroni over the days tested",
                "level": self.level, "n_days_tested": self.n_days, "day_factor_cv": self.cv,
                "holidays": [d.isoformat() for d in self.holidays],
                "factor": self.factor,
                "factor_ci95": list(self.factor_ci) if self.factor_ci else None,
                "days": list(self.days)}


def read_calendar(path: str | Path) -> tuple[date, ...]:
    """Dates of a calendar file: one ISO date (``YYYY-MM-DD``) per line; ``#`` comments and
    blank lines ignored. A bad line is an error naming the file and line."""
    p = Path(path)
    out: list[date] = []
    for k, raw in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1):
        text = raw.split("#", 1)[0].strip()
        if not text:
            continue
        try:
            out.append(date.fromisoformat(text))
        except ValueError:
            raise ValueError(f"{p}: line {k}: {text!r} is not an ISO date (YYYY-MM-DD)"
                             ) from None
    return tuple(sorted(set(out)))


def daily_counts(received: pd.Series, start: pd.Timestamp, end: pd.Timestamp,
                 tz: tzinfo) -> pd.Series:
    """Arrivals per whole local day of ``[start, end)`` (index: local midnights)."""
    s, e = start.tz_convert(tz), end.tz_convert(tz)
    first = s.normalize() + pd.Timedelta(days=1) if s != s.normalize() else s
    days = pd.date_range(first, e.normalize(), freq="D", inclusive="left")
    local = pd.to_datetime(received, utc=True).dt.tz_convert(tz).dt.normalize()
    return local.value_counts().reindex(days, fill_value=0).astype(float)


def weekday_means(counts: pd.Series, ordinary: np.ndarray) -> np.ndarray:
    """Each day's expected count: its weekday's mean over the ``ordinary`` days."""
    wd = np.asarray(counts.index.day_of_week)
    v = counts.to_numpy(float)
    mean_w = np.array([v[ordinary & (wd == w)].mean() if (ordinary & (wd == w)).any()
                       else 0.0 for w in range(7)])
    return mean_w[wd]


def _cv(v: np.ndarray, m: np.ndarray) -> float:
    den = float((m * m).sum())
    return float(np.sqrt(max(0.0, float(((v - m) ** 2 - m).sum()) / den))) if den > 0 else 0.0


def _lower_p(n: np.ndarray, m: np.ndarray, cv: float) -> np.ndarray:
    if cv <= 0:
        return np.asarray(stats.poisson.cdf(n, m), float)
    r = 1.0 / (cv * cv)
    return np.asarray(stats.nbinom.cdf(n, r, r / (r + m)), float)


def _factor(n: float, m: float) -> tuple[float | None, tuple[float, float] | None]:
    if m <= 0:
        return None, None
    lo = stats.chi2.ppf(0.025, 2 * n) / 2 if n > 0 else 0.0
    hi = stats.chi2.ppf(0.975, 2 * n + 2) / 2
    return n / m, (float(lo / m), float(hi / m))


def detect_holidays(counts: pd.Series, *, level: float = 0.01,
                    given: Iterable[date] | None = None, min_days: int = 28) -> HolidayFit:
    """Holidays among the days of ``counts`` (:func:`daily_counts`); see the module docstring.

    Parameters
    ----------
    counts
        Arrivals per whole local day.
    level
        Family-wise level of the detection (Bonferroni over the days).
    given
        A calendar: its dates are the holidays (no detection).
    min_days
        Fewer days: nothing is detected (the weekday means are too uncertain).
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    v = counts.to_numpy(float)
    dates = [d.date() for d in counts.index]
    n_days = len(v)
    if given is not None:
        cal = set(given)
        hol = np.array([d in cal for d in dates], bool)
    else:
        hol = np.zeros(n_days, bool)
    if n_days == 0:
        return HolidayFit((), None, None, 0.0, level, 0, given is not None)
    p = np.ones(n_days)
    for _ in range(20):
        m = weekday_means(counts, ~hol)
        cv = _cv(v[~hol], m[~hol])
        p = _lower_p(v, m, cv)
        if given is not None or n_days < min_days:
            break
        new = p < level / n_days
        if np.array_equal(new, hol):
            break
        hol = new
    m = weekday_means(counts, ~hol)
    fac, ci = _factor(float(v[hol].sum()), float(m[hol].sum()))
    rows = tuple({"date": dates[i].isoformat(), "weekday": int(counts.index[i].day_of_week),
                  "count": int(v[i]), "expected": round(float(m[i]), 3),
                  "p_lower": float(p[i]), "bonferroni_p": float(min(1.0, p[i] * n_days))}
                 for i in np.flatnonzero(hol))
    return HolidayFit(holidays=tuple(dates[i] for i in np.flatnonzero(hol)), factor=fac,
                      factor_ci=ci, cv=cv, level=level, n_days=n_days,
                      given=given is not None, days=rows)


def next_year(days: Sequence[date]) -> tuple[date, ...]:
    """The same calendar dates a year later (29 February → 28 February)."""
    out = []
    for d in days:
        try:
            out.append(d.replace(year=d.year + 1))
        except ValueError:
            out.append(d.replace(year=d.year + 1, day=28))
    return tuple(out)
