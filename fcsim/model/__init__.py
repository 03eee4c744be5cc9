"""The pure domain of the procedure: categories, activities, lifecycle, control points, targets.

No simpy, no pandas, no I/O.
"""

from fcsim.model.activities import ACTIVITY_LABELS, DURATIVE, Activity, Role
from fcsim.model.control_points import (
    CLOCK_NAMES,
    SEED_CONTROL_POINTS,
    Bounds,
    ClockSpec,
    ControlPoints,
)
from fcsim.model.indicators import INDICATOR_IDS, INDICATORS, IndicatorSpec, Target
from fcsim.model.lifecycle import (
    TRANSITIONS,
    VIOLATION_CODES,
    EventRecord,
    TicketFacts,
    Violation,
    check_append,
    validate,
)
from fcsim.model.taxonomy import SOURCE_LABELS, Category, Mode, Source, Taxonomy, default_taxonomy

__all__ = [
    "ACTIVITY_LABELS",
    "CLOCK_NAMES",
    "DURATIVE",
    "INDICATORS",
    "INDICATOR_IDS",
    "SEED_CONTROL_POINTS",
    "SOURCE_LABELS",
    "TRANSITIONS",
    "VIOLATION_CODES",
    "Activity",
    "Bounds",
    "Category",
    "ClockSpec",
    "ControlPoints",
    "EventRecord",
    "IndicatorSpec",
    "Mode",
    "Role",
    "Source",
    "Target",
    "Taxonomy",
    "TicketFacts",
    "Violation",
    "check_append",
    "default_taxonomy",
    "validate",
]
