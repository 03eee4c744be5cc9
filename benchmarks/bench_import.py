"""Benchmark: ``fcsim record import FILE`` end to end against ``read_csv`` + ``to_sql``.

The file: the Helpdesk log (``../shared/data``) replicated with suffixed case ids until it
holds at least ``--events`` rows (default 500,000; same columns, same timestamps: a large
export of the same system). Both sides run as fresh processes (start-up included) into a
fresh SQLite file:

* ``python -m fcsim record --db sqlite:///… import FILE --mapping helpdesk`` (read, map,
  lifecycle and data-quality checks, one write transaction);
* ``python -c "pandas.read_csv(FILE).to_sql('events', sqlite engine)"`` — the floor: reading
  and storing the same rows without any checking.

Reports source events per second for each side and the ratio import / (read_csv + to_sql),
median of ``--runs`` interleaved runs (at least 5), with the CPU time (user + system) of each
process (a shared machine moves wall times more than CPU times), and writes
``benchmarks/results/import.json``.
Usage: ``python benchmarks/bench_import.py [--quick] [--events N] [--runs K]`` (``--quick``:
20k events). No assertion on timing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data"
ROOT = HERE.parent

_PANDAS = ("import sys, pandas as pd, sqlalchemy as sa; "
           "df = pd.read_csv(sys.argv[1]); "
           "e = sa.create_engine('sqlite:///' + sys.argv[2]); "
           "df.to_sql('events', e, index=False, chunksize=100_000)")


def big_file(source: Path, events: int, out: Path) -> int:
    """Write ``source`` replicated (case ids suffixed ``-k``) to ``out``; returns its rows."""
    df = pd.read_csv(source)
    copies = -(-events // len(df))
    parts = []
    for k in range(copies):
        d = df.copy()
        d["Case ID"] = d["Case ID"].astype(str) + f"-{k}"
        parts.append(d)
    big = pd.concat(parts, ignore_index=True)
    big.to_csv(out, index=False)
    return len(big)


def _timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of running ``cmd``, in seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv: list[str] | None = None) -> dict[str, object]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="20k events (CI)")
    ap.add_argument("--events", type=int, default=None)
    ap.add_argument("--runs", type=int, default=None)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "import.json")
    args = ap.parse_args(argv)
    args.events = args.events or (20_000 if args.quick else 500_000)
    args.runs = max(args.runs or 5, 5)
    src = DATA / "helpdesk_4tu_finale.csv.gz"
    if not src.is_file():
        raise SystemExit(f"{src}: the Helpdesk log is needed")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    imp, pan, imp_cpu, pan_cpu = [], [], [], []
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        f = tmp / "helpdesk-big.csv"
        rows = big_file(src, args.events, f)
        for k in range(args.runs):
            w, c = _timed([sys.executable, "-m", "fcsim", "record", "--db",
                           f"sqlite:///{tmp / f'i{k}.sqlite'}", "import", str(f),
                           "--mapping", "helpdesk"], env)
            imp.append(w)
            imp_cpu.append(c)
            w, c = _timed([sys.executable, "-c", _PANDAS, str(f), str(tmp / f"p{k}.sqlite")],
                          env)
            pan.append(w)
            pan_cpu.append(c)
    i_s, p_s = statistics.median(imp), statistics.median(pan)
    i_c, p_c = statistics.median(imp_cpu), statistics.median(pan_cpu)
    result = {
        "file": f"Helpdesk replicated to {rows:,} rows (CSV)", "rows": rows, "runs": args.runs,
        "import_s": i_s, "import_events_per_s": rows / i_s,
        "read_csv_to_sql_s": p_s, "read_csv_to_sql_events_per_s": rows / p_s,
        "ratio_import_to_pandas": i_s / p_s, "import_all_s": imp, "pandas_all_s": pan,
        "import_cpu_s": i_c, "read_csv_to_sql_cpu_s": p_c, "ratio_cpu": i_c / p_c,
        "import_all_cpu_s": imp_cpu, "pandas_all_cpu_s": pan_cpu,
        "store": "sqlite (fresh file)", "python": platform.python_version(),
        "pandas": pd.__version__,
    }
    print(f"{rows:,} events: fcsim record import {i_s:.2f} s ({rows / i_s:,.0f} events/s); "
          f"read_csv + to_sql {p_s:.2f} s ({rows / p_s:,.0f} events/s); ratio "
          f"{i_s / p_s:.2f}; CPU {i_c:.2f} s vs {p_c:.2f} s (ratio {i_c / p_c:.2f})",
          flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
