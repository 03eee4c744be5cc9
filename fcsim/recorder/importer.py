"""Import of other systems' exports (CSV or Excel) and of standard fcsim logs into the store.

The pipeline: read the source through the mapping (:mod:`fcsim.recorder.translate`), check
every ticket against the lifecycle (:func:`fcsim.eventlog.lifecycle_check.validate_log`), apply
the mapping's policy per violation code (fail the import, or quarantine the ticket into the
report), then write everything in ONE transaction: the import lands whole or not at all.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping as TMapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, Table, insert, select, update

from fcsim.eventlog import EventLog
from fcsim.recorder.checks import RecorderError
from fcsim.recorder.mapping import Mapping, load_mapping
from fcsim.recorder.quality import QualityReport, Quarantined, measurability
from fcsim.recorder.store import (
    EVENTS,
    IMPORTS,
    QUARANTINE,
    TICKETS,
    insert_row,
    now_ms,
    write_transaction,
)
from fcsim.recorder.translate import translate

__all__ = ["ImportFailed", "import_eventlog", "import_file", "screen", "write_log"]

logger = logging.getLogger(__name__)


class ImportFailed(RecorderError):
    """An import was refused; the store is unchanged. ``report`` says what was found."""

    def __init__(self, message: str, report: QualityReport) -> None:
        super().__init__(message)
        self.report = report


def screen(
    log: EventLog,
    report: QualityReport,
    policy: Any,
) -> EventLog:
    """Check the log against the lifecycle and apply the policy per violation code.

    ``policy(code) -> "fail" | "quarantine"``. Raises :class:`ImportFailed` when any violation's
    policy is ``fail``; otherwise returns the log without the quarantined tickets and records
    them in ``report``.
    """
    from fcsim.eventlog.lifecycle_check import validate_log

    viol = validate_log(log)
    if len(viol) == 0:
        return log
    viol = viol.assign(policy=[policy(str(c)) for c in viol["code"]])
    failing = viol[viol["policy"] == "fail"]
    if len(failing):
        counts = failing.groupby("code", observed=True)["ticket_id"].nunique()
        first = failing.iloc[0]
        msg = (
            f"{report.source}: import refused, the store is unchanged: "
            + ", ".join(f"{n} ticket(s) with {c}" for c, n in counts.items())
            + f" (policy fail). First: ticket {first['ticket_id']} seq {first['seq']}: "
            + f"{first['message']}"
        )
        report.quarantined = _quarantine_rows(failing)
        raise ImportFailed(msg, report)
    report.quarantined = _quarantine_rows(viol)
    bad = set(viol["ticket_id"].astype(str))
    keep_t = ~log.tickets["ticket_id"].astype(str).isin(bad)
    keep_e = ~log.events["ticket_id"].astype(str).isin(bad)
    return EventLog.from_frames(log.events[keep_e.to_numpy()], log.tickets[keep_t.to_numpy()])


def _quarantine_rows(viol: pd.DataFrame) -> list[Quarantined]:
    out = []
    for tid, seq, code, message in viol[["ticket_id", "seq", "code", "message"]].itertuples(
        index=False
    ):
        s = None if seq is None or pd.isna(seq) else int(seq)
        out.append(Quarantined(str(tid), s, str(code), str(message)))
    return out


def _ms(values: pd.Series) -> list[int | None]:
    arr = values.to_numpy(dtype="datetime64[ms]", na_value=np.datetime64("NaT"))
    ints = arr.astype("int64")
    nat = np.isnat(arr)
    return [None if n else int(i) for i, n in zip(ints, nat, strict=True)]


def _objects(values: pd.Series) -> list[Any]:
    return [None if v is pd.NA or v is None or (isinstance(v, float) and v != v) else v
            for v in values.astype(object)]


def write_log(
    conn: Connection, log: EventLog, import_id: int, *, by: str | None, written_at: int
) -> None:
    """Insert a canonical log's tickets and events (in their row order) inside ``conn``."""
    tk = log.tickets
    existing = {r[0] for r in conn.execute(select(TICKETS.c.ticket_id))}
    ids = [str(t) for t in tk["ticket_id"].astype(object)]
    clash = [t for t in ids if t in existing]
    if clash:
        raise RecorderError(
            f"{len(clash)} ticket id(s) already in the store (first: {clash[0]!r}); "
            "an import never overwrites tickets"
        )
    cols: dict[str, list[Any]] = {"ticket_id": ids}
    for c in tk.columns:
        if c in ("ticket_id", "schema_version"):
            continue
        cols[c] = _ms(tk[c]) if c in ("booked_at", "appointment_at") else _objects(tk[c])
    cols.update(voided=[False] * len(ids), opened_by=[by] * len(ids),
                written_at=[written_at] * len(ids), import_id=[import_id] * len(ids))
    _bulk_insert(conn, TICKETS, cols)
    tid_of = dict(
        conn.execute(
            select(TICKETS.c.ticket_id, TICKETS.c.tid).where(TICKETS.c.import_id == import_id)
        ).all()
    )
    ev = log.events
    ecols: dict[str, list[Any]] = {
        "tid": [tid_of[str(t)] for t in ev["ticket_id"].astype(object)],
        "seq": [int(s) for s in ev["seq"]],
        "activity": _objects(ev["activity"]),
        "started_at": _ms(ev["started_at"]),
        "timestamp": _ms(ev["timestamp"]),
        "resource": _objects(ev["resource"]),
        "role": _objects(ev["role"]),
        "attempt": [int(a) for a in ev["attempt"]],
        "scenario": _objects(ev["scenario"]),
        "replication": _objects(ev["replication"]),
    }
    n = len(ev)
    ecols.update(written_by=[by] * n, written_at=[written_at] * n, import_id=[import_id] * n)
    _bulk_insert(conn, EVENTS, ecols)


def _bulk_insert(conn: Connection, table: Table, cols: dict[str, list[Any]]) -> None:
    """executemany straight through the DBAPI (values are already plain Python)."""
    names = list(cols)
    if not names or not cols[names[0]]:
        return
    style = conn.dialect.paramstyle
    mark = {"qmark": "?", "format": "%s", "pyformat": "%s"}.get(style)
    if mark is None:  # pragma: no cover - other drivers: the generic (slower) path
        rows = [dict(zip(names, r, strict=True)) for r in zip(*cols.values(), strict=True)]
        conn.execute(table.insert(), rows)
        return
    prep = conn.dialect.identifier_preparer
    sql = (f"INSERT INTO {prep.format_table(table)} "
           f"({', '.join(prep.quote(c) for c in names)}) "
           f"VALUES ({', '.join([mark] * len(names))})")
    conn.exec_driver_sql(sql, list(zip(*cols.values(), strict=True)))


def _store(
    engine: Engine, log: EventLog, report: QualityReport, by: str | None
) -> QualityReport:
    report.tickets_loaded = len(log.tickets)
    report.events_loaded = len(log.events)
    report.measurable = measurability(log, synthesised=report.synthesised)
    written_at = now_ms()
    with write_transaction(engine) as conn:
        iid = insert_row(
            conn, IMPORTS, source=report.source, mapping=report.mapping,
            n_tickets=report.tickets_loaded, n_events=report.events_loaded,
            n_quarantined=len(report.quarantined_tickets), report=None, written_at=written_at,
        )
        report.import_id = iid
        write_log(conn, log, report.import_id, by=by, written_at=written_at)
        if report.quarantined:
            conn.execute(insert(QUARANTINE), [
                {"import_id": iid, "ticket_id": q.ticket_id, "seq": q.seq, "code": q.code,
                 "message": q.message} for q in report.quarantined
            ])
        conn.execute(update(IMPORTS).where(IMPORTS.c.iid == iid)
                     .values(report=json.dumps(report.to_dict(), default=str)))
    logger.info("import %s: %d tickets, %d events, %d quarantined", report.source,
                report.tickets_loaded, report.events_loaded, len(report.quarantined_tickets))
    return report


def import_file(
    engine: Engine,
    path: str | Path,
    mapping: Mapping | str | Path,
    *,
    tickets_path: str | Path | None = None,
    by: str | None = None,
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

    Returns
    -------
    QualityReport
        What was loaded and quarantined, and what this log can measure.

    Raises
    ------
    ImportFailed
        A violation whose policy is ``fail``, or a ticket id already in the store; the store
        is unchanged.
    """
    m = mapping if isinstance(mapping, Mapping) else load_mapping(mapping)
    log, report = translate(Path(path), m, tickets_path=tickets_path)
    kept = screen(log, report, m.policy.for_code)
    try:
        return _store(engine, kept, report, by)
    except RecorderError as exc:
        report.import_id = None
        raise ImportFailed(f"{path}: import refused, the store is unchanged: {exc}",
                           report) from None


def import_eventlog(
    engine: Engine,
    log: EventLog,
    *,
    source: str = "eventlog",
    policy: TMapping[str, str] | None = None,
    default_policy: str = "fail",
    by: str | None = None,
) -> QualityReport:
    """Import a log already in the contract's format, keeping its seq and attempts."""
    if default_policy not in ("fail", "quarantine"):
        raise RecorderError(f"policy {default_policy!r} is not fail or quarantine")
    codes = dict(policy or {})
    report = QualityReport(source=source, rows_read=len(log.events))
    kept = screen(log, report, lambda c: codes.get(c, default_policy))
    try:
        return _store(engine, kept, report, by)
    except RecorderError as exc:
        report.import_id = None
        raise ImportFailed(f"{source}: import refused, the store is unchanged: {exc}",
                           report) from None
