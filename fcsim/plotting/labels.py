"""Bilingual labels for figures and the report, reusing those of :mod:`fcsim.model`."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

import pandas as pd

from fcsim.model.activities import ACTIVITY_LABELS, Activity, Role
from fcsim.model.control_points import SEED_CONTROL_POINTS
from fcsim.model.indicators import INDICATORS
from fcsim.model.taxonomy import default_taxonomy
from fcsim.plotting.fonts import Lang

__all__ = [
    "activity_label",
    "category_label",
    "cause_label",
    "clock_label",
    "group_label",
    "indicator_label",
    "lane_label",
    "role_label",
    "short_ticket_id",
    "text",
    "ticket_label",
]

_ROLE = {
    Role.DESK: ("前臺", "desk"),
    Role.TECHNICIAN: ("技術人員", "technician"),
    Role.SUPERVISOR: ("主管", "supervisor"),
    Role.MANAGER: ("經理", "manager"),
    Role.CUSTOMER: ("客戶", "customer"),
}
_CAUSE = {
    "desk_wait": ("等待前臺", "waiting for the desk"),
    "technician_wait": ("等待技術人員", "waiting for a technician"),
    "travel": ("途中", "travel"),
    "preemption": ("被緊急事件搶佔", "preempted by an emergency"),
    "handover": ("交班交接", "shift handover"),
    "rework": ("返工", "rework"),
    "escalation": ("上報", "escalation"),
    "work": ("本環節作業", "the stage's own work"),
    "unknown": ("無開始時間，無法區分", "no start time: cannot split"),
}
_TEXT: dict[str, tuple[str, str]] = {
    "indicators_title": ("關鍵控制指標與目標", "Indicators against targets"),
    "value": ("數值", "value"),
    "target": ("目標", "target"),
    "compliance_title": ("各類別控制點達標率", "Clock compliance by category"),
    "share_met": ("達標比例", "share met"),
    "category": ("類別", "category"),
    "clock": ("控制點", "control point"),
    "arrivals": ("每小時到達數", "arrivals per hour"),
    "busy": ("平均忙碌人數", "mean busy staff"),
    "utilisation": ("利用率", "utilisation"),
    "queue": ("平均排隊單數", "mean tickets waiting"),
    "hour": ("時", "hour"),
    "weekday": ("星期", "day"),
    "days": ("一,二,三,四,五,六,日", "Mon,Tue,Wed,Thu,Fri,Sat,Sun"),
    "stages_title": ("各環節時間去向（平均）", "Where the time goes per stage (mean)"),
    "wait": ("等待", "waiting"),
    "work": ("作業", "working"),
    "preempted": ("被搶佔", "preempted"),
    "handed_over": ("交班交接", "shift handover"),
    "travel": ("途中", "travel"),
    "minutes": ("分鐘", "minutes"),
    "no_start": ("日誌無開始時間（started_at），無法區分等待與作業",
                 "the log has no start times (started_at): "
                 "waiting and working cannot be told apart"),
    "swimlane_title": ("工單泳道時間線", "Swimlane timeline of tickets"),
    "time": ("時間", "time"),
    "second_pass": ("第二次處理", "second pass"),
    "lateness_title": ("遲延歸因（按工單）", "Lateness attribution per ticket"),
    "ticket": ("工單", "ticket"),
    "ripple_title": ("緊急事件對常規工單的影響", "Emergency ripple: routine tickets delayed"),
    "emergency": ("緊急工單", "emergency ticket"),
    "delay_min": ("延誤（分鐘）", "delay (minutes)"),
    "tickets_delayed": ("受影響工單", "tickets delayed"),
    "nothing": ("無資料", "no data"),
    "met": ("達標", "met"),
    "not_met": ("未達標", "not met"),
    "queue_deferred": ("平均排隊單數（含延至早班）", "mean tickets waiting (incl. deferred)"),
    "emergency_bar": ("緊急工單", "emergency ticket"),
    "routine_bar": ("常規工單（每單一色）", "routine ticket (one colour each)"),
    "travel_bar": ("途中（淺色）", "travel (light)"),
    "preempted_gap": ("被搶佔的空檔", "preempted (gap)"),
    "handover_gap": ("交班交接的空檔", "shift handover (gap)"),
    "event_mark": ("事件", "event"),
    "unnamed": ("未記名", "no one named"),
    "not_measurable": ("無法量測", "not measurable"),
    "percent": ("%", "%"),
    "hours": ("小時", "hours"),
    "days_unit": ("天", "days"),
    "received": ("受理", "received"),
    "hour_local": ("時（{zone}）", "hour ({zone})"),
    "ripple_delay": ("中斷時間", "time the work was interrupted"),
    "ripple_late": ("其中造成遲延（歸因於搶佔）", "of which made tickets late (preemption)"),
    "urgent": ("緊急", "emergency"),
    "late_note": ("，遲延 {:.1f} 分鐘", ", {:.1f} min late"),
}
_GROUP = {
    "desk": ("前臺", "front desk"),
    "engineering": ("工程部", "engineering"),
    "security": ("保安部", "security"),
    "housekeeping": ("客房清潔部", "housekeeping"),
    "customer_service": ("客服部", "customer service"),
    "supervisors": ("主管", "supervisors"),
    "managers": ("經理", "managers"),
}


def _pick(pair: tuple[str, str], lang: Lang) -> str:
    return pair[0] if lang == "zh" else pair[1]


def text(key: str, lang: Lang) -> str:
    """A figure / report phrase by key (see ``_TEXT``)."""
    try:
        return _pick(_TEXT[key], lang)
    except KeyError:
        raise KeyError(f"no label {key!r}") from None


def indicator_label(indicator: str, lang: Lang) -> str:
    """Label of an indicator id (``INDICATORS[..].label_zh`` / ``label_en``)."""
    spec = INDICATORS.get(indicator)
    if spec is None:
        return indicator
    return spec.label_zh if lang == "zh" else spec.label_en


def clock_label(clock: str, lang: Lang) -> str:
    """Label of a control point (``ClockSpec.label_zh`` / ``label_en``)."""
    spec = SEED_CONTROL_POINTS.specs.get(clock)
    if spec is None:
        return clock
    return spec.label_zh if lang == "zh" else spec.label_en


def activity_label(activity: str, lang: Lang) -> str:
    """Label of an activity (``ACTIVITY_LABELS``)."""
    try:
        return _pick(ACTIVITY_LABELS[Activity(activity)], lang)
    except ValueError:
        return activity


def role_label(role: str, lang: Lang) -> str:
    """Label of a role (``all`` for every role)."""
    if role == "all":
        return "全部" if lang == "zh" else "all"
    try:
        return _pick(_ROLE[Role(role)], lang)
    except ValueError:
        return role


def cause_label(cause: str, lang: Lang) -> str:
    """Label of a lateness cause (:data:`fcsim.analysis.CAUSES`)."""
    return _pick(_CAUSE[cause], lang) if cause in _CAUSE else cause


def group_label(group: str, lang: Lang) -> str:
    """Label of a staff group or department of the shipped scenarios (the id otherwise)."""
    return _pick(_GROUP[group], lang) if group in _GROUP else group


def short_ticket_id(ticket_id: str) -> str:
    """A ticket id without the simulator's ``<scenario>-r<replication>-`` prefix."""
    head, sep, tail = str(ticket_id).rpartition("-r")
    if sep and head and "-" in tail:
        rep, _, num = tail.partition("-")
        if rep.isdigit() and num:
            return num
    return str(ticket_id)


def ticket_label(ticket_id: str, category: str | None, received_at: Any, tz: tzinfo | str,
                 lang: Lang, *, emergency: bool = False) -> str:
    """``000123 · 工程 · 03-06 21:10`` (short id, category, local receipt); an emergency says
    so (``000124 緊急 · 工程 …``, ``000124 emergency · engineering …``)."""
    parts = [short_ticket_id(ticket_id) + (f" {text('urgent', lang)}" if emergency else "")]
    if category is not None and category == category and str(category):
        parts.append(category_label(str(category), lang))
    if received_at is not None and not pd.isna(received_at):
        parts.append(pd.Timestamp(received_at).tz_convert(tz).strftime("%m-%d %H:%M"))
    return " · ".join(parts)


def lane_label(lane: str, role: str, member: Any, lang: Lang) -> str:
    """A swimlane's label: the person, their group and shift (``eng-1 · 工程部 08–17``); a
    lane without a person (the role alone, e.g. a call received at the desk) says so."""
    if member is not None:
        dept = member.department or member.group
        call = ("（待命）" if lang == "zh" else " (on call)") if member.on_call else ""
        return f"{lane} · {group_label(str(dept), lang)} {member.hours}{call}"
    if lane == role:
        return f"{role_label(role, lang)} · {text('unnamed', lang)}"
    return lane


def category_label(category: str, lang: Lang) -> str:
    """Label of a category of the default taxonomy (the id itself for other taxonomies)."""
    tax = default_taxonomy()
    if category in tax:
        cat = tax[category]
        lab = cat.label_zh if lang == "zh" else cat.label_en
        return lab or category
    return category
