"""Swimlane data: segments of chosen tickets, who each lane is, and the window to show.

* :func:`swimlane_segments` — bars and marks of tickets across desk, technicians, supervisors
  and managers;
* :func:`staff_directory` — each resource's group, role, department and shift, read from the
  scenario in the run's manifest (members are numbered ``prefix-1`` … in shift order);
* :func:`shift_window` — the local shift (of the desk's shift boundaries) around a moment;
  :func:`lead_window` — a shift-long window that begins an hour before a moment;
  :func:`clip_segments` keeps what falls inside a window.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

import numpy as np
import pandas as pd

from fcsim.analysis._tickets import gaps, iter_tickets, str_isin
from fcsim.analysis.timeline import _DURATIVE, _role, _work_pieces
from fcsim.eventlog import EventLog

__all__ = [
    "DEFAULT_SHIFT_STARTS_H",
    "StaffMember",
    "clip_segments",
    "desk_shift_starts",
    "lead_window",
    "shift_window",
    "staff_directory",
    "swimlane_segments",
]

#: Shift changes (local hours) when the scenario does not say: 00:00, 08:00, 16:00.
DEFAULT_SHIFT_STARTS_H: tuple[int, ...] = (0, 8, 16)


def swimlane_segments(log: EventLog, ticket_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """Bars and marks of a swimlane timeline of tickets across desk, technicians, supervisors.

    Parameters
    ----------
    log
        The event log.
    ticket_ids
        The tickets to show (default: all).

    Returns
    -------
    DataFrame
        scenario, replication, ticket_id, attempt, lane (the resource, else the role), role,
        activity, kind, start, end: ``work`` / ``travel`` bars (busy pieces), ``preempted``
        bars (``preempted`` → ``resumed``, on the preempted resource's lane), ``handover``
        bars (``handed_over`` → ``taken_over``, on the lane of the one who handed over), and
        ``event`` marks (zero length) for every event, so instants and second passes
        (attempt >= 2) are visible; ``emergency`` says whether the ticket is an emergency.
    """
    if ticket_ids is not None:
        keep = {str(x) for x in ticket_ids}
        ev = log.events
        log = EventLog(ev[str_isin(ev["ticket_id"], keep)], log.tickets, log.manifest)
    rows: list[tuple[object, ...]] = []
    for t in iter_tickets(log):
        for i in range(len(t.ts)):
            lane = t.resource[i] if t.resource[i] is not None else _role(t, i)
            act = str(t.activity[i])
            if act in _DURATIVE:
                for a, b in _work_pieces(t, i):
                    rows.append((*t.key, int(t.attempt[i]), lane, _role(t, i), act,
                                 "travel" if act == "arrived" else "work", a, b))
            rows.append((*t.key, int(t.attempt[i]), lane, _role(t, i), act, "event",
                         int(t.ts[i]), int(t.ts[i])))
        for opening, closing in (("preempted", "resumed"), ("handed_over", "taken_over")):
            kind = "preempted" if opening == "preempted" else "handover"
            for i, a, b in gaps(t, opening, closing):
                if b == np.iinfo(np.int64).max:
                    b = int(t.ts[-1])
                lane = t.resource[i] if t.resource[i] is not None else _role(t, i)
                rows.append((*t.key, int(t.attempt[i]), lane, _role(t, i), opening, kind,
                             a, b))
    cols = ["scenario", "replication", "ticket_id", "attempt", "lane", "role", "activity",
            "kind", "start", "end"]
    df = pd.DataFrame(rows, columns=cols)
    for c in ("start", "end"):
        df[c] = pd.to_datetime(df[c].astype("int64"), unit="ms", utc=True)
    tk = log.tickets
    urgent = {str(t) for t, e in zip(tk["ticket_id"], tk["emergency"], strict=True)
              if not pd.isna(e) and bool(e)}
    df["emergency"] = str_isin(df["ticket_id"], urgent)
    return df


@dataclass(frozen=True)
class StaffMember:
    """Who a resource is: its staff group, role, department and shift (local hours)."""

    name: str
    group: str
    role: str
    department: str | None
    start_h: int
    end_h: int
    on_call: bool

    @property
    def hours(self) -> str:
        """The shift as ``08–17`` (end hours past midnight wrap: 23–08)."""
        return f"{self.start_h % 24:02d}–{self.end_h % 24:02d}"


def _scenario_config(manifest: Mapping[str, Any] | None, scenario: str | None
                     ) -> Mapping[str, Any] | None:
    if not manifest:
        return None
    cfg = manifest.get("scenario_config")
    if isinstance(cfg, Mapping) and "staff" in cfg:
        return cfg
    many = manifest.get("scenario_configs")
    if isinstance(many, Mapping) and many:
        pick = many.get(scenario) if scenario is not None else None
        pick = pick if isinstance(pick, Mapping) else next(iter(many.values()))
        return pick if isinstance(pick, Mapping) else None
    return None


def staff_directory(manifest: Mapping[str, Any] | None, scenario: str | None = None
                    ) -> dict[str, StaffMember]:
    """Each simulated staff member's group and shift, from the manifest's scenario.

    Members of a head-count group are named ``prefix-1``, ``prefix-2`` … in shift order (as
    :func:`fcsim.sim.run.shift_roster` names them). Returns an empty mapping when the manifest
    has no scenario configuration (an observed log): lanes are then named by resource alone.
    """
    cfg = _scenario_config(manifest, scenario)
    out: dict[str, StaffMember] = {}
    if cfg is None:
        return out
    staff = cfg.get("staff") or {}
    for group, g in staff.items():
        if not isinstance(g, Mapping):
            continue
        prefix = str(g.get("prefix") or group)
        k = 0
        for sh in g.get("shifts") or ():
            for _ in range(int(sh.get("count", 0))):
                k += 1
                name = f"{prefix}-{k}"
                out[name] = StaffMember(name, str(group), str(g.get("role", "")),
                                        g.get("department"), int(sh["start_h"]),
                                        int(sh["end_h"]), bool(sh.get("on_call", False)))
    return out


def desk_shift_starts(manifest: Mapping[str, Any] | None, scenario: str | None = None
                      ) -> tuple[int, ...]:
    """The local hours at which the desk's shifts begin (:data:`DEFAULT_SHIFT_STARTS_H` when
    the manifest does not say)."""
    cfg = _scenario_config(manifest, scenario)
    starts: set[int] = set()
    if cfg is not None:
        for g in (cfg.get("staff") or {}).values():
            if isinstance(g, Mapping) and g.get("role") == "desk":
                starts |= {int(s["start_h"]) % 24 for s in g.get("shifts") or ()}
    return tuple(sorted(starts)) or DEFAULT_SHIFT_STARTS_H


def shift_window(at: pd.Timestamp, tz: tzinfo | str, *,
                 shift_starts_h: Sequence[int] = DEFAULT_SHIFT_STARTS_H,
                 span: str = "shift") -> tuple[pd.Timestamp, pd.Timestamp]:
    """The local shift (or day) containing ``at``, as UTC timestamps.

    Parameters
    ----------
    at
        A timezone-aware moment.
    tz
        The site's zone: shifts begin at ``shift_starts_h`` local hours.
    shift_starts_h
        Local hours at which shifts begin (e.g. 0, 8, 16).
    span
        ``"shift"`` (default) or ``"day"`` (local midnight to midnight).
    """
    if span not in ("shift", "day"):
        raise ValueError(f"span must be 'shift' or 'day', got {span!r}")
    local = pd.Timestamp(at).tz_convert(tz)
    midnight = local.normalize()
    if span == "day":
        start, end = midnight, midnight + pd.Timedelta(days=1)
    else:
        hours = sorted({int(h) % 24 for h in shift_starts_h}) or [0]
        bounds = [midnight - pd.Timedelta(days=1) + pd.Timedelta(hours=hours[-1])]
        bounds += [midnight + pd.Timedelta(hours=h) for h in hours]
        bounds += [midnight + pd.Timedelta(days=1, hours=hours[0])]
        i = max(k for k, b in enumerate(bounds) if b <= local)
        start, end = bounds[i], bounds[i + 1]
    return start.tz_convert("UTC"), end.tz_convert("UTC")


def lead_window(at: pd.Timestamp, tz: tzinfo | str, *,
                shift_starts_h: Sequence[int] = DEFAULT_SHIFT_STARTS_H,
                lead_h: float = 1.0) -> tuple[pd.Timestamp, pd.Timestamp]:
    """A window one shift long (the length of the local shift containing ``at``) that begins
    on the hour, ``lead_h`` hours or a little more before ``at``: a story that starts late in
    a shift is shown whole, with what led up to it."""
    lo, hi = shift_window(at, tz, shift_starts_h=shift_starts_h)
    start = (pd.Timestamp(at).tz_convert(tz) - pd.Timedelta(hours=lead_h)).floor("h")
    return start.tz_convert("UTC"), (start + (hi - lo)).tz_convert("UTC")


def clip_segments(segments: pd.DataFrame, window: tuple[pd.Timestamp, pd.Timestamp]
                  ) -> pd.DataFrame:
    """The segments that overlap ``window`` (marks strictly inside it: a shift change logged
    at the window's edge belongs to the neighbouring shift), bars cut at its edges."""
    lo, hi = (pd.Timestamp(w).tz_convert("UTC") for w in window)
    s, e = segments["start"], segments["end"]
    marks = segments["kind"] == "event"
    keep = np.where(marks, (s > lo) & (s < hi), (e > lo) & (s < hi))
    out = segments[keep].copy()
    out["start"] = out["start"].clip(lower=lo)
    out["end"] = out["end"].clip(upper=hi)
    return out.reset_index(drop=True)

