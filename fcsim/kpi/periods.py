"""The weekly / monthly table (信息三率統計表; ``KPI.md`` § Indicators, ``periods.csv``).

Each population ticket is placed in the ISO week (Monday 00:00 UTC) or calendar month (UTC) of
its attempt-1 desk receipt R (``by="receipt"``) or of its first ``closed`` (``by="closing"``,
for logs extracted by closing date; tickets not closed by ``as_of`` then fall in no period).
Per scenario × replication × period × indicator: numerator and denominator are sums of the
per-ticket flags of :mod:`fcsim.kpi.flags`, value = numerator / denominator (empty when the
denominator is 0). ``partial`` is true when the period is not wholly inside
[window start, ``as_of``]; without a window start, the earliest attempt-1 R of the population
stands for it. Only periods holding at least one ticket appear.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from fcsim.kpi.prepare import NAT, Prepared, str_column, to_ms
from fcsim.model.indicators import INDICATOR_IDS

__all__ = ["PERIOD_COLUMNS", "period_bounds", "period_table"]

PERIOD_COLUMNS = [
    "scenario", "replication", "period_start", "period_end", "partial", "indicator", "value",
    "numerator", "denominator",
]
_DAY_MS = 86_400_000


def period_bounds(ms: np.ndarray, period: Literal["week", "month"]) -> tuple[np.ndarray,
                                                                              np.ndarray]:
    """Start and end (ms, UTC) of the ISO week or calendar month holding each instant."""
    if period == "week":
        day = np.floor_divide(ms, _DAY_MS)
        monday = day - (day + 3) % 7  # 1970-01-01 was a Thursday
        return monday * _DAY_MS, (monday + 7) * _DAY_MS
    if period == "month":
        m = ms.view("datetime64[ms]").astype("datetime64[M]")
        start = m.astype("datetime64[ms]").view("int64")
        end = (m + 1).astype("datetime64[ms]").view("int64")
        return start, end
    raise ValueError(f"period must be 'week' or 'month', got {period!r}")


def period_table(
    p: Prepared,
    flags: pd.DataFrame,
    *,
    period: Literal["week", "month"] = "week",
    by: Literal["receipt", "closing"] = "receipt",
    window_start: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """The periods table from :func:`~fcsim.kpi.flags.ticket_indicator_flags`."""
    if by not in ("receipt", "closing"):
        raise ValueError(f"by must be 'receipt' or 'closing', got {by!r}")
    tid = flags["tid"].to_numpy()
    when = (p.r1_ms if by == "receipt" else p.closed_ms)[tid]
    has = when != NAT
    tid, when = tid[has], when[has]
    fl = flags[has].reset_index(drop=True)
    start, end = period_bounds(when, period)
    tk = p.tickets
    rep = tk["replication"].fillna(-1).to_numpy(dtype=np.int64)[tid]
    sc = tk["scenario"]
    sc_code = (sc.cat.codes.to_numpy() if isinstance(sc.dtype, pd.CategoricalDtype)
               else pd.factorize(sc)[0]).astype(np.int64)[tid]
    frame = pd.DataFrame({"sc": sc_code, "rep": rep, "start": start, "end": end})
    for ind in INDICATOR_IDS:
        frame[f"{ind}_num"] = fl[f"{ind}_num"].to_numpy(dtype=np.int64)
        frame[f"{ind}_den"] = fl[f"{ind}_den"].to_numpy(dtype=np.int64)
    frame["first_tid"] = tid
    agg = frame.groupby(["sc", "rep", "start", "end"], sort=True).agg(
        {**{c: "sum" for c in frame.columns if c.endswith(("_num", "_den"))},
         "first_tid": "first"}).reset_index()
    ws = to_ms(window_start) if window_start is not None else (
        int(p.r1_ms[p.in_pop].min()) if p.in_pop.any() else p.as_of_ms)
    partial = (agg["start"].to_numpy() < ws) | (agg["end"].to_numpy() > p.as_of_ms)
    ft = agg["first_tid"].to_numpy()
    n = len(agg)
    parts = []
    for ind in INDICATOR_IDS:
        num = agg[f"{ind}_num"].to_numpy()
        den = agg[f"{ind}_den"].to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            value = np.where(den > 0, num / np.maximum(den, 1), np.nan)
        parts.append(pd.DataFrame({
            "_row": np.arange(n), "_i": INDICATOR_IDS.index(ind), "tid": ft,
            "start": agg["start"].to_numpy(), "end": agg["end"].to_numpy(),
            "partial": partial, "indicator": ind, "value": value,
            "numerator": num, "denominator": den,
        }))
    out = pd.concat(parts, ignore_index=True).sort_values(["_row", "_i"], kind="stable")
    t = out["tid"].to_numpy()
    return pd.DataFrame({
        "scenario": tk["scenario"].take(t).reset_index(drop=True),
        "replication": tk["replication"].take(t).reset_index(drop=True).astype("Int32"),
        "period_start": pd.Series(out["start"].to_numpy().view("datetime64[ms]"))
        .dt.tz_localize("UTC"),
        "period_end": pd.Series(out["end"].to_numpy().view("datetime64[ms]"))
        .dt.tz_localize("UTC"),
        "partial": pd.array(out["partial"].to_numpy(), dtype="boolean"),
        "indicator": str_column(out["indicator"].to_numpy(dtype=object)),
        "value": pd.array(out["value"].to_numpy(dtype=float), dtype="Float64"),
        "numerator": pd.array(out["numerator"].to_numpy(), dtype="Int64"),
        "denominator": pd.array(out["denominator"].to_numpy(), dtype="Int64"),
    })
