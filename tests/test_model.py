"""The pure domain: taxonomy, activities, control points and targets as data."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from fcsim.model import (
    CLOCK_NAMES,
    DURATIVE,
    INDICATOR_IDS,
    INDICATORS,
    SEED_CONTROL_POINTS,
    Activity,
    Bounds,
    Category,
    ControlPoints,
    Target,
    Taxonomy,
    default_taxonomy,
)

KPI_ACTIVITIES = (
    "received relayed recorded emergency_reported classified misrouted dispatched signed "
    "contacted arrived diagnosed planned communicated work_started preempted resumed blocked "
    "escalated referred_to_meeting work_completed accepted rejected slip_returned callback "
    "callback_failed closed sample_callback"
).split()


def test_activities_are_exactly_kpi_md() -> None:
    assert [a.value for a in Activity] == KPI_ACTIVITIES
    assert {a.value for a in DURATIVE} == {
        "recorded", "classified", "arrived", "diagnosed", "planned", "communicated",
        "work_completed", "callback", "callback_failed",
    }


def test_default_taxonomy_is_the_seeds_seven() -> None:
    tax = default_taxonomy()
    assert tax.names == ("complaint", "help", "consultation", "engineering", "security", "fire",
                         "cleaning")
    assert tax["consultation"].route_dispatch is False
    assert tax["engineering"].department == "engineering"
    assert [c.label_zh for c in tax] == ["投訴", "求助", "咨詢", "工程", "安全", "消防", "清潔"]
    with pytest.raises(KeyError, match="unknown category 'plumbing'"):
        tax["plumbing"]


def test_taxonomy_rejects_bad_definitions() -> None:
    with pytest.raises(ValueError, match="no responsible department"):
        Category("x", "")
    with pytest.raises(ValueError, match="defined twice"):
        Taxonomy((Category("a", "d"), Category("a", "e")))
    with pytest.raises(ValueError, match="site visit needs dispatch"):
        Category("x", "d", route_dispatch=False, route_site_visit=True)


def test_seed_bounds_match_kpi_md() -> None:
    expected = {
        "record": (None, 60), "dispatch": (None, 120), "emergency_report": (None, 90),
        "on_site": (None, 600), "appointment_sign": (0, None),
        "appointment_call": (900, 1800), "appointment_arrival": (180, 300),
        "plan": (None, 180), "escalate": (None, 300), "callback": (None, 120),
    }
    assert CLOCK_NAMES == tuple(expected)
    for name, (lo, hi) in expected.items():
        b = SEED_CONTROL_POINTS.bounds(name)
        assert (b.lower_s, b.upper_s) == (lo, hi), name


def test_bounds_are_inclusive() -> None:
    b = Bounds(180, 300)
    assert b.contains(180) and b.contains(300) and not b.contains(179.999)
    assert not b.contains(300.001) and Bounds(upper_s=60).contains(0)
    with pytest.raises(ValueError):
        Bounds(300, 180)
    with pytest.raises(ValueError):
        Bounds(-1, None)


def test_overrides_make_copies() -> None:
    hospital = SEED_CONTROL_POINTS.with_bounds({"on_site": {"upper_s": 300}})
    assert hospital.bounds("on_site").upper_s == 300
    assert SEED_CONTROL_POINTS.bounds("on_site").upper_s == 600
    assert ControlPoints.from_dict(hospital.to_dict()) == hospital
    with pytest.raises(KeyError, match="unknown control point 'lunch'"):
        SEED_CONTROL_POINTS.with_bounds({"lunch": {"upper_s": 1}})


def test_targets() -> None:
    assert INDICATOR_IDS == ("timeliness", "satisfaction", "accuracy", "pass_rate",
                             "recognition", "callback_rate")
    assert [INDICATORS[i].target.label for i in INDICATOR_IDS] == [
        "= 100 %", "> 98 %", "> 98 %", "= 100 %", "> 99 %", "= 100 %"]
    all_ = Target("all")
    assert all_.met_by_counts(5, 5) is True and all_.met_by_counts(4, 5) is False
    assert all_.met_by_counts(0, 0) is None
    above = Target("above", 0.98)
    assert above.met_by_counts(49, 50) is False  # exactly 98 %: strict
    assert above.met_by_counts(99, 100) is True


def test_model_imports_no_pandas_simpy_or_io() -> None:
    banned = {"pandas", "simpy", "numpy", "sqlalchemy", "matplotlib", "os", "pathlib", "io"}
    for path in (Path(__file__).parents[1] / "fcsim" / "model").glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module.split(".")[0]]
            assert not banned.intersection(names), f"{path.name} imports {names}"
