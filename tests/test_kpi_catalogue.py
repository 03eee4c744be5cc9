"""A catalogue of hand-built logs with hand-worked KPI values (``KPI.md``).

Every expected value below is worked out by hand in the comments, from the contract, not by
running code. Each test asserts that the independent reference (``tests/kpi_reference.py``)
gives those values AND that the engine (:mod:`fcsim.kpi`) does.

Times are seconds after T0 = 2026-03-02T08:00:00+00:00; default bounds are the seed's
(record 60, dispatch 120, emergency_report 90, on_site 600, appointment_sign >= 0,
appointment_call 900-1800, appointment_arrival 180-300, plan 180, escalate 300, callback 120).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import pytest
from kpi_reference import (
    CP_COLUMNS,
    normalise_control_points,
    normalise_counts,
    reference_control_points,
    reference_indicator_counts,
    reference_scenario_rows,
)
from logbuilder import LogBuilder

from fcsim.eventlog import EventLog
from fcsim.model import SEED_CONTROL_POINTS, ControlPoints

T0 = pd.Timestamp("2026-03-02T08:00:00+00:00")
ROUTE_ALL = (True, True, True)
DESK_ONLY = (False, False, False)


def at(s: float) -> pd.Timestamp:
    return T0 + pd.Timedelta(seconds=s)


def expected_rows(rows: list[tuple[Any, ...]], cp: ControlPoints = SEED_CONTROL_POINTS,
                  scenario: str | None = None, replication: int | None = None) -> pd.DataFrame:
    """Rows ``(ticket, attempt, occurrence, clock, status, start_s, end_s, duration, late)``."""
    out = []
    for tid, att, occ, clock, status, s, e, dur, late in rows:
        b = cp.bounds(clock)
        out.append({"scenario": scenario, "replication": replication, "ticket_id": tid,
                    "attempt": att, "occurrence": occ, "control_point": clock,
                    "status": status, "start": None if s is None else at(s),
                    "end": None if e is None else at(e), "duration_s": dur,
                    "lower_s": b.lower_s, "upper_s": b.upper_s, "lateness_s": late})
    return normalise_control_points(pd.DataFrame(out, columns=CP_COLUMNS))


def check_rows(log: EventLog, rows: list[tuple[Any, ...]], *, as_of: float | None = None,
               bounds: ControlPoints | None = None, window: tuple[float, float] | None = None,
               cp: ControlPoints = SEED_CONTROL_POINTS, scenario: str | None = None,
               replication: int | None = None) -> None:
    """Reference and engine clock rows both equal the hand-worked rows."""
    from fcsim.kpi import control_points

    want = expected_rows(rows, cp, scenario, replication)
    t = None if as_of is None else at(as_of)
    w = None if window is None else (at(window[0]), at(window[1]))
    ref = reference_control_points(log, t, bounds, w)
    pd.testing.assert_frame_equal(ref, want, obj="reference control points")
    eng = normalise_control_points(control_points(log, as_of=t, bounds=bounds, window=w))
    pd.testing.assert_frame_equal(eng, want, obj="engine control points")


def check_counts(log: EventLog, counts: dict[str, tuple[int, int]], *, n_censored: int = 0,
                 as_of: float | None = None, window: tuple[float, float] | None = None) -> None:
    """Reference and engine (numerator, denominator) per indicator of a single observed log."""
    from fcsim.kpi import indicators

    want = normalise_counts(pd.DataFrame(
        [{"scenario": None, "replication": None, "indicator": k, "numerator": n,
          "denominator": d, "n_censored": n_censored if k == "timeliness" else None}
         for k, (n, d) in counts.items()]))
    t = None if as_of is None else at(as_of)
    w = None if window is None else (at(window[0]), at(window[1]))
    ref = reference_indicator_counts(log, t, None, w)
    pd.testing.assert_frame_equal(ref, want, obj="reference counts")
    eng = indicators(log, as_of=t, window=w)
    eng = normalise_counts(eng[eng["level"].astype(str) != "scenario"])
    pd.testing.assert_frame_equal(eng, want, obj="engine counts")


def counts_of(**kw: tuple[int, int]) -> dict[str, tuple[int, int]]:
    base = dict.fromkeys(("timeliness", "satisfaction", "accuracy", "pass_rate", "recognition",
                          "callback_rate"), (0, 0))
    base.update(kw)
    return base


def routine(b: LogBuilder, tid: str, **kw: Any) -> None:
    """A repair where every clock is met (durations in the comments of the first test)."""
    b.ticket(tid, route=ROUTE_ALL, satisfied=True, **kw).steps(
        (0, "received"), (40, "recorded"), (50, "classified"), (100, "dispatched"),
        (400, "arrived"), (700, "diagnosed"), (820, "planned"), (900, "work_started"),
        (2000, "work_completed"), (2100, "accepted"), (2300, "slip_returned"),
        (2360, "callback"), (2400, "closed"))


# --------------------------------------------------------------------------- all met


def test_routine_repair_all_met_and_callback_rate_waits_120s() -> None:
    b = LogBuilder(t0=T0)
    routine(b, "T1")
    log = b.build()
    # record 0->40 (40); dispatch recorded 40 -> dispatched 100 (60); on_site 100 -> 400 (300);
    # plan 700 -> 820 (120); callback 2300 -> 2360 (60). as_of defaults to 2400 (latest event).
    rows: list[tuple[Any, ...]] = [("T1", 1, 1, "record", "met", 0, 40, 40.0, None),
            ("T1", 1, 1, "dispatch", "met", 40, 100, 60.0, None),
            ("T1", 1, 1, "on_site", "met", 100, 400, 300.0, None),
            ("T1", 1, 1, "plan", "met", 700, 820, 120.0, None),
            ("T1", 1, 1, "callback", "met", 2300, 2360, 60.0, None)]
    check_rows(log, rows)
    # slip_returned 2300 is only 100 s before as_of 2400 (< 120): not yet in callback_rate.
    one = counts_of(timeliness=(1, 1), satisfaction=(1, 1), accuracy=(1, 1),
                    pass_rate=(1, 1), recognition=(1, 1))
    check_counts(log, one)
    check_counts(log, one, as_of=2419)  # 119 s: still out
    check_counts(log, {**one, "callback_rate": (1, 1)}, as_of=2420)  # exactly 120 s: in


# --------------------------------------------------------------- record / censored / open


def test_record_breached_censored_and_breached_while_open() -> None:
    b = LogBuilder(t0=T0)
    b.ticket("T1", category="consultation", route=DESK_ONLY).steps(
        (0, "received"), (90, "recorded"), (100, "classified"), (200, "closed"))
    b.ticket("T2", category="consultation", route=DESK_ONLY).at(1000, "received")
    log = b.build()
    # T1: record 0 -> 90 = 90 > 60: breached, lateness 30.
    t1 = [("T1", 1, 1, "record", "breached", 0, 90, 90.0, 30.0)]
    # T2 at as_of 1050: 50 s elapsed <= 60 -> censored, no end, no duration, no lateness.
    check_rows(log, [*t1, ("T2", 1, 1, "record", "censored", 1000, None, None, None)],
               as_of=1050)
    # at 1060: 60 s, still within (inclusive) -> censored
    check_rows(log, [*t1, ("T2", 1, 1, "record", "censored", 1000, None, None, None)],
               as_of=1060)
    # at 1061: 61 s > 60 -> breached while open, lateness 1.
    check_rows(log, [*t1, ("T2", 1, 1, "record", "breached", 1000, None, None, 1.0)],
               as_of=1061)
    # timeliness at 1050: T1 breached (den), T2 only censored -> 0/1, 1 censored;
    # recognition: T1 classified, no misroute -> 1/1; accuracy both true -> 2/2.
    check_counts(log, counts_of(timeliness=(0, 1), accuracy=(2, 2), recognition=(1, 1)),
                 n_censored=1, as_of=1050)
    # at 1061 T2 is breached too: 0/2, none censored.
    check_counts(log, counts_of(timeliness=(0, 2), accuracy=(2, 2), recognition=(1, 1)),
                 as_of=1061)


def test_missing_rows_with_and_without_start() -> None:
    b = LogBuilder(t0=T0)
    # closed at 100 without ever being recorded, dispatched, diagnosed or accepted.
    b.ticket("T1", route=ROUTE_ALL).steps((0, "received"), (100, "closed"))
    log = b.build()
    # record: start R=0 known, end never, attempt ended at 100: missing, lateness
    #   100 - 0 - 60 = 40 (how far past the bound the clock stood when the attempt ended).
    # dispatch (start recorded), on_site (start dispatched), plan (start diagnosed) never
    #   started: start-less missing rows, no lateness.
    # callback: route_callback, closed without accepted -> missing on the last attempt (1).
    rows: list[tuple[Any, ...]] = [("T1", 1, 1, "record", "missing", 0, None, None, 40.0),
            ("T1", 1, 1, "dispatch", "missing", None, None, None, None),
            ("T1", 1, 1, "on_site", "missing", None, None, None, None),
            ("T1", 1, 1, "plan", "missing", None, None, None, None),
            ("T1", 1, 1, "callback", "missing", None, None, None, None)]
    check_rows(log, rows)
    # timeliness: missing counts as breached -> 0/1.
    check_counts(log, counts_of(timeliness=(0, 1), accuracy=(1, 1)))


def test_missing_with_start_inside_bound_has_zero_lateness() -> None:
    # recorded at 40, dispatched never, closed at 100: the dispatch clock stood at 60 s
    # (within its 120 s bound) when the attempt ended -> missing, lateness max(0, 60-120) = 0.
    b = LogBuilder(t0=T0)
    b.ticket("T1", route=(True, False, False)).steps(
        (0, "received"), (40, "recorded"), (100, "closed"))
    rows: list[tuple[Any, ...]] = [("T1", 1, 1, "record", "met", 0, 40, 40.0, None),
            ("T1", 1, 1, "dispatch", "missing", 40, None, None, 0.0)]
    check_rows(b.build(), rows)


def test_open_ticket_has_no_rows_for_unstarted_clocks() -> None:
    # Open (not closed), recorded at 40, as_of 100: dispatch censored (60 s); on_site, plan,
    # callback have no start and the attempt has not ended -> no rows at all.
    b = LogBuilder(t0=T0)
    b.ticket("T1", route=ROUTE_ALL).steps((0, "received"), (40, "recorded"))
    rows: list[tuple[Any, ...]] = [("T1", 1, 1, "record", "met", 0, 40, 40.0, None),
            ("T1", 1, 1, "dispatch", "censored", 40, None, None, None)]
    check_rows(b.build(), rows, as_of=100)
    # as_of 200: dispatch 160 s > 120 -> breached while open, lateness 40.
    rows[1] = ("T1", 1, 1, "dispatch", "breached", 40, None, None, 40.0)
    check_rows(b.build(), rows, as_of=200)


# ------------------------------------------------------------------------- second pass


def test_second_pass_has_its_own_clocks_and_callback_only_on_accepted_attempt() -> None:
    b = LogBuilder(t0=T0)
    b.ticket("T1", route=ROUTE_ALL, satisfied=False).steps(
        (0, "received"), (40, "recorded"), (50, "classified"), (100, "dispatched"),
        (400, "arrived"), (700, "diagnosed"), (800, "planned"), (2000, "work_completed"),
        (2100, "rejected"),  # opens attempt 2 (the builder infers attempt 2 from here on)
        (2150, "recorded"), (2200, "classified"), (2400, "dispatched"), (2900, "arrived"),
        (3000, "diagnosed"), (3250, "planned"), (4000, "work_completed"), (4100, "accepted"),
        (4200, "slip_returned"), (4260, "callback"), (4300, "closed"))
    log = b.build()
    # attempt 1: record 0->40 (40) met; dispatch 40->100 (60) met; on_site 100->400 (300) met;
    #   plan 700->800 (100) met; no callback row (not the accepted attempt).
    # attempt 2: R = rejected 2100; record 2100->2150 (50) met; dispatch 2150->2400 (250)
    #   breached lateness 130; on_site 2400->2900 (500) met; plan 3000->3250 (250) breached
    #   lateness 70; callback 4200->4260 (60) met.
    rows: list[tuple[Any, ...]] = [("T1", 1, 1, "record", "met", 0, 40, 40.0, None),
            ("T1", 1, 1, "dispatch", "met", 40, 100, 60.0, None),
            ("T1", 1, 1, "on_site", "met", 100, 400, 300.0, None),
            ("T1", 1, 1, "plan", "met", 700, 800, 100.0, None),
            ("T1", 2, 1, "record", "met", 2100, 2150, 50.0, None),
            ("T1", 2, 1, "dispatch", "breached", 2150, 2400, 250.0, 130.0),
            ("T1", 2, 1, "on_site", "met", 2400, 2900, 500.0, None),
            ("T1", 2, 1, "plan", "breached", 3000, 3250, 250.0, 70.0),
            ("T1", 2, 1, "callback", "met", 4200, 4260, 60.0, None)]
    check_rows(log, rows)
    # pass_rate: first decision rejected -> 0/1; satisfaction: reached callback, satisfied
    # false -> 0/1; recognition: attempt-1 classified, no misroute -> 1/1; callback_rate at
    # as_of 4300: slip 4200 only 100 s before -> 0/0; timeliness 0/1.
    check_counts(log, counts_of(timeliness=(0, 1), satisfaction=(0, 1), accuracy=(1, 1),
                                pass_rate=(0, 1), recognition=(1, 1)))
    # as_of 3000: attempt 2 open, no callback row yet; its diagnosed (3000) is known and
    # planned is not: plan censored (0 s elapsed); attempt-2 arrival 2900 is known.
    rows_3000: list[tuple[Any, ...]] = [r for r in rows if r[0:4] != ("T1", 2, 1, "callback")]
    rows_3000 = [r if r[3] != "plan" or r[1] == 1 else
                 ("T1", 2, 1, "plan", "censored", 3000, None, None, None) for r in rows_3000]
    check_rows(log, rows_3000, as_of=3000)


def test_rejected_then_accepted_attempt_one_decision_is_first() -> None:
    # pass_rate counts the FIRST attempt-1 decision; a closed-without-accepted ticket with a
    # callback route gets its missing callback row on its last attempt.
    b = LogBuilder(t0=T0)
    b.ticket("T1", route=(False, False, True), category="housekeeping").steps(
        (0, "received"), (30, "recorded"), (1000, "rejected"), (1030, "recorded"),
        (2000, "closed"))
    log = b.build()
    # attempt 1: record 0->30 met. attempt 2: record 1000->1030 (30) met; callback: closed
    # without accepted -> missing on attempt 2, no start, no lateness.
    rows: list[tuple[Any, ...]] = [("T1", 1, 1, "record", "met", 0, 30, 30.0, None),
            ("T1", 2, 1, "record", "met", 1000, 1030, 30.0, None),
            ("T1", 2, 1, "callback", "missing", None, None, None, None)]
    check_rows(log, rows)
    check_counts(log, counts_of(timeliness=(0, 1), accuracy=(1, 1), pass_rate=(0, 1)))


# --------------------------------------------------------------------------- emergency


def test_emergency_report_replaces_dispatch_and_starts_on_site() -> None:
    b = LogBuilder(t0=T0)
    b.ticket("E1", emergency=True, route=ROUTE_ALL, satisfied=True).steps(
        (0, "received"), (30, "recorded"), (80, "emergency_reported"), (90, "classified"),
        (100, "dispatched"), (780, "arrived"), (900, "diagnosed"), (1000, "planned"),
        (2000, "work_completed"), (2100, "accepted"), (2200, "slip_returned"),
        (2300, "callback"), (2350, "closed"))
    # second pass of an emergency: attempt 2 is dispatched like any other ticket.
    b.ticket("E2", emergency=True, route=ROUTE_ALL, satisfied=True).steps(
        (0, "received"), (20, "recorded"), (60, "emergency_reported"), (70, "dispatched"),
        (300, "arrived"), (400, "diagnosed"), (500, "planned"), (1000, "work_completed"),
        (1100, "rejected"), (1130, "recorded"), (1300, "dispatched"), (1500, "arrived"),
        (1600, "diagnosed"), (1700, "planned"), (2000, "work_completed"), (2100, "accepted"),
        (2150, "slip_returned"), (2200, "callback_failed"), (2250, "closed"))
    log = b.build()
    # E1: record 0->30 met; emergency_report R 0 -> 80 (80 <= 90) met; no dispatch row;
    #   on_site from emergency_reported 80 -> arrived 780 = 700 breached lateness 100;
    #   plan 900->1000 met; callback 2200->2300 (100) met.
    # E2 attempt 1: record 20 met; emergency_report 60 met; on_site 60->300 (240) met;
    #   plan 400->500 met. attempt 2: record 1100->1130 (30) met; dispatch 1130->1300
    #   (170) breached lateness 50; on_site 1300->1500 (200) met; plan 1600->1700 met;
    #   callback 2150->2200 (50, callback_failed ends it) met. No emergency_report in attempt 2.
    rows: list[tuple[Any, ...]] = [("E1", 1, 1, "record", "met", 0, 30, 30.0, None),
            ("E1", 1, 1, "emergency_report", "met", 0, 80, 80.0, None),
            ("E1", 1, 1, "on_site", "breached", 80, 780, 700.0, 100.0),
            ("E1", 1, 1, "plan", "met", 900, 1000, 100.0, None),
            ("E1", 1, 1, "callback", "met", 2200, 2300, 100.0, None),
            ("E2", 1, 1, "record", "met", 0, 20, 20.0, None),
            ("E2", 1, 1, "emergency_report", "met", 0, 60, 60.0, None),
            ("E2", 1, 1, "on_site", "met", 60, 300, 240.0, None),
            ("E2", 1, 1, "plan", "met", 400, 500, 100.0, None),
            ("E2", 2, 1, "record", "met", 1100, 1130, 30.0, None),
            ("E2", 2, 1, "dispatch", "breached", 1130, 1300, 170.0, 50.0),
            ("E2", 2, 1, "on_site", "met", 1300, 1500, 200.0, None),
            ("E2", 2, 1, "plan", "met", 1600, 1700, 100.0, None),
            ("E2", 2, 1, "callback", "met", 2150, 2200, 50.0, None)]
    check_rows(log, rows)
    # as_of 2350: timeliness 0/2 (E1 on_site, E2 dispatch breached); satisfaction: E1 reached
    # and satisfied -> 1/1 (E2 never reached: not counted although satisfied=True);
    # pass_rate E1 accepted, E2 rejected first -> 1/2; recognition: only E1 has an attempt-1
    # classified -> 1/1; callback_rate: slips 2200 and 2150 are >= 120 s before 2350 -> both
    # in; only E1 reached -> 1/2.
    check_counts(log, counts_of(timeliness=(0, 2), satisfaction=(1, 1), accuracy=(2, 2),
                                pass_rate=(1, 2), recognition=(1, 1), callback_rate=(1, 2)))
    # emergency report late: 0 -> 95 = 95 > 90 -> breached lateness 5 (with a custom bound of
    # 100 it is met).
    b2 = LogBuilder(t0=T0)
    b2.ticket("E3", emergency=True, route=(True, False, False)).steps(
        (0, "received"), (30, "recorded"), (95, "emergency_reported"), (200, "closed"))
    rows3: list[tuple[Any, ...]] = [("E3", 1, 1, "record", "met", 0, 30, 30.0, None),
             ("E3", 1, 1, "emergency_report", "breached", 0, 95, 95.0, 5.0)]
    check_rows(b2.build(), rows3)
    cp = SEED_CONTROL_POINTS.with_bounds({"emergency_report": {"upper_s": 100}})
    rows3[1] = ("E3", 1, 1, "emergency_report", "met", 0, 95, 95.0, None)
    check_rows(b2.build(), rows3, bounds=cp, cp=cp)


def test_manifest_bounds_apply_to_their_scenario() -> None:
    # the hospital variant: staff on post within 300 s, from the run's manifest.
    b = LogBuilder(t0=T0, scenario="hospital", replication=1,
                   manifest={"control_points": {"hospital": {"on_site": {"lower_s": None,
                                                                         "upper_s": 300}}}})
    b.ticket("H1", route=(True, True, False)).steps(
        (0, "received"), (40, "recorded"), (100, "dispatched"), (500, "arrived"),
        (600, "closed"))
    # on_site 100 -> 500 = 400 > 300: breached, lateness 100 (met under the seed's 600);
    # plan: never diagnosed, attempt closed -> start-less missing.
    cp = SEED_CONTROL_POINTS.with_bounds({"on_site": {"upper_s": 300}})
    rows: list[tuple[Any, ...]] = [("H1", 1, 1, "record", "met", 0, 40, 40.0, None),
            ("H1", 1, 1, "dispatch", "met", 40, 100, 60.0, None),
            ("H1", 1, 1, "on_site", "breached", 100, 500, 400.0, 100.0),
            ("H1", 1, 1, "plan", "missing", None, None, None, None)]
    check_rows(b.build(), rows, cp=cp, scenario="hospital", replication=1)


# -------------------------------------------------------------------- misroute / desk


def test_misroute_found_on_site_runs_on_site_to_valid_arrival() -> None:
    b = LogBuilder(t0=T0)
    b.ticket("M1", route=(True, True, False), recognised_correctly=False).steps(
        (0, "received"), (40, "recorded"), (50, "classified"), (100, "dispatched"),
        (400, "arrived"), (450, "misrouted"), (500, "dispatched"), (1100, "arrived"),
        (1200, "diagnosed"), (1300, "planned"), (2000, "work_completed"), (2100, "accepted"),
        (2200, "closed"))
    log = b.build()
    # dispatch: recorded 40 -> FIRST dispatched 100 (60) met.
    # on_site: first dispatched 100 -> arrival 400 is invalid (misrouted 450 before the next
    #   dispatched 500) -> valid arrival 1100: 1000 s, breached, lateness 400.
    rows: list[tuple[Any, ...]] = [("M1", 1, 1, "record", "met", 0, 40, 40.0, None),
            ("M1", 1, 1, "dispatch", "met", 40, 100, 60.0, None),
            ("M1", 1, 1, "on_site", "breached", 100, 1100, 1000.0, 400.0),
            ("M1", 1, 1, "plan", "met", 1200, 1300, 100.0, None)]
    check_rows(log, rows)
    # recognition: attempt-1 misrouted -> 0/1.
    check_counts(log, counts_of(timeliness=(0, 1), accuracy=(1, 1), pass_rate=(1, 1),
                                recognition=(0, 1)))


def test_recognition_flags() -> None:
    b = LogBuilder(t0=T0)
    for tid, rc in (("R1", False), ("R2", None), ("R3", True)):
        b.ticket(tid, category="consultation", route=DESK_ONLY, recognised_correctly=rc,
                 record_accurate=None).steps(
            (0, "received"), (30, "recorded"), (40, "classified"), (100, "closed"))
    b.ticket("R4", category="consultation", route=DESK_ONLY).steps(
        (0, "received"), (30, "recorded"), (100, "closed"))  # never classified: not counted
    # recognised_correctly false -> fails; null (no misroute) -> passes; true -> passes: 2/3.
    # accuracy: R1-R3 null record_accurate -> only R4 (true) -> 1/1. timeliness 4/4.
    check_counts(b.build(), counts_of(timeliness=(4, 4), accuracy=(1, 1), recognition=(2, 3)))


def test_misrouted_with_recognised_correctly_true_is_an_error() -> None:
    from fcsim.kpi import indicators

    b = LogBuilder(t0=T0)
    b.ticket("X1", route=DESK_ONLY, recognised_correctly=True).steps(
        (0, "received"), (30, "recorded"), (40, "classified"), (50, "misrouted"),
        (100, "closed"))
    log = b.build()
    with pytest.raises(ValueError, match="misrouted"):
        reference_indicator_counts(log)
    with pytest.raises(ValueError, match="X1"):
        indicators(log)


def test_desk_answered_consultation_has_only_record_clock() -> None:
    b = LogBuilder(t0=T0)
    b.ticket("C1", category="consultation", route=DESK_ONLY, satisfied=True).steps(
        (0, "received"), (30, "recorded"), (40, "classified"), (200, "closed"))
    # dispatch/on_site/plan/callback do not apply (route flags false) -> record only.
    check_rows(b.build(), [("C1", 1, 1, "record", "met", 0, 30, 30.0, None)])
    # satisfaction: no reached callback -> 0/0 even with satisfied true.
    check_counts(b.build(), counts_of(timeliness=(1, 1), accuracy=(1, 1), recognition=(1, 1)))


def test_relayed_is_the_desk_receipt() -> None:
    b = LogBuilder(t0=T0)
    b.ticket("L1", category="consultation", route=DESK_ONLY).steps(
        (0, "received"), (100, "relayed"), (150, "recorded"), (200, "closed"))
    # R = relayed 100 -> recorded 150: 50 s met (from received it would be 150, breached).
    check_rows(b.build(), [("L1", 1, 1, "record", "met", 100, 150, 50.0, None)])


# ------------------------------------------------------------------------- appointments


def appointment(b: LogBuilder, tid: str, contacted: float | None, arrived: float | None,
                booked: float | None = 0, close: bool = True) -> None:
    """Appointment at 7200, booked at ``booked``; signed at 5000."""
    t = b.ticket(tid, mode="appointment", route=(True, True, False), booked_at=booked,
                 appointment_at=7200)
    t.steps((0, "received"), (50, "recorded"), (150, "dispatched"), (5000, "signed"))
    if contacted is not None:
        t.at(contacted, "contacted")
    if arrived is not None:
        t.at(arrived, "arrived").steps((7400, "diagnosed"), (7500, "planned"))
    if close:
        t.at(9000, "closed")


def _head(tid: str) -> list[tuple[Any, ...]]:
    # record 0->50 (50) met; dispatch 50->150 (100) met; sign 5000 -> 7200 = 2200 >= 0 met.
    return [(tid, 1, 1, "record", "met", 0, 50, 50.0, None),
            (tid, 1, 1, "dispatch", "met", 50, 150, 100.0, None),
            (tid, 1, 1, "appointment_sign", "met", 5000, 7200, 2200.0, None)]


def test_appointment_arrival_window_early_and_on_the_minute() -> None:
    b = LogBuilder(t0=T0)
    appointment(b, "A1", contacted=6000, arrived=6960)  # call 1200 met; arrival 240 met
    appointment(b, "A2", contacted=6300, arrived=6780)  # call 900 (bound) met; 420: 7 min
    appointment(b, "A3", contacted=5400, arrived=7200)  # call 1800 (bound) met; 0: on time
    log = b.build()
    plan = [("plan", "met", 7400, 7500, 100.0, None)]
    rows: list[tuple[Any, ...]] = [*_head("A1"),
            ("A1", 1, 1, "appointment_call", "met", 6000, 7200, 1200.0, None),
            ("A1", 1, 1, "appointment_arrival", "met", 6960, 7200, 240.0, None),
            *[("A1", 1, 1, *p) for p in plan],
            *_head("A2"),
            ("A2", 1, 1, "appointment_call", "met", 6300, 7200, 900.0, None),
            # 420 s early > 300: breached, lateness 120
            ("A2", 1, 1, "appointment_arrival", "breached", 6780, 7200, 420.0, 120.0),
            *[("A2", 1, 1, *p) for p in plan],
            *_head("A3"),
            ("A3", 1, 1, "appointment_call", "met", 5400, 7200, 1800.0, None),
            # arrived at the agreed minute: 0 < 180: breached, lateness 180
            ("A3", 1, 1, "appointment_arrival", "breached", 7200, 7200, 0.0, 180.0),
            *[("A3", 1, 1, *p) for p in plan]]
    check_rows(log, rows)
    check_counts(log, counts_of(timeliness=(1, 3), accuracy=(3, 3)))


def test_appointment_not_yet_called_censored_then_breached() -> None:
    b = LogBuilder(t0=T0)
    appointment(b, "A4", contacted=None, arrived=None, close=False)
    log = b.build()
    head = _head("A4")
    # call: start unknown; breached once as_of > 7200 - 900 = 6300, else censored.
    # arrival: breached once as_of > 7200 - 180 = 7020. end = appointment_at on every row.
    cens = ("censored", None, 7200, None, None)
    check_rows(log, [*head, ("A4", 1, 1, "appointment_call", *cens),
                     ("A4", 1, 1, "appointment_arrival", *cens)], as_of=6300)
    check_rows(log, [*head, ("A4", 1, 1, "appointment_call", "breached", None, 7200, None, 1.0),
                     ("A4", 1, 1, "appointment_arrival", *cens)], as_of=6301)
    check_rows(log, [*head,
                     ("A4", 1, 1, "appointment_call", "breached", None, 7200, None, 800.0),
                     ("A4", 1, 1, "appointment_arrival", "breached", None, 7200, None, 80.0)],
               as_of=7100)
    # before signing (as_of 4000): sign clock has no start, 4000 < 7200 - 0 -> censored.
    check_rows(log, [("A4", 1, 1, "record", "met", 0, 50, 50.0, None),
                     ("A4", 1, 1, "dispatch", "met", 50, 150, 100.0, None),
                     ("A4", 1, 1, "appointment_sign", *cens),
                     ("A4", 1, 1, "appointment_call", *cens),
                     ("A4", 1, 1, "appointment_arrival", *cens)], as_of=4000)


def test_appointment_closed_without_call_or_arrival_is_missing() -> None:
    b = LogBuilder(t0=T0)
    appointment(b, "A6", contacted=None, arrived=None)  # closed at 9000
    # call missing: lateness = 9000 - (7200 - 900) = 2700; arrival missing: 9000 - 7020 =
    # 1980; plan: never diagnosed -> start-less missing, no lateness.
    rows: list[tuple[Any, ...]] = [*_head("A6"),
            ("A6", 1, 1, "appointment_call", "missing", None, 7200, None, 2700.0),
            ("A6", 1, 1, "appointment_arrival", "missing", None, 7200, None, 1980.0),
            ("A6", 1, 1, "plan", "missing", None, None, None, None)]
    check_rows(b.build(), rows)


def test_appointment_call_applies_only_when_booked_900s_ahead() -> None:
    b = LogBuilder(t0=T0)
    appointment(b, "B1", contacted=6000, arrived=6960, booked=7200 - 899)  # no call clock
    appointment(b, "B2", contacted=6000, arrived=6960, booked=7200 - 900)  # call clock
    appointment(b, "B3", contacted=6000, arrived=6960, booked=None)  # no call clock
    log = b.build()
    tail = [("appointment_arrival", "met", 6960, 7200, 240.0, None),
            ("plan", "met", 7400, 7500, 100.0, None)]
    rows: list[tuple[Any, ...]] = [*_head("B1"), *[("B1", 1, 1, *r) for r in tail],
            *_head("B2"), ("B2", 1, 1, "appointment_call", "met", 6000, 7200, 1200.0, None),
            *[("B2", 1, 1, *r) for r in tail],
            *_head("B3"), *[("B3", 1, 1, *r) for r in tail]]
    check_rows(log, rows)


# ---------------------------------------------------------------------------- escalate


def test_escalate_pairs_one_to_one_in_order() -> None:
    b = LogBuilder(t0=T0)
    b.ticket("S1", route=DESK_ONLY).steps(
        (0, "received"), (30, "recorded"), (950, "escalated"),  # before any blocked: unpaired
        (1000, "blocked"), (1100, "blocked"), (1200, "escalated"), (1500, "escalated"),
        (1600, "blocked"), (2000, "closed"))
    log = b.build()
    # occ 1: blocked 1000 -> escalated 1200 (200) met; occ 2: blocked 1100 -> next unpaired
    # escalated 1500 (400) breached lateness 100; occ 3: blocked 1600, none after; attempt
    # ended at 2000 -> missing, lateness 2000 - 1600 - 300 = 100.
    rows: list[tuple[Any, ...]] = [("S1", 1, 1, "record", "met", 0, 30, 30.0, None),
            ("S1", 1, 1, "escalate", "met", 1000, 1200, 200.0, None),
            ("S1", 1, 2, "escalate", "breached", 1100, 1500, 400.0, 100.0),
            ("S1", 1, 3, "escalate", "missing", 1600, None, None, 100.0)]
    check_rows(log, rows)
    # as_of 1800 (not closed yet): occ 3 has run 200 s <= 300 -> censored.
    rows[3] = ("S1", 1, 3, "escalate", "censored", 1600, None, None, None)
    check_rows(log, rows, as_of=1800)
    # as_of 1950: 350 s -> breached while open, lateness 50.
    rows[3] = ("S1", 1, 3, "escalate", "breached", 1600, None, None, 50.0)
    check_rows(log, rows, as_of=1950)


# ---------------------------------------------------------------------------- callback


def test_callback_failed_meets_clock_but_fails_callback_rate() -> None:
    b = LogBuilder(t0=T0)
    b.ticket("F1", route=(False, False, True), satisfied=True).steps(
        (0, "received"), (30, "recorded"), (1000, "accepted"), (1100, "slip_returned"),
        (1160, "callback_failed"), (1300, "closed"))
    log = b.build()
    # callback 1100 -> callback_failed 1160 (60) met; callback_rate: slip 200 s before
    # as_of 1300 -> in the denominator, never reached -> 0/1; satisfaction: no reached
    # callback -> 0/0.
    check_rows(log, [("F1", 1, 1, "record", "met", 0, 30, 30.0, None),
                     ("F1", 1, 1, "callback", "met", 1100, 1160, 60.0, None)])
    check_counts(log, counts_of(timeliness=(1, 1), accuracy=(1, 1), pass_rate=(1, 1),
                                callback_rate=(0, 1)))


def test_satisfaction_needs_reached_callback_and_nonnull_flag() -> None:
    b = LogBuilder(t0=T0)
    for tid, sat in (("S1", True), ("S2", False), ("S3", None)):
        b.ticket(tid, route=(False, False, True), satisfied=sat).steps(
            (0, "received"), (30, "recorded"), (1000, "accepted"), (1100, "slip_returned"),
            (1160, "callback"), (1300, "closed"))
    # satisfaction: S1, S2 (S3 null) -> 1/2; callback_rate 3/3; pass 3/3; timeliness 3/3.
    check_counts(b.build(), counts_of(timeliness=(3, 3), satisfaction=(1, 2), accuracy=(3, 3),
                                      pass_rate=(3, 3), callback_rate=(3, 3)))


# ------------------------------------------------------------------------ window / as_of


def test_window_and_as_of_select_the_population() -> None:
    b = LogBuilder(t0=T0)
    b.ticket("W1", category="consultation", route=DESK_ONLY, record_accurate=True).steps(
        (0, "received"), (30, "recorded"), (100, "closed"))
    b.ticket("W2", route=(True, False, False), record_accurate=False).steps(
        (3600, "received"), (3640, "recorded"), (5100, "dispatched"))
    b.ticket("W3", category="consultation", route=DESK_ONLY).steps(
        (7200, "received"), (7230, "recorded"))
    log = b.build()
    # as_of 5000: W2's dispatched (5100) is unknown -> dispatch 3640 -> ?, 1360 s > 120:
    # breached while open, lateness 1240. W3 received after as_of: not in the population.
    w1 = [("W1", 1, 1, "record", "met", 0, 30, 30.0, None)]
    w2 = [("W2", 1, 1, "record", "met", 3600, 3640, 40.0, None),
          ("W2", 1, 1, "dispatch", "breached", 3640, None, None, 1240.0)]
    check_rows(log, [*w1, *w2], as_of=5000)
    check_rows(log, w1, as_of=5000, window=(0, 3600))  # [0, 3600): W2 at 3600 excluded
    check_rows(log, w2, as_of=5000, window=(3600, 7200))
    check_counts(log, counts_of(timeliness=(1, 2), accuracy=(1, 2)), as_of=5000)
    check_counts(log, counts_of(timeliness=(1, 1), accuracy=(1, 1)), as_of=5000,
                 window=(0, 3600))
    check_counts(log, counts_of(timeliness=(0, 1), accuracy=(0, 1)), as_of=5000,
                 window=(3600, 7200))


# ------------------------------------------------------------------- indicator edge rules


def _consult(b: LogBuilder, tid: str, **kw: Any) -> None:
    b.ticket(tid, category="consultation", route=DESK_ONLY, **kw).steps(
        (0, "received"), (30, "recorded"), (40, "classified"), (100, "closed"))


def _ind(log: EventLog, **kw: Any) -> pd.DataFrame:
    from fcsim.kpi import indicators

    out = indicators(log, **kw)
    return out.set_index(out["indicator"].astype(str))


def test_strict_above_target_and_empty_denominator() -> None:
    b = LogBuilder(t0=T0)
    for i in range(50):  # accuracy 49/50 = 0.98: "> 98 %" is strict -> not met
        _consult(b, f"T{i:02d}", record_accurate=i != 0, recognised_correctly=i != 0)
    log = b.build()
    check_counts(log, counts_of(timeliness=(50, 50), accuracy=(49, 50), recognition=(49, 50)))
    ind = _ind(log)
    acc = ind.loc["accuracy"]
    assert (acc["numerator"], acc["denominator"]) == (49, 50)
    assert acc["value"] == pytest.approx(0.98) and not bool(acc["met"])
    # recognition 49/50 = 0.98 <= 0.99 -> not met.
    assert not bool(ind.loc["recognition", "met"])
    # satisfaction: no reached callback -> denominator 0: value and met empty.
    sat = ind.loc["satisfaction"]
    assert sat["denominator"] == 0 and pd.isna(sat["value"]) and pd.isna(sat["met"])
    # timeliness 50/50 = 100 % -> met; pass_rate 0/0 -> empty (not met by 0 = 0).
    assert bool(ind.loc["timeliness", "met"]) and ind.loc["timeliness", "value"] == 1.0
    assert pd.isna(ind.loc["pass_rate", "met"]) and pd.isna(ind.loc["pass_rate", "value"])
    # Wilson 95 % for 49/50 (z = 1.959964): centre (0.98 + 0.038415)/1.076829 = 0.945753,
    # half 1.959964*sqrt(0.000392 + 0.000384)/1.076829 = 0.050700 -> [0.8951, 0.9965].
    assert acc["ci_low"] == pytest.approx(0.8951, abs=2e-4)
    assert acc["ci_high"] == pytest.approx(0.9965, abs=2e-4)


def test_above_target_met_when_strictly_above() -> None:
    b = LogBuilder(t0=T0)
    for i in range(100):  # accuracy 99/100 = 0.99 > 0.98 met; recognition 0.99 not > 0.99
        _consult(b, f"T{i:03d}", record_accurate=i != 0, recognised_correctly=i != 0)
    log = b.build()
    check_counts(log, counts_of(timeliness=(100, 100), accuracy=(99, 100),
                                recognition=(99, 100)))
    ind = _ind(log)
    assert bool(ind.loc["accuracy", "met"])
    assert not bool(ind.loc["recognition", "met"])
    assert ind.loc["accuracy", "level"] == "log"


# ------------------------------------------------------------------- scenario rows


def test_scenario_rows_over_replications() -> None:
    b = LogBuilder(t0=T0, scenario="s")
    # rep 1: one ticket, all met, accurate. rep 2: record breached, accurate.
    # rep 3: record censored only (open at as_of), not accurate.
    b.ticket("r1", category="consultation", route=DESK_ONLY, replication=1).steps(
        (0, "received"), (30, "recorded"), (100, "closed"))
    b.ticket("r2", category="consultation", route=DESK_ONLY, replication=2).steps(
        (0, "received"), (90, "recorded"), (100, "closed"))
    b.ticket("r3", category="consultation", route=DESK_ONLY, replication=3,
             record_accurate=False).at(70, "received")
    b.ticket("q1", category="consultation", route=DESK_ONLY, scenario="t", replication=1,
             ).steps((0, "received"), (30, "recorded"), (100, "closed"))
    log = b.build()
    # as_of = 100 (latest). rep 3: R 70, 30 s <= 60 -> censored.
    counts = reference_indicator_counts(log)
    tim = counts[counts["indicator"] == "timeliness"]
    assert list(zip(tim["scenario"], tim["replication"], tim["numerator"],
                    tim["denominator"], tim["n_censored"], strict=True)) == [
        ("s", 1, 1, 1, 0), ("s", 2, 0, 1, 0), ("s", 3, 0, 0, 1), ("t", 1, 1, 1, 0)]
    # scenario rows: the logit-t interval (docs/kpi-glossary.md), a t interval of the empirical
    # logits log((k + 1/2) / (n - k + 1/2)), mapped back.
    # s, timeliness: reps with den > 0 give 1/1 and 0/1 -> mean 0.5; logits +-ln 3, mean 0,
    # sd ln 3 * sqrt 2; t(0.975, 1) = 12.7062 -> half 12.7062 * ln 3 = 13.9592:
    # [logistic(-13.9592), logistic(13.9592)] = [8.6616e-07, 0.99999913]; sums 1/2, 1 censored;
    # "= 100 %" by sums -> not met.
    # s, accuracy: 1, 1, 0 -> mean 2/3; logits ln 3, ln 3, -ln 3: mean 0.36620, sd 1.26857;
    # t(0.975, 2) = 4.30265 -> half 3.15130: [logistic(-2.78510), logistic(3.51750)] =
    # [0.058135, 0.971182]; 2/3 <= 0.98 -> not met.
    # scenario t has one replication: value 1.0, the Wilson interval of 1 of 1 (z = 1.95996):
    # [1 / (1 + z^2), 1] = [0.206549, 1].
    want = {("s", "timeliness"): (0.5, 8.6616e-07, 0.99999913, False, 1, 2, 1),
            ("s", "accuracy"): (2 / 3, 0.058135, 0.971182, False, 2, 3, None),
            ("t", "timeliness"): (1.0, 0.206549, 1.0, True, 1, 1, 0)}
    ref = reference_scenario_rows(counts).set_index(["scenario", "indicator"])
    ind = _ind(log)
    eng = ind[ind["level"].astype(str) == "scenario"].set_index(["scenario", "indicator"])
    for frame, name in ((ref, "reference"), (eng, "engine")):
        for key, (v, lo, hi, met, num, den, cen) in want.items():
            r = frame.loc[(key[0], key[1])]
            got = (r["value"], r["ci_low"], r["ci_high"])
            assert got[0] == pytest.approx(v), (name, key)
            for g, w in ((got[1], lo), (got[2], hi)):
                assert (pd.isna(g) if w is None else g == pytest.approx(w, abs=1e-4)), (
                    name, key, got)
            assert bool(r["met"]) is met, (name, key)
            assert (int(r["numerator"]), int(r["denominator"])) == (num, den), (name, key)
            if cen is not None:
                assert int(r["n_censored"]) == cen, (name, key)
    # replication rows carry Wilson intervals; a rep with den 0 has empty value.
    reps = ind[ind["level"].astype(str) == "replication"]
    r3 = reps[reps["replication"].astype("Int64") == 3]
    assert pd.isna(r3.loc["timeliness", "value"])
    assert math.isclose(r3.loc["accuracy", "value"], 0.0)


def test_empty_population_and_as_of_at_receipt() -> None:
    b = LogBuilder(t0=T0)
    b.ticket("T1", route=DESK_ONLY).steps((0, "received"), (100, "work_completed"))
    log = b.build()
    # window [0, 0) is empty: no rows, every indicator 0/0 (timeliness 0 censored).
    check_rows(log, [], window=(0, 0))
    check_counts(log, counts_of(), window=(0, 0))
    # as_of = the receipt instant: R is known (<= as_of); record 0 s elapsed -> censored;
    # accuracy (a ticket fact) counts at any as_of -> 1/1; timeliness 0/0 with 1 censored.
    check_rows(log, [("T1", 1, 1, "record", "censored", 0, None, None, None)], as_of=0)
    check_counts(log, counts_of(accuracy=(1, 1)), n_censored=1, as_of=0)
    # one second before the receipt: the ticket is not yet in the population.
    check_rows(log, [], as_of=-1)
    check_counts(log, counts_of(), as_of=-1)


def test_callback_starts_at_the_accepted_attempts_slip_even_when_tied_before_accepted() -> None:
    # Real logs have ties: here slip_returned and accepted share the second 1000 and the slip
    # happens to carry the lower seq. KPI.md: callback runs from "the accepted attempt's
    # slip_returned" (an unqualified start = its first occurrence in that attempt), so the
    # start is the slip at 1000 -> first callback 1060: 60 s, met. callback_rate: slip 300 s
    # before as_of 1300 -> 1/1; timeliness 1/1.
    b = LogBuilder(t0=T0)
    b.ticket("T1", route=(False, False, True), satisfied=True).at(0, "received", seq=0).at(
        30, "recorded", seq=1).at(1000, "accepted", seq=3).at(1000, "slip_returned", seq=2).at(
        1060, "callback", seq=4).at(1300, "closed", seq=5)
    log = b.build()
    check_rows(log, [("T1", 1, 1, "record", "met", 0, 30, 30.0, None),
                     ("T1", 1, 1, "callback", "met", 1000, 1060, 60.0, None)])
    check_counts(log, counts_of(timeliness=(1, 1), satisfaction=(1, 1), accuracy=(1, 1),
                                pass_rate=(1, 1), callback_rate=(1, 1)))
