"""Stages 9–10 at the desk: callback and close (PROCEDURE.md).

* :func:`callback_and_close` (回訪): the desk — the ticket's owner when on duty and free —
  calls the customer within 2 minutes of the slip's return; an unreachable customer (or a
  wrong phone number in the record) is tried again later, up to ``callback_max_tries``. A
  reached customer says whether they are satisfied (falling with the ticket's lateness and
  rework) and whether the charge was right; one who is not satisfied opens a second pass
  (the seed closes only after a good callback).
* :func:`close` (關閉): the desk closes the ticket; a supervisor may sample-call it later.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import simpy

from fcsim.model.activities import Activity, Role
from fcsim.sim import ticket as clk
from fcsim.sim.intake import CLOSED, close_here
from fcsim.sim.outcomes import satisfaction_p
from fcsim.sim.perform import perform
from fcsim.sim.sink import ACT, ROLE
from fcsim.sim.site import MAX_ATTEMPTS
from fcsim.sim.staff import ROUTINE
from fcsim.sim.ticket import ERROR_PHONE

if TYPE_CHECKING:
    from fcsim.sim.context import Context
    from fcsim.sim.ticket import Ticket

__all__ = ["callback_and_close", "close"]

NAN = math.nan
CALLBACK, CALLBACK_FAILED = ACT[Activity.CALLBACK], ACT[Activity.CALLBACK_FAILED]
REJECTED, SAMPLE_CALLBACK = ACT[Activity.REJECTED], ACT[Activity.SAMPLE_CALLBACK]
DESK, SUP, CUSTOMER = ROLE[Role.DESK], ROLE[Role.SUPERVISOR], ROLE[Role.CUSTOMER]


def callback_and_close(c: Context, t: Ticket, tries: int = 1, key: float | None = None
                       ) -> Generator[simpy.Event, Any, bool]:
    """9–10: call back (with retries), then close; True when a second pass opens.

    A clerk on a callback finishes the call (it is not preempted), so its end — the callback
    clock's end — is known when the call starts, and with it the customer's answer. A ticket
    continued from a snapshot may start at try ``tries`` (the wait before it is over) and
    passes ``key``, its place in the desk's queue."""
    env, out, x = c.env, c.outcomes, t.x
    if tries == 1:
        call, u_unreachable = x.callback, x.u_unreachable
    else:
        retry = t.cat.draws.callback_try(t.i, t.attempt, tries)
        call, u_unreachable = retry.callback, retry.u_unreachable
    while True:
        with c.desk.request(ROUTINE, key=key, prefer=t.owner, ticket=t.n) as req:
            key = None
            if not req.granted:
                yield req.event
            t.at_desk = True
            if tries == 1:
                t.clock(clk.CALLBACK, t.slip_at, env.now + call)
            reached = u_unreachable >= out.unreachable_p and t.record_error != ERROR_PHONE
            reopen = reached and _answers(c, t)
            steps = [(CALLBACK if reached else CALLBACK_FAILED, call, True)]
            if reopen:
                steps.append((REJECTED, 0.0, False))  # not satisfied: back to the desk
            elif reached or tries == out.callback_max_tries:
                steps.append((CLOSED, x.close, False))
            ends = yield from perform(c, t, req, steps, DESK)
        t.at_desk = False
        if reopen:
            t.next_pass(ends[-1])
            c.ownership.after_desk_job(t)
            return True
        if len(steps) == 2:
            t.closed = True
            return False
        c.ownership.after_desk_job(t)
        tries += 1
        retry = t.cat.draws.callback_try(t.i, t.attempt, tries)
        yield env.timeout(retry.retry_wait)
        call, u_unreachable = retry.callback, retry.u_unreachable


def _answers(c: Context, t: Ticket) -> bool:
    """The reached customer's answers: satisfied? charge right? Returns True when a second
    pass opens. ``satisfied`` stays false once a customer said so (rework does not erase
    it); the lateness read is the KPI engine's (:meth:`Ticket.lateness_s`)."""
    out, q, x, f = c.outcomes, c.quality, t.x, c.facts
    late_s = t.lateness_s()
    f.lateness_used_s[t.n] = late_s
    p = satisfaction_p(late_s / 60.0, t.attempt, base=out.satisfaction_base,
                       lateness_scale_min=out.lateness_scale_min,
                       rework_factor=out.rework_factor)
    satisfied = x.u_satisfaction < p
    if f.satisfied[t.n] != 0:
        f.satisfied[t.n] = 1 if satisfied else 0
    if f.charge[t.n] == f.charge[t.n]:  # a paid job: the customer confirms the charge
        f.charge_confirmed[t.n] = 0 if x.u_charge_dispute < q.charge_dispute_p else 1
    reopen = (not satisfied and not t.reopened and t.attempt < MAX_ATTEMPTS
              and x.u_reopen < q.reopen_dissatisfied_p)
    t.reopened = t.reopened or reopen
    return reopen


def close(c: Context, t: Ticket) -> Generator[simpy.Event, Any, None]:
    """10 關閉 without a callback (the category has none): the desk closes the ticket. With
    the policy ``close_timer`` the close delay is a timer (an automatic closing rule): it
    elapses first, then a clerk closes at once."""
    if c.close_timer:
        yield c.env.timeout(t.x.close)
    with c.desk.request(ROUTINE, prefer=t.owner, ticket=t.n) as req:
        if not req.granted:
            yield req.event
        t.at_desk = True
        yield from close_here(c, t, req, instant=c.close_timer)
    t.at_desk = False


def sample_callback(c: Context, t: Ticket) -> None:
    """A supervisor's sample check some time after the close (抽樣回訪)."""
    if t.x.u_sample < c.outcomes.sample_callback_p:
        c.emit(t.n, SAMPLE_CALLBACK, NAN, c.env.now + t.x.sample_delay, -1, SUP, t.attempt)
