"""Every clock instance of ``KPI.md`` § Control points, with its status, vectorised.

Instances (per attempt; rules quoted from the contract):

* ``record``: R → first ``recorded``; every attempt.
* ``dispatch``: first ``recorded`` → first ``dispatched``; ``route_dispatch`` and not
  emergency — except that a second pass of an emergency is dispatched like any other, so the
  clock applies to every attempt *k* ≥ 2 of a ``route_dispatch`` ticket.
* ``emergency_report``: R → first ``emergency_reported``; emergency, attempt 1.
* ``on_site``: first ``dispatched`` (emergency, attempt 1: first ``emergency_reported``) →
  first *valid* ``arrived`` after it (one not followed by a ``misrouted`` before the next
  ``dispatched`` of the attempt); ``mode`` immediate and ``route_site_visit``, every attempt.
* ``appointment_sign`` / ``appointment_call`` / ``appointment_arrival``: first ``signed`` /
  ``contacted`` / valid ``arrived`` → ``appointment_at``; appointment and ``route_site_visit``,
  attempt 1; the call clock only when ``booked_at`` is ≥ 900 s before ``appointment_at``.
* ``plan``: first ``diagnosed`` → first ``planned``; ``route_site_visit``, every attempt.
* ``escalate``: each ``blocked`` → the first ``escalated`` after it not already paired (FIFO,
  one-to-one within the attempt; ``occurrence`` = rank of the ``blocked`` in the attempt).
* ``callback``: the accepted attempt's first ``slip_returned`` (in the attempt, so a slip tied
  with ``accepted`` counts) → first ``callback`` or ``callback_failed``; ``route_callback``; a
  ticket closed without ``accepted`` gets a missing row on its closing (last) attempt.

Bounds are per row: each ticket's (scenario, category, emergency) resolves every clock's
``lower_s`` / ``upper_s`` by :meth:`~fcsim.model.control_points.ControlPoints.resolve`
(emergency override, else the category's, else scenario-wide, else the seed's; the
:class:`ControlPoints` of a scenario comes from :mod:`fcsim.kpi.bounds`), so the hospital's
5-minute on-site rule judges only its emergencies and critical patients.

Null flags count as false. A row exists once its start is known, or (appointment clocks) once
the ticket is in the population, or once its attempt has ended. Status at ``as_of``, in order:
met / breached (both moments known; bounds inclusive); **missing** (attempt ended without the
needed moment); **breached** while open (``as_of − start > upper``; appointment clocks without
start: ``as_of > appointment_at − lower``); else **censored**.

Lateness (seconds): breached with both moments: ``duration − upper`` above, ``lower − duration``
below (the vectorised :meth:`~fcsim.model.control_points.Bounds.lateness_s`, which the simulator
reads). Start known, end never came: ``(t − start) − upper`` with ``t`` the attempt's end
(missing) or ``as_of`` (open), floored at 0 — how far past the bound the clock stood.
Appointment clock without a start: ``t − (appointment_at − lower)``, floored at 0. A start-less
missing row of any other clock has no lateness; met and censored rows have none.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from fcsim.kpi.prepare import ACT, NAT, NONE, Prepared, first_after, ms_array, str_column
from fcsim.model.activities import Activity
from fcsim.model.control_points import CLOCK_NAMES, ControlPoints

__all__ = ["CLOCK_COLUMNS", "STATUSES", "clock_arrays", "clock_rows", "ticket_flags"]

CLOCK_COLUMNS = [
    "scenario", "replication", "ticket_id", "attempt", "occurrence", "control_point",
    "status", "start", "end", "duration_s", "lower_s", "upper_s", "lateness_s",
]
STATUSES = ("met", "breached", "missing", "censored")
_CLOCK = {name: i for i, name in enumerate(CLOCK_NAMES)}
_APPT = np.array([n.startswith("appointment_") for n in CLOCK_NAMES])
_ALPHA_RANK = np.argsort(np.argsort(np.array(CLOCK_NAMES)))


def ticket_flags(tickets: pd.DataFrame, col: str) -> np.ndarray:
    """A nullable boolean ticket column as bool (null = false)."""
    return tickets[col].fillna(False).to_numpy(dtype=bool)


def _valid_arrived(p: Prepared) -> np.ndarray:
    """``arrived`` events not followed by a ``misrouted`` before the next ``dispatched``."""
    pos = np.arange(p.tid.size)
    arr = p.act == ACT[Activity.ARRIVED]
    q = np.flatnonzero(arr)
    nxt_mis = first_after(p.act == ACT[Activity.MISROUTED], p.seg, p.seg[q], pos[q])
    nxt_dis = first_after(p.act == ACT[Activity.DISPATCHED], p.seg, p.seg[q], pos[q])
    bad = (nxt_mis >= 0) & ((nxt_dis < 0) | (nxt_mis < nxt_dis))
    out = np.zeros(p.tid.size, dtype=bool)
    out[q[~bad]] = True
    return out


class _Rows:
    """Accumulates clock instances as arrays before the status computation."""

    def __init__(self) -> None:
        self.parts: list[dict[str, np.ndarray]] = []

    def add(self, clock: str, a: np.ndarray, start: np.ndarray, end: np.ndarray,
            occurrence: np.ndarray | None = None) -> None:
        n = a.size
        self.parts.append({
            "clock": np.full(n, _CLOCK[clock], dtype=np.int64), "a": a,
            "start": start, "end": end,
            "occ": np.ones(n, dtype=np.int64) if occurrence is None else occurrence,
        })

    def concat(self) -> dict[str, np.ndarray]:
        return {k: np.concatenate([p[k] for p in self.parts]) for k in self.parts[0]}


def _instances(p: Prepared) -> dict[str, np.ndarray]:
    """All applicable clock instances: attempt, start/end moments (ms; NAT unknown)."""
    tk = p.tickets
    n_a = p.a_tid.size
    a = np.arange(n_a)
    t = p.a_tid
    k1 = p.a_att == 1
    emerg = ticket_flags(tk, "emergency")[t]
    r_disp = ticket_flags(tk, "route_dispatch")[t]
    r_site = ticket_flags(tk, "route_site_visit")[t]
    r_call = ticket_flags(tk, "route_callback")[t]
    appt_mode = (tk["mode"].astype(object) == "appointment").to_numpy(dtype=bool)[t]
    a_seg = np.where(p.a_first >= 0, a, NONE)
    seg_start = p.a_first - 1

    def first(act: Activity | np.ndarray, after: np.ndarray | None = None) -> np.ndarray:
        """First event of ``act`` in each attempt (after position ``after`` when given)."""
        mask = p.act == ACT[act] if isinstance(act, Activity) else act
        if after is None:
            return first_after(mask, p.seg, a_seg, seg_start)
        return first_after(mask, p.seg, np.where(after >= 0, a_seg, NONE),
                           np.maximum(after, seg_start))

    rows = _Rows()
    m = p.moment
    R = p.a_R
    recorded = first(Activity.RECORDED)
    rows.add("record", a, m(R), m(first(Activity.RECORDED, R)))

    disp_app = r_disp & (~emerg | ~k1)
    dispatched_after_rec = first(Activity.DISPATCHED, recorded)
    rows.add("dispatch", a[disp_app], m(recorded)[disp_app], m(dispatched_after_rec)[disp_app])

    em_app = emerg & k1
    em_rep = first(Activity.EMERGENCY_REPORTED, R)
    rows.add("emergency_report", a[em_app], m(R)[em_app], m(em_rep)[em_app])

    valid_arr = _valid_arrived(p)
    on_start = np.where(em_app, first(Activity.EMERGENCY_REPORTED), first(Activity.DISPATCHED))
    on_app = ~appt_mode & r_site
    on_end = first(valid_arr, on_start)
    rows.add("on_site", a[on_app], m(on_start)[on_app], m(on_end)[on_app])

    appt_at = p.tickets["appointment_at"]
    appt_ms = ms_array(appt_at)[t]
    booked_ms = ms_array(p.tickets["booked_at"])[t]
    ap_app = appt_mode & r_site & k1 & (appt_ms != NAT)
    call_app = ap_app & (booked_ms != NAT) & (appt_ms - booked_ms >= 900_000)
    rows.add("appointment_sign", a[ap_app], m(first(Activity.SIGNED))[ap_app], appt_ms[ap_app])
    rows.add("appointment_call", a[call_app], m(first(Activity.CONTACTED))[call_app],
             appt_ms[call_app])
    rows.add("appointment_arrival", a[ap_app], m(first(valid_arr))[ap_app], appt_ms[ap_app])

    diagnosed = first(Activity.DIAGNOSED)
    rows.add("plan", a[r_site], m(diagnosed)[r_site], m(first(Activity.PLANNED, diagnosed))[r_site])

    _escalations(p, rows)

    accepted = first(Activity.ACCEPTED)
    closed = first(Activity.CLOSED)
    tk_accepted = np.zeros(len(tk), dtype=bool)
    tk_accepted[p.a_tid[accepted >= 0]] = True
    cb_app = r_call & ((accepted >= 0) | ((closed >= 0) & ~tk_accepted[t]))
    slip = first(Activity.SLIP_RETURNED)  # the attempt's first slip (ties with accepted allowed)
    reached = (p.act == ACT[Activity.CALLBACK]) | (p.act == ACT[Activity.CALLBACK_FAILED])
    rows.add("callback", a[cb_app], m(slip)[cb_app], m(first(reached, slip))[cb_app])
    out = rows.concat()
    out["appt_ms"] = appt_ms[out["a"]]
    return out


def _escalations(p: Prepared, rows: _Rows) -> None:
    """FIFO pairing of ``blocked`` with ``escalated`` within each attempt."""
    blk = p.act == ACT[Activity.BLOCKED]
    esc = p.act == ACT[Activity.ESCALATED]
    sub = np.flatnonzero(blk | esc)
    if sub.size == 0:
        return
    seg = p.seg[sub]
    step = np.where(blk[sub], 1, -1)
    g = pd.Series(step).groupby(seg)
    level = g.cumsum().to_numpy()
    floor = np.minimum(pd.Series(level).groupby(seg).cummin().to_numpy(), 0)
    waiting = level - floor  # reflected walk: blocked still waiting after each event
    before = np.r_[0, waiting[:-1]]
    before[np.r_[True, seg[1:] != seg[:-1]]] = 0
    paired = esc[sub] & (before > 0)
    is_b = blk[sub]
    rank_b = pd.Series(is_b.astype(np.int64)).groupby(seg).cumsum().to_numpy()
    rank_e = pd.Series(paired.astype(np.int64)).groupby(seg).cumsum().to_numpy()
    b_pos, b_seg, b_rank = sub[is_b], seg[is_b], rank_b[is_b]
    e_pos, e_seg, e_rank = sub[paired], seg[paired], rank_e[paired]
    b_key = b_seg * (sub.size + 1) + b_rank
    e_key = e_seg * (sub.size + 1) + e_rank
    j = np.searchsorted(e_key, b_key)
    hit = (j < e_key.size) & (e_key[np.minimum(j, max(e_key.size - 1, 0))] == b_key) \
        if e_key.size else np.zeros(b_key.size, dtype=bool)
    end = np.full(b_pos.size, NAT, dtype=np.int64)
    if e_key.size:
        end[hit] = p.ts[e_pos[j[hit]]]
    rows.add("escalate", b_seg.astype(np.int64), p.ts[b_pos], end, b_rank.astype(np.int64))


def _codes(col: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Integer codes of a ticket column (-1 = null) and the names they stand for."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        return (col.cat.codes.to_numpy().astype(np.int64),
                [str(c) for c in col.cat.categories])
    c, u = pd.factorize(col)
    return c.astype(np.int64), [str(x) for x in u]


def _bounds_arrays(p: Prepared, bounds: Mapping[str | None, ControlPoints]
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per ticket: its bounds group; per (group, clock): lower, upper (NaN = no bound).

    A group is a distinct (scenario, category, emergency) of the tickets table; each is
    resolved once with :meth:`ControlPoints.resolve`, so the loop runs over the few groups
    present, never over tickets.
    """
    tk = p.tickets
    sc_codes, sc_names = _codes(tk["scenario"])
    cat_codes, cat_names = _codes(tk["category"])
    emerg = ticket_flags(tk, "emergency").astype(np.int64)
    n_cat = len(cat_names) + 1
    key = ((sc_codes + 1) * n_cat + (cat_codes + 1)) * 2 + emerg
    uniq, group = np.unique(key, return_inverse=True)
    lo = np.full((uniq.size, len(CLOCK_NAMES)), np.nan)
    hi = np.full((uniq.size, len(CLOCK_NAMES)), np.nan)
    for g, k in enumerate(uniq.tolist()):
        em, rest = bool(k % 2), k // 2
        sc_i, cat_i = rest // n_cat - 1, rest % n_cat - 1
        cp = bounds.get(None if sc_i < 0 else sc_names[sc_i])
        if cp is None:
            continue
        category = None if cat_i < 0 else cat_names[cat_i]
        for j, clock in enumerate(CLOCK_NAMES):
            b = cp.resolve(clock, category, em)
            lo[g, j] = np.nan if b.lower_s is None else b.lower_s
            hi[g, j] = np.nan if b.upper_s is None else b.upper_s
    return group.reshape(-1).astype(np.int64), lo, hi


def clock_arrays(p: Prepared, bounds: Mapping[str | None, ControlPoints]
                 ) -> dict[str, np.ndarray]:
    """Every clock instance with its status at ``p.as_of_ms``, as arrays (unsorted).

    Keys: ``a`` (attempt index into ``p.a_*``), ``clock`` (index in ``CLOCK_NAMES``),
    ``occ``, ``start`` / ``end`` / ``appt_ms`` (ms, :data:`NAT` unknown), ``status`` (index in
    :data:`STATUSES`), ``duration_s``, ``lower_s``, ``upper_s``, ``lateness_s`` (NaN empty).
    :func:`clock_rows` is its table; callers that judge many small logs at once (the
    nowcast's replications) read the arrays.
    """
    r = _instances(p)
    a, clock = r["a"], r["clock"]
    start, end, appt = r["start"], r["end"], r["appt_ms"]
    is_appt = _APPT[clock]
    ended = p.a_end[a] >= 0
    end_t = np.where(ended, p.moment(p.a_end)[a], NAT)
    has_s = start != NAT
    has_e = end != NAT
    keep = has_s | ended | is_appt
    occ = r["occ"]
    if not keep.all():
        a, clock, start, end, appt, is_appt, ended, end_t, has_s, has_e, occ = (
            x[keep] for x in (a, clock, start, end, appt, is_appt, ended, end_t, has_s, has_e,
                              occ))
    t = p.a_tid[a]
    grp, lo_tab, hi_tab = _bounds_arrays(p, bounds)
    lo = lo_tab[grp[t], clock]
    hi = hi_tab[grp[t], clock]

    both = has_s & has_e
    dur = np.where(both, (end - start) / 1000.0, np.nan)
    with np.errstate(invalid="ignore"):
        met = both & (np.isnan(lo) | (dur >= lo)) & (np.isnan(hi) | (dur <= hi))
        late_both = np.where(dur > hi, dur - hi, np.where(dur < lo, lo - dur, np.nan))
    missing = ~both & ended
    # the instant at which an unfinished clock is judged: attempt end, else as_of
    when = np.where(ended, end_t, p.as_of_ms)
    stood = (when - start) / 1000.0 - hi                      # start known, no end
    appt_deadline = appt - np.where(np.isnan(lo), 0, lo * 1000).astype(np.int64)
    appt_late = (when - appt_deadline) / 1000.0                # appointment clock, no start
    open_ = ~both & ~ended
    with np.errstate(invalid="ignore"):
        open_breach = open_ & np.where(
            is_appt, ~has_s & ~np.isnan(lo) & (p.as_of_ms > appt_deadline),
            has_s & (stood > 0))
    status = np.full(a.size, 3, dtype=np.int8)  # censored
    status[open_breach] = 1
    status[missing] = 2
    status[both & ~met] = 1
    status[met] = 0
    late_unfinished = np.where(
        is_appt, np.where(np.isnan(lo), np.nan, np.maximum(appt_late, 0.0)),
        np.where(has_s, np.maximum(stood, 0.0), np.nan))
    lateness = np.where(both & ~met, late_both,
                        np.where(missing | open_breach, late_unfinished, np.nan))
    return {"a": a, "clock": clock, "occ": occ, "start": start, "end": end, "appt_ms": appt,
            "status": status, "duration_s": dur, "lower_s": lo, "upper_s": hi,
            "lateness_s": lateness}


def clock_rows(p: Prepared, bounds: Mapping[str | None, ControlPoints]) -> pd.DataFrame:
    """The ``control_points`` table (columns :data:`CLOCK_COLUMNS`, contract order)."""
    r = clock_arrays(p, bounds)
    a, clock, occ = r["a"], r["clock"], r["occ"]
    t = p.a_tid[a]
    tk = p.tickets
    sc_order = _codes(tk["scenario"])[0] + 1
    order = np.lexsort((occ, _ALPHA_RANK[clock], p.a_att[a], t, _rep_key(tk)[t], sc_order[t]))
    s = lambda x: x[order]  # noqa: E731
    t_o = s(t)
    return pd.DataFrame({
        "scenario": tk["scenario"].take(t_o).reset_index(drop=True),
        "replication": tk["replication"].take(t_o).reset_index(drop=True).astype("Int32"),
        "ticket_id": pd.Categorical.from_codes(t_o, categories=p.categories),
        "attempt": pd.array(s(p.a_att[a]), dtype="Int64"),
        "occurrence": pd.array(s(occ), dtype="Int64"),
        "control_point": str_column(np.array(CLOCK_NAMES, dtype=object)[s(clock)]),
        "status": str_column(np.array(STATUSES, dtype=object)[s(r["status"])]),
        "start": _ts(s(r["start"])),
        "end": _ts(s(r["end"])),
        "duration_s": pd.array(s(r["duration_s"]), dtype="Float64"),
        "lower_s": pd.array(s(r["lower_s"]), dtype="Float64"),
        "upper_s": pd.array(s(r["upper_s"]), dtype="Float64"),
        "lateness_s": pd.array(s(r["lateness_s"]), dtype="Float64"),
    })


def _rep_key(tk: pd.DataFrame) -> np.ndarray:
    rep = tk["replication"]
    return rep.fillna(-1).to_numpy(dtype=np.int64)


def _ts(ms: np.ndarray) -> pd.Series:
    return pd.Series(ms.view("datetime64[ms]")).dt.tz_localize("UTC")
