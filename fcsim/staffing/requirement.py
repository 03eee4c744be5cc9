"""People required on duty in every hour of the week, for each staff group that affects a target.

Each group answers to one clock (its role's: the desk to ``record``, technicians to
``on_site``, supervisors to ``escalate``) with the scenario's bound: the wait allowed before
the group starts is the bound minus the mean of the stages inside the clock before its
performer starts (desk: recording; technicians: signing and travel, emergencies travel only;
supervisors: the escalation). The hour's work (:func:`~fcsim.staffing.scenario_staffing.
group_demand`, split into routine and emergency) is staffed for ``P(W <= wait) >= service
level`` by one of:

* ``sipp`` — Erlang C on each hour's own rate; ``lagged_sipp`` — on the rate one mean service
  time earlier; ``erlang_a`` — Erlang A (M/M/c+M) with patience equal to the clock's bound (a
  ticket that has waited past the bound no longer counts as served in time);
* ``isa`` — the iterative staffing algorithm on the time-varying queue simulation (common
  random numbers), restaffing each hour through the Erlang C load its simulated P(delay)
  implies. Hours that see fewer than :data:`ISA_MIN_ARRIVALS` simulated arrivals (night,
  low load) are not restaffed from noise: they keep the lagged SIPP value, and hours still
  moving after the last iteration keep the larger of the last two values; both are reported
  in ``notes``.

**Night and on call.** A group with an on-call pattern (the scenario's ``on_call`` shifts, or
its people's on-call spans) has one person on call in those hours. The simulator's rule
(:mod:`fcsim.sim.staff`) is that an on-call person takes emergencies only, after the group's
call-out delay; the requirement applies the same rule: in on-call hours, emergencies leave the
on-duty load only when ``P(call-out + travel <= emergency bound)`` reaches the service level
(computed from the scenario's distributions, seeded); routine work is always on duty. Every
hour with work gets a requirement, night included.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from fcsim.model.activities import Role
from fcsim.scenarios import Scenario
from fcsim.scenarios.calendar import hour_of_week_weights
from fcsim.staffing.erlang import erlang_a_required_agents, erlang_c_required_agents
from fcsim.staffing.scenario_staffing import group_demand
from fcsim.staffing.time_varying import _lagged_bin_rates, iterative_staffing, offered_load
from fcsim.staffing.tv_queue import TimeVaryingQueue

__all__ = ["ISA_MIN_ARRIVALS", "METHODS", "ROLE_CLOCK", "GroupRequirement", "group_requirement",
           "on_call_window", "requirements"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

METHODS = ("sipp", "lagged_sipp", "isa", "erlang_a")
#: The clock a group's staffing answers to, by role.
ROLE_CLOCK: dict[str, str] = {Role.DESK: "record", Role.TECHNICIAN: "on_site",
                              Role.SUPERVISOR: "escalate"}
#: ISA restaffs an hour from simulation only when it sees at least this many arrivals.
ISA_MIN_ARRIVALS = 30


@dataclass(frozen=True)
class GroupRequirement:
    """One group's requirement and how it was built.

    Attributes
    ----------
    group, role, method, clock
        The staff group, its role, the method and the clock it answers to.
    service_level : float
        Target ``P(wait <= wait_h)`` per hour.
    wait_h, emergency_wait_h : float
        Wait allowed before the group starts, for routine work and for emergencies (hours).
    rate_per_h, emergency_rate_per_h : ndarray (168,)
        Work arriving per hour of the week (all of it; the emergencies among it).
    mean_service_h : float
        Mean work per ticket (hours).
    offered_load : ndarray (168,)
        Mean busy servers of the infinite-server system per hour.
    required : ndarray of int (168,)
        People required on duty.
    on_call : ndarray of int (168,)
        People on call by the group's on-call pattern (0 or 1).
    on_call_window : (start_h, end_h) or None
        The nightly on-call period.
    on_call_p_in_time : float or None
        ``P(call-out + travel <= emergency bound)`` (None without an on-call pattern).
    notes : tuple of str
        What was decided and why (ISA fall-backs, the on-call rule).
    """

    group: str
    role: str
    method: str
    clock: str
    service_level: float
    wait_h: float
    emergency_wait_h: float
    rate_per_h: FloatArray
    emergency_rate_per_h: FloatArray
    mean_service_h: float
    offered_load: FloatArray
    required: IntArray
    on_call: IntArray
    on_call_window: tuple[int, int] | None
    on_call_p_in_time: float | None
    notes: tuple[str, ...] = ()


def on_call_window(scenario: Scenario, group: str) -> tuple[int, int] | None:
    """The group's nightly on-call period ``(start_h, end_h)`` (end may pass midnight)."""
    g = scenario.staff[group]
    for s in g.shifts:
        if s.on_call and s.count > 0:
            return int(s.start_h), int(s.end_h)
    spans = [(sp.start_h, sp.end_h) for p in g.people for sp in p.on_call]
    if spans:
        return max(set(spans), key=spans.count)
    return None


def _emergency_share(scenario: Scenario, group: str) -> FloatArray:
    """Emergency arrivals per hour of the week for a technician group."""
    g = scenario.staff[group]
    meta = scenario.scenario
    weights = {n: hour_of_week_weights(p) for n, p in scenario.profiles.items()}
    rate = np.zeros(168)
    if g.role != Role.TECHNICIAN:
        return rate
    for cat in scenario.categories.values():
        if cat.route_site_visit and cat.department == g.department:
            per_h = cat.rate_per_unit_day * meta.units * meta.occupancy / 24.0
            rate += per_h * cat.emergency_p * weights[cat.profile]
    return rate


def _upper_s(scenario: Scenario, clock: str, group: str, emergency: bool) -> float:
    cps = scenario.control_points()
    g = scenario.staff[group]
    cats = [n for n, c in scenario.categories.items()
            if g.role != Role.TECHNICIAN or (c.route_site_visit and c.department == g.department)]
    uppers = [cps.resolve(clock, n, emergency).upper_s for n in cats] or [
        cps.resolve(clock, None, emergency).upper_s]
    vals = [u for u in uppers if u is not None]
    if not vals:
        raise ValueError(f"clock {clock!r} has no upper bound: nothing to staff for")
    return float(min(vals))


def _waits(scenario: Scenario, group: str, clock: str) -> tuple[float, float]:
    st = scenario.stages
    role = scenario.staff[group].role
    if role == Role.DESK:
        before = st.record_min.mean
        before_e = st.emergency_record_min.mean
    elif role == Role.TECHNICIAN:
        before = st.sign_min.mean + st.travel_min.mean
        before_e = st.travel_min.mean
    else:
        before = before_e = st.escalate_min.mean
    wait = max(_upper_s(scenario, clock, group, False) / 60.0 - before, 0.0) / 60.0
    wait_e = max(_upper_s(scenario, clock, group, True) / 60.0 - before_e, 0.0) / 60.0
    return wait, wait_e


def _p_in_time(scenario: Scenario, group: str, seed: int) -> float:
    """``P(call-out + travel <= emergency on-site bound)``, by 20 000 seeded draws."""
    g = scenario.staff[group]
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(7, 11)))
    n = 20_000
    callout = np.asarray(g.callout_min.sample(rng, n), dtype=float)
    travel = np.asarray(scenario.stages.travel_min.sample(rng, n), dtype=float)
    bound = _upper_s(scenario, "on_site", group, True) / 60.0
    return float(np.mean(callout + travel <= bound))


def _staff(method: str, rate: FloatArray, s_h: float, wait_h: float, sl: float,
           patience_h: float) -> IntArray:
    out = np.zeros(rate.size, dtype=np.int64)
    for k, lam in enumerate(rate):
        if lam <= 0:
            continue
        if method == "erlang_a":
            out[k] = erlang_a_required_agents(lam, 1.0 / s_h, 1.0 / max(patience_h, 1e-9),
                                              min_service_level=sl, target_wait=wait_h)
        else:
            out[k] = erlang_c_required_agents(lam * s_h, min_service_level=sl,
                                              target_wait=wait_h, mean_service=s_h)
    return out


def _isa(rate: FloatArray, s_h: float, wait_h: float, sl: float, seed: int, replications: int,
         cycles: int, start: IntArray, notes: list[str]) -> IntArray:
    live = rate > 0
    expected = rate * cycles * replications
    thin = live & (expected < ISA_MIN_ARRIVALS)
    cap = math.ceil(float(rate.max()) * s_h + 8 * math.sqrt(float(rate.max()) * s_h) + 10)
    queue = TimeVaryingQueue(rate, s_h, seed=seed, cycles=cycles, max_servers=cap)

    def oracle(staffing: IntArray) -> FloatArray:
        counts = queue.delay_counts(np.minimum(staffing, cap), replications)
        n = counts.arrivals.sum(axis=0).astype(float)
        d = counts.delayed.sum(axis=0).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            p = np.where(n > 0, d / n, np.nan)
        p = np.where((n > 0) & (d == 0), 0.5 / (n + 1.0), p)
        p = np.where((n > 0) & (d == n), (n + 0.5) / (n + 1.0), p)
        return np.where(thin | ~live, np.nan, p)  # thin hours are not restaffed from noise

    def need(load: float) -> int:
        return erlang_c_required_agents(load, min_service_level=sl, target_wait=wait_h,
                                        mean_service=s_h)

    init = np.maximum(start, 1)
    res = iterative_staffing(oracle, init, 0.5, max_iterations=12, tolerance_agents=0,
                             required_agents=need)
    out = np.asarray(res.staffing, dtype=np.int64).copy()
    out[thin] = start[thin]
    out[~live] = 0
    if thin.any():
        first = int(np.flatnonzero(thin)[0])
        notes.append(f"ISA: {int(thin.sum())} hour(s) of the week see fewer than "
                     f"{ISA_MIN_ARRIVALS} simulated arrivals (e.g. hour {first}); they keep "
                     "the lagged SIPP value instead of a restaffing from noise")
    if not res.converged and len(res.history) >= 2:
        last, prev = res.history[-1], res.history[-2]
        moving = (last != prev) & live & ~thin
        out[moving] = np.maximum(last, prev)[moving]
        notes.append(f"ISA did not converge in {res.iterations} iterations: {int(moving.sum())} "
                     "hour(s) still moving keep the larger of the last two values")
    else:
        notes.append(f"ISA converged in {res.iterations} iteration(s)")
    return out


def group_requirement(scenario: Scenario, group: str, *, method: str = "lagged_sipp",
                      service_level: float = 0.9, seed: int = 2026,
                      isa_replications: int = 8, isa_cycles: int = 4) -> GroupRequirement:
    """The requirement of one staff group (see the module docstring).

    Parameters
    ----------
    scenario, group
        The scenario and the staff group (desk, technician or supervisor role).
    method
        One of :data:`METHODS`.
    service_level
        Target ``P(W <= wait)`` in every hour.
    seed, isa_replications, isa_cycles
        The seeded simulation effort of ``isa`` (and the on-call draws).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if not 0 < service_level < 1:
        raise ValueError(f"service_level must lie in (0, 1), got {service_level!r}")
    if group not in scenario.staff:
        raise KeyError(f"scenario {scenario.name!r} has no staff group {group!r} "
                       f"(groups: {', '.join(scenario.staff)})")
    role = str(scenario.staff[group].role)
    if role not in ROLE_CLOCK:
        raise ValueError(f"staff group {group!r} ({role}) answers to no clock: only desk, "
                         "technician and supervisor groups are staffed by requirement")
    clock = ROLE_CLOCK[role]
    demand = group_demand(scenario, group)
    s_h = demand.mean_service_h
    rate = np.asarray(demand.rate_per_h, dtype=float)
    emerg = np.minimum(_emergency_share(scenario, group), rate)
    wait_h, wait_e_h = _waits(scenario, group, clock)
    notes: list[str] = []
    window = on_call_window(scenario, group)
    on_call = np.zeros(168, dtype=np.int64)
    p_in_time = None
    duty_rate = rate.copy()
    if window is not None:
        for d in range(7):
            for h in range(window[0], window[1]):
                on_call[(d * 24 + h) % 168] = 1
        p_in_time = _p_in_time(scenario, group, seed)
        if p_in_time >= service_level:
            duty_rate = np.where(on_call > 0, rate - emerg, rate)
            notes.append(f"on call {window[0]:02d}-{window[1] % 24:02d}: the call-out reaches "
                         f"emergencies in time with P = {p_in_time:.2f} >= {service_level}, so "
                         "night emergencies are left to the on-call person")
        else:
            notes.append(f"on call {window[0]:02d}-{window[1] % 24:02d}: call-out + travel meets "
                         f"the {_upper_s(scenario, 'on_site', group, True) / 60:g}-min emergency "
                         f"bound with P = {p_in_time:.2f} < {service_level}: night emergencies "
                         "count as on-duty work (the on-call person is a back-up)")
    patience = _upper_s(scenario, clock, group, False) / 3600.0
    lagged = _lagged_bin_rates(duty_rate, 1.0, s_h)
    if method == "sipp":
        req = _staff("sipp", duty_rate, s_h, wait_h, service_level, patience)
    elif method == "lagged_sipp":
        req = _staff("sipp", lagged, s_h, wait_h, service_level, patience)
    elif method == "erlang_a":
        req = _staff("erlang_a", duty_rate, s_h, wait_h, service_level, patience)
    else:
        start = _staff("sipp", lagged, s_h, wait_h, service_level, patience)
        req = _isa(duty_rate, s_h, wait_h, service_level, seed, isa_replications, isa_cycles,
                   start, notes)
    load = offered_load(rate, s_h).bin_mean
    return GroupRequirement(group, role, method, clock, service_level, wait_h, wait_e_h, rate,
                            emerg, s_h, np.asarray(load), np.asarray(req, dtype=np.int64),
                            on_call, window, p_in_time, tuple(notes))


def requirements(scenario: Scenario, groups: Sequence[str], **kwargs: object
                 ) -> dict[str, GroupRequirement]:
    """:func:`group_requirement` for each of ``groups`` (same keyword arguments)."""
    return {g: group_requirement(scenario, g, **kwargs) for g in groups}  # type: ignore[arg-type]
