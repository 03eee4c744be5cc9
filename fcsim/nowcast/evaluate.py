"""The clocks of R forward replications at the horizon, judged at once by the KPI engine's rules.

:func:`horizon_clocks` puts every replication's tickets side by side — the snapshot's open
tickets (their known events, then the forward run's) and the new arrivals — and runs the KPI
engine's clock instances and statuses (:func:`fcsim.kpi.prepare.prepare_arrays`,
:func:`fcsim.kpi.clocks.clock_arrays`) **once, vectorised over the replications**, with
``as_of`` = the horizon: a replication still running at the horizon is judged as the contract
judges an open clock then. Per instance and replication it gives the status at the horizon,
the **stop time** — the clock's end moment; for the appointment clocks, whose end is the fixed
appointment time, the moment of the event that decides them (contacted, signed, arrived) —
and the **breach moment** (when its status turned breached or missing).

:func:`instance_matrix` turns them into one row per clock instance of the open tickets and one
column per replication (breached by the horizon; stop time, +inf when after the horizon or
never started), the form probabilities, quantiles and paired differences are read from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from fcsim.eventlog.times import NAT
from fcsim.kpi.clocks import clock_arrays
from fcsim.kpi.prepare import prepare_arrays
from fcsim.model.control_points import CLOCK_NAMES
from fcsim.sim.forward import ForwardResult

__all__ = ["HorizonClocks", "InstanceMatrix", "breach_moment", "horizon_clocks",
           "instance_matrix", "sorted_keys"]

INF = np.inf
APPT = np.array([n.startswith("appointment_") for n in CLOCK_NAMES])
_MODES = np.array(["immediate", "appointment"], dtype=object)


@dataclass(frozen=True)
class HorizonClocks:
    """Clock instances of every forward ticket at the horizon (one entry per instance and
    replication): ``rep``, ``j`` (snapshot ticket index, -1 for a new arrival), ``att``,
    ``clock``, ``occ``, ``status`` (``STATUSES`` index), ``start``/``end``/``appt`` (ms,
    ``NAT`` unknown), ``lower_s``/``upper_s``, ``stop`` (ms as float, +inf none by the
    horizon), ``breach_at`` (ms as float, +inf none), plus the horizon ``end_ms``."""

    rep: np.ndarray
    j: np.ndarray
    att: np.ndarray
    clock: np.ndarray
    occ: np.ndarray
    status: np.ndarray
    start: np.ndarray
    end: np.ndarray
    appt: np.ndarray
    lower_s: np.ndarray
    upper_s: np.ndarray
    stop: np.ndarray
    breach_at: np.ndarray
    end_ms: int

    @property
    def breached(self) -> np.ndarray:
        """Breached or missing at the horizon."""
        return (self.status == 1) | (self.status == 2)


def _ms_float(x: np.ndarray) -> np.ndarray:
    return np.where(x == NAT, INF, x.astype(float))


def breach_moment(status: np.ndarray, start: np.ndarray, end: np.ndarray, appt: np.ndarray,
                  lower_s: np.ndarray, upper_s: np.ndarray, is_appt: np.ndarray,
                  attempt_end: np.ndarray) -> np.ndarray:
    """When each breached or missing instance became so (ms as float; +inf otherwise).

    A clock with a start breaches when it passes its upper bound (start + upper) — or, ended
    under its lower bound, at its end; an appointment clock, at its deciding event when that
    came too early, else at ``appointment_at`` − lower; a missing instance, at the end of its
    attempt.
    """
    s, e, a = _ms_float(start), _ms_float(end), _ms_float(appt)
    up = np.nan_to_num(upper_s, nan=INF) * 1000.0
    lo = np.nan_to_num(lower_s, nan=0.0) * 1000.0
    with np.errstate(invalid="ignore"):
        ordinary = np.where(np.isfinite(e) & ((e - s) < lo), e, s + up)
        early = np.isfinite(s) & ((a - s) > up)
        appointment = np.where(early, s, a - lo)
    out = np.where(is_appt, appointment, ordinary)
    out = np.where(status == 2, _ms_float(attempt_end), out)
    return np.where((status == 1) | (status == 2), out, INF)


def _new_frame(res: ForwardResult) -> pd.DataFrame:
    """The ticket rows of every replication's new arrivals (KPI columns)."""
    sc = res.plan.scenario
    start = pd.Timestamp(res.plan.snapshot.start).tz_convert("UTC")
    names = np.array(list(sc.categories), dtype=object)
    routes = np.array([(c.route_dispatch, c.route_site_visit, c.route_callback)
                       for c in sc.categories.values()], dtype=bool).reshape(-1, 3)
    cat = np.concatenate([a["category"] for a in res.arrivals]).astype(np.int64) \
        if res.arrivals else np.zeros(0, np.int64)
    time = np.concatenate([a["time"] for a in res.arrivals]) if res.arrivals else np.zeros(0)
    appt = np.concatenate([a["appointment_at"] for a in res.arrivals]) if res.arrivals \
        else np.zeros(0)
    em = np.concatenate([a["emergency"] for a in res.arrivals]).astype(bool) \
        if res.arrivals else np.zeros(0, bool)
    is_appt = ~np.isnan(appt)

    def ts(minutes: np.ndarray) -> pd.Series:
        return pd.Series(start + pd.to_timedelta(minutes, unit="min")).dt.round("ms")

    return pd.DataFrame({
        "ticket_id": np.arange(len(cat)).astype(str),
        "scenario": pd.Series([None] * len(cat), dtype=object),
        "replication": pd.array([None] * len(cat), dtype="Int32"),
        "category": names[cat] if len(cat) else np.zeros(0, dtype=object),
        "emergency": pd.array(em & ~is_appt, dtype="boolean"),
        "mode": _MODES[is_appt.astype(np.int64)],
        "booked_at": ts(np.where(is_appt, time, np.nan)),
        "appointment_at": ts(appt),
        "route_dispatch": pd.array(routes[cat, 0] if len(cat) else [], dtype="boolean"),
        "route_site_visit": pd.array(routes[cat, 1] if len(cat) else [], dtype="boolean"),
        "route_callback": pd.array(routes[cat, 2] if len(cat) else [], dtype="boolean"),
    })


def horizon_clocks(res: ForwardResult) -> HorizonClocks:
    """Every forward ticket's clock instances at the horizon, all replications at once."""
    plan = res.plan
    snap = plan.snapshot
    m, R = len(snap), res.replications
    start_ms = snap.start_ms
    end_ms = start_ms + round(plan.end * 60000.0)
    n_new = np.array([len(a["time"]) for a in res.arrivals], dtype=np.int64)
    new_base = R * m + np.concatenate([[0], np.cumsum(n_new)[:-1]]).astype(np.int64)
    snap_frame = snap.frame.assign(scenario=None)
    frame = pd.concat([snap_frame.iloc[np.tile(np.arange(m), R)], _new_frame(res)],
                      ignore_index=True)
    past = snap.events
    k_past = len(past["tid"])
    rep_past = np.repeat(np.arange(R), k_past)
    ev = res.events
    n = ev["n"].astype(np.int64)
    rep = ev["rep"].astype(np.int64)
    tid_fwd = np.where(n < m, rep * m + n, new_base[rep] + (n - m)) if len(n) else n
    tid = np.concatenate([rep_past * m + np.tile(past["tid"], R), tid_fwd])
    att = np.concatenate([np.tile(past["att"], R), ev["att"]])
    ts = np.concatenate([np.tile(past["ts"], R),
                         start_ms + np.rint(ev["ts"] * 60000.0).astype(np.int64)])
    act = np.concatenate([np.tile(past["act"], R), ev["act"]])
    base_seq = int(past["seq"].max()) + 1 if k_past else 0
    seq = np.concatenate([np.tile(past["seq"], R), base_seq + np.arange(len(n))])
    p = prepare_arrays(frame, pd.RangeIndex(len(frame)), tid=tid, att=att, ts=ts, act=act,
                       seq=seq, as_of_ms=end_ms)
    c = clock_arrays(p, {None: snap.bounds})
    t = p.a_tid[c["a"]]
    is_snap = t < R * m
    new_rep = np.searchsorted(new_base, t, side="right") - 1 if len(new_base) else t * 0
    rep_i = np.where(is_snap, t // max(m, 1), np.maximum(new_rep, 0))
    j = np.where(is_snap, t % max(m, 1), -1)
    is_appt = APPT[c["clock"]]
    stop = np.where(is_appt, _ms_float(c["start"]), _ms_float(c["end"]))
    stop = np.where(stop <= end_ms, stop, INF)
    attempt_end = p.moment(p.a_end)[c["a"]]
    breach_at = breach_moment(c["status"], c["start"], c["end"], c["appt_ms"], c["lower_s"],
                              c["upper_s"], is_appt, attempt_end)
    return HorizonClocks(rep=rep_i, j=j, att=p.a_att[c["a"]], clock=c["clock"], occ=c["occ"],
                         status=c["status"], start=c["start"], end=c["end"],
                         appt=c["appt_ms"], lower_s=c["lower_s"], upper_s=c["upper_s"],
                         stop=stop, breach_at=breach_at, end_ms=end_ms)


@dataclass(frozen=True)
class InstanceMatrix:
    """One row per clock instance of the open tickets (``keys``: j, attempt, clock,
    occurrence), one column per replication: ``breached`` by the horizon, ``stop`` time (ms
    as float; +inf after the horizon or never started)."""

    keys: np.ndarray  # (K, 4) int64
    breached: np.ndarray  # (K, R) bool
    stop: np.ndarray  # (K, R) float


def instance_matrix(hc: HorizonClocks, replications: int,
                    keys: np.ndarray | None = None) -> InstanceMatrix:
    """The open tickets' instances of ``hc`` by replication; ``keys`` fixes the rows (to
    align variants of a forward run; instances a variant lacks are not breached, no stop)."""
    sel = hc.j >= 0
    k4 = np.stack([hc.j[sel], hc.att[sel], hc.clock[sel], hc.occ[sel]], axis=1).astype(
        np.int64)
    if keys is None:
        keys = sorted_keys(k4)
    K = len(keys)
    breached = np.zeros((K, replications), dtype=bool)
    stop = np.full((K, replications), INF)
    if K and len(k4):
        code = _code(keys)
        idx = np.searchsorted(code, _code(k4))
        idx = np.minimum(idx, K - 1)
        ok = code[idx] == _code(k4)
        r = hc.rep[sel][ok]
        breached[idx[ok], r] = hc.breached[sel][ok]
        stop[idx[ok], r] = hc.stop[sel][ok]
    return InstanceMatrix(keys=keys, breached=breached, stop=stop)


def sorted_keys(k4: np.ndarray) -> np.ndarray:
    """The distinct (j, attempt, clock, occurrence) rows of ``k4``, in code order."""
    if len(k4) == 0:
        return np.zeros((0, 4), np.int64)
    keys = np.unique(k4.astype(np.int64), axis=0)
    return keys[np.argsort(_code(keys), kind="stable")]


def _code(k: np.ndarray) -> np.ndarray:
    """A sortable integer code of (j, attempt, clock, occurrence) rows (lexicographic)."""
    return ((k[:, 0] * 64 + k[:, 1]) * 16 + k[:, 2]) * 4096 + k[:, 3]

