"""The roster problem (people, each group's hourly requirement, costs, on-call pattern, rules)
and its answer, a :class:`Roster` of people's work shifts and on-call nights for one week.

Hours are local hours of the week, 0 = Monday 00:00; the week repeats, so a shift starting on
Sunday evening runs into Monday morning of the same (repeated) week.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from fcsim.roster.people import Person
from fcsim.roster.rules import Rules

__all__ = ["Assignment", "GroupSpec", "Roster", "RosterProblem", "as_requirement", "span_hours"]


def span_hours(day: int, start_h: int, length_h: int) -> list[int]:
    """Hours of the week covered by a span starting ``start_h`` on ``day`` (wrapping)."""
    base = day * 24 + start_h
    return [(base + i) % 168 for i in range(length_h)]


@dataclass(frozen=True)
class GroupSpec:
    """One rostered staff group.

    Attributes
    ----------
    name : str
        The scenario's staff group.
    requirement : ndarray of int, shape (168,)
        People required on duty in each hour of the week.
    cost_per_h : ndarray, shape (168,)
        Cost of one person-hour on duty in each hour (premiums included).
    on_call : (start_h, end_h) or None
        The nightly on-call period (from the scenario's on-call pattern, ``end_h`` may pass
        midnight), or ``None`` for a group without one.
    on_call_share : float
        An on-call hour costs this share of an hour on duty.
    """

    name: str
    requirement: npt.NDArray[np.int64]
    cost_per_h: npt.NDArray[np.float64]
    on_call: tuple[int, int] | None = None
    on_call_share: float = 0.2

    def __post_init__(self) -> None:
        req = np.asarray(self.requirement)
        if req.shape != (168,) or np.any(req < 0):
            raise ValueError(f"group {self.name}: requirement needs 168 values >= 0")
        cost = np.asarray(self.cost_per_h, dtype=float)
        if cost.shape != (168,) or not np.all(np.isfinite(cost)) or np.any(cost < 0):
            raise ValueError(f"group {self.name}: cost_per_h needs 168 finite values >= 0")
        if self.on_call is not None:
            a, b = self.on_call
            if not (0 <= a < 24 and a < b <= a + 24):
                raise ValueError(f"group {self.name}: on-call period {self.on_call} invalid")

    @property
    def on_call_length_h(self) -> int:
        return 0 if self.on_call is None else self.on_call[1] - self.on_call[0]


@dataclass(frozen=True)
class RosterProblem:
    """People to roster, the groups with their requirements, and the rules."""

    people: tuple[Person, ...]
    groups: Mapping[str, GroupSpec]
    rules: Rules = field(default_factory=Rules)

    def __post_init__(self) -> None:
        names = [p.name for p in self.people]
        if len(set(names)) != len(names):
            raise ValueError("people: names must be unique")
        for p in self.people:
            if p.group not in self.groups:
                raise ValueError(f"person {p.name}: group {p.group!r} is not rostered "
                                 f"({', '.join(self.groups)})")
        for g in self.groups:
            if not any(p.group == g for p in self.people):
                raise ValueError(f"group {g!r} has nobody to roster")

    def members(self, group: str) -> list[Person]:
        return [p for p in self.people if p.group == group]

    def person_cost_per_h(self, person: Person) -> npt.NDArray[np.float64]:
        """The person's hourly cost: the group's, scaled to their own base rate if given."""
        g = self.groups[person.group]
        cost = np.asarray(g.cost_per_h, dtype=float)
        if person.rate_per_h is None:
            return cost
        base = float(cost.min())
        return cost * (person.rate_per_h / base) if base > 0 else np.full(168,
                                                                           person.rate_per_h)


@dataclass(frozen=True)
class Assignment:
    """``kind`` ``work`` or ``on_call``: ``person`` from ``start_h`` on ``day`` for
    ``length_h`` hours."""

    person: str
    group: str
    day: int
    start_h: int
    length_h: int
    kind: str

    def hours(self) -> list[int]:
        return span_hours(self.day, self.start_h, self.length_h)


@dataclass(frozen=True)
class Roster:
    """A week of work shifts and on-call periods for the problem's people."""

    problem: RosterProblem
    assignments: tuple[Assignment, ...]

    def of(self, person: str, kind: str | None = None) -> list[Assignment]:
        return [a for a in self.assignments
                if a.person == person and (kind is None or a.kind == kind)]

    def scheduled(self, group: str, kind: str = "work") -> npt.NDArray[np.int64]:
        """People of ``group`` on duty (``work``) or on call in each hour of the week."""
        out = np.zeros(168, dtype=np.int64)
        for a in self.assignments:
            if a.group == group and a.kind == kind:
                out[a.hours()] += 1
        return out

    def shortfall(self, group: str) -> npt.NDArray[np.int64]:
        """Required minus scheduled, where positive."""
        req = np.asarray(self.problem.groups[group].requirement, dtype=np.int64)
        return np.maximum(req - self.scheduled(group), 0)

    def cost_per_week(self) -> float:
        """Work hours at each person's hourly cost plus on-call hours at its share."""
        total = 0.0
        by_name = {p.name: p for p in self.problem.people}
        for a in self.assignments:
            p = by_name[a.person]
            cost = self.problem.person_cost_per_h(p)
            share = 1.0 if a.kind == "work" else self.problem.groups[a.group].on_call_share
            total += share * float(cost[a.hours()].sum())
        return total

    def people_used(self, group: str | None = None) -> int:
        """People with at least one work shift or on-call night."""
        return len({a.person for a in self.assignments if group is None or a.group == group})

    def work_hours(self, person: str) -> int:
        return sum(a.length_h for a in self.of(person, "work"))


def as_requirement(values: Sequence[float] | npt.ArrayLike) -> npt.NDArray[np.int64]:
    """168 non-negative integers (rounded up) from any array of hourly requirements."""
    v = np.asarray(values, dtype=float)
    if v.shape != (168,) or not np.all(np.isfinite(v)) or np.any(v < 0):
        raise ValueError("a requirement needs 168 finite values >= 0")
    return np.ceil(v - 1e-9).astype(np.int64)
