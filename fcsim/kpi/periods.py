"""The weekly / monthly table (信息三率統計表; ``KPI.md`` § Indicators, ``periods.csv``).

Each population ticket is placed in the ISO week (Monday 00:00 to the next Monday 00:00) or
calendar month of its attempt-1 desk receipt R, both taken in the **site's time zone** (its
scenario's zone, :mod:`fcsim.kpi.zones`; UTC when none is known). Periods are local calendar
periods, so a Europe/Amsterdam week across a daylight-saving change lasts 167 or 169 hours,
and a +08:00 site's tickets received between 00:00 and 08:00 local time on the 1st belong to
that month. ``period_start`` / ``period_end`` carry the local offset. A ticket is placed by R
(``by="receipt"``) or by its first ``closed`` (``by="closing"``, for logs extracted by closing
date; tickets not closed by ``as_of`` then fall in no period).
Per scenario × replication × period × indicator: numerator and denominator are sums of the
per-ticket flags of :mod:`fcsim.kpi.flags`, value = numerator / denominator (empty when the
denominator is 0). ``partial`` is true when the period is not wholly inside
[window start, ``as_of``]; without a window start, the earliest attempt-1 R of the population
stands for it. Only periods holding at least one ticket appear.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, timedelta, tzinfo
from typing import Literal

import numpy as np
import pandas as pd

from fcsim.kpi.prepare import NAT, Prepared, str_column, to_ms
from fcsim.model.indicators import INDICATOR_IDS
from fcsim.model.timezone import tz_name

__all__ = ["PERIOD_COLUMNS", "period_bounds", "period_table"]

PERIOD_COLUMNS = [
    "scenario", "replication", "period_start", "period_end", "partial", "indicator", "value",
    "numerator", "denominator",
]
_DAY_MS = 86_400_000


def _naive_bounds(ms: np.ndarray, period: Literal["week", "month"]) -> tuple[np.ndarray,
                                                                               np.ndarray]:
    """Start and end of the week / month holding each wall-clock instant (ms, no zone)."""
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


def _fixed_offset_ms(tz: tzinfo) -> int | None:
    """The offset of a zone without transitions (UTC, ``+08:00``), else ``None``."""
    if getattr(tz, "key", None) is not None:  # an IANA zone: may have transitions
        return None
    off = tz.utcoffset(None)
    return None if off is None else int(off / timedelta(milliseconds=1))


def _local_to_utc(naive_ms: np.ndarray, tz: tzinfo) -> np.ndarray:
    """UTC ms of local wall-clock instants; a midnight that occurs twice (a DST fall-back at
    00:00) is its first occurrence, one that does not exist (spring-forward at 00:00) the
    first instant after the gap."""
    uniq, inv = np.unique(naive_ms, return_inverse=True)
    idx = pd.DatetimeIndex(uniq.view("datetime64[ms]"))
    aware = idx.tz_localize(tz, ambiguous=np.ones(uniq.size, dtype=bool),
                            nonexistent="shift_forward")
    utc = aware.tz_convert("UTC").as_unit("ms").asi8
    return utc[inv.reshape(-1)]


def period_bounds(ms: np.ndarray, period: Literal["week", "month"],
                  tz: tzinfo = UTC) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (UTC ms) of the local ISO week or calendar month holding each instant.

    Parameters
    ----------
    ms
        Instants, integer milliseconds since the epoch (UTC).
    period
        ``"week"`` (Monday 00:00 local) or ``"month"`` (the 1st, 00:00 local).
    tz
        The site's zone; with daylight saving time a week may last 167 or 169 hours.
    """
    ms = np.asarray(ms, dtype=np.int64)
    fixed = _fixed_offset_ms(tz)
    if fixed is not None:
        start, end = _naive_bounds(ms + fixed, period)
        return start - fixed, end - fixed
    local = (pd.DatetimeIndex(ms.view("datetime64[ms]"), tz="UTC").tz_convert(tz)
             .tz_localize(None).as_unit("ms").asi8)
    start, end = _naive_bounds(local, period)
    return _local_to_utc(start, tz), _local_to_utc(end, tz)


def _zone_column(ms: np.ndarray, zones: list[tzinfo], default: tzinfo) -> pd.Series:
    """Instants shown in their rows' zones (one zone: a zoned column; several: Timestamps)."""
    utc = pd.Series(ms.view("datetime64[ms]")).dt.tz_localize("UTC")
    distinct = {tz_name(z): z for z in zones}
    if len(distinct) <= 1:
        return utc.dt.tz_convert(next(iter(distinct.values()), default))
    return pd.Series([t.tz_convert(z) for t, z in zip(utc, zones, strict=True)], dtype=object)


def period_table(
    p: Prepared,
    flags: pd.DataFrame,
    *,
    period: Literal["week", "month"] = "week",
    by: Literal["receipt", "closing"] = "receipt",
    window_start: pd.Timestamp | None = None,
    tz: tzinfo | Mapping[str | None, tzinfo] = UTC,
) -> pd.DataFrame:
    """The periods table from :func:`~fcsim.kpi.flags.ticket_indicator_flags`.

    ``tz`` is the site's zone: one for every scenario or a mapping by scenario name (a
    scenario missing from it is read in UTC).
    """
    if by not in ("receipt", "closing"):
        raise ValueError(f"by must be 'receipt' or 'closing', got {by!r}")
    if period not in ("week", "month"):
        raise ValueError(f"period must be 'week' or 'month', got {period!r}")
    tid = flags["tid"].to_numpy()
    when = (p.r1_ms if by == "receipt" else p.closed_ms)[tid]
    has = when != NAT
    tid, when = tid[has], when[has]
    fl = flags[has].reset_index(drop=True)
    tk = p.tickets
    sc = tk["scenario"]
    if isinstance(sc.dtype, pd.CategoricalDtype):
        sc_all, sc_names = sc.cat.codes.to_numpy(), [str(c) for c in sc.cat.categories]
    else:
        codes, uniq = pd.factorize(sc)
        sc_all, sc_names = codes, [str(c) for c in uniq]
    sc_code = sc_all.astype(np.int64)[tid]
    zone_of: list[tzinfo] = [
        (tz.get(None if c < 0 else sc_names[c], UTC) if isinstance(tz, Mapping) else tz)
        for c in range(-1, len(sc_names))]
    start = np.empty(when.size, dtype=np.int64)
    end = np.empty(when.size, dtype=np.int64)
    for code in np.unique(sc_code).tolist():  # one pass per scenario (few), not per ticket
        sel = sc_code == code
        start[sel], end[sel] = period_bounds(when[sel], period, zone_of[code + 1])
    rep = tk["replication"].fillna(-1).to_numpy(dtype=np.int64)[tid]
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
    zones = [zone_of[c + 1] for c in sc_all.astype(np.int64)[t].tolist()]
    default = next(iter(tz.values()), UTC) if isinstance(tz, Mapping) else tz
    return pd.DataFrame({
        "scenario": tk["scenario"].take(t).reset_index(drop=True),
        "replication": tk["replication"].take(t).reset_index(drop=True).astype("Int32"),
        "period_start": _zone_column(out["start"].to_numpy(dtype=np.int64), zones, default),
        "period_end": _zone_column(out["end"].to_numpy(dtype=np.int64), zones, default),
        "partial": pd.array(out["partial"].to_numpy(), dtype="boolean"),
        "indicator": str_column(out["indicator"].to_numpy(dtype=object)),
        "value": pd.array(out["value"].to_numpy(dtype=float), dtype="Float64"),
        "numerator": pd.array(out["numerator"].to_numpy(), dtype="Int64"),
        "denominator": pd.array(out["denominator"].to_numpy(), dtype="Int64"),
    })
