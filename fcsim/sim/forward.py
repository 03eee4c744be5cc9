"""Forward runs: replications of the procedure started from a snapshot of the open tickets.

:func:`run_forward` continues every open ticket of a :class:`~fcsim.sim.snapshot.Snapshot`
from its stage (:func:`fcsim.sim.resume.resume`), lets new requests arrive at the scenario's
rates until the horizon, and records, for every ticket, the events the log would hold by the
horizon — each known as soon as it is decided (a job's steps when the job starts, through
the context's ``announce``), so a run stops exactly at the horizon — and the queue lengths
seen every few minutes.

**Random numbers, common to every variant.** :func:`draw_inputs` draws everything random of
R replications at once, from one seed, as uniforms turned into durations by each
distribution's inverse survival function: the snapshot tickets' current pass (the stage in
progress continues with its residual: :meth:`~fcsim.scenarios.distributions._Dist.residual`
on the same uniform), the new arrivals and their first passes. Later passes, callback tries
and meetings are drawn when asked for, from a stream keyed by (replication, ticket, pass,
try). A ticket's numbers therefore never depend on what the queues did, and two variants of a
forward run (:func:`run_forward` with ``extra`` staff: "one more technician now") given the
same :class:`ForwardInputs` differ only by the change: a paired comparison with common
random numbers. No numpy generator is created per replication (they cost ~25 µs each), and
what every replication shares — rosters, hour slots, meetings, bounds — is built once
(:class:`ForwardPlan`).

**Duration factors.** A scenario's ``[duration_factors]`` apply as in a full run
(:mod:`fcsim.sim.duration_factors`): a job is scaled by the factor of its local start hour and
by its member's speed factor, drawn per replication from a stream keyed by (seed,
replication, group). A stage in progress at the snapshot is continued with its residual on
the unscaled distribution, scaled like a job that starts at the snapshot (the member and hour
it started with are not known to the forward run): an approximation for that one stage.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import simpy

from fcsim.model.activities import Role
from fcsim.model.control_points import CLOCK_NAMES, Bounds
from fcsim.model.stages import Stage
from fcsim.model.taxonomy import Source
from fcsim.model.timezone import daily_instants, hour_slots
from fcsim.scenarios.calendar import hourly_rates
from fcsim.scenarios.config import Scenario
from fcsim.sim.context import CategoryRuntime, Context
from fcsim.sim.draws import CallbackTry, Meeting, Pass
from fcsim.sim.duration_factors import JobFactors, job_factors, member_speeds
from fcsim.sim.live_roster import GroupRoster, forward_rosters
from fcsim.sim.ownership import Ownership
from fcsim.sim.perform import NEVER
from fcsim.sim.procedure import ticket
from fcsim.sim.resume import ResumedTicket, resume
from fcsim.sim.run import (
    appointment_times,
    category_distributions,
    young_collections_relaxed,
)
from fcsim.sim.sink import EventSink, TicketArrays
from fcsim.sim.snapshot import Snapshot
from fcsim.sim.staff import StaffPool, check_roster
from fcsim.sim.started import StartedProcess
from fcsim.sim.ticket import Ticket

__all__ = ["ForwardDraws", "ForwardInputs", "ForwardPlan", "ForwardResult", "draw_inputs",
           "plan_forward", "run_forward"]

FIELDS = Pass._fields
_F = {f: k for k, f in enumerate(FIELDS)}
_RELAYED = np.array([s in (Source.PROPERTY_RELAY, Source.INTERNAL_NEED,
                           Source.SUPERIOR_INSTRUCTION) for s in Source])
_SOURCES = [s.value for s in Source]
_PURPOSE = {"pass": 1, "callback": 2, "meeting": 3}
_make_pass = partial(tuple.__new__, Pass)
_FACTOR_KEY = zlib.crc32(b"nowcast.forward.duration_factor")
EPS = 1e-7  # minutes: a step that ends within this of now has ended


@dataclass(frozen=True)
class ForwardPlan:
    """What every replication of a forward run shares (built once per variant)."""

    scenario: Scenario
    snapshot: Snapshot
    horizon_min: float
    offset: float  # the run starts here (minutes after snapshot.start) …
    end: float  # … and stops here (the horizon)
    slots: list[int]
    rosters: dict[str, GroupRoster]
    meetings: list[float]
    midnights: list[float]
    dists: list[dict[str, Any]]  # per category (scenario order)
    bounds: list[dict[bool, Sequence[Bounds]]]
    desk_preemptible: int
    queue_pools: tuple[str, ...]  # staff groups whose queue is sampled
    sample_min: float | None  # None: no queue samples
    order: tuple[int, ...]  # snapshot tickets in the order their processes start


def plan_forward(scenario: Scenario, snap: Snapshot, horizon_min: float, *,
                 extra: Mapping[str, int] | None = None,
                 on_duty: Mapping[str, int] | None = None,
                 sample_min: float | None = 5.0) -> ForwardPlan:
    """The shared part of a forward run of ``horizon_min`` minutes from ``snap``.

    ``on_duty`` (a live head-count now) and ``extra`` (members added now) change the rosters
    as :func:`fcsim.sim.live_roster.forward_rosters` says; ``on_duty`` defaults to what the
    snapshot was taken with.
    """
    if not horizon_min > 0:
        raise ValueError(f"horizon must be > 0 minutes, got {horizon_min}")
    offset = snap.offset_min
    end = offset + horizon_min
    hours = math.ceil(end / 60.0 + 1e-9) + 1
    if hours > 168:
        raise ValueError("a forward run is limited to one week")
    meta = scenario.scenario
    slots = hour_slots(snap.start, meta.tz, hours)
    rosters = forward_rosters(scenario, slots, on_duty=on_duty or snap.on_duty, extra=extra)
    for gr in rosters.values():
        check_roster(gr.roster, len(gr.names))
    days = math.ceil(end / 1440.0) + 2
    techs = {g.department: g for g in scenario.staff.values() if g.role == Role.TECHNICIAN}
    cps = scenario.control_points()
    queue = tuple(g for g, r in rosters.items() if r.role in (Role.DESK, Role.TECHNICIAN))
    order = tuple(sorted(range(len(snap)), key=lambda j: snap.tickets[j].order))
    return ForwardPlan(
        scenario=scenario, snapshot=snap, horizon_min=horizon_min, offset=offset, end=end,
        slots=slots, rosters=rosters,
        meetings=daily_instants(snap.start, meta.tz, scenario.policy.meeting_h, days),
        midnights=daily_instants(snap.start, meta.tz, 0.0, days),
        dists=[category_distributions(scenario, name, techs.get(cfg.department))
               for name, cfg in scenario.categories.items()],
        bounds=[{e: tuple(cps.resolve(clock, name, e) for clock in CLOCK_NAMES)
                 for e in (False, True)} for name in scenario.categories],
        desk_preemptible=0 if scenario.policy.desk_preemption and any(
            c.emergency_p > 0 for c in scenario.categories.values()) else NEVER,
        queue_pools=queue, sample_min=sample_min, order=order)


@dataclass(frozen=True)
class ForwardInputs:
    """Everything random of R replications (shared by the variants of a forward run).

    Per replication ``r``: ``rows[r]`` the first pass of each forward ticket (the snapshot's
    ``m`` tickets first, then the new arrivals), ``arrivals[r]`` the new arrivals (time,
    category, emergency, appointment_at, relayed, source, unit, booked), ``rest[r]`` the
    remaining wait of snapshot tickets whose stage is not a pass draw, ``later[r]`` each
    ticket's next pass, callback tries 2–3 and meetings 1–2 of its current pass (rarely
    needed, cheap to draw at once; beyond them :class:`ForwardDraws` draws on demand).
    """

    seed: int
    replications: int
    rows: list[list[Pass]]
    arrivals: list[dict[str, np.ndarray]]
    rest: list[dict[int, float]]
    later: list[dict[str, Any]]  # per replication: the next pass, callback tries, meetings
    attempt: list[int]  # each snapshot ticket's current pass (new arrivals: 1)


def _isf(dist: Any, u: np.ndarray) -> np.ndarray:
    if getattr(dist, "dist", None) == "fixed":
        return np.full(u.shape, float(dist.value))
    return np.asarray(dist.isf(u), dtype=float)


def _transform(u: np.ndarray, cat: np.ndarray, dists: list[dict[str, Any]],
               fields: Sequence[str | None]) -> np.ndarray:
    """Uniforms ``u`` (rows × fields) -> values: field ``f`` of a row of category ``c`` is
    ``dists[c][f].isf(u)``; a ``None`` field stays uniform."""
    v = u.copy()
    present = np.unique(cat).tolist()
    for col, f in enumerate(fields):
        if f is None:
            continue
        groups: dict[int, list[int]] = {}  # one isf per distinct distribution
        for k in present:
            groups.setdefault(id(dists[k][f]), []).append(k)
        for ks in groups.values():
            rows = np.flatnonzero(np.isin(cat, ks)) if len(ks) < len(present) \
                else slice(None)
            v[rows, col] = _isf(dists[ks[0]][f], u[rows, col])
    return v


_PASS_FIELDS = [None if f.startswith("u_") else f for f in FIELDS]
_TRY_FIELDS = ["callback_retry", "callback", None]
_MEETING_FIELDS = ["meeting", None]


def draw_inputs(plan: ForwardPlan, replications: int, seed: int) -> ForwardInputs:
    """Draw the random inputs of ``replications`` forward replications (see the module doc)."""
    if replications < 1:
        raise ValueError("replications must be >= 1")
    snap, sc = plan.snapshot, plan.scenario
    cat_names = list(sc.categories)
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(
        seed, spawn_key=(zlib.crc32(b"nowcast.forward"),))))
    m, R, nf = len(snap), replications, len(FIELDS)
    arr = _draw_arrivals(plan, R, rng)
    n_new = np.array([len(a["time"]) for a in arr])
    snap_cat = np.array([cat_names.index(o.category) for o in snap.tickets], dtype=np.int64)
    u_snap = rng.random((R, m, nf))
    u_rest = rng.random((R, m))
    u_new = rng.random((int(n_new.sum()), nf))
    new_cat = np.concatenate([a["category"] for a in arr]) if arr else np.zeros(0, np.int64)
    v_snap = _transform(u_snap.transpose(1, 0, 2).reshape(m * R, nf),
                        np.repeat(snap_cat, R), plan.dists, _PASS_FIELDS
                        ).reshape(m, R, nf).transpose(1, 0, 2) if m else u_snap.copy()
    v_new = _transform(u_new, new_cat.astype(np.int64), plan.dists, _PASS_FIELDS) \
        if len(u_new) else u_new.copy()
    rest: list[dict[int, float]] = [{} for _ in range(R)]
    for j, o in enumerate(snap.tickets):
        if o.field is None or not o.residual:
            continue
        dist = plan.dists[snap_cat[j]]["callback_retry" if o.field == "callback_retry"
                                        else o.field]
        left = np.asarray(dist.residual(u_snap[:, j, _F.get(o.field, 0)] if o.field in _F
                                        else u_rest[:, j], o.elapsed_min), dtype=float)
        if o.field in _F:
            v_snap[:, j, _F[o.field]] = left
            if o.field == "travel":  # an emergency's technician is already on the way
                v_snap[:, j, _F["callout"]] = 0.0
        else:
            for r in range(R):
                rest[r][j] = float(left[r])
    rows: list[list[Pass]] = []
    # the rarely needed draws, for every ticket of every replication at once
    cat_all = np.concatenate([np.tile(snap_cat, R), new_cat]).astype(np.int64)
    n_all = len(cat_all)
    nxt = _transform(rng.random((n_all, nf)), cat_all, plan.dists, _PASS_FIELDS)
    tries = _transform(rng.random((n_all * 2, 3)), np.repeat(cat_all, 2), plan.dists,
                       _TRY_FIELDS).reshape(n_all, 2, 3)
    meets = _transform(rng.random((n_all * 2, 2)), np.repeat(cat_all, 2), plan.dists,
                       _MEETING_FIELDS).reshape(n_all, 2, 2)
    later: list[dict[str, Any]] = []
    at = 0
    for r in range(R):
        own = v_snap[r].tolist() + v_new[at:at + n_new[r]].tolist()
        rows.append(list(map(_make_pass, own)))
        sel = np.r_[r * m + np.arange(m), R * m + at + np.arange(n_new[r])].astype(np.int64)
        later.append({"pass": nxt[sel], "tries": tries[sel], "meetings": meets[sel]})
        at += int(n_new[r])
    return ForwardInputs(seed=seed, replications=R, rows=rows, arrivals=arr, rest=rest,
                         later=later, attempt=[o.state.attempt for o in snap.tickets])


def _draw_arrivals(plan: ForwardPlan, R: int, rng: np.random.Generator
                   ) -> list[dict[str, np.ndarray]]:
    """New requests of each replication in (as_of, as_of + horizon]: non-homogeneous Poisson by
    thinning on the scenario's hourly rates, with their intake facts."""
    sc, snap = plan.scenario, plan.snapshot
    meta = sc.scenario
    hours = len(plan.slots)
    shifted = sc.model_copy(update={"scenario": meta.model_copy(
        update={"start": snap.start, "days": hours / 24.0})})
    rates = hourly_rates(shifted, hours / 24.0)
    lo, hi = plan.offset, plan.end
    parts: list[tuple[np.ndarray, ...]] = []
    for k, (name, cat) in enumerate(sc.categories.items()):
        rate = rates[name][: hours]
        first, last = int(lo // 60), min(math.ceil(hi / 60), hours)
        lam = float(rate[first:last].max()) if last > first else 0.0
        if lam <= 0:
            continue
        counts = rng.poisson(lam * (hi - lo), R)
        total = int(counts.sum())
        rep = np.repeat(np.arange(R), counts)
        t = lo + rng.random(total) * (hi - lo)
        keep = rng.random(total) * lam < rate[np.minimum((t // 60).astype(np.int64),
                                                         hours - 1)]
        rep, t = rep[keep], t[keep]
        u = rng.random(t.size)
        emergency = u < cat.emergency_p
        appt = ~emergency & (u < cat.emergency_p + cat.appointment_p)
        keys = list(cat.sources)
        probs = np.asarray([cat.sources[s] for s in keys], float)
        src = np.asarray([_SOURCES.index(s) for s in keys], np.int64)[
            rng.choice(len(keys), size=t.size, p=probs / probs.sum())]
        unit = rng.integers(1, meta.units + 1, t.size)
        lead = _isf(sc.stages.appointment_lead_min, rng.random(t.size))
        appt_at = np.where(appt, appointment_times(t, lead, sc.policy.appointment_open_h,
                                                   sc.policy.appointment_close_h,
                                                   plan.midnights), np.nan)
        parts.append((rep, t, np.full(t.size, k), emergency, appt_at, src, unit))
    out = []
    cols = ("rep", "time", "category", "emergency", "appointment_at", "source", "unit")
    allp = {c: np.concatenate([p[i] for p in parts]) if parts else np.zeros(0)
            for i, c in enumerate(cols)}
    for r in range(R):
        sel = np.flatnonzero(allp["rep"] == r)
        sel = sel[np.lexsort((allp["category"][sel], allp["time"][sel]))]
        a = {c: allp[c][sel] for c in cols[1:]}
        a["category"] = a["category"].astype(np.int64)
        a["source"] = a["source"].astype(np.int64)
        a["relayed"] = _RELAYED[a["source"]] if a["source"].size else np.zeros(0, bool)
        out.append(a)
    return out


class ForwardDraws:
    """A replication's draws behind :class:`~fcsim.sim.draws.TicketDraws`' interface: the
    pre-drawn first rows (:func:`draw_inputs`), and later passes, callback tries and meetings
    from a stream keyed by (replication, ticket, pass, try)."""

    def __init__(self, rows: list[Pass], cat_of: Sequence[int], dists: list[dict[str, Any]],
                 seed: int, replication: int, later: Mapping[str, Any] | None = None,
                 attempt: Sequence[int] = ()) -> None:
        self._rows = rows
        self._cat_of = cat_of
        self._dists = dists
        self._seed = seed
        self._rep = replication
        self._later = later
        self._attempt = attempt  # current pass of the first tickets (others: 1)

    def _current(self, i: int) -> int:
        return self._attempt[i] if i < len(self._attempt) else 1

    def _keyed(self, purpose: str, i: int, attempt: int, j: int,
               fields: Sequence[tuple[str, str | None]]) -> list[float]:
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(
            self._seed, spawn_key=(self._rep, _PURPOSE[purpose], i, attempt, j))))
        u = rng.random(len(fields))
        d = self._dists[self._cat_of[i]]
        return [float(uk) if name is None else float(_isf(d[name], np.asarray(uk)))
                for uk, (_, name) in zip(u.tolist(), fields, strict=True)]

    def first_pass(self, i: int) -> Pass:
        return self._rows[i]

    def pass_(self, i: int, attempt: int) -> Pass:
        if self._later is not None and attempt == self._current(i) + 1:
            return _make_pass(self._later["pass"][i].tolist())
        vals = self._keyed("pass", i, attempt, 0,
                           [(f, None if f.startswith("u_") else f) for f in FIELDS])
        return _make_pass(vals)

    def callback_try(self, i: int, attempt: int, j: int) -> CallbackTry:
        if self._later is not None and attempt == self._current(i) and 2 <= j <= 3:
            return CallbackTry._make(self._later["tries"][i, j - 2].tolist())
        return CallbackTry._make(self._keyed("callback", i, attempt, j, [
            ("retry_wait", "callback_retry"), ("callback", "callback"), ("u_unreachable", None)]))

    def meeting(self, i: int, attempt: int, j: int) -> Meeting:
        if self._later is not None and attempt == self._current(i) and 1 <= j <= 2:
            return Meeting._make(self._later["meetings"][i, j - 1].tolist())
        return Meeting._make(self._keyed("meeting", i, attempt, j,
                                         [("meeting", "meeting"), ("u_resolve", None)]))


class _Trail:
    """The events of one replication as the log will hold them, each known when decided:
    ``(ticket, activity, attempt, minutes)`` in ``events``."""

    __slots__ = ("env", "events", "pending")

    def __init__(self, c: Context) -> None:
        self.env = c.env
        self.events: list[tuple[int, int, int, float]] = []
        self.pending: dict[int, tuple[float, Sequence[tuple[int, float, bool]], int]] = {}
        sink_emit = c.emit
        add = self.events.append

        def emit(ticket: int, act: int, started: float, timestamp: float, res: int, role: int,
                 attempt: int) -> None:
            sink_emit(ticket, act, started, timestamp, res, role, attempt)
            add((ticket, act, attempt, timestamp))

        c.emit = emit
        c.announce = self.announce

    def _commit(self, n: int, job: tuple[float, Sequence[tuple[int, float, bool]], int],
                until: float) -> None:
        """The steps of ``job`` that ended by ``until`` happened."""
        e, steps, att = job
        add = self.events.append
        for act, d, _ in steps:
            e += d
            if e > until + EPS:
                return
            if act >= 0:
                add((n, act, att, e))

    def announce(self, t: Ticket, steps: Sequence[tuple[int, float, bool]], start: float) -> None:
        old = self.pending.pop(t.n, None)
        if old is not None:
            self._commit(t.n, old, self.env.now)
        if steps:
            self.pending[t.n] = (start, steps, t.attempt)

    def close(self, end: float) -> None:
        """The run stops at ``end``: what happened by then, and nothing after (an instant
        logged ahead — a sample callback's — is dropped)."""
        for n, job in self.pending.items():
            self._commit(n, job, end)
        self.pending.clear()
        self.events[:] = [e for e in self.events if e[3] <= end + EPS]


@dataclass
class ForwardResult:
    """The events (by the horizon) and queue samples of R forward replications.

    ``events``: ``rep``, ``n`` (forward ticket: the snapshot's ``m`` first, then the new
    arrivals of that replication), ``att``, ``act``, ``ts`` (minutes after the snapshot's
    ``start``); ``arrivals``: the inputs' new arrivals; ``queues``: (R, samples, pools) numbers
    waiting, at ``sample_times`` for the staff groups ``queue_pools``.
    """

    plan: ForwardPlan
    replications: int
    events: dict[str, np.ndarray]
    arrivals: list[dict[str, np.ndarray]]
    queues: np.ndarray
    sample_times: np.ndarray
    records: list[Any] = field(default_factory=list)


def _pools(env: simpy.Environment, plan: ForwardPlan, policy: Any
           ) -> tuple[StaffPool, dict[str, StaffPool], StaffPool | None, StaffPool,
                      dict[str, StaffPool]]:
    """The replication's staff pools (members coded in roster order across groups)."""
    desk: StaffPool | None = None
    techs: dict[str, StaffPool] = {}
    sup: StaffPool | None = None
    mgr: StaffPool | None = None
    by_group: dict[str, StaffPool] = {}
    code = 0
    for g, gr in plan.rosters.items():
        pool = StaffPool(env, gr.names, gr.roster, plan.slots,
                         end_of_shift="finish" if gr.role == Role.DESK else policy.end_of_shift,
                         preempted_front=policy.preempted_position == "front", check=False)
        pool.codes = list(range(code, code + len(gr.names)))
        code += len(gr.names)
        by_group[g] = pool
        if gr.role == Role.DESK:
            desk = pool
        elif gr.role == Role.TECHNICIAN and gr.department is not None:
            techs[gr.department] = pool
        elif gr.role == Role.SUPERVISOR and sup is None:
            sup = pool
        elif gr.role == Role.MANAGER and mgr is None:
            mgr = pool
    if mgr is None:
        mgr = StaffPool(env, ["mgr-1"], [((0,), ())] * 168, plan.slots)
        mgr.codes = [code]
    assert desk is not None
    return desk, techs, sup, mgr, by_group


def _arrive(c: Context, a: dict[str, np.ndarray], m: int, cats: list[CategoryRuntime]
            ) -> Any:
    env = c.env
    for k, (time, cat, em, appt, rel) in enumerate(zip(
            a["time"].tolist(), a["category"].tolist(), a["emergency"].tolist(),
            a["appointment_at"].tolist(), a["relayed"].tolist(), strict=True)):
        if time > env.now:
            yield env.timeout(time - env.now)
        n = m + k
        StartedProcess(env, ticket(c, Ticket(n, n, cats[cat], bool(em), appt, bool(rel), time)))


def _sample(c: Context, pools: list[StaffPool], times: np.ndarray, out: list[list[int]]) -> Any:
    env = c.env
    for t in times.tolist():
        if t > env.now:
            yield env.timeout(t - env.now)
        out.append([p.n_waiting for p in pools])


def _idle(o: Any, x: Pass, end: float) -> bool:
    """An appointment whose next step (the call ahead, or leaving for it) comes after the
    horizon: its process would only sleep past the end (it holds no one)."""
    if o.state.stage != Stage.APPOINTMENT:
        return False
    if o.state.called_ahead:
        return o.appointment_at - x.early_arrival - x.travel > end
    return o.appointment_at - x.precall > end


def _factors(plan: ForwardPlan, seed: int, r: int, by_group: Mapping[str, StaffPool],
             mgr: StaffPool) -> JobFactors:
    """Replication ``r``'s ``[duration_factors]``: the hour rows, and each member's speed
    factor from a stream keyed by (seed, replication, group) — member ``i`` of a group reads
    row ``i``, so a variant with one more member keeps everyone else's factor, and no other
    draw of the run moves."""
    cfg = plan.scenario.duration_factors
    assert cfg is not None
    pools = {g: p.codes for g, p in by_group.items()}
    n = max(c for codes in (*pools.values(), mgr.codes) for c in codes) + 1
    member = member_speeds(cfg, pools, n, lambda g: np.random.Generator(np.random.PCG64(
        np.random.SeedSequence(seed, spawn_key=(_FACTOR_KEY, r, zlib.crc32(g.encode()))))))
    return job_factors(cfg, member, plan.snapshot.start, plan.scenario.scenario.tz,
                       plan.midnights)


def run_forward(plan: ForwardPlan, inputs: ForwardInputs, *,
                keep_records: bool = False) -> ForwardResult:
    """Run ``inputs.replications`` replications of ``plan`` to its horizon.

    ``keep_records``: also keep each replication's sink and ticket facts (to write its log,
    :func:`fcsim.nowcast.replay.replay_from`).
    """
    sc, snap = plan.scenario, plan.snapshot
    cat_names = list(sc.categories)
    snap_cat = [cat_names.index(o.category) for o in snap.tickets]
    times = np.arange(plan.offset, plan.end + 1e-9, plan.sample_min) if plan.sample_min \
        else np.zeros(0)
    ev: dict[str, list[np.ndarray]] = {k: [] for k in ("rep", "n", "att", "act", "ts")}
    queues = np.zeros((inputs.replications, len(times), len(plan.queue_pools)))
    records: list[Any] = []
    static = [(CategoryRuntime.from_config(
        k, name, cfg, tech=None, draws=None,  # type: ignore[arg-type]
        bounds=plan.bounds[k]), cfg.department)
        for k, (name, cfg) in enumerate(sc.categories.items())]
    snap_facts = (np.array(snap_cat, np.int64),
                  np.array([o.emergency for o in snap.tickets], bool),
                  np.array([o.source for o in snap.tickets], np.int64),
                  np.array([o.appointment_at == o.appointment_at for o in snap.tickets], bool),
                  np.array([o.booked_at for o in snap.tickets], float),
                  np.array([o.appointment_at for o in snap.tickets], float),
                  np.array([o.unit for o in snap.tickets], np.int64))
    with young_collections_relaxed():
        for r in range(inputs.replications):
            _replication(plan, inputs, r, snap_cat, snap_facts, static, times, ev, queues,
                         records if keep_records else None)
    events = {k: np.concatenate(v) if v else np.zeros(0) for k, v in ev.items()}
    return ForwardResult(plan=plan, replications=inputs.replications, events=events,
                         arrivals=inputs.arrivals, queues=queues, sample_times=times,
                         records=records)


def _replication(plan: ForwardPlan, inputs: ForwardInputs, r: int, snap_cat: list[int],
                 snap_facts: tuple[np.ndarray, ...],
                 static: list[tuple[CategoryRuntime, str]],
                 times: np.ndarray, ev: dict[str, list[np.ndarray]], queues: np.ndarray,
                 records: list[Any] | None) -> None:
    """Run replication ``r`` and add its events and queue samples."""
    sc, snap = plan.scenario, plan.snapshot
    m = len(snap)
    policy = sc.policy
    env = simpy.Environment(initial_time=plan.offset)
    desk, techs, sup, mgr, by_group = _pools(env, plan, policy)
    a = inputs.arrivals[r]
    cat_of = snap_cat + a["category"].tolist()
    draws = ForwardDraws(inputs.rows[r], cat_of, plan.dists, inputs.seed, r,
                         inputs.later[r], inputs.attempt)
    cats = []
    for template, dept in static:  # a copy of the plan's category, with this run's pool
        cat = object.__new__(CategoryRuntime)
        cat.__dict__.update(template.__dict__, tech=techs.get(dept), draws=draws)
        cats.append(cat)
    appt_new = ~np.isnan(a["appointment_at"])
    facts = TicketArrays.prefilled(
        np.concatenate([snap_facts[0], a["category"]]),
        np.concatenate([snap_facts[1], a["emergency"].astype(bool) & ~appt_new]),
        np.concatenate([snap_facts[2], a["source"]]),
        np.concatenate([snap_facts[3], appt_new]).astype(np.int8),
        np.concatenate([np.where(snap_facts[3], snap_facts[4], np.nan),
                        np.where(appt_new, a["time"], np.nan)]),
        np.concatenate([snap_facts[5], a["appointment_at"]]),
        np.concatenate([snap_facts[6], a["unit"]]))
    sink = EventSink()
    c = Context(env=env, sink=sink, facts=facts, desk=desk, supervisors=sup, managers=mgr,
                quality=sc.quality, outcomes=sc.outcomes,
                desk_preemptible=plan.desk_preemptible, meetings=plan.meetings,
                midnights=plan.midnights)
    if sc.duration_factors is not None:
        c.factors = _factors(plan, inputs.seed, r, by_group, mgr)
    c.ownership = Ownership(c, desk)
    trail = _Trail(c)
    rest = inputs.rest[r]
    rows = inputs.rows[r]
    for j in plan.order:
        if _idle(snap.tickets[j], rows[j], plan.end):
            continue
        t = ResumedTicket(j, j, cats[snap_cat[j]], snap.tickets[j], rest.get(j, 0.0))
        env.process(resume(c, t))
    env.process(_arrive(c, a, m, cats))
    seen: list[list[int]] = []
    if len(times):
        env.process(_sample(c, [by_group[g] for g in plan.queue_pools], times, seen))
    env.run(until=plan.end + EPS)
    trail.close(plan.end)
    got = np.array(trail.events, dtype=float).reshape(-1, 4)
    ev["rep"].append(np.full(len(got), r, np.int64))
    ev["n"].append(got[:, 0].astype(np.int64))
    ev["act"].append(got[:, 1].astype(np.int64))
    ev["att"].append(got[:, 2].astype(np.int64))
    ev["ts"].append(got[:, 3])
    if seen:
        queues[r, :len(seen)] = np.asarray(seen, float)
    if records is not None:
        records.append((sink, facts, c))


