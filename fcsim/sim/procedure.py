"""The ticket process: the seed's stages as plain SimPy generator functions.

One ticket runs ``receive → (relay) → record → classify → (emergency report) → dispatch
(misroute → re-dispatch) → sign → travel → diagnose → plan → communicate → work (preempted /
resumed; blocked → escalated → referred to meeting) → completed → acceptance (rejected → second
pass through the desk) → slip returned → callback (unreachable → retry) → close
(→ supervisor's sample callback)``. Stages that nothing can interrupt are one timeout whose
events are logged when it ends, with the exact times of each step.

Modelling choices (documented in ``docs/scenarios.md``):

* the desk is held from recording to dispatch (or, for a desk-answered category, to closing),
  and again for each callback try and the close; a technician from signing (emergency: from
  the call-out) to the slip's return;
* only routine ``work`` is preemptible; an emergency (attempt 1) goes to site first and signs
  on arrival;
* appointments: the technician is requested so as to sign, call the customer 15–30 min ahead,
  and leave to arrive 3–5 min early; a second pass is handled as immediate;
* a blocked job holds its technician while escalation waits for a supervisor; a supervisor
  resolves it with ``supervisor_resolves_p`` if done before local midnight, otherwise it is
  referred to the next daily manager meeting and the technician is released until then.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

import simpy

from fcsim.model.activities import Activity, Role
from fcsim.model.taxonomy import Source
from fcsim.sim.draws import Pass
from fcsim.sim.outcomes import satisfaction_p
from fcsim.sim.roster import StaffPool
from fcsim.sim.sink import ACT, ROLE, EventSink, TicketFacts

__all__ = ["CategoryRuntime", "Model", "ticket"]

NAN = math.nan
A = ACT
RECEIVED, RELAYED, RECORDED = A[Activity.RECEIVED], A[Activity.RELAYED], A[Activity.RECORDED]
EMERGENCY_REPORTED, CLASSIFIED = A[Activity.EMERGENCY_REPORTED], A[Activity.CLASSIFIED]
MISROUTED, DISPATCHED, SIGNED = A[Activity.MISROUTED], A[Activity.DISPATCHED], A[Activity.SIGNED]
CONTACTED, ARRIVED, DIAGNOSED = A[Activity.CONTACTED], A[Activity.ARRIVED], A[Activity.DIAGNOSED]
PLANNED, COMMUNICATED = A[Activity.PLANNED], A[Activity.COMMUNICATED]
WORK_STARTED, PREEMPTED, RESUMED = (A[Activity.WORK_STARTED], A[Activity.PREEMPTED],
                                    A[Activity.RESUMED])
BLOCKED, ESCALATED = A[Activity.BLOCKED], A[Activity.ESCALATED]
REFERRED, WORK_COMPLETED = A[Activity.REFERRED_TO_MEETING], A[Activity.WORK_COMPLETED]
ACCEPTED, REJECTED, SLIP_RETURNED = (A[Activity.ACCEPTED], A[Activity.REJECTED],
                                     A[Activity.SLIP_RETURNED])
CALLBACK, CALLBACK_FAILED, CLOSED = (A[Activity.CALLBACK], A[Activity.CALLBACK_FAILED],
                                     A[Activity.CLOSED])
SAMPLE_CALLBACK = A[Activity.SAMPLE_CALLBACK]
DESK, TECH, SUP, CUSTOMER = ROLE[Role.DESK], ROLE[Role.TECHNICIAN], ROLE[Role.SUPERVISOR], \
    ROLE[Role.CUSTOMER]
_RELAYED_SOURCES = frozenset(
    i for i, s in enumerate(Source)
    if s in (Source.PROPERTY_RELAY, Source.INTERNAL_NEED, Source.SUPERIOR_INSTRUCTION)
)
MAX_ATTEMPTS = 10

Draw = Callable[[], float]


@dataclass
class CategoryRuntime:
    """A category's route, pool and samplers, prepared once per run."""

    index: int
    route_dispatch: bool
    route_site_visit: bool
    route_callback: bool
    emergency_p: float
    misroute_p: float
    block_p: float
    supervisor_resolves_p: float
    reject_p: float
    reject_decay: float
    record_error_p: float
    tech: StaffPool | None
    tech_codes: list[int]
    draws: Callable[[], Pass]


@dataclass
class Model:
    """Everything a ticket process uses: environment, pools, samplers, sink and settings."""

    env: simpy.Environment
    sink: EventSink
    facts: TicketFacts
    desk: StaffPool
    desk_codes: list[int]
    sup: StaffPool | None
    sup_codes: list[int]
    d: dict[str, Draw]  # stage samplers by stage name
    u: dict[str, Draw]  # U(0, 1) samplers by purpose
    bounds_min: dict[str, tuple[float, float]]
    unreachable_p: float
    callback_max_tries: int
    sample_callback_p: float
    satisfaction: tuple[float, float, float]
    preempted_front: bool
    hour0: int
    meeting_h: float
    emit: Callable[[int, int, float, float, int, int, int], None] = field(init=False)
    open_tickets: int = 0
    arrivals_done: bool = False
    done: simpy.Event | None = None

    def __post_init__(self) -> None:
        self.emit = self.sink.emitter()

    def finished(self) -> None:
        """Count a finished ticket; trigger ``done`` when the drain is complete."""
        self.open_tickets -= 1
        if self.arrivals_done and self.open_tickets == 0 and self.done is not None:
            self.done.succeed()

    def next_meeting(self, now: float) -> float:
        """Time of the next daily manager meeting at or after ``now``."""
        tod = (self.hour0 * 60.0 + now) % 1440.0
        return now + (self.meeting_h * 60.0 - tod) % 1440.0

    def next_midnight(self, now: float) -> float:
        """Time of the next local midnight after ``now``."""
        tod = (self.hour0 * 60.0 + now) % 1440.0
        return now + 1440.0 - tod


def _late(dur: float, bounds: tuple[float, float]) -> float:
    lo, hi = bounds
    return max(0.0, dur - hi) + max(0.0, lo - dur)


def ticket(
    m: Model, n: int, cat: CategoryRuntime, emergency: bool, appointment_at: float,
    source: int,
) -> Generator[simpy.Event, Any, None]:
    """The life of ticket ``n`` (``appointment_at`` NaN for immediate requests)."""
    env, emit, d, u = m.env, m.emit, m.d, m.u
    b = m.bounds_min
    late = 0.0
    t_r = env.now
    relayed = source in _RELAYED_SOURCES
    x = cat.draws()  # every duration and decision of pass 1, drawn up front
    m.facts.record_accurate[n] = 1 if x.u_record_error >= cat.record_error_p else 0
    emit(n, RECEIVED, NAN, t_r, -1, -1 if relayed else DESK, 1)
    if relayed:  # a non-desk first contact passes the request to the desk
        yield env.timeout(x.relay)
        t_r = env.now
        emit(n, RELAYED, NAN, t_r, -1, DESK, 1)
    misrouted = False
    is_appt = appointment_at == appointment_at
    attempt = 1
    while True:
        em1 = emergency and attempt == 1
        # -- record, classify, dispatch (the desk) -------------------------------------------
        if attempt > 1:
            x = cat.draws()
        desk = yield m.desk.request(0 if em1 else 1)
        rc = m.desk_codes[desk]
        t0 = env.now
        rec, cls = (x.emergency_record if em1 else x.record), x.classify
        tail = 0.0 if em1 else (x.dispatch if cat.route_dispatch else x.close)
        yield env.timeout(rec + cls + tail)
        emit(n, RECORDED, t0, t0 + rec, rc, DESK, attempt)
        emit(n, CLASSIFIED, t0 + rec, t0 + rec + cls, rc, DESK, attempt)
        late += _late(t0 + rec - t_r, b["record"])
        now = env.now
        if not cat.route_dispatch:  # answered at the desk (e.g. consultation, first inquiry)
            emit(n, CLOSED, NAN, now, rc, DESK, attempt)
            m.desk.release(desk)
            break
        if em1:
            emit(n, EMERGENCY_REPORTED, NAN, now, rc, DESK, attempt)
            emit(n, DISPATCHED, NAN, now, rc, DESK, attempt)
            late += _late(now - t_r, b["emergency_report"])
        else:
            emit(n, DISPATCHED, NAN, now, rc, DESK, attempt)
            late += _late(now - (t0 + rec), b["dispatch"])
        m.desk.release(desk)
        t_dispatch = now
        if attempt == 1 and not em1 and x.u_misroute < cat.misroute_p:
            misrouted = True  # the wrong department bounces it back; the desk re-dispatches
            yield env.timeout(x.misroute_return)
            emit(n, MISROUTED, NAN, env.now, -1, TECH, attempt)
            desk = yield m.desk.request(1)
            yield env.timeout(x.redispatch)
            emit(n, DISPATCHED, NAN, env.now, m.desk_codes[desk], DESK, attempt)
            m.desk.release(desk)
        if not cat.route_site_visit:  # handled by the department without a visit
            yield env.timeout(x.work)
            desk = yield m.desk.request(1)
            yield env.timeout(x.close)
            emit(n, CLOSED, NAN, env.now, m.desk_codes[desk], DESK, attempt)
            m.desk.release(desk)
            break
        # -- sign and attend (the technician) -----------------------------------------------
        pool = cat.tech
        assert pool is not None
        codes = cat.tech_codes
        prio = 0 if em1 else 1
        appt1 = is_appt and attempt == 1
        if appt1:
            precall, sign = x.precall, x.sign
            want = appointment_at - precall - sign
            if want > env.now:
                yield env.timeout(want - env.now)
        key = env.now
        member = yield pool.request(prio)
        tc = codes[member]
        t1 = env.now
        if em1:  # go to site first (after a call-out from home), sign on arrival
            callout = x.callout if pool.is_on_call(member) else 0.0
            travel = x.travel
            yield env.timeout(callout + travel)
            emit(n, ARRIVED, t1 + callout, env.now, tc, TECH, attempt)
            emit(n, SIGNED, NAN, env.now, tc, TECH, attempt)
            late += _late(env.now - t_dispatch, b["on_site"])
        elif appt1:
            yield env.timeout(sign)
            emit(n, SIGNED, NAN, env.now, tc, TECH, attempt)
            call_at = max(env.now, appointment_at - precall)
            yield env.timeout(call_at - env.now)
            emit(n, CONTACTED, NAN, env.now, tc, TECH, attempt)
            travel = x.travel
            depart = max(env.now, appointment_at - x.early_arrival - travel)
            yield env.timeout(depart + travel - env.now)
            emit(n, ARRIVED, depart, env.now, tc, TECH, attempt)
            late += _late(appointment_at - env.now, b["appointment_arrival"])
        else:
            sign, travel = x.sign, x.travel
            yield env.timeout(sign + travel)
            emit(n, SIGNED, NAN, t1 + sign, tc, TECH, attempt)
            emit(n, ARRIVED, t1 + sign, env.now, tc, TECH, attempt)
            if not is_appt:
                late += _late(env.now - t_dispatch, b["on_site"])
        # -- diagnose, plan, communicate ------------------------------------------------------
        t2 = env.now
        dg, pl, cm = x.diagnose, x.plan, x.communicate
        yield env.timeout(dg + pl + cm)
        emit(n, DIAGNOSED, t2, t2 + dg, tc, TECH, attempt)
        emit(n, PLANNED, t2 + dg, t2 + dg + pl, tc, TECH, attempt)
        emit(n, COMMUNICATED, t2 + dg + pl, env.now, tc, TECH, attempt)
        late += _late(pl, b["plan"])
        # -- process (preemptible routine work; blocking and escalation) -----------------------
        work_start = env.now
        emit(n, WORK_STARTED, NAN, work_start, tc, TECH, attempt)
        work = x.work
        if x.u_block < cat.block_p:
            before = work * x.u_block_at
            member = yield from _work(m, n, pool, codes, member, before, prio, key, attempt)
            tc = codes[member]
            emit(n, BLOCKED, NAN, env.now, tc, TECH, attempt)
            member, esc_late = yield from _escalate(m, n, cat, pool, member, attempt, x)
            late += esc_late
            work -= before
        member = yield from _work(m, n, pool, codes, member, work, prio, key, attempt)
        tc = codes[member]
        emit(n, WORK_COMPLETED, work_start, env.now, tc, TECH, attempt)
        # -- acceptance ------------------------------------------------------------------------
        yield env.timeout(x.acceptance)
        p_reject = cat.reject_p * cat.reject_decay ** (attempt - 1)
        if attempt < MAX_ATTEMPTS and x.u_reject < p_reject:
            emit(n, REJECTED, NAN, env.now, -1, CUSTOMER, attempt)
            pool.release(member)
            attempt += 1  # back to the desk for a second pass (二次處理)
            t_r = env.now
            continue
        emit(n, ACCEPTED, NAN, env.now, -1, CUSTOMER, attempt)
        yield env.timeout(x.slip_return)
        emit(n, SLIP_RETURNED, NAN, env.now, tc, TECH, attempt)
        pool.release(member)
        # -- callback and close (the desk) ------------------------------------------------------
        t_slip = env.now
        if cat.route_callback:
            for tries in range(1, m.callback_max_tries + 1):
                desk = yield m.desk.request(1)
                rc = m.desk_codes[desk]
                t3 = env.now
                if tries == 1:
                    call, u_reach = x.callback, x.u_unreachable
                else:
                    call, u_reach = d["callback"](), u["unreachable"]()
                yield env.timeout(call)
                reached = u_reach >= m.unreachable_p
                emit(n, CALLBACK if reached else CALLBACK_FAILED, t3, env.now, rc, DESK, attempt)
                if tries == 1:
                    late += _late(env.now - t_slip, b["callback"])
                if reached:
                    base, scale, rework = m.satisfaction
                    p = satisfaction_p(late, attempt, base=base, lateness_scale_min=scale,
                                       rework_factor=rework)
                    m.facts.satisfied[n] = 1 if x.u_satisfaction < p else 0
                if reached or tries == m.callback_max_tries:
                    break
                m.desk.release(desk)
                yield env.timeout(d["callback_retry"]())
        else:
            desk = yield m.desk.request(1)
            rc = m.desk_codes[desk]
        yield env.timeout(x.close)
        emit(n, CLOSED, NAN, env.now, rc, DESK, attempt)
        m.desk.release(desk)
        if x.u_sample < m.sample_callback_p:
            emit(n, SAMPLE_CALLBACK, NAN, env.now + x.sample_delay, -1, SUP, attempt)
        break
    m.facts.recognised[n] = 0 if misrouted else 1
    m.finished()


def _work(
    m: Model, n: int, pool: StaffPool, codes: list[int], member: int, amount: float,
    prio: int, key: float, attempt: int,
) -> Generator[simpy.Event, Any, int]:
    """Work ``amount`` minutes; routine work is preempted and resumed. Returns the member."""
    env = m.env
    remaining = amount
    while True:
        if prio == 1:
            pool.working(member, env.active_process)
        t = env.now
        try:
            yield env.timeout(remaining)
        except simpy.Interrupt:
            remaining -= env.now - t
            emit_t = env.now
            m.emit(n, PREEMPTED, NAN, emit_t, codes[member], TECH, attempt)
            pool.release(member)
            member = yield pool.request(1, key if m.preempted_front else env.now)
            m.emit(n, RESUMED, NAN, env.now, codes[member], TECH, attempt)
            continue
        if prio == 1:
            pool.not_working(member)
        return member


def _escalate(
    m: Model, n: int, cat: CategoryRuntime, pool: StaffPool, member: int, attempt: int,
    x: Pass,
) -> Generator[simpy.Event, Any, tuple[int, float]]:
    """Blocked work: escalate to a supervisor; unresolved → the next manager meeting."""
    env = m.env
    assert m.sup is not None
    t_block = env.now
    s = yield m.sup.request(1)
    sc = m.sup_codes[s]
    yield env.timeout(x.escalate)
    m.emit(n, ESCALATED, NAN, env.now, sc, SUP, attempt)
    late = _late(env.now - t_block, m.bounds_min["escalate"])
    resolve = x.supervisor_resolve
    ok = (x.u_resolve < cat.supervisor_resolves_p
          and env.now + resolve < m.next_midnight(env.now))
    if ok:
        yield env.timeout(resolve)
        m.sup.release(s)
        return member, late
    m.emit(n, REFERRED, NAN, env.now, sc, SUP, attempt)
    m.sup.release(s)
    pool.release(member)
    yield env.timeout(m.next_meeting(env.now) - env.now)
    member = yield pool.request(1)
    return member, late
