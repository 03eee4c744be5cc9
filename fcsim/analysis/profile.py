"""Hour-of-week profiles of arrivals, busy resources, utilisation and queue length per role.

Busy and waiting time come from :mod:`fcsim.analysis.timeline` (waiting includes requests
deferred to the morning: a ticket dispatched at night waits until someone signs for it).
Hours are wall-clock hours of the site's zone.
"""

from __future__ import annotations

from datetime import tzinfo

import numpy as np
import pandas as pd

from fcsim.analysis._tickets import ms_array, str_isin
from fcsim.analysis.timeline import busy_and_waiting, started_at_coverage
from fcsim.eventlog import EventLog

__all__ = ["hour_of_week_profile"]

_MONDAY_MS = 4 * 86_400_000  # 1970-01-05 00:00, the first Monday after the epoch
_HOUR_MS = 3_600_000


def _wall_ms(values: pd.Series, tz: str | tzinfo) -> np.ndarray:
    """Milliseconds of local wall-clock time in ``tz`` (as if it were UTC)."""
    if tz == "UTC":
        return ms_array(values)
    local = pd.to_datetime(values, utc=True).dt.tz_convert(tz).dt.tz_localize(None)
    return local.to_numpy(dtype="datetime64[ms]").astype(np.int64)


def _spread(lo: np.ndarray, hi: np.ndarray, h0: int, n_hours: int) -> np.ndarray:
    """Seconds of the intervals [lo, hi) (ms) falling in each absolute hour h0 … h0+n-1."""
    out = np.zeros(n_hours + 1)
    diff = np.zeros(n_hours + 2)
    keep = hi > lo
    lo, hi = lo[keep], hi[keep]
    a = lo // _HOUR_MS - h0
    b = hi // _HOUR_MS - h0
    same = a == b
    np.add.at(out, a[same], (hi[same] - lo[same]) / 1000.0)
    d = ~same
    np.add.at(out, a[d], ((a[d] + h0 + 1) * _HOUR_MS - lo[d]) / 1000.0)
    np.add.at(out, b[d], (hi[d] - (b[d] + h0) * _HOUR_MS) / 1000.0)
    np.add.at(diff, a[d] + 1, 3600.0)
    np.add.at(diff, b[d], -3600.0)
    out += np.cumsum(diff)[: n_hours + 1]
    return out[:n_hours]


def _fold(per_hour: np.ndarray, h0: int) -> np.ndarray:
    how = (np.arange(h0, h0 + per_hour.size) - _MONDAY_MS // _HOUR_MS) % 168
    return np.bincount(how, weights=per_hour, minlength=168)


def hour_of_week_profile(log: EventLog, *, tz: str | tzinfo = "UTC",
                         intervals: tuple[pd.DataFrame, pd.DataFrame] | None = None
                         ) -> pd.DataFrame:
    """Arrivals, busy resources, utilisation and queue length per role and hour of the week.

    The observation span of each (scenario, replication) runs over whole hours, from the hour of
    its first event to the end of the hour of its last event; each hour of the week is
    averaged over the time it was observed (its exposure).

    Parameters
    ----------
    log
        The event log.
    tz
        Time zone of the hours of the week (wall clock): a name or a ``tzinfo`` (e.g. the
        fixed offset of a scenario's start); default UTC.
    intervals
        The log's busy and waiting intervals when already computed
        (:func:`~fcsim.analysis.timeline_tables`).

    Returns
    -------
    DataFrame
        Long format: metric, role, hour_of_week (0 = Monday 00:00–01:00 … 167), value, with
        metrics ``arrivals`` (attempt-1 desk receipts per hour, role ``all``), ``busy`` (mean
        number of busy resources), ``utilisation`` (busy / distinct resources of the role in the
        log), ``queue`` (mean number of tickets waiting for the role,
        including requests deferred until the role is on duty: see
        :func:`~fcsim.analysis.waiting_intervals`). ``busy``, ``utilisation``
        and ``queue`` are NaN when the log has no ``started_at`` (see
        :func:`started_at_coverage`).
    """
    ev = log.events
    cols = ["metric", "role", "hour_of_week", "value"]
    if ev.empty:
        return pd.DataFrame(columns=cols)
    wall = _wall_ms(ev["timestamp"], tz)
    h0 = int(wall.min() // _HOUR_MS)
    n_hours = int(wall.max() // _HOUR_MS) - h0 + 1
    exposure = np.zeros(n_hours)
    grp = ev.assign(_w=wall).groupby(
        [ev["scenario"].astype(object).fillna(""), ev["replication"].astype("Int64").fillna(-1)],
        sort=False,
    )["_w"]
    spans = grp.agg(["min", "max"])
    # whole hours: from the hour of the first event to the end of the hour of the last
    lo_h = spans["min"].to_numpy(np.int64) // _HOUR_MS * _HOUR_MS
    hi_h = (spans["max"].to_numpy(np.int64) // _HOUR_MS + 1) * _HOUR_MS
    exposure += _spread(lo_h, hi_h, h0, n_hours)
    expo_how = _fold(exposure, h0)
    with np.errstate(invalid="ignore", divide="ignore"):
        def rate(x: np.ndarray) -> np.ndarray:
            return np.where(expo_how > 0, x / np.where(expo_how > 0, expo_how, 1.0), np.nan)

        frames = []
        r_rows = ev[(ev["attempt"] == 1).to_numpy()
                    & str_isin(ev["activity"], ["received", "relayed"])]
        key = [r_rows["scenario"].astype(object).fillna(""),
               r_rows["replication"].astype("Int64").fillna(-1), r_rows["ticket_id"].astype(str)]
        relayed = r_rows.assign(_rel=(r_rows["activity"].astype(str) == "relayed"))
        first_r = relayed.sort_values(["_rel", "timestamp"], ascending=[False, True]).groupby(
            key, sort=False).head(1)
        arr_ms = _wall_ms(first_r["timestamp"], tz)
        counts = np.zeros(n_hours)
        np.add.at(counts, arr_ms // _HOUR_MS - h0, 1.0)
        frames.append(_long("arrivals", "all", rate(_fold(counts, h0) * 3600.0)))
        known = started_at_coverage(log) > 0
        busy, waits = busy_and_waiting(log) if intervals is None else intervals
        b_role = busy["role"].to_numpy(dtype=object)
        w_role = waits["role"].to_numpy(dtype=object)
        b_lo, b_hi = _wall_ms(busy["start"], tz), _wall_ms(busy["end"], tz)
        w_lo, w_hi = _wall_ms(waits["start"], tz), _wall_ms(waits["end"], tz)
        staff = {str(r) for r in pd.unique(ev["role"].dropna())} - {"customer"}
        roles = sorted(staff | {str(r) for r in b_role} | {str(r) for r in w_role})
        for role in roles:
            bm, wm = b_role == role, w_role == role
            bs = _fold(_spread(b_lo[bm], b_hi[bm], h0, n_hours), h0)
            ws = _fold(_spread(w_lo[wm], w_hi[wm], h0, n_hours), h0)
            b = busy[bm]
            n_res = b["resource"].nunique()
            busy_v = rate(bs) if known else np.full(168, np.nan)
            frames.append(_long("busy", role, busy_v))
            frames.append(_long("utilisation", role,
                                busy_v / n_res if n_res else np.full(168, np.nan)))
            frames.append(_long("queue", role, rate(ws) if known else np.full(168, np.nan)))
    return pd.concat(frames, ignore_index=True)[cols]


def _long(metric: str, role: str, values: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {"metric": metric, "role": role, "hour_of_week": np.arange(168), "value": values}
    )
