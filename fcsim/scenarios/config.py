"""The typed, frozen configuration of a scenario, organised by entity.

A :class:`Scenario` holds one table per category (its route, department, arrival rate and
probabilities), one per staff group (role, department, shifts), the stage durations, the
outcome models and the policies. Every value is validated here, once; the simulator trusts it.
Units are in the names (``*_min`` minutes, ``*_h`` hours, ``*_p`` probabilities).
"""

from __future__ import annotations

import math
from datetime import date, datetime, tzinfo
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_serializer,
    model_validator,
)

from fcsim.model.activities import Role
from fcsim.model.control_points import SEED_CONTROL_POINTS, ControlPoints
from fcsim.model.indicators import INDICATORS, Target
from fcsim.model.taxonomy import Category, Source, Taxonomy
from fcsim.model.timezone import parse_tz, tz_name
from fcsim.scenarios.distributions import Distribution, Fixed, Uniform

__all__ = [
    "CategoryConfig",
    "Costs",
    "DurationFactors",
    "Meta",
    "Outcomes",
    "PersonWeek",
    "Policy",
    "Profile",
    "Quality",
    "Scenario",
    "Shift",
    "Span",
    "StaffGroup",
    "Staffing",
    "Stages",
]

Prob = float  # documented alias; bounds are enforced with Field(ge=0, le=1)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Meta(_Frozen):
    """What the scenario is: name, window start, length, size, calendar and time zone.

    ``time_zone`` (an IANA name such as ``Asia/Shanghai``, or a fixed offset ``+08:00``) is
    where people read dates: rosters, hour-of-week profiles, weeks and months, figures. Without
    it, the zone is ``start``'s fixed UTC offset. With it, ``start`` may be written without an
    offset (it is then local time) or with the zone's offset at that instant.
    """

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    start: datetime
    time_zone: str | None = None
    days: float = Field(gt=0)
    units: int = Field(gt=0, description="serviced units (hospital: beds); scales arrival rates")
    occupancy: float = Field(gt=0, le=1)
    occupancy_by_month: tuple[float, ...] | None = None
    holidays: tuple[date, ...] = ()
    holiday_factor: float = Field(default=1.0, ge=0)
    drain_max_days: float = Field(default=30.0, gt=0)
    day_factor_cv: float = Field(
        default=0.0, ge=0, le=5,
        description="coefficient of variation of a gamma day factor (mean 1) shared by every "
        "category's arrival rate: day-to-day over-dispersion; 0 = Poisson")

    @model_validator(mode="before")
    @classmethod
    def _zone(cls, data: Any) -> Any:
        if not isinstance(data, dict) or data.get("time_zone") is None:
            return data
        tz = parse_tz(data["time_zone"])
        data = {**data, "time_zone": tz_name(tz)}
        start = data.get("start")
        if isinstance(start, str):
            try:
                start = datetime.fromisoformat(start)
            except ValueError:
                return data  # the field validator names it
        if isinstance(start, datetime):
            if start.tzinfo is None:
                start = start.replace(tzinfo=tz)
            else:
                local = start.astimezone(tz)
                if local.utcoffset() != start.utcoffset():
                    raise ValueError(
                        f"start {start.isoformat()} has offset {start.utcoffset()}, but "
                        f"time_zone {data['time_zone']} is at {local.utcoffset()} then")
                start = local
            data["start"] = start
        return data

    @field_validator("start")
    @classmethod
    def _aware(cls, v: datetime) -> datetime:
        if v.tzinfo is None or v.utcoffset() is None:
            raise ValueError("start needs a UTC offset (2026-03-02T00:00:00+08:00) or a "
                             "time_zone")
        if v.minute or v.second or v.microsecond:
            raise ValueError("start must be on a whole hour")
        return v

    @property
    def tz(self) -> tzinfo:
        """The site's time zone (``time_zone``, else ``start``'s offset)."""
        if self.time_zone is not None:
            return parse_tz(self.time_zone)
        assert self.start.tzinfo is not None
        return self.start.tzinfo

    @field_validator("occupancy_by_month")
    @classmethod
    def _months(cls, v: tuple[float, ...] | None) -> tuple[float, ...] | None:
        if v is not None and (len(v) != 12 or any(not 0 < x <= 1 for x in v)):
            raise ValueError("occupancy_by_month needs 12 values in (0, 1]")
        return v


class Profile(_Frozen):
    """Relative arrival weights by hour of day (24) and day of week (7, Monday first)."""

    hourly: tuple[float, ...] = (1.0,) * 24
    weekly: tuple[float, ...] = (1.0,) * 7

    @model_validator(mode="after")
    def _shape(self) -> Profile:
        if len(self.hourly) != 24 or len(self.weekly) != 7:
            raise ValueError("a profile needs 24 hourly and 7 weekly weights")
        if min(self.hourly) < 0 or min(self.weekly) < 0:
            raise ValueError("profile weights must be >= 0")
        if sum(self.hourly) <= 0 or sum(self.weekly) <= 0:
            raise ValueError("profile weights must not all be 0")
        return self


class _Side(_Frozen):
    """One clock's bounds in seconds (a side left out is inherited)."""

    lower_s: float | None = Field(default=None, ge=0)
    upper_s: float | None = Field(default=None, ge=0)


class _BoundsIn(_Side):
    """Scenario-wide bounds of a clock, with an optional override for emergencies."""

    emergency: _Side | None = None


#: stages a category may draw jointly (``joint_fields``): the durations of one pass
JOINT_STAGES: tuple[str, ...] = (
    "relay", "record", "classify", "dispatch", "misroute_return", "travel", "diagnose", "plan",
    "communicate", "work", "acceptance", "slip_return", "callback", "close")


class CategoryConfig(_Frozen):
    """Everything about one request category (分類), as in the department responsibility table."""

    department: str = Field(min_length=1)
    label_zh: str = ""
    label_en: str = ""
    route_dispatch: bool = True
    route_site_visit: bool = True
    route_callback: bool = True
    rate_per_unit_day: float = Field(ge=0, description="requests per occupied unit per day")
    profile: str = "flat"
    emergency_p: float = Field(default=0.0, ge=0, le=1)
    appointment_p: float = Field(default=0.0, ge=0, le=1)
    misroute_p: float = Field(default=0.0, ge=0, le=1)
    block_p: float = Field(default=0.0, ge=0, le=1)
    supervisor_resolves_p: float = Field(default=1.0, ge=0, le=1)
    meeting_resolves_p: float = Field(
        default=1.0, ge=0, le=1,
        description="a manager meeting resolves a referred ticket that day (else the next)")
    reject_p: float = Field(default=0.0, ge=0, le=1,
                            description="failed acceptance of a punctual, unhurried first pass")
    reject_decay: float = Field(default=1.0, ge=0, le=1,
                                description="pass k starts from reject_p × decay**(k-1)")
    remote_acceptance: bool = Field(
        default=False, description="work done without a site visit ends with the customer's "
        "acceptance, which may reject it (a second pass); outside the seed's paper process, "
        "where only site work is accepted — for models of real logs that record it")
    record_error_p: float = Field(default=0.0, ge=0, le=1,
                                  description="a record error when nobody waits for the desk")
    charge_p: float = Field(default=0.0, ge=0, le=1, description="share of paid jobs")
    charge: Distribution = Fixed(value=0.0)
    materials: tuple[str, ...] = ()
    sources: dict[Source, float] = Field(default_factory=lambda: {Source.CUSTOMER_CALL: 1.0})
    diagnose_min: Distribution = Fixed(value=0.0)
    work_min: Distribution = Fixed(value=0.0)
    joint_fields: tuple[str, ...] = Field(
        default=(), description="stages drawn jointly (a joint bootstrap of observed stage "
        "vectors, one row of joint_rows per pass) instead of independently")
    joint_rows: tuple[tuple[float, ...], ...] = ()
    control_points: dict[str, _Side] = Field(
        default_factory=dict, description="this category's clock bounds (seconds)")

    @model_validator(mode="after")
    def _check(self) -> CategoryConfig:
        if bool(self.joint_fields) != bool(self.joint_rows):
            raise ValueError("joint_fields and joint_rows go together")
        bad = sorted(set(self.joint_fields) - set(JOINT_STAGES))
        if bad or len(set(self.joint_fields)) != len(self.joint_fields):
            raise ValueError(f"joint_fields must be distinct stages of {list(JOINT_STAGES)}, "
                             f"got {list(self.joint_fields)}")
        for k, r in enumerate(self.joint_rows):
            if len(r) != len(self.joint_fields) or any(not (v >= 0) for v in r):
                raise ValueError(f"joint_rows[{k}] must hold {len(self.joint_fields)} "
                                 f"non-negative minutes, got {list(r)}")
        if self.route_site_visit and not self.route_dispatch:
            raise ValueError("route_site_visit needs route_dispatch = true")
        if self.remote_acceptance and not (self.route_dispatch and not self.route_site_visit):
            raise ValueError("remote_acceptance needs route_dispatch = true and "
                             "route_site_visit = false (site work is always accepted)")
        shares = list(self.sources.values())
        if not shares or any(not 0 <= s <= 1 for s in shares) or abs(sum(shares) - 1) > 1e-9:
            raise ValueError(f"sources shares must be in [0, 1] and sum to 1, got {self.sources}")
        if self.route_callback and not self.route_site_visit:
            raise ValueError("route_callback needs route_site_visit = true (a callback follows "
                             "the returned slip of site work)")
        if self.appointment_p > 0 and not self.route_site_visit:
            raise ValueError("appointment_p > 0 needs route_site_visit = true")
        if self.emergency_p + self.appointment_p > 1 + 1e-12:
            raise ValueError("emergency_p + appointment_p must not exceed 1")
        if self.charge_p > 0 and not self.route_site_visit:
            raise ValueError("charge_p > 0 needs route_site_visit = true (charges are agreed "
                             "when the plan is communicated on site)")
        return self


class Shift(_Frozen):
    """``count`` staff on duty from ``start_h`` to ``end_h`` every day (may pass midnight).

    ``on_call`` staff are at home: they answer emergencies only, after a call-out delay.
    """

    start_h: float = Field(ge=0, lt=24)
    end_h: float = Field(gt=0, le=48)
    count: int = Field(ge=0)
    on_call: bool = False

    @model_validator(mode="after")
    def _order(self) -> Shift:
        if not self.start_h < self.end_h <= self.start_h + 24:
            raise ValueError(f"need start_h < end_h <= start_h + 24, got {self.start_h}, "
                             f"{self.end_h}")
        if self.start_h != int(self.start_h) or self.end_h != int(self.end_h):
            raise ValueError("shift boundaries must be whole hours")
        return self


class Span(_Frozen):
    """One stretch of a person's week: ``day`` (0 = Monday) from ``start_h`` to ``end_h``
    local hours (``end_h`` may pass midnight, up to 24 h after ``start_h``)."""

    day: int = Field(ge=0, le=6)
    start_h: int = Field(ge=0, lt=24)
    end_h: int = Field(gt=0, le=48)

    @model_validator(mode="after")
    def _order(self) -> Span:
        if not self.start_h < self.end_h <= self.start_h + 24:
            raise ValueError(f"need start_h < end_h <= start_h + 24, got {self.start_h}, "
                             f"{self.end_h}")
        return self

    def hours_of_week(self) -> list[int]:
        """The local hours of the week (0–167, the week repeated) the span covers."""
        base = self.day * 24
        return [(base + h) % 168 for h in range(self.start_h, self.end_h)]


class PersonWeek(_Frozen):
    """A named person's week, repeated every week: ``work`` shifts on duty and ``on_call``
    periods at home (answering emergencies after the group's call-out delay)."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    work: tuple[Span, ...] = ()
    on_call: tuple[Span, ...] = ()

    @model_validator(mode="after")
    def _overlap(self) -> PersonWeek:
        seen: dict[int, str] = {}
        for kind, spans in (("work", self.work), ("on_call", self.on_call)):
            for sp in spans:
                for h in sp.hours_of_week():
                    if h in seen:
                        raise ValueError(f"person {self.name!r}: {kind} span {sp.day}/"
                                         f"{sp.start_h}-{sp.end_h} overlaps their {seen[h]} "
                                         f"at hour of week {h}")
                    seen[h] = kind
        return self


class StaffGroup(_Frozen):
    """A staff group with its roster: the desk, a department's technicians, supervisors.

    The roster has one of two forms: ``shifts`` (head counts on daily shift patterns, each
    shift its own members) or ``people`` (named people, each with their own week of work
    shifts and on-call periods, repeated every week — what ``fcsim roster`` writes).
    """

    role: Literal[Role.DESK, Role.TECHNICIAN, Role.SUPERVISOR, Role.MANAGER]
    department: str | None = None
    prefix: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_-]+$")
    shifts: tuple[Shift, ...] = ()
    people: tuple[PersonWeek, ...] = ()
    around_the_clock: bool = False
    callout_min: Distribution = Fixed(value=0.0)

    def hourly(self, *, on_call: bool) -> tuple[int, ...]:
        """Staff on duty (or on call) in each hour of the day, 0–23 (a person roster: the
        fewest over the seven days)."""
        if self.people:
            week = self.weekly(on_call=on_call)
            return tuple(min(week[d * 24 + h] for d in range(7)) for h in range(24))
        out = [0] * 24
        for s in self.shifts:
            if s.on_call != on_call:
                continue
            for h in range(int(s.start_h), int(s.end_h)):
                out[h % 24] += s.count
        return tuple(out)

    def weekly(self, *, on_call: bool) -> tuple[int, ...]:
        """Staff on duty (or on call) in each local hour of the week, 0–167 (Monday 00:00)."""
        if not self.people:
            day = self.hourly(on_call=on_call)
            return tuple(day[h % 24] for h in range(168))
        out = [0] * 168
        for p in self.people:
            for sp in (p.on_call if on_call else p.work):
                for h in sp.hours_of_week():
                    out[h] += 1
        return tuple(out)

    @model_validator(mode="after")
    def _check(self) -> StaffGroup:
        if bool(self.shifts) == bool(self.people):
            raise ValueError("a staff group needs either shifts (head counts) or people (a "
                             "person roster), not both")
        names = [p.name for p in self.people]
        if len(set(names)) != len(names):
            raise ValueError(f"people: names must be unique, got {names}")
        if self.role == Role.TECHNICIAN and not self.department:
            raise ValueError("a technician group needs a department")
        if self.role == Role.DESK and (any(s.on_call for s in self.shifts)
                                       or any(p.on_call for p in self.people)):
            raise ValueError("the front desk has no on-call shifts (it is the 24/7 hub)")
        if self.around_the_clock or self.role == Role.DESK:
            reg, call = self.weekly(on_call=False), self.weekly(on_call=True)
            gaps = [h for h in range(168) if reg[h] + call[h] == 0
                    or (self.role == Role.DESK and reg[h] == 0)]
            if gaps:
                what = (f"hour(s) {sorted({h % 24 for h in gaps})}" if not self.people
                        else f"hour(s) of the week {gaps}")
                raise ValueError(f"roster leaves this 24/7 role uncovered at {what}")
        return self


class Stages(_Frozen):
    """Durations of the stages that do not depend on the category (minutes)."""

    relay_min: Distribution = Fixed(value=0.0)
    record_min: Distribution = Fixed(value=0.0)
    emergency_record_min: Distribution = Fixed(value=0.0)
    classify_min: Distribution = Fixed(value=0.0)
    dispatch_min: Distribution = Fixed(value=0.0)
    emergency_report_min: Distribution = Fixed(value=0.0)
    emergency_dispatch_min: Distribution = Fixed(value=0.0)
    misroute_return_min: Distribution = Fixed(value=0.0)
    sign_min: Distribution = Fixed(value=0.0)
    travel_min: Distribution = Fixed(value=0.0)
    wrong_location_min: Distribution = Fixed(value=0.0)
    plan_min: Distribution = Fixed(value=0.0)
    communicate_min: Distribution = Fixed(value=0.0)
    escalate_min: Distribution = Fixed(value=0.0)
    supervisor_resolve_min: Distribution = Fixed(value=0.0)
    meeting_min: Distribution = Fixed(value=0.0)
    acceptance_min: Distribution = Fixed(value=0.0)
    slip_return_min: Distribution = Fixed(value=0.0)
    callback_min: Distribution = Fixed(value=0.0)
    close_min: Distribution = Fixed(value=0.0)
    appointment_lead_min: Distribution = Fixed(value=120.0)
    precall_min: Distribution = Uniform(low=16.0, high=29.0)
    early_arrival_min: Distribution = Uniform(low=3.0, high=5.0)
    sample_callback_delay_min: Distribution = Fixed(value=60.0)


class Outcomes(_Frozen):
    """Callback and outcome models (satisfaction, sample checks).

    P(satisfied) = ``satisfaction_base`` × exp(−lateness / ``lateness_scale_min``) ×
    ``rework_factor`` ** (passes − 1), where lateness is the ticket's total time outside its
    control-point bounds (minutes) as the simulator measured it.
    """

    satisfaction_base: float = Field(default=1.0, ge=0, le=1)
    lateness_scale_min: float = Field(default=60.0, gt=0)
    rework_factor: float = Field(default=1.0, ge=0, le=1)
    unreachable_p: float = Field(default=0.0, ge=0, le=1)
    callback_max_tries: int = Field(default=1, ge=1)
    callback_retry_min: Distribution = Fixed(value=30.0)
    sample_callback_p: float = Field(default=0.0, ge=0, le=1)


class Quality(_Frozen):
    """How what a ticket lives through moves its outcomes (the indicators it earns).

    Every mechanism multiplies the **odds** of an outcome, starting from the category's base
    probability (``record_error_p``, ``misroute_p``, ``reject_p``), and reads only what the
    ticket itself experienced: the callers waiting when the desk took its call, the jobs
    waiting in the department when its work started, a preemption or hand-over of its work,
    a night call-out, its lateness so far. None reads staff counts or scenario parameters.
    A probability of 0 stays 0.
    """

    record_error_odds_per_waiting: float = Field(
        default=1.3, ge=1, description="× per caller waiting for the desk at the record")
    misroute_odds_per_waiting: float = Field(
        default=1.3, ge=1, description="× per caller waiting for the desk at the classify")
    waiting_cap: int = Field(default=10, ge=0, description="waiting counts above are capped")
    record_error_location_share: float = Field(default=1 / 3, ge=0, le=1)
    record_error_phone_share: float = Field(default=1 / 3, ge=0, le=1)
    record_error_content_share: float = Field(default=1 / 3, ge=0, le=1)
    reject_odds_per_waiting: float = Field(
        default=1.15, ge=1, description="× per job waiting in the department at work start")
    reject_odds_preempted: float = Field(default=2.0, ge=1)
    reject_odds_handed_over: float = Field(default=1.5, ge=1)
    reject_odds_night_callout: float = Field(default=1.5, ge=1)
    reject_odds_per_late_hour: float = Field(
        default=1.3, ge=1, description="× per hour of the ticket's lateness so far")
    late_hours_cap: float = Field(default=4.0, ge=0, description="lateness above is capped")
    reopen_dissatisfied_p: float = Field(
        default=1.0, ge=0, le=1,
        description="the first reached callback that finds the customer not satisfied opens a "
                    "second pass (seed: close only after a good callback); later ones close")
    charge_dispute_p: float = Field(default=0.0, ge=0, le=1)

    @model_validator(mode="after")
    def _shares(self) -> Quality:
        total = (self.record_error_location_share + self.record_error_phone_share
                 + self.record_error_content_share)
        if abs(total - 1) > 1e-9:
            raise ValueError(f"record_error_*_share must sum to 1, got {total}")
        return self


class Policy(_Frozen):
    """Documented modelling choices."""

    end_of_shift: Literal["finish", "handover"] = "finish"
    desk_preemption: bool = Field(
        default=True, description="an emergency call preempts a clerk's routine desk work")
    preempted_position: Literal["front", "back"] = "front"
    meeting_h: float = Field(default=9.0, ge=0, lt=24)
    appointment_open_h: float = Field(default=9.0, ge=0, lt=24)
    appointment_close_h: float = Field(default=18.0, gt=0, le=24)
    close_timer: bool = Field(
        default=False, description="the delay before a close without callback is a timer "
        "(an automatic closing rule): it elapses without a clerk, who then closes at once")

    @model_validator(mode="after")
    def _hours(self) -> Policy:
        if self.appointment_open_h >= self.appointment_close_h:
            raise ValueError("appointment_open_h must be before appointment_close_h")
        return self


class Costs(_Frozen):
    """Labour costs: an hourly rate per role or staff group, premiums and a currency.

    The cost of one person-hour in local hour of the week ``k`` is ``rate × (1 + night +
    weekend)``: ``night_premium`` when the hour lies in ``[night_start_h, night_end_h)``
    (passing midnight when start > end), ``weekend_premium`` on ``weekend_days`` (0 = Monday).
    An on-call hour costs ``on_call_share`` of that. ``per_hour`` keys are staff group names or
    roles (``desk``, ``technician``, ``supervisor``, ``manager``); a group's own rate wins.
    """

    currency: str = Field(default="CNY", min_length=1)
    per_hour: dict[str, float] = Field(default_factory=dict)
    night_premium: float = Field(default=0.0, ge=0)
    night_start_h: int = Field(default=22, ge=0, lt=24)
    night_end_h: int = Field(default=6, ge=0, lt=24)
    weekend_premium: float = Field(default=0.0, ge=0)
    weekend_days: tuple[int, ...] = (5, 6)
    on_call_share: float = Field(default=0.2, ge=0, le=1)

    @field_validator("per_hour")
    @classmethod
    def _rates(cls, v: dict[str, float]) -> dict[str, float]:
        bad = {k: x for k, x in v.items() if not (math.isfinite(x) and x >= 0)}
        if bad:
            raise ValueError(f"per_hour rates must be finite and >= 0, got {bad}")
        return v

    @field_validator("weekend_days")
    @classmethod
    def _days(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        if any(not 0 <= d <= 6 for d in v) or len(set(v)) != len(v):
            raise ValueError(f"weekend_days must be distinct days 0-6, got {list(v)}")
        return v

    def is_night(self, hour_of_day: int) -> bool:
        """Whether the local hour of the day earns the night premium."""
        a, b = self.night_start_h, self.night_end_h
        return a <= hour_of_day < b if a < b else (hour_of_day >= a or hour_of_day < b)

    def rate(self, group: str, role: str) -> float:
        """The base hourly rate of ``group`` (its own, else its role's)."""
        if group in self.per_hour:
            return self.per_hour[group]
        if role in self.per_hour:
            return self.per_hour[role]
        raise KeyError(f"costs.per_hour has no rate for staff group {group!r} or role {role!r}")

    def hourly(self, group: str, role: str) -> tuple[float, ...]:
        """Cost of one person on duty in each local hour of the week (0 = Monday 00:00)."""
        base = self.rate(group, role)
        return tuple(base * (1.0 + (self.night_premium if self.is_night(k % 24) else 0.0)
                             + (self.weekend_premium if k // 24 in self.weekend_days else 0.0))
                     for k in range(168))


class Staffing(_Frozen):
    """What ``fcsim staff`` and ``fcsim roster`` aim for when no ``--target`` is given:
    target expressions (``timeliness>=95%``, ``clock.on_site>=0.9``) at a confidence."""

    targets: tuple[str, ...] = ()
    confidence: float = Field(default=0.9, ge=0.5, lt=1)


class _TargetIn(_Frozen):
    kind: Literal["all", "above"]
    threshold: float = Field(default=1.0, ge=0, le=1)


class DurationFactors(_Frozen):
    """Optional factors on the durations of a job (``[duration_factors]``).

    ``hour``: per logged activity (``recorded``, ``work_completed`` …), 24 factors by the local
    hour of day at which the job holding that step starts; a step of an activity not listed
    keeps its drawn duration. ``resource_sigma``: per staff group, the σ of a lognormal speed
    factor ``exp(σ Z − σ²/2)`` (mean 1) that each member of the group draws once per
    replication from a stream keyed by (group, member index); every step the member performs
    (except the customer's decisions) is scaled by it. The ticket's own draws are untouched
    (common random numbers hold). Written by ``fcsim calibrate --durations hour|hour+resource``
    (:mod:`fcsim.calibrate.factors`); applied by :mod:`fcsim.sim.duration_factors`.
    """

    hour: dict[str, tuple[float, ...]] = Field(default_factory=dict)
    resource_sigma: dict[str, float] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> DurationFactors:
        from fcsim.model.activities import Activity

        names = {a.value for a in Activity} - {"accepted", "rejected"}
        for act, f in self.hour.items():
            if act not in names:
                raise ValueError(f"duration_factors.hour: unknown activity {act!r} "
                                 f"(one of {', '.join(sorted(names))})")
            if len(f) != 24:
                raise ValueError(f"duration_factors.hour.{act}: need 24 factors (hours 0-23), "
                                 f"got {len(f)}")
            bad = [x for x in f if not (math.isfinite(x) and 0 < x <= 100)]
            if bad:
                raise ValueError(f"duration_factors.hour.{act}: factors must be in (0, 100], "
                                 f"got {bad[0]}")
        for g, sig in self.resource_sigma.items():
            if not (math.isfinite(sig) and 0 <= sig <= 3):
                raise ValueError(f"duration_factors.resource_sigma.{g}: σ must be in [0, 3], "
                                 f"got {sig}")
        return self


class Scenario(_Frozen):
    """A whole scenario: plain validated data, never mutated (use :meth:`model_copy`).

    In the file, the table ``[control_points.<clock>]`` (``lower_s``, ``upper_s``, and an
    ``emergency = {..}`` override) replaces the seed's bounds; ``[categories.<c>.control_points.
    <clock>]`` sets a category's own; ``[targets.<indicator>]`` (``kind``, ``threshold``) the
    targets. Bounds resolve emergency → category → scenario → seed (:mod:`fcsim.model.
    control_points`).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    scenario: Meta
    profiles: dict[str, Profile] = Field(default_factory=lambda: {"flat": Profile()})
    categories: dict[str, CategoryConfig] = Field(min_length=1)
    staff: dict[str, StaffGroup] = Field(min_length=1)
    stages: Stages = Stages()
    outcomes: Outcomes = Outcomes()
    quality: Quality = Quality()
    policy: Policy = Policy()
    bounds: dict[str, _BoundsIn] = Field(default_factory=dict, alias="control_points")
    targets: dict[str, _TargetIn] = Field(default_factory=dict)
    costs: Costs | None = None
    staffing: Staffing = Staffing()
    duration_factors: DurationFactors | None = None

    @model_serializer(mode="wrap")
    def _dump(self, handler: Any) -> dict[str, Any]:
        # an absent [duration_factors] is left out of dumps: fingerprints of the scenarios
        # without it stay what they were
        data = handler(self)
        if self.duration_factors is None:
            data.pop("duration_factors", None)
        return data

    @property
    def name(self) -> str:
        return self.scenario.name

    @model_validator(mode="after")
    def _cross(self) -> Scenario:
        if "flat" not in self.profiles:
            raise ValueError("profiles: the 'flat' profile may not be redefined away")
        desks = [k for k, g in self.staff.items() if g.role == Role.DESK]
        if len(desks) != 1:
            raise ValueError(f"staff: need exactly one desk group, got {desks}")
        tech_depts = {g.department for g in self.staff.values() if g.role == Role.TECHNICIAN}
        dup = [d for d in tech_depts if sum(
            1 for g in self.staff.values() if g.role == Role.TECHNICIAN and g.department == d
        ) > 1]
        if dup:
            raise ValueError(f"staff: more than one technician group for department(s) {dup}")
        prefixes = [g.prefix for g in self.staff.values()]
        if len(set(prefixes)) != len(prefixes):
            raise ValueError(f"staff: prefixes must be unique, got {prefixes}")
        people = [p.name for g in self.staff.values() for p in g.people]
        if len(set(people)) != len(people):
            dup_p = sorted({n for n in people if people.count(n) > 1})
            raise ValueError(f"staff: a person may be in one group only, got {dup_p} twice")
        for name, cat in self.categories.items():
            where = f"categories.{name}"
            if cat.profile not in self.profiles:
                raise ValueError(f"{where}.profile: unknown profile {cat.profile!r} "
                                 f"(known: {', '.join(self.profiles)})")
            if cat.route_site_visit and cat.department not in tech_depts:
                raise ValueError(f"{where}.department: no technician group for department "
                                 f"{cat.department!r}")
            if cat.emergency_p > 0 and cat.route_site_visit:
                grp = next(g for g in self.staff.values()
                           if g.role == Role.TECHNICIAN and g.department == cat.department)
                reg, call = grp.weekly(on_call=False), grp.weekly(on_call=True)
                gaps = [h for h in range(168) if reg[h] + call[h] == 0]
                if gaps:
                    shown = sorted({h % 24 for h in gaps}) if not grp.people else gaps
                    unit = "hours" if not grp.people else "hours of the week"
                    raise ValueError(f"{where}: emergencies need department {cat.department!r} "
                                     f"covered 24/7 (on duty or on call); uncovered {unit} "
                                     f"{shown}")
            if cat.block_p > 0 and not any(g.role == Role.SUPERVISOR for g in self.staff.values()):
                raise ValueError(f"{where}.block_p > 0 needs a supervisor staff group")
        for clock in self.bounds:
            if clock not in SEED_CONTROL_POINTS.specs:
                raise ValueError(f"control_points: unknown control point {clock!r}")
        for name, cat in self.categories.items():
            for clock in cat.control_points:
                if clock not in SEED_CONTROL_POINTS.specs:
                    raise ValueError(f"categories.{name}.control_points: unknown control "
                                     f"point {clock!r}")
        self.control_points()  # bounds consistency
        for ind in self.targets:
            if ind not in INDICATORS:
                raise ValueError(f"targets: unknown indicator {ind!r}")
        if self.costs is not None:
            known = {*self.staff, *(str(r) for r in Role)}
            unknown = sorted(set(self.costs.per_hour) - known)
            if unknown:
                raise ValueError(f"costs.per_hour: unknown staff group or role {unknown} "
                                 f"(groups: {', '.join(self.staff)})")
            missing = [k for k, g in self.staff.items()
                       if k not in self.costs.per_hour and str(g.role) not in self.costs.per_hour]
            if missing:
                raise ValueError(f"costs.per_hour: no rate for staff group(s) {missing} "
                                 "(give the group's or its role's rate)")
        if not math.isfinite(self.scenario.days):
            raise ValueError("scenario.days must be finite")
        if self.duration_factors is not None:
            unknown = sorted(set(self.duration_factors.resource_sigma) - set(self.staff))
            if unknown:
                raise ValueError(f"duration_factors.resource_sigma: unknown staff group(s) "
                                 f"{unknown} (groups: {', '.join(self.staff)})")
        return self

    def control_points(self) -> ControlPoints:
        """The seed's control points with this scenario's bounds and overrides."""
        wide = {k: b.model_dump(exclude_unset=True, exclude={"emergency"})
                for k, b in self.bounds.items()}
        per: dict[str, dict[str, Any]] = {}
        for k, b in self.bounds.items():
            if b.emergency is not None:
                per.setdefault(k, {})["emergency"] = b.emergency.model_dump(exclude_unset=True)
        for cat, c in self.categories.items():
            for k, side in c.control_points.items():
                per.setdefault(k, {}).setdefault("category", {})[cat] = side.model_dump(
                    exclude_unset=True)
        try:
            return SEED_CONTROL_POINTS.with_bounds(wide).with_overrides(per)
        except ValueError as exc:
            raise ValueError(f"control_points: {exc}") from None

    def manifest_bounds(self) -> dict[str, Any]:
        """What a run's ``manifest.json`` says about this scenario's clocks, zone and targets:
        ``control_points`` (scenario-wide, ``KPI.md``), ``control_point_overrides`` (per
        category / emergency), ``time_zone`` and, when the scenario sets any, ``targets``
        (``{indicator: {kind, threshold}}``), each keyed by the scenario's name."""
        cp = self.control_points()
        out: dict[str, Any] = {"control_points": {self.name: cp.to_dict()},
                               "control_point_overrides": {self.name: cp.overrides_dict()},
                               "time_zone": {self.name: tz_name(self.scenario.tz)}}
        if self.targets:  # the KPI engine applies them for any number of replications
            out["targets"] = {self.name: {k: {"kind": t.kind, "threshold": t.threshold}
                                          for k, t in self.targets.items()}}
        return out

    def to_data(self) -> dict[str, Any]:
        """Raw data (Python values, file names) that :func:`scenario_from_dict` turns back
        into this scenario; bounds keep only the sides the file set (an unset side keeps the
        level below, not None)."""
        data = self.model_dump(mode="python", by_alias=True)
        data["control_points"] = {k: b.model_dump(exclude_unset=True)
                                  for k, b in self.bounds.items()}
        for name, c in self.categories.items():
            data["categories"][name]["control_points"] = {
                k: side.model_dump(exclude_unset=True) for k, side in c.control_points.items()}
        return data

    def taxonomy(self) -> Taxonomy:
        """The scenario's categories as a domain :class:`~fcsim.model.Taxonomy`."""
        return Taxonomy(tuple(
            Category(n, c.department, c.route_dispatch, c.route_site_visit, c.route_callback,
                     c.label_zh, c.label_en)
            for n, c in self.categories.items()
        ))

    def indicator_targets(self) -> dict[str, Target]:
        """The six indicator targets: the seed's, overridden by the ``[targets]`` table."""
        out = {k: s.target for k, s in INDICATORS.items()}
        for k, t in self.targets.items():
            out[k] = Target(t.kind, t.threshold)
        return out

    def desk_group(self) -> StaffGroup:
        return next(g for g in self.staff.values() if g.role == Role.DESK)

    def as_json(self) -> dict[str, Any]:
        """The configuration as JSON-compatible data (for the run manifest)."""
        return self.model_dump(mode="json", by_alias=True)
