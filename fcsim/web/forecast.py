"""Breach risk on the board: the nowcast's probability next to each running clock.

With a scenario (``fcsim serve --scenario``), the board asks :func:`fcsim.nowcast.
breach_probabilities` for the open tickets — forward runs of the model from the recorder's
state — and shows each clock's probability of breaching within the horizon. A forecast takes
about a second for fifty open tickets, so it is kept for ``refresh_s`` and shared by every
page that polls in the meantime; a forecast that fails is logged and the board goes on without
risks.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fcsim.recorder import Recorder
    from fcsim.scenarios import Scenario

__all__ = ["BoardForecast", "ClockKey", "add_risks"]

_log = logging.getLogger(__name__)

#: A clock instance on the board: ticket id, control point, attempt, occurrence.
ClockKey = tuple[str, str, int, int]


@dataclass
class BoardForecast:
    """Breach probabilities of the open tickets' clocks, recomputed at most every
    ``refresh_s`` seconds (of the web clock)."""

    scenario: Scenario
    horizon_min: float = 120.0
    replications: int = 100
    refresh_s: float = 60.0
    seed: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _at: datetime | None = field(default=None, repr=False)
    _risk: dict[ClockKey, float] = field(default_factory=dict, repr=False)

    def risks(self, recorder: Recorder, now: datetime) -> dict[ClockKey, float]:
        """``p_breach`` by clock instance, as of the last forecast (made now when it is older
        than ``refresh_s``, or in the future of ``now``)."""
        with self._lock:
            if self._at is None or not 0 <= (now - self._at).total_seconds() < self.refresh_s:
                self._risk = self._forecast(recorder, now)
                self._at = now
            return self._risk

    def _forecast(self, recorder: Recorder, now: datetime) -> dict[ClockKey, float]:
        import pandas as pd

        from fcsim.nowcast import breach_probabilities

        try:
            clocks = breach_probabilities(recorder, self.scenario, pd.Timestamp(now),
                                          horizon_min=self.horizon_min,
                                          replications=self.replications, seed=self.seed)
        except Exception:  # the board must go on showing its clocks
            _log.exception("breach forecast failed; the board shows no risks")
            return {}
        return {(str(r["ticket_id"]), str(r["control_point"]), int(r["attempt"]),
                 int(r["occurrence"])): float(r["p_breach"])
                for r in clocks.to_dict("records")}


def add_risks(rows: list[dict[str, Any]], risk: dict[ClockKey, float]) -> None:
    """Put each board clock's ``p_breach`` (``None`` when not forecast) into its dict."""
    for row in rows:
        for c in row["clocks"]:
            c["p_breach"] = risk.get((str(c["ticket_id"]), str(c["control_point"]),
                                      int(c["attempt"]), int(c["occurrence"])))
