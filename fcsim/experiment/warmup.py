"""Warm-up rules: which early tickets a KPI evaluation leaves out.

A simulation starts empty and idle, so its first tickets wait less than in steady state. Two
rules, both turned into a KPI ``window`` (tickets whose first desk receipt is in
``[start, end)``; :func:`fcsim.kpi.evaluate` applies it):

* :class:`WholeWeeks` — for periodic scenarios (rates by hour of week): drop the tickets
  received in the first *k* whole weeks, keeping the weekly cycle's phase.
* :class:`Mser5` — for stationary scenarios (``mmc``-like): the MSER-5 truncation point
  (White 1997; Franklin & White 2008) of the series of hourly mean time in system (receipt to
  ``closed``, by hour of receipt, averaged over the replications), the largest over scenarios.

:func:`suggest_warmup` picks one from a scenario: :class:`Mser5` when every category has flat
hourly and weekly profiles and there is no monthly occupancy or holiday calendar, else
:class:`WholeWeeks` (1 week).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from fcsim.eventlog import EventLog

if TYPE_CHECKING:
    from fcsim.scenarios import Scenario

__all__ = ["Mser5", "WarmupRule", "WholeWeeks", "mser5_truncation", "suggest_warmup",
           "time_in_system_series", "warmup_window"]

log = logging.getLogger(__name__)

Window = tuple[pd.Timestamp | None, pd.Timestamp | None]


def mser5_truncation(values: Sequence[float] | np.ndarray, batch: int = 5) -> int:
    """MSER-5 truncation point: how many leading observations to delete.

    The series is cut into ``b = n // batch`` batch means ``Z_1..Z_b`` (a trailing partial
    batch is ignored). For ``d = 0 .. b // 2`` the statistic is
    ``MSER(d) = sum_{j>d} (Z_j - mean(Z_{d+1..b}))**2 / (b - d)**2``; the result is
    ``batch * d*`` for the smallest minimising ``d*``.

    Parameters
    ----------
    values
        The output series in time order (finite numbers).
    batch
        Batch size (5 for MSER-5; 1 gives plain MSER).

    Returns
    -------
    int
        Number of observations to delete (0 when the series has fewer than two batches).
    """
    y = np.asarray(values, dtype=float)
    if y.ndim != 1:
        raise ValueError(f"mser5_truncation needs a 1-d series, got shape {y.shape}")
    if not np.isfinite(y).all():
        raise ValueError(f"mser5_truncation: value at index {int(np.argmax(~np.isfinite(y)))} "
                         "is not finite")
    if batch < 1:
        raise ValueError(f"batch must be >= 1, got {batch}")
    b = y.size // batch
    if b < 2:
        return 0
    z = y[: b * batch].reshape(b, batch).mean(axis=1)
    d_max = b // 2
    stat = np.array([np.var(z[d:]) / (b - d) for d in range(d_max + 1)])
    # the smallest d whose statistic is minimal up to rounding
    tol = 1e-12 * (1.0 + float(np.abs(z).max())) ** 2
    best = int(np.flatnonzero(stat <= stat.min() + tol)[0])
    if best == d_max and b >= 4:
        log.warning("MSER-5: the truncation point is at the search limit (half the series); "
                    "the run is probably too short to reach steady state")
    return batch * best


def time_in_system_series(log_: EventLog, *, start: pd.Timestamp,
                          bin_h: float = 1.0) -> pd.DataFrame:
    """Mean time in system (minutes, receipt to first ``closed``) by bin of receipt time.

    Returns a frame with columns ``scenario``, ``bin`` (bin index from ``start``) and
    ``minutes`` (mean over the tickets of all replications received in that bin); tickets
    never closed are left out.
    """
    ev = log_.events
    first = ev.groupby("ticket_id", observed=True)["timestamp"].min()
    closed = ev[ev["activity"] == "closed"].groupby("ticket_id", observed=True)["timestamp"].min()
    both = pd.DataFrame({"received": first, "closed": closed}).dropna()
    scen = log_.tickets.set_index("ticket_id")["scenario"].astype(object)
    both["scenario"] = scen.reindex(both.index).fillna("").to_numpy()
    width = pd.Timedelta(hours=bin_h)
    both["bin"] = ((both["received"] - start) // width).astype("int64")
    both["minutes"] = (both["closed"] - both["received"]).dt.total_seconds() / 60.0
    both = both[both["bin"] >= 0]
    out = both.groupby(["scenario", "bin"], sort=True)["minutes"].mean().reset_index()
    return out


@dataclass(frozen=True)
class WholeWeeks:
    """Drop the tickets received in the first ``weeks`` whole weeks (periodic scenarios)."""

    weeks: int = 1

    def __post_init__(self) -> None:
        if self.weeks < 0:
            raise ValueError(f"WholeWeeks.weeks must be >= 0, got {self.weeks}")

    def window(self, log_: EventLog, *, start: pd.Timestamp) -> Window:
        """The KPI window ``(start + weeks, None)``."""
        return (start + pd.Timedelta(weeks=self.weeks), None)

    def describe(self) -> dict[str, object]:
        return {"rule": "whole_weeks", "weeks": self.weeks}


@dataclass(frozen=True)
class Mser5:
    """MSER-5 on hourly mean time in system (stationary scenarios)."""

    bin_h: float = 1.0

    def __post_init__(self) -> None:
        if not self.bin_h > 0:
            raise ValueError(f"Mser5.bin_h must be > 0, got {self.bin_h}")

    def window(self, log_: EventLog, *, start: pd.Timestamp) -> Window:
        """The KPI window from the largest MSER-5 truncation point over the scenarios."""
        series = time_in_system_series(log_, start=start, bin_h=self.bin_h)
        cut_bins = 0
        for _, grp in series.groupby("scenario", sort=True):
            k = mser5_truncation(grp["minutes"].to_numpy())
            if k:
                cut_bins = max(cut_bins, int(grp["bin"].iloc[k]))
        return (start + cut_bins * pd.Timedelta(hours=self.bin_h), None)

    def describe(self) -> dict[str, object]:
        return {"rule": "mser5", "bin_h": self.bin_h}


WarmupRule = WholeWeeks | Mser5


def warmup_window(rule: WarmupRule | None, log_: EventLog, *, start: pd.Timestamp) -> Window:
    """The KPI window that ``rule`` gives for ``log_`` simulated from ``start``.

    ``None`` means no warm-up: ``(None, None)``.
    """
    if rule is None:
        return (None, None)
    return rule.window(log_, start=start)


def _flat(values: Sequence[float]) -> bool:
    return max(values) == min(values)


def suggest_warmup(scenario: Scenario) -> WarmupRule:
    """:class:`Mser5` for a stationary scenario, else :class:`WholeWeeks` (1 week)."""
    meta = scenario.scenario
    stationary = meta.occupancy_by_month is None and not (meta.holidays
                                                          and meta.holiday_factor != 1.0)
    for cat in scenario.categories.values():
        prof = scenario.profiles[cat.profile]
        stationary = stationary and _flat(prof.hourly) and _flat(prof.weekly)
    return Mser5() if stationary else WholeWeeks(1)
