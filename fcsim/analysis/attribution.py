"""Lateness attribution: each late second of a clock instance, attributed to a cause.

A ticket's lateness is the sum of its clock instances' ``lateness_s`` (``KPI.md``: breached or
missing rows). This module splits each instance's lateness into causes, from the events alone.

**The late interval.** For a late instance with lateness *L*:

* the appointment clocks (``appointment_*``: the moving moment is the start, the end is the fixed
  ``appointment_at``): if the start came too late or never came (``duration < lower`` or no
  start), the late interval is ``[end - lower, end - lower + L]`` (from the moment the start was
  due); if it came too early (``duration > upper``), ``[start, start + L]``;
* every other clock: ``[start + upper, start + upper + L]``, the tail beyond the bound (it ends at
  the clock's end, at its attempt's end for a missing row, or at ``as_of`` while open).

**The cause at a moment t** (the first rule that holds):

1. ``handover``: t lies between a technician's ``handed_over`` and the technician
   ``taken_over`` paired with it (in order; an unpaired one lasts until the next other event
   of its attempt): a shift change passed the job on (a desk ownership handover stops no work
   and is not a cause);
2. ``preemption``: t lies between a ``preempted`` and its ``resumed`` (paired in order; an
   unpaired ``preempted`` lasts until the next other event of its attempt) — always an
   emergency, since the log says handovers apart (``docs/event-log.md``);
3. ``escalation``: t lies between a ``blocked`` and the ``escalated`` paired with it (the
   escalate clock's one-to-one pairing; a ``blocked`` never escalated lasts until the end), or
   between the event before a ``referred_to_meeting`` and it;
4. ``rework``: the clock instance belongs to attempt >= 2 (a second pass exists only because of a
   rejection, so all of its lateness is rework);
5. otherwise look at E, the ticket's first event with ``timestamp`` > t that is not an
   interruption (``preempted``, ``resumed``, ``handed_over``, ``taken_over``):

   * E durative with ``started_at`` known: before ``started_at`` the ticket waits for E's
     performer (``desk_wait`` for desk activities, ``technician_wait`` for technician ones);
     from ``started_at`` on it is ``travel`` for ``arrived`` and the stage's own ``work``
     otherwise;
   * E durative with ``started_at`` unknown: ``unknown`` (waiting and working cannot be told
     apart; no guess is made);
   * E an instant: waiting for its performer (``desk_wait`` / ``technician_wait``), ``work``
     for supervisor decisions (accepted, rejected) and anything else;
   * no such event (the ticket is still open, or its attempt ended without the moment): waiting
     for the performer of the clock's missing moment (desk for record, dispatch, emergency
     report and callback; technician for on_site, plan and the appointment clocks; escalation
     for escalate).

Desk activities are received, relayed, recorded, emergency_reported, classified, misrouted,
dispatched, slip_returned, callback, callback_failed and closed; technician activities are
signed, contacted, arrived, diagnosed, planned, communicated, work_started, work_completed and
blocked. The interval is cut at every event time and ``started_at`` inside it, so the cause is
constant on each piece, and the pieces are summed in integer milliseconds: the causes of an
instance add up to its lateness exactly.
"""

from __future__ import annotations

import itertools
from bisect import bisect_right
from collections import defaultdict
from typing import Any

import numpy as np
import pandas as pd

from fcsim.analysis._tickets import NAT, TicketEvents, TicketKey, gaps, iter_tickets, key_of
from fcsim.analysis.ripple import handover_gaps
from fcsim.eventlog import EventLog
from fcsim.model.activities import DURATIVE

__all__ = ["CAUSES", "attribute_lateness", "lateness_by_ticket"]

#: The causes, in the order used by tables and figures.
CAUSES: tuple[str, ...] = (
    "desk_wait",
    "technician_wait",
    "travel",
    "preemption",
    "handover",
    "rework",
    "escalation",
    "work",
    "unknown",
)

_DESK = frozenset(
    {
        "received", "relayed", "recorded", "emergency_reported", "classified", "misrouted",
        "dispatched", "slip_returned", "callback", "callback_failed", "closed",
    }
)
_TECH = frozenset(
    {
        "signed", "contacted", "arrived", "diagnosed", "planned", "communicated",
        "work_started", "work_completed", "blocked",
    }
)
_DURATIVE = frozenset(a.value for a in DURATIVE)
_TRANSPARENT = frozenset({"preempted", "resumed", "handed_over", "taken_over"})
_APPOINTMENT = frozenset({"appointment_sign", "appointment_call", "appointment_arrival"})
_PENDING = {
    "record": "desk_wait",
    "dispatch": "desk_wait",
    "emergency_report": "desk_wait",
    "callback": "desk_wait",
    "on_site": "technician_wait",
    "plan": "technician_wait",
    "appointment_sign": "technician_wait",
    "appointment_call": "technician_wait",
    "appointment_arrival": "technician_wait",
    "escalate": "escalation",
}
_CLOCK_COLUMNS = (
    "scenario", "replication", "ticket_id", "attempt", "occurrence", "control_point", "status",
    "start", "end", "duration_s", "lower_s", "upper_s", "lateness_s",
)
_OUT_COLUMNS = [
    "scenario", "replication", "ticket_id", "attempt", "occurrence", "control_point",
    "cause", "seconds",
]


def _waiting(activity: str) -> str:
    if activity in _DESK:
        return "desk_wait"
    if activity in _TECH:
        return "technician_wait"
    if activity in ("escalated", "referred_to_meeting"):
        return "escalation"
    return "work"


class _Causes:
    """The cause at any moment of one ticket's history (see the module docstring)."""

    def __init__(self, t: TicketEvents) -> None:
        # E (rule 5) is never an interruption event: they are transparent, not stages
        steps = [i for i, a in enumerate(t.activity) if str(a) not in _TRANSPARENT]
        self.ts = [int(t.ts[i]) for i in steps]
        self.started = [int(t.started[i]) for i in steps]
        self.acts = [str(t.activity[i]) for i in steps]
        self.preempt = [(a, b) for _, a, b in gaps(t, "preempted", "resumed")]
        self.handover = [(a, b) for _, a, b in handover_gaps(t, "technician")]
        self.escal = [(a, b) for _, a, b in gaps(t, "blocked", "escalated", open_ended=True)]
        # referred_to_meeting: escalation from the preceding event up to it
        for i in np.flatnonzero(t.activity == "referred_to_meeting"):
            prev = int(t.ts[i - 1]) if i > 0 else int(t.ts[i])
            self.escal.append((prev, int(t.ts[i])))
        self.cuts = {int(x) for x in t.ts} | {int(x) for x in t.started if x != NAT}
        for a, b in self.preempt + self.escal + self.handover:
            self.cuts.update((a, b))

    def at(self, m: float, attempt: int, clock: str) -> str:
        """The cause at moment ``m`` (ms; never a cut point) for a clock of ``attempt``."""
        if any(a <= m < b for a, b in self.handover):
            return "handover"
        if any(a <= m < b for a, b in self.preempt):
            return "preemption"
        if any(a <= m < b for a, b in self.escal):
            return "escalation"
        if attempt >= 2:
            return "rework"
        e = bisect_right(self.ts, m)
        if e == len(self.ts):
            return _PENDING.get(clock, "work")
        act = self.acts[e]
        if act in _DURATIVE:
            s = self.started[e]
            if s == NAT:
                return "unknown"
            if m >= s:
                return "travel" if act == "arrived" else "work"
            return _waiting(act)
        return _waiting(act)

    def split(self, lo: int, hi: int, attempt: int, clock: str) -> dict[str, int]:
        """Milliseconds of ``[lo, hi)`` per cause."""
        pts = sorted({lo, hi} | {c for c in self.cuts if lo < c < hi})
        out: dict[str, int] = defaultdict(int)
        for a, b in itertools.pairwise(pts):
            out[self.at((a + b) / 2, attempt, clock)] += b - a
        return out


def _ms(v: Any) -> int | None:
    return None if v is None or pd.isna(v) else int(pd.Timestamp(v).value // 1_000_000)


def _num(v: Any) -> float | None:
    return None if v is None or pd.isna(v) else float(v)


def _late_interval(clock: str, start_ms: int | None, end_ms: int | None,
                   duration: float | None, lower: float | None, upper: float | None,
                   late_ms: int) -> tuple[int, int] | None:
    """The late interval of one clock row in ms, or ``None`` when it cannot be placed."""
    if clock in _APPOINTMENT:
        if end_ms is None:
            return None
        if upper is not None and duration is not None and duration > upper:
            assert start_ms is not None
            return start_ms, start_ms + late_ms
        if lower is None:
            return None
        a = end_ms - round(lower * 1000)
        return a, a + late_ms
    if start_ms is None or upper is None:
        if end_ms is None:
            return None
        return end_ms - late_ms, end_ms
    a = start_ms + round(upper * 1000)
    return a, a + late_ms


def _clock_frame(clocks: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in _CLOCK_COLUMNS if c not in clocks.columns]
    if missing:
        raise ValueError(f"clock rows lack column(s) {missing} (expected control_points columns)")
    out = clocks.copy()
    for c in ("start", "end"):
        out[c] = pd.to_datetime(out[c], utc=True, format="ISO8601")
    for c in ("duration_s", "lower_s", "upper_s", "lateness_s"):
        out[c] = pd.to_numeric(out[c], errors="raise").astype(float)
    return out


def attribute_lateness(log: EventLog, clocks: pd.DataFrame) -> pd.DataFrame:
    """Attribute every late second of every late clock instance to a cause.

    Parameters
    ----------
    log
        The event log the clocks were computed from.
    clocks
        Clock rows as returned by :func:`fcsim.kpi.control_points` (or read from
        ``control_points.csv``).

    Returns
    -------
    DataFrame
        One row per (clock instance, cause) with a positive share: scenario, replication,
        ticket_id, attempt, occurrence, control_point, cause (one of :data:`CAUSES`), seconds.
        Per instance the seconds add up to its ``lateness_s``.

    Raises
    ------
    ValueError
        When a late clock row's ticket has no events in the log, or a column is missing.
    """
    rows = _clock_frame(clocks)
    late = rows[
        rows["status"].astype(str).isin(["breached", "missing"])
        & rows["lateness_s"].notna()
        & (rows["lateness_s"] > 0)
    ]
    if late.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in _OUT_COLUMNS}).astype(
            {"seconds": float}
        )
    keys = {key_of(r.scenario, r.replication, r.ticket_id) for r in late.itertuples()}
    causes: dict[TicketKey, _Causes] = {t.key: _Causes(t) for t in iter_tickets(log, keys)}
    out: list[dict[str, object]] = []
    for idx, r in zip(late.index, late.itertuples(index=False), strict=True):
        key = key_of(r.scenario, r.replication, r.ticket_id)
        if key not in causes:
            raise ValueError(
                f"clock row {idx}: ticket {r.ticket_id!r} (scenario {key[0]!r}, replication "
                f"{key[1]!r}) has no events in the log"
            )
        clock = str(r.control_point)
        late_ms = round(float(r.lateness_s) * 1000)
        iv = _late_interval(clock, _ms(r.start), _ms(r.end), _num(r.duration_s),
                            _num(r.lower_s), _num(r.upper_s), late_ms)
        attempt = int(r.attempt)
        if iv is None:
            split = {"unknown": late_ms}
        else:
            split = causes[key].split(iv[0], iv[1], attempt, clock)
        for cause in CAUSES:
            ms = split.get(cause, 0)
            if ms > 0:
                out.append(
                    {
                        "scenario": key[0], "replication": key[1], "ticket_id": key[2],
                        "attempt": attempt, "occurrence": int(r.occurrence),
                        "control_point": clock, "cause": cause, "seconds": ms / 1000.0,
                    }
                )
    return pd.DataFrame(out, columns=_OUT_COLUMNS)


def lateness_by_ticket(attribution: pd.DataFrame) -> pd.DataFrame:
    """Seconds per ticket and cause (one column per cause in :data:`CAUSES`, plus ``total``).

    Sorted by total lateness, largest first.
    """
    idx = ["scenario", "replication", "ticket_id"]
    if attribution.empty:
        return pd.DataFrame(columns=[*idx, *CAUSES, "total"])
    a = attribution.assign(
        scenario=attribution["scenario"].fillna(""),
        replication=attribution["replication"].astype("Int64").fillna(-1),
    )
    wide = a.pivot_table(
        index=idx, columns="cause", values="seconds", aggfunc="sum", fill_value=0.0
    )
    wide = wide.reindex(columns=list(CAUSES), fill_value=0.0)
    wide["total"] = wide.sum(axis=1)
    wide = wide.sort_values("total", ascending=False, kind="stable").reset_index()
    wide.columns.name = None
    wide["scenario"] = wide["scenario"].replace("", None)
    reps = wide["replication"].astype("Int64")
    wide["replication"] = reps.mask(reps == -1)
    return wide
