"""The fast import's vectorised rules against their slow, row-by-row definitions, and the bulk
path pinned by its statements (not by timings)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import event, text
from test_import import MAPPING, SOURCE, write

from fcsim.eventlog.frames import _to_boolean
from fcsim.eventlog.lifecycle_check import ticket_facts, validate_log
from fcsim.model.lifecycle import TicketFacts
from fcsim.recorder import Recorder
from fcsim.recorder.rawfile import CONTROL_CHARACTERS, text_issues
from fcsim.recorder.translate import _last_value

# --- ticket facts: one object per distinct combination, equal to the per-row rule ----------


def _slow_facts(tickets: pd.DataFrame) -> dict[str, TicketFacts]:
    """The per-row definition (null flag = false, null mode = immediate)."""

    def flag(v: object) -> bool:
        return False if v is None or pd.isna(v) else bool(v)

    out = {}
    for r in tickets.itertuples(index=False):
        rec = r.recognised_correctly
        out[str(r.ticket_id)] = TicketFacts(
            emergency=flag(r.emergency),
            mode="immediate" if r.mode is None or pd.isna(r.mode) else str(r.mode),
            route_dispatch=flag(r.route_dispatch), route_site_visit=flag(r.route_site_visit),
            route_callback=flag(r.route_callback),
            recognised_correctly=None if rec is None or pd.isna(rec) else bool(rec))
    return out


def test_ticket_facts_equal_the_per_row_rule_on_awkward_values() -> None:
    rng = np.random.default_rng(7)
    n = 400
    flags = [True, False, None]
    tickets = pd.DataFrame({
        "ticket_id": [f"T{k}" for k in range(n)],
        "emergency": pd.array(rng.choice(flags, n), dtype="boolean"),
        "mode": pd.Series(rng.choice(["immediate", "appointment", None], n), dtype=object),
        "route_dispatch": pd.Series(rng.choice(flags, n), dtype=object),  # Python objects
        "route_site_visit": pd.array(rng.choice(flags, n), dtype="boolean"),
        "route_callback": pd.Series(rng.choice([1.0, 0.0, np.nan], n)),  # floats, NaN
        "recognised_correctly": pd.array(rng.choice(flags, n), dtype="boolean"),
    })
    fast, slow = ticket_facts(tickets), _slow_facts(tickets)
    assert list(fast) == list(slow)
    assert all(fast[k] == slow[k] for k in slow)
    # distinct combinations share one object
    assert len({id(f) for f in fast.values()}) == len(set(slow.values()))
    assert ticket_facts(tickets.iloc[:0]) == {}


def test_validate_log_same_violations_whatever_the_ticket_id_dtype() -> None:
    """Sorted categorical ids take the codes as sort keys; unsorted categories, or plain
    strings, go through the ids themselves: the same violations, in the same order."""
    from fcsim.eventlog import EventLog

    ts = pd.Timestamp("2026-03-02 08:00", tz="UTC")
    rows = []
    for tid, acts in (("B", ["received", "dispatched"]),  # dispatched before recorded
                      ("A", ["received", "recorded", "classified"]),
                      ("C", ["closed"])):  # no receipt
        for k, a in enumerate(acts):
            rows.append({"ticket_id": tid, "seq": k, "activity": a,
                         "timestamp": ts + pd.Timedelta(minutes=k)})
    ev = pd.DataFrame(rows).assign(resource=None, role=None, attempt=1, scenario=None,
                                   replication=None)
    ev["started_at"] = pd.Series(pd.NaT, index=ev.index, dtype="datetime64[ms, UTC]")
    from fcsim.eventlog.schema import TICKET_COLUMNS

    tk = pd.DataFrame({c: None for c in TICKET_COLUMNS if c != "schema_version"},
                      index=range(3))
    tk = tk.assign(ticket_id=["A", "B", "C"], category="engineering", emergency=False,
                   mode="immediate", route_dispatch=True, route_site_visit=False,
                   route_callback=False)
    base = EventLog.from_frames(ev, tk)
    want = validate_log(base)
    assert len(want) > 0 and list(want["ticket_id"]) == sorted(want["ticket_id"])
    shuffled = base.events.assign(ticket_id=base.events["ticket_id"].cat.reorder_categories(
        ["C", "A", "B"]))
    for events in (shuffled, base.events.assign(ticket_id=base.events["ticket_id"].astype(str))):
        got = validate_log(EventLog(events, base.tickets))
        pd.testing.assert_frame_equal(got, want)


# --- booleans -----------------------------------------------------------------------------


@pytest.mark.parametrize("values", [
    [None, None], [np.nan, None], [True, None, False], [True, np.nan], [pd.NA, True],
    [np.True_, None, np.False_], ["yes", None, "FALSE "],
])
def test_to_boolean_fast_paths_equal_the_text_path(values: list[object]) -> None:
    s = pd.Series(values, dtype=object)
    as_text = pd.Series([None if v is None or v is pd.NA or (isinstance(v, float) and
                                                              np.isnan(v)) else str(v)
                         for v in values], dtype=object)
    got = _to_boolean(s, where="t.x")
    assert str(got.dtype) == "boolean"
    assert got.tolist() == _to_boolean(as_text, where="t.x").tolist()


# --- text checks once per distinct value --------------------------------------------------


def test_text_issues_spread_the_verdicts_of_distinct_values_to_every_row() -> None:
    df = pd.DataFrame({
        "a": ["ok", "x" * 6, "ok", None, "x" * 6, "bell\x07", "ok"],
        "b": ["tab\tand\nnewline", "esc\x1b", None, "esc\x1b", "fine", "fine", "\x7f"],
    }, dtype=object)
    got = text_issues(df, ["a", "b", "a"], max_chars=5)
    long_a = ("overlong_field", "column 'a' holds 6 characters (more than [quality] "
                                "max_field_chars = 5)")
    want = [
        (1, *long_a), (4, *long_a),  # "bell\x07" has 5 characters: not over-long
        (5, "control_characters", "column 'a' holds the control character U+0007"),
        (0, "overlong_field", "column 'b' holds 15 characters (more than [quality] "
                              "max_field_chars = 5)"),  # tab and newline are text
        (1, "control_characters", "column 'b' holds the control character U+001B"),
        (3, "control_characters", "column 'b' holds the control character U+001B"),
        (6, "control_characters", "column 'b' holds the control character U+007F"),
    ]
    assert got == want
    # the row-by-row definition finds the same (row, code) pairs
    slow = []
    for col in ("a", "b"):
        vals = df[col].fillna("").tolist()
        slow += [(r, "overlong_field") for r, v in enumerate(vals) if len(v) > 5]
        slow += [(r, "control_characters") for r, v in enumerate(vals)
                 if CONTROL_CHARACTERS.search(v)]
    assert [(r, c) for r, c, _ in got] == slow


# --- the last non-empty value per case ------------------------------------------------------


def test_last_value_per_case_skips_rows_with_an_empty_part() -> None:
    raw = pd.DataFrame({
        "case": ["A", "B", "A", "A", "C", "B"],
        "x": ["a1", "b1", "a2", None, None, "b2"],
        "y": ["p", "q", "r", "s", "t", None],
    }, dtype=object)
    codes, names = pd.factorize(raw["case"])
    one = _last_value(raw, "x", codes, names)
    assert one.to_dict() == {"A": "a2", "B": "b2"}  # C has no x at all
    two = _last_value(raw, ["x", "y"], codes, names)
    assert two.to_dict() == {"A": "a2 / r", "B": "b1 / q"}  # B's last row lacks y


# --- the bulk path --------------------------------------------------------------------------


def _traced_import(tmp: Path, source: str) -> tuple[list[str], list[str], object, Recorder]:
    """Import ``source``; the statements SQLAlchemy sent, those SQLite ran, the report."""
    rec = Recorder(f"sqlite:///{tmp / 's.sqlite'}")
    rec.engine.dispose()
    sent: list[str] = []
    ran: list[str] = []

    @event.listens_for(rec.engine, "connect")
    def _trace(dbapi_conn, _record):
        dbapi_conn.set_trace_callback(ran.append)

    @event.listens_for(rec.engine, "before_cursor_execute")
    def _count(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    m = write(tmp, MAPPING.format(policy="quarantine"), "m.toml")
    report = rec.import_log(write(tmp, source, "s.csv"), m, by="clerk")
    return sent, ran, report, rec


def _rows_per_insert(ran: list[str], table: str) -> list[int]:
    """The rows of each INSERT into ``table`` that SQLite ran (values hold no "),(")."""
    return [x.count("),(") + 1 for x in ran if x.startswith(f"INSERT INTO {table} ")]


def test_import_statements_do_not_grow_with_the_rows(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The bulk path: as many statements through SQLAlchemy for 2 tickets as for 40; SQLite
    runs inserts of up to ``_ROWS_PER`` rows each (here 16), all full but the last, every
    row once; the row constants are stored."""
    from fcsim.recorder import importer

    monkeypatch.setattr(importer, "_ROWS_PER", 16)
    more = "".join(f"X{k},Start,2026-03-02 10:{k:02d}:00,d1,engineering\n"
                   f"X{k},Close,2026-03-02 10:{k:02d}:30,d1,engineering\n" for k in range(38))
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    sent_small, ran_small, small, rec_s = _traced_import(tmp_path / "a", SOURCE)
    sent_big, ran_big, big, rec_b = _traced_import(tmp_path / "b", SOURCE + more)
    try:
        assert (small.tickets_loaded, big.tickets_loaded) == (2, 40)
        assert len(sent_small) == len(sent_big)
        for ran, rep in ((ran_small, small), (ran_big, big)):
            for table, n in (("events", rep.events_loaded), ("tickets", rep.tickets_loaded)):
                per = _rows_per_insert(ran, table)
                assert sum(per) == n
                assert per == [16] * (n // 16) + ([n % 16] if n % 16 else [])
        with rec_b.engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT written_by, import_id, started_at, scenario, replication FROM events"
            )).all()
            tick = conn.execute(text(
                "SELECT opened_by, import_id, voided, booked_at, emergency FROM tickets")).all()
        assert len(rows) == big.events_loaded
        assert set(rows) == {("clerk", big.import_id, None, None, None)}
        assert set(tick) == {("clerk", big.import_id, 0, None, 0)}  # emergency = false
    finally:
        rec_s.close_connections()
        rec_b.close_connections()


# --- validate_log's variant table: rows grouped as np.unique(axis=0) groups them -------------


def test_row_codes_group_rows_as_numpy_unique_does() -> None:
    from fcsim.eventlog.lifecycle_check import _row_codes

    rng = np.random.default_rng(7)
    base = rng.integers(-1, 4, size=(40, 9))  # few values: many equal rows once repeated
    base[:, 0] = rng.integers(0, 2**40, size=40)  # a wide column too (no overflow)
    table = base[rng.integers(0, 40, size=500)]
    got = _row_codes(table)
    _, want = np.unique(table, axis=0, return_inverse=True)
    want = np.ravel(want)
    # the same partition: a code per distinct row, one-to-one with numpy's
    pairs = set(zip(got.tolist(), want.tolist(), strict=True))
    assert len(pairs) == len(set(got.tolist())) == len(set(want.tolist())) == len(
        np.unique(table, axis=0))
    assert len(_row_codes(table[:0])) == 0


@pytest.mark.parametrize("as_category", [False, True])
def test_activity_codes_equal_the_categorical_lookup(as_category: bool) -> None:
    from fcsim.eventlog.lifecycle_check import _ACTS, _activity_codes

    values = pd.Series(["closed", None, "no_such", "received", "closed", "dispatched"],
                       dtype=object)
    if as_category:
        values = values.astype("category")
    want = [_ACTS.index(v) if isinstance(v, str) and v in _ACTS else -1
            for v in values.astype(object)]
    assert _activity_codes(values).tolist() == want
    assert _ACTS[_activity_codes(values)[0]] == "closed"


def test_joined_columns_are_null_where_a_part_is_and_keep_the_index() -> None:
    from fcsim.recorder.translate import _joined

    df = pd.DataFrame({"x": ["a", None, "c", "d"], "y": ["p", "q", None, "s"]},
                      index=[5, 6, 7, 8], dtype=object)
    got = _joined(df, ["x", "y"])
    assert got.index.tolist() == [5, 6, 7, 8]
    assert got.tolist() == ["a / p", None, None, "d / s"]
    assert _joined(df, "x").tolist() == ["a", None, "c", "d"]


def test_lex_order_and_pair_duplicates_equal_their_definitions() -> None:
    from fcsim.eventlog.lifecycle_check import _lex_order, _pair_duplicated

    rng = np.random.default_rng(3)
    for n in (0, 1, 2, 50, 400):
        tid, ts, seq = (rng.integers(0, 6, n), rng.integers(0, 4, n), rng.integers(-2, 3, n))
        want = np.lexsort((seq, ts, tid))
        assert _lex_order(seq, ts, tid).tolist() == want.tolist()
        s_tid, s_ts, s_seq = tid[want], ts[want], seq[want]  # sorted: the shortcut
        assert _lex_order(s_seq, s_ts, s_tid).tolist() == list(range(n))
        seen: set[tuple[int, int]] = set()
        dup = []
        for pair in zip(tid.tolist(), seq.tolist(), strict=True):
            dup.append(pair in seen)
            seen.add(pair)
        assert _pair_duplicated(tid, seq).tolist() == dup
        wide = seq * 2**40  # the span too wide for one integer per pair: folded codes
        assert _pair_duplicated(tid * 2**40, wide).tolist() == dup


@pytest.mark.parametrize("values", [[None, None, None], [np.nan, None, pd.NA], []])
def test_an_empty_timestamp_column_is_all_missing_in_the_contract_dtype(values: list) -> None:
    from fcsim.eventlog.frames import to_timestamps
    from fcsim.eventlog.schema import TIMESTAMP_DTYPE

    s = pd.Series(values, index=range(10, 10 + len(values)), dtype=object)
    got = to_timestamps(s, where="tickets.booked_at")
    assert got.dtype == TIMESTAMP_DTYPE
    assert got.index.tolist() == s.index.tolist()
    assert got.isna().all()
