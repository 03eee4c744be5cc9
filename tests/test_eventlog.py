"""The event-log contract: exact columns and dtypes, round trips, clear errors."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pandas as pd
import pytest

from fcsim.eventlog import (
    EVENT_COLUMNS,
    TICKET_COLUMNS,
    EventLog,
    EventLogError,
    read_log,
    to_pm4py,
    to_xes,
    write_log,
)
from fcsim.eventlog.io import format_timestamps

# The contract's columns (KPI.md), written out independently of fcsim.eventlog.schema.
CONTRACT_EVENTS = {
    "ticket_id": "category", "seq": "int32", "activity": "category",
    "started_at": "datetime64[ms, UTC]", "timestamp": "datetime64[ms, UTC]",
    "resource": "category", "role": "category", "attempt": "int16", "scenario": "category",
    "replication": "Int32", "schema_version": "int8",
}
CONTRACT_TICKETS = {
    "ticket_id": "category", "category": "category", "emergency": "boolean",
    "source": "category", "mode": "category", "booked_at": "datetime64[ms, UTC]",
    "appointment_at": "datetime64[ms, UTC]", "location": "string", "content": "string",
    "contact": "string", "phone": "string", "department": "category",
    "route_dispatch": "boolean", "route_site_visit": "boolean", "route_callback": "boolean",
    "satisfied": "boolean", "record_accurate": "boolean", "recognised_correctly": "boolean",
    "charge": "Float64", "charge_confirmed": "boolean", "materials": "string",
    "scenario": "category", "replication": "Int32", "schema_version": "int8",
}


@pytest.fixture
def observed(kpi_examples: Path) -> EventLog:
    return read_log(kpi_examples / "observed-day")


def test_columns_and_dtypes_are_the_contract(observed: EventLog) -> None:
    assert list(EVENT_COLUMNS) == list(CONTRACT_EVENTS)
    assert list(TICKET_COLUMNS) == list(CONTRACT_TICKETS)
    assert {c: str(t) for c, t in observed.events.dtypes.items()} == CONTRACT_EVENTS
    got = {c: str(t) for c, t in observed.tickets.dtypes.items()}
    assert got == CONTRACT_TICKETS
    # strings never depend on pyarrow being installed
    assert observed.tickets["location"].dtype == pd.StringDtype("python")


def test_reads_the_test_vector(observed: EventLog) -> None:
    ev = observed.events
    assert len(ev) == 177 and len(observed.tickets) == 13
    t1 = ev[ev["ticket_id"] == "T01"]
    assert t1["activity"].iloc[0] == "received"
    assert t1["timestamp"].iloc[0] == pd.Timestamp("2026-03-02T08:00:00Z")
    t6 = ev[(ev["ticket_id"] == "T06") & (ev["attempt"] == 2)]
    assert t6["activity"].iloc[0] == "recorded" and len(t6) == 14
    t07 = observed.tickets.set_index("ticket_id").loc["T07"]
    assert t07["appointment_at"] == pd.Timestamp("2026-03-02T18:00:00Z")
    assert t07["mode"] == "appointment" and bool(t07["route_callback"]) is True
    assert pd.isna(observed.tickets.set_index("ticket_id").loc["T03", "satisfied"])


@pytest.mark.parametrize("fmt", ["csv", "csv.gz", "parquet"])
def test_round_trip_is_exact(observed: EventLog, tmp_path: Path, fmt: str) -> None:
    write_log(observed, tmp_path / "a", fmt=fmt)  # type: ignore[arg-type]
    back = read_log(tmp_path / "a")
    assert back.equals(observed)
    pd.testing.assert_frame_equal(back.events, observed.events)
    pd.testing.assert_frame_equal(back.tickets, observed.tickets)


def test_gzip_output_is_byte_identical_and_timestamp_free(observed: EventLog, tmp_path: Path) -> None:
    write_log(observed, tmp_path / "a")
    write_log(read_log(tmp_path / "a"), tmp_path / "b")
    for name in ("events.csv.gz", "tickets.csv.gz"):
        a, b = (tmp_path / "a" / name).read_bytes(), (tmp_path / "b" / name).read_bytes()
        assert hashlib.sha256(a).digest() == hashlib.sha256(b).digest()
        assert a[4:8] == b"\x00\x00\x00\x00", "gzip MTIME must be zero"
        assert a[3] & 0x08 == 0, "no file name in the gzip header"
        gzip.decompress(a)


def test_offsets_are_converted_to_utc(tmp_path: Path, observed: EventLog) -> None:
    d = tmp_path / "off"
    write_log(observed, d, fmt="csv")
    text = (d / "events.csv").read_text().replace(
        "T01,0,received,,2026-03-02T08:00:00+00:00", "T01,0,received,,2026-03-02T16:00:00+08:00")
    (d / "events.csv").write_text(text)
    back = read_log(d)
    assert back.events.loc[0, "timestamp"] == pd.Timestamp("2026-03-02T08:00:00Z")


def test_millisecond_timestamps_survive() -> None:
    s = pd.Series(pd.to_datetime(["2026-03-02T08:00:00.250Z", None])).astype("datetime64[ms, UTC]")
    assert list(format_timestamps(s)) == ["2026-03-02T08:00:00.250+00:00", ""]


def _rewrite(tmp_path: Path, observed: EventLog, table: str, old: str, new: str) -> Path:
    d = tmp_path / "bad"
    write_log(observed, d, fmt="csv")
    p = d / f"{table}.csv"
    text = p.read_text()
    assert old in text
    p.write_text(text.replace(old, new, 1))
    return d


@pytest.mark.parametrize(
    ("table", "old", "new", "message"),
    [
        ("events", "T01,0,received,", "T01,0,arrivedd,", r"events\.csv.*events\.activity, row 0: unknown value 'arrivedd'"),
        ("events", "T01,0,received,,2026-03-02T08:00:00+00:00", "T01,0,received,,2026-03-02 08:00:00",
         r"events\.timestamp, row 0: .*no UTC offset"),
        ("events", "T01,0,received,,2026-03-02T08:00:00+00:00", "T01,0,received,,yesterday+00:00",
         r"events\.timestamp.*not an ISO 8601"),
        ("events", "desk-1,desk,1,,,1", "desk-1,desk,0,,,1", r"row 0: attempt must be >= 1"),
        ("events", "desk-1,desk,1,,,1", "desk-1,desk,one,,,1", r"events\.attempt, row 0: 'one' is not an integer"),
        ("events", "T01,0,received", "T99,0,received", r"ticket_id 'T99' has no row in tickets"),
        ("tickets", "T01,engineering,False", "T01,engineering,maybe", r"tickets\.emergency, row 0: 'maybe'"),
        ("tickets", "T02,engineering", "T01,engineering", r"tickets, row 1: ticket_id 'T01' repeats"),
        ("tickets", "customer_call,immediate", "customer_call,someday", r"mode 'someday'"),
        ("events", "desk-1,desk,1,,,1", "desk-1,desk,1,,,2", r"schema_version 2 is not supported"),
    ],
)
def test_bad_input_names_file_row_and_field(
    tmp_path: Path, observed: EventLog, table: str, old: str, new: str, message: str
) -> None:
    d = _rewrite(tmp_path, observed, table, old, new)
    with pytest.raises(EventLogError, match=message):
        read_log(d)


def test_missing_column_is_named(tmp_path: Path, observed: EventLog) -> None:
    d = tmp_path / "m"
    write_log(observed, d, fmt="csv")
    df = pd.read_csv(d / "events.csv").drop(columns=["attempt"])
    df.to_csv(d / "events.csv", index=False)
    with pytest.raises(EventLogError, match=r"events: missing column\(s\) attempt"):
        read_log(d)


def test_to_pm4py_uses_standard_names_without_pm4py(observed: EventLog) -> None:
    df = to_pm4py(observed)
    for col in ("case:concept:name", "concept:name", "time:timestamp", "start_timestamp",
                "org:resource", "case:category", "case:emergency"):
        assert col in df.columns
    assert len(df) == len(observed.events)
    first = df[df["case:concept:name"] == "T06"]
    assert list(first["concept:name"].iloc[:2]) == ["received", "recorded"]
    assert first["time:timestamp"].is_monotonic_increasing
    assert "pm4py" not in __import__("sys").modules


def test_xes_export(observed: EventLog, tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    p = to_xes(observed, tmp_path / "log.xes")
    root = ET.parse(p).getroot()
    ns = {"x": "http://www.xes-standard.org/"}
    traces = root.findall("x:trace", ns)
    assert len(traces) == 13
    assert sum(len(t.findall("x:event", ns)) for t in traces) == 177


def test_fixed_categories_keep_the_procedure_order() -> None:
    from fcsim.datasets import example_log
    from fcsim.eventlog.schema import ACTIVITY_DTYPE

    log = example_log()  # every activity present: categories must still be in Activity order
    cats = list(log.events["activity"].cat.categories)
    assert cats == list(ACTIVITY_DTYPE.categories) and cats[0] == "received"
    first = log.sorted_events().iloc[0]
    assert first["activity"] == "received"
