"""Analyses of an event log behind the figures and the report (pure pandas, no plotting).

* :mod:`~fcsim.analysis.attribution`: each late second of a clock instance attributed to a cause;
* :mod:`~fcsim.analysis.timeline`: waiting versus working per stage, busy and waiting intervals
  (requests deferred to the morning count as waiting);
* :mod:`~fcsim.analysis.profile`: hour-of-week profiles of arrivals, busy resources and queues;
* :mod:`~fcsim.analysis.swimlane`: swimlane segments, who each lane is, shift windows;
* :mod:`~fcsim.analysis.ripple`: routine tickets delayed by each emergency;
* :mod:`~fcsim.analysis.story`: the emergency whose preemptions made routine tickets late;
* :mod:`~fcsim.analysis.compliance`: clock compliance by category.
"""

from fcsim.analysis.attribution import CAUSES, attribute_lateness, lateness_by_ticket
from fcsim.analysis.compliance import clock_compliance
from fcsim.analysis.profile import hour_of_week_profile
from fcsim.analysis.ripple import emergency_ripple, ripple_summary
from fcsim.analysis.story import (
    EmergencyStory,
    emergency_story,
    preemption_lateness,
    swimlane_choice,
    ticket_facts,
    with_ticket_facts,
)
from fcsim.analysis.swimlane import (
    DEFAULT_SHIFT_STARTS_H,
    StaffMember,
    clip_segments,
    desk_shift_starts,
    lead_window,
    shift_window,
    staff_directory,
    swimlane_segments,
)
from fcsim.analysis.timeline import (
    TimelineTables,
    busy_and_waiting,
    busy_intervals,
    stage_summary,
    stage_times,
    started_at_coverage,
    timeline_tables,
    waiting_intervals,
)

__all__ = [
    "CAUSES",
    "DEFAULT_SHIFT_STARTS_H",
    "EmergencyStory",
    "StaffMember",
    "TimelineTables",
    "attribute_lateness",
    "busy_and_waiting",
    "busy_intervals",
    "clip_segments",
    "clock_compliance",
    "desk_shift_starts",
    "emergency_ripple",
    "emergency_story",
    "hour_of_week_profile",
    "lateness_by_ticket",
    "lead_window",
    "preemption_lateness",
    "ripple_summary",
    "shift_window",
    "staff_directory",
    "stage_summary",
    "stage_times",
    "started_at_coverage",
    "swimlane_choice",
    "swimlane_segments",
    "ticket_facts",
    "timeline_tables",
    "waiting_intervals",
    "with_ticket_facts",
]
