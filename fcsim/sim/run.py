"""``simulate`` and ``replicate``: run a scenario and return its :class:`~fcsim.eventlog.EventLog`.

Arrivals stop at the window's end (``days``); the model then drains until every ticket has
finished, or for at most ``scenario.drain_max_days`` (tickets still open are left censored).
"""

from __future__ import annotations

import logging
import math
import platform
from collections.abc import Callable, Generator
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd
import simpy

from fcsim import __version__
from fcsim.eventlog.log import EventLog
from fcsim.model.activities import Role
from fcsim.scenarios.config import Scenario, StaffGroup
from fcsim.scenarios.distributions import Fixed
from fcsim.sim.arrivals import Arrivals, arrival_schedule
from fcsim.sim.draws import PassDraws
from fcsim.sim.procedure import CategoryRuntime, Model, ticket
from fcsim.sim.roster import StaffPool
from fcsim.sim.sink import EventSink, RunRecord, TicketFacts, build_frames
from fcsim.sim.streams import Streams

__all__ = ["replicate", "simulate", "simulate_record"]

log = logging.getLogger(__name__)

_STAGE_FIELDS = {
    "relay": "relay_min", "record": "record_min", "emergency_record": "emergency_record_min",
    "classify": "classify_min", "dispatch": "dispatch_min",
    "misroute_return": "misroute_return_min", "sign": "sign_min", "travel": "travel_min",
    "plan": "plan_min", "communicate": "communicate_min", "escalate": "escalate_min",
    "supervisor_resolve": "supervisor_resolve_min", "acceptance": "acceptance_min",
    "slip_return": "slip_return_min", "callback": "callback_min", "close": "close_min",
    "precall": "precall_min", "early_arrival": "early_arrival_min",
    "sample_delay": "sample_callback_delay_min",
}
_UNIFORMS = ("unreachable",)  # later callback tries; the rest are per-pass draws


def _pool(env: simpy.Environment, group: StaffGroup, names: list[str], hour0: int,
          end_of_shift: str) -> tuple[StaffPool, list[int]]:
    reg, call = group.hourly(on_call=False), group.hourly(on_call=True)
    size = max(r + c for r, c in zip(reg, call, strict=True))
    members = [f"{group.prefix}-{i + 1}" for i in range(max(size, 1))]
    codes = []
    for name in members:
        codes.append(len(names))
        names.append(name)
    return StaffPool(env, members, reg, call, hour0=hour0, end_of_shift=end_of_shift), codes


def appointment_times(booked: np.ndarray, lead: np.ndarray, hour0: int, open_h: float,
                      close_h: float) -> np.ndarray:
    """Book ``lead`` minutes ahead, on a 30-minute slot inside opening hours."""
    appt = np.ceil((booked + lead) / 30.0) * 30.0
    tod = (hour0 * 60.0 + appt) % 1440.0
    early = tod < open_h * 60.0
    late = tod > close_h * 60.0 - 30.0
    return np.where(early, appt + open_h * 60.0 - tod,
                    np.where(late, appt + 1440.0 - tod + open_h * 60.0, appt))


def _arrivals(m: Model, arr: Arrivals, cats: list[CategoryRuntime],
              appointment_at: np.ndarray) -> Generator[simpy.Event, Any, None]:
    env = m.env
    times = arr.time_min.tolist()
    cat_ix = arr.category.tolist()
    emerg = (arr.emergency.astype(bool) & ~arr.appointment.astype(bool)).tolist()
    appt = appointment_at.tolist()
    src = arr.source.tolist()
    for n, t in enumerate(times):
        if t > env.now:
            yield env.timeout(t - env.now)
        m.open_tickets += 1
        env.process(ticket(m, n, cats[cat_ix[n]], emerg[n], appt[n], src[n]))
    m.arrivals_done = True
    if m.open_tickets == 0 and m.done is not None and not m.done.triggered:
        m.done.succeed()


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
    hour0 = meta.start.hour
    policy = scenario.policy
    names: list[str] = []
    desk_group = scenario.desk_group()
    desk, desk_codes = _pool(env, desk_group, names, hour0, policy.end_of_shift)
    techs: dict[str, tuple[StaffPool, list[int], StaffGroup]] = {}
    sup: StaffPool | None = None
    sup_codes: list[int] = []
    for group in scenario.staff.values():
        if group.role == Role.TECHNICIAN:
            assert group.department is not None
            pool, codes = _pool(env, group, names, hour0, policy.end_of_shift)
            techs[group.department] = (pool, codes, group)
        elif group.role == Role.SUPERVISOR and sup is None:
            sup, sup_codes = _pool(env, group, names, hour0, policy.end_of_shift)
    st = scenario.stages
    # the per-pass draws are in PassDraws; these streams serve later callback tries only
    d = {"callback": streams.sampler("stage.callback", st.callback_min)}
    d["callback_retry"] = streams.sampler("stage.callback_retry",
                                          scenario.outcomes.callback_retry_min)
    u = {k: streams.uniform(f"u.{k}") for k in _UNIFORMS}
    cps = scenario.control_points()
    bounds = {name: ((spec.bounds.lower_s or 0.0) / 60.0,
                     math.inf if spec.bounds.upper_s is None else spec.bounds.upper_s / 60.0)
              for name, spec in cps.specs.items()}
    cats: list[CategoryRuntime] = []
    for k, (name, c) in enumerate(scenario.categories.items()):
        tech = techs.get(c.department)
        cats.append(CategoryRuntime(
            index=k, route_dispatch=c.route_dispatch, route_site_visit=c.route_site_visit,
            route_callback=c.route_callback, emergency_p=c.emergency_p,
            misroute_p=c.misroute_p, block_p=c.block_p,
            supervisor_resolves_p=c.supervisor_resolves_p, reject_p=c.reject_p,
            reject_decay=c.reject_decay,
            record_error_p=c.record_error_p,
            tech=tech[0] if tech else None, tech_codes=tech[1] if tech else [],
            draws=PassDraws(streams, name, {
                **{k: getattr(st, f) for k, f in _STAGE_FIELDS.items()},
                "redispatch": st.dispatch_min, "diagnose": c.diagnose_min, "work": c.work_min,
                "callout": tech[2].callout_min if tech else Fixed(value=0.0)}),
        ))
    out = scenario.outcomes
    horizon = days * 1440.0
    arr = arrival_schedule(scenario, streams, days) if arrivals is None else arrivals
    is_appt = arr.appointment.astype(bool)
    lead = np.asarray(st.appointment_lead_min.sample(streams.rng("appointment.lead"),
                                                     len(arr)), float)
    appt_at = np.where(is_appt, appointment_times(arr.time_min, lead, hour0,
                                                  policy.appointment_open_h,
                                                  policy.appointment_close_h), np.nan)
    sink = EventSink()
    facts = TicketFacts.prefilled(
        arr.category, arr.emergency & ~is_appt, arr.source, is_appt.astype(np.int8),
        np.where(is_appt, arr.time_min, np.nan), appt_at, arr.unit)
    m = Model(
        env=env, sink=sink, facts=facts, desk=desk, desk_codes=desk_codes, sup=sup,
        sup_codes=sup_codes, d=d, u=u, bounds_min=bounds, unreachable_p=out.unreachable_p,
        callback_max_tries=out.callback_max_tries, sample_callback_p=out.sample_callback_p,
        satisfaction=(out.satisfaction_base, out.lateness_scale_min, out.rework_factor),
        preempted_front=policy.preempted_position == "front", hour0=hour0,
        meeting_h=policy.meeting_h,
    )
    m.done = env.event()
    env.process(_arrivals(m, arr, cats, appt_at))
    env.process(_cap(env, m.done, horizon + meta.drain_max_days * 1440.0))
    if progress is not None:
        env.process(_progress(env, horizon, progress))
    env.run(until=m.done)
    if m.open_tickets:
        log.warning("%s r%d: %d ticket(s) still open after the drain cap (censored)",
                    meta.name, replication, m.open_tickets)
    if progress is not None:
        progress(1.0)
    start_ms = int(pd.Timestamp(meta.start).tz_convert("UTC").value // 1_000_000)
    return RunRecord(
        scenario=meta.name, replication=replication, start_ms=start_ms, sink=sink, facts=facts,
        resources=names, categories=list(scenario.categories),
        departments=[c.department for c in scenario.categories.values()],
        routes=[(c.route_dispatch, c.route_site_visit, c.route_callback)
                for c in scenario.categories.values()],
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

