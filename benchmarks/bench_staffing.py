"""Benchmark: time-varying staffing (ISA vs SIPP) and the roster search's replication savings.

1. **ISA vs SIPP, full size.** Sinusoidal arrivals ``λ(t) = 25 (1 + 0.6 sin(2πt/24))`` per hour,
   exponential service of mean 2 h (mean offered load 50 Erlang), target P(delay) = 0.1, hourly
   bins. SIPP, lagged SIPP and simulation-based ISA (common random numbers); each staffing's
   hourly P(delay) exactly (Kolmogorov equations) and simulated on fresh replications (99.9 %
   t-intervals); whether every hour is within ±0.05 of target; the paired 99.9 % test that
   ISA's largest hourly deviation is smaller than SIPP's.
2. **Roster search.** Sequential search vs the exhaustive grid (same seeds) on 27-point grids:
   the M_t/M/s_t desk (three 8-hour shifts; several targets), and — without ``--quick`` — the
   full simulator's ``apartment`` desk. Reports the answers (must be equal) and the share of
   the grid's replications the search needed.

Usage: ``python benchmarks/bench_staffing.py [--quick]``; writes
``benchmarks/results/staffing.json``. Timings are reported, never asserted.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np

from fcsim.staffing import sipp_staffing
from fcsim.staffing.isa_sim import compare_staffing, paired_max_deviation_test, sinusoidal_rate
from fcsim.staffing.roster import (
    Criterion,
    ShiftPattern,
    cover_requirement,
    exhaustive_search,
    roster_cost,
    roster_grid,
    sequential_search,
)
from fcsim.staffing.tv_queue import TimeVaryingQueue

HERE = Path(__file__).resolve().parent
SEED = 20260315


def isa_vs_sipp(quick: bool) -> dict[str, Any]:
    rate = sinusoidal_rate(25.0, 0.6)
    alpha, service_h, band = 0.1, 2.0, 0.05
    t0 = time.perf_counter()
    cmp = compare_staffing(rate, service_h, alpha, seed=SEED, replications=20 if quick else 40,
                           eval_replications=30 if quick else 200, cycles=7)
    seconds = time.perf_counter() - t0
    tab = cmp.table
    out: dict[str, Any] = {
        "case": {"mean_rate_per_h": 25.0, "relative_amplitude": 0.6, "period_h": 24,
                 "mean_service_h": service_h, "mean_offered_load": float(
                     tab["offered_load"].mean()), "target_p_delay": alpha, "band": band},
        "isa_iterations": cmp.isa.iterations, "isa_converged": cmp.isa.converged,
        "seconds": seconds, "methods": {},
    }
    for row in cmp.summary.itertuples(index=False):
        m = str(row.method)
        ex = tab[f"p_delay_exact_{m}"].to_numpy()
        lo, hi = tab[f"ci_low_{m}"].to_numpy(), tab[f"ci_high_{m}"].to_numpy()
        out["methods"][m] = {
            "agent_hours_per_day": row.agent_hours,
            "max_dev_exact": row.max_dev_exact, "max_dev_sim": row.max_dev_sim,
            "hours_within_band_exact": row.bins_within_exact,
            "within_band_every_hour_exact": bool(np.all(np.abs(ex - alpha) <= band)),
            # simulated: every hour's 99.9 % interval inside the band / some hour's outside it
            "within_band_every_hour_sim_ci": bool(np.all((lo >= alpha - band)
                                                         & (hi <= alpha + band))),
            "some_hour_surely_outside_sim_ci": bool(np.any((lo > alpha + band)
                                                           | (hi < alpha - band))),
            "staffing": tab[f"staffing_{m}"].astype(int).tolist(),
            "p_delay_exact": [round(float(x), 4) for x in ex],
        }
    q = TimeVaryingQueue(rate, service_h, seed=SEED + 1, cycles=7,
                         max_servers=int(tab["staffing_isa"].max()) + 60)
    test = paired_max_deviation_test(q, cmp.isa.staffing, tab["staffing_sipp"].to_numpy(),
                                     alpha, replications=30 if quick else 100, confidence=0.999)
    out["paired_test"] = {"worst_sipp_hour": test.worst_bin, "max_dev_isa": test.max_dev_a,
                          "max_dev_sipp": test.max_dev_b,
                          "min_lower_bound": test.min_lower_bound,
                          "confidence": test.confidence, "replications": test.replications,
                          "isa_smaller": test.smaller}
    return out


PATTERNS = (ShiftPattern("night", 0, 8, 8.0), ShiftPattern("day", 8, 16, 8.0),
            ShiftPattern("evening", 16, 24, 9.0))


def roster_queue(quick: bool) -> list[dict[str, Any]]:
    rate = sinusoidal_rate(10.0, 0.6)
    q = TimeVaryingQueue(rate, 1.0, seed=SEED, cycles=7, max_servers=60)

    def evaluate(conf: tuple[int, ...], rep: int) -> dict[str, float]:
        s = np.zeros(24, dtype=np.int64)
        for n, p in zip(conf, PATTERNS, strict=True):
            s[p.covers()] += n
        c = q.delay_counts(s, [rep])
        return {"no_delay": 1.0 - float(c.delayed.sum()) / float(c.arrivals.sum())}

    start = cover_requirement(PATTERNS, sipp_staffing(rate, 1.0, max_p_wait=0.2))
    grid = roster_grid(start, spread=1, minimum=1)
    reps = 10 if quick else 30
    out = []
    for threshold in (0.80, 0.90, 0.93, 0.95):
        crit = [Criterion("no_delay", threshold, confidence=0.95)]

        def cost(c: tuple[int, ...]) -> float:
            return roster_cost(PATTERNS, c)

        t0 = time.perf_counter()
        full = exhaustive_search(grid, cost, evaluate, crit, reps)
        t1 = time.perf_counter()
        seq = sequential_search(grid, cost, evaluate, crit, reps, start=start)
        t2 = time.perf_counter()
        out.append({"model": "M_t/M/s_t desk", "grid_points": len(grid), "replications": reps,
                    "target": f"no_delay>={threshold} @95%", "analytic_start": start,
                    "grid_answer": full.best, "search_answer": seq.best,
                    "same_answer": full.best == seq.best,
                    "grid_replications": full.replications_used,
                    "search_replications": seq.replications_used,
                    "share_of_grid": seq.share_of_grid, "grid_s": t1 - t0, "search_s": t2 - t1})
    return out


def roster_full_sim(quick: bool) -> list[dict[str, Any]]:
    if quick:
        return []
    from fcsim.scenarios import load_scenario
    from fcsim.staffing.roster import patterns_from_group
    from fcsim.staffing.scenario_staffing import ScenarioEvaluator

    scen = load_scenario("apartment")
    pats = patterns_from_group(scen.staff["desk"])
    start = (1, 1, 1)
    grid = roster_grid((2, 2, 2), spread=1, minimum=1)
    reps = 8
    out = []
    for threshold in (0.9, 0.95):
        crit = [Criterion("clock.record", threshold, confidence=0.95)]

        def cost(c: tuple[int, ...]) -> float:
            return roster_cost(pats, c)

        # fresh evaluators: neither search profits from the other's cached replications
        ev = ScenarioEvaluator(scen, "desk", pats, seed=SEED, days=7.0)
        t0 = time.perf_counter()
        full = exhaustive_search(grid, cost, ev, crit, reps, is_valid=ev.is_valid)
        t1 = time.perf_counter()
        ev = ScenarioEvaluator(scen, "desk", pats, seed=SEED, days=7.0)
        seq = sequential_search(grid, cost, ev, crit, reps, start=start, is_valid=ev.is_valid)
        t2 = time.perf_counter()
        out.append({"model": "apartment desk (full simulator, 7-day weeks)",
                    "grid_points": len(grid), "replications": reps,
                    "target": f"clock.record>={threshold} @95%", "analytic_start": start,
                    "grid_answer": full.best, "search_answer": seq.best,
                    "same_answer": full.best == seq.best,
                    "grid_replications": full.replications_used,
                    "search_replications": seq.replications_used,
                    "share_of_grid": seq.share_of_grid, "grid_s": t1 - t0,
                    "search_s": t2 - t1})
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer replications (CI)")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "staffing.json")
    args = ap.parse_args(argv)
    isa = isa_vs_sipp(args.quick)
    rosters = roster_queue(args.quick) + roster_full_sim(args.quick)
    result = {"quick": args.quick, "isa_vs_sipp": isa, "roster_search": rosters,
              "python": platform.python_version(), "numpy": np.__version__}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, default=list) + "\n", encoding="utf-8")
    m = isa["methods"]
    print(f"ISA vs SIPP (mean load {isa['case']['mean_offered_load']:.1f} Erlang, target "
          f"{isa['case']['target_p_delay']}): max |P(delay)-target| exact "
          + ", ".join(f"{k} {v['max_dev_exact']:.3f}" for k, v in m.items()))
    print("  within ±0.05 every hour (exact): "
          + ", ".join(f"{k} {v['within_band_every_hour_exact']}" for k, v in m.items()))
    pt = isa["paired_test"]
    print(f"  paired 99.9 % test ISA < SIPP: {pt['isa_smaller']} (min lower bound "
          f"{pt['min_lower_bound']:.3f}, {pt['replications']} replications)")
    for r in rosters:
        print(f"roster search [{r['model']}, {r['target']}]: grid {r['grid_answer']}, search "
              f"{r['search_answer']}, same {r['same_answer']}, replications "
              f"{r['search_replications']}/{r['grid_replications']} "
              f"({100 * r['share_of_grid']:.1f} % of the grid)")
    return result


if __name__ == "__main__":
    main()
