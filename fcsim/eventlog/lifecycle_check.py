"""Validate every ticket of an :class:`~fcsim.eventlog.log.EventLog` against the lifecycle.

A vectorised wrapper around :func:`fcsim.model.lifecycle.validate`. The events are sorted by
ticket, ``timestamp`` and ``seq`` once; the checks that look at one event alone (``started_at``
on an instant or after its ``timestamp``) and at one ticket's ``seq`` values (duplicates) are
array operations. Everything else the walker decides depends only on a ticket's **variant** —
its sequence of (activity, attempt) in event order — and its facts, so the walker runs once
per distinct variant (a log of a million events has a few thousand), and again, event by
event, only for the tickets whose variant (or whose single-event checks) found a violation:
the violations and their messages are exactly those of the per-ticket walk.
Each ticket's facts come from the tickets table (a null flag counts as false, a null ``mode``
as immediate).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from fcsim.eventlog.frames import category_objects
from fcsim.eventlog.log import EventLog
from fcsim.model.activities import DURATIVE, Activity
from fcsim.model.lifecycle import (
    EventRecord,
    TicketFacts,
    Violation,
    check_level,
    validate,
)

__all__ = ["VIOLATION_COLUMNS", "ticket_facts", "validate_log"]

logger = logging.getLogger(__name__)

#: Columns of :func:`validate_log`'s result.
VIOLATION_COLUMNS: tuple[str, ...] = ("ticket_id", "seq", "code", "message")

#: Longest variant checked through the variant table (longer tickets are walked one by one).
_MAX_VARIANT = 96
_ACTS: list[str] = [a.value for a in Activity]
_DURATIVE_CODES = np.array([a in DURATIVE for a in Activity], dtype=bool)


def _flags(values: pd.Series) -> np.ndarray:
    """A nullable flag column as booleans; null counts as false."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.fillna(False).to_numpy(dtype=bool)
    return np.array([bool(v) for v in values.to_numpy(dtype=object, na_value=False)],
                    dtype=bool)


def ticket_facts(tickets: pd.DataFrame) -> dict[str, TicketFacts]:
    """The :class:`TicketFacts` of each ticket of a canonical tickets table, by ticket id.

    Built once per distinct combination of facts (tickets share the frozen objects).
    """
    if len(tickets) == 0:
        return {}
    made, row = _fact_table(tickets)
    ids = _id_strings(tickets["ticket_id"])
    return dict(zip(ids, [made[k] for k in row.tolist()], strict=True))


def _id_strings(ids: pd.Series) -> list[str]:
    return [str(t) for t in ids.astype(object).to_numpy()]


def _lex_order(seq: np.ndarray, ts: np.ndarray, tid: np.ndarray) -> np.ndarray:
    """``np.lexsort((seq, ts, tid))``, without the sort when the rows are in that order."""
    n = len(tid)
    if n > 1:
        d_t, d_ts, d_s = np.diff(tid), np.diff(ts), np.diff(seq)
        if bool(np.all((d_t > 0) | ((d_t == 0) & ((d_ts > 0) | ((d_ts == 0) & (d_s >= 0)))))):
            return np.arange(n)
    return np.lexsort((seq, ts, tid))


def _pair_duplicated(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Whether each (a, b) pair of integers occurred at an earlier position."""
    if len(a) == 0:
        return np.zeros(0, dtype=bool)
    a_lo, b_lo = int(a.min()), int(b.min())
    span = int(b.max()) - b_lo + 1
    if (int(a.max()) - a_lo + 1) * span < 2**62:  # one integer per pair
        key = (a.astype(np.int64) - a_lo) * span + (b.astype(np.int64) - b_lo)
    else:
        key = _row_codes(np.column_stack([a, b]))
    return pd.Series(key).duplicated().to_numpy()


def _fact_table(tickets: pd.DataFrame) -> tuple[list[TicketFacts], np.ndarray]:
    """The distinct :class:`TicketFacts` of a canonical tickets table and, per row, the
    position of its facts among them."""
    n = len(tickets)
    if n == 0:
        return [], np.zeros(0, dtype=np.int64)
    rec = tickets["recognised_correctly"]
    rec_null = rec.isna().to_numpy()
    rec_true = _flags(rec) & ~rec_null
    mode = tickets["mode"]
    modes = np.where(mode.isna().to_numpy(), "immediate",
                     mode.astype(object).to_numpy()).astype(object)
    mode_codes, mode_names = pd.factorize(pd.Series(modes, dtype=object).map(str))
    flags = [_flags(tickets[c]) for c in ("emergency", "route_dispatch", "route_site_visit",
                                          "route_callback")]
    key = (mode_codes.astype(np.int64) << 6) | np.where(rec_null, 0, 1 + rec_true) << 4
    for k, f in enumerate(flags):
        key |= f.astype(np.int64) << k
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    made = [
        TicketFacts(
            emergency=bool(flags[0][i]),
            mode=str(mode_names[mode_codes[i]]),
            route_dispatch=bool(flags[1][i]),
            route_site_visit=bool(flags[2][i]),
            route_callback=bool(flags[3][i]),
            recognised_correctly=None if rec_null[i] else bool(rec_true[i]),
        )
        for i in first.tolist()
    ]
    return made, np.ravel(inverse).astype(np.int64)


def _ms(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer milliseconds since the epoch and a null mask."""
    ts = pd.to_datetime(values, utc=True)
    null = ts.isna().to_numpy()
    ms = ts.dt.as_unit("ms").to_numpy(dtype="datetime64[ms]").astype("int64")
    return ms, null


def _ticket_keys(ids: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer keys in the ids' string order and the id strings they stand for."""
    if isinstance(ids.dtype, pd.CategoricalDtype):
        cats = ids.cat.categories
        codes = ids.cat.codes.to_numpy().astype(np.int64)
        if (cats.is_monotonic_increasing and pd.api.types.infer_dtype(cats) == "string"
                and not (codes < 0).any()):
            return codes, np.asarray(cats.astype(object), dtype=object)
    key, names = pd.factorize(ids.astype(object).astype(str).to_numpy(), sort=True)
    return key.astype(np.int64), np.asarray(names, dtype=object)


def _facts_key(f: TicketFacts) -> int:
    rec = 0 if f.recognised_correctly is None else 1 + int(f.recognised_correctly)
    return (int(f.emergency) | int(f.mode == "appointment") << 1 | int(f.route_dispatch) << 2
            | int(f.route_site_visit) << 3 | int(f.route_callback) << 4 | rec << 5
            | int(f.mode not in ("immediate", "appointment")) << 7)


def _activity_objects(values: pd.Series) -> np.ndarray:
    """An activity column as an object array (a take from the categories when it is one)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return category_objects(values)
    return values.astype(object).to_numpy()


def _activity_codes(values: pd.Series) -> np.ndarray:
    """Positions of an activity column's values in the activity list (-1: unknown or null),
    looked up once per distinct value."""
    codes, uniq = pd.factorize(_activity_objects(values))
    pos = np.append(pd.Index(_ACTS, dtype=object).get_indexer(
        pd.Index(np.asarray(uniq, dtype=object), dtype=object)), -1)  # code -1: null
    return pos[codes].astype(np.int64)


def _row_codes(table: np.ndarray) -> np.ndarray:
    """An integer per row of a 2-D integer table, equal for equal rows and different for
    different ones: the columns folded in one at a time, each step re-numbered densely (no
    overflow whatever the width)."""
    n = table.shape[0]
    key = np.zeros(n, dtype=np.int64)
    for j in range(table.shape[1]):
        col_codes, col_uniq = pd.factorize(table[:, j])
        key, _ = pd.factorize(key * len(col_uniq) + col_codes)
        key = key.astype(np.int64)
    return key


def _frame(rows: list[Violation]) -> pd.DataFrame:
    return pd.DataFrame({
        "ticket_id": pd.Series([v.ticket_id for v in rows], dtype="string"),
        "seq": pd.Series([v.seq for v in rows], dtype="Int64"),
        "code": pd.Series([v.code for v in rows], dtype="string"),
        "message": pd.Series([v.message for v in rows], dtype="string"),
    })


def validate_log(log: EventLog, *, level: str = "live") -> pd.DataFrame:
    """All lifecycle violations of a log that ``level`` refuses.

    Parameters
    ----------
    log:
        A canonical event log.
    level:
        ``live`` (every rule of :mod:`fcsim.model.lifecycle`) or ``import`` (only the rules of
        ``KPI.md``; :data:`~fcsim.model.lifecycle.REFUSED_AT`).

    Returns
    -------
    pandas.DataFrame
        One row per violation with columns ``ticket_id``, ``seq``, ``code``, ``message``
        (``seq`` nullable ``Int64``), in ticket and event order; empty (with these columns)
        when every ticket is valid.
    """
    check_level(level)
    ev = log.events
    if len(ev) == 0:
        return _frame([])
    tick = log.tickets
    made, fact_row = _fact_table(tick)
    tid_key, tid_names = _ticket_keys(ev["ticket_id"])
    ts, _ = _ms(ev["timestamp"])
    order = _lex_order(ev["seq"].to_numpy(dtype="int64"), ts, tid_key)
    tkey = tid_key[order]
    tids = tid_names[tkey]
    ts = ts[order]
    act_col = _activity_objects(ev["activity"])[order]
    seqs = ev["seq"].to_numpy(dtype="int64")[order]
    atts = ev["attempt"].to_numpy(dtype="int64")[order]
    st, st_null = _ms(ev["started_at"])
    st, st_null = st[order], st_null[order]
    codes = _activity_codes(ev["activity"])[order]  # -1: unknown
    new_ticket = np.r_[True, tkey[1:] != tkey[:-1]]  # the names are distinct
    starts = np.flatnonzero(new_ticket)
    ends = np.r_[starts[1:], len(tids)]
    tix = np.cumsum(new_ticket) - 1  # ticket index of each event
    n_t = len(starts)
    # single-event and per-ticket checks that the variant cannot see
    bad = np.zeros(n_t, dtype=bool)
    has_st = ~st_null
    st_bad = has_st & ((codes < 0) | ~_DURATIVE_CODES[np.maximum(codes, 0)] | (st > ts))
    bad[tix[st_bad]] = True
    bad[tix[_pair_duplicated(tix, seqs)]] = True
    length = ends - starts
    bad |= length > _MAX_VARIANT
    bad[tix[(codes < 0) | (atts < 0) | (atts > 127)]] = True
    # the variant table: (activity, attempt) per position, plus the facts
    # each ticket's facts: its row of the tickets table, one look-up per distinct id
    row_of_key = pd.Index(_id_strings(tick["ticket_id"]), dtype=object).get_indexer(
        pd.Index([str(t) for t in tid_names], dtype=object))
    trow = row_of_key[tkey[starts]]
    for a in starts[trow < 0].tolist():
        logger.warning("ticket %s has events but no tickets row; default facts", tids[a])
    choices: list[TicketFacts] = [*made, TicketFacts()]  # last: the default
    fidx = np.where(trow >= 0, fact_row[np.maximum(trow, 0)], len(made))
    fact_objs = [choices[k] for k in fidx.tolist()]
    fkey = np.array([_facts_key(f) for f in choices], dtype=np.int64)[fidx]
    width = int(min(length.max(), _MAX_VARIANT))
    table = np.full((n_t, width + 2), -1, dtype=np.int64)
    table[:, 0] = fkey
    table[:, 1] = length
    pos = np.arange(len(tids)) - starts[tix]
    inside = pos < width
    table[tix[inside], 2 + pos[inside]] = (codes * 128 + np.clip(atts, 0, 127))[inside]
    ok_rows = ~bad
    inverse = _row_codes(table[ok_rows])
    n_var = int(inverse.max()) + 1 if len(inverse) else 0
    first = np.full(n_var, len(inverse), dtype=np.int64)
    np.minimum.at(first, inverse, np.arange(len(inverse)))
    rows_ok = np.flatnonzero(ok_rows)
    invalid_variant = np.zeros(n_var, dtype=bool)
    for k in range(n_var):
        t = rows_ok[first[k]]
        a, b = starts[t], ends[t]
        recs = [EventRecord(_ACTS[codes[i]], i, i, int(atts[i])) for i in range(a, b)]
        invalid_variant[k] = bool(validate(recs, fact_objs[t], level=level))
    bad[rows_ok[invalid_variant[np.ravel(inverse)]]] = True
    # walk the flagged tickets event by event, with their real timestamps and seq
    out: list[Violation] = []
    flagged = np.flatnonzero(bad).tolist()
    ts_l, st_l = (ts.tolist(), st.tolist()) if flagged else ([], [])
    for t in flagged:
        a, b = int(starts[t]), int(ends[t])
        tid = str(tids[a])
        recs = [EventRecord(act_col[i] if isinstance(act_col[i], str) else "", ts_l[i],
                            int(seqs[i]), int(atts[i]), None if st_null[i] else st_l[i])
                for i in range(a, b)]
        out.extend(validate(recs, fact_objs[t], ticket_id=tid, level=level))
    return _frame(out).reset_index(drop=True)

