"""The recorder's Python API: real tickets in a real database.

:class:`Recorder` opens tickets (the intake half of the paper record form), appends events
(each one checked against the lifecycle inside the write transaction: an invalid event is
refused and nothing is written), closes them, corrects mistakes by append-only corrections,
shows a ticket's history, lists open tickets with their running clocks, exports the standard
event log and imports other systems' logs (:mod:`fcsim.recorder.importer`). The site's time zone
and bounds (:mod:`fcsim.recorder.site`) are set with :meth:`Recorder.set_site`; ``status`` and
``export`` use them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from fcsim.eventlog import EventLog
from fcsim.model.activities import Activity
from fcsim.model.control_points import ControlPoints
from fcsim.model.taxonomy import Mode, Taxonomy, default_taxonomy
from fcsim.recorder import checks, values
from fcsim.recorder.checks import (
    LifecycleError,
    RecorderError,
    TicketExists,
    TicketNotFound,
    check_level,
    datetime_to_ms,
)
from fcsim.recorder.quality import QualityReport
from fcsim.recorder.site import Site, read_site, site_manifest, write_site
from fcsim.recorder.store import (
    CORRECTIONS,
    DEFAULT_URL,
    EVENTS,
    TICKETS,
    create_schema,
    insert_row,
    lock_ticket,
    make_engine,
    now_ms,
    read_transaction,
    write_transaction,
)
from fcsim.recorder.views import (
    effective_events,
    export_log,
)

__all__ = ["InTransaction", "LifecycleError", "Recorder", "RecorderError", "TicketRecord"]

logger = logging.getLogger(__name__)

#: A callback run inside a write's transaction, after the write, with the write's result
#: (``tid``, ``ticket_id``, ``seq`` …): its own writes commit or roll back with it (the web
#: API stores an idempotent request's response this way).
InTransaction = Callable[[Connection, Mapping[str, Any]], None]


@dataclass(frozen=True)
class TicketRecord:
    """One ticket's full history, as :meth:`Recorder.show` returns it.

    Attributes
    ----------
    ticket:
        The ticket's current facts (timestamps as aware datetimes).
    events:
        Every event ever written, in write order, with corrections applied and ``voided`` /
        ``amended`` flags.
    corrections:
        The audit trail: one row per correction (action, changes, previous, by, at, reason).
    """

    ticket: dict[str, Any]
    events: pd.DataFrame
    corrections: pd.DataFrame


class Recorder:
    """Real tickets in a SQLite file or any SQLAlchemy database.

    Parameters
    ----------
    url:
        SQLAlchemy URL; ``sqlite:///path.sqlite`` (default ``sqlite:///fcsim-records.sqlite``)
        or ``postgresql+psycopg://user@host/db`` for several desks.
    taxonomy:
        Categories whose route flags and department are copied onto tickets at intake.
    create:
        Create the tables if they do not exist.
    """

    def __init__(
        self, url: str = DEFAULT_URL, *, taxonomy: Taxonomy | None = None, create: bool = True
    ) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.taxonomy = taxonomy or default_taxonomy()
        if create:
            create_schema(self.engine)

    def close_connections(self) -> None:
        """Release the engine's pooled connections."""
        self.engine.dispose()

    # -- intake ---------------------------------------------------------------------------
    def open_ticket(
        self,
        ticket_id: str,
        *,
        category: str,
        received_at: Any,
        emergency: bool = False,
        mode: str = "immediate",
        source: str | None = None,
        booked_at: Any = None,
        appointment_at: Any = None,
        location: str | None = None,
        content: str | None = None,
        contact: str | None = None,
        phone: str | None = None,
        department: str | None = None,
        route_dispatch: bool | None = None,
        route_site_visit: bool | None = None,
        route_callback: bool | None = None,
        resource: str | None = None,
        role: str | None = "desk",
        by: str | None = None,
        level: str = "live",
        in_transaction: InTransaction | None = None,
    ) -> int:
        """Open a ticket with its intake facts and its ``received`` event; returns that seq.

        Route flags and department default to the category's in the recorder's taxonomy;
        a category outside the taxonomy must give all three route flags. ``level`` is the
        lifecycle level (:data:`~fcsim.recorder.checks.LEVELS`: ``live`` refuses every rule
        of :mod:`fcsim.model.lifecycle`, ``import`` only those of ``KPI.md``);
        ``in_transaction`` runs inside the write transaction with ``tid``, ``ticket_id`` and
        ``seq``.
        """
        check_level(level)
        if not ticket_id:
            raise RecorderError("ticket_id is empty")
        if mode not in {m.value for m in Mode}:
            raise RecorderError(f"mode {mode!r} is not immediate or appointment")
        if mode == Mode.APPOINTMENT and appointment_at is None:
            raise RecorderError(f"ticket {ticket_id}: an appointment needs appointment_at")
        flags = {"route_dispatch": route_dispatch, "route_site_visit": route_site_visit,
                 "route_callback": route_callback}
        if category in self.taxonomy:
            cat = self.taxonomy[category]
            flags = {k: getattr(cat, k) if v is None else v for k, v in flags.items()}
            department = department or cat.department
        elif any(v is None for v in flags.values()):
            raise RecorderError(
                f"ticket {ticket_id}: category {category!r} is not in the taxonomy "
                f"({', '.join(self.taxonomy.names)}); give route_dispatch, route_site_visit "
                "and route_callback"
            )
        row: dict[str, Any] = {
            "ticket_id": ticket_id, "category": category, "emergency": bool(emergency),
            "source": source, "mode": mode,
            "booked_at": values.ms_or_none(booked_at, "booked_at"),
            "appointment_at": values.ms_or_none(appointment_at, "appointment_at"),
            "location": location, "content": content, "contact": contact, "phone": phone,
            "department": department, **flags, "voided": False, "opened_by": by,
            "written_at": now_ms(),
        }
        received = {"activity": Activity.RECEIVED.value, "timestamp":
                    datetime_to_ms(received_at, field="received_at"), "started_at": None,
                    "resource": resource, "role": values.role(role), "attempt": 1, "seq": 0}
        with write_transaction(self.engine) as conn:
            violations = checks.check_append([], received, row, level)
            if violations:
                raise LifecycleError(
                    checks.format_violations(ticket_id, violations, "opening"), violations
                )
            try:
                tid = insert_row(conn, TICKETS, **row)
            except IntegrityError:
                raise TicketExists(f"ticket {ticket_id} already exists") from None
            conn.execute(insert(EVENTS).values(
                tid=tid, written_by=by, written_at=row["written_at"], **received
            ))
            if in_transaction is not None:
                in_transaction(conn, {"tid": tid, "ticket_id": ticket_id, "seq": 0})
        logger.info("opened ticket %s", ticket_id)
        return 0

    # -- events ---------------------------------------------------------------------------
    def append(
        self,
        ticket_id: str,
        activity: str,
        timestamp: Any,
        *,
        started_at: Any = None,
        resource: str | None = None,
        role: str | None = None,
        attempt: int | None = None,
        facts: Mapping[str, Any] | None = None,
        by: str | None = None,
        level: str = "live",
        in_transaction: InTransaction | None = None,
    ) -> int:
        """Append one event, checked against the lifecycle; returns its ``seq``.

        ``attempt`` defaults to 1 + the number of ``rejected`` events before it. ``facts``
        fills in ticket facts known at this step (``materials``, ``charge`` at completion;
        ``satisfied``, ``charge_confirmed`` at callback …); a fact already set to another
        value must be changed with :meth:`correct`. An invalid event raises
        :class:`LifecycleError` and nothing is written. ``level`` is the lifecycle level
        (``live``: every rule; ``import``: only those of ``KPI.md``). ``in_transaction``
        runs inside the write transaction with ``tid``, ``ticket_id``, ``seq``, ``attempt``,
        ``activity`` and ``timestamp`` (ms).
        """
        check_level(level)
        try:
            act = Activity(activity)
        except ValueError:
            raise RecorderError(
                f"unknown activity {activity!r} (known: {', '.join(a.value for a in Activity)})"
            ) from None
        ts = datetime_to_ms(timestamp, field="timestamp")
        st = values.ms_or_none(started_at, "started_at")
        if st is not None and st > ts:
            raise RecorderError(f"ticket {ticket_id}: started_at is after timestamp")
        fact_values = values.check_facts(facts or {})
        with write_transaction(self.engine) as conn:
            ticket = _locked_ticket(conn, ticket_id)
            every = effective_events(conn, ticket["tid"], include_voided=True)
            existing = [e for e in every if not e["voided"]]
            seq = 1 + max((int(e["seq"]) for e in every), default=-1)
            if attempt is None:
                attempt = 1 + sum(
                    e["activity"] == Activity.REJECTED.value for e in existing
                    if (e["timestamp"], e["seq"]) < (ts, seq)
                )
            new = {"activity": act.value, "timestamp": ts, "started_at": st,
                   "resource": resource, "role": values.role(role), "attempt": int(attempt),
                   "seq": seq, "scenario": ticket["scenario"],
                   "replication": ticket["replication"]}
            updates = values.fact_updates(ticket, fact_values)
            facts_after = {**ticket, **updates}
            violations = checks.check_append(existing, new, facts_after, level)
            if violations:
                raise LifecycleError(
                    checks.format_violations(ticket_id, violations, f"event {act.value}"),
                    violations,
                )
            conn.execute(insert(EVENTS).values(
                tid=ticket["tid"], written_by=by, written_at=now_ms(), **new
            ))
            if updates:
                conn.execute(update(TICKETS).where(TICKETS.c.tid == ticket["tid"])
                             .values(**updates))
            if in_transaction is not None:
                in_transaction(conn, {"tid": ticket["tid"], "ticket_id": ticket_id, "seq": seq,
                                      "attempt": int(attempt), "activity": act.value,
                                      "timestamp": ts})
        return seq

    def close(
        self,
        ticket_id: str,
        timestamp: Any,
        *,
        resource: str | None = None,
        role: str | None = "desk",
        facts: Mapping[str, Any] | None = None,
        by: str | None = None,
    ) -> int:
        """Append the ``closed`` event (checked like any other); returns its ``seq``."""
        return self.append(ticket_id, Activity.CLOSED.value, timestamp, resource=resource,
                           role=role, facts=facts, by=by)

    # -- corrections ----------------------------------------------------------------------
    def correct(
        self,
        ticket_id: str,
        *,
        action: str,
        by: str,
        reason: str,
        seq: int | None = None,
        changes: Mapping[str, Any] | None = None,
        at: Any = None,
        level: str = "live",
        in_transaction: InTransaction | None = None,
    ) -> int:
        """Void or amend an event (``seq`` given) or a ticket (``seq`` None); returns its id.

        History is never edited: the correction is a row of its own with who, when, why and
        the values before. The ticket's corrected history must still obey the lifecycle, or
        the correction is refused and nothing is written. ``level`` and ``in_transaction``
        as in :meth:`append` (the callback gets ``tid``, ``ticket_id``, ``cid``, ``seq``).
        """
        check_level(level)
        if action not in ("void", "amend"):
            raise RecorderError(f"action {action!r} is not void or amend")
        if not by or not reason:
            raise RecorderError("a correction needs who (by) and why (reason)")
        if action == "amend" and not changes:
            raise RecorderError("amend needs changes")
        if action == "void" and changes:
            raise RecorderError("void takes no changes")
        at_ms = now_ms() if at is None else datetime_to_ms(at, field="at")
        with write_transaction(self.engine) as conn:
            ticket = _locked_ticket(conn, ticket_id)
            events = effective_events(conn, ticket["tid"], include_voided=True)
            eid, previous, new_changes = None, {}, dict(changes or {})
            after_ticket = dict(ticket)
            if seq is not None:
                target = next((e for e in events if e["seq"] == seq), None)
                if target is None:
                    raise RecorderError(f"ticket {ticket_id}: no event with seq {seq}")
                if target["voided"]:
                    raise RecorderError(f"ticket {ticket_id}: event seq {seq} is already void")
                eid = target["eid"]
                new_changes = values.event_changes(ticket_id, new_changes)
                previous = {k: target[k] for k in new_changes}
                if action == "void":
                    target["voided"] = True
                else:
                    target.update(new_changes)
            else:
                if action == "amend":
                    new_changes = values.ticket_changes(ticket_id, new_changes)
                    previous = {k: ticket[k] for k in new_changes}
                    after_ticket.update(new_changes)
            live = [e for e in events if not e["voided"]]
            if not (seq is None and action == "void"):
                violations = (checks.check_sequence(live, after_ticket, level) if live
                              else [])
                if violations:
                    raise LifecycleError(
                        checks.format_violations(ticket_id, violations, f"correction {action}"),
                        violations,
                    )
            cid = insert_row(
                conn, CORRECTIONS, tid=ticket["tid"], eid=eid, action=action,
                changes=json.dumps(new_changes) if new_changes else None,
                previous=json.dumps(previous) if previous else None,
                corrected_by=by, corrected_at=at_ms, reason=reason, written_at=now_ms(),
            )
            if seq is None:
                row_values = {"voided": True} if action == "void" else new_changes
                conn.execute(update(TICKETS).where(TICKETS.c.tid == ticket["tid"])
                             .values(**row_values))
            if in_transaction is not None:
                in_transaction(conn, {"tid": ticket["tid"], "ticket_id": ticket_id,
                                      "cid": int(cid), "seq": seq})
        return int(cid)

    # -- reading --------------------------------------------------------------------------
    def show(self, ticket_id: str) -> TicketRecord:
        """A ticket's facts, every event (voided and amended flagged) and its corrections."""
        with read_transaction(self.engine) as conn:
            row = conn.execute(select(TICKETS).where(TICKETS.c.ticket_id == ticket_id)).first()
            if row is None:
                raise TicketNotFound(f"no ticket {ticket_id!r}")
            ticket = dict(row._mapping)
            events = effective_events(conn, ticket["tid"], include_voided=True)
            corr = [dict(r._mapping) for r in conn.execute(
                select(CORRECTIONS).where(CORRECTIONS.c.tid == ticket["tid"])
                .order_by(CORRECTIONS.c.cid)
            )]
        seq_of = {e["eid"]: e["seq"] for e in events}
        for k in ("booked_at", "appointment_at", "written_at"):
            ticket[k] = checks.ms_to_datetime(ticket[k])
        for e in events:
            for col in ("started_at", "timestamp", "written_at"):
                e[col] = checks.ms_to_datetime(e[col])
        ev = pd.DataFrame(events, columns=[
            "seq", "activity", "started_at", "timestamp", "resource", "role", "attempt",
            "voided", "amended", "written_by", "written_at", "eid",
        ])
        cr = pd.DataFrame(corr, columns=[
            "cid", "eid", "action", "changes", "previous", "corrected_by", "corrected_at",
            "reason",
        ])
        cr.insert(1, "seq", cr["eid"].map(seq_of).astype("Int64"))
        cr["corrected_at"] = [checks.ms_to_datetime(v) for v in cr["corrected_at"]]
        return TicketRecord(ticket, ev.drop(columns=["eid"]), cr.drop(columns=["eid"]))

    def site(self) -> Site:
        """The site's settings: time zone and bounds (empty when never set)."""
        with read_transaction(self.engine) as conn:
            return read_site(conn)

    def set_site(self, *, time_zone: str | None = None,
                 control_points: Mapping[str, Any] | None = None,
                 by: str | None = None) -> Site:
        """Set the site's IANA time zone and/or its bounds (parsed TOML / JSON data of a
        control-points file); a value left ``None`` keeps the stored one.

        Raises
        ------
        RecorderError
            Naming the zone or bound at fault; nothing is written.
        """
        with write_transaction(self.engine) as conn:
            return write_site(conn, time_zone=time_zone, control_points=control_points, by=by)

    def export(
        self,
        *,
        anonymise: bool = False,
        drop_free_text: bool = False,
        ticket_ids: Any = None,
        open_at: Any = None,
    ) -> EventLog:
        """The standard event log of every ticket (or of ``ticket_ids``; or, with ``open_at``,
        of a superset of the tickets open at that instant — those without a ``closed`` event
        by then, plus any with a correction — so that a live view does not read history).

        With ``anonymise``, every personal field (contact, phone, location, staff names in
        ``resource``) is replaced by a keyed pseudonym (HMAC-SHA256 under the store's own
        secret, which is never exported) and phone numbers, e-mail addresses and known names
        are scrubbed from the free text (``content``, ``materials``), or the free text is
        emptied with ``drop_free_text``; see :mod:`fcsim.recorder.anonymise`. The manifest
        holds the site's ``time_zone`` and bounds when they are set, and, after imports, what
        the log can measure (``measurability``: clocks with a synthesised or absent stage are
        not measurable), the events the imports synthesised and the imports' zone.
        """
        from fcsim.recorder.importer import imports_manifest

        with read_transaction(self.engine) as conn:
            manifest = site_manifest(read_site(conn))
            imported = imports_manifest(conn)
        if imported is not None:  # measurability travels with the log; the site's zone wins
            zone = (manifest or {}).get("time_zone") or imported.pop("time_zone", None)
            imported.pop("time_zone", None)
            manifest = {"kind": "observed", **(manifest or {}), **imported}
            if zone is not None:
                manifest["time_zone"] = zone
        log = self._export(anonymise=anonymise, drop_free_text=drop_free_text,
                           ticket_ids=ticket_ids, open_at=open_at)
        return log if manifest is None else EventLog(log.events, log.tickets, manifest)

    def _export(self, *, anonymise: bool, drop_free_text: bool, ticket_ids: Any,
                open_at: Any) -> EventLog:
        chosen: dict[str, Any] = {
            "ticket_ids": None if ticket_ids is None else [str(t) for t in ticket_ids],
            "open_at_ms": None if open_at is None else datetime_to_ms(open_at, field="open_at"),
        }
        if not anonymise:
            if drop_free_text:
                raise RecorderError("drop_free_text applies to an anonymised export")
            with read_transaction(self.engine) as conn:
                return export_log(conn, **chosen)
        from fcsim.recorder.anonymise import store_key
        from fcsim.recorder.store import USERS

        key = store_key(self.engine)
        with read_transaction(self.engine) as conn:
            staff = [str(n) for n in conn.execute(select(USERS.c.name)).scalars()]
            return export_log(conn, anonymise=True, key=key, staff_names=staff,
                              drop_free_text=drop_free_text, **chosen)

    def allowed_activities(self, ticket_id: str, timestamp: Any,
                           level: str = "live") -> list[str]:
        """The activities the lifecycle would accept as the ticket's next event at ``timestamp``.

        Each activity is tried with the same check an :meth:`append` makes at ``level``
        (attempt by default, no ``started_at``, no facts), in the procedure's order; nothing
        is written.
        """
        from fcsim.model import lifecycle

        check_level(level)
        ts = datetime_to_ms(timestamp, field="timestamp")
        with read_transaction(self.engine) as conn:
            row = conn.execute(select(TICKETS).where(TICKETS.c.ticket_id == ticket_id)).first()
            if row is None or row._mapping["voided"]:
                raise TicketNotFound(f"no ticket {ticket_id!r}")
            ticket = dict(row._mapping)
            every = effective_events(conn, ticket["tid"], include_voided=True)
        existing = [e for e in every if not e["voided"]]
        seq = 1 + max((int(e["seq"]) for e in every), default=-1)
        rejections = sum(e["activity"] == Activity.REJECTED.value for e in existing
                         if (e["timestamp"], e["seq"]) < (ts, seq))
        ordered = [checks.event_record(e) for e in
                   sorted(existing, key=lambda e: (e["timestamp"], e["seq"]))]
        facts = checks.ticket_facts(ticket)
        out = []
        for act in Activity:
            new = checks.event_record({"activity": act.value, "timestamp": ts, "seq": seq,
                                       "attempt": 1 + rejections, "started_at": None})
            if not lifecycle.check_append(ordered, new, facts, ticket_id=ticket_id,
                                          level=level):
                out.append(act.value)
        return out

    def status(
        self,
        as_of: Any,
        *,
        margin_s: float = 60.0,
        bounds: ControlPoints | None = None,
    ) -> pd.DataFrame:
        """Open tickets' clocks at ``as_of``: running, about_to_breach or breached.

        Returns one row per censored or breached clock instance of a ticket without a
        ``closed`` event: ticket_id, attempt, occurrence, control_point, state, start,
        deadline (both in the site's time zone when set), elapsed_s, remaining_s, upper_s,
        lateness_s. ``about_to_breach`` = running with at most ``margin_s`` left. Bounds: the
        site's (per category and for emergencies too), else ``bounds``, else the seed's.
        """
        from fcsim.recorder.status import open_clocks

        log = self.export()
        return open_clocks(log, as_of, margin_s=margin_s, bounds=bounds)

    def import_log(
        self,
        path: str | Path,
        mapping: Any,
        *,
        tickets_path: str | Path | None = None,
        by: str | None = None,
        policy: str | None = None,
    ) -> QualityReport:
        """Import another system's CSV/Excel export through a mapping (one transaction);
        ``policy`` (``fail`` | ``quarantine``) overrides the mapping's default.

        See :func:`fcsim.recorder.importer.import_file`.
        """
        from fcsim.recorder.importer import import_file

        return import_file(self.engine, path, mapping, tickets_path=tickets_path, by=by,
                           policy=policy)

    def import_eventlog(
        self,
        log: EventLog,
        *,
        source: str = "eventlog",
        policy: Mapping[str, str] | None = None,
        default_policy: str = "fail",
        by: str | None = None,
    ) -> QualityReport:
        """Import a log already in the standard format (e.g. a simulated run), keeping seq."""
        from fcsim.recorder.importer import import_eventlog

        return import_eventlog(self.engine, log, source=source, policy=policy or {},
                               default_policy=default_policy, by=by)

    def ticket_count(self) -> int:
        """Number of tickets in the store (voided ones included)."""
        with read_transaction(self.engine) as conn:
            return int(conn.execute(select(func.count()).select_from(TICKETS)).scalar_one())


def _locked_ticket(conn: Connection, ticket_id: str) -> dict[str, Any]:
    row = lock_ticket(conn, ticket_id)
    if row is None:
        raise TicketNotFound(f"no ticket {ticket_id!r} (open it first)")
    ticket = dict(row._mapping)
    if ticket["voided"]:
        raise TicketNotFound(f"ticket {ticket_id} is void")
    return ticket


