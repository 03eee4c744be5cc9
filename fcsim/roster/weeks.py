"""Simulated weeks of a roster and where their breaches fall.

:func:`simulate_weeks` runs replications ``reps`` of a scenario for one week each (replication
*i* uses the same random numbers under every roster: common random numbers), keeps the raw
records (more weeks can be added) and evaluates them with the KPI engine.
:func:`breaches` lists every breached or missing clock instance with the staff group that owns
its clock (:func:`clock_owner`), the ticket's category, whether it is an emergency, and the
local hour of the week its clock started.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from fcsim.eventlog import EventLog
from fcsim.kpi import KpiResult, evaluate
from fcsim.model.activities import Role
from fcsim.scenarios import Scenario
from fcsim.sim.run import simulate_record
from fcsim.sim.sink import RunRecord, build_frames
from fcsim.staffing.risk import replication_metrics

__all__ = ["CLOCK_ROLE", "Weeks", "breach_counts", "breaches", "clock_owner", "simulate_weeks"]

#: The role whose staff a clock waits for.
CLOCK_ROLE: dict[str, str] = {
    "record": Role.DESK, "dispatch": Role.DESK, "emergency_report": Role.DESK,
    "callback": Role.DESK, "on_site": Role.TECHNICIAN, "plan": Role.TECHNICIAN,
    "appointment_call": Role.TECHNICIAN, "appointment_sign": Role.TECHNICIAN,
    "appointment_arrival": Role.TECHNICIAN, "escalate": Role.SUPERVISOR,
}


def clock_owner(scenario: Scenario, clock: str, department: str | None) -> str | None:
    """The staff group a clock of a ticket of ``department`` waits for (None: no such group)."""
    role = CLOCK_ROLE.get(clock)
    for name, g in scenario.staff.items():
        if g.role != role:
            continue
        if role == Role.TECHNICIAN and g.department != department:
            continue
        return name
    return None


@dataclass
class Weeks:
    """Simulated weeks of one scenario (records kept; tables built on demand)."""

    scenario: Scenario
    seed: int
    records: list[RunRecord] = field(default_factory=list)
    _kpi: KpiResult | None = None
    _log: EventLog | None = None

    @property
    def count(self) -> int:
        return len(self.records)

    def log(self) -> EventLog:
        if self._log is None:
            events, tickets = build_frames(self.records)
            self._log = EventLog(events, tickets, {"scenario": self.scenario.name,
                                                   **self.scenario.manifest_bounds()})
        return self._log

    def kpi(self) -> KpiResult:
        if self._kpi is None:
            self._kpi = evaluate(self.log())
        return self._kpi

    def metrics(self) -> pd.DataFrame:
        """One row per week (:func:`~fcsim.staffing.risk.replication_metrics`)."""
        return replication_metrics(self.kpi())

    def add(self, reps: Sequence[int]) -> None:
        """Simulate more weeks (replication indices)."""
        for r in reps:
            self.records.append(simulate_record(self.scenario, seed=self.seed, replication=r,
                                                days=7.0))
        self._kpi = None
        self._log = None


def simulate_weeks(scenario: Scenario, *, seed: int, reps: Sequence[int]) -> Weeks:
    """Replications ``reps`` of ``scenario``, one week each."""
    w = Weeks(scenario, seed)
    w.add(reps)
    return w


def breaches(weeks: Weeks) -> pd.DataFrame:
    """Breached and missing clock instances of the weeks: ``replication``, ``ticket_id``,
    ``control_point``, ``category``, ``emergency``, ``group`` (owner of the clock),
    ``hour_of_week`` (local, of the clock's start; of its end for a start-less row),
    ``lateness_s``."""
    cp = weeks.kpi().control_points
    cols = ["replication", "ticket_id", "attempt", "occurrence", "control_point", "category",
            "emergency", "group", "hour_of_week", "lateness_s"]
    bad = cp[cp["status"].astype(str).isin(["breached", "missing"])]
    if bad.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    tk = weeks.log().tickets[["ticket_id", "category", "department", "emergency"]].copy()
    tk["ticket_id"] = tk["ticket_id"].astype(str)
    out = bad[["replication", "ticket_id", "attempt", "occurrence", "control_point", "start",
               "end", "lateness_s"]].copy()
    out["ticket_id"] = out["ticket_id"].astype(str)
    out = out.merge(tk, on="ticket_id", how="left")
    tz = weeks.scenario.scenario.tz
    when = pd.to_datetime(out["start"].where(out["start"].notna(), out["end"]), utc=True)
    local = when.dt.tz_convert(tz)
    out["hour_of_week"] = (local.dt.day_of_week * 24 + local.dt.hour).astype("Int64")
    out["control_point"] = out["control_point"].astype(str)
    scen = weeks.scenario
    out["group"] = [clock_owner(scen, c, None if pd.isna(d) else str(d))
                    for c, d in zip(out["control_point"], out["department"], strict=True)]
    out["emergency"] = out["emergency"].astype("boolean").fillna(False).astype(bool)
    out["category"] = out["category"].astype(str)
    out["lateness_s"] = out["lateness_s"].astype(float)
    return out[cols].reset_index(drop=True)


def breach_counts(table: pd.DataFrame, group: str, clocks: Sequence[str] | None = None
                  ) -> np.ndarray:
    """Breaches per local hour of the week owned by ``group`` (optionally of some clocks)."""
    sel = table["group"] == group
    if clocks is not None:
        sel &= table["control_point"].isin(list(clocks))
    hours = table.loc[sel, "hour_of_week"].dropna().astype(int).to_numpy()
    return np.bincount(hours, minlength=168)[:168].astype(float)
