"""Who may do what: the user roles of the recorder's people and their permissions, as data.

A *user role* is an account's role (``fcsim users add NAME --role R``); it is not the event
log's :class:`~fcsim.model.activities.Role` column, although each human user role writes
events with the log role of the same name (:data:`EVENT_ROLE`). ``admin`` and
``integration`` accounts have no log role of their own: their events carry the role the
request names.

The web front end (:mod:`fcsim.web`) checks :data:`PERMISSIONS` on every page and API call
before it reads the request body, and :func:`may_record` for the activity of an event.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from fcsim.model.activities import Activity, Role

__all__ = [
    "EVENT_ROLE",
    "PERMISSIONS",
    "RECORDABLE",
    "ROLE_LABELS",
    "Permission",
    "UserRole",
    "may",
    "may_record",
]


class UserRole(StrEnum):
    """An account's role."""

    DESK = "desk"
    TECHNICIAN = "technician"
    SUPERVISOR = "supervisor"
    MANAGER = "manager"
    ADMIN = "admin"
    INTEGRATION = "integration"  # another system, through the JSON API


class Permission(StrEnum):
    """What a request needs."""

    BOARD = "board"  # the desk board; open tickets with their clocks
    OPEN_TICKET = "open_ticket"  # intake: a new work order
    VIEW_TICKET = "view_ticket"  # a ticket's events and clocks
    RECORD = "record"  # append events (which activities: RECORDABLE)
    CORRECT = "correct"  # void or amend, with a reason
    JOBS = "jobs"  # the technician's own jobs
    SUPERVISE = "supervise"  # escalations and blocked jobs
    INDICATORS = "indicators"  # indicators against targets
    MANAGE = "manage"  # the manager view, statistics tables, exports
    IMPORT_LEVEL = "import_level"  # ask for the lenient import lifecycle level


_P = Permission
_ALL = frozenset(Permission)

#: User role -> its permissions.
PERMISSIONS: Mapping[UserRole, frozenset[Permission]] = MappingProxyType({
    UserRole.DESK: frozenset({_P.BOARD, _P.OPEN_TICKET, _P.VIEW_TICKET, _P.RECORD, _P.CORRECT}),
    UserRole.TECHNICIAN: frozenset({_P.VIEW_TICKET, _P.RECORD, _P.JOBS}),
    UserRole.SUPERVISOR: frozenset({_P.BOARD, _P.OPEN_TICKET, _P.VIEW_TICKET, _P.RECORD,
                                    _P.CORRECT, _P.SUPERVISE, _P.INDICATORS}),
    UserRole.MANAGER: frozenset({_P.BOARD, _P.OPEN_TICKET, _P.VIEW_TICKET, _P.RECORD,
                                 _P.CORRECT, _P.SUPERVISE, _P.INDICATORS, _P.MANAGE}),
    UserRole.ADMIN: _ALL,
    UserRole.INTEGRATION: frozenset({_P.BOARD, _P.OPEN_TICKET, _P.VIEW_TICKET, _P.RECORD,
                                     _P.INDICATORS, _P.IMPORT_LEVEL}),
})

_A = Activity
_TECHNICIAN = frozenset({
    _A.SIGNED, _A.CONTACTED, _A.ARRIVED, _A.DIAGNOSED, _A.PLANNED, _A.COMMUNICATED,
    _A.WORK_STARTED, _A.PREEMPTED, _A.RESUMED, _A.HANDED_OVER, _A.TAKEN_OVER, _A.BLOCKED,
    _A.ESCALATED, _A.WORK_COMPLETED, _A.ACCEPTED, _A.REJECTED, _A.MISROUTED,
})
#: ``received`` is written by opening a ticket (:attr:`Permission.OPEN_TICKET`), not as an event.
_EVENTS = frozenset(Activity) - {_A.RECEIVED}

#: User role -> the activities it may record as events. The desk is the hub: it records
#: everything but the supervisors' and managers' own steps (a meeting referral, a sample
#: callback); a technician records the site work, the customer's acceptance on the slip,
#: and a block with its escalation.
RECORDABLE: Mapping[UserRole, frozenset[Activity]] = MappingProxyType({
    UserRole.DESK: _EVENTS - {_A.REFERRED_TO_MEETING, _A.SAMPLE_CALLBACK},
    UserRole.TECHNICIAN: _TECHNICIAN,
    UserRole.SUPERVISOR: _EVENTS,
    UserRole.MANAGER: _EVENTS,
    UserRole.ADMIN: _EVENTS,
    UserRole.INTEGRATION: _EVENTS,
})

#: The log role a user role's events carry unless the request names one (None: must name it).
EVENT_ROLE: Mapping[UserRole, Role | None] = MappingProxyType({
    UserRole.DESK: Role.DESK,
    UserRole.TECHNICIAN: Role.TECHNICIAN,
    UserRole.SUPERVISOR: Role.SUPERVISOR,
    UserRole.MANAGER: Role.MANAGER,
    UserRole.ADMIN: None,
    UserRole.INTEGRATION: None,
})

#: Bilingual labels of the user roles.
ROLE_LABELS: Mapping[UserRole, tuple[str, str]] = MappingProxyType({
    UserRole.DESK: ("前臺", "desk"),
    UserRole.TECHNICIAN: ("技術員", "technician"),
    UserRole.SUPERVISOR: ("主管", "supervisor"),
    UserRole.MANAGER: ("經理", "manager"),
    UserRole.ADMIN: ("管理員", "admin"),
    UserRole.INTEGRATION: ("系統對接", "integration"),
})


def may(role: str, permission: Permission) -> bool:
    """Whether user role ``role`` has ``permission`` (an unknown role has none)."""
    try:
        return permission in PERMISSIONS[UserRole(role)]
    except ValueError:
        return False


def may_record(role: str, activity: str) -> bool:
    """Whether user role ``role`` may record ``activity`` as an event."""
    try:
        return Activity(activity) in RECORDABLE[UserRole(role)]
    except ValueError:
        return False
