"""Stage-duration samples read from an event log, one value per pass (ticket × attempt).

Every sample is the time (minutes) that one scenario field describes, measured from the log
alone, so simulated and recorded logs are read the same way:

* a **work** stage is ``timestamp − started_at`` of its durative event (``work`` minus its
  preemption gaps, and only from passes that were not blocked, whose span includes the
  escalation): the gap between the previous event of the pass and ``started_at`` is queueing,
  not service (``wait_min``); where an event has no ``started_at`` the stage is measured from
  the previous event of the pass instead and ``includes_waiting`` is true for it;
* a **gap** stage is the time between two events that the simulator separates by that stage
  alone (e.g. ``classified`` → ``dispatched`` is ``dispatch_min``); in a recorded log it may
  include waiting, so it is flagged as such unless the log carries ``started_at``.

:func:`stage_samples` returns a tidy table: stage, field (the scenario field it calibrates),
category (for per-category fields, else empty), includes_waiting, ticket_id, attempt,
value_min. :func:`cycle_times` gives each ticket's attempt-1 receipt → last ``closed``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fcsim.eventlog import EventLog

__all__ = ["STAGES", "cycle_times", "pass_table", "stage_samples"]

#: stage name -> (scenario field, per category?, kind "work" | "gap")
STAGES: dict[str, tuple[str, bool, str]] = {
    "relay": ("stages.relay_min", False, "gap"),
    "record": ("stages.record_min", False, "work"),
    "emergency_record": ("stages.emergency_record_min", False, "work"),
    "classify": ("stages.classify_min", False, "work"),
    "dispatch": ("stages.dispatch_min", False, "gap"),
    "misroute_return": ("stages.misroute_return_min", False, "gap"),
    "travel": ("stages.travel_min", False, "work"),
    "diagnose": ("diagnose_min", True, "work"),
    "plan": ("stages.plan_min", False, "work"),
    "communicate": ("stages.communicate_min", False, "work"),
    "work": ("work_min", True, "work"),
    "acceptance": ("stages.acceptance_min", False, "gap"),
    "slip_return": ("stages.slip_return_min", False, "gap"),
    "callback": ("stages.callback_min", False, "work"),
    "close": ("stages.close_min", False, "gap"),
}

_FIRST = ("received", "relayed", "recorded", "classified", "emergency_reported", "misrouted",
          "dispatched", "signed", "arrived", "diagnosed", "planned", "communicated",
          "work_started", "blocked", "work_completed", "accepted", "rejected", "slip_returned",
          "closed")
_MIN_PER_MS = 1.0 / 60_000.0


def _keys(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "_s": df["scenario"].astype(object).where(df["scenario"].notna(), "").astype(str),
        "_r": pd.to_numeric(df["replication"].astype(object)).astype("Int64").fillna(-1)
        .astype(np.int64),
        "ticket_id": df["ticket_id"].astype(str),
    }, index=df.index)


def _ms(s: pd.Series) -> pd.Series:
    """UTC milliseconds as floats (NaN for NaT)."""
    a = pd.to_datetime(s, utc=True).dt.tz_localize(None).to_numpy("datetime64[ms]")
    v = a.astype("int64").astype(float)
    v[np.isnat(a)] = np.nan
    return pd.Series(v, index=s.index)


def pass_table(log: EventLog) -> pd.DataFrame:
    """One row per (scenario, replication, ticket, attempt) with event times in ms.

    Columns ``t_<activity>`` (first ``timestamp`` in the pass), ``s_<activity>`` (its
    ``started_at``), ``r_<activity>`` / ``o_<activity>`` (its resource and role),
    ``tl_dispatched`` / ``tl_cb`` (last dispatch, last callback try), ``pre_ms`` (total
    preemption gap), ``n_preempted``, ``n_resumed``, and the ticket facts ``category``,
    ``emergency``, ``mode``, ``route_dispatch``, ``route_site_visit``,
    ``route_callback``.
    """
    ev = log.events
    k = _keys(ev)
    e = pd.DataFrame({
        "_s": k["_s"], "_r": k["_r"], "ticket_id": k["ticket_id"],
        "attempt": ev["attempt"].astype(np.int64), "activity": ev["activity"].astype(str),
        "ts": _ms(ev["timestamp"]), "st": _ms(ev["started_at"]), "seq": ev["seq"],
        "res": ev["resource"].astype(object), "role": ev["role"].astype(object),
    }).sort_values(["_s", "_r", "ticket_id", "attempt", "ts", "seq"], kind="stable")
    key = ["_s", "_r", "ticket_id", "attempt"]
    first = e[e["activity"].isin(_FIRST)].groupby([*key, "activity"], sort=False).first()
    ts = first["ts"].unstack("activity")
    st = first["st"].unstack("activity")
    res = first["res"].unstack("activity")
    role = first["role"].unstack("activity")
    out = pd.DataFrame(index=ts.index)
    for a in _FIRST:
        out[f"t_{a}"] = ts[a] if a in ts else np.nan
        out[f"s_{a}"] = st[a] if a in st else np.nan
        out[f"r_{a}"] = res[a] if a in res else None
        out[f"o_{a}"] = role[a] if a in role else None
    disp = e[e["activity"] == "dispatched"].groupby(key, sort=False)["ts"].last()
    out["tl_dispatched"] = disp.reindex(out.index)
    cb = e[e["activity"].isin(["callback", "callback_failed"])].groupby(key, sort=False)["ts"]
    out["tl_cb"] = cb.last().reindex(out.index)
    pre = e[e["activity"] == "preempted"].groupby(key, sort=False)["ts"]
    res = e[e["activity"] == "resumed"].groupby(key, sort=False)["ts"]
    out["n_preempted"] = pre.size().reindex(out.index).fillna(0).astype(int)
    out["n_resumed"] = res.size().reindex(out.index).fillna(0).astype(int)
    out["pre_ms"] = (res.sum().reindex(out.index).fillna(0.0)
                     - pre.sum().reindex(out.index).fillna(0.0))
    out = out.reset_index()
    tk = log.tickets
    tkk = _keys(tk)
    facts = pd.DataFrame({
        "_s": tkk["_s"], "_r": tkk["_r"], "ticket_id": tkk["ticket_id"],
        "category": tk["category"].astype(str),
        "emergency": tk["emergency"].astype("boolean").fillna(False).astype(bool),
        "mode": tk["mode"].astype(object).fillna("immediate").astype(str),
        **{c: tk[c].astype("boolean").fillna(False).astype(bool)
           for c in ("route_dispatch", "route_site_visit", "route_callback")},
    })
    return out.merge(facts, on=["_s", "_r", "ticket_id"], how="left", validate="many_to_one")


def _frame(stage: str, p: pd.DataFrame, mask: pd.Series, end: pd.Series, start: pd.Series,
           waiting: pd.Series | bool, act: str = "", prev: pd.Series | None = None
           ) -> pd.DataFrame:
    """One stage's samples; ``act`` is the activity that ends it (its resource and role are
    the sample's), ``prev`` the previous event when ``start`` is a ``started_at`` (the gap
    ``start − prev`` is the queueing before the work: ``wait_min``)."""
    field, per_cat, _ = STAGES[stage]
    ok = mask & end.notna() & start.notna()
    w = waiting if isinstance(waiting, pd.Series) else pd.Series(waiting, index=p.index)
    wait = ((start[ok] - prev[ok]) * _MIN_PER_MS).where(~w[ok].astype(bool)) \
        if prev is not None else np.nan
    return pd.DataFrame({
        "stage": stage, "field": field,
        "category": p.loc[ok, "category"] if per_cat else "",
        "includes_waiting": w[ok].astype(bool),
        "ticket_id": p.loc[ok, "ticket_id"], "attempt": p.loc[ok, "attempt"],
        "value_min": (end[ok] - start[ok]) * _MIN_PER_MS,
        "start_ms": start[ok], "activity": act,
        "resource": p.loc[ok, f"r_{act}"] if act else None,
        "role": p.loc[ok, f"o_{act}"] if act else None,
        "wait_min": wait,
    })


def _work_or_gap(p: pd.DataFrame, act: str, prev: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Start of a durative stage: its started_at, else the previous event (waiting)."""
    s = p[f"s_{act}"]
    return s.where(s.notna(), prev), s.isna()


def stage_samples(log: EventLog, *, started_known: bool | None = None) -> pd.DataFrame:
    """Duration samples (minutes) of every stage the log measures.

    Parameters
    ----------
    log
        Any event log (simulated or recorded).
    started_known
        Whether gap stages may be read as pure work; default: the log carries ``started_at``
        on some durative event (then the desk and technician are taken to hold the ticket
        between the two events, as in the simulator).

    Returns
    -------
    DataFrame
        stage, field, category, includes_waiting, ticket_id, attempt, value_min; negative
        values (clock skew in a recorded log) are dropped. Also ``start_ms`` (the stage's
        start, UTC ms), ``activity`` / ``resource`` / ``role`` of the event that ends it, and
        ``wait_min``: where the start is the event's ``started_at``, the queueing between the
        previous event and it (not part of the stage's duration), else NaN.
    """
    p = pass_table(log)
    if started_known is None:
        started_known = bool(log.events["started_at"].notna().any())
    gap_wait = not started_known
    em1 = p["emergency"] & (p["attempt"] == 1)
    a1 = p["attempt"] == 1
    r = p["t_relayed"].where(p["t_relayed"].notna(), p["t_received"])
    parts = [_frame("relay", p, a1, p["t_relayed"], p["t_received"], gap_wait, "relayed")]
    start, w = _work_or_gap(p, "recorded", r)
    parts.append(_frame("record", p, ~em1, p["t_recorded"], start, w, "recorded", r))
    parts.append(_frame("emergency_record", p, em1, p["t_recorded"], start, w, "recorded", r))
    start, w = _work_or_gap(p, "classified", p["t_recorded"])
    parts.append(_frame("classify", p, pd.Series(True, index=p.index), p["t_classified"], start,
                        w, "classified", p["t_recorded"]))
    parts.append(_frame("dispatch", p, ~em1 & p["route_dispatch"], p["t_dispatched"],
                        p["t_classified"], gap_wait, "dispatched"))
    parts.append(_frame("misroute_return", p, a1, p["t_misrouted"], p["t_dispatched"],
                        gap_wait, "misrouted"))
    for stage, act, before in (("travel", "arrived", "signed"),
                               ("diagnose", "diagnosed", "arrived"),
                               ("plan", "planned", "diagnosed"),
                               ("communicate", "communicated", "planned")):
        start, w = _work_or_gap(p, act, p[f"t_{before}"])
        parts.append(_frame(stage, p, p["route_site_visit"], p[f"t_{act}"], start, w, act,
                            p[f"t_{before}"]))
    # site work: started_at (or work_started) → completed, minus preemption, unblocked passes
    start, w = _work_or_gap(p, "work_completed", p["t_work_started"])
    clean = p["t_blocked"].isna() & (p["n_preempted"] == p["n_resumed"])
    wc = _frame("work", p, p["route_site_visit"] & clean,
                p["t_work_completed"] - p["pre_ms"], start, w, "work_completed",
                p["t_communicated"])
    parts.append(wc)
    # handled by the department without a visit: last dispatch → completed, else → the
    # customer's decision, else → closed; the decision and the close after it are stages
    remote = p["route_dispatch"] & ~p["route_site_visit"]
    done = p["t_work_completed"].notna()
    decided = p["t_accepted"].where(p["t_accepted"].notna(), p["t_rejected"])
    parts.append(_frame("work", p, remote & ~done, decided.where(decided.notna(), p["t_closed"]),
                        p["tl_dispatched"], True))
    parts.append(_frame("work", p, remote & done, p["t_work_completed"], p["tl_dispatched"],
                        True, "work_completed"))
    parts.append(_frame("acceptance", p, p["route_site_visit"] | (remote & done), decided,
                        p["t_work_completed"], gap_wait))
    parts.append(_frame("close", p, remote & p["t_accepted"].notna(), p["t_closed"],
                        p["t_accepted"], gap_wait, "closed"))
    parts.append(_frame("slip_return", p, p["route_site_visit"], p["t_slip_returned"],
                        p["t_accepted"], gap_wait, "slip_returned"))
    parts.append(_frame("close", p, p["route_callback"], p["t_closed"], p["tl_cb"], gap_wait,
                        "closed"))
    parts.append(_frame("close", p, ~p["route_dispatch"], p["t_closed"], p["t_classified"],
                        gap_wait, "closed"))
    parts.append(_callbacks(log))
    kept = [x for x in parts if len(x)]
    out = pd.concat(kept, ignore_index=True) if kept else pd.DataFrame()
    if out.empty:
        return pd.DataFrame(columns=["stage", "field", "category", "includes_waiting",
                                     "ticket_id", "attempt", "value_min", "start_ms",
                                     "activity", "resource", "role", "wait_min"])
    out = out[out["value_min"] >= 0].reset_index(drop=True)
    out["attempt"] = out["attempt"].astype(int)
    return out


def _callbacks(log: EventLog) -> pd.DataFrame:
    ev = log.events
    cb = ev[ev["activity"].astype(str).isin(["callback", "callback_failed"])
            & ev["started_at"].notna()]
    start = _ms(cb["started_at"])
    return pd.DataFrame({
        "stage": "callback", "field": STAGES["callback"][0], "category": "",
        "includes_waiting": False, "ticket_id": cb["ticket_id"].astype(str),
        "attempt": cb["attempt"].astype(int),
        "value_min": (_ms(cb["timestamp"]) - start) * _MIN_PER_MS,
        "start_ms": start, "activity": cb["activity"].astype(str),
        "resource": cb["resource"].astype(object), "role": cb["role"].astype(object),
        "wait_min": np.nan,
    })


def cycle_times(log: EventLog) -> pd.DataFrame:
    """Each closed ticket's cycle time: attempt-1 desk receipt R → its last ``closed``.

    Returns scenario key columns ``_s``, ``_r``, ticket_id, category, cycle_min.
    """
    p = pass_table(log)
    a1 = p[p["attempt"] == 1]
    r = a1["t_relayed"].where(a1["t_relayed"].notna(), a1["t_received"])
    r = pd.Series(r.to_numpy(), index=pd.MultiIndex.from_frame(a1[["_s", "_r", "ticket_id"]]))
    closed = p.groupby(["_s", "_r", "ticket_id"], sort=False)["t_closed"].max()
    cat = p.groupby(["_s", "_r", "ticket_id"], sort=False)["category"].first()
    df = pd.DataFrame({"r": r, "c": closed.reindex(r.index), "category": cat.reindex(r.index)})
    df = df[df["r"].notna() & df["c"].notna()]
    return pd.DataFrame({
        "_s": df.index.get_level_values(0), "_r": df.index.get_level_values(1),
        "ticket_id": df.index.get_level_values(2), "category": df["category"].to_numpy(),
        "cycle_min": ((df["c"] - df["r"]) * _MIN_PER_MS).to_numpy(),
    })
