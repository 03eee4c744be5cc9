"""The KPIs a regression check compares: one value per scenario, replication and KPI.

From a :class:`~fcsim.kpi.KpiResult` (the one KPI engine, ``KPI.md``):

* ``indicator.<id>`` — each control indicator's replication value (a fraction);
* ``clock.<name>.met_rate`` — met instances among the decided ones (met, breached, missing)
  of each control point;
* ``clock.<name>.mean_s`` — the mean duration (seconds) of the instances with both moments.

A KPI undefined in a replication (denominator 0, no instance) is absent from that
replication's rows, never zero.
"""

from __future__ import annotations

import pandas as pd

from fcsim.kpi import KpiResult

__all__ = ["KPI_COLUMNS", "replication_kpis"]

#: Columns of :func:`replication_kpis`.
KPI_COLUMNS: tuple[str, ...] = ("scenario", "replication", "kpi", "value")

_DECIDED = ("met", "breached", "missing")


def _indicator_rows(ind: pd.DataFrame) -> pd.DataFrame:
    rows = ind[ind["level"] == "replication"]
    out = pd.DataFrame({
        "scenario": rows["scenario"].astype(str).to_numpy(),
        "replication": rows["replication"].astype("int64").to_numpy(),
        "kpi": ("indicator." + rows["indicator"].astype(str)).to_numpy(),
        "value": pd.to_numeric(rows["value"], errors="coerce").astype(float).to_numpy(),
    })
    return out


def _clock_rows(cp: pd.DataFrame) -> pd.DataFrame:
    if cp.empty:
        return pd.DataFrame(columns=list(KPI_COLUMNS))
    df = pd.DataFrame({
        "scenario": cp["scenario"].astype(str).to_numpy(),
        "replication": cp["replication"].astype("int64").to_numpy(),
        "clock": cp["control_point"].astype(str).to_numpy(),
        "decided": cp["status"].astype(str).isin(_DECIDED).to_numpy(),
        "met": (cp["status"].astype(str) == "met").to_numpy(),
        "duration_s": pd.to_numeric(cp["duration_s"], errors="coerce").astype(float).to_numpy(),
    })
    keys = ["scenario", "replication", "clock"]
    g = df.groupby(keys, sort=True)
    decided = g["decided"].sum()
    met = g["met"].sum()
    rate = (met / decided.where(decided > 0)).rename("value").reset_index()
    rate["kpi"] = "clock." + rate["clock"] + ".met_rate"
    mean = g["duration_s"].mean().rename("value").reset_index()
    mean["kpi"] = "clock." + mean["clock"] + ".mean_s"
    return pd.concat([rate, mean], ignore_index=True)[list(KPI_COLUMNS)]


def replication_kpis(kpi: KpiResult) -> pd.DataFrame:
    """One row per (scenario, replication, KPI) with a defined value.

    Parameters
    ----------
    kpi
        The KPI tables of a simulated experiment (replication rows are read).

    Returns
    -------
    DataFrame
        Columns ``scenario``, ``replication``, ``kpi``, ``value`` (float, never NaN), sorted
        by scenario, KPI and replication.
    """
    out = pd.concat([_indicator_rows(kpi.indicators), _clock_rows(kpi.control_points)],
                    ignore_index=True)
    out["value"] = out["value"].astype(float)
    out = out[out["value"].notna()]
    return out.sort_values(["scenario", "kpi", "replication"], kind="stable").reset_index(
        drop=True)
