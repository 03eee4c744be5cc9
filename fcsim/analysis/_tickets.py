"""Per-ticket event sequences in integer milliseconds, shared by the analyses (internal).

A ticket is keyed by ``(scenario, replication, ticket_id)`` (``None`` for an observed log's
empty scenario and replication). Its events are in contract order (``timestamp``, ``seq``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fcsim.eventlog import EventLog
from fcsim.eventlog.times import NAT, ms_array

__all__ = ["NAT", "TicketEvents", "TicketKey", "gaps", "iter_tickets", "key_of", "ms_array",
           "str_isin"]

TicketKey = tuple[str | None, int | None, str]


def _missing(v: Any) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v)


def str_isin(series: pd.Series, values: set[str] | list[str]) -> np.ndarray:
    """Which entries of ``series``, as strings, are in ``values`` (a categorical column is
    looked up through its categories only)."""
    wanted = list(values)
    if isinstance(series.dtype, pd.CategoricalDtype):
        hit = np.isin(np.asarray(series.cat.categories.astype(str), dtype=object), wanted)
        codes = series.cat.codes.to_numpy()
        return np.where(codes >= 0, hit[np.maximum(codes, 0)], False)
    return series.astype(str).isin(wanted).to_numpy(dtype=bool)


def key_of(scenario: Any, replication: Any, ticket_id: Any) -> TicketKey:
    """A hashable ticket key with missing scenario / replication as ``None``."""
    scen = None if _missing(scenario) or scenario == "" else str(scenario)
    rep = None if _missing(replication) else int(replication)
    return (scen, rep, str(ticket_id))


@dataclass(frozen=True)
class TicketEvents:
    """The events of one ticket as parallel arrays, in contract order."""

    key: TicketKey
    activity: np.ndarray  # object (str)
    ts: np.ndarray  # int64 ms
    started: np.ndarray  # int64 ms, NAT where missing
    resource: np.ndarray  # object (str or None)
    role: np.ndarray  # object (str or None)
    attempt: np.ndarray  # int64
    seq: np.ndarray  # int64, the log's seq

    def first(self, activity: str) -> int | None:
        """Index of the first event of an activity, or ``None``."""
        hits = np.flatnonzero(self.activity == activity)
        return int(hits[0]) if hits.size else None


def iter_tickets(log: EventLog, keys: set[TicketKey] | None = None) -> Iterator[TicketEvents]:
    """Yield each ticket's events (only those in ``keys`` when given)."""
    ev = log.events
    if keys is not None:  # only the rows of those ticket ids (keys are checked below)
        ev = ev[str_isin(ev["ticket_id"], {k[2] for k in keys})]
    if ev.empty:
        return
    scen_s = ev["scenario"].astype(object).fillna("").astype(str).to_numpy()
    rep_i = ev["replication"].astype("Int64").fillna(-1).to_numpy(dtype=np.int64)
    tid_s = ev["ticket_id"].astype(str).to_numpy()
    order = np.lexsort((ev["seq"].to_numpy(), ms_array(ev["timestamp"]), tid_s, rep_i, scen_s))
    ev = ev.iloc[order]
    scen_s, rep_i, tid = scen_s[order], rep_i[order], tid_s[order]
    act = ev["activity"].astype(str).to_numpy(dtype=object)
    ts = ms_array(ev["timestamp"])
    st = ms_array(ev["started_at"])
    res = ev["resource"].astype(object).where(ev["resource"].notna(), None).to_numpy()
    role = ev["role"].astype(object).where(ev["role"].notna(), None).to_numpy()
    att = ev["attempt"].to_numpy(dtype=np.int64)
    seq = ev["seq"].to_numpy(dtype=np.int64)
    n = len(ev)
    change = np.ones(n, dtype=bool)
    if n > 1:
        change[1:] = (tid[1:] != tid[:-1]) | (scen_s[1:] != scen_s[:-1]) | (rep_i[1:] != rep_i[:-1])
    starts = np.flatnonzero(change)
    ends = np.append(starts[1:], n)
    for a, b in zip(starts, ends, strict=True):
        key = key_of(scen_s[a] or None, None if rep_i[a] < 0 else rep_i[a], tid[a])
        if keys is not None and key not in keys:
            continue
        yield TicketEvents(key, act[a:b], ts[a:b], st[a:b], res[a:b], role[a:b], att[a:b],
                           seq[a:b])


def gaps(
    t: TicketEvents, open_act: str, close_act: str, *, open_ended: bool = False
) -> list[tuple[int, int, int]]:
    """Pair each ``open_act`` with the first unpaired ``close_act`` after it, in order.

    Returns ``(open_index, open_ms, close_ms)``; an unpaired opening gets ``close_ms`` = the
    timestamp of the ticket's next event of its attempt that is neither activity, or int64 max
    when there is none or when ``open_ended``.
    """
    out: list[tuple[int, int, int]] = []
    closes = [i for i in range(len(t.ts)) if t.activity[i] == close_act]
    used: set[int] = set()
    for i in range(len(t.ts)):
        if t.activity[i] != open_act:
            continue
        match = next((j for j in closes if j > i and j not in used), None)
        if match is not None:
            used.add(match)
            out.append((i, int(t.ts[i]), int(t.ts[match])))
            continue
        nxt = None if open_ended else next(
            (
                j
                for j in range(i + 1, len(t.ts))
                if t.attempt[j] == t.attempt[i] and t.activity[j] not in (open_act, close_act)
            ),
            None,
        )
        out.append((i, int(t.ts[i]), int(t.ts[nxt]) if nxt is not None else np.iinfo(np.int64).max))
    return out
