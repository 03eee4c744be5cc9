"""The load test (CI's quick mode): 8 concurrent API clients × 100 events against ``fcsim serve``
on SQLite and on PostgreSQL, every write with an Idempotency-Key and every 10th one retried.
Nothing may be lost or duplicated; every ticket holds exactly what its client sent. (The
benchmark ``benchmarks/bench_web.py`` runs 8 × 500 and reports the latencies.)"""

from __future__ import annotations

import pytest
from pg import pg_server, store_url  # noqa: F401

from benchmarks.webload import PER_TICKET, check, drive, serve

CLIENTS, EVENTS = 8, 100


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_concurrent_clients_lose_and_duplicate_nothing(store_url: str) -> None:  # noqa: F811
    with serve(store_url, CLIENTS) as (base, tokens):
        load = drive(base, tokens, clients=CLIENTS, events_per_client=EVENTS)
    assert load.errors == []
    # every 10th write was sent twice and got its first response back
    assert len(load.latencies_s) == CLIENTS * EVENTS
    assert len(load.retry_latencies_s) == CLIENTS * EVENTS // 10
    # 100 events = 6 full tickets of 15 events and one of 10, per client
    assert len(load.sent) == CLIENTS * -(-EVENTS // PER_TICKET)
    assert check(store_url, load) == {
        "sent": CLIENTS * EVENTS, "stored": CLIENTS * EVENTS, "lost": 0, "duplicated": 0,
        "unexpected_tickets": 0, "wrong_sequence": 0, "lifecycle_violations": 0,
        "client_errors": 0}
