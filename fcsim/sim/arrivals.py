"""Arrival streams: non-homogeneous Poisson arrivals per category by thinning.

Each category's rate is piecewise constant by hour slot (:func:`fcsim.scenarios.calendar.
hourly_rates`). Candidates come from a homogeneous Poisson process at the maximum rate and are
kept with probability rate/max (Lewis–Shedler thinning), each category on its own named stream.
Intake facts (emergency, appointment, source, unit) are drawn per arrival on their own streams.

Over-dispersion: with ``[scenario] day_factor_cv`` > 0 every category's rate is multiplied on
each day of the window (24-hour blocks from the start) by one gamma factor of mean 1 and that
coefficient of variation, drawn on its own stream (``arrivals.day_factor``): a mixed Poisson
process whose daily counts vary more than Poisson ones, as real desks see. With 0 (the
default) nothing is drawn and the arrivals are the Poisson ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fcsim.model.taxonomy import Source
from fcsim.scenarios.calendar import hourly_rates
from fcsim.scenarios.config import Scenario
from fcsim.sim.streams import Streams

__all__ = ["Arrivals", "arrival_schedule", "thinning"]

_SOURCES = list(Source)


def thinning(rates_per_min: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Arrival times (minutes) of a Poisson process with hourly piecewise-constant rates."""
    horizon = 60.0 * len(rates_per_min)
    lam = float(rates_per_min.max()) if len(rates_per_min) else 0.0
    if lam <= 0:
        return np.zeros(0)
    chunks: list[np.ndarray] = []
    t = 0.0
    n = int(lam * horizon + 5 * np.sqrt(lam * horizon) + 10)
    while t < horizon:
        gaps = rng.exponential(1.0 / lam, n)
        times = t + np.cumsum(gaps)
        t = float(times[-1])
        chunks.append(times)
        n = max(16, n // 4)
    cand = np.concatenate(chunks)
    cand = cand[cand < horizon]
    u = rng.random(len(cand))
    keep = u * lam < rates_per_min[(cand // 60).astype(np.int64)]
    return cand[keep]


@dataclass(frozen=True)
class Arrivals:
    """All arrivals of a window, sorted by time (ties by category order)."""

    time_min: np.ndarray
    category: np.ndarray  # index into scenario.categories
    emergency: np.ndarray  # bool
    appointment: np.ndarray  # bool
    source: np.ndarray  # index into Source
    unit: np.ndarray  # 1..units

    def __len__(self) -> int:
        return len(self.time_min)


def arrival_schedule(scenario: Scenario, streams: Streams, days: float) -> Arrivals:
    """Draw every arrival of the window and its intake facts."""
    rates = hourly_rates(scenario, days)
    cv = scenario.scenario.day_factor_cv
    if cv > 0:
        n_hours = len(next(iter(rates.values()))) if rates else 0
        n_days = -(-n_hours // 24)
        shape = 1.0 / (cv * cv)
        factor = streams.rng("arrivals.day_factor").gamma(shape, 1.0 / shape, n_days)
        per_hour = np.repeat(factor, 24)[:n_hours]
        rates = {k: v * per_hour for k, v in rates.items()}
    horizon = days * 1440.0
    parts = []
    for k, (name, cat) in enumerate(scenario.categories.items()):
        times = thinning(rates[name], streams.rng(f"arrivals.{name}"))
        times = times[times < horizon]
        rng = streams.rng(f"intake.{name}")
        u = rng.random(len(times))
        emergency = u < cat.emergency_p
        appointment = ~emergency & (u < cat.emergency_p + cat.appointment_p)
        keys = list(cat.sources)
        probs = np.asarray([cat.sources[s] for s in keys], float)
        src_local = rng.choice(len(keys), size=len(times), p=probs / probs.sum())
        source = np.asarray([_SOURCES.index(s) for s in keys], np.int8)[src_local]
        unit = rng.integers(1, scenario.scenario.units + 1, len(times))
        parts.append((times, np.full(len(times), k), emergency, appointment, source, unit))
    time = np.concatenate([p[0] for p in parts])
    order = np.argsort(time, kind="stable")
    return Arrivals(*(np.concatenate([p[i] for p in parts])[order] for i in range(6)))
