"""Validate every ticket of an :class:`~fcsim.eventlog.log.EventLog` against the lifecycle.

A thin pandas wrapper around :func:`fcsim.model.lifecycle.validate`: the events are sorted and
grouped by ticket once, timestamps become integer milliseconds, and each ticket's facts come
from the tickets table (a null flag counts as false, a null ``mode`` as immediate).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from fcsim.eventlog.log import EventLog
from fcsim.model.lifecycle import EventRecord, TicketFacts, Violation, validate

__all__ = ["VIOLATION_COLUMNS", "ticket_facts", "validate_log"]

logger = logging.getLogger(__name__)

#: Columns of :func:`validate_log`'s result.
VIOLATION_COLUMNS: tuple[str, ...] = ("ticket_id", "seq", "code", "message")


def _null(value: Any) -> bool:
    return value is None or bool(pd.isna(value))


def _flag(value: Any) -> bool:
    """A nullable flag; null counts as false."""
    return False if _null(value) else bool(value)


def ticket_facts(tickets: pd.DataFrame) -> dict[str, TicketFacts]:
    """The :class:`TicketFacts` of each ticket of a canonical tickets table, by ticket id."""
    out: dict[str, TicketFacts] = {}
    cols = ["ticket_id", "emergency", "mode", "route_dispatch", "route_site_visit",
            "route_callback", "recognised_correctly"]
    for tid, emerg, mode, r_d, r_s, r_c, rec in tickets[cols].itertuples(index=False, name=None):
        out[str(tid)] = TicketFacts(
            emergency=_flag(emerg),
            mode="immediate" if _null(mode) else str(mode),
            route_dispatch=_flag(r_d),
            route_site_visit=_flag(r_s),
            route_callback=_flag(r_c),
            recognised_correctly=None if _null(rec) else bool(rec),
        )
    return out


def _ms(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer milliseconds since the epoch and a null mask."""
    ts = pd.to_datetime(values, utc=True)
    null = ts.isna().to_numpy()
    ms = ts.dt.as_unit("ms").to_numpy(dtype="datetime64[ms]").astype("int64")
    return ms, null


def validate_log(log: EventLog) -> pd.DataFrame:
    """All lifecycle violations of a log.

    Parameters
    ----------
    log:
        A canonical event log.

    Returns
    -------
    pandas.DataFrame
        One row per violation with columns ``ticket_id``, ``seq``, ``code``, ``message``
        (``seq`` nullable ``Int64``), in ticket and event order; empty (with these columns)
        when every ticket is valid.
    """
    ev = log.events
    facts = ticket_facts(log.tickets)
    rows: list[Violation] = []
    if len(ev):
        ev = ev.sort_values(["ticket_id", "timestamp", "seq"], kind="stable")
        tids = ev["ticket_id"].astype(object).astype(str).to_numpy()
        act_col = ev["activity"]
        acts = np.where(act_col.isna().to_numpy(), "", act_col.astype(object).to_numpy()).tolist()
        seqs = ev["seq"].to_numpy(dtype="int64").tolist()
        atts = ev["attempt"].to_numpy(dtype="int64").tolist()
        ts, _ = _ms(ev["timestamp"])
        st, st_null = _ms(ev["started_at"])
        ts_l, st_l, st_null_l = ts.tolist(), st.tolist(), st_null.tolist()
        cuts = np.flatnonzero(tids[1:] != tids[:-1]) + 1
        starts = [0, *cuts.tolist()]
        ends = [*cuts.tolist(), len(tids)]
        for a, b in zip(starts, ends, strict=True):
            tid = str(tids[a])
            f = facts.get(tid)
            if f is None:
                logger.warning("ticket %s has events but no tickets row; default facts", tid)
                f = TicketFacts()
            records = [
                EventRecord(acts[i], ts_l[i], seqs[i], atts[i], None if st_null_l[i] else st_l[i])
                for i in range(a, b)
            ]
            rows.extend(validate(records, f, ticket_id=tid))
    frame = pd.DataFrame(
        {
            "ticket_id": pd.Series([v.ticket_id for v in rows], dtype="string"),
            "seq": pd.Series([v.seq for v in rows], dtype="Int64"),
            "code": pd.Series([v.code for v in rows], dtype="string"),
            "message": pd.Series([v.message for v in rows], dtype="string"),
        }
    )
    return frame.reset_index(drop=True)
