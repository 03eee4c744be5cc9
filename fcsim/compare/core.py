"""Observed versus simulated: the same KPI code on both logs, intervals and distances.

:func:`compare` evaluates both logs with :func:`fcsim.kpi.evaluate` and returns tidy tables:

* ``indicators`` and ``clocks`` — per indicator / clock: the observed value, the simulated mean
  over replications and the 95 % **prediction interval** for one new replication,
  ``mean ± t(0.975, n−1) · sd · √(1 + 1/n)`` (clipped to [0, 1]), and whether the observed
  value lies inside; a clock's value is its share met (met / (met + breached + missing));
* ``distances`` — per stage duration (:func:`fcsim.calibrate.stage_samples`) and for the cycle
  time: sample sizes, means and medians, the Wasserstein distance (minutes) and the two-sample
  Kolmogorov–Smirnov statistic and p-value (simulated replications pooled);
* ``arrivals`` — arrivals per hour of the week (local time ``tz``; by default the simulated
  scenario's ``time_zone``): observed rate and simulated mean rate per hour.

Both logs are judged by the same clocks: unless given, the observed log gets the simulated
scenario's bounds from its manifest — scenario-wide and the per-category / emergency overrides
(:func:`fcsim.kpi.bounds.manifest_control_points`), resolved per ticket as for the simulated
log.

A prediction interval needs at least two replications; with one, its bounds are NaN. Every
row carries ``measurable`` and a ``reason`` when it is not judged: a clock or indicator the
observed log's manifest declares not measurable (a synthesised event, an absent stage), no
observed or simulated value, or a single replication.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, tzinfo

import numpy as np
import pandas as pd
from scipy import stats

from fcsim.calibrate.arrivals import arrival_rates
from fcsim.calibrate.passes import cycle_times, stage_samples
from fcsim.eventlog import EventLog
from fcsim.kpi import evaluate
from fcsim.kpi.bounds import manifest_control_points
from fcsim.kpi.zones import manifest_time_zone
from fcsim.model.control_points import ControlPoints

__all__ = ["Comparison", "compare", "prediction_interval", "simulated_time_zone"]


@dataclass(frozen=True)
class Comparison:
    """The tables of one observed-versus-simulated comparison."""

    indicators: pd.DataFrame
    clocks: pd.DataFrame
    distances: pd.DataFrame
    arrivals: pd.DataFrame
    samples: pd.DataFrame  # side, stage, value_min (for the distribution figures)


def prediction_interval(values: np.ndarray | list[float]) -> tuple[float, float, float, int]:
    """Mean and 95 % prediction interval for one new value; returns (mean, low, high, n)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    n = len(v)
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    m = float(v.mean())
    if n < 2:
        return m, math.nan, math.nan, n
    h = float(stats.t.ppf(0.975, n - 1) * v.std(ddof=1) * math.sqrt(1 + 1 / n))
    return m, m - h, m + h, n


def _intervals(obs: pd.Series, sim: pd.DataFrame, key: str) -> pd.DataFrame:
    rows = []
    for k in sorted(set(obs.index) | set(sim[key])):
        m, lo, hi, n = prediction_interval(sim.loc[sim[key] == k, "value"].to_numpy(float))
        o = float(obs.get(k, math.nan))
        lo_c, hi_c = (max(lo, 0.0), min(hi, 1.0)) if n >= 2 else (lo, hi)
        inside = bool(lo_c <= o <= hi_c) if np.isfinite([o, lo_c, hi_c]).all() else None
        rows.append({key: k, "observed": o, "sim_mean": m, "pi_low": lo_c, "pi_high": hi_c,
                     "n_replications": n, "inside": inside})
    return pd.DataFrame(rows, columns=[key, "observed", "sim_mean", "pi_low", "pi_high",
                                       "n_replications", "inside"])


def _clock_shares(cp: pd.DataFrame) -> pd.DataFrame:
    st = cp["status"].astype(str)
    df = pd.DataFrame({
        "replication": pd.to_numeric(cp["replication"].astype(object)).astype("Int64")
        .fillna(-1),
        "scenario": cp["scenario"].astype(object).fillna("").astype(str),
        "control_point": cp["control_point"].astype(str),
        "met": st.eq("met"), "decided": st.isin(["met", "breached", "missing"])})
    g = df.groupby(["scenario", "replication", "control_point"])[["met", "decided"]].sum()
    g = g[g["decided"] > 0]
    return (g["met"] / g["decided"]).rename("value").reset_index()


def _distance_row(stage: str, o: np.ndarray, s: np.ndarray) -> dict[str, object]:
    row: dict[str, object] = {"stage": stage, "n_observed": len(o), "n_simulated": len(s),
                              "observed_mean": float(o.mean()) if len(o) else math.nan,
                              "sim_mean": float(s.mean()) if len(s) else math.nan,
                              "observed_median": float(np.median(o)) if len(o) else math.nan,
                              "sim_median": float(np.median(s)) if len(s) else math.nan,
                              "wasserstein_min": math.nan, "ks": math.nan, "ks_p": math.nan}
    if len(o) and len(s):
        row["wasserstein_min"] = float(stats.wasserstein_distance(o, s))
        ks = stats.ks_2samp(o, s)
        row["ks"], row["ks_p"] = float(ks.statistic), float(ks.pvalue)
    return row


def _not_measurable(log: EventLog) -> dict[str, str]:
    """Clocks and indicators the log's manifest declares not measurable, with the reason."""
    meas = (log.manifest or {}).get("measurability") or {}
    return {str(k): str(v.get("reason", "")) for k, v in meas.items()
            if isinstance(v, dict) and not v.get("measurable", True)}


def _mark(table: pd.DataFrame, key: str, reasons: dict[str, str]) -> pd.DataFrame:
    """``measurable`` and ``reason`` columns; a measure the log cannot measure, or with no
    simulated or observed value, is not judged (``inside`` empty) and says why."""
    t = table.copy()
    t["inside"] = t["inside"].astype(object)
    why = []
    for r in t.itertuples(index=False):
        k = str(getattr(r, key))
        if k in reasons:
            why.append(f"not measurable in the observed log: {reasons[k]}")
        elif not np.isfinite(float(r.observed)):
            why.append("no observed value")
        elif not np.isfinite(float(r.sim_mean)):
            why.append("the simulation never produced it")
        elif r.n_replications < 2:
            why.append("one replication: no prediction interval")
        else:
            why.append("")
    t["reason"] = why
    t["measurable"] = [not w.startswith(("not measurable", "no observed")) for w in why]
    t.loc[~t["measurable"], "inside"] = None
    return t


def simulated_time_zone(simulated: EventLog) -> tzinfo:
    """The simulated run's zone: its manifest's ``time_zone`` (of its first scenario), else the
    offset of its ``start``, else UTC."""
    man = simulated.manifest or {}
    names = sorted({str(s) for s in simulated.tickets["scenario"].dropna().unique()})
    for sc in [*names, None]:
        zone = manifest_time_zone(man, sc)
        if zone is not None:
            return zone
    start = man.get("start")
    if isinstance(start, str):
        ts = pd.Timestamp(start)
        if ts.tzinfo is not None:
            return ts.tzinfo
    return UTC


def compare(observed: EventLog, simulated: EventLog, *, tz: tzinfo | None = None,
            observed_bounds: ControlPoints | None = None,
            observed_as_of: pd.Timestamp | None = None) -> Comparison:
    """Compare an observed log with a simulated one (one or more replications).

    Parameters
    ----------
    observed
        The observed (recorded) log; evaluated at its own latest event unless
        ``observed_as_of``.
    simulated
        The simulated log; bounds from its manifest, as ``fcsim kpi`` does.
    tz
        Time zone of the hour-of-week arrival profile (default:
        :func:`simulated_time_zone`).
    observed_bounds
        Bounds for the observed log (default: the simulated scenario's, from the manifest,
        overrides included, so both sides are judged by the same clocks; else the seed's).
    """
    if tz is None:
        tz = simulated_time_zone(simulated)
    from fcsim.kpi.engine import not_measurable

    # the simulated log is judged by the clocks the observed one can measure
    sim_kpi = evaluate(simulated, skip_clocks=not_measurable(observed))
    if observed_bounds is None:
        names = sorted({str(s) for s in simulated.tickets["scenario"].dropna().unique()})
        if names:
            observed_bounds = manifest_control_points(simulated.manifest, names[0])
    obs_kpi = evaluate(observed, bounds=observed_bounds, as_of=observed_as_of)
    oi = obs_kpi.indicators
    lvl = oi["level"].astype(str)
    oi = oi[lvl == ("log" if (lvl == "log").any() else "replication")]
    oi = oi.drop_duplicates("indicator")  # a simulated "observed" log: its first replication
    si = sim_kpi.indicators
    si = si[si["level"].astype(str) == "replication"]
    indicators = _intervals(
        oi.set_index(oi["indicator"].astype(str))["value"].astype(float),
        pd.DataFrame({"indicator": si["indicator"].astype(str),
                      "value": si["value"].astype(float)}), "indicator")
    oc = _clock_shares(obs_kpi.control_points)
    oc = oc[(oc["scenario"] == oc["scenario"].min())
            & (oc["replication"] == oc["replication"].min())]
    clocks = _intervals(oc.set_index("control_point")["value"],
                        _clock_shares(sim_kpi.control_points), "control_point")
    so, ss = stage_samples(observed), stage_samples(simulated)
    rows = []
    frames = []
    for stage in [s for s in dict.fromkeys(list(so["stage"]) + list(ss["stage"]))]:
        o = so.loc[so["stage"] == stage, "value_min"].to_numpy(float)
        s = ss.loc[ss["stage"] == stage, "value_min"].to_numpy(float)
        rows.append(_distance_row(stage, o, s))
    co = cycle_times(observed)["cycle_min"].to_numpy(float)
    cs = cycle_times(simulated)["cycle_min"].to_numpy(float)
    rows.append(_distance_row("cycle_time", co, cs))
    for side, s_, c_ in (("observed", so, co), ("simulated", ss, cs)):
        frames.append(pd.DataFrame({"side": side, "stage": s_["stage"],
                                    "value_min": s_["value_min"]}))
        frames.append(pd.DataFrame({"side": side, "stage": "cycle_time", "value_min": c_}))
    ao = arrival_rates(observed, tz=tz).table.groupby("hour_of_week")
    as_ = arrival_rates(simulated, tz=tz).table.groupby("hour_of_week")
    arrivals = pd.DataFrame({
        "hour_of_week": np.arange(168),
        "observed_per_h": (ao["count"].sum() / ao["exposure_h"].first()).reindex(range(168))
        .to_numpy(float),
        "sim_per_h": (as_["count"].sum() / as_["exposure_h"].first()).reindex(range(168))
        .to_numpy(float)})
    reasons = _not_measurable(observed)
    indicators = _mark(indicators, "indicator", reasons)
    meas = (observed.manifest or {}).get("measurability") or {}
    absent = [k for k, v in meas.items() if isinstance(v, dict) and v.get("kind") == "clock"
              and k in reasons and k not in set(clocks["control_point"].astype(str))]
    if absent:  # not measured on either side: listed with the reason, not judged
        clocks = pd.concat([clocks, pd.DataFrame({
            "control_point": absent, "observed": math.nan, "sim_mean": math.nan,
            "pi_low": math.nan, "pi_high": math.nan, "n_replications": 0,
            "inside": None})], ignore_index=True)
    clocks = _mark(clocks, "control_point", reasons)
    return Comparison(indicators=indicators, clocks=clocks, distances=pd.DataFrame(rows),
                      arrivals=arrivals, samples=pd.concat(frames, ignore_index=True))
