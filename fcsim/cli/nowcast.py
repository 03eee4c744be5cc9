"""``fcsim nowcast``: which clocks of the open tickets will breach — and its backtest.

Live, on a recorder's database, or on a log cut at an instant::

    fcsim nowcast --db URL --scenario S [--as-of T] [--horizon 2h] [-r 200] --out DIR
    fcsim nowcast --log DIR --scenario S --as-of T [--horizon 2h] [-r 200] --out DIR

The open tickets at ``--as-of`` are continued from their stages by ``-r`` forward
replications of the scenario (``docs/nowcast.md``). Writes ``clocks.csv`` (per open ticket and
running or upcoming clock: breach probability, stop-time quantiles), ``hours.csv`` (expected
breaches and queue lengths per hour, with intervals), ``what_if.csv`` and
``what_if_summary.csv`` (one more member of each ``--what-if`` staff group now: paired
differences on common random numbers), ``stages.csv`` and ``manifest.json``. The default
``--as-of`` of ``--db`` is now: the one place fcsim reads the wall clock.

Backtest (rolling origins over a log; never reads the wall clock)::

    fcsim nowcast --backtest LOG --scenario S --every 10min --horizon 1h --out DIR

writes ``backtest.csv`` (one row per origin, ticket and clock: forecast, outcome, baselines)
and ``summary.json`` (AUC, Brier score, 95 % quantile exceedance, the baselines', the goals).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from fcsim.cli._args import duration_minutes, positive_int, utc_timestamp

__all__ = ["register"]


def _counts(text: str) -> dict[str, int]:
    """``desk=2,engineering=3`` -> {"desk": 2, "engineering": 3}."""
    out: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        if not sep or not value.strip().isdigit():
            raise argparse.ArgumentTypeError(f"{part!r}: expected GROUP=COUNT, e.g. desk=2")
        out[name.strip()] = int(value)
    return out


def _groups(text: str) -> list[str]:
    return [] if text.strip().lower() == "none" else [
        g.strip() for g in text.split(",") if g.strip()]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("nowcast", help="forecast which open tickets' clocks will breach",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--db", help="a recorder store (SQLAlchemy URL): forecast its open tickets")
    src.add_argument("--log", type=Path, help="a log directory cut at --as-of (e.g. simulated)")
    src.add_argument("--backtest", type=Path, metavar="LOG",
                     help="backtest over this log directory (rolling origins)")
    p.add_argument("--scenario", required=True, help="the model: a shipped name or a TOML file")
    p.add_argument("--as-of", type=utc_timestamp, default=None,
                   help="the instant (default with --db: now, the wall clock)")
    p.add_argument("--horizon", type=duration_minutes, default=None,
                   help="how far ahead (e.g. 2h; default 2h, backtest 1h)")
    p.add_argument("-r", "--replications", type=positive_int, default=200,
                   help="forward replications (per origin in a backtest; default 200)")
    p.add_argument("--seed", type=int, default=0, help="root seed (default 0)")
    p.add_argument("--what-if", type=_groups, default=None, metavar="GROUPS",
                   help="staff groups to add one member to now, comma-separated, or none "
                        "(default: the desk and every technician group)")
    p.add_argument("--on-duty", type=_counts, default=None, metavar="GROUP=N,...",
                   help="a live head-count now (default: the scenario's roster)")
    p.add_argument("--every", type=duration_minutes, default=10.0,
                   help="backtest: time between origins (default 10min)")
    p.add_argument("--window", nargs=2, type=utc_timestamp, metavar=("START", "END"),
                   help="backtest: origins in [START, END - horizon]")
    p.add_argument("--out", type=Path, required=True, help="output directory")
    p.set_defaults(func=_run)


def _progress(label: str) -> Any:
    from tqdm import tqdm

    bar = tqdm(total=100, desc=label, unit="%", file=sys.stderr, leave=False)

    def update(f: float) -> None:
        bar.n = round(100 * f)
        bar.refresh()
        if f >= 1.0:
            bar.close()

    return update


def _run(args: argparse.Namespace) -> int:
    from fcsim.scenarios import load_scenario

    scenario = load_scenario(args.scenario)
    if args.backtest is not None:
        return _backtest(args, scenario)
    from fcsim.model.activities import Role
    from fcsim.nowcast.forecast import forecast
    from fcsim.nowcast.io import write_forecast

    as_of = args.as_of
    if args.log is not None:
        if as_of is None:
            raise ValueError("--log needs --as-of (a log's 'now' is not the wall clock)")
        from fcsim.eventlog import read_log

        log = read_log(args.log)
        source = str(args.log)
    else:
        from fcsim.recorder import Recorder

        if as_of is None:  # the one place fcsim reads the wall clock
            as_of = pd.Timestamp.now(tz="UTC").floor("s")
        log = Recorder(args.db, create=False).export(open_at=as_of)
        source = "recorder"
    what_if = args.what_if if args.what_if is not None else [
        g for g, grp in scenario.staff.items() if grp.role in (Role.DESK, Role.TECHNICIAN)]
    horizon = args.horizon if args.horizon is not None else 120.0
    fc = forecast(log, scenario, as_of, horizon_min=horizon, replications=args.replications,
                  seed=args.seed, what_if=what_if, on_duty=args.on_duty)
    write_forecast(fc, args.out, {"source": source})
    _print_forecast(fc, scenario.scenario.tz)
    print(f"\n→ {args.out}/clocks.csv, hours.csv, what_if.csv, what_if_summary.csv, "
          "stages.csv, manifest.json")
    return 0


def _print_forecast(fc: Any, tz: Any) -> None:
    from fcsim.model.stages import STAGE_LABELS, Stage

    snap = fc.snapshot
    print(f"{len(snap)} 張未結工單 open tickets at {snap.as_of.isoformat()}; "
          f"{fc.replications} replications, horizon {fc.horizon_min:g} min")
    top = fc.clocks.sort_values("p_breach", ascending=False).head(10)
    if len(top):
        print("\n超時概率 breach probability (highest first)")
        for r in top.itertuples():
            zh, en = STAGE_LABELS[Stage(r.stage)]
            print(f"  {r.p_breach:6.1%}  {r.ticket_id}  #{r.attempt} {r.control_point:<20} "
                  f"{zh} {en} ({r.status_now})")
    br = fc.hours[fc.hours["measure"] == "breaches"]
    if len(br):
        print(f"\n預計超時 expected breaches per hour ({tz}; every ticket, new ones too)")
        for r in br.itertuples():
            print(f"  {r.hour_start.tz_convert(tz):%H:%M}–{r.hour_end.tz_convert(tz):%H:%M}  "
                  f"{r.mean:5.2f}  [{r.ci_low:.2f}, {r.ci_high:.2f}]")
    w = fc.what_if_summary
    if len(w):
        print("\n假如現在增加一人 what if one more now: Δ expected breaches in the horizon, "
              "95 % CI (open tickets | all)")
        for change in dict.fromkeys(w["change"]):
            a = w[(w["change"] == change) & (w["measure"] == "breaches_open_tickets")].iloc[0]
            b = w[(w["change"] == change) & (w["measure"] == "breaches_all")].iloc[0]
            print(f"  {change:<24} {a.delta:+.3f} [{a.ci_low:+.3f}, {a.ci_high:+.3f}]   "
                  f"{b.delta:+.3f} [{b.ci_low:+.3f}, {b.ci_high:+.3f}]")


def _backtest(args: argparse.Namespace, scenario: Any) -> int:
    from fcsim.eventlog import read_log
    from fcsim.nowcast.backtest import backtest
    from fcsim.nowcast.io import write_backtest

    log = read_log(args.backtest)
    horizon = args.horizon if args.horizon is not None else 60.0
    bt = backtest(log, scenario, every_min=args.every, horizon_min=horizon,
                  replications=args.replications, seed=args.seed,
                  window=tuple(args.window) if args.window else None,
                  progress=_progress("backtest"))
    write_backtest(bt, args.out, {"log": str(args.backtest)})
    s = bt.summary
    print(f"{s['origins']} origins ({s['origins_with_open_tickets']} with open tickets), "
          f"{s['instances']} clock instances, {s['breaches']} breached; "
          f"{s['runtime_s']} s")
    print(f"{'':24}{'AUC':>8}{'Brier':>9}{'>q95':>8}")
    for name in ("model", "elapsed_fraction", "historical_median"):
        m = s[name]
        print(f"  {name:<22}{m['auc']:8.3f}{m['brier']:9.4f}{m['exceedance_q95']:8.1%}")
    for clock, v in s["model"]["per_clock"].items():
        print(f"    {clock:<20}  n={v['instances']:<5} breaches={v['breaches']:<4} "
              f"AUC={v['auc']:.3f}")
    print("goals:", ", ".join(f"{k}={v}" for k, v in s["goals"].items()))
    print(f"\n→ {args.out}/backtest.csv, summary.json")
    return 0
