"""First-contact ownership continuity (首接負責延續率): hand-built logs with known answers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from logbuilder import LogBuilder, TicketBuilder
from scipy import stats

from fcsim.kpi import evaluate
from fcsim.kpi.ownership import MEASURE, ownership
from fcsim.kpi.stats import logit_t_interval, wilson_interval

T0 = pd.Timestamp("2026-03-02T08:00:00+00:00")


def _work(t: TicketBuilder, *, recorder: str = "desk-1", recorder_role: str = "desk"
          ) -> TicketBuilder:
    """Receipt to slip return (all by the book); the judged events are added by the test."""
    return (t.at(0, "received", resource="desk-1").at(30, "recorded", resource=recorder,
                                                        role=recorder_role)
            .at(60, "dispatched", resource="desk-1").at(300, "arrived", resource="eng-1")
            .at(600, "work_completed", resource="eng-1")
            .at(700, "accepted", resource="sup-1", role="supervisor")
            .at(800, "slip_returned", resource="desk-1"))


def _desk(t: TicketBuilder, when: float, act: str, who: str) -> TicketBuilder:
    return t.at(when, act, resource=who, role="desk")


def _cases() -> LogBuilder:
    b = LogBuilder(t0=T0)
    # A: the owner did everything
    a = _work(b.ticket("A"))
    _desk(a, 850, "callback", "desk-1")
    _desk(a, 900, "closed", "desk-1")
    # B: a logged handover to the next shift's clerk, who calls back and closes
    t = _work(b.ticket("B"))
    _desk(t, 810, "handed_over", "desk-1")
    _desk(t, 820, "taken_over", "desk-2")
    _desk(t, 850, "callback", "desk-2")
    _desk(t, 900, "closed", "desk-2")
    # C: another clerk calls back and closes without any handover
    t = _work(b.ticket("C"))
    _desk(t, 850, "callback", "desk-2")
    _desk(t, 900, "closed", "desk-1")
    # D: no owner (the first attempt-1 recorded is not the desk's)
    t = _work(b.ticket("D"), recorder="eng-9", recorder_role="technician")
    _desk(t, 850, "callback", "desk-1")
    _desk(t, 900, "closed", "desk-1")
    # E: a callback ticket closed without any callback attempt: not in the denominator
    t = _work(b.ticket("E"))
    _desk(t, 900, "closed", "desk-1")
    # F: no callback route: closing by the owner is enough
    t = b.ticket("F", route=(True, True, False))
    t.at(0, "received").at(30, "recorded", resource="desk-1")
    _desk(t, 900, "closed", "desk-1")
    # G: a handed_over by someone who is not the owner changes nothing
    t = _work(b.ticket("G"))
    _desk(t, 810, "handed_over", "desk-3")
    _desk(t, 820, "taken_over", "desk-2")
    _desk(t, 850, "callback", "desk-2")
    _desk(t, 900, "closed", "desk-2")
    # H: a chain desk-1 → desk-2 → desk-3, each judged event by the owner of its moment
    t = _work(b.ticket("H"))
    _desk(t, 805, "handed_over", "desk-1")
    _desk(t, 806, "taken_over", "desk-2")
    _desk(t, 850, "callback_failed", "desk-2")
    _desk(t, 860, "handed_over", "desk-2")
    _desk(t, 870, "taken_over", "desk-3")
    _desk(t, 880, "callback", "desk-3")
    _desk(t, 900, "closed", "desk-3")
    # J: the successor called back *before* the handover: not the owner at that moment
    t = _work(b.ticket("J"))
    _desk(t, 850, "callback", "desk-2")
    _desk(t, 860, "handed_over", "desk-1")
    _desk(t, 870, "taken_over", "desk-2")
    _desk(t, 900, "closed", "desk-2")
    # K: a technician handover is not an ownership handover
    t = _work(b.ticket("K"))
    t.at(805, "handed_over", resource="desk-1", role="technician")
    t.at(806, "taken_over", resource="desk-2", role="technician")
    _desk(t, 850, "callback", "desk-2")
    _desk(t, 900, "closed", "desk-2")
    # L: closed only after as_of (see the as_of test)
    t = _work(b.ticket("L"))
    _desk(t, 850, "callback", "desk-1")
    _desk(t, 5000, "closed", "desk-1")
    return b


WANT = {  # ticket: (in_denominator, in_numerator, successors, owner, final_owner)
    "A": (True, True, 0, "desk-1", "desk-1"),
    "B": (True, True, 1, "desk-1", "desk-2"),
    "C": (True, False, 0, "desk-1", "desk-1"),
    "D": (False, False, 0, None, None),
    "E": (False, False, 0, "desk-1", "desk-1"),
    "F": (True, True, 0, "desk-1", "desk-1"),
    "G": (True, False, 0, "desk-1", "desk-1"),
    "H": (True, True, 2, "desk-1", "desk-3"),
    "J": (True, False, 1, "desk-1", "desk-2"),
    "K": (True, False, 0, "desk-1", "desk-1"),
    "L": (True, True, 0, "desk-1", "desk-1"),
}


def test_ticket_rules_by_hand() -> None:
    rows, summary = ownership(_cases().build())
    got = {r.ticket_id: (bool(r.in_denominator), bool(r.in_numerator), int(r.successors),
                         r.owner, r.final_owner) for r in rows.itertuples()}
    assert got == WANT
    h = rows.set_index("ticket_id").loc["H"]
    assert (h["judged"], h["by_owner"]) == (3, 3)
    c = rows.set_index("ticket_id").loc["C"]
    assert (c["judged"], c["by_owner"]) == (2, 1)
    (s,) = summary.itertuples()
    num, den = 5, 9  # A, B, F, H, L of A, B, C, F, G, H, J, K, L
    assert (s.level, s.measure, s.numerator, s.denominator) == ("log", MEASURE, num, den)
    assert s.value == pytest.approx(num / den)
    lo, hi = wilson_interval(np.array([num]), np.array([den]))
    assert (s.ci_low, s.ci_high) == (pytest.approx(lo[0]), pytest.approx(hi[0]))


def test_as_of_and_window_as_for_the_indicators() -> None:
    log = _cases().build()
    rows, _ = ownership(log, as_of=T0 + pd.Timedelta(seconds=1000))
    assert not rows.set_index("ticket_id").loc["L", "in_denominator"]  # closed later
    rows, summary = ownership(log, window=(T0 + pd.Timedelta(seconds=1), None))
    assert rows.empty and int(summary["denominator"].iloc[0]) == 0
    assert pd.isna(summary["value"].iloc[0])


def test_evaluate_writes_it_beside_the_indicators(tmp_path) -> None:
    from fcsim.kpi import write_kpi

    res = evaluate(_cases().build())
    assert set(res.indicators["indicator"].astype(str)) == {
        "timeliness", "satisfaction", "accuracy", "pass_rate", "recognition", "callback_rate"}
    write_kpi(res, tmp_path)
    own = pd.read_csv(tmp_path / "ownership.csv")
    assert own[["numerator", "denominator"]].values.tolist() == [[5, 9]]


def test_replication_and_scenario_rows() -> None:
    b = LogBuilder(t0=T0, scenario="s")
    # replication 1: 2 of 2 kept; replication 2: 1 of 3; replication 3: 3 of 4
    plan = {1: [True, True], 2: [True, False, False], 3: [True, True, True, False]}
    for rep, kept in plan.items():
        for i, k in enumerate(kept):
            t = _work(b.ticket(f"R{rep}-{i}", replication=rep))
            _desk(t, 850, "callback", "desk-1" if k else "desk-2")
            _desk(t, 900, "closed", "desk-1")
    _, summary = ownership(b.build())
    reps = summary[summary["level"] == "replication"]
    assert reps[["replication", "numerator", "denominator"]].values.tolist() == [
        [1, 2, 2], [2, 1, 3], [3, 3, 4]]
    (sc,) = summary[summary["level"] == "scenario"].itertuples()
    assert (sc.numerator, sc.denominator) == (6, 9)
    assert sc.value == pytest.approx((1 + 1 / 3 + 3 / 4) / 3)
    # logit-t by hand: empirical logits log((k+.5)/(n-k+.5)), t(0.975, 2)
    z = [math.log(2.5 / 0.5), math.log(1.5 / 2.5), math.log(3.5 / 1.5)]
    m, sd = np.mean(z), np.std(z, ddof=1)
    h = stats.t.ppf(0.975, 2) * sd / math.sqrt(3)
    expit = lambda x: 1 / (1 + math.exp(-x))  # noqa: E731
    assert (sc.ci_low, sc.ci_high) == (pytest.approx(expit(m - h)), pytest.approx(expit(m + h)))
    assert 0 < sc.ci_low < sc.ci_high < 1


def test_logit_t_interval_coverage() -> None:
    """Seeded: 16 replications of 300 tickets at p = 0.9; the 95 % interval covers p in a
    share of 4000 trials whose 99.9 % Wilson interval contains 0.95 (half-width < 0.012)."""
    rng = np.random.default_rng(20260302)
    trials, p = 4000, 0.9
    k = rng.binomial(300, p, size=(trials, 16))
    n = np.full(16, 300)
    hits = 0
    for row in k:
        lo, hi = logit_t_interval(row, n)
        hits += lo <= p <= hi
    z = stats.norm.ppf(1 - 0.001 / 2)
    lo, hi = wilson_interval(np.array([hits]), np.array([trials]), z=z)
    assert lo[0] <= 0.95 <= hi[0]
    assert (hi[0] - lo[0]) / 2 < 0.012


def test_logit_t_interval_edges() -> None:
    assert all(math.isnan(x) for x in logit_t_interval(np.array([3]), np.array([3])))
    lo, hi = logit_t_interval(np.array([5, 5, 0]), np.array([5, 5, 0]))  # den 0 ignored
    assert math.isnan(lo) is False and 0 < lo <= hi < 1
