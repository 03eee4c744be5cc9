"""Staff pools: named members on a weekly roster, priority queues, preemption and hand-over.

A :class:`StaffPool` holds named members (``eng-1``, ``eng-2`` …). For each local hour of the
week its roster says which members are **on duty** and which are **on call** at home. On-call
members take emergencies only (priority 0); the caller adds their call-out delay.

Requests (:meth:`StaffPool.request`) are context managers, so no path can leak a member::

    with pool.request(ROUTINE) as req:
        if not req.granted:
            yield req.event
        ...  # req.member works
    # released here, or the request withdrawn if it was never granted

They are served by priority (:data:`EMERGENCY` < :data:`APPOINTMENT` < :data:`ROUTINE`), then
by key (the request time; a preempted job keeps its original key when ``preempted_position ==
"front"``), then first come first served; a request may *prefer* a member (the ticket's
owner), who gets it when free and eligible.

**Preemption.** An emergency request that finds no eligible member free interrupts the member
whose preemptible work (:meth:`StaffPool.mark_preemptible`) started last, with a
:class:`~fcsim.sim.interrupts.Preemption` cause, and *reserves* that member: when the victim's
job releases it, the emergency gets it at once — the preempted member's next work is the
emergency. **Shift end.** With ``end_of_shift = "finish"`` a member leaving duty finishes the
job in hand and gets no new work; with ``"handover"`` a preemptible job in hand is interrupted
with a :class:`~fcsim.sim.interrupts.ShiftEnd` cause and goes back to the queue. ``on_leave``
(if set) is called with the members who just went off duty (the desk uses it to pass the
ownership of their open tickets to the next shift).
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable, Generator, Sequence
from typing import Any

import numpy as np
import simpy

from fcsim.sim.interrupts import Preemption, ShiftEnd

__all__ = ["APPOINTMENT", "EMERGENCY", "ROUTINE", "Roster", "StaffPool", "StaffRequest",
           "check_roster"]

EMERGENCY, APPOINTMENT, ROUTINE = 0, 1, 2

#: For each local hour of the week (0 = Monday 00:00): (members on duty, members on call).
Roster = Sequence[tuple[tuple[int, ...], tuple[int, ...]]]
#: A roster entry as a pool reads it (see :meth:`StaffPool._prepare`).
_Duty = tuple[list[bool], list[bool], list[int], list[int]]


class StaffRequest:
    """A request for one member of a pool, kept across interruptions; a context manager that
    releases the member (or withdraws the request) on exit. Wait on :attr:`event` while not
    :attr:`granted`."""

    __slots__ = ("done", "event", "granted", "key", "member", "pool", "prefer", "priority",
                 "reserved", "ticket")

    def __init__(self, pool: StaffPool, priority: int, key: float, prefer: int,
                 ticket: int) -> None:
        self.pool = pool
        self.priority = priority
        self.key = key
        self.prefer = prefer
        self.ticket = ticket
        self.member = -1  # granted member, -1 while waiting or paused
        self.granted = False  # whether a member is granted (then ``member`` is its index)
        # succeeds when a member is granted (None until the request is queued)
        self.event: simpy.Event = None  # type: ignore[assignment]
        self.reserved = False  # a preempted member will be granted when it is released
        self.done = False  # released or withdrawn for good

    def pause(self) -> None:
        """Free the member for now (the ticket waits elsewhere, e.g. for a meeting)."""
        self.pool.free(self)

    def resume(self, key: float | None = None) -> None:
        """Ask for a member again (``key``: the queue position, default now)."""
        self.pool.enqueue(self, self.pool.env.now if key is None else key)

    def requeue(self, key: float | None = None) -> None:
        """After an interruption: free the member and ask again (``key`` default: keep the
        original position)."""
        self.pause()
        self.resume(self.key if key is None else key)

    def __enter__(self) -> StaffRequest:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.done:
            self.done = True
            self.pool.free(self)


def check_roster(roster: Roster, members: int) -> None:
    """Raise ``ValueError`` unless ``roster`` has 168 entries naming only ``members``."""
    if len(roster) != 168:
        raise ValueError("a roster needs an entry for each of the 168 hours of the week")
    if any(i >= members for duty, call in roster for i in (*duty, *call)):
        raise ValueError("roster names more members than the pool has")


class StaffPool:
    """Named staff with a weekly roster, priority queue and preemptive-resume of jobs."""

    def __init__(
        self,
        env: simpy.Environment,
        names: Sequence[str],
        roster: Roster,
        slots: Sequence[int],
        *,
        end_of_shift: str = "finish",
        preempted_front: bool = True,
        check: bool = True,
    ) -> None:
        n = len(names)
        if check:  # many pools of one roster (forward replications) check it once
            check_roster(roster, n)
        self.env = env
        self.names = list(names)
        self._roster = roster
        self._slots = slots
        self.end_of_shift = end_of_shift
        self.preempted_front = preempted_front
        self.on_leave: Callable[[list[int]], None] | None = None
        self.codes: list[int] = list(range(n))  # members' codes in the run's resource list
        self.busy = [False] * n
        self.duty = [False] * n
        self.call = [False] * n
        self._proc: list[Any] = [None] * n
        self._since: list[float] = [-1.0] * n  # start of the preemptible job, -1 when none
        self._until: list[float] = [math.inf] * n  # end of its preemptible window
        self._interrupted = [False] * n
        self._reserved: list[StaffRequest | None] = [None] * n
        self._queue: list[tuple[int, float, int, StaffRequest, simpy.Event]] = []
        self._count = itertools.count()
        self.n_waiting = 0
        self._duty_order: list[int] = []
        self._call_order: list[int] = []
        self._set_roster(self._prepare(roster[slots[0]] if slots else ((), ())))
        if len({roster[h] for h in set(slots)}) > 1:
            env.process(self._roster_changes())

    # -- roster -------------------------------------------------------------------------------
    def _prepare(self, entry: tuple[tuple[int, ...], tuple[int, ...]]) -> _Duty:
        """A roster entry as the pool reads it: on duty, on call (flags by member; on call
        only when not on duty) and both in roster order. Never modified once made."""
        duty_ids, call_ids = entry
        duty = [False] * len(self.names)
        call = [False] * len(self.names)
        for i in duty_ids:
            duty[i] = True
        for i in call_ids:
            if not duty[i]:
                call[i] = True
        return duty, call, list(duty_ids), [i for i in call_ids if not duty[i]]

    def _set_roster(self, prepared: _Duty) -> list[int]:
        """Put a prepared roster entry in force; returns the members who left duty."""
        duty = prepared[0]
        leaving = [i for i in self._duty_order if not duty[i]]
        self.duty, self.call, self._duty_order, self._call_order = prepared
        return leaving

    def _roster_changes(self) -> Generator[simpy.Event, Any, None]:
        env, slots, roster = self.env, self._slots, self._roster
        ids: dict[tuple[tuple[int, ...], tuple[int, ...]], int] = {}
        entry = np.array([ids.setdefault(e, len(ids)) for e in roster])[np.asarray(slots)]
        changes = (np.flatnonzero(entry[1:] != entry[:-1]) + 1).tolist()
        prepared = [self._prepare(e) for e in ids]  # each distinct entry once
        at = entry.tolist()
        for k in changes:  # wake only where the roster changes
            yield env.timeout(k * 60.0 - env.now)
            leaving = self._set_roster(prepared[at[k]])
            if self.end_of_shift == "handover":
                for i in leaving:
                    self._interrupt(i, ShiftEnd(env.now))
            if leaving and self.on_leave is not None:
                self.on_leave(leaving)
            self._dispatch()

    def on_duty_now(self) -> Sequence[int]:
        """Members on duty now, in roster order (do not modify)."""
        return self._duty_order

    def is_on_call(self, member: int) -> bool:
        """Whether a member is (now) on call at home rather than on duty."""
        return self.call[member]

    # -- requests -----------------------------------------------------------------------------
    def request(self, priority: int, *, key: float | None = None, prefer: int = -1,
                ticket: int = -1) -> StaffRequest:
        """A request (granted at once when a member is free and nobody waits)."""
        now = self.env.now
        req = StaffRequest(self, priority, now if key is None else key, prefer, ticket)
        alone = not self._queue
        if alone:  # the usual case, inline
            i = self._free_member(priority, prefer)
            if i >= 0:
                self.busy[i] = True
                req.member, req.granted = i, True
                return req
        self._wait(req, alone)
        return req

    def enqueue(self, req: StaffRequest, key: float) -> None:
        """Queue ``req`` at ``key`` (granted at once when a member is free and nobody waits)."""
        req.key = key
        alone = not self._queue
        if alone:
            i = self._free_member(req.priority, req.prefer)
            if i >= 0:
                self.busy[i] = True
                req.member, req.granted = i, True
                return
        self._wait(req, alone)

    def _wait(self, req: StaffRequest, alone: bool) -> None:
        """Put ``req`` in the queue. ``alone``: nobody else waited and no member could take
        it, so only a preemption may serve it now."""
        req.event = ev = self.env.event()
        heapq.heappush(self._queue, (req.priority, req.key, next(self._count), req, ev))
        self.n_waiting += 1
        if not alone or req.priority == EMERGENCY:
            self._dispatch()

    def release(self, req: StaffRequest) -> None:
        """Free the request's member for good (its job is done), or withdraw it."""
        if req.done:
            return
        req.done = True
        self.free(req)

    def free(self, req: StaffRequest) -> None:
        """Free the request's member (the request may be queued again), or withdraw it."""
        i = req.member
        if i < 0:
            if req.event is not None and not req.event.triggered:
                self.n_waiting -= 1  # withdrawn (lazily removed from the heap)
                req.event = None  # type: ignore[assignment]
            return
        req.member, req.granted = -1, False
        self.busy[i] = False
        if self._proc[i] is not None or self._interrupted[i]:
            self._proc[i] = None
            self._since[i] = -1.0
            self._interrupted[i] = False
        waiting = self._reserved[i]
        if waiting is not None:  # the emergency that preempted this member takes it
            self._reserved[i] = None
            waiting.reserved = False
            self._grant(waiting, i)
        if self._queue:
            self._dispatch()

    def mark_preemptible(self, member: int, process: Any, since: float,
                         until: float = math.inf) -> None:
        """``member``'s job (``process``) may be interrupted from ``since`` until ``until``."""
        self._proc[member] = process
        self._since[member] = since
        self._until[member] = until

    def mark_not_preemptible(self, member: int) -> None:
        self._proc[member] = None
        self._since[member] = -1.0

    def _grant(self, req: StaffRequest, i: int) -> None:
        self.busy[i] = True
        req.member, req.granted = i, True
        self.n_waiting -= 1
        req.event.succeed(i)

    def _free_member(self, priority: int, prefer: int) -> int:
        busy = self.busy  # a reserved member is busy until it is granted
        if prefer >= 0 and not busy[prefer] and (
                self.duty[prefer] or (priority == EMERGENCY and self.call[prefer])):
            return prefer
        for i in self._duty_order:
            if not busy[i]:
                return i
        if priority == EMERGENCY:
            for i in self._call_order:
                if not busy[i]:
                    return i
        return -1

    def _dispatch(self) -> None:
        q = self._queue
        while q:
            _, _, _, req, ev = q[0]
            if ev is not req.event or req.granted or req.reserved:  # stale entry
                heapq.heappop(q)
                continue
            i = self._free_member(req.priority, req.prefer)
            if i < 0:
                if req.priority == EMERGENCY:
                    self._preempt_for(req)
                    if req.reserved:
                        continue
                return
            heapq.heappop(q)
            self._grant(req, i)

    def _preempt_for(self, req: StaffRequest) -> None:
        """Interrupt the latest-started preemptible job of an eligible member for ``req``."""
        best, best_t, now = -1, -1.0, self.env.now
        for i in (*self._duty_order, *self._call_order):
            t = self._since[i]
            if (best_t < t <= now < self._until[i] and not self._interrupted[i]
                    and self._reserved[i] is None):
                best, best_t = i, t
        if best < 0:
            return
        self._reserved[best] = req
        req.reserved = True  # out of the queue; granted when the victim releases
        self._interrupt(best, Preemption(req.ticket, self.env.now))

    def _interrupt(self, member: int, cause: Preemption | ShiftEnd) -> None:
        proc = self._proc[member]
        if proc is None or self._interrupted[member] or not (
                0 <= self._since[member] <= self.env.now < self._until[member]):
            return
        self._interrupted[member] = True
        self._since[member] = -1.0
        self._proc[member] = None
        proc.interrupt(cause)
