"""The live forecast: which clocks of the open tickets will breach within the horizon.

:func:`forecast` takes a snapshot of the open tickets (:func:`fcsim.sim.snapshot.snapshot`),
runs R forward replications to the horizon (:mod:`fcsim.sim.forward`), judges them at the
horizon with the KPI engine's rules (:mod:`fcsim.nowcast.evaluate`) and reports:

* ``clocks`` — for each open ticket and each running or upcoming clock: the probability of a
  breach (breached or missing by the horizon) with its Wilson interval, the share of
  replications in which it stopped by the horizon, and the 50/90/95 % quantiles of its stop
  time (NaT: after the horizon);
* ``hours`` — for each hour of the horizon: the expected number of breaches (of every ticket,
  the new arrivals' too) and the mean number waiting for each staff group, each with a 95 %
  interval of the mean and the 5–95 % range across replications;
* ``what_if`` / ``what_if_summary`` — for each change (one more member of a staff group from
  now), the paired difference, on common random numbers, in each clock's breach probability
  and in the expected breaches, with 95 % t-intervals.

:func:`breach_probabilities` is the small form the web board calls.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from fcsim.eventlog import EventLog
from fcsim.eventlog.times import NAT
from fcsim.kpi.stats import wilson_interval
from fcsim.model.control_points import CLOCK_NAMES, ControlPoints
from fcsim.nowcast.evaluate import (
    APPT,
    HorizonClocks,
    InstanceMatrix,
    horizon_clocks,
    instance_matrix,
    sorted_keys,
)
from fcsim.scenarios.config import Scenario
from fcsim.sim.forward import ForwardInputs, draw_inputs, plan_forward, run_forward
from fcsim.sim.snapshot import LogIndex, Snapshot, snapshot

__all__ = ["CLOCK_COLUMNS", "Forecast", "breach_probabilities", "forecast", "forecast_snapshot"]

#: Columns of :attr:`Forecast.clocks`.
CLOCK_COLUMNS = ["ticket_id", "attempt", "occurrence", "control_point", "stage", "status_now",
                 "start", "deadline", "p_breach", "p_low", "p_high", "p_stopped",
                 "stop_q50", "stop_q90", "stop_q95"]
QUANTILES = (0.5, 0.9, 0.95)


@dataclass(frozen=True)
class Forecast:
    """A forecast from one snapshot (see the module docstring for the tables)."""

    snapshot: Snapshot
    horizon_min: float
    replications: int
    seed: int
    clocks: pd.DataFrame
    hours: pd.DataFrame
    what_if: pd.DataFrame
    what_if_summary: pd.DataFrame
    matrix: InstanceMatrix


def _ts(ms: np.ndarray) -> pd.Series:
    """ms as float (+inf / NaN: none) -> UTC timestamps (NaT)."""
    v = np.asarray(ms, dtype=float)
    ok = np.isfinite(v)
    out = pd.Series(pd.NaT, index=range(len(v)), dtype="datetime64[ms, UTC]")
    if ok.any():
        out[ok] = pd.to_datetime(v[ok].astype(np.int64), unit="ms", utc=True)
    return out


def stop_quantiles(stop: np.ndarray, qs: Sequence[float] = QUANTILES) -> np.ndarray:
    """Empirical quantiles (inverted CDF: no interpolation) of each row's stop times; +inf
    (after the horizon) sorts last. Shape (K, len(qs))."""
    if stop.size == 0:
        return np.zeros((stop.shape[0], len(qs)))
    s = np.sort(stop, axis=1)
    R = s.shape[1]
    idx = [min(max(int(np.ceil(q * R)) - 1, 0), R - 1) for q in qs]
    return s[:, idx]


def paired(diff: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray,
                                                            np.ndarray]:
    """Row means of paired differences with two-sided Student t intervals (R ≥ 2)."""
    d = np.asarray(diff, dtype=float)
    R = d.shape[-1]
    mean = d.mean(axis=-1)
    if R < 2:
        return mean, np.full_like(mean, np.nan), np.full_like(mean, np.nan)
    half = stats.t.ppf(0.5 + level / 2, R - 1) * d.std(axis=-1, ddof=1) / np.sqrt(R)
    return mean, mean - half, mean + half


def _status_now(snap: Snapshot) -> dict[tuple[int, int, int, int], tuple[int, int, int]]:
    """(j, attempt, clock, occurrence) -> (status, start ms, deadline ms) at ``as_of``."""
    c = snap.clocks
    out: dict[tuple[int, int, int, int], tuple[int, int, int]] = {}
    if not c:
        return out
    up = np.nan_to_num(c["upper_s"], nan=np.inf) * 1000.0
    lo = np.nan_to_num(c["lower_s"], nan=0.0) * 1000.0
    is_appt = APPT[c["clock"]]
    with np.errstate(invalid="ignore"):
        dl = np.where(is_appt & (c["start"] == NAT), c["appt_ms"] - lo,
                      np.where(c["start"] != NAT, c["start"] + up, np.nan))
    for j, a, k, o, s, st, d in zip(c["tid"].tolist(), c["att"].tolist(), c["clock"].tolist(),
                                    c["occ"].tolist(), c["status"].tolist(),
                                    c["start"].tolist(), dl.tolist(), strict=True):
        out[(j, a, k, o)] = (s, st, d)
    return out


def clock_table(snap: Snapshot, mat: InstanceMatrix, end_ms: float = np.inf) -> pd.DataFrame:
    """:data:`CLOCK_COLUMNS` for the running or upcoming instances of ``mat``: started and
    not decided at ``as_of`` (``running``; ``breached`` once past its bound), or not started
    (``upcoming``) but starting, stopping, breaching or due by the horizon ``end_ms`` in some
    replication."""
    now = _status_now(snap)
    keep, status, start, deadline = [], [], [], []
    for i, key in enumerate(map(tuple, mat.keys.tolist())):
        s = now.get(key)
        if s is None:
            keep.append(i)
            status.append("upcoming")
            start.append(np.inf)
            deadline.append(np.inf)
            continue
        st, st_ms, dl = s
        if st in (0, 2):  # met or missing: decided before the snapshot
            continue
        if st == 1 and _decided(snap, key):
            continue
        keep.append(i)
        status.append("breached" if st == 1 else "running" if st_ms != NAT else "upcoming")
        start.append(np.inf if st_ms == NAT else float(st_ms))
        deadline.append(dl if dl == dl else np.inf)
    ix = np.asarray(keep, dtype=np.int64)
    st_arr, dl_arr = np.asarray(status, dtype=object), np.asarray(deadline, dtype=float)
    live = ((st_arr != "upcoming") | mat.breached[ix].any(axis=1)
            | np.isfinite(mat.stop[ix]).any(axis=1) | (dl_arr <= end_ms)) if len(ix) \
        else np.zeros(0, bool)
    ix, status, start, deadline = (ix[live], list(st_arr[live]),
                                   list(np.asarray(start, float)[live]), list(dl_arr[live]))
    keys = mat.keys[ix]
    R = mat.breached.shape[1]
    k = mat.breached[ix].sum(axis=1)
    low, high = wilson_interval(k, np.full(len(ix), R))
    q = stop_quantiles(mat.stop[ix])
    tickets = snap.tickets
    return pd.DataFrame({
        "ticket_id": [tickets[j].ticket_id for j in keys[:, 0].tolist()],
        "attempt": keys[:, 1],
        "occurrence": keys[:, 3],
        "control_point": np.array(CLOCK_NAMES, dtype=object)[keys[:, 2]] if len(ix)
        else np.zeros(0, dtype=object),
        "stage": [tickets[j].state.stage.value for j in keys[:, 0].tolist()],
        "status_now": status,
        "start": _ts(np.asarray(start)),
        "deadline": _ts(np.asarray(deadline)),
        "p_breach": k / R,
        "p_low": low,
        "p_high": high,
        "p_stopped": np.isfinite(mat.stop[ix]).mean(axis=1) if len(ix) else np.zeros(0),
        "stop_q50": _ts(q[:, 0]),
        "stop_q90": _ts(q[:, 1]),
        "stop_q95": _ts(q[:, 2]),
    }, columns=CLOCK_COLUMNS)


def _decided(snap: Snapshot, key: tuple[int, ...]) -> bool:
    """A breached instance with both moments known at ``as_of`` (nothing left to forecast;
    an appointment clock's end is its appointment time, known from the start)."""
    c = snap.clocks
    sel = ((c["tid"] == key[0]) & (c["att"] == key[1]) & (c["clock"] == key[2])
           & (c["occ"] == key[3]))
    if not sel.any():
        return False
    i = int(np.flatnonzero(sel)[0])
    return bool(c["end"][i] != NAT) and bool(c["start"][i] != NAT)


def _hours(hc: HorizonClocks, res_queues: np.ndarray, times: np.ndarray, snap: Snapshot,
           horizon_min: float, groups: Sequence[str], R: int) -> pd.DataFrame:
    """Expected breaches and queue lengths per hour of the horizon."""
    as_of_ms = float(snap.start_ms) + snap.offset_min * 60000.0
    n_h = int(np.ceil(horizon_min / 60.0 - 1e-9))
    rows: list[dict[str, Any]] = []
    edges = as_of_ms + 3_600_000.0 * np.arange(n_h + 1)
    edges[-1] = min(edges[-1], as_of_ms + horizon_min * 60000.0)
    b = hc.breach_at
    counts = np.zeros((n_h, R))
    for h in range(n_h):
        sel = (b > edges[h]) & (b <= edges[h + 1])
        counts[h] = np.bincount(hc.rep[sel], minlength=R)[:R]
    q_min = snap.offset_min + 60.0 * np.arange(n_h + 1)
    for h in range(n_h):
        measures = [("breaches", counts[h])]
        in_h = (times >= q_min[h]) & (times < q_min[h + 1] + (1e-9 if h == n_h - 1 else 0))
        for g_i, g in enumerate(groups):
            v = res_queues[:, in_h, g_i].mean(axis=1) if in_h.any() else np.zeros(R)
            measures.append((f"waiting:{g}", v))
        for name, v in measures:
            mean, lo, hi = paired(v[None, :])
            rows.append({"hour_start": pd.Timestamp(edges[h], unit="ms", tz="UTC"),
                         "hour_end": pd.Timestamp(edges[h + 1], unit="ms", tz="UTC"),
                         "measure": name, "mean": float(mean[0]), "ci_low": float(lo[0]),
                         "ci_high": float(hi[0]), "p05": float(np.quantile(v, 0.05)),
                         "p95": float(np.quantile(v, 0.95))})
    return pd.DataFrame(rows, columns=["hour_start", "hour_end", "measure", "mean", "ci_low",
                                       "ci_high", "p05", "p95"])


def _breaches_in_horizon(hc: HorizonClocks, snap: Snapshot, R: int,
                         open_only: bool) -> np.ndarray:
    as_of_ms = float(snap.start_ms) + snap.offset_min * 60000.0
    sel = (hc.breach_at > as_of_ms) & np.isfinite(hc.breach_at)
    if open_only:
        sel &= hc.j >= 0
    return np.bincount(hc.rep[sel], minlength=R)[:R].astype(float)


def forecast_snapshot(scenario: Scenario, snap: Snapshot, *, horizon_min: float = 120.0,
                      replications: int = 200, seed: int = 0,
                      what_if: Sequence[str] = (), inputs: ForwardInputs | None = None
                      ) -> Forecast:
    """:func:`forecast` from a snapshot already taken."""
    plan = plan_forward(scenario, snap, horizon_min)
    inp = inputs if inputs is not None else draw_inputs(plan, replications, seed)
    R = inp.replications
    res = run_forward(plan, inp)
    hc = horizon_clocks(res)
    variants: list[tuple[str, HorizonClocks]] = []
    for g in what_if:
        res_g = run_forward(plan_forward(scenario, snap, horizon_min, extra={g: 1}), inp)
        variants.append((g, horizon_clocks(res_g)))
    base = instance_matrix(hc, R)
    keys = base.keys
    if variants:
        allk = [keys] + [instance_matrix(v, R).keys for _, v in variants]
        keys = sorted_keys(np.concatenate(allk))
        base = instance_matrix(hc, R, keys)
    clocks = clock_table(snap, base, float(hc.end_ms))
    hours = _hours(hc, res.queues, res.sample_times, snap, horizon_min, plan.queue_pools, R)
    wi_rows: list[pd.DataFrame] = []
    summary: list[dict[str, Any]] = []
    shown = {(r.ticket_id, r.attempt, r.control_point, r.occurrence)
             for r in clocks.itertuples()}
    for g, v in variants:
        mat = instance_matrix(v, R, keys)
        d = mat.breached.astype(float) - base.breached.astype(float)
        mean, lo, hi = paired(d)
        tab = pd.DataFrame({
            "ticket_id": [snap.tickets[j].ticket_id for j in keys[:, 0].tolist()],
            "attempt": keys[:, 1], "occurrence": keys[:, 3],
            "control_point": np.array(CLOCK_NAMES, dtype=object)[keys[:, 2]]
            if len(keys) else np.zeros(0, dtype=object),
            "change": f"+1 {g}", "p_base": base.breached.mean(axis=1),
            "p_change": mat.breached.mean(axis=1), "delta": mean, "ci_low": lo,
            "ci_high": hi})
        keep = [(r.ticket_id, r.attempt, r.control_point, r.occurrence) in shown
                for r in tab.itertuples()]
        wi_rows.append(tab[keep])
        for name, open_only in (("breaches_open_tickets", True), ("breaches_all", False)):
            b0 = _breaches_in_horizon(hc, snap, R, open_only)
            b1 = _breaches_in_horizon(v, snap, R, open_only)
            mean_d, lo_d, hi_d = paired((b1 - b0)[None, :])
            summary.append({"change": f"+1 {g}", "measure": name, "base": b0.mean(),
                            "with_change": b1.mean(), "delta": float(mean_d[0]),
                            "ci_low": float(lo_d[0]), "ci_high": float(hi_d[0])})
    what = pd.concat(wi_rows, ignore_index=True) if wi_rows else pd.DataFrame(
        columns=["ticket_id", "attempt", "occurrence", "control_point", "change", "p_base",
                 "p_change", "delta", "ci_low", "ci_high"])
    return Forecast(snapshot=snap, horizon_min=horizon_min, replications=R, seed=seed,
                    clocks=clocks, hours=hours, what_if=what,
                    what_if_summary=pd.DataFrame(summary, columns=[
                        "change", "measure", "base", "with_change", "delta", "ci_low",
                        "ci_high"]),
                    matrix=base)


def forecast(log: EventLog | LogIndex, scenario: Scenario, as_of: pd.Timestamp | str, *,
             horizon_min: float = 120.0, replications: int = 200, seed: int = 0,
             what_if: Sequence[str] = (), on_duty: Mapping[str, int] | None = None,
             bounds: ControlPoints | None = None) -> Forecast:
    """Forecast the open tickets' clocks of ``log`` at ``as_of`` for ``horizon_min`` minutes.

    Parameters
    ----------
    log
        A recorder's export or a simulated log (one replication), or its
        :class:`~fcsim.sim.snapshot.LogIndex`.
    scenario
        The model: categories, durations, roster, rates of new requests.
    as_of
        The instant (timezone-aware); the caller decides it (``fcsim nowcast`` defaults to the
        wall clock, the only place fcsim reads it).
    horizon_min, replications, seed
        Horizon (minutes), forward replications and the root seed (same seed → same
        forecast).
    what_if
        Staff groups to add one member to, now, each compared with the base on common random
        numbers.
    on_duty
        A live head-count now per staff group (default: the scenario's roster).
    bounds
        The clocks' bounds (default: the log's manifest, else the scenario's).
    """
    snap = snapshot(log, as_of, scenario, on_duty=on_duty, bounds=bounds)
    return forecast_snapshot(scenario, snap, horizon_min=horizon_min,
                             replications=replications, seed=seed, what_if=what_if)


def breach_probabilities(source: Any, scenario: Scenario, as_of: pd.Timestamp | str, *,
                         horizon_min: float = 120.0, replications: int = 200,
                         seed: int = 0) -> pd.DataFrame:
    """Per open ticket × running or upcoming clock: ``p_breach`` and the stop-time quantiles
    (:data:`CLOCK_COLUMNS`) — what the web board shows next to each clock.

    ``source`` is an :class:`~fcsim.eventlog.EventLog` or a
    :class:`~fcsim.recorder.Recorder` (its export of the tickets open at ``as_of``).
    """
    log = source if isinstance(source, EventLog | LogIndex) else source.export(open_at=as_of)
    return forecast(log, scenario, as_of, horizon_min=horizon_min, replications=replications,
                    seed=seed).clocks
