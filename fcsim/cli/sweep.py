"""``fcsim sweep SCENARIO --vary field=v1,v2,... [--vary ...] --out DIR``: factorial variants.

Every combination of the varied fields' values is simulated ``--replications`` times from one
root seed (common random numbers across variants) and written as one tidy table
``sweep.csv`` (variant, field values, indicator, mean, 95 % interval …) beside
``indicators.csv``, ``control_points.csv``, ``periods.csv`` and ``manifest.json``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pandas as pd

from fcsim.cli._args import (
    add_scenario_tz_argument,
    non_negative_int,
    positive_float,
    positive_int,
    scenario_overrides,
)
from fcsim.eventlog.io import write_bytes

__all__ = ["format_sweep_table", "register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sweep", help="factorial variants of a scenario, one tidy table",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", help="a shipped scenario name or a TOML file")
    p.add_argument("--vary", action="append", default=[], metavar="FIELD=V1,V2,...",
                   help="values of one field (TOML syntax); repeat for a factorial design")
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                   dest="overrides", help="a fixed override applied to every variant")
    add_scenario_tz_argument(p)
    p.add_argument("--replications", "-r", type=positive_int, default=10,
                   help="replications per variant (default: 10)")
    p.add_argument("--days", type=positive_float, default=None,
                   help="simulated days (default: the scenario's)")
    p.add_argument("--seed", type=non_negative_int, default=2026,
                   help="root seed; replication i uses the same streams in every variant")
    p.add_argument("--workers", type=non_negative_int, default=None,
                   help="local worker processes (default: CPU count; 0: no pool)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run on a Dask cluster (needs the 'dask' extra)")
    p.add_argument("--warmup", choices=("none", "auto", "mser5", "weeks"), default="none",
                   help="warm-up rule for the KPI window (auto: MSER-5 when stationary, "
                        "else whole weeks)")
    p.add_argument("--warmup-weeks", type=non_negative_int, default=1,
                   help="weeks dropped by the whole-week rule (default: 1)")
    p.add_argument("--keep-log", action="store_true", help="also write the combined event log")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--out", type=Path, required=True, help="output directory")
    p.set_defaults(func=_run)


def _fmt(v: Any) -> str:
    if v is None or (not isinstance(v, str | list | dict) and pd.isna(v)):
        return ""
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def format_sweep_table(table: pd.DataFrame) -> str:
    """The sweep table as aligned text (percentages for value and interval)."""
    shown = table.copy()
    for col in ("value", "ci_low", "ci_high"):
        shown[col] = [("" if pd.isna(v) else f"{float(v) * 100:.2f} %") for v in shown[col]]
    if "met" in shown:
        shown["met"] = ["" if pd.isna(v) else ("yes" if bool(v) else "NO") for v in shown["met"]]
    cols = [c for c in shown.columns if c not in ("numerator", "denominator", "n_censored")]
    cells = [[_fmt(v) for v in row] for row in shown[cols].itertuples(index=False)]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(cols)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(x.ljust(w) for x, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(lines)


def _run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from fcsim.experiment import Mser5, WholeWeeks, suggest_warmup, sweep
    from fcsim.experiment.warmup import WarmupRule
    from fcsim.scenarios import load_scenario

    base = load_scenario(args.scenario)
    warmup: WarmupRule | None = None
    if args.warmup == "auto":
        warmup = suggest_warmup(base)
        if isinstance(warmup, WholeWeeks):
            warmup = WholeWeeks(args.warmup_weeks)
    elif args.warmup == "mser5":
        warmup = Mser5()
    elif args.warmup == "weeks":
        warmup = WholeWeeks(args.warmup_weeks)

    client = executor = None
    if args.scheduler:
        try:
            from distributed import Client
        except ImportError:
            raise ValueError("--scheduler needs Dask: pip install 'fcsim[dask]'") from None
        client = Client(args.scheduler)
        executor = client.get_executor()

    bar = None if args.no_progress else tqdm(total=0, unit="replication", desc="sweep")

    def progress(done: int, total: int) -> None:
        if bar is not None:
            bar.total = total
            bar.n = done
            bar.refresh()

    try:
        res = sweep(base, args.vary, seed=args.seed, replications=args.replications,
                    days=args.days, overrides=scenario_overrides(args, base), executor=executor,
                    workers=args.workers, progress=progress, warmup=warmup,
                    keep_logs=args.keep_log)
    finally:
        if bar is not None:
            bar.close()
        if client is not None:
            client.close()
    out = res.experiment.write(args.out)
    text = res.table.to_csv(index=False, lineterminator="\n", na_rep="")
    write_bytes(out / "sweep.csv", text.encode("utf-8"))
    print(format_sweep_table(res.table))
    print(f"\n{len(res.variants)} variant(s) × {args.replications} replication(s), "
          f"seed {args.seed} → {out}/sweep.csv, indicators.csv, manifest.json")
    return 0
