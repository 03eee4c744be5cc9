"""The :class:`EventLog`: the ``events`` and ``tickets`` tables and an optional manifest."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from fcsim.eventlog.frames import EventLogError, canonical_events, canonical_tickets

__all__ = ["EventLog"]


@dataclass(frozen=True)
class EventLog:
    """An event log in the contract's canonical form.

    Build one with :meth:`from_frames` (which canonicalises and checks dtypes and keys);
    the constructor trusts its inputs.
    """

    events: pd.DataFrame
    tickets: pd.DataFrame
    manifest: dict[str, Any] | None = field(default=None, compare=False)

    @classmethod
    def from_frames(
        cls,
        events: pd.DataFrame,
        tickets: pd.DataFrame,
        manifest: dict[str, Any] | None = None,
    ) -> EventLog:
        """Canonicalise both tables and check that every event's ticket exists."""
        ev = canonical_events(events)
        tk = canonical_tickets(tickets)
        have = set(tk["ticket_id"].astype(object))
        used = ev["ticket_id"].cat.categories  # canonical: the distinct ids of the events
        if pd.Index(used.astype(object), dtype=object).isin(have).all():
            return cls(ev, tk, manifest)
        known = ev["ticket_id"].astype(object).isin(have)
        if not known.all():
            row = int((~known).idxmax())
            raise EventLogError(
                f"events, row {row}: ticket_id {ev['ticket_id'][row]!r} has no row in tickets"
            )
        return cls(ev, tk, manifest)

    def __len__(self) -> int:
        return len(self.events)

    @property
    def is_simulated(self) -> bool:
        """Whether the log carries scenario names (a simulated run)."""
        return bool(self.tickets["scenario"].notna().any())

    def sorted_events(self) -> pd.DataFrame:
        """Events in contract order: by ticket, then (``timestamp``, ``seq``)."""
        return self.events.sort_values(["ticket_id", "timestamp", "seq"], kind="stable")

    def equals(self, other: EventLog) -> bool:
        """Exact equality of both tables (values and dtypes)."""
        return self.events.equals(other.events) and self.tickets.equals(other.tickets) and all(
            self.events[c].dtype == other.events[c].dtype for c in self.events
        ) and all(self.tickets[c].dtype == other.tickets[c].dtype for c in self.tickets)
