"""Benchmark: the simulator against a bare hand-written SimPy M/M/c, and the log's memory.

Measured side by side in one process (median of the runs), always through the public
``simulate()`` path with the event log on:

1. ``mmc`` (M/M/3, rho 0.8) with fcsim versus a minimal SimPy M/M/c on the same parameters
   and the same number of customers: time per customer (target: at most 1.5x).
2. A full-procedure ticket on ``apartment`` as shipped (every activity of the procedure can
   occur): time per ticket versus a bare M/M/c customer (target: at most 5x), SimPy events
   and log rows per ticket, and time per SimPy event against the bare model's.
3. The event log's memory: bytes per event the sink's buffer holds at the end of the run (its
   peak: the sink only grows), the run's overall traced peak (``tracemalloc``), and bytes per
   row of the final events DataFrame (targets: 64 and 40).
4. Seconds per simulated year of ``apartment``.

Usage: ``python benchmarks/bench_sim.py [--quick] [--runs K]`` — writes
``benchmarks/results/sim.json``. No assertion on timing.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import simpy
from bare import bare_mmc

from fcsim.scenarios import load_scenario
from fcsim.sim import simulate
from fcsim.sim.run import simulate_record
from fcsim.sim.sink import build_frames

HERE = Path(__file__).resolve().parent


def _paired(fa: Callable[[], Any], fb: Callable[[], Any], runs: int
            ) -> tuple[float, float, float]:
    """Alternate ``fa`` and ``fb``; medians of each and the median of the ratios a/b
    (alternating keeps a shared machine's changing load out of the ratio)."""
    ta, tb, ratios = [], [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        fa()
        t1 = time.perf_counter()
        fb()
        t2 = time.perf_counter()
        ta.append(t1 - t0)
        tb.append(t2 - t1)
        ratios.append((t1 - t0) / (t2 - t1))
    return statistics.median(ta), statistics.median(tb), statistics.median(ratios)


def _count_simpy_events(fn: Callable[[], Any]) -> int:
    """SimPy events processed while ``fn`` runs (counted in a separate, untimed run)."""
    original = simpy.Environment.step
    count = 0

    def step(self: simpy.Environment) -> None:
        nonlocal count
        count += 1
        original(self)

    simpy.Environment.step = step  # type: ignore[method-assign]
    try:
        fn()
    finally:
        simpy.Environment.step = original  # type: ignore[method-assign]
    return count


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    mmc_days = 10.0 if args.quick else 100.0
    apt_days = 28.0 if args.quick else 365.0
    runs = max(args.runs, 5)

    mmc = load_scenario("mmc")
    apt = load_scenario("apartment")
    n_mmc = len(simulate(mmc, seed=1, days=mmc_days).tickets)
    t_fc, t_bare, mmc_ratio = _paired(lambda: simulate(mmc, seed=1, days=mmc_days),
                                      lambda: bare_mmc(n_mmc, 0.24, 0.1, 3, 1), runs)
    bare_events = _count_simpy_events(lambda: bare_mmc(n_mmc, 0.24, 0.1, 3, 1))
    mmc_events = _count_simpy_events(lambda: simulate(mmc, seed=1, days=mmc_days))

    apt_log = simulate(apt, seed=1, days=apt_days)
    n_apt, rows_apt = len(apt_log.tickets), len(apt_log.events)
    n_bare_apt = n_apt * 5  # enough bare customers for a stable timing
    t_apt, t_bare_apt, apt_ratio = _paired(
        lambda: simulate(apt, seed=1, days=apt_days),
        lambda: bare_mmc(n_bare_apt, 0.24, 0.1, 3, 1), runs)
    apt_ratio *= n_bare_apt / n_apt  # time per ticket / time per bare customer
    apt_events = _count_simpy_events(lambda: simulate(apt, seed=1, days=apt_days))
    activities = sorted(set(apt_log.events["activity"].astype(str)))

    tracemalloc.start()
    rec = simulate_record(apt, seed=1, days=apt_days)
    _, peak_run = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    sink_bytes = rec.sink.nbytes()  # the buffer as allocated (growth slack included)
    n_ev = len(rec.sink)
    events, _tickets = build_frames([rec])
    df_bytes = int(events.memory_usage(deep=True).sum())

    per_cust_bare = t_bare / n_mmc
    per_cust_fc = t_fc / n_mmc
    per_ticket = t_apt / n_apt
    result = {
        "quick": args.quick, "runs": runs, "python": platform.python_version(),
        "simpy": simpy.__version__,
        "mmc": {"days": mmc_days, "customers": n_mmc, "fcsim_s": t_fc, "bare_s": t_bare,
                "fcsim_us_per_customer": per_cust_fc * 1e6,
                "bare_us_per_customer": per_cust_bare * 1e6,
                "ratio": mmc_ratio, "target_ratio": 1.5,
                "fcsim_simpy_events": mmc_events, "bare_simpy_events": bare_events},
        "apartment": {"days": apt_days, "tickets": n_apt, "rows": rows_apt, "seconds": t_apt,
                      "us_per_ticket": per_ticket * 1e6,
                      "ratio_to_bare_customer": apt_ratio, "target_ratio": 5,
                      "simpy_events_per_ticket": apt_events / n_apt,
                      "rows_per_ticket": rows_apt / n_apt,
                      "us_per_simpy_event": t_apt / apt_events * 1e6,
                      "bare_us_per_simpy_event": t_bare_apt / (bare_events * n_bare_apt
                                                               / n_mmc) * 1e6,
                      "seconds_per_simulated_year": t_apt / apt_days * 365.0,
                      "activities_present": activities},
        "memory": {"events": n_ev,
                   "sink_bytes_per_event": sink_bytes / n_ev,
                   "run_traced_peak_bytes_per_event": peak_run / n_ev,
                   "target_sink_bytes_per_event": 64,
                   "dataframe_bytes_per_row": df_bytes / len(events),
                   "target_dataframe_bytes_per_row": 40},
    }
    out = HERE / "results" / "sim.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    m, a, mem = result["mmc"], result["apartment"], result["memory"]
    print(f"mmc: fcsim {m['fcsim_us_per_customer']:.1f} us/customer, bare SimPy "
          f"{m['bare_us_per_customer']:.1f} us/customer: {m['ratio']:.2f}x (target <= 1.5x)")
    print(f"apartment: {a['us_per_ticket']:.1f} us/ticket = {a['ratio_to_bare_customer']:.2f}x "
          f"a bare customer (target <= 5x); {a['simpy_events_per_ticket']:.1f} SimPy events "
          f"and {a['rows_per_ticket']:.1f} rows per ticket; {a['us_per_simpy_event']:.2f} us "
          f"per SimPy event (bare {a['bare_us_per_simpy_event']:.2f}); "
          f"{a['seconds_per_simulated_year']:.2f} s per simulated year")
    print(f"memory: sink {mem['sink_bytes_per_event']:.1f} B/event (target <= 64), "
          f"whole run traced peak {mem['run_traced_peak_bytes_per_event']:.0f} B/event, "
          f"DataFrame {mem['dataframe_bytes_per_row']:.1f} B/row (target <= 40)")
    print(f"→ {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
