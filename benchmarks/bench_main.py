"""Benchmark: the main job with its report against the same run without it.

Times ``fcsim run apartment --days 365`` (the report, every figure and ``kpi.xlsx``) and the
same run with ``--no-report`` (event log, KPI tables, manifest), alternately, as separate
processes — the wall time a user waits, interpreter start and imports included — and reports
the median of each and their ratio (issue 13's bar: at most 2). Writes
``benchmarks/results/main.json``.

Usage: ``python benchmarks/bench_main.py [--quick] [--days D] [--runs K]``
(``--quick``: 1 day, in this process after a warm-up run — it proves the benchmark works,
quickly; default: 365 days, 5 runs of each, separate processes). No assertion on timing.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def _args(days: float, out: Path, report: bool) -> list[str]:
    a = ["run", "apartment", "--days", f"{days:g}", "--seed", "2026", "--out", str(out),
         "--no-progress"]
    return a if report else [*a, "--no-report"]


def _in_process(days: float, out: Path, report: bool) -> float:
    import contextlib
    import io

    from fcsim.cli import main

    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        rc = main(_args(days, out, report))
    if rc:
        raise SystemExit(f"fcsim run failed (exit {rc})")
    return time.perf_counter() - t0


def _subprocess(days: float, out: Path, report: bool) -> float:
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "fcsim", *_args(days, out, report)], cwd=REPO,
                       capture_output=True, text=True, check=False)
    dt = time.perf_counter() - t0
    if r.returncode:
        raise SystemExit(f"fcsim run failed (exit {r.returncode}): {r.stderr[-2000:]}")
    return dt


def main(argv: list[str] | None = None) -> dict[str, object]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="1 day, in-process (CI)")
    ap.add_argument("--days", type=float, default=None)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "main.json")
    args = ap.parse_args(argv)
    days = args.days or (1.0 if args.quick else 365.0)
    runs = max(args.runs, 5)
    run = _in_process if args.quick else _subprocess
    full: list[float] = []
    bare: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        if args.quick:  # warm-up: imports and matplotlib's font list, not timed
            _in_process(days, Path(tmp) / "warm", True)
        for i in range(runs):  # alternate, so that both see the same load on the machine
            full.append(run(days, Path(tmp) / f"full-{i}", True))
            bare.append(run(days, Path(tmp) / f"bare-{i}", False))
        outputs = sorted(p.name for p in (Path(tmp) / "full-0").iterdir())
    full_s, bare_s = statistics.median(full), statistics.median(bare)
    result: dict[str, object] = {
        "benchmark": "main job: fcsim run apartment with report vs --no-report",
        "method": "in-process after a warm-up" if args.quick else "separate processes (wall)",
        "days": days, "runs": runs,
        "full_s": round(full_s, 3), "no_report_s": round(bare_s, 3),
        "ratio": round(full_s / bare_s, 3), "report_s": round(full_s - bare_s, 3),
        "full_all_s": [round(x, 3) for x in full],
        "no_report_all_s": [round(x, 3) for x in bare],
        "outputs": outputs,
        "python": platform.python_version(), "machine": platform.machine(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"fcsim run apartment --days {days:g}: with report {full_s:.2f} s, --no-report "
          f"{bare_s:.2f} s (median of {runs}, {result['method']}): ratio "
          f"{full_s / bare_s:.2f} (bar: <= 2)")
    return result


if __name__ == "__main__":
    main()
