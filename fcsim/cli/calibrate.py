"""``fcsim calibrate LOG --out SCENARIO.toml``: estimate a scenario from an observed log."""

from __future__ import annotations

import argparse
import json
from datetime import tzinfo
from pathlib import Path

from fcsim.cli._args import add_calibration_options, add_tz_argument, holiday_calendar, time_zone

__all__ = ["parse_utc_offset", "register"]


def parse_utc_offset(text: str) -> tzinfo:
    """A zone for ``--tz`` / ``--utc-offset`` (kept for callers of the old name; see
    :func:`fcsim.cli._args.time_zone`): ``+08:00``, ``UTC``, ``8`` or ``Asia/Shanghai``."""
    return time_zone(text)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("calibrate", help="estimate a scenario from an observed event log",
                       description=__doc__)
    p.add_argument("log", type=Path, help="log directory (events.csv[.gz], tickets.csv[.gz])")
    p.add_argument("--out", type=Path, required=True, help="scenario TOML to write")
    p.add_argument("--base", default="apartment",
                   help="base scenario (name or TOML): roster, policies, uncalibrated numbers")
    p.add_argument("--name", help="name of the calibrated scenario")
    add_tz_argument(p, "the base scenario's (also the calibrated scenario's time_zone)")
    p.add_argument("--min-n", type=int, default=30, help="smallest sample fitted (default 30)")
    p.add_argument("--set", dest="overrides", action="append", default=[],
                   metavar="PATH=VALUE", help="override a field of the base first")
    p.add_argument("--tables", type=Path, help="also write the fit tables (CSV) here")
    p.add_argument("--keep-roster", action="store_true",
                   help="keep the base's roster instead of estimating staff from the log")
    p.add_argument("--dependence", choices=("joint", "independent"), default="joint",
                   help="stage durations of a pass: a joint bootstrap of observed vectors "
                   "(default) or independent fitted distributions")
    p.add_argument("--utilisation", type=float, default=0.8,
                   help="utilisation over which the offered load is staffed (default 0.8)")
    add_calibration_options(p)
    p.add_argument("--forecast", nargs=2, metavar=("START", "END"),
                   help="the period the scenario will forecast (ISO instants): a significant "
                        "trend is extrapolated to it")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from fcsim.calibrate import calibrate, write_scenario
    from fcsim.eventlog import read_log
    from fcsim.scenarios import apply_overrides, load_scenario

    base = load_scenario(args.base)
    if args.overrides:
        base = apply_overrides(base, args.overrides)
    log = read_log(args.log)
    if not 0 < args.utilisation <= 1:
        raise SystemExit(f"error: --utilisation must be in (0, 1], got {args.utilisation}")
    forecast = None
    if args.forecast:
        import pandas as pd

        forecast = tuple(pd.Timestamp(x) if pd.Timestamp(x).tzinfo else
                         pd.Timestamp(x).tz_localize(args.tz or "UTC") for x in args.forecast)
    cal = calibrate(log, base, name=args.name, tz=args.tz, min_n=args.min_n,
                    source=str(args.log), keep_roster=args.keep_roster,
                    utilisation=args.utilisation, dependence=args.dependence,
                    holidays=holiday_calendar(args.holidays), trend=args.trend,
                    durations=args.durations, forecast=forecast, level=args.level)
    path = write_scenario(cal, args.out)
    if args.tables:
        args.tables.mkdir(parents=True, exist_ok=True)
        cal.arrivals.table.to_csv(args.tables / "arrivals.csv", index=False)
        cal.durations.to_csv(args.tables / "durations.csv", index=False)
        cal.probabilities.to_csv(args.tables / "probabilities.csv", index=False)
        cal.parameters.to_csv(args.tables / "parameters.csv", index=False)
        (args.tables / "evidence.json").write_text(
            json.dumps(cal.evidence, indent=2, sort_keys=True, allow_nan=False) + "\n",
            encoding="utf-8")
    a = cal.arrivals
    print(f"{len(log.tickets)} tickets, window {a.start} .. {a.end} ({a.days:.1f} days)")
    for c, ca in a.categories.items():
        print(f"  {c}: {ca.n} arrivals, {ca.per_day:.3g} a day "
              f"[{ca.per_day_ci[0]:.3g}, {ca.per_day_ci[1]:.3g}]")
    if not cal.durations.empty:
        print(cal.durations[["field", "category", "n", "dist", "best", "reason"]]
              .to_string(index=False))
    sc = cal.scenario
    staff = ", ".join(f"{g} {max(s.hourly(on_call=False))}" for g, s in sc.staff.items())
    kept = args.keep_roster or any("arrivals only" in w for w in cal.warnings)
    print(("roster: the base's, kept" if kept else "roster: estimated from the log")
          + f" (busiest hour: {staff})")
    print(f"time zone {sc.scenario.time_zone}, start {sc.scenario.start.isoformat()}, "
          f"{sc.scenario.days:g} days, drain {sc.scenario.drain_max_days:g} days")
    # cal.warnings were logged as they arose: the CLI's log handler has shown each once
    print(f"→ {path}" + (f" ({len(cal.warnings)} warning(s) above)" if cal.warnings else ""))
    return 0
