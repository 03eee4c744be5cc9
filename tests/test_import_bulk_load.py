"""The bulk load of an import into a store without tickets (foreign keys checked once before
the commit, the event index built after the rows): the same schema and rows as the row-checked
path, a foreign-key violation or any failure after the rows still refuses the whole import and
leaves the store as it was."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from test_import import MAPPING, SOURCE, write

from fcsim.recorder import ImportFailed, Recorder, importer
from fcsim.recorder.quality import QualityReport
from fcsim.recorder.store import dump

MORE = "".join(f"X{k},Start,2026-03-02 10:{k:02d}:00,d1,engineering\n"
               f"X{k},Close,2026-03-02 10:{k:02d}:30,d1,engineering\n" for k in range(12))


def _schema(db: Path) -> list[tuple[Any, ...]]:
    """The store's schema as SQLite keeps it (``sqlite_master`` by name, no page numbers)."""
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master "
                           "ORDER BY name").fetchall()
    finally:
        con.close()


def _import(tmp: Path, monkeypatch: pytest.MonkeyPatch, *, bulk: bool) -> tuple[Recorder, list]:
    """Import SOURCE + MORE into a new store by the bulk load or the row-checked path; the
    statements SQLite ran."""
    monkeypatch.setattr(importer, "now_ms", lambda: 1_767_225_600_000)
    if not bulk:  # the path of a store that already holds tickets
        monkeypatch.setattr(importer, "_has_tickets", lambda engine: True)
    rec = Recorder(f"sqlite:///{tmp / 's.sqlite'}")
    rec.engine.dispose()
    ran: list[str] = []

    @event.listens_for(rec.engine, "connect")
    def _trace(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.set_trace_callback(ran.append)

    m = write(tmp, MAPPING.format(policy="quarantine"), "m.toml")
    rec.import_log(write(tmp, SOURCE + MORE, "s.csv"), m, by="clerk")
    monkeypatch.undo()
    return rec, ran


def test_bulk_load_gives_the_schema_and_rows_of_the_row_checked_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "bulk").mkdir()
    (tmp_path / "rows").mkdir()
    bulk, ran_bulk = _import(tmp_path / "bulk", monkeypatch, bulk=True)
    rows, ran_rows = _import(tmp_path / "rows", monkeypatch, bulk=False)
    try:
        # the two paths really differ: the index dropped and rebuilt, keys checked at the end
        assert 'DROP INDEX "ix_events_tid"' in ran_bulk
        assert "CREATE INDEX ix_events_tid ON events (tid)" in ran_bulk
        assert "PRAGMA foreign_key_check(events)" in ran_bulk
        assert not any("DROP INDEX" in s or "foreign_key_check" in s for s in ran_rows)
        assert _schema(tmp_path / "bulk" / "s.sqlite") == _schema(tmp_path / "rows" / "s.sqlite")
        got, want = dump(bulk.engine), dump(rows.engine)
        assert len(got["tickets"]) == 14 and len(got["events"]) > 28
        # the same rows (the import's row names its own source file)
        assert {k: v for k, v in got.items() if k != "imports"} == {
            k: v for k, v in want.items() if k != "imports"}
        assert repr(got["imports"]).replace(str(tmp_path / "bulk"), "DIR") == repr(
            want["imports"]).replace(str(tmp_path / "rows"), "DIR")
        # the connection goes back to the pool with its foreign keys enforced
        with bulk.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
    finally:
        bulk.close_connections()
        rows.close_connections()


def _refused(tmp: Path) -> tuple[Recorder, Path, dict, list]:
    """A store holding a site setting only (no tickets: the bulk load applies)."""
    db = tmp / "s.sqlite"
    rec = Recorder(f"sqlite:///{db}")
    rec.set_site(time_zone="Asia/Hong_Kong", by="lead")
    return rec, write(tmp, MAPPING.format(policy="quarantine"), "m.toml"), dump(rec.engine), \
        _schema(db)


def test_a_foreign_key_violation_in_the_bulk_load_refuses_the_import(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rec, m, before, schema = _refused(tmp_path)
    real = importer._ticket_keys

    def wrong_keys(conn: Any, import_id: int) -> list[tuple[str, int]]:
        return [(k, t + 1000) for k, t in real(conn, import_id)]  # tickets that do not exist

    monkeypatch.setattr(importer, "_next_keys", lambda conn, n: None)  # keys read back
    monkeypatch.setattr(importer, "_ticket_keys", wrong_keys)
    try:
        with pytest.raises(ImportFailed, match=r"refer to rows that do not exist .*unchanged|"
                                               r"unchanged.*refer to rows that do not exist"):
            rec.import_log(write(tmp_path, SOURCE + MORE, "s.csv"), m)
        assert dump(rec.engine) == before
        assert _schema(tmp_path / "s.sqlite") == schema
        with rec.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
    finally:
        rec.close_connections()


def test_a_failure_after_the_bulk_rows_leaves_the_store_as_it_was(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rec, m, before, schema = _refused(tmp_path)
    wrote: list[int] = []
    real = importer.write_log

    def then_fail(*args: Any, **kw: Any) -> None:
        real(*args, **kw)
        wrote.append(1)

    def broken(self: QualityReport) -> dict:
        raise OSError("disk gone")  # after the rows and before the commit

    monkeypatch.setattr(importer, "write_log", then_fail)
    monkeypatch.setattr(QualityReport, "to_dict", broken)
    try:
        with pytest.raises(OSError, match="disk gone"):
            rec.import_log(write(tmp_path, SOURCE + MORE, "s.csv"), m)
        assert wrote == [1]
        assert dump(rec.engine) == before  # no import row, ticket or event
        assert _schema(tmp_path / "s.sqlite") == schema  # the event index is back
    finally:
        rec.close_connections()


def _two_imports(tmp: Path, monkeypatch: pytest.MonkeyPatch, *, read_back: bool) -> dict:
    monkeypatch.setattr(importer, "now_ms", lambda: 1_767_225_600_000)
    if read_back:  # SQLite picks the keys; the importer reads them back
        monkeypatch.setattr(importer, "_next_keys", lambda conn, n: None)
    rec = Recorder(f"sqlite:///{tmp / 's.sqlite'}")
    try:
        m = write(tmp, MAPPING.format(policy="quarantine"), "m.toml")
        rec.import_log(write(tmp, SOURCE, "a.csv"), m, by="clerk")
        rec.import_log(write(tmp, "case,act,when,who,cat\n" + MORE, "b.csv"), m, by="clerk")
        return {k: v for k, v in dump(rec.engine).items() if k != "imports"}
    finally:
        rec.close_connections()
        monkeypatch.undo()


def test_ticket_keys_given_are_the_ones_sqlite_gives(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "given").mkdir()
    (tmp_path / "read").mkdir()
    given = _two_imports(tmp_path / "given", monkeypatch, read_back=False)
    read = _two_imports(tmp_path / "read", monkeypatch, read_back=True)
    assert [r[0] for r in given["tickets"]] == list(range(1, 15))  # 2, then 12 more
    assert given == read
