"""``Idempotency-Key``: a retried write is stored once and gets the original response back.

A key belongs to the account that sent it. The first request with a key *claims* it (a row
with no response yet, committed at once); the write itself and the completion of the row with
the response happen in **one** transaction (the recorder's ``in_transaction`` callback), so
a stored event always has its stored response and vice versa. Then:

* a retry after the first succeeded gets the same status and body (header
  ``Idempotent-Replayed: true``), and nothing is written again;
* a retry while the first is still in flight gets 409 ``request_in_flight``;
* the same key with another request (method, path, query or body) gets 422
  ``idempotency_key_reused``;
* a first request that failed (4xx, 5xx) releases its key, so a retry is tried afresh (a
  refusal writes nothing, so there is nothing to replay).

A claim whose request died before committing (the process was killed) is stale after
:data:`STALE_S` and may be claimed again: its write never committed. Keys are kept for
:data:`KEEP_S` (24 hours).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, and_, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from fcsim.recorder.store import IDEMPOTENCY, now_ms, write_transaction

__all__ = [
    "KEEP_S",
    "STALE_S",
    "IdempotencyError",
    "Stored",
    "claim",
    "complete",
    "fingerprint",
    "release",
    "valid_key",
]

STALE_S = 120.0
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
    """The stored response of a completed request."""

    status: int
    body: dict[str, Any]


def valid_key(key: str) -> bool:
    """1-255 printable ASCII characters without spaces."""
    return bool(_KEY.match(key))


def fingerprint(method: str, path: str, query: str, body: Mapping[str, Any]) -> str:
    """A hash of everything that makes two requests the same request."""
    text = json.dumps([method, path, query, body], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _row(conn: Connection, uid: int, key: str) -> Any:
    return conn.execute(
        select(IDEMPOTENCY).where(IDEMPOTENCY.c.uid == uid, IDEMPOTENCY.c.key == key)
        .with_for_update()
    ).first()


def claim(engine: Engine, uid: int, key: str, print_: str) -> Stored | None:
    """Claim ``key`` for a new request (None), or the stored response of a completed one.

    Raises
    ------
    IdempotencyError
        409 while the first request is in flight; 422 when the key came with another request.
    """
    for _ in range(2):
        try:
            with write_transaction(engine) as conn:
                now = now_ms()
                row = _row(conn, uid, key)
                if row is None:
                    conn.execute(insert(IDEMPOTENCY).values(
                        uid=uid, key=key, fingerprint=print_, status=None, body=None,
                        created_at=now))
                    return None
                m = row._mapping
                if m["fingerprint"] != print_:
                    raise IdempotencyError(
                        422, "idempotency_key_reused",
                        "this Idempotency-Key was used for another request")
                if m["status"] is not None:
                    return Stored(int(m["status"]), json.loads(m["body"]))
                if now - int(m["created_at"]) > STALE_S * 1000:
                    conn.execute(update(IDEMPOTENCY).where(
                        IDEMPOTENCY.c.uid == uid, IDEMPOTENCY.c.key == key
                    ).values(created_at=now))
                    return None
                raise IdempotencyError(
                    409, "request_in_flight",
                    "a request with this Idempotency-Key is still being processed; retry later")
        except IntegrityError:  # a concurrent first claim won the insert: look again
            continue
    raise IdempotencyError(409, "request_in_flight",
                           "a request with this Idempotency-Key is still being processed")


def complete(conn: Connection, uid: int, key: str, status: int, body: Mapping[str, Any]) -> None:
    """Store the response, inside the write's own transaction."""
    conn.execute(update(IDEMPOTENCY).where(
        IDEMPOTENCY.c.uid == uid, IDEMPOTENCY.c.key == key
    ).values(status=status, body=json.dumps(body)))


def release(engine: Engine, uid: int, key: str) -> None:
    """Forget a claim whose request failed (nothing was written)."""
    with write_transaction(engine) as conn:
        conn.execute(delete(IDEMPOTENCY).where(
            IDEMPOTENCY.c.uid == uid, IDEMPOTENCY.c.key == key, IDEMPOTENCY.c.status.is_(None)))


def prune(engine: Engine) -> int:
    """Delete keys older than :data:`KEEP_S`; returns how many."""
    with write_transaction(engine) as conn:
        res = conn.execute(delete(IDEMPOTENCY).where(and_(
            IDEMPOTENCY.c.created_at < now_ms() - int(KEEP_S * 1000))))
        return int(res.rowcount or 0)


def run(
    engine: Engine,
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
            complete(conn, uid, key, status, box["body"])

    if key is not None:
        stored = claim(engine, uid, key, print_)
        if stored is not None:
            return stored, True
    try:
        write(in_transaction)
    except BaseException:
        if key is not None:
            release(engine, uid, key)
        raise
    return Stored(status, box["body"]), False
