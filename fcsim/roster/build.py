"""The roster as an integer program: variables, the rules as linear rows, the cost.

Variables (all integer):

* ``x[p, d, s, L]`` — person ``p`` works a shift starting ``s`` o'clock on day ``d`` for ``L``
  hours (one per allowed start and length, or per template; none where the person is on leave
  or may not work nights);
* ``y[p, d]`` — ``p`` is on call on night ``d`` (groups with an on-call pattern);
* ``short[g, t] >= 0`` — people missing from group ``g``'s requirement in hour ``t`` (priced
  above any shift that could cover it, so the requirement is met whenever the rules allow);
  ``skill_short`` likewise for the skill-cover rule;
* fairness bounds, "works this week" indicators and the consecutive-days-off preference.

Each rule of :mod:`fcsim.roster.rules` is one family of rows (skipped when disabled); see
:data:`~fcsim.roster.rules.RULES` for their meaning. Identical people (same group, contract,
skills and leave) are ordered by hours worked, which removes symmetric copies of a solution.
:func:`decode` turns a solution vector back into a :class:`~fcsim.roster.problem.Roster`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from fcsim.roster.linear import LinearModel
from fcsim.roster.people import Person
from fcsim.roster.problem import Assignment, Roster, RosterProblem, span_hours

__all__ = ["BuiltModel", "build_model", "decode", "held_hours", "person_class", "shift_options",
           "supervised_groups"]

WEEKEND = (5, 6)


def shift_options(problem: RosterProblem, group: str) -> list[tuple[int, int]]:
    """Allowed ``(start_h, length_h)`` of a group's work shifts (its templates, else every
    allowed start with every allowed length)."""
    rules = problem.rules
    tpl = rules.shifts.templates.get(group)
    if tpl:
        out = [(t.start_h, t.end_h - t.start_h) for t in tpl]
        if rules.shift_length.enabled:
            bad = [o for o in out if not rules.shift_length.min_h <= o[1]
                   <= rules.shift_length.max_h]
            if bad:
                raise ValueError(f"shifts.templates.{group}: template(s) {bad} break the "
                                 f"shift-length rule ({rules.shift_length.min_h}-"
                                 f"{rules.shift_length.max_h} h)")
        return sorted(set(out))
    return [(s, L) for s in sorted(set(rules.shifts.starts_h)) for L in rules.lengths_h()]


@dataclass
class BuiltModel:
    """The integer program with the meaning of its variables."""

    model: LinearModel
    work_idx: npt.NDArray[np.int64]
    work: list[tuple[int, int, int, int]]  # (person index, day, start_h, length_h)
    call_idx: npt.NDArray[np.int64]
    call: list[tuple[int, int]]  # (person index, day)
    short_idx: dict[str, npt.NDArray[np.int64]] = field(default_factory=dict)
    skill_short_idx: npt.NDArray[np.int64] = field(
        default_factory=lambda: np.zeros(0, dtype=np.int64))
    penalty_per_h: float = 0.0


def _days_touched(hours: list[int]) -> set[int]:
    return {h // 24 for h in hours}


def person_class(p: Person) -> tuple[object, ...]:
    """What makes two people interchangeable for the roster."""
    return (p.group, p.min_hours, p.max_hours, p.skills, p.night, p.on_call, p.supervisor,
            p.leave, p.rate_per_h)


def _identical(a: Person, b: Person) -> bool:
    return person_class(a) == person_class(b)


def held_hours(day: npt.NDArray[np.int64], start: npt.NDArray[np.int64],
               hours: npt.NDArray[np.int64]
               ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], int]:
    """The hours of the week that shifts (``day``, ``start``, ``hours`` long, rest included)
    hold, as sparse rows: each entry's row among the hours held, the shift it comes from, and
    the number of hours held (one "at most this many at a time" row each)."""
    rows = np.concatenate([(d * 24 + s + np.arange(h)) % 168
                           for d, s, h in zip(day, start, hours, strict=True)])
    shift = np.repeat(np.arange(len(hours)), hours)
    used = np.unique(rows)
    return np.searchsorted(used, rows), shift, int(used.size)


def supervised_groups(problem: RosterProblem) -> list[tuple[str, int]]:
    """The groups (with their sizes) the supervisor rule applies to: the rule's groups, else
    those with a supervisor-qualified member, that have at least ``min_team`` members."""
    rule = problem.rules.supervisor
    groups = rule.groups
    if groups is None:
        groups = tuple(g for g in problem.groups
                       if any(p.supervisor for p in problem.members(g)))
    return [(g, len(problem.members(g))) for g in groups
            if g in problem.groups and len(problem.members(g)) >= rule.min_team]


def build_model(problem: RosterProblem,
                allowed: dict[int, set[tuple[int, int, int]]] | None = None) -> BuiltModel:
    """The integer program of ``problem`` (see the module docstring).

    ``allowed`` (by person index) restricts each person's work shifts to some ``(day,
    start_h, length_h)``: the assignment step of :func:`fcsim.roster.solve.solve_roster`.
    """
    rules = problem.rules
    people = list(problem.people)
    m = LinearModel()
    leave_on = rules.leave.enabled
    elig_on = rules.night_eligibility.enabled

    # ---------------------------------------------------------------- work variables
    work: list[tuple[int, int, int, int]] = []
    costs: list[float] = []
    options = {g: shift_options(problem, g) for g in problem.groups}
    max_len = 1
    for i, p in enumerate(people):
        cost_h = problem.person_cost_per_h(p)
        mine = None if allowed is None else allowed.get(i, set())
        for d in range(7):
            for s, length in options[p.group]:
                if mine is not None and (d, s, length) not in mine:
                    continue
                hrs = span_hours(d, s, length)
                if leave_on and _days_touched(hrs) & p.leave:
                    continue
                if elig_on and not p.night and rules.night.is_night_shift(s, length):
                    continue
                work.append((i, d, s, length))
                costs.append(float(cost_h[hrs].sum()))
                max_len = max(max_len, length)
    w_idx = m.add_vars(len(work), cost=np.asarray(costs)) if work else np.zeros(0, np.int64)
    c_max = max((float(problem.person_cost_per_h(p).max()) for p in people), default=1.0)
    penalty = 2.0 * max_len * max(c_max, 1.0) + 1.0
    wd = np.array([w[1] for w in work], dtype=np.int64)
    ws = np.array([w[2] for w in work], dtype=np.int64)
    wl = np.array([w[3] for w in work], dtype=np.int64)
    night_of = np.array([rules.night.is_night_shift(int(s), int(length))
                         for s, length in zip(ws, wl, strict=True)], dtype=bool)
    by_pd: dict[tuple[int, int], list[int]] = defaultdict(list)
    by_p: dict[int, list[int]] = defaultdict(list)
    for k, (i, d, _s, _l) in enumerate(work):
        by_pd[(i, d)].append(k)
        by_p[i].append(k)

    # ---------------------------------------------------------------- on-call variables
    call: list[tuple[int, int]] = []
    call_cost: list[float] = []
    if rules.on_call.enabled:
        for i, p in enumerate(people):
            g = problem.groups[p.group]
            if g.on_call is None or (elig_on and not p.on_call):
                continue
            cost_h = problem.person_cost_per_h(p)
            for d in range(7):
                hrs = span_hours(d, g.on_call[0], g.on_call_length_h)
                if leave_on and _days_touched(hrs) & p.leave:
                    continue
                call.append((i, d))
                call_cost.append(g.on_call_share * float(cost_h[hrs].sum()))
    c_idx = m.add_vars(len(call), cost=np.asarray(call_cost)) if call else np.zeros(0, np.int64)
    call_of: dict[tuple[int, int], int] = {c: int(c_idx[k]) for k, c in enumerate(call)}

    def day_vars(i: int, d: int) -> npt.NDArray[np.int64]:
        return w_idx[by_pd.get((i, d), [])]

    # ---------------------------------------------------------------- one shift a day
    if rules.one_shift_per_day.enabled:
        for (_i, _d), ks in by_pd.items():
            if len(ks) > 1:
                m.add_row(w_idx[ks], 1, hi=1)

    # ---------------------------------------------------------------- rest / no overlap
    extra = rules.rest.min_h if rules.rest.enabled else 0
    for ks in by_p.values():
        ks_a = np.asarray(ks, dtype=np.int64)
        rows, cols, n_rows = held_hours(wd[ks_a], ws[ks_a], wl[ks_a] + extra)
        m.add_rows(rows, w_idx[ks_a][cols], np.ones(cols.size, np.int64),
                   np.full(n_rows, -np.inf), np.ones(n_rows))
    # nobody works during their own on-call period
    for (i, d), y in call_of.items():
        g = problem.groups[people[i].group]
        assert g.on_call is not None
        window = set(span_hours(d, g.on_call[0], g.on_call_length_h))
        over = [int(w_idx[k]) for k in by_p.get(i, [])
                if window & set(span_hours(int(wd[k]), int(ws[k]), int(wl[k])))]
        m.add_row([*over, y], 1, hi=1)

    # ---------------------------------------------------------------- days off, sequences
    for i, p in enumerate(people):
        ks = by_p.get(i, [])
        if not ks:
            continue
        if rules.days_off.enabled and rules.days_off.min_days > 0:
            m.add_row(w_idx[ks], 1, hi=7 - rules.days_off.min_days)
        if rules.consecutive_days.enabled and rules.consecutive_days.max_days < 7:
            k_max = rules.consecutive_days.max_days
            starts = [0] if k_max + 1 >= 7 else list(range(7))
            for d in starts:
                cols = np.concatenate([day_vars(i, (d + j) % 7) for j in range(min(k_max + 1,
                                                                                   7))])
                if cols.size:
                    m.add_row(cols, 1, hi=k_max)
        if rules.consecutive_nights.enabled and rules.consecutive_nights.max_nights < 7:
            k_max = rules.consecutive_nights.max_nights
            for d in range(7):
                nights = [w_idx[k] for j in range(k_max) for k in by_pd.get((i, (d + j) % 7), [])
                          if night_of[k]]
                after = list(day_vars(i, (d + k_max) % 7))
                if len(nights) >= k_max and after:
                    m.add_row([*nights, *after], 1, hi=k_max)
        if rules.weekly_hours.enabled:
            lo = max(0.0, p.min_hours - 8.0 * len(p.leave)) if leave_on else p.min_hours
            m.add_row(w_idx[ks], wl[ks], lo=float(np.ceil(lo - 1e-9)),
                      hi=float(np.floor(p.max_hours + 1e-9)))

    # ---------------------------------------------------------------- cover (soft)
    cover: dict[tuple[str, int], list[int]] = defaultdict(list)  # work positions k
    for k, (i, d, s, length) in enumerate(work):
        for t in span_hours(d, s, length):
            cover[(people[i].group, t)].append(k)

    def cover_vars(group: str, t: int, who: set[int] | None = None) -> list[int]:
        return [int(w_idx[k]) for k in cover[(group, t)] if who is None or work[k][0] in who]

    short_idx: dict[str, npt.NDArray[np.int64]] = {}
    for gname, g in problem.groups.items():
        req = np.asarray(g.requirement, dtype=np.int64)
        hours = np.flatnonzero(req > 0)
        sv = m.add_vars(hours.size, lb=0, ub=float(max(int(req.max()), 0)), cost=penalty)
        full = np.full(168, -1, dtype=np.int64)
        full[hours] = sv
        short_idx[gname] = full
        for hr, s_var in zip(hours, sv, strict=True):
            m.add_row([*cover_vars(gname, int(hr)), int(s_var)], 1, lo=float(req[hr]))
    skill_short: list[int] = []
    if rules.skill_cover.enabled:
        for need in rules.skill_cover.cover:
            if need.group not in problem.groups:
                continue
            skilled = {i for i, p in enumerate(people)
                       if p.group == need.group and need.skill in p.skills}
            hours_w = need.hours_of_week()
            sv = m.add_vars(len(hours_w), lb=0, ub=float(need.min), cost=2.0 * penalty)
            skill_short += sv.tolist()
            for t, s_var in zip(hours_w, sv, strict=True):
                m.add_row([*cover_vars(need.group, t, skilled), int(s_var)], 1,
                          lo=float(need.min))
    if rules.supervisor.enabled:
        team = rules.supervisor.min_team
        for gname, size in supervised_groups(problem):
            sups = {i for i, p in enumerate(people) if p.group == gname and p.supervisor}
            for t in range(168):
                all_c = cover_vars(gname, t)
                if len(all_c) < team:
                    continue
                sup_c = cover_vars(gname, t, sups)
                m.add_row([*sup_c, *all_c], [size] * len(sup_c) + [-1] * len(all_c),
                          lo=-(team - 1))

    # ---------------------------------------------------------------- fairness
    active: dict[int, int] = {}

    def act(i: int) -> int:
        if i not in active:
            a = int(m.add_vars(1)[0])
            ks = by_p.get(i, [])
            m.add_row([*w_idx[ks], a], [1] * len(ks) + [-1], lo=0)  # a <= Σ x
            for d in range(7):
                dv = day_vars(i, d)
                if dv.size:
                    m.add_row([a, *dv], [1] + [-1] * dv.size, lo=0)  # a >= x on any day
            active[i] = a
        return active[i]

    def spread_rows(members: list[int], counts: dict[int, list[int]], top: int,
                    spread: int) -> None:
        if len(members) < 2:
            return
        hi_v, lo_v = (int(v) for v in m.add_vars(2, lb=0, ub=top))
        for i in members:
            cols = counts[i]
            m.add_row([*cols, hi_v], [1] * len(cols) + [-1], hi=0)
            a = act(i)
            m.add_row([*cols, lo_v, a], [1] * len(cols) + [-1, -top], lo=-top)
        m.add_row([hi_v, lo_v], [1, -1], hi=spread)

    for gname in problem.groups:
        idx = [i for i, p in enumerate(people) if p.group == gname]
        if rules.weekend_fairness.enabled:
            members = [i for i in idx if not (leave_on and set(WEEKEND) & people[i].leave)]
            counts = {i: [int(w_idx[k]) for d in WEEKEND for k in by_pd.get((i, d), [])]
                      for i in members}
            spread_rows(members, counts, 2, rules.weekend_fairness.spread)
        if rules.night_fairness.enabled:
            members = [i for i in idx if (people[i].night or not elig_on)
                       and not (leave_on and people[i].leave)]
            counts = {i: [int(w_idx[k]) for k in by_p.get(i, []) if night_of[k]]
                      for i in members}
            if any(counts.values()):
                spread_rows(members, counts, 7, rules.night_fairness.spread)

    # ---------------------------------------------------------------- on call
    if rules.on_call.enabled:
        for gname, g in problem.groups.items():
            if g.on_call is None:
                continue
            for d in range(7):
                ys = [call_of[(i, d)] for i, p in enumerate(people)
                      if p.group == gname and (i, d) in call_of]
                if not ys:
                    raise ValueError(f"on-call rule: nobody in group {gname!r} can be on call "
                                     f"on night {d} (eligibility or leave)")
                m.add_row(ys, 1, lo=1, hi=1)
            idx = [i for i, p in enumerate(people) if p.group == gname]
            if rules.on_call.rotation:
                for i in idx:
                    for d in range(7):
                        a, b = call_of.get((i, d)), call_of.get((i, (d + 1) % 7))
                        if a is not None and b is not None:
                            m.add_row([a, b], 1, hi=1)
            members = [i for i in idx if (people[i].on_call or not elig_on)
                       and not (leave_on and people[i].leave)]
            if len(members) >= 2:
                hi_v, lo_v = (int(v) for v in m.add_vars(2, lb=0, ub=7))
                for i in members:
                    ys = [call_of[(i, d)] for d in range(7) if (i, d) in call_of]
                    m.add_row([*ys, hi_v], [1] * len(ys) + [-1], hi=0)
                    m.add_row([*ys, lo_v], [1] * len(ys) + [-1], lo=0)
                m.add_row([hi_v, lo_v], [1, -1], hi=rules.on_call.spread)

    # ---------------------------------------------------------------- two days off in a row
    if (rules.days_off.enabled and rules.days_off.consecutive_preferred
            and rules.days_off.consecutive_weight > 0):
        for i in range(len(people)):
            if not by_p.get(i):
                continue
            cs = m.add_vars(7)
            nq = int(m.add_vars(1, cost=rules.days_off.consecutive_weight)[0])
            for d in range(7):
                for dd in (d, (d + 1) % 7):
                    dv = day_vars(i, dd)
                    m.add_row([int(cs[d]), *dv], 1, hi=1)
            m.add_row([*cs, nq], 1, lo=1)

    # ---------------------------------------------------------------- symmetry
    for i in range(len(people) - 1):
        if (_identical(people[i], people[i + 1]) and by_p.get(i) and by_p.get(i + 1)
                and (allowed is None or allowed.get(i) == allowed.get(i + 1))):
            ka, kb = by_p[i], by_p[i + 1]
            m.add_row([*w_idx[ka], *w_idx[kb]], [*wl[ka], *(-wl[kb])], lo=0)
    return BuiltModel(m, w_idx, work, c_idx, call, short_idx,
                      np.asarray(skill_short, dtype=np.int64), penalty)


def decode(problem: RosterProblem, built: BuiltModel, x: npt.ArrayLike) -> Roster:
    """The roster a solution vector describes."""
    xv = np.asarray(x, dtype=float)
    people = problem.people
    out: list[Assignment] = []
    for k, (i, d, s, length) in enumerate(built.work):
        if xv[built.work_idx[k]] > 0.5:
            p = people[i]
            out.append(Assignment(p.name, p.group, d, s, length, "work"))
    for k, (i, d) in enumerate(built.call):
        if xv[built.call_idx[k]] > 0.5:
            p = people[i]
            g = problem.groups[p.group]
            assert g.on_call is not None
            out.append(Assignment(p.name, p.group, d, g.on_call[0], g.on_call_length_h,
                                  "on_call"))
    out.sort(key=lambda a: (a.group, a.person, a.day, a.start_h, a.kind))
    return Roster(problem, tuple(out))
