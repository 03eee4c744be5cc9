"""What the pages and the JSON API show, computed from the recorder's export by the KPI engine.

Nothing here decides what is allowed or how a clock runs: open tickets' clocks come from
:func:`fcsim.recorder.status.open_clocks`, every clock instance from
:func:`fcsim.kpi.control_points`, indicators from :func:`fcsim.kpi.indicators` /
:func:`fcsim.kpi.periods`, and the next possible actions from
:meth:`fcsim.recorder.Recorder.allowed_activities`. This module only selects and arranges.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

import pandas as pd

from fcsim.eventlog import EventLog
from fcsim.model.activities import Activity
from fcsim.model.control_points import CLOCK_NAMES, ControlPoints
from fcsim.model.lifecycle import TRANSPARENT
from fcsim.recorder.accounts import User
from fcsim.recorder.status import open_clocks

__all__ = [
    "STATE_ORDER",
    "Window",
    "board",
    "clock_dicts",
    "indicator_rows",
    "jobs",
    "open_ticket_ids",
    "period_rows",
    "subset",
    "supervision",
    "ticket_clocks",
    "window_of",
]

#: Urgency of a clock's state (lower = more urgent).
STATE_ORDER = {"breached": 0, "about_to_breach": 1, "running": 2}
_CLOSED = Activity.CLOSED.value


def _py(value: Any) -> Any:
    """A JSON- and template-friendly Python value (NaN/NaT/NA -> None)."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def subset(log: EventLog, ticket_ids: Iterable[str]) -> EventLog:
    """The log of some tickets only."""
    ids = set(ticket_ids)
    tk = log.tickets[log.tickets["ticket_id"].astype(object).isin(ids).to_numpy()]
    ev = log.events[log.events["ticket_id"].astype(object).isin(ids).to_numpy()]
    return EventLog(ev.reset_index(drop=True), tk.reset_index(drop=True))


def open_ticket_ids(log: EventLog, as_of: datetime) -> list[str]:
    """Tickets received by ``as_of`` without a ``closed`` event by then, in write order."""
    ts = pd.Timestamp(as_of)
    ev = log.events
    known = ev[(ev["timestamp"] <= ts).to_numpy()]
    closed = set(known.loc[known["activity"].astype(str) == _CLOSED, "ticket_id"].astype(object))
    seen = set(known["ticket_id"].astype(object))
    return [t for t in log.tickets["ticket_id"].astype(object) if t in seen and t not in closed]


def clock_dicts(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of a clock table as plain dicts."""
    return [{k: _py(v) for k, v in row.items()} for row in frame.to_dict("records")]


def _last_events(log: EventLog) -> dict[str, dict[str, Any]]:
    ev = log.events
    ev = ev[~ev["activity"].astype(str).isin(TRANSPARENT).to_numpy()]
    ev = ev.sort_values(["ticket_id", "timestamp", "seq"], kind="stable")
    last = ev.groupby(ev["ticket_id"].astype(object), sort=False).tail(1)
    return {str(r["ticket_id"]): {"activity": str(r["activity"]), "timestamp":
                                  _py(r["timestamp"]), "resource": _py(r["resource"])}
            for r in last.to_dict("records")}


def board(
    log: EventLog, as_of: datetime, *, margin_s: float, bounds: ControlPoints | None
) -> list[dict[str, Any]]:
    """The open tickets, each with its running clocks, most urgent first.

    A ticket's urgency is that of its most urgent clock (breached before under-a-minute before
    running; then least time left, i.e. most late first); tickets without a running clock
    follow, oldest first.
    """
    ids = open_ticket_ids(log, as_of)
    if not ids:
        return []
    sub = subset(log, ids)
    clocks = open_clocks(sub, pd.Timestamp(as_of), margin_s=margin_s, bounds=bounds)
    by_ticket: dict[str, list[dict[str, Any]]] = {}
    for c in clock_dicts(clocks):
        by_ticket.setdefault(str(c["ticket_id"]), []).append(c)
    last = _last_events(sub)
    rows: list[dict[str, Any]] = []
    for t in sub.tickets.to_dict("records"):
        tid = str(t["ticket_id"])
        cl = by_ticket.get(tid, [])
        urgency = min(((STATE_ORDER[c["state"]], c["remaining_s"] if c["remaining_s"] is not None
                        else float("inf")) for c in cl), default=(9, float("inf")))
        rows.append({"ticket": {k: _py(v) for k, v in t.items()}, "clocks": cl,
                     "last": last.get(tid), "urgency": urgency})
    received = {str(r["ticket_id"]): r["timestamp"] for r in sub.events.to_dict("records")
                if str(r["activity"]) == Activity.RECEIVED.value}
    rows.sort(key=lambda r: (r["urgency"], received.get(str(r["ticket"]["ticket_id"])),
                             str(r["ticket"]["ticket_id"])))
    return rows


def ticket_clocks(
    log: EventLog, ticket_id: str, as_of: datetime, *, margin_s: float,
    bounds: ControlPoints | None,
) -> list[dict[str, Any]]:
    """Every clock instance of one ticket at ``as_of``: status from the KPI engine, and for a
    running or breached clock of an open ticket its state, deadline and time left."""
    from fcsim.kpi import control_points

    sub = subset(log, [ticket_id])
    if len(sub.tickets) == 0:
        return []
    ts = pd.Timestamp(as_of)
    rows = clock_dicts(control_points(sub, as_of=ts, bounds=bounds))
    live = {}
    if ticket_id in open_ticket_ids(sub, as_of):
        live = {(c["attempt"], c["occurrence"], c["control_point"]): c for c in
                clock_dicts(open_clocks(sub, ts, margin_s=margin_s, bounds=bounds))}
    order = {name: i for i, name in enumerate(CLOCK_NAMES)}
    rows.sort(key=lambda r: (r["attempt"], order.get(r["control_point"], 99), r["occurrence"]))
    for r in rows:
        lv = live.get((r["attempt"], r["occurrence"], r["control_point"]))
        r["state"] = lv["state"] if lv else None
        r["deadline"] = lv["deadline"] if lv else None
        r["remaining_s"] = lv["remaining_s"] if lv else None
    return rows


def _current_attempt(events: pd.DataFrame) -> pd.DataFrame:
    top = events["attempt"].max()
    return events[(events["attempt"] == top).to_numpy()]


def jobs(log: EventLog, user: User, as_of: datetime) -> list[dict[str, Any]]:
    """A technician's jobs: open site-visit tickets of the technician's department (all, for a
    technician without one) that are dispatched (or emergency-reported) and not yet accepted
    or rejected in their current attempt, and that nobody else has taken (signed, arrived …).
    Each says whether it is ``mine`` (the user has recorded on it) or still ``available``.
    """
    out: list[dict[str, Any]] = []
    ts = pd.Timestamp(as_of)
    for tid in open_ticket_ids(log, as_of):
        sub = subset(log, [tid])
        t = sub.tickets.iloc[0]
        if not bool(t["route_site_visit"]) or (
                user.department and str(t["department"]) != user.department):
            continue
        ev = sub.events[(sub.events["timestamp"] <= ts).to_numpy()]
        ev = _current_attempt(ev.sort_values(["timestamp", "seq"], kind="stable"))
        acts = [str(a) for a in ev["activity"]]
        misroutes = [i for i, a in enumerate(acts) if a == Activity.MISROUTED.value]
        routing = ev.iloc[misroutes[-1] + 1:] if misroutes else ev
        racts = [str(a) for a in routing["activity"]]
        started = Activity.DISPATCHED.value in racts or Activity.EMERGENCY_REPORTED.value in racts
        decided = any(a in racts for a in (Activity.ACCEPTED.value, Activity.REJECTED.value))
        if not started or decided:
            continue
        tech = routing[(routing["role"].astype(object) == "technician").to_numpy()]
        takers = {str(r) for r in tech["resource"].dropna()}
        if takers and user.name not in takers:
            continue
        out.append({"ticket": {k: _py(v) for k, v in t.items()},
                    "mine": user.name in takers, "last": racts[-1] if racts else None})
    out.sort(key=lambda j: (not j["ticket"]["emergency"], not j["mine"],
                            str(j["ticket"]["ticket_id"])))
    return out


def supervision(
    log: EventLog, as_of: datetime, *, margin_s: float, bounds: ControlPoints | None
) -> dict[str, list[dict[str, Any]]]:
    """The supervisor's lists: ``blocked`` (a blocked job whose escalate clock runs or is
    breached), ``escalated`` (the last step is an escalation or a meeting referral, waiting for
    a decision) and ``breached`` (open tickets with any breached clock)."""
    rows = board(log, as_of, margin_s=margin_s, bounds=bounds)
    blocked, escalated, breached = [], [], []
    for r in rows:
        kinds = {c["control_point"] for c in r["clocks"]}
        if "escalate" in kinds:
            blocked.append(r)
        if r["last"] and r["last"]["activity"] in (Activity.ESCALATED.value,
                                                    Activity.REFERRED_TO_MEETING.value):
            escalated.append(r)
        if any(c["state"] == "breached" for c in r["clocks"]):
            breached.append(r)
    return {"blocked": blocked, "escalated": escalated, "breached": breached}


@dataclass(frozen=True)
class Window:
    """A named window of attempt-1 receipt times [start, end) (UTC)."""

    name: str
    start: datetime | None
    end: datetime | None


def window_of(spec: str, as_of: datetime, tz: tzinfo) -> Window:
    """``today``, ``week`` (ISO week), ``month`` (calendar month) in the site's zone, ``all``,
    or ``START/END`` (ISO 8601 with offsets)."""
    local = as_of.astimezone(tz)
    midnight = datetime(local.year, local.month, local.day, tzinfo=tz)
    if spec == "today":
        start, end = midnight, midnight + timedelta(days=1)
    elif spec == "week":
        start = midnight - timedelta(days=local.weekday())
        end = start + timedelta(days=7)
    elif spec == "month":
        start = datetime(local.year, local.month, 1, tzinfo=tz)
        end = datetime(local.year + local.month // 12, local.month % 12 + 1, 1, tzinfo=tz)
    elif spec == "all":
        return Window(spec, None, None)
    elif "/" in spec:
        a, _, b = spec.partition("/")
        try:
            start, end = datetime.fromisoformat(a), datetime.fromisoformat(b)
        except ValueError:
            raise ValueError(f"window {spec!r}: START/END must be ISO 8601 timestamps") from None
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError(f"window {spec!r}: timestamps need a UTC offset")
        if end <= start:
            raise ValueError(f"window {spec!r}: END must be after START")
    else:
        raise ValueError(f"window {spec!r}: expected today, week, month, all or START/END")
    return Window(spec, start, end)


def _window_arg(w: Window) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    return (None if w.start is None else pd.Timestamp(w.start).tz_convert("UTC"),
            None if w.end is None else pd.Timestamp(w.end).tz_convert("UTC"))


def indicator_rows(
    log: EventLog, window: Window, as_of: datetime, *, bounds: ControlPoints | None
) -> list[dict[str, Any]]:
    """The six indicators of the tickets received in ``window``, evaluated at ``as_of``."""
    from fcsim.kpi import indicators

    if len(log.tickets) == 0:
        return []
    ind = indicators(log, as_of=pd.Timestamp(as_of), bounds=bounds, window=_window_arg(window))
    ind = ind[(ind["level"] == "log").to_numpy()]
    return clock_dicts(ind.drop(columns=["level", "scenario", "replication"]))


def period_rows(
    log: EventLog, as_of: datetime, *, period: str, weeks_back: int | None,
    bounds: ControlPoints | None, tz: tzinfo,
) -> pd.DataFrame:
    """The weekly (or monthly) statistics table (信息三率統計表) at ``as_of``; with
    ``weeks_back``, only the tickets of the last so many ISO weeks."""
    from fcsim.kpi import periods

    if len(log.tickets) == 0:
        return pd.DataFrame()
    window = None
    if weeks_back is not None:
        w = window_of("week", as_of, tz)
        assert w.start is not None
        window = _window_arg(Window("weeks", w.start - timedelta(weeks=weeks_back - 1), None))
    table = periods(log, period=period, as_of=pd.Timestamp(as_of),  # type: ignore[arg-type]
                    bounds=bounds, window=window)
    return table.drop(columns=["scenario", "replication"])
