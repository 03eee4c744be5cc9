"""Lateness attribution: hand-built tickets whose late seconds have exact, hand-worked causes.

Each case gives the clock row by hand (start, end, bounds, lateness worked out from KPI.md) and
the expected seconds per cause worked out from the rule in :mod:`fcsim.analysis.attribution`;
where the KPI engine is present, its clock rows are checked to carry the same lateness.
"""

from __future__ import annotations

import pandas as pd
import pytest
from logbuilder import LogBuilder

from fcsim.analysis import CAUSES, attribute_lateness, lateness_by_ticket

T0 = pd.Timestamp("2026-03-02T08:00:00+00:00")


def ts(sec: float) -> pd.Timestamp:
    return T0 + pd.Timedelta(seconds=sec)


def clock(ticket: str, cp: str, start: float | None, end: float | None, *, upper: float | None,
          lower: float | None = None, lateness: float, status: str = "breached",
          attempt: int = 1, occurrence: int = 1) -> dict[str, object]:
    dur = None if start is None or end is None else end - start
    return {
        "scenario": None, "replication": None, "ticket_id": ticket, "attempt": attempt,
        "occurrence": occurrence, "control_point": cp, "status": status,
        "start": None if start is None else ts(start), "end": None if end is None else ts(end),
        "duration_s": dur, "lower_s": lower, "upper_s": upper, "lateness_s": lateness,
    }


def causes_of(attr: pd.DataFrame, ticket: str, cp: str | None = None) -> dict[str, float]:
    sel = attr[attr["ticket_id"] == ticket]
    if cp is not None:
        sel = sel[sel["control_point"] == cp]
    return {str(k): float(v) for k, v in sel.groupby("cause")["seconds"].sum().items()}


def engine_lateness(log, as_of: float | None = None) -> pd.DataFrame:
    from fcsim import kpi

    rows = kpi.control_points(log, as_of=None if as_of is None else ts(as_of))
    return rows[rows["lateness_s"].notna()]


def preempted_travel_log():
    """On-site clock: dispatched at 100 s, travel begins at 500 s, the technician is preempted
    at 700 s (exactly the 600 s bound) and resumes at 1120 s (7 minutes), arrives at 1180 s.
    Duration 1080 s, lateness 480 s = 420 s preemption + 60 s travel."""
    b = LogBuilder(t0=T0.isoformat())
    (b.ticket("T1", route=(True, True, False))
     .at(0, "received")
     .at(30, "recorded", started_at=10)
     .at(60, "classified", started_at=40)
     .at(100, "dispatched")
     .at(200, "signed", resource="tech-1")
     .at(700, "preempted", resource="tech-1")
     .at(1120, "resumed", resource="tech-1")
     .at(1180, "arrived", started_at=500, resource="tech-1"))
    return b.build()


def test_a_seven_minute_preemption_attributes_seven_minutes() -> None:
    log = preempted_travel_log()
    rows = pd.DataFrame([clock("T1", "on_site", 100, 1180, upper=600, lateness=480)])
    got = causes_of(attribute_lateness(log, rows), "T1")
    assert got == {"preemption": 420.0, "travel": 60.0}


def test_engine_agrees_on_the_preemption_case_lateness() -> None:
    late = engine_lateness(preempted_travel_log(), as_of=1180)
    on_site = late[late["control_point"] == "on_site"]
    assert list(on_site["lateness_s"].astype(float)) == [480.0]
    got = causes_of(attribute_lateness(preempted_travel_log(), late), "T1", "on_site")
    assert got == {"preemption": 420.0, "travel": 60.0}


def test_desk_wait_then_desk_work_on_the_record_clock() -> None:
    # R at 0, the desk starts recording at 75 s, done at 90 s: 30 s late = [60, 90):
    # [60, 75) waiting for the desk, [75, 90) the stage's own work.
    b = LogBuilder(t0=T0.isoformat())
    b.ticket("T2", route=(False, False, False)).at(0, "received").at(
        90, "recorded", started_at=75).at(100, "closed")
    log = b.build()
    rows = pd.DataFrame([clock("T2", "record", 0, 90, upper=60, lateness=30)])
    assert causes_of(attribute_lateness(log, rows), "T2") == {"desk_wait": 15.0, "work": 15.0}


def test_technician_wait_then_travel_on_the_on_site_clock() -> None:
    # dispatched 100 s, signed 300 s, travel begins 750 s, arrives 800 s: 100 s late = [700,
    # 800): [700, 750) waiting for a technician, [750, 800) travel.
    b = LogBuilder(t0=T0.isoformat())
    (b.ticket("T3", route=(True, True, False)).at(0, "received").at(40, "recorded", started_at=5)
     .at(100, "dispatched").at(300, "signed").at(800, "arrived", started_at=750))
    rows = pd.DataFrame([clock("T3", "on_site", 100, 800, upper=600, lateness=100)])
    assert causes_of(attribute_lateness(b.build(), rows), "T3") == {
        "technician_wait": 50.0, "travel": 50.0}


def test_escalation_and_rework_and_unknown_start() -> None:
    b = LogBuilder(t0=T0.isoformat())
    # T4: blocked at 1000 s, escalated at 1400 s: 100 s late, all escalation.
    (b.ticket("T4", route=(True, True, False)).at(0, "received").at(30, "recorded", started_at=5)
     .at(1000, "blocked").at(1400, "escalated", role="supervisor", resource="sup-1"))
    # T5: rejected at 2000 s opens attempt 2; its recorded comes at 2100 s: 40 s late, rework.
    (b.ticket("T5", route=(False, False, False)).at(0, "received")
     .at(30, "recorded", started_at=5).at(1900, "work_completed", started_at=1000)
     .at(2000, "rejected", role="supervisor", resource="sup-1")
     .at(2100, "recorded", started_at=2090))
    # T6: recorded 90 s after R with no started_at: 30 s late, cannot be split.
    b.ticket("T6", route=(False, False, False)).at(0, "received").at(90, "recorded")
    rows = pd.DataFrame([
        clock("T4", "escalate", 1000, 1400, upper=300, lateness=100),
        clock("T5", "record", 2000, 2100, upper=60, lateness=40, attempt=2),
        clock("T6", "record", 0, 90, upper=60, lateness=30),
    ])
    attr = attribute_lateness(b.build(), rows)
    assert causes_of(attr, "T4") == {"escalation": 100.0}
    assert causes_of(attr, "T5") == {"rework": 40.0}
    assert causes_of(attr, "T6") == {"unknown": 30.0}


def test_open_clock_waits_for_the_missing_moment() -> None:
    # recorded at 40 s, no dispatch by as_of = 1000 s: breached, lateness 1000 - 40 - 120 = 840,
    # all of it after the ticket's last event: waiting for the desk to dispatch.
    rows = pd.DataFrame([clock("T7", "dispatch", 40, None, upper=120, lateness=840)])
    b = LogBuilder(t0=T0.isoformat())
    b.ticket("T7", route=(True, True, False)).at(0, "received").at(40, "recorded", started_at=10)
    assert causes_of(attribute_lateness(b.build(), rows), "T7") == {"desk_wait": 840.0}


def test_appointment_arrival_too_late_is_travel_before_the_due_moment() -> None:
    # appointment at 3600 s; travel began at 3000 s, arrived at 3600 s: needed by 3420 s
    # (180 s early) -> 180 s late, the interval [3420, 3600) is travel.
    b = LogBuilder(t0=T0.isoformat())
    (b.ticket("T8", mode="appointment", booked_at=0, appointment_at=3600, route=(True, True, False))
     .at(0, "received").at(30, "recorded", started_at=5).at(60, "dispatched")
     .at(3600, "arrived", started_at=3000))
    rows = pd.DataFrame([clock("T8", "appointment_arrival", 3600, 3600, lower=180, upper=300,
                               lateness=180)])
    assert causes_of(attribute_lateness(b.build(), rows), "T8") == {"travel": 180.0}


def test_sum_over_causes_equals_ticket_lateness_on_the_observed_day(kpi_examples) -> None:
    from fcsim.eventlog import read_log

    d = kpi_examples / "observed-day"
    log = read_log(d)
    cp = pd.read_csv(d / "expected" / "control_points.csv")
    attr = attribute_lateness(log, cp)
    wide = lateness_by_ticket(attr).set_index("ticket_id")
    expected = cp.groupby("ticket_id")["lateness_s"].sum()
    expected = expected[expected > 0]
    assert sorted(wide.index) == sorted(expected.index)
    for t, total in expected.items():
        assert wide.loc[t, "total"] == pytest.approx(total, abs=1e-9)
        assert wide.loc[t, list(CAUSES)].sum() == pytest.approx(total, abs=1e-9)
    # T09: blocked -> escalated 400 s, 100 s late: escalation; T12: open, no dispatch: desk.
    assert causes_of(attr, "T09") == {"escalation": 100.0}
    assert causes_of(attr, "T12") == {"desk_wait": 3540.0}
    # The observed log has no started_at: on-site lateness cannot be split (no guess).
    assert causes_of(attr, "T04") == {"unknown": 100.0}


def test_several_late_clocks_add_up_per_ticket() -> None:
    log = preempted_travel_log()
    rows = pd.DataFrame([
        clock("T1", "on_site", 100, 1180, upper=600, lateness=480),
        clock("T1", "record", 0, 30, upper=60, lateness=0, status="met"),
    ])
    wide = lateness_by_ticket(attribute_lateness(log, rows))
    assert wide.loc[0, "total"] == 480.0
    assert wide.loc[0, "preemption"] == 420.0 and wide.loc[0, "travel"] == 60.0


def test_unknown_ticket_is_a_clear_error() -> None:
    log = preempted_travel_log()
    rows = pd.DataFrame([clock("NOPE", "record", 0, 90, upper=60, lateness=30)])
    with pytest.raises(ValueError, match="NOPE"):
        attribute_lateness(log, rows)


def random_log(seed: int, n: int = 25):
    """Tickets along the full route with random gaps (seconds), random ``started_at`` inside
    each durative gap, and random preemptions / blocks."""
    import numpy as np

    rng = np.random.default_rng(seed)
    b = LogBuilder(t0=T0.isoformat())
    durative = {"recorded", "classified", "arrived", "diagnosed", "planned", "communicated",
                "callback"}
    for k in range(n):
        t = float(k * 20_000)
        tb = b.ticket(f"R{k}", route=(True, True, True), emergency=False, satisfied=True)
        steps = ["received", "recorded", "classified", "dispatched", "signed", "arrived",
                 "diagnosed", "planned", "communicated", "work_started"]
        if rng.random() < 0.5:
            steps += ["preempted", "resumed"]
        if rng.random() < 0.5:
            steps += ["blocked", "escalated"]
        steps += ["work_completed", "accepted", "slip_returned", "callback", "closed"]
        first_work = None
        for act in steps:
            gap = float(rng.integers(1, 400))
            start = t + float(rng.integers(0, int(gap))) if act in durative else None
            t += gap
            if act == "work_started":
                first_work = t
            role = "supervisor" if act in ("escalated", "accepted") else None
            tb.at(t, act, started_at=first_work if act == "work_completed" else start,
                  role=role, resource="sup-1" if role else None)
    return b.build()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_causes_add_up_to_each_instance_lateness_on_random_logs(seed: int) -> None:
    log = random_log(seed)
    late = engine_lateness(log)
    late = late[late["lateness_s"] > 0]
    assert len(late) > 5  # the random gaps do breach clocks
    attr = attribute_lateness(log, late)
    assert set(attr["cause"]) <= set(CAUSES)
    got = attr.groupby(["ticket_id", "control_point", "occurrence"])["seconds"].sum()
    want = late.assign(ticket_id=late["ticket_id"].astype(str)).set_index(
        ["ticket_id", "control_point", "occurrence"])["lateness_s"].astype(float)
    assert len(got) == len(want)
    for idx, v in want.items():
        assert got.loc[idx] == pytest.approx(v, abs=1e-9)


def test_a_block_never_escalated_is_escalation_to_the_end() -> None:
    # blocked at 1000 s, never escalated; work goes on and the attempt closes at 1500 s: the
    # escalate row is missing with lateness 1500 - 1000 - 300 = 200 s, all escalation.
    b = LogBuilder(t0=T0.isoformat())
    (b.ticket("T9", route=(True, True, False)).at(0, "received").at(30, "recorded", started_at=5)
     .at(1000, "blocked").at(1400, "work_completed", started_at=900).at(1500, "closed"))
    rows = pd.DataFrame([clock("T9", "escalate", 1000, None, upper=300, lateness=200,
                               status="missing")])
    assert causes_of(attribute_lateness(b.build(), rows), "T9") == {"escalation": 200.0}
