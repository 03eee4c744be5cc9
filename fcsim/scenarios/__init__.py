"""Scenarios: TOML files validated into frozen, typed configuration (:class:`Scenario`)."""

from fcsim.scenarios.config import (
    CategoryConfig,
    Meta,
    Outcomes,
    Policy,
    Profile,
    Scenario,
    Shift,
    StaffGroup,
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
    "Meta",
    "Outcomes",
    "Policy",
    "Profile",
    "Scenario",
    "ScenarioError",
    "Shift",
    "StaffGroup",
    "Stages",
    "apply_overrides",
    "list_scenarios",
    "load_scenario",
    "scenario_from_dict",
]
