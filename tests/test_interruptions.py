"""Why work stopped, read from the log: the ripple's logged cause, the ``handover`` cause of
lateness, and the ``handed_over`` / ``taken_over`` activities in the event-log schema.

Times are seconds after Monday 2026-03-02 08:00 UTC; every expected value is worked out by
hand in the comments.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from logbuilder import LogBuilder

from fcsim.analysis import attribute_lateness, emergency_ripple, stage_times, swimlane_segments
from fcsim.eventlog import EventLog, read_log, write_log
from fcsim.eventlog.lifecycle_check import validate_log
from fcsim.kpi import control_points, evaluate

T0 = pd.Timestamp("2026-03-02T08:00:00+00:00")


def _ripple_log() -> LogBuilder:
    b = LogBuilder(t0=T0)
    # R: tech-1 preempted 1000 → resumed 1600. tech-1's next logged event is E1's arrived
    # (1100). E2 is a trap for a time-overlap rule: tech-1's activity on E2 spans
    # [500, 1590], overlapping the gap 590 s, more than E1's [1000, 1300] (300 s).
    (b.ticket("R").at(0, "received").at(20, "recorded").at(40, "dispatched")
     .at(300, "arrived", resource="tech-1").at(400, "work_started", resource="tech-1")
     .at(1000, "preempted", resource="tech-1").at(1600, "resumed", resource="tech-1")
     .at(1900, "work_completed", resource="tech-1", started_at=400))
    (b.ticket("E1", emergency=True).at(950, "received").at(960, "recorded")
     .at(990, "emergency_reported")
     .at(1100, "arrived", resource="tech-1", started_at=1000)
     .at(1300, "work_completed", resource="tech-1", started_at=1100))
    (b.ticket("E2", emergency=True).at(400, "received").at(450, "recorded")
     .at(480, "emergency_reported").at(500, "signed", resource="tech-1")
     .at(1590, "work_completed", resource="tech-1", started_at=1350))
    # H: a shift handover (tech-4 → tech-5) while E3 keeps tech-4 busy: not in the ripple
    (b.ticket("H").at(0, "received").at(20, "recorded").at(40, "dispatched")
     .at(100, "work_started", resource="tech-4").at(500, "handed_over", resource="tech-4")
     .at(800, "taken_over", resource="tech-5")
     .at(1000, "work_completed", resource="tech-5", started_at=100))
    (b.ticket("E3", emergency=True).at(390, "received").at(395, "recorded")
     .at(398, "emergency_reported")
     .at(600, "arrived", resource="tech-4", started_at=500))
    # P: preempted 1000 (tech-6) → handed over 1400 → taken over 1700 (tech-7) → resumed
    # 1800: the gap is 800 s, of which the handover's 300 s are not the emergency's: 500 s
    (b.ticket("P").at(0, "received").at(20, "recorded").at(40, "dispatched")
     .at(100, "work_started", resource="tech-6").at(1000, "preempted", resource="tech-6")
     .at(1400, "handed_over", resource="tech-6").at(1700, "taken_over", resource="tech-7")
     .at(1800, "resumed", resource="tech-7")
     .at(2000, "work_completed", resource="tech-7", started_at=100))
    (b.ticket("E4", emergency=True).at(990, "received").at(995, "recorded")
     .at(999, "emergency_reported").at(1200, "arrived", resource="tech-6", started_at=1000))
    # S: at the same instant as the preemption, tech-8 signs E5: E5 took them
    (b.ticket("S").at(0, "received").at(20, "recorded").at(40, "dispatched")
     .at(100, "work_started", resource="tech-8").at(2000, "preempted", resource="tech-8")
     .at(2500, "resumed", resource="tech-8"))
    (b.ticket("E5", emergency=True).at(1990, "received").at(1995, "recorded")
     .at(1998, "emergency_reported").at(2000, "signed", resource="tech-8"))
    # N: tech-9's next event is on a routine ticket: no emergency is named, none guessed
    (b.ticket("N").at(0, "received").at(20, "recorded").at(40, "dispatched")
     .at(100, "work_started", resource="tech-9").at(3000, "preempted", resource="tech-9")
     .at(3500, "resumed", resource="tech-9"))
    (b.ticket("X").at(2990, "received").at(2995, "recorded").at(2998, "dispatched")
     .at(3100, "arrived", resource="tech-9", started_at=3000))
    (b.ticket("E6", emergency=True).at(2900, "received").at(2950, "recorded")
     .at(2960, "emergency_reported").at(3400, "arrived", resource="tech-3", started_at=2990))
    return b


def test_ripple_reads_the_logged_cause() -> None:
    rip = emergency_ripple(_ripple_log().build())
    got = {r.ticket_id: (r.emergency_id, r.resource, r.delay_s) for r in rip.itertuples()}
    assert got == {
        "R": ("E1", "tech-1", 600.0),   # not E2, whatever the overlaps
        "P": ("E4", "tech-6", 500.0),   # 800 s gap − 300 s handover
        "S": ("E5", "tech-8", 500.0),   # a tie at 2000 s: the other ticket comes first
        "N": (None, "tech-9", 500.0),   # next event on routine X: no emergency named
    }
    assert "H" not in got  # a handover is never an emergency's


def test_handover_cause_of_lateness() -> None:
    """plan clock: diagnosed 200 → planned 900 = 700 s against 180 s: 520 s late, the tail
    [380, 900). Technician handover [300, 700) covers [380, 700): 320 s handover; then
    waiting for planned's started_at (800): 100 s technician_wait; [800, 900): 100 s work."""
    def build(kind: str, role: str) -> LogBuilder:
        b = LogBuilder(t0=T0)
        opening, closing = (("handed_over", "taken_over") if kind == "handover"
                            else ("preempted", "resumed"))
        (b.ticket("T").at(0, "received").at(30, "recorded").at(60, "dispatched")
         .at(150, "arrived", resource="tech-1", started_at=60)
         .at(200, "diagnosed", resource="tech-1", started_at=150)
         .at(300, opening, resource="tech-1", role=role)
         .at(700, closing, resource="tech-2", role=role)
         .at(900, "planned", resource="tech-2", started_at=800))
        return b

    def causes(b: LogBuilder) -> dict[str, float]:
        log = b.build()
        attr = attribute_lateness(log, control_points(log))
        attr = attr[attr["control_point"] == "plan"]
        return {str(k): float(v) for k, v in attr.groupby("cause")["seconds"].sum().items()}

    assert causes(build("handover", "technician")) == {
        "handover": 320.0, "technician_wait": 100.0, "work": 100.0}
    assert causes(build("preemption", "technician")) == {
        "preemption": 320.0, "technician_wait": 100.0, "work": 100.0}
    # a desk ownership handover stops no technician work: not a cause
    assert causes(build("handover", "desk")) == {"technician_wait": 420.0, "work": 100.0}


def test_stage_times_and_swimlane_show_handovers() -> None:
    log = _ripple_log().build()
    st = stage_times(log)
    h = st[(st["ticket_id"] == "H") & (st["activity"] == "work_completed")].iloc[0]
    # span [100, 1000) = 900 s, handover [500, 800) = 300 s
    assert (h["work_s"], h["preempted_s"], h["handover_s"]) == (600.0, 0.0, 300.0)
    p = st[(st["ticket_id"] == "P") & (st["activity"] == "work_completed")].iloc[0]
    # span [100, 2000) = 1900 s; preempted [1000, 1800) of which handover [1400, 1700)
    assert (p["work_s"], p["preempted_s"], p["handover_s"]) == (1100.0, 500.0, 300.0)
    seg = swimlane_segments(log, ["H"])
    bars = seg[seg["kind"] == "handover"]
    assert bars["lane"].tolist() == ["tech-4"]
    assert ((bars["end"] - bars["start"]).dt.total_seconds()).tolist() == [300.0]


def _handover_log() -> LogBuilder:
    b = LogBuilder(t0=T0)
    t = b.ticket("A", route=(True, True, True), satisfied=True)
    t.at(0, "received", resource="desk-1").at(40, "recorded", resource="desk-1", started_at=10)
    t.at(60, "classified", resource="desk-1", started_at=45)
    t.at(100, "dispatched", resource="desk-1")
    t.at(400, "arrived", resource="eng-1", started_at=120)
    t.at(500, "diagnosed", resource="eng-1", started_at=400)
    t.at(600, "planned", resource="eng-1", started_at=500)
    t.at(650, "communicated", resource="eng-1", started_at=600)
    t.at(700, "work_started", resource="eng-1")
    t.at(800, "handed_over", resource="eng-1")
    t.at(900, "taken_over", resource="eng-2")
    t.at(1500, "work_completed", resource="eng-2", started_at=700)
    t.at(1600, "accepted", resource="sup-1", role="supervisor")
    t.at(1700, "slip_returned", resource="desk-1")
    t.at(1710, "handed_over", resource="desk-1", role="desk")
    t.at(1720, "taken_over", resource="desk-2", role="desk")
    t.at(1800, "callback", resource="desk-2", started_at=1750)
    t.at(1900, "closed", resource="desk-2")
    return b


@pytest.mark.parametrize("fmt", ["csv", "csv.gz", "parquet"])
def test_schema_round_trip_with_handovers(tmp_path: Path, fmt: str) -> None:
    log = _handover_log().build()
    assert validate_log(log).empty  # the lifecycle accepts them as transparent pairs
    write_log(log, tmp_path / "l", fmt=fmt)
    back = read_log(tmp_path / "l")
    assert back.equals(log)
    acts = back.events["activity"].astype(str).tolist()
    assert acts.count("handed_over") == 2 and acts.count("taken_over") == 2


def test_no_clock_reads_handovers() -> None:
    """KPI.md compatibility: the same ticket without its handover events has the same clock
    rows and indicators; ownership follows the desk handover (desk-2 called back, closed)."""
    log = _handover_log().build()
    ev = log.events
    keep = ~ev["activity"].astype(str).isin(["handed_over", "taken_over"])
    bare = EventLog.from_frames(ev[keep.to_numpy()], log.tickets)
    a, b = evaluate(log, tz="Asia/Shanghai"), evaluate(bare, tz="Asia/Shanghai")
    pd.testing.assert_frame_equal(a.control_points, b.control_points)
    pd.testing.assert_frame_equal(a.indicators, b.indicators)
    assert a.ownership is not None and b.ownership is not None
    assert a.ownership[["numerator", "denominator"]].values.tolist() == [[1, 1]]
    assert b.ownership[["numerator", "denominator"]].values.tolist() == [[0, 1]]
