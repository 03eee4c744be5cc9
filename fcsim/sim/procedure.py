"""One ticket's life, stage by stage, as ``PROCEDURE.md`` tells it.

``receive → record, classify, dispatch (emergency: report) → [bounce a misroute] → sign and
attend → diagnose, plan, communicate → process (blocked → escalate → meetings) → acceptance
(rejected → a second pass through the desk) → slip returned → callback (not satisfied → a
second pass) → close``; a department that works without a visit handles it remotely (with
``remote_acceptance``: completed, then accepted or rejected by the customer, a rejection
opening a second pass). The stages live in :mod:`fcsim.sim.intake`, :mod:`fcsim.sim.site` and
:mod:`fcsim.sim.closing`; the rules that decide outcomes in :mod:`fcsim.sim.outcomes`; who owns
the ticket at the desk in :mod:`fcsim.sim.ownership`.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import simpy

from fcsim.sim.closing import callback_and_close, close, sample_callback
from fcsim.sim.intake import (
    ANSWERED,
    ESCALATE,
    bounce,
    receive,
    record_classify_dispatch,
    relay,
)
from fcsim.sim.site import call_ahead, escalate, handled_remotely, site_visit
from fcsim.sim.started import PARKED

if TYPE_CHECKING:
    from fcsim.sim.context import Context
    from fcsim.sim.ticket import Ticket

__all__ = ["CALLBACK", "DISPATCHED", "INTAKE", "VISIT", "finish", "ticket", "ticket_from"]

#: Points of a pass where :func:`ticket_from` can join the procedure: the desk's intake, just
#: after the dispatch, the site visit, and the callback (after the slip's return).
INTAKE, DISPATCHED, VISIT, CALLBACK = "intake", "dispatched", "visit", "callback"


def ticket(c: Context, t: Ticket) -> Generator[simpy.Event, Any, None]:
    """The life of ticket ``t`` until it is closed (首接負責，全程跟進). Nothing waits for
    a ticket's process (the context counts the closed ones), so it ends parked."""
    receive(c, t)
    if t.relayed:
        yield from relay(c, t)
    yield from ticket_from(c, t, INTAKE)
    yield PARKED


def ticket_from(c: Context, t: Ticket, at: str = INTAKE, *, prefer: int = -1,
                key: float | None = None, done: int = 0, resume_after: int = -1,
                tries: int = 1) -> Generator[simpy.Event, Any, None]:
    """Ticket ``t``'s procedure from point ``at`` of its current pass until it is closed.

    :func:`ticket` enters at :data:`INTAKE`. A ticket continued from a snapshot
    (:mod:`fcsim.sim.resume`) joins at the point its stage belongs to, with the stage's
    progress for the first stage function it meets: ``key`` (its place in that queue),
    ``done`` (desk steps done, :func:`~fcsim.sim.intake.record_classify_dispatch`),
    ``resume_after`` (the visit's last step done, :func:`~fcsim.sim.site.site_visit`), ``tries``
    (the callback try to make, :func:`~fcsim.sim.closing.callback_and_close`); ``prefer``: the
    technician to ask for at :data:`VISIT`."""
    while not t.closed:
        if at == INTAKE:
            outcome = yield from record_classify_dispatch(c, t, done, key)
            key, done = None, 0
            if outcome == ANSWERED:
                break
            if outcome == ESCALATE:  # the desk could not answer: a supervisor, maybe a meeting
                yield from escalate(c, t, None)
                yield from close(c, t)
                break
            if t.misrouted and t.attempt == 1:
                yield from bounce(c, t)
            at = DISPATCHED
        if at == DISPATCHED:
            if not t.cat.route_site_visit:
                if (yield from handled_remotely(c, t)):
                    at = INTAKE
                    continue  # rejected after remote work: back to the desk
                yield from close(c, t)
                break
            prefer = -1
            if t.is_appointment and t.attempt == 1:
                prefer = yield from call_ahead(c, t)
            at = VISIT
        if at == VISIT:
            rejected = yield from site_visit(c, t, prefer, resume_after, key)
            key, resume_after = None, -1
            if rejected:
                at = INTAKE
                continue  # rejected at acceptance: back to the desk
        if not t.cat.route_callback:
            yield from close(c, t)
            break
        if (yield from callback_and_close(c, t, tries, key)):
            at, key, tries = INTAKE, None, 1
            continue  # not satisfied at the callback: back to the desk
    finish(c, t)


def finish(c: Context, t: Ticket) -> None:
    """Closed: the outcome facts; a supervisor may sample-call a callback category's
    customer; the desk lets it go."""
    f = c.facts
    f.record_accurate[t.n] = 0 if t.record_error else 1
    f.recognised[t.n] = 0 if t.misrouted else 1
    if t.cat.route_callback:
        sample_callback(c, t)
    if t.owner >= 0:
        c.ownership.drop(t)
    c.finished()

