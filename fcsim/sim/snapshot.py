"""A snapshot of the open tickets at an instant, read from an event log, ready to continue.

:func:`snapshot` cuts a log (a recorder's export or a simulated log) at ``as_of``: every ticket
received and not closed by then is open; :func:`fcsim.model.stages.stage_of` says where each
stands (waiting for the desk, for a technician, travelling, in work, blocked or escalated,
awaiting acceptance or its callback, on its second pass …) with the time already spent there.
The KPI engine says which of its clocks are done, running or already breached.

The log does not say who is busy with what, so the snapshot **rebuilds the queues**: in each
staff pool (the desk, a department's technicians, the supervisors), the tickets whose stage
holds a member (being classified, travelling, in work, being accepted …) keep one, first;
then the tickets that may be waiting or already served (waiting for the desk, for a
technician, for the callback) are taken in order of priority and waiting time, as many as
members remain on duty now: those are *in service* — their stage continues with a duration
conditioned on the time already spent (the residual, :meth:`fcsim.scenarios.distributions.
_Dist.conditional`); the others wait in the queue at their place, with full durations. A stage
that holds no one (a relay, a callback retry's wait, work in a remote department) continues
with its residual too. Staff on duty come from the scenario's roster at ``as_of``, or from a
live head-count (``on_duty``, :mod:`fcsim.sim.live_roster`).

What the log cannot tell is assumed away and said so: which clerk owns a ticket (its
continuation has no owner), a record error not yet visible (none), a misclassification not yet
bounced (none once dispatched).

:class:`LogIndex` prepares a log once for many snapshots (a backtest's rolling origins).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from fcsim.eventlog import EventLog
from fcsim.eventlog.times import NAT, to_ms
from fcsim.kpi.bounds import resolve_bounds
from fcsim.kpi.clocks import clock_arrays
from fcsim.kpi.prepare import prepare, prepare_arrays
from fcsim.model.activities import Activity, Role
from fcsim.model.control_points import CLOCK_NAMES, ControlPoints
from fcsim.model.stages import Stage, StageState, stage_of
from fcsim.model.taxonomy import Source
from fcsim.model.timezone import hour_slots
from fcsim.scenarios.config import Scenario
from fcsim.sim.live_roster import forward_rosters
from fcsim.sim.staff import APPOINTMENT, EMERGENCY, ROUTINE

__all__ = ["KPI_TICKET_COLUMNS", "LogIndex", "OpenTicket", "Snapshot", "snapshot"]

_ACTS = list(Activity)
_RELAYED = frozenset({Source.PROPERTY_RELAY.value, Source.INTERNAL_NEED.value,
                      Source.SUPERIOR_INSTRUCTION.value})
#: The ticket columns the KPI clocks read.
KPI_TICKET_COLUMNS = ["ticket_id", "scenario", "replication", "category", "emergency", "mode",
                      "booked_at", "appointment_at", "route_dispatch", "route_site_visit",
                      "route_callback"]
FRONT = 1e6  # minutes: a ticket that holds a member goes ahead of every waiting one

S = Stage
#: Stage -> (pool it holds or waits for: "desk" | "tech" | "sup" | None, holds it?)
_POOL: dict[Stage, tuple[str | None, bool]] = {
    S.RELAY: (None, False), S.INTAKE: ("desk", False), S.CLASSIFY: ("desk", True),
    S.DISPATCH: ("desk", True), S.EMERGENCY_REPORT: ("sup", True),
    S.EMERGENCY_DISPATCH: ("desk", True), S.MISROUTED: ("desk", False),
    S.WAIT_TECHNICIAN: ("tech", False), S.REMOTE: (None, False), S.APPOINTMENT: (None, False),
    S.TRAVEL: ("tech", True), S.DIAGNOSE: ("tech", True), S.PLAN: ("tech", True),
    S.COMMUNICATE: ("tech", True), S.WORK: ("tech", True), S.BLOCKED: ("sup", False),
    S.ESCALATED: ("sup", True), S.MEETING: (None, False), S.ACCEPTANCE: ("tech", True),
    S.SLIP: ("tech", True), S.CALLBACK: ("desk", False), S.CALLBACK_RETRY: (None, False),
    S.CLOSING: ("desk", True),
}
#: Stages whose technician stays with the ticket (besides the pool above).
_TECH_HELD = frozenset({S.BLOCKED, S.ESCALATED})


@dataclass(frozen=True)
class OpenTicket:
    """An open ticket as the forward run continues it (moments in minutes after
    :attr:`Snapshot.start`).

    ``field``: the pass draw (a :class:`~fcsim.sim.draws.Pass` field, or ``callback_retry``)
    whose remaining part continues the stage, conditioned on ``elapsed_min`` when
    ``residual``; ``key``: its place in the queue it joins; ``order``: when its process starts
    among the snapshot's (members are handed out in this order). ``clocks_done``: (attempt,
    clock index) completed before the snapshot; ``late_s``: their total lateness.
    """

    ticket_id: str
    category: str
    emergency: bool
    appointment_at: float
    booked_at: float
    relayed: bool
    source: int
    unit: int
    state: StageState
    field: str | None
    elapsed_min: float
    residual: bool
    key: float
    order: int
    clocks_done: frozenset[tuple[int, int]]
    late_s: float
    blocked_pending: float | None


@dataclass(frozen=True)
class Snapshot:
    """The open tickets at ``as_of`` and what a forward run needs to continue them.

    ``start`` is the local hour that contains ``as_of`` (the forward run's time origin, so that
    its hour slots are the roster's); ``offset_min`` = ``as_of`` − ``start``. ``frame``: the open
    tickets' rows (:data:`KPI_TICKET_COLUMNS`), in snapshot order; ``events``: their known
    events as arrays (``tid`` = snapshot index, ``att``, ``ts`` ms, ``act``, ``seq``);
    ``clocks``: their clock instances at ``as_of`` (:func:`fcsim.kpi.clocks.clock_arrays` with
    ``tid`` and ``att``); ``on_duty``: staff on duty now per group.
    """

    as_of: pd.Timestamp
    start: datetime
    offset_min: float
    scenario: str
    tickets: tuple[OpenTicket, ...]
    frame: pd.DataFrame
    events: dict[str, np.ndarray]
    clocks: dict[str, np.ndarray]
    on_duty: dict[str, int]
    bounds: ControlPoints

    def __len__(self) -> int:
        return len(self.tickets)

    @property
    def start_ms(self) -> int:
        return to_ms(pd.Timestamp(self.start))

    def stages(self) -> pd.DataFrame:
        """One row per open ticket: id, category, attempt, stage, since (UTC), elapsed minutes."""
        return pd.DataFrame({
            "ticket_id": [o.ticket_id for o in self.tickets],
            "category": [o.category for o in self.tickets],
            "attempt": [o.state.attempt for o in self.tickets],
            "stage": [o.state.stage.value for o in self.tickets],
            "since": pd.to_datetime(
                [pd.Timestamp(self.start) + pd.Timedelta(minutes=o.state.since)
                 for o in self.tickets], utc=True),
            "elapsed_min": [self.offset_min - o.state.since for o in self.tickets],
            "in_service": [o.residual for o in self.tickets],
        })


class LogIndex:
    """An event log prepared once for snapshots at many instants: events sorted by ticket,
    attempt, time and ``seq`` as arrays, each ticket's slice, receipt and close.

    Raises
    ------
    ValueError
        When the log holds several scenarios or replications (cut one first).
    """

    def __init__(self, log: EventLog) -> None:
        tk = log.tickets
        reps = tk["replication"].dropna().unique() if "replication" in tk else []
        if len(reps) > 1:
            raise ValueError(f"the log holds {len(reps)} replications; a snapshot reads one "
                             f"(select it first)")
        # an empty log (a recorder with no ticket yet) has no latest event to default to
        p = prepare(log) if len(log.events) else prepare(log, as_of=pd.Timestamp(0, tz="UTC"))
        self.manifest = log.manifest
        # bounds are resolved once (snapshot(bounds=...)) and passed under the key None
        self.tickets = p.tickets[KPI_TICKET_COLUMNS].reset_index(drop=True).assign(
            scenario=None)
        self.ids = [str(x) for x in p.categories]
        self.tid, self.att, self.ts, self.act = p.tid, p.att, p.ts, p.act
        self.seq = log.events["seq"].to_numpy().astype(np.int64)[p.row]
        n = len(self.ids)
        self.lo = np.searchsorted(self.tid, np.arange(n), side="left")
        self.hi = np.searchsorted(self.tid, np.arange(n), side="right")
        self.r1_ms = p.r1_ms
        self.closed_ms = np.where(p.closed_ms == NAT, np.iinfo(np.int64).max, p.closed_ms)
        self.category = self.tickets["category"].astype(object).astype(str).to_numpy()
        self.emergency = self.tickets["emergency"].fillna(False).to_numpy(dtype=bool)
        self.appointment = (self.tickets["mode"].astype(object) == "appointment").to_numpy(bool)
        self.appt_ms = _ms(self.tickets["appointment_at"])
        self.booked_ms = _ms(self.tickets["booked_at"])
        src = log.tickets.set_index(log.tickets["ticket_id"].astype(str))["source"]
        src = src.reindex(self.ids).astype(object)
        self.source = np.array([_source_index(s) for s in src], dtype=np.int64)
        units = log.tickets.set_index(log.tickets["ticket_id"].astype(str))["location"]
        self.unit = np.array([_unit(u) for u in units.reindex(self.ids)], dtype=np.int64)

    @property
    def span_ms(self) -> tuple[int, int]:
        """The first receipt and the last event (ms)."""
        r = self.r1_ms[self.r1_ms != NAT]
        if not len(r):
            raise ValueError("the log has no received ticket: it has no span")
        return int(r.min()), int(self.ts.max())

    def open_at(self, as_of_ms: int) -> np.ndarray:
        """Codes of the tickets received by ``as_of_ms`` and not closed by then."""
        return np.flatnonzero((self.r1_ms != NAT) & (self.r1_ms <= as_of_ms)
                              & (self.closed_ms > as_of_ms))

    def events_of(self, codes: np.ndarray, as_of_ms: int) -> dict[str, np.ndarray]:
        """The known events of tickets ``codes`` (``tid`` = position in ``codes``)."""
        parts = [np.arange(self.lo[c], self.hi[c]) for c in codes]
        pos = np.concatenate(parts) if parts else np.zeros(0, np.int64)
        tid = np.repeat(np.arange(len(codes)), [len(x) for x in parts])
        keep = self.ts[pos] <= as_of_ms
        pos, tid = pos[keep], tid[keep]
        return {"tid": tid, "att": self.att[pos], "ts": self.ts[pos], "act": self.act[pos],
                "seq": self.seq[pos]}


def _ms(col: pd.Series) -> np.ndarray:
    out = col.dt.tz_convert("UTC").astype("datetime64[ms, UTC]").to_numpy(
        dtype="datetime64[ms]", na_value=np.datetime64("NaT")).view("int64")
    return out


def _source_index(s: object) -> int:
    names = [x.value for x in Source]
    return names.index(str(s)) if isinstance(s, str) and str(s) in names else 0


def _unit(loc: object) -> int:
    if isinstance(loc, str) and loc.startswith("unit-") and loc[5:].isdigit():
        return int(loc[5:])
    return 1


@dataclass
class _Draft:
    """An open ticket while the snapshot rebuilds the queues."""

    code: int
    tid: str
    cat: str
    emergency: bool
    appt: bool
    relayed: bool
    state: StageState
    urgent: bool
    prio: int
    pool: str | None
    holds: bool
    elapsed: float
    field: str | None
    tech_held: bool
    residual: bool

    def holds_member(self, pool: str) -> bool:
        """Whether the ticket holds a member of ``pool`` now."""
        return (pool == "tech" and self.tech_held) or (self.holds and self.pool == pool)


def _field(o: StageState, urgent: bool, route_dispatch: bool) -> str | None:
    """The pass draw whose rest continues the stage."""
    st = o.stage
    return {
        S.RELAY: "relay", S.INTAKE: "emergency_record" if urgent else "record",
        S.CLASSIFY: "classify", S.DISPATCH: "dispatch" if route_dispatch else "close",
        S.EMERGENCY_REPORT: "emergency_report", S.EMERGENCY_DISPATCH: "emergency_dispatch",
        S.MISROUTED: "redispatch", S.WAIT_TECHNICIAN: "travel" if urgent else "sign",
        S.REMOTE: "work", S.TRAVEL: "travel", S.DIAGNOSE: "diagnose", S.PLAN: "plan",
        S.COMMUNICATE: "communicate", S.WORK: "work", S.BLOCKED: "escalate",
        S.ESCALATED: "supervisor_resolve", S.ACCEPTANCE: "acceptance", S.SLIP: "slip_return",
        S.CALLBACK: "callback", S.CALLBACK_RETRY: "callback_retry", S.CLOSING: "close",
    }.get(st)


def _priority(urgent: bool, appointment: bool) -> int:
    return EMERGENCY if urgent else APPOINTMENT if appointment else ROUTINE


def snapshot(log: EventLog | LogIndex, as_of: pd.Timestamp | str, scenario: Scenario, *,
             on_duty: Mapping[str, int] | None = None,
             bounds: ControlPoints | None = None) -> Snapshot:
    """The open tickets of ``log`` at ``as_of``, each at its stage, ready to continue.

    Parameters
    ----------
    log
        An event log of one site (or one replication), or its :class:`LogIndex`.
    as_of
        The instant (timezone-aware). Events after it are unknown.
    scenario
        The model that continues the tickets: its categories (every open ticket's category must
        be one), roster, time zone and bounds.
    on_duty
        A live head-count now, per staff group (default: the scenario's roster at ``as_of``).
    bounds
        The clocks' bounds (default: the log's manifest — a recorder site's or a run's —
        else the scenario's).

    Raises
    ------
    ValueError
        Naming the ticket whose category the scenario lacks, or the unknown staff group.
    """
    idx = log if isinstance(log, LogIndex) else LogIndex(log)
    as_of_ts = pd.Timestamp(as_of)
    if as_of_ts.tzinfo is None:
        raise ValueError(f"as_of {as_of!r} needs a UTC offset")
    as_of_ms = to_ms(as_of_ts.tz_convert("UTC"))
    as_of_ts = pd.Timestamp(as_of_ms, unit="ms", tz="UTC")  # the log's resolution
    tz = scenario.scenario.tz
    start_dt = as_of_ts.to_pydatetime().astimezone(tz).replace(minute=0, second=0,
                                                                 microsecond=0)
    start_ms = to_ms(pd.Timestamp(start_dt))
    offset = (as_of_ms - start_ms) / 60000.0
    if bounds is None:
        names: list[str | None] = [None, scenario.name]
        resolved = resolve_bounds(names, manifest=idx.manifest,
                                  bounds=scenario.control_points())
        sc_names = idx.tickets["scenario"].dropna().astype(str).unique().tolist()
        bounds = resolved.get(sc_names[0] if sc_names else None) or resolved[None]
    slot0 = hour_slots(start_dt, tz, 1)
    rosters = forward_rosters(scenario, slot0, on_duty=on_duty)
    now_on = {g: r.on_duty(slot0[0]) for g, r in rosters.items()}

    codes = idx.open_at(as_of_ms)
    ev = idx.events_of(codes, as_of_ms)
    frame = idx.tickets.iloc[codes].reset_index(drop=True)
    clocks: dict[str, np.ndarray] = {}
    done: dict[int, set[tuple[int, int]]] = {}
    late: dict[int, float] = {}
    if len(codes):
        p = prepare_arrays(frame, pd.Index([idx.ids[c] for c in codes]), tid=ev["tid"],
                           att=ev["att"], ts=ev["ts"], act=ev["act"], seq=ev["seq"],
                           as_of_ms=as_of_ms)
        clocks = clock_arrays(p, {None: bounds})
        clocks["tid"] = p.a_tid[clocks["a"]]
        clocks["att"] = p.a_att[clocks["a"]]
        known = (clocks["start"] != NAT) & ((clocks["end"] != NAT) | np.isin(
            clocks["clock"], _APPT_CLOCKS))
        for j, k, a, lt in zip(clocks["tid"][known].tolist(), clocks["clock"][known].tolist(),
                               clocks["att"][known].tolist(),
                               clocks["lateness_s"][known].tolist(), strict=True):
            done.setdefault(j, set()).add((a, k))
            if lt == lt:
                late[j] = late.get(j, 0.0) + lt
    cats = scenario.categories
    by_pool: dict[tuple[str, str], list[int]] = {}
    drafts: list[_Draft] = []
    mins = lambda ms: (ms - start_ms) / 60000.0  # noqa: E731
    for j, code in enumerate(codes.tolist()):
        tid = idx.ids[code]
        cat = idx.category[code]
        if cat not in cats:
            raise ValueError(f"ticket {tid!r}: category {cat!r} is not in scenario "
                             f"{scenario.name!r} (known: {', '.join(cats)})")
        cfg = cats[cat]
        sel = ev["tid"] == j
        evs = [(_ACTS[a], int(k), mins(ts)) for a, k, ts in
               zip(ev["act"][sel].tolist(), ev["att"][sel].tolist(), ev["ts"][sel].tolist(),
                   strict=True)]
        appt = bool(idx.appointment[code]) and cfg.route_site_visit
        emergency = bool(idx.emergency[code]) and not appt
        relayed = bool(idx.source[code] in _RELAYED_IDX)
        st = stage_of(evs, offset, route_site_visit=cfg.route_site_visit,
                      emergency=emergency, appointment=appt, relayed=relayed)
        urgent = emergency and st.attempt == 1
        pool, holds = _POOL[st.stage]
        if st.stage == S.WORK and st.paused:  # preempted: back in the queue, at its front
            holds = False
        d = _Draft(code=code, tid=tid, cat=cat, emergency=emergency, appt=appt,
                   relayed=relayed, state=st, urgent=urgent,
                   prio=_priority(urgent, appt and st.attempt == 1), pool=pool, holds=holds,
                   elapsed=st.work_done if st.stage == S.WORK else offset - st.since,
                   field=_field(st, urgent, cfg.route_dispatch),
                   tech_held=st.stage in _TECH_HELD and cfg.route_site_visit,
                   residual=pool is None or holds or (st.stage == S.WORK))
        drafts.append(d)
        if pool is not None:
            by_pool.setdefault((pool, cfg.department if pool == "tech" else pool), []).append(j)
        if d.tech_held:
            by_pool.setdefault(("tech", cfg.department), []).append(j)

    for (pool, dept), members in by_pool.items():
        held = [j for j in members if drafts[j].holds_member(pool)]
        free = max(_members_now(scenario, now_on, pool, dept) - len(held), 0)
        waiting = sorted((j for j in members if drafts[j].pool == pool
                          and not drafts[j].holds_member(pool)),
                         key=lambda j: (drafts[j].prio, drafts[j].state.since))
        for j in waiting:  # served in order while members are free; an emergency at once
            d = drafts[j]
            d.residual = d.residual or d.urgent or free > 0
            if free > 0 and not d.urgent and d.pool is not None:
                free -= 1
    order = sorted(range(len(drafts)), key=lambda j: (
        0 if drafts[j].holds or drafts[j].tech_held else 1 if drafts[j].residual else 2,
        drafts[j].prio,
        drafts[j].state.since))
    rank = {j: r for r, j in enumerate(order)}
    tickets: list[OpenTicket] = []
    for j, d in enumerate(drafts):
        st, code = d.state, d.code
        front = d.holds or d.tech_held or (st.stage == S.WORK and st.paused)
        tickets.append(OpenTicket(
            ticket_id=d.tid, category=d.cat, emergency=d.emergency,
            appointment_at=mins(idx.appt_ms[code]) if idx.appt_ms[code] != NAT and d.appt
            else math.nan,
            booked_at=mins(idx.r1_ms[code]), relayed=d.relayed,
            source=int(idx.source[code]), unit=int(idx.unit[code]), state=st,
            field=d.field if d.residual else None,
            elapsed_min=max(d.elapsed, 0.0), residual=d.residual,
            key=st.since - FRONT if front else st.since, order=rank[j],
            clocks_done=frozenset(done.get(j, ())), late_s=late.get(j, 0.0),
            blocked_pending=st.blocked_at if st.stage == S.BLOCKED else None))
    return Snapshot(as_of=as_of_ts, start=start_dt, offset_min=offset, scenario=scenario.name,
                    tickets=tuple(tickets), frame=frame,
                    events={k: np.asarray(v) for k, v in ev.items()}, clocks=clocks,
                    on_duty=now_on, bounds=bounds)


_APPT_CLOCKS = np.array([i for i, n in enumerate(CLOCK_NAMES) if n.startswith("appointment_")])
_RELAYED_IDX = frozenset(i for i, s in enumerate(Source) if s.value in _RELAYED)


def _members_now(scenario: Scenario, now_on: Mapping[str, int], pool: str, dept: str) -> int:
    """Members of ``pool`` (a department's, for technicians) on duty now."""
    for g, group in scenario.staff.items():
        if (pool == "desk" and group.role == Role.DESK) or (
                pool == "sup" and group.role == Role.SUPERVISOR) or (
                pool == "tech" and group.role == Role.TECHNICIAN and group.department == dept):
            return now_on[g]
    return 0
