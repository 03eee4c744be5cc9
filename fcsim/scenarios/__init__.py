"""Scenarios: TOML files validated into frozen, typed configuration (:class:`Scenario`)."""

from fcsim.scenarios.config import (
    CategoryConfig,
    Costs,
    Meta,
    Outcomes,
    PersonWeek,
    Policy,
    Profile,
    Scenario,
    Shift,
    Span,
    StaffGroup,
    Staffing,
    Stages,
)
from fcsim.scenarios.load import (
    ScenarioError,
    apply_overrides,
    list_scenarios,
    load_scenario,
    scenario_from_dict,
)

__all__ = [
    "CategoryConfig",
    "Costs",
    "Meta",
    "Outcomes",
    "PersonWeek",
    "Policy",
    "Profile",
    "Scenario",
    "ScenarioError",
    "Shift",
    "Span",
    "StaffGroup",
    "Staffing",
    "Stages",
    "apply_overrides",
    "list_scenarios",
    "load_scenario",
    "scenario_from_dict",
]
