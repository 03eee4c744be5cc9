"""Where the time goes: waiting versus working per stage, busy and waiting intervals.

Everything is derived from the log alone, so simulated and recorded tickets are treated alike:

* a resource is **busy** between a durative event's ``started_at`` and its ``timestamp``,
  minus the interruptions of that role in the same attempt: preemption gaps (``preempted`` →
  ``resumed``, an emergency took the member) and handover gaps (``handed_over`` →
  ``taken_over``, a shift change passed the work on); interruptions may come in any stage;
* a ticket is **waiting** for a durative stage between the ticket's previous event and the
  stage's ``started_at``;
* a ticket is also **waiting** for the performer of a desk or technician *instant*
  (``dispatched``, ``signed``, ``contacted``, ``closed`` …) between its previous event and
  that instant, less any durative work of the ticket in between: a request dispatched at
  night to a department without a night shift waits, in the queue, until someone signs for it
  in the morning (the same rule as the lateness attribution's ``desk_wait`` /
  ``technician_wait``). ``work_started`` is not such an instant: it only marks the start of
  ``work_completed``, whose wait is already counted;
* the **work** of a stage is ``timestamp - started_at`` minus those gaps.

Where a log lacks ``started_at`` (most recorded logs), waiting and working cannot be told apart:
the functions return NaN and say how many events lacked it (:func:`started_at_coverage`, the
``n_known`` columns) instead of guessing.

The computations are vectorised over all events; only tickets with an interruption take a
per-ticket loop (:func:`_work_pieces`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fcsim.analysis._flat import DESK_ACTIVITIES, FlatEvents, flat_events, last_before
from fcsim.analysis._tickets import NAT, TicketEvents, gaps, str_isin
from fcsim.eventlog import EventLog
from fcsim.model.activities import DURATIVE, Activity

__all__ = [
    "TimelineTables",
    "busy_and_waiting",
    "busy_intervals",
    "stage_summary",
    "stage_times",
    "started_at_coverage",
    "timeline_tables",
    "waiting_intervals",
]

_DURATIVE = [a.value for a in Activity if a in DURATIVE]  # procedure order
_DESK = DESK_ACTIVITIES
#: Technician instants a ticket waits for (``work_started`` only marks a start).
_TECH_INSTANTS = frozenset({"signed", "contacted", "blocked", "slip_returned"})
_INTERRUPTIONS = ("preempted", "handed_over")


def _role(t: TicketEvents, i: int) -> str:
    r = t.role[i]
    if r is not None:
        return str(r)
    return "desk" if t.activity[i] in _DESK else "technician"


def started_at_coverage(log: EventLog) -> float:
    """Share of durative events that carry ``started_at`` (NaN when there are none)."""
    ev = log.events
    dur = str_isin(ev["activity"], _DURATIVE)
    if not dur.any():
        return float("nan")
    return float(ev.loc[dur, "started_at"].notna().mean())


def _interruptions(t: TicketEvents, i: int, opening: str) -> list[tuple[int, int]]:
    """Gaps opened by ``opening`` (``preempted`` or ``handed_over``) in event ``i``'s attempt
    and role (any role when either is unknown)."""
    closing = "resumed" if opening == "preempted" else "taken_over"
    own = _role(t, i)
    out = []
    for j, a, b in gaps(t, opening, closing):
        if t.attempt[j] != t.attempt[i]:
            continue
        if t.role[j] is not None and t.role[i] is not None and _role(t, j) != own:
            continue
        out.append((a, b))
    return out


def _cut(pieces: list[tuple[int, int]], holes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    for a, b in holes:
        nxt: list[tuple[int, int]] = []
        for lo, hi in pieces:
            if b <= lo or a >= hi:
                nxt.append((lo, hi))
                continue
            if lo < a:
                nxt.append((lo, a))
            if b < hi:
                nxt.append((b, hi))
        pieces = nxt
    return pieces


def _work_pieces(t: TicketEvents, i: int) -> list[tuple[int, int]]:
    """The busy pieces of durative event ``i``: [started_at, timestamp) minus its role's
    preemption and handover gaps."""
    s, e = int(t.started[i]), int(t.ts[i])
    if s == NAT or e <= s:
        return []
    return _cut([(s, e)], _interruptions(t, i, "preempted") + _interruptions(t, i, "handed_over"))


def _overlap_ms(lo: int, hi: int, holes: list[tuple[int, int]]) -> int:
    """How much of [lo, hi) the ``holes`` cover (overlaps counted once)."""
    left = _cut([(lo, hi)], holes)
    return (hi - lo) - sum(b - a for a, b in left)


def _holes(t: TicketEvents, i: int, all_gaps: list[tuple[int, int, int, str]]
           ) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The preemption and handover gaps of ``all_gaps`` that apply to event ``i`` (its
    attempt and role, as :func:`_interruptions` selects them)."""
    pre: list[tuple[int, int]] = []
    hnd: list[tuple[int, int]] = []
    own = _role(t, i)
    for j, a, b, op in all_gaps:
        if t.attempt[j] != t.attempt[i]:
            continue
        if t.role[j] is not None and t.role[i] is not None and _role(t, j) != own:
            continue
        (pre if op == "preempted" else hnd).append((a, b))
    return pre, hnd


@dataclass(frozen=True)
class _Durative:
    """The durative events of a log (positions into :class:`FlatEvents`) and their pieces."""

    fe: FlatEvents
    pos: np.ndarray  # positions of the durative events
    prev: np.ndarray  # ms of the previous event (NAT when none or when started is unknown)
    work_ms: np.ndarray  # busy ms (0 when started is unknown)
    hand_ms: np.ndarray  # ms of the span covered by handover gaps
    piece_pos: np.ndarray  # per busy piece: the durative event's position
    piece_a: np.ndarray
    piece_b: np.ndarray


def _searchsorted_by_ticket(fe: FlatEvents, at_ms: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """For each ``pos`` (an event), the first position of its ticket whose timestamp is later
    than ``at_ms`` (the ticket's end when none)."""
    if not pos.size:
        return np.zeros(0, np.int64)
    lo = int(min(fe.ts.min(), at_ms.min()))
    span = int(max(fe.ts.max(), at_ms.max())) - lo + 1
    n_groups = int(fe.group[-1]) + 1
    if n_groups * span < 2**62:  # one combined key: (ticket, time)
        keys = fe.group * span + (fe.ts - lo)
        q = fe.group[pos] * span + (at_ms - lo)
        return np.searchsorted(keys, q, side="right").astype(np.int64)
    out = np.empty(pos.size, np.int64)  # pragma: no cover - spans of millions of years
    for k, (p, m) in enumerate(zip(pos, at_ms, strict=True)):
        a, b = int(fe.gstart[p]), int(fe.gend[p])
        out[k] = a + np.searchsorted(fe.ts[a:b], m, side="right")
    return out


def _durative(log: EventLog) -> _Durative:
    fe = flat_events(log)
    is_dur = np.isin(fe.activity, _DURATIVE)
    pos = np.flatnonzero(is_dur)
    s, e = fe.started[pos], fe.ts[pos]
    known = s != NAT
    # previous event: the ticket's latest event at a position before the durative one, not
    # later than its start, that is not work_started (which marks that start)
    prev = np.full(pos.size, NAT, dtype=np.int64)
    kp = pos[known]
    if kp.size:
        first_after = _searchsorted_by_ticket(fe, s[known], kp)
        m = np.minimum(kp, first_after)
        j = last_before(fe.activity != "work_started")[m]
        ok = j >= fe.gstart[kp]
        prev_k = np.full(kp.size, NAT, dtype=np.int64)
        prev_k[ok] = fe.ts[j[ok]]
        prev[known] = prev_k
    # tickets with an interruption: the per-ticket pieces; the others: [start, end)
    interrupted = np.zeros(int(fe.group[-1]) + 1 if len(fe) else 0, dtype=bool)
    interrupted[fe.group[np.isin(fe.activity, _INTERRUPTIONS)]] = True
    loop = interrupted[fe.group[pos]] & known
    simple = known & ~loop
    work = np.where(simple & (e > s), e - s, 0).astype(np.int64)
    hand = np.zeros(pos.size, dtype=np.int64)
    pp = [pos[simple & (e > s)]]
    pa = [s[simple & (e > s)]]
    pb = [e[simple & (e > s)]]
    # the interrupted tickets' gaps, once per ticket
    tickets: dict[int, tuple[TicketEvents, list[tuple[int, int, int, str]]]] = {}
    gg, ga, gb = [], [], []
    for g in np.flatnonzero(interrupted):
        first = int(np.searchsorted(fe.group, g))
        t = fe.ticket(first)
        found = [(j, a, b, op) for op, cl in (("preempted", "resumed"),
                                              ("handed_over", "taken_over"))
                 for j, a, b in gaps(t, op, cl)]
        tickets[int(g)] = (t, found)
        for _, a, b, _ in found:
            gg.append(int(g))
            ga.append(a)
            gb.append(b)
    # events whose span no gap of their ticket overlaps stay simple (most of them)
    lk = np.flatnonzero(loop)
    if lk.size and gg:
        g_arr, a_arr, b_arr = (np.asarray(x, dtype=np.int64) for x in (gg, ga, gb))
        order_g = np.argsort(g_arr, kind="stable")
        g_arr, a_arr, b_arr = g_arr[order_g], a_arr[order_g], b_arr[order_g]
        grp = fe.group[pos[lk]]
        lo_i = np.searchsorted(g_arr, grp, side="left")
        n_i = np.searchsorted(g_arr, grp, side="right") - lo_i
        ev_rep = np.repeat(np.arange(lk.size), n_i)
        gi = np.repeat(lo_i - np.cumsum(n_i) + n_i, n_i) + np.arange(int(n_i.sum()))
        hit = (a_arr[gi] < e[lk][ev_rep]) & (b_arr[gi] > s[lk][ev_rep])
        touched = np.zeros(lk.size, dtype=bool)
        touched[ev_rep[hit]] = True
    else:
        touched = np.zeros(lk.size, dtype=bool)
    easy = lk[~touched]
    ok = e[easy] > s[easy]
    work[easy] = np.where(ok, e[easy] - s[easy], 0)
    pp.append(pos[easy[ok]])
    pa.append(s[easy[ok]])
    pb.append(e[easy[ok]])
    lp, la, lb = [], [], []
    for k in lk[touched]:
        p = int(pos[k])
        t, all_gaps = tickets[int(fe.group[p])]
        i = p - int(fe.gstart[p])
        sk, ek = int(s[k]), int(e[k])
        pre, hnd = _holes(t, i, all_gaps)
        pieces = _cut([(sk, ek)], pre + hnd) if ek > sk else []
        work[k] = sum(b - a for a, b in pieces)
        if ek > sk and hnd:
            hand[k] = _overlap_ms(sk, ek, hnd)
        for a, b in pieces:
            lp.append(p)
            la.append(a)
            lb.append(b)
    pp.append(np.asarray(lp, dtype=np.int64))
    pa.append(np.asarray(la, dtype=np.int64))
    pb.append(np.asarray(lb, dtype=np.int64))
    piece_pos = np.concatenate(pp)
    order = np.argsort(piece_pos, kind="stable")  # event order, pieces in time order
    return _Durative(fe, pos, prev, work, hand, piece_pos[order],
                     np.concatenate(pa)[order], np.concatenate(pb)[order])


def stage_times(log: EventLog) -> pd.DataFrame:
    """Waiting and working time of every durative event.

    Returns
    -------
    DataFrame
        scenario, replication, ticket_id, attempt, activity, role, resource, started_known,
        wait_s (previous event of the ticket → ``started_at``), work_s (``started_at`` →
        ``timestamp`` minus preemption and handover gaps), preempted_s, handover_s (the gaps'
        shares of the span); they are NaN where ``started_at`` is missing
        (``started_known`` false).
    """
    cols = ["scenario", "replication", "ticket_id", "attempt", "activity", "role", "resource",
            "started_known", "wait_s", "work_s", "preempted_s", "handover_s"]
    if log.events.empty:
        return pd.DataFrame(columns=cols)
    return _stages(_durative(log))


def _obj(values: np.ndarray) -> pd.Series:
    """An object column (strings stay Python objects: no conversion to pandas strings)."""
    return pd.Series(values, dtype=object)


def _event_columns(fe: FlatEvents, pos: np.ndarray) -> dict[str, Any]:
    """Who and what of the events at ``pos``: scenario, replication, ticket, attempt, activity,
    role, resource."""
    return {"scenario": _obj(_none_if_empty(fe.scenario[pos])),
            "replication": _replication(fe.replication[pos]),
            "ticket_id": _obj(fe.ticket_id[pos]), "attempt": fe.attempt[pos],
            "activity": _obj(fe.activity[pos]), "role": _obj(fe.role[pos]),
            "resource": _obj(fe.resource[pos])}


def _stages(d: _Durative) -> pd.DataFrame:
    cols = ["scenario", "replication", "ticket_id", "attempt", "activity", "role", "resource",
            "started_known", "wait_s", "work_s", "preempted_s", "handover_s"]
    fe, pos = d.fe, d.pos
    s, e = fe.started[pos], fe.ts[pos]
    known = s != NAT
    span = np.where(known, (e - s) / 1000.0, np.nan)
    work = np.where(known, d.work_ms / 1000.0, np.nan)
    hand = np.where(known, d.hand_ms / 1000.0, np.nan)
    wait = np.where(d.prev != NAT, (s - d.prev) / 1000.0, np.nan)
    return pd.DataFrame({
        **_event_columns(fe, pos),
        "started_known": known,
        "wait_s": wait,
        "work_s": work,
        "preempted_s": span - work - hand,
        "handover_s": hand,
    }, columns=cols)


def stage_summary(stages: pd.DataFrame) -> pd.DataFrame:
    """Mean waiting, working, preempted and handed-over seconds per stage, procedure order.

    Returns one row per durative activity present: activity, n, n_known, wait_mean_s,
    work_mean_s, preempted_mean_s, handover_mean_s (means over events with ``started_at``;
    NaN when none has it).
    """
    cols = ["activity", "n", "n_known", "wait_mean_s", "work_mean_s", "preempted_mean_s",
            "handover_mean_s"]
    if stages.empty:
        return pd.DataFrame(columns=cols)
    g = stages.groupby("activity", sort=False, observed=True)
    out = pd.DataFrame(
        {
            "n": g.size(),
            "n_known": g["started_known"].sum().astype(int),
            "wait_mean_s": g["wait_s"].mean(),
            "work_mean_s": g["work_s"].mean(),
            "preempted_mean_s": g["preempted_s"].mean(),
            "handover_mean_s": g["handover_s"].mean(),
        }
    )
    order = [a for a in _DURATIVE if a in out.index]
    return out.loc[order].rename_axis("activity").reset_index()[cols]


_PIECE_COLUMNS = ["scenario", "replication", "ticket_id", "attempt", "resource", "role",
                  "activity", "kind", "start", "end"]


def _frame_at(fe: FlatEvents, pos: np.ndarray, kind: np.ndarray | str, start: np.ndarray,
              end: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({
        **_event_columns(fe, pos),
        "kind": _obj(np.broadcast_to(np.asarray(kind, dtype=object), pos.shape)),
        "start": pd.to_datetime(start.astype("int64"), unit="ms", utc=True),
        "end": pd.to_datetime(end.astype("int64"), unit="ms", utc=True),
    }, columns=_PIECE_COLUMNS)


def _replication(rep: np.ndarray) -> np.ndarray:
    """Replication numbers: int64 when all are known, else objects with ``None``."""
    if (rep >= 0).all():
        return rep
    out = rep.astype(object)
    out[rep < 0] = None
    return out


def _none_if_empty(values: np.ndarray) -> np.ndarray:
    """Objects, with ``None`` where the string is empty (a missing scenario)."""
    out = values.astype(object)
    out[values == ""] = None
    return out


_INTERVAL_COLUMNS = ["scenario", "replication", "ticket_id", "attempt", "resource", "role",
                     "activity", "kind", "start", "end"]


def _empty_intervals() -> pd.DataFrame:
    df = pd.DataFrame({c: pd.Series(dtype=object) for c in _INTERVAL_COLUMNS})
    for c in ("start", "end"):
        df[c] = pd.to_datetime(df[c], utc=True)
    return df


def busy_intervals(log: EventLog) -> pd.DataFrame:
    """Busy pieces of resources: scenario, replication, ticket_id, attempt, resource, role,
    activity, kind (``travel`` for ``arrived``, else ``work``), start, end (UTC)."""
    if log.events.empty:
        return _empty_intervals()
    return _busy(_durative(log))


def _busy(d: _Durative) -> pd.DataFrame:
    kind = np.where(d.fe.activity[d.piece_pos] == "arrived", "travel", "work")
    return _frame_at(d.fe, d.piece_pos, kind, d.piece_a, d.piece_b)


def waiting_intervals(log: EventLog) -> pd.DataFrame:
    """Waiting pieces of tickets, labelled with the role awaited.

    * [previous event, ``started_at``) of each durative event with a known start (the
      durative event's role);
    * [previous event, instant) of each desk or technician instant (``dispatched``,
      ``signed``, ``contacted``, ``closed`` …; not ``work_started``), cut short where a
      durative event of the ticket had started already, so no moment is both waiting and
      working; this counts requests deferred to the morning as waiting.

    Rows are in ticket order, events in contract order; ``kind`` is ``wait``.
    """
    if log.events.empty:
        return _empty_intervals()
    return _waiting(_durative(log))


def busy_and_waiting(log: EventLog) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`busy_intervals` and :func:`waiting_intervals` of a log, computed together."""
    if log.events.empty:
        return _empty_intervals(), _empty_intervals()
    d = _durative(log)
    return _busy(d), _waiting(d)


@dataclass(frozen=True)
class TimelineTables:
    """:func:`stage_times`, :func:`busy_intervals` and :func:`waiting_intervals` of one log."""

    stages: pd.DataFrame
    busy: pd.DataFrame
    waits: pd.DataFrame


def timeline_tables(log: EventLog) -> TimelineTables:
    """The three timeline tables of a log, from one pass over its events (a report needs all
    three: the stage figure and the hour-of-week profile)."""
    if log.events.empty:
        return TimelineTables(stage_times(log), _empty_intervals(), _empty_intervals())
    d = _durative(log)
    return TimelineTables(_stages(d), _busy(d), _waiting(d))


def _waiting(d: _Durative) -> pd.DataFrame:
    fe = d.fe
    s = fe.started[d.pos]
    dur_ok = (d.prev != NAT) & (s > d.prev)
    pos = [d.pos[dur_ok]]
    lo = [d.prev[dur_ok]]
    hi = [s[dur_ok]]
    # instants: waiting for their performer since the ticket's previous non-interruption event
    inst = (np.isin(fe.activity, list(_DESK - set(_DURATIVE)))
            | np.isin(fe.activity, list(_TECH_INSTANTS)))
    steps = ~np.isin(fe.activity, [*_INTERRUPTIONS, "resumed", "taken_over"])
    ip = np.flatnonzero(inst)
    j = last_before(steps)[ip]
    has_prev = j >= fe.gstart[ip]
    ip, j = ip[has_prev], j[has_prev]
    # a later durative event already started before the instant: the wait ends at its start
    started = np.where(fe.started != NAT, fe.started, np.iinfo(np.int64).max)
    started = np.where(np.isin(fe.activity, _DURATIVE), started, np.iinfo(np.int64).max)
    later_min = _suffix_min_by_ticket(fe, started)  # min started at positions > i
    end = np.minimum(fe.ts[ip], later_min[ip])
    ok = end > fe.ts[j]
    pos.append(ip[ok])
    lo.append(fe.ts[j[ok]])
    hi.append(end[ok])
    allpos = np.concatenate(pos)
    order = np.argsort(allpos, kind="stable")
    allpos = allpos[order]
    return _frame_at(fe, allpos, "wait", np.concatenate(lo)[order], np.concatenate(hi)[order])


def _suffix_min_by_ticket(fe: FlatEvents, values: np.ndarray) -> np.ndarray:
    """For each position i, the minimum of ``values`` at positions > i of the same ticket
    (int64 max when none)."""
    big = np.iinfo(np.int64).max
    n = values.size
    out = np.full(n, big, dtype=np.int64)
    if n < 2:
        return out
    # reverse cumulative minimum restarted at each ticket: shift by one within the ticket
    nxt = np.full(n, big, dtype=np.int64)
    nxt[:-1] = values[1:]
    nxt[fe.gend - 1] = big  # the last event of a ticket has nothing after it
    rev = nxt[::-1]
    grp = fe.group[::-1]
    # a segmented minimum: add a per-ticket offset so that tickets cannot mix
    df = pd.DataFrame({"g": grp, "v": rev})
    out[:] = df.groupby("g", sort=False)["v"].cummin().to_numpy()[::-1]
    return out
