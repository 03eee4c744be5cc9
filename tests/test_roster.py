"""Roster search: criteria bounds, the analytic cover, and exactness against the full grid."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fcsim.scenarios import ScenarioError, load_scenario
from fcsim.staffing import sipp_staffing
from fcsim.staffing.isa_sim import sinusoidal_rate
from fcsim.staffing.roster import (
    Criterion,
    ShiftPattern,
    cover_requirement,
    exhaustive_search,
    load_shift_costs,
    patterns_from_group,
    roster_cost,
    roster_grid,
    sequential_search,
)
from fcsim.staffing.scenario_staffing import with_roster
from fcsim.staffing.tv_queue import TimeVaryingQueue

PATTERNS = (ShiftPattern("night", 0, 8, 8.0), ShiftPattern("day", 8, 16, 8.0),
            ShiftPattern("evening", 16, 24, 9.0))


def test_t_and_clopper_pearson_bounds_by_hand() -> None:
    c = Criterion("x", 0.7, confidence=0.95)
    # mean 0.9, sd 0.1, n = 3, t_{0.95, 2} = 2.919986
    assert c.lower_bound([0.8, 0.9, 1.0]) == pytest.approx(0.9 - 2.919986 * 0.1 / math.sqrt(3),
                                                           abs=1e-6)
    assert c.passes([0.8, 0.9, 1.0])
    assert c.lower_bound([0.5]) == -math.inf
    b = Criterion("z", 0.5, confidence=0.95, binary=True)
    # k = n: the Clopper-Pearson one-sided bound is (1 - confidence)^(1/n)
    assert b.lower_bound([1.0] * 10) == pytest.approx(0.05 ** 0.1, rel=1e-9)
    assert b.lower_bound([0.0] * 4) == 0.0
    with pytest.raises(ValueError, match="binary"):
        b.lower_bound([0.5])
    with pytest.raises(ValueError, match="outside"):
        c.lower_bound([1.5])
    assert Criterion("x", 0.0, nan_as=1.0).lower_bound([float("nan"), 1.0]) == 1.0


@given(st.lists(st.floats(0, 1), min_size=1, max_size=6), st.integers(0, 5),
       st.lists(st.floats(0, 1), min_size=5, max_size=5))
def test_bound_range_contains_every_completion(known: list[float], extra: int,
                                               fill: list[float]) -> None:
    c = Criterion("x", 0.5, confidence=0.9)
    total = len(known) + extra
    lo, hi = c.bound_range(known, total)
    for completion in (fill[:extra], [0.0] * extra, [1.0] * extra):
        b = c.lower_bound(known + completion)
        if total >= 2:
            assert lo - 1e-9 <= b <= hi + 1e-9
    if total >= 2:  # the minimum is attained at a vertex completion
        vertex = min(c.lower_bound(known + [1.0] * j + [0.0] * (extra - j))
                     for j in range(extra + 1))
        assert vertex == pytest.approx(lo, abs=1e-12)


def test_cover_requirement_by_hand() -> None:
    req = np.array([2] * 8 + [5] * 4 + [3] * 4 + [4] * 8)
    assert cover_requirement(PATTERNS, req) == (2, 5, 4)
    # overlapping patterns: 0-12 and 12-24 at 10, a cheap 8-20 at 9; one head all day
    pats = (ShiftPattern("a", 0, 12, 10.0), ShiftPattern("b", 12, 24, 10.0),
            ShiftPattern("c", 8, 20, 9.0))
    assert cover_requirement(pats, np.ones(24)) == (1, 1, 0)
    # two heads 9-19 only: the 8-20 shift twice (18) beats any a/b mix (20)
    need = np.zeros(24)
    need[9:19] = 2
    assert cover_requirement(pats, need) == (0, 0, 2)
    week = np.tile(req, 7)
    week[30] = 9  # Tuesday 06:00
    assert cover_requirement(PATTERNS, week) == (9, 5, 4)


def test_grid_cost_and_costs_file(tmp_path: Path) -> None:
    grid = roster_grid((2, 5, 4), spread=1, minimum=1)
    assert len(grid) == 27 and (1, 4, 3) in grid and (3, 6, 5) in grid
    assert roster_grid((1, 1), spread=1, minimum=1)[0] == (1, 1)
    assert roster_cost(PATTERNS, (1, 2, 3)) == 8 + 16 + 27
    f = tmp_path / "costs.toml"
    f.write_text('[roster.desk]\nshifts = [{ name = "n", start_h = 0, end_h = 8, cost = 9.5 },'
                 '{ name = "d", start_h = 8, end_h = 24, cost = 15 }]\n', encoding="utf-8")
    got = load_shift_costs(f)
    assert got["desk"] == (ShiftPattern("n", 0, 8, 9.5), ShiftPattern("d", 8, 24, 15.0))
    f.write_text('[roster.desk]\nshifts = [{ name = "n", start_h = 0, cost = 1 }]\n',
                 encoding="utf-8")
    with pytest.raises(ValueError, match=r"roster\.desk\.shifts\[0\].*end_h"):
        load_shift_costs(f)


def _queue_evaluator() -> tuple[TimeVaryingQueue, tuple[int, ...], object]:
    rate = sinusoidal_rate(10.0, 0.6)
    q = TimeVaryingQueue(rate, 1.0, seed=77, cycles=7, max_servers=60)

    def staffing(conf: tuple[int, ...]) -> np.ndarray:
        s = np.zeros(24, dtype=np.int64)
        for n, p in zip(conf, PATTERNS, strict=True):
            s[p.covers()] += n
        return s

    def evaluate(conf: tuple[int, ...], rep: int) -> dict[str, float]:
        c = q.delay_counts(staffing(conf), [rep])
        delayed = int(c.delayed.sum())
        return {"no_delay": 1.0 - delayed / int(c.arrivals.sum()),
                "zero_delay_week": float(delayed == 0)}

    start = cover_requirement(PATTERNS, sipp_staffing(rate, 1.0, max_p_wait=0.2))
    return q, start, evaluate


@pytest.mark.parametrize("threshold", [0.80, 0.90, 0.93, 0.999])
def test_sequential_search_returns_the_grids_answer(threshold: float) -> None:
    """Done-when: same answer as the exhaustive 27-point grid with the same seeds."""
    _, start, evaluate = _queue_evaluator()
    grid = roster_grid(start, spread=1, minimum=1)
    assert len(grid) >= 27
    calls = {"n": 0}

    def counted(conf: tuple[int, ...], rep: int) -> dict[str, float]:
        calls["n"] += 1
        return evaluate(conf, rep)  # type: ignore[operator, no-any-return]

    crit = [Criterion("no_delay", threshold, confidence=0.95)]
    cost = lambda c: roster_cost(PATTERNS, c)  # noqa: E731
    full = exhaustive_search(grid, cost, evaluate, crit, 12)  # type: ignore[arg-type]
    seq = sequential_search(grid, cost, counted, crit, 12, start=start)
    assert seq.best == full.best
    assert seq.cost == full.cost
    assert seq.replications_used == calls["n"] < full.replications_used == 27 * 12
    if full.best is not None:  # the answer is feasible and every cheaper one is not
        feasible = full.table.set_index("config")["feasible"]
        assert feasible[full.best]
        cheaper = full.table[full.table["cost"] < full.cost]
        assert not cheaper["feasible"].any()


def test_zero_breach_criterion_is_exact_too() -> None:
    _, start, evaluate = _queue_evaluator()
    grid = roster_grid(tuple(c + 6 for c in start), spread=1, minimum=1)
    crit = [Criterion("zero_delay_week", 0.5, confidence=0.9, binary=True)]
    cost = lambda c: roster_cost(PATTERNS, c)  # noqa: E731
    full = exhaustive_search(grid, cost, evaluate, crit, 10)  # type: ignore[arg-type]
    seq = sequential_search(grid, cost, evaluate, crit, 10)  # type: ignore[arg-type]
    assert seq.best == full.best and seq.replications_used <= full.replications_used
    feasible = full.table.set_index("config")["feasible"]
    assert full.best is not None and 0 < feasible.sum() < len(grid)  # a real decision


def test_with_roster_round_trip_and_errors() -> None:
    s = load_scenario("apartment")
    desk = s.staff["desk"]
    pats = patterns_from_group(desk, cost_per_hour=2.0)
    assert [(p.start_h, p.end_h, p.cost) for p in pats] == [
        (int(sh.start_h), int(sh.end_h), 2.0 * (sh.end_h - sh.start_h)) for sh in desk.shifts]
    counts = tuple(sh.count for sh in desk.shifts)
    same = with_roster(s, "desk", pats, counts)
    assert same.staff["desk"].hourly(on_call=False) == desk.hourly(on_call=False)
    more = with_roster(s, "desk", pats, tuple(c + 1 for c in counts))
    assert more.staff["desk"].hourly(on_call=False) == tuple(h + 1 for h in
                                                              desk.hourly(on_call=False))
    assert s.staff["desk"].hourly(on_call=False) == desk.hourly(on_call=False)  # not mutated
    with pytest.raises(ScenarioError, match=r"staff\.desk"):
        with_roster(s, "desk", pats, (0,) * len(pats))
    eng = with_roster(s, "engineering", patterns_from_group(s.staff["engineering"]), (4, 1))
    assert any(sh.on_call for sh in eng.staff["engineering"].shifts)  # on-call kept


@pytest.mark.slow
def test_cli_staff_recommends_the_grids_answer(capsys: pytest.CaptureFixture[str]) -> None:
    """``fcsim staff``: the printed roster is the exhaustive grid's answer (same seeds)."""
    from fcsim.cli import main
    from fcsim.staffing.scenario_staffing import ScenarioEvaluator

    args = ["staff", "mmc", "--role", "desk", "-r", "3", "--days", "0.5", "--seed", "5",
            "--target", "clock.record>=0.04", "--confidence", "0.6", "--spread", "1",
            "--zero-breach", "clock:record", "--probability", "0.5"]
    assert main(args) == 0
    out = capsys.readouterr().out
    s = load_scenario("mmc")
    pats = patterns_from_group(s.staff["desk"])
    ev = ScenarioEvaluator(s, "desk", pats, seed=5, days=0.5)
    line = next(x for x in out.splitlines() if x.startswith("analytic start"))
    start = tuple(int(v) for v in line.split(":")[1].strip(" ()").split(",") if v.strip())
    grid = roster_grid(start, spread=1, minimum=1)
    full = exhaustive_search(grid, lambda c: roster_cost(pats, c), ev,
                             [Criterion("clock.record", 0.04, confidence=0.6)], 3)
    if full.best is None:
        assert "NONE in the grid" in out
    else:
        assert f"recommended roster: {pats[0].name}: {full.best[0]}" in out
    assert "risk view" in out and "clock:record" in out and "timeliness" in out
    assert "simulated weeks:" in out
