"""The lifecycle of one ticket: which activity may follow which, written once as data.

The simulator's tests and the real-ticket recorder's input checks both use :func:`validate`
(and :func:`check_append`), so a log the simulator writes is exactly a log the recorder accepts.
Events of a ticket are taken in (``timestamp``, ``seq``) order (``KPI.md``).

The data
--------
``TRANSITIONS[a]``
    The activities that may *directly follow* ``a`` in a ticket (the union over all ticket
    facts; the fact-dependent edges are narrowed by the rules below). ``closed`` may follow
    anything but ``closed`` / ``sample_callback``. ``rejected -> recorded`` is the only edge
    that crosses attempts.
``PREREQUISITES[a]``
    Groups of activities; every group needs at least one member earlier *in the same
    attempt* (stages may not be skipped). ``REWORK_PREREQUISITES`` replaces entries for
    attempts k >= 2 and ``DESK_PREREQUISITES`` for tickets without a site visit.
``REPEATABLE``
    Activities that may occur more than once in an attempt; ``REROUTED`` ones may recur once
    per routing after each ``misrouted``; every other activity at most once per attempt
    (``received``, ``relayed`` and ``emergency_reported`` at most once per ticket).

The rules (each violation names its code)
------------------------------------------
1. The first event is ``received`` (``first_not_received``); ``relayed`` only directly after it
   (``ordering``). Activities must be :class:`~fcsim.model.activities.Activity` values
   (``unknown_activity``); ``seq`` is unique in a ticket (``duplicate_seq``).
2. Each event must be allowed by ``TRANSITIONS`` after the previous event (``ordering``),
   have its prerequisites (``missing_prerequisite``) and not repeat
   (``duplicate_activity``). ``ordering`` is reported only when no more specific code
   (prerequisite, duplicate, attempt, close, pairing) explains the same event.
3. ``closed`` may come at any point (abandoned, answered, cancelled — the KPIs then report
   "missing" clocks), at most once (``duplicate_close``); afterwards only
   ``sample_callback`` (``event_after_close``).
4. Attempts: attempt 1 opens at receipt (``attempt_skipped`` / ``attempt_invalid`` when the
   first event says otherwise); attempt k >= 2 is opened only by the ``rejected`` of attempt
   k-1 directly before it (``attempt_not_opened_by_rejection``), its first event is
   ``recorded`` (``attempt_first_not_recorded``); numbers never skip (``attempt_skipped``) or
   go back (``attempt_went_back``). A ``rejected`` is followed either by attempt k+1 or by
   ``closed`` of the same attempt (a failed acceptance abandoned); any other event of the same
   attempt after it is ``rework_in_same_attempt``. In attempt k >= 2 ``classified`` is
   optional (``recorded -> dispatched`` is allowed).
5. Emergencies (``emergency=True``): ``emergency_reported`` at most once, in attempt 1, after
   receipt and before ``dispatched`` (before or after ``recorded`` / ``classified``);
   otherwise ``misplaced_emergency_report``. It is not required (the KPI clock reports it
   missing). ``dispatched`` is still needed before ``arrived``.
6. ``signed`` is optional. For non-emergencies it comes before ``arrived``; an emergency's
   technician may sign late, directly after ``arrived``, ``diagnosed``, ``planned``,
   ``communicated`` or ``work_completed`` (never inside the work). A non-emergency ``signed``
   after ``arrived`` (of the same routing) is ``late_signature``. A signature is transparent
   for ordering: the event after ``signed`` must be allowed after the event before it too.
7. Appointments: ``contacted`` (optional) only for ``mode="appointment"``
   (``contact_not_appointment``); ``signed`` and ``contacted`` before ``arrived``, either
   order.
8. ``misrouted`` may follow ``classified``, ``dispatched``, ``signed``, ``arrived`` or
   ``diagnosed``; after it comes ``classified`` or ``dispatched`` again, and the routing
   stages (dispatched, signed, contacted, arrived, diagnosed) must happen anew. On a ticket with
   ``recognised_correctly=True`` it is ``misroute_on_recognised``.
9. Work: ``blocked -> escalated -> referred_to_meeting*`` (an ``escalated`` without an
   unpaired ``blocked`` is ``unpaired_escalation``; a meeting that cannot resolve the ticket
   that day refers it to the next one). ``work_completed`` needs no open block.
   **Interruptions are transparent** (:data:`TRANSPARENT`): ``preempted -> resumed`` (an
   emergency took the member) and ``handed_over -> taken_over`` (a shift change passed the
   job or the ticket's ownership on) may come anywhere between receipt and close — in the
   desk's stages, the technician's, a supervisor's — and the event after them must be
   allowed after the event before them. Nothing but ``closed`` (and other interruptions)
   comes while a preemption is open (``ordering``); a ``resumed`` without an open
   ``preempted`` is ``unpaired_resume``, a ``taken_over`` without an open ``handed_over``
   is ``unpaired_takeover``. They carry the attempt of the event before them, or the next
   attempt directly after a ``rejected`` (the desk re-records the second pass).
   A reached ``callback`` may be followed by ``rejected`` (the customer is not satisfied or
   the fault is back: the seed closes only after a good callback, so a second pass opens).
10. Routes (``route_violation``; a null flag counts as false): ``route_dispatch=False`` forbids
    ``dispatched``; ``route_site_visit=False`` forbids ``SITE_ACTIVITIES``; ``route_callback=
    False`` forbids ``callback`` / ``callback_failed``. A ticket without a site visit is
    handled by the desk (or the dispatched specialist): ``classified [-> dispatched]
    [-> (blocked -> escalated -> referred_to_meeting?)*] -> closed``; its ``blocked`` needs
    only ``classified`` (the seed's "escalate to a supervisor, reply within 5 minutes").
11. ``started_at`` only on ``DURATIVE`` activities (``started_at_on_instant``) and not after
    ``timestamp`` (``started_after_completed``).

Two strictness levels, one table
--------------------------------
Every rule above names a violation code, and :data:`REFUSED_AT` says, code by code, at which
level (:data:`LEVELS`) it refuses the ticket. ``live`` — entry at a desk, as strict as the
seed's paper process — refuses every code. ``import`` — another system's log — refuses only
what ``KPI.md`` itself defines (the contract: a ticket opens at receipt; attempts are numbered
from 1 and opened by the ``rejected`` before them; ``closed`` is final but for
``sample_callback``; ``seq`` is unique; ``started_at`` only on durative events and not after
them; a misroute contradicts ``recognised_correctly=true``): every other code is a procedure
rule whose breach the KPI engine measures instead of refusing — a skipped stage (``dispatched``
without ``classified``) makes its clock *missing*; a resolution without a visit followed by
an acceptance or a reopen, or an emergency reported after the dispatch (priority raised
later), is evaluated as it stands. :func:`validate` and :func:`check_append` take the level;
the walk is the same, only the refusal differs, so the two levels cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from fcsim.model.activities import DURATIVE, Activity

__all__ = [
    "DESK_PREREQUISITES",
    "LEVELS",
    "PREREQUISITES",
    "REFUSED_AT",
    "REPEATABLE",
    "REROUTED",
    "REWORK_PREREQUISITES",
    "SITE_ACTIVITIES",
    "TRANSITIONS",
    "TRANSPARENT",
    "VIOLATION_CODES",
    "EventRecord",
    "TicketFacts",
    "Violation",
    "check_append",
    "check_level",
    "refused",
    "validate",
]

A = Activity

VIOLATION_CODES: frozenset[str] = frozenset(
    {
        "first_not_received",
        "unknown_activity",
        "duplicate_seq",
        "ordering",
        "missing_prerequisite",
        "duplicate_activity",
        "event_after_close",
        "duplicate_close",
        "attempt_invalid",
        "attempt_skipped",
        "attempt_went_back",
        "attempt_not_opened_by_rejection",
        "attempt_first_not_recorded",
        "rework_in_same_attempt",
        "unpaired_resume",
        "unpaired_escalation",
        "late_signature",
        "misplaced_emergency_report",
        "contact_not_appointment",
        "misroute_on_recognised",
        "route_violation",
        "started_at_on_instant",
        "started_after_completed",
        "unpaired_takeover",
    }
)

#: The strictness levels: entry at a desk, and the import of another system's log.
LEVELS: tuple[str, ...] = ("live", "import")
_BOTH, _LIVE = frozenset(LEVELS), frozenset({"live"})

#: Violation code -> the levels that refuse it (the one table of both strictness levels).
#: ``import`` refuses only the rules ``KPI.md`` defines; the procedure's own rules are live.
REFUSED_AT: Mapping[str, frozenset[str]] = MappingProxyType({
    # the contract (KPI.md): refused at both levels
    "first_not_received": _BOTH,  # attempt 1 opens at receipt
    "unknown_activity": _BOTH,
    "duplicate_seq": _BOTH,  # events are ordered by (timestamp, seq)
    "event_after_close": _BOTH,  # only sample_callback follows closed
    "duplicate_close": _BOTH,
    "attempt_invalid": _BOTH,
    "attempt_skipped": _BOTH,
    "attempt_went_back": _BOTH,
    "attempt_not_opened_by_rejection": _BOTH,  # attempt k >= 2 exists from its rejected
    "rework_in_same_attempt": _BOTH,  # an attempt ends at its rejected
    "misroute_on_recognised": _BOTH,  # KPI.md: a validation error
    "started_at_on_instant": _BOTH,
    "started_after_completed": _BOTH,
    # the procedure (PROCEDURE.md): refused live; on import the KPIs measure the breach
    "ordering": _LIVE,
    "missing_prerequisite": _LIVE,  # a skipped stage: its clock is missing
    "duplicate_activity": _LIVE,  # the clocks read the first occurrence
    "attempt_first_not_recorded": _LIVE,  # the second pass's record clock is missing
    "unpaired_resume": _LIVE,
    "unpaired_escalation": _LIVE,
    "unpaired_takeover": _LIVE,
    "late_signature": _LIVE,
    "misplaced_emergency_report": _LIVE,  # e.g. priority raised after the dispatch
    "contact_not_appointment": _LIVE,
    "route_violation": _LIVE,  # e.g. resolved remotely, then accepted or reopened
})


def check_level(level: str) -> str:
    """``level`` if it is one of :data:`LEVELS`, else a ValueError naming it."""
    if level not in LEVELS:
        raise ValueError(f"level {level!r} is not one of {', '.join(LEVELS)}")
    return level


def refused(code: str, level: str = "live") -> bool:
    """Whether a violation ``code`` refuses a ticket at ``level``."""
    return level in REFUSED_AT[code]


def _fs(*activities: str) -> frozenset[str]:
    return frozenset(str(a) for a in activities)


_FOLLOWERS: dict[str, frozenset[str]] = {
    A.RECEIVED: _fs(A.RELAYED, A.RECORDED, A.EMERGENCY_REPORTED),
    A.RELAYED: _fs(A.RECORDED, A.EMERGENCY_REPORTED),
    A.RECORDED: _fs(A.EMERGENCY_REPORTED, A.CLASSIFIED, A.DISPATCHED),  # dispatched: k >= 2
    A.EMERGENCY_REPORTED: _fs(A.RECORDED, A.CLASSIFIED, A.DISPATCHED, A.BLOCKED),  # blocked: desk
    A.CLASSIFIED: _fs(A.EMERGENCY_REPORTED, A.MISROUTED, A.DISPATCHED, A.BLOCKED),  # blocked: desk
    A.MISROUTED: _fs(A.CLASSIFIED, A.DISPATCHED),
    A.DISPATCHED: _fs(A.SIGNED, A.CONTACTED, A.ARRIVED, A.MISROUTED, A.BLOCKED),  # blocked: no site
    # signed -> diagnosed ... rejected: only after an emergency's late signature
    A.SIGNED: _fs(
        A.CONTACTED, A.ARRIVED, A.MISROUTED, A.DIAGNOSED, A.PLANNED, A.COMMUNICATED,
        A.WORK_STARTED, A.ACCEPTED, A.REJECTED,
    ),
    A.CONTACTED: _fs(A.SIGNED, A.ARRIVED),
    A.ARRIVED: _fs(A.SIGNED, A.DIAGNOSED, A.MISROUTED),
    A.DIAGNOSED: _fs(A.SIGNED, A.PLANNED, A.MISROUTED),
    A.PLANNED: _fs(A.SIGNED, A.COMMUNICATED),
    A.COMMUNICATED: _fs(A.SIGNED, A.WORK_STARTED),
    A.WORK_STARTED: _fs(A.BLOCKED, A.WORK_COMPLETED),
    A.BLOCKED: _fs(A.ESCALATED),
    A.ESCALATED: _fs(A.REFERRED_TO_MEETING, A.BLOCKED, A.WORK_COMPLETED),
    A.REFERRED_TO_MEETING: _fs(A.REFERRED_TO_MEETING, A.BLOCKED, A.WORK_COMPLETED),
    # interruptions are transparent (TRANSPARENT): the walker skips them for ordering
    A.PREEMPTED: _fs(),
    A.RESUMED: _fs(),
    A.HANDED_OVER: _fs(),
    A.TAKEN_OVER: _fs(),
    A.WORK_COMPLETED: _fs(A.SIGNED, A.ACCEPTED, A.REJECTED),
    A.ACCEPTED: _fs(A.SLIP_RETURNED),
    A.REJECTED: _fs(A.RECORDED),  # the recorded of attempt k+1
    A.SLIP_RETURNED: _fs(A.CALLBACK, A.CALLBACK_FAILED),
    A.CALLBACK_FAILED: _fs(A.CALLBACK_FAILED, A.CALLBACK),
    A.CALLBACK: _fs(A.REJECTED),  # not satisfied / not fixed: a second pass
    A.CLOSED: _fs(A.SAMPLE_CALLBACK),
    A.SAMPLE_CALLBACK: _fs(A.SAMPLE_CALLBACK),
}

#: Activity -> the activities that may directly follow it (``closed`` may follow anything open).
TRANSITIONS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        str(a): (f if a in (A.CLOSED, A.SAMPLE_CALLBACK) else f | {str(A.CLOSED)})
        for a, f in _FOLLOWERS.items()
    }
)

_Groups = tuple[frozenset[str], ...]

#: Activity -> groups; each group needs one member earlier in the attempt.
PREREQUISITES: Mapping[str, _Groups] = MappingProxyType(
    {
        str(A.CLASSIFIED): (_fs(A.RECORDED),),
        str(A.DISPATCHED): (_fs(A.CLASSIFIED),),
        str(A.MISROUTED): (_fs(A.CLASSIFIED, A.DISPATCHED),),
        str(A.SIGNED): (_fs(A.DISPATCHED),),
        str(A.CONTACTED): (_fs(A.DISPATCHED),),
        str(A.ARRIVED): (_fs(A.DISPATCHED),),
        str(A.DIAGNOSED): (_fs(A.ARRIVED),),
        str(A.PLANNED): (_fs(A.DIAGNOSED),),
        str(A.COMMUNICATED): (_fs(A.PLANNED),),
        str(A.WORK_STARTED): (_fs(A.COMMUNICATED),),
        str(A.BLOCKED): (_fs(A.WORK_STARTED),),
        str(A.REFERRED_TO_MEETING): (_fs(A.ESCALATED),),
        str(A.WORK_COMPLETED): (_fs(A.WORK_STARTED),),
        str(A.ACCEPTED): (_fs(A.WORK_COMPLETED),),
        str(A.REJECTED): (_fs(A.WORK_COMPLETED),),
        str(A.SLIP_RETURNED): (_fs(A.ACCEPTED),),
        str(A.CALLBACK): (_fs(A.SLIP_RETURNED),),
        str(A.CALLBACK_FAILED): (_fs(A.SLIP_RETURNED),),
        str(A.SAMPLE_CALLBACK): (_fs(A.CLOSED),),
    }
)
#: Overrides for attempts k >= 2 (the second pass may go straight from recorded to dispatch).
REWORK_PREREQUISITES: Mapping[str, _Groups] = MappingProxyType(
    {str(A.DISPATCHED): (_fs(A.CLASSIFIED, A.RECORDED),)}
)
#: Overrides for tickets without a site visit (escalation at the desk or by the specialist).
DESK_PREREQUISITES: Mapping[str, _Groups] = MappingProxyType(
    {str(A.BLOCKED): (_fs(A.CLASSIFIED),)}
)

#: May occur any number of times in an attempt.
REPEATABLE: frozenset[str] = _fs(
    A.MISROUTED, A.PREEMPTED, A.RESUMED, A.HANDED_OVER, A.TAKEN_OVER, A.BLOCKED, A.ESCALATED,
    A.REFERRED_TO_MEETING, A.CALLBACK_FAILED, A.SAMPLE_CALLBACK,
)
#: Interruptions: transparent for ordering, prerequisites and attempts (rule 9).
TRANSPARENT: frozenset[str] = _fs(A.PREEMPTED, A.RESUMED, A.HANDED_OVER, A.TAKEN_OVER)
#: May occur again after each ``misrouted`` (a new routing).
REROUTED: frozenset[str] = _fs(A.CLASSIFIED, A.DISPATCHED, A.SIGNED, A.CONTACTED, A.ARRIVED,
                               A.DIAGNOSED)
#: Forgotten (for prerequisites) at ``misrouted``: the routing must happen anew.
_FORGOTTEN_AT_MISROUTE: frozenset[str] = REROUTED - {str(A.CLASSIFIED)}
#: At most once per ticket.
_ONCE_PER_TICKET: frozenset[str] = _fs(A.RECEIVED, A.RELAYED, A.EMERGENCY_REPORTED)

#: Forbidden when ``route_site_visit`` is false.
SITE_ACTIVITIES: frozenset[str] = _fs(
    A.SIGNED, A.CONTACTED, A.ARRIVED, A.DIAGNOSED, A.PLANNED, A.COMMUNICATED, A.WORK_STARTED,
    A.WORK_COMPLETED, A.ACCEPTED, A.REJECTED,
)
_CALLBACKS: frozenset[str] = _fs(A.CALLBACK, A.CALLBACK_FAILED)
_KNOWN: frozenset[str] = frozenset(TRANSITIONS)
_DURATIVE: frozenset[str] = _fs(*DURATIVE)
_R, _REC, _REJ = str(A.RECEIVED), str(A.RECORDED), str(A.REJECTED)
_CLOSED, _SAMPLE = str(A.CLOSED), str(A.SAMPLE_CALLBACK)
# Codes that explain an event's position; ``ordering`` is reported only without them.
_STRUCTURAL = frozenset(
    {
        "first_not_received", "missing_prerequisite", "duplicate_activity", "attempt_invalid",
        "attempt_skipped", "attempt_went_back", "attempt_not_opened_by_rejection",
        "attempt_first_not_recorded", "rework_in_same_attempt", "unpaired_resume",
        "unpaired_escalation", "misplaced_emergency_report",
    }
)


@dataclass(frozen=True)
class EventRecord:
    """One event as the validator sees it.

    ``timestamp`` / ``started_at`` may be any mutually comparable values (seconds, datetimes);
    only their order is used.
    """

    activity: str
    timestamp: Any
    seq: int
    attempt: int
    started_at: Any | None = None


@dataclass(frozen=True)
class TicketFacts:
    """The ticket-table facts the lifecycle depends on (null route flags count as false)."""

    emergency: bool = False
    mode: str = "immediate"
    route_dispatch: bool = True
    route_site_visit: bool = True
    route_callback: bool = True
    recognised_correctly: bool | None = None


@dataclass(frozen=True)
class Violation:
    """One lifecycle violation: ``code`` in :data:`VIOLATION_CODES`; ``seq`` None = ticket-level."""

    code: str
    ticket_id: str
    seq: int | None
    message: str


@dataclass
class _Walker:
    """The state of one ticket's walk through its events (in (timestamp, seq) order)."""

    facts: TicketFacts
    ticket_id: str
    prev: EventRecord | None = None
    closed: bool = False
    attempt: int = 0
    done: set[str] = field(default_factory=set)  # for prerequisites, this attempt / routing
    counts: dict[str, int] = field(default_factory=dict)  # for duplicates
    ticket_once: set[str] = field(default_factory=set)
    preempted_open: bool = False
    preemption_reported: bool = False  # an ordering fault of the open preemption was reported
    handovers_open: int = 0
    blocked_open: int = 0
    seqs: set[int] = field(default_factory=set)
    before_sign: str | None = None  # the activity directly before the last signed

    def _v(self, out: list[Violation], code: str, ev: EventRecord, text: str) -> None:
        out.append(
            Violation(code, self.ticket_id, ev.seq, f"{ev.activity} (seq {ev.seq}): {text}")
        )

    def step(self, ev: EventRecord) -> list[Violation]:
        """Check ``ev`` against the state, then advance the state; return its violations."""
        out: list[Violation] = []
        act, f = str(ev.activity), self.facts
        if ev.seq in self.seqs:
            self._v(out, "duplicate_seq", ev, "seq used twice in the ticket")
        self.seqs.add(ev.seq)
        if act not in _KNOWN:
            self._v(out, "unknown_activity", ev, "not an activity of the contract")
            return out
        self._facts(out, ev, act, f)
        if act in TRANSPARENT:
            self._interruption(out, ev, act)
            return out
        if self.closed:
            if act == _CLOSED:
                self._v(out, "duplicate_close", ev, "ticket already closed")
                return out
            if act != _SAMPLE:
                self._v(out, "event_after_close", ev, "only sample_callback may follow closed")
                return out
        self._attempts(out, ev, act)
        self._order(out, ev, act, f)
        self._advance(ev, act)
        return out

    def _facts(self, out: list[Violation], ev: EventRecord, act: str, f: TicketFacts) -> None:
        if ev.started_at is not None:
            if act not in _DURATIVE:
                self._v(out, "started_at_on_instant", ev, "an instant carries started_at")
            elif ev.started_at > ev.timestamp:
                self._v(out, "started_after_completed", ev,
                        f"started_at {ev.started_at} is after timestamp {ev.timestamp}")
        if act == A.DISPATCHED and not f.route_dispatch:
            self._v(out, "route_violation", ev, "the category is answered at the desk")
        if act in SITE_ACTIVITIES and not f.route_site_visit:
            self._v(out, "route_violation", ev, "the category has no site visit")
        if act in _CALLBACKS and not f.route_callback:
            self._v(out, "route_violation", ev, "the category has no callback")
        if act == A.MISROUTED and f.recognised_correctly is True:
            self._v(out, "misroute_on_recognised", ev,
                    "ticket says recognised_correctly=true")
        if act == A.CONTACTED and f.mode != "appointment":
            self._v(out, "contact_not_appointment", ev, f"ticket mode is {f.mode!r}")
        if (act == A.SIGNED and not f.emergency and A.ARRIVED in self.done
                and self.attempt == ev.attempt):
            self._v(out, "late_signature", ev,
                    "signed after arrived (allowed only for emergencies)")

    def _interruption(self, out: list[Violation], ev: EventRecord, act: str) -> None:
        """A transparent event: checked, paired, but not a step of the procedure."""
        prev = self.prev
        if prev is None:
            self._v(out, "first_not_received", ev, "the first event must be received")
            return
        if self.closed:
            self._v(out, "event_after_close", ev, "only sample_callback may follow closed")
            return
        k, j = ev.attempt, prev.attempt
        if k < j:
            self._v(out, "attempt_went_back", ev, f"attempt {k} after attempt {j}")
        elif k > j + 1 or (k == j + 1 and str(prev.activity) != _REJ):
            self._v(out, "attempt_skipped", ev,
                    f"attempt {k} after attempt {j} ({prev.activity}, seq {prev.seq})")
        if act == A.PREEMPTED:
            if self.preempted_open:
                self._v(out, "ordering", ev, "a preemption is already open")
                self.preemption_reported = True
            else:
                self.preempted_open, self.preemption_reported = True, False
        elif act == A.RESUMED:
            if not self.preempted_open:
                self._v(out, "unpaired_resume", ev, "no open preempted")
            self.preempted_open = False
        elif act == A.HANDED_OVER:
            self.handovers_open += 1
        elif self.handovers_open == 0:
            self._v(out, "unpaired_takeover", ev, "no open handed_over")
        else:
            self.handovers_open -= 1

    def _attempts(self, out: list[Violation], ev: EventRecord, act: str) -> None:
        k, prev = ev.attempt, self.prev
        if prev is None:
            if act != _R:
                self._v(out, "first_not_received", ev, "the first event must be received")
            if k < 1:
                self._v(out, "attempt_invalid", ev, f"attempt {k} < 1")
            elif k > 1:
                self._v(out, "attempt_skipped", ev, f"first event in attempt {k}, not 1")
            return
        j = prev.attempt
        if k < 1:
            self._v(out, "attempt_invalid", ev, f"attempt {k} < 1")
        elif k < j:
            self._v(out, "attempt_went_back", ev, f"attempt {k} after attempt {j}")
        elif k > j + 1:
            self._v(out, "attempt_skipped", ev, f"attempt {k} after attempt {j}")
        elif k == j + 1:
            if str(prev.activity) != _REJ:
                self._v(out, "attempt_not_opened_by_rejection", ev,
                        f"attempt {k} opened after {prev.activity} (seq {prev.seq}), "
                        "not after rejected")
            if act != _REC:
                self._v(out, "attempt_first_not_recorded", ev,
                        f"attempt {k} must start with recorded")
        elif str(prev.activity) == _REJ and act != _CLOSED:
            self._v(out, "rework_in_same_attempt", ev,
                    f"follows rejected (seq {prev.seq}) in attempt {k}; a rejection opens "
                    f"attempt {k + 1}")

    def _order(self, out: list[Violation], ev: EventRecord, act: str, f: TicketFacts) -> None:
        same = self.prev is not None and ev.attempt == self.attempt
        done = self.done if same else set()
        counts = self.counts if same else {}
        if act == A.EMERGENCY_REPORTED and (not f.emergency or ev.attempt != 1):
            self._v(out, "misplaced_emergency_report", ev,
                    "only in attempt 1 of an emergency ticket")
        if self.preempted_open and act != _CLOSED and not self.preemption_reported:
            self._v(out, "ordering", ev, "comes during an open preemption (resumed first)")
            self.preemption_reported = True  # once per open preemption
        if act == A.ESCALATED and not (same and self.blocked_open > 0):
            self._v(out, "unpaired_escalation", ev, "no unpaired blocked")
        groups = PREREQUISITES.get(act, ())
        if ev.attempt >= 2:
            groups = REWORK_PREREQUISITES.get(act, groups)
        if not f.route_site_visit:
            groups = DESK_PREREQUISITES.get(act, groups)
        missing = [g for g in groups if not (g & done)]
        if missing:
            need = " and ".join("/".join(sorted(g)) for g in missing)
            self._v(out, "missing_prerequisite", ev, f"needs {need} earlier in the attempt")
        if act in _ONCE_PER_TICKET and act in self.ticket_once:
            self._v(out, "duplicate_activity", ev, "at most once per ticket")
        elif act not in REPEATABLE and counts.get(act, 0) > 0:
            self._v(out, "duplicate_activity", ev,
                    "repeated in the attempt" + (" without a misrouted" if act in REROUTED
                                                  else ""))
        if self.prev is not None and not any(v.code in _STRUCTURAL or v.code == "ordering"
                                             for v in out):
            p = str(self.prev.activity)
            allowed = TRANSITIONS[p]
            if p == A.SIGNED and self.before_sign is not None:
                # a signature is transparent: continue as after the event it follows
                allowed = allowed & TRANSITIONS[self.before_sign]
            if act not in allowed:
                self._v(out, "ordering", ev,
                        f"may not directly follow {p} (seq {self.prev.seq})")

    def _advance(self, ev: EventRecord, act: str) -> None:
        if self.prev is None or ev.attempt != self.attempt:
            self.done, self.counts = set(), {}
            self.blocked_open = 0
            self.attempt = ev.attempt
        if act == A.SIGNED:
            self.before_sign = str(self.prev.activity) if self.prev is not None else None
        if act == A.MISROUTED:
            self.done -= _FORGOTTEN_AT_MISROUTE
            for a in REROUTED:
                self.counts.pop(a, None)
        self.done.add(act)
        self.counts[act] = self.counts.get(act, 0) + 1
        if act in _ONCE_PER_TICKET:
            self.ticket_once.add(act)
        if act == A.BLOCKED:
            self.blocked_open += 1
        elif act == A.ESCALATED and self.blocked_open > 0:
            self.blocked_open -= 1
        elif act == _CLOSED:
            self.closed = True
        self.prev = ev


def _order_key(ev: EventRecord) -> tuple[Any, int]:
    return (ev.timestamp, ev.seq)


def validate(
    events: Sequence[EventRecord], facts: TicketFacts, *, ticket_id: str = "",
    level: str = "live",
) -> list[Violation]:
    """Every lifecycle violation of one ticket that ``level`` refuses.

    Parameters
    ----------
    events:
        The ticket's events in any order; they are sorted by (``timestamp``, ``seq``).
    facts:
        The ticket's facts.
    ticket_id:
        Copied into each :class:`Violation`.
    level:
        ``live`` (every rule) or ``import`` (the contract's rules only, :data:`REFUSED_AT`).

    Returns
    -------
    list of Violation
        In event order; empty when the ticket is valid (an empty ticket is valid).
    """
    check_level(level)
    walker = _Walker(facts, ticket_id)
    out: list[Violation] = []
    for ev in sorted(events, key=_order_key):
        out.extend(walker.step(ev))
    return _at(out, level)


def _at(violations: list[Violation], level: str) -> list[Violation]:
    return violations if level == "live" else [v for v in violations
                                               if level in REFUSED_AT[v.code]]


def check_append(
    existing: Sequence[EventRecord],
    new: EventRecord,
    facts: TicketFacts,
    *,
    ticket_id: str = "",
    level: str = "live",
) -> list[Violation]:
    """The violations (refused at ``level``) that appending ``new`` to ``existing`` would
    introduce.

    When ``new`` sorts last (the recorder's usual case) this is one walk over ``existing`` and
    one step; a back-dated ``new`` is compared by validating both versions.
    """
    check_level(level)
    ordered = sorted(existing, key=_order_key)
    if not ordered or _order_key(ordered[-1]) < _order_key(new):
        walker = _Walker(facts, ticket_id)
        for ev in ordered:
            walker.step(ev)
        return _at(walker.step(new), level)
    before = validate(ordered, facts, ticket_id=ticket_id, level=level)
    after = validate([*ordered, new], facts, ticket_id=ticket_id, level=level)
    remaining = list(before)
    added: list[Violation] = []
    for v in after:
        if v in remaining:
            remaining.remove(v)
        else:
            added.append(v)
    return added
