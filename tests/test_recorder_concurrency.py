"""Several writer processes on one store (SQLite file and PostgreSQL): on different tickets and
on the same ticket they lose nothing, duplicate nothing and never break the lifecycle."""

from __future__ import annotations

import multiprocessing as mp
from datetime import UTC, datetime, timedelta

from pg import pg_server, store_url  # noqa: F401

from fcsim.eventlog.lifecycle_check import validate_log
from fcsim.recorder import LifecycleError, Recorder

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
PROCS = 4
PER_PROC = 8
PREFIX = [("recorded", 40), ("classified", 50), ("dispatched", 100), ("signed", 160),
          ("arrived", 400), ("diagnosed", 700), ("planned", 820), ("communicated", 900),
          ("work_started", 920), ("work_completed", 2400), ("accepted", 2500),
          ("slip_returned", 2700)]


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def _own_tickets(url: str, worker: int, barrier: object) -> int:
    rec = Recorder(url, create=False)
    barrier.wait()  # type: ignore[attr-defined]
    for i in range(PER_PROC):
        tid = f"W{worker}-{i}"
        rec.open_ticket(tid, category="engineering", received_at=at(i))
        rec.append(tid, "recorded", at(i + 30))
        rec.append(tid, "classified", at(i + 40))
    rec.close_connections()
    return PER_PROC


def _same_ticket(url: str, worker: int, barrier: object) -> tuple[int, int, int]:
    """Append PER_PROC callback_failed (all valid), then race for callback and closed."""
    rec = Recorder(url, create=False)
    barrier.wait()  # type: ignore[attr-defined]
    for j in range(PER_PROC):
        rec.append("T1", "callback_failed", at(3000 + worker * 100 + j), role="desk")
    barrier.wait()  # type: ignore[attr-defined]
    wins = []
    for act, s in (("callback", 10_000), ("closed", 10_001)):
        try:
            rec.append("T1", act, at(s))
            wins.append(1)
        except LifecycleError:
            wins.append(0)
    rec.close_connections()
    return PER_PROC, wins[0], wins[1]


def _child(target: object, url: str, worker: int, barrier: object, out: object) -> None:
    try:
        out.put((worker, target(url, worker, barrier)))  # type: ignore[attr-defined,operator]
    except BaseException as exc:  # reported to the parent, which fails the test
        # a plain RuntimeError always pickles (driver exceptions may not)
        out.put((worker, RuntimeError(f"{type(exc).__name__}: {exc}")))  # type: ignore[attr-defined]


def _run(target: object, url: str) -> list[object]:
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(PROCS)
    out = ctx.Queue()
    procs = [ctx.Process(target=_child, args=(target, url, w, barrier, out))
             for w in range(PROCS)]
    for p in procs:
        p.start()
    results = dict(out.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(timeout=60)
    errors = [r for r in results.values() if isinstance(r, BaseException)]
    if errors:
        raise errors[0]
    return [results[w] for w in range(PROCS)]


def test_writers_on_different_tickets_lose_nothing(store_url: str) -> None:  # noqa: F811
    Recorder(store_url).close_connections()  # schema
    results = _run(_own_tickets, store_url)
    assert sum(results) == PROCS * PER_PROC  # type: ignore[arg-type]
    rec = Recorder(store_url)
    log = rec.export()
    assert len(log.tickets) == PROCS * PER_PROC
    assert len(log.events) == 3 * PROCS * PER_PROC
    per = log.events.groupby("ticket_id", observed=True)["seq"].apply(list)
    assert all(s == [0, 1, 2] for s in per)
    assert len(validate_log(log)) == 0
    rec.close_connections()


def test_writers_on_the_same_ticket_serialise(store_url: str) -> None:  # noqa: F811
    rec = Recorder(store_url)
    rec.open_ticket("T1", category="engineering", received_at=T0)
    for a, s in PREFIX:
        rec.append("T1", a, at(s))
    base = 1 + len(PREFIX)
    results = _run(_same_ticket, store_url)
    appended = sum(r[0] for r in results)  # type: ignore[index]
    assert appended == PROCS * PER_PROC
    # exactly one writer wins each one-shot event; the others are refused
    assert sum(r[1] for r in results) == 1  # type: ignore[index]
    assert sum(r[2] for r in results) == 1  # type: ignore[index]
    log = rec.export()
    ev = log.events
    assert len(ev) == base + PROCS * PER_PROC + 2
    assert sorted(ev["seq"].tolist()) == list(range(len(ev)))  # no lost or duplicated seq
    assert (ev["activity"].astype(str) == "callback_failed").sum() == PROCS * PER_PROC
    assert len(validate_log(log)) == 0
    rec.close_connections()
