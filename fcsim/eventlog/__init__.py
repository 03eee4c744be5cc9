"""The event log: the one table schema that simulated and recorded tickets share."""

from fcsim.eventlog.frames import EventLogError, canonical_events, canonical_tickets
from fcsim.eventlog.io import read_log, write_log
from fcsim.eventlog.log import EventLog
from fcsim.eventlog.pm4py import to_pm4py, to_xes
from fcsim.eventlog.schema import EVENT_COLUMNS, SCHEMA_VERSION, TICKET_COLUMNS

__all__ = [
    "EVENT_COLUMNS",
    "SCHEMA_VERSION",
    "TICKET_COLUMNS",
    "EventLog",
    "EventLogError",
    "canonical_events",
    "canonical_tickets",
    "read_log",
    "to_pm4py",
    "to_xes",
    "write_log",
]
