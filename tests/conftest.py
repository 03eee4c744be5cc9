"""Shared test configuration.

* A Hypothesis profile ``ci`` (no deadline, derandomised) is loaded when ``CI=true``.
* ``need(...)``: skip with a reason on a user's machine when something is absent, but fail
  under ``CI=true``, where nothing may be skipped silently.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

IN_CI = os.environ.get("CI", "").lower() == "true"
REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
DATA = SHARED / "data"
KPI_EXAMPLES = SHARED / "kpi-examples"

settings.register_profile(
    "ci", deadline=None, derandomize=True, max_examples=60,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, max_examples=40)
settings.load_profile("ci" if IN_CI else os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def need(condition: bool, reason: str) -> None:
    """Skip (on a user's machine) or fail (under CI=true) when ``condition`` is false."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required under CI but absent: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def shared_data() -> Path:
    """The real ticket logs in ../shared/data (never copied into the repository)."""
    need(DATA.is_dir() and any(DATA.glob("*.csv.gz")), f"shared data not found at {DATA}")
    return DATA


@pytest.fixture
def kpi_examples() -> Path:
    need(KPI_EXAMPLES.is_dir(), f"KPI test vectors not found at {KPI_EXAMPLES}")
    return KPI_EXAMPLES
