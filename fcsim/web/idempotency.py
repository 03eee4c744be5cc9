"""``Idempotency-Key``: a retried write is stored once and gets the original response back.

A key belongs to the account that sent it. The write and the row that keeps its response are
committed in **one** transaction (the recorder's ``in_transaction`` callback inserts the row,
whose primary key is the account and the key), so a stored event always has its stored
response and a key never has a response without its write. Then:

* a retry after the first request succeeded gets the same status and body (header
  ``Idempotent-Replayed: true``), and nothing is written again;
* a retry while the first request is still in flight in this server process gets 409
  ``request_in_flight``; in another worker process it waits for the database, finds the
  first request's row and gets its response (had it got there first, its own write would be
  the one stored and the first request would get its response): never two writes;
* the same key with another request (method, path, query or body) gets 422
  ``idempotency_key_reused``;
* a request that failed (4xx, 5xx) wrote nothing and keeps nothing, so a retry is tried
  afresh.

Keys are kept for :data:`KEEP_S` (24 hours), then pruned.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select
from sqlalchemy.exc import IntegrityError

from fcsim.recorder.checks import RecorderError
from fcsim.recorder.store import IDEMPOTENCY, now_ms, read_transaction, write_transaction

__all__ = [
    "KEEP_S",
    "IdempotencyError",
    "InFlight",
    "Stored",
    "fingerprint",
    "lookup",
    "prune",
    "run",
    "valid_key",
]

KEEP_S = 24 * 3600.0
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


class IdempotencyError(Exception):
    """A key that cannot be used now: ``code`` is request_in_flight or idempotency_key_reused."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


@dataclass(frozen=True)
class Stored:
    """The response of a request."""

    status: int
    body: dict[str, Any]


@dataclass
class InFlight:
    """The keys whose first request is being processed in this server process."""

    keys: set[tuple[int, str]] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    pruned_at: float = 0.0


def valid_key(key: str) -> bool:
    """1-255 printable ASCII characters without spaces."""
    return bool(_KEY.match(key))


def fingerprint(method: str, path: str, query: str, body: Mapping[str, Any]) -> str:
    """A hash of everything that makes two requests the same request."""
    text = json.dumps([method, path, query, body], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def lookup(engine: Engine, uid: int, key: str, print_: str) -> Stored | None:
    """The stored response of ``key``, or None.

    Raises
    ------
    IdempotencyError
        422 when the key was used for another request.
    """
    with read_transaction(engine) as conn:
        row = conn.execute(select(IDEMPOTENCY).where(
            IDEMPOTENCY.c.uid == uid, IDEMPOTENCY.c.key == key)).first()
    if row is None:
        return None
    m = row._mapping
    if m["fingerprint"] != print_:
        raise IdempotencyError(422, "idempotency_key_reused",
                               "this Idempotency-Key was used for another request")
    return Stored(int(m["status"]), json.loads(m["body"]))


def prune(engine: Engine) -> int:
    """Delete keys older than :data:`KEEP_S`; returns how many."""
    with write_transaction(engine) as conn:
        res = conn.execute(delete(IDEMPOTENCY).where(
            IDEMPOTENCY.c.created_at < now_ms() - int(KEEP_S * 1000)))
        return int(res.rowcount or 0)


def run(
    engine: Engine,
    in_flight: InFlight,
    uid: int,
    key: str | None,
    print_: str,
    status: int,
    write: Callable[[Callable[[Connection, Mapping[str, Any]], None]], None],
    body_of: Callable[[Mapping[str, Any]], dict[str, Any]],
) -> tuple[Stored, bool]:
    """Do ``write`` at most once per key; returns the response and whether it was replayed.

    ``write`` gets the callback to pass as the recorder's ``in_transaction``; ``body_of``
    turns the write's result into the response body.
    """
    box: dict[str, Any] = {}

    def in_transaction(conn: Connection, result: Mapping[str, Any]) -> None:
        box["body"] = body_of(result)
        if key is not None:
            conn.execute(insert(IDEMPOTENCY).values(
                uid=uid, key=key, fingerprint=print_, status=status,
                body=json.dumps(box["body"]), created_at=now_ms()))

    if key is None:
        write(in_transaction)
        return Stored(status, box["body"]), False
    stored = lookup(engine, uid, key, print_)
    if stored is not None:
        return stored, True
    with in_flight.lock:
        if (uid, key) in in_flight.keys:
            raise IdempotencyError(
                409, "request_in_flight",
                "a request with this Idempotency-Key is still being processed; retry later")
        in_flight.keys.add((uid, key))
        prune_now = time.monotonic() - in_flight.pruned_at > 3600
        if prune_now:
            in_flight.pruned_at = time.monotonic()
    try:
        if prune_now:
            prune(engine)
        try:
            write(in_transaction)
        except (IntegrityError, RecorderError):
            # another process stored this key first (its write is there, so ours was
            # refused or rolled back): answer with its response
            stored = lookup(engine, uid, key, print_)
            if stored is not None:
                return stored, True
            raise
        return Stored(status, box["body"]), False
    finally:
        with in_flight.lock:
            in_flight.keys.discard((uid, key))
