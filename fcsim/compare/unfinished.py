"""Tickets unfinished at the horizon (the end of the arrival window).

A model whose staff cannot keep up leaves most of its tickets open when arrivals stop, and its
KPIs then describe the few it finished. :func:`unfinished_at_horizon` counts, over every
replication of a log, the tickets received before the horizon that were not closed by it
(and those never closed at all, even after the drain). ``fcsim run`` and ``fcsim compare``
print and store it and warn above :data:`WARN_SHARE`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import tzinfo
from typing import Any

import numpy as np
import pandas as pd

from fcsim.eventlog import EventLog

__all__ = ["WARN_SHARE", "Unfinished", "horizon_of", "unfinished_at_horizon"]

#: share of unfinished tickets above which a warning is printed
WARN_SHARE = 0.05


@dataclass(frozen=True)
class Unfinished:
    """Tickets unfinished at ``horizon`` (ISO text, UTC) over all replications."""

    horizon: str
    n_tickets: int
    n_unfinished: int
    n_never_closed: int

    @property
    def share(self) -> float:
        """Unfinished share of the tickets received before the horizon (nan: none)."""
        return self.n_unfinished / self.n_tickets if self.n_tickets else math.nan

    @property
    def warn(self) -> bool:
        """True when the share exceeds :data:`WARN_SHARE`."""
        return bool(self.share > WARN_SHARE)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for a manifest or a JSON file (with the share)."""
        return {**asdict(self), "share": self.share}

    def line(self, tz: tzinfo | str | None = None) -> str:
        """One line for a terminal (the horizon in ``tz``, the site's zone, when given), with a
        warning when above :data:`WARN_SHARE`."""
        horizon = self.horizon
        if tz is not None and horizon:
            horizon = pd.Timestamp(horizon).tz_convert(tz).isoformat()
        text = (f"unfinished at the horizon {horizon}: {self.n_unfinished} of "
                f"{self.n_tickets} tickets ({100 * self.share:.1f} %), never closed "
                f"{self.n_never_closed}")
        if self.warn:
            text += (f" — warning: more than {100 * WARN_SHARE:g} % unfinished; the KPIs "
                     "describe the tickets that finished (too few staff for the load?)")
        return text


def horizon_of(log: EventLog) -> pd.Timestamp | None:
    """The end of a simulated log's arrival window (its manifest's ``window``), else None."""
    win = (log.manifest or {}).get("window")
    if isinstance(win, list | tuple) and len(win) == 2:
        return pd.Timestamp(win[1]).tz_convert("UTC")
    return None


def unfinished_at_horizon(log: EventLog, horizon: pd.Timestamp | None = None) -> Unfinished:
    """Count the tickets of ``log`` received before ``horizon`` (default :func:`horizon_of`,
    else the log's last event) and not closed by then."""
    ev = log.events
    if horizon is None:
        horizon = horizon_of(log)
    if horizon is None:
        horizon = ev["timestamp"].max() if len(ev) else pd.Timestamp(0, tz="UTC")
    assert horizon is not None
    h = pd.Timestamp(horizon)
    h = h.tz_localize("UTC") if h.tzinfo is None else h.tz_convert("UTC")
    if ev.empty:
        return Unfinished(h.isoformat(), 0, 0, 0)
    key = pd.DataFrame({
        "s": ev["scenario"].astype(object).fillna("").astype(str).to_numpy(),
        "r": ev["replication"].astype(object).fillna(-1).astype(str).to_numpy(),
        "t": ev["ticket_id"].astype(str).to_numpy()})
    ts = ev["timestamp"].to_numpy(dtype="datetime64[ns]")
    closed = (ev["activity"].astype(str) == "closed").to_numpy()
    key["first"] = ts
    key["close"] = np.where(closed, ts, np.datetime64("NaT"))
    g = key.groupby(["s", "r", "t"], sort=False).agg(first=("first", "min"),
                                                      close=("close", "max"))
    hv = np.datetime64(h.tz_convert(None).to_datetime64(), "ns")
    inside = g["first"].to_numpy() < hv
    close = g["close"].to_numpy()
    never = np.isnat(close)
    open_at = inside & (never | (close > hv))
    return Unfinished(h.isoformat(), int(inside.sum()), int(open_at.sum()),
                      int((inside & never).sum()))
