"""The lifecycle: hand-built valid and invalid tickets, the KPI test vector, the log wrapper."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from fcsim.eventlog import read_log
from fcsim.eventlog.lifecycle_check import VIOLATION_COLUMNS, validate_log
from fcsim.eventlog.log import EventLog
from fcsim.model.activities import Activity
from fcsim.model.lifecycle import (
    TRANSITIONS,
    VIOLATION_CODES,
    EventRecord,
    TicketFacts,
    check_append,
    validate,
)


def tk(spec: str, started: dict[int, float] | None = None) -> list[EventRecord]:
    """Events from ``"received recorded ... rejected recorded:2 ..."``; ts = seq = position.

    A ``:k`` suffix sets the attempt; later tokens keep it.
    """
    out, attempt = [], 1
    for i, tok in enumerate(spec.split()):
        name, _, k = tok.partition(":")
        attempt = int(k) if k else attempt
        out.append(EventRecord(name, float(i), i, attempt, (started or {}).get(i)))
    return out


FULL = ("received recorded classified dispatched signed arrived diagnosed planned communicated "
        "work_started work_completed accepted slip_returned callback closed")
SITE_WORK = "diagnosed planned communicated work_started work_completed"
ENG = TicketFacts()
DESK = TicketFacts(route_dispatch=False, route_site_visit=False, route_callback=False,
                   recognised_correctly=True)
EMERG = TicketFacts(emergency=True, recognised_correctly=True)
APPT = TicketFacts(mode="appointment", recognised_correctly=True)
WRONG = TicketFacts(recognised_correctly=False)

VALID = {
    "immediate engineering": (FULL, ENG),
    "relayed by property staff": (FULL.replace("received", "received relayed"), ENG),
    "sample callbacks after close": (FULL + " sample_callback sample_callback", ENG),
    "no signature (like T05)": (FULL.replace(" signed", ""), ENG),
    "desk-answered consultation": ("received recorded classified closed", DESK),
    "desk escalation": ("received recorded classified blocked escalated referred_to_meeting "
                        "blocked escalated closed", DESK),
    "dispatched, no site visit": (
        "received recorded classified dispatched closed",
        TicketFacts(route_site_visit=False, route_callback=False)),
    "preempted twice": (
        FULL.replace("work_started", "work_started preempted resumed preempted resumed"), ENG),
    "emergency, reported first, signs after arrival": (
        "received emergency_reported recorded classified dispatched arrived signed "
        f"{SITE_WORK} accepted slip_returned callback closed", EMERG),
    "emergency reported after classification, preempted": (
        "received recorded classified emergency_reported dispatched arrived diagnosed planned "
        "communicated work_started preempted resumed work_completed signed accepted "
        "slip_returned callback closed", EMERG),
    "emergency like T04 (never signs)": (
        "received recorded emergency_reported classified dispatched arrived "
        f"{SITE_WORK} accepted slip_returned callback closed", EMERG),
    "appointment, contacted then signed": (
        "received recorded classified dispatched contacted signed arrived "
        f"{SITE_WORK} accepted slip_returned callback closed", APPT),
    "appointment, signed then contacted": (
        FULL.replace("signed", "signed contacted"), APPT),
    "misroute found on site, re-dispatched": (
        "received recorded classified dispatched arrived misrouted dispatched arrived "
        f"{SITE_WORK} accepted slip_returned callback closed", WRONG),
    "misroute at desk, re-classified twice": (
        "received recorded classified misrouted classified dispatched signed misrouted "
        "classified dispatched signed arrived diagnosed misrouted dispatched arrived "
        f"{SITE_WORK} accepted slip_returned closed", WRONG),
    "blocked, escalated, referred to meeting": (
        FULL.replace("work_started", "work_started blocked escalated referred_to_meeting "
                     "blocked escalated preempted resumed"), ENG),
    "second and third pass after rejection": (
        "received recorded classified dispatched signed arrived "
        f"{SITE_WORK} rejected recorded:2 classified dispatched arrived {SITE_WORK} rejected "
        f"recorded:3 dispatched signed arrived {SITE_WORK} accepted slip_returned callback "
        "closed", ENG),
    "rejected and abandoned": (
        f"received recorded classified dispatched arrived {SITE_WORK} rejected closed", ENG),
    "customer unreachable": (FULL.replace("callback", "callback_failed callback_failed"), ENG),
    "reached after failed calls": (FULL.replace("callback", "callback_failed callback"), ENG),
    "abandoned early": ("received recorded closed sample_callback", ENG),
    "open ticket": ("received recorded classified dispatched", ENG),
    "closed right after receipt": ("received closed", ENG),
    "desk preempted while recording (emergency call)": (
        FULL.replace("received", "received preempted resumed"), ENG),
    "clerk's ownership handed over while the technician works": (
        FULL.replace("planned", "planned handed_over taken_over"), ENG),
    "work handed over at the shift change, preempted before take-over": (
        FULL.replace("work_started", "work_started handed_over preempted resumed taken_over"),
        ENG),
    "second pass re-recorded after a preemption": (
        f"received recorded classified dispatched arrived {SITE_WORK} rejected "
        f"preempted:2 resumed recorded dispatched arrived {SITE_WORK} accepted closed", ENG),
    "not satisfied at callback: a second pass": (
        FULL.replace("callback closed", "callback rejected recorded:2 dispatched arrived "
                     f"{SITE_WORK} accepted slip_returned callback closed"), ENG),
    "meeting carries it over to the next day": (
        FULL.replace("work_started", "work_started blocked escalated referred_to_meeting "
                     "referred_to_meeting"), ENG),
    "desk-answered emergency, reported, escalated": (
        "received recorded classified emergency_reported blocked escalated closed",
        TicketFacts(emergency=True, route_dispatch=False, route_site_visit=False,
                    route_callback=False, recognised_correctly=True)),
}


@pytest.mark.parametrize("name", list(VALID))
def test_valid_catalogue(name: str) -> None:
    spec, facts = VALID[name]
    assert validate(tk(spec), facts, ticket_id=name) == []


def test_empty_ticket_is_valid() -> None:
    assert validate([], ENG) == []


def test_durative_started_at_and_datetimes_are_valid() -> None:
    t0 = datetime(2026, 3, 2, 8, tzinfo=UTC)
    evs = [
        EventRecord(e.activity, t0 + timedelta(seconds=10 * e.seq), e.seq, e.attempt,
                    (t0 + timedelta(seconds=10 * e.seq - 5))
                    if Activity(e.activity) in {Activity.RECORDED, Activity.ARRIVED,
                                                Activity.WORK_COMPLETED, Activity.CALLBACK}
                    else None)
        for e in tk(FULL)
    ]
    assert validate(evs, ENG) == []


def test_order_is_timestamp_then_seq() -> None:
    # given shuffled, with a timestamp tie broken by seq
    evs = tk("received recorded classified closed", )
    tie = [EventRecord(e.activity, 1.0 if e.seq in (1, 2) else e.timestamp, e.seq, 1)
           for e in evs]
    assert validate(list(reversed(tie)), DESK) == []
    swapped = [EventRecord(e.activity, e.timestamp, {1: 2, 2: 1}.get(e.seq, e.seq), 1)
               for e in tie]
    # received, classified (seq 1), recorded (seq 2)
    assert [(v.code, v.seq) for v in validate(swapped, DESK)] == [
        ("missing_prerequisite", 1), ("ordering", 2)]


INVALID: dict[str, tuple[str, TicketFacts, str, int]] = {
    # name: (spec, facts, the one expected code, seq of the offending event)
    "first not received": ("recorded classified closed", DESK, "first_not_received", 0),
    "unknown activity": ("received teleported", ENG, "unknown_activity", 1),
    "relayed later": ("received recorded classified relayed", ENG, "ordering", 3),
    "work completed while blocked": (
        FULL.replace("work_started", "work_started blocked"), ENG, "ordering", 11),
    "work completed while preempted": (
        FULL.replace("work_started", "work_started preempted"), ENG, "ordering", 11),
    "planned without diagnosed": (
        FULL.replace(" diagnosed", ""), ENG, "missing_prerequisite", 6),
    "arrived without dispatch": (
        "received recorded classified arrived", ENG, "missing_prerequisite", 3),
    "sample callback before close": (
        "received recorded sample_callback", ENG, "missing_prerequisite", 2),
    "planned twice": (FULL.replace("planned", "planned planned"), ENG, "duplicate_activity", 8),
    "dispatched twice without misroute": (
        "received recorded classified dispatched signed dispatched", ENG,
        "duplicate_activity", 5),
    "event after close": (
        "received recorded closed classified", ENG, "event_after_close", 3),
    "closed twice": ("received closed closed", ENG, "duplicate_close", 2),
    "attempt 3 after 1": (
        f"received recorded classified dispatched arrived {SITE_WORK} rejected recorded:3",
        ENG, "attempt_skipped", 11),
    "attempt goes back": (
        f"received recorded classified dispatched arrived {SITE_WORK} rejected recorded:2 "
        "closed:1", ENG, "attempt_went_back", 12),
    "attempt opened without rejection": (
        "received recorded classified recorded:2", ENG, "attempt_not_opened_by_rejection", 3),
    "attempt 2 starts with close": (
        f"received recorded classified dispatched arrived {SITE_WORK} rejected closed:2",
        ENG, "attempt_first_not_recorded", 11),
    "accepted after rejected in the same attempt": (
        f"received recorded classified dispatched arrived {SITE_WORK} rejected accepted",
        ENG, "rework_in_same_attempt", 11),
    "resumed without preemption": (
        FULL.replace("work_started", "work_started resumed"), ENG, "unpaired_resume", 10),
    "taken over without a handover": (
        FULL.replace("work_started", "work_started taken_over"), ENG, "unpaired_takeover", 10),
    "a step inside a desk preemption": (
        "received preempted recorded resumed", ENG, "ordering", 2),
    "preempted twice without resuming": (
        FULL.replace("work_started", "work_started preempted preempted"), ENG, "ordering", 11),
    "preemption in an attempt not yet opened": (
        "received recorded preempted:2", ENG, "attempt_skipped", 2),
    "handover after close": ("received recorded closed handed_over", ENG,
                             "event_after_close", 3),
    "callback failed, then rejected": (
        FULL.replace("callback closed", "callback_failed rejected"), ENG, "ordering", 14),
    "escalated without block": (
        FULL.replace("work_started", "work_started escalated"), ENG, "unpaired_escalation", 10),
    "non-emergency signs after arrival": (
        "received recorded classified dispatched arrived signed diagnosed", ENG,
        "late_signature", 5),
    "emergency report on a routine ticket": (
        "received emergency_reported recorded", ENG, "misplaced_emergency_report", 1),
    "emergency report in attempt 2": (
        f"received recorded classified dispatched arrived {SITE_WORK} rejected recorded:2 "
        "emergency_reported", EMERG, "misplaced_emergency_report", 12),
    "call-ahead on an immediate ticket": (
        "received recorded classified dispatched contacted arrived", ENG,
        "contact_not_appointment", 4),
    "misroute on a recognised ticket": (
        "received recorded classified dispatched arrived misrouted dispatched", EMERG,
        "misroute_on_recognised", 5),
    "desk ticket dispatched": (
        "received recorded classified dispatched closed", DESK, "route_violation", 3),
    "no-site ticket visited": (
        "received recorded classified dispatched arrived",
        TicketFacts(route_site_visit=False), "route_violation", 4),
    "callback on a no-callback ticket": (
        FULL, TicketFacts(route_callback=False), "route_violation", 13),
}


@pytest.mark.parametrize("name", list(INVALID))
def test_invalid_catalogue(name: str) -> None:
    spec, facts, code, seq = INVALID[name]
    got = validate(tk(spec), facts, ticket_id="X")
    assert [(v.code, v.seq, v.ticket_id) for v in got] == [(code, seq, "X")]
    assert got[0].message.startswith(f"{tk(spec)[seq].activity} (seq {seq})")


def test_invalid_catalogue_covers_every_code() -> None:
    extra = {"duplicate_seq", "attempt_invalid", "started_at_on_instant",
             "started_after_completed"}
    assert {c for _, _, c, _ in INVALID.values()} | extra == VIOLATION_CODES


def test_duplicate_seq_invalid_attempt_and_started_at() -> None:
    evs = [EventRecord("received", 0.0, 0, 1), EventRecord("recorded", 1.0, 0, 1)]
    assert [v.code for v in validate(evs, ENG)] == ["duplicate_seq"]
    assert [v.code for v in validate([EventRecord("received", 0.0, 0, 0)], ENG)] == [
        "attempt_invalid"]
    inst = [EventRecord("received", 5.0, 0, 1, started_at=4.0)]
    assert [v.code for v in validate(inst, ENG)] == ["started_at_on_instant"]
    late = [EventRecord("received", 0.0, 0, 1), EventRecord("recorded", 5.0, 1, 1, 6.0)]
    assert [(v.code, v.seq) for v in validate(late, ENG)] == [("started_after_completed", 1)]


def test_every_violation_is_reported() -> None:
    # two independent faults -> two rows
    spec = FULL.replace(" diagnosed", "").replace("callback", "callback closed")
    assert [v.code for v in validate(tk(spec), ENG)] == ["missing_prerequisite",
                                                         "duplicate_close"]


def test_transition_table_is_data() -> None:
    assert set(TRANSITIONS) == {a.value for a in Activity}
    assert TRANSITIONS["closed"] == {"sample_callback"}
    assert all("closed" in f for a, f in TRANSITIONS.items()
               if a not in ("closed", "sample_callback"))


@pytest.mark.parametrize("name", list(VALID) + list(INVALID))
def test_check_append_matches_validate(name: str) -> None:
    spec, facts = (VALID | {k: v[:2] for k, v in INVALID.items()})[name]
    evs = tk(spec)
    full = validate(evs, facts)
    for i, ev in enumerate(evs):
        assert check_append(evs[:i], ev, facts) == [v for v in full if v.seq == ev.seq]


def test_check_append_backdated() -> None:
    evs = tk("received recorded classified dispatched")
    late = EventRecord("relayed", 0.5, 9, 1)  # between received and recorded
    assert check_append(evs, late, ENG) == []
    wrong = EventRecord("arrived", 2.5, 9, 1)  # between classified and dispatched
    got = check_append(evs, wrong, ENG)
    assert {v.code for v in got} == {"missing_prerequisite", "ordering"}
    assert {v.seq for v in got} == {9, 3}


def test_kpi_vector(kpi_examples) -> None:
    log = read_log(kpi_examples / "observed-day")
    got = validate_log(log)
    assert list(got.columns) == list(VIOLATION_COLUMNS)
    assert got[["ticket_id", "seq", "code"]].values.tolist() == [
        ["T13", 169, "missing_prerequisite"]]
    assert "planned" in got["message"][0] and "diagnosed" in got["message"][0]


def test_validate_log_empty_frame_when_valid(kpi_examples) -> None:
    log = read_log(kpi_examples / "observed-day")
    ok = EventLog(log.events[log.events["ticket_id"] != "T13"], log.tickets)
    got = validate_log(ok)
    assert got.empty and list(got.columns) == list(VIOLATION_COLUMNS)


def test_validate_log_facts_and_started_at(kpi_examples) -> None:
    log = read_log(kpi_examples / "observed-day")
    ev = log.events.copy()
    tickets = log.tickets.copy()
    # T03 is desk-answered: dispatching it violates its route; T01 recorded started late
    tickets.loc[tickets["ticket_id"] == "T05", "recognised_correctly"] = True
    i = ev.index[(ev["ticket_id"] == "T01") & (ev["activity"] == "recorded")][0]
    ev.loc[i, "started_at"] = ev.loc[i, "timestamp"] + pd.Timedelta(seconds=1)
    got = validate_log(EventLog(ev, tickets))
    assert sorted(map(tuple, got[["ticket_id", "seq", "code"]].values.tolist())) == [
        ("T01", 1, "started_after_completed"), ("T05", 54, "misroute_on_recognised"),
        ("T13", 169, "missing_prerequisite")]


@pytest.mark.slow
def test_validate_log_100k_events_is_fast(kpi_examples) -> None:
    log = read_log(kpi_examples / "observed-day")
    n = 100_000 // len(log.events) + 1
    ev = pd.concat([log.events.assign(ticket_id=log.events["ticket_id"].astype(str) + f"-{r}")
                    for r in range(n)], ignore_index=True)
    tk_ = pd.concat([log.tickets.assign(ticket_id=log.tickets["ticket_id"].astype(str) + f"-{r}")
                     for r in range(n)], ignore_index=True)
    big = EventLog.from_frames(ev, tk_)
    assert len(big) >= 100_000
    t = time.perf_counter()
    got = validate_log(big)
    elapsed = time.perf_counter() - t
    assert len(got) == n and set(got["code"]) == {"missing_prerequisite"}
    assert elapsed < 10.0, f"validate_log took {elapsed:.1f} s for {len(big)} events"
