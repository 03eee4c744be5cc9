"""A member performs a job: steps of the procedure back to back, interruptible or not.

:func:`perform` is how every staff member's work happens in the model: the steps (activity,
minutes, whether the event carries ``started_at``) run as **one** SimPy timeout and are logged
at their exact end times. From step ``preemptible_from`` on (routine desk work, a technician's
work, a supervisor's resolving) the job may be interrupted: by an emergency (logged
``preempted`` … ``resumed``) or by the member's shift ending with ``end_of_shift =
"handover"`` (``handed_over`` … ``taken_over``). The remaining work waits in the queue (at its
original position with ``preempted_position = "front"``) and continues with the member granted
next; a durative step keeps its original ``started_at``.

A context whose ``announce`` is set (the nowcast's forward runs) is told, when a job starts
and when an interrupted job resumes, which steps follow back to back from when: the moments
the log will hold once the job ends, known as soon as they are decided.
"""

from __future__ import annotations

import math
from collections.abc import Generator, Sequence
from operator import itemgetter
from typing import TYPE_CHECKING, Any

import simpy

from fcsim.model.activities import Activity, Role
from fcsim.sim.interrupts import Preemption
from fcsim.sim.sink import ACT, EVENT, ROLE

if TYPE_CHECKING:
    from fcsim.sim.context import Context
    from fcsim.sim.staff import StaffRequest
    from fcsim.sim.ticket import Ticket

__all__ = ["NEVER", "SILENT", "Step", "perform"]

NAN = math.nan
SILENT = -1  # a step that logs no event (a call-out, part of the work)
NEVER = 1 << 30  # ``preemptible_from`` of a job nothing may interrupt
PREEMPTED, RESUMED = ACT[Activity.PREEMPTED], ACT[Activity.RESUMED]
HANDED_OVER, TAKEN_OVER = ACT[Activity.HANDED_OVER], ACT[Activity.TAKEN_OVER]
#: Steps that are the customer's decision (logged without a resource, role customer).
CUSTOMER_STEPS = frozenset({ACT[Activity.ACCEPTED], ACT[Activity.REJECTED]})
CUSTOMER = ROLE[Role.CUSTOMER]

#: (activity code or SILENT, duration in minutes, whether the event carries started_at)
Step = tuple[int, float, bool]
DURATION = itemgetter(1)  # a step's minutes


def perform(c: Context, t: Ticket, req: StaffRequest, steps: Sequence[Step], role: int,
            preemptible_from: int = NEVER, by: list[int] | None = None,
            preemptible_to: int = NEVER) -> Generator[simpy.Event, Any, list[float]]:
    """``req``'s member does ``steps``; returns each step's end time.

    Steps ``preemptible_from`` … ``preemptible_to - 1`` (default: to the last) may be
    interrupted. The steps after that window were planned on the assumption that it would not
    be: an interrupted job ends with its window, and only the ends of the steps done are
    returned (the caller plans the rest again). ``req`` stays the caller's request: after an
    interruption it holds the member who resumed. ``by``, when given, receives the member who
    finished each step.
    """
    env = c.env
    start = env.now
    if c.factors is not None:  # [duration_factors]: the start hour's and the member's
        steps = c.factors.scale(steps, req.pool.codes[req.member], start)
    if c.announce is not None:
        c.announce(t, steps, start)
    total = 0.0
    for step in steps:
        total += step[1]
    if preemptible_from < len(steps):
        since = start
        for step in steps[:preemptible_from]:
            since += step[1]
        until, window = math.inf, steps
        if preemptible_to < len(steps):
            until = since
            for step in steps[preemptible_from:preemptible_to]:
                until += step[1]
            window = steps[:preemptible_to]  # what an interrupted job still does
        req.pool.mark_preemptible(req.member, env.active_process, since, until)
        try:
            yield env.timeout(total)
        except simpy.Interrupt as stop:
            return (yield from _interrupted(c, t, req, window, role, start, stop, by))
        req.pool.mark_not_preemptible(req.member)
    else:
        yield env.timeout(total)
    if by is not None:
        by += [req.member] * len(steps)
    return _log(c, t, steps, 0, start, start, req.pool.codes[req.member], role, [])


def _log(c: Context, t: Ticket, steps: Sequence[Step], j: int, s: float, began: float,
         code: int, role: int, ends: list[float]) -> list[float]:
    """Log steps ``j``… done back to back from ``s`` (step ``j`` began at ``began``)."""
    n, attempt = t.n, t.attempt
    buf, pack = c.sink.buf, EVENT.pack
    for act, d, durative in (steps if j == 0 else steps[j:]):
        e = s + d
        if act >= 0:
            if act in CUSTOMER_STEPS:
                buf += pack(n, act, -1, CUSTOMER, attempt, NAN, e)
            else:
                buf += pack(n, act, code, role, attempt, began if durative else NAN, e)
        ends.append(e)
        s = began = e
    return ends


def _interrupted(c: Context, t: Ticket, req: StaffRequest, steps: Sequence[Step], role: int,
                 start: float, stop: simpy.Interrupt, by: list[int] | None
                 ) -> Generator[simpy.Event, Any, list[float]]:
    """The slow path: log what was done, the interruption, the wait and the resumption, and
    go on until the job is done (it may be interrupted again)."""
    env, emit, n = c.env, c.emit, t.n
    pool = req.pool
    codes = pool.codes
    ends: list[float] = []
    j, done, began, s = 0, 0.0, start, start  # step, minutes of it done, its start, restart
    while True:
        now, member = env.now, req.member
        elapsed = now - s
        while j < len(steps) and elapsed >= steps[j][1] - done - 1e-9:  # finished steps
            left = steps[j][1] - done
            _log(c, t, steps[j:j + 1], 0, s + left - steps[j][1], began, codes[member], role,
                 ends)
            if by is not None:
                by.append(member)
            elapsed -= left
            s += left
            j, done, began = j + 1, 0.0, s
        if j == len(steps):  # interrupted just as the job ended
            pool.mark_not_preemptible(member)
            return ends
        done += elapsed
        if isinstance(stop.cause, Preemption):
            halt, go = PREEMPTED, RESUMED
            t.preempted = True
        else:
            halt, go = HANDED_OVER, TAKEN_OVER
            t.handed_over = True
        emit(n, halt, NAN, now, codes[member], role, t.attempt)
        req.requeue(None if pool.preempted_front else now)
        if not req.granted:
            yield req.event
        emit(n, go, NAN, env.now, codes[req.member], role, t.attempt)
        s = env.now
        if c.announce is not None:
            c.announce(t, [(steps[j][0], steps[j][1] - done, steps[j][2]), *steps[j + 1:]], s)
        rest = steps[j][1] - done
        for step in steps[j + 1:]:
            rest += step[1]
        pool.mark_preemptible(req.member, env.active_process, s)
        try:
            yield env.timeout(rest)
        except simpy.Interrupt as again:
            stop = again
            continue
        member = req.member
        pool.mark_not_preemptible(member)
        e = s + steps[j][1] - done  # step j ends; it keeps its original start
        _log(c, t, steps[j:j + 1], 0, e - steps[j][1], began, codes[member], role, ends)
        _log(c, t, steps, j + 1, e, e, codes[member], role, ends)
        if by is not None:
            by += [member] * (len(steps) - j)
        return ends
