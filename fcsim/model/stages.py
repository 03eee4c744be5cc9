"""Where an open ticket stands: its stage of the procedure, read from its known events.

:func:`stage_of` reads one ticket's events (those known at an instant, in the log's order) and
says which stage of ``PROCEDURE.md`` the ticket is in — waiting for the desk, waiting for a
technician, travelling, in work, blocked or escalated, awaiting acceptance, awaiting its
callback … — on which pass (attempt), since when, and the moments of the current pass that a
forecast continuing the ticket needs (its desk receipt R, the start of its on-site clock, the
time already spent in work …). The nowcast (:mod:`fcsim.sim.snapshot`) continues each open ticket
from there; a board can show the stage with its bilingual label.

A stage is decided by the latest milestone of the current pass, not by the last event alone, so
a log with ties or gaps (an imported log without start times) still gets the furthest stage
its events prove. ``preempted`` / ``resumed`` and ``handed_over`` / ``taken_over`` are
transparent: they only mark gaps in work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from fcsim.model.activities import Activity

__all__ = ["STAGE_LABELS", "Stage", "StageState", "stage_of"]

A = Activity


class Stage(StrEnum):
    """The stage of an open ticket (its current pass)."""

    RELAY = "relay"  # another first contact has it; not yet relayed to the desk
    INTAKE = "intake"  # waiting for the desk, or being recorded
    CLASSIFY = "classify"  # recorded; being classified
    DISPATCH = "dispatch"  # classified; being dispatched, answered or escalated by the desk
    EMERGENCY_REPORT = "emergency_report"  # an emergency being reported to a superior
    EMERGENCY_DISPATCH = "emergency_dispatch"  # reported; being dispatched
    MISROUTED = "misrouted"  # sent back by the wrong department; to be re-dispatched
    WAIT_TECHNICIAN = "wait_technician"  # dispatched; waiting for a technician (or signing)
    REMOTE = "remote"  # dispatched to a department that handles it without a visit
    APPOINTMENT = "appointment"  # an appointment dispatched; waiting for its time
    TRAVEL = "travel"  # signed; on the way
    DIAGNOSE = "diagnose"  # on site; diagnosing
    PLAN = "plan"  # diagnosed; planning
    COMMUNICATE = "communicate"  # planned; explaining plan and charge
    WORK = "work"  # in work
    BLOCKED = "blocked"  # blocked; waiting for a supervisor (the escalate clock runs)
    ESCALATED = "escalated"  # with a supervisor, or finishing the work after
    MEETING = "meeting"  # referred to the manager meeting
    ACCEPTANCE = "acceptance"  # work completed; the customer inspects it
    SLIP = "slip_return"  # accepted; the slip goes back to the desk
    CALLBACK = "callback"  # slip returned; waiting for the callback (its clock runs)
    CALLBACK_RETRY = "callback_retry"  # the customer was not reached; to be tried again
    CLOSING = "closing"  # the customer was reached; being closed


#: Stage -> (Chinese, English) label.
STAGE_LABELS: dict[Stage, tuple[str, str]] = {
    Stage.RELAY: ("待轉達前臺", "being relayed to the desk"),
    Stage.INTAKE: ("待前臺錄入", "waiting for the desk"),
    Stage.CLASSIFY: ("分類中", "being classified"),
    Stage.DISPATCH: ("傳遞中", "being dispatched"),
    Stage.EMERGENCY_REPORT: ("緊急上報中", "emergency being reported"),
    Stage.EMERGENCY_DISPATCH: ("緊急派遣中", "emergency being dispatched"),
    Stage.MISROUTED: ("退回重派", "sent back, to be re-dispatched"),
    Stage.WAIT_TECHNICIAN: ("待專業人員", "waiting for a technician"),
    Stage.REMOTE: ("部門處理中", "handled by the department"),
    Stage.APPOINTMENT: ("預約等待", "waiting for the appointment"),
    Stage.TRAVEL: ("前往現場", "travelling"),
    Stage.DIAGNOSE: ("現場確認", "diagnosing on site"),
    Stage.PLAN: ("制定方案", "planning"),
    Stage.COMMUNICATE: ("溝通中", "communicating"),
    Stage.WORK: ("處理中", "in work"),
    Stage.BLOCKED: ("受阻待上報", "blocked"),
    Stage.ESCALATED: ("已上報", "escalated"),
    Stage.MEETING: ("經理會議", "at the manager meeting"),
    Stage.ACCEPTANCE: ("待驗收", "awaiting acceptance"),
    Stage.SLIP: ("回單中", "slip on its way back"),
    Stage.CALLBACK: ("待回訪", "awaiting the callback"),
    Stage.CALLBACK_RETRY: ("回訪未接通", "callback to be retried"),
    Stage.CLOSING: ("待關閉", "being closed"),
}

_TRANSPARENT = frozenset({A.PREEMPTED, A.RESUMED, A.HANDED_OVER, A.TAKEN_OVER})


@dataclass(frozen=True)
class StageState:
    """An open ticket's stage and the moments of its current pass (same unit as the input
    timestamps; ``None`` when unknown).

    ``since``: when the stage began (its elapsed time runs from there). ``work_done``: time
    spent in work so far (gaps of ``preempted`` … ``resumed`` / ``handed_over`` …
    ``taken_over`` left out), with ``paused`` true while such a gap is open. ``on_site_from``:
    the start of the on-site clock (the first ``dispatched``; an emergency's first pass: its
    ``emergency_reported``). ``blocked_at``: the oldest ``blocked`` not yet escalated.
    ``callback_tries``: callbacks tried so far; ``meetings``: meetings held since the last
    escalation. ``reopened``: a callback found the customer not satisfied on an earlier pass.
    """

    stage: Stage
    attempt: int
    since: float
    received_at: float  # desk receipt R of the current pass
    recorded_at: float | None = None
    dispatched_at: float | None = None
    on_site_from: float | None = None
    diagnosed_at: float | None = None
    work_started_at: float | None = None
    work_done: float = 0.0
    paused: bool = False
    blocked_at: float | None = None
    blocks: int = 0
    meetings: int = 0
    slip_at: float | None = None
    callback_tries: int = 0
    called_ahead: bool = False
    misrouted: bool = False
    preempted: bool = False
    handed_over: bool = False
    reopened: bool = False


def _work(events: Sequence[tuple[Activity, float]], start: float, as_of: float
          ) -> tuple[float, bool]:
    """Time in work from ``start`` to ``as_of`` without the open-and-closed gaps."""
    done, since, paused = 0.0, start, False
    for act, ts in events:
        if ts < start:
            continue
        if act in (A.PREEMPTED, A.HANDED_OVER) and not paused:
            done += ts - since
            paused = True
        elif act in (A.RESUMED, A.TAKEN_OVER) and paused:
            since, paused = ts, False
    if not paused:
        done += as_of - since
    return max(done, 0.0), paused


def stage_of(
    events: Sequence[tuple[Activity, int, float]], as_of: float, *, route_site_visit: bool,
    emergency: bool, appointment: bool, relayed: bool,
) -> StageState:
    """The stage of an open ticket from its known events.

    Parameters
    ----------
    events
        ``(activity, attempt, timestamp)`` of the ticket's events with timestamp ≤ ``as_of``,
        in the log's order (attempt, then timestamp, then seq). It must not be empty.
    as_of
        The instant (the unit of the timestamps).
    route_site_visit, emergency, appointment, relayed
        The ticket's facts: routed to a site visit, an emergency, an appointment, and
        whether its source is a first contact other than the desk (it is relayed).

    Raises
    ------
    ValueError
        When ``events`` is empty or the ticket is closed.
    """
    if not events:
        raise ValueError("a ticket without events has no stage")
    if any(act == A.CLOSED for act, _, _ in events):
        raise ValueError("the ticket is closed")
    attempt = max(att for _, att, _ in events)
    cur = [(act, ts) for act, att, ts in events if att == attempt]
    first_pass = [(act, ts) for act, att, ts in events if att == 1]
    reopened = False
    for k in range(1, attempt + 1):
        acts = [act for act, att, _ in events if att == k]
        if A.REJECTED in acts and A.CALLBACK in acts[:acts.index(A.REJECTED)]:
            reopened = True
    misrouted = any(act == A.MISROUTED for act, _ in first_pass)
    preempted = any(act == A.PREEMPTED for act, _ in cur)
    handed = any(act == A.HANDED_OVER for act, _ in cur)
    rejected = [ts for act, ts in cur if act == A.REJECTED]
    if rejected:  # the pass ended: the next one begins at the desk
        return StageState(Stage.INTAKE, attempt + 1, rejected[0], rejected[0],
                          reopened=reopened, misrouted=misrouted)

    first: dict[Activity, float] = {}
    last: dict[Activity, float] = {}
    count: dict[Activity, int] = {}
    for act, ts in cur:
        if act in _TRANSPARENT:
            continue
        first.setdefault(act, ts)
        last[act] = ts
        count[act] = count.get(act, 0) + 1
    if attempt == 1:
        r = first.get(A.RELAYED, first.get(A.RECEIVED))
    else:  # the rejected that opened this pass
        prev = [ts for act, att, ts in events if att == attempt - 1 and act == A.REJECTED]
        r = prev[0] if prev else (cur[0][1] if cur else as_of)
    if r is None:
        r = cur[0][1]
    urgent = emergency and attempt == 1
    on_site = first.get(A.EMERGENCY_REPORTED) if urgent else first.get(A.DISPATCHED)
    n_blk, n_esc = count.get(A.BLOCKED, 0), count.get(A.ESCALATED, 0)
    base = StageState(
        Stage.INTAKE, attempt, r, r, recorded_at=first.get(A.RECORDED),
        dispatched_at=first.get(A.DISPATCHED), on_site_from=on_site,
        diagnosed_at=first.get(A.DIAGNOSED), slip_at=first.get(A.SLIP_RETURNED), blocks=n_blk,
        misrouted=misrouted, preempted=preempted, handed_over=handed, reopened=reopened,
        called_ahead=A.CONTACTED in first or (appointment and attempt == 1
                                              and A.SIGNED in first))
    work_from = first.get(A.WORK_STARTED, first.get(A.COMMUNICATED))

    def state(stage: Stage, since: float, **extra: object) -> StageState:
        return replace(base, stage=stage, since=since, **extra)  # type: ignore[arg-type]

    if A.CALLBACK in first:
        return state(Stage.CLOSING, first[A.CALLBACK], callback_tries=count[A.CALLBACK]
                     + count.get(A.CALLBACK_FAILED, 0))
    if A.CALLBACK_FAILED in first:
        return state(Stage.CALLBACK_RETRY, last[A.CALLBACK_FAILED],
                     callback_tries=count[A.CALLBACK_FAILED])
    if A.SLIP_RETURNED in first:
        return state(Stage.CALLBACK, first[A.SLIP_RETURNED])
    if A.ACCEPTED in first:  # remote work accepted: only the close is left
        return state(Stage.SLIP if route_site_visit else Stage.CLOSING, first[A.ACCEPTED])
    if A.WORK_COMPLETED in first:
        return state(Stage.ACCEPTANCE, last[A.WORK_COMPLETED])
    if n_blk > n_esc:
        blocked = [ts for act, ts in cur if act == A.BLOCKED]
        return state(Stage.BLOCKED, blocked[n_esc], blocked_at=blocked[n_esc],
                     work_started_at=work_from)
    if n_blk:
        esc = last[A.ESCALATED]
        refs = [ts for act, ts in cur if act == A.REFERRED_TO_MEETING and ts >= esc]
        if refs:
            return state(Stage.MEETING, refs[-1], meetings=len(refs), work_started_at=work_from)
        return state(Stage.ESCALATED, esc, work_started_at=work_from)
    if work_from is not None:
        done, paused = _work(cur, work_from, as_of)
        return state(Stage.WORK, work_from, work_started_at=work_from, work_done=done,
                     paused=paused)
    if A.PLANNED in first:
        return state(Stage.COMMUNICATE, first[A.PLANNED])
    if A.DIAGNOSED in first:
        return state(Stage.PLAN, first[A.DIAGNOSED])
    if A.ARRIVED in first:
        return state(Stage.DIAGNOSE, last[A.ARRIVED])
    if appointment and attempt == 1 and A.DISPATCHED in first and route_site_visit:
        called = first.get(A.CONTACTED, first.get(A.SIGNED))
        return state(Stage.APPOINTMENT, called if called is not None else last[A.DISPATCHED])
    if A.SIGNED in first and not urgent:
        return state(Stage.TRAVEL, first[A.SIGNED])
    if A.MISROUTED in first and last[A.MISROUTED] >= last.get(A.DISPATCHED, -float("inf")) \
            and count.get(A.DISPATCHED, 0) <= count[A.MISROUTED]:
        return state(Stage.MISROUTED, last[A.MISROUTED])
    if A.DISPATCHED in first:
        return state(Stage.WAIT_TECHNICIAN if route_site_visit else Stage.REMOTE,
                     last[A.DISPATCHED])
    if urgent and A.EMERGENCY_REPORTED in first:
        return state(Stage.EMERGENCY_DISPATCH, first[A.EMERGENCY_REPORTED])
    if urgent and A.CLASSIFIED in first:
        return state(Stage.EMERGENCY_REPORT, first[A.CLASSIFIED])
    if A.CLASSIFIED in first:
        return state(Stage.DISPATCH, first[A.CLASSIFIED])
    if A.RECORDED in first:
        return state(Stage.CLASSIFY, first[A.RECORDED])
    if relayed and attempt == 1 and A.RELAYED not in first:
        return state(Stage.RELAY, first.get(A.RECEIVED, r))
    return state(Stage.INTAKE, r)
