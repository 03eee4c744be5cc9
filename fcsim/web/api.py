"""The JSON API for integration: ``/api/...``, authenticated by ``Authorization: Bearer``.

Every write goes through :class:`fcsim.recorder.Recorder` (the same lifecycle check, in the
same transaction, as the CLI), with the caller as the event's ``resource``. Errors are JSON:
``{"error": {"code", "message", ...}}``; a lifecycle refusal carries the lifecycle's code and
every violation. ``?level=import`` (admin and integration accounts only) asks for the import
lifecycle level; both levels check the one lifecycle until the real-log import issue.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from fcsim.model.access import EVENT_ROLE, Permission, UserRole, may_record
from fcsim.model.activities import Activity, Role
from fcsim.model.taxonomy import Mode, Source
from fcsim.recorder.checks import TicketExists
from fcsim.web import data, idempotency
from fcsim.web.auth import GuardedRoute, api_error, context, guard, principal

__all__ = ["NewCorrection", "NewEvent", "NewTicket", "router"]

router = APIRouter(prefix="/api", route_class=GuardedRoute, tags=["api"])

_Text = Annotated[str, Field(max_length=4000)]
_Short = Annotated[str, Field(max_length=200)]
Level = Annotated[Literal["live", "import"], Query(
    description="lifecycle level: live (default) or import (admin and integration only)")]
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key", description=(
    "a retried request with the same key is stored once and gets the original response"))]


class NewTicket(BaseModel):
    """A work order (工作單) at intake."""

    model_config = ConfigDict(extra="forbid")
    ticket_id: Annotated[str, Field(min_length=1, max_length=128)] | None = None
    category: _Short
    received_at: AwareDatetime
    source: Source
    mode: Mode = Mode.IMMEDIATE
    emergency: bool = False
    location: _Text
    content: _Text
    contact: _Short | None
    phone: _Short | None
    appointment_at: AwareDatetime | None = None


class Facts(BaseModel):
    """Ticket facts known at this step (completion, acceptance, callback, closing)."""

    model_config = ConfigDict(extra="forbid")
    materials: _Text | None = None
    charge: float | None = None
    satisfied: bool | None = None
    charge_confirmed: bool | None = None
    record_accurate: bool | None = None
    recognised_correctly: bool | None = None


class NewEvent(BaseModel):
    """One event of a ticket; the caller is its resource."""

    model_config = ConfigDict(extra="forbid")
    activity: Activity
    timestamp: AwareDatetime
    started_at: AwareDatetime | None = None
    role: Role | None = None
    facts: Facts | None = None


class NewCorrection(BaseModel):
    """Void or amend an event (``seq``) or the ticket (``seq`` null), with a reason."""

    model_config = ConfigDict(extra="forbid")
    action: Literal["void", "amend"]
    seq: int | None
    reason: Annotated[str, Field(min_length=1, max_length=2000)]
    changes: dict[str, Any] | None = None


def _event_role(user_role: str, asked: Role | str | None) -> str | None:
    if asked is not None:
        return str(asked)
    default = EVENT_ROLE[UserRole(user_role)]
    return None if default is None else default.value


def _key(key: str | None) -> str | None:
    if key is not None and not idempotency.valid_key(key):
        raise ValueError("Idempotency-Key: 1-255 printable ASCII characters, no spaces")
    return key


def _respond(stored: idempotency.Stored, replayed: bool) -> JSONResponse:
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    return JSONResponse(stored.body, status_code=stored.status, headers=headers)


def _print(request: Request, body: BaseModel) -> str:
    return idempotency.fingerprint(request.method, request.url.path, request.url.query,
                                   body.model_dump(mode="json"))


def _new_ticket_id(received_at: datetime) -> str:
    return f"W{received_at:%y%m%d}-{secrets.token_hex(3).upper()}"


@router.post("/tickets", status_code=201, openapi_extra=guard(Permission.OPEN_TICKET, "api"),
             summary="open a ticket (work order)")
def post_ticket(request: Request, body: NewTicket, level: Level = "live",
                idempotency_key: IdemKey = None) -> JSONResponse:
    """Open a ticket with its ``received`` event; returns ``{id, ticket_id}``.

    ``id`` is the store's numeric key; the ticket's URLs use ``ticket_id`` (generated as
    ``WYYMMDD-XXXXXX`` when not given). An appointment is booked at ``received_at``.
    """
    ctx, who = context(request), principal(request).user
    key = _key(idempotency_key)

    def write(hook: Any) -> None:
        for _ in range(5):
            tid = body.ticket_id or _new_ticket_id(body.received_at)
            try:
                ctx.recorder.open_ticket(
                    tid, category=body.category, received_at=body.received_at,
                    emergency=body.emergency, mode=body.mode.value, source=body.source.value,
                    booked_at=body.received_at if body.mode == Mode.APPOINTMENT else None,
                    appointment_at=body.appointment_at, location=body.location,
                    content=body.content, contact=body.contact, phone=body.phone,
                    resource=who.name, role=_event_role(who.role, None) or Role.DESK.value,
                    by=who.name,
                    level=level, in_transaction=hook)
                return
            except TicketExists:
                if body.ticket_id:
                    raise
        raise TicketExists("could not generate a free ticket id; give ticket_id")

    stored, replayed = idempotency.run(
        ctx.recorder.engine, ctx.in_flight, who.uid, key, _print(request, body), 201, write,
        lambda r: {"id": int(r["tid"]), "ticket_id": str(r["ticket_id"])})
    return _respond(stored, replayed)


@router.post("/tickets/{ticket_id}/events", status_code=201,
             openapi_extra=guard(Permission.RECORD, "api"), summary="append an event")
def post_event(request: Request, ticket_id: str, body: NewEvent, level: Level = "live",
               idempotency_key: IdemKey = None) -> JSONResponse:
    """Append one event (checked against the lifecycle); the caller is its ``resource``.

    Returns ``{ticket_id, seq, attempt, activity, timestamp}``.
    """
    ctx, who = context(request), principal(request).user
    if not may_record(who.role, body.activity.value):
        return api_error(403, "forbidden",
                         f"role {who.role} may not record {body.activity.value}")
    key = _key(idempotency_key)
    facts = body.facts.model_dump(exclude_none=True) if body.facts else None

    def write(hook: Any) -> None:
        ctx.recorder.append(ticket_id, body.activity.value, body.timestamp,
                            started_at=body.started_at, resource=who.name,
                            role=_event_role(who.role, body.role), facts=facts, by=who.name,
                            level=level, in_transaction=hook)

    def body_of(r: Any) -> dict[str, Any]:
        return {"ticket_id": str(r["ticket_id"]), "seq": int(r["seq"]),
                "attempt": int(r["attempt"]), "activity": str(r["activity"]),
                "timestamp": body.timestamp.isoformat()}

    stored, replayed = idempotency.run(ctx.recorder.engine, ctx.in_flight, who.uid, key,
                                       _print(request, body), 201, write, body_of)
    return _respond(stored, replayed)


@router.post("/tickets/{ticket_id}/corrections", status_code=201,
             openapi_extra=guard(Permission.CORRECT, "api"), summary="void or amend")
def post_correction(request: Request, ticket_id: str, body: NewCorrection,
                    level: Level = "live", idempotency_key: IdemKey = None) -> JSONResponse:
    """Void or amend an event or the ticket, with a reason (desk, supervisors, managers)."""
    ctx, who = context(request), principal(request).user
    key = _key(idempotency_key)

    def write(hook: Any) -> None:
        ctx.recorder.correct(ticket_id, action=body.action, seq=body.seq,
                             changes=body.changes, by=who.name, reason=body.reason,
                             at=ctx.now(), level=level, in_transaction=hook)

    stored, replayed = idempotency.run(
        ctx.recorder.engine, ctx.in_flight, who.uid, key, _print(request, body), 201, write,
        lambda r: {"id": int(r["cid"]), "ticket_id": str(r["ticket_id"]), "seq": r["seq"]})
    return _respond(stored, replayed)


def _ticket_json(row: dict[str, Any]) -> dict[str, Any]:
    t = dict(row["ticket"])
    keep = ("ticket_id", "category", "emergency", "source", "mode", "appointment_at",
            "location", "content", "contact", "phone", "department")
    out: dict[str, Any] = {k: _iso(t.get(k)) for k in keep}
    out["last_activity"] = row["last"]["activity"] if row["last"] else None
    out["clocks"] = [{k: _iso(c[k]) for k in ("attempt", "occurrence", "control_point", "state",
                                               "start", "deadline", "remaining_s", "upper_s")}
                     for c in row["clocks"]]
    return out


def _iso(v: Any) -> Any:
    return v.isoformat() if isinstance(v, datetime) else v


@router.get("/tickets", openapi_extra=guard(Permission.BOARD, "api"),
            summary="open tickets with their running clocks")
def get_tickets(request: Request, open: bool = True) -> dict[str, Any]:
    """The open tickets, most urgent first, each with its running and breached clocks."""
    ctx = context(request)
    if not open:
        raise ValueError("only open=true is supported: closed tickets are in the export")
    now = ctx.now()
    log = ctx.recorder.export(open_at=now)
    rows = data.board(log, now, margin_s=ctx.settings.margin_s, bounds=ctx.settings.bounds)
    return {"as_of": now.isoformat(), "tickets": [_ticket_json(r) for r in rows]}


@router.get("/tickets/{ticket_id}", openapi_extra=guard(Permission.VIEW_TICKET, "api"),
            summary="one ticket: facts, events, clocks")
def get_ticket(request: Request, ticket_id: str) -> dict[str, Any]:
    """A ticket's facts, its events (voided and amended flagged) and every clock instance."""
    ctx = context(request)
    now = ctx.now()
    view = ctx.recorder.show(ticket_id)
    clocks = data.ticket_clocks(ctx.recorder.export(ticket_ids=[ticket_id]), ticket_id, now,
                                margin_s=ctx.settings.margin_s, bounds=ctx.settings.bounds)
    ticket = {k: _iso(v) for k, v in view.ticket.items() if k not in ("tid", "import_id")}
    events = [{k: _iso(data._py(v)) for k, v in e.items()} for e in
              view.events.to_dict("records")]
    return {"as_of": now.isoformat(), "ticket": ticket, "events": events,
            "clocks": [{k: _iso(v) for k, v in c.items()} for c in clocks]}


@router.get("/indicators", openapi_extra=guard(Permission.INDICATORS, "api"),
            summary="the six indicators against their targets")
def get_indicators(request: Request, window: str = "week") -> dict[str, Any]:
    """Indicators of the tickets received in ``window`` (today, week, month, all or
    START/END), evaluated now; weeks and days in the site's time zone."""
    ctx = context(request)
    now = ctx.now()
    w = data.window_of(window, now, ctx.settings.tz)
    rows = data.indicator_rows(ctx.recorder.export(), w, now, bounds=ctx.settings.bounds)
    return {"as_of": now.isoformat(), "window": {"name": w.name, "start": _iso(w.start),
                                                  "end": _iso(w.end)},
            "indicators": rows}
