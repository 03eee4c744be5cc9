"""The roster integer program against hand-checkable cases, with both solvers; limits take
effect; a solved roster passes the independent checker from its ``roster.csv`` rows."""

from __future__ import annotations

import numpy as np
import pytest

from fcsim.roster.build import build_model
from fcsim.roster.check import check_roster
from fcsim.roster.linear import LinearModel, cpsat_available, solve
from fcsim.roster.outputs import coverage_frame, roster_frame
from fcsim.roster.people import Person, default_people
from fcsim.roster.problem import GroupSpec, RosterProblem
from fcsim.roster.rules import Rules, Shifts, SkillCover, SkillNeed
from fcsim.roster.solve import solve_roster
from fcsim.scenarios import load_scenario
from tests.conftest import need

APARTMENT = load_scenario("apartment")


def _day_requirement(days: range, a: int, b: int, n: int = 1) -> np.ndarray:
    req = np.zeros(168, dtype=np.int64)
    for d in days:
        req[d * 24 + a:d * 24 + b] = n
    return req


def test_weekday_office_hours_one_person() -> None:
    # 1 person needed 08-16 Monday to Friday at 1 per hour: five 8-h shifts, cost 40, exactly
    req = _day_requirement(range(5), 8, 16)
    pr = RosterProblem(tuple(default_people("eng", "e", 1, max_hours=40)),
                       {"eng": GroupSpec("eng", req, np.ones(168))})
    sol = solve_roster(pr)
    assert sol.status == "optimal" and sol.gap == 0.0
    assert sol.objective == pytest.approx(40.0) and sol.bound == pytest.approx(40.0)
    assert sorted((a.day, a.start_h, a.length_h) for a in sol.roster.assignments) == [
        (d, 8, 8) for d in range(5)]


def test_premiums_move_the_shift_to_cheaper_hours() -> None:
    # a 6-h need 10-16 on Monday; hours 6-9 cost 5, the rest 1: the cheapest 6-10 h shift
    # covering 10-16 starts at 10 (6 h, cost 6); starting earlier pays the dear hours
    cost = np.ones(168)
    cost[6:10] = 5.0
    req = _day_requirement(range(1), 10, 16)
    pr = RosterProblem((Person("a", "eng"),), {"eng": GroupSpec("eng", req, cost)})
    sol = solve_roster(pr)
    assert [(a.day, a.start_h, a.length_h) for a in sol.roster.assignments] == [(0, 10, 6)]
    assert sol.roster.cost_per_week() == pytest.approx(6.0)


def test_on_call_one_person_every_night_in_rotation() -> None:
    # no hour needs anyone on duty, one person on call 23-08 each night at 0.2 of the hour cost:
    # 7 nights x 9 h x 0.2 = 12.6; nobody on call two nights in a row; spread 3/2/2
    pr = RosterProblem(tuple(default_people("eng", "e", 3)),
                       {"eng": GroupSpec("eng", np.zeros(168, dtype=np.int64), np.ones(168),
                                         on_call=(23, 32))})
    sol = solve_roster(pr)
    assert sol.status == "optimal"
    assert sol.roster.cost_per_week() == pytest.approx(7 * 9 * 0.2)
    calls = sorted((a.day, a.person) for a in sol.roster.assignments if a.kind == "on_call")
    assert [d for d, _ in calls] == list(range(7))
    who = [p for _, p in calls]
    assert all(who[d] != who[(d + 1) % 7] for d in range(7))
    assert sorted(who.count(p) for p in set(who)) == [2, 2, 3]
    assert sol.roster.scheduled("eng", "on_call")[23] == 1  # Monday 23:00
    assert sol.roster.scheduled("eng", "on_call")[167] == 1  # Sunday 23:00


def _rich_problem() -> RosterProblem:
    # every day 08-16 one person (56 h); Wednesday an electrician 08-16 too; a is on leave on
    # Wednesday, c may not work nights and is the only electrician
    req = _day_requirement(range(7), 8, 16)
    people = (Person("a", "eng", max_hours=40, leave=frozenset({2}), supervisor=True),
              Person("b", "eng", max_hours=40),
              Person("c", "eng", max_hours=40, min_hours=8, night=False,
                     skills=frozenset({"electrical"})))
    rules = Rules(skill_cover=SkillCover(cover=(SkillNeed(group="eng", skill="electrical",
                                                          from_h=8, to_h=16, days=(2,)),)),
                  shifts=Shifts(starts_h=(0, 7, 8, 9, 16, 23)))
    return RosterProblem(people, {"eng": GroupSpec("eng", req, np.ones(168), on_call=(23, 32))},
                         rules)


@pytest.mark.parametrize("solver", ["highs", "cpsat"])
def test_rules_hold_in_roster_csv(solver: str) -> None:
    if solver == "cpsat" and not cpsat_available():
        need(False, "OR-Tools (the roster extra)")
    pr = _rich_problem()
    # 56 h of work (8-h shifts cover 08-16 exactly) plus 7 nights on call at 0.2 of 9 h: 68.6.
    # HiGHS proves it at once; CP-SAT finds it but proves it slowly (its bound stays far
    # below), so it gets 8 s here
    limit = 60.0 if solver == "highs" else 8.0
    sol = solve_roster(pr, solver=solver, method="monolithic",  # type: ignore[arg-type]
                       time_limit_s=limit)
    assert sol.status == "optimal" if solver == "highs" else sol.status in ("optimal",
                                                                              "time_limit")
    assert sol.bound is not None and sol.bound <= 68.6 + 1e-6
    roster = sol.roster
    assert roster is not None
    work = sum(a.length_h for a in roster.assignments if a.kind == "work")
    assert work == 56
    assert roster.cost_per_week() == pytest.approx(56 + 7 * 9 * 0.2)
    assert sol.objective == pytest.approx(roster.cost_per_week())
    df = roster_frame(APARTMENT, roster)
    assert check_roster(df, pr.people, pr.rules, on_call_groups=("eng",)) == []
    wed = [a.person for a in roster.assignments if a.kind == "work" and a.day == 2]
    assert wed == ["c"]  # the electrician, and not a (on leave)
    cov = coverage_frame(roster)
    assert (cov["scheduled"] >= cov["required"]).all()
    assert cov["on_call"].tolist() == roster.scheduled("eng", "on_call").tolist()
    # roster.csv: full ISO date-times with the site's offset; on call dated by its start
    oc = df[df["kind"] == "on_call"]
    assert len(oc) == 7 and oc["start"].str.endswith("T23:00:00+08:00").all()
    assert oc["end"].str.endswith("T08:00:00+08:00").all()
    assert (oc["date"] == oc["start"].str[:10]).all()


def test_decomposition_matches_the_whole_model() -> None:
    pr = _rich_problem()
    a = solve_roster(pr, method="decompose")
    b = solve_roster(pr, method="monolithic")
    assert a.status == b.status == "optimal"
    assert a.objective == pytest.approx(b.objective)
    assert a.bound is not None and a.bound <= a.objective + 1e-9


def test_shortfall_when_too_few_people() -> None:
    # two people needed 08-16 every weekday but one person: the hours stay short, it is said
    req = _day_requirement(range(5), 8, 16, n=2)
    pr = RosterProblem((Person("a", "eng", max_hours=40),),
                       {"eng": GroupSpec("eng", req, np.ones(168))})
    sol = solve_roster(pr)
    assert sol.roster is not None
    assert int(sol.roster.shortfall("eng").sum()) == 40  # 80 needed, 40 rostered


def _hard_model() -> LinearModel:
    req = np.full(168, 2, dtype=np.int64)
    pr = RosterProblem(tuple(default_people("eng", "e", 10, max_hours=40)),
                       {"eng": GroupSpec("eng", req, np.ones(168), on_call=(23, 32))})
    return build_model(pr).model


@pytest.mark.parametrize("solver", ["highs", "cpsat"])
def test_time_limit_takes_effect(solver: str) -> None:
    if solver == "cpsat" and not cpsat_available():
        need(False, "OR-Tools (the roster extra)")
    model = _hard_model()
    res = solve(model, solver=solver, time_limit_s=1.0, threads=1)  # type: ignore[arg-type]
    # the whole 10-person 24/7 week is not solved in 1 s; the solver stops near the limit
    assert res.status in ("time_limit", "feasible")
    assert res.status == "time_limit"
    assert res.solve_s < 4.0
    assert res.workers == 1
    with pytest.raises(ValueError, match="time_limit_s must be > 0"):
        solve(model, time_limit_s=0)
    with pytest.raises(ValueError, match="threads must be a positive integer"):
        solve(model, threads=0)


def test_two_groups_are_rostered_together() -> None:
    # desk: one clerk 08-16 Mon-Fri (cost 1/h); engineering: one engineer 16-22 Mon-Fri (cost
    # 2/h) plus a night on call 23-08 (0.2 of 2/h): 40 + 60 + 7 x 9 x 0.4 = 125.2; people stay
    # in their own group
    desk = _day_requirement(range(5), 8, 16)
    eng = _day_requirement(range(5), 16, 22)
    people = (*default_people("desk", "d", 1, max_hours=40),
              *default_people("eng", "e", 3, max_hours=40))
    pr = RosterProblem(people, {"desk": GroupSpec("desk", desk, np.ones(168)),
                                "eng": GroupSpec("eng", eng, np.full(168, 2.0),
                                                 on_call=(23, 32))})
    sol = solve_roster(pr)
    assert sol.status == "optimal" and sol.roster is not None
    assert sol.roster.cost_per_week() == pytest.approx(40 + 60 + 7 * 9 * 0.4)
    assert (sol.roster.scheduled("desk") == desk).all()
    assert (sol.roster.scheduled("eng") == eng).all()
    assert {a.group for a in sol.roster.assignments if a.person.startswith("d")} == {"desk"}
    assert {a.group for a in sol.roster.assignments if a.person.startswith("e")} == {"eng"}
