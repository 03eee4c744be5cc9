"""The procedure as the seed states it: each rule of the simulator tested directly.

Unit tests of the outcome rules (odds), of keyed draws and staff pools; metamorphic and
paired statistical tests on the shipped apartment (common random numbers); the one
definition of lateness shared with the KPI engine; emergencies and shift hand-overs in the
log.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import simpy
from scipy import stats

from fcsim.eventlog.log import EventLog
from fcsim.kpi import control_points, evaluate
from fcsim.scenarios import apply_overrides, load_scenario
from fcsim.scenarios.distributions import LogNormal
from fcsim.sim import simulate
from fcsim.sim.interrupts import Preemption
from fcsim.sim.outcomes import reject_p, with_odds
from fcsim.sim.run import simulate_record
from fcsim.sim.sink import build_frames
from fcsim.sim.staff import EMERGENCY, ROUTINE, StaffPool
from fcsim.sim.streams import BLOCK, KeyedDraws, Streams

APARTMENT = load_scenario("apartment")
DAY_ENGINEERS_1 = ("staff.engineering.shifts=[{start_h=8,end_h=17,count=1},"
                   "{start_h=17,end_h=23,count=1},{start_h=23,end_h=32,count=1,on_call=true}]")


# ---- the outcome rules ------------------------------------------------------------------------

def test_odds_multiply_and_keep_certainties() -> None:
    assert with_odds(0.5, 3.0) == pytest.approx(0.75)  # odds 1 → 3
    assert with_odds(0.2, 2.0) == pytest.approx(0.5 / 1.5)  # odds 0.25 → 0.5
    assert with_odds(0.0, 10.0) == 0.0 and with_odds(1.0, 0.5) == 1.0
    assert with_odds(0.3, 1.0) == 0.3


def test_failed_acceptance_grows_with_what_the_work_lived_through() -> None:
    q = APARTMENT.quality
    base = 0.045
    o = base / (1 - base)

    def p(**kw: object) -> float:
        args = {"waiting": 0, "preempted": False, "handed_over": False,
                "night_callout": False, "late_s": 0.0} | kw
        return reject_p(base, args["waiting"], args["preempted"], args["handed_over"],
                        args["night_callout"], args["late_s"], q)  # type: ignore[arg-type]

    def odds(x: float) -> float:
        return x / (1 - x)

    assert p() == pytest.approx(base)
    assert odds(p(waiting=3)) == pytest.approx(o * q.reject_odds_per_waiting ** 3)
    assert odds(p(preempted=True)) == pytest.approx(o * q.reject_odds_preempted)
    assert odds(p(handed_over=True)) == pytest.approx(o * q.reject_odds_handed_over)
    assert odds(p(night_callout=True)) == pytest.approx(o * q.reject_odds_night_callout)
    assert odds(p(late_s=7200.0)) == pytest.approx(o * q.reject_odds_per_late_hour ** 2)
    capped = o * q.reject_odds_per_late_hour ** q.late_hours_cap
    assert odds(p(late_s=1e6)) == pytest.approx(capped)
    assert p(waiting=1) > p() and p(preempted=True, night_callout=True) > p(preempted=True)


# ---- keyed draws: a ticket's numbers do not depend on what happened before ------------------

def test_keyed_rows_are_the_same_in_any_order_of_reading() -> None:
    fields = [("a", LogNormal(mean=3.0, cv=0.5)), ("u", None)]
    rng = np.random.default_rng(7)
    order = rng.permutation(3 * BLOCK)
    for dense in (True, False):
        forward = KeyedDraws(Streams(1, 0), "t", fields, dense=dense)
        rows_fwd = [forward[i] for i in range(3 * BLOCK)]
        shuffled = KeyedDraws(Streams(1, 0), "t", fields, dense=dense)
        rows_shuf = {int(i): shuffled[int(i)] for i in order}
        assert all(rows_shuf[i] == rows_fwd[i] for i in range(3 * BLOCK))
    other = KeyedDraws(Streams(1, 1), "t", fields)  # another replication: other numbers
    assert other[0] != KeyedDraws(Streams(1, 0), "t", fields)[0]


def test_read_blocks_are_freed() -> None:
    k = KeyedDraws(Streams(1, 0), "t", [("u", None)])
    for i in range(BLOCK):
        k[i]
    assert 0 not in k._rows and 0 not in k._arrays  # memory stays bounded
    k[BLOCK]
    assert 1 in k._rows


# ---- staff pools ------------------------------------------------------------------------------

def _pool(env: simpy.Environment, n: int) -> StaffPool:
    return StaffPool(env, [f"m-{i}" for i in range(n)], [(tuple(range(n)), ())] * 168,
                     [0] * 24)


def test_a_preference_is_served_when_free_and_requests_release_on_exit() -> None:
    env = simpy.Environment()
    pool = _pool(env, 3)
    with pool.request(ROUTINE, prefer=2) as a:
        assert a.member == 2
        with pool.request(ROUTINE, prefer=2) as b:
            assert b.member == 0  # the owner is busy: another clerk
    assert pool.busy == [False, False, False]


def test_granted_follows_the_member_through_queueing_pausing_and_release() -> None:
    env = simpy.Environment()
    pool = _pool(env, 1)
    a = pool.request(ROUTINE)
    b = pool.request(ROUTINE)  # the only member is busy: queued
    assert (a.granted, a.member, b.granted, b.member) == (True, 0, False, -1)
    pool.release(a)  # b is granted the member at once
    assert (a.granted, a.member, b.granted, b.member) == (False, -1, True, 0)
    b.pause()
    assert (b.granted, b.member, pool.busy) == (False, -1, [False])
    b.resume()
    assert (b.granted, b.member) == (True, 0)
    pool.release(b)
    assert not b.granted and pool.busy == [False]


def test_an_emergency_reserves_the_member_it_preempts() -> None:
    env = simpy.Environment()
    pool = _pool(env, 1)
    log: list[tuple[str, float, object]] = []

    def routine() -> object:
        with pool.request(ROUTINE) as r:
            pool.mark_preemptible(r.member, env.active_process, env.now)
            try:
                yield env.timeout(10)
            except simpy.Interrupt as i:
                log.append(("interrupted", env.now, i.cause))
                r.requeue()
                yield r.event
                log.append(("resumed", env.now, r.member))

    def emergency() -> object:
        yield env.timeout(3)
        with pool.request(EMERGENCY, ticket=99) as e:
            yield e.event
            log.append(("emergency", env.now, e.member))
            yield env.timeout(4)

    env.process(routine())
    env.process(emergency())
    env.run()
    assert log == [("interrupted", 3, Preemption(99, 3)), ("emergency", 3, 0),
                   ("resumed", 7, 0)]


# ---- the one definition of lateness -----------------------------------------------------------

@pytest.mark.parametrize("name", ["apartment", "hospital"])
def test_the_lateness_the_simulator_used_is_the_kpi_engines(name: str) -> None:
    sc = load_scenario(name)
    rec = simulate_record(sc, seed=11, days=10)
    events, tickets = build_frames([rec])
    log = EventLog(events, tickets, sc.manifest_bounds())
    cp = control_points(log)
    engine = cp.groupby(cp["ticket_id"].astype(str), observed=True)["lateness_s"].sum()
    used = np.frombuffer(rec.facts.lateness_used_s)
    ids = tickets["ticket_id"].astype(str).to_numpy()
    asked = ~np.isnan(used)  # reached at a callback: the satisfaction model read its lateness
    assert asked.sum() > 100
    # equal up to the order of summation (each clock's lateness is computed on the same
    # millisecond moments with the same Bounds.lateness_s)
    np.testing.assert_allclose(used[asked],
                               engine.reindex(ids[asked]).fillna(0.0).to_numpy(float),
                               rtol=1e-12, atol=1e-9)
    assert (used[asked] > 0).any()


# ---- common random numbers that hold under rework and rosters --------------------------------

def _stage_durations(log: EventLog) -> pd.DataFrame:
    ev = log.events
    dur = (ev["timestamp"] - ev["started_at"]).dt.total_seconds()
    keep = ev["started_at"].notna() & ev["activity"].astype(str).isin(
        ["recorded", "classified", "diagnosed", "planned", "communicated", "callback",
         "callback_failed"])
    out = pd.DataFrame({"ticket_id": ev["ticket_id"].astype(str), "attempt": ev["attempt"],
                        "activity": ev["activity"].astype(str), "dur": dur})[keep]
    return out.groupby(["ticket_id", "attempt", "activity"])["dur"].first()


def test_another_engineering_roster_keeps_every_tickets_draws() -> None:
    days = 28
    base = simulate(APARTMENT, seed=5, days=days)
    lean = simulate(apply_overrides(APARTMENT, [DAY_ENGINEERS_1]), seed=5, days=days)
    preempted = set(base.events.loc[base.events["activity"] == "preempted", "ticket_id"]
                    .astype(str)) | set(lean.events.loc[lean.events["activity"] == "preempted",
                                                         "ticket_id"].astype(str))
    a, b = _stage_durations(base), _stage_durations(lean)
    both = a.index.intersection(b.index)
    both = both[~both.get_level_values(0).isin(preempted)]
    assert len(both) > 2000 and (both.get_level_values(1) == 2).sum() > 10  # pass 2 too
    # equal up to the log's millisecond rounding of each absolute moment
    np.testing.assert_allclose(a.loc[both].to_numpy(), b.loc[both].to_numpy(), atol=0.0011)
    # the rosters differ where they should: engineering waits are longer with one engineer
    assert not base.events["timestamp"].equals(lean.events["timestamp"])


# ---- indicators earned by the process: staffing moves them ------------------------------------

def test_one_day_engineer_instead_of_three_lowers_the_pass_rate() -> None:
    """16 paired replications × 28 days (common random numbers): cutting the day shift from 3
    engineers to 1 rushes and delays the work, and more of it fails acceptance."""
    lean_sc = apply_overrides(APARTMENT, [DAY_ENGINEERS_1, "scenario.name='lean'"])
    diffs = []
    for r in range(16):
        vals = []
        for sc in (APARTMENT, lean_sc):
            ind = evaluate(simulate(sc, seed=2026, replication=r, days=28)).indicators
            row = ind[(ind["level"] == "replication") & (ind["indicator"] == "pass_rate")]
            vals.append(float(row["value"].iloc[0]))
        diffs.append(vals[0] - vals[1])
    t = stats.ttest_1samp(diffs, 0.0, alternative="greater")
    assert t.pvalue < 0.01, (np.mean(diffs), t)


def test_a_busier_desk_misrecords_more() -> None:
    """Metamorphic: the same calls (common random numbers) with one clerk instead of three
    → more callers wait when a clerk takes a call → more wrong records and misroutes."""
    sets = ["categories.consultation.rate_per_unit_day=1.5",
            "categories.engineering.record_error_p=0.05",
            "categories.engineering.misroute_p=0.05"]
    three = apply_overrides(APARTMENT, [*sets, "staff.desk.shifts=[{start_h=0,end_h=24,count=3}]"])
    one = apply_overrides(APARTMENT, [*sets, "staff.desk.shifts=[{start_h=0,end_h=24,count=1}]"])
    errors = {}
    for name, sc in (("three", three), ("one", one)):
        n_err = n_mis = 0
        for r in range(3):
            tk = simulate(sc, seed=4, replication=r, days=28).tickets
            n_err += int((~tk["record_accurate"].dropna().astype(bool)).sum())
            n_mis += int((~tk["recognised_correctly"].dropna().astype(bool)).sum())
        errors[name] = (n_err, n_mis)
    assert errors["one"][0] > errors["three"][0] and errors["one"][1] > errors["three"][1], errors


# ---- emergencies and shift hand-overs in the log ----------------------------------------------

def test_a_desk_answered_category_reports_every_emergency() -> None:
    sc = apply_overrides(APARTMENT, ["categories.consultation.emergency_p=0.5"])
    log = simulate(sc, seed=8, days=7)
    tk = log.tickets.set_index(log.tickets["ticket_id"].astype(str))
    em = tk.index[(tk["category"] == "consultation") & tk["emergency"].astype(bool)]
    assert len(em) > 20
    rep = log.events[log.events["activity"] == "emergency_reported"]
    assert set(em) <= set(rep["ticket_id"].astype(str))
    assert (rep["role"].astype(str) == "supervisor").all()


def test_every_preemption_in_a_year_is_an_emergencys_and_handovers_are_logged() -> None:
    sc = apply_overrides(APARTMENT, ["policy.end_of_shift=handover"])
    log = simulate(sc, seed=2, days=365)
    ev = log.events.sort_values(["timestamp", "seq"]).reset_index(drop=True)
    emergency = log.tickets.set_index(log.tickets["ticket_id"].astype(str))["emergency"]
    pre = ev.index[ev["activity"] == "preempted"]
    assert len(pre) >= 5
    by_res = {r: g.index.to_numpy() for r, g in ev.groupby(ev["resource"].astype(str))}
    for i in pre:
        res = str(ev.at[i, "resource"])
        later = by_res[res][by_res[res] > i]
        nxt = ev.loc[later]
        nxt = nxt[nxt["ticket_id"] != ev.at[i, "ticket_id"]]  # the member's next work
        assert bool(emergency[str(nxt["ticket_id"].iloc[0])]), ev.loc[i].to_dict()
    acts = ev["activity"].astype(str)
    tech = ev["role"].astype(str) == "technician"
    assert ((acts == "handed_over") & tech).sum() > 50  # work passed at shift ends
    assert ((acts == "handed_over") & ~tech).sum() > 500  # ownership passed at the desk
    assert (acts == "handed_over").sum() == (acts == "taken_over").sum()


def test_hospital_rescues_get_five_minutes_other_visits_ten() -> None:
    hos = load_scenario("hospital")
    log = simulate(hos, seed=3, days=7)
    cp = control_points(log)
    on = cp[cp["control_point"] == "on_site"].merge(
        log.tickets[["ticket_id", "category", "emergency"]].astype({"ticket_id": str}),
        left_on=cp[cp["control_point"] == "on_site"]["ticket_id"].astype(str),
        right_on="ticket_id", suffixes=("", "_t"))
    rescue = on["emergency"].astype(bool) | (on["category"].astype(str) == "critical")
    assert rescue.sum() > 10 and (~rescue).sum() > 10
    assert (on.loc[rescue, "upper_s"].astype(float) == 300.0).all()
    assert (on.loc[~rescue, "upper_s"].astype(float) == 600.0).all()
    assert math.isclose(float(on.loc[~rescue, "upper_s"].iloc[0]), 600.0)
