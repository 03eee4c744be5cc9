"""Exact traces: tiny scenarios with fixed durations and given arrivals, every minute known.

The expected traces are worked by hand from the durations below (see each test's comments).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from fcsim.eventlog.frames import canonical_events, canonical_tickets
from fcsim.eventlog.lifecycle_check import validate_log
from fcsim.eventlog.log import EventLog
from fcsim.model.taxonomy import Source
from fcsim.scenarios import scenario_from_dict
from fcsim.scenarios.config import Scenario
from fcsim.sim.arrivals import Arrivals
from fcsim.sim.run import simulate_record
from fcsim.sim.sink import build_frames

START = pd.Timestamp("2026-03-02T00:00:00+00:00")
SOURCES = list(Source)

STAGES = {
    "relay_min": 2.0, "record_min": 1.0, "emergency_record_min": 0.5, "classify_min": 0.5,
    "dispatch_min": 0.5, "sign_min": 2.0, "travel_min": 3.0, "plan_min": 1.0,
    "communicate_min": 1.0, "acceptance_min": 2.0, "slip_return_min": 5.0,
    "callback_min": 1.0, "close_min": 0.5, "escalate_min": 2.0, "supervisor_resolve_min": 10.0,
    "misroute_return_min": 10.0, "precall_min": 20.0, "early_arrival_min": 4.0,
}


def _scenario(categories: dict[str, Any], **extra: Any) -> Scenario:
    data: dict[str, Any] = {
        "scenario": {"name": "trace", "start": START.to_pydatetime(), "days": 1.0, "units": 10,
                     "occupancy": 1.0},
        "categories": categories,
        "staff": {
            "desk": {"role": "desk", "prefix": "desk",
                     "shifts": [{"start_h": 0, "end_h": 24, "count": 1}]},
            "eng": {"role": "technician", "department": "eng", "prefix": "eng",
                    "shifts": [{"start_h": 0, "end_h": 24, "count": 1}]},
            "sup": {"role": "supervisor", "prefix": "sup",
                    "shifts": [{"start_h": 0, "end_h": 24, "count": 1}]},
        },
        "stages": STAGES,
        "outcomes": {"satisfaction_base": 1.0, "unreachable_p": 0.0},
    }
    for k, v in extra.items():
        data.setdefault(k, {}).update(v)
    return scenario_from_dict(data)


def _cat(**kw: Any) -> dict[str, Any]:
    base = {"department": "eng", "rate_per_unit_day": 0.0, "diagnose_min": 4.0,
            "work_min": 20.0}
    base.update(kw)
    return base


def _run(scenario: Scenario, arrivals: list[tuple[float, int, bool, Source]],
         appointment: tuple[bool, ...] | None = None) -> EventLog:
    n = len(arrivals)
    arr = Arrivals(
        time_min=np.array([a[0] for a in arrivals], float),
        category=np.array([a[1] for a in arrivals]),
        emergency=np.array([a[2] for a in arrivals]),
        appointment=np.array(appointment or (False,) * n),
        source=np.array([SOURCES.index(a[3]) for a in arrivals], np.int8),
        unit=np.arange(1, n + 1),
    )
    rec = simulate_record(scenario, seed=1, arrivals=arr)
    events, tickets = build_frames([rec])
    log = EventLog(events, tickets, None)
    assert canonical_events(events).equals(events)
    assert canonical_tickets(tickets).equals(tickets)
    assert validate_log(log).empty, validate_log(log).to_string()
    return log


def _trace(log: EventLog, ticket: str) -> list[tuple[str, float | None, float, int]]:
    ev = log.events[log.events["ticket_id"] == ticket].sort_values(["timestamp", "seq"])
    out = []
    for act, st, ts, att in ev[["activity", "started_at", "timestamp", "attempt"]].itertuples(
            index=False):
        s = None if pd.isna(st) else (st - START).total_seconds() / 60
        out.append((str(act), s, (ts - START).total_seconds() / 60, int(att)))
    return out


def test_routine_ticket_preempted_by_an_emergency() -> None:
    # One clerk, one technician. A (routine) arrives at 0, B (emergency) at 15.
    # A: record 0-1, classify 1-1.5, dispatch at 2; sign 4, travel 4-7, diagnose 7-11,
    #    plan 11-12, communicate 12-13, work from 13 (20 min) ...
    # B: record 15-15.5, classify 15.5-16, report + dispatch at 16, preempts A's work at 16
    #    (A has 17 min left); travel 16-19, sign on arrival 19, diagnose 19-23, plan 23-24,
    #    communicate 24-25, work 25-45, accepted 47, slip 52, callback 52-53, closed 53.5.
    # A resumes at 52 when B's technician is free: work ends 52+17 = 69; accepted 71,
    #    slip 76, callback 76-77, closed 77.5.
    sc = _scenario({"repair": _cat(), "urgent": _cat(emergency_p=1.0)})
    log = _run(sc, [(0.0, 0, False, Source.CUSTOMER_CALL), (15.0, 1, True, Source.CUSTOMER_CALL)])
    a, b = "trace-r0-000000", "trace-r0-000001"
    assert _trace(log, a) == [
        ("received", None, 0, 1), ("recorded", 0, 1, 1), ("classified", 1, 1.5, 1),
        ("dispatched", None, 2, 1), ("signed", None, 4, 1), ("arrived", 4, 7, 1),
        ("diagnosed", 7, 11, 1), ("planned", 11, 12, 1), ("communicated", 12, 13, 1),
        ("work_started", None, 13, 1), ("preempted", None, 16, 1), ("resumed", None, 52, 1),
        ("work_completed", 13, 69, 1), ("accepted", None, 71, 1),
        ("slip_returned", None, 76, 1), ("callback", 76, 77, 1), ("closed", None, 77.5, 1),
    ]
    assert _trace(log, b) == [
        ("received", None, 15, 1), ("recorded", 15, 15.5, 1), ("classified", 15.5, 16, 1),
        ("emergency_reported", None, 16, 1), ("dispatched", None, 16, 1),
        ("arrived", 16, 19, 1), ("signed", None, 19, 1), ("diagnosed", 19, 23, 1),
        ("planned", 23, 24, 1), ("communicated", 24, 25, 1), ("work_started", None, 25, 1),
        ("work_completed", 25, 45, 1), ("accepted", None, 47, 1),
        ("slip_returned", None, 52, 1), ("callback", 52, 53, 1), ("closed", None, 53.5, 1),
    ]
    ev = log.events.set_index("ticket_id")
    roles = ev.loc[b].set_index("activity")["role"].astype(str)
    assert roles["emergency_reported"] == "desk" and roles["arrived"] == "technician"
    assert roles["accepted"] == "customer"
    tk = log.tickets.set_index("ticket_id")
    assert bool(tk.loc[b, "emergency"]) and not bool(tk.loc[a, "emergency"])
    assert tk["satisfied"].tolist() == [True, True]  # punctual, base 1


def test_second_pass_and_unreachable_callback() -> None:
    # C comes through property staff (relayed after 2 min) and fails its first acceptance
    # (reject_p 1, decay 0: only the first pass is rejected). The customer cannot be
    # reached: two tries 30 min apart, then the desk closes.
    # Pass 1: record 2-3, classify 3-3.5, dispatch 4; sign 6, travel 6-9, diagnose 9-13,
    #   plan 13-14, communicate 14-15, work 15-35, rejected 37.
    # Pass 2 (attempt 2, back through the desk): record 37-38, classify 38-38.5, dispatch 39;
    #   sign 41, travel 41-44, diagnose 44-48, plan 48-49, communicate 49-50, work 50-70,
    #   accepted 72, slip 77; callback_failed 77-78, retry at 108: callback_failed 108-109,
    #   closed 109.5.
    sc = _scenario({"fussy": _cat(reject_p=1.0, reject_decay=0.0)},
                   outcomes={"unreachable_p": 1.0, "callback_max_tries": 2,
                             "callback_retry_min": 30.0})
    log = _run(sc, [(0.0, 0, False, Source.PROPERTY_RELAY)])
    t = "trace-r0-000000"
    assert _trace(log, t) == [
        ("received", None, 0, 1), ("relayed", None, 2, 1), ("recorded", 2, 3, 1),
        ("classified", 3, 3.5, 1), ("dispatched", None, 4, 1), ("signed", None, 6, 1),
        ("arrived", 6, 9, 1), ("diagnosed", 9, 13, 1), ("planned", 13, 14, 1),
        ("communicated", 14, 15, 1), ("work_started", None, 15, 1),
        ("work_completed", 15, 35, 1), ("rejected", None, 37, 1),
        ("recorded", 37, 38, 2), ("classified", 38, 38.5, 2), ("dispatched", None, 39, 2),
        ("signed", None, 41, 2), ("arrived", 41, 44, 2), ("diagnosed", 44, 48, 2),
        ("planned", 48, 49, 2), ("communicated", 49, 50, 2), ("work_started", None, 50, 2),
        ("work_completed", 50, 70, 2), ("accepted", None, 72, 2),
        ("slip_returned", None, 77, 2), ("callback_failed", 77, 78, 2),
        ("callback_failed", 108, 109, 2), ("closed", None, 109.5, 2),
    ]
    tk = log.tickets.iloc[0]
    assert pd.isna(tk["satisfied"])  # never reached: no satisfaction answer
    assert tk["source"] == "property_relay"


def test_appointment_blocked_escalated_and_referred_to_meeting() -> None:
    # An appointment booked at 0 for 120 (lead 120 min, on a 30-min slot, opening hours
    # 0-24). The technician is requested at 120 - 20 (pre-call) - 2 (sign) = 98: signs at
    # 100, calls at 100 (= 120 - 20), leaves at 120 - 4 - 3 = 113, arrives 116 (4 min early).
    # Diagnose 116-120, plan 120-121, communicate 121-122, work from 122; blocked half way
    # (block_at draws are U(0,1), so the test reads the block instant from the log and checks
    # the rest relative to it): escalated 2 min later (supervisor free), the supervisor cannot
    # resolve it (resolves_p 0) → referred at once; the job waits for the 09:00 meeting
    # (day 1, minute 540 from midnight) and then finishes its remaining work.
    sc = _scenario({"booked": _cat(appointment_p=1.0, block_p=1.0, supervisor_resolves_p=0.0)},
                   stages={"appointment_lead_min": 120.0},
                   policy={"appointment_open_h": 0.0, "appointment_close_h": 24.0,
                           "meeting_h": 9.0})
    log = _run(sc, [(0.0, 0, False, Source.CUSTOMER_CALL)], appointment=(True,))
    tr = _trace(log, "trace-r0-000000")
    acts = [x[0] for x in tr]
    assert acts == ["received", "recorded", "classified", "dispatched", "signed", "contacted",
                    "arrived", "diagnosed", "planned", "communicated", "work_started",
                    "blocked", "escalated", "referred_to_meeting", "work_completed",
                    "accepted", "slip_returned", "callback", "closed"]
    at = {x[0]: x for x in tr}
    assert at["signed"][2] == 100 and at["contacted"][2] == 100
    assert at["arrived"][1:3] == (113, 116)
    assert at["work_started"][2] == 122
    blocked = at["blocked"][2]
    assert 122 <= blocked <= 142
    assert at["escalated"][2] == pytest.approx(blocked + 2, abs=1e-3)
    assert at["referred_to_meeting"][2] == pytest.approx(blocked + 2, abs=1e-3)
    remaining = 20 - (blocked - 122)
    assert at["work_completed"][1:3] == pytest.approx((122, 540 + remaining), abs=1e-3)
    tk = log.tickets.iloc[0]
    assert tk["mode"] == "appointment"
    assert tk["appointment_at"] == START + pd.Timedelta(minutes=120)
    assert tk["booked_at"] == START


def test_consultation_answered_at_the_desk() -> None:
    sc = _scenario({"ask": {"department": "front_desk", "route_dispatch": False,
                            "route_site_visit": False, "route_callback": False,
                            "rate_per_unit_day": 0.0}})
    log = _run(sc, [(5.0, 0, False, Source.CUSTOMER_CALL), (5.5, 0, False, Source.DESK_RELAY)])
    # one clerk: the second waits for the first (record 1 + classify 0.5 + close 0.5)
    assert _trace(log, "trace-r0-000000") == [
        ("received", None, 5, 1), ("recorded", 5, 6, 1), ("classified", 6, 6.5, 1),
        ("closed", None, 7, 1)]
    assert _trace(log, "trace-r0-000001") == [
        ("received", None, 5.5, 1), ("recorded", 7, 8, 1), ("classified", 8, 8.5, 1),
        ("closed", None, 9, 1)]
