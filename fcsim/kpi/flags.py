"""Per-ticket numerator / denominator flags of the six indicators (``KPI.md`` § Indicators).

One row per population ticket; the indicator tables (:mod:`fcsim.kpi.indicators`) and the
period tables (:mod:`fcsim.kpi.periods`) are sums of these flags. Rules:

* timeliness: numerator = tickets with ≥ 1 clock row, all met; denominator = numerator +
  tickets with ≥ 1 breached or missing row; tickets with only met and censored rows (≥ 1
  censored) are counted in ``n_censored``.
* satisfaction: denominator = a reached ``callback`` (any attempt, by ``as_of``) and non-null
  ``satisfied``; numerator = ``satisfied`` true.
* accuracy: denominator = non-null ``record_accurate``; numerator = true.
* pass_rate: denominator = an attempt-1 ``accepted`` or ``rejected`` by ``as_of``; numerator =
  the first of them is ``accepted``.
* recognition: denominator = an attempt-1 ``classified``; numerator = no attempt-1
  ``misrouted`` and ``recognised_correctly`` not false. An attempt-1 ``misrouted`` with
  ``recognised_correctly`` true is a validation error (:class:`EventLogError`).
* callback_rate: denominator = ``route_callback`` tickets whose accepted attempt's
  ``slip_returned`` (the callback clock's start) is ≥ the callback clock's upper bound before
  ``as_of``; numerator = with ≥ 1 reached ``callback``.

Ticket-table facts count at any ``as_of``; null flags count as false.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fcsim.eventlog import EventLogError
from fcsim.kpi.clocks import ticket_flags
from fcsim.kpi.prepare import ACT, NONE, Prepared, first_after, ms_array, take_or
from fcsim.model.activities import Activity
from fcsim.model.indicators import INDICATOR_IDS

__all__ = ["ticket_indicator_flags"]


def _tids(p: Prepared, clock_rows: pd.DataFrame) -> np.ndarray:
    ids = clock_rows["ticket_id"]
    if isinstance(ids.dtype, pd.CategoricalDtype):
        level = p.categories.get_indexer(pd.Index(ids.cat.categories.astype(str)))
        codes = ids.cat.codes.to_numpy()
        tid = np.where(codes >= 0, level[codes], NONE)
    else:
        tid = p.categories.get_indexer(pd.Index(ids.astype(str)))
    if (tid < 0).any():
        bad = ids.iloc[int(np.flatnonzero(tid < 0)[0])]
        raise ValueError(f"clock_rows: ticket_id {bad!r} is not a ticket of the log")
    return tid.astype(np.int64)


def _any(n: int, tid: np.ndarray) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    out[tid] = True
    return out


def ticket_indicator_flags(p: Prepared, clock_rows: pd.DataFrame) -> pd.DataFrame:
    """One row per population ticket: ``tid``, then ``<indicator>_num`` / ``_den`` (bool)
    for each indicator, and ``timeliness_cens``."""
    tk = p.tickets
    n = len(tk)
    pop = p.in_pop
    tid = _tids(p, clock_rows)
    status = clock_rows["status"].to_numpy(dtype=object)
    n_rows = np.bincount(tid, minlength=n)
    n_met = np.bincount(tid, weights=status == "met", minlength=n)
    n_bad = np.bincount(tid, weights=(status == "breached") | (status == "missing"), minlength=n)
    n_cens = np.bincount(tid, weights=status == "censored", minlength=n)
    f: dict[str, np.ndarray] = {}
    f["timeliness_num"] = (n_rows > 0) & (n_met == n_rows)
    f["timeliness_den"] = f["timeliness_num"] | (n_bad > 0)
    f["timeliness_cens"] = (n_rows > 0) & (n_bad == 0) & (n_cens > 0)

    act, ev_tid, att = p.act, p.tid, p.att
    reached = _any(n, ev_tid[act == ACT[Activity.CALLBACK]])
    sat = tk["satisfied"]
    f["satisfaction_den"] = reached & sat.notna().to_numpy()
    f["satisfaction_num"] = f["satisfaction_den"] & ticket_flags(tk, "satisfied")
    f["accuracy_den"] = tk["record_accurate"].notna().to_numpy()
    f["accuracy_num"] = ticket_flags(tk, "record_accurate")

    a1_first = take_or(p.a_first, p.a1, NONE)
    a1_seg = np.where(a1_first >= 0, p.a1, NONE)
    decision = first_after((act == ACT[Activity.ACCEPTED]) | (act == ACT[Activity.REJECTED]),
                           p.seg, a1_seg, a1_first - 1)
    f["pass_rate_den"] = decision >= 0
    f["pass_rate_num"] = take_or(act, decision, -1) == ACT[Activity.ACCEPTED]

    first_pass = att == 1
    classified = _any(n, ev_tid[first_pass & (act == ACT[Activity.CLASSIFIED])])
    misrouted = _any(n, ev_tid[first_pass & (act == ACT[Activity.MISROUTED])])
    rc = tk["recognised_correctly"]
    rc_true = rc.fillna(False).to_numpy(dtype=bool)
    rc_false = (~rc.fillna(True)).to_numpy(dtype=bool)
    clash = pop & misrouted & rc_true
    if clash.any():
        bad = p.categories[int(np.flatnonzero(clash)[0])]
        raise EventLogError(
            f"tickets, ticket_id {bad!r}: recognised_correctly is true but attempt 1 has a "
            "misrouted event"
        )
    f["recognition_den"] = classified
    f["recognition_num"] = classified & ~misrouted & ~rc_false

    is_cb = (clock_rows["control_point"].to_numpy(dtype=object) == "callback")
    cb_start = ms_array(clock_rows["start"])
    upper = clock_rows["upper_s"].astype("Float64").fillna(0.0).to_numpy(dtype=float)
    due = is_cb & clock_rows["start"].notna().to_numpy() & (
        cb_start <= p.as_of_ms - upper * 1000.0)
    f["callback_rate_den"] = _any(n, tid[due]) & ticket_flags(tk, "route_callback")
    f["callback_rate_num"] = f["callback_rate_den"] & reached

    cols = {"tid": np.flatnonzero(pop)}
    for ind in INDICATOR_IDS:
        cols[f"{ind}_num"] = f[f"{ind}_num"][pop] & f[f"{ind}_den"][pop]
        cols[f"{ind}_den"] = f[f"{ind}_den"][pop]
    cols["timeliness_cens"] = f["timeliness_cens"][pop]
    return pd.DataFrame(cols)
