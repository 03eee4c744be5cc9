"""Benchmark: the JSON API under load — 8 concurrent clients × 500 events, SQLite and PostgreSQL.

For each store, ``fcsim serve`` runs as its own process and 8 client threads (keep-alive HTTP)
carry tickets through the procedure with an ``Idempotency-Key`` on every write, re-sending
every 10th write as a retry (see ``webload.py``). Reports the p50 / p95 / p99 latency of the
first sends (over all 4,000 of them — a load test's distribution, not a median of runs), the
retries' p50, the throughput, and the check of the store afterwards (nothing lost, nothing
duplicated, every ticket's sequence as sent, the lifecycle valid); exits 1 if the check fails.
For scale: the wall time of one ``fcsim record event`` CLI call, the path the API replaces.
Writes ``benchmarks/results/web.json``.

Usage: ``python benchmarks/bench_web.py [--quick] [--clients 8] [--events 500] [--workers 1]``
(``--quick``: 8 × 100, as CI runs it; the full run adds PostgreSQL behind two server
processes, ``fcsim serve --workers 2``). The PostgreSQL case starts a throwaway server
(``tests/pg.py``); without PostgreSQL it is reported as skipped. No assertion on timing.
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
from typing import Any

from webload import check, drive, percentile, serve

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def _one_store(name: str, url: str, clients: int, events: int, workers: int) -> dict[str, Any]:
    with serve(url, clients, workers) as (base, tokens):
        load = drive(base, tokens, clients=clients, events_per_client=events)
    verdict = check(url, load)
    lat = load.latencies_s
    out = {
        "store": name, "clients": clients, "events_per_client": events, "workers": workers,
        "requests": len(lat), "retries": len(load.retry_latencies_s),
        "p50_ms": 1000 * percentile(lat, 50), "p95_ms": 1000 * percentile(lat, 95),
        "p99_ms": 1000 * percentile(lat, 99), "mean_ms": 1000 * statistics.fmean(lat),
        "retry_p50_ms": 1000 * percentile(load.retry_latencies_s, 50)
        if len(load.retry_latencies_s) > 1 else None,
        "wall_s": load.wall_s, "requests_per_s": (len(lat) + len(load.retry_latencies_s))
        / load.wall_s, "check": verdict, "errors": load.errors[:5],
    }
    print(f"{name} ({workers} server process{'es' if workers > 1 else ''}): "
          f"{clients} × {events} events, p50 {out['p50_ms']:.1f} ms, "
          f"p95 {out['p95_ms']:.1f} ms, p99 {out['p99_ms']:.1f} ms, "
          f"{out['requests_per_s']:.0f} requests/s; check {verdict}", flush=True)
    return out


def _cli_event_s(tmp: Path) -> float:
    """Median wall time of one ``fcsim record event`` call (3 runs)."""
    db = f"sqlite:///{tmp / 'cli.sqlite'}"
    base = [sys.executable, "-m", "fcsim", "record", "--db", db]
    subprocess.run([*base, "open", "C1", "--category", "engineering",
                    "--at", "2026-03-02T08:00:00+00:00"], cwd=REPO, check=True,
                   capture_output=True)
    times = []
    for i, act in enumerate(("recorded", "classified", "dispatched")):
        t = time.perf_counter()
        subprocess.run([*base, "event", "C1", act, "--at", f"2026-03-02T08:0{i + 1}:00+00:00"],
                       cwd=REPO, check=True, capture_output=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="8 clients × 100 events (CI)")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--events", type=int, default=None, help="events per client (500)")
    ap.add_argument("--workers", type=int, default=1, help="fcsim serve --workers")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "web.json")
    args = ap.parse_args(argv)
    events = args.events or (100 if args.quick else 500)
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        results.append(_one_store("sqlite", f"sqlite:///{tmp / 'web.sqlite'}", args.clients,
                                  events, args.workers))
        sys.path.insert(0, str(REPO / "tests"))
        try:
            from pg import PgServer, pg_bindir  # type: ignore[import-not-found]

            bindir = pg_bindir()
        except ImportError:
            bindir = None
        if bindir is None:
            results.append({"store": "postgresql", "skipped": "PostgreSQL or psycopg absent"})
        else:
            server = PgServer(bindir)
            server.start()
            try:
                results.append(_one_store("postgresql", server.create_database(),
                                          args.clients, events, args.workers))
                if not args.quick and args.workers == 1:  # several desks: two processes
                    results.append(_one_store("postgresql", server.create_database(),
                                              args.clients, events, 2))
            finally:
                server.stop()
        cli_s = _cli_event_s(tmp)
    print(f"one fcsim record event CLI call: {cli_s:.2f} s", flush=True)
    result = {"results": results, "cli_event_s": cli_s, "python": platform.python_version(),
              "machine": platform.machine(), "cpus": __import__("os").cpu_count()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    bad = [r for r in results if ("check" in r and any(
        v for k, v in r["check"].items() if k not in ("sent", "stored")))
        or ("check" in r and r["check"]["sent"] != r["check"]["stored"])]
    if bad:
        print("LOAD CHECK FAILED:", [r["store"] for r in bad], file=sys.stderr)
        raise SystemExit(1)
    return result


if __name__ == "__main__":
    main()
