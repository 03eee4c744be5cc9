"""The cover relaxation: how many shifts of each kind each class of interchangeable people
works, without saying who.

People with the same group, contract, skills, eligibility, leave and rate form a *class*.
Variables ``n[c, d, s, L]`` count the shifts of class ``c`` starting ``s`` o'clock on day ``d``
for ``L`` hours (``Y[c, d]``: the class's on-call nights). Every row is a sum over the class's
people of a row of the full model (:mod:`fcsim.roster.build`), so every roster of the full
model gives a solution here with the same cover cost: the relaxation's optimum (or its proven
bound) is a **lower bound** on the full model's cost. Rows:

* cover per group and hour with priced shortfall (as in the full model), skill cover and the
  supervisor rule on the class sums;
* per class and day: shifts starting ≤ people available (not on leave; night shifts: night
  eligible) — one shift a day;
* per class: the rest rule's clique rows summed (≤ class size in every hour), weekly hours
  within the summed contracts, shift days ≤ the summed ``7 − days off``, the consecutive-days
  and consecutive-nights windows summed;
* on call: one person a night from the eligible classes, nobody working during it (summed).

The fairness rules and the two-days-off preference involve single people and are left out
(they can only raise the cost).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from fcsim.roster.build import held_hours, person_class, shift_options, supervised_groups
from fcsim.roster.linear import LinearModel
from fcsim.roster.people import Person
from fcsim.roster.problem import RosterProblem, span_hours

__all__ = ["CoverModel", "build_cover_model", "shift_counts"]


@dataclass
class CoverModel:
    """The relaxation with the meaning of its count variables."""

    model: LinearModel
    classes: list[list[int]]  # person indices per class
    var_idx: npt.NDArray[np.int64]
    kinds: list[tuple[int, int, int, int]]  # (class, day, start_h, length_h)


def build_cover_model(problem: RosterProblem) -> CoverModel:
    """The cover relaxation of ``problem`` (see the module docstring)."""
    rules = problem.rules
    people = list(problem.people)
    keys: dict[tuple[object, ...], int] = {}
    classes: list[list[int]] = []
    for i, p in enumerate(people):
        k = person_class(p)
        if k not in keys:
            keys[k] = len(classes)
            classes.append([])
        classes[keys[k]].append(i)
    rep: list[Person] = [people[c[0]] for c in classes]
    m = LinearModel()
    leave_on = rules.leave.enabled
    elig_on = rules.night_eligibility.enabled
    kinds: list[tuple[int, int, int, int]] = []
    ubs: list[float] = []
    costs: list[float] = []
    max_len = 1
    for c, p in enumerate(rep):
        size = len(classes[c])
        cost_h = problem.person_cost_per_h(p)
        for d in range(7):
            for s, length in shift_options(problem, p.group):
                hrs = span_hours(d, s, length)
                if leave_on and {h // 24 for h in hrs} & p.leave:
                    continue
                if elig_on and not p.night and rules.night.is_night_shift(s, length):
                    continue
                kinds.append((c, d, s, length))
                ubs.append(size)
                costs.append(float(cost_h[hrs].sum()))
                max_len = max(max_len, length)
    idx = np.arange(m.n_vars, m.n_vars + len(kinds), dtype=np.int64)
    m.lb += [0.0] * len(kinds)
    m.ub += [float(u) for u in ubs]
    m.cost += costs
    c_max = max((float(problem.person_cost_per_h(p).max()) for p in people), default=1.0)
    penalty = 2.0 * max_len * max(c_max, 1.0) + 1.0
    kc = np.array([k[0] for k in kinds], dtype=np.int64)
    kd = np.array([k[1] for k in kinds], dtype=np.int64)
    ks = np.array([k[2] for k in kinds], dtype=np.int64)
    kl = np.array([k[3] for k in kinds], dtype=np.int64)
    night = np.array([rules.night.is_night_shift(int(s), int(n)) for s, n in zip(ks, kl,
                                                                                 strict=True)],
                     dtype=bool)
    by_cd: dict[tuple[int, int], list[int]] = defaultdict(list)
    by_c: dict[int, list[int]] = defaultdict(list)
    for j, (c, d, _s, _l) in enumerate(kinds):
        by_cd[(c, d)].append(j)
        by_c[c].append(j)

    # on call
    call_of: dict[tuple[int, int], int] = {}
    if rules.on_call.enabled:
        for gname, g in problem.groups.items():
            if g.on_call is None:
                continue
            for d in range(7):
                ys = []
                for c, p in enumerate(rep):
                    if p.group != gname or (elig_on and not p.on_call):
                        continue
                    hrs = span_hours(d, g.on_call[0], g.on_call_length_h)
                    if leave_on and {h // 24 for h in hrs} & p.leave:
                        continue
                    cost = g.on_call_share * float(problem.person_cost_per_h(p)[hrs].sum())
                    y = int(m.add_vars(1, ub=min(1, len(classes[c])), cost=cost)[0])
                    call_of[(c, d)] = y
                    ys.append(y)
                    window = set(hrs)
                    over = [int(idx[j]) for j in by_c[c]
                            if window & set(span_hours(int(kd[j]), int(ks[j]), int(kl[j])))]
                    m.add_row([*over, y], 1, hi=len(classes[c]))
                if not ys:
                    raise ValueError(f"on-call rule: nobody in group {gname!r} can be on call "
                                     f"on night {d} (eligibility or leave)")
                m.add_row(ys, 1, lo=1, hi=1)

    for c in range(len(rep)):
        size = len(classes[c])
        members = [people[i] for i in classes[c]]
        js = by_c.get(c, [])
        if not js:
            continue
        if rules.one_shift_per_day.enabled:
            for d in range(7):
                jd = by_cd.get((c, d), [])
                if jd:
                    m.add_row(idx[jd], 1, hi=size)
        extra = rules.rest.min_h if rules.rest.enabled else 0
        ja = np.asarray(js, dtype=np.int64)
        rows, cols, n_rows = held_hours(kd[ja], ks[ja], kl[ja] + extra)
        m.add_rows(rows, idx[ja][cols], np.ones(cols.size, np.int64),
                   np.full(n_rows, -np.inf), np.full(n_rows, float(size)))
        if rules.days_off.enabled and rules.days_off.min_days > 0:
            m.add_row(idx[js], 1, hi=size * (7 - rules.days_off.min_days))
        if rules.consecutive_days.enabled and rules.consecutive_days.max_days < 7:
            k_max = rules.consecutive_days.max_days
            for d in ([0] if k_max + 1 >= 7 else range(7)):
                cols_w = [int(idx[j]) for dd in range(min(k_max + 1, 7))
                          for j in by_cd.get((c, (d + dd) % 7), [])]
                if cols_w:
                    m.add_row(cols_w, 1, hi=size * k_max)
        if rules.consecutive_nights.enabled and rules.consecutive_nights.max_nights < 7:
            k_max = rules.consecutive_nights.max_nights
            for d in range(7):
                nights = [int(idx[j]) for dd in range(k_max) for j in by_cd.get((c, (d + dd) % 7),
                                                                                 []) if night[j]]
                after = [int(idx[j]) for j in by_cd.get((c, (d + k_max) % 7), [])]
                if len(nights) >= k_max and after:
                    m.add_row([*nights, *after], 1, hi=size * k_max)
        if rules.weekly_hours.enabled:
            lo = sum(max(0.0, q.min_hours - 8.0 * len(q.leave)) if leave_on else q.min_hours
                     for q in members)
            hi = sum(q.max_hours for q in members)
            m.add_row(idx[js], kl[js], lo=float(np.ceil(lo - 1e-9)),
                      hi=float(np.floor(hi + 1e-9)))

    cover: dict[tuple[str, int], list[int]] = defaultdict(list)
    for j, (c, d, s, length) in enumerate(kinds):
        for t in span_hours(d, s, length):
            cover[(rep[c].group, t)].append(j)
    for gname, g in problem.groups.items():
        req = np.asarray(g.requirement, dtype=np.int64)
        hours = np.flatnonzero(req > 0)
        sv = m.add_vars(hours.size, lb=0, ub=float(max(int(req.max()), 0)), cost=penalty)
        for hr, s_var in zip(hours, sv, strict=True):
            m.add_row([*idx[cover[(gname, int(hr))]], int(s_var)], 1, lo=float(req[hr]))
    if rules.skill_cover.enabled:
        for need in rules.skill_cover.cover:
            if need.group not in problem.groups:
                continue
            skilled = {c for c, p in enumerate(rep) if p.group == need.group
                       and need.skill in p.skills}
            hours_w = need.hours_of_week()
            sv = m.add_vars(len(hours_w), lb=0, ub=float(need.min), cost=2.0 * penalty)
            for t, s_var in zip(hours_w, sv, strict=True):
                m.add_row([*[int(idx[j]) for j in cover[(need.group, t)] if kc[j] in skilled],
                           int(s_var)], 1, lo=float(need.min))
    if rules.supervisor.enabled:
        team = rules.supervisor.min_team
        for gname, size in supervised_groups(problem):
            for t in range(168):
                js_t = cover[(gname, t)]
                if not js_t:
                    continue
                m.add_row([int(idx[j]) for j in js_t],
                          [size - 1 if rep[kc[j]].supervisor else -1 for j in js_t],
                          lo=-(team - 1))
    return CoverModel(m, classes, idx, kinds)


def shift_counts(cm: CoverModel, x: npt.ArrayLike) -> dict[int, dict[tuple[int, int, int], int]]:
    """Shifts per class: ``{class: {(day, start_h, length_h): count}}`` from a solution."""
    xv = np.round(np.asarray(x, dtype=float)).astype(np.int64)
    out: dict[int, dict[tuple[int, int, int], int]] = defaultdict(dict)
    for j, (c, d, s, length) in enumerate(cm.kinds):
        n = int(xv[cm.var_idx[j]])
        if n > 0:
            out[c][(d, s, length)] = n
    return dict(out)
