"""Reading the store: effective events (corrections applied) and the export to an EventLog.

Event rows are never changed; their *effective* form overlays the corrections in the order
they were written: ``void`` hides an event, ``amend`` replaces some of its fields.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, Connection, select

from fcsim.eventlog import EventLog
from fcsim.recorder.store import CORRECTIONS, EVENTS, TICKETS

__all__ = [
    "AMENDABLE_EVENT_FIELDS",
    "EVENT_FIELDS",
    "TICKET_FIELDS",
    "effective_events",
    "export_log",
]

#: Event fields of the contract, in contract order (ticket_id excluded).
EVENT_FIELDS = (
    "seq", "activity", "started_at", "timestamp", "resource", "role", "attempt",
    "scenario", "replication",
)
AMENDABLE_EVENT_FIELDS = ("activity", "started_at", "timestamp", "resource", "role", "attempt")
#: Ticket fields of the contract (ticket_id excluded), as stored.
TICKET_FIELDS = (
    "category", "emergency", "source", "mode", "booked_at", "appointment_at", "location",
    "content", "contact", "phone", "department", "route_dispatch", "route_site_visit",
    "route_callback", "satisfied", "record_accurate", "recognised_correctly", "charge",
    "charge_confirmed", "materials", "scenario", "replication",
)


def effective_events(
    conn: Connection, tid: int, *, include_voided: bool = False
) -> list[dict[str, Any]]:
    """A ticket's events with its corrections applied, in write order.

    Each dict holds the stored columns plus ``voided`` and ``amended`` flags; voided events are
    left out unless ``include_voided``.
    """
    rows = [dict(r._mapping) for r in conn.execute(
        select(EVENTS).where(EVENTS.c.tid == tid).order_by(EVENTS.c.eid)
    )]
    by_eid = {r["eid"]: r for r in rows}
    for r in rows:
        r["voided"] = False
        r["amended"] = False
    corr = conn.execute(
        select(CORRECTIONS.c.eid, CORRECTIONS.c.action, CORRECTIONS.c.changes)
        .where(CORRECTIONS.c.tid == tid, CORRECTIONS.c.eid.is_not(None))
        .order_by(CORRECTIONS.c.cid)
    )
    _apply(by_eid, corr)
    return [r for r in rows if include_voided or not r["voided"]]


def _apply(by_eid: dict[int, dict[str, Any]], corrections: Iterable[Any]) -> None:
    for eid, action, changes in corrections:
        row = by_eid.get(eid)
        if row is None:
            continue
        if action == "void":
            row["voided"] = True
        else:
            row.update(json.loads(changes))
            row["amended"] = True


def _ms_column(values: pd.Series) -> pd.Series:
    ints = pd.to_numeric(values, errors="raise").astype("Int64")
    raw = ints.fillna(0).to_numpy("int64").astype("datetime64[ms]")
    raw[ints.isna().to_numpy(bool)] = np.datetime64("NaT")
    return pd.Series(raw, index=values.index).dt.tz_localize("UTC")


def export_log(
    conn: Connection,
    *,
    anonymise: bool = False,
    key: bytes | None = None,
    staff_names: Iterable[str] = (),
    drop_free_text: bool = False,
    ticket_ids: Iterable[str] | None = None,
    open_at_ms: int | None = None,
) -> EventLog:
    """All non-voided tickets and their effective events as a canonical :class:`EventLog`.

    Tickets and events come out in the order they were written, so a log imported whole
    re-exports row for row. With ``anonymise`` every personal field is pseudonymised under
    ``key`` and free text is scrubbed (or dropped); see :mod:`fcsim.recorder.anonymise`.
    ``ticket_ids`` keeps those tickets only; ``open_at_ms`` leaves out the tickets that have
    a stored ``closed`` event at or before that instant and no correction (a correction may
    have voided or changed it), so that what a live board reads does not grow with history.
    """
    if anonymise and not key:
        raise ValueError("an anonymised export needs the store's key")
    chosen: ColumnElement[bool] = TICKETS.c.voided.is_(False)
    if ticket_ids is not None:
        chosen = chosen & TICKETS.c.ticket_id.in_(list(ticket_ids))
    if open_at_ms is not None:
        closed = select(EVENTS.c.tid).where(EVENTS.c.tid == TICKETS.c.tid,
                                            EVENTS.c.activity == "closed",
                                            EVENTS.c.timestamp <= open_at_ms)
        corrected = select(CORRECTIONS.c.tid).where(CORRECTIONS.c.tid == TICKETS.c.tid)
        chosen = chosen & (~closed.exists() | corrected.exists())
    tk_rows = conn.execute(
        select(TICKETS.c.tid, TICKETS.c.ticket_id, *[TICKETS.c[f] for f in TICKET_FIELDS])
        .where(chosen)
        .order_by(TICKETS.c.tid)
    ).all()
    tickets = pd.DataFrame(
        [tuple(r) for r in tk_rows], columns=["tid", "ticket_id", *TICKET_FIELDS]
    )
    ev_query = select(EVENTS.c.eid, EVENTS.c.tid, *[EVENTS.c[f] for f in EVENT_FIELDS])
    corr_query = (select(CORRECTIONS.c.eid, CORRECTIONS.c.action, CORRECTIONS.c.changes)
                  .where(CORRECTIONS.c.eid.is_not(None)))
    if ticket_ids is not None or open_at_ms is not None:
        tids = select(TICKETS.c.tid).where(chosen)
        ev_query = ev_query.where(EVENTS.c.tid.in_(tids))
        corr_query = corr_query.where(CORRECTIONS.c.tid.in_(tids))
    ev_rows = conn.execute(ev_query.order_by(EVENTS.c.eid)).all()
    events = pd.DataFrame([tuple(r) for r in ev_rows], columns=["eid", "tid", *EVENT_FIELDS])
    corr = conn.execute(corr_query.order_by(CORRECTIONS.c.cid)).all()
    if corr:
        events = _overlay(events, corr)
    ids = dict(zip(tickets["tid"], tickets["ticket_id"], strict=True))
    events = events[events["tid"].isin(ids)]
    events.insert(0, "ticket_id", events["tid"].map(ids))
    events = events.drop(columns=["eid", "tid"]).reset_index(drop=True)
    tickets = tickets.drop(columns=["tid"])
    for col in ("started_at", "timestamp"):
        events[col] = _ms_column(events[col])
    for col in ("booked_at", "appointment_at"):
        tickets[col] = _ms_column(tickets[col])
    for col in ("emergency", "route_dispatch", "route_site_visit", "route_callback",
                "satisfied", "record_accurate", "recognised_correctly", "charge_confirmed"):
        tickets[col] = tickets[col].astype("boolean")
    if anonymise:
        from fcsim.recorder.anonymise import anonymise_frames

        assert key is not None
        tickets, events = anonymise_frames(tickets, events, key, staff_names=staff_names,
                                           drop_free_text=drop_free_text)
    return EventLog.from_frames(events, tickets)


def _overlay(events: pd.DataFrame, corrections: Iterable[Any]) -> pd.DataFrame:
    events = events.set_index("eid", drop=False)
    events = events.astype({"activity": object, "resource": object, "role": object})
    voided: set[int] = set()
    for eid, action, changes in corrections:
        if eid not in events.index:
            continue
        if action == "void":
            voided.add(eid)
        else:
            for field, value in json.loads(changes).items():
                events.at[eid, field] = value
    return events[~events["eid"].isin(voided)].reset_index(drop=True)
