"""Import of other systems' logs: the mapping, tie order, keep rules, synthesised receipt,
per-violation policy, one-transaction imports, the quality report, and the shipped mappings
of the two real logs."""

from __future__ import annotations

import importlib.util
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from conftest import need
from pg import pg_server, store_url  # noqa: F401

from fcsim.eventlog.lifecycle_check import validate_log
from fcsim.recorder import ImportFailed, MappingError, Recorder, load_mapping
from fcsim.recorder.store import dump

# Naive local times in Hong Kong (+08:00). Rows are deliberately out of order.
SOURCE = """\
case,act,when,who,cat
A,Start,2026-03-02 08:00:10,d1,engineering
A,Note,2026-03-02 08:00:00,d1,engineering
A,Dispatch,2026-03-02 08:01:00,d1,engineering
A,Classify,2026-03-02 08:00:30,d1,engineering
A,Close,2026-03-02 08:05:00,d1,engineering
A,Close,2026-03-02 08:06:00,d9,engineering
B,Close,2026-03-02 09:00:00,d2,consultation
B,Classify,2026-03-02 09:00:00,d2,consultation
B,Open,2026-03-02 09:00:00,d2,consultation
"""
# C is dispatched without being classified: missing_prerequisite.
BAD = "C,Start,2026-03-02 10:00:10,d1,engineering\nC,Dispatch,2026-03-02 10:01:00,d1,engineering\n"

MAPPING = """\
name = "tiny"
synthesise_received = "first_event"
ignore = ["Note"]

[source]
timestamp_format = "%Y-%m-%d %H:%M:%S"
timezone = "Asia/Hong_Kong"

[columns]
ticket_id = "case"
activity = "act"
timestamp = "when"
resource = "who"

[activities]
Start = "recorded"
Open = ["received", "recorded"]
Classify = "classified"
Dispatch = "dispatched"
Close = "closed"

[keep]
closed = "first"

[tickets.columns]
category = "cat"

[tickets.constants]
emergency = false
mode = "immediate"

[policy]
default = "{policy}"
"""


def write(tmp: Path, text: str, name: str) -> Path:
    p = tmp / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


@pytest.fixture
def rec(store_url: str) -> Recorder:  # noqa: F811
    r = Recorder(store_url)
    yield r
    r.close_connections()


def utc(hms: str) -> pd.Timestamp:
    return pd.Timestamp(f"2026-03-02T{hms}+00:00")


def test_mapping_translates_hand_worked_example(rec: Recorder, tmp_path: Path) -> None:
    src = write(tmp_path, SOURCE, "log.csv")
    m = write(tmp_path, MAPPING.format(policy="fail"), "tiny.toml")
    report = rec.import_log(src, m)
    ev = rec.export().events
    got = [(str(t), s, str(a), ts, None if pd.isna(r) else str(r))
           for t, s, a, ts, r in ev[["ticket_id", "seq", "activity", "timestamp", "resource"]]
           .itertuples(index=False)]
    assert got == [
        # A: received synthesised at its first source row (the ignored Note, 08:00 HKT)
        ("A", 0, "received", utc("00:00:00"), None),
        ("A", 1, "recorded", utc("00:00:10"), "d1"),
        ("A", 2, "classified", utc("00:00:30"), "d1"),
        ("A", 3, "dispatched", utc("00:01:00"), "d1"),
        ("A", 4, "closed", utc("00:05:00"), "d1"),  # the first Close is kept
        # B: three rows at one instant, put in tie (procedure) order, not file order
        ("B", 0, "received", utc("01:00:00"), "d2"),
        ("B", 1, "recorded", utc("01:00:00"), "d2"),
        ("B", 2, "classified", utc("01:00:00"), "d2"),
        ("B", 3, "closed", utc("01:00:00"), "d2"),
    ]
    tk = rec.export().tickets.set_index("ticket_id")
    assert tk.loc["A", "category"] == "engineering" and bool(tk.loc["A", "route_site_visit"])
    assert tk.loc["B", "category"] == "consultation" and not bool(tk.loc["B", "route_dispatch"])
    assert report.rows_read == 9
    assert report.ignored == {"Note": 1}
    assert report.dropped == {"closed": 1}
    assert report.synthesised == {"received": 1}
    assert (report.tickets_loaded, report.events_loaded) == (2, 9)
    assert report.quarantined == []
    meas = {x.name: x for x in report.measurable}
    assert not meas["record"].measurable and "synthesised" in meas["record"].reason
    assert meas["dispatch"].measurable
    assert not meas["satisfaction"].measurable and not meas["plan"].measurable
    assert meas["recognition"].measurable


def test_quarantine_policy_loads_the_rest(rec: Recorder, tmp_path: Path) -> None:
    src = write(tmp_path, SOURCE + BAD, "log.csv")
    m = write(tmp_path, MAPPING.format(policy="quarantine"), "tiny.toml")
    report = rec.import_log(src, m)
    assert report.quarantined_tickets == ["C"]
    assert report.quarantine_counts() == {"missing_prerequisite": 1}
    assert report.quarantined[0].seq == 2  # received 0, recorded 1, dispatched 2
    assert sorted(map(str, rec.export().tickets["ticket_id"])) == ["A", "B"]
    assert dump(rec.engine)["quarantine"][0][2:5] == ("C", 2, "missing_prerequisite")


def test_failed_import_leaves_the_store_unchanged(rec: Recorder, tmp_path: Path) -> None:
    rec.open_ticket("X1", category="help", received_at="2026-03-01T10:00:00+00:00")
    before = dump(rec.engine)
    src = write(tmp_path, SOURCE + BAD, "log.csv")
    with pytest.raises(ImportFailed, match=r"1 ticket\(s\) with missing_prerequisite") as err:
        rec.import_log(src, write(tmp_path, MAPPING.format(policy="fail"), "tiny.toml"))
    assert err.value.report.quarantined_tickets == ["C"]
    assert dump(rec.engine) == before
    # a valid import, then the same again: ids clash inside the write, which rolls back
    ok = write(tmp_path, SOURCE, "ok.csv")
    rec.import_log(ok, write(tmp_path, MAPPING.format(policy="fail"), "tiny2.toml"))
    before = dump(rec.engine)
    with pytest.raises(ImportFailed, match="already in the store"):
        rec.import_log(ok, tmp_path / "tiny2.toml")
    assert dump(rec.engine) == before


def test_mapping_errors_name_file_and_field(tmp_path: Path) -> None:
    bad = write(tmp_path, MAPPING.format(policy="fail").replace(
        'Dispatch = "dispatched"', 'Dispatch = "sent"'), "bad.toml")
    with pytest.raises(MappingError, match=r"(?s)bad\.toml.*activities.*'sent' is not an fcsim"):
        load_mapping(bad)
    bad2 = write(tmp_path, MAPPING.format(policy="maybe"), "bad2.toml")
    with pytest.raises(MappingError, match=r"(?s)bad2\.toml.*policy\.default"):
        load_mapping(bad2)
    bad3 = write(tmp_path, MAPPING.format(policy="fail") + "\n[tickets.values.colour]\n",
                 "bad3.toml")
    with pytest.raises(MappingError, match=r"(?s)bad3\.toml.*tickets\.values.*colour"):
        load_mapping(bad3)
    rec = Recorder(f"sqlite:///{tmp_path / 's.sqlite'}")
    src = write(tmp_path, SOURCE.replace("Note", "Lunch"), "log.csv")
    good = write(tmp_path, MAPPING.format(policy="fail"), "good.toml")
    with pytest.raises(MappingError, match=r"(?s)good\.toml.*neither mapped nor ignored: 'Lunch'"):
        rec.import_log(src, good)
    src2 = write(tmp_path, SOURCE.replace("who", "staff"), "log2.csv")
    with pytest.raises(MappingError, match=r"(?s)log2\.csv.*'who'.*not found"):
        rec.import_log(src2, good)
    src3 = write(tmp_path, SOURCE.replace("08:01:00", "8 o'clock"), "log3.csv")
    with pytest.raises(ValueError, match=r"(?s)log3\.csv.*row 4.*8 o'clock"):
        rec.import_log(src3, good)
    assert rec.ticket_count() == 0
    rec.close_connections()


def test_excel_source_gives_the_same_log(tmp_path: Path) -> None:
    need(importlib.util.find_spec("openpyxl") is not None, "openpyxl (the excel extra) is absent")
    csv = write(tmp_path, SOURCE, "log.csv")
    xlsx = tmp_path / "log.xlsx"
    pd.read_csv(csv, dtype=str).to_excel(xlsx, index=False)
    m = write(tmp_path, MAPPING.format(policy="fail"), "tiny.toml")
    a = Recorder(f"sqlite:///{tmp_path / 'a.sqlite'}")
    b = Recorder(f"sqlite:///{tmp_path / 'b.sqlite'}")
    a.import_log(csv, m)
    b.import_log(xlsx, m)
    assert a.export().equals(b.export())


@pytest.mark.slow
def test_helpdesk_imports_with_quality_report(shared_data: Path, tmp_path: Path) -> None:
    rec = Recorder(f"sqlite:///{tmp_path / 'h.sqlite'}")
    report = rec.import_log(shared_data / "helpdesk_4tu_finale.csv.gz", "helpdesk")
    # 4,580 cases (README); every one is either loaded or quarantined
    assert report.tickets_loaded + len(report.quarantined_tickets) == 4580
    assert report.rows_read == 21348
    assert report.ignored["Resolve ticket"] == 4983 and report.ignored["Wait"] == 1463
    assert report.tickets_loaded > 4000
    log = rec.export()
    assert len(log.tickets) == report.tickets_loaded
    assert len(log.events) == report.events_loaded
    assert len(validate_log(log)) == 0
    meas = {x.name: x.measurable for x in report.measurable}
    assert meas["dispatch"] and meas["recognition"] and meas["timeliness"]
    assert not meas["record"] and not meas["satisfaction"] and not meas["callback_rate"]


@pytest.mark.slow
def test_bpic14_imports_with_quality_report(shared_data: Path, tmp_path: Path) -> None:
    rec = Recorder(f"sqlite:///{tmp_path / 'b.sqlite'}")
    report = rec.import_log(shared_data / "bpic14_sample_incident_activity.csv.gz", "bpic14")
    assert report.rows_read == 39911
    assert report.tickets_loaded + len(report.quarantined_tickets) == 4000
    # incidents reopened after closing are quarantined (event_after_close / duplicate_close)
    counts = report.quarantine_counts()
    assert counts.get("event_after_close", 0) + counts.get("duplicate_close", 0) > 0
    log = rec.export()
    assert len(validate_log(log)) == 0
    assert set(log.tickets["category"].astype(str)) <= {"incident", "request for information"}
    assert report.tickets_loaded > 3500  # only reopened incidents are quarantined
    meas = {x.name: x.measurable for x in report.measurable}
    assert meas["dispatch"] and meas["recognition"] and not meas["record"]


HANDOVER_SOURCE = """\
case,act,when
H,Open,2026-03-02 08:00:00
H,Assign,2026-03-02 08:01:00
H,Reassign,2026-03-02 08:02:00
H,Assign,2026-03-02 08:02:00
H,Reassign,2026-03-02 08:03:00
H,Reassign,2026-03-02 08:04:00
H,Close,2026-03-02 08:05:00
"""
HANDOVER_MAPPING = """\
name = "handover"
synthesise_received = "first_event"

[source]
timestamp_format = "%Y-%m-%d %H:%M:%S"

[columns]
ticket_id = "case"
activity = "act"
timestamp = "when"

[activities]
Open = ["recorded", "classified"]
Close = "closed"

[handover]
sources = ["Assign", "Reassign"]

[tickets.constants]
category = "help"
emergency = false
mode = "immediate"
"""


def test_handover_rule_maps_first_and_later_handovers(tmp_path: Path) -> None:
    rec = Recorder(f"sqlite:///{tmp_path / 'h.sqlite'}")
    report = rec.import_log(write(tmp_path, HANDOVER_SOURCE, "h.csv"),
                            write(tmp_path, HANDOVER_MAPPING, "h.toml"))
    ev = rec.export().events
    got = [(str(a), ts.strftime("%H:%M")) for a, ts in ev[["activity", "timestamp"]]
           .itertuples(index=False)]
    assert got == [
        ("received", "08:00"), ("recorded", "08:00"), ("classified", "08:00"),
        ("dispatched", "08:01"),  # the first hand-over
        ("misrouted", "08:02"), ("dispatched", "08:02"),  # Reassign + Assign: one hand-over
        ("misrouted", "08:03"), ("dispatched", "08:03"),
        ("misrouted", "08:04"), ("dispatched", "08:04"),
        ("closed", "08:05"),
    ]
    assert report.dropped == {"handover (same instant)": 1}
    rec.close_connections()
