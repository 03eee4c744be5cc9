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
# C is dispatched without being classified: a skipped stage, which an import takes (its
# dispatch clock is missing). D's dispatch is dated 1900: an implausible timestamp.
SKIPPED = "C,Start,2026-03-02 10:00:10,d1,engineering\nC,Dispatch,2026-03-02 10:01:00,d1,engineering\n"
BAD = "D,Start,2026-03-02 10:00:10,d1,engineering\nD,Dispatch,1900-03-02 10:01:00,d1,engineering\n"

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
    src = write(tmp_path, SOURCE + SKIPPED + BAD, "log.csv")
    m = write(tmp_path, MAPPING.format(policy="quarantine"), "tiny.toml")
    report = rec.import_log(src, m)
    assert report.quarantined_tickets == ["D"]
    assert report.quarantine_counts() == {"implausible_timestamp": 1}
    # D: received 0 (synthesised at its first row, 1900), recorded 1, dispatched 2 (1900 too)
    assert sorted(q.seq for q in report.quarantined) == [0, 1]
    assert report.reasons["implausible_timestamp"]["rows"] == 2
    assert sorted(map(str, rec.export().tickets["ticket_id"])) == ["A", "B", "C"]
    assert dump(rec.engine)["quarantine"][0][2:5] == ("D", 0, "implausible_timestamp")
    # C skipped its classification: loaded, and its dispatch clock is missing, not refused
    ev = rec.export().events
    assert [str(a) for a in ev.loc[ev["ticket_id"] == "C", "activity"]] == [
        "received", "recorded", "dispatched"]


def test_failed_import_leaves_the_store_unchanged(rec: Recorder, tmp_path: Path) -> None:
    rec.open_ticket("X1", category="help", received_at="2026-03-01T10:00:00+00:00")
    before = dump(rec.engine)
    src = write(tmp_path, SOURCE + BAD, "log.csv")
    with pytest.raises(ImportFailed, match=r"1 ticket\(s\) with implausible_timestamp") as err:
        rec.import_log(src, write(tmp_path, MAPPING.format(policy="fail"), "tiny.toml"))
    assert err.value.report.quarantined_tickets == ["D"]
    assert dump(rec.engine) == before
    # a valid import, then the same again: ids clash inside the write, which rolls back
    ok = write(tmp_path, SOURCE, "ok.csv")
    rec.import_log(ok, write(tmp_path, MAPPING.format(policy="fail"), "tiny2.toml"))
    before = dump(rec.engine)
    with pytest.raises(ImportFailed, match=r"refused.*2 of 2 ticket id.*already in the store"):
        rec.import_log(ok, tmp_path / "tiny2.toml")
    assert dump(rec.engine) == before
    # the same file with --policy quarantine: quarantine does not hide a clash
    with pytest.raises(ImportFailed, match="already in the store"):
        rec.import_log(ok, tmp_path / "tiny2.toml", policy="quarantine")
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
    # 4,580 cases (README), none refused: one case id comes back > 30 days after its close
    # and is split off as a ticket of its own
    assert report.quarantined == [] and report.rows_read == 21348
    assert report.tickets_loaded == 4581 and report.reasons["reused_case_id"]["tickets"] == 1
    assert report.ignored["Wait"] == 1463 and "Resolve ticket" not in report.ignored
    log = rec.export()
    assert len(log.tickets) == report.tickets_loaded
    assert len(log.events) == report.events_loaded
    assert len(validate_log(log, level="import")) == 0
    # reopens (work after a resolution) are second passes, opened by a rejection
    ev = log.events
    second = set(ev.loc[ev["attempt"] == 2, "ticket_id"].astype(str))
    rej = set(ev.loc[(ev["activity"] == "rejected") & (ev["attempt"] == 1), "ticket_id"]
              .astype(str))
    assert second == rej and len(second) == report.reasons["reopened"]["tickets"] > 300
    meas = {x.name: x.measurable for x in report.measurable}
    assert meas["dispatch"] and meas["recognition"] and meas["timeliness"] and meas["pass_rate"]
    assert not meas["record"] and not meas["satisfaction"] and not meas["callback_rate"]
    # measurability travels with the exported log; fcsim kpi does not judge the record clock
    assert log.manifest["measurability"]["record"]["measurable"] is False
    assert log.manifest["time_zone"] == "Europe/Rome"
    from fcsim.kpi import evaluate

    cp = evaluate(log).control_points
    assert "record" not in set(cp["control_point"].astype(str))
    rec.close_connections()


@pytest.mark.slow
def test_bpic14_imports_with_quality_report(shared_data: Path, tmp_path: Path) -> None:
    rec = Recorder(f"sqlite:///{tmp_path / 'b.sqlite'}")
    report = rec.import_log(shared_data / "bpic14_sample_incident_activity.csv.gz", "bpic14")
    assert report.rows_read == 39911 and report.quarantined == []
    assert report.tickets_loaded == 4001  # one incident id re-used after its close: split
    log = rec.export()
    assert len(validate_log(log, level="import")) == 0
    cats = set(log.tickets["category"].astype(str))
    assert cats <= {f"{c} / {p}" for c in ("incident", "request for information")
                    for p in range(1, 6)}
    # reopened incidents are second passes (rejected, then attempt 2), not quarantined:
    # 183 incidents carry a reopen_time in the case table
    ev = log.events
    reopened = set(ev.loc[ev["attempt"] == 2, "ticket_id"].astype(str))
    assert 150 <= len(reopened) <= 200
    case = pd.read_csv(shared_data / "bpic14_sample_incidents.csv.gz", usecols=["incident_id",
                                                                              "reopen_time"])
    with_time = set(case.loc[case["reopen_time"].notna(), "incident_id"])
    assert len(reopened & with_time) >= 0.9 * len(reopened)
    meas = {x.name: x.measurable for x in report.measurable}
    assert meas["dispatch"] and meas["recognition"] and not meas["record"]
    assert meas["pass_rate"]
    rec.close_connections()


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
