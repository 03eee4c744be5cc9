"""Arrival rates by hour of week, scaled by occupancy and by the holiday calendar.

The rate of a category in an hour slot (per minute) is::

    rate_per_unit_day × units × occupancy(month) × holiday_factor(date) × w(hour, weekday) / 1440

where ``w`` is the profile's hourly × weekly weight normalised to a mean of 1 over the week,
so ``rate_per_unit_day × units × occupancy`` is the mean number per day of an ordinary week.
Hours and dates are local to the scenario's time zone (``[scenario] time_zone``, else
``start``'s offset), daylight-saving changes included.
"""

from __future__ import annotations

import math

import numpy as np

from fcsim.model.timezone import hour_slots, local_dates
from fcsim.scenarios.config import Profile, Scenario

__all__ = ["hour_of_week_weights", "hourly_rates", "window_hours"]


def hour_of_week_weights(profile: Profile) -> np.ndarray:
    """168 weights (Monday 00:00 first) with mean 1."""
    w = np.outer(np.asarray(profile.weekly, float), np.asarray(profile.hourly, float)).ravel()
    return w / w.mean()


def window_hours(days: float) -> int:
    """Number of (whole or partial) hour slots in a window of ``days``."""
    return math.ceil(days * 24 - 1e-9)


def hourly_rates(scenario: Scenario, days: float | None = None) -> dict[str, np.ndarray]:
    """Arrival rate per minute of each category in each hour slot of the window."""
    meta = scenario.scenario
    n = window_hours(meta.days if days is None else days)
    how = np.asarray(hour_slots(meta.start, meta.tz, n), dtype=np.int64)
    scale = np.full(n, meta.occupancy)
    holidays = set(meta.holidays)
    if holidays or meta.occupancy_by_month is not None:
        for k, day in enumerate(local_dates(meta.start, meta.tz, n)):
            occ = (meta.occupancy_by_month[day.month - 1]
                   if meta.occupancy_by_month is not None else meta.occupancy)
            hol = meta.holiday_factor if day in holidays else 1.0
            scale[k] = occ * hol
    out: dict[str, np.ndarray] = {}
    weights = {name: hour_of_week_weights(p) for name, p in scenario.profiles.items()}
    for name, cat in scenario.categories.items():
        out[name] = cat.rate_per_unit_day * meta.units * scale * weights[cat.profile][how] / 1440
    return out
