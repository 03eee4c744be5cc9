"""``fcsim kpi LOG --out DIR``: clock instances, indicators and the periodic statistics table.

Writes ``control_points.csv``, ``indicators.csv``, ``periods.csv`` (``KPI.md``) and
``ownership.csv`` (fcsim's own first-contact ownership measure, not a seed target).

Bounds: the log manifest's ``control_points`` / ``control_point_overrides``, else
``--scenario`` (its scenario-wide, per-category and emergency bounds) or ``--control-points
FILE`` (TOML or JSON, same shape: ``[on_site] upper_s = 600``, ``[on_site.category.critical]
upper_s = 300``, ``[on_site.emergency] upper_s = 300``; ``-1`` removes a bound), else the
seed's.

Weeks and months are local: the zone is ``--tz``, else the manifest's ``time_zone``, else the
recorder site's (with ``--db``), else UTC with a warning.

Clocks an import marked not measurable in the log's manifest (its start or end event was
synthesised, or the stage is absent) are listed and not judged: they have no rows and do not
count in timeliness.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from fcsim.cli._args import add_tz_argument, utc_timestamp
from fcsim.cli._tables import indicator_table, ownership_line
from fcsim.eventlog import read_log
from fcsim.kpi.bounds import load_control_points
from fcsim.model.control_points import ControlPoints

__all__ = ["load_control_points", "register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("kpi", help="evaluate an event log against the control points",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("log", type=Path, help="log directory (events.csv[.gz], tickets.csv[.gz])")
    p.add_argument("--as-of", type=utc_timestamp, default=None,
                   help="evaluate at this instant (default: the log's latest event)")
    p.add_argument("--window", nargs=2, type=utc_timestamp, metavar=("START", "END"),
                   help="tickets whose attempt-1 receipt is in [START, END)")
    p.add_argument("--period", choices=("week", "month"), default="week")
    p.add_argument("--period-by", choices=("receipt", "closing"), default="receipt")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--scenario", help="take the bounds from this scenario")
    src.add_argument("--control-points", type=Path,
                     help="TOML/JSON file of bounds, with per-category and emergency overrides")
    add_tz_argument(p, "the manifest's time_zone, else the recorder site's (--db), else UTC")
    p.add_argument("--db", help="a recorder store (SQLAlchemy URL) whose site zone to use")
    p.add_argument("--out", type=Path, required=True, help="output directory")
    p.set_defaults(func=_run)


def _zone(args: argparse.Namespace, log: Any) -> Any:
    """``--tz``, else ``None`` (the manifest's), else the site's, else UTC with a warning."""
    from fcsim.kpi.zones import resolve_time_zones

    if args.tz is not None:
        return args.tz
    names: list[str | None] = [
        *sorted({str(s) for s in log.tickets["scenario"].dropna().unique()})] or [None]
    _, source = resolve_time_zones(names, manifest=log.manifest)
    if source != "default":
        return None
    if args.db:
        from fcsim.recorder import Recorder

        site = Recorder(args.db, create=False).site()
        if site.time_zone is not None:
            return site.tz
    print("warning: no time zone (--tz, the log's manifest, a recorder site): weeks and "
          "months are cut in UTC", file=sys.stderr)
    return None


def _run(args: argparse.Namespace) -> int:
    from fcsim.kpi import evaluate, write_kpi

    log = read_log(args.log)
    bounds: ControlPoints | None = None
    if args.scenario:
        from fcsim.scenarios import load_scenario

        bounds = load_scenario(args.scenario).control_points()
    elif args.control_points:
        bounds = load_control_points(args.control_points)
    window = tuple(args.window) if args.window else None
    result = evaluate(log, as_of=args.as_of, bounds=bounds, window=window,
                      period=args.period, by=args.period_by, tz=_zone(args, log))
    write_kpi(result, args.out)
    from fcsim.kpi.engine import not_measurable

    meas = (log.manifest or {}).get("measurability") or {}
    skipped = [f"{c} ({meas[c].get('reason', '')})" for c in sorted(not_measurable(log))
               if "in the log" not in str(meas[c].get("reason", ""))]
    if skipped:
        print("clocks not measurable in this log, not judged: " + "; ".join(skipped))
    print(indicator_table(result.indicators))
    print(ownership_line(result.ownership))
    print(f"\n→ {args.out}/control_points.csv, indicators.csv, periods.csv, ownership.csv")
    return 0
