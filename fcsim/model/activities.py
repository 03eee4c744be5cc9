"""The activities of the event log (past tense) and the roles that perform them.

The list in ``KPI.md``, plus ``handed_over`` / ``taken_over``: the log's way of saying that a
shift change, not an emergency, passed a job or a ticket's ownership to the next shift
(``KPI.md`` leaves the form to the project; ``docs/event-log.md``). ``preempted`` / ``resumed``
therefore always mean an emergency took the member. Durative activities carry ``started_at``;
the others are instants.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ACTIVITY_CODES", "ACTIVITY_LABELS", "DURATIVE", "Activity", "Role"]


class Activity(StrEnum):
    """An event type of the log. The declaration order is the procedure's order."""

    RECEIVED = "received"
    RELAYED = "relayed"
    RECORDED = "recorded"
    EMERGENCY_REPORTED = "emergency_reported"
    CLASSIFIED = "classified"
    MISROUTED = "misrouted"
    DISPATCHED = "dispatched"
    SIGNED = "signed"
    CONTACTED = "contacted"
    ARRIVED = "arrived"
    DIAGNOSED = "diagnosed"
    PLANNED = "planned"
    COMMUNICATED = "communicated"
    WORK_STARTED = "work_started"
    PREEMPTED = "preempted"
    RESUMED = "resumed"
    HANDED_OVER = "handed_over"
    TAKEN_OVER = "taken_over"
    BLOCKED = "blocked"
    ESCALATED = "escalated"
    REFERRED_TO_MEETING = "referred_to_meeting"
    WORK_COMPLETED = "work_completed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    SLIP_RETURNED = "slip_returned"
    CALLBACK = "callback"
    CALLBACK_FAILED = "callback_failed"
    CLOSED = "closed"
    SAMPLE_CALLBACK = "sample_callback"


#: Activity -> small integer code: its index in the declaration order (the order of the
#: event log's categorical ``activity`` column). The simulator and the KPI engine share it.
ACTIVITY_CODES: dict[Activity, int] = {a: i for i, a in enumerate(Activity)}

#: Activities whose event carries ``started_at`` (when the work on it began).
DURATIVE: frozenset[Activity] = frozenset(
    {
        Activity.RECORDED,
        Activity.CLASSIFIED,
        Activity.ARRIVED,  # travel began
        Activity.DIAGNOSED,
        Activity.PLANNED,
        Activity.COMMUNICATED,
        Activity.WORK_COMPLETED,  # the first work_started; preempted/resumed mark the gaps
        Activity.CALLBACK,  # the call began
        Activity.CALLBACK_FAILED,
    }
)


class Role(StrEnum):
    """Who performs an activity."""

    DESK = "desk"
    TECHNICIAN = "technician"
    SUPERVISOR = "supervisor"
    MANAGER = "manager"
    CUSTOMER = "customer"


#: Bilingual labels (Chinese, English) for reports and figures.
ACTIVITY_LABELS: dict[Activity, tuple[str, str]] = {
    Activity.RECEIVED: ("接收", "received"),
    Activity.RELAYED: ("轉達前臺", "relayed to desk"),
    Activity.RECORDED: ("錄入", "recorded"),
    Activity.EMERGENCY_REPORTED: ("緊急匯報", "emergency reported"),
    Activity.CLASSIFIED: ("分類", "classified"),
    Activity.MISROUTED: ("分派錯誤", "misrouted"),
    Activity.DISPATCHED: ("傳遞", "dispatched"),
    Activity.SIGNED: ("簽單", "slip signed"),
    Activity.CONTACTED: ("預約前聯繫", "customer called ahead"),
    Activity.ARRIVED: ("到場", "arrived on site"),
    Activity.DIAGNOSED: ("診斷", "diagnosed"),
    Activity.PLANNED: ("方案", "planned"),
    Activity.COMMUNICATED: ("溝通", "communicated"),
    Activity.WORK_STARTED: ("開始處理", "work started"),
    Activity.PREEMPTED: ("被搶佔", "preempted"),
    Activity.RESUMED: ("恢復處理", "resumed"),
    Activity.HANDED_OVER: ("交班", "handed over at shift end"),
    Activity.TAKEN_OVER: ("接班", "taken over by the next shift"),
    Activity.BLOCKED: ("無法處理", "blocked"),
    Activity.ESCALATED: ("上報主管", "escalated"),
    Activity.REFERRED_TO_MEETING: ("提交經理會議", "referred to manager meeting"),
    Activity.WORK_COMPLETED: ("處理完畢", "work completed"),
    Activity.ACCEPTED: ("驗收合格", "accepted"),
    Activity.REJECTED: ("驗收不合格", "rejected"),
    Activity.SLIP_RETURNED: ("處理單返回", "slip returned"),
    Activity.CALLBACK: ("回訪", "callback"),
    Activity.CALLBACK_FAILED: ("回訪未接通", "callback failed"),
    Activity.CLOSED: ("關閉", "closed"),
    Activity.SAMPLE_CALLBACK: ("抽樣回訪", "sample callback"),
}
