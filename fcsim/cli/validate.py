"""``fcsim validate LOG --train START END --test START END [-r N] --out DIR``: held-out
validation in one command.

Calibrates a scenario on the training period's tickets, simulates the test period with it
(``-r`` replications) and compares with the test period's tickets. Writes into ``DIR``:
``validation.csv`` (measure, kind, observed, sim_mean, pi_low, pi_high, inside, measurable,
reason), ``distances.csv`` (KS and Wasserstein per stage and cycle time, the absolute-hour
arrival distance, the activity 2-gram distance, Kendall τ of adjacent stages),
``summary.json``, ``report.html`` and the calibrated ``scenario.toml``. Dates or ISO
date-times; without an offset they are in the log's time zone (its manifest's ``time_zone``,
else ``--tz``, else UTC).
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import tzinfo
from pathlib import Path
from typing import Any

import pandas as pd

from fcsim.cli._args import (
    add_calibration_options,
    add_tz_argument,
    holiday_calendar,
    int_at_least,
    non_negative_int,
)

__all__ = ["register", "write_outputs"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="calibrate on a training period, simulate a test "
                       "period, compare", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("log", type=Path, help="observed log directory (fcsim record export)")
    p.add_argument("--train", nargs=2, type=_instant, required=True,
                   metavar=("START", "END"), help="training period [START, END)")
    p.add_argument("--test", nargs=2, type=_instant, required=True,
                   metavar=("START", "END"), help="test period [START, END)")
    p.add_argument("--replications", "-r", type=int_at_least(2), default=10)
    p.add_argument("--seed", type=non_negative_int, default=1)
    p.add_argument("--workers", type=non_negative_int, default=None,
                   help="worker processes for the replications (default: CPU count)")
    p.add_argument("--base", default="apartment",
                   help="base scenario (name or TOML) for what the log cannot tell")
    p.add_argument("--keep-roster", action="store_true",
                   help="keep the base's roster instead of estimating staff from the log")
    p.add_argument("--dependence", choices=("joint", "independent"), default="joint",
                   help="stage durations of a pass: joint bootstrap (default) or independent")
    add_calibration_options(p)
    add_tz_argument(p, "the log's (manifest time_zone), else UTC")
    p.add_argument("--lang", choices=("en", "zh"), default="en")
    p.add_argument("--out", type=Path, required=True, help="output directory")
    p.set_defaults(func=_run)


def _instant(text: str) -> pd.Timestamp:
    """A date or ISO date-time (naive: localised later in the log's zone)."""
    try:
        return pd.Timestamp(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date or ISO date-time") from None


def _localise(ts: pd.Timestamp, zone: tzinfo) -> pd.Timestamp:
    return ts.tz_localize(zone) if ts.tzinfo is None else ts


def write_outputs(out: Path, table: pd.DataFrame, distances: pd.DataFrame,
                  summary: dict[str, Any], *, lang: str) -> None:
    """validation.csv, distances.csv, summary.json and report.html into ``out``."""
    from fcsim.validate.report import write_validation_report

    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "validation.csv", index=False)
    distances.to_csv(out / "distances.csv", index=False)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n",
                                      encoding="utf-8")
    write_validation_report(out / "report.html", table, distances, summary,
                            lang="zh" if lang == "zh" else "en")


def _run(args: argparse.Namespace) -> int:
    from datetime import UTC

    from fcsim.calibrate import write_scenario
    from fcsim.eventlog import read_log
    from fcsim.model.timezone import parse_tz
    from fcsim.scenarios import load_scenario
    from fcsim.validate import validate

    t0 = time.perf_counter()
    log = read_log(args.log)
    own = (log.manifest or {}).get("time_zone")
    zone = (parse_tz(own) if isinstance(own, str) and own else None) or args.tz or UTC
    for name in ("train", "test"):
        a, b = (_localise(x, zone) for x in getattr(args, name))
        if not a < b:
            raise SystemExit(f"error: --{name} START must be before END ({a} .. {b})")
        setattr(args, name, (a, b))
    v = validate(log, load_scenario(args.base), train=tuple(args.train),
                 test=tuple(args.test), replications=args.replications, seed=args.seed,
                 workers=args.workers, keep_roster=args.keep_roster, source=str(args.log),
                 dependence=args.dependence, holidays=holiday_calendar(args.holidays),
                 trend=args.trend, durations=args.durations, level=args.level)
    out: Path = args.out
    write_outputs(out, v.table, v.distances, v.summary, lang=args.lang)
    if v.calibration is not None:
        write_scenario(v.calibration, out / "scenario.toml")
        for w in v.calibration.warnings:
            print(f"warning: {w}")
    s = v.summary
    judged = v.table[v.table["measurable"]]
    print(judged[["measure", "observed", "sim_mean", "pi_low", "pi_high", "inside"]]
          .to_string(index=False))
    ct = s["cycle_time_ks"]
    share = s["inside_share"]
    print(f"\ninside the 95 % PI: {s['n_inside']} of {s['n_measurable']} measurable measures"
          + (f" ({100 * share:.1f} %)" if share is not None else "")
          + (f"; cycle-time KS {ct:.3f}" if ct is not None else "; no cycle time"))
    u = s["unfinished_at_horizon"]
    print(f"unfinished at the horizon: {u['n_unfinished']} of {u['n_tickets']} simulated "
          f"tickets ({100 * u['share']:.1f} %)")
    print(f"{s['training_tickets']} training, {s['observed_test_tickets']} test tickets, "
          f"{args.replications} replication(s), {time.perf_counter() - t0:.0f} s")
    print(f"→ {out}/ (validation.csv, distances.csv, summary.json, report.html, scenario.toml)")
    return 0
