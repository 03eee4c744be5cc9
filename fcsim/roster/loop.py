"""Simulation in the loop: requirement → roster of people → simulated weeks → repair.

In the spirit of Atlason, Epelman and Henderson's cutting planes: the analytic requirement
(:mod:`fcsim.staffing.requirement`) is rostered (:func:`~fcsim.roster.solve.solve_roster`),
the roster becomes the scenario's roster (person form) and is simulated on ``replications``
weeks with common random numbers (week *i* sees the same requests under every roster), and
every target is judged with its interval (:mod:`fcsim.staffing.estimate`). Then:

* **not met** — the first time, the ceiling (:func:`~fcsim.roster.reach.ceiling`) tells
  whether any staffing of the rostered groups can reach the target; if its interval lies below
  the target the answer is ``unreachable`` at once. Otherwise the requirement is raised by one
  person in the hours of the week where the simulated breaches of the rostered groups' clocks
  concentrate (the fewest hours holding half of them, at most 12), and it is rostered and
  simulated again;
* **met** — cover is removed where it holds with slack: a six-hour block of one day (fewest
  breaches, most requirement above the offered load first) loses one person; the change is kept
  when every target still holds (and the roster is cheaper), undone otherwise;
* it stops at ``max_iterations`` evaluations or when ``max_weeks`` simulated weeks are spent,
  or when the staff pool cannot cover a raised requirement (``unreachable`` within the allowed
  staff).

An evaluation first simulates ``early_weeks`` weeks and stops there when a target's interval
already lies wholly below it. Every iteration is reported (:class:`Iteration`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from fcsim.roster.people import Person
from fcsim.roster.problem import Roster, RosterProblem
from fcsim.roster.reach import BreachSources, Ceiling, breach_sources, ceiling
from fcsim.roster.rules import Rules
from fcsim.roster.scenario import default_pool, group_spec, with_people
from fcsim.roster.solve import Method, RosterSolution, solve_roster
from fcsim.roster.weeks import Weeks, breach_counts, breaches, simulate_weeks
from fcsim.scenarios import Scenario
from fcsim.staffing.estimate import Estimate, estimate
from fcsim.staffing.requirement import GroupRequirement, requirements
from fcsim.staffing.targets import KpiTarget

__all__ = ["Iteration", "LoopResult", "LoopSettings", "RosterError", "roster_loop"]

log = logging.getLogger(__name__)


class RosterError(ValueError):
    """The rules cannot be met by the staff given (names the groups)."""


@dataclass(frozen=True)
class LoopSettings:
    """How hard the loop works (defaults answer the apartment's question in minutes)."""

    replications: int = 20
    early_weeks: int = 10
    max_iterations: int = 8
    max_weeks: int = 200
    confidence: float = 0.9
    seed: int = 2026
    method: str = "lagged_sipp"
    service_level: float | None = None
    solver: str = "highs"
    solve_method: Method = "decompose"
    time_limit_s: float = 60.0
    threads: int | None = None
    gap: float = 0.01
    remove: bool = True
    ceiling_levels: int = 4

    def __post_init__(self) -> None:
        if self.replications < 2 or self.early_weeks < 2:
            raise ValueError("replications and early_weeks must be >= 2")
        if self.max_iterations < 1 or self.max_weeks < self.replications:
            raise ValueError("need max_iterations >= 1 and max_weeks >= replications")


@dataclass
class Iteration:
    """One evaluated roster."""

    number: int
    action: str
    detail: str
    changed: dict[str, list[int]]
    required_person_hours: dict[str, int]
    cost_per_week: float
    solver_status: str
    gap: float | None
    solve_s: float
    criteria: list[Estimate]
    met: bool
    weeks: int
    sim_s: float
    kept: bool = True

    def as_dict(self) -> dict[str, object]:
        return {"iteration": self.number, "action": self.action, "detail": self.detail,
                "changed_hours": self.changed, "required_person_hours":
                    self.required_person_hours, "cost_per_week": round(self.cost_per_week, 2),
                "solver_status": self.solver_status, "gap": self.gap,
                "solve_s": round(self.solve_s, 3), "weeks": self.weeks,
                "sim_s": round(self.sim_s, 3), "met": self.met, "kept": self.kept,
                "criteria": [c.as_dict() for c in self.criteria]}


@dataclass
class LoopResult:
    """The loop's answer (see :func:`roster_loop`)."""

    status: str
    scenario: Scenario
    groups: list[str]
    targets: list[KpiTarget]
    analytic: dict[str, GroupRequirement]
    requirement: dict[str, npt.NDArray[np.int64]]
    solution: RosterSolution
    roster: Roster
    roster_scenario: Scenario
    weeks: Weeks
    criteria: list[Estimate]
    iterations: list[Iteration]
    weeks_used: int
    wall_s: float
    settings: LoopSettings
    ceiling: Ceiling | None = None
    sources: BreachSources | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def cost_per_week(self) -> float:
        return self.roster.cost_per_week()


def _service_level(targets: Sequence[KpiTarget], given: float | None) -> float:
    if given is not None:
        return given
    rates = [t.threshold for t in targets if not t.binary]
    return float(min(max(max(rates, default=0.9), 0.8), 0.99))


def _group_clocks(targets: Sequence[KpiTarget]) -> list[str] | None:
    clocks = [t.kpi.removeprefix("clock.").removeprefix("clock_zero_breach.")
              for t in targets if t.kpi.startswith(("clock.", "clock_zero_breach."))]
    if clocks and len(clocks) == len(targets):
        return clocks
    return None  # an indicator target: every clock of the rostered groups


class _Evaluator:
    def __init__(self, scenario: Scenario, groups: Sequence[str], targets: Sequence[KpiTarget],
                 people: Mapping[str, list[Person]], rules: Rules, windows: Mapping[
                     str, tuple[int, int] | None], s: LoopSettings,
                 say: Callable[[str], None]) -> None:
        self.scenario, self.groups, self.targets = scenario, list(groups), list(targets)
        self.people, self.rules, self.windows, self.s, self.say = people, rules, windows, s, say
        self.weeks_used = 0

    def problem(self, req: Mapping[str, npt.NDArray[np.int64]]) -> RosterProblem:
        return RosterProblem(
            tuple(p for g in self.groups for p in self.people[g]),
            {g: group_spec(self.scenario, g, req[g], self.windows.get(g)) for g in self.groups},
            self.rules)

    def solve(self, req: Mapping[str, npt.NDArray[np.int64]]) -> RosterSolution:
        sol = solve_roster(self.problem(req), solver=self.s.solver,  # type: ignore[arg-type]
                           method=self.s.solve_method, time_limit_s=self.s.time_limit_s,
                           threads=self.s.threads, gap=self.s.gap)
        if sol.roster is None:
            raise RosterError(f"no roster of {', '.join(self.groups)} satisfies the rules with "
                              f"the staff given (solver status {sol.status}); allow more staff "
                              "(--staff) or switch rules off (--rules)")
        return sol

    def simulate(self, roster: Roster) -> tuple[Scenario, Weeks, list[Estimate], float]:
        t0 = time.perf_counter()
        scen = with_people(self.scenario, roster)
        s = self.s
        w = simulate_weeks(scen, seed=s.seed, reps=range(s.early_weeks))
        ests = [estimate(t, w.metrics(), s.confidence) for t in self.targets]
        hopeless = any(e.ci_high < e.threshold for e in ests)
        if not hopeless and s.replications > s.early_weeks:
            w.add(range(s.early_weeks, s.replications))
            ests = [estimate(t, w.metrics(), s.confidence) for t in self.targets]
        self.weeks_used += w.count
        return scen, w, ests, time.perf_counter() - t0


def _block_hours(day: int, part: int) -> list[int]:
    return [day * 24 + part * 6 + h for h in range(6)]


def roster_loop(scenario: Scenario, groups: Sequence[str], targets: Sequence[KpiTarget], *,
                people: Mapping[str, list[Person]] | None = None, rules: Rules | None = None,
                settings: LoopSettings | None = None,
                progress: Callable[[str], None] | None = None) -> LoopResult:
    """Roster ``groups`` of ``scenario`` for ``targets`` (see the module docstring).

    Parameters
    ----------
    scenario, groups
        The scenario and the staff groups to roster together.
    targets
        The targets every simulated roster is judged by (all must hold).
    people
        The allowed staff per group (default: :func:`~fcsim.roster.scenario.default_pool`).
    rules
        The labour rules (default: every rule on, with its defaults).
    settings
        Simulation effort, solver, confidence (:class:`LoopSettings`).
    progress
        Called with a short message at each step.
    """
    t_start = time.perf_counter()
    s = settings or LoopSettings()
    say = progress or (lambda _m: None)
    rules = rules or Rules()
    groups = list(dict.fromkeys(groups))
    if not groups:
        raise ValueError("name at least one staff group to roster")
    if not targets:
        raise ValueError("give at least one target")
    for g in groups:
        if g not in scenario.staff:
            raise KeyError(f"scenario {scenario.name!r} has no staff group {g!r} "
                           f"(groups: {', '.join(scenario.staff)})")
    sl = _service_level(targets, s.service_level)
    say(f"requirement ({s.method}, service level {sl:g}) for {', '.join(groups)}")
    analytic = requirements(scenario, groups, method=s.method, service_level=sl, seed=s.seed)
    windows = {g: analytic[g].on_call_window for g in groups}
    pools: dict[str, list[Person]] = {}
    for g in groups:
        given = (people or {}).get(g)
        pools[g] = list(given) if given else default_pool(
            scenario, g, analytic[g].required, on_call=windows[g] is not None)
    ev = _Evaluator(scenario, groups, targets, pools, rules, windows, s, say)
    req = {g: analytic[g].required.copy() for g in groups}
    iterations: list[Iteration] = []
    clocks = _group_clocks(targets)

    def run(action: str, detail: str, changed: dict[str, list[int]]) -> tuple[
            RosterSolution, Scenario, Weeks, list[Estimate], Iteration]:
        say(f"iteration {len(iterations)}: {action} — solving")
        sol = ev.solve(req)
        assert sol.roster is not None
        say(f"iteration {len(iterations)}: {sol.status}, {sol.roster.cost_per_week():,.0f} per "
            "week — simulating")
        scen, w, ests, sim_s = ev.simulate(sol.roster)
        it = Iteration(len(iterations), action, detail, changed,
                       {g: int(req[g].sum()) for g in groups}, sol.roster.cost_per_week(),
                       sol.status, sol.gap, sol.solve_s, ests, all(e.met for e in ests),
                       w.count, sim_s)
        iterations.append(it)
        say(f"iteration {it.number}: " + ", ".join(
            f"{e.kpi} {e.estimate:.4f} [{e.ci_low:.4f}, {e.ci_high:.4f}]" for e in ests)
            + (" — met" if it.met else " — not met"))
        return sol, scen, w, ests, it

    sol, scen, w, ests, it = run("analytic", f"{s.method} requirement, service level {sl:g}",
                                 {})
    best: tuple[RosterSolution, Scenario, Weeks, list[Estimate]] | None = (
        (sol, scen, w, ests) if it.met else None)
    current = (sol, scen, w, ests)
    notes: list[str] = [n for g in groups for n in analytic[g].notes]
    ceil: Ceiling | None = None
    unreachable_reason: str | None = None

    def budget_left() -> bool:
        return len(iterations) < s.max_iterations and ev.weeks_used + s.replications <= (
            s.max_weeks)

    # ---- repair: raise the requirement where the breaches concentrate
    while best is None:
        if ceil is None:
            failing = next(t for t, e in zip(targets, current[3], strict=True) if not e.met)
            heads = {g: int(max(current[1].staff[g].weekly(on_call=False))) for g in groups}
            say(f"ceiling of {failing.kpi}: raising {', '.join(groups)} in every hour")
            reps = range(min(s.replications, max(s.early_weeks, 10)))
            ceil = ceiling(scenario, groups, failing, start_heads=heads, seed=s.seed, reps=reps,
                           confidence=s.confidence, max_levels=s.ceiling_levels, progress=say)
            ev.weeks_used += ceil.weeks
            if not ceil.reachable:
                unreachable_reason = "ceiling"
                break
        if not budget_left():
            unreachable_reason = "budget"
            break
        table = breaches(current[2])
        changed: dict[str, list[int]] = {}
        for g in groups:
            counts = breach_counts(table, g, clocks)
            if counts.sum() <= 0:
                continue
            order = np.argsort(-counts, kind="stable")
            cum = np.cumsum(counts[order]) / counts.sum()
            n = min(int(np.searchsorted(cum, 0.5)) + 1, 12)
            hours = [int(h) for h in order[:n] if counts[h] > 0]
            cap = len(pools[g])
            hours = [h for h in hours if req[g][h] < cap]
            if hours:
                req[g][hours] += 1
                changed[g] = sorted(hours)
        if not changed:
            unreachable_reason = "staff"
            notes.append("the breaches left are not in hours the rostered groups can cover "
                         "with the allowed staff")
            break
        detail = "; ".join(f"{g} +1 in {len(h)} hour(s)" for g, h in changed.items())
        sol, scen, w, ests, it = run("raise", detail, changed)
        short = {g: int(sol.roster.shortfall(g).sum()) for g in groups}  # type: ignore[union-attr]
        current = (sol, scen, w, ests)
        if it.met:
            best = current
        elif any(short.values()):
            unreachable_reason = "staff"
            notes.append("the allowed staff cannot cover the raised requirement ("
                         + ", ".join(f"{g}: {v} person-hours short" for g, v in short.items()
                                     if v) + ")")
            break

    # ---- removal: take cover away where the targets hold with slack
    if best is not None and s.remove:
        tried: set[tuple[str, int, int]] = set()
        while budget_left():
            table = breaches(best[2])
            cands = []
            for g in groups:
                load = analytic[g].offered_load
                counts = breach_counts(table, g, clocks)
                for d in range(7):
                    for part in range(4):
                        hrs = _block_hours(d, part)
                        if (g, d, part) in tried or min(req[g][hrs]) < 1:
                            continue
                        slack = float(np.sum(req[g][hrs] - load[hrs]))
                        cands.append((float(counts[hrs].sum()), -slack, g, d, part))
            if not cands:
                break
            cands.sort()
            _, _, g, d, part = cands[0]
            tried.add((g, d, part))
            hrs = _block_hours(d, part)
            req[g][hrs] -= 1
            days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
            detail = f"{g} -1 on {days[d]} {part * 6:02d}-{part * 6 + 6:02d}"
            sol, scen, w, ests, it = run("remove", detail, {g: hrs})
            if it.met and sol.roster is not None and (
                    sol.roster.cost_per_week() < best[0].roster.cost_per_week() - 1e-6):  # type: ignore[union-attr]
                best = (sol, scen, w, ests)
            else:
                req[g][hrs] += 1
                it.kept = False

    if best is not None:
        status = "met"
        sol, scen, w, ests = best
        sources = None
    else:
        status = "unreachable"
        # the answer: the cheapest evaluated roster among those closest to the targets
        sol, scen, w, ests = current
        if ceil is None:
            failing = next(t for t, e in zip(targets, ests, strict=True) if not e.met)
            heads = {g: max(scen.staff[g].weekly(on_call=False)) for g in groups}
            reps = range(min(s.replications, max(s.early_weeks, 10)))
            ceil = ceiling(scenario, groups, failing, start_heads=heads, seed=s.seed, reps=reps,
                           confidence=s.confidence, max_levels=s.ceiling_levels, progress=say)
            ev.weeks_used += ceil.weeks
        say("breach sources")
        sources = breach_sources(w, groups)
        if unreachable_reason == "budget":
            notes.append(f"stopped after {len(iterations)} iteration(s) and {ev.weeks_used} "
                         "simulated weeks without meeting every target")
    assert sol.roster is not None
    return LoopResult(status, scenario, groups, list(targets), analytic, req, sol, sol.roster,
                      scen, w, ests, iterations, ev.weeks_used, time.perf_counter() - t_start,
                      s, ceil, sources, notes)

