"""Stages 1–3 at the front desk: receive, record, classify and dispatch (PROCEDURE.md).

* :func:`receive` (接收): the request arrives; :func:`relay`: a first contact other than
  the desk passes it on.
* :func:`record_classify_dispatch` (錄入, 分類傳遞): a clerk records it (1 min), classifies it
  and passes it to the responsible department (2 min). A clerk with callers waiting errs more
  (record errors, misclassification: :mod:`fcsim.sim.outcomes`). An emergency call is
  answered before routine desk work, preempting it; its record is short, and it is reported
  to a superior at once (:func:`report_emergency`, 90 s) before the dispatch. A request the
  desk answers itself is closed there, or escalated when the clerk cannot answer it.
* :func:`bounce` : the wrong department sends a misclassified request back; the desk
  re-dispatches it.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import simpy

from fcsim.model.activities import Activity, Role
from fcsim.sim import ticket as clk
from fcsim.sim.outcomes import with_odds
from fcsim.sim.perform import NEVER, SILENT, perform
from fcsim.sim.sink import ACT, ROLE
from fcsim.sim.staff import EMERGENCY, ROUTINE
from fcsim.sim.ticket import ERROR_CONTENT, ERROR_LOCATION, ERROR_PHONE

if TYPE_CHECKING:
    from fcsim.sim.context import Context
    from fcsim.sim.staff import StaffRequest
    from fcsim.sim.ticket import Ticket

__all__ = ["ANSWERED", "DISPATCHED_", "ESCALATE", "SKIP", "bounce", "close_here", "receive",
           "record_classify_dispatch", "redispatch", "relay", "report_emergency"]

NAN = math.nan
RECEIVED, RELAYED, RECORDED = ACT[Activity.RECEIVED], ACT[Activity.RELAYED], ACT[Activity.RECORDED]
CLASSIFIED, DISPATCHED = ACT[Activity.CLASSIFIED], ACT[Activity.DISPATCHED]
EMERGENCY_REPORTED, MISROUTED = ACT[Activity.EMERGENCY_REPORTED], ACT[Activity.MISROUTED]
BLOCKED, CLOSED = ACT[Activity.BLOCKED], ACT[Activity.CLOSED]
DESK, SUP, TECH = ROLE[Role.DESK], ROLE[Role.SUPERVISOR], ROLE[Role.TECHNICIAN]

#: Outcomes of the desk's intake.
DISPATCHED_, ANSWERED, ESCALATE = "dispatched", "answered", "escalate"
#: A step already done before a snapshot: no time, no event (a job continued mid-way).
SKIP = (SILENT, 0.0, False)


def receive(c: Context, t: Ticket) -> None:
    """1 接收: the request arrives (at the desk, or at another first contact who relays it)."""
    c.emit(t.n, RECEIVED, NAN, c.env.now, -1, -1 if t.relayed else DESK, 1)
    t.received_at = c.env.now


def relay(c: Context, t: Ticket) -> Generator[simpy.Event, Any, None]:
    """A first contact other than the desk calls the desk and passes the request on."""
    yield c.env.timeout(t.x.relay)
    c.emit(t.n, RELAYED, NAN, c.env.now, -1, DESK, 1)
    t.received_at = c.env.now


def _intake_errors(c: Context, t: Ticket, waiting: int) -> None:
    """Draw a first pass's record error and misclassification (rushed clerks err more)."""
    q, x, cat = c.quality, t.x, t.cat
    w = min(waiting, q.waiting_cap)
    if x.u_record_error < with_odds(cat.record_error_p, q.record_error_odds_per_waiting ** w):
        u = x.u_error_kind
        t.record_error = (ERROR_LOCATION if u < q.record_error_location_share else
                          ERROR_PHONE if u < q.record_error_location_share
                          + q.record_error_phone_share else ERROR_CONTENT)
    if cat.route_dispatch and not t.emergency:
        t.misrouted = t.record_error == ERROR_CONTENT or x.u_misroute < with_odds(
            cat.misroute_p, q.misroute_odds_per_waiting ** w)


def record_classify_dispatch(c: Context, t: Ticket, done: int = 0, key: float | None = None
                             ) -> Generator[simpy.Event, Any, str]:
    """2 錄入 and 3 分類傳遞 at the desk; returns :data:`DISPATCHED_`, :data:`ANSWERED` or
    :data:`ESCALATE` (a desk-answered request the clerk cannot answer).

    A ticket continued from a snapshot passes ``done``, the desk steps of this pass already
    done (1: recorded; 2: and classified; 3: and, for an emergency, reported), and ``key``,
    its place in the desk's queue (default: now)."""
    cat, x = t.cat, t.x
    urgent = t.emergency and t.attempt == 1
    blocked = not cat.route_dispatch and x.u_block < cat.block_p
    last = ((DISPATCHED, x.emergency_dispatch if urgent else x.dispatch, False)
            if cat.route_dispatch else (BLOCKED, 0.0, False) if blocked
            else (CLOSED, x.close, False))  # dispatched, escalated or answered at the desk
    goes_on = t.attempt == 1 and (cat.route_dispatch or blocked)  # someone must own it
    with c.desk.request(EMERGENCY if urgent else ROUTINE, key=key, prefer=t.owner,
                        ticket=t.n) as req:
        if not req.granted:
            yield req.event
        t.at_desk = True
        if t.attempt == 1 and cat.may_err and not done:
            _intake_errors(c, t, c.desk.n_waiting)
        steps = [(RECORDED, x.emergency_record if urgent else x.record, True),
                 (CLASSIFIED, x.classify, True)]
        if not urgent:  # an emergency is reported first, then dispatched or answered
            steps.append(last)
        if done:
            steps[:done] = [SKIP] * min(done, len(steps))
        by: list[int] | None = [] if goes_on else None
        ends = yield from perform(c, t, req, steps, DESK,
                                  preemptible_from=NEVER if urgent else c.desk_preemptible,
                                  by=by)
        if by:
            c.ownership.take(t, by[0])  # the clerk who recorded it
        t.clock(clk.RECORD, t.received_at, ends[0])
        if urgent:
            if done < 3:
                yield from report_emergency(c, t, req)
            yield from perform(c, t, req, [last], DESK)
        elif cat.route_dispatch:
            t.clock(clk.DISPATCH, ends[0], ends[2])
            t.on_site_from = ends[2]
    t.at_desk = False
    if t.owner >= 0:
        c.ownership.after_desk_job(t)
    if cat.route_dispatch:
        return DISPATCHED_
    if blocked:
        return ESCALATE
    t.closed = True
    return ANSWERED


def report_emergency(c: Context, t: Ticket,
                     desk: StaffRequest) -> Generator[simpy.Event, Any, None]:
    """Report an emergency to the area's owner and a superior (the clerk holds the line); the
    superior's attention is taken at once, preempting their routine work."""
    step = [(EMERGENCY_REPORTED, t.x.emergency_report, False)]
    if c.supervisors is None:  # no superior in the scenario: the clerk's own report
        ends = yield from perform(c, t, desk, step, DESK)
    else:
        with c.supervisors.request(EMERGENCY, ticket=t.n) as sup:
            if not sup.granted:
                yield sup.event
            ends = yield from perform(c, t, sup, step, SUP)
    t.clock(clk.EMERGENCY_REPORT, t.received_at, ends[0])
    t.on_site_from = ends[0]


def close_here(c: Context, t: Ticket, req: StaffRequest, *,
               instant: bool = False) -> Generator[simpy.Event, Any, None]:
    """The clerk holding ``req`` closes the ticket (10 關閉); ``instant``: the close delay
    already elapsed as a timer."""
    yield from perform(c, t, req, [(CLOSED, 0.0 if instant else t.x.close, False)], DESK,
                       preemptible_from=c.desk_preemptible)
    t.closed = True


def bounce(c: Context, t: Ticket) -> Generator[simpy.Event, Any, None]:
    """The wrong department sends a misclassified request back; the desk re-dispatches it."""
    yield c.env.timeout(t.x.misroute_return)
    c.emit(t.n, MISROUTED, NAN, c.env.now, -1, TECH, t.attempt)
    yield from redispatch(c, t)


def redispatch(c: Context, t: Ticket, key: float | None = None
               ) -> Generator[simpy.Event, Any, None]:
    """The desk re-dispatches a request sent back (``key``: its place in the queue)."""
    with c.desk.request(ROUTINE, key=key, prefer=t.owner, ticket=t.n) as req:
        if not req.granted:
            yield req.event
        t.at_desk = True
        yield from perform(c, t, req, [(DISPATCHED, t.x.redispatch, False)], DESK,
                           preemptible_from=c.desk_preemptible)
    t.at_desk = False
    c.ownership.after_desk_job(t)
