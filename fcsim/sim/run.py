"""``simulate`` and ``replicate``: run a scenario and return its :class:`~fcsim.eventlog.EventLog`.

Arrivals stop at the window's end (``days``); the model then drains until every ticket has
finished, or for at most ``scenario.drain_max_days`` (tickets still open are left censored).
"""

from __future__ import annotations

import gc
import logging
import math
import platform
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd
import simpy

from fcsim import __version__
from fcsim.eventlog.log import EventLog
from fcsim.model.activities import Role
from fcsim.model.control_points import CLOCK_NAMES
from fcsim.model.taxonomy import Source
from fcsim.model.timezone import daily_instants, hour_slots
from fcsim.scenarios.config import Scenario, StaffGroup
from fcsim.scenarios.distributions import Fixed
from fcsim.sim.arrivals import Arrivals, arrival_schedule
from fcsim.sim.context import CategoryRuntime, Context
from fcsim.sim.draws import TicketDraws
from fcsim.sim.ownership import Ownership
from fcsim.sim.perform import NEVER
from fcsim.sim.procedure import ticket
from fcsim.sim.sink import EventSink, RunRecord, TicketArrays, build_frames
from fcsim.sim.staff import StaffPool
from fcsim.sim.started import StartedProcess
from fcsim.sim.streams import Streams
from fcsim.sim.ticket import Ticket

__all__ = ["category_distributions", "group_roster", "people_roster", "replicate",
           "shift_roster", "simulate", "simulate_record", "young_collections_relaxed"]

log = logging.getLogger(__name__)
_RELAYED_SOURCES = [i for i, s in enumerate(Source)
                    if s in (Source.PROPERTY_RELAY, Source.INTERNAL_NEED,
                             Source.SUPERIOR_INSTRUCTION)]

#: Pass draw -> the Stages field of its distribution (category fields are added per category)
_STAGE_FIELDS = {
    "relay": "relay_min", "record": "record_min", "emergency_record": "emergency_record_min",
    "classify": "classify_min", "dispatch": "dispatch_min",
    "emergency_dispatch": "emergency_dispatch_min", "emergency_report": "emergency_report_min",
    "misroute_return": "misroute_return_min", "redispatch": "dispatch_min",
    "sign": "sign_min", "travel": "travel_min", "wrong_location": "wrong_location_min",
    "plan": "plan_min", "communicate": "communicate_min", "escalate": "escalate_min",
    "supervisor_resolve": "supervisor_resolve_min", "meeting": "meeting_min",
    "acceptance": "acceptance_min", "slip_return": "slip_return_min",
    "callback": "callback_min", "close": "close_min", "precall": "precall_min",
    "early_arrival": "early_arrival_min", "sample_delay": "sample_callback_delay_min",
}


def category_distributions(scenario: Scenario, name: str,
                           tech: StaffGroup | None) -> dict[str, Any]:
    """The distribution of every pass draw of category ``name`` (:class:`~fcsim.sim.draws.
    Pass` fields, plus ``callback_retry`` and ``meeting``); ``tech``: its technician group."""
    st, cfg = scenario.stages, scenario.categories[name]
    dists: dict[str, Any] = {f: getattr(st, attr) for f, attr in _STAGE_FIELDS.items()}
    dists.update(diagnose=cfg.diagnose_min, work=cfg.work_min, charge=cfg.charge,
                 callback_retry=scenario.outcomes.callback_retry_min,
                 callout=tech.callout_min if tech else Fixed(value=0.0))
    return dists


def shift_roster(group: StaffGroup) -> tuple[list[str], list[tuple[tuple[int, ...],
                                                                   tuple[int, ...]]]]:
    """Members and weekly roster of a head-count group: each shift has its own members
    (``prefix-1`` …, in shift order), on duty (or on call) in its hours every day."""
    names: list[str] = []
    duty: list[list[int]] = [[] for _ in range(168)]
    call: list[list[int]] = [[] for _ in range(168)]
    for shift in group.shifts:
        members = list(range(len(names), len(names) + shift.count))
        names += [f"{group.prefix}-{i + 1}" for i in members]
        target = call if shift.on_call else duty
        for day in range(7):
            for h in range(int(shift.start_h), int(shift.end_h)):
                target[(day * 24 + h) % 168].extend(members)
    if not names:
        names = [f"{group.prefix}-1"]
    return names, [(tuple(d), tuple(c)) for d, c in zip(duty, call, strict=True)]


def people_roster(group: StaffGroup) -> tuple[list[str], list[tuple[tuple[int, ...],
                                                                    tuple[int, ...]]]]:
    """Members and weekly roster of a person-roster group: one member per person (the
    resource is the person's name), on duty in their work spans and on call in their on-call
    spans, the week repeated (a span passing Sunday midnight continues on Monday)."""
    names = [p.name for p in group.people]
    duty: list[list[int]] = [[] for _ in range(168)]
    call: list[list[int]] = [[] for _ in range(168)]
    for i, person in enumerate(group.people):
        for target, spans in ((duty, person.work), (call, person.on_call)):
            for span in spans:
                for h in span.hours_of_week():
                    target[h].append(i)
    return names, [(tuple(d), tuple(c)) for d, c in zip(duty, call, strict=True)]


def group_roster(group: StaffGroup) -> tuple[list[str], list[tuple[tuple[int, ...],
                                                                   tuple[int, ...]]]]:
    """The pool's members and weekly roster in either roster form (:func:`people_roster` when
    the group lists people, else :func:`shift_roster`)."""
    return people_roster(group) if group.people else shift_roster(group)


def _pool(env: simpy.Environment, names: list[str], roster: Any, slots: list[int],
          resources: list[str], policy: Any, end_of_shift: str | None = None) -> StaffPool:
    pool = StaffPool(env, names, roster, slots,
                     end_of_shift=end_of_shift or policy.end_of_shift,
                     preempted_front=policy.preempted_position == "front")
    pool.codes = list(range(len(resources), len(resources) + len(names)))
    resources += names
    return pool


def appointment_times(booked: np.ndarray, lead: np.ndarray, open_h: float, close_h: float,
                      midnights: list[float]) -> np.ndarray:
    """Book ``lead`` minutes ahead, on a 30-minute slot inside local opening hours."""
    appt = np.ceil((booked + lead) / 30.0) * 30.0
    mid = np.asarray(midnights, float)
    k = np.searchsorted(mid, appt, side="right") - 1
    day0 = mid[np.maximum(k, 0)]
    tod = appt - day0
    nxt = mid[np.minimum(k + 1, len(mid) - 1)]
    early = tod < open_h * 60.0
    late = tod > close_h * 60.0 - 30.0
    return np.where(early, day0 + open_h * 60.0,
                    np.where(late, nxt + open_h * 60.0, appt))


def _arrivals(c: Context, arr: Arrivals, cats: list[CategoryRuntime], index: np.ndarray,
              appointment_at: np.ndarray) -> Generator[simpy.Event, Any, None]:
    env = c.env
    emerg = (arr.emergency.astype(bool) & ~arr.appointment.astype(bool)).tolist()
    relayed = np.isin(arr.source, _RELAYED_SOURCES).tolist()
    for n, (time, k, i, appt) in enumerate(zip(arr.time_min.tolist(), arr.category.tolist(),
                                               index.tolist(), appointment_at.tolist(),
                                               strict=True)):
        now = env.now
        if time > now:
            yield env.timeout(time - now)
        c.open_tickets += 1
        StartedProcess(env, ticket(c, Ticket(n, i, cats[k], emerg[n], appt, relayed[n], time)))
    c.arrivals_done = True
    if c.open_tickets == 0 and c.done is not None and not c.done.triggered:
        c.done.succeed()


def _cap(env: simpy.Environment, done: simpy.Event, at: float) -> Generator[simpy.Event, Any,
                                                                              None]:
    yield env.timeout(at)
    if not done.triggered:
        done.succeed()


def _progress(env: simpy.Environment, horizon: float,
              progress: Callable[[float], None]) -> Generator[simpy.Event, Any, None]:
    step = max(horizon / 100.0, 60.0)
    while env.now < horizon:
        yield env.timeout(step)
        progress(min(env.now / horizon, 1.0))


@contextmanager
def young_collections_relaxed(threshold: int = 50_000) -> Iterator[None]:
    """Collect the young generation less often while a run allocates its many short-lived,
    acyclic records (pass draws, steps); the previous thresholds are restored after."""
    old = gc.get_threshold()
    gc.set_threshold(max(threshold, old[0]), *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)


def _category_index(category: np.ndarray) -> np.ndarray:
    """Each arrival's index among the arrivals of its category (the key of its draws)."""
    out = np.empty(len(category), dtype=np.int64)
    for k in np.unique(category):
        sel = np.flatnonzero(category == k)
        out[sel] = np.arange(len(sel))
    return out


def _group_codes(scenario: Scenario, desk: StaffPool,
                 techs: dict[str, tuple[StaffPool, StaffGroup]], sup: StaffPool | None,
                 mgr: StaffPool | None) -> dict[str, list[int]]:
    """Each staff group's members' resource codes (the pools built from the groups)."""
    out: dict[str, list[int]] = {}
    by_role: dict[Role, StaffPool | None] = {Role.SUPERVISOR: sup, Role.MANAGER: mgr}
    for gname, group in scenario.staff.items():
        if group.role == Role.DESK:
            pool: StaffPool | None = desk
        elif group.role == Role.TECHNICIAN:
            hit = techs.get(str(group.department))
            pool = hit[0] if hit is not None and hit[1] is group else None
        else:
            pool = by_role.pop(group.role, None)  # the first group of the role has the pool
        if pool is not None:
            out[gname] = list(pool.codes)
    return out


def simulate_record(scenario: Scenario, *, seed: int, replication: int = 0,
                    days: float | None = None,
                    progress: Callable[[float], None] | None = None,
                    arrivals: Arrivals | None = None) -> RunRecord:
    """Run one replication; returns the raw columnar record (see :func:`simulate`).

    ``arrivals`` drives the run with given arrivals (a trace) instead of drawing them.
    """
    meta = scenario.scenario
    days = meta.days if days is None else float(days)
    if not days > 0:
        raise ValueError(f"days must be > 0, got {days}")
    streams = Streams(seed, replication)
    env = simpy.Environment()
    policy, st = scenario.policy, scenario.stages
    total_days = math.ceil(days + meta.drain_max_days) + 1
    slots = hour_slots(meta.start, meta.tz, total_days * 24)
    midnights = daily_instants(meta.start, meta.tz, 0.0, total_days)
    resources: list[str] = []
    desk_group = scenario.desk_group()
    # a clerk finishes the call in hand; their tickets' ownership passes at the shift's end
    desk = _pool(env, *group_roster(desk_group), slots, resources, policy, "finish")
    techs: dict[str, tuple[StaffPool, StaffGroup]] = {}
    sup: StaffPool | None = None
    mgr: StaffPool | None = None
    for group in scenario.staff.values():
        if group.role == Role.TECHNICIAN:
            assert group.department is not None
            techs[group.department] = (_pool(env, *group_roster(group), slots, resources,
                                             policy), group)
        elif group.role == Role.SUPERVISOR and sup is None:
            sup = _pool(env, *group_roster(group), slots, resources, policy)
        elif group.role == Role.MANAGER and mgr is None:
            mgr = _pool(env, *group_roster(group), slots, resources, policy)
    if mgr is None:  # no manager group: the meetings are chaired by one manager, mgr-1
        mgr = _pool(env, ["mgr-1"], [((0,), ())] * 168, slots, resources, policy)
    cps = scenario.control_points()
    materials: list[str] = []
    cats: list[CategoryRuntime] = []
    for k, (name, cfg) in enumerate(scenario.categories.items()):
        tech = techs.get(cfg.department)
        mat = []
        for m in cfg.materials:
            if m not in materials:
                materials.append(m)
            mat.append(materials.index(m))
        dists = category_distributions(scenario, name, tech[1] if tech else None)
        cats.append(CategoryRuntime.from_config(
            k, name, cfg, tech=tech[0] if tech else None, materials=tuple(mat),
            draws=TicketDraws(streams, name, dists, joint_fields=cfg.joint_fields,
                              joint_rows=cfg.joint_rows),
            bounds={e: tuple(cps.resolve(clock, name, e) for clock in CLOCK_NAMES)
                    for e in (False, True)}))
    horizon = days * 1440.0
    arr = arrival_schedule(scenario, streams, days) if arrivals is None else arrivals
    is_appt = arr.appointment.astype(bool)
    index = _category_index(arr.category)
    lead = np.zeros(len(arr))
    for k, name in enumerate(scenario.categories):
        sel = np.flatnonzero(arr.category == k)
        lead[sel] = np.asarray(st.appointment_lead_min.sample(
            streams.rng(f"appointment.lead.{name}"), len(sel)), float)
    appt_at = np.where(is_appt, appointment_times(arr.time_min, lead, policy.appointment_open_h,
                                                  policy.appointment_close_h, midnights), np.nan)
    sink = EventSink()
    facts = TicketArrays.prefilled(
        arr.category, arr.emergency & ~is_appt, arr.source, is_appt.astype(np.int8),
        np.where(is_appt, arr.time_min, np.nan), appt_at, arr.unit)
    c = Context(env=env, sink=sink, facts=facts, desk=desk, supervisors=sup, managers=mgr,
                quality=scenario.quality, outcomes=scenario.outcomes,
                desk_preemptible=0 if policy.desk_preemption and any(
                    c.emergency_p > 0 for c in scenario.categories.values()) else NEVER,
                meetings=daily_instants(meta.start, meta.tz, policy.meeting_h, total_days),
                midnights=midnights, close_timer=policy.close_timer)
    if scenario.duration_factors is not None:
        from fcsim.sim.duration_factors import build_factors

        c.factors = build_factors(scenario.duration_factors, streams,
                                  _group_codes(scenario, desk, techs, sup, mgr),
                                  len(resources), meta.start, meta.tz, midnights)
    c.ownership = Ownership(c, desk)
    c.done = env.event()
    env.process(_arrivals(c, arr, cats, index, appt_at))
    env.process(_cap(env, c.done, horizon + meta.drain_max_days * 1440.0))
    if progress is not None:
        env.process(_progress(env, horizon, progress))
    with young_collections_relaxed():
        env.run(until=c.done)
    if c.open_tickets:
        log.warning("%s r%d: %d ticket(s) still open after the drain cap (censored)",
                    meta.name, replication, c.open_tickets)
    if progress is not None:
        progress(1.0)
    start_ms = int(pd.Timestamp(meta.start).tz_convert("UTC").value // 1_000_000)
    return RunRecord(
        scenario=meta.name, replication=replication, start_ms=start_ms, sink=sink, facts=facts,
        resources=resources, categories=list(scenario.categories),
        departments=[c.department for c in scenario.categories.values()],
        routes=[(c.route_dispatch, c.route_site_visit, c.route_callback)
                for c in scenario.categories.values()],
        materials=materials,
    )


def _manifest(scenario: Scenario, seed: int, replication: int | None, days: float,
              replications: int | None = None) -> dict[str, Any]:
    start = scenario.scenario.start
    end = start + timedelta(days=days)
    man: dict[str, Any] = {
        "scenario": scenario.name, "seed": seed, "replication": replication, "days": days,
        "start": start.isoformat(), "window": [start.isoformat(), end.isoformat()],
        **scenario.manifest_bounds(),
        "scenario_config": scenario.as_json(),
        "versions": {"fcsim": __version__, "simpy": simpy.__version__,
                     "numpy": np.__version__, "pandas": pd.__version__,
                     "python": platform.python_version()},
    }
    if replications is not None:
        man["replications"] = replications
    return man


def simulate(scenario: Scenario, *, seed: int, replication: int = 0, days: float | None = None,
             progress: Callable[[float], None] | None = None) -> EventLog:
    """Simulate one replication of ``scenario`` and return its event log.

    Parameters
    ----------
    scenario:
        The validated scenario (never mutated).
    seed:
        Root seed; replication ``r`` uses streams ``SeedSequence(seed, spawn_key=(r, …))``,
        the same in every scenario (common random numbers). Same seed → identical log.
    replication:
        Replication index (``replication`` column, ticket ids ``{scenario}-r{rep}-{n:06d}``).
    days:
        Arrival window in days (default: the scenario's).
    progress:
        Called with the fraction of the arrival window simulated so far.
    """
    days_ = scenario.scenario.days if days is None else float(days)
    rec = simulate_record(scenario, seed=seed, replication=replication, days=days_,
                          progress=progress)
    events, tickets = build_frames([rec])
    return EventLog(events, tickets, _manifest(scenario, seed, replication, days_))


def replicate(scenario: Scenario, *, seed: int, replications: int, days: float | None = None,
              progress: Callable[[float], None] | None = None) -> EventLog:
    """Replications ``0 … replications-1`` of ``scenario`` concatenated into one log."""
    if replications < 1:
        raise ValueError("replications must be >= 1")
    days_ = scenario.scenario.days if days is None else float(days)
    recs: list[RunRecord] = []
    for r in range(replications):
        def sub(f: float, r: int = r) -> None:
            if progress is not None:
                progress((r + f) / replications)
        recs.append(simulate_record(scenario, seed=seed, replication=r, days=days_,
                                    progress=sub if progress else None))
    events, tickets = build_frames(recs)
    return EventLog(events, tickets, _manifest(scenario, seed, None, days_, replications))

