"""Why a member's job was interrupted: the typed causes carried by ``simpy.Interrupt``.

An interrupted job logs ``preempted`` / ``resumed`` for a :class:`Preemption` (an emergency
took the member) and ``handed_over`` / ``taken_over`` for a :class:`ShiftEnd` (the member's
shift ended with ``[policy] end_of_shift = "handover"``), so the log says why work stopped.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Interruption", "Preemption", "ShiftEnd"]


@dataclass(frozen=True, slots=True)
class Preemption:
    """An emergency request took the member: ``emergency`` is its ticket number."""

    emergency: int
    at: float


@dataclass(frozen=True, slots=True)
class ShiftEnd:
    """The member's shift ended while the job was in hand (``end_of_shift = "handover"``)."""

    at: float


Interruption = Preemption | ShiftEnd
