"""The recorder's API on SQLite and on a real PostgreSQL server: lifecycle-checked appends,
refusals that write nothing, append-only corrections, show, status and export."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from pg import pg_server, store_url  # noqa: F401

from fcsim.eventlog import EventLog
from fcsim.recorder import LifecycleError, Recorder, RecorderError
from fcsim.recorder.store import dump

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


# A full engineering repair, (activity, seconds after receipt) — hand-written, valid.
FULL = [
    ("recorded", 40), ("classified", 50), ("dispatched", 100), ("signed", 160),
    ("arrived", 400), ("diagnosed", 700), ("planned", 820), ("communicated", 900),
    ("work_started", 920), ("work_completed", 2400), ("accepted", 2500),
    ("slip_returned", 2700), ("callback", 2760),
]


@pytest.fixture
def rec(store_url: str) -> Recorder:  # noqa: F811
    r = Recorder(store_url)
    yield r
    r.close_connections()


def open_t(rec: Recorder, tid: str = "T1", **kw: object) -> None:
    kw.setdefault("category", "engineering")
    rec.open_ticket(tid, received_at=kw.pop("received_at", T0), location="A-101",
                    content="tap leaks", contact="Ann Lee", phone="+852 1234", resource="desk-1",
                    by="desk-1", **kw)  # type: ignore[arg-type]


def test_full_ticket_round_trips_exactly(rec: Recorder) -> None:
    open_t(rec)
    seqs = [rec.append("T1", a, at(s), resource="eng-3", role="technician") for a, s in FULL]
    assert seqs == list(range(1, len(FULL) + 1))
    rec.close("T1", at(2800), facts={"satisfied": True, "charge_confirmed": True})
    log = rec.export()
    ev = log.events
    assert list(ev["activity"].astype(str)) == ["received", *[a for a, _ in FULL], "closed"]
    assert list(ev["seq"]) == list(range(len(FULL) + 2))
    assert list(ev["timestamp"]) == [pd.Timestamp(at(s)) for s in
                                     [0, *[s for _, s in FULL], 2800]]
    assert set(ev["attempt"]) == {1}
    tk = log.tickets.iloc[0]
    assert tk["category"] == "engineering" and tk["department"] == "engineering"
    assert bool(tk["route_callback"]) and bool(tk["satisfied"]) and bool(tk["charge_confirmed"])
    assert tk["contact"] == "Ann Lee" and tk["phone"] == "+852 1234"
    assert str(ev["timestamp"].dtype) == "datetime64[ms, UTC]"
    # export is canonical: rebuilding it from its own frames changes nothing
    assert EventLog.from_frames(log.events, log.tickets).equals(log)


def test_invalid_event_is_refused_and_nothing_is_written(rec: Recorder) -> None:
    open_t(rec)
    rec.append("T1", "recorded", at(40))
    before = dump(rec.engine)
    with pytest.raises(LifecycleError, match=r"missing_prerequisite.*needs classified"):
        rec.append("T1", "dispatched", at(60))  # classified skipped
    with pytest.raises(LifecycleError, match="duplicate_activity"):
        rec.append("T1", "recorded", at(70))
    assert dump(rec.engine) == before
    rec.append("T1", "classified", at(80))
    rec.append("T1", "dispatched", at(85))
    before = dump(rec.engine)
    with pytest.raises(LifecycleError, match="contact_not_appointment"):
        rec.append("T1", "contacted", at(90), facts={"materials": "x"})
    assert dump(rec.engine) == before  # neither the event nor its fact
    with pytest.raises(RecorderError, match="unknown activity 'repaired'"):
        rec.append("T1", "repaired", at(100))
    with pytest.raises(RecorderError, match="no UTC offset"):
        rec.append("T1", "dispatched", datetime(2026, 3, 2, 8, 2))
    with pytest.raises(RecorderError, match="no ticket 'T9'"):
        rec.append("T9", "recorded", at(40))
    with pytest.raises(RecorderError, match="already exists"):
        open_t(rec)
    with pytest.raises(RecorderError, match="not in the taxonomy"):
        open_t(rec, "T2", category="parking")
    assert dump(rec.engine) == before


def test_event_after_close_is_refused(rec: Recorder) -> None:
    open_t(rec)
    rec.close("T1", at(30))  # an abandoned call may close at once
    before = dump(rec.engine)
    with pytest.raises(LifecycleError, match="event_after_close"):
        rec.append("T1", "recorded", at(40))
    rec.append("T1", "sample_callback", at(50), role="supervisor")  # the one allowed
    assert len(dump(rec.engine)["events"]) == len(before["events"]) + 1


def test_facts_fill_once_and_change_only_by_correction(rec: Recorder) -> None:
    open_t(rec)
    for a, s in FULL[:10]:
        rec.append("T1", a, at(s), facts={"materials": "washer", "charge": 12.5}
                   if a == "work_completed" else None)
    before = dump(rec.engine)
    with pytest.raises(RecorderError, match=r"charge is already 12\.5.*correction"):
        rec.append("T1", "accepted", at(2500), facts={"charge": 20})
    assert dump(rec.engine) == before
    rec.correct("T1", action="amend", changes={"charge": 20.0}, by="sup-1",
                reason="price list", at=at(9000))
    tk = rec.export().tickets.iloc[0]
    assert tk["charge"] == 20.0 and tk["materials"] == "washer"
    trail = rec.show("T1").corrections
    assert trail.iloc[0][["action", "corrected_by", "reason"]].tolist() == [
        "amend", "sup-1", "price list"]
    assert trail.iloc[0]["previous"] == '{"charge": 12.5}'
    assert trail.iloc[0]["corrected_at"] == at(9000)


def test_attempt_derived_after_rejection(rec: Recorder) -> None:
    open_t(rec)
    for a, s in FULL[:10]:
        rec.append("T1", a, at(s))
    rec.append("T1", "rejected", at(2500))
    rec.append("T1", "recorded", at(2540))
    rec.append("T1", "dispatched", at(2600))  # classified optional in attempt 2
    ev = rec.export().events
    assert ev["attempt"].tolist() == [1] * 12 + [2, 2]
    with pytest.raises(LifecycleError, match="attempt_skipped"):
        rec.append("T1", "signed", at(2700), attempt=4)


def test_void_and_amend_keep_the_audit_trail(rec: Recorder) -> None:
    open_t(rec)
    rec.append("T1", "recorded", at(40))
    rec.append("T1", "classified", at(50))
    rec.append("T1", "dispatched", at(100))
    rec.append("T1", "misrouted", at(200))
    # void the misrouted (entered by mistake), amend the dispatch time
    rec.correct("T1", action="void", seq=4, by="sup-1", reason="wrong ticket", at=at(500))
    rec.correct("T1", action="amend", seq=3, changes={"timestamp": at(90)}, by="sup-1",
                reason="clock typo", at=at(600))
    ev = rec.export().events
    assert ev["activity"].astype(str).tolist() == ["received", "recorded", "classified",
                                                   "dispatched"]
    assert ev["timestamp"].iloc[3] == pd.Timestamp(at(90))
    view = rec.show("T1")
    assert view.events["seq"].tolist() == [0, 1, 2, 3, 4]  # nothing deleted
    assert view.events["voided"].tolist() == [False, False, False, False, True]
    assert view.events["amended"].tolist() == [False, False, False, True, False]
    assert view.corrections["action"].tolist() == ["void", "amend"]
    assert view.corrections["seq"].tolist() == [4, 3]
    assert view.corrections["previous"].iloc[1] == f'{{"timestamp": {int(at(100).timestamp() * 1000)}}}'
    # the stored event rows are untouched: the amended one still has its original time
    raw = dump(rec.engine)["events"]
    assert [r[5] for r in raw][3] == int(at(100).timestamp() * 1000)
    # a new event after a voided one gets the next seq (5), never a reused one
    assert rec.append("T1", "signed", at(300)) == 5


def test_correction_that_breaks_the_lifecycle_is_refused(rec: Recorder) -> None:
    open_t(rec)
    rec.append("T1", "recorded", at(40))
    rec.append("T1", "classified", at(50))
    before = dump(rec.engine)
    with pytest.raises(LifecycleError, match="missing_prerequisite"):
        rec.correct("T1", action="void", seq=1, by="x", reason="y")  # classified needs it
    with pytest.raises(LifecycleError, match="first_not_received"):
        rec.correct("T1", action="amend", seq=0, changes={"timestamp": at(45)}, by="x",
                    reason="y")
    with pytest.raises(RecorderError, match="needs who"):
        rec.correct("T1", action="void", seq=2, by="", reason="y")
    with pytest.raises(RecorderError, match="cannot be amended"):
        rec.correct("T1", action="amend", seq=2, changes={"seq": 7}, by="x", reason="y")
    assert dump(rec.engine) == before


def test_void_ticket_leaves_it_out_of_export(rec: Recorder) -> None:
    open_t(rec, "T1")
    open_t(rec, "T2")
    rec.correct("T1", action="void", by="sup", reason="test call")
    log = rec.export()
    assert log.tickets["ticket_id"].astype(str).tolist() == ["T2"]
    assert set(log.events["ticket_id"].astype(str)) == {"T2"}
    with pytest.raises(RecorderError, match="is void"):
        rec.append("T1", "recorded", at(40))


def test_anonymised_export_is_stable_and_hides_contacts(rec: Recorder, tmp_path) -> None:
    open_t(rec, "T1")
    open_t(rec, "T2")  # same customer
    a = rec.export(anonymise=True)
    b = rec.export(anonymise=True)
    assert a.equals(b)
    contacts = a.tickets["contact"].tolist()
    assert contacts[0] == contacts[1] and contacts[0].startswith("person-")
    assert "Ann" not in "".join(contacts) and "1234" not in "".join(a.tickets["phone"])
    assert set(a.tickets["location"]) == {a.tickets["location"][0]} != {"A-101"}
    assert not any("desk-1" in str(r) for r in a.events["resource"])
    # another store has another key: the same contact gets another pseudonym
    other = Recorder(f"sqlite:///{tmp_path / 'other.sqlite'}")
    open_t(other, "T1")
    assert other.export(anonymise=True).tickets["contact"][0] != contacts[0]
    other.close_connections()


def test_status_lists_running_and_breached_clocks(rec: Recorder) -> None:
    # T1: dispatched at +100 s, not on site: on_site clock (≤ 600 s) runs from +100 s.
    open_t(rec, "T1")
    for a, s in FULL[:3]:
        rec.append("T1", a, at(s))
    # T2: received at +0, not recorded: record clock (≤ 60 s) breached at +700 s.
    open_t(rec, "T2")
    # T3: closed: never listed.
    open_t(rec, "T3")
    rec.close("T3", at(10))
    st = rec.status(at(660), margin_s=60)
    got = {(r.ticket_id, r.control_point): (r.state, r.remaining_s) for r in st.itertuples()}
    # T1 on_site: deadline 100 + 600 = 700 s; at 660 s 40 s are left (≤ margin 60)
    assert got[("T1", "on_site")] == ("about_to_breach", 40.0)
    # T2 record: deadline 60 s; at 660 s it is 600 s late and breached
    assert got[("T2", "record")] == ("breached", -600.0)
    assert "T3" not in set(st["ticket_id"])
    st2 = rec.status(at(500), margin_s=60)
    assert st2.set_index(["ticket_id", "control_point"]).loc[("T1", "on_site"), "state"] == \
        "running"
