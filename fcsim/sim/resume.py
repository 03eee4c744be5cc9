"""Continue a ticket of a snapshot from its stage: the forward run's ticket processes.

:func:`resume` finishes the stage an open ticket is in — with the remaining duration of that
stage already in its pass draws (:mod:`fcsim.sim.forward` puts the residual there) and its
place in the queue it joins — and then joins the procedure
(:func:`fcsim.sim.procedure.ticket_from`) at the next point, so everything after is the
simulator's own stages. :class:`ResumedTicket` remembers what the snapshot knew: the clocks
completed before it (not counted twice in the lateness the outcome models read) and the start
of a clock that began before it and ends in the forward run.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import simpy

from fcsim.model.activities import Activity, Role
from fcsim.model.stages import Stage
from fcsim.sim import ticket as clk
from fcsim.sim.closing import close
from fcsim.sim.intake import close_here, redispatch, relay
from fcsim.sim.perform import NEVER, SILENT, perform
from fcsim.sim.procedure import CALLBACK, DISPATCHED, INTAKE, VISIT, finish, ticket_from
from fcsim.sim.sink import ACT, ROLE
from fcsim.sim.site import acceptance, escalate, meetings, remote_decision
from fcsim.sim.staff import APPOINTMENT, EMERGENCY, ROUTINE
from fcsim.sim.ticket import Ticket

if TYPE_CHECKING:
    from fcsim.sim.context import CategoryRuntime, Context
    from fcsim.sim.snapshot import OpenTicket
    from fcsim.sim.staff import StaffRequest

__all__ = ["ResumedTicket", "resume"]

S = Stage
NAN = math.nan
TECH = ROLE[Role.TECHNICIAN]
SIGNED, ARRIVED, DIAGNOSED = ACT[Activity.SIGNED], ACT[Activity.ARRIVED], ACT[Activity.DIAGNOSED]
PLANNED, WORK_STARTED = ACT[Activity.PLANNED], ACT[Activity.WORK_STARTED]
WORK_COMPLETED, SLIP_RETURNED = ACT[Activity.WORK_COMPLETED], ACT[Activity.SLIP_RETURNED]
#: Visit stages -> the last step of the visit already done.
_VISIT_AFTER = {S.TRAVEL: SIGNED, S.DIAGNOSE: ARRIVED, S.PLAN: DIAGNOSED,
                S.COMMUNICATE: PLANNED, S.WORK: WORK_STARTED}
#: Desk stages -> desk steps of the pass already done.
_DESK_DONE = {S.CLASSIFY: 1, S.DISPATCH: 2, S.EMERGENCY_REPORT: 2, S.EMERGENCY_DISPATCH: 3}


def _nan(x: float | None) -> float:
    return NAN if x is None else x


class ResumedTicket(Ticket):
    """A ticket continued from a snapshot (see the module docstring); ``rest_min`` is the
    remaining wait of a stage whose duration is not a pass draw (a callback retry's)."""

    def __init__(self, n: int, i: int, cat: CategoryRuntime, o: OpenTicket,
                 rest_min: float = 0.0) -> None:
        super().__init__(n, i, cat, o.emergency, o.appointment_at, o.relayed, o.booked_at)
        st = o.state
        self.open = o
        self.rest_min = rest_min
        self.attempt = st.attempt  # self.x: this pass's draws, the stage's rest in its field
        self.received_at = st.received_at
        self.on_site_from = _nan(st.on_site_from)
        self.slip_at = _nan(st.slip_at)
        self.work_started_at = _nan(st.work_started_at)
        self.misrouted = st.misrouted
        self.preempted, self.handed_over, self.reopened = st.preempted, st.handed_over, \
            st.reopened
        self.late_s = o.late_s
        self._done = o.clocks_done
        a = st.attempt
        self._starts: dict[tuple[int, int], float] = {}
        if st.recorded_at is not None:
            self._starts[(a, clk.DISPATCH)] = st.recorded_at
        if st.diagnosed_at is not None:
            self._starts[(a, clk.PLAN)] = st.diagnosed_at
        if o.blocked_pending is not None:
            self._starts[(a, clk.ESCALATE)] = o.blocked_pending

    def clock(self, k: int, start: float, end: float) -> None:
        """Note a clock completed in the forward run; one completed before the snapshot is
        not noted again, one started before it keeps its known start."""
        key = (self.attempt, k)
        if key in self._done and k != clk.ESCALATE:
            return
        super().clock(k, self._starts.pop(key, start), end)


def _prio(t: Ticket) -> int:
    if t.emergency and t.attempt == 1:
        return EMERGENCY
    return APPOINTMENT if t.is_appointment and t.attempt == 1 else ROUTINE


def resume(c: Context, t: ResumedTicket) -> Generator[simpy.Event, Any, None]:
    """The process of snapshot ticket ``t``: the rest of its stage, then the procedure."""
    o = t.open
    st, key = o.state, o.key
    stage = st.stage
    if stage == S.RELAY:
        yield from relay(c, t)
        yield from ticket_from(c, t, INTAKE)
    elif stage == S.INTAKE:
        yield from ticket_from(c, t, INTAKE, key=key)
    elif stage in _DESK_DONE:
        yield from ticket_from(c, t, INTAKE, key=key, done=_DESK_DONE[stage])
    elif stage == S.MISROUTED:
        yield from redispatch(c, t, key)
        yield from ticket_from(c, t, DISPATCHED)
    elif stage == S.WAIT_TECHNICIAN:
        yield from ticket_from(c, t, VISIT, key=key)
    elif stage == S.REMOTE:
        yield from ticket_from(c, t, DISPATCHED)
    elif stage == S.APPOINTMENT:
        yield from _appointment(c, t)
    elif stage in _VISIT_AFTER:
        yield from ticket_from(c, t, VISIT, key=key, resume_after=_VISIT_AFTER[stage])
    elif stage in (S.BLOCKED, S.ESCALATED, S.MEETING):
        yield from _blocked(c, t)
    elif stage in (S.ACCEPTANCE, S.SLIP) and not t.cat.route_site_visit:
        rejected = yield from remote_decision(c, t)  # remote work: the customer's decision
        yield from ticket_from(c, t, INTAKE if rejected else CALLBACK)
    elif stage in (S.ACCEPTANCE, S.SLIP):
        yield from _accept(c, t)
    elif stage == S.CALLBACK:
        yield from ticket_from(c, t, CALLBACK, key=key)
    elif stage == S.CALLBACK_RETRY:
        yield c.env.timeout(t.rest_min)
        yield from ticket_from(c, t, CALLBACK, tries=st.callback_tries + 1)
    else:  # S.CLOSING: the reached customer's ticket is being closed
        with c.desk.request(ROUTINE, key=key, ticket=t.n) as req:
            if not req.granted:
                yield req.event
            t.at_desk = True
            yield from close_here(c, t, req)
        t.at_desk = False
        finish(c, t)


def _appointment(c: Context, t: ResumedTicket) -> Generator[simpy.Event, Any, None]:
    """An appointment dispatched: the call ahead (unless made), the wait, the visit."""
    if not t.open.state.called_ahead:
        yield from ticket_from(c, t, DISPATCHED)
        return
    leave = t.appointment_at - t.x.early_arrival - t.x.travel
    if leave > c.env.now:
        yield c.env.timeout(leave - c.env.now)
    yield from ticket_from(c, t, VISIT)


def _accept(c: Context, t: ResumedTicket) -> Generator[simpy.Event, Any, None]:
    """Work completed (the customer inspects it) or accepted (the slip goes back)."""
    pool = t.cat.tech
    assert pool is not None
    urgent = t.emergency and t.attempt == 1
    with pool.request(_prio(t), key=t.open.key, ticket=t.n) as req:
        if not req.granted:
            yield req.event
        if t.open.state.stage == S.ACCEPTANCE:
            rejected = yield from acceptance(c, t, req, urgent)
        else:
            ends = yield from perform(c, t, req, [(SLIP_RETURNED, t.x.slip_return, False)],
                                      TECH)
            t.slip_at, rejected = ends[0], False
    yield from ticket_from(c, t, INTAKE if rejected else CALLBACK)


def _escalation(c: Context, t: ResumedTicket,
                tech: StaffRequest | None) -> Generator[simpy.Event, Any, None]:
    """The rest of an escalation: to the supervisor (blocked), with them (escalated), or at
    the manager meetings (the last one held may have resolved it)."""
    st = t.open.state
    if st.stage == S.BLOCKED:
        yield from escalate(c, t, tech)
    elif st.stage == S.ESCALATED:
        yield from escalate(c, t, tech, escalated=True)
    elif t.cat.draws.meeting(t.i, t.attempt, st.meetings).u_resolve >= t.cat.meeting_resolves_p:
        yield from meetings(c, t, held=st.meetings)


def _blocked(c: Context, t: ResumedTicket) -> Generator[simpy.Event, Any, None]:
    """A blocked ticket: the rest of the escalation, then the rest of the work."""
    cat, x = t.cat, t.x
    rest = x.work * (1.0 - x.u_block_at)  # the work left after the block
    if not cat.route_site_visit:  # escalated by the desk, or by a remote department
        yield from _escalation(c, t, None)
        if cat.route_dispatch:
            yield c.env.timeout(rest)
        yield from close(c, t)
        finish(c, t)
        return
    pool = cat.tech
    assert pool is not None
    urgent = t.emergency and t.attempt == 1
    meeting = t.open.state.stage == S.MEETING
    if meeting:  # the technician was let go until a meeting resolves it
        yield from _escalation(c, t, None)
    with pool.request(_prio(t), key=None if meeting else t.open.key, ticket=t.n) as req:
        if not req.granted:
            yield req.event
        if not meeting:
            yield from _escalation(c, t, req)
        yield from perform(c, t, req, [(SILENT, rest, False)], TECH,
                           preemptible_from=NEVER if urgent else 0)
        c.emit(t.n, WORK_COMPLETED, t.work_started_at, c.env.now, req.pool.codes[req.member],
               TECH, t.attempt)
        rejected = yield from acceptance(c, t, req, urgent)
    yield from ticket_from(c, t, INTAKE if rejected else CALLBACK)
