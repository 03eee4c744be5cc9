"""The emergency ripple: routine tickets whose work an emergency took, from the logged cause.

The log says why work stopped (``docs/event-log.md``): ``preempted`` / ``resumed`` always mean
an emergency took the member, and ``handed_over`` / ``taken_over`` mean a shift change passed
the work on. So:

* every ``preempted`` event of a non-emergency ticket is one ripple row. Its **emergency** is
  the ticket of the preempted resource's *next logged event* (the simulator guarantees it is
  the emergency that took them): the resource's first event, in the same scenario and
  replication, after the ``preempted`` — by ``timestamp``; at the same instant an event of
  another ticket comes first (the preemption is what moved the member there), then the
  ticket's own later events by ``seq``. ``emergency_id`` is that ticket when it is an
  emergency, else empty (an observed log that does not follow the rule; no time-overlap guess
  is made);
* the **delay** runs from the ``preempted`` to its ``resumed`` (paired in order; an unpaired
  ``preempted`` lasts until the ticket's next other event of its attempt, or its last event),
  minus any handover inside it (``handed_over`` → ``taken_over`` of the same ticket): time a
  shift change accounts for is never blamed on an emergency;
* ``handed_over`` / ``taken_over`` gaps on their own are not in the ripple at all.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fcsim.analysis._tickets import TicketEvents, gaps, iter_tickets, key_of, ms_array, str_isin
from fcsim.eventlog import EventLog

__all__ = ["emergency_ripple", "handover_gaps", "ripple_summary"]

_COLUMNS = ["scenario", "replication", "emergency_id", "ticket_id", "attempt", "resource",
            "preempted_at", "resumed_at", "delay_s"]
_MAX = np.iinfo(np.int64).max


def handover_gaps(t: TicketEvents, role: str | None = None) -> list[tuple[int, int, int]]:
    """The ticket's ``handed_over`` → ``taken_over`` gaps ``(index, from_ms, to_ms)``.

    Paired in order among the events of ``role`` (all roles when ``None``); an unpaired
    ``handed_over`` lasts until the ticket's next other event of its attempt.
    """
    if role is None:
        return gaps(t, "handed_over", "taken_over")
    keep = np.array([r == role for r in t.role], dtype=bool)
    if not keep.any():
        return []
    idx = np.flatnonzero(keep)
    sub = TicketEvents(t.key, t.activity[idx], t.ts[idx], t.started[idx], t.resource[idx],
                       t.role[idx], t.attempt[idx], t.seq[idx])
    out = gaps(sub, "handed_over", "taken_over", open_ended=True)
    fixed = []
    for i, a, b in out:
        j = int(idx[i])
        if b == _MAX:  # the next other event of the ticket's attempt, any role
            nxt = next((k for k in range(j + 1, len(t.ts))
                        if t.attempt[k] == t.attempt[j]
                        and t.activity[k] not in ("handed_over", "taken_over")), None)
            b = int(t.ts[nxt]) if nxt is not None else _MAX
        fixed.append((j, a, b))
    return fixed


def _minus(a: int, b: int, holes: list[tuple[int, int]]) -> int:
    """Length of [a, b) minus its overlap with the (disjoint or not) ``holes``, in ms."""
    cut = sorted((max(a, lo), min(b, hi)) for lo, hi in holes if hi > a and lo < b)
    covered, end = 0, a
    for lo, hi in cut:
        lo = max(lo, end)
        if hi > lo:
            covered += hi - lo
            end = hi
    return (b - a) - covered


def _next_events(log: EventLog, pre: pd.DataFrame) -> pd.Series:
    """For each row of ``pre`` (a ``preempted`` event: ``_s``, ``_r``, ``_res``, ``_t``,
    ``_tid``, ``_seq``), the ticket of the same resource's next logged event in the same
    scenario and replication (``None`` if there is none)."""
    ev = log.events
    res = ev["resource"].astype(object)
    has = res.notna().to_numpy() & str_isin(ev["resource"], {str(r) for r in pre["_res"]})
    e = pd.DataFrame({
        "_s": ev["scenario"].astype(object).fillna("").to_numpy()[has],
        "_r": ev["replication"].astype("Int64").fillna(-1).to_numpy(dtype=np.int64)[has],
        "_res": res.to_numpy()[has],
        "_t": ms_array(ev["timestamp"])[has],
        "_tid": ev["ticket_id"].astype(str).to_numpy()[has],
        "_seq": ev["seq"].to_numpy(dtype=np.int64)[has],
    })
    wanted = set(zip(pre["_s"], pre["_r"], pre["_res"], strict=True))
    found: dict[object, str | None] = {}
    for key, cands in e.groupby(["_s", "_r", "_res"], sort=False):
        if key not in wanted:
            continue
        cands = cands.sort_values(["_t", "_seq"], kind="stable")
        ts = cands["_t"].to_numpy()
        tid = cands["_tid"].to_numpy()
        seq = cands["_seq"].to_numpy()
        s, r, who = key
        mine = pre[(pre["_s"] == s) & (pre["_r"] == r) & (pre["_res"] == who)]
        lo = np.searchsorted(ts, mine["_t"].to_numpy(), side="left")
        hi = np.searchsorted(ts, mine["_t"].to_numpy(), side="right")
        for i, own, own_seq, a, b in zip(mine.index, mine["_tid"], mine["_seq"], lo.tolist(),
                                         hi.tolist(), strict=True):
            # at the same instant: another ticket first, then the ticket's own later events
            tie = [j for j in range(a, b) if tid[j] != own] or [
                j for j in range(a, b) if tid[j] == own and seq[j] > own_seq]
            j = tie[0] if tie else (b if b < ts.size else None)
            found[i] = None if j is None else str(tid[j])
    return pd.Series(found, dtype=object).reindex(pre.index)


def emergency_ripple(log: EventLog) -> pd.DataFrame:
    """Routine tickets delayed by each emergency (one row per ``preempted`` event).

    Returns
    -------
    DataFrame
        scenario, replication, emergency_id (empty when the preempted resource's next logged
        event is not on an emergency ticket), ticket_id, attempt, resource, preempted_at,
        resumed_at (for an unpaired ``preempted``: the next other event of its attempt, else
        the ticket's last event), delay_s (the gap minus handovers inside it).
    """
    tk = log.tickets
    emerg = {
        key_of(s, r, i)
        for s, r, i, e in zip(tk["scenario"], tk["replication"], tk["ticket_id"],
                              tk["emergency"].fillna(False), strict=True)
        if bool(e)
    }
    rows: list[dict[str, object]] = []
    ev = log.events
    pre_ev = ev[ev["activity"].astype(str) == "preempted"]
    interrupted = {key_of(s, r, i) for s, r, i in zip(pre_ev["scenario"], pre_ev["replication"],
                                                      pre_ev["ticket_id"], strict=True)}
    for t in iter_tickets(log, interrupted) if interrupted else ():
        if t.key in emerg:
            continue
        pre_gaps = gaps(t, "preempted", "resumed")
        if not pre_gaps:
            continue
        holes = [(a, b) for _, a, b in handover_gaps(t)]
        for i, a, b in pre_gaps:
            b = int(t.ts[-1]) if b == _MAX else b
            rows.append({"_s": t.key[0] or "", "_r": -1 if t.key[1] is None else t.key[1],
                         "_res": t.resource[i], "_t": a, "_tid": t.key[2],
                         "_seq": int(t.seq[i]),
                         "scenario": t.key[0], "replication": t.key[1],
                         "ticket_id": t.key[2], "attempt": int(t.attempt[i]),
                         "resource": t.resource[i], "preempted_at": a, "resumed_at": b,
                         "delay_s": _minus(a, b, holes) / 1000.0})
    pre = pd.DataFrame(rows)
    if pre.empty:
        df = pd.DataFrame({c: pd.Series(dtype=object) for c in _COLUMNS})
        df["delay_s"] = df["delay_s"].astype(float)
    else:
        nxt = _next_events(log, pre[pre["_res"].notna()])
        pre["emergency_id"] = pd.Series([
            x if isinstance(x, str) and key_of(s, None if r == -1 else r, x) in emerg
            else None
            for x, s, r in zip(nxt.reindex(pre.index), pre["_s"], pre["_r"], strict=True)],
            index=pre.index, dtype=object)
        df = pre[_COLUMNS].copy()
    for c in ("preempted_at", "resumed_at"):
        df[c] = pd.to_datetime(df[c].astype("int64"), unit="ms", utc=True)
    return df.reset_index(drop=True)


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
