"""The rosters of a run started at an instant: the scenario's, a live head-count, a "what if".

A forward run (:mod:`fcsim.sim.forward`) starts at the hour slot of its snapshot. Each staff
group's members and weekly roster come from the scenario (:func:`fcsim.sim.run.shift_roster`);
two changes apply on top, both for the run's own hours only:

* ``on_duty`` — a live head-count now (e.g. the supervisor says two engineers are in): that
  many members are on duty from now until the scenario's roster of the group next changes (the
  end of the current shift); the roster applies again after.
* ``extra`` — members added now for the whole run (the "one more technician now" question):
  new members, on duty in every hour of the run.

The run is shorter than a week, so the hour-of-week entries it changes are never read twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from fcsim.model.activities import Role
from fcsim.scenarios.config import Scenario
from fcsim.sim.run import shift_roster
from fcsim.sim.staff import Roster

__all__ = ["GroupRoster", "forward_rosters"]


@dataclass(frozen=True)
class GroupRoster:
    """One staff group's members and weekly roster for a forward run."""

    group: str
    role: Role
    department: str | None
    names: tuple[str, ...]
    roster: Roster

    def on_duty(self, slot: int) -> int:
        """Members on duty in hour-of-week ``slot``."""
        return len(self.roster[slot][0])


def _check(scenario: Scenario, groups: Mapping[str, int], what: str, low: int) -> None:
    for g, n in groups.items():
        if g not in scenario.staff:
            raise ValueError(f"{what}: no staff group {g!r} in scenario {scenario.name!r} "
                             f"(known: {', '.join(scenario.staff)})")
        if n < low:
            raise ValueError(f"{what}: {g} = {n}, must be >= {low}")


def forward_rosters(scenario: Scenario, slots: Sequence[int], *,
                    on_duty: Mapping[str, int] | None = None,
                    extra: Mapping[str, int] | None = None) -> dict[str, GroupRoster]:
    """Every staff group's roster for a run whose hour ``k`` is hour-of-week ``slots[k]``.

    Raises
    ------
    ValueError
        Naming the group when ``on_duty`` / ``extra`` names one the scenario lacks or gives a
        negative count (``extra`` must be ≥ 1).
    """
    on_duty, extra = dict(on_duty or {}), dict(extra or {})
    _check(scenario, on_duty, "on_duty", 0)
    _check(scenario, extra, "extra", 1)
    if len(slots) > 168:
        raise ValueError("a forward run is limited to one week")
    out: dict[str, GroupRoster] = {}
    for g, group in scenario.staff.items():
        names_l, base = shift_roster(group)
        names = list(names_l)
        roster = list(base)
        if g in on_duty and slots:
            n = on_duty[g]
            now = base[slots[0]]
            while len(names) < n:
                names.append(f"{group.prefix}-live-{len(names) + 1}")
            entry = (tuple(range(n)), tuple(i for i in now[1] if i >= n))
            for k in range(len(slots)):
                if base[slots[k]] != now:
                    break
                roster[slots[k]] = entry
        if g in extra:
            added = tuple(range(len(names), len(names) + extra[g]))
            names += [f"{group.prefix}-extra-{i + 1}" for i in range(extra[g])]
            for h in set(slots):
                duty, call = roster[h]
                roster[h] = (duty + added, call)
        out[g] = GroupRoster(g, group.role, group.department, tuple(names), tuple(roster))
    return out
