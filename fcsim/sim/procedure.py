"""One ticket's life, stage by stage, as ``PROCEDURE.md`` tells it.

``receive → record, classify, dispatch (emergency: report) → [bounce a misroute] → sign and
attend → diagnose, plan, communicate → process (blocked → escalate → meetings) → acceptance
(rejected → a second pass through the desk) → slip returned → callback (not satisfied → a
second pass) → close``. The stages live in :mod:`fcsim.sim.intake`, :mod:`fcsim.sim.site` and
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

if TYPE_CHECKING:
    from fcsim.sim.context import Context
    from fcsim.sim.ticket import Ticket

__all__ = ["ticket"]


def ticket(c: Context, t: Ticket) -> Generator[simpy.Event, Any, None]:
    """The life of ticket ``t`` until it is closed (首接負責，全程跟進)."""
    receive(c, t)
    if t.relayed:
        yield from relay(c, t)
    while not t.closed:
        outcome = yield from record_classify_dispatch(c, t)
        if outcome == ANSWERED:
            break
        if outcome == ESCALATE:  # the desk could not answer: a supervisor, maybe a meeting
            yield from escalate(c, t, None)
            yield from close(c, t)
            break
        if t.misrouted and t.attempt == 1:
            yield from bounce(c, t)
        if not t.cat.route_site_visit:
            yield from handled_remotely(c, t)
            yield from close(c, t)
            break
        prefer = -1
        if t.is_appointment and t.attempt == 1:
            prefer = yield from call_ahead(c, t)
        if (yield from site_visit(c, t, prefer)):
            continue  # rejected at acceptance: back to the desk
        if not t.cat.route_callback:
            yield from close(c, t)
            break
        if (yield from callback_and_close(c, t)):
            continue  # not satisfied at the callback: back to the desk
    _finish(c, t)


def _finish(c: Context, t: Ticket) -> None:
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

