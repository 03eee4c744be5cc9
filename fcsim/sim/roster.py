"""Staff pools whose capacity follows a daily roster, with priorities and preemption.

A :class:`StaffPool` holds named members (``eng-1``, ``eng-2`` …). In each hour of the day the
roster says how many are on duty (``regular``) and how many more are on call at home
(``on_call``): member *i* is on duty when ``i < regular``, on call when
``regular <= i < regular + on_call``. On-call members take only emergency requests
(priority 0); the caller adds their call-out delay.

Requests are served by priority (0 = emergency, 1 = routine), then by their key (request time;
a preempted job keeps its original key when ``preempted_position == "front"``), then FIFO.
An emergency that finds no eligible member free interrupts a member doing preemptible work
(routine ``work`` only), choosing the one whose work started last; the victim's process gets a
``simpy.Interrupt`` with cause ``("preempt", now)`` and must :meth:`release` the member.

End of shift (``end_of_shift``): ``"finish"`` lets a member leaving duty finish the job in hand
(the member is not given new work); ``"handover"`` interrupts preemptible work at the shift
change with cause ``("shift_end", now)``, so the job returns to the queue and another member
resumes it.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Generator, Sequence
from typing import Any

import simpy

__all__ = ["StaffPool"]


class StaffPool:
    """Named staff with a roster, priority queue and preemptive-resume of routine work."""

    def __init__(
        self,
        env: simpy.Environment,
        names: Sequence[str],
        regular: Sequence[int],
        on_call: Sequence[int],
        *,
        hour0: int = 0,
        end_of_shift: str = "finish",
    ) -> None:
        if len(regular) != 24 or len(on_call) != 24:
            raise ValueError("a roster needs 24 hourly counts")
        self.env = env
        self.names = list(names)
        self._regular = list(regular)
        self._on_call = list(on_call)
        self._hour0 = hour0
        self.end_of_shift = end_of_shift
        n = len(self.names)
        self.busy = [False] * n
        self._proc: list[Any] = [None] * n
        self._work_since: list[float | None] = [None] * n
        self._interrupted: list[str | None] = [None] * n
        self._queue: list[tuple[int, float, int, simpy.Event]] = []
        self._count = itertools.count()
        self._pending_preempt = 0
        h = hour0 % 24
        self.reg = self._regular[h]
        self.call = self._on_call[h]
        if any(r + c > n for r, c in zip(self._regular, self._on_call, strict=True)):
            raise ValueError("roster needs more members than the pool has")
        if len(set(zip(self._regular, self._on_call, strict=True))) > 1:
            env.process(self._roster())

    # -- roster -----------------------------------------------------------------------------
    def _roster(self) -> Generator[simpy.Event, Any, None]:
        env = self.env
        k = 0
        while True:
            k += 1
            yield env.timeout(k * 60.0 - env.now)
            h = (self._hour0 + k) % 24
            reg, call = self._regular[h], self._on_call[h]
            if (reg, call) == (self.reg, self.call):
                continue
            self.reg, self.call = reg, call
            if self.end_of_shift == "handover":
                for i in range(reg + call, len(self.names)):
                    self._interrupt(i, "shift_end")
            self._dispatch()

    # -- requests ---------------------------------------------------------------------------
    def request(self, priority: int, key: float | None = None) -> simpy.Event:
        """An event that succeeds with the index of the member granted."""
        ev = self.env.event()
        if not self._queue:  # fast path: nobody waiting
            i = self._free_member(priority)
            if i >= 0:
                self.busy[i] = True
                ev.succeed(i)
                return ev
        heapq.heappush(self._queue, (priority, self.env.now if key is None else key,
                                     next(self._count), ev))
        self._dispatch()
        return ev

    def is_on_call(self, member: int) -> bool:
        """Whether a member is (now) an on-call member rather than on duty."""
        return member >= self.reg

    def release(self, member: int) -> None:
        """Free a member (after a job, or when its job was interrupted)."""
        self.busy[member] = False
        self._proc[member] = None
        self._work_since[member] = None
        if self._interrupted[member] == "preempt":
            self._pending_preempt -= 1
        self._interrupted[member] = None
        self._dispatch()

    def working(self, member: int, process: Any) -> None:
        """Mark the member's job preemptible (routine work in progress)."""
        self._proc[member] = process
        self._work_since[member] = self.env.now

    def not_working(self, member: int) -> None:
        """Mark the member's job no longer preemptible."""
        self._proc[member] = None
        self._work_since[member] = None

    def _free_member(self, priority: int) -> int:
        limit = self.reg + self.call if priority == 0 else self.reg
        busy = self.busy
        for i in range(limit):
            if not busy[i]:
                return i
        return -1

    def _dispatch(self) -> None:
        q = self._queue
        while q:
            prio = q[0][0]
            i = self._free_member(prio)
            if i < 0:
                if prio == 0:
                    self._preempt_for_emergencies()
                return
            ev = heapq.heappop(q)[3]
            self.busy[i] = True
            ev.succeed(i)

    def _preempt_for_emergencies(self) -> None:
        waiting = sum(1 for e in self._queue if e[0] == 0)
        limit = self.reg + self.call
        while self._pending_preempt < waiting:
            best, best_t = -1, -1.0
            for i in range(limit):
                t = self._work_since[i]
                if t is not None and self._interrupted[i] is None and t > best_t:
                    best, best_t = i, t
            if best < 0:
                return
            self._interrupt(best, "preempt")

    def _interrupt(self, member: int, why: str) -> None:
        proc = self._proc[member]
        if proc is None or self._interrupted[member] is not None:
            return
        self._interrupted[member] = why
        if why == "preempt":
            self._pending_preempt += 1
        self._work_since[member] = None
        self._proc[member] = None
        proc.interrupt((why, self.env.now))
