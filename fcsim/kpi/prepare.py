"""Preparing a log for the KPI engine: as_of cut, sorting, attempts, desk receipt, population.

Everything here is vectorised (numpy / pandas; no Python loop over tickets or events).
Rules implemented (``KPI.md``):

* Events with ``timestamp`` > ``as_of`` are unknown and dropped first. ``as_of`` defaults to the
  latest event ``timestamp`` of the whole log (:func:`default_as_of`), never the wall clock.
* Events are ordered by ticket, then ``attempt``, then (``timestamp``, ``seq``); an attempt's
  events thus form one contiguous *segment*, and "first X after the start moment" is the first
  X of the segment at a later position.
* Attempts: attempt *k* exists when events carry it, or from the ``rejected`` of attempt
  *k*−1 that opens it. **Desk receipt R** of attempt 1 = its first ``relayed`` if present, else
  its first ``received``; of attempt *k* ≥ 2 = the first ``rejected`` of attempt *k*−1.
  An attempt **ends** at its first ``rejected`` (which opens the next) or ``closed``; events
  after ``accepted`` carry the accepted attempt's number and so belong to it.
* **Population**: tickets whose attempt-1 R lies in ``[window start, window end)`` and not after
  ``as_of``; the window selects tickets for every output.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from fcsim.eventlog import EventLog, EventLogError
from fcsim.eventlog.times import NAT, ms_array, to_ms
from fcsim.model.activities import ACTIVITY_CODES, Activity

__all__ = [
    "ACT",
    "Prepared",
    "Window",
    "default_as_of",
    "first_after",
    "ms_array",
    "prepare",
    "prepare_arrays",
    "str_column",
    "take_or",
    "to_ms",
]

#: Activity -> integer code of the events' categorical ``activity`` column.
ACT = ACTIVITY_CODES

NONE = -1

Window = tuple[pd.Timestamp | None, pd.Timestamp | None]


def default_as_of(log: EventLog) -> pd.Timestamp:
    """The latest event ``timestamp`` of the whole log (one instant for every scenario).

    Raises
    ------
    ValueError
        When the log has no events.
    """
    if len(log.events) == 0:
        raise ValueError("the log has no events: as_of cannot default to its latest timestamp")
    return pd.Timestamp(log.events["timestamp"].max()).tz_convert("UTC")


def first_after(
    mask: np.ndarray, ev_seg: np.ndarray, q_seg: np.ndarray, q_from: np.ndarray
) -> np.ndarray:
    """Per query, the position of the first event with ``mask`` after ``q_from`` in ``q_seg``.

    Events are in segment order (each segment contiguous). A query with ``q_seg`` = -1 has no
    answer. Returns positions, -1 where there is none.
    """
    xs = np.flatnonzero(mask)
    out = np.full(len(q_seg), NONE, dtype=np.int64)
    if xs.size == 0 or len(q_seg) == 0:
        return out
    i = np.searchsorted(xs, q_from, side="right")
    cand = xs[np.minimum(i, xs.size - 1)]
    ok = (i < xs.size) & (q_seg >= 0) & (ev_seg[cand] == q_seg)
    out[ok] = cand[ok]
    return out


def str_column(values: np.ndarray) -> pd.Series:
    """Strings as pandas' default string column (``str`` in pandas 3, object before)."""
    return pd.Series(np.asarray(values, dtype=object)).astype(str)


def take_or(values: np.ndarray, pos: np.ndarray, default: int) -> np.ndarray:
    """``values[pos]`` where ``pos`` ≥ 0, else ``default`` (safe on empty ``values``)."""
    out = np.full(len(pos), default, dtype=np.int64)
    ok = pos >= 0
    out[ok] = values[pos[ok]]
    return out


def _first_per_key(keys: np.ndarray, mask: np.ndarray, n: int) -> np.ndarray:
    """Per key 0..n-1, the position of its first event with ``mask`` (-1 if none)."""
    pos = np.flatnonzero(mask)
    out = np.full(n, NONE, dtype=np.int64)
    if pos.size:
        k = keys[pos]
        uk, first = np.unique(k, return_index=True)
        out[uk] = pos[first]
    return out


@dataclass(frozen=True)
class Prepared:
    """A log cut at ``as_of``, restricted to the population, as flat numpy arrays.

    Events (sorted; position = index): ``tid`` (ticket code = index into ``tickets``),
    ``att``, ``ts`` (ms), ``act`` (activity code), ``seg`` (attempt index of the event),
    ``row`` (the event's row in ``log.events``, for columns no clock reads).
    Attempts (sorted by ticket, attempt): ``a_tid``, ``a_att``, ``a_first``/``a_last`` (segment
    positions, -1 when the attempt has no event yet), ``a_R`` (position of R, -1 unknown),
    ``a_end`` (position of the ending ``rejected``/``closed``, -1 while open).
    Tickets: ``tickets`` sorted by ``ticket_id`` (row i = code i), ``in_pop`` and ``a1`` (the
    index of each population ticket's attempt 1).
    """

    as_of_ms: int
    tickets: pd.DataFrame
    categories: pd.Index
    in_pop: np.ndarray
    tid: np.ndarray
    att: np.ndarray
    ts: np.ndarray
    act: np.ndarray
    seg: np.ndarray
    a_tid: np.ndarray
    a_att: np.ndarray
    a_first: np.ndarray
    a_last: np.ndarray
    a_R: np.ndarray
    a_end: np.ndarray
    a1: np.ndarray
    r1_ms: np.ndarray
    closed_ms: np.ndarray
    row: np.ndarray

    @property
    def a_ended(self) -> np.ndarray:
        """Whether each attempt has ended by ``as_of``."""
        return self.a_end >= 0

    def moment(self, pos: np.ndarray) -> np.ndarray:
        """Timestamps (ms) of event positions; :data:`NAT` where ``pos`` is -1."""
        return take_or(self.ts, pos, NAT)


def _ticket_codes(log: EventLog) -> tuple[pd.DataFrame, pd.Index, np.ndarray]:
    tk = log.tickets
    ids = tk["ticket_id"].astype(str).to_numpy(dtype=object)
    order = np.argsort(ids, kind="stable")
    tickets = tk.iloc[order].reset_index(drop=True)
    cats = pd.Index(ids[order])
    if cats.has_duplicates:
        dup = cats[cats.duplicated()][0]
        raise EventLogError(f"tickets: ticket_id {dup!r} repeats")
    ev_id = log.events["ticket_id"]
    if isinstance(ev_id.dtype, pd.CategoricalDtype):
        level = cats.get_indexer(pd.Index(ev_id.cat.categories.astype(str)))
        codes = ev_id.cat.codes.to_numpy()
        tid = np.where(codes >= 0, level[codes], NONE)
    else:
        tid = cats.get_indexer(pd.Index(ev_id.astype(str)))
    if (tid < 0).any():
        row = int(np.flatnonzero(tid < 0)[0])
        raise EventLogError(
            f"events, row {row}: ticket_id {ev_id.iloc[row]!r} has no row in tickets"
        )
    return tickets, cats, tid.astype(np.int64)


def prepare(
    log: EventLog, *, as_of: pd.Timestamp | None = None, window: Window | None = None
) -> Prepared:
    """Cut ``log`` at ``as_of``, sort it, build its attempts and select the population.

    Parameters
    ----------
    log
        The event log.
    as_of
        Evaluation instant (default :func:`default_as_of`).
    window
        ``(start, end)`` on attempt-1 R, half-open; ``None`` ends are open.
    """
    as_of_ms = to_ms(as_of if as_of is not None else default_as_of(log))
    tickets, cats, tid_all = _ticket_codes(log)
    ev = log.events
    # map the column's own category order onto ACT (robust to any category order)
    remap = np.array([ACT[Activity(c)] for c in ev["activity"].cat.categories] + [NONE],
                     dtype=np.int8)
    act_all = remap[ev["activity"].cat.codes.to_numpy()]
    if (act_all < 0).any():
        row = int(np.flatnonzero(act_all < 0)[0])
        raise EventLogError(f"events, row {row}: activity is empty")
    return prepare_arrays(
        tickets, cats, tid=tid_all, att=ev["attempt"].to_numpy().astype(np.int64),
        ts=ms_array(ev["timestamp"]), act=act_all, seq=ev["seq"].to_numpy(),
        as_of_ms=as_of_ms, window=window)


def prepare_arrays(
    tickets: pd.DataFrame, categories: pd.Index, *, tid: np.ndarray, att: np.ndarray,
    ts: np.ndarray, act: np.ndarray, seq: np.ndarray, as_of_ms: int,
    window: Window | None = None,
) -> Prepared:
    """:func:`prepare` on events given as arrays (no event DataFrame).

    ``tickets`` row *i* is ticket code *i* (``categories[i]`` its id); ``tid``, ``att``,
    ``ts`` (ms), ``act`` (:data:`ACT` codes) and ``seq`` are the events' columns, in any
    order. Events after ``as_of_ms`` are dropped; ``Prepared.row`` indexes these arrays. This
    is the entry point of callers that evaluate many small logs at once (the nowcast's
    replications) without building an event frame.
    """
    ts_all = np.asarray(ts, dtype=np.int64)
    known = ts_all <= as_of_ms
    tid = np.asarray(tid, dtype=np.int64)[known]
    ev_row = np.flatnonzero(known)
    att = np.asarray(att, dtype=np.int64)[known]
    ts = ts_all[known]
    seq = np.asarray(seq)[known]
    act = np.asarray(act)[known]
    order = np.lexsort((seq, ts, att, tid))
    tid, att, ts, act, ev_row = tid[order], att[order], ts[order], act[order], ev_row[order]

    # Attempt-1 R per ticket: its first relayed, else its first received.
    n_tk = len(tickets)
    in1 = att == 1
    first_rel = _first_per_key(tid, in1 & (act == ACT[Activity.RELAYED]), n_tk)
    first_rec = _first_per_key(tid, in1 & (act == ACT[Activity.RECEIVED]), n_tk)
    r1_pos = np.where(first_rel >= 0, first_rel, first_rec)
    r1_ms = take_or(ts, r1_pos, NAT)
    in_pop = r1_pos >= 0
    if window is not None:
        lo, hi = window
        if lo is not None:
            in_pop &= r1_ms >= to_ms(lo)
        if hi is not None:
            in_pop &= r1_ms < to_ms(hi)

    keep = in_pop[tid]
    tid, att, ts, act, ev_row = tid[keep], att[keep], ts[keep], act[keep], ev_row[keep]
    r1_ms = np.where(in_pop, r1_ms, NAT)

    # Attempt segments of the events, plus attempts opened by a rejected with no event yet.
    n = tid.size
    key = tid * 65536 + att
    rej = act == ACT[Activity.REJECTED]
    opened = np.unique(key[rej] + 1)
    a_key = np.unique(np.concatenate([key, opened]))
    seg = np.searchsorted(a_key, key)
    n_a = a_key.size
    a_tid = a_key // 65536
    a_att = a_key % 65536
    a_first = np.full(n_a, NONE, dtype=np.int64)
    a_last = np.full(n_a, NONE, dtype=np.int64)
    if n:
        starts = np.flatnonzero(np.r_[True, seg[1:] != seg[:-1]])
        ends = np.r_[starts[1:] - 1, n - 1]
        a_first[seg[starts]] = starts
        a_last[seg[starts]] = ends
    a_seg = np.where(a_first >= 0, np.arange(n_a), NONE)
    from_start = a_first - 1

    first_rel_a = first_after(act == ACT[Activity.RELAYED], seg, a_seg, from_start)
    first_rec_a = first_after(act == ACT[Activity.RECEIVED], seg, a_seg, from_start)
    first_rej_a = first_after(rej, seg, a_seg, from_start)
    first_close_a = first_after(act == ACT[Activity.CLOSED], seg, a_seg, from_start)
    # R of attempt k >= 2: the first rejected of attempt k-1 (the previous attempt row).
    prev = np.arange(n_a) - 1
    prev_ok = (prev >= 0) & (a_tid[np.maximum(prev, 0)] == a_tid) & (
        a_att[np.maximum(prev, 0)] == a_att - 1
    )
    r_later = np.where(prev_ok, first_rej_a[np.maximum(prev, 0)], NONE)
    a_R = np.where(a_att == 1, np.where(first_rel_a >= 0, first_rel_a, first_rec_a), r_later)
    ends = np.stack([first_rej_a, first_close_a])
    ends = np.where(ends < 0, np.iinfo(np.int64).max, ends).min(axis=0)
    a_end = np.where(ends == np.iinfo(np.int64).max, NONE, ends)

    a1 = np.full(n_tk, NONE, dtype=np.int64)
    is1 = a_att == 1
    a1[a_tid[is1]] = np.flatnonzero(is1)
    closed_pos = _first_per_key(tid, act == ACT[Activity.CLOSED], n_tk)
    closed_ms = take_or(ts, closed_pos, NAT)
    return Prepared(
        as_of_ms=as_of_ms, tickets=tickets, categories=categories, in_pop=in_pop,
        tid=tid, att=att, ts=ts, act=act, seg=seg,
        a_tid=a_tid, a_att=a_att, a_first=a_first, a_last=a_last, a_R=a_R, a_end=a_end,
        a1=a1, r1_ms=r1_ms, closed_ms=closed_ms, row=ev_row,
    )
