"""How many replications a requested confidence-interval half-width needs.

The rule (Law, *Simulation Modeling and Analysis*, § 9.4.1): from a pilot of ``n0`` replications
with sample standard deviation ``s``, the total number needed is the smallest ``n >= 2`` with

    t_{1 - alpha/2, n - 1} * s / sqrt(n) <= half_width,

the half-width a Student t interval of ``n`` replications would have if ``s`` held. A result
at most ``n0`` means the pilot already suffices.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["replications_for_half_width", "replications_table"]


def replications_for_half_width(
    pilot_values: Sequence[float] | np.ndarray,
    half_width: float,
    confidence: float = 0.95,
    *,
    max_replications: int = 100_000,
) -> int:
    """Total replications whose t interval would have at most ``half_width``.

    Parameters
    ----------
    pilot_values
        One value per pilot replication (at least two finite values; NaNs are dropped).
    half_width
        The requested half-width, in the values' units (> 0).
    confidence
        Two-sided confidence level, in (0, 1).
    max_replications
        Give up above this (a :class:`ValueError` says how many would be needed roughly).

    Returns
    -------
    int
        The smallest ``n >= 2`` meeting the rule (including the pilot's replications).
    """
    v = np.asarray(pilot_values, dtype=float)
    v = v[~np.isnan(v)]
    if v.size < 2:
        raise ValueError(f"need at least two pilot values (finite), got {v.size}")
    if not np.isfinite(v).all():
        raise ValueError("pilot values must be finite")
    if not half_width > 0:
        raise ValueError(f"half_width must be > 0, got {half_width}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    s = float(v.std(ddof=1))
    if s == 0:
        return 2
    q = 0.5 + confidence / 2
    z = float(stats.norm.ppf(q))
    n = max(2, math.ceil((z * s / half_width) ** 2))  # the normal answer is a lower bound
    n = min(n, max_replications)
    while n > 2 and float(stats.t.ppf(q, n - 2)) * s / math.sqrt(n - 1) <= half_width:
        n -= 1
    while float(stats.t.ppf(q, n - 1)) * s / math.sqrt(n) > half_width:
        n += 1
        if n > max_replications:
            raise ValueError(f"more than {max_replications} replications needed "
                             f"(about {math.ceil((z * s / half_width) ** 2)})")
    return n


def replications_table(
    indicators: pd.DataFrame, half_width: float, confidence: float = 0.95
) -> pd.DataFrame:
    """Replications needed per scenario and indicator, from replication-level indicator rows.

    Parameters
    ----------
    indicators
        An ``indicators`` table (``fcsim.kpi``) with ``level == "replication"`` rows.
    half_width
        The requested half-width on the fraction scale (e.g. ``0.01`` = one percentage point).
    confidence
        Two-sided confidence level.

    Returns
    -------
    pandas.DataFrame
        Columns ``scenario``, ``indicator``, ``pilot`` (replications with a value), ``sd``,
        ``replications`` (``<NA>`` where fewer than two pilot values exist).
    """
    reps = indicators[indicators["level"] == "replication"]
    rows = []
    for (scen, ind), grp in reps.groupby(["scenario", "indicator"], sort=True, observed=True):
        vals = pd.to_numeric(grp["value"], errors="coerce").astype(float).dropna().to_numpy()
        need: int | None = None
        if vals.size >= 2:
            need = replications_for_half_width(vals, half_width, confidence)
        rows.append({"scenario": scen, "indicator": ind, "pilot": int(vals.size),
                     "sd": float(vals.std(ddof=1)) if vals.size >= 2 else float("nan"),
                     "replications": need})
    out = pd.DataFrame(rows, columns=["scenario", "indicator", "pilot", "sd", "replications"])
    out["replications"] = out["replications"].astype("Int64")
    return out
