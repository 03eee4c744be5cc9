"""Scenario regression checks: compare a scenario's KPIs with a stored baseline.

:mod:`~fcsim.check.measures` (the KPIs compared), :mod:`~fcsim.check.baseline` (the baseline
file: per scenario and KPI a mean, standard error and n), :mod:`~fcsim.check.check` (Welch
t tests with Holm–Bonferroni, family-wise error at most 1 % by default) and
:mod:`~fcsim.check.report` (JSON and JUnit-XML). In pytest::

    from fcsim.check import assert_no_regression, read_baseline
    assert_no_regression([load_scenario("apartment")], read_baseline("baselines/apartment.json"))
"""

from fcsim.check.baseline import (
    Baseline,
    BaselineError,
    KpiStats,
    ScenarioBaseline,
    make_baseline,
    read_baseline,
    scenario_fingerprint,
    write_baseline,
)
from fcsim.check.check import (
    DEFAULT_ALPHA,
    CheckReport,
    KpiCheck,
    RegressionError,
    ScenarioNotInBaseline,
    assert_no_regression,
    check_scenarios,
    holm_reject,
    welch_from_summary,
)
from fcsim.check.measures import replication_kpis
from fcsim.check.report import report_to_json, report_to_junit, write_json, write_junit

__all__ = [
    "DEFAULT_ALPHA",
    "Baseline",
    "BaselineError",
    "CheckReport",
    "KpiCheck",
    "KpiStats",
    "RegressionError",
    "ScenarioBaseline",
    "ScenarioNotInBaseline",
    "assert_no_regression",
    "check_scenarios",
    "holm_reject",
    "make_baseline",
    "read_baseline",
    "replication_kpis",
    "report_to_json",
    "report_to_junit",
    "scenario_fingerprint",
    "welch_from_summary",
    "write_baseline",
    "write_json",
    "write_junit",
]
