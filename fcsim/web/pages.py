"""The pages: board, new ticket, ticket, technician, supervisor and manager views, login.

Pages read with the session cookie and write with forms carrying the session's CSRF token
(:mod:`fcsim.web.auth`). A form that the recorder refuses re-renders its page with the
recorder's message and status 422; nothing was written. A form that succeeds redirects
(303) back to its page.
"""

from __future__ import annotations

import io
import secrets
import zipfile
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import pandas as pd
from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from fcsim.model.access import EVENT_ROLE, RECORDABLE, Permission, UserRole, may, may_record
from fcsim.model.activities import Activity
from fcsim.model.indicators import INDICATOR_IDS
from fcsim.model.taxonomy import Mode, Source
from fcsim.recorder.checks import RecorderError, TicketNotFound
from fcsim.recorder.views import AMENDABLE_EVENT_FIELDS, TICKET_FIELDS
from fcsim.web import data
from fcsim.web.auth import SESSION_COOKIE, GuardedRoute, context, guard, principal
from fcsim.web.context import WebContext
from fcsim.web.forecast import add_risks
from fcsim.web.render import render, render_error

__all__ = ["parse_local", "router", "safe_next"]

router = APIRouter(route_class=GuardedRoute, include_in_schema=False)

LOGIN_COOKIE = "fcsim_login_csrf"
_BOOL_FIELDS = {"emergency", "route_dispatch", "route_site_visit", "route_callback",
                "satisfied", "record_accurate", "recognised_correctly", "charge_confirmed"}
_TIME_FIELDS = {"timestamp", "started_at", "booked_at", "appointment_at"}
_YES = {"yes": True, "true": True, "1": True, "no": False, "false": False, "0": False}


def safe_next(value: object, default: str = "/") -> str:
    """A local path to go to after a form (never another site)."""
    text = str(value or "")
    if not text.startswith("/") or text.startswith("//") or "\\" in text:
        return default
    return text


def parse_local(text: object, ctx: WebContext, field: str) -> datetime | None:
    """A ``datetime-local`` value in the site's zone (or ISO 8601 with an offset) as UTC;
    empty gives None."""
    raw = str(text or "").strip()
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise RecorderError(f"{field}: {raw!r} is not a date and time") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=ctx.settings.tz)
    return value


def _local_input(value: datetime, ctx: WebContext) -> str:
    return value.astimezone(ctx.settings.tz).strftime("%Y-%m-%dT%H:%M:%S")


def _yes_no(value: object, field: str) -> bool | None:
    text = str(value or "").strip().lower()
    if not text:
        return None
    if text not in _YES:
        raise RecorderError(f"{field}: {value!r} is not yes/no")
    return _YES[text]


def _text(form: FormData, name: str) -> str | None:
    v = form.get(name)
    return v.strip() or None if isinstance(v, str) else None


# -- login ------------------------------------------------------------------------------------
@router.get("/login", openapi_extra=guard(None, "public"))
def login_page(request: Request, next: str = "/") -> Response:
    token = secrets.token_urlsafe(32)
    resp = render(request, "login.html", login_csrf=token, next=safe_next(next), error=None)
    _set_cookie(request, resp, LOGIN_COOKIE, token, max_age=3600)
    return resp


@router.post("/login", openapi_extra=guard(None, "public"))
async def login(request: Request) -> Response:
    from fcsim.recorder.accounts import tokens_equal

    ctx = context(request)
    form = await request.form()
    sent, cookie = form.get("csrf"), request.cookies.get(LOGIN_COOKIE)
    if not isinstance(sent, str) or not cookie or not tokens_equal(sent, cookie):
        return render_error(request, 403, "CSRF token missing or wrong; reload the page and "
                                          "try again. 表單已過期，請重新載入。")
    name, password = str(form.get("name") or ""), str(form.get("password") or "")
    user = await run_in_threadpool(ctx.accounts.verify_password, name, password)
    target = safe_next(form.get("next"))
    if user is None:
        token = secrets.token_urlsafe(32)
        resp = render(request, "login.html", status=401, login_csrf=token, next=target,
                      error="名稱或密碼錯誤 Wrong name or password.")
        _set_cookie(request, resp, LOGIN_COOKIE, token, max_age=3600)
        return resp
    cookie_value, _ = await run_in_threadpool(ctx.accounts.new_session, user,
                                              ttl_s=ctx.settings.session_ttl_s)
    if target == "/":
        target = _home(user.role)
    done = RedirectResponse(target, status_code=303)
    _set_cookie(request, done, SESSION_COOKIE, cookie_value,
                max_age=int(ctx.settings.session_ttl_s))
    done.delete_cookie(LOGIN_COOKIE, path="/")
    return done


def _set_cookie(request: Request, resp: Response, name: str, value: str, max_age: int) -> None:
    resp.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="strict",
                    secure=context(request).settings.secure_cookies)


@router.post("/logout", openapi_extra=guard(None, "form"))
async def logout(request: Request) -> Response:
    ctx = context(request)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        await run_in_threadpool(ctx.accounts.end_session, cookie)
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


def _home(role: str) -> str:
    if may(role, Permission.BOARD):
        return "/board"
    if may(role, Permission.JOBS):
        return "/jobs"
    return "/login"


@router.get("/", openapi_extra=guard(None, "page"))
def home(request: Request) -> Response:
    return RedirectResponse(_home(principal(request).user.role), status_code=303)


# -- board -----------------------------------------------------------------------------------
def _board_rows(ctx: WebContext) -> tuple[datetime, list[dict[str, Any]]]:
    now = ctx.now()
    rows = data.board(ctx.recorder.export(open_at=now), now, margin_s=ctx.settings.margin_s,
                      bounds=ctx.settings.bounds)
    if ctx.settings.forecast is not None and rows:
        add_risks(rows, ctx.settings.forecast.risks(ctx.recorder, now))
    return now, rows


@router.get("/board", openapi_extra=guard(Permission.BOARD, "page"))
def board(request: Request) -> Response:
    ctx = context(request)
    now, rows = _board_rows(ctx)
    return render(request, "board.html", now=now, rows=rows, forecast=ctx.settings.forecast)


@router.get("/board/rows", openapi_extra=guard(Permission.BOARD, "page"))
def board_rows(request: Request) -> Response:
    now, rows = _board_rows(context(request))
    return render(request, "board_rows.html", now=now, rows=rows)


# -- new ticket ------------------------------------------------------------------------------
def _new_ticket_page(request: Request, status: int = 200, error: str | None = None,
                     form: dict[str, Any] | None = None) -> Response:
    ctx = context(request)
    return render(request, "new_ticket.html", status=status, error=error, form=form or {},
                  categories=list(ctx.recorder.taxonomy), sources=[s.value for s in Source])


@router.get("/tickets/new", openapi_extra=guard(Permission.OPEN_TICKET, "page"))
def new_ticket_page(request: Request) -> Response:
    return _new_ticket_page(request)


@router.post("/tickets/new", openapi_extra=guard(Permission.OPEN_TICKET, "form"))
async def new_ticket(request: Request) -> Response:
    form = await request.form()
    return await run_in_threadpool(_open_ticket, request, form)


def _open_ticket(request: Request, form: FormData) -> Response:
    from fcsim.web.api import _new_ticket_id

    ctx, who = context(request), principal(request).user
    values = {k: v for k, v in form.items() if k != "csrf" and isinstance(v, str)}
    try:
        received = parse_local(form.get("received_at"), ctx, "received_at") or ctx.now()
        mode = _text(form, "mode") or Mode.IMMEDIATE.value
        appointment = parse_local(form.get("appointment_at"), ctx, "appointment_at")
        tid = _text(form, "ticket_id") or _new_ticket_id(received)
        role = EVENT_ROLE[UserRole(who.role)]
        ctx.recorder.open_ticket(
            tid, category=str(form.get("category") or ""), received_at=received,
            emergency=_yes_no(form.get("emergency"), "emergency") or False, mode=mode,
            source=_text(form, "source"),
            booked_at=received if mode == Mode.APPOINTMENT.value else None,
            appointment_at=appointment, location=_text(form, "location"),
            content=_text(form, "content"), contact=_text(form, "contact"),
            phone=_text(form, "phone"), resource=who.name,
            role=role.value if role else "desk", by=who.name)
    except RecorderError as exc:
        return _new_ticket_page(request, 422, str(exc), values)
    return RedirectResponse(f"/tickets/{quote(tid, safe='')}", status_code=303)


# -- ticket ----------------------------------------------------------------------------------
def _ticket_page(request: Request, ticket_id: str, *, status: int = 200,
                 error: str | None = None, ok: str | None = None) -> Response:
    ctx, who = context(request), principal(request).user
    now = ctx.now()
    try:
        view = ctx.recorder.show(ticket_id)
    except TicketNotFound as exc:
        return render_error(request, 404, str(exc))
    if view.ticket["voided"]:
        return render_error(request, 404, f"ticket {ticket_id} is void")
    log = ctx.recorder.export(ticket_ids=[ticket_id])
    clocks = data.ticket_clocks(log, ticket_id, now, margin_s=ctx.settings.margin_s,
                                bounds=ctx.settings.bounds)
    events = [{k: data._py(v) for k, v in e.items()} for e in view.events.to_dict("records")]
    live = [e for e in events if not e["voided"]]
    closed = any(e["activity"] == Activity.CLOSED.value and e["timestamp"] <= now for e in live)
    mine = RECORDABLE[UserRole(who.role)]
    allowed = [a for a in ctx.recorder.allowed_activities(ticket_id, now)
               if Activity(a) in mine]
    received = next((e["timestamp"] for e in live if e["activity"] == "received"), None)
    corrections = [{k: data._py(v) for k, v in c.items()}
                   for c in view.corrections.to_dict("records")]
    return render(
        request, "ticket.html", status=status, now=now, t=view.ticket, events=events,
        clocks=clocks, corrections=corrections, allowed=allowed, error=error, ok=ok,
        recordable=[a.value for a in Activity if a in mine], closed=closed,
        closed_for_good=closed and not allowed, received=received,
        at_value="", amendable=[*AMENDABLE_EVENT_FIELDS,
                                *[f for f in TICKET_FIELDS if f not in ("scenario",
                                                                        "replication")]])


@router.get("/tickets/{ticket_id}", openapi_extra=guard(Permission.VIEW_TICKET, "page"))
def ticket_page(request: Request, ticket_id: str, ok: str | None = None) -> Response:
    return _ticket_page(request, ticket_id, ok=_done_label(ok))


def _done_label(ok: str | None) -> str | None:
    """The label of the activity just recorded (the ``ok`` query value), None if it is none."""
    from fcsim.web.render import activity_label

    try:
        return activity_label(Activity(ok).value) if ok else None
    except ValueError:
        return None


@router.get("/tickets/{ticket_id}/clocks", openapi_extra=guard(Permission.VIEW_TICKET, "page"))
def ticket_clocks(request: Request, ticket_id: str) -> Response:
    ctx = context(request)
    now = ctx.now()
    clocks = data.ticket_clocks(ctx.recorder.export(ticket_ids=[ticket_id]), ticket_id, now,
                                margin_s=ctx.settings.margin_s, bounds=ctx.settings.bounds)
    return render(request, "ticket_clocks.html", now=now, clocks=clocks)


@router.post("/tickets/{ticket_id}/events", openapi_extra=guard(Permission.RECORD, "form"))
async def record_event(request: Request, ticket_id: str) -> Response:
    form = await request.form()
    return await run_in_threadpool(_record_event, request, ticket_id, form)


def _facts(form: FormData) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    for k in ("satisfied", "charge_confirmed", "record_accurate", "recognised_correctly"):
        v = _yes_no(form.get(k), k)
        if v is not None:
            facts[k] = v
    if _text(form, "materials"):
        facts["materials"] = _text(form, "materials")
    charge = _text(form, "charge")
    if charge:
        try:
            facts["charge"] = float(charge)
        except ValueError:
            raise RecorderError(f"charge: {charge!r} is not a number") from None
    return facts


def _record_event(request: Request, ticket_id: str, form: FormData) -> Response:
    ctx, who = context(request), principal(request).user
    target = safe_next(form.get("next"), f"/tickets/{quote(ticket_id, safe='')}")
    activity = str(form.get("activity") or "")
    if activity == "__other__":
        activity = str(form.get("other") or "")
    if not may_record(who.role, activity):
        return render_error(request, 403, f"role {who.role} may not record {activity!r}")
    role = EVENT_ROLE[UserRole(who.role)]
    try:
        at = parse_local(form.get("at"), ctx, "at") or ctx.now()
        started = parse_local(form.get("started_at"), ctx, "started_at")
        ctx.recorder.append(ticket_id, activity, at, started_at=started, resource=who.name,
                            role=role.value if role else None, facts=_facts(form) or None,
                            by=who.name)
    except TicketNotFound as exc:
        return render_error(request, 404, str(exc))
    except RecorderError as exc:
        if target == "/jobs":
            return _jobs_page(request, status=422, error=str(exc))
        return _ticket_page(request, ticket_id, status=422, error=str(exc))
    sep = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{sep}ok={quote(activity)}", status_code=303)


@router.post("/tickets/{ticket_id}/corrections",
             openapi_extra=guard(Permission.CORRECT, "form"))
async def correct(request: Request, ticket_id: str) -> Response:
    form = await request.form()
    return await run_in_threadpool(_correct, request, ticket_id, form)


def _change_value(field: str, raw: str | None, ctx: WebContext) -> Any:
    if raw is None:
        return None
    if field in _TIME_FIELDS:
        value = parse_local(raw, ctx, field)
        return None if value is None else value.isoformat()
    if field in _BOOL_FIELDS:
        return _yes_no(raw, field)
    if field == "attempt":
        try:
            return int(raw)
        except ValueError:
            raise RecorderError(f"attempt: {raw!r} is not a whole number") from None
    if field == "charge":
        try:
            return float(raw)
        except ValueError:
            raise RecorderError(f"charge: {raw!r} is not a number") from None
    return raw


def _correct(request: Request, ticket_id: str, form: FormData) -> Response:
    ctx, who = context(request), principal(request).user
    try:
        seq_raw = str(form.get("seq") or "")
        seq = None if seq_raw == "ticket" else int(seq_raw)
        action = str(form.get("action") or "")
        reason = _text(form, "reason")
        if not reason:
            raise RecorderError("a correction needs a reason 更正須填原因")
        changes = None
        if action == "amend":
            field = str(form.get("field") or "")
            changes = {field: _change_value(field, _text(form, "value"), ctx)}
        ctx.recorder.correct(ticket_id, action=action, seq=seq, changes=changes, by=who.name,
                             reason=reason, at=ctx.now())
    except ValueError as exc:  # RecorderError, or a seq that is not a number
        return _ticket_page(request, ticket_id, status=422, error=str(exc))
    return RedirectResponse(f"/tickets/{quote(ticket_id, safe='')}", status_code=303)


# -- technician, supervisor, manager -----------------------------------------------------------
def _jobs_page(request: Request, *, status: int = 200, error: str | None = None,
               ok: str | None = None) -> Response:
    ctx, who = context(request), principal(request).user
    now = ctx.now()
    log = ctx.recorder.export(open_at=now)
    found = data.jobs(log, who, now)
    mine = RECORDABLE[UserRole(who.role)]
    board_rows = {str(r["ticket"]["ticket_id"]): r["clocks"] for r in
                  data.board(log, now, margin_s=ctx.settings.margin_s,
                             bounds=ctx.settings.bounds)}
    for j in found:
        tid = str(j["ticket"]["ticket_id"])
        j["allowed"] = [a for a in ctx.recorder.allowed_activities(tid, now)
                        if Activity(a) in mine and a not in (Activity.CLOSED.value,)]
        j["clocks"] = board_rows.get(tid, [])
    return render(request, "jobs.html", status=status, now=now, jobs=found, error=error, ok=ok)


@router.get("/jobs", openapi_extra=guard(Permission.JOBS, "page"))
def jobs(request: Request, ok: str | None = None) -> Response:
    return _jobs_page(request, ok=_done_label(ok))


@router.get("/supervisor", openapi_extra=guard(Permission.SUPERVISE, "page"))
def supervisor(request: Request) -> Response:
    ctx = context(request)
    now = ctx.now()
    lists = data.supervision(ctx.recorder.export(open_at=now), now, margin_s=ctx.settings.margin_s,
                             bounds=ctx.settings.bounds)
    return render(request, "supervisor.html", now=now, lists=lists)


def _period_cells(table: pd.DataFrame) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if len(table) == 0:
        return out
    for (start, end), grp in table.groupby(["period_start", "period_end"], sort=True):
        cells = {str(r["indicator"]): {k: data._py(r[k]) for k in
                                       ("value", "numerator", "denominator")}
                 for r in grp.to_dict("records")}
        empty = {"value": None, "numerator": None, "denominator": None}
        out.append({"start": start, "end": end, "partial": bool(grp["partial"].any()),
                    "cells": {i: cells.get(i, empty) for i in INDICATOR_IDS}})
    return out


@router.get("/manager", openapi_extra=guard(Permission.MANAGE, "page"))
def manager(request: Request) -> Response:
    ctx = context(request)
    now = ctx.now()
    log = ctx.recorder.export()
    weeks = 8
    windows = {k: data.window_of(k, now, ctx.settings.tz) for k in ("today", "week")}
    indicators = {k: data.indicator_rows(log, w, now, bounds=ctx.settings.bounds)
                  for k, w in windows.items()}
    table = data.period_rows(log, now, period="week", weeks_back=weeks,
                             bounds=ctx.settings.bounds, tz=ctx.settings.tz)
    last_days = {k: w.end - timedelta(seconds=1) for k, w in windows.items() if w.end}
    return render(request, "manager.html", now=now, windows=windows, last_days=last_days,
                  indicators=indicators,
                  periods=_period_cells(table), indicator_ids=INDICATOR_IDS, weeks=weeks)


@router.get("/manager/periods.csv", openapi_extra=guard(Permission.MANAGE, "page"))
def periods_csv(request: Request, period: str = "week") -> Response:
    if period not in ("week", "month"):
        return render_error(request, 422, "period: week or month")
    ctx = context(request)
    table = data.period_rows(ctx.recorder.export(), ctx.now(), period=period, weeks_back=None,
                             bounds=ctx.settings.bounds, tz=ctx.settings.tz)
    return Response(table.to_csv(index=False, lineterminator="\n"), media_type="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{period}ly.csv"'})


@router.get("/manager/export.zip", openapi_extra=guard(Permission.MANAGE, "page"))
def export_zip(request: Request) -> Response:
    """The anonymised event log (keyed pseudonyms, free text scrubbed) as a ZIP."""
    import tempfile
    from pathlib import Path

    from fcsim.eventlog import write_log

    ctx = context(request)
    log = ctx.recorder.export(anonymise=True)
    buf = io.BytesIO()
    with tempfile.TemporaryDirectory() as tmp:
        write_log(log, tmp, fmt="csv.gz")
        with zipfile.ZipFile(buf, "w") as zf:
            for f in sorted(Path(tmp).iterdir()):
                zf.write(f, f"fcsim-log/{f.name}")
    return Response(buf.getvalue(), media_type="application/zip",
                    headers={"Content-Disposition": 'attachment; filename="fcsim-log.zip"'})
