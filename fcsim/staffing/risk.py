"""The weekly risk view of the "= 100 %" targets, which random arrivals never guarantee.

For each 100 % target (timeliness, pass rate, callback rate, and optionally single control
points) over simulated weeks (one replication = one week):

* P(the week meets the target) — weeks with numerator = denominator > 0 among weeks with a
  denominator > 0 — with Wilson and Clopper–Pearson intervals;
* the expected number of breaches per week (denominator − numerator; for a control point, its
  breached + missing instances) with a Student t interval floored at 0;
* P(zero-breach week) with a Clopper–Pearson interval (a week without tickets has no breach);
* :func:`min_staffing_for_zero_breach` — the cheapest roster whose P(zero-breach week) is at
  least ``probability`` with confidence ``confidence`` (the roster search with a binary
  criterion).

:func:`replication_metrics` turns a :class:`~fcsim.kpi.KpiResult` into one row per
(scenario, replication) with every value the searches and the risk view read.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from fcsim.kpi import KpiResult, count_interval, wilson_interval
from fcsim.model.indicators import INDICATORS
from fcsim.staffing.roster import (
    Config,
    Criterion,
    Evaluator,
    SearchResult,
    sequential_search,
)

__all__ = [
    "HUNDRED_PERCENT",
    "clopper_pearson",
    "min_staffing_for_zero_breach",
    "replication_metrics",
    "weekly_risk",
]

#: The indicators whose target is "= 100 %".
HUNDRED_PERCENT: tuple[str, ...] = tuple(k for k, s in INDICATORS.items()
                                         if s.target.kind == "all")


def clopper_pearson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Two-sided Clopper–Pearson interval for ``k`` successes in ``n`` (NaN for ``n = 0``)."""
    if n <= 0:
        return math.nan, math.nan
    a = (1.0 - level) / 2.0
    low = 0.0 if k == 0 else float(stats.beta.ppf(a, k, n - k + 1))
    high = 1.0 if k == n else float(stats.beta.ppf(1.0 - a, k + 1, n - k))
    return low, high


def replication_metrics(kpi: KpiResult) -> pd.DataFrame:
    """One row per (scenario, replication) from a KPI result.

    Columns: ``scenario``, ``replication``; per indicator ``<id>`` (value), ``n.<id>``
    (denominator), ``breaches.<id>`` (denominator − numerator), ``met.<id>`` (1/0, NaN with
    an empty denominator), ``zero_breach.<id>`` (1/0); per control point ``clock.<cp>`` (met
    share of decided instances; censored ones left out), ``clock_n.<cp>`` (decided
    instances), ``clock_breaches.<cp>`` (breached + missing), ``clock_zero_breach.<cp>``.
    """
    ind = kpi.indicators
    ind = ind[ind["level"].isin(["replication", "log"])].copy()
    ind["replication"] = ind["replication"].fillna(-1)
    key = ["scenario", "replication"]
    ind["scenario"] = ind["scenario"].astype(object).fillna("")
    num = ind["numerator"].astype(float)
    den = ind["denominator"].astype(float)
    ind["breaches"] = den - num
    ind["met_f"] = np.where(den > 0, ind["met"].astype("boolean").fillna(False).astype(float),
                            np.nan)
    ind["zero"] = (ind["breaches"] == 0).astype(float)
    ind["value_f"] = ind["value"].astype(float)
    wide = []
    ind["den_f"] = den
    for col, prefix in (("value_f", ""), ("den_f", "n."), ("breaches", "breaches."),
                        ("met_f", "met."), ("zero", "zero_breach.")):
        w = ind.pivot_table(index=key, columns="indicator", values=col, aggfunc="first",
                            dropna=False, observed=True)
        w.columns = [f"{prefix}{c}" for c in w.columns]
        wide.append(w)
    out = pd.concat(wide, axis=1)
    cp = kpi.control_points
    if len(cp):
        c = cp.copy()
        c["scenario"] = c["scenario"].astype(object).fillna("")
        c["replication"] = c["replication"].fillna(-1)
        status = c["status"].astype(str)
        c["met"] = (status == "met").astype(float)
        c["bad"] = status.isin(["breached", "missing"]).astype(float)
        g = c.groupby([*key, "control_point"], observed=True)[["met", "bad"]].sum()
        share = g["met"] / (g["met"] + g["bad"])
        share = share.where(g["met"] + g["bad"] > 0)
        for s, prefix in ((share, "clock."), (g["met"] + g["bad"], "clock_n."),
                          (g["bad"], "clock_breaches."),
                          ((g["bad"] == 0).astype(float), "clock_zero_breach.")):
            w = s.unstack("control_point")
            w.columns = [f"{prefix}{x}" for x in w.columns]
            out = out.join(w, how="left")
        for col in out.columns:
            if col.startswith(("clock_breaches.", "clock_n.")):
                out[col] = out[col].fillna(0.0)
            elif col.startswith("clock_zero_breach."):
                out[col] = out[col].fillna(1.0)
    out = out.reset_index()
    out["replication"] = out["replication"].astype(int)
    return out


def weekly_risk(
    metrics: pd.DataFrame,
    *,
    targets: Sequence[str] = HUNDRED_PERCENT,
    clocks: Sequence[str] = (),
    level: float = 0.95,
) -> pd.DataFrame:
    """The risk view: one row per scenario × target (indicator or ``clock:<cp>``).

    Parameters
    ----------
    metrics
        From :func:`replication_metrics`, one row per simulated week.
    targets
        Indicator ids with a "= 100 %" target.
    clocks
        Control points whose every instance should be met.
    level
        Two-sided level of every interval.

    Returns
    -------
    DataFrame
        ``scenario``, ``target``, ``weeks``, ``weeks_with_tickets``, ``weeks_met``,
        ``p_meet``, ``p_meet_wilson_low``/``high``, ``p_meet_cp_low``/``high``,
        ``breaches_mean``, ``breaches_low``/``high`` (t), ``p_zero_breach``,
        ``p_zero_breach_cp_low``/``high``.
    """
    if metrics.empty:
        raise ValueError("weekly_risk needs at least one week")
    z = float(stats.norm.ppf(0.5 + level / 2.0))
    rows = []
    for scen, m in metrics.groupby("scenario", sort=False):
        items: list[tuple[str, str | None, str, str]] = [
            (t, f"met.{t}", f"breaches.{t}", f"zero_breach.{t}") for t in targets]
        items += [(f"clock:{c}", None, f"clock_breaches.{c}", f"clock_zero_breach.{c}")
                  for c in clocks]
        for name, met_col, br_col, zero_col in items:
            if br_col not in m:
                raise KeyError(f"metrics have no column {br_col!r}")
            breaches = m[br_col].astype(float).to_numpy()
            if met_col is not None:
                met = m[met_col].astype(float).to_numpy()
                with_t = met[~np.isnan(met)]
            else:
                with_t = (breaches == 0).astype(float)
            n, k = int(with_t.size), int(with_t.sum())
            wl, wh = wilson_interval(np.array([k]), np.array([n]), z=z)
            cl, ch = clopper_pearson(k, n, level)
            zero = m[zero_col].astype(float).to_numpy()
            zk = int(np.nansum(zero))
            zl, zh = clopper_pearson(zk, int(zero.size), level)
            mean, lo, hi = count_interval(breaches, level)
            rows.append({
                "scenario": scen, "target": name, "weeks": len(m),
                "weeks_with_tickets": n, "weeks_met": k,
                "p_meet": k / n if n else math.nan,
                "p_meet_wilson_low": float(wl[0]), "p_meet_wilson_high": float(wh[0]),
                "p_meet_cp_low": cl, "p_meet_cp_high": ch,
                "breaches_mean": mean, "breaches_low": lo, "breaches_high": hi,
                "p_zero_breach": zk / zero.size if zero.size else math.nan,
                "p_zero_breach_cp_low": zl, "p_zero_breach_cp_high": zh,
            })
    return pd.DataFrame(rows)


def min_staffing_for_zero_breach(
    configs: Sequence[Config],
    cost: Callable[[Config], float],
    evaluate: Evaluator,
    *,
    zero_breach_kpi: str,
    probability: float,
    confidence: float = 0.95,
    replications: int = 20,
    start: Config | None = None,
    is_valid: Callable[[Config], bool] | None = None,
) -> SearchResult:
    """The cheapest roster with P(zero-breach week) >= ``probability`` at ``confidence``.

    ``zero_breach_kpi`` names the evaluator's 0/1 value (e.g. ``"zero_breach.timeliness"``);
    the Clopper–Pearson lower bound from ``replications`` weeks must reach ``probability``.
    With ``R`` weeks all breach-free the bound is ``(1 - confidence)^(1/R)``, so the
    probability that can be shown is limited by the number of weeks.
    """
    if not 0 < probability < 1:
        raise ValueError(f"probability must lie in (0, 1), got {probability!r}")
    crit = Criterion(zero_breach_kpi, probability, confidence=confidence, binary=True)
    return sequential_search(configs, cost, evaluate, [crit], replications, start=start,
                             is_valid=is_valid)
