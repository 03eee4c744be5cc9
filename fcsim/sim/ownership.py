"""First-contact ownership (首接負責): the clerk who recorded a ticket owns it to the close.

The owner's desk work on the ticket (a second pass's record, the re-dispatch after a misroute,
the callback and the close) goes to the owner when the owner is on duty and free
(``prefer``); another clerk does it otherwise. When the owner's shift ends, each open ticket
they own is handed to a clerk of the next shift, logged as ``handed_over`` (the owner) and
``taken_over`` (the successor, the on-duty clerk owning fewest tickets): a logged successor.
A ticket whose desk job is in the owner's hands at that moment is handed over when the job
ends. The log alone then says whether the callback and the close were done by the owner or a
logged successor (``fcsim.kpi`` reports that continuity).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from fcsim.model.activities import Activity, Role
from fcsim.sim.sink import ACT, ROLE

if TYPE_CHECKING:
    from fcsim.sim.context import Context
    from fcsim.sim.staff import StaffPool
    from fcsim.sim.ticket import Ticket

__all__ = ["Ownership"]

HANDED_OVER, TAKEN_OVER = ACT[Activity.HANDED_OVER], ACT[Activity.TAKEN_OVER]
DESK = ROLE[Role.DESK]


class Ownership:
    """Who owns which open ticket at the desk; hands tickets over at shift ends."""

    def __init__(self, c: Context, desk: StaffPool) -> None:
        self.c = c
        self.desk = desk
        self.owned: list[dict[int, Ticket]] = [{} for _ in desk.names]
        desk.on_leave = self.on_leave

    def take(self, t: Ticket, member: int) -> None:
        """``member`` recorded ``t``: they own it."""
        t.owner = member
        self.owned[member][t.n] = t

    def drop(self, t: Ticket) -> None:
        """``t`` is closed."""
        if t.owner >= 0:
            del self.owned[t.owner][t.n]

    def on_leave(self, members: list[int]) -> None:
        """Members went off duty: hand their open tickets to the next shift."""
        for m in members:
            for t in list(self.owned[m].values()):
                if not t.at_desk and not t.closed:
                    self.hand_over(t)

    def after_desk_job(self, t: Ticket) -> None:
        """A desk job of ``t`` ended: if its owner is now off duty, hand it over."""
        if t.owner >= 0 and not t.closed and not self.desk.duty[t.owner]:
            self.hand_over(t)

    def hand_over(self, t: Ticket) -> None:
        """Pass ``t`` from its owner to the on-duty clerk owning fewest tickets (the first in
        roster order on a tie)."""
        owned, succ, load = self.owned, -1, 0
        for m in self.desk.on_duty_now():
            if m != t.owner and (succ < 0 or len(owned[m]) < load):
                succ, load = m, len(owned[m])
        if succ < 0:
            return
        codes, now = self.desk.codes, self.c.env.now
        self.c.emit(t.n, HANDED_OVER, math.nan, now, codes[t.owner], DESK, t.attempt)
        self.c.emit(t.n, TAKEN_OVER, math.nan, now, codes[succ], DESK, t.attempt)
        del self.owned[t.owner][t.n]
        self.take(t, succ)
