"""``staff_group``: the head-count staffing study of one staff group of a scenario.

The requirement of every hour of the week (:mod:`fcsim.staffing.requirement`: SIPP, lagged SIPP,
ISA or Erlang A with the scenario's clock bounds, night and on-call included) → the cheapest
head counts of the group's shift patterns covering it (a night on-duty pattern is added over
the on-call period when the night needs people on duty) → the sequential roster search with
the full simulator (common random numbers, early elimination, replications counted) → the
recommended roster's KPIs with intervals inside their range, every target's estimate and
verdict, the weekly risk view → when a target is out of reach, the ceiling and where the
remaining breaches come from (:mod:`fcsim.roster.reach`). :func:`staff_summary` gives the same
``summary.json`` as ``fcsim roster``.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fcsim.kpi import count_interval
from fcsim.model.activities import Role
from fcsim.scenarios import Scenario
from fcsim.staffing.estimate import Estimate, estimate, value_interval
from fcsim.staffing.requirement import GroupRequirement, group_requirement
from fcsim.staffing.risk import HUNDRED_PERCENT, min_staffing_for_zero_breach, weekly_risk
from fcsim.staffing.roster import (
    Config,
    Criterion,
    SearchResult,
    ShiftPattern,
    cover_requirement,
    roster_cost,
    roster_grid,
    sequential_search,
)
from fcsim.staffing.scenario_staffing import (
    GroupDemand,
    ScenarioEvaluator,
    group_demand,
    with_roster,
)
from fcsim.staffing.targets import KpiTarget, parse_target

__all__ = ["DEFAULT_TARGETS", "ROLE_CLOCKS", "StaffingReport", "parse_target",
           "patterns_for", "staff_group", "staff_summary"]

log = logging.getLogger(__name__)

#: Control points each role's staffing drives (their risk rows).
ROLE_CLOCKS: dict[str, tuple[str, ...]] = {
    Role.DESK: ("record", "dispatch", "callback"),
    Role.TECHNICIAN: ("on_site", "plan"),
    Role.SUPERVISOR: ("escalate",),
}
#: Default search targets per role (a stated choice; override with ``targets``).
DEFAULT_TARGETS: dict[str, tuple[str, ...]] = {
    Role.DESK: ("clock.record>=0.9",),
    Role.TECHNICIAN: ("clock.on_site>=0.7",),
    Role.SUPERVISOR: ("clock.escalate>=0.95",),
}


def criterion(target: KpiTarget, confidence: float) -> Criterion:
    """The search's criterion for a target (a t bound on the weekly mean, Clopper–Pearson for
    a 0/1 outcome)."""
    return Criterion(target.kpi, target.threshold, confidence=confidence, binary=target.binary,
                     strict=target.strict)


def patterns_for(scenario: Scenario, group: str, requirement: np.ndarray | None = None,
                 *, cost_per_hour: float | None = None) -> tuple[ShiftPattern, ...]:
    """The group's on-duty shifts as patterns priced from the scenario's ``[costs]`` (the mean
    cost of a day of that shift over the week; ``cost_per_hour`` × hours instead when given),
    plus a night pattern over the on-call period when ``requirement`` needs people on duty in
    hours no on-duty shift covers."""
    from fcsim.roster.scenario import cost_per_h

    g = scenario.staff[group]
    hourly = cost_per_h(scenario, group) if cost_per_hour is None else np.full(168,
                                                                               cost_per_hour)
    spans: list[tuple[str, int, int]] = []
    for s in g.shifts:
        if not s.on_call:
            a, b = int(s.start_h), int(s.end_h)
            spans.append((f"{a:02d}-{b % 24:02d}" if b != 24 else f"{a:02d}-24", a, b))
    for p in g.people:
        for sp in p.work:
            name = f"{sp.start_h:02d}-{sp.end_h % 24:02d}"
            if not any(x[1:] == (sp.start_h, sp.end_h) for x in spans):
                spans.append((name, sp.start_h, sp.end_h))
    covered = np.zeros(24, dtype=bool)
    for _n, a, b in spans:
        covered[[h % 24 for h in range(a, b)]] = True
    if requirement is not None:
        need = np.asarray(requirement).reshape(7, 24).max(axis=0) > 0
        if np.any(need & ~covered):
            from fcsim.staffing.requirement import on_call_window

            w = on_call_window(scenario, group)
            gaps = [h for h in range(24) if need[h] and not covered[h]]
            a, b = w if w is not None else (gaps[0], gaps[0] + 8)
            spans.append((f"night {a:02d}-{b % 24:02d} (on duty)", a, b))
    out = []
    seen: set[str] = set()
    for name, a, b in spans:
        while name in seen:
            name += "'"
        seen.add(name)
        week = sum(float(hourly[(d * 24 + h) % 168]) for d in range(7) for h in range(a, b))
        out.append(ShiftPattern(name, a, b, week / 7.0))
    if not out:
        raise ValueError(f"staff group {group!r} has no on-duty shift to staff")
    return tuple(out)


@dataclass(frozen=True)
class StaffingReport:
    """Everything ``fcsim staff`` shows (see :func:`staff_group`)."""

    scenario: Scenario
    group: str
    patterns: tuple[ShiftPattern, ...]
    demand: GroupDemand
    method: str
    requirement: np.ndarray
    analytic: GroupRequirement
    comparison: Any
    start: Config
    cover: dict[str, Any]
    search: SearchResult
    kpis: pd.DataFrame
    risk: pd.DataFrame
    targets: tuple[KpiTarget, ...]
    estimates: tuple[Estimate, ...]
    status: str
    cost_per_week: float
    currency: str
    zero_breach: SearchResult | None
    zero_breach_target: str | None
    zero_breach_probability: float | None
    extra_replications: int
    ceiling: Any = None
    sources: Any = None
    wall_s: float = 0.0
    confidence: float = 0.9


def _kpi_rows(metrics: pd.DataFrame, kpis: Sequence[str]) -> pd.DataFrame:
    rows = []
    for col in metrics.columns:
        if col in ("scenario", "replication") or col.startswith(("n.", "clock_n.")):
            continue
        if not (col in kpis or "." not in col or col.startswith(("clock.", "breaches."))):
            continue
        if col.startswith("breaches."):
            mean, lo, hi = count_interval(metrics[col].astype(float).to_numpy())
        else:
            mean, lo, hi = value_interval(metrics, col, 0.95)
        rows.append({"kpi": col, "mean": mean, "ci_low": lo, "ci_high": hi,
                     "replications": int(metrics[col].notna().sum())})
    return pd.DataFrame(rows, columns=["kpi", "mean", "ci_low", "ci_high", "replications"])


def staff_group(
    scenario: Scenario,
    group: str,
    patterns: Sequence[ShiftPattern] | None = None,
    *,
    seed: int,
    replications: int = 10,
    days: float = 7.0,
    targets: Sequence[str] | None = None,
    confidence: float = 0.9,
    method: str = "lagged_sipp",
    service_level: float | None = None,
    spread: int = 1,
    zero_breach_target: str | None = None,
    zero_breach_probability: float | None = None,
    compare: bool = False,
    progress: Callable[[str], None] | None = None,
) -> StaffingReport:
    """Run the staffing study of ``group`` (see the module docstring).

    Parameters
    ----------
    scenario, group
        The scenario and the staff group name.
    patterns
        Shift patterns with costs (default :func:`patterns_for`).
    seed, replications, days
        Root seed, simulated weeks per roster (common random numbers), days per replication.
    targets
        Target expressions (:func:`~fcsim.staffing.targets.parse_target`; default the
        scenario's ``[staffing] targets``, else :data:`DEFAULT_TARGETS` of the group's role).
    confidence
        One-sided confidence of every target.
    method, service_level
        The analytic requirement (``sipp``, ``lagged_sipp``, ``isa``, ``erlang_a``) and its
        per-hour service level (default: the targets' largest rate, within 0.8–0.99).
    spread
        The grid: analytic start ± ``spread`` heads per shift.
    zero_breach_target, zero_breach_probability
        Also search the cheapest roster whose P(zero-breach week of the target) reaches it.
    compare
        Also compare SIPP / lagged SIPP / ISA on the group's Erlang model (P(delay) 0.2).
    progress
        Called with a short message at each stage.
    """
    t0 = time.perf_counter()
    say = progress or (lambda _m: None)
    grp = scenario.staff.get(group)
    if grp is None:
        raise KeyError(f"scenario {scenario.name!r} has no staff group {group!r} "
                       f"(groups: {', '.join(scenario.staff)})")
    texts = list(targets) if targets else (list(scenario.staffing.targets)
                                           or list(DEFAULT_TARGETS[grp.role]))
    tg = tuple(parse_target(t) for t in texts)
    rates = [t.threshold for t in tg if not t.binary]
    sl = service_level if service_level is not None else float(
        min(max(max(rates, default=0.9), 0.8), 0.99))
    demand = group_demand(scenario, group)
    say(f"requirement ({method}, service level {sl:g})")
    analytic = group_requirement(scenario, group, method=method, service_level=sl, seed=seed)
    requirement = analytic.required
    comparison = None
    if compare:
        from fcsim.staffing.isa_sim import compare_staffing

        comparison = compare_staffing(demand.rate_per_h, demand.mean_service_h, 0.2, seed=seed,
                                      replications=10, eval_replications=10, cycles=2,
                                      exact=False, max_iterations=8)
    pats = tuple(patterns) if patterns is not None else patterns_for(scenario, group,
                                                                     requirement)
    tc = time.perf_counter()
    start = cover_requirement(pats, requirement)
    cover = {"status": "optimal", "objective": roster_cost(pats, start) * 7.0,
             "bound": roster_cost(pats, start) * 7.0, "gap": 0.0,
             "solve_s": time.perf_counter() - tc, "name": "highs", "method": "cover"}
    minimum = 1 if grp.role == Role.DESK else 0
    grid = roster_grid(start, spread=spread, minimum=minimum)
    start = start if start in grid else grid[0]
    criteria = [criterion(t, confidence) for t in tg]
    ev = ScenarioEvaluator(scenario, group, pats, seed=seed, days=days)

    def cost(c: Config) -> float:
        return roster_cost(pats, c)

    say(f"roster search over {len(grid)} rosters × {replications} replications")
    search = sequential_search(grid, cost, ev, criteria, replications, start=start,
                               is_valid=ev.is_valid)
    shown = search.best if search.best is not None else start
    from fcsim.roster.reach import breach_sources, ceiling
    from fcsim.roster.scenario import currency, headcount_cost_per_week
    from fcsim.roster.weeks import simulate_weeks

    before = ev.calls
    shown_scen = with_roster(scenario, group, pats, shown)
    weeks = simulate_weeks(shown_scen, seed=seed, reps=range(replications)) if days == 7.0 \
        else None
    metrics = (weeks.metrics() if weeks is not None else pd.DataFrame(
        [{"scenario": "roster", "replication": r, **ev(shown, r)}
         for r in range(replications)]))
    extra = ev.calls - before + (replications if weeks is not None else 0)
    kpis = _kpi_rows(metrics, [c.kpi for c in criteria])
    ests = tuple(estimate(t, metrics, confidence) for t in tg)
    m2 = metrics.copy()
    m2["scenario"] = "roster"
    clocks = [c for c in ROLE_CLOCKS[grp.role] if f"clock_breaches.{c}" in m2]
    risk = weekly_risk(m2, targets=[t for t in HUNDRED_PERCENT if f"breaches.{t}" in m2],
                       clocks=clocks)
    status = "met" if search.best is not None and all(e.met for e in ests) else "unreachable"
    ceil = sources = None
    if status == "unreachable" and weeks is not None:
        failing = next((t for t, e in zip(tg, ests, strict=True) if not e.met), tg[0])
        heads = {group: int(max(shown_scen.staff[group].weekly(on_call=False)))}
        say("ceiling")
        ceil = ceiling(scenario, [group], failing, start_heads=heads, seed=seed,
                       reps=range(min(replications, 10)), confidence=confidence)
        say("breach sources")
        sources = breach_sources(weeks, [group])
    if patterns is None:
        week_cost = headcount_cost_per_week(shown_scen, group)
    else:
        week_cost = roster_cost(pats, shown) * 7.0
    zb = None
    if zero_breach_target and zero_breach_probability is not None:
        kpi = (f"clock_zero_breach.{zero_breach_target.split(':', 1)[1]}"
               if zero_breach_target.startswith("clock:")
               else f"zero_breach.{zero_breach_target}")
        say(f"zero-breach search for {zero_breach_target}")
        zb = min_staffing_for_zero_breach(grid, cost, ev, zero_breach_kpi=kpi,
                                          probability=zero_breach_probability,
                                          confidence=confidence, replications=replications,
                                          is_valid=ev.is_valid)
    log.info("staff_group %s: %d simulated weeks in all", group, ev.calls)
    return StaffingReport(scenario, group, pats, demand, method, np.asarray(requirement),
                          analytic, comparison, start, cover, search, kpis, risk, tg, ests,
                          status, week_cost, currency(scenario), zb, zero_breach_target,
                          zero_breach_probability, extra, ceil, sources,
                          time.perf_counter() - t0, confidence)


def _r(x: float | None, nd: int = 4) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), nd)


def staff_summary(rep: StaffingReport) -> dict[str, Any]:
    """``summary.json`` of a head-count answer (the schema of ``fcsim roster``'s)."""
    from fcsim.roster.reach import sentence

    sr = rep.search
    shown = sr.best if sr.best is not None else rep.start
    failing = next((t for t, e in zip(rep.targets, rep.estimates, strict=True) if not e.met),
                   rep.targets[0])
    achieved = next((e for e in rep.estimates if not e.met), rep.estimates[0])
    heads = {rep.group: int(sum(shown))}
    zh, en = sentence(target=failing, status=rep.status, achieved=achieved,
                      cost_per_week=rep.cost_per_week, scenario=rep.scenario,
                      groups=[rep.group], ceiling_=rep.ceiling, sources=rep.sources,
                      windows={rep.group: rep.analytic.on_call_window}, heads=heads)
    iterations = []
    for i, row in enumerate(sr.table.itertuples(index=False)):
        cfg = tuple(row.config)
        iterations.append({
            "iteration": i, "action": "search",
            "detail": ", ".join(f"{p.name}: {c}" for p, c in zip(rep.patterns, cfg,
                                                                 strict=True)),
            "cost_per_week": round(float(row.cost) * 7.0, 2),
            "weeks": int(row.replications),
            "met": bool(row.feasible) if row.feasible is not None else None,
            "kept": cfg == tuple(shown), "criteria": []})
    out: dict[str, Any] = {
        "kind": "staff",
        "scenario": rep.scenario.name,
        "groups": [rep.group],
        "status": rep.status,
        "answer": {"zh": zh, "en": en},
        "solver": {k: (_r(v, 6) if isinstance(v, float) else v) for k, v in rep.cover.items()},
        "cost_per_week": _r(rep.cost_per_week, 2),
        "currency": rep.currency,
        "roster": {p.name: int(c) for p, c in zip(rep.patterns, shown, strict=True)},
        "criteria": [e.as_dict() for e in rep.estimates],
        "iterations": iterations,
        "simulated_weeks": int(sr.replications_used + rep.extra_replications
                               + (rep.ceiling.weeks if rep.ceiling is not None else 0)),
        "wall_s": _r(rep.wall_s, 2),
        "requirement": {rep.group: {
            "method": rep.analytic.method, "clock": rep.analytic.clock,
            "service_level": rep.analytic.service_level,
            "wait_min": _r(rep.analytic.wait_h * 60, 3),
            "analytic_person_hours": int(rep.requirement.sum()),
            "on_call_window": rep.analytic.on_call_window,
            "on_call_p_in_time": _r(rep.analytic.on_call_p_in_time)}},
        "risk": [{"target": row.target, "p_zero_breach": _r(row.p_zero_breach),
                  "ci_low": _r(row.p_zero_breach_cp_low),
                  "ci_high": _r(row.p_zero_breach_cp_high),
                  "breaches_per_week": _r(row.breaches_mean, 3), "weeks": int(row.weeks)}
                 for row in rep.risk.itertuples(index=False)],
        "settings": {"confidence": rep.confidence},
        "notes": list(rep.analytic.notes),
    }
    if rep.status == "unreachable":
        out["ceiling"] = None if rep.ceiling is None else rep.ceiling.as_dict()
        out["breach_sources"] = None if rep.sources is None else rep.sources.as_dict()
    return out
