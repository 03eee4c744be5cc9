"""Benchmark: the KPI engine against reading the log it evaluates.

Builds a synthetic log deterministically by replicating the shared test vector
(``kpi-examples/observed-day``, 13 tickets, 177 events) with shifted ids and times (replica *i*
shifted by *i* × 10 min plus a seeded jitter of whole seconds), writes it as ``csv.gz`` to a
temporary directory, then times :func:`fcsim.eventlog.read_log` and :func:`fcsim.kpi.evaluate`
side by side in one process (median of the runs) and writes ``benchmarks/results/kpi.json``.

Usage: ``python benchmarks/bench_kpi.py [--quick] [--events N] [--runs K]``
(``--quick``: 50k events, 5 runs; default 1,000,000 events, 5 runs). No assertion on timing.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from _timing import median_time

from fcsim.eventlog import EventLog, read_log, write_log
from fcsim.kpi import evaluate

HERE = Path(__file__).resolve().parent
VECTOR = HERE.parent.parent / "shared" / "kpi-examples" / "observed-day"


def synthetic_log(n_events: int, seed: int = 20260302) -> EventLog:
    """Replicas of the test vector totalling at least ``n_events`` events."""
    base = read_log(VECTOR)
    ev0 = base.events.copy()
    tk0 = base.tickets.copy()
    reps = -(-n_events // len(ev0))
    rng = np.random.default_rng(seed)
    shift_s = np.arange(reps) * 600 + rng.integers(0, 60, reps)
    ri = np.repeat(np.arange(reps), len(ev0))
    ev = ev0.iloc[np.tile(np.arange(len(ev0)), reps)].reset_index(drop=True)
    suffix = pd.Series(ri).map("{:06d}".format).to_numpy(dtype=object)
    ev["ticket_id"] = ev["ticket_id"].astype(object).to_numpy() + "-" + suffix
    delta = pd.to_timedelta(shift_s[ri], unit="s")
    for col in ("timestamp", "started_at"):
        ev[col] = ev[col] + delta
    ev["seq"] = np.arange(len(ev))
    rt = np.repeat(np.arange(reps), len(tk0))
    tk = tk0.iloc[np.tile(np.arange(len(tk0)), reps)].reset_index(drop=True)
    tsuffix = pd.Series(rt).map("{:06d}".format).to_numpy(dtype=object)
    tk["ticket_id"] = tk["ticket_id"].astype(object).to_numpy() + "-" + tsuffix
    tdelta = pd.to_timedelta(shift_s[rt], unit="s")
    for col in ("booked_at", "appointment_at"):
        tk[col] = tk[col] + tdelta
    return EventLog.from_frames(ev, tk)




def main(argv: list[str] | None = None) -> dict[str, object]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="50k events (CI)")
    ap.add_argument("--events", type=int, default=None)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "kpi.json")
    args = ap.parse_args(argv)
    n = args.events or (50_000 if args.quick else 1_000_000)
    runs = max(args.runs, 5)
    log = synthetic_log(n)
    with tempfile.TemporaryDirectory() as tmp:
        write_log(log, tmp, fmt="csv.gz")
        read_s, read_all = median_time(lambda: read_log(tmp), runs)
        loaded = read_log(tmp)
        holder: dict[str, object] = {}

        def run() -> None:
            holder["r"] = evaluate(loaded)

        eval_s, eval_all = median_time(run, runs)
    res = holder["r"]
    result = {
        "events": len(loaded.events), "tickets": len(loaded.tickets),
        "clock_rows": len(res.control_points), "period_rows": len(res.periods),
        "runs": runs, "read_log_s": read_s, "evaluate_s": eval_s,
        "ratio": eval_s / read_s, "read_log_all_s": read_all, "evaluate_all_s": eval_all,
        "python": platform.python_version(), "pandas": pd.__version__, "numpy": np.__version__,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"{result['events']:,} events, {result['tickets']:,} tickets: read_log "
          f"{read_s:.3f} s, evaluate {eval_s:.3f} s, ratio {result['ratio']:.2f}")
    return result


if __name__ == "__main__":
    main()
