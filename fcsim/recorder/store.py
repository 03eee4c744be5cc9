"""The recorder's database: SQLAlchemy Core tables, engine creation and the write transaction.

A store is any SQLAlchemy URL: a SQLite file (``sqlite:///path``, the default for one desk) or a
PostgreSQL server (``postgresql+psycopg://...``, for several desks). Timestamps are stored as
integer milliseconds since the Unix epoch (UTC), so that a log round-trips exactly.

Writes go through :func:`write_transaction`, which serialises writers on the same ticket:
SQLite takes the database write lock up front (``BEGIN IMMEDIATE``, set by engine event hooks);
PostgreSQL locks the ticket row (``SELECT ... FOR UPDATE``, see :func:`lock_ticket`). History is
append-only: event rows are never updated or deleted; corrections are rows of their own.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Engine,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    Row,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    select,
)
from sqlalchemy.engine import make_url

from fcsim.recorder.checks import RecorderError

__all__ = [
    "API_TOKENS",
    "CORRECTIONS",
    "DEFAULT_URL",
    "EVENTS",
    "IDEMPOTENCY",
    "IMPORTS",
    "METADATA",
    "QUARANTINE",
    "SESSIONS",
    "SITE",
    "STORE_SECRETS",
    "TICKETS",
    "TICKET_FACT_COLUMNS",
    "USERS",
    "ForeignKeyViolation",
    "bulk_load_transaction",
    "create_schema",
    "dump",
    "lock_ticket",
    "make_engine",
    "now_ms",
    "read_transaction",
    "write_transaction",
]

logger = logging.getLogger(__name__)

DEFAULT_URL = "sqlite:///fcsim-records.sqlite"
_READ_ONLY = "fcsim_read_only"
#: SQLite engines -> the lock their writers in this process queue on.
_WRITE_LOCKS: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()

METADATA = MetaData()

#: The ticket columns of the event-log contract, as stored (timestamps in ms).
TICKETS = Table(
    "tickets",
    METADATA,
    Column("tid", Integer, primary_key=True, autoincrement=True),
    Column("ticket_id", String(128), nullable=False, unique=True),
    Column("category", String(128), nullable=False),
    Column("emergency", Boolean, nullable=False),
    Column("source", String(64)),
    Column("mode", String(16), nullable=False),
    Column("booked_at", BigInteger),
    Column("appointment_at", BigInteger),
    Column("location", Text),
    Column("content", Text),
    Column("contact", Text),
    Column("phone", Text),
    Column("department", String(128)),
    Column("route_dispatch", Boolean),
    Column("route_site_visit", Boolean),
    Column("route_callback", Boolean),
    Column("satisfied", Boolean),
    Column("record_accurate", Boolean),
    Column("recognised_correctly", Boolean),
    Column("charge", Float),
    Column("charge_confirmed", Boolean),
    Column("materials", Text),
    Column("scenario", String(128)),
    Column("replication", Integer),
    Column("voided", Boolean, nullable=False, default=False),
    Column("opened_by", String(128)),
    Column("written_at", BigInteger, nullable=False),
    Column("import_id", Integer, ForeignKey("imports.iid")),
)

EVENTS = Table(
    "events",
    METADATA,
    Column("eid", Integer, primary_key=True, autoincrement=True),
    Column("tid", Integer, ForeignKey("tickets.tid"), nullable=False, index=True),
    Column("seq", BigInteger, nullable=False),
    Column("activity", String(32), nullable=False),
    Column("started_at", BigInteger),
    Column("timestamp", BigInteger, nullable=False),
    Column("resource", String(128)),
    Column("role", String(32)),
    Column("attempt", SmallInteger, nullable=False),
    Column("scenario", String(128)),
    Column("replication", Integer),
    Column("written_by", String(128)),
    Column("written_at", BigInteger, nullable=False),
    Column("import_id", Integer, ForeignKey("imports.iid")),
    UniqueConstraint("tid", "seq", name="uq_events_ticket_seq"),
)

#: Append-only corrections: void or amend an event (``eid`` set) or a ticket (``eid`` null).
CORRECTIONS = Table(
    "corrections",
    METADATA,
    Column("cid", Integer, primary_key=True, autoincrement=True),
    Column("tid", Integer, ForeignKey("tickets.tid"), nullable=False, index=True),
    Column("eid", Integer, ForeignKey("events.eid")),
    Column("action", String(8), nullable=False),
    Column("changes", Text),  # JSON: field -> new value
    Column("previous", Text),  # JSON: field -> value before
    Column("corrected_by", String(128), nullable=False),
    Column("corrected_at", BigInteger, nullable=False),
    Column("reason", Text, nullable=False),
    Column("written_at", BigInteger, nullable=False),
)

IMPORTS = Table(
    "imports",
    METADATA,
    Column("iid", Integer, primary_key=True, autoincrement=True),
    Column("source", Text, nullable=False),
    Column("mapping", Text),
    Column("n_tickets", Integer, nullable=False),
    Column("n_events", Integer, nullable=False),
    Column("n_quarantined", Integer, nullable=False),
    Column("report", Text),  # JSON of the quality report
    Column("written_at", BigInteger, nullable=False),
)

QUARANTINE = Table(
    "quarantine",
    METADATA,
    Column("qid", Integer, primary_key=True, autoincrement=True),
    Column("import_id", Integer, ForeignKey("imports.iid"), nullable=False),
    Column("ticket_id", String(128), nullable=False),
    Column("seq", BigInteger),
    Column("code", String(64), nullable=False),
    Column("message", Text, nullable=False),
)

#: The site's settings: one row (``sid`` = 1) — its IANA time zone, and optionally the
#: content of a control-points file (JSON), so that status and export use the site's bounds.
SITE = Table(
    "site",
    METADATA,
    Column("sid", Integer, primary_key=True),
    Column("time_zone", String(64)),
    Column("control_points", Text),  # JSON, the shape of fcsim kpi --control-points
    Column("set_by", String(128)),
    Column("written_at", BigInteger, nullable=False),
)

#: People who record tickets (``fcsim users``): a role, an argon2 password hash, enabled or not.
USERS = Table(
    "users",
    METADATA,
    Column("uid", Integer, primary_key=True, autoincrement=True),
    Column("name", String(128), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("department", String(128)),
    Column("password_hash", Text, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

#: API tokens, stored as the SHA-256 of the token (the token itself is shown once).
API_TOKENS = Table(
    "api_tokens",
    METADATA,
    Column("token_hash", String(64), primary_key=True),
    Column("uid", Integer, ForeignKey("users.uid"), nullable=False, index=True),
    Column("created_at", BigInteger, nullable=False),
)

#: Browser sessions, stored as the SHA-256 of the cookie, with the session's CSRF token.
SESSIONS = Table(
    "sessions",
    METADATA,
    Column("session_hash", String(64), primary_key=True),
    Column("uid", Integer, ForeignKey("users.uid"), nullable=False, index=True),
    Column("csrf", String(64), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
)

#: Idempotency keys of write requests with their responses (written with the write itself).
IDEMPOTENCY = Table(
    "idempotency_keys",
    METADATA,
    Column("uid", Integer, ForeignKey("users.uid"), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("status", SmallInteger, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

#: Per-store secrets (e.g. the anonymisation key); never exported.
STORE_SECRETS = Table(
    "store_secrets",
    METADATA,
    Column("name", String(64), primary_key=True),
    Column("value", String(128), nullable=False),
)

#: Ticket facts filled in after intake (completion, acceptance, callback).
TICKET_FACT_COLUMNS = (
    "satisfied",
    "record_accurate",
    "recognised_correctly",
    "charge",
    "charge_confirmed",
    "materials",
)


def now_ms() -> int:
    """The wall clock in ms since the epoch (for audit columns only)."""
    return int(datetime.now(UTC).timestamp() * 1000)


def make_engine(url: str = DEFAULT_URL, *, busy_timeout_s: float = 60.0) -> Engine:
    """Create an engine for ``url`` with the recorder's transaction discipline.

    For SQLite, every write transaction starts with ``BEGIN IMMEDIATE`` (the write lock is
    taken before anything is read, so two writers can never interleave a read-check-write),
    foreign keys are enforced and the journal is WAL; a :func:`read_transaction` starts with a
    plain ``BEGIN`` (a WAL snapshot that never waits for writers), and the writers of one
    process queue on a Python lock before they ask SQLite for its lock (SQLite's own busy wait
    sleeps in growing steps, which makes a busy server's slowest requests slow). Other back
    ends use their default isolation (READ COMMITTED for PostgreSQL) plus row locks taken by
    :func:`lock_ticket`.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            url, connect_args={"timeout": busy_timeout_s, "check_same_thread": False}
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # let the "begin" hook emit BEGIN itself
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
            if parsed.database not in (None, "", ":memory:"):
                cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            read_only = conn.get_execution_options().get(_READ_ONLY, False)
            conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

        _WRITE_LOCKS[engine] = threading.Lock()
        return engine
    return create_engine(url, pool_pre_ping=True)


def create_schema(engine: Engine) -> None:
    """Create the recorder's tables if they do not exist."""
    METADATA.create_all(engine)


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """One write transaction: commits on success, rolls back everything on any exception."""
    lock = _WRITE_LOCKS.get(engine)
    if lock is None:
        with engine.begin() as conn:
            yield conn
        return
    with lock, engine.begin() as conn:
        yield conn


class ForeignKeyViolation(RecorderError):
    """A bulk load would leave rows pointing at rows that do not exist (rolled back)."""


@contextmanager
def bulk_load_transaction(engine: Engine, tables: tuple[Table, ...]) -> Iterator[Connection]:
    """A :func:`write_transaction` for a bulk load into ``tables`` of a SQLite store whose
    ``tables`` are empty (a store created for this load).

    On SQLite the foreign keys are checked once, for the whole load, by ``PRAGMA
    foreign_key_check`` on each of ``tables`` just before the commit (a violation raises
    :class:`ForeignKeyViolation` and rolls everything back), instead of one look-up per
    inserted row; and the secondary indexes of those of ``tables`` that are empty when the
    transaction has begun are dropped and re-created from their own ``CREATE INDEX`` text
    after the load, inside the same transaction (SQLite's DDL is transactional: a failure
    anywhere leaves the schema and the rows as they were). The committed store has the same
    schema, rows and checks as one loaded row by row. Other back ends: a plain
    :func:`write_transaction`.
    """
    if engine.dialect.name != "sqlite":
        with write_transaction(engine) as conn:
            yield conn
        return
    lock = _WRITE_LOCKS.get(engine)
    with lock if lock is not None else nullcontext(), engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        raw.execute("PRAGMA foreign_keys=OFF")  # a no-op inside a transaction: set before
        try:
            with conn.begin():
                rebuild: list[str] = []
                for t in tables:
                    if conn.exec_driver_sql(f"SELECT EXISTS (SELECT 1 FROM {t.name})"
                                            ).scalar_one():
                        continue
                    for name, sql in conn.exec_driver_sql(
                            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND "
                            "tbl_name = ? AND sql IS NOT NULL ORDER BY name", (t.name,)).all():
                        conn.exec_driver_sql(f'DROP INDEX "{name}"')
                        rebuild.append(sql)
                yield conn
                for sql in rebuild:
                    conn.exec_driver_sql(sql)
                for t in tables:
                    bad = conn.exec_driver_sql(f"PRAGMA foreign_key_check({t.name})").all()
                    if bad:
                        row = bad[0]
                        raise ForeignKeyViolation(
                            f"{len(bad)} row(s) of {t.name} refer to rows that do not exist "
                            f"(first: rowid {row[1]} -> {row[2]}); nothing was written")
        finally:
            try:
                raw.execute("PRAGMA foreign_keys=ON")
            except Exception:  # never hand a connection without its checks back to the pool
                conn.invalidate()
                raise


@contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    """A consistent read (one transaction, rolled back at the end; never writes)."""
    with engine.connect() as conn:
        conn.execution_options(**{_READ_ONLY: True})
        with conn.begin() as tx:
            yield conn
            tx.rollback()


def lock_ticket(conn: Connection, ticket_id: str) -> Row[Any] | None:
    """The ticket's row, locked against other writers until the transaction ends.

    ``FOR UPDATE`` on PostgreSQL; on SQLite the whole database is already locked by
    ``BEGIN IMMEDIATE`` and the clause is not rendered.
    """
    stmt = select(TICKETS).where(TICKETS.c.ticket_id == ticket_id).with_for_update()
    return conn.execute(stmt).first()


def insert_row(conn: Connection, table: Table, **values: Any) -> int:
    """Insert one row and return its integer primary key."""
    key = conn.execute(table.insert().values(**values)).inserted_primary_key
    if key is None:  # pragma: no cover - every recorder table has an integer key
        raise RuntimeError(f"no primary key returned for {table.name}")
    return int(key[0])


def dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """The full content of every recorder table, rows sorted by primary key (for tests)."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with read_transaction(engine) as conn:
        for table in METADATA.sorted_tables:
            pk = list(table.primary_key.columns)
            out[table.name] = [tuple(r) for r in conn.execute(select(table).order_by(*pk))]
    return out
