"""The stage of an open ticket read from its known events (fcsim.model.stages)."""

from __future__ import annotations

import pytest

from fcsim.model.activities import Activity as A
from fcsim.model.stages import STAGE_LABELS, Stage, stage_of

IMMEDIATE = [(A.RECEIVED, 0.0), (A.RECORDED, 0.8), (A.CLASSIFIED, 1.1), (A.DISPATCHED, 2.0),
             (A.SIGNED, 4.0), (A.ARRIVED, 7.0), (A.DIAGNOSED, 12.0), (A.PLANNED, 13.5),
             (A.COMMUNICATED, 16.0), (A.WORK_STARTED, 16.0), (A.WORK_COMPLETED, 50.0),
             (A.ACCEPTED, 53.0), (A.SLIP_RETURNED, 61.0), (A.CALLBACK_FAILED, 62.0),
             (A.CALLBACK, 93.0)]
EXPECTED = [Stage.INTAKE, Stage.CLASSIFY, Stage.DISPATCH, Stage.WAIT_TECHNICIAN, Stage.TRAVEL,
            Stage.DIAGNOSE, Stage.PLAN, Stage.COMMUNICATE, Stage.WORK, Stage.WORK,
            Stage.ACCEPTANCE, Stage.SLIP, Stage.CALLBACK, Stage.CALLBACK_RETRY, Stage.CLOSING]


def _st(pairs, as_of=200.0, attempt=1, **kw):
    facts = {"route_site_visit": True, "emergency": False, "appointment": False,
             "relayed": False, **kw}
    return stage_of([(a, attempt, t) for a, t in pairs], as_of, **facts)


@pytest.mark.parametrize("n", range(1, len(IMMEDIATE) + 1))
def test_each_prefix_of_an_immediate_ticket_has_its_stage(n: int) -> None:
    st = _st(IMMEDIATE[:n])
    assert st.stage == EXPECTED[n - 1]
    assert st.since == IMMEDIATE[n - 1][1] or st.stage == Stage.WORK
    assert st.attempt == 1 and st.received_at == 0.0


def test_moments_of_the_pass() -> None:
    st = _st(IMMEDIATE[:9], as_of=30.0)
    assert (st.stage, st.recorded_at, st.dispatched_at, st.on_site_from, st.diagnosed_at,
            st.work_started_at) == (Stage.WORK, 0.8, 2.0, 2.0, 12.0, 16.0)
    assert st.work_done == pytest.approx(14.0) and not st.paused
    st = _st(IMMEDIATE[:14])
    assert st.callback_tries == 1 and st.slip_at == 61.0


def test_work_time_leaves_out_preemptions_and_handovers() -> None:
    ev = [*IMMEDIATE[:10], (A.PREEMPTED, 20.0), (A.RESUMED, 30.0), (A.HANDED_OVER, 40.0),
          (A.TAKEN_OVER, 45.0)]
    st = _st(ev, as_of=50.0)
    assert st.stage == Stage.WORK and st.preempted and st.handed_over
    assert st.work_done == pytest.approx((20 - 16) + (40 - 30) + (50 - 45))
    st = _st(ev[:-3], as_of=50.0)  # preempted at 20, not resumed yet
    assert st.paused and st.work_done == pytest.approx(4.0)


def test_a_relayed_request_not_yet_relayed_and_its_receipt() -> None:
    assert _st([(A.RECEIVED, 0.0)], relayed=True).stage == Stage.RELAY
    st = _st([(A.RECEIVED, 0.0), (A.RELAYED, 3.0)], relayed=True)
    assert st.stage == Stage.INTAKE and st.received_at == 3.0 and st.since == 3.0


def test_an_emergency_first_pass() -> None:
    ev = [(A.RECEIVED, 0.0), (A.RECORDED, 0.4), (A.CLASSIFIED, 0.6)]
    assert _st(ev, emergency=True).stage == Stage.EMERGENCY_REPORT
    ev.append((A.EMERGENCY_REPORTED, 1.0))
    st = _st(ev, emergency=True)
    assert st.stage == Stage.EMERGENCY_DISPATCH and st.on_site_from == 1.0
    ev.append((A.DISPATCHED, 1.3))
    st = _st(ev, emergency=True)  # goes first, signs after the work: no travel stage
    assert st.stage == Stage.WAIT_TECHNICIAN and st.on_site_from == 1.0


def test_an_appointment_waits_for_its_time() -> None:
    ev = [(A.RECEIVED, 0.0), (A.RECORDED, 1.0), (A.CLASSIFIED, 1.2), (A.DISPATCHED, 2.0)]
    st = _st(ev, appointment=True)
    assert st.stage == Stage.APPOINTMENT and not st.called_ahead
    st = _st([*ev, (A.CONTACTED, 100.0), (A.SIGNED, 101.0)], appointment=True)
    assert st.stage == Stage.APPOINTMENT and st.called_ahead and st.since == 100.0
    st = _st([*ev, (A.CONTACTED, 100.0), (A.SIGNED, 101.0), (A.ARRIVED, 120.0)],
             appointment=True)
    assert st.stage == Stage.DIAGNOSE


def test_misrouted_waits_for_its_redispatch() -> None:
    ev = [(A.RECEIVED, 0.0), (A.RECORDED, 1.0), (A.CLASSIFIED, 1.2), (A.DISPATCHED, 2.0),
          (A.MISROUTED, 12.0)]
    st = _st(ev)
    assert st.stage == Stage.MISROUTED and st.misrouted and st.on_site_from == 2.0
    assert _st([*ev, (A.DISPATCHED, 13.0)]).stage == Stage.WAIT_TECHNICIAN
    # an import's re-assignment (misrouted and dispatched at one instant) is dispatched
    assert _st([*ev[:4], (A.MISROUTED, 5.0), (A.DISPATCHED, 5.0)]).stage == \
        Stage.WAIT_TECHNICIAN


def test_blocked_escalated_and_the_meetings() -> None:
    work = IMMEDIATE[:10]
    st = _st([*work, (A.BLOCKED, 30.0)])
    assert st.stage == Stage.BLOCKED and st.blocked_at == 30.0 and st.blocks == 1
    st = _st([*work, (A.BLOCKED, 30.0), (A.ESCALATED, 32.0)])
    assert st.stage == Stage.ESCALATED and st.since == 32.0
    st = _st([*work, (A.BLOCKED, 30.0), (A.ESCALATED, 32.0), (A.REFERRED_TO_MEETING, 600.0),
              (A.REFERRED_TO_MEETING, 2040.0)], as_of=3000.0)
    assert st.stage == Stage.MEETING and st.meetings == 2 and st.since == 2040.0
    # a second block while the first is still pending: the oldest unpaired one
    st = _st([*work, (A.BLOCKED, 30.0), (A.ESCALATED, 32.0), (A.BLOCKED, 40.0)])
    assert st.stage == Stage.BLOCKED and st.blocked_at == 40.0 and st.blocks == 2
    # the desk could not answer a consultation: blocked at the desk
    desk = [(A.RECEIVED, 0.0), (A.RECORDED, 0.5), (A.CLASSIFIED, 0.8), (A.BLOCKED, 0.8)]
    assert _st(desk, route_site_visit=False).stage == Stage.BLOCKED


def test_a_rejected_pass_opens_the_next_at_the_desk() -> None:
    first = [(a, 1, t) for a, t in IMMEDIATE[:11]] + [(A.REJECTED, 1, 53.0)]
    st = stage_of(first, 60.0, route_site_visit=True, emergency=False, appointment=False,
                  relayed=False)
    assert (st.stage, st.attempt, st.received_at, st.since) == (Stage.INTAKE, 2, 53.0, 53.0)
    second = [*first, (A.RECORDED, 2, 54.0), (A.CLASSIFIED, 2, 54.3)]
    st = stage_of(second, 60.0, route_site_visit=True, emergency=True, appointment=False,
                  relayed=False)  # an emergency's second pass is dispatched like any other
    assert (st.stage, st.attempt, st.received_at) == (Stage.DISPATCH, 2, 53.0)
    reopened = [(a, 1, t) for a, t in IMMEDIATE] + [(A.REJECTED, 1, 93.0)]
    assert stage_of(reopened, 95.0, route_site_visit=True, emergency=False,
                    appointment=False, relayed=False).reopened


def test_remote_departments_and_bad_input() -> None:
    ev = [(A.RECEIVED, 0.0), (A.RECORDED, 1.0), (A.CLASSIFIED, 1.2), (A.DISPATCHED, 2.0)]
    assert _st(ev, route_site_visit=False).stage == Stage.REMOTE
    with pytest.raises(ValueError, match="closed"):
        _st([*ev, (A.CLOSED, 5.0)])
    with pytest.raises(ValueError, match="without events"):
        stage_of([], 1.0, route_site_visit=True, emergency=False, appointment=False,
                 relayed=False)


def test_every_stage_has_both_labels() -> None:
    assert set(STAGE_LABELS) == set(Stage)
    assert all(zh and en for zh, en in STAGE_LABELS.values())
