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
#: fcsim's form of KPI.md's "handover logged so that it cannot be mistaken for a preemption"
HANDOVER = ["handed_over", "taken_over"]


def test_activities_are_kpi_md_plus_the_handover() -> None:
    got = [a.value for a in Activity]
    assert [a for a in got if a not in HANDOVER] == KPI_ACTIVITIES
    assert got[got.index("resumed") + 1:got.index("resumed") + 3] == HANDOVER
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


# ---- bounds where the seed applies them; one definition of lateness; time zones --------------

def test_bounds_resolve_emergency_then_category_then_scenario_then_seed() -> None:
    cp = SEED_CONTROL_POINTS.with_bounds({"on_site": {"upper_s": 900}}).with_overrides({
        "on_site": {"category": {"critical": {"upper_s": 300}, "slow": {"lower_s": 60}},
                    "emergency": {"upper_s": 240}},
    })
    assert cp.resolve("on_site") == Bounds(upper_s=900)  # scenario-wide
    assert cp.resolve("on_site", "other") == Bounds(upper_s=900)
    assert cp.resolve("on_site", "critical") == Bounds(upper_s=300)  # category
    assert cp.resolve("on_site", "slow") == Bounds(lower_s=60, upper_s=900)  # inherits a side
    assert cp.resolve("on_site", "critical", emergency=True) == Bounds(upper_s=240)
    assert cp.resolve("record", "critical", emergency=True) == Bounds(upper_s=60)  # seed
    assert cp.overrides_dict() == {"on_site": {
        "category": {"critical": {"lower_s": None, "upper_s": 300},
                     "slow": {"lower_s": 60, "upper_s": 900}},
        "emergency": {"lower_s": None, "upper_s": 240}}}
    again = ControlPoints.from_dict(cp.to_dict(), cp.overrides_dict())
    assert again == cp
    with pytest.raises(ValueError, match=r"on_site.*unknown override keys"):
        cp.with_overrides({"on_site": {"categories": {}}})


def test_lateness_is_the_distance_outside_the_bounds() -> None:
    b = Bounds(lower_s=180, upper_s=300)
    assert [b.lateness_s(d) for d in (100, 180, 250, 300, 420)] == [80, 0, 0, 0, 120]
    assert Bounds(upper_s=60).lateness_s(90.5) == 30.5
    assert Bounds(lower_s=0).lateness_s(-5) == 5


def test_time_zones_by_name_offset_or_hours() -> None:
    from datetime import datetime, timedelta

    from fcsim.model.timezone import TimeZoneError, parse_tz, tz_name

    ams = parse_tz("Europe/Amsterdam")
    assert tz_name(ams) == "Europe/Amsterdam"
    assert datetime(2026, 7, 1, 12, tzinfo=ams).utcoffset() == timedelta(hours=2)  # DST
    assert datetime(2026, 1, 1, 12, tzinfo=ams).utcoffset() == timedelta(hours=1)
    for text, off in (("+08:00", 8 * 60), ("8", 8 * 60), ("-5", -5 * 60), ("5.5", 330),
                      ("UTC", 0), ("-03:30", -210), (8, 480)):
        got = parse_tz(text)
        assert got.utcoffset(None) == timedelta(minutes=off), text
    assert tz_name(parse_tz("8")) == "+08:00" and tz_name(parse_tz("0")) == "UTC"
    for bad in ("Mars/Olympus", "eight", ""):
        with pytest.raises(TimeZoneError, match="IANA name"):
            parse_tz(bad)
    with pytest.raises(TimeZoneError, match=r"'\+25:00'.*14:00"):
        parse_tz("+25:00")
