"""Where ``fcsim record import`` spends its CPU: the phases of one import, in process.

The file is :func:`bench_import.big_file` (the Helpdesk log replicated to ``--events`` rows,
default 500,000); one fresh process imports it into a fresh SQLite file and reports the CPU
time (``time.process_time``) of each phase: module imports, reading the CSV, the translation
(mapping, passes, synthesised events, canonical log; its own read left out), the lifecycle and
quality screen, and the store (one write transaction). It ends with the bound the store puts
on the speed of any import into this schema: the source rows over the CPU of a bare start-up
(``python -c "import pandas, sqlalchemy"``, median of 5) plus the store phase, i.e. the events
per second even if reading, translating and checking took no time. Usage:
``python benchmarks/import_phases.py [--events N]``. No assertion on timing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _child(source: str, db: str, rows: int, startup_s: float) -> None:
    """Import ``source`` (``rows`` source rows) into the new store ``db``, printing each
    phase's CPU seconds and the bound of a bare start-up (``startup_s``) plus the store."""
    t0 = time.process_time()
    import pandas as pd

    from fcsim.recorder import importer, translate
    from fcsim.recorder.mapping import load_mapping
    from fcsim.recorder.store import create_schema, make_engine

    laps = [("module imports", time.process_time() - t0)]
    m = load_mapping("helpdesk")
    c = m.columns
    cols = [c.ticket_id, c.activity, c.timestamp] + [x for x in (c.resource, c.role) if x]
    for col in m.tickets.columns.values():
        cols += [col] if isinstance(col, str) else list(col)
    t = time.process_time()
    translate.read_source(Path(source), m, cols)
    read_s = time.process_time() - t
    laps.append(("read the CSV", read_s))
    t = time.process_time()
    log, report, issues = translate.translate(Path(source), m)
    laps.append(("translation (without its read)", time.process_time() - t - read_s))
    t = time.process_time()
    found = [x for x in (issues, importer.implausible(log, m.quality, report)) if len(x)]
    kept = importer.screen(log, report, m.policy.for_code,
                           pd.concat(found or [issues], ignore_index=True))
    laps.append(("lifecycle and quality screen", time.process_time() - t))
    engine = make_engine(f"sqlite:///{db}")
    create_schema(engine)
    t = time.process_time()
    importer._guarded(engine, kept, report, None, source)
    store_s = time.process_time() - t
    laps.append(("store (one transaction)", store_s))
    for name, s in laps:
        print(f"{name:32s} {s:6.2f} s CPU")
    print(f"{'total':32s} {sum(s for _, s in laps):6.2f} s CPU "
          f"({report.events_loaded:,} events stored)")
    print(f"{'bare start-up (pandas, sqlalchemy)':32s} {startup_s:6.2f} s CPU")
    print(f"bound: at most {rows / (startup_s + store_s):,.0f} source events/s with this store "
          "(bare start-up + store; reading, translating and checking free)")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=500_000)
    ap.add_argument("--child", nargs=4, metavar=("FILE", "DB", "ROWS", "STARTUP_S"),
                    help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        source, db, rows, startup_s = args.child
        _child(source, db, int(rows), float(startup_s))
        return
    sys.path.insert(0, str(HERE))
    from bench_import import DATA, _timed, big_file

    env = {**os.environ, "PYTHONPATH": str(HERE.parent), "NUMPY_MADVISE_HUGEPAGE": "0"}
    with tempfile.TemporaryDirectory() as tmpdir:
        f = Path(tmpdir) / "helpdesk-big.csv"
        rows = big_file(DATA / "helpdesk_4tu_finale.csv.gz", args.events, f)
        print(f"{rows:,} source rows", flush=True)
        startup_s = statistics.median(
            _timed([sys.executable, "-c", "import pandas, sqlalchemy"], env)[1]
            for _ in range(5))
        subprocess.run([sys.executable, __file__, "--child", str(f),
                        str(Path(tmpdir) / "s.sqlite"), str(rows), str(startup_s)],
                       check=True, env=env)


if __name__ == "__main__":
    main()
