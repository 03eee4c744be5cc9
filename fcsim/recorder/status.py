"""Open tickets' running clocks at an instant, from the one KPI engine (:mod:`fcsim.kpi`).

A clock instance of an open ticket is *running* while the KPI engine calls it censored,
*about to breach* when at most a margin is left before its deadline, and *breached* once the
engine says so. The deadline is start + upper bound, or, for the appointment clocks whose start
is not yet known, ``appointment_at`` − lower bound. Bounds are the engine's, per row: the
site's (from the export's manifest, per category and for emergencies too), else the caller's,
else the seed's. Times are shown in the site's zone when the manifest names one.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from fcsim.eventlog import EventLog
from fcsim.model.activities import Activity

__all__ = ["STATUS_COLUMNS", "open_clocks"]

STATUS_COLUMNS = (
    "ticket_id", "attempt", "occurrence", "control_point", "state", "start", "deadline",
    "elapsed_s", "remaining_s", "upper_s", "lateness_s",
)


def _open_only(log: EventLog, as_of: pd.Timestamp) -> EventLog:
    ev = log.events
    known = ev["timestamp"] <= as_of
    closed = set(ev.loc[known & (ev["activity"] == Activity.CLOSED.value), "ticket_id"]
                 .astype(object))
    ids = log.tickets["ticket_id"].astype(object)
    keep = ~ids.isin(closed)
    tickets = log.tickets[keep.to_numpy()]
    events = ev[ev["ticket_id"].astype(object).isin(set(ids[keep])).to_numpy()]
    return EventLog.from_frames(events, tickets, log.manifest)


def open_clocks(
    log: EventLog, as_of: Any, *, margin_s: float = 60.0, bounds: Any = None
) -> pd.DataFrame:
    """Running, about-to-breach and breached clocks of the tickets open at ``as_of``.

    Parameters
    ----------
    log:
        The recorder's export.
    as_of:
        The instant (aware datetime or ISO 8601 string).
    margin_s:
        A running clock with at most this many seconds left is ``about_to_breach``.
    bounds:
        Passed to :func:`fcsim.kpi.control_points` (the manifest's site bounds win; None: the
        seed's bounds).
    """
    from fcsim.kpi import control_points
    from fcsim.kpi.zones import manifest_time_zone

    ts = pd.Timestamp(as_of)
    if ts.tzinfo is None:
        raise ValueError(f"as_of {as_of!r} needs a UTC offset")
    ts = ts.tz_convert("UTC")
    opened = _open_only(log, ts)
    if len(opened.tickets) == 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in STATUS_COLUMNS})
    cp = control_points(opened, as_of=ts, bounds=bounds)
    cp = cp[cp["status"].isin(["censored", "breached"])].copy()
    start = pd.to_datetime(cp["start"], utc=True)
    end = pd.to_datetime(cp["end"], utc=True)
    upper = pd.to_numeric(cp["upper_s"], errors="coerce").astype("float64")
    lower = pd.to_numeric(cp["lower_s"], errors="coerce").astype("float64")
    by_start = start + pd.to_timedelta(upper, unit="s")
    by_appointment = end - pd.to_timedelta(lower, unit="s")
    deadline = by_start.where(start.notna() & upper.notna(), by_appointment)
    remaining = (deadline - ts).dt.total_seconds()
    elapsed = (ts - start).dt.total_seconds()
    state = np.where(
        cp["status"] == "breached", "breached",
        np.where(remaining.notna() & (remaining <= margin_s), "about_to_breach", "running"),
    )
    out = pd.DataFrame({
        "ticket_id": cp["ticket_id"].astype(object),
        "attempt": cp["attempt"],
        "occurrence": cp["occurrence"],
        "control_point": cp["control_point"].astype(object),
        "state": state,
        "start": start,
        "deadline": deadline,
        "elapsed_s": elapsed,
        "remaining_s": remaining,
        "upper_s": upper,
        "lateness_s": cp["lateness_s"],
    })
    zone = manifest_time_zone(log.manifest, None)
    if zone is not None:
        out["start"] = out["start"].dt.tz_convert(zone)
        out["deadline"] = out["deadline"].dt.tz_convert(zone)
    order = {"breached": 0, "about_to_breach": 1, "running": 2}
    out["_o"] = out["state"].map(order)
    return (out.sort_values(["_o", "remaining_s", "ticket_id"], kind="stable")
            .drop(columns="_o").reset_index(drop=True))
