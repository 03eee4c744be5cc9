"""``fcsim kpi LOG --out DIR``: clock instances, indicators and the periodic statistics table."""

from __future__ import annotations

import argparse
import json
import tomllib
from pathlib import Path

from fcsim.cli._args import utc_timestamp
from fcsim.cli._tables import indicator_table
from fcsim.eventlog import read_log
from fcsim.model.control_points import SEED_CONTROL_POINTS, ControlPoints

__all__ = ["load_control_points", "register"]


def load_control_points(path: Path) -> ControlPoints:
    """Bounds from a TOML or JSON file ``{clock: {lower_s, upper_s}}`` (seed's elsewhere).

    TOML has no null: leave a key out to keep the seed's bound, or set it to ``-1`` to remove it.
    """
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: {exc}") from None
    data = data.get("control_points", data)
    cleaned = {
        clock: {k: (None if v == -1 else v) for k, v in bounds.items()}
        for clock, bounds in data.items()
    }
    try:
        return SEED_CONTROL_POINTS.with_bounds(cleaned)
    except (KeyError, ValueError) as exc:
        raise ValueError(f"{path}: {exc}") from None


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("kpi", help="evaluate an event log against the control points",
                       description=__doc__)
    p.add_argument("log", type=Path, help="log directory (events.csv[.gz], tickets.csv[.gz])")
    p.add_argument("--as-of", type=utc_timestamp, default=None,
                   help="evaluate at this instant (default: the log's latest event)")
    p.add_argument("--window", nargs=2, type=utc_timestamp, metavar=("START", "END"),
                   help="tickets whose attempt-1 receipt is in [START, END)")
    p.add_argument("--period", choices=("week", "month"), default="week")
    p.add_argument("--period-by", choices=("receipt", "closing"), default="receipt")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--scenario", help="take the bounds from this scenario")
    src.add_argument("--control-points", type=Path, help="TOML/JSON file of bounds")
    p.add_argument("--out", type=Path, required=True, help="output directory")
    p.set_defaults(func=_run)


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
                      period=args.period, by=args.period_by)
    write_kpi(result, args.out)
    print(indicator_table(result.indicators))
    print(f"\n→ {args.out}/control_points.csv, indicators.csv, periods.csv")
    return 0
