"""Solving a roster problem: the whole model at once, or the cover relaxation then the
assignment of its shifts to people (the default), with either solver.

``method="decompose"`` (default):

1. the cover relaxation (:mod:`fcsim.roster.relax`) gives the shifts each class of
   interchangeable people works, and a **lower bound** on the cost of any roster;
2. the full model (:mod:`fcsim.roster.build`) restricted to the kinds of shift (day, start,
   length) the relaxation chose for each group assigns shifts to people under every rule; if
   that costs more than the bound allows (cover lost, or a rule forced dearer shifts), the
   allowed shifts grow to their neighbours (start ± 1–3 h, length ± 1 h) and it is solved
   again, up to three times.

The answer's objective is the full model's cost of the roster found; its gap is measured
against the relaxation's bound, so a gap of 0 proves the roster optimal for the full model.
``method="monolithic"`` solves the full model directly (its own bound and gap).

The status is ``optimal`` (gap ≤ 10⁻⁶), ``feasible`` (a roster, gap above that),
``time_limit`` (the time limit stopped a stage before it finished) or ``infeasible``.
``time_limit_s`` bounds the whole solve (the relaxation gets at most half), ``threads`` goes to
each solver call, ``gap`` is the relative gap at which a solver may stop.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Literal

from fcsim.roster.build import build_model, decode, shift_options
from fcsim.roster.linear import Solver, SolveResult, solve
from fcsim.roster.problem import Roster, RosterProblem
from fcsim.roster.relax import build_cover_model, shift_counts

__all__ = ["Method", "RosterSolution", "solve_roster"]

log = logging.getLogger(__name__)

Method = Literal["decompose", "monolithic"]


@dataclass(frozen=True)
class RosterSolution:
    """A solved roster problem.

    Attributes
    ----------
    roster : Roster or None
        ``None`` when no roster was found (infeasible, or no solution within the time).
    status, objective, bound, gap, solve_s
        As ``summary.json``'s ``solver`` entry says (objective: the full model's cost,
        shortfall penalties included; bound: a proven lower bound).
    solver, method, workers
        What solved it (``workers``: threads the solver reported using).
    stages : list of SolveResult
        Every solver call, in order.
    """

    roster: Roster | None
    status: str
    objective: float | None
    bound: float | None
    gap: float | None
    solve_s: float
    solver: Solver
    method: Method
    workers: int
    stages: list[SolveResult] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """The ``solver`` entry of ``summary.json``."""
        return {"name": self.solver, "method": self.method, "status": self.status,
                "objective": None if self.objective is None else round(self.objective, 4),
                "bound": None if self.bound is None else round(self.bound, 4),
                "gap": None if self.gap is None else round(self.gap, 6),
                "solve_s": round(self.solve_s, 3), "workers": self.workers,
                "stages": [{"status": s.status, "objective": s.objective, "bound": s.bound,
                            "solve_s": round(s.solve_s, 3)} for s in self.stages]}


def _gap(obj: float | None, bound: float | None) -> float | None:
    if obj is None or bound is None:
        return None
    return max(0.0, (obj - bound) / max(abs(obj), 1e-9))


def _status(obj: float | None, gap: float | None, timed_out: bool) -> str:
    if obj is None:
        return "time_limit" if timed_out else "infeasible"
    if gap is not None and gap <= 1e-6:
        return "optimal"
    return "time_limit" if timed_out else "feasible"


def _monolithic(problem: RosterProblem, solver: Solver, time_limit_s: float | None,
                threads: int | None, gap: float | None) -> RosterSolution:
    t0 = time.perf_counter()
    built = build_model(problem)
    build_s = time.perf_counter() - t0
    left = None if time_limit_s is None else max(time_limit_s - build_s, 0.1)
    res = solve(built.model, solver=solver, time_limit_s=left, threads=threads, gap=gap)
    roster = None if res.x is None else decode(problem, built, res.x)
    g = 0.0 if res.status == "optimal" else _gap(res.objective, res.bound)
    status = "optimal" if res.status == "optimal" else _status(res.objective, g,
                                                                 res.status == "time_limit")
    if res.status == "infeasible":
        status = "infeasible"
    return RosterSolution(roster, status, res.objective, res.bound, g,
                          time.perf_counter() - t0, solver, "monolithic", res.workers, [res])


def _neighbours(kinds: set[tuple[int, int, int]], problem: RosterProblem,
                group: str, reach: int) -> set[tuple[int, int, int]]:
    allowed = set(shift_options(problem, group))
    out = set(kinds)
    for d, s, length in kinds:
        for ds in range(-reach, reach + 1):
            for dl in (-1, 0, 1):
                s2, l2 = s + ds, length + dl
                d2 = d + (s2 // 24)
                s2 %= 24
                if (s2, l2) in allowed:
                    out.add((d2 % 7, s2, l2))
    return out


def _decompose(problem: RosterProblem, solver: Solver, time_limit_s: float | None,
               threads: int | None, gap: float | None) -> RosterSolution:
    t0 = time.perf_counter()

    def left(share: float = 1.0) -> float | None:
        if time_limit_s is None:
            return None
        return max((time_limit_s - (time.perf_counter() - t0)) * share, 0.05)

    cover = build_cover_model(problem)
    res = solve(cover.model, solver=solver, time_limit_s=left(0.5), threads=threads, gap=gap)
    stages = [res]
    if res.status == "infeasible":
        return RosterSolution(None, "infeasible", None, None, None, time.perf_counter() - t0,
                              solver, "decompose", res.workers, stages)
    if res.x is None:
        return RosterSolution(None, "time_limit", None, res.bound, None,
                              time.perf_counter() - t0, solver, "decompose", res.workers, stages)
    bound = res.objective if res.status == "optimal" else res.bound
    timed_out = res.status == "time_limit"
    counts = shift_counts(cover, res.x)
    kinds_by_class = {c: set(k) for c, k in counts.items()}
    best: tuple[float, Roster] | None = None
    for reach in (0, 1, 2, 3):
        # any person of a group may take any shift the relaxation chose for the group
        by_group: dict[str, set[tuple[int, int, int]]] = {g: set() for g in problem.groups}
        for c, members in enumerate(cover.classes):
            by_group[problem.people[members[0]].group] |= kinds_by_class.get(c, set())
        if reach:
            by_group = {g: _neighbours(k, problem, g, reach) for g, k in by_group.items()}
        allowed = {i: by_group[p.group] for i, p in enumerate(problem.people)}
        built = build_model(problem, allowed)
        sub = solve(built.model, solver=solver, time_limit_s=left(), threads=threads, gap=gap)
        stages.append(sub)
        timed_out = timed_out or sub.status == "time_limit"
        if sub.x is not None and sub.objective is not None:
            roster = decode(problem, built, sub.x)
            if best is None or sub.objective < best[0] - 1e-9:
                best = (sub.objective, roster)
        g_now = None if best is None else _gap(best[0], bound)
        remaining = left()
        if (g_now is not None and g_now <= max(gap or 0.0, 1e-6)) or (
                remaining is not None and remaining <= 0.05):
            break
        log.info("decompose: the assignment costs more than the relaxation (gap %s); "
                 "widening the allowed shifts (±%d h)", g_now, reach + 1)
    workers = max(s.workers for s in stages)
    if best is None:
        return RosterSolution(None, "time_limit" if timed_out else "infeasible", None, bound,
                              None, time.perf_counter() - t0, solver, "decompose", workers,
                              stages)
    obj, roster = best
    g = _gap(obj, bound)
    return RosterSolution(roster, _status(obj, g, timed_out), obj, bound, g,
                          time.perf_counter() - t0, solver, "decompose", workers, stages)


def solve_roster(problem: RosterProblem, *, solver: Solver = "highs",
                 method: Method = "decompose", time_limit_s: float | None = 60.0,
                 threads: int | None = None, gap: float | None = 0.01) -> RosterSolution:
    """Solve ``problem`` (see the module docstring)."""
    if method == "decompose":
        out = _decompose(problem, solver, time_limit_s, threads, gap)
    elif method == "monolithic":
        out = _monolithic(problem, solver, time_limit_s, threads, gap)
    else:
        raise ValueError(f"method must be 'decompose' or 'monolithic', got {method!r}")
    log.info("roster (%s, %s): %s, cost %s, gap %s, %.2f s", solver, method, out.status,
             out.objective, out.gap, out.solve_s)
    return out
