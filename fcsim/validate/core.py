"""Held-out validation: calibrate on a training period, simulate the test period, compare.

:func:`validate` slices the log into its training and test periods (a ticket belongs to the
period of its first event), calibrates a scenario on the training tickets
(:func:`fcsim.calibrate.calibrate`), simulates the test period with it (start and length of
the test period, ``replications`` replications) and compares the observed test tickets with
the simulated ones:

* :func:`validation_table` — per measure (the six indicators, every clock's share met, the
  weekly arrivals per category): observed, simulated mean, the 2.5–97.5 % range of the
  replications' values (the prediction interval), inside, measurable and why. A measure is
  not measurable only for a reason in the log's manifest (``measurability``: a synthesised
  event, an absent stage) or an observed denominator below :data:`MIN_DENOMINATOR`; a
  measure the simulation never produced is not judged either (its reason says so);
* the distances of :mod:`fcsim.validate.distances`;
* :func:`summary` — ``inside_share`` (of the measurable measures with an interval),
  ``n_measurable``, ``cycle_time_ks`` and the mean relative PI width.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fcsim.calibrate import Calibration, calibrate
from fcsim.calibrate.arrivals import arrival_times
from fcsim.eventlog import EventLog
from fcsim.kpi import evaluate
from fcsim.kpi.bounds import manifest_control_points
from fcsim.model.control_points import ControlPoints
from fcsim.scenarios import Scenario, scenario_from_dict
from fcsim.validate.distances import (
    absolute_hour_distance,
    kendall_taus,
    ngram_distance,
    stage_distances,
)

__all__ = ["MIN_DENOMINATOR", "Validation", "slice_log", "summary", "validate",
           "validation_table"]

#: an observed measure with a smaller denominator is not measurable
MIN_DENOMINATOR = 20
COLUMNS = ["measure", "kind", "observed", "sim_mean", "pi_low", "pi_high", "inside",
           "measurable", "reason", "n_observed"]


@dataclass(frozen=True)
class Validation:
    """Everything one validation produced."""

    table: pd.DataFrame  # validation.csv
    distances: pd.DataFrame  # distances.csv
    summary: dict[str, Any]  # summary.json
    calibration: Calibration | None
    observed: EventLog
    simulated: EventLog


def _utc(x: Any) -> pd.Timestamp:
    ts = pd.Timestamp(x)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def slice_log(log: EventLog, start: Any, end: Any) -> EventLog:
    """The tickets whose first event lies in ``[start, end)`` (all their events)."""
    s, e = _utc(start), _utc(end)
    ev, tk = log.events, log.tickets
    first = ev.groupby(ev["ticket_id"].astype(str), sort=False)["timestamp"].min()
    keep = set(first.index[(first >= s).to_numpy() & (first < e).to_numpy()])
    man = dict(log.manifest or {})
    man["window"] = [s.isoformat(), e.isoformat()]
    return EventLog.from_frames(
        ev[ev["ticket_id"].astype(str).isin(keep).to_numpy()].reset_index(drop=True),
        tk[tk["ticket_id"].astype(str).isin(keep).to_numpy()].reset_index(drop=True), man)


def _reasons(log: EventLog) -> dict[str, str]:
    meas = (log.manifest or {}).get("measurability") or {}
    return {str(k): str(v.get("reason", "")) for k, v in meas.items()
            if isinstance(v, dict) and not v.get("measurable", True)}


def _pi(values: np.ndarray) -> tuple[float, float, float]:
    v = values[np.isfinite(values)]
    if not len(v):
        return math.nan, math.nan, math.nan
    lo, hi = np.percentile(v, [2.5, 97.5])
    return float(v.mean()), float(lo), float(hi)


def _row(measure: str, kind: str, obs: float, n_obs: float, sims: np.ndarray,
         reason: str | None, *, share: bool = True) -> dict[str, Any]:
    """One row; ``n_obs`` is a share's denominator, or (``share`` false) the observed count
    of a rate, which is measurable however small."""
    m, lo, hi = _pi(sims)
    measurable = reason is None
    if measurable and share and not n_obs >= MIN_DENOMINATOR:  # nan fails too
        shown = int(n_obs) if np.isfinite(n_obs) else 0
        measurable, reason = False, f"observed denominator {shown} < {MIN_DENOMINATOR}"
    if measurable and not np.isfinite(m):
        measurable, reason = False, "the simulation never produced it"
    inside = bool(lo <= obs <= hi) if measurable and np.isfinite(obs) else None
    return {"measure": measure, "kind": kind, "observed": obs, "sim_mean": m, "pi_low": lo,
            "pi_high": hi, "inside": inside, "measurable": measurable,
            "reason": reason or "", "n_observed": n_obs}


def _clock_table(cp: pd.DataFrame) -> pd.DataFrame:
    st = cp["status"].astype(str)
    df = pd.DataFrame({
        "r": cp["replication"].astype(object).fillna(-1).astype(str).to_numpy(),
        "cp": cp["control_point"].astype(str).to_numpy(),
        "met": st.eq("met").to_numpy(), "n": st.isin(["met", "breached", "missing"]).to_numpy()})
    g = df.groupby(["r", "cp"])[["met", "n"]].sum().reset_index()
    return g[g["n"] > 0].assign(value=lambda d: d["met"] / d["n"])


def validation_table(observed: EventLog, simulated: EventLog, *, start: Any, end: Any,
                     observed_bounds: ControlPoints | None = None) -> pd.DataFrame:
    """The rows of ``validation.csv`` (see the module docstring); ``start``/``end``: the test
    period (for the weekly arrivals)."""
    reasons = _reasons(observed)
    if observed_bounds is None:
        names = sorted({str(s) for s in simulated.tickets["scenario"].dropna().unique()})
        if names:
            observed_bounds = manifest_control_points(simulated.manifest, names[0])
    ok = evaluate(observed, bounds=observed_bounds, as_of=_utc(end))
    from fcsim.kpi.engine import not_measurable

    # timeliness of the simulated log over the clocks the observed log can measure
    sk = evaluate(simulated, skip_clocks=not_measurable(observed))
    rows: list[dict[str, Any]] = []
    oi = ok.indicators
    lvl = oi["level"].astype(str)
    oi = oi[lvl == ("log" if (lvl == "log").any() else "replication")].drop_duplicates(
        "indicator")
    oi = oi.set_index(oi["indicator"].astype(str).rename("i"))
    si = sk.indicators[sk.indicators["level"].astype(str) == "replication"]
    for ind in ("timeliness", "satisfaction", "accuracy", "pass_rate", "recognition",
                "callback_rate"):
        sims = si.loc[si["indicator"].astype(str) == ind, "value"].to_numpy(float)
        if ind in oi.index:
            obs = float(pd.to_numeric(oi.loc[ind, "value"], errors="coerce"))
            den = float(pd.to_numeric(oi.loc[ind, "denominator"], errors="coerce"))
        else:
            obs, den = math.nan, 0.0
        rows.append(_row(ind, "indicator", obs, den, sims, reasons.get(ind)))
    oc, sc = _clock_table(ok.control_points), _clock_table(sk.control_points)
    oc = oc[oc["r"] == (oc["r"].min() if len(oc) else "")].set_index("cp")
    meas = (observed.manifest or {}).get("measurability") or {}
    unmeasured = {k for k, v in meas.items() if isinstance(v, dict)
                  and v.get("kind") == "clock" and k in reasons}
    for cp in sorted(set(oc.index) | set(sc["cp"]) | unmeasured):
        obs = float(oc.loc[cp, "value"]) if cp in oc.index else math.nan
        den = float(oc.loc[cp, "n"]) if cp in oc.index else 0.0
        rows.append(_row(f"clock:{cp}", "clock", obs, den,
                         sc.loc[sc["cp"] == cp, "value"].to_numpy(float), reasons.get(cp)))
    weeks = (_utc(end) - _utc(start)).total_seconds() / (7 * 86400.0)
    ao, as_ = arrival_times(observed), arrival_times(simulated)
    n_rep = max(1, as_[["_s", "_r"]].drop_duplicates().shape[0])
    reps = as_[["_s", "_r"]].drop_duplicates().apply(tuple, axis=1).tolist()
    for cat in sorted(set(ao["category"].astype(str)) | set(as_["category"].astype(str))):
        n_o = float((ao["category"].astype(str) == cat).sum())
        per = as_[as_["category"].astype(str) == cat].groupby(["_s", "_r"]).size()
        sims = np.array([per.get(r, 0) for r in reps] if reps else [0] * n_rep, float)
        rows.append(_row(f"arrivals_per_week:{cat}", "arrivals", n_o / weeks,
                         n_o, sims / weeks, None, share=False))
    return pd.DataFrame(rows, columns=COLUMNS)


def summary(table: pd.DataFrame, distances: pd.DataFrame) -> dict[str, Any]:
    """``inside_share``, ``n_measurable``, ``cycle_time_ks``, ``mean_relative_pi_width``."""
    judged = table[table["measurable"] & table["inside"].notna()]
    ind = judged[judged["kind"].isin(["indicator", "clock"])]
    width = ((judged["pi_high"] - judged["pi_low"])
             / judged["sim_mean"].abs().where(judged["sim_mean"].abs() > 0))
    ct = distances.loc[distances["measure"] == "cycle_time", "ks"]
    taus = distances[distances["kind"] == "dependence"]
    return {
        "inside_share": float(judged["inside"].astype(bool).mean()) if len(judged) else None,
        "n_measurable": len(judged),
        "n_inside": int(judged["inside"].astype(bool).sum()),
        "inside_share_indicators_clocks": (float(ind["inside"].astype(bool).mean())
                                           if len(ind) else None),
        "n_measurable_indicators_clocks": len(ind),
        "cycle_time_ks": float(ct.iloc[0]) if len(ct) and np.isfinite(ct.iloc[0]) else None,
        "mean_relative_pi_width": (float(width.mean()) if width.notna().any() else None),
        "kendall_tau_inside": (int(taus["inside"].fillna(False).astype(bool).sum())
                               if len(taus) else 0),
        "kendall_tau_pairs": len(taus),
    }


def distances_table(observed: EventLog, simulated: EventLog, start: Any) -> pd.DataFrame:
    """The rows of ``distances.csv``."""
    rows = stage_distances(observed, simulated)
    base = {"n_observed": math.nan, "n_simulated": math.nan, "ks": math.nan,
            "wasserstein": math.nan, "observed": math.nan, "simulated": math.nan,
            "ci_low": math.nan, "ci_high": math.nan, "inside": None}
    rows.append({**base, "measure": "arrivals_absolute_hour", "kind": "arrivals",
                 "unit": "h",
                 "wasserstein": absolute_hour_distance(observed, simulated, _utc(start))})
    rows.append({**base, "measure": "activity_2gram", "kind": "control_flow", "unit": "share",
                 "observed": ngram_distance(observed, simulated, 2)})
    rows.extend(kendall_taus(observed, simulated))
    return pd.DataFrame(rows, columns=["measure", "kind", "unit", "n_observed", "n_simulated",
                                       "ks", "wasserstein", "observed", "simulated", "ci_low",
                                       "ci_high", "inside"])


def on_period(scenario: Scenario, start: Any, end: Any) -> Scenario:
    """``scenario`` moved to the test period: its start and length (days)."""
    s, e = _utc(start), _utc(end)
    data = scenario.to_data()
    data["scenario"]["start"] = s.tz_convert(scenario.scenario.tz).to_pydatetime()
    data["scenario"]["days"] = round((e - s).total_seconds() / 86400.0, 6)
    return scenario_from_dict(data, origin=f"{scenario.name} on the test period")


def validate(log: EventLog, base: Scenario, *, train: tuple[Any, Any], test: tuple[Any, Any],
             replications: int = 10, seed: int = 1, workers: int | None = 1,
             keep_roster: bool = False, name: str | None = None,
             source: str = "", dependence: str = "joint", holidays: Any = "detect",
             trend: str = "test", durations: str = "plain", level: float = 0.01) -> Validation:
    """Calibrate on ``train``, simulate ``test``, compare (see the module docstring).

    ``holidays``, ``trend``, ``durations`` and ``level`` go to :func:`fcsim.calibrate.
    calibrate`; the test period is its forecast window (a significant trend is extrapolated
    to it; the holidays of the test period are the given calendar's or the detected dates a
    year later).
    """
    if replications < 2:
        raise ValueError("validate needs at least 2 replications for a prediction interval")
    tr, te = slice_log(log, *train), slice_log(log, *test)
    if te.tickets.empty:
        raise ValueError(f"the test period [{test[0]}, {test[1]}) has no tickets")
    cal = calibrate(tr, base, name=name, window=(_utc(train[0]), _utc(train[1])),
                    source=source, keep_roster=keep_roster, dependence=dependence,
                    holidays=holidays, trend=trend, durations=durations,
                    forecast=(_utc(test[0]), _utc(test[1])), level=level)
    sc = on_period(cal.scenario, *test)
    sim = _simulate(sc, seed=seed, replications=replications, workers=workers)
    table = validation_table(te, sim, start=test[0], end=test[1])
    dist = distances_table(te, sim, test[0])
    summ = summary(table, dist)
    from fcsim.compare.unfinished import unfinished_at_horizon

    summ["unfinished_at_horizon"] = unfinished_at_horizon(sim).to_dict()
    summ.update(train=[str(train[0]), str(train[1])], test=[str(test[0]), str(test[1])],
                replications=replications, seed=seed,
                observed_test_tickets=len(te.tickets),
                training_tickets=len(tr.tickets), calibration_evidence=cal.evidence,
                options={"holidays": holidays if isinstance(holidays, str) else "given",
                         "trend": trend, "durations": durations, "level": level,
                         "dependence": dependence})
    return Validation(table=table, distances=dist, summary=summ, calibration=cal,
                      observed=te, simulated=sim)


def _simulate(sc: Scenario, *, seed: int, replications: int, workers: int | None) -> EventLog:
    if workers == 1:
        from fcsim.sim import replicate

        return replicate(sc, seed=seed, replications=replications)
    from fcsim.experiment import run_experiment

    res = run_experiment([sc], seed=seed, replications=replications, workers=workers)
    assert res.log is not None
    return res.log
