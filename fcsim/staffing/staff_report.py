"""``staff_group``: the whole staffing study of one staff group of a scenario.

Analytic start (SIPP, lagged SIPP or ISA on the group's Erlang model, covered by the cheapest
shift counts) → sequential roster search with the full simulator (common random numbers,
early elimination, replications counted) → the recommended roster's KPIs with intervals →
the weekly risk view of the 100 % targets → the cheapest roster in the grid whose
P(zero-breach week) reaches a chosen probability. What ``fcsim staff`` prints.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fcsim.kpi import t_interval
from fcsim.model.activities import Role
from fcsim.scenarios import Scenario
from fcsim.staffing.isa_sim import StaffingComparison, compare_staffing
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
from fcsim.staffing.scenario_staffing import GroupDemand, ScenarioEvaluator, group_demand

__all__ = ["DEFAULT_TARGETS", "ROLE_CLOCKS", "StaffingReport", "parse_target", "staff_group"]

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

_TARGET = re.compile(r"^\s*([A-Za-z0-9_.:]+)\s*(>=|>)\s*([0-9.eE+-]+)\s*$")


def parse_target(text: str, *, confidence: float) -> Criterion:
    """``"clock.record>=0.9"`` or ``"satisfaction>0.98"`` → a :class:`Criterion` on the mean.

    KPI names are columns of :func:`~fcsim.staffing.risk.replication_metrics`; ``zero_breach.*``
    and ``clock_zero_breach.*`` are 0/1 (Clopper–Pearson bound).
    """
    m = _TARGET.match(text)
    if not m:
        raise ValueError(f"target {text!r}: expected KPI>=VALUE or KPI>VALUE")
    kpi, op, value = m.group(1), m.group(2), float(m.group(3))
    binary = kpi.startswith(("zero_breach.", "clock_zero_breach.", "met."))
    if kpi.startswith(("breaches.", "clock_breaches.")):
        raise ValueError(f"target {text!r}: breach counts are not fractions; use zero_breach.*")
    return Criterion(kpi, value, confidence=confidence, binary=binary, strict=op == ">")


@dataclass(frozen=True)
class StaffingReport:
    """Everything ``fcsim staff`` shows.

    Attributes
    ----------
    group, patterns, demand
        The staff group, its shift patterns (with costs) and its demand.
    requirement : ndarray
        Analytic agents per hour of the week (``method``).
    comparison : StaffingComparison or None
        SIPP / lagged SIPP / ISA on the group's Erlang model (hour of week).
    start : Config
        The analytic roster (cheapest cover of ``requirement``).
    search : SearchResult
        The sequential roster search.
    kpis : DataFrame
        The recommended roster's KPIs over its replications: ``kpi``, ``mean``, ``ci_low``,
        ``ci_high`` (95 % t), ``replications``.
    risk : DataFrame
        :func:`~fcsim.staffing.risk.weekly_risk` of the recommended roster.
    zero_breach : SearchResult or None
        The cheapest roster with P(zero-breach week of ``zero_breach_target``) ≥ probability.
    """

    group: str
    patterns: tuple[ShiftPattern, ...]
    demand: GroupDemand
    method: str
    requirement: np.ndarray
    comparison: StaffingComparison | None
    start: Config
    search: SearchResult
    kpis: pd.DataFrame
    risk: pd.DataFrame
    zero_breach: SearchResult | None
    zero_breach_target: str | None
    zero_breach_probability: float | None
    extra_replications: int


def _metrics_frame(ev: ScenarioEvaluator, config: Config, reps: int) -> pd.DataFrame:
    rows = [{"scenario": "roster", "replication": r, **ev(config, r)} for r in range(reps)]
    return pd.DataFrame(rows)


def staff_group(
    scenario: Scenario,
    group: str,
    patterns: Sequence[ShiftPattern],
    *,
    seed: int,
    replications: int = 10,
    days: float = 7.0,
    targets: Sequence[str] | None = None,
    confidence: float = 0.95,
    method: str = "isa",
    max_p_wait: float = 0.2,
    spread: int = 1,
    zero_breach_target: str | None = None,
    zero_breach_probability: float | None = None,
    compare: bool = True,
    progress: Callable[[str], None] | None = None,
) -> StaffingReport:
    """Run the staffing study of ``group`` (see the module docstring).

    Parameters
    ----------
    scenario, group, patterns
        The scenario, the staff group name and its shift patterns with costs.
    seed, replications, days
        Root seed, simulated weeks per roster (common random numbers), days per replication.
    targets
        ``KPI>=VALUE`` strings (default: :data:`DEFAULT_TARGETS` of the group's role).
    confidence
        One-sided confidence of every target.
    method
        Analytic start: ``"sipp"``, ``"lagged_sipp"`` or ``"isa"`` (Erlang C, ``max_p_wait``).
    spread
        The grid: analytic start ± ``spread`` heads per shift.
    zero_breach_target, zero_breach_probability
        E.g. ``"clock:record"`` / ``"timeliness"`` and 0.8: also search the cheapest roster
        whose P(zero-breach week) is at least that (Clopper–Pearson at ``confidence``).
    compare
        Also compare SIPP / lagged SIPP / ISA on the group's Erlang model.
    progress
        Called with a short message at each stage.
    """
    say = progress or (lambda _m: None)
    grp = scenario.staff.get(group)
    if grp is None:
        raise KeyError(f"scenario {scenario.name!r} has no staff group {group!r} "
                       f"(groups: {', '.join(scenario.staff)})")
    if method not in ("sipp", "lagged_sipp", "isa"):
        raise ValueError(f"method must be sipp, lagged_sipp or isa, got {method!r}")
    pats = tuple(patterns)
    demand = group_demand(scenario, group)
    say("analytic start")
    comparison = None
    if compare or method == "isa":
        comparison = compare_staffing(demand.rate_per_h, demand.mean_service_h, max_p_wait,
                                      seed=seed, replications=10, eval_replications=10,
                                      cycles=2, exact=False, max_iterations=8)
        requirement = comparison.table[f"staffing_{method}"].to_numpy()
    else:
        from fcsim.staffing.time_varying import sipp_staffing

        requirement = sipp_staffing(demand.rate_per_h, demand.mean_service_h,
                                    max_p_wait=max_p_wait)
    start = cover_requirement(pats, requirement)
    minimum = 1 if grp.role == Role.DESK else 0
    grid = roster_grid(start, spread=spread, minimum=minimum)
    start = start if start in grid else grid[0]
    texts = list(targets) if targets else list(DEFAULT_TARGETS[grp.role])
    criteria = [parse_target(t, confidence=confidence) for t in texts]
    ev = ScenarioEvaluator(scenario, group, pats, seed=seed, days=days)

    def cost(c: Config) -> float:
        return roster_cost(pats, c)

    say(f"roster search over {len(grid)} rosters × {replications} replications")
    search = sequential_search(grid, cost, ev, criteria, replications, start=start,
                               is_valid=ev.is_valid)
    shown = search.best if search.best is not None else start
    before = ev.calls
    metrics = _metrics_frame(ev, shown, replications)
    extra = ev.calls - before
    rows = []
    for col in metrics.columns:
        if col in ("scenario", "replication"):
            continue
        if not (col in {c.kpi for c in criteria} or "." not in col
                or col.startswith(("clock.", "breaches."))):
            continue
        mean, lo, hi = t_interval(metrics[col].astype(float).to_numpy())
        rows.append({"kpi": col, "mean": mean, "ci_low": lo, "ci_high": hi,
                     "replications": int(metrics[col].notna().sum())})
    kpis = pd.DataFrame(rows)
    clocks = [c for c in ROLE_CLOCKS[grp.role] if f"clock_breaches.{c}" in metrics]
    risk = weekly_risk(metrics, targets=[t for t in HUNDRED_PERCENT
                                         if f"breaches.{t}" in metrics], clocks=clocks)
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
    return StaffingReport(group, pats, demand, method, np.asarray(requirement), comparison,
                          start, search, kpis, risk, zb, zero_breach_target,
                          zero_breach_probability, extra)

