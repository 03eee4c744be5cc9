"""Analyses of an event log behind the figures and the report (pure pandas, no plotting).

* :mod:`~fcsim.analysis.attribution`: each late second of a clock instance attributed to a cause;
* :mod:`~fcsim.analysis.timeline`: waiting versus working per stage, hour-of-week profiles of
  arrivals, busy resources and queues, swimlane segments;
* :mod:`~fcsim.analysis.ripple`: routine tickets delayed by each emergency;
* :mod:`~fcsim.analysis.compliance`: clock compliance by category.
"""

from fcsim.analysis.attribution import CAUSES, attribute_lateness, lateness_by_ticket
from fcsim.analysis.compliance import clock_compliance
from fcsim.analysis.ripple import emergency_ripple, ripple_summary
from fcsim.analysis.timeline import (
    busy_intervals,
    hour_of_week_profile,
    stage_summary,
    stage_times,
    started_at_coverage,
    swimlane_segments,
    waiting_intervals,
)

__all__ = [
    "CAUSES",
    "attribute_lateness",
    "busy_intervals",
    "clock_compliance",
    "emergency_ripple",
    "hour_of_week_profile",
    "lateness_by_ticket",
    "ripple_summary",
    "stage_summary",
    "stage_times",
    "started_at_coverage",
    "swimlane_segments",
    "waiting_intervals",
]
