"""Staff with contracts: who can be rostered, for how many hours, with which skills.

A staff file (``fcsim roster --staff FILE``) is TOML with one ``[[people]]`` table per person::

    [[people]]
    name = "eng-wang"          # unique; the simulation's resource name
    group = "engineering"      # the scenario's staff group the person works in
    min_hours = 40             # contract: weekly hours (work shifts; on call is not work)
    max_hours = 44
    skills = ["electrical"]    # trades, matched by the skill-cover rule
    night = true               # may work night shifts
    on_call = true             # may be on call at night
    supervisor = false         # may lead a shift (the supervisor rule)
    leave = ["2026-03-04", "sun"]   # dates in the roster's week, or weekdays (mon … sun)
    rate_per_h = 65.0          # optional: the person's own base rate (else the scenario's)

Without a staff file, :func:`default_people` makes a pool for each group large enough for its
requirement (contracts 0–44 h, every third person supervisor-qualified).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from fcsim.staffing.toml_files import read_toml

__all__ = ["WEEKDAYS", "Person", "default_people", "load_people", "parse_leave"]

#: Weekday names accepted in ``leave`` (0 = Monday).
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_FIELDS = {"name", "group", "min_hours", "max_hours", "skills", "night", "on_call",
           "supervisor", "leave", "rate_per_h"}


@dataclass(frozen=True)
class Person:
    """One person and their contract (see the module docstring); ``leave`` holds days of the
    roster week (0 = Monday)."""

    name: str
    group: str
    min_hours: float = 0.0
    max_hours: float = 44.0
    skills: frozenset[str] = field(default_factory=frozenset)
    night: bool = True
    on_call: bool = True
    supervisor: bool = False
    leave: frozenset[int] = field(default_factory=frozenset)
    rate_per_h: float | None = None

    def __post_init__(self) -> None:
        if not self.name or not all(ch.isalnum() or ch in "_.-" for ch in self.name):
            raise ValueError(f"person name {self.name!r}: use letters, digits, '_', '.', '-'")
        if not (0 <= self.min_hours <= self.max_hours <= 168):
            raise ValueError(f"person {self.name}: need 0 <= min_hours <= max_hours <= 168, "
                             f"got {self.min_hours}, {self.max_hours}")
        if any(not 0 <= d <= 6 for d in self.leave):
            raise ValueError(f"person {self.name}: leave days must be 0-6")
        if self.rate_per_h is not None and not (math.isfinite(self.rate_per_h)
                                                and self.rate_per_h >= 0):
            raise ValueError(f"person {self.name}: rate_per_h must be finite and >= 0")


def parse_leave(values: Iterable[Any], week_start: date, where: str) -> frozenset[int]:
    """Days of the roster week from ISO dates (inside the week) or weekday names/numbers."""
    out: set[int] = set()
    for v in values:
        if isinstance(v, date):
            d = (v - week_start).days
        elif isinstance(v, int) and not isinstance(v, bool):
            d = v
        elif isinstance(v, str) and v.strip().lower()[:3] in WEEKDAYS and not v[:1].isdigit():
            d = WEEKDAYS.index(v.strip().lower()[:3])
        elif isinstance(v, str):
            try:
                d = (date.fromisoformat(v.strip()) - week_start).days
            except ValueError:
                raise ValueError(f"{where}: leave value {v!r} is neither a date nor a "
                                 "weekday (mon … sun)") from None
        else:
            raise ValueError(f"{where}: leave value {v!r} is neither a date nor a weekday")
        if not 0 <= d <= 6:
            raise ValueError(f"{where}: leave {v!r} is outside the roster week starting "
                             f"{week_start.isoformat()}")
        out.add(d)
    return frozenset(out)


def load_people(path: str | Path, *, week_start: date,
                groups: Sequence[str] | None = None) -> list[Person]:
    """Read a staff file; errors name the file, the person's row and the field.

    Parameters
    ----------
    path
        The TOML file.
    week_start
        The Monday of the roster week (dates in ``leave`` must fall in it).
    groups
        The scenario's staff groups (a person's ``group`` must be one of them).
    """
    p, data = read_toml(path, "staff")
    rows = data.get("people")
    if not isinstance(rows, list) or not rows:
        raise ValueError(f"{p}: needs [[people]] tables (one per person)")
    out: list[Person] = []
    for i, row in enumerate(rows):
        where = f"{p}: people[{i}]"
        if not isinstance(row, Mapping):
            raise ValueError(f"{where}: expected a table")
        unknown = sorted(set(row) - _FIELDS)
        if unknown:
            raise ValueError(f"{where}: unknown field(s) {unknown} (known: {sorted(_FIELDS)})")
        for key in ("name", "group"):
            if not isinstance(row.get(key), str):
                raise ValueError(f"{where}: field {key!r} is required (a string)")
        if groups is not None and row["group"] not in groups:
            raise ValueError(f"{where}: group {row['group']!r} is not a staff group of the "
                             f"scenario ({', '.join(groups)})")
        try:
            skills = row.get("skills", [])
            if not isinstance(skills, list) or not all(isinstance(s, str) for s in skills):
                raise ValueError("skills must be a list of strings")
            for key in ("night", "on_call", "supervisor"):
                if not isinstance(row.get(key, True), bool):
                    raise ValueError(f"{key} must be true or false")
            out.append(Person(
                name=row["name"], group=row["group"],
                min_hours=float(row.get("min_hours", 0.0)),
                max_hours=float(row.get("max_hours", 44.0)), skills=frozenset(skills),
                night=bool(row.get("night", True)), on_call=bool(row.get("on_call", True)),
                supervisor=bool(row.get("supervisor", False)),
                leave=parse_leave(row.get("leave", []), week_start, where),
                rate_per_h=None if row.get("rate_per_h") is None else float(row["rate_per_h"])))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{where} ({row.get('name')}): {exc}") from None
    names = [q.name for q in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(f"{p}: person names must be unique, repeated: {dup}")
    return out


def default_people(group: str, prefix: str, count: int, *, max_hours: float = 44.0,
                   min_hours: float = 0.0) -> list[Person]:
    """A pool of ``count`` interchangeable people for ``group`` (``prefix-01`` …): contracts
    ``min_hours``–``max_hours``, night and on-call eligible, every third one (the first
    included) supervisor-qualified."""
    if count < 1:
        raise ValueError("count must be >= 1")
    return [Person(f"{prefix}-{k + 1:02d}", group, min_hours=min_hours, max_hours=max_hours,
                   supervisor=k % 3 == 0) for k in range(count)]
