"""Benchmark: rosters of people — the solve, the repair loop, and the pipelines compared.

1. **Solve** (goal: optimal or ≤ 1 % gap in ≤ 60 s on this 2-core machine). 20 staff × 7 days ×
   hourly starts (every hour, lengths 6–10 h) with every rule on: a hotel-shaped requirement
   (609 person-hours a week, 2 at night, 5 at the peaks), one on-call person every night
   23–08, an electrician 08–17 every day, a supervisor-qualified person whenever two or more
   are on duty, two people on leave two days, three not night-eligible, night and weekend
   premiums. HiGHS (decomposition, the default), HiGHS on the whole model and CP-SAT
   (decomposition), each with a 60 s limit; the roster is checked by the independent checker
   from its ``roster.csv`` rows. A 5 s limit shows the limit taking effect.
2. **Repair loop** (goal: ≤ 200 simulated weeks and ≤ 8 min for the apartment's engineering
   group; the manager's question ``timeliness>=95%`` answered in ≤ 5 min with the defaults).
3. **Pipelines** (goal: simulation in the loop meets the target at no more than the cost of the
   cheapest analytic pipeline that also meets it). Three demand shapes for the apartment's
   engineering work (flat, a hotel's double peak, an emergency-department-like curve); SIPP,
   lagged SIPP and ISA requirements each rostered once, and the loop; each roster simulated on
   the same weeks (common random numbers): cost per week, the target's estimate and interval,
   whether it is met, and P(zero-breach week) of the on-site clock.

Usage: ``python benchmarks/bench_roster.py [--quick]``; writes ``benchmarks/results/roster.json``.
``--quick`` (CI) runs every part small (10 staff, fewer start hours, 4 s limits, 2 weeks, one
shape, lagged SIPP against the loop).
Timings are reported, never asserted.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np

from fcsim.roster.check import check_roster
from fcsim.roster.linear import cpsat_available, solve
from fcsim.roster.loop import LoopSettings, roster_loop
from fcsim.roster.outputs import roster_frame
from fcsim.roster.people import Person
from fcsim.roster.problem import GroupSpec, RosterProblem
from fcsim.roster.rules import Rules, Shifts, SkillCover, SkillNeed
from fcsim.roster.scenario import default_pool, group_spec, with_people
from fcsim.roster.solve import solve_roster
from fcsim.roster.weeks import simulate_weeks
from fcsim.scenarios import apply_overrides, load_scenario
from fcsim.staffing.estimate import estimate
from fcsim.staffing.requirement import group_requirement
from fcsim.staffing.risk import weekly_risk
from fcsim.staffing.targets import parse_target

HERE = Path(__file__).resolve().parent
SEED = 20260315
GOAL_SOLVE_S = 60.0
GOAL_LOOP_S = 480.0
GOAL_LOOP_WEEKS = 200
GOAL_QUESTION_S = 300.0
PIPELINE_TARGET = "clock.on_site>=0.75"


def solve_problem(quick: bool) -> RosterProblem:
    """The benchmark's roster problem (module docstring, part 1)."""
    day = [2] * 7 + [3] + [5] * 4 + [4] * 5 + [5] * 5 + [3, 2]
    req = np.array(day * 7, dtype=np.int64)
    n = 20
    if quick:
        req = np.ceil(req / 3).astype(np.int64)
        n = 10
    cost = np.full(168, 60.0)
    for d in range(7):
        for h in range(24):
            cost[d * 24 + h] *= (1.3 if (h >= 22 or h < 6) else 1.0) + (0.2 if d >= 5 else 0)
    people = tuple(Person(f"p{i + 1:02d}", "eng", min_hours=24, max_hours=40,
                          skills=frozenset({"electrical"}) if i % 3 == 1 else frozenset(),
                          night=i not in (2, 5, 8), supervisor=i % 3 == 0,
                          leave=frozenset({2, 3}) if i in (4, 11) else frozenset())
                   for i in range(n))
    rules = Rules(skill_cover=SkillCover(cover=(SkillNeed(group="eng", skill="electrical",
                                                          from_h=8, to_h=17),)),
                  shifts=Shifts(starts_h=(0, 6, 7, 8, 9, 14, 15, 16, 22, 23)) if quick
                  else Shifts())
    return RosterProblem(people, {"eng": GroupSpec("eng", req, cost, on_call=(23, 32))}, rules)


def bench_solve(quick: bool) -> dict[str, Any]:
    scen = load_scenario("apartment")
    pr = solve_problem(quick)
    limit = 4.0 if quick else GOAL_SOLVE_S
    runs: list[tuple[str, str, str]] = [("highs", "decompose", "default"),
                                        ("highs", "monolithic", "whole model")]
    if cpsat_available():
        runs.append(("cpsat", "decompose", "CP-SAT"))
    out: dict[str, Any] = {
        "case": {"staff": len(pr.people), "days": 7,
                 "start_hours": len(pr.rules.shifts.starts_h),
                 "lengths_h": list(pr.rules.lengths_h()),
                 "required_person_hours": int(pr.groups["eng"].requirement.sum()),
                 "rules_on": [k for k, v in pr.rules.enabled().items() if v]},
        "goal": {"time_s": GOAL_SOLVE_S, "gap": 0.01}, "runs": []}
    for solver, method, label in runs:
        t0 = time.perf_counter()
        sol = solve_roster(pr, solver=solver, method=method,  # type: ignore[arg-type]
                           time_limit_s=limit, gap=0.01)
        wall = time.perf_counter() - t0
        row: dict[str, Any] = {"label": label, "solver": solver, "method": method,
                               "status": sol.status, "objective": sol.objective,
                               "bound": sol.bound, "gap": sol.gap, "solve_s": round(sol.solve_s, 2),
                               "wall_s": round(wall, 2), "workers": sol.workers}
        if sol.roster is not None:
            df = roster_frame(scen, sol.roster)
            viol = check_roster(df, pr.people, pr.rules, on_call_groups=["eng"])
            row["violations"] = len(viol)
            row["shortfall_person_hours"] = int(sol.roster.shortfall("eng").sum())
            row["cost_per_week"] = round(sol.roster.cost_per_week(), 2)
        row["meets_goal"] = bool(sol.roster is not None and sol.gap is not None
                                 and sol.gap <= 0.01 and wall <= GOAL_SOLVE_S)
        out["runs"].append(row)
    # a time limit takes effect: the whole model with 5 s
    from fcsim.roster.build import build_model

    model = build_model(pr).model
    lim = 2.0 if quick else 5.0
    res = solve(model, solver="highs", time_limit_s=lim, threads=1)
    out["limit_check"] = {"time_limit_s": lim, "threads": 1, "status": res.status,
                          "solve_s": round(res.solve_s, 2), "workers": res.workers}
    return out


def bench_loop(quick: bool) -> list[dict[str, Any]]:
    scen = load_scenario("apartment")
    rows = []
    cases = [("clock.on_site>=0.85", "repair loop"), ("timeliness>=95%", "manager's question")]
    if quick:
        cases = cases[1:]
    for expr, label in cases:
        if quick:
            st = LoopSettings(replications=2, early_weeks=2, max_iterations=1, max_weeks=20,
                              ceiling_levels=2, seed=SEED)
            rules = Rules(shifts=Shifts(starts_h=(0, 7, 8, 9, 15, 16, 17, 23)))
        else:
            st = LoopSettings(seed=SEED)  # the CLI's defaults
            rules = Rules()
        t0 = time.perf_counter()
        res = roster_loop(scen, ["engineering"], [parse_target(expr)], rules=rules, settings=st)
        wall = time.perf_counter() - t0
        goal_s = GOAL_LOOP_S if label == "repair loop" else GOAL_QUESTION_S
        c = res.criteria[0]
        rows.append({
            "case": label, "target": expr, "status": res.status, "wall_s": round(wall, 1),
            "simulated_weeks": res.weeks_used, "iterations": len(res.iterations),
            "solve_s": round(sum(it.solve_s for it in res.iterations), 1),
            "sim_s": round(sum(it.sim_s for it in res.iterations), 1),
            "cost_per_week": round(res.cost_per_week, 2),
            "estimate": c.estimate, "ci_low": c.ci_low, "ci_high": c.ci_high,
            "goal": {"wall_s": goal_s, "weeks": GOAL_LOOP_WEEKS},
            "meets_goal": wall <= goal_s and res.weeks_used <= GOAL_LOOP_WEEKS,
            "per_iteration": [{"action": it.action, "detail": it.detail,
                               "cost_per_week": round(it.cost_per_week, 2),
                               "estimate": it.criteria[0].estimate, "met": it.met,
                               "kept": it.kept, "solve_s": round(it.solve_s, 2),
                               "sim_s": round(it.sim_s, 2)} for it in res.iterations]})
    return rows


SHAPES = {
    "flat": [1.0] * 24,
    "hotel": [0.2, 0.15, 0.1, 0.1, 0.1, 0.2, 0.5, 1.0, 1.5, 1.6, 1.5, 1.3,
              1.2, 1.2, 1.3, 1.3, 1.4, 1.6, 1.8, 1.9, 1.7, 1.3, 0.8, 0.4],
    # emergency-department-like: trough at 05:00, steep rise to a late-morning peak, slow decay
    "ed": [0.55, 0.45, 0.38, 0.32, 0.3, 0.3, 0.4, 0.65, 1.0, 1.35, 1.55, 1.6,
           1.55, 1.5, 1.45, 1.4, 1.35, 1.3, 1.25, 1.2, 1.1, 0.95, 0.8, 0.65],
}


def bench_pipelines(quick: bool) -> list[dict[str, Any]]:
    base = load_scenario("apartment")
    target = parse_target(PIPELINE_TARGET)
    reps = 2 if quick else 20
    conf = 0.9
    rules = Rules(shifts=Shifts(starts_h=(0, 7, 8, 9, 15, 16, 17, 23))) if quick else Rules()
    out = []
    for shape, hourly in list(SHAPES.items())[:1 if quick else 3]:
        scen = apply_overrides(base, [f"profiles.resident.hourly={hourly}"])
        row: dict[str, Any] = {"shape": shape, "target": PIPELINE_TARGET, "weeks": reps,
                               "pipelines": []}
        for method in ("lagged_sipp",) if quick else ("sipp", "lagged_sipp", "isa"):
            t0 = time.perf_counter()
            req = group_requirement(scen, "engineering", method=method,
                                    service_level=target.threshold,
                                    seed=SEED)
            pool = default_pool(scen, "engineering", req.required, on_call=True)
            pr = RosterProblem(tuple(pool), {"engineering": group_spec(
                scen, "engineering", req.required, req.on_call_window)}, rules)
            sol = solve_roster(pr, time_limit_s=60.0, gap=0.01)
            assert sol.roster is not None
            weeks = simulate_weeks(with_people(scen, sol.roster), seed=SEED, reps=range(reps))
            m = weeks.metrics()
            e = estimate(target, m, conf)
            risk = weekly_risk(m.assign(scenario=shape), targets=[], clocks=["on_site"])
            row["pipelines"].append({
                "pipeline": f"{method}→roster", "cost_per_week": round(
                    sol.roster.cost_per_week(), 2), "estimate": e.estimate, "ci_low": e.ci_low,
                "ci_high": e.ci_high, "met": e.met,
                "p_zero_breach_week": float(risk["p_zero_breach"].iloc[0]),
                "solver": sol.status, "seconds": round(time.perf_counter() - t0, 1)})
        t0 = time.perf_counter()
        st = LoopSettings(replications=reps, early_weeks=min(reps, 10), seed=SEED,
                          service_level=target.threshold,
                          max_iterations=1 if quick else 8, max_weeks=200, ceiling_levels=2)
        res = roster_loop(scen, ["engineering"], [target], rules=rules, settings=st)
        risk = weekly_risk(res.weeks.metrics().assign(scenario=shape), targets=[],
                           clocks=["on_site"])
        e = res.criteria[0]
        row["pipelines"].append({
            "pipeline": "simulation in the loop", "cost_per_week": round(res.cost_per_week, 2),
            "estimate": e.estimate, "ci_low": e.ci_low, "ci_high": e.ci_high, "met": e.met,
            "p_zero_breach_week": float(risk["p_zero_breach"].iloc[0]),
            "iterations": len(res.iterations), "simulated_weeks": res.weeks_used,
            "seconds": round(time.perf_counter() - t0, 1)})
        met = [p for p in row["pipelines"][:-1] if p["met"]]
        loop = row["pipelines"][-1]
        cheapest = min((p["cost_per_week"] for p in met), default=None)
        row["cheapest_analytic_meeting"] = cheapest
        row["loop_meets_goal"] = bool(loop["met"] and (cheapest is None
                                                       or loop["cost_per_week"] <= cheapest
                                                       + 1e-6))
        out.append(row)
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (CI)")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "roster.json")
    ap.add_argument("--parts", default="solve,loop,pipelines",
                    help="comma-separated parts to run (default: all)")
    args = ap.parse_args(argv)
    parts = set(args.parts.split(","))
    result: dict[str, Any] = {"quick": args.quick, "python": platform.python_version(),
                              "numpy": np.__version__}
    if "solve" in parts:
        s = result["solve"] = bench_solve(args.quick)
        print(f"solve: {s['case']['staff']} staff x 7 days x {s['case']['start_hours']} start "
              f"hours, {s['case']['required_person_hours']} person-hours required "
              f"(goal: gap <= 1 % in <= {GOAL_SOLVE_S:g} s)", flush=True)
        for r in s["runs"]:
            print(f"  {r['label']:<12} {r['status']:<10} cost {r.get('cost_per_week')} gap "
                  f"{r['gap']} in {r['wall_s']} s, {r.get('violations')} rule violations, "
                  f"shortfall {r.get('shortfall_person_hours')} h: goal "
                  f"{'met' if r['meets_goal'] else 'NOT met'}", flush=True)
        lc = s["limit_check"]
        print(f"  time limit {lc['time_limit_s']} s, 1 thread: {lc['status']} after "
              f"{lc['solve_s']} s ({lc['workers']} worker)", flush=True)
    if "loop" in parts:
        result["loop"] = bench_loop(args.quick)
        for r in result["loop"]:
            print(f"{r['case']} ({r['target']}): {r['status']}, {r['iterations']} iteration(s), "
                  f"{r['simulated_weeks']} weeks, {r['wall_s']} s (solve {r['solve_s']} s, "
                  f"simulate {r['sim_s']} s), cost {r['cost_per_week']:,.0f}/week, estimate "
                  f"{r['estimate']:.3f} [{r['ci_low']:.3f}, {r['ci_high']:.3f}]: goal "
                  f"{'met' if r['meets_goal'] else 'NOT met'}", flush=True)
    if "pipelines" in parts:
        result["pipelines"] = bench_pipelines(args.quick)
        for row in result["pipelines"]:
            print(f"pipelines, {row['shape']} demand ({row['target']}, {row['weeks']} weeks):",
                  flush=True)
            for p in row["pipelines"]:
                print(f"  {p['pipeline']:<24} cost {p['cost_per_week']:>10,.0f}  estimate "
                      f"{p['estimate']:.3f} [{p['ci_low']:.3f}, {p['ci_high']:.3f}] "
                      f"{'met' if p['met'] else 'not met':<8} P(zero-breach week) "
                      f"{p['p_zero_breach_week']:.2f}")
            print(f"  loop meets the target at <= the cheapest analytic cost that meets it: "
                  f"{row['loop_meets_goal']}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, default=float) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
