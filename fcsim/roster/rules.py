"""The labour rules of a roster: each one switchable (``enabled``) and documented, with defaults.

A rules file (``fcsim roster --rules FILE``, TOML; optionally wrapped in ``[rules]``) sets any
of them, e.g.::

    [rest]
    min_h = 12
    [weekend_fairness]
    enabled = false
    [skill_cover]
    cover = [{ group = "engineering", skill = "electrical", min = 1, from_h = 8, to_h = 17 }]
    [shifts]
    starts_h = [0, 7, 8, 9, 15, 16, 23]        # allowed start hours (default: every hour)
    templates = { desk = [{ start_h = 0, end_h = 8 }, { start_h = 8, end_h = 16 }] }

:data:`RULES` lists the rules with their meaning (the documentation and ``summary.json`` use it).
A **night shift** has at least ``night.min_h`` of its hours in ``[night.start_h, night.end_h)``
(default 3 h within 23:00–06:00). A **work day** is a day on which a work shift starts.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from fcsim.staffing.toml_files import read_toml

__all__ = ["RULES", "Rules", "SkillNeed", "Template", "load_rules"]


class _M(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Rule(_M):
    enabled: bool = True


class Rest(_Rule):
    min_h: int = Field(default=11, ge=0, le=48)


class ShiftLength(_Rule):
    min_h: int = Field(default=6, ge=1, le=24)
    max_h: int = Field(default=10, ge=1, le=24)

    @model_validator(mode="after")
    def _order(self) -> ShiftLength:
        if self.min_h > self.max_h:
            raise ValueError("shift_length: min_h must not exceed max_h")
        return self


class DaysOff(_Rule):
    min_days: int = Field(default=2, ge=0, le=7)
    consecutive_preferred: bool = True
    consecutive_weight: float = Field(
        default=10.0, ge=0, description="cost (currency) of a week without two days off in a row")


class ConsecutiveDays(_Rule):
    max_days: int = Field(default=6, ge=1, le=7)


class ConsecutiveNights(_Rule):
    max_nights: int = Field(default=3, ge=1, le=7)


class SkillNeed(_M):
    """At least ``min`` people of ``group`` with ``skill`` on duty in hours ``[from_h, to_h)``
    of ``days`` (0 = Monday)."""

    group: str
    skill: str
    min: int = Field(default=1, ge=1)
    from_h: int = Field(default=0, ge=0, lt=24)
    to_h: int = Field(default=24, gt=0, le=24)
    days: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6)

    @model_validator(mode="after")
    def _hours(self) -> SkillNeed:
        if self.from_h >= self.to_h or any(not 0 <= d <= 6 for d in self.days):
            raise ValueError("skill cover: need from_h < to_h and days in 0-6")
        return self

    def hours_of_week(self) -> list[int]:
        return [d * 24 + h for d in sorted(set(self.days)) for h in range(self.from_h, self.to_h)]


class SkillCover(_Rule):
    cover: tuple[SkillNeed, ...] = ()


class Supervisor(_Rule):
    min_team: int = Field(default=2, ge=1, description="a team this large needs a leader")
    groups: tuple[str, ...] | None = Field(
        default=None, description="groups the rule applies to (default: every rostered group "
                                  "with a supervisor-qualified person)")


class Fairness(_Rule):
    spread: int = Field(default=1, ge=0)


class OnCall(_Rule):
    rotation: bool = Field(default=True, description="nobody on call two nights in a row")
    spread: int = Field(default=1, ge=0, description="on-call nights differ by at most this "
                                                      "among the eligible people")


class Template(_M):
    start_h: int = Field(ge=0, lt=24)
    end_h: int = Field(gt=0, le=48)

    @model_validator(mode="after")
    def _order(self) -> Template:
        if not self.start_h < self.end_h <= self.start_h + 24:
            raise ValueError(f"template: need start_h < end_h <= start_h + 24, got "
                             f"{self.start_h}, {self.end_h}")
        return self


class Shifts(_M):
    starts_h: tuple[int, ...] = tuple(range(24))
    free_lengths_h: tuple[int, ...] = tuple(range(4, 13))
    templates: dict[str, tuple[Template, ...]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> Shifts:
        if not self.starts_h or any(not 0 <= h < 24 for h in self.starts_h):
            raise ValueError("shifts.starts_h: need hours 0-23")
        if not self.free_lengths_h or any(not 1 <= h <= 24 for h in self.free_lengths_h):
            raise ValueError("shifts.free_lengths_h: need lengths 1-24")
        return self


class Night(_M):
    start_h: int = Field(default=23, ge=0, lt=24)
    end_h: int = Field(default=6, ge=0, lt=24)
    min_h: int = Field(default=3, ge=1, le=24)

    def is_night_hour(self, hour_of_day: int) -> bool:
        a, b = self.start_h, self.end_h
        return a <= hour_of_day < b if a < b else (hour_of_day >= a or hour_of_day < b)

    def is_night_shift(self, start_h: int, length_h: int) -> bool:
        return sum(self.is_night_hour((start_h + i) % 24) for i in range(length_h)) >= self.min_h


class Rules(_M):
    """Every rule with its settings (see :data:`RULES`)."""

    rest: Rest = Rest()
    shift_length: ShiftLength = ShiftLength()
    days_off: DaysOff = DaysOff()
    consecutive_days: ConsecutiveDays = ConsecutiveDays()
    consecutive_nights: ConsecutiveNights = ConsecutiveNights()
    weekly_hours: _Rule = _Rule()
    skill_cover: SkillCover = SkillCover()
    supervisor: Supervisor = Supervisor()
    weekend_fairness: Fairness = Fairness(spread=1)
    night_fairness: Fairness = Fairness(spread=2)
    on_call: OnCall = OnCall()
    leave: _Rule = _Rule()
    one_shift_per_day: _Rule = _Rule()
    night_eligibility: _Rule = _Rule()
    shifts: Shifts = Shifts()
    night: Night = Night()

    def lengths_h(self) -> tuple[int, ...]:
        """Allowed work-shift lengths (the shift-length rule's range, else the free lengths)."""
        r = self.shift_length
        return tuple(range(r.min_h, r.max_h + 1)) if r.enabled else self.shifts.free_lengths_h

    def enabled(self) -> dict[str, bool]:
        """Each rule of :data:`RULES` and whether it is on."""
        return {name: bool(getattr(self, name).enabled) for name in RULES}


#: The rules, their defaults and what they require (``summary.json`` lists them).
RULES: dict[str, str] = {
    "rest": "at least rest.min_h (11) hours between the end of a work shift and the next start",
    "shift_length": "work shifts last shift_length.min_h to max_h (6-10) hours",
    "days_off": "at least days_off.min_days (2) days without a shift start per week; two in a "
                "row preferred (a cost of consecutive_weight per person without)",
    "consecutive_days": "at most consecutive_days.max_days (6) work days in a row (the week "
                        "repeated)",
    "consecutive_nights": "at most consecutive_nights.max_nights (3) night shifts in a row, "
                          "then a day off",
    "weekly_hours": "each person's weekly work hours within their contract (min_hours, "
                    "max_hours; the minimum lowered by 8 h per leave day)",
    "skill_cover": "in the listed hours, at least `min` people with the skill on duty",
    "supervisor": "every hour a group has min_team (2) or more on duty, one of them is "
                  "supervisor-qualified",
    "weekend_fairness": "weekend work days differ by at most spread (1) among the people "
                        "working that week and not on leave at the weekend",
    "night_fairness": "night shifts differ by at most spread (2) among the night-eligible "
                      "people working that week without leave",
    "on_call": "exactly one on-call person every night for a group with an on-call pattern, "
               "nobody two nights in a row, on-call nights differing by at most spread (1) "
               "among the eligible people without leave; nobody works during their on-call",
    "leave": "no work or on-call in any hour of a person's leave day",
    "one_shift_per_day": "at most one work shift starts per person and day",
    "night_eligibility": "only night-eligible people work night shifts, only on-call-eligible "
                         "people are on call",
}


def load_rules(path: str | Path) -> Rules:
    """Read a rules file (see the module docstring); errors name the file and the field."""
    p, data = read_toml(path, "rules")
    if set(data) == {"rules"} and isinstance(data["rules"], dict):
        data = data["rules"]
    try:
        return Rules.model_validate(data)
    except ValidationError as exc:
        msgs = [f"{p}: {'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise ValueError("\n".join(msgs)) from None
