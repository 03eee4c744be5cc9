"""Branching probabilities per category with Wilson 95 % intervals.

Each probability is a share ``k / n`` of passes or tickets at the branch where the simulator
draws it (``fcsim.sim.procedure``):

* ``misroute_p`` — attempt-1 passes of non-emergency routed tickets with a ``misrouted``;
* ``reject_p`` — attempt-1 acceptance decisions that are ``rejected`` (the first pass's rate;
  ``reject_decay`` is not estimated);
* ``block_p`` — passes that started site work and were ``blocked`` (escalation);
* ``emergency_p`` / ``appointment_p`` — tickets flagged emergency / booked by appointment;
* ``record_error_p`` — tickets with ``record_accurate`` false among those with it known;
* ``outcomes.unreachable_p`` (all categories) — callback tries not reaching the customer.

A branch the log never reaches (n = 0) gives no estimate (value NaN): the base scenario's
value is kept and the calibration says so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fcsim.calibrate.passes import pass_table
from fcsim.eventlog import EventLog
from fcsim.kpi.stats import wilson_interval

__all__ = ["PROBABILITIES", "branch_probabilities"]

#: Per-category probability fields estimated here.
PROBABILITIES: tuple[str, ...] = ("emergency_p", "appointment_p", "misroute_p", "block_p",
                                  "reject_p", "record_error_p")


def _row(category: str, parameter: str, k: int, n: int) -> dict[str, object]:
    lo, hi = wilson_interval(np.array([k]), np.array([n]))
    if n:  # exact ends: no rounding error above 0 / below 1
        lo[0] = 0.0 if k == 0 else lo[0]
        hi[0] = 1.0 if k == n else hi[0]
    return {"category": category, "parameter": parameter, "k": int(k), "n": int(n),
            "value": k / n if n else np.nan, "ci_low": float(lo[0]), "ci_high": float(hi[0])}


def branch_probabilities(log: EventLog) -> pd.DataFrame:
    """Misroute, rejection, escalation (block), emergency, appointment, record-error shares.

    Returns
    -------
    DataFrame
        category (empty for ``outcomes.unreachable_p``), parameter, k, n, value, ci_low,
        ci_high (Wilson 95 %; NaN where n = 0).
    """
    p = pass_table(log)
    tk = log.tickets
    rows: list[dict[str, object]] = []
    cats = sorted(tk["category"].astype(str).unique())
    tcat = tk["category"].astype(str)
    emerg = tk["emergency"].astype("boolean").fillna(False).astype(bool)
    appt = tk["mode"].astype(object).eq("appointment")
    acc = tk["record_accurate"].astype("boolean")
    for c in cats:
        sel = tcat == c
        rows.append(_row(c, "emergency_p", int((emerg & sel).sum()), int(sel.sum())))
        rows.append(_row(c, "appointment_p", int((appt & sel).sum()), int(sel.sum())))
        pc = p[p["category"] == c]
        a1 = pc[(pc["attempt"] == 1) & pc["route_dispatch"] & ~pc["emergency"]
                & pc["t_dispatched"].notna()]
        rows.append(_row(c, "misroute_p", int(a1["t_misrouted"].notna().sum()), len(a1)))
        started = pc[pc["t_work_started"].notna()]
        rows.append(_row(c, "block_p", int(started["t_blocked"].notna().sum()), len(started)))
        dec = pc[(pc["attempt"] == 1) & (pc["t_accepted"].notna() | pc["t_rejected"].notna())]
        first_rej = dec["t_rejected"].notna() & (dec["t_accepted"].isna()
                                                 | (dec["t_rejected"] < dec["t_accepted"]))
        rows.append(_row(c, "reject_p", int(first_rej.sum()), len(dec)))
        known = acc[sel].dropna()
        rows.append(_row(c, "record_error_p", int((~known.astype(bool)).sum()), len(known)))
    act = log.events["activity"].astype(str)
    reached, failed = int((act == "callback").sum()), int((act == "callback_failed").sum())
    rows.append(_row("", "outcomes.unreachable_p", failed, reached + failed))
    return pd.DataFrame(rows, columns=["category", "parameter", "k", "n", "value", "ci_low",
                                       "ci_high"])
