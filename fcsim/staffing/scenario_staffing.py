"""Staffing a scenario's staff group: its demand, rosters as scenario variants, and the
simulation evaluator the roster search calls.

* :func:`group_demand` — the hour-of-week arrival rate of work for a staff group and its mean
  work per ticket (hours), from the scenario's categories and stage means: the input of the
  analytic start (SIPP / lagged SIPP / ISA on an Erlang C model). The desk does record +
  classify + dispatch (or close) + callback tries + close; a technician group signs, travels,
  diagnoses, plans, communicates, works, waits for acceptance and returns the slip.
* :func:`with_roster` — the scenario with a group's on-duty shifts replaced by a roster.
* :class:`ScenarioEvaluator` — ``(roster, replication) -> metrics`` by simulating one week
  (replication *i* uses the same streams for every roster: common random numbers) and
  reading :func:`~fcsim.staffing.risk.replication_metrics`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from fcsim.model.activities import Role
from fcsim.scenarios import Scenario, ScenarioError, Shift, StaffGroup
from fcsim.scenarios.calendar import hour_of_week_weights
from fcsim.staffing.risk import replication_metrics
from fcsim.staffing.roster import Config, ShiftPattern

__all__ = ["GroupDemand", "ScenarioEvaluator", "group_demand", "with_roster"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GroupDemand:
    """Work arriving for one staff group.

    Attributes
    ----------
    rate_per_h : ndarray
        Tickets per hour for each hour of the week (Monday 00:00 first, scenario local time).
    mean_service_h : float
        Mean work per ticket, hours.
    """

    rate_per_h: npt.NDArray[np.float64]
    mean_service_h: float


def _group(scenario: Scenario, name: str) -> StaffGroup:
    if name not in scenario.staff:
        raise KeyError(f"scenario {scenario.name!r} has no staff group {name!r} "
                       f"(groups: {', '.join(scenario.staff)})")
    return scenario.staff[name]


def group_demand(scenario: Scenario, group: str) -> GroupDemand:
    """Hour-of-week arrival rate and mean work per ticket for staff group ``group``."""
    g = _group(scenario, group)
    meta, st, out = scenario.scenario, scenario.stages, scenario.outcomes
    weights = {n: hour_of_week_weights(p) for n, p in scenario.profiles.items()}
    rate = np.zeros(168)
    work = 0.0
    total = 0.0
    tries = sum(out.unreachable_p ** i for i in range(out.callback_max_tries))
    for cat in scenario.categories.values():
        if g.role == Role.DESK:
            pass
        elif g.role == Role.TECHNICIAN:
            if not (cat.route_site_visit and cat.department == g.department):
                continue
        else:  # supervisors see the blocked share
            if cat.block_p <= 0:
                continue
        per_h = cat.rate_per_unit_day * meta.units * meta.occupancy / 24.0
        if g.role == Role.SUPERVISOR:
            per_h *= cat.block_p
        r = per_h * weights[cat.profile]
        if g.role == Role.DESK:
            minutes = st.record_min.mean + st.classify_min.mean + st.close_min.mean
            if cat.route_dispatch:
                minutes += st.dispatch_min.mean
            if cat.route_callback:
                minutes += tries * st.callback_min.mean
            if cat.route_dispatch and not cat.route_callback:
                minutes += st.close_min.mean
        elif g.role == Role.TECHNICIAN:
            minutes = (st.sign_min.mean + st.travel_min.mean + cat.diagnose_min.mean
                       + st.plan_min.mean + st.communicate_min.mean + cat.work_min.mean
                       + st.acceptance_min.mean + st.slip_return_min.mean)
        else:
            minutes = st.supervisor_resolve_min.mean
        rate += r
        work += float(r.sum()) * minutes
        total += float(r.sum())
    if total <= 0:
        raise ValueError(f"staff group {group!r} receives no work in scenario {scenario.name!r}")
    return GroupDemand(rate, work / total / 60.0)


def with_roster(scenario: Scenario, group: str, patterns: Sequence[ShiftPattern],
                config: Config, *, name: str | None = None) -> Scenario:
    """``scenario`` with ``group``'s on-duty shifts replaced by ``config`` heads per pattern.

    On-call shifts are kept. Raises :class:`~fcsim.scenarios.ScenarioError` (naming the
    group) when the result is invalid, e.g. a desk hour left uncovered.
    """
    g = _group(scenario, group)
    if len(config) != len(patterns):
        raise ValueError(f"roster has {len(config)} counts for {len(patterns)} patterns")
    shifts = [Shift(start_h=p.start_h, end_h=p.end_h, count=int(c))
              for p, c in zip(patterns, config, strict=True) if c > 0]
    shifts += [s for s in g.shifts if s.on_call]
    if not shifts:
        raise ScenarioError(f"staff.{group}: roster {config} leaves no shift")
    data = g.model_dump(mode="python")
    data["shifts"] = [s.model_dump(mode="python") for s in shifts]
    try:
        new_group = StaffGroup.model_validate(data)
        staff = dict(scenario.staff)
        staff[group] = new_group
        update: dict[str, object] = {"staff": staff}
        if name is not None:
            update["scenario"] = scenario.scenario.model_copy(update={"name": name})
        return Scenario.model_validate({**scenario.to_data(), **update})
    except ValueError as exc:
        raise ScenarioError(f"staff.{group}: roster {config}: {exc}") from None


class ScenarioEvaluator:
    """``(roster, replication) -> metrics`` of one simulated week of a roster of ``group``.

    Parameters
    ----------
    scenario, group, patterns
        The scenario, the staff group to roster and its shift patterns.
    seed
        Root seed (replication *i* is the same in every roster).
    days
        Simulated days per replication (one week by default).
    """

    def __init__(self, scenario: Scenario, group: str, patterns: Sequence[ShiftPattern], *,
                 seed: int, days: float = 7.0) -> None:
        _group(scenario, group)
        self.scenario, self.group, self.patterns = scenario, group, tuple(patterns)
        self.seed, self.days = seed, days
        self.calls = 0
        self._cache: dict[tuple[Config, int], dict[str, float]] = {}

    def is_valid(self, config: Config) -> bool:
        """Whether the roster gives a valid scenario (e.g. the desk covered 24/7)."""
        try:
            with_roster(self.scenario, self.group, self.patterns, config)
        except ScenarioError:
            return False
        return True

    def __call__(self, config: Config, replication: int) -> Mapping[str, float]:
        key = (tuple(config), int(replication))
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        from fcsim.kpi import evaluate
        from fcsim.sim import simulate

        scen = with_roster(self.scenario, self.group, self.patterns, config)
        lg = simulate(scen, seed=self.seed, replication=replication, days=self.days)
        row = replication_metrics(evaluate(lg)).iloc[0]
        out = {k: float(v) for k, v in row.items() if k not in ("scenario", "replication")}
        self.calls += 1
        self._cache[key] = out
        return out
