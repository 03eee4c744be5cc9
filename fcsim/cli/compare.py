"""``fcsim compare OBSERVED SIMULATED_DIR --out DIR`` and ``fcsim replay OBSERVED --scenario S``.

``compare``: the same KPI code on both logs; observed values against the simulated 95 %
prediction intervals, stage-duration and cycle-time distances, the hour-of-week arrival
profile, a figure for each and one self-contained report page (``report.html``).
``replay``: run a scenario (another roster with ``--set``) on
exactly the observed arrivals and report the KPI differences against what happened.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from fcsim.cli._args import (
    add_scenario_tz_argument,
    add_tz_argument,
    scenario_overrides,
    utc_timestamp,
)

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compare", help="observed vs simulated: intervals, distances, figures",
                       description=__doc__)
    p.add_argument("observed", type=Path, help="observed log directory")
    p.add_argument("simulated", type=Path, help="simulated log directory (fcsim run --out)")
    p.add_argument("--out", type=Path, required=True, help="output directory")
    add_tz_argument(p, "the simulated log's (manifest time_zone, else its start's offset)")
    p.add_argument("--lang", choices=("en", "zh"), default="en", help="report language")
    p.set_defaults(func=_compare)
    r = sub.add_parser("replay", help="run a scenario on exactly the observed arrivals",
                       description=__doc__)
    r.add_argument("observed", type=Path, help="observed log directory")
    r.add_argument("--scenario", required=True, help="scenario name or TOML")
    r.add_argument("--set", dest="overrides", action="append", default=[],
                   metavar="PATH=VALUE", help="the changed roster (or any field)")
    r.add_argument("--from", dest="start", type=utc_timestamp, help="window start (with offset)")
    r.add_argument("--to", dest="end", type=utc_timestamp, help="window end (with offset)")
    r.add_argument("--replications", type=int, default=10)
    r.add_argument("--seed", type=int, default=1)
    add_scenario_tz_argument(r)
    r.add_argument("--out", type=Path, help="write differences.csv here")
    r.set_defaults(func=_replay)


def _compare(args: argparse.Namespace) -> int:
    from fcsim.compare import compare
    from fcsim.compare.core import simulated_time_zone
    from fcsim.eventlog import read_log
    from fcsim.model.timezone import parse_tz, tz_name
    from fcsim.report import build_compare_report

    obs, sim = read_log(args.observed), read_log(args.simulated)
    c = compare(obs, sim, tz=args.tz)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    for name in ("indicators", "clocks", "distances", "arrivals"):
        getattr(c, name).to_csv(out / f"{name}.csv", index=False)
    zone = tz_name(args.tz if args.tz is not None else simulated_time_zone(sim))
    build_compare_report(c, out, lang=args.lang, zone=zone, n_observed=len(obs.tickets),
                         n_simulated=len(sim.tickets))
    from fcsim.cli.validate import write_outputs
    from fcsim.compare.unfinished import horizon_of, unfinished_at_horizon
    from fcsim.validate import distances_table, summary, validation_table

    unfinished = unfinished_at_horizon(sim)
    win = (sim.manifest or {}).get("window")
    start = pd.Timestamp(win[0]) if win else obs.events["timestamp"].min()
    end = horizon_of(sim) or obs.events["timestamp"].max()
    table = validation_table(obs, sim, start=start, end=end)
    dist = distances_table(obs, sim, start)
    summ = summary(table, dist)
    summ["unfinished_at_horizon"] = unfinished.to_dict()
    write_outputs(out / "validation", table, dist, summ, lang=args.lang)
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(c.indicators.to_string(index=False))
        print()
        print(c.clocks.to_string(index=False))
        print()
        print(c.distances.to_string(index=False))
    n_rep = int(c.indicators["n_replications"].max()) if len(c.indicators) else 0
    if n_rep < 2:
        print("warning: one simulated replication: no prediction intervals (run with -r 2 "
              "or more)")
    print(unfinished.line(parse_tz(zone)))
    print(f"→ {out}/ (indicators.csv, clocks.csv, distances.csv, arrivals.csv, report.html, "
          "figures *.png; validation/: validation.csv, distances.csv, summary.json, report.html)")
    return 0


def _replay(args: argparse.Namespace) -> int:
    from fcsim.compare import replay_differences
    from fcsim.eventlog import read_log
    from fcsim.scenarios import apply_overrides, load_scenario
    from fcsim.sim.trace import replay

    obs = read_log(args.observed)
    sc = load_scenario(args.scenario)
    if args.tz is not None:  # both runs in the site's zone (the roster's hours are local)
        sc = apply_overrides(sc, scenario_overrides(argparse.Namespace(tz=args.tz), sc))
    window = None
    if args.start is not None or args.end is not None:
        window = (args.start or pd.Timestamp.min.tz_localize("UTC"),
                  args.end or pd.Timestamp.max.tz_localize("UTC"))
    new = replay(obs, sc, seed=args.seed, replications=args.replications,
                 overrides=args.overrides, window=window)
    base = replay(obs, sc, seed=args.seed, replications=args.replications, window=window)
    diff = replay_differences(obs, new, base)
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(diff.to_string(index=False))
    print(f"{len(new.ticket_ids)} observed tickets replayed × {args.replications} "
          f"replication(s)")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        diff.to_csv(args.out / "differences.csv", index=False)
        print(f"→ {args.out}/differences.csv")
    return 0
