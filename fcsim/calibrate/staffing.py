"""Staff per role estimated from a log, so that a calibrated scenario runs as written.

Two pieces of evidence, the larger one wins:

* **offered load over a stated utilisation**: per role, the work the calibrated scenario gives
  it (arrivals a day × the mean minutes of the stages that role performs) divided by the
  minutes of a day and by ``utilisation`` (default 0.8), rounded up;
* **distinct active resources**: per role, the 95th percentile over the clock hours of the
  log's window with any event of that role of the number of distinct resources that logged an
  event in the hour (where the log names its resources).

Where the log has ``started_at`` (work spans), the mean minutes are work only; otherwise they
include waiting, which makes the load an upper bound (said in the evidence).

The desk gets one shift round the clock (it is the 24/7 hub); a technician group keeps the
shape of its base roster, scaled so that its busiest hour has the estimated count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fcsim.eventlog import EventLog
from fcsim.scenarios import scenario_from_dict

__all__ = ["StaffEstimate", "active_resources", "apply_estimates", "estimate_staff"]

#: stage fields performed by the desk for every ticket, and by a visiting technician
_DESK = ("record_min", "classify_min")
_TECH = ("travel_min", "plan_min", "communicate_min")


@dataclass(frozen=True)
class StaffEstimate:
    """One staff group's estimated head count and its evidence."""

    group: str
    role: str
    count: int
    load: float  # offered load (staff busy on average)
    active_p95: float  # 95th percentile of distinct active resources per hour (nan: unknown)
    evidence: str


def active_resources(log: EventLog, role: str) -> float:
    """95th percentile over clock hours (with any event of ``role``) of distinct resources."""
    ev = log.events
    sel = (ev["role"].astype(str) == role) & ev["resource"].notna()
    if not sel.any():
        return math.nan
    hours = ev.loc[sel, "timestamp"].dt.floor("h")
    n = pd.DataFrame({"h": hours.to_numpy(), "r": ev.loc[sel, "resource"].astype(str)
                      .to_numpy()}).drop_duplicates().groupby("h").size()
    return float(np.percentile(n.to_numpy(float), 95))


def estimate_staff(log: EventLog, data: dict[str, Any], *, utilisation: float = 0.8,
                   waiting: bool) -> list[StaffEstimate]:
    """Estimate the desk and the technician groups of the scenario ``data`` (its calibrated
    rates and stage durations) from ``log``; see the module docstring."""
    if not 0 < utilisation <= 1:
        raise ValueError(f"utilisation must be in (0, 1], got {utilisation}")
    sc = scenario_from_dict(data, origin="calibrated scenario (staffing)")
    scale = sc.scenario.units * sc.scenario.occupancy
    st = sc.stages
    timer = sc.policy.close_timer
    desk_min = 0.0
    tech_min: dict[str, float] = {}
    for cat in sc.categories.values():
        per_day = cat.rate_per_unit_day * scale
        m = sum(float(getattr(st, f).mean) for f in _DESK)
        if cat.route_dispatch:
            m += float(st.dispatch_min.mean)
        if not cat.route_dispatch or (not cat.route_callback and not timer):
            m += float(st.close_min.mean)  # answered at the desk, or closed by a clerk
        desk_min += per_day * m
        if cat.route_site_visit and cat.department:
            t = (float(cat.diagnose_min.mean) + float(cat.work_min.mean)
                 + sum(float(getattr(st, f).mean) for f in _TECH))
            tech_min[cat.department] = tech_min.get(cat.department, 0.0) + per_day * t
    note = " (durations include waiting: an upper bound)" if waiting else ""
    out: list[StaffEstimate] = []
    for gname, g in sc.staff.items():
        role = str(g.role.value if hasattr(g.role, "value") else g.role)
        if role == "desk":
            load = desk_min / 1440.0
        elif role == "technician" and g.department in tech_min:
            load = tech_min[str(g.department)] / 1440.0
        else:
            continue
        act = active_resources(log, role)
        by_load = math.ceil(load / utilisation) if load > 0 else 1
        count = max(by_load, 1, 0 if math.isnan(act) else math.ceil(act))
        ev = (f"estimated: offered load {load:.3g} staff busy on average{note} / utilisation "
              f"{utilisation:g} = {by_load}")
        ev += ("; no resources of this role in the log" if math.isnan(act) else
               f"; distinct active {role} resources per hour, 95th percentile {act:.3g}")
        out.append(StaffEstimate(group=gname, role=role, count=count, load=load,
                                 active_p95=act, evidence=ev + f" -> {count}"))
    return out


def apply_estimates(data: dict[str, Any], estimates: list[StaffEstimate]) -> None:
    """Write the estimates into the scenario ``data`` (see the module docstring)."""
    for e in estimates:
        g = data["staff"][e.group]
        if e.role == "desk":
            g["shifts"] = [{"start_h": 0, "end_h": 24, "count": e.count}]
            continue
        shifts = [dict(s) for s in g["shifts"]]
        peak = [0] * 24
        for s in shifts:
            if not s.get("on_call", False):
                for h in range(int(s["start_h"]), int(s["end_h"])):
                    peak[h % 24] += int(s["count"])
        top = max(peak) or 1
        for s in shifts:
            if not s.get("on_call", False):
                s["count"] = max(1, math.ceil(int(s["count"]) * e.count / top))
        g["shifts"] = shifts
