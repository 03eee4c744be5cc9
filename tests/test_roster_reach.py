"""The answer's sentence: a ceiling below the target says out of reach; a ceiling whose interval
reaches the target says the search stopped short and how to continue."""

from __future__ import annotations

from fcsim.roster.reach import Ceiling, sentence
from fcsim.scenarios import load_scenario
from fcsim.staffing.estimate import Estimate
from fcsim.staffing.targets import parse_target

APARTMENT = load_scenario("apartment")
TARGET = parse_target("clock.on_site>=85%")


def _est(value: float, lo: float, hi: float) -> Estimate:
    return Estimate("clock.on_site", 0.85, False, value, lo, hi, hi >= 0.85 and lo >= 0.85, 10,
                    0.9)


def _ceiling(value: float, lo: float, hi: float) -> Ceiling:
    e = _est(value, lo, hi)
    return Ceiling("clock.on_site", {"engineering": 3}, e, {"engineering": 6},
                   _est(value + 0.004, lo, hi + 0.004), [], 20)


def _say(ceil: Ceiling) -> tuple[str, str]:
    return sentence(target=TARGET, status="unreachable", achieved=_est(0.83, 0.81, 0.845),
                    cost_per_week=20000.0, scenario=APARTMENT, groups=["engineering"],
                    ceiling_=ceil, sources=None, windows={"engineering": (23, 32)},
                    heads={"engineering": 12})


def test_ceiling_below_the_target_is_out_of_reach() -> None:
    ceil = _ceiling(0.80, 0.79, 0.81)
    assert not ceil.reachable
    zh, en = _say(ceil)
    assert en.startswith("On site met levels off at 80.0 % (interval 79.0 %–81.0 %) with 3 "
                         "engineering staff on duty in every hour")
    assert "against a target of 85.0 %" in en and "最高只能到80.0 %" in zh


def test_ceiling_reaching_the_target_says_continue() -> None:
    ceil = _ceiling(0.86, 0.84, 0.88)
    assert ceil.reachable
    zh, en = _say(ceil)
    assert "is not yet met" in en and "within reach (86.0 %" in en
    assert "--max-iterations" in en and "levels off" not in en
    assert "尚未達標" in zh and "增加迭代次數" in zh
