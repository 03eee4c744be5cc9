"""Benchmark: recorder import throughput against a plain pandas ``read_csv`` of the same file.

For each source — the two real logs in ``../shared/data`` through their shipped mappings
(Helpdesk; BPIC 2014 activity + case tables) and a synthetic standard fcsim log (replicas of
``kpi-examples/observed-day``, as in ``bench_kpi``) — times, side by side in one process,
the whole import into a fresh SQLite store (read, map, lifecycle check, one write
transaction) and ``pandas.read_csv`` of the same file(s) with default options, median of at
least 5 runs each. Reports source events per second and the ratio import / read_csv, and writes
``benchmarks/results/import.json``.

Usage: ``python benchmarks/bench_import.py [--quick] [--events N] [--runs K]``
(``--quick``: 20k synthetic events; default 200k). No assertion on timing.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from _timing import median_time

from fcsim.eventlog import read_log, write_log
from fcsim.recorder import Recorder

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data"




def _bench(name: str, files: list[Path], do_import: Callable[[Recorder], object],
           runs: int, tmp: Path) -> dict[str, object]:
    counter = iter(range(10_000))
    reports: list[object] = []

    def one_import() -> None:
        rec = Recorder(f"sqlite:///{tmp / f'{name}-{next(counter)}.sqlite'}")
        reports.append(do_import(rec))
        rec.close_connections()

    def one_read() -> None:
        for f in files:
            pd.read_csv(f)

    imp_s, imp_all, read_s, read_all = 0.0, [], 0.0, []
    # interleave so both see the same machine load
    imp_t, read_t = [], []
    for _ in range(runs):
        imp_t.append(median_time(one_import, 1)[0])
        read_t.append(median_time(one_read, 1)[0])
    imp_s, read_s = statistics.median(imp_t), statistics.median(read_t)
    imp_all, read_all = imp_t, read_t
    rep = reports[-1]
    rows = int(rep.rows_read)  # type: ignore[attr-defined]
    out = {
        "source": name, "files": [f.name for f in files], "rows_read": rows,
        "tickets_loaded": rep.tickets_loaded,  # type: ignore[attr-defined]
        "events_loaded": rep.events_loaded,  # type: ignore[attr-defined]
        "quarantined_tickets": len(rep.quarantined_tickets),  # type: ignore[attr-defined]
        "import_s": imp_s, "read_csv_s": read_s, "events_per_s": rows / imp_s,
        "ratio_to_read_csv": imp_s / read_s, "import_all_s": imp_all, "read_csv_all_s": read_all,
    }
    print(f"{name}: {rows:,} source events, import {imp_s:.3f} s "
          f"({rows / imp_s:,.0f} events/s), read_csv {read_s:.3f} s, "
          f"ratio {imp_s / read_s:.1f}", flush=True)
    return out


def main(argv: list[str] | None = None) -> dict[str, object]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="20k synthetic events (CI)")
    ap.add_argument("--events", type=int, default=None)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "import.json")
    args = ap.parse_args(argv)
    runs = max(args.runs, 5)
    n = args.events or (20_000 if args.quick else 200_000)
    results: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        hd = DATA / "helpdesk_4tu_finale.csv.gz"
        if hd.is_file():
            results.append(_bench("helpdesk", [hd],
                                  lambda r: r.import_log(hd, "helpdesk"), runs, tmp))
        b_ev = DATA / "bpic14_sample_incident_activity.csv.gz"
        b_tk = DATA / "bpic14_sample_incidents.csv.gz"
        if b_ev.is_file() and b_tk.is_file():
            results.append(_bench("bpic14", [b_ev, b_tk],
                                  lambda r: r.import_log(b_ev, "bpic14"), runs, tmp))
        from bench_kpi import synthetic_log  # type: ignore[import-not-found]

        log = synthetic_log(n)
        native = tmp / "native"
        write_log(log, native, fmt="csv.gz")
        results.append(_bench(
            "fcsim-native", [native / "events.csv.gz", native / "tickets.csv.gz"],
            lambda r: r.import_eventlog(read_log(native), default_policy="quarantine"),
            runs, tmp))
    result = {
        "runs": runs, "store": "sqlite (file, WAL)", "results": results,
        "python": platform.python_version(), "pandas": pd.__version__,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
