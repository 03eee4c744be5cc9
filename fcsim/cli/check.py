"""``fcsim check SCENARIO... --baseline FILE``: scenario regression check against a baseline.

Each scenario is simulated again (by default with the baseline's replications and days and
the baseline's seed + 1, an independent sample) and every KPI in the baseline (the six
indicators; each control point's met rate and mean duration) is compared with a Welch t test
on replication means; Holm–Bonferroni over all KPIs of all scenarios keeps the family-wise
error at most --alpha (default 1 %). ``--update`` simulates and writes the baseline instead
(other scenarios already in the file are kept).

exit codes:
  0  every KPI agrees with the baseline (or --update wrote it)
  1  regression: at least one KPI differs from the baseline
  2  usage or input error (bad option, unknown scenario, invalid baseline file)
  3  baseline missing: the file does not exist or has no entry for a scenario

See docs/check.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from fcsim.cli._args import int_at_least, non_negative_int, positive_float, unit_interval

if TYPE_CHECKING:
    from fcsim.scenarios import Scenario

__all__ = ["EXIT_BASELINE_MISSING", "EXIT_OK", "EXIT_REGRESSION", "EXIT_USAGE", "register"]

EXIT_OK = 0
EXIT_REGRESSION = 1
EXIT_USAGE = 2
EXIT_BASELINE_MISSING = 3

#: Defaults of a new baseline written by ``--update``.
_NEW_SEED, _NEW_REPLICATIONS = 2026, 10


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="compare scenarios' KPIs with a stored baseline "
                                     "(regression check for CI)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO",
                   help="shipped scenario names or TOML files")
    p.add_argument("--baseline", type=Path, required=True, metavar="FILE",
                   help="baseline JSON file")
    p.add_argument("--update", action="store_true",
                   help="simulate and write the baseline for these scenarios instead of checking")
    p.add_argument("--seed", type=non_negative_int, default=None,
                   help="root seed (check: default baseline seed + 1; --update: default the "
                        f"baseline's, else {_NEW_SEED})")
    p.add_argument("--replications", "-r", type=int_at_least(2), default=None,
                   help=f"replications (default: the baseline's; new baseline {_NEW_REPLICATIONS})")
    p.add_argument("--days", type=positive_float, default=None,
                   help="simulated days (default: the baseline's; new baseline: the scenario's)")
    p.add_argument("--alpha", type=unit_interval, default=0.01,
                   help="family-wise error rate over all KPIs checked (default 0.01)")
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                   dest="overrides", help="override a field of every scenario (repeatable)")
    p.add_argument("--json", type=str, default=None, metavar="FILE",
                   help="write the report as JSON ('-' for stdout)")
    p.add_argument("--junit", type=Path, default=None, metavar="FILE",
                   help="write the report as JUnit XML")
    p.add_argument("--workers", type=non_negative_int, default=0,
                   help="worker processes (default 0: run in this process)")
    p.set_defaults(func=_run)


def _load(args: argparse.Namespace) -> list[Scenario]:
    from fcsim.scenarios import apply_overrides, load_scenario

    out: list[Scenario] = []
    for name in args.scenarios:
        s = load_scenario(name)
        out.append(apply_overrides(s, args.overrides) if args.overrides else s)
    names = [s.name for s in out]
    if len(set(names)) != len(names):
        raise ValueError(f"scenario names must be unique, got {names}")
    return out


def _update(args: argparse.Namespace, scenarios: list[Scenario]) -> int:
    from fcsim.check import make_baseline, read_baseline, write_baseline

    old = read_baseline(args.baseline).scenarios if args.baseline.exists() else {}
    for scen in scenarios:
        prev = old.get(scen.name)
        seed = args.seed if args.seed is not None else (prev.seed if prev else _NEW_SEED)
        reps = args.replications or (prev.replications if prev else _NEW_REPLICATIONS)
        days = args.days if args.days is not None else (prev.days if prev else None)
        b = make_baseline([scen], seed=seed, replications=reps, days=days,
                          workers=args.workers or 0)
        write_baseline(b, args.baseline, merge=True)
        print(f"baseline {args.baseline}: {scen.name}: {len(b.scenarios[scen.name].kpis)} "
              f"KPIs, seed {seed}, {reps} replications, days {days or 'scenario'}")
    return EXIT_OK


def _run(args: argparse.Namespace) -> int:
    from fcsim.check import (
        BaselineError,
        ScenarioNotInBaseline,
        check_scenarios,
        read_baseline,
        report_to_json,
        write_junit,
    )

    scenarios = _load(args)
    if args.update:
        return _update(args, scenarios)
    try:
        baseline = read_baseline(args.baseline)
    except FileNotFoundError as exc:
        print(f"fcsim check: {exc} (write one with --update)", file=sys.stderr)
        return EXIT_BASELINE_MISSING
    except BaselineError as exc:
        print(f"fcsim check: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        report = check_scenarios(scenarios, baseline, seed=args.seed,
                                 replications=args.replications, days=args.days,
                                 alpha=args.alpha, workers=args.workers)
    except ScenarioNotInBaseline as exc:
        print(f"fcsim check: {exc}", file=sys.stderr)
        return EXIT_BASELINE_MISSING
    summary_to = sys.stdout
    if args.json == "-":
        print(report_to_json(report))
        summary_to = sys.stderr
    elif args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(report_to_json(report) + "\n", encoding="utf-8")
    if args.junit:
        write_junit(report, args.junit)
    print(report.summary(), file=summary_to)
    return EXIT_OK if report.passed else EXIT_REGRESSION
