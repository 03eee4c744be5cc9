"""``fcsim run SCENARIO --out DIR``: simulate a scenario, evaluate the KPIs, write a report.

Writes into ``DIR``: the event log (``events.csv.gz``, ``tickets.csv.gz``, ``manifest.json``),
the KPI tables (``control_points.csv``, ``indicators.csv``, ``periods.csv`` — weeks and months
in the scenario's time zone — and ``ownership.csv``, fcsim's first-contact ownership measure),
``report.html`` with ``figures/*.png``, and ``kpi.xlsx`` (the manager's summary sheets; every
clock row with ``--excel-all``). ``--no-report`` writes only the log, the KPI tables and the
manifest. ``--set path.to.field=value`` overrides any scenario field (TOML syntax), validated
like the file itself; ``--tz`` sets the scenario's time zone.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING

from fcsim.cli._args import (
    add_scenario_tz_argument,
    non_negative_int,
    positive_float,
    positive_int,
    scenario_overrides,
)

if TYPE_CHECKING:
    from fcsim.scenarios import Scenario

__all__ = ["register", "with_start"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="simulate a scenario, evaluate it and write a report",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", help="a shipped scenario name (apartment, hospital, mmc, "
                                    "mmc_priority) or a TOML file")
    p.add_argument("--days", type=positive_float, default=None,
                   help="arrival window in days (default: the scenario's)")
    p.add_argument("--start", default=None, metavar="DATE[THH:MM[+HH:MM]]",
                   help="start of the arrival window, a date or ISO date-time (without an "
                   "offset: in the scenario's time zone; default: the scenario's)")
    p.add_argument("--seed", type=non_negative_int, default=2026)
    p.add_argument("--replications", "-r", type=positive_int, default=1)
    p.add_argument("--workers", type=non_negative_int, default=None,
                   help="worker processes for several replications (default: CPU count)")
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                   dest="overrides", help="override a scenario field, e.g. "
                   "categories.engineering.rate_per_unit_day=0.04 (repeatable)")
    p.add_argument("--format", choices=("csv.gz", "csv", "parquet"), default="csv.gz",
                   dest="fmt", help="event-log file format")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="report language")
    p.add_argument("--no-report", action="store_true",
                   help="write only the event log, the KPI tables and the manifest")
    p.add_argument("--excel-all", action="store_true",
                   help="kpi.xlsx also gets every clock row and the lateness per ticket")
    add_scenario_tz_argument(p)
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--out", type=Path, required=True, help="output directory")
    p.set_defaults(func=_run)


def with_start(scenario: Scenario, text: str) -> Scenario:
    """``scenario`` starting at ``text`` (a date or ISO date-time; without an offset, in the
    scenario's time zone)."""
    import pandas as pd

    from fcsim.scenarios import scenario_from_dict

    try:
        ts = pd.Timestamp(text)
    except ValueError as exc:
        raise SystemExit(f"error: --start {text!r} is not a date or ISO date-time") from exc
    tz = scenario.scenario.tz
    ts = ts.tz_localize(tz) if ts.tzinfo is None else ts
    data = scenario.to_data()
    data["scenario"]["start"] = ts.to_pydatetime()
    return scenario_from_dict(data, origin=f"{scenario.name} with --start {text}")


def _run(args: argparse.Namespace) -> int:
    t_start = time.perf_counter()
    from tqdm import tqdm

    from fcsim.cli._tables import indicator_table, ownership_line
    from fcsim.eventlog import write_log
    from fcsim.kpi import evaluate, write_kpi
    from fcsim.scenarios import apply_overrides, load_scenario
    from fcsim.sim import simulate

    scenario = load_scenario(args.scenario)
    overrides = scenario_overrides(args, scenario)
    if overrides:
        scenario = apply_overrides(scenario, overrides)
    if args.start is not None:
        scenario = with_start(scenario, args.start)
    days = args.days if args.days is not None else scenario.scenario.days
    t0 = time.perf_counter()
    if args.replications == 1:
        bar = None if args.no_progress else tqdm(total=100, unit="%", desc=scenario.name,
                                                 disable=None)

        def progress(f: float) -> None:
            if bar is not None:
                bar.n = round(100 * f)
                bar.refresh()

        try:
            log = simulate(scenario, seed=args.seed, days=days, progress=progress)
        finally:
            if bar is not None:
                bar.close()
        sim_s = time.perf_counter() - t0
        result = evaluate(log, bounds=scenario.control_points(),
                          targets=scenario.indicator_targets(), tz=scenario.scenario.tz)
    else:
        from fcsim.experiment import run_experiment

        rbar = None if args.no_progress else tqdm(total=args.replications, disable=None,
                                                  unit="replication", desc=scenario.name)

        def rprogress(done: int, total: int) -> None:
            if rbar is not None:
                rbar.total = total
                rbar.n = done
                rbar.refresh()

        try:
            res = run_experiment([scenario], seed=args.seed, replications=args.replications,
                                 days=days, workers=args.workers, progress=rprogress)
        finally:
            if rbar is not None:
                rbar.close()
        sim_s = time.perf_counter() - t0
        assert res.log is not None
        log, result = res.log, res.kpi
    from fcsim.compare.unfinished import unfinished_at_horizon

    unfinished = unfinished_at_horizon(log)
    import dataclasses

    log = dataclasses.replace(log, manifest={**(log.manifest or {}),
                                             "unfinished_at_horizon": unfinished.to_dict()})
    out: Path = args.out
    write_log(log, out, fmt=args.fmt)
    write_kpi(result, out)
    extras: list[str] = []
    if not args.no_report:
        from fcsim.report import RunData, build_report, write_workbook

        data = RunData(log, result.indicators, result.periods, result.control_points,
                       result.ownership)
        build_report(out, lang=args.lang, figures_dir=out / "figures", data=data)
        extras += ["report.html", "figures/*.png"]
        try:
            write_workbook(out, all_clocks=args.excel_all, log=log,
                           indicators=result.indicators, periods=result.periods,
                           clocks=result.control_points, ownership=result.ownership)
            extras.append("kpi.xlsx")
        except ImportError as exc:  # the Excel workbook is an optional extra
            extras.append(f"no kpi.xlsx: {exc}")
    print(indicator_table(result.indicators))
    print(ownership_line(result.ownership))
    total_s = time.perf_counter() - t_start
    print(f"\n{scenario.name}: {len(log.tickets)} tickets, {len(log.events)} events, "
          f"{days:g} day(s) × {args.replications} replication(s), seed {args.seed}; "
          f"simulated in {sim_s:.1f} s, {total_s:.1f} s in all (wall time)")
    print(unfinished.line(scenario.scenario.tz))
    written = ("events, tickets, manifest.json, control_points.csv, indicators.csv, periods.csv, "
               "ownership.csv")
    print(f"→ {out}/ ({', '.join([written, *extras])})")
    return 0
