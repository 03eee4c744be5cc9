"""Checking the values a caller passes to the recorder (facts, roles, corrections).

Each function returns the value as stored (timestamps as ms since the epoch) or raises
:class:`~fcsim.recorder.checks.RecorderError` naming the field and the value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fcsim.model.activities import Activity, Role
from fcsim.model.taxonomy import Mode
from fcsim.recorder.checks import RecorderError, datetime_to_ms
from fcsim.recorder.store import TICKET_FACT_COLUMNS
from fcsim.recorder.views import AMENDABLE_EVENT_FIELDS, TICKET_FIELDS

__all__ = [
    "check_facts",
    "event_changes",
    "fact_updates",
    "ms_or_none",
    "role",
    "ticket_changes",
]

_TIME_FIELDS = {"started_at", "timestamp", "booked_at", "appointment_at"}
_BOOL_FACTS = {"satisfied", "record_accurate", "recognised_correctly", "charge_confirmed"}


def ms_or_none(value: Any, field: str) -> int | None:
    """A timestamp as ms since the epoch (None stays None)."""
    if value is None:
        return None
    return datetime_to_ms(value, field=field)


def role(role: str | None) -> str | None:
    """A role name checked against :class:`~fcsim.model.activities.Role`."""
    if role is None:
        return None
    if role not in {r.value for r in Role}:
        raise RecorderError(f"unknown role {role!r} (known: {', '.join(r.value for r in Role)})")
    return role


def check_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    """Ticket facts an event may fill in, type-checked."""
    out: dict[str, Any] = {}
    for key, value in facts.items():
        if key not in TICKET_FACT_COLUMNS:
            raise RecorderError(
                f"fact {key!r} cannot be set by an event "
                f"(allowed: {', '.join(TICKET_FACT_COLUMNS)})"
            )
        out[key] = _fact_value(key, value)
    return out


def _fact_value(key: str, value: Any) -> Any:
    if value is None:
        return None
    if key in _BOOL_FACTS:
        if not isinstance(value, bool):
            raise RecorderError(f"{key}: {value!r} is not true/false")
        return value
    if key == "charge":
        try:
            return float(value)
        except (TypeError, ValueError):
            raise RecorderError(f"charge: {value!r} is not a number") from None
    return str(value)


def fact_updates(ticket: Mapping[str, Any], facts: Mapping[str, Any]) -> dict[str, Any]:
    """The facts still empty on the ticket; a different non-empty value is refused."""
    updates: dict[str, Any] = {}
    for key, value in facts.items():
        if value is None:
            continue
        current = ticket[key]
        if current is None:
            updates[key] = value
        elif current != value:
            raise RecorderError(
                f"ticket {ticket['ticket_id']}: {key} is already {current!r}; change it with "
                "a correction (amend), not by an event"
            )
    return updates


def event_changes(ticket_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    """An event amendment, checked field by field."""
    out: dict[str, Any] = {}
    for key, value in changes.items():
        if key not in AMENDABLE_EVENT_FIELDS:
            raise RecorderError(
                f"ticket {ticket_id}: event field {key!r} cannot be amended "
                f"(amendable: {', '.join(AMENDABLE_EVENT_FIELDS)})"
            )
        if key in _TIME_FIELDS:
            out[key] = ms_or_none(value, key)
        elif key == "activity":
            try:
                out[key] = Activity(value).value
            except ValueError:
                raise RecorderError(f"unknown activity {value!r}") from None
        elif key == "role":
            out[key] = role(value)
        elif key == "attempt":
            out[key] = int(value)
        else:
            out[key] = value
    if out.get("timestamp", 0) is None:
        raise RecorderError(f"ticket {ticket_id}: timestamp cannot be emptied")
    return out


def ticket_changes(ticket_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    """A ticket amendment, checked field by field."""
    out: dict[str, Any] = {}
    for key, value in changes.items():
        if key not in TICKET_FIELDS or key in ("scenario", "replication"):
            raise RecorderError(f"ticket {ticket_id}: field {key!r} cannot be amended")
        if key in _TIME_FIELDS:
            out[key] = ms_or_none(value, key)
        elif key in _BOOL_FACTS or key in ("emergency", "route_dispatch", "route_site_visit",
                                           "route_callback"):
            if value is not None and not isinstance(value, bool):
                raise RecorderError(f"{key}: {value!r} is not true/false")
            out[key] = value
        elif key == "charge":
            out[key] = _fact_value(key, value)
        elif key == "mode" and value not in {m.value for m in Mode}:
            raise RecorderError(f"mode {value!r} is not immediate or appointment")
        else:
            out[key] = value
    if out.get("category", "x") is None or out.get("emergency", True) is None:
        raise RecorderError(f"ticket {ticket_id}: category and emergency cannot be emptied")
    return out
