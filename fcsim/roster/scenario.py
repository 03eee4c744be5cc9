"""Between a scenario and a roster problem: the roster week, costs, default staff pools, and
the scenario that simulates a roster (its person-roster form).

* :func:`week_start` — the Monday (local) of the week the roster describes: the week of the
  scenario's start. The simulation repeats this week.
* :func:`cost_per_h` — a group's cost of one person-hour on duty in each hour of the week from
  the scenario's ``[costs]`` (currency, premiums); without ``[costs]``, 1 per person-hour
  (currency ``"person-hour"``).
* :func:`headcount_cost_per_week` — the weekly cost of a head-count group (``shifts``).
* :func:`default_pool` — enough interchangeable people for a requirement.
* :func:`with_people` — the scenario with the rostered groups in person-roster form.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from datetime import date, datetime, timedelta

import numpy as np
import numpy.typing as npt

from fcsim.roster.people import Person, default_people
from fcsim.roster.problem import GroupSpec, Roster
from fcsim.scenarios import PersonWeek, Scenario, ScenarioError, Span, StaffGroup

__all__ = ["cost_per_h", "currency", "default_pool", "group_spec", "headcount_cost_per_week",
           "headcount_variant",
           "local_start", "on_call_share", "week_start", "with_people"]

log = logging.getLogger(__name__)


def week_start(scenario: Scenario) -> date:
    """The Monday (local date) of the scenario start's week."""
    start = scenario.scenario.start.astimezone(scenario.scenario.tz)
    return (start - timedelta(days=start.weekday())).date()


def local_start(scenario: Scenario, day: int, hour: int) -> datetime:
    """The local date-time (with its offset) of ``hour`` o'clock on ``day`` of the roster week
    (``hour`` may pass 24: the next day)."""
    base = datetime.combine(week_start(scenario) + timedelta(days=day), datetime.min.time())
    return (base + timedelta(hours=hour)).replace(tzinfo=scenario.scenario.tz)


def currency(scenario: Scenario) -> str:
    return scenario.costs.currency if scenario.costs is not None else "person-hour"


def on_call_share(scenario: Scenario) -> float:
    return scenario.costs.on_call_share if scenario.costs is not None else 0.2


def cost_per_h(scenario: Scenario, group: str) -> npt.NDArray[np.float64]:
    """Cost of one person on duty in ``group`` in each local hour of the week."""
    g = scenario.staff[group]
    if scenario.costs is None:
        return np.ones(168)
    return np.asarray(scenario.costs.hourly(group, str(g.role)), dtype=float)


def headcount_cost_per_week(scenario: Scenario, group: str) -> float:
    """Weekly cost of a group's roster (either form): hours on duty at their hourly cost plus
    on-call hours at the on-call share."""
    g = scenario.staff[group]
    cost = cost_per_h(scenario, group)
    duty = np.asarray(g.weekly(on_call=False), dtype=float)
    call = np.asarray(g.weekly(on_call=True), dtype=float)
    return float(duty @ cost + on_call_share(scenario) * (call @ cost))


def group_spec(scenario: Scenario, group: str, requirement: npt.ArrayLike,
               on_call: tuple[int, int] | None) -> GroupSpec:
    """The roster problem's view of a group: requirement, costs, on-call period."""
    return GroupSpec(group, np.asarray(requirement, dtype=np.int64), cost_per_h(scenario, group),
                     on_call, on_call_share(scenario))


def default_pool(scenario: Scenario, group: str, requirement: npt.ArrayLike, *,
                 on_call: bool, size: int | None = None) -> list[Person]:
    """Interchangeable people for ``group``: ``size`` of them, by default enough for one and a
    half times the requirement's person-hours at 40 h each plus two (at least four with an
    on-call rota, so nobody is on call two nights running)."""
    req = np.asarray(requirement, dtype=float)
    if size is None:
        size = math.ceil(1.5 * float(req.sum()) / 40.0) + 2
        if on_call:
            size = max(size, 4)
    return default_people(group, scenario.staff[group].prefix, max(int(size), 1))


def with_people(scenario: Scenario, roster: Roster, *, name: str | None = None) -> Scenario:
    """``scenario`` with each rostered group in person-roster form (people without any shift
    are left out); errors name the group."""
    staff = dict(scenario.staff)
    for gname in roster.problem.groups:
        people = []
        for p in roster.problem.members(gname):
            work = tuple(Span(day=a.day, start_h=a.start_h, end_h=a.start_h + a.length_h)
                         for a in roster.of(p.name, "work"))
            call = tuple(Span(day=a.day, start_h=a.start_h, end_h=a.start_h + a.length_h)
                         for a in roster.of(p.name, "on_call"))
            if work or call:
                people.append(PersonWeek(name=p.name, work=work, on_call=call))
        data = staff[gname].model_dump(mode="python")
        data["shifts"] = ()
        data["people"] = tuple(pw.model_dump(mode="python") for pw in people)
        try:
            staff[gname] = StaffGroup.model_validate(data)
        except ValueError as exc:
            raise ScenarioError(f"staff.{gname}: the roster is not a valid staff group: "
                                f"{exc}") from None
    update: dict[str, object] = {"staff": staff}
    if name is not None:
        update["scenario"] = scenario.scenario.model_copy(update={"name": name})
    try:
        return Scenario.model_validate({**scenario.to_data(), **update})
    except ValueError as exc:
        raise ScenarioError(f"the roster makes an invalid scenario: {exc}") from None


def headcount_variant(scenario: Scenario, counts: Mapping[str, int], *,
                      name: str | None = None) -> Scenario:
    """``scenario`` with each group of ``counts`` on duty around the clock at that head count
    (its on-call pattern kept): the ceiling's rosters."""
    staff = dict(scenario.staff)
    for gname, n in counts.items():
        g = staff[gname]
        window = None
        for s in g.shifts:
            if s.on_call and s.count > 0:
                window = (int(s.start_h), int(s.end_h))
        if window is None:
            spans = [(sp.start_h, sp.end_h) for p in g.people for sp in p.on_call]
            window = max(set(spans), key=spans.count) if spans else None
        shifts: list[dict[str, object]] = [{"start_h": 0, "end_h": 24, "count": int(n)}]
        if window is not None:
            shifts.append({"start_h": window[0], "end_h": window[1], "count": 1,
                           "on_call": True})
        data = g.model_dump(mode="python")
        data["shifts"] = shifts
        data["people"] = ()
        staff[gname] = StaffGroup.model_validate(data)
    update: dict[str, object] = {"staff": staff}
    if name is not None:
        update["scenario"] = scenario.scenario.model_copy(update={"name": name})
    return Scenario.model_validate({**scenario.to_data(), **update})
