"""The state one ticket carries through the procedure, and its clocks as the simulator sees them.

:class:`Ticket` holds the ticket's facts, its current pass (attempt and draws), its first-contact
owner and what it has lived through (preempted, handed over, a night call-out, a record
error). :meth:`Ticket.clock` notes each control point as it completes; :meth:`Ticket.lateness_s`
is their total lateness with the bounds and the lateness of :mod:`fcsim.model.control_points`
(emergency → category → scenario → seed), on the millisecond moments the log will hold — the
same number the KPI engine computes from the log, which the outcome models read.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from fcsim.model.control_points import CLOCK_NAMES, Bounds
from fcsim.sim.draws import Pass

if TYPE_CHECKING:
    from fcsim.sim.context import CategoryRuntime

__all__ = ["CLOCK", "ERROR_CONTENT", "ERROR_LOCATION", "ERROR_PHONE", "Ticket"]


#: Clock id -> index (the order of :data:`~fcsim.model.control_points.CLOCK_NAMES`).
CLOCK: dict[str, int] = {name: i for i, name in enumerate(CLOCK_NAMES)}
RECORD, DISPATCH, EMERGENCY_REPORT = CLOCK["record"], CLOCK["dispatch"], CLOCK["emergency_report"]
ON_SITE, PLAN, ESCALATE, CALLBACK = CLOCK["on_site"], CLOCK["plan"], CLOCK["escalate"], \
    CLOCK["callback"]
APPOINTMENT_SIGN, APPOINTMENT_CALL, APPOINTMENT_ARRIVAL = (
    CLOCK["appointment_sign"], CLOCK["appointment_call"], CLOCK["appointment_arrival"])
#: Kinds of record error (信息記錄錯誤): wrong location, phone or content.
ERROR_LOCATION, ERROR_PHONE, ERROR_CONTENT = 1, 2, 3


class Ticket:
    """One ticket in the simulation (``n``: its number; ``i``: its arrival index in its
    category, the key of its random numbers)."""

    __slots__ = ("appointment_at", "at_desk", "attempt", "booked_at", "bounds", "cat", "closed",
                 "emergency", "handed_over", "i", "is_appointment", "late_s", "misrouted", "n",
                 "night_callout", "on_site_from", "owner", "preempted", "received_at",
                 "record_error", "relayed", "reopened", "slip_at", "waiting_at_work",
                 "work_started_at", "x")

    def __init__(self, n: int, i: int, cat: CategoryRuntime, emergency: bool,
                 appointment_at: float, relayed: bool, booked_at: float) -> None:
        self.n = n
        self.i = i
        self.cat = cat
        self.emergency = emergency
        self.appointment_at = appointment_at  # NaN for immediate requests
        self.is_appointment = appointment_at == appointment_at  # booked for a later time
        self.relayed = relayed
        self.booked_at = booked_at  # when the request came in (appointments: booked)
        self.bounds: Sequence[Bounds] = cat.bounds[emergency]
        self.x: Pass = cat.draws.first_pass(i)
        self.received_at = booked_at  # desk receipt R of the current attempt
        # what it lives through: the pass (attempt), the desk clerk who owns it (首接負責,
        # -1 before the record), a desk job in hand, closed; a first-pass record error (ERROR_*,
        # 0 when accurate), misrouted, reopened by a callback; this pass's preemption,
        # hand-over, night call-out, the jobs waiting in the department when the work started
        # and its moments; the total lateness of the clocks completed so far (seconds)
        self.attempt = 1
        self.owner = -1
        self.record_error = self.waiting_at_work = 0
        self.at_desk = self.closed = self.misrouted = self.reopened = self.preempted = \
            self.handed_over = self.night_callout = False
        self.on_site_from = self.work_started_at = self.slip_at = math.nan
        self.late_s = 0.0

    def next_pass(self, at: float) -> None:
        """Open the next attempt at ``at`` (its desk receipt R): back to the desk."""
        self.attempt += 1
        self.x = self.cat.draws.pass_(self.i, self.attempt)
        self.received_at = at
        self.on_site_from = self.work_started_at = self.slip_at = math.nan
        self.preempted = self.handed_over = self.night_callout = False

    def clock(self, k: int, start: float, end: float) -> None:
        """Note a completed control point ``k`` (:data:`CLOCK` index; moments in minutes): its
        lateness, on the moments as the log holds them (integer milliseconds), joins the
        ticket's total."""
        self.late_s += self.bounds[k].lateness_s(
            (round(end * 60000.0) - round(start * 60000.0)) / 1000.0)

    def lateness_s(self) -> float:
        """Total lateness (seconds) of the control points completed so far."""
        return self.late_s
