"""The emergency ripple: routine tickets whose work was preempted while an emergency ran.

For every preemption gap (``preempted`` → its ``resumed``) of a non-emergency ticket, the
emergency responsible is found from the events alone: among the emergency tickets of the same
scenario and replication, the one whose activity on the preempted resource (from the earliest
``started_at`` / ``timestamp`` of its events by that resource to the latest ``timestamp``)
overlaps the gap the most; failing that, the emergency ticket whose whole life (first to last
event) overlaps it the most; failing that, none (``emergency_id`` empty). The delay is the length
of the gap.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fcsim.analysis._tickets import NAT, TicketEvents, TicketKey, gaps, iter_tickets, key_of
from fcsim.eventlog import EventLog

__all__ = ["emergency_ripple", "ripple_summary"]

_COLUMNS = ["scenario", "replication", "emergency_id", "ticket_id", "attempt", "resource",
            "preempted_at", "resumed_at", "delay_s"]
_MAX = np.iinfo(np.int64).max


def _spans(t: TicketEvents) -> dict[object, tuple[int, int]]:
    """Per resource (and ``None`` for the whole ticket): (first, last) moment in ms."""
    lo_all = [int(s) if s != NAT else int(x) for s, x in zip(t.started, t.ts, strict=True)]
    out: dict[object, tuple[int, int]] = {None: (min(lo_all), int(t.ts.max()))}
    for r in {x for x in t.resource if x is not None}:
        idx = [i for i in range(len(t.ts)) if t.resource[i] == r]
        out[r] = (min(lo_all[i] for i in idx), max(int(t.ts[i]) for i in idx))
    return out


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def emergency_ripple(log: EventLog) -> pd.DataFrame:
    """Routine tickets delayed by each emergency (one row per preemption gap).

    Returns
    -------
    DataFrame
        scenario, replication, emergency_id (empty when no emergency overlaps the gap),
        ticket_id, attempt, resource, preempted_at, resumed_at (the ticket's last event for an
        unpaired ``preempted``), delay_s.
    """
    tk = log.tickets
    emerg = {
        key_of(s, r, i)
        for s, r, i, e in zip(tk["scenario"], tk["replication"], tk["ticket_id"],
                              tk["emergency"].fillna(False), strict=True)
        if bool(e)
    }
    em_spans: dict[tuple[str | None, int | None], list[tuple[str, dict[object, tuple[int, int]]]]]
    em_spans = {}
    gap_rows: list[tuple[TicketKey, int, object, int, int]] = []
    for t in iter_tickets(log):
        if t.key in emerg:
            em_spans.setdefault(t.key[:2], []).append((t.key[2], _spans(t)))
            continue
        for i, a, b in gaps(t, "preempted", "resumed"):
            gap_rows.append((t.key, int(t.attempt[i]), t.resource[i], a,
                             int(t.ts[-1]) if b == _MAX else b))
    rows = []
    for key, attempt, res, a, b in gap_rows:
        best: str | None = None
        cands = em_spans.get(key[:2], [])
        for which in (res, None):
            scored = [(_overlap((a, b), sp[which]), eid) for eid, sp in cands if which in sp]
            scored = [x for x in scored if x[0] > 0]
            if scored:
                best = max(scored, key=lambda x: x[0])[1]
                break
        rows.append((key[0], key[1], best, key[2], attempt, res, a, b, (b - a) / 1000.0))
    df = pd.DataFrame(rows, columns=_COLUMNS)
    for c in ("preempted_at", "resumed_at"):
        df[c] = pd.to_datetime(df[c].astype("int64"), unit="ms", utc=True)
    return df


def ripple_summary(ripple: pd.DataFrame) -> pd.DataFrame:
    """Per emergency: routine tickets preempted (``n_tickets``) and the total delay (s)."""
    if ripple.empty:
        return pd.DataFrame(columns=["scenario", "replication", "emergency_id", "n_tickets",
                                     "delay_s"])
    r = ripple.assign(
        scenario=ripple["scenario"].fillna(""),
        replication=ripple["replication"].astype("Int64").fillna(-1),
        emergency_id=ripple["emergency_id"].fillna(""),
    )
    out = r.groupby(["scenario", "replication", "emergency_id"], sort=True).agg(
        n_tickets=("ticket_id", "nunique"), delay_s=("delay_s", "sum")
    ).reset_index()
    out["scenario"] = out["scenario"].replace("", None)
    reps = out["replication"].astype("Int64")
    out["replication"] = reps.mask(reps == -1)
    out["emergency_id"] = out["emergency_id"].replace("", None)
    return out.sort_values("delay_s", ascending=False, kind="stable").reset_index(drop=True)
