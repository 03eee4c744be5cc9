"""Columns and dtypes of the two tables of the event-log contract (``KPI.md``).

In memory, repeated strings are categorical; timestamps are ``datetime64[ms, UTC]``; free text
is ``string[python]``; nullable flags are ``boolean``. The dtypes never depend on which optional
extras (pyarrow …) are installed.
"""

from __future__ import annotations

import pandas as pd

from fcsim.model.activities import Activity, Role

__all__ = [
    "ACTIVITY_DTYPE",
    "BOOL_TICKET_COLUMNS",
    "EVENT_COLUMNS",
    "EVENT_REQUIRED",
    "EVENT_TIMESTAMP_COLUMNS",
    "ROLE_DTYPE",
    "SCHEMA_VERSION",
    "STRING_DTYPE",
    "TICKET_COLUMNS",
    "TICKET_REQUIRED",
    "TICKET_TIMESTAMP_COLUMNS",
    "TIMESTAMP_DTYPE",
]

SCHEMA_VERSION = 1

TIMESTAMP_DTYPE = pd.DatetimeTZDtype(unit="ms", tz="UTC")
STRING_DTYPE = pd.StringDtype(storage="python")
ACTIVITY_DTYPE = pd.CategoricalDtype([a.value for a in Activity], ordered=False)
ROLE_DTYPE = pd.CategoricalDtype([r.value for r in Role], ordered=False)

#: "category" means categorical with categories = the sorted distinct values.
EVENT_COLUMNS: dict[str, object] = {
    "ticket_id": "category",
    "seq": "int32",
    "activity": ACTIVITY_DTYPE,
    "started_at": TIMESTAMP_DTYPE,
    "timestamp": TIMESTAMP_DTYPE,
    "resource": "category",
    "role": ROLE_DTYPE,
    "attempt": "int16",
    "scenario": "category",
    "replication": "Int32",
    "schema_version": "int8",
}

TICKET_COLUMNS: dict[str, object] = {
    "ticket_id": "category",
    "category": "category",
    "emergency": "boolean",
    "source": "category",
    "mode": "category",
    "booked_at": TIMESTAMP_DTYPE,
    "appointment_at": TIMESTAMP_DTYPE,
    "location": STRING_DTYPE,
    "content": STRING_DTYPE,
    "contact": STRING_DTYPE,
    "phone": STRING_DTYPE,
    "department": "category",
    "route_dispatch": "boolean",
    "route_site_visit": "boolean",
    "route_callback": "boolean",
    "satisfied": "boolean",
    "record_accurate": "boolean",
    "recognised_correctly": "boolean",
    "charge": "Float64",
    "charge_confirmed": "boolean",
    "materials": STRING_DTYPE,
    "scenario": "category",
    "replication": "Int32",
    "schema_version": "int8",
}

EVENT_TIMESTAMP_COLUMNS = ("started_at", "timestamp")
TICKET_TIMESTAMP_COLUMNS = ("booked_at", "appointment_at")
BOOL_TICKET_COLUMNS = tuple(c for c, d in TICKET_COLUMNS.items() if d == "boolean")

#: Columns that may not be null.
EVENT_REQUIRED = ("ticket_id", "seq", "activity", "timestamp", "attempt", "schema_version")
TICKET_REQUIRED = ("ticket_id", "category", "emergency", "mode", "schema_version")
