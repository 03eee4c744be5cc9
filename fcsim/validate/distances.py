"""Log distances of the business-process-simulation literature, own implementations.

* :func:`stage_distances` — per stage duration and for the cycle time: two-sample
  Kolmogorov–Smirnov statistic and Wasserstein distance (minutes), simulated replications
  pooled;
* :func:`absolute_hour_distance` — the Wasserstein distance (hours) between the arrival
  instants, binned to absolute hours since the window start, observed against simulated
  (the "absolute event distribution" distance of Chapela-Campa et al. 2023, on arrivals);
* :func:`ngram_distance` — the activity n-gram distance (n = 2 by default): half the L1
  distance between the observed and simulated relative frequencies of the n-grams of each
  ticket's activity sequence (0 = identical control flow, 1 = disjoint);
* :func:`kendall_taus` — Kendall τ between the durations of adjacent stages of a pass,
  observed with a seeded bootstrap 95 % interval against the simulated τ.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter

import numpy as np
import pandas as pd
from scipy import stats

from fcsim.calibrate.arrivals import arrival_times
from fcsim.calibrate.passes import STAGES, cycle_times, stage_samples
from fcsim.eventlog import EventLog

__all__ = ["absolute_hour_distance", "kendall_taus", "ngram_distance", "stage_distances"]


def _row(name: str, o: np.ndarray, s: np.ndarray) -> dict[str, object]:
    row: dict[str, object] = {"measure": name, "kind": "duration", "n_observed": len(o),
                              "n_simulated": len(s), "ks": math.nan, "wasserstein": math.nan,
                              "unit": "min", "observed": math.nan, "simulated": math.nan,
                              "ci_low": math.nan, "ci_high": math.nan, "inside": None}
    if len(o) and len(s):
        row["ks"] = float(stats.ks_2samp(o, s).statistic)
        row["wasserstein"] = float(stats.wasserstein_distance(o, s))
    return row


def stage_distances(observed: EventLog, simulated: EventLog) -> list[dict[str, object]]:
    """KS and Wasserstein per stage and for the cycle time (rows of ``distances.csv``)."""
    so, ss = stage_samples(observed), stage_samples(simulated)
    rows = []
    for st in dict.fromkeys([*so["stage"], *ss["stage"]]):
        rows.append(_row(str(st), so.loc[so["stage"] == st, "value_min"].to_numpy(float),
                         ss.loc[ss["stage"] == st, "value_min"].to_numpy(float)))
    rows.append(_row("cycle_time", cycle_times(observed)["cycle_min"].to_numpy(float),
                     cycle_times(simulated)["cycle_min"].to_numpy(float)))
    return rows


def absolute_hour_distance(observed: EventLog, simulated: EventLog,
                           start: pd.Timestamp) -> float:
    """Wasserstein distance (hours) between observed and simulated arrivals binned to whole
    hours since ``start``; nan when either side has none."""
    t0 = pd.Timestamp(start).tz_convert("UTC")
    o = arrival_times(observed)["received"]
    s = arrival_times(simulated)["received"]
    if not len(o) or not len(s):
        return math.nan
    ho = np.floor((o - t0).dt.total_seconds().to_numpy(float) / 3600.0)
    hs = np.floor((s - t0).dt.total_seconds().to_numpy(float) / 3600.0)
    return float(stats.wasserstein_distance(ho, hs))


def _ngrams(log: EventLog, n: int) -> Counter[tuple[str, ...]]:
    ev = log.events
    key = (ev["scenario"].astype(object).fillna("").astype(str) + "|"
           + ev["replication"].astype(object).fillna(-1).astype(str) + "|"
           + ev["ticket_id"].astype(str))
    acts = ev["activity"].astype(str).to_numpy()
    out: Counter[tuple[str, ...]] = Counter()
    for idx in key.groupby(key, sort=False).indices.values():
        seq = ("^", *acts[np.sort(idx)], "$")
        out.update(tuple(seq[k:k + n]) for k in range(len(seq) - n + 1))
    return out


def ngram_distance(observed: EventLog, simulated: EventLog, n: int = 2) -> float:
    """Half the L1 distance between the relative n-gram frequencies (see the module)."""
    a, b = _ngrams(observed, n), _ngrams(simulated, n)
    ta, tb = sum(a.values()), sum(b.values())
    if not ta or not tb:
        return math.nan
    # summed in sorted order: a set's order follows the process's string hashing, and a
    # float sum in another order may differ in its last bit
    return 0.5 * sum(abs(a[k] / ta - b[k] / tb) for k in sorted(set(a) | set(b)))


def _pairs(log: EventLog) -> pd.DataFrame:
    s = stage_samples(log)
    if s.empty:
        return pd.DataFrame()
    s = s.assign(_k=s["ticket_id"].astype(str) + "|" + s["attempt"].astype(str))
    return s.pivot_table(index="_k", columns="stage", values="value_min", aggfunc="first")


def kendall_taus(observed: EventLog, simulated: EventLog, *, min_n: int = 30,
                 boot: int = 200, seed: int = 0) -> list[dict[str, object]]:
    """Kendall τ of each pair of adjacent stages (in procedure order) that both logs have
    with at least ``min_n`` joint values; observed with a bootstrap 95 % interval."""
    po, ps = _pairs(observed), _pairs(simulated)
    order = [s for s in STAGES if s in po.columns and s in ps.columns]
    rng = np.random.default_rng(seed)
    rows: list[dict[str, object]] = []
    for a, b in itertools.pairwise(order):
        jo = po[[a, b]].dropna().to_numpy(float)
        js = ps[[a, b]].dropna().to_numpy(float)
        if len(jo) < min_n or len(js) < min_n:
            continue
        tau_o = float(stats.kendalltau(jo[:, 0], jo[:, 1]).statistic)
        tau_s = float(stats.kendalltau(js[:, 0], js[:, 1]).statistic)
        if not np.isfinite(tau_o):  # a constant stage: no rank correlation
            continue
        bs = []
        for _ in range(boot):
            k = rng.integers(0, len(jo), len(jo))
            bs.append(stats.kendalltau(jo[k, 0], jo[k, 1]).statistic)
        lo, hi = (float(x) for x in np.nanpercentile(np.asarray(bs, float), [2.5, 97.5]))
        inside = bool(lo <= tau_s <= hi) if np.isfinite([lo, hi, tau_s]).all() else None
        rows.append({"measure": f"kendall_tau:{a}->{b}", "kind": "dependence",
                     "n_observed": len(jo), "n_simulated": len(js), "ks": math.nan,
                     "wasserstein": math.nan, "unit": "tau", "observed": tau_o,
                     "simulated": tau_s, "ci_low": lo, "ci_high": hi, "inside": inside})
    return rows
