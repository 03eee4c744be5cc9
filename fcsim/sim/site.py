"""Stages 4–8 with the specialist: sign and attend, diagnose, plan, communicate, process,
escalate, acceptance (PROCEDURE.md).

* :func:`call_ahead` (appointments): sign the slip at the desk and call the customer 15–30 min
  ahead — a short job; the technician is seized again only when they must leave, to arrive
  3–5 min early. A second pass of an appointment is handled as immediate work and is
  unclocked (``KPI.md`` clocks appointments in attempt 1 and on-site for immediate requests).
* :func:`site_visit`: one technician goes to site (an emergency first, signing later; an
  on-call technician after a call-out; a wrong location costs a wasted trip), diagnoses,
  plans (3 min), communicates the plan and its charge, works (preemptible by emergencies;
  blocked work is escalated), and the customer accepts or rejects; the slip returns. The
  acceptance is planned into the visit's job when the visit starts (one timeout); work that
  is interrupted or blocked is followed by the acceptance as a job of its own, decided then.
* :func:`escalate` (上報): a supervisor within 5 minutes; what the supervisor cannot resolve
  that day goes to the next manager meeting (經理會議), which may carry it over again.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from itertools import accumulate
from typing import TYPE_CHECKING, Any

import simpy

from fcsim.model.activities import Activity, Role
from fcsim.sim import ticket as clk
from fcsim.sim.outcomes import reject_p
from fcsim.sim.perform import DURATION, NEVER, SILENT, Step, perform
from fcsim.sim.sink import ACT, ROLE
from fcsim.sim.staff import APPOINTMENT, EMERGENCY, ROUTINE
from fcsim.sim.ticket import ERROR_LOCATION

if TYPE_CHECKING:
    from fcsim.sim.context import Context
    from fcsim.sim.staff import StaffRequest
    from fcsim.sim.ticket import Ticket

__all__ = ["MAX_ATTEMPTS", "acceptance", "acceptance_steps", "accepted", "attend",
           "blocked_work", "call_ahead", "diagnose_plan_communicate", "escalate",
           "handled_remotely", "meetings", "rejects", "remote_decision", "site_visit"]

NAN = math.nan
MAX_ATTEMPTS = 10
A = ACT
SIGNED, CONTACTED, ARRIVED = A[Activity.SIGNED], A[Activity.CONTACTED], A[Activity.ARRIVED]
DIAGNOSED, PLANNED, COMMUNICATED = A[Activity.DIAGNOSED], A[Activity.PLANNED], \
    A[Activity.COMMUNICATED]
WORK_STARTED, WORK_COMPLETED = A[Activity.WORK_STARTED], A[Activity.WORK_COMPLETED]
BLOCKED, ESCALATED = A[Activity.BLOCKED], A[Activity.ESCALATED]
REFERRED = A[Activity.REFERRED_TO_MEETING]
ACCEPTED, REJECTED, SLIP_RETURNED = A[Activity.ACCEPTED], A[Activity.REJECTED], \
    A[Activity.SLIP_RETURNED]
TECH, SUP, MGR = ROLE[Role.TECHNICIAN], ROLE[Role.SUPERVISOR], ROLE[Role.MANAGER]
CUSTOMER = ROLE[Role.CUSTOMER]
_SKIP: Step = (SILENT, 0.0, False)  # a step done before a snapshot


def call_ahead(c: Context, t: Ticket) -> Generator[simpy.Event, Any, int]:
    """Appointment, first pass: at 15–30 min before the agreed time a technician calls the
    customer and signs the slip at the desk; returns that technician (to go later)."""
    env, x, pool = c.env, t.x, t.cat.tech
    assert pool is not None
    at = t.appointment_at - x.precall
    if at > env.now:
        yield env.timeout(at - env.now)
    with pool.request(APPOINTMENT, ticket=t.n) as req:
        if not req.granted:
            yield req.event
        ends = yield from perform(c, t, req, [(CONTACTED, 0.0, False), (SIGNED, x.sign, False)],
                                  TECH)
        member = req.member
    if t.appointment_at - t.booked_at >= 15.0:  # booked ≥ 900 s ahead: the call is clocked
        t.clock(clk.APPOINTMENT_CALL, ends[0], t.appointment_at)
    t.clock(clk.APPOINTMENT_SIGN, ends[1], t.appointment_at)
    leave = t.appointment_at - x.early_arrival - x.travel - _wasted_trip(t)
    if leave > env.now:
        yield env.timeout(leave - env.now)
    return member


def _wasted_trip(t: Ticket) -> float:
    return t.x.wrong_location if t.record_error == ERROR_LOCATION and t.attempt == 1 else 0.0


def site_visit(c: Context, t: Ticket, prefer: int = -1, resume_after: int = -1,
               key: float | None = None) -> Generator[simpy.Event, Any, bool]:
    """4–8: attend, diagnose, plan, communicate, process, acceptance, slip return — one
    technician from signing to the slip's return. Returns True when the customer rejected the
    work (a second pass follows).

    A ticket continued from a snapshot passes ``resume_after``, the last step of the visit
    already done (an activity code: signed, arrived, diagnosed, planned, work_started), and
    ``key``, its place in the department's queue (default: now)."""
    pool, x = t.cat.tech, t.x
    assert pool is not None
    urgent = t.emergency and t.attempt == 1
    appointment = t.is_appointment and t.attempt == 1
    prio = EMERGENCY if urgent else APPOINTMENT if appointment else ROUTINE
    with pool.request(prio, key=key, prefer=prefer, ticket=t.n) as req:
        if not req.granted:
            yield req.event
        t.waiting_at_work = pool.n_waiting
        steps = attend(t, urgent, appointment, pool.is_on_call(req.member))
        steps += diagnose_plan_communicate(c, t)
        blocked = x.u_block < t.cat.block_p
        work = x.work * x.u_block_at if blocked else x.work
        steps.append((SILENT if blocked else WORK_COMPLETED, work, True))  # 7 處理
        if resume_after >= 0:
            j = [s[0] for s in steps].index(resume_after)
            steps[:j + 1] = [_SKIP] * (j + 1)
        visit = len(steps)
        # the customer's acceptance follows in the same job, planned now (again if the work
        # is interrupted); with [duration_factors] a job's steps are scaled by its start, so
        # the acceptance stays a job of its own
        merged = not blocked and c.factors is None
        if merged:
            _visit_clocks(t, appointment, _ends(c.env.now, steps), resume_after)
            rejected = rejects(c, t)
            steps += acceptance_steps(t, urgent, rejected)
        ends = yield from perform(c, t, req, steps, TECH,
                                  preemptible_from=NEVER if urgent else visit - 1,
                                  preemptible_to=visit)
        if not merged:
            _visit_clocks(t, appointment, ends, resume_after)
        if blocked:
            yield from blocked_work(c, t, req, x.work - work, urgent)
        elif len(ends) > visit:
            return accepted(t, rejected, ends[-1])
        return (yield from acceptance(c, t, req, urgent))


def _ends(start: float, steps: list[Step]) -> list[float]:
    """When each step will end, back to back from ``start`` (as :func:`perform` logs them)."""
    ends = list(accumulate(map(DURATION, steps), initial=start))
    del ends[0]
    return ends


def _visit_clocks(t: Ticket, appointment: bool, ends: list[float], resume_after: int) -> None:
    """The visit's clocks (arrival and plan: steps before the preemptible work, so their ends
    are known when the visit starts) and the moment the work starts."""
    arrived_at, diagnosed_at, planned_at = ends[-6], ends[-5], ends[-4]
    if resume_after != WORK_STARTED:
        t.work_started_at = ends[-2]
    if appointment:
        t.clock(clk.APPOINTMENT_ARRIVAL, arrived_at, t.appointment_at)
    elif not t.is_appointment:
        t.clock(clk.ON_SITE, t.on_site_from, arrived_at)
    t.clock(clk.PLAN, diagnosed_at, planned_at)


def acceptance_steps(t: Ticket, urgent: bool, rejected: bool) -> list[Step]:
    """8 驗收: an emergency signs after the work; the customer accepts (the slip returns to
    the desk) or rejects."""
    x = t.x
    steps = [(SIGNED, x.sign, False)] if urgent else []
    steps.append((REJECTED if rejected else ACCEPTED, x.acceptance, False))
    if not rejected:
        steps.append((SLIP_RETURNED, x.slip_return, False))
    return steps


def accepted(t: Ticket, rejected: bool, end: float) -> bool:
    """After the acceptance (ended at ``end``): the next pass opens or the slip is back;
    returns ``rejected``."""
    if rejected:
        t.next_pass(end)
    else:
        t.slip_at = end
    return rejected


def acceptance(c: Context, t: Ticket, req: StaffRequest,
               urgent: bool) -> Generator[simpy.Event, Any, bool]:
    """8 驗收 as a job of its own with the technician of ``req`` (after blocked or
    interrupted work); True when rejected."""
    rejected = rejects(c, t)
    ends = yield from perform(c, t, req, acceptance_steps(t, urgent, rejected), TECH)
    return accepted(t, rejected, ends[-1])


def attend(t: Ticket, urgent: bool, appointment: bool, on_call: bool) -> list[Step]:
    """4 簽單到場: sign and go (10 min); an emergency goes first — after the call-out of an
    on-call technician — and signs later; an appointment was signed ahead; a wrong location
    in the record costs a wasted trip."""
    x = t.x
    travel = x.travel + _wasted_trip(t)
    if urgent:
        t.night_callout = on_call
        return [(SILENT, x.callout if on_call else 0.0, False), (ARRIVED, travel, True)]
    if appointment:
        return [(ARRIVED, travel, True)]
    return [(SIGNED, x.sign, False), (ARRIVED, travel, True)]


def diagnose_plan_communicate(c: Context, t: Ticket) -> list[Step]:
    """Diagnose, 5 方案 (3 min), 6 溝通: the plan and its charge are agreed, work starts."""
    x, cat, f = t.x, t.cat, c.facts
    if t.attempt == 1 and x.u_charge < cat.charge_p:  # a paid job: charge and materials
        f.charge[t.n] = round(x.charge, 2)
        if cat.materials:
            f.materials[t.n] = cat.materials[int(x.u_materials * len(cat.materials))]
    return [(DIAGNOSED, x.diagnose, True), (PLANNED, x.plan, True),
            (COMMUNICATED, x.communicate, True), (WORK_STARTED, 0.0, False)]


def blocked_work(c: Context, t: Ticket, req: StaffRequest, rest: float,
                 urgent: bool) -> Generator[simpy.Event, Any, None]:
    """7 處理 when the work cannot go on: blocked, escalated (the technician waits, or is
    released until the meeting), then finished."""
    c.emit(t.n, BLOCKED, NAN, c.env.now, req.pool.codes[req.member], TECH, t.attempt)
    yield from escalate(c, t, req)
    yield from perform(c, t, req, [(SILENT, rest, False)], TECH,
                       preemptible_from=NEVER if urgent else 0)
    c.emit(t.n, WORK_COMPLETED, t.work_started_at, c.env.now, req.pool.codes[req.member], TECH,
           t.attempt)


def escalate(c: Context, t: Ticket, tech: StaffRequest | None,
             escalated: bool = False) -> Generator[simpy.Event, Any, None]:
    """上報: a supervisor takes the blocked ticket (clocked: 5 min). What they cannot resolve
    before local midnight goes to the manager meetings; ``tech`` (the technician who waits)
    is released meanwhile and asked for again afterwards. ``escalated``: the supervisor has
    it already (a ticket continued from a snapshot)."""
    env, x, cat = c.env, t.x, t.cat
    blocked_at = env.now
    assert c.supervisors is not None
    with c.supervisors.request(ROUTINE, key=-math.inf if escalated else None,
                               ticket=t.n) as sup:
        if not sup.granted:
            yield sup.event
        if not escalated:
            ends = yield from perform(c, t, sup, [(ESCALATED, x.escalate, False)], SUP)
            t.clock(clk.ESCALATE, blocked_at, ends[0])
        if (x.u_resolve < cat.supervisor_resolves_p
                and env.now + x.supervisor_resolve < c.next_midnight(env.now)):
            yield from perform(c, t, sup, [(SILENT, x.supervisor_resolve, False)], SUP,
                               preemptible_from=0)
            return
    if tech is not None:
        tech.pause()
    yield from meetings(c, t)
    if tech is not None:
        tech.resume()
        if not tech.granted:
            yield tech.event


def meetings(c: Context, t: Ticket, held: int = 0) -> Generator[simpy.Event, Any, None]:
    """Daily manager meetings take the ticket up (logged ``referred_to_meeting`` by the
    manager) until one resolves it (``held``: meetings already held without resolving it)."""
    env = c.env
    j, at = held, -math.inf
    while True:  # a meeting that cannot resolve it carries it over to the next day's
        j += 1
        m = t.cat.draws.meeting(t.i, t.attempt, j)
        at = c.next_meeting(max(env.now, at + 1e-6))
        if at > env.now:
            yield env.timeout(at - env.now)
        with c.managers.request(ROUTINE, ticket=t.n) as mgr:
            if not mgr.granted:
                yield mgr.event
            yield from perform(c, t, mgr, [(REFERRED, m.meeting, False)], MGR)
        if m.u_resolve < t.cat.meeting_resolves_p:
            return


def rejects(c: Context, t: Ticket) -> bool:
    """8 驗收: whether the customer will reject the work just done (a second pass through the
    desk follows); rushed, preempted, handed-over, night and late work fail more often."""
    x, q, cat = t.x, c.quality, t.cat
    base = cat.reject_p * cat.reject_decay ** (t.attempt - 1)
    if base <= 0.0 or t.attempt >= MAX_ATTEMPTS:
        return False
    p = reject_p(base, min(t.waiting_at_work, q.waiting_cap), t.preempted, t.handed_over,
                 t.night_callout, t.lateness_s(), q)
    return x.u_reject < p


def handled_remotely(c: Context, t: Ticket) -> Generator[simpy.Event, Any, bool]:
    """Dispatched to a department that handles it without a visit (no technician pool).

    With the category's ``remote_acceptance`` (a model of a real log that records it; the
    seed accepts site work only) the work's completion is logged and the customer accepts
    or rejects it as site work is (:func:`rejects`, after ``acceptance`` minutes); returns
    True when rejected (the next pass has opened)."""
    x, env = t.x, c.env
    if x.u_block < t.cat.block_p:
        before = x.work * x.u_block_at
        yield env.timeout(before)
        c.emit(t.n, BLOCKED, NAN, env.now, -1, TECH, t.attempt)
        yield from escalate(c, t, None)
        yield env.timeout(x.work - before)
    else:
        yield env.timeout(x.work)
    if not t.cat.remote_acceptance:
        return False
    c.emit(t.n, WORK_COMPLETED, NAN, env.now, -1, TECH, t.attempt)
    return (yield from remote_decision(c, t))


def remote_decision(c: Context, t: Ticket) -> Generator[simpy.Event, Any, bool]:
    """The customer's decision on remote work, ``acceptance`` minutes after its completion;
    True when rejected (the next pass has opened)."""
    rejected = rejects(c, t)
    yield c.env.timeout(t.x.acceptance)
    c.emit(t.n, REJECTED if rejected else ACCEPTED, NAN, c.env.now, -1, CUSTOMER, t.attempt)
    return accepted(t, rejected, c.env.now)
