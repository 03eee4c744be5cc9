"""What every stage of a ticket uses: the environment, the staff, the sink and the settings.

:class:`Context` is built once per replication by :func:`fcsim.sim.run.simulate_record`;
:class:`CategoryRuntime` holds one category's route, probabilities, pool, draws and bounds.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import simpy

from fcsim.model.control_points import Bounds
from fcsim.scenarios.config import CategoryConfig, Outcomes, Quality
from fcsim.sim.draws import TicketDraws
from fcsim.sim.sink import EventSink, TicketArrays
from fcsim.sim.staff import StaffPool

if TYPE_CHECKING:
    from fcsim.sim.duration_factors import JobFactors
    from fcsim.sim.ownership import Ownership
    from fcsim.sim.ticket import Ticket

__all__ = ["CategoryRuntime", "Context"]


@dataclass
class CategoryRuntime:
    """A category's route, probabilities, technicians, draws and clock bounds."""

    index: int
    name: str
    route_dispatch: bool
    route_site_visit: bool
    route_callback: bool
    misroute_p: float
    block_p: float
    supervisor_resolves_p: float
    meeting_resolves_p: float
    reject_p: float
    reject_decay: float
    record_error_p: float
    charge_p: float
    materials: tuple[int, ...]  # codes into the run's materials list
    tech: StaffPool | None
    draws: TicketDraws
    bounds: dict[bool, Sequence[Bounds]]  # by emergency, in CLOCK_NAMES order
    remote_acceptance: bool = False  # remote work ends with the customer's acceptance
    may_err: bool = field(init=False)  # the desk can misrecord or misclassify it

    def __post_init__(self) -> None:
        self.may_err = self.record_error_p > 0 or (self.misroute_p > 0 and self.route_dispatch)

    @classmethod
    def from_config(cls, index: int, name: str, cfg: CategoryConfig, *, tech: StaffPool | None,
                    draws: TicketDraws, bounds: dict[bool, Sequence[Bounds]],
                    materials: tuple[int, ...] = ()) -> CategoryRuntime:
        """Category ``name``'s runtime: its route and probabilities from ``cfg``."""
        return cls(index=index, name=name, route_dispatch=cfg.route_dispatch,
                   route_site_visit=cfg.route_site_visit, route_callback=cfg.route_callback,
                   misroute_p=cfg.misroute_p, block_p=cfg.block_p,
                   supervisor_resolves_p=cfg.supervisor_resolves_p,
                   meeting_resolves_p=cfg.meeting_resolves_p, reject_p=cfg.reject_p,
                   reject_decay=cfg.reject_decay, record_error_p=cfg.record_error_p,
                   charge_p=cfg.charge_p, materials=materials, tech=tech, draws=draws,
                   bounds=bounds, remote_acceptance=cfg.remote_acceptance)


@dataclass
class Context:
    """Everything a ticket's stages use, for one replication."""

    env: simpy.Environment
    sink: EventSink
    facts: TicketArrays
    desk: StaffPool
    supervisors: StaffPool | None
    managers: StaffPool
    quality: Quality
    outcomes: Outcomes
    desk_preemptible: int  # perform()'s preemptible_from for routine desk work (0 or NEVER)
    meetings: list[float]  # times of the daily manager meetings (minutes)
    midnights: list[float]  # local midnights (minutes)
    close_timer: bool = False  # the close delay elapses without a clerk (auto-closing)
    emit: Callable[[int, int, float, float, int, int, int], None] = field(init=False)
    #: told of each job's steps when they are decided (see :mod:`fcsim.sim.perform`)
    announce: Callable[[Ticket, Sequence[tuple[int, float, bool]], float], None] | None = None
    #: scales a job's steps by its start hour and member (:mod:`fcsim.sim.duration_factors`)
    factors: JobFactors | None = None
    ownership: Ownership = field(init=False)
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
        k = bisect.bisect_left(self.meetings, now)
        return self.meetings[k] if k < len(self.meetings) else now + 1440.0

    def next_midnight(self, now: float) -> float:
        """Time of the next local midnight after ``now``."""
        k = bisect.bisect_right(self.midnights, now)
        return self.midnights[k] if k < len(self.midnights) else now + 1440.0
