"""The simulator's cost in instructions, a figure that does not depend on the machine.

``bench_sim.py`` times an apartment ticket against a bare SimPy M/M/c customer; the ratio
moves with the machine (the same code gives 4.5-4.9x on one 2-core machine and 5.5-6.1x on
another, see ``docs/scenarios.md``). This script counts instructions instead, with valgrind's
callgrind: each workload runs in a fresh interpreter at two sizes, and the difference divided
by the difference in tickets (customers) is the marginal count per ticket — start-up, imports
and the fixed costs of a run cancel out. Reported: instructions per apartment ticket, per
``mmc`` customer and per bare M/M/c customer, and the two ratios to the bare customer; with
``--cache-sim`` also the level-1 instruction- and data-cache misses (callgrind's simulation
of this machine's L1 caches: deterministic for given caches, not across caches).

Needs ``valgrind`` (Debian: ``apt-get install valgrind``); about five minutes (ten with
``--cache-sim``; ``--quick``: the apartment at 2 and 4 days, no ``mmc``, 500 and 1,000 bare
customers, about a minute, only to show that it works: start-up noise dominates such short
runs). Usage:
``python benchmarks/bench_instructions.py [--quick] [--days A B] [--customers A B]
[--cache-sim]`` — writes ``benchmarks/results/instructions.json``. No assertion.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

_SIM = ("import sys; from fcsim.scenarios import load_scenario; from fcsim.sim import simulate; "
        "log = simulate(load_scenario(sys.argv[2]), seed=1, days=float(sys.argv[1])); "
        "print(len(log.tickets))")
_BARE = ("import sys; sys.path.insert(0, sys.argv[2]); from bare import bare_mmc; "
         "bare_mmc(int(sys.argv[1]), 0.24, 0.1, 3, 1); print(sys.argv[1])")
_COUNTS = {"instructions": re.compile(r"Collected : (\d+)"),
           "i1_misses": re.compile(r"I1  misses: +([\d,]+)"),
           "d1_misses": re.compile(r"D1  misses: +([\d,]+)")}


def count(code: str, *args: str, cache_sim: bool = False) -> tuple[dict[str, int], int]:
    """Instructions (and L1 cache misses) of ``python -c code args`` under callgrind, and the
    integer the code prints."""
    env = {**os.environ, "PYTHONPATH": str(HERE.parent), "PYTHONHASHSEED": "0"}
    r = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                        f"--cache-sim={'yes' if cache_sim else 'no'}",
                        sys.executable, "-c", code, *args],
                       capture_output=True, text=True, check=True, env=env)
    counts = {}
    for name, pattern in _COUNTS.items():
        m = pattern.search(r.stderr)
        if m is not None:
            counts[name] = int(m.group(1).replace(",", ""))
        elif name == "instructions" or cache_sim:
            raise RuntimeError(f"callgrind printed no {name}:\n{r.stderr[-2000:]}")
    return counts, int(r.stdout.split()[-1])


def marginal(code: str, small: str, large: str, *extra: str, cache_sim: bool = False
             ) -> tuple[dict[str, float], int]:
    """Counts per unit between two sizes, and the units of the larger one."""
    c_small, n_small = count(code, small, *extra, cache_sim=cache_sim)
    c_large, n_large = count(code, large, *extra, cache_sim=cache_sim)
    return {k: (c_large[k] - c_small[k]) / (n_large - n_small) for k in c_large}, n_large


def main(argv: list[str] | None = None) -> dict[str, object]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="tiny sizes (CI: it works)")
    ap.add_argument("--days", nargs=2, type=float, default=None, metavar=("A", "B"))
    ap.add_argument("--customers", nargs=2, type=int, default=None, metavar=("A", "B"))
    ap.add_argument("--cache-sim", action="store_true", help="also count L1 cache misses")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "instructions.json")
    args = ap.parse_args(argv)
    args.days = args.days or ((2.0, 4.0) if args.quick else (30.0, 120.0))
    args.customers = args.customers or ((500, 1_000) if args.quick else (5_000, 20_000))
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is needed (Debian: apt-get install valgrind)")
    a, b = (str(d) for d in args.days)
    apt, n_apt = marginal(_SIM, a, b, "apartment", cache_sim=args.cache_sim)
    mmc, n_mmc = ({}, 0) if args.quick else marginal(_SIM, a, b, "mmc", cache_sim=args.cache_sim)
    bare, n_bare = marginal(_BARE, *(str(c) for c in args.customers), str(HERE),
                            cache_sim=args.cache_sim)
    result: dict[str, object] = {
        "quick": args.quick, "days": list(args.days), "customers": list(args.customers),
        "apartment_tickets": n_apt, "mmc_customers": n_mmc, "bare_customers": n_bare,
        "python": sys.version.split()[0],
    }
    for name in bare:
        result[f"apartment_{name}_per_ticket"] = apt[name]
        result[f"bare_{name}_per_customer"] = bare[name]
        result[f"apartment_{name}_ratio"] = apt[name] / bare[name]
        line = (f"{name}: per apartment ticket {apt[name]:,.0f}, per bare M/M/c customer "
                f"{bare[name]:,.0f}, ratio {apt[name] / bare[name]:.2f}")
        if mmc:
            result[f"mmc_{name}_per_customer"] = mmc[name]
            result[f"mmc_{name}_ratio"] = mmc[name] / bare[name]
            line += (f"; per mmc customer {mmc[name]:,.0f}, ratio "
                     f"{mmc[name] / bare[name]:.2f}")
        print(line)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
