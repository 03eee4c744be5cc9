"""The backtest: forecasts from rolling origins over a log, scored against what happened.

For every origin (every ``every_min`` minutes) the log is cut there, the open tickets are
forecast ``horizon_min`` ahead (:mod:`fcsim.nowcast.forecast`; the wall clock is never read)
and compared with the log itself.

**Population** — every clock instance of a ticket open at the origin that has started by the
origin, or is due within the horizon (an appointment clock whose deadline ``appointment_at``
− lower bound falls in it), and that has not breached (nor been met, nor gone missing) by the
origin: all of it known at the origin (``population = "goal"``). The issue's goals are scored
on it. Clocks that had not started at the origin but did within the horizon (or went missing
in it) are kept too (``population = "upcoming"``) and scored apart: choosing them needs the
future, and what is left to forecast for them is mostly the luck of one duration.
**Outcome** — whether its ``KPI.md`` status at ``as_of = origin + horizon`` is breached or
missing. **Stop time** — the
clock's end moment (an appointment clock's: the moment of its deciding event — contacted,
signed, arrived — its end being the fixed appointment time); still running at origin +
horizon, it exceeds every finite forecast quantile and no censored ("after the horizon") one.

**Naive baselines**, judged the same way:

* ``elapsed_fraction`` — the share of its bound a started clock has used at the origin,
  ``(origin − start) / upper``, clipped to [0, 1]; for an appointment clock, the share of the
  horizon that lies past its deadline; 0 for a clock not yet started. Its "95 % quantile" is the
  bound itself (start + upper).
* ``historical_median`` — the median duration of that clock among instances that ended before
  the origin and lasted longer than this one has so far (an appointment clock: whose deciding
  event came no earlier before the appointment than this one's still can); breach forecast
  (0 or 1) when that median stop, or the horizon if earlier, is past the bound. Its 95 %
  quantile is the same history's 95th percentile. Clocks not yet started get 0 (no quantile).
"""

from __future__ import annotations

import bisect
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from fcsim.eventlog import EventLog
from fcsim.eventlog.times import NAT, to_ms
from fcsim.kpi.clocks import clock_arrays
from fcsim.kpi.prepare import prepare_arrays
from fcsim.model.control_points import CLOCK_NAMES, ControlPoints
from fcsim.nowcast.evaluate import APPT, horizon_clocks, instance_matrix
from fcsim.nowcast.forecast import stop_quantiles
from fcsim.nowcast.metrics import auc, brier, cluster_bootstrap, exceedance
from fcsim.scenarios.config import Scenario
from fcsim.sim.forward import draw_inputs, plan_forward, run_forward
from fcsim.sim.run import young_collections_relaxed
from fcsim.sim.snapshot import LogIndex, snapshot

__all__ = ["BACKTEST_COLUMNS", "GOAL_CLOCKS", "Backtest", "backtest", "summarise"]

BACKTEST_COLUMNS = [
    "origin", "ticket_id", "attempt", "occurrence", "control_point", "population", "start",
    "deadline", "p_breach", "stop_q50", "stop_q90", "stop_q95", "outcome",
    "status_at_horizon", "actual_stop", "exceeds_q95", "p_elapsed_fraction",
    "q95_elapsed_fraction", "p_historical_median", "q95_historical_median",
]
#: The clocks whose AUC the issue's goal names one by one.
GOAL_CLOCKS = ("record", "dispatch", "on_site")
STATUS = ("met", "breached", "missing", "censored")
INF = math.inf
MODELS = {"model": ("p_breach", "stop_q95"),
          "elapsed_fraction": ("p_elapsed_fraction", "q95_elapsed_fraction"),
          "historical_median": ("p_historical_median", "q95_historical_median")}


@dataclass(frozen=True)
class Backtest:
    """The backtest's rows (:data:`BACKTEST_COLUMNS`; times in ms as float, +inf none, in
    ``frame``; :meth:`table` gives timestamps) and its summary."""

    frame: pd.DataFrame
    summary: dict[str, Any]

    def table(self) -> pd.DataFrame:
        """The rows with UTC timestamps (empty = none / after the horizon)."""
        out = self.frame.copy()
        for col in ("origin", "start", "deadline", "stop_q50", "stop_q90", "stop_q95",
                    "actual_stop", "q95_elapsed_fraction", "q95_historical_median"):
            v = out[col].to_numpy(dtype=float)
            ok = np.isfinite(v)
            ts = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ms, UTC]")
            ts[ok] = pd.to_datetime(v[ok].astype(np.int64), unit="ms", utc=True)
            out[col] = ts
        return out


class _History:
    """Durations of the clock instances that ended before an origin, per clock, sorted."""

    def __init__(self, clock: np.ndarray, end: np.ndarray, dur_s: np.ndarray) -> None:
        order = np.argsort(end, kind="stable")
        self._clock, self._end, self._dur = clock[order], end[order], dur_s[order]
        self._at = 0
        self.sorted: dict[int, list[float]] = {k: [] for k in range(len(CLOCK_NAMES))}

    def advance(self, until_ms: int) -> None:
        while self._at < len(self._end) and self._end[self._at] <= until_ms:
            bisect.insort(self.sorted[int(self._clock[self._at])], float(self._dur[self._at]))
            self._at += 1


def _frac(x: float) -> float:
    return min(max(x, 0.0), 1.0)


def _baselines(hist: _History, clock: int, started: bool, start: float, origin: float,
               end: float, upper: float, lower: float, appt: float
               ) -> tuple[float, float, float, float]:
    """(p, q95) of the elapsed-fraction rule and of the historical median (ms as float)."""
    d = hist.sorted[clock]
    h_ms = end - origin
    if APPT[clock]:
        due = appt - (0.0 if lower != lower else lower * 1000.0)
        p_rule = 1.0 if h_ms <= 0 else _frac((end - due) / h_ms)
        if started:  # decided by its event before the origin: not in the population
            return p_rule, INF, 0.0, INF
        lim = (appt - origin) / 1000.0  # its event can no longer come earlier than this
        cand = d[:bisect.bisect_left(d, lim)]
        if not cand:
            return p_rule, INF, 1.0, INF
        med = cand[(len(cand) - 1) // 2]
        ok = (lower != lower or med >= lower) and (upper != upper or med <= upper)
        q05 = cand[max(math.ceil(0.05 * len(cand)) - 1, 0)]
        return p_rule, INF, 0.0 if ok else 1.0, appt - q05 * 1000.0
    if not started:
        return 0.0, INF, 0.0, INF
    elapsed = (origin - start) / 1000.0
    p_rule = _frac(elapsed / upper) if upper == upper and upper > 0 else 0.0
    q_rule = start + upper * 1000.0 if upper == upper else INF
    cand = d[bisect.bisect_right(d, elapsed):]
    med = cand[(len(cand) - 1) // 2] if cand else elapsed
    q95 = cand[max(math.ceil(0.95 * len(cand)) - 1, 0)] if cand else elapsed
    judged = min(med, (end - start) / 1000.0)
    p_med = 1.0 if upper == upper and judged > upper else 0.0
    return p_rule, q_rule, p_med, start + q95 * 1000.0


def _forecast(scenario: Scenario, snap: Any, horizon_min: float, replications: int,
              seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keys, breach probabilities and stop quantiles of one origin's forecast."""
    plan = plan_forward(scenario, snap, horizon_min, sample_min=None)
    res = run_forward(plan, draw_inputs(plan, replications, seed))
    mat = instance_matrix(horizon_clocks(res), replications)
    return mat.keys, mat.breached.mean(axis=1), stop_quantiles(mat.stop)


def backtest(log: EventLog | LogIndex, scenario: Scenario, *, every_min: float = 10.0,
             horizon_min: float = 60.0, replications: int = 200, seed: int = 0,
             window: tuple[pd.Timestamp, pd.Timestamp] | None = None,
             bounds: ControlPoints | None = None,
             progress: Callable[[float], None] | None = None) -> Backtest:
    """Rolling-origin backtest of the forecast over ``log`` (see the module docstring).

    Parameters
    ----------
    log
        One site's (or one replication's) log, or its :class:`~fcsim.sim.snapshot.LogIndex`.
    scenario
        The model that forecasts (its categories must cover the log's).
    every_min, horizon_min
        Minutes between origins, and the horizon of each forecast.
    replications, seed
        Forward replications per origin; root seed (origin *k* uses ``seed + k``).
    window
        Origins lie in ``[start, end − horizon]`` (default: the log's first receipt to its last
        event).
    bounds
        The clocks' bounds (default: the log's manifest, else the scenario's).
    progress
        Called with the fraction of origins done.
    """
    if not every_min > 0 or not horizon_min > 0:
        raise ValueError("every_min and horizon_min must be > 0")
    t_start = time.perf_counter()
    idx = log if isinstance(log, LogIndex) else LogIndex(log)
    first, last = idx.span_ms
    lo = to_ms(window[0]) if window is not None else first
    hi = (to_ms(window[1]) if window is not None else last) - round(horizon_min * 60000)
    step = round(every_min * 60000)
    origins = list(range(math.ceil(lo / step) * step, hi + 1, step))
    h_ms = round(horizon_min * 60000)
    # one snapshot's bounds serve every origin (they depend on the log and scenario only)
    probe = snapshot(idx, pd.Timestamp(first, unit="ms", tz="UTC"), scenario, bounds=bounds)
    cps = probe.bounds
    fin = _all_instances(idx, cps)
    hist = _History(fin["clock"], fin["end"], fin["duration_s"])
    rows: list[tuple[Any, ...]] = []
    n_open = 0
    with young_collections_relaxed():
        n_open = _run_origins(idx, scenario, cps, hist, origins, h_ms, horizon_min,
                              replications, seed, rows, progress)
    if progress is not None:
        progress(1.0)
    frame = pd.DataFrame(rows, columns=BACKTEST_COLUMNS)

    summary = summarise(frame)
    summary.update({"scenario": scenario.name, "origins": len(origins),
                    "origins_with_open_tickets": n_open, "every_min": every_min,
                    "horizon_min": horizon_min, "replications": replications, "seed": seed,
                    "runtime_s": round(time.perf_counter() - t_start, 1)})
    return Backtest(frame=frame, summary=summary)


def _run_origins(idx: LogIndex, scenario: Scenario, cps: ControlPoints, hist: _History,
                 origins: list[int], h_ms: int, horizon_min: float, replications: int,
                 seed: int, rows: list[tuple[Any, ...]],
                 progress: Callable[[float], None] | None) -> int:
    """Forecast and score every origin; returns how many had open tickets."""
    n_open = 0
    for k, origin in enumerate(origins):
        if progress is not None:
            progress(k / max(len(origins), 1))
        hist.advance(origin)
        snap = snapshot(idx, pd.Timestamp(origin, unit="ms", tz="UTC"), scenario,
                        bounds=cps)
        if not len(snap):
            continue
        n_open += 1
        rows += _origin_rows(idx, scenario, snap, cps, hist, origin, origin + h_ms,
                             horizon_min, replications, seed + k)
    return n_open


def _all_instances(idx: LogIndex, cps: ControlPoints) -> dict[str, np.ndarray]:
    """Every clock instance of the whole log with both moments (for the history)."""
    codes = np.arange(len(idx.ids))
    ev = idx.events_of(codes, int(idx.ts.max()))
    p = prepare_arrays(idx.tickets, pd.Index(idx.ids), tid=ev["tid"], att=ev["att"],
                       ts=ev["ts"], act=ev["act"], seq=ev["seq"], as_of_ms=int(idx.ts.max()))
    c = clock_arrays(p, {None: cps})
    both = (c["start"] != NAT) & (c["end"] != NAT)
    # an appointment clock is decided by its event (its start); the others by their end
    decided = np.where(APPT[c["clock"]], c["start"], c["end"])
    return {"clock": c["clock"][both], "end": decided[both],
            "duration_s": c["duration_s"][both]}


def _origin_rows(idx: LogIndex, scenario: Scenario, snap: Any, cps: ControlPoints,
                 hist: _History, origin: int, end: int, horizon_min: float,
                 replications: int, seed: int) -> list[tuple[Any, ...]]:
    codes = idx.open_at(origin)
    ev = idx.events_of(codes, end)
    p = prepare_arrays(snap.frame, pd.Index([idx.ids[c] for c in codes]), tid=ev["tid"],
                       att=ev["att"], ts=ev["ts"], act=ev["act"], seq=ev["seq"], as_of_ms=end)
    truth = clock_arrays(p, {None: cps})
    now = snap.clocks
    before = {} if not now else {
        (j, a, k, o): s for j, a, k, o, s in zip(
            now["tid"].tolist(), now["att"].tolist(), now["clock"].tolist(),
            now["occ"].tolist(), now["status"].tolist(), strict=True)}
    keys, prob, q = _forecast(scenario, snap, horizon_min, replications, seed)
    fc = {tuple(kk): i for i, kk in enumerate(keys.tolist())}
    t_tid = p.a_tid[truth["a"]]
    t_att = p.a_att[truth["a"]]
    rows: list[tuple[Any, ...]] = []
    for i in range(len(truth["a"])):
        key = (int(t_tid[i]), int(t_att[i]), int(truth["clock"][i]), int(truth["occ"][i]))
        if before.get(key, 3) != 3:  # met, breached or missing by the origin
            continue
        clock = key[2]
        st, en, ap = int(truth["start"][i]), int(truth["end"][i]), int(truth["appt_ms"][i])
        status = int(truth["status"][i])
        lower, upper = float(truth["lower_s"][i]), float(truth["upper_s"][i])
        has_start = st != NAT
        due = ap - (0 if lower != lower else lower * 1000.0) if APPT[clock] else INF
        started = has_start and st <= origin
        if started or (APPT[clock] and due <= end):
            population = "goal"
        elif has_start or status == 2:
            population = "upcoming"
        else:
            continue
        if APPT[clock]:
            actual = float(st) if has_start else INF
            deadline = due
        else:
            actual = float(en) if en != NAT else INF
            deadline = st + upper * 1000.0 if has_start and upper == upper else INF
        f = fc.get(key)
        pb = float(prob[f]) if f is not None else 0.0
        qq = q[f] if f is not None else (INF, INF, INF)
        p_rule, q_rule, p_med, q_med = _baselines(
            hist, clock, started, float(st), float(origin), float(end), upper, lower,
            float(ap))
        outcome = status in (1, 2)
        rows.append((
            float(origin), snap.tickets[key[0]].ticket_id, key[1], key[3], CLOCK_NAMES[clock],
            population, float(st) if has_start else INF, float(deadline), pb, float(qq[0]),
            float(qq[1]), float(qq[2]), int(outcome), STATUS[status], actual,
            bool(np.isfinite(qq[2]) and actual > qq[2]), p_rule, q_rule, p_med, q_med))
    return rows


def _rows_score(fn: Callable[[np.ndarray, np.ndarray], float], a: np.ndarray, b: np.ndarray,
                rows: np.ndarray) -> float:
    return fn(a[rows], b[rows])


def _scores(frame: pd.DataFrame, p_col: str, q_col: str) -> dict[str, float]:
    y = frame["outcome"].to_numpy(dtype=bool)
    return {"auc": auc(frame[p_col].to_numpy(), y),
            "brier": brier(frame[p_col].to_numpy(), y),
            "exceedance_q95": exceedance(frame["actual_stop"].to_numpy(dtype=float),
                                         frame[q_col].to_numpy(dtype=float))}


def summarise(frame: pd.DataFrame, *, clocks: Sequence[str] = GOAL_CLOCKS,
              bootstrap: int = 200, seed: int = 0) -> dict[str, Any]:
    """Scores of the forecast and of the two baselines on the goal population, overall and
    per clock, with cluster bootstrap intervals (by origin) and the issue's goals checked;
    the upcoming clocks' scores apart (``upcoming``)."""
    out = _summary(frame[frame["population"] == "goal"], clocks, bootstrap, seed)
    up = frame[frame["population"] == "upcoming"]
    out["upcoming"] = {"instances": len(up),
                       "breaches": int(up["outcome"].sum()) if len(up) else 0,
                       **{name: _scores(up, p_col, q_col)
                          for name, (p_col, q_col) in MODELS.items()}}
    return out


def _summary(frame: pd.DataFrame, clocks: Sequence[str], bootstrap: int, seed: int
             ) -> dict[str, Any]:
    out: dict[str, Any] = {"instances": len(frame),
                           "breaches": int(frame["outcome"].sum()) if len(frame) else 0}
    y = frame["outcome"].to_numpy(dtype=bool)
    actual = frame["actual_stop"].to_numpy(dtype=float)
    origin = frame["origin"].to_numpy()
    for name, (p_col, q_col) in MODELS.items():
        s: dict[str, Any] = dict(_scores(frame, p_col, q_col))
        p = frame[p_col].to_numpy(dtype=float)
        qv = frame[q_col].to_numpy(dtype=float)
        if len(frame) and bootstrap:
            fns: dict[str, Callable[[np.ndarray], float]] = {
                "auc_ci": partial(_rows_score, auc, p, y),
                "brier_ci": partial(_rows_score, brier, p, y),
                "exceedance_q95_ci": partial(_rows_score, exceedance, actual, qv)}
            for key, fn in fns.items():
                s[key] = list(cluster_bootstrap(fn, origin, draws=bootstrap, seed=seed))
        per: dict[str, Any] = {}
        for clock in sorted(set(frame["control_point"])):
            sub = frame[frame["control_point"] == clock]
            per[clock] = {"instances": len(sub), "breaches": int(sub["outcome"].sum()),
                          **_scores(sub, p_col, q_col)}
        s["per_clock"] = per
        out[name] = s
    m = out["model"]
    best = min(out["elapsed_fraction"]["brier"], out["historical_median"]["brier"])
    goals: dict[str, Any] = {"auc_overall_ge_0.85": bool(m["auc"] >= 0.85)}
    for clock in clocks:
        a = m["per_clock"].get(clock, {}).get("auc", float("nan"))
        goals[f"auc_{clock}_ge_0.85"] = bool(a >= 0.85)
    goals["exceedance_q95_in_3_to_7_pct"] = bool(0.03 <= m["exceedance_q95"] <= 0.07)
    goals["brier_30pct_below_best_baseline"] = bool(m["brier"] <= 0.7 * best)
    goals["brier_reduction_vs_best_baseline"] = (1 - m["brier"] / best) if best > 0 \
        else float("nan")
    out["goals"] = goals
    return out
