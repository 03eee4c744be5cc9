"""A load of concurrent API clients against ``fcsim serve`` (used by ``bench_web`` and the tests).

``serve(url)`` starts ``python -m fcsim serve`` on a free port as its own process (the clients
do not share its interpreter), after creating one desk and one technician account per client.
``drive(...)`` runs the clients in threads: each opens tickets and carries them through the
procedure (15 events a ticket, desk steps with the desk's token, site steps with the
technician's), every write with an ``Idempotency-Key``; every ``retry_every``-th write is
sent a second time with the same key, as a client retrying after a lost response would, and
must get the same status and body back. ``check(...)`` then reads the store: nothing lost,
nothing duplicated, every ticket exactly the sequence its client sent, the lifecycle valid.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

__all__ = ["FULL", "Load", "check", "drive", "percentile", "serve"]

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
REPO = Path(__file__).resolve().parents[1]
# (activity, seconds after receipt, desk or technician) — a valid engineering repair
FULL = [
    ("recorded", 40, "desk"), ("classified", 60, "desk"), ("dispatched", 100, "desk"),
    ("signed", 160, "tech"), ("arrived", 400, "tech"), ("diagnosed", 700, "tech"),
    ("planned", 820, "tech"), ("communicated", 900, "tech"), ("work_started", 920, "tech"),
    ("work_completed", 2400, "tech"), ("accepted", 2500, "tech"),
    ("slip_returned", 2700, "desk"), ("callback", 2760, "desk"), ("closed", 2800, "desk"),
]
PER_TICKET = 1 + len(FULL)


@dataclass
class Load:
    """What the clients did: latencies of first sends and of retries, in seconds."""

    clients: int
    events_per_client: int
    latencies_s: list[float] = field(default_factory=list)
    retry_latencies_s: list[float] = field(default_factory=list)
    sent: dict[str, list[str]] = field(default_factory=dict)  # ticket -> activities stored
    errors: list[str] = field(default_factory=list)
    wall_s: float = 0.0


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (inclusive method)."""
    return float(statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(url: str, clients: int, workers: int = 1) -> Iterator[tuple[str, dict[str, str]]]:
    """``fcsim serve`` on ``url`` in its own process(es); yields (base URL, name -> token)."""
    from argon2 import PasswordHasher

    from fcsim.recorder import Recorder
    from fcsim.recorder.accounts import Accounts

    rec = Recorder(url)
    acc = Accounts(rec.engine, hasher=PasswordHasher(time_cost=1, memory_cost=8192,
                                                     parallelism=1))
    tokens = {}
    for i in range(clients):
        for role, name in (("desk", f"desk-{i}"), ("technician", f"tech-{i}")):
            acc.add(name, role, f"{name}-password")
            tokens[name] = acc.new_token(name)
    rec.close_connections()
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(REPO), *[p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]])}
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen([sys.executable, "-m", "fcsim", "serve", "--db", url, "--port",
                             str(port), "--workers", str(workers)], env=env, cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    err = log.read().decode(errors="replace")
                    raise RuntimeError(f"fcsim serve did not start: {err[-2000:]}") from None
                time.sleep(0.05)
        yield base, tokens
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


def _client(base: str, i: int, tokens: dict[str, str], load: Load, retry_every: int,
            lock: threading.Lock) -> None:
    import httpx2 as httpx

    desk = {"Authorization": f"Bearer {tokens[f'desk-{i}']}"}
    tech = {"Authorization": f"Bearer {tokens[f'tech-{i}']}"}
    lat, retry_lat, sent, errors = [], [], {}, []
    n = 0
    with httpx.Client(base_url=base, timeout=60) as http:

        def write(path: str, body: dict[str, Any], headers: dict[str, str], key: str) -> Any:
            nonlocal n
            h = {**headers, "Idempotency-Key": key}
            t = time.perf_counter()
            r = http.post(path, json=body, headers=h)
            lat.append(time.perf_counter() - t)
            n += 1
            if r.status_code != 201:
                errors.append(f"{path} {body.get('activity')}: {r.status_code} {r.text[:300]}")
                return None
            if n % retry_every == 0:
                t = time.perf_counter()
                again = http.post(path, json=body, headers=h)
                retry_lat.append(time.perf_counter() - t)
                if (again.status_code, again.content) != (r.status_code, r.content) or \
                        again.headers.get("idempotent-replayed") != "true":
                    errors.append(f"retry of {key} gave {again.status_code} {again.text[:200]}")
            return r.json()

        k = 0
        while n < load.events_per_client:
            tid = f"L{i}-{k}"
            start = T0 + timedelta(hours=k, minutes=i)
            body = {"ticket_id": tid, "category": "engineering", "received_at":
                    start.isoformat(), "source": "customer_call", "location": f"R-{k}",
                    "content": "load test", "contact": None, "phone": None}
            if write("/api/tickets", body, desk, f"{tid}-open") is None:
                break
            sent[tid] = ["received"]
            for act, s, who in FULL:
                if n >= load.events_per_client:
                    break
                ev = {"activity": act, "timestamp": (start + timedelta(seconds=s)).isoformat()}
                if write(f"/api/tickets/{tid}/events", ev, desk if who == "desk" else tech,
                         f"{tid}-{act}") is None:
                    break
                sent[tid].append(act)
            k += 1
    with lock:
        load.latencies_s += lat
        load.retry_latencies_s += retry_lat
        load.sent.update(sent)
        load.errors += errors


def drive(base: str, tokens: dict[str, str], *, clients: int, events_per_client: int,
          retry_every: int = 10) -> Load:
    """Run ``clients`` concurrent clients of ``events_per_client`` events each."""
    load = Load(clients, events_per_client)
    lock = threading.Lock()
    threads = [threading.Thread(target=_client, args=(base, i, tokens, load, retry_every, lock))
               for i in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    load.wall_s = time.perf_counter() - t0
    return load


def check(url: str, load: Load) -> dict[str, int]:
    """What the store holds against what the clients sent: lost, duplicated, wrong, invalid."""
    from fcsim.eventlog.lifecycle_check import validate_log
    from fcsim.recorder import Recorder

    rec = Recorder(url, create=False)
    log = rec.export()
    rec.close_connections()
    ev = log.events
    stored: dict[str, list[str]] = {}
    for tid, grp in ev.sort_values(["ticket_id", "seq"]).groupby(
            ev["ticket_id"].astype(str), sort=False):
        stored[str(tid)] = grp["activity"].astype(str).tolist()
    sent_n = sum(len(v) for v in load.sent.values())
    dup = int(ev.duplicated(["ticket_id", "seq"]).sum() + ev.duplicated(
        ["ticket_id", "activity", "attempt"]).sum())
    return {
        "sent": sent_n,
        "stored": len(ev),
        "lost": sum(max(0, len(v) - len(stored.get(t, []))) for t, v in load.sent.items()),
        "duplicated": dup,
        "unexpected_tickets": len(set(stored) - set(load.sent)),
        "wrong_sequence": sum(stored.get(t) != v for t, v in load.sent.items()),
        "lifecycle_violations": len(validate_log(log)),
        "client_errors": len(load.errors),
    }
