"""Why a target is out of reach: the ceiling, where the remaining breaches come from, and which
of them the rostered groups cannot move — said in one sentence, in Chinese and English.

* :func:`ceiling` — the KPI with the rostered groups' staff raised in *every* hour (on duty
  around the clock, their on-call pattern kept): ``N`` on duty, then ``2N``, ``4N`` …, on the
  same simulated weeks (common random numbers), until one further doubling moves the KPI by
  less than its interval's half-width. The ceiling is the KPI there, with its interval.
* :func:`breach_sources` — the breached and missing clock instances of a roster's simulated
  weeks, as shares by clock, category, local hour and lateness cause (from
  :func:`~fcsim.analysis.attribute_lateness`, the cause holding most of each instance's late
  seconds), and by *reason*: ``staffing`` (waiting for a rostered group's people, preemption
  or hand-over — what more of them would move), ``other_group`` (a clock another group owns),
  ``call_out`` (an emergency met by the on-call person after the call-out delay, in an hour
  with nobody on duty), ``stage_duration`` (travel or the stage's own work ran past the
  bound), ``bound`` (the clock's bound is shorter than the mean of the stages inside it) and
  ``process`` (rework, escalation). Only ``staffing`` is the rostered groups' to move.
* :func:`sentence` — the plain answer.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from fcsim.analysis import attribute_lateness
from fcsim.model.control_points import SEED_CONTROL_POINTS
from fcsim.model.indicators import INDICATORS
from fcsim.roster.scenario import cost_per_h, currency, headcount_variant
from fcsim.roster.weeks import Weeks, breaches, simulate_weeks
from fcsim.scenarios import Scenario
from fcsim.staffing.estimate import Estimate, estimate
from fcsim.staffing.targets import KpiTarget

__all__ = ["REASONS", "BreachSources", "Ceiling", "breach_sources", "ceiling", "kpi_label",
           "sentence"]

#: Reasons a breach remains, and whether the rostered groups can move it.
REASONS: dict[str, tuple[str, str, bool]] = {
    "staffing": ("等待本組人員", "waiting for the rostered staff", True),
    "other_group": ("等待其他部門", "waiting for another group", False),
    "call_out": ("夜間值班召回", "night call-outs", False),
    "stage_duration": ("環節本身耗時", "the stage's own duration", False),
    "bound": ("時限短於環節耗時", "a bound shorter than its stages", False),
    "process": ("返工或上報", "rework or escalation", False),
}
_CAUSE_REASON = {"desk_wait": "staffing", "technician_wait": "staffing",
                 "preemption": "staffing", "handover": "staffing", "travel": "stage_duration",
                 "work": "stage_duration", "rework": "process", "escalation": "process",
                 "unknown": "staffing"}


def kpi_label(kpi: str, lang: str) -> str:
    """Bilingual label of a target's KPI."""
    zh = lang == "zh"
    if kpi in INDICATORS:
        return INDICATORS[kpi].label_zh if zh else INDICATORS[kpi].label_en
    for prefix, zh_p, en_p in (("clock_zero_breach.", "零違規週：", "zero-breach weeks of "),
                               ("zero_breach.", "零違規週：", "zero-breach weeks of "),
                               ("clock.", "", "")):
        if kpi.startswith(prefix):
            rest = kpi.removeprefix(prefix)
            spec = SEED_CONTROL_POINTS.specs.get(rest)
            name = rest if spec is None else (spec.label_zh if zh else spec.label_en)
            if rest in INDICATORS:
                name = INDICATORS[rest].label_zh if zh else INDICATORS[rest].label_en
            return (zh_p if zh else en_p) + name + ("達標率" if zh and prefix == "clock." else
                                                    "" if zh else
                                                    " met" if prefix == "clock." else "")
    return kpi


@dataclass(frozen=True)
class Ceiling:
    """The KPI with the groups' staff raised in every hour (see the module docstring)."""

    kpi: str
    heads: dict[str, int]
    estimate: Estimate
    next_heads: dict[str, int]
    next_estimate: Estimate
    levels: list[dict[str, object]]
    weeks: int

    @property
    def reachable(self) -> bool:
        """Whether the target is within the ceiling's interval (or above it)."""
        return self.estimate.ci_high >= self.estimate.threshold

    def as_dict(self) -> dict[str, object]:
        return {"kpi": self.kpi, "heads_on_duty": self.heads,
                "estimate": self.estimate.as_dict(), "doubled_heads": self.next_heads,
                "doubled_estimate": self.estimate_change(), "levels": self.levels,
                "weeks": self.weeks, "reachable": self.reachable}

    def estimate_change(self) -> float:
        return round(self.next_estimate.estimate - self.estimate.estimate, 6)


def ceiling(scenario: Scenario, groups: Sequence[str], target: KpiTarget, *,
            start_heads: Mapping[str, int], seed: int, reps: Sequence[int], confidence: float,
            max_levels: int = 5, progress: Callable[[str], None] | None = None) -> Ceiling:
    """The ceiling of ``target``'s KPI for ``groups`` (see the module docstring)."""
    say = progress or (lambda _m: None)
    heads = {g: max(1, int(start_heads.get(g, 1))) for g in groups}
    levels: list[dict[str, object]] = []
    ests: list[tuple[dict[str, int], Estimate]] = []
    weeks = 0
    for level in range(max_levels + 1):
        scen = headcount_variant(scenario, heads)
        w = simulate_weeks(scen, seed=seed, reps=reps)
        weeks += w.count
        est = estimate(target, w.metrics(), confidence)
        ests.append((dict(heads), est))
        levels.append({"heads_on_duty": dict(heads), "estimate": round(est.estimate, 6),
                       "ci_low": round(est.ci_low, 6), "ci_high": round(est.ci_high, 6)})
        say(f"ceiling: {heads} on duty in every hour → {target.kpi} {est.estimate:.4f}")
        if level >= 1:
            prev = ests[-2][1]
            if abs(est.estimate - prev.estimate) < prev.half_width or level == max_levels:
                return Ceiling(target.kpi, ests[-2][0], prev, dict(heads), est, levels, weeks)
        heads = {g: 2 * n for g, n in heads.items()}
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns


@dataclass(frozen=True)
class BreachSources:
    """Shares of the remaining breaches (see the module docstring)."""

    total: int
    weeks: int
    by_clock: dict[str, float]
    by_category: dict[str, float]
    by_hour: dict[int, float]
    by_cause: dict[str, float]
    by_reason: dict[str, float]
    by_group: dict[str, float]
    facts: dict[str, object] = field(default_factory=dict)

    def movable_share(self) -> float:
        return sum(v for k, v in self.by_reason.items() if REASONS[k][2])

    def as_dict(self) -> dict[str, object]:
        def r(d: Mapping[Any, float]) -> dict[str, float]:
            return {str(k): round(float(v), 4) for k, v in d.items()}

        return {"breaches": self.total, "weeks": self.weeks,
                "per_week": round(self.total / self.weeks, 3) if self.weeks else None,
                "by_reason": r(self.by_reason), "by_clock": r(self.by_clock),
                "by_group": r(self.by_group), "by_category": r(self.by_category),
                "by_hour_of_day": r(self.by_hour), "by_cause": r(self.by_cause),
                "cannot_move": {k: round(float(v), 4) for k, v in self.by_reason.items()
                                if not REASONS[k][2]},
                "facts": self.facts}


def _stage_means(scenario: Scenario) -> dict[tuple[str, bool], float]:
    """Mean minutes of the stages inside each clock (routine, emergency)."""
    st = scenario.stages
    return {("record", False): st.record_min.mean, ("record", True): st.emergency_record_min.mean,
            ("dispatch", False): st.classify_min.mean + st.dispatch_min.mean,
            ("emergency_report", True): st.emergency_record_min.mean
            + st.emergency_report_min.mean,
            ("on_site", False): st.sign_min.mean + st.travel_min.mean,
            ("on_site", True): st.travel_min.mean, ("plan", False): st.plan_min.mean,
            ("plan", True): st.plan_min.mean, ("escalate", False): st.escalate_min.mean,
            ("escalate", True): st.escalate_min.mean,
            ("callback", False): st.callback_min.mean}


def _shares(s: pd.Series) -> dict[object, float]:
    if s.empty or s.sum() <= 0:
        return {}
    v = (s / s.sum()).sort_values(ascending=False)
    return {k: float(x) for k, x in v.items()}


def breach_sources(weeks: Weeks, groups: Sequence[str]) -> BreachSources:
    """Where the breaches of a roster's simulated weeks come from (see the module docstring)."""
    scen = weeks.scenario
    table = breaches(weeks)
    n = len(table)
    if n == 0:
        return BreachSources(0, weeks.count, {}, {}, {}, {}, {}, {})
    cps = scen.control_points()
    means = _stage_means(scen)
    duty = {g: np.asarray(scen.staff[g].weekly(on_call=False)) for g in groups}
    call = {g: np.asarray(scen.staff[g].weekly(on_call=True)) for g in groups}
    cp = weeks.kpi().control_points
    bad = cp[cp["status"].astype(str).isin(["breached", "missing"])]
    att = attribute_lateness(weeks.log(), bad)
    key = ["replication", "ticket_id", "attempt", "occurrence", "control_point"]
    if len(att):
        att = att.copy()
        att["ticket_id"] = att["ticket_id"].astype(str)
        att["control_point"] = att["control_point"].astype(str)
        att["replication"] = att["replication"].astype(int)
        top = (att.sort_values("seconds", ascending=False)
               .drop_duplicates(key)[[*key, "cause"]])
        t2 = table.copy()
        t2["replication"] = t2["replication"].astype(int)
        t2["attempt"] = t2["attempt"].astype(int)
        t2["occurrence"] = t2["occurrence"].astype(int)
        top["attempt"] = top["attempt"].astype(int)
        top["occurrence"] = top["occurrence"].astype(int)
        table = t2.merge(top, on=key, how="left")
        cause_secs = att.groupby("cause")["seconds"].sum()
    else:
        table = table.assign(cause=None)
        cause_secs = pd.Series(dtype=float)
    table["cause"] = table["cause"].fillna("unknown")
    reasons = []
    callout_hours: list[int] = []
    for r in table.itertuples(index=False):
        clock, g, e = str(r.control_point), r.group, bool(r.emergency)
        how = None if pd.isna(r.hour_of_week) else int(r.hour_of_week)
        ub = cps.resolve(clock, str(r.category), e).upper_s
        mean_min = means.get((clock, e))
        if g is None or g not in groups:
            reasons.append("other_group")
        elif (clock == "on_site" and e and how is not None and duty[g][how] == 0
              and call[g][how] > 0):
            reasons.append("call_out")
            callout_hours.append(how % 24)
        elif ub is not None and mean_min is not None and mean_min * 60.0 > ub:
            reasons.append("bound")
        else:
            reasons.append(_CAUSE_REASON.get(str(r.cause), "staffing"))
    table["reason"] = reasons
    facts: dict[str, object] = {}
    if callout_hours:
        facts["call_out"] = {"hours_of_day": sorted(set(callout_hours))}
    hours = table["hour_of_week"].dropna().astype(int) % 24
    return BreachSources(
        n, weeks.count,
        {str(k): v for k, v in _shares(table["control_point"].value_counts()).items()},
        {str(k): v for k, v in _shares(table["category"].value_counts()).items()},
        {int(k): v for k, v in _shares(hours.value_counts()).items()},  # type: ignore[call-overload]
        {str(k): v for k, v in _shares(cause_secs).items()},
        {str(k): v for k, v in _shares(table["reason"].value_counts()).items()},
        {str(k): v for k, v in _shares(table["group"].fillna("none").value_counts()).items()},
        facts)


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def _money(x: float) -> str:
    return f"{x:,.0f}"


def night_shift_cost(scenario: Scenario, group: str, window: tuple[int, int] | None) -> float:
    """Weekly cost of one more person on duty through the on-call period every night."""
    if window is None:
        return math.nan
    cost = cost_per_h(scenario, group)
    hours = [(d * 24 + h) % 168 for d in range(7) for h in range(window[0], window[1])]
    return float(cost[hours].sum())


def sentence(*, target: KpiTarget, status: str, achieved: Estimate, cost_per_week: float,
             scenario: Scenario, groups: Sequence[str], ceiling_: Ceiling | None,
             sources: BreachSources | None, windows: Mapping[str, tuple[int, int] | None],
             heads: Mapping[str, int]) -> tuple[str, str]:
    """The answer in one sentence: ``(Chinese, English)``."""
    cur = currency(scenario)
    en_k, zh_k = kpi_label(target.kpi, "en"), kpi_label(target.kpi, "zh")
    gs = ", ".join(groups)
    if status == "met":
        staff = sum(heads.values())
        en = (f"The roster of {staff} people ({gs}) meets {en_k} {'>' if target.strict else '>='} "
              f"{_pct(target.threshold)}: estimated {_pct(achieved.estimate)} (interval "
              f"{_pct(achieved.ci_low)}–{_pct(achieved.ci_high)}) at {_money(cost_per_week)} "
              f"{cur} per week.")
        zh = (f"{staff}人的班表（{gs}）達到{zh_k}目標{_pct(target.threshold)}：估計"
              f"{_pct(achieved.estimate)}（區間{_pct(achieved.ci_low)}–"
              f"{_pct(achieved.ci_high)}），每週成本{_money(cost_per_week)} {cur}。")
        return zh, en
    parts_en: list[str] = []
    parts_zh: list[str] = []
    actions_en_first: list[str] = []
    actions_zh_first: list[str] = []
    if ceiling_ is not None:  # the cover with which the ceiling was measured
        c = ceiling_.estimate
        on = ", ".join(f"{n} {g} staff" for g, n in ceiling_.heads.items())
        on_zh = "、".join(f"{g} {n}人" for g, n in ceiling_.heads.items())
    if ceiling_ is not None and ceiling_.reachable:
        # the search stopped (its budget) below a target that more cover can still reach
        parts_en.append(f"{en_k} is not yet met: the best roster reaches "
                        f"{_pct(achieved.estimate)} (interval {_pct(achieved.ci_low)}–"
                        f"{_pct(achieved.ci_high)}) against {_pct(target.threshold)}, and the "
                        f"target is within reach ({_pct(c.estimate)}, interval "
                        f"{_pct(c.ci_low)}–{_pct(c.ci_high)}, with {on} on duty in every hour)")
        parts_zh.append(f"{zh_k}尚未達標：最好的班表為{_pct(achieved.estimate)}（區間"
                        f"{_pct(achieved.ci_low)}–{_pct(achieved.ci_high)}），目標"
                        f"{_pct(target.threshold)}；加人可達（{on_zh}每小時在崗時為"
                        f"{_pct(c.estimate)}，區間{_pct(c.ci_low)}–{_pct(c.ci_high)}）")
        actions_en_first = ["allow more iterations or simulated weeks (--max-iterations, "
                            "--max-weeks)"]
        actions_zh_first = ["增加迭代次數或模擬週數"]
    elif ceiling_ is not None:
        parts_en.append(f"{en_k} levels off at {_pct(c.estimate)} (interval {_pct(c.ci_low)}–"
                        f"{_pct(c.ci_high)}) with {on} on duty in every hour (doubling them "
                        f"moves it by {100 * ceiling_.estimate_change():+.1f} points), against "
                        f"a target of {_pct(target.threshold)}; the roster reaches "
                        f"{_pct(achieved.estimate)}")
        parts_zh.append(f"{zh_k}最高只能到{_pct(c.estimate)}（區間{_pct(c.ci_low)}–"
                        f"{_pct(c.ci_high)}）：{on_zh}每小時在崗，再加倍僅變動"
                        f"{100 * ceiling_.estimate_change():+.1f}個百分點，目標為"
                        f"{_pct(target.threshold)}；班表達到{_pct(achieved.estimate)}")
    else:
        parts_en.append(f"no roster within the allowed staff reaches {en_k} "
                        f"{_pct(target.threshold)}; the best reaches {_pct(achieved.estimate)}")
        parts_zh.append(f"在允許的人員內沒有班表達到{zh_k}{_pct(target.threshold)}；最好為"
                        f"{_pct(achieved.estimate)}")
    actions_en: list[str] = list(actions_en_first)
    actions_zh: list[str] = list(actions_zh_first)
    if sources is not None and sources.total:
        top = [(k, v) for k, v in sources.by_reason.items() if v >= 0.1][:2] or list(
            sources.by_reason.items())[:1]
        bits_en, bits_zh = [], []
        for reason, share in top:
            zh_r, en_r, _ = REASONS[reason]
            if reason == "other_group":
                others = [(g, v) for g, v in sources.by_group.items() if g not in groups]
                who = ", ".join(g for g, _ in others[:2])
                bits_en.append(f"{_pct(share)} wait for another group ({who})")
                bits_zh.append(f"{_pct(share)}在等其他部門（{who}）")
                actions_en.append(f"roster {others[0][0] if others else 'it'} too "
                                  f"(--group {','.join([*groups, *(g for g, _ in others[:1])])})")
                actions_zh.append(f"一併排{others[0][0] if others else ''}的班表")
            elif reason == "call_out":
                g = next((x for x in groups if windows.get(x)), groups[0])
                extra = night_shift_cost(scenario, g, windows.get(g))
                sc = scenario.staff[g]
                callout = sc.callout_min.mean + scenario.stages.travel_min.mean
                bound = scenario.control_points().resolve("on_site", None, True).upper_s or 0
                bits_en.append(f"{_pct(share)} are night call-outs ({callout:.0f} min against "
                               f"a {bound / 60:g}-min clock)")
                bits_zh.append(f"{_pct(share)}是夜間值班召回（{callout:.0f}分鐘，時限"
                               f"{bound / 60:g}分鐘）")
                actions_en.append(f"add a night shift (+{_money(extra)} {cur}/week) or change "
                                  "the on-call rule")
                actions_zh.append(f"增設夜班（每週+{_money(extra)} {cur}）或修改值班規則")
            else:
                bits_en.append(f"{_pct(share)} are {en_r}")
                bits_zh.append(f"{_pct(share)}是{zh_r}")
                if reason == "staffing":
                    actions_en.append("allow more staff (--staff)")
                    actions_zh.append("增加可排人員")
                elif reason in ("stage_duration", "bound"):
                    clock = next(iter(sources.by_clock), "")
                    actions_en.append(f"shorten the stages or revisit the {clock} bound")
                    actions_zh.append("縮短環節時間或檢討時限")
                else:
                    actions_en.append("reduce rework and escalations")
                    actions_zh.append("減少返工與上報")
        parts_en.append("of the remaining breaches " + ", ".join(bits_en))
        parts_zh.append("餘下違規中" + "，".join(bits_zh))
    en = "; ".join(parts_en)
    zh = "；".join(parts_zh)
    if actions_en:
        en += ": " + " or ".join(dict.fromkeys(actions_en))
        zh += "：" + "或".join(dict.fromkeys(actions_zh))
    return zh + "。", en[0].upper() + en[1:] + "."
