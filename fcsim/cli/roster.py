"""``fcsim roster SCENARIO --group G[,G2] --target KPI>=X --out DIR``: a week's roster of people.

The requirement of every hour of the week (SIPP, lagged SIPP, ISA or Erlang A with the
scenario's clock bounds; night and on-call included) is rostered under the labour rules
(HiGHS by default, ``--solver cpsat`` with the ``roster`` extra), simulated with common random
numbers and repaired until every target holds with the stated confidence — or the answer says
why it is out of reach (the ceiling, where the remaining breaches come from). Writes
``roster.csv``, ``coverage.csv``, ``summary.json``, ``risk.csv``, ``roster.xlsx``, ``week.png``
and ``report.html`` into DIR. Exit 0 whenever it answers (``met`` or ``unreachable``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from fcsim.cli._args import (
    add_scenario_tz_argument,
    int_at_least,
    positive_float,
    positive_int,
    scenario_overrides,
)

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("roster", help="a week's roster of people that meets staffing targets",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", help="a shipped scenario name or a TOML file")
    p.add_argument("--group", required=True, metavar="G[,G2]",
                   help="staff group(s) to roster together, e.g. engineering or desk,engineering")
    p.add_argument("--target", action="append", default=[], metavar="KPI>=X",
                   help="e.g. 'timeliness>=95%%' or 'clock.on_site>=0.9' (repeat; default: the "
                        "scenario's [staffing] targets, else the first group's role default)")
    p.add_argument("--confidence", type=float, default=None,
                   help="one-sided confidence of every target (default: the scenario's, 0.9)")
    p.add_argument("--staff", type=Path, default=None, metavar="FILE",
                   help="staff with contracts ([[people]] TOML; default: a pool per group)")
    p.add_argument("--rules", type=Path, default=None, metavar="FILE",
                   help="labour rules to change (TOML; default: every rule on)")
    p.add_argument("--out", type=Path, required=True, help="output directory")
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                   dest="overrides", help="override a scenario field (TOML syntax)")
    p.add_argument("--method", choices=("sipp", "lagged_sipp", "isa", "erlang_a"),
                   default="lagged_sipp", help="the analytic requirement")
    p.add_argument("--replications", "-r", type=int_at_least(2), default=20,
                   help="simulated weeks per roster")
    p.add_argument("--max-iterations", type=positive_int, default=8)
    p.add_argument("--max-weeks", type=positive_int, default=200,
                   help="budget of simulated weeks")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--solver", choices=("highs", "cpsat"), default="highs")
    p.add_argument("--time-limit", type=positive_float, default=60.0,
                   help="seconds per roster solve")
    p.add_argument("--threads", type=positive_int, default=None)
    p.add_argument("--quick", action="store_true",
                   help="8 weeks per roster, 4 iterations: a first answer in about a minute")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="report language")
    add_scenario_tz_argument(p)
    p.set_defaults(func=_run)


def default_targets(scenario: object, groups: list[str]) -> list[str]:
    """The scenario's ``[staffing] targets``, else the first group's role default."""
    from fcsim.scenarios import Scenario
    from fcsim.staffing.staff_report import DEFAULT_TARGETS

    assert isinstance(scenario, Scenario)
    if scenario.staffing.targets:
        return list(scenario.staffing.targets)
    return list(DEFAULT_TARGETS[scenario.staff[groups[0]].role])


def _run(args: argparse.Namespace) -> int:
    from fcsim.roster.loop import LoopSettings, roster_loop
    from fcsim.roster.outputs import write_outputs
    from fcsim.roster.people import load_people
    from fcsim.roster.rules import load_rules
    from fcsim.roster.scenario import week_start
    from fcsim.scenarios import apply_overrides, load_scenario
    from fcsim.staffing.targets import parse_target

    scen = load_scenario(args.scenario)
    overrides = scenario_overrides(args, scen)
    if overrides:
        scen = apply_overrides(scen, overrides)
    groups = [g.strip() for g in args.group.split(",") if g.strip()]
    for g in groups:
        if g not in scen.staff:
            raise ValueError(f"--group {g!r}: no such staff group (groups: "
                             f"{', '.join(scen.staff)})")
    targets = [parse_target(t) for t in (args.target or default_targets(scen, groups))]
    confidence = args.confidence if args.confidence is not None else scen.staffing.confidence
    if not 0.5 <= confidence < 1:
        raise ValueError(f"--confidence must lie in [0.5, 1), got {confidence}")
    people = None
    if args.staff is not None:
        listed = load_people(args.staff, week_start=week_start(scen), groups=list(scen.staff))
        people = {g: [p for p in listed if p.group == g] for g in groups}
        missing = [g for g, ps in people.items() if not ps]
        if missing:
            raise ValueError(f"{args.staff}: nobody in group(s) {missing}")
    rules = load_rules(args.rules) if args.rules is not None else None
    reps = 8 if args.quick else args.replications
    settings = LoopSettings(
        replications=reps, early_weeks=max(2, min(10, reps // 2)),
        max_iterations=4 if args.quick else args.max_iterations,
        max_weeks=max(args.max_weeks, reps), confidence=confidence, seed=args.seed,
        method=args.method, solver=args.solver, time_limit_s=args.time_limit,
        threads=args.threads)
    t0 = time.perf_counter()

    def progress(msg: str) -> None:
        print(f"… {msg}  [{time.perf_counter() - t0:.0f} s]", file=sys.stderr, flush=True)

    result = roster_loop(scen, groups, targets, people=people, rules=rules, settings=settings,
                         progress=progress)
    files = write_outputs(result, args.out, lang=args.lang)
    import json

    summ = json.loads(files["summary"].read_text(encoding="utf-8"))
    print(summ["answer"]["en"])
    print(summ["answer"]["zh"])
    print(f"\nstatus: {summ['status']}   cost/week: {summ['cost_per_week']:,.0f} "
          f"{summ['currency']}   solver: {summ['solver']['status']} (gap "
          f"{summ['solver']['gap']}, {summ['solver']['solve_s']} s)   simulated weeks: "
          f"{summ['simulated_weeks']}   {summ['wall_s']} s")
    for c in summ["criteria"]:
        print(f"  {c['kpi']} {c['operator']} {c['threshold']:g}: {c['estimate']} "
              f"[{c['ci_low']}, {c['ci_high']}] {'met' if c['met'] else 'not met'}")
    print("iterations:")
    for it in summ["iterations"]:
        est = "; ".join(f"{c['estimate']}" for c in it["criteria"])
        print(f"  {it['iteration']}: {it['action']:<8} {it['detail']:<48} "
              f"{it['cost_per_week']:>10,.0f}  {est}  {'met' if it['met'] else 'not met'}"
              f"{'' if it['kept'] else ' (undone)'}")
    print(f"\n→ {args.out}/ ({', '.join(p.name for p in files.values())})")
    return 0
