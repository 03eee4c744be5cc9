"""Hour-of-day and per-member factors on the durations of a job (``[duration_factors]``).

A scenario's ``[duration_factors]`` (:class:`fcsim.scenarios.config.DurationFactors`) scales
the steps of a job when it starts (:func:`fcsim.sim.perform.perform`):

* **hour**: a step whose activity has a row is multiplied by that row's factor for the local
  hour of day at which the job starts;
* **member**: every step of the member (but the customer's decisions) is multiplied by the
  member's speed factor ``exp(σ Z − σ²/2)`` (lognormal, mean 1), ``Z`` drawn once per
  replication from the stream ``duration_factor.<group>``, row = the member's index in the
  group. A new stream never shifts the others, so the tickets' own draws are unchanged (common
  random numbers hold) and a member keeps its factor in every variant that keeps its group.

Without ``[duration_factors]`` nothing is built and the context's ``factors`` stays ``None``:
the run is exactly the run without this module.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, tzinfo

import numpy as np

from fcsim.model.activities import Activity
from fcsim.scenarios.config import DurationFactors
from fcsim.sim.perform import CUSTOMER_STEPS, Step
from fcsim.sim.sink import ACT
from fcsim.sim.streams import Streams

__all__ = ["JobFactors", "build_factors", "job_factors", "member_speeds"]


def member_speeds(cfg: DurationFactors, pools: Mapping[str, Sequence[int]], n_resources: int,
                  rng_of: Callable[[str], np.random.Generator]) -> np.ndarray:
    """Each resource code's speed factor: ``exp(σ Z − σ²/2)`` (mean 1) for the members of a
    group with ``σ > 0`` — member ``i`` reads row ``i`` of its group's generator
    ``rng_of(group)`` — and 1 for everyone else. ``pools`` maps each staff group to its
    members' resource codes (in member order)."""
    member = np.ones(n_resources)
    for group, codes in pools.items():
        sigma = cfg.resource_sigma.get(group, 0.0)
        if sigma > 0 and len(codes):
            z = rng_of(group).standard_normal(len(codes))
            member[list(codes)] = np.exp(sigma * z - sigma * sigma / 2.0)
    return member


class JobFactors:
    """Scales a job's steps by its start hour and its member (see the module docstring)."""

    __slots__ = ("hour", "member", "midnights")

    def __init__(self, member: Sequence[float], hour: Mapping[int, Sequence[float]],
                 midnights: Sequence[float]) -> None:
        self.member = list(member)  # by resource code
        self.hour = {k: tuple(v) for k, v in hour.items()}  # activity code -> 24 factors
        self.midnights = list(midnights)  # local midnights (minutes), one at or before 0

    def hour_of_day(self, now: float) -> int:
        """Local hour of day (0–23) at ``now`` (minutes since the run's start)."""
        k = bisect.bisect_right(self.midnights, now) - 1
        base = self.midnights[k] if k >= 0 else self.midnights[0] - 1440.0
        return min(23, max(0, int((now - base) // 60.0)))

    def scale(self, steps: Sequence[Step], code: int, now: float) -> list[Step]:
        """``steps`` of a job that member ``code`` starts at ``now``, scaled."""
        m = self.member[code] if 0 <= code < len(self.member) else 1.0
        hour = self.hour
        h = self.hour_of_day(now) if hour else 0
        out: list[Step] = []
        for act, d, durative in steps:
            if act in CUSTOMER_STEPS:
                out.append((act, d, durative))
                continue
            f = m * (hour[act][h] if act in hour else 1.0)
            out.append((act, d * f, durative))
        return out


def build_factors(cfg: DurationFactors | None, streams: Streams,
                  pools: Mapping[str, Sequence[int]], n_resources: int, start: datetime,
                  tz: tzinfo, midnights: Sequence[float]) -> JobFactors | None:
    """The run's :class:`JobFactors`, or ``None`` without ``[duration_factors]``; a group's
    members draw from the keyed stream ``duration_factor.<group>`` (:func:`member_speeds`)."""
    if cfg is None:
        return None
    member = member_speeds(cfg, pools, n_resources,
                           lambda group: streams.rng(f"duration_factor.{group}"))
    return job_factors(cfg, member, start, tz, midnights)


def job_factors(cfg: DurationFactors, member: np.ndarray, start: datetime, tz: tzinfo,
                midnights: Sequence[float]) -> JobFactors:
    """:class:`JobFactors` of ``cfg``'s hour rows and the members' factors ``member`` (by
    resource code), for a run that starts at ``start`` with local ``midnights`` (minutes)."""
    local = start.astimezone(tz)
    since = local.hour * 60.0 + local.minute + local.second / 60.0
    mids = list(midnights)
    if not mids or mids[0] > 0:
        mids.insert(0, -since)
    hour = {ACT[Activity(a)]: tuple(float(x) for x in f) for a, f in cfg.hour.items()}
    if not all(math.isfinite(x) for x in member):
        raise ValueError("duration_factors: a member's factor is not finite")
    return JobFactors(member.tolist(), hour, mids)
