"""A log's events as flat arrays in ticket order, for vectorised analyses (internal).

The order is the one :func:`fcsim.analysis._tickets.iter_tickets` yields: by scenario,
replication and ticket id (as strings), then contract order (``timestamp``, ``seq``). Each event
knows its ticket (``group``) and where that ticket's events begin (``gstart``), so per-ticket
look-ups become array operations; :meth:`FlatEvents.ticket` slices one ticket out as
:class:`~fcsim.analysis._tickets.TicketEvents` for the few that need a loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fcsim.analysis._tickets import TicketEvents, TicketKey, key_of, ms_array
from fcsim.eventlog import EventLog

__all__ = ["DESK_ACTIVITIES", "FlatEvents", "flat_events", "last_before"]

#: Activities the desk performs (the role of an event that does not say).
DESK_ACTIVITIES = frozenset(
    {
        "received", "relayed", "recorded", "emergency_reported", "classified", "misrouted",
        "dispatched", "slip_returned", "callback", "callback_failed", "closed",
    }
)


@dataclass(frozen=True)
class FlatEvents:
    """Parallel arrays of every event, grouped by ticket (see the module docstring)."""

    scenario: np.ndarray  # object str ("" when missing)
    replication: np.ndarray  # int64 (-1 when missing)
    ticket_id: np.ndarray  # object str
    group: np.ndarray  # int64: ticket number, 0 … n_tickets-1
    gstart: np.ndarray  # int64: index of the ticket's first event
    gend: np.ndarray  # int64: one past the ticket's last event
    activity: np.ndarray  # object str
    ts: np.ndarray  # int64 ms
    started: np.ndarray  # int64 ms, NAT where missing
    resource: np.ndarray  # object (str or None)
    raw_role: np.ndarray  # object (str or None), as logged
    role: np.ndarray  # object str: as logged, else desk for desk activities, else technician
    attempt: np.ndarray  # int64
    seq: np.ndarray  # int64

    def __len__(self) -> int:
        return int(self.ts.size)

    def key(self, i: int) -> TicketKey:
        """The ticket key of event ``i``."""
        rep = int(self.replication[i])
        return key_of(self.scenario[i] or None, None if rep < 0 else rep, self.ticket_id[i])

    def ticket(self, i: int) -> TicketEvents:
        """The whole ticket of event ``i`` as :class:`TicketEvents`."""
        a, b = int(self.gstart[i]), int(self.gend[i])
        return TicketEvents(self.key(a), self.activity[a:b], self.ts[a:b], self.started[a:b],
                            self.resource[a:b], self.raw_role[a:b], self.attempt[a:b],
                            self.seq[a:b])


def flat_events(log: EventLog) -> FlatEvents:
    """The log's events as :class:`FlatEvents`."""
    ev = log.events
    scen = ev["scenario"].astype(object).fillna("").astype(str).to_numpy(dtype=object)
    rep = ev["replication"].astype("Int64").fillna(-1).to_numpy(dtype=np.int64)
    tid = ev["ticket_id"].astype(str).to_numpy(dtype=object)
    ts = ms_array(ev["timestamp"]) if len(ev) else np.zeros(0, np.int64)
    order = np.lexsort((ev["seq"].to_numpy(), ts, tid, rep, scen))
    scen, rep, tid, ts = scen[order], rep[order], tid[order], ts[order]
    ev = ev.iloc[order]
    n = len(ev)
    change = np.ones(n, dtype=bool)
    if n > 1:
        change[1:] = (tid[1:] != tid[:-1]) | (scen[1:] != scen[:-1]) | (rep[1:] != rep[:-1])
    group = np.cumsum(change) - 1
    starts = np.flatnonzero(change)
    ends = np.append(starts[1:], n)
    act = ev["activity"].astype(str).to_numpy(dtype=object)
    raw_role = ev["role"].astype(object).where(ev["role"].notna(), None).to_numpy()
    inferred = np.where(np.isin(act, list(DESK_ACTIVITIES)), "desk", "technician").astype(object)
    role = np.where(raw_role == None, inferred, raw_role)  # noqa: E711 (elementwise)
    return FlatEvents(
        scenario=scen, replication=rep, ticket_id=tid, group=group,
        gstart=starts[group] if n else np.zeros(0, np.int64),
        gend=ends[group] if n else np.zeros(0, np.int64),
        activity=act, ts=ts,
        started=ms_array(ev["started_at"]) if n else np.zeros(0, np.int64),
        resource=ev["resource"].astype(object).where(ev["resource"].notna(), None).to_numpy(),
        raw_role=raw_role, role=role,
        attempt=ev["attempt"].to_numpy(dtype=np.int64),
        seq=ev["seq"].to_numpy(dtype=np.int64),
    )


def last_before(flag: np.ndarray) -> np.ndarray:
    """For each position m, the index of the last ``True`` of ``flag`` at a position < m
    (``-1`` when none); one entry longer than ``flag`` (m = 0 … len)."""
    idx = np.where(flag, np.arange(flag.size), -1)
    out = np.empty(flag.size + 1, dtype=np.int64)
    out[0] = -1
    out[1:] = np.maximum.accumulate(idx) if flag.size else idx
    return out

