"""Checking a roster's labour rules from ``roster.csv`` alone (plus the staff and the rules).

Independent of the integer program: every rule of :data:`~fcsim.roster.rules.RULES` is
re-evaluated from the rows' local date-times (``start``/``end`` with their offsets; the week
repeats, so the first shift of the week follows the last one, 7 days later). Cover rules
(skill cover, supervisor) count people on duty in each local hour of the week.
:func:`check_roster` returns the violations (empty when every enabled rule holds).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise

import pandas as pd

from fcsim.roster.people import Person
from fcsim.roster.rules import Rules

__all__ = ["Violation", "check_roster", "read_roster"]


@dataclass(frozen=True)
class Violation:
    """A rule broken by a person (or a group, for cover rules)."""

    rule: str
    who: str
    detail: str


def read_roster(path: str) -> pd.DataFrame:
    """``roster.csv`` with its columns checked."""
    df = pd.read_csv(path, dtype=str)
    need = ["staff", "date", "start", "end", "kind"]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {missing}")
    bad = sorted(set(df["kind"]) - {"work", "on_call", "off"})
    if bad:
        raise ValueError(f"{path}: unknown kind(s) {bad}")
    return df


def _hours_of_week(a: datetime, b: datetime, monday: date) -> list[int]:
    """Local hours of the week (0 = Monday 00:00) touched by ``[a, b)`` (wall clock)."""
    out = []
    t = a.replace(minute=0, second=0, microsecond=0)
    while t < b:
        out.append(((t.date() - monday).days * 24 + t.hour) % 168)
        t = (t.replace(tzinfo=None) + timedelta(hours=1)).replace(tzinfo=t.tzinfo)
    return out


def _runs(flags: list[bool]) -> int:
    """Longest cyclic run of True in a week of flags."""
    if all(flags):
        return len(flags) * 2  # unbounded (the week repeats)
    best = cur = 0
    for f in flags + flags:
        cur = cur + 1 if f else 0
        best = max(best, cur)
    return best


def check_roster(roster: pd.DataFrame, people: Sequence[Person], rules: Rules | None = None,
                 *, on_call_groups: Sequence[str] = ()) -> list[Violation]:
    """Every violation of the enabled rules in ``roster`` (``roster.csv`` rows).

    Parameters
    ----------
    roster
        The rows (``staff, date, start, end, kind``).
    people
        The staff (contracts, skills, leave) the roster was made for.
    rules
        The rules (default: every rule on).
    on_call_groups
        Groups that must have exactly one person on call every night.
    """
    rules = rules or Rules()
    by_name = {p.name: p for p in people}
    unknown = sorted(set(roster["staff"]) - set(by_name))
    if unknown:
        raise ValueError(f"roster names people not in the staff list: {unknown}")
    monday = min(date.fromisoformat(str(d)) for d in roster["date"])
    out: list[Violation] = []
    night = rules.night
    work: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    call: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for r in roster.itertuples(index=False):
        a, b = datetime.fromisoformat(str(r.start)), datetime.fromisoformat(str(r.end))
        if str(r.date) != a.date().isoformat():
            out.append(Violation("format", str(r.staff), f"row dated {r.date} starts {a}"))
        if r.kind == "work":
            work[str(r.staff)].append((a, b))
        elif r.kind == "on_call":
            call[str(r.staff)].append((a, b))

    def day_of(t: datetime) -> int:
        return (t.date() - monday).days

    def is_night(a: datetime, b: datetime) -> bool:
        hrs = _hours_of_week(a, b, monday)
        return sum(night.is_night_hour(h % 24) for h in hrs) >= night.min_h

    for name, p in by_name.items():
        shifts = sorted(work.get(name, []))
        lengths = [(b - a).total_seconds() / 3600.0 for a, b in shifts]
        if rules.shift_length.enabled:
            for (a, _b), h in zip(shifts, lengths, strict=True):
                if not rules.shift_length.min_h <= round(h) <= rules.shift_length.max_h:
                    out.append(Violation("shift_length", name, f"{a:%a %H:%M}: {h:g} h"))
        cyc = shifts + [(a + timedelta(days=7), b + timedelta(days=7)) for a, b in shifts[:1]]
        for (a1, b1), (a2, _b2) in pairwise(cyc):
            gap = (a2 - b1).total_seconds() / 3600.0
            if gap < 0:
                out.append(Violation("overlap", name, f"shifts at {a1} and {a2} overlap"))
            elif rules.rest.enabled and gap < rules.rest.min_h and len(shifts) > 1:
                out.append(Violation("rest", name, f"{gap:g} h rest before {a2:%a %H:%M}"))
        per_day: dict[int, int] = defaultdict(int)
        for a, _b in shifts:
            per_day[day_of(a) % 7] += 1
        if rules.one_shift_per_day.enabled:
            for d, n in per_day.items():
                if n > 1:
                    out.append(Violation("one_shift_per_day", name, f"day {d}: {n} shifts"))
        worked = [per_day.get(d, 0) > 0 for d in range(7)]
        if rules.days_off.enabled and 7 - sum(worked) < rules.days_off.min_days:
            out.append(Violation("days_off", name, f"{7 - sum(worked)} day(s) off"))
        if rules.consecutive_days.enabled and _runs(worked) > rules.consecutive_days.max_days:
            out.append(Violation("consecutive_days", name, f"{_runs(worked)} days in a row"))
        nights = [False] * 7
        for a, b in shifts:
            if is_night(a, b):
                nights[day_of(a) % 7] = True
        if rules.consecutive_nights.enabled:
            k = rules.consecutive_nights.max_nights
            for d in range(7):
                if all(nights[(d + j) % 7] for j in range(k)) and (
                        k >= 7 or worked[(d + k) % 7]):
                    out.append(Violation("consecutive_nights", name,
                                         f"{k} nights from day {d} and no day off after"))
        if rules.night_eligibility.enabled:
            if not p.night and any(nights):
                out.append(Violation("night_eligibility", name, "night shift, not eligible"))
            if not p.on_call and call.get(name):
                out.append(Violation("night_eligibility", name, "on call, not eligible"))
        if rules.weekly_hours.enabled:
            total = sum(lengths)
            lo = max(0.0, p.min_hours - 8.0 * len(p.leave)) if rules.leave.enabled else (
                p.min_hours)
            if total < lo - 1e-9 or total > p.max_hours + 1e-9:
                out.append(Violation("weekly_hours", name,
                                     f"{total:g} h outside {lo:g}-{p.max_hours:g}"))
        if rules.leave.enabled and p.leave:
            for a, b in [*shifts, *call.get(name, [])]:
                days = {(h // 24) for h in _hours_of_week(a, b, monday)}
                if days & p.leave:
                    out.append(Violation("leave", name, f"{a:%a %H:%M} touches leave"))
        worked_h = {h for a, b in shifts for h in _hours_of_week(a, b, monday)}
        for a, b in call.get(name, []):
            if worked_h & set(_hours_of_week(a, b, monday)):
                out.append(Violation("on_call", name, f"works during on call {a:%a %H:%M}"))

    # cover rules, per group and hour of the week
    groups = sorted({p.group for p in people})
    duty: dict[str, list[list[Person]]] = {g: [[] for _ in range(168)] for g in groups}
    for name, shifts in work.items():
        p = by_name[name]
        for a, b in shifts:
            for h in _hours_of_week(a, b, monday):
                duty[p.group][h].append(p)
    if rules.skill_cover.enabled:
        for need in rules.skill_cover.cover:
            if need.group not in duty:
                continue
            for h in need.hours_of_week():
                have = sum(need.skill in q.skills for q in duty[need.group][h])
                if have < need.min:
                    out.append(Violation("skill_cover", need.group,
                                         f"hour {h}: {have} with {need.skill}, need {need.min}"))
    if rules.supervisor.enabled:
        sel = rules.supervisor.groups or [g for g in groups if any(
            q.supervisor for q in people if q.group == g)]
        for g in sel:
            if g not in duty:
                continue
            for h in range(168):
                team = duty[g][h]
                if len(team) >= rules.supervisor.min_team and not any(q.supervisor for q in team):
                    out.append(Violation("supervisor", g, f"hour {h}: {len(team)} on duty, no "
                                                          "supervisor-qualified person"))

    def spread(rule: str, g: str, counts: Mapping[str, int], limit: int) -> None:
        if len(counts) >= 2 and max(counts.values()) - min(counts.values()) > limit:
            out.append(Violation(rule, g, f"counts {dict(sorted(counts.items()))} differ by more "
                                          f"than {limit}"))

    for g in groups:
        members = [q for q in people if q.group == g]
        active = [q for q in members if work.get(q.name)]
        if rules.weekend_fairness.enabled:
            counts = {q.name: sum(1 for a, _b in work[q.name] if day_of(a) % 7 in (5, 6))
                      for q in active if not (rules.leave.enabled and {5, 6} & q.leave)}
            spread("weekend_fairness", g, counts, rules.weekend_fairness.spread)
        if rules.night_fairness.enabled:
            counts = {q.name: sum(1 for a, b in work[q.name] if is_night(a, b))
                      for q in active if (q.night or not rules.night_eligibility.enabled)
                      and not (rules.leave.enabled and q.leave)}
            if any(counts.values()):
                spread("night_fairness", g, counts, rules.night_fairness.spread)
        if rules.on_call.enabled and g in on_call_groups:
            on_night: dict[int, list[str]] = defaultdict(list)
            for q in members:
                for a, _b in call.get(q.name, []):
                    on_night[day_of(a) % 7].append(q.name)
            for d in range(7):
                if len(on_night.get(d, [])) != 1:
                    out.append(Violation("on_call", g, f"night {d}: {len(on_night.get(d, []))} "
                                                       "people on call, need exactly 1"))
            if rules.on_call.rotation:
                for d in range(7):
                    both = set(on_night.get(d, [])) & set(on_night.get((d + 1) % 7, []))
                    for who in both:
                        out.append(Violation("on_call", who, f"on call nights {d} and {d + 1}"))
            counts = {q.name: sum(q.name in v for v in on_night.values()) for q in members
                      if (q.on_call or not rules.night_eligibility.enabled)
                      and not (rules.leave.enabled and q.leave)}
            spread("on_call", g, counts, rules.on_call.spread)
    return out
