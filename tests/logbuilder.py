"""A tiny fluent builder for hand-made event logs in tests.

Times are given in seconds after the builder's ``t0`` (or as absolute ISO 8601 strings /
timestamps). ``seq`` is assigned automatically in the order events are added; the attempt is
inferred (it goes up by one after each ``rejected``) unless given explicitly.

Example::

    b = LogBuilder(t0="2026-03-02T08:00:00+00:00")
    t = b.ticket("T1", category="engineering", route=(True, True, True), satisfied=True)
    t.at(0, "received").at(40, "recorded").at(100, "dispatched")
    log = b.build()
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeAlias

import pandas as pd

from fcsim.eventlog import EventLog

__all__ = ["LogBuilder", "Moment", "TicketBuilder"]

#: A moment: seconds after ``t0``, or an absolute timestamp (string or ``pd.Timestamp``).
Moment: TypeAlias = float | int | str | pd.Timestamp

_DESK_ACTIVITIES = {
    "received", "relayed", "recorded", "emergency_reported", "classified", "misrouted",
    "dispatched", "slip_returned", "callback", "callback_failed", "closed",
}


@dataclass
class TicketBuilder:
    """Collects the events of one ticket; create it with :meth:`LogBuilder.ticket`."""

    owner: LogBuilder
    ticket_id: str
    scenario: str | None
    replication: int | None
    attempt: int = 1
    events: list[dict[str, Any]] = field(default_factory=list)

    def at(
        self,
        when: Moment,
        activity: str,
        *,
        attempt: int | None = None,
        started_at: Moment | None = None,
        resource: str | None = None,
        role: str | None = None,
        seq: int | None = None,
    ) -> TicketBuilder:
        """Add one event; returns ``self`` so that calls chain.

        The attempt defaults to the current one, which goes up by one after each ``rejected``
        (a given ``attempt`` also becomes the current one).
        """
        if attempt is not None:
            self.attempt = attempt
        if role is None:
            role = "desk" if activity in _DESK_ACTIVITIES else "technician"
        if resource is None:
            resource = "desk-1" if role == "desk" else f"{role}-1"
        self.events.append(
            {
                "ticket_id": self.ticket_id,
                "seq": self.owner._next_seq() if seq is None else seq,
                "activity": activity,
                "started_at": None if started_at is None else self.owner.ts(started_at),
                "timestamp": self.owner.ts(when),
                "resource": resource,
                "role": role,
                "attempt": self.attempt,
                "scenario": self.scenario,
                "replication": self.replication,
            }
        )
        if activity == "rejected":
            self.attempt += 1
        return self

    def steps(self, *pairs: tuple[Moment, str]) -> TicketBuilder:
        """Add several ``(when, activity)`` events in order."""
        for when, activity in pairs:
            self.at(when, activity)
        return self


class LogBuilder:
    """Builds an :class:`~fcsim.eventlog.EventLog` from tickets added one by one.

    Parameters
    ----------
    t0
        The reference instant; numeric moments are seconds after it.
    scenario, replication
        Defaults for tickets that do not name their own (``None`` = an observed log).
    """

    def __init__(
        self,
        t0: str | pd.Timestamp = "2026-03-02T08:00:00+00:00",
        *,
        scenario: str | None = None,
        replication: int | None = None,
        manifest: dict[str, Any] | None = None,
    ) -> None:
        self.t0 = pd.Timestamp(t0)
        if self.t0.tzinfo is None:
            raise ValueError(f"t0 needs a UTC offset, got {t0!r}")
        self.scenario = scenario
        self.replication = replication
        self.manifest = manifest
        self._tickets: list[dict[str, Any]] = []
        self._builders: list[TicketBuilder] = []
        self._seq = 0

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq - 1

    def ts(self, when: Moment) -> pd.Timestamp:
        """A moment as a UTC timestamp."""
        if isinstance(when, int | float):
            return (self.t0 + pd.Timedelta(seconds=float(when))).tz_convert("UTC")
        t = pd.Timestamp(when)
        if t.tzinfo is None:
            raise ValueError(f"moment {when!r} needs a UTC offset")
        return t.tz_convert("UTC")

    def ticket(
        self,
        ticket_id: str,
        *,
        category: str = "engineering",
        emergency: bool = False,
        mode: str = "immediate",
        route: tuple[bool | None, bool | None, bool | None] = (True, True, True),
        satisfied: bool | None = None,
        record_accurate: bool | None = True,
        recognised_correctly: bool | None = True,
        booked_at: Moment | None = None,
        appointment_at: Moment | None = None,
        scenario: str | None = None,
        replication: int | None = None,
        **extra: Any,
    ) -> TicketBuilder:
        """Add a ticket row and return a builder for its events.

        ``route`` is (``route_dispatch``, ``route_site_visit``, ``route_callback``). Other
        ticket columns (``source``, ``location`` …) may be given as keyword arguments.
        """
        scen = self.scenario if scenario is None else scenario
        rep = self.replication if replication is None else replication
        row: dict[str, Any] = {
            "ticket_id": ticket_id,
            "category": category,
            "emergency": emergency,
            "source": "customer_call",
            "mode": mode,
            "booked_at": None if booked_at is None else self.ts(booked_at),
            "appointment_at": None if appointment_at is None else self.ts(appointment_at),
            "location": "A-101",
            "content": "x",
            "contact": "c",
            "phone": "p",
            "department": "eng",
            "route_dispatch": route[0],
            "route_site_visit": route[1],
            "route_callback": route[2],
            "satisfied": satisfied,
            "record_accurate": record_accurate,
            "recognised_correctly": recognised_correctly,
            "charge": None,
            "charge_confirmed": None,
            "materials": None,
            "scenario": scen,
            "replication": rep,
        }
        unknown = set(extra) - set(row)
        if unknown:
            raise ValueError(f"unknown ticket column(s) {sorted(unknown)}")
        row.update(extra)
        self._tickets.append(row)
        tb = TicketBuilder(self, ticket_id, scen, rep)
        self._builders.append(tb)
        return tb

    def frames(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The raw ``(events, tickets)`` frames (not yet canonical)."""
        ev_cols = ["ticket_id", "seq", "activity", "started_at", "timestamp", "resource",
                   "role", "attempt", "scenario", "replication"]
        rows = [e for tb in self._builders for e in tb.events]
        events = pd.DataFrame(rows, columns=ev_cols)
        for c in ("started_at", "timestamp"):
            events[c] = pd.to_datetime(events[c], utc=True)
        events["replication"] = events["replication"].astype("Int32")
        tickets = pd.DataFrame(self._tickets)
        for c in ("booked_at", "appointment_at"):
            tickets[c] = pd.to_datetime(tickets[c], utc=True)
        for c in ("emergency", "route_dispatch", "route_site_visit", "route_callback",
                  "satisfied", "record_accurate", "recognised_correctly", "charge_confirmed"):
            tickets[c] = tickets[c].astype("boolean")
        tickets["charge"] = tickets["charge"].astype("Float64")
        tickets["replication"] = tickets["replication"].astype("Int32")
        return events, tickets

    def build(self) -> EventLog:
        """The canonical :class:`~fcsim.eventlog.EventLog`."""
        events, tickets = self.frames()
        return EventLog.from_frames(events, tickets, self.manifest)
