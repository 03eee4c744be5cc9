"""First-contact ownership continuity (首接負責延續率) — fcsim's own measure, not a seed target.

The seed makes the clerk who first takes a request responsible for it through callback and
closing (首接負責). This module measures how often the log shows that responsibility kept. It
is **not** an indicator of ``KPI.md`` (whose six ids are fixed) and has no target; it is
written to its own table, ``ownership.csv``.

Rules (events known at ``as_of``; tickets of the population, as for the indicators: attempt-1
desk receipt R in the window and not after ``as_of``):

* **Owner**: the ``resource`` of the ticket's first attempt-1 ``recorded`` when that event's
  role is ``desk``; otherwise the ticket has no owner and is left out of the denominator.
* **Logged successors**: a desk ``handed_over`` whose resource is the current owner, followed
  by a desk ``taken_over``, makes that ``taken_over``'s resource the current owner (and so on,
  in a chain). A ``handed_over`` by another clerk, or a ``taken_over`` without the owner's
  ``handed_over`` before it, changes nothing.
* **Denominator**: tickets with an owner and a ``closed`` event — for ``route_callback``
  tickets, also at least one ``callback`` or ``callback_failed``.
* **Numerator**: those whose every ``callback``, ``callback_failed`` and ``closed`` event was
  done by the current owner at that moment (the owner or a logged successor).

Events are taken in the engine's order (attempt, ``timestamp``, ``seq``). Tickets without a
desk handover (nearly all) are judged vectorised; only the few with one are walked event by
event.

Summary (:data:`OWNERSHIP_COLUMNS`): one row per scenario × replication (level
``replication``; ``log`` for an observed log) with value = numerator / denominator and a Wilson
95 % interval; and per simulated scenario a ``scenario`` row: the mean of the replications'
values (denominator > 0), a logit-t 95 % interval across them
(:func:`~fcsim.kpi.stats.logit_t_interval`, inside [0, 1]) and the summed counts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fcsim.eventlog import EventLog
from fcsim.kpi.clocks import ticket_flags
from fcsim.kpi.prepare import ACT, Prepared, Window, prepare, str_column
from fcsim.kpi.stats import logit_t_interval, wilson_interval
from fcsim.model.activities import Activity, Role

__all__ = [
    "MEASURE",
    "OWNERSHIP_COLUMNS",
    "OWNERSHIP_TICKET_COLUMNS",
    "ownership",
    "ownership_summary",
    "ticket_ownership",
]

#: The measure's id in ``ownership.csv``.
MEASURE = "ownership_continuity"

OWNERSHIP_TICKET_COLUMNS = [
    "scenario", "replication", "ticket_id", "owner", "final_owner", "successors", "judged",
    "by_owner", "in_denominator", "in_numerator",
]
OWNERSHIP_COLUMNS = [
    "level", "scenario", "replication", "measure", "value", "ci_low", "ci_high",
    "numerator", "denominator",
]

_JUDGED = (Activity.CALLBACK, Activity.CALLBACK_FAILED, Activity.CLOSED)


def _codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of a string column (-1 = null) and the distinct values."""
    codes, uniq = pd.factorize(values, use_na_sentinel=True)
    return codes.astype(np.int64), np.asarray(uniq, dtype=object)


def _walk(acts: np.ndarray, res: np.ndarray, desk: np.ndarray, judged: np.ndarray,
          owner: int) -> tuple[int, int, int]:
    """One ticket with desk handovers: (by-owner judged events, successors, final owner)."""
    pending = False
    by_owner = succ = 0
    for a, r, d, j in zip(acts.tolist(), res.tolist(), desk.tolist(), judged.tolist(),
                          strict=True):
        if j:
            by_owner += r == owner
        elif d and a == ACT[Activity.HANDED_OVER]:
            pending = pending or r == owner
        elif d and a == ACT[Activity.TAKEN_OVER] and pending:
            owner, pending = r, False
            succ += 1
    return by_owner, succ, owner


def ticket_ownership(p: Prepared, log: EventLog) -> pd.DataFrame:
    """One row per population ticket (columns :data:`OWNERSHIP_TICKET_COLUMNS`).

    ``owner`` / ``final_owner`` are empty without an owner; ``judged`` counts the ticket's
    ``callback``, ``callback_failed`` and ``closed`` events and ``by_owner`` those done by the
    current owner.
    """
    ev = log.events
    n_tk = len(p.tickets)
    act, tid = p.act, p.tid
    handover = (act == ACT[Activity.HANDED_OVER]) | (act == ACT[Activity.TAKEN_OVER])
    judged = np.isin(act, [ACT[a] for a in _JUDGED])
    need = judged | handover | (act == ACT[Activity.RECORDED])
    # resource and role only of the events the measure reads (a fraction of the log)
    rows = p.row[need]
    res = np.full(act.size, -1, dtype=np.int64)
    res_codes, res_names = _codes(ev["resource"].take(rows))
    res[need] = res_codes
    desk = np.zeros(act.size, dtype=bool)
    desk[need] = (ev["role"].take(rows) == Role.DESK.value).fillna(False).to_numpy(dtype=bool)

    first_rec = np.full(n_tk, -1, dtype=np.int64)
    pos = np.flatnonzero((act == ACT[Activity.RECORDED]) & (p.att == 1))
    if pos.size:
        t_u, first = np.unique(tid[pos], return_index=True)
        first_rec[t_u] = pos[first]
    has_rec = first_rec >= 0
    owner = np.full(n_tk, -1, dtype=np.int64)
    ok_owner = has_rec.copy()
    ok_owner[has_rec] = desk[first_rec[has_rec]] & (res[first_rec[has_rec]] >= 0)
    owner[ok_owner] = res[first_rec[ok_owner]]

    n_judged = np.bincount(tid[judged], minlength=n_tk)
    mine = (res[judged] == owner[tid[judged]]) & (owner[tid[judged]] >= 0)
    by_owner = np.bincount(tid[judged], weights=mine, minlength=n_tk).astype(np.int64)
    final = owner.copy()
    successors = np.zeros(n_tk, dtype=np.int64)
    hand = desk & (act == ACT[Activity.HANDED_OVER])
    walk = np.unique(tid[hand])
    walk = walk[owner[walk] >= 0]
    if walk.size:
        starts = np.searchsorted(tid, walk, side="left")
        ends = np.searchsorted(tid, walk, side="right")
        for t, a, b in zip(walk.tolist(), starts.tolist(), ends.tolist(), strict=True):
            by_owner[t], successors[t], final[t] = _walk(act[a:b], res[a:b], desk[a:b],
                                                          judged[a:b], int(owner[t]))

    closed = np.zeros(n_tk, dtype=bool)
    closed[tid[act == ACT[Activity.CLOSED]]] = True
    called = np.zeros(n_tk, dtype=bool)
    called[tid[(act == ACT[Activity.CALLBACK]) | (act == ACT[Activity.CALLBACK_FAILED])]] = True
    route_cb = ticket_flags(p.tickets, "route_callback")
    den = (owner >= 0) & closed & (~route_cb | called)
    num = den & (by_owner == n_judged)

    t = np.flatnonzero(p.in_pop)
    tk = p.tickets

    def name(codes: np.ndarray) -> pd.Series:
        return pd.Series(np.where(codes >= 0, res_names[np.maximum(codes, 0)]
                                  if res_names.size else None, None), dtype=object)

    return pd.DataFrame({
        "scenario": tk["scenario"].take(t).reset_index(drop=True),
        "replication": tk["replication"].take(t).reset_index(drop=True).astype("Int32"),
        "ticket_id": str_column(p.categories.to_numpy(dtype=object)[t]),
        "owner": name(owner[t]),
        "final_owner": name(final[t]),
        "successors": pd.array(successors[t], dtype="Int64"),
        "judged": pd.array(n_judged[t], dtype="Int64"),
        "by_owner": pd.array(by_owner[t], dtype="Int64"),
        "in_denominator": pd.array(den[t], dtype="boolean"),
        "in_numerator": pd.array(num[t], dtype="boolean"),
    })


def ownership_summary(tickets: pd.DataFrame, groups: pd.DataFrame) -> pd.DataFrame:
    """The ``ownership.csv`` table from :func:`ticket_ownership`'s rows.

    ``groups`` holds every (scenario, replication) that gets a row (those of the tickets
    table, even without a ticket in the population).
    """
    simulated = bool(groups["scenario"].notna().any())
    t = tickets.assign(
        _s=tickets["scenario"].astype(object).fillna(""),
        _r=tickets["replication"].astype("Int64").fillna(-1),
        _n=tickets["in_numerator"].fillna(False).astype(int),
        _d=tickets["in_denominator"].fillna(False).astype(int))
    sums = t.groupby(["_s", "_r"])[["_n", "_d"]].sum()
    g = groups.assign(_s=groups["scenario"].astype(object).fillna(""),
                      _r=groups["replication"].astype("Int64").fillna(-1))
    idx = pd.MultiIndex.from_frame(g[["_s", "_r"]])
    num = sums["_n"].reindex(idx, fill_value=0).to_numpy(dtype=np.int64)
    den = sums["_d"].reindex(idx, fill_value=0).to_numpy(dtype=np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(den > 0, num / np.maximum(den, 1), np.nan)
    lo, hi = wilson_interval(num, den)
    rows = pd.DataFrame({
        "level": "replication" if simulated else "log",
        "scenario": g["scenario"].astype(object).to_numpy(),
        "replication": g["replication"].to_numpy(), "measure": MEASURE,
        "value": value, "ci_low": lo, "ci_high": hi, "numerator": num, "denominator": den})
    parts = [rows]
    if simulated:
        for sc, sub in rows.groupby(rows["scenario"].astype(object).fillna(""), sort=True):
            used = sub[sub["denominator"] > 0]
            mean = float(used["value"].mean()) if len(used) else np.nan
            s_lo, s_hi = logit_t_interval(sub["numerator"].to_numpy(),
                                          sub["denominator"].to_numpy())
            parts.append(pd.DataFrame([{
                "level": "scenario", "scenario": sc or None, "replication": pd.NA,
                "measure": MEASURE, "value": mean, "ci_low": s_lo, "ci_high": s_hi,
                "numerator": int(sub["numerator"].sum()),
                "denominator": int(sub["denominator"].sum())}]))
    out = pd.concat(parts, ignore_index=True)
    return pd.DataFrame({
        "level": str_column(out["level"].to_numpy(dtype=object)),
        "scenario": out["scenario"].astype(object).astype("category"),
        "replication": out["replication"].astype("Int32"),
        "measure": str_column(out["measure"].to_numpy(dtype=object)),
        "value": pd.array(out["value"].to_numpy(dtype=float), dtype="Float64"),
        "ci_low": pd.array(out["ci_low"].to_numpy(dtype=float), dtype="Float64"),
        "ci_high": pd.array(out["ci_high"].to_numpy(dtype=float), dtype="Float64"),
        "numerator": out["numerator"].astype("Int64"),
        "denominator": out["denominator"].astype("Int64"),
    })


def ownership(log: EventLog, *, as_of: pd.Timestamp | None = None,
              window: Window | None = None, prepared: Prepared | None = None
              ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-ticket ownership rows and the ``ownership.csv`` summary of a log.

    Parameters
    ----------
    log
        The event log.
    as_of, window
        As for :func:`fcsim.kpi.indicators` (events after ``as_of`` are unknown; the window
        selects tickets by attempt-1 R).
    prepared
        The log already prepared with the same ``as_of`` and ``window`` (skips the work).

    Returns
    -------
    (tickets, summary)
        :data:`OWNERSHIP_TICKET_COLUMNS` and :data:`OWNERSHIP_COLUMNS`.
    """
    p = prepared if prepared is not None else prepare(log, as_of=as_of, window=window)
    rows = ticket_ownership(p, log)
    tk = p.tickets
    groups = (pd.DataFrame({"scenario": tk["scenario"], "replication": tk["replication"]})
              .drop_duplicates()
              .assign(_s=lambda d: d["scenario"].astype(object).fillna(""),
                      _r=lambda d: d["replication"].astype("Int64").fillna(-1))
              .sort_values(["_s", "_r"], kind="stable")
              .drop(columns=["_s", "_r"]).reset_index(drop=True))
    return rows, ownership_summary(rows, groups)
