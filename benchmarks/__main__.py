"""Run every ``benchmarks/bench_*.py`` (or the named ones) as its own process.

Each benchmark measures side by side in one process, takes the median of at least 5 runs,
prints its ratios and writes ``benchmarks/results/<name>.json``. ``--quick`` (CI) uses small
sizes: it proves the benchmarks work; timings are never asserted.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes (CI mode)")
    parser.add_argument("names", nargs="*", help="e.g. kpi sim (default: all)")
    args = parser.parse_args()
    scripts = sorted(HERE.glob("bench_*.py"))
    if args.names:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in args.names]
    failed = []
    for script in scripts:
        print(f"== {script.stem} ==", flush=True)
        t0 = time.perf_counter()
        cmd = [sys.executable, str(script)] + (["--quick"] if args.quick else [])
        rc = subprocess.call(cmd, cwd=HERE.parent)
        print(f"   ({time.perf_counter() - t0:.1f} s, exit {rc})", flush=True)
        if rc:
            failed.append(script.stem)
    if failed:
        print("failed:", ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
