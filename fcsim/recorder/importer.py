"""Import of other systems' exports (CSV or Excel) and of standard fcsim logs into the store.

The pipeline: read the source through the mapping (:mod:`fcsim.recorder.translate`), check the
data's quality (timestamps outside the plausible window; over-long fields and control
characters; re-used case ids) and every ticket against the lifecycle at the **import** level
(:func:`fcsim.eventlog.lifecycle_check.validate_log`: only the rules of ``KPI.md`` refuse a
ticket; a skipped stage is measured as a missing clock), apply the policy per code (fail the
import, or quarantine the ticket into the report), refuse ticket ids already in the store
before anything is written, then write everything in ONE transaction with bulk inserts
(``executemany`` of plain tuples on SQLite, ``COPY`` on PostgreSQL): the import lands whole or
not at all.
"""

from __future__ import annotations

import io
import json
import logging
import sqlite3
from collections.abc import Callable, Iterator
from collections.abc import Mapping as TMapping
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, Table, func, insert, select, update

from fcsim.eventlog import EventLog
from fcsim.eventlog.frames import category_objects
from fcsim.recorder.checks import RecorderError
from fcsim.recorder.mapping import Mapping, QualitySpec, load_mapping
from fcsim.recorder.quality import QualityReport, Quarantined, measurability
from fcsim.recorder.store import (
    EVENTS,
    IMPORTS,
    QUARANTINE,
    TICKETS,
    bulk_load_transaction,
    insert_row,
    now_ms,
    read_transaction,
    write_transaction,
)
from fcsim.recorder.translate import ISSUE_COLUMNS, translate

__all__ = ["ImportFailed", "import_eventlog", "import_file", "imports_manifest", "screen",
           "write_log"]

logger = logging.getLogger(__name__)

Policy = Callable[[str], str]


class ImportFailed(RecorderError):
    """An import was refused; the store is unchanged. ``report`` says what was found."""

    def __init__(self, message: str, report: QualityReport) -> None:
        super().__init__(message)
        self.report = report


def _latest(q: QualitySpec) -> date:
    """The last plausible day: the mapping's, else the import day + 1 (UTC)."""
    return q.latest if q.latest is not None else datetime.now(UTC).date() + timedelta(days=1)


def _window(q: QualitySpec) -> tuple[int, int]:
    """[earliest 00:00, the day after latest 00:00) UTC, in ms."""
    lo = datetime.combine(q.earliest, datetime.min.time(), UTC)
    hi = datetime.combine(_latest(q) + timedelta(days=1), datetime.min.time(), UTC)
    return int(lo.timestamp() * 1000), int(hi.timestamp() * 1000)


def implausible(log: EventLog, q: QualitySpec, report: QualityReport) -> pd.DataFrame:
    """Tickets with a timestamp outside the quality window (``implausible_timestamp``)."""
    lo, hi = _window(q)
    latest = _latest(q)
    rows = []
    n_rows = 0
    for table, cols in ((log.events, ("timestamp", "started_at")),
                        (log.tickets, ("booked_at", "appointment_at"))):
        for col in cols:
            ms = table[col].to_numpy(dtype="datetime64[ms]").astype(np.int64)
            nat = np.isnat(table[col].to_numpy(dtype="datetime64[ms]"))
            bad = ~nat & ((ms < lo) | (ms >= hi))
            if not bad.any():
                continue
            n_rows += int(bad.sum())
            sub = table[bad]
            seqs = sub["seq"].to_numpy() if "seq" in sub else [None] * len(sub)
            for tid, seq, v in zip(sub["ticket_id"].astype(str), seqs, sub[col], strict=True):
                rows.append((tid, None if seq is None else int(seq), "implausible_timestamp",
                             f"{col} {v} is outside the plausible window [{q.earliest}, "
                             f"{latest}] ([quality] earliest / latest)"))
    out = pd.DataFrame(rows, columns=list(ISSUE_COLUMNS))
    if n_rows:
        report.count("implausible_timestamp", rows=n_rows,
                     tickets=out["ticket_id"].nunique(),
                     action=f"outside [{q.earliest}, {latest}]: by the policy")
    return out


def screen(log: EventLog, report: QualityReport, policy: Policy,
           issues: pd.DataFrame | None = None) -> EventLog:
    """Check the log against the lifecycle (import level) and apply the policy per code.

    ``policy(code) -> "fail" | "quarantine" | "accept"``; ``issues`` are data-quality problems
    found before (same columns as the violations). Raises :class:`ImportFailed` when any
    problem's policy is ``fail``; otherwise returns the log without the quarantined tickets
    and records them in ``report``.
    """
    from fcsim.eventlog.lifecycle_check import validate_log

    viol = validate_log(log, level="import")
    found = [x for x in (issues, viol) if x is not None and len(x)]
    if not found:
        return log
    allv = pd.concat(found, ignore_index=True)
    allv = allv.assign(policy=[policy(str(c)) for c in allv["code"]])
    allv = allv[allv["policy"] != "accept"]
    for code, n in allv.groupby("code")["ticket_id"].nunique().items():
        if code not in report.reasons:
            report.count(str(code), tickets=int(n), action="lifecycle (import level)")
    failing = allv[allv["policy"] == "fail"]
    if len(failing):
        counts = failing.groupby("code")["ticket_id"].nunique()
        first = failing.iloc[0]
        seq = "" if pd.isna(first["seq"]) else f" seq {first['seq']}"
        msg = (
            f"{report.source}: import refused, the store is unchanged: "
            + ", ".join(f"{n} ticket(s) with {c}" for c, n in counts.items())
            + f" (policy fail). First: ticket {first['ticket_id']}{seq}: "
            + f"{first['message']}"
        )
        report.quarantined = _quarantine_rows(failing)
        raise ImportFailed(msg, report)
    if len(allv) == 0:
        return log
    report.quarantined = _quarantine_rows(allv)
    bad = set(allv["ticket_id"].astype(str))
    keep_t = ~log.tickets["ticket_id"].astype(str).isin(bad)
    keep_e = ~log.events["ticket_id"].astype(str).isin(bad)
    return EventLog.from_frames(log.events[keep_e.to_numpy()], log.tickets[keep_t.to_numpy()],
                                log.manifest)


def _quarantine_rows(viol: pd.DataFrame) -> list[Quarantined]:
    out = []
    for tid, seq, code, message in viol[["ticket_id", "seq", "code", "message"]].itertuples(
        index=False
    ):
        s = None if seq is None or pd.isna(seq) else int(seq)
        out.append(Quarantined(str(tid), s, str(code), str(message)))
    return out


def _ms_list(values: pd.Series) -> list[int | None]:
    arr = values.to_numpy(dtype="datetime64[ms]")
    nat = np.isnat(arr)
    ints = arr.astype(np.int64).astype(object)
    if nat.any():
        ints[nat] = None
    return ints.tolist()


def _obj_list(values: pd.Series) -> list[Any]:
    if isinstance(values.dtype, pd.CategoricalDtype):  # a take from the categories
        return category_objects(values).tolist()
    arr = values.to_numpy(dtype=object, na_value=None)
    return arr.tolist()


def _ticket_keys(conn: Connection, import_id: int) -> list[tuple[str, int]]:
    """(ticket_id, tid) of the tickets an import wrote (on SQLite straight from the DBAPI
    cursor of this transaction)."""
    if conn.dialect.name == "sqlite":
        raw = conn.connection.driver_connection
        assert raw is not None
        cur = raw.cursor()
        try:
            cur.execute("SELECT ticket_id, tid FROM tickets WHERE import_id = ?", (import_id,))
            return list(cur.fetchall())
        finally:
            cur.close()
    return [(str(k), int(t)) for k, t in conn.execute(
        select(TICKETS.c.ticket_id, TICKETS.c.tid).where(TICKETS.c.import_id == import_id))]


def _next_keys(conn: Connection, n: int) -> list[int] | None:
    """On SQLite, the keys its rowid rule would give ``n`` tickets inserted now (the largest
    key + 1, + 2, …; the transaction holds the write lock), to insert them with, so that
    they need not be read back; None elsewhere or past the largest key."""
    if conn.dialect.name != "sqlite":
        return None
    top = int(conn.execute(select(func.max(TICKETS.c.tid))).scalar() or 0)
    if top + n >= 2**63 - 1:  # pragma: no cover - SQLite would pick keys at random
        return None
    return list(range(top + 1, top + n + 1))


def _int_list(values: pd.Series) -> list[Any]:
    if values.isna().any():
        return _obj_list(values.astype(object))
    return values.to_numpy(dtype=np.int64).tolist()


def existing_ids(engine: Engine, ids: list[str]) -> list[str]:
    """The ``ids`` already in the store (in ``ids`` order)."""
    with read_transaction(engine) as conn:
        have = {r[0] for r in conn.execute(select(TICKETS.c.ticket_id))}
    return [t for t in ids if t in have]


def write_log(
    conn: Connection, log: EventLog, import_id: int, *, by: str | None, written_at: int
) -> None:
    """Insert a canonical log's tickets and events (in their row order) inside ``conn``."""
    tk = log.tickets
    ids = tk["ticket_id"].astype(str).tolist()
    existing = {r[0] for r in conn.execute(select(TICKETS.c.ticket_id))}
    clash = [t for t in ids if t in existing]
    if clash:
        raise RecorderError(
            f"{len(clash)} ticket id(s) already in the store (first: {clash[0]!r}); "
            "an import never overwrites tickets"
        )
    n_tickets = len(ids)
    cols: dict[str, list[Any]] = {"ticket_id": ids}
    new_tids = _next_keys(conn, n_tickets)
    if new_tids is not None:
        cols = {"tid": new_tids, **cols}
    same: dict[str, Any] = {"voided": False, "opened_by": by, "written_at": written_at,
                            "import_id": import_id}
    _columns(tk, [(c, _ms_list if c in ("booked_at", "appointment_at") else _obj_list)
                  for c in tk.columns if c not in ("ticket_id", "schema_version")], cols, same)
    _bulk_insert(conn, TICKETS, cols, same)
    got = (list(zip(ids, new_tids, strict=True)) if new_tids is not None
           else _ticket_keys(conn, import_id))
    keys, tids_got = zip(*got, strict=True) if n_tickets else ((), ())
    tid_of = pd.Series(tids_got, index=pd.Index(keys, dtype=object), dtype=np.int64)
    ev = log.events
    tick = ev["ticket_id"]
    if isinstance(tick.dtype, pd.CategoricalDtype):  # one look-up per distinct id
        cats = [str(c) for c in tick.cat.categories.to_numpy(dtype=object)]
        per_id = tid_of.reindex(pd.Index(cats, dtype=object)).to_numpy()
        tids = pd.Series(per_id[tick.cat.codes.to_numpy()]).to_numpy(dtype=np.int64)
    else:
        tids = tid_of.reindex(tick.astype(str).to_numpy()).to_numpy(dtype=np.int64)
    ecols: dict[str, list[Any]] = {
        "tid": tids.tolist(),
        "seq": ev["seq"].to_numpy(dtype=np.int64).tolist(),
        "activity": _obj_list(ev["activity"]),
        "timestamp": ev["timestamp"].to_numpy(dtype="datetime64[ms]").astype(np.int64).tolist(),
        "attempt": ev["attempt"].to_numpy(dtype=np.int64).tolist(),
    }
    esame: dict[str, Any] = {"written_by": by, "written_at": written_at,
                             "import_id": import_id}
    _columns(ev, [("started_at", _ms_list), ("resource", _obj_list), ("role", _obj_list),
                  ("scenario", _obj_list), ("replication", _int_list)], ecols, esame)
    _bulk_insert(conn, EVENTS, ecols, esame)


def _columns(frame: pd.DataFrame, convs: list[tuple[str, Callable[[pd.Series], list[Any]]]],
             cols: dict[str, list[Any]], same: dict[str, Any]) -> None:
    """Each column of ``frame`` in ``convs`` into ``cols`` (converted), or, when it is null
    on every row, into ``same`` as one NULL, and a flag equal on every row as that flag."""
    for c, conv in convs:
        col = frame[c]
        if col.isna().all():
            same[c] = None
        elif pd.api.types.is_bool_dtype(col.dtype) and col.notna().all() and (
                col.nunique() == 1):
            same[c] = bool(col.iloc[0])
        else:
            cols[c] = conv(col)


def _literal(value: Any) -> str | None:
    """``value`` as an SQL literal when it is NULL, a boolean or an integer (else None)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool | np.bool_):
        return "1" if value else "0"
    if isinstance(value, int | np.integer):
        return str(int(value))
    return None


#: Rows per INSERT statement of a bulk insert into SQLite (fewer if the statement would bind
#: more parameters than the library allows).
_ROWS_PER = 256


def _bulk_insert(conn: Connection, table: Table, cols: dict[str, list[Any]],
                 same: dict[str, Any]) -> None:
    """One bulk insert of plain Python values (``cols``, a list per column) and of values
    equal on every row (``same``): ``COPY`` on PostgreSQL, else executemany straight through
    the DBAPI (on SQLite of statements inserting up to :data:`_ROWS_PER` rows each), with
    each row-constant NULL, boolean or integer written into the statement (fewer parameters
    to bind per row)."""
    n = len(next(iter(cols.values()))) if cols else 0
    if n == 0:
        return
    if conn.dialect.name == "postgresql":
        _copy(conn, table, {**cols, **{k: [v] * n for k, v in same.items()}})
        return
    style = conn.dialect.paramstyle
    mark = {"qmark": "?", "format": "%s", "pyformat": "%s"}.get(style)
    if mark is None:  # pragma: no cover - other drivers: the generic (slower) path
        rows = [{**dict(zip(cols, r, strict=True)), **same}
                for r in zip(*cols.values(), strict=True)]
        conn.execute(table.insert(), rows)
        return
    bound = dict(cols)
    fixed: dict[str, str] = {}
    for k, v in same.items():
        lit = _literal(v) if conn.dialect.name == "sqlite" else None
        if lit is None:
            bound[k] = [v] * n
        else:
            fixed[k] = lit
    prep = conn.dialect.identifier_preparer
    names = [*bound, *fixed]
    one = f"({', '.join([mark] * len(bound) + list(fixed.values()))})"
    head = (f"INSERT INTO {prep.format_table(table)} "
            f"({', '.join(prep.quote(c) for c in names)}) VALUES ")
    if conn.dialect.name != "sqlite":  # pragma: no cover - other drivers take a list
        conn.exec_driver_sql(head + one, list(zip(*bound.values(), strict=True)))
        return
    # SQLite: the DBAPI cursor of this transaction's connection, with up to ROWS_PER rows a
    # statement (one step inserts them all: fewer calls into SQLite than rows)
    raw = conn.connection.driver_connection
    assert raw is not None
    width = len(bound)
    per = max(1, min(_ROWS_PER, raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // width))
    flat = np.empty((n, width), dtype=object)
    for j, v in enumerate(bound.values()):
        flat[:, j] = v
    full = n // per * per
    cur = raw.cursor()
    try:
        if full:
            cur.executemany(head + ",".join([one] * per),
                            flat[:full].reshape(-1, width * per).tolist())
        if full < n:
            cur.execute(head + ",".join([one] * (n - full)), flat[full:].ravel().tolist())
    finally:
        cur.close()


def _copy(conn: Connection, table: Table, cols: dict[str, list[Any]]) -> None:
    """``COPY … FROM STDIN`` (CSV) through psycopg: one stream, no per-row statements."""
    names = list(cols)
    frame = pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in cols.items()})
    for k in names:
        if table.c[k].type.python_type is bool:
            frame[k] = frame[k].map({True: "t", False: "f"})
    buf = io.StringIO()
    frame.to_csv(buf, index=False, header=False, na_rep="\\N", lineterminator="\n")
    prep = conn.dialect.identifier_preparer
    sql = (f"COPY {prep.format_table(table)} ({', '.join(prep.quote(c) for c in names)}) "
           "FROM STDIN WITH (FORMAT csv, NULL '\\N')")
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur, cur.copy(sql) as cp:
        cp.write(buf.getvalue())


def _store(engine: Engine, log: EventLog, report: QualityReport, by: str | None) -> QualityReport:
    """Write the kept log; a clash with ids in the store refuses the whole import first."""
    ids = log.tickets["ticket_id"].astype(str).tolist()
    clash, have = existing_ids(engine, ids), _has_tickets(engine)
    if clash:
        raise ImportFailed(
            f"{report.source}: import refused, the store is unchanged: {len(clash)} of "
            f"{len(ids)} ticket id(s) are already in the store (first: {clash[0]!r}); "
            "an import never overwrites tickets (was this log imported before?)", report)
    report.measurable = measurability(log, synthesised=report.synthesised)
    written_at = now_ms()
    with _transaction(engine, fresh=not have) as conn:
        iid = insert_row(
            conn, IMPORTS, source=report.source, mapping=report.mapping,
            n_tickets=len(log.tickets), n_events=len(log.events),
            n_quarantined=len(report.quarantined_tickets), report=None, written_at=written_at,
        )
        with _page_cache(conn, len(log.events)):
            write_log(conn, log, iid, by=by, written_at=written_at)
        if report.quarantined:
            conn.execute(insert(QUARANTINE), [
                {"import_id": iid, "ticket_id": q.ticket_id, "seq": q.seq, "code": q.code,
                 "message": q.message} for q in report.quarantined
            ])
        report.import_id = iid
        report.tickets_loaded = len(log.tickets)
        report.events_loaded = len(log.events)
        conn.execute(update(IMPORTS).where(IMPORTS.c.iid == iid)
                     .values(report=json.dumps(report.to_dict(), default=str)))
    logger.info("import %s: %d tickets, %d events, %d quarantined", report.source,
                report.tickets_loaded, report.events_loaded, len(report.quarantined_tickets))
    return report


def _has_tickets(engine: Engine) -> bool:
    """Whether the store holds any ticket."""
    with read_transaction(engine) as conn:
        return conn.execute(select(TICKETS.c.tid).limit(1)).first() is not None


def _transaction(engine: Engine, *, fresh: bool) -> Any:
    """The import's one transaction: into a store without tickets (one created for this
    import, say), a bulk load (foreign keys checked once before the commit, the event index
    built after the rows; :func:`~fcsim.recorder.store.bulk_load_transaction`), else a plain
    write transaction. Both are all or nothing."""
    if fresh:
        return bulk_load_transaction(engine, (TICKETS, EVENTS, QUARANTINE))
    return write_transaction(engine)


@contextmanager
def _page_cache(conn: Connection, n_events: int) -> Iterator[None]:
    """On SQLite, a page cache that holds a large import's pages (about 200 bytes an event,
    at most 256 MiB) for its bulk inserts, so that the transaction does not spill pages to
    the journal before it commits; the connection's own size is restored after. Memory only:
    the transaction and its atomicity are the same."""
    if conn.dialect.name != "sqlite" or n_events < 50_000:
        yield
        return
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
    kib = min(256 * 1024, n_events // 5)
    conn.exec_driver_sql(f"PRAGMA cache_size=-{int(kib)}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size={int(before)}")


def _guarded(engine: Engine, log: EventLog, report: QualityReport, by: str | None,
             where: str) -> QualityReport:
    try:
        return _store(engine, log, report, by)
    except ImportFailed:
        report.import_id = None
        raise
    except RecorderError as exc:
        report.import_id = None
        report.tickets_loaded = report.events_loaded = 0
        raise ImportFailed(f"{where}: import refused, the store is unchanged: {exc}",
                           report) from None


def import_file(
    engine: Engine,
    path: str | Path,
    mapping: Mapping | str | Path,
    *,
    tickets_path: str | Path | None = None,
    by: str | None = None,
    policy: str | None = None,
) -> QualityReport:
    """Import a CSV or Excel export through a mapping, in one transaction.

    Parameters
    ----------
    engine:
        The store (see :func:`fcsim.recorder.store.make_engine`).
    path:
        The source event table.
    mapping:
        A :class:`Mapping`, a TOML path, or a built-in name (``helpdesk``, ``bpic14``).
    tickets_path:
        The case table, overriding the mapping's ``source.tickets_file``.
    policy:
        ``fail`` or ``quarantine``: overrides the mapping's default policy.

    Returns
    -------
    QualityReport
        What was loaded and quarantined (counts by reason), and what this log can measure.

    Raises
    ------
    ImportFailed
        A problem whose policy is ``fail``, or a ticket id already in the store; the store
        is unchanged.
    """
    m = mapping if isinstance(mapping, Mapping) else load_mapping(mapping)
    if policy is not None:
        if policy not in ("fail", "quarantine"):
            raise RecorderError(f"policy {policy!r} is not fail or quarantine")
        m = m.model_copy(update={"policy": m.policy.model_copy(update={"default": policy})})
    log, report, issues = translate(Path(path), m, tickets_path=tickets_path)
    issues = pd.concat([x for x in (issues, implausible(log, m.quality, report)) if len(x)]
                       or [issues], ignore_index=True)
    kept = screen(log, report, m.policy.for_code, issues)
    return _guarded(engine, kept, report, by, str(path))


def import_eventlog(
    engine: Engine,
    log: EventLog,
    *,
    source: str = "eventlog",
    policy: TMapping[str, str] | None = None,
    default_policy: str = "fail",
    by: str | None = None,
    quality: QualitySpec | None = None,
) -> QualityReport:
    """Import a log already in the contract's format, keeping its seq and attempts; it is
    checked at the import level and against the quality window and field rules."""
    if default_policy not in ("fail", "quarantine"):
        raise RecorderError(f"policy {default_policy!r} is not fail or quarantine")
    codes = dict(policy or {})
    q = quality or QualitySpec()
    report = QualityReport(source=source, rows_read=len(log.events))
    if log.manifest and isinstance(log.manifest.get("time_zone"), str):
        report.time_zone = log.manifest["time_zone"]
    issues = [implausible(log, q, report), _text_issues(log, q)]
    for code in ("overlong_field", "control_characters"):
        n = sum(int((x["code"] == code).sum()) for x in issues if len(x))
        if n:
            report.count(code, rows=n, tickets=int(pd.concat(issues).query(
                "code == @code")["ticket_id"].nunique()), action="by the policy")
    found = pd.concat([x for x in issues if len(x)] or [issues[0]], ignore_index=True)

    def pol(c: str) -> str:
        return codes.get(c, "accept" if c in ("dst_gap", "dst_fold") else default_policy)

    kept = screen(log, report, pol, found)
    return _guarded(engine, kept, report, by, source)


def _text_issues(log: EventLog, q: QualitySpec) -> pd.DataFrame:
    from fcsim.recorder.rawfile import text_issues

    rows = []
    for table, cols in ((log.events, ["ticket_id", "resource"]),
                        (log.tickets, ["ticket_id", "category", "source", "department",
                                       "location", "content", "contact", "phone",
                                       "materials"])):
        frame = pd.DataFrame({c: table[c].astype(object).where(table[c].notna(), None)
                              .astype("string") for c in cols})
        for r, code, msg in text_issues(frame, cols, q.max_field_chars):
            rows.append((str(table["ticket_id"].iloc[r]), None, code, msg))
    return pd.DataFrame(rows, columns=list(ISSUE_COLUMNS))


def imports_manifest(conn: Connection) -> dict[str, Any] | None:
    """What the store's imports tell an export's manifest (``None`` without imports).

    ``measurability``: a clock or indicator is not measurable when any import says so (its
    reasons joined); ``synthesised``: the events imports made up, summed; ``time_zone``: the
    zone the imports' naive times were read in, when they agree.
    """
    rows = conn.execute(select(IMPORTS.c.iid, IMPORTS.c.report).order_by(IMPORTS.c.iid)).all()
    reports = [(iid, json.loads(r)) for iid, r in rows if r]
    if not reports:
        return None
    meas: dict[str, dict[str, Any]] = {}
    synth: dict[str, int] = {}
    zones = set()
    for iid, rep in reports:
        if rep.get("time_zone"):
            zones.add(rep["time_zone"])
        for k, v in (rep.get("synthesised") or {}).items():
            synth[k] = synth.get(k, 0) + int(v)
        for m in rep.get("measurable") or []:
            cur = meas.get(m["name"])
            if cur is None:
                meas[m["name"]] = {"kind": m["kind"], "measurable": bool(m["measurable"]),
                                   "reason": m["reason"]}
            elif not m["measurable"]:
                reason = m["reason"] if cur["measurable"] else (
                    f"{cur['reason']}; import {iid}: {m['reason']}")
                meas[m["name"]] = {"kind": m["kind"], "measurable": False, "reason": reason}
    out: dict[str, Any] = {"measurability": meas, "synthesised": synth}
    if len(zones) == 1:
        out["time_zone"] = zones.pop()
    return out
