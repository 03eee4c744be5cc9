"""Bilingual labels for figures and the report, reusing those of :mod:`fcsim.model`."""

from __future__ import annotations

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
    "indicator_label",
    "role_label",
    "text",
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


def category_label(category: str, lang: Lang) -> str:
    """Label of a category of the default taxonomy (the id itself for other taxonomies)."""
    tax = default_taxonomy()
    if category in tax:
        cat = tax[category]
        lab = cat.label_zh if lang == "zh" else cat.label_en
        return lab or category
    return category
