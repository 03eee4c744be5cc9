"""A SimPy process whose generator starts at once, inside the step that creates it.

``env.process(gen)`` schedules an ``Initialize`` event and runs the generator's first step when
that event is popped — at the same instant, before any event of normal priority. A ticket is
created by the arrival process exactly when it arrives, so its first step may as well run right
there: :class:`StartedProcess` runs it inside the creating step, saving one scheduled event
per ticket (a tenth of an M/M/c customer's cost). Everything else is SimPy's
:class:`~simpy.events.Process` (waiting, interruption, the process event at the end).

A process nobody waits for (a ticket: the run learns of closed tickets from its context) may
end by yielding :data:`PARKED` instead of returning: it is left suspended, and freed with its
last reference, so SimPy schedules no end-of-process event for it — another event saved per
ticket. Never park a process that something waits for: it would wait forever.
"""

from __future__ import annotations

from typing import Any

import simpy
from simpy.events import Process

__all__ = ["PARKED", "StartedProcess"]


class _Started:
    """What the generator's first ``send`` is resumed with: a processed event worth None."""

    _ok = True
    _value = None


_STARTED: Any = _Started()


class _Discard(list[Any]):
    """A callbacks list that keeps nothing (so a parked process holds no reference back)."""

    def append(self, _callback: Any) -> None:
        return None


class _Parked:
    """An event that never happens and remembers nobody waiting for it."""

    callbacks = _Discard()


#: Yielded as a process's last act: park it (see the module docstring).
PARKED: Any = _Parked()


class StartedProcess(Process):
    """A process whose generator ran up to its first ``yield`` when it was created.

    The creating process stays the active one after its child's first step (SimPy's
    ``_resume`` clears the active process when a step ends).
    """

    def __init__(self, env: simpy.Environment, generator: simpy.events.ProcessGenerator
                 ) -> None:
        self.env = env
        self.callbacks = []
        self._generator = generator
        active = env.active_process
        self._resume(_STARTED)
        env._active_proc = active  # SimPy's own field, restored
