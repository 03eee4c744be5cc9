"""The bridge between stored rows and the lifecycle validator of :mod:`fcsim.model.lifecycle`.

The recorder obeys the same lifecycle as the simulator: every append, correction and import is
checked by the one validator before anything is written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from fcsim.model.activities import Activity

__all__ = [
    "LEVELS",
    "LifecycleError",
    "RecorderError",
    "TicketExists",
    "TicketNotFound",
    "check_append",
    "check_level",
    "check_sequence",
    "datetime_to_ms",
    "event_record",
    "format_violations",
    "ms_to_datetime",
    "ticket_facts",
]


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class RecorderError(ValueError):
    """A request the recorder refuses; nothing was written."""


class TicketNotFound(RecorderError):
    """The ticket does not exist (or is void); nothing was written."""


class TicketExists(RecorderError):
    """A ticket with that id already exists; nothing was written."""


#: The lifecycle strictness levels of an append: ``live`` (entry at a desk, strict) and
#: ``import`` (another system's log: only the rules of ``KPI.md``), both from the one table
#: :data:`fcsim.model.lifecycle.REFUSED_AT`.
LEVELS: tuple[str, ...] = ("live", "import")


def check_level(level: str) -> str:
    """``level`` if it is one of :data:`LEVELS`, else a :class:`RecorderError` naming it."""
    if level not in LEVELS:
        raise RecorderError(f"level {level!r} is not one of {', '.join(LEVELS)}")
    return level


class LifecycleError(RecorderError):
    """An event (or correction) would break the ticket lifecycle; nothing was written."""

    def __init__(self, message: str, violations: Sequence[Any] = ()) -> None:
        super().__init__(message)
        self.violations = list(violations)


def ms_to_datetime(ms: int | None) -> datetime | None:
    """Milliseconds since the epoch to an aware UTC datetime (``None`` stays ``None``)."""
    if ms is None or ms != ms:
        return None
    return _EPOCH + timedelta(milliseconds=int(ms))


def datetime_to_ms(value: Any, *, field: str) -> int:
    """An aware datetime (or ISO 8601 string with an offset) to ms since the epoch."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise RecorderError(f"{field}: {value!r} is not an ISO 8601 timestamp") from None
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if not isinstance(value, datetime):
        raise RecorderError(f"{field}: {value!r} is not a timestamp")
    if value.tzinfo is None or value.utcoffset() is None:
        raise RecorderError(f"{field}: {value.isoformat()} has no UTC offset")
    delta = value - _EPOCH
    return delta.days * 86_400_000 + delta.seconds * 1000 + delta.microseconds // 1000


def ticket_facts(ticket: Mapping[str, Any]) -> Any:
    """The validator's :class:`TicketFacts` of a stored ticket row."""
    from fcsim.model.lifecycle import TicketFacts

    return TicketFacts(
        emergency=bool(ticket["emergency"]),
        mode=str(ticket["mode"]),
        route_dispatch=bool(ticket["route_dispatch"]),
        route_site_visit=bool(ticket["route_site_visit"]),
        route_callback=bool(ticket["route_callback"]),
        recognised_correctly=ticket.get("recognised_correctly"),
    )


def event_record(ev: Mapping[str, Any]) -> Any:
    """The validator's :class:`EventRecord` of a stored (or proposed) event row."""
    from fcsim.model.lifecycle import EventRecord

    return EventRecord(
        activity=Activity(ev["activity"]),
        timestamp=ms_to_datetime(ev["timestamp"]),
        seq=int(ev["seq"]),
        attempt=int(ev["attempt"]),
        started_at=ms_to_datetime(ev["started_at"]),
    )


def _ordered(events: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return sorted(events, key=lambda e: (e["timestamp"], e["seq"]))


def check_append(
    existing: Sequence[Mapping[str, Any]],
    new: Mapping[str, Any],
    ticket: Mapping[str, Any],
    level: str = "live",
) -> list[Any]:
    """Violations (refused at ``level``) that appending ``new`` to the ticket's effective
    events would cause."""
    from fcsim.model import lifecycle

    return list(
        lifecycle.check_append(
            [event_record(e) for e in _ordered(existing)],
            event_record(new),
            ticket_facts(ticket),
            ticket_id=str(ticket["ticket_id"]),
            level=level,
        )
    )


def check_sequence(events: Sequence[Mapping[str, Any]], ticket: Mapping[str, Any],
                   level: str = "live") -> list[Any]:
    """Violations (refused at ``level``) of a ticket's whole effective event sequence (open
    tickets allowed)."""
    from fcsim.model import lifecycle

    return list(
        lifecycle.validate(
            [event_record(e) for e in _ordered(events)],
            ticket_facts(ticket),
            ticket_id=str(ticket["ticket_id"]),
            level=level,
        )
    )


def format_violations(ticket_id: str, violations: Sequence[Any], what: str) -> str:
    """A clear refusal message listing each violation's code and message."""
    lines = [f"ticket {ticket_id}: {what} refused, nothing was written:"]
    for v in violations:
        seq = getattr(v, "seq", None)
        where = f" (seq {seq})" if seq is not None else ""
        lines.append(f"  [{getattr(v, 'code', '?')}]{where} {getattr(v, 'message', v)}")
    return "\n".join(lines)
