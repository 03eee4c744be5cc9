"""Benchmark: replications on 1 versus 2 worker processes, and the common-random-numbers gain.

1. **Speedup.** The same experiment (one scenario, ``R`` replications) through the public
   :func:`fcsim.experiment.run_experiment`, on a warm local process pool of 1 and of 2 workers
   (pools started once, outside the timing; runs interleaved), median of at least 5 runs each.
   Reported: the speedup of the replication phase (submit to the last finished task, as seen
   by the progress callback) and end to end (including combining the logs and the KPIs, which
   run in the calling process). Also recorded: the workers' CPU seconds per wall second
   (``effective_parallelism``) and the load average. On a machine that other sessions keep
   busy, with the kernel's autogroup scheduling (each session gets a fair share), a second
   worker shares the first one's slice and the speedup measures the contention, not fcsim.
2. **CRN variance ratio.** ``mmc`` with c versus c + 1 desk clerks, ``R`` replications each:
   the variance of the paired difference of the replication mean waits (common random numbers:
   same root seed) divided by the variance of the difference of independent runs
   (``Var(W_c) + Var(W_c+1)``), and the same ratio measured directly against an independent
   run of c + 1 (another root seed).

Usage: ``python benchmarks/bench_experiment.py [--quick] [--scenario NAME] [--runs K]``;
writes ``benchmarks/results/experiment.json``. Timings are never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fcsim.eventlog import EventLog
from fcsim.experiment import default_executor, run_experiment
from fcsim.scenarios import Scenario, list_scenarios, load_scenario, scenario_from_dict

HERE = Path(__file__).resolve().parent


def _timed(scenario: Scenario, pool: Any, *, seed: int, reps: int,
           days: float) -> tuple[float, float, int, float]:
    """(replication phase s, end-to-end s, distinct worker pids, worker CPU s) of one
    experiment."""
    marks: list[float] = []
    t0 = time.perf_counter()
    res = run_experiment([scenario], seed=seed, replications=reps, days=days, executor=pool,
                         keep_logs=False,
                         progress=lambda done, total: marks.append(time.perf_counter()))
    total = time.perf_counter() - t0
    return (marks[-1] - t0, total, int(res.tasks["pid"].nunique()),
            float(res.tasks["cpu_seconds"].sum()))


def _autogroup() -> bool | None:
    """Whether the kernel shares CPU fairly between sessions (autogroup): then, on a busy
    machine, a session's extra worker processes share that session's slice."""
    try:
        return Path("/proc/sys/kernel/sched_autogroup_enabled").read_text().strip() == "1"
    except OSError:
        return None


def speedup(scenario: Scenario, *, reps: int, days: float, runs: int) -> dict[str, Any]:
    pools = {1: default_executor(1), 2: default_executor(2)}
    try:
        for pool in pools.values():  # warm up: start the workers, import everything
            _timed(scenario, pool, seed=1, reps=2, days=min(days, 0.5))
        phase: dict[int, list[float]] = {1: [], 2: []}
        total: dict[int, list[float]] = {1: [], 2: []}
        cpu: dict[int, list[float]] = {1: [], 2: []}
        pids: dict[int, int] = {}
        for run in range(runs):
            for w in (1, 2):
                p, t, n, c = _timed(scenario, pools[w], seed=100 + run, reps=reps, days=days)
                phase[w].append(p)
                total[w].append(t)
                cpu[w].append(c)
                pids[w] = max(pids.get(w, 0), n)
    finally:
        for pool in pools.values():
            pool.shutdown()
    med = {w: statistics.median(v) for w, v in phase.items()}
    med_total = {w: statistics.median(v) for w, v in total.items()}
    return {
        "scenario": scenario.name, "replications": reps, "days": days, "runs": runs,
        "phase_1_worker_s": med[1], "phase_2_workers_s": med[2],
        "speedup_replications": med[1] / med[2],
        "total_1_worker_s": med_total[1], "total_2_workers_s": med_total[2],
        "speedup_end_to_end": med_total[1] / med_total[2],
        "distinct_worker_pids": pids, "phase_all_s": phase, "total_all_s": total,
        # workers' CPU seconds per wall second of the replication phase: about 1 and 2 on an
        # idle 2-core machine; less when other processes compete for the cores
        "effective_parallelism": {w: statistics.median(c / p for c, p in
                                                       zip(cpu[w], phase[w], strict=True))
                                  for w in (1, 2)},
        "load_average_1min": os.getloadavg()[0],
        "sched_autogroup": _autogroup(),
    }


def _mmc(c: int, name: str) -> Scenario:
    data = load_scenario("mmc").model_dump(mode="json", by_alias=True)
    data["scenario"]["name"] = name
    data["staff"]["desk"]["shifts"][0]["count"] = c
    return scenario_from_dict(data)


def _mean_waits(log: EventLog) -> pd.Series:
    ev = log.events
    rec = ev[ev["activity"] == "recorded"].groupby("ticket_id", observed=True)["started_at"].min()
    got = ev[ev["activity"] == "received"].groupby("ticket_id", observed=True)["timestamp"].min()
    tk = log.tickets.set_index("ticket_id")
    frame = pd.DataFrame({"wait": (rec - got).dt.total_seconds() / 60.0,
                          "scenario": tk["scenario"].astype(str),
                          "replication": tk["replication"].astype(int)}).dropna()
    return frame.groupby(["scenario", "replication"])["wait"].mean()


def crn_ratio(*, c: int, reps: int, days: float, workers: int) -> dict[str, Any]:
    a, b = _mmc(c, f"c{c}"), _mmc(c + 1, f"c{c + 1}")
    paired = run_experiment([a, b], seed=2026, replications=reps, days=days, workers=workers)
    indep = run_experiment([b], seed=9_999, replications=reps, days=days, workers=workers)
    assert paired.log is not None and indep.log is not None
    w = _mean_waits(paired.log)
    wa, wb = w.loc[a.name].to_numpy(), w.loc[b.name].to_numpy()
    wb_ind = _mean_waits(indep.log).loc[b.name].to_numpy()
    var_paired = float(np.var(wa - wb, ddof=1))
    var_unpaired = float(np.var(wa, ddof=1) + np.var(wb, ddof=1))
    var_indep = float(np.var(wa - wb_ind, ddof=1))
    return {
        "scenario": "mmc", "c": c, "replications": reps, "days": days,
        "mean_wait_c_min": float(wa.mean()), "mean_wait_c_plus_1_min": float(wb.mean()),
        "var_paired_difference": var_paired, "var_unpaired_difference": var_unpaired,
        "variance_ratio": var_paired / var_unpaired,
        "var_independent_runs_difference": var_indep,
        "variance_ratio_vs_independent_runs": var_paired / var_indep,
        "correlation": float(np.corrcoef(wa, wb)[0, 1]),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (CI)")
    ap.add_argument("--scenario", default=None,
                    help="scenario of the speedup (default: apartment if shipped, else mmc)")
    ap.add_argument("--replications", type=int, default=None)
    ap.add_argument("--days", type=float, default=None)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "experiment.json")
    args = ap.parse_args(argv)
    name = args.scenario or ("apartment" if "apartment" in list_scenarios() else "mmc")
    scenario = load_scenario(name)
    if args.quick:
        reps, days = args.replications or 4, args.days or 1.0
    else:
        reps = args.replications or 8
        days = args.days or (20.0 if name == "mmc" else 365.0)
    runs = max(args.runs, 5)
    sp = speedup(scenario, reps=reps, days=days, runs=runs)
    crn = crn_ratio(c=3, reps=10 if args.quick else 40, days=1.0 if args.quick else 5.0,
                    workers=2)
    result = {"speedup": sp, "crn": crn, "cpus": os.cpu_count(),
              "python": platform.python_version(), "pandas": pd.__version__,
              "numpy": np.__version__, "quick": args.quick}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"{name}: {reps} replications × {days:g} days; 2 workers over 1 (median of {runs}): "
          f"replication phase {sp['speedup_replications']:.2f}x "
          f"({sp['phase_1_worker_s']:.2f} s → {sp['phase_2_workers_s']:.2f} s), "
          f"end to end {sp['speedup_end_to_end']:.2f}x; effective parallelism "
          f"{sp['effective_parallelism'][1]:.2f} / {sp['effective_parallelism'][2]:.2f}, "
          f"load average {sp['load_average_1min']:.1f}")
    print(f"CRN, mmc c=3 vs c=4, {crn['replications']} replications: Var(paired diff) / "
          f"Var(unpaired diff) = {crn['variance_ratio']:.3f} "
          f"(vs independent runs: {crn['variance_ratio_vs_independent_runs']:.3f}; "
          f"correlation {crn['correlation']:.3f})")
    return result


if __name__ == "__main__":
    main()
