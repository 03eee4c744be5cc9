"""The independent rule checker (``fcsim.roster.check``) against hand-built ``roster.csv`` rows:
every labour rule is caught when broken, and only while it is enabled; a valid week passes."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import pytest

from fcsim.roster.check import check_roster
from fcsim.roster.people import Person
from fcsim.roster.rules import (
    RULES,
    ConsecutiveDays,
    Rules,
    SkillCover,
    SkillNeed,
    Supervisor,
)

TZ = "+08:00"
DATES = [f"2026-03-0{2 + d}" for d in range(7)]  # Monday 2 March … Sunday 8 March 2026


def _at(day: int, hour: int) -> str:
    """ISO local date-time of ``hour`` o'clock (may pass 24) on ``day`` of the week."""
    extra, h = divmod(hour, 24)
    d = day + extra
    date = DATES[d] if d < 7 else f"2026-03-{2 + d:02d}"
    return f"{date}T{h:02d}:00:00{TZ}"


def _rows(staff: str, shifts: Sequence[tuple[int, int, int]], kind: str = "work"
          ) -> list[dict[str, str]]:
    return [{"staff": staff, "date": DATES[d], "start": _at(d, a), "end": _at(d, b),
             "kind": kind} for d, a, b in shifts]


def _frame(*parts: list[dict[str, str]]) -> pd.DataFrame:
    return pd.DataFrame([r for p in parts for r in p],
                        columns=["staff", "date", "start", "end", "kind"])


WEEKDAYS_8_16 = [(d, 8, 16) for d in range(5)]  # 40 h, Saturday and Sunday off
A = Person("a", "eng", min_hours=0, max_hours=44)
B = Person("b", "eng", min_hours=0, max_hours=44)


def _found(df: pd.DataFrame, people: Sequence[Person], rules: Rules | None = None,
           on_call_groups: Sequence[str] = ()) -> set[str]:
    return {v.rule for v in check_roster(df, people, rules, on_call_groups=on_call_groups)}


def _off(rule: str, rules: Rules | None = None) -> Rules:
    r = rules or Rules()
    return r.model_copy(update={rule: getattr(r, rule).model_copy(update={"enabled": False})})


def test_a_valid_week_passes() -> None:
    df = _frame(_rows("a", WEEKDAYS_8_16), _rows("b", [(d, 16, 24) for d in range(5)]))
    assert check_roster(df, [A, B]) == []


# (rule, people, rows, rules, on-call groups): each case breaks exactly the named rule
def _cases() -> list[tuple[str, list[Person], pd.DataFrame, Rules, tuple[str, ...]]]:
    night3 = [(0, 23, 31), (1, 23, 31), (2, 23, 31), (3, 23, 31)]  # 4 nights in a row
    skill = Rules(skill_cover=SkillCover(cover=(SkillNeed(group="eng", skill="electrical",
                                                          from_h=8, to_h=16, days=(0,)),)))
    sup = Rules(supervisor=Supervisor(groups=("eng",)))
    on_call_nights = [(d, 23, 32) for d in range(6)]  # night 6 has nobody
    return [
        ("rest", [A], _frame(_rows("a", [(0, 14, 22), (1, 6, 14)])), Rules(), ()),
        ("shift_length", [A], _frame(_rows("a", [(0, 8, 20)])), Rules(), ()),
        ("days_off", [A], _frame(_rows("a", [(d, 8, 14) for d in range(6)])), Rules(), ()),
        ("consecutive_days", [A], _frame(_rows("a", WEEKDAYS_8_16)),
         Rules(consecutive_days=ConsecutiveDays(max_days=4)), ()),
        ("consecutive_nights", [A], _frame(_rows("a", night3)), Rules(), ()),
        ("weekly_hours", [Person("a", "eng", min_hours=40, max_hours=44)],
         _frame(_rows("a", [(d, 8, 16) for d in range(4)])), Rules(), ()),
        ("skill_cover", [A], _frame(_rows("a", WEEKDAYS_8_16)), skill, ()),
        ("supervisor", [A, B], _frame(_rows("a", WEEKDAYS_8_16), _rows("b", WEEKDAYS_8_16)),
         sup, ()),
        ("weekend_fairness", [A, B],
         _frame(_rows("a", [(0, 8, 16), (1, 8, 16), (2, 8, 16), (5, 8, 16), (6, 8, 16)]),
                _rows("b", WEEKDAYS_8_16)), Rules(), ()),
        ("night_fairness", [A, B],
         _frame(_rows("a", [(0, 23, 31), (2, 23, 31), (4, 23, 31)]),
                _rows("b", [(0, 8, 16), (2, 8, 16), (4, 8, 16)])), Rules(), ()),
        ("on_call", [A, B], _frame(_rows("a", on_call_nights[0::2], "on_call"),
                                   _rows("b", on_call_nights[1::2], "on_call")),
         Rules(), ("eng",)),
        ("leave", [Person("a", "eng", leave=frozenset({0}))], _frame(_rows("a", [(0, 8, 16)])),
         Rules(), ()),
        ("one_shift_per_day", [A], _frame(_rows("a", [(0, 0, 6), (0, 18, 24)])),
         _off("rest"), ()),
        ("night_eligibility", [Person("a", "eng", night=False)],
         _frame(_rows("a", [(0, 23, 31)])), Rules(), ()),
    ]


CASES = _cases()


def test_every_rule_has_a_case() -> None:
    assert {c[0] for c in CASES} == set(RULES)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_each_rule_is_caught_and_only_while_enabled(
        case: tuple[str, list[Person], pd.DataFrame, Rules, tuple[str, ...]]) -> None:
    rule, people, df, rules, groups = case
    assert _found(df, people, rules, groups) == {rule}
    assert _found(df, people, _off(rule, rules), groups) == set()


def test_on_call_rotation_and_spread() -> None:
    # every night covered, but a is on call Monday and Tuesday (rotation) and 4 nights to b's 3
    a_nights = [(0, 23, 32), (1, 23, 32), (3, 23, 32), (5, 23, 32)]
    b_nights = [(2, 23, 32), (4, 23, 32), (6, 23, 32)]
    df = _frame(_rows("a", a_nights, "on_call"), _rows("b", b_nights, "on_call"))
    found = check_roster(df, [A, B], on_call_groups=("eng",))
    assert [v.detail for v in found] == ["on call nights 0 and 1"]
    # working during one's own on-call period is caught too
    df = _frame(_rows("a", [(0, 23, 32)], "on_call"), _rows("a", [(1, 6, 14)]))
    assert [v.rule for v in check_roster(df, [A])] == ["on_call"]


def test_bad_rows_are_named() -> None:
    df = _frame(_rows("zed", WEEKDAYS_8_16))
    with pytest.raises(ValueError, match=r"not in the staff list: \['zed'\]"):
        check_roster(df, [A])
    df = _frame(_rows("a", WEEKDAYS_8_16))
    df.loc[0, "date"] = DATES[1]
    assert [v.rule for v in check_roster(df, [A])] == ["format"]
