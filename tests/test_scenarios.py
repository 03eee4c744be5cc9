"""Scenario files: loading, validation errors naming file and field, overrides, calendar."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from pydantic import TypeAdapter

from fcsim.model.control_points import SEED_CONTROL_POINTS
from fcsim.scenarios import (
    ScenarioError,
    apply_overrides,
    list_scenarios,
    load_scenario,
    scenario_from_dict,
)
from fcsim.scenarios.calendar import hour_of_week_weights, hourly_rates
from fcsim.scenarios.distributions import Distribution
from fcsim.sim.streams import Streams

SHIPPED = ["apartment", "hospital", "mmc", "mmc_priority"]


def _raw(name: str) -> dict:
    text = (resources.files("fcsim.scenarios") / f"{name}.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def test_shipped_scenarios_load() -> None:
    assert list_scenarios() == SHIPPED
    for name in SHIPPED:
        sc = load_scenario(name)
        assert sc.name == name
        assert len(sc.taxonomy()) == len(sc.categories)


def test_apartment_and_hospital_content() -> None:
    ap = load_scenario("apartment")
    assert ap.scenario.units == 300
    assert set(ap.taxonomy().names) == {"complaint", "help", "consultation", "engineering",
                                        "security", "fire", "cleaning"}
    assert ap.control_points().bounds("on_site") == SEED_CONTROL_POINTS.bounds("on_site")
    eng = ap.staff["engineering"]
    assert sum(eng.hourly(on_call=True)) > 0  # night on-call technicians
    assert eng.callout_min.mean > 0
    hos = load_scenario("hospital")
    cp = hos.control_points()  # 5 min on post for rescues only; ordinary visits 10 min
    assert cp.bounds("on_site").upper_s == 600
    assert cp.resolve("on_site", "critical").upper_s == 300
    assert cp.resolve("on_site", "consultation", emergency=True).upper_s == 300
    assert cp.resolve("on_site", "consultation").upper_s == 600
    assert str(hos.scenario.tz) == "Asia/Shanghai"
    fi = hos.categories["first_inquiry"]
    assert not fi.route_dispatch and not fi.route_site_visit
    assert hos.categories["critical"].emergency_p == 1.0


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "bad.toml"
    p.write_text(text, encoding="utf-8")
    return p


def _mmc_text() -> str:
    return (resources.files("fcsim.scenarios") / "mmc.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize(("old", "new", "field"), [
    ("rate_per_unit_day = 345.6", "rate_per_unit_day = -1.0",
     "categories.request.rate_per_unit_day"),
    ("rate_per_unit_day = 345.6", "rate_per_unit_day = 345.6\nmisroute_p = 1.5",
     "categories.request.misroute_p"),
    ('department = "front_desk"', 'department = ""', "categories.request.department"),
    ("count = 3 }]", "count = 3 }]\nbogus = 1", "staff.desk.bogus"),
    ("end_h = 24, count = 3", "end_h = 20, count = 3", "staff.desk"),
    ('mean = 10.0 }', 'mean = -10.0 }', "stages.record_min"),
    ("days = 20.0", "days = 0", "scenario.days"),
])
def test_invalid_values_name_file_and_field(tmp_path: Path, old: str, new: str,
                                             field: str) -> None:
    text = _mmc_text()
    assert old in text
    path = _write(tmp_path, text.replace(old, new, 1))
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    msg = str(exc.value)
    assert str(path) in msg and field in msg, msg


def test_uncovered_desk_hours_are_named(tmp_path: Path) -> None:
    path = _write(tmp_path, _mmc_text().replace("end_h = 24, count = 3", "end_h = 20, count = 3"))
    with pytest.raises(ScenarioError, match=r"uncovered at hour\(s\) \[20, 21, 22, 23\]"):
        load_scenario(path)


def test_cross_entity_errors() -> None:
    raw = _raw("apartment")
    raw["categories"]["engineering"]["profile"] = "nope"
    with pytest.raises(ScenarioError, match=r"categories\.engineering\.profile.*nope"):
        scenario_from_dict(raw, origin="x.toml")
    raw = _raw("apartment")
    raw["categories"]["engineering"]["department"] = "plumbing"
    with pytest.raises(ScenarioError, match="no technician group for department 'plumbing'"):
        scenario_from_dict(raw)
    raw = _raw("apartment")  # emergencies need the department covered around the clock
    raw["staff"]["engineering"]["shifts"] = [{"start_h": 8, "end_h": 17, "count": 3}]
    raw["staff"]["engineering"]["around_the_clock"] = False
    with pytest.raises(ScenarioError, match="emergencies need department 'engineering'"):
        scenario_from_dict(raw)
    raw = _raw("apartment")
    raw["categories"]["help"]["sources"] = {"customer_call": 0.5, "fax": 0.5}
    with pytest.raises(ScenarioError, match=r"categories.help.sources"):
        scenario_from_dict(raw)
    raw = _raw("hospital")
    raw["control_points"]["teleport"] = {"upper_s": 1}
    with pytest.raises(ScenarioError, match="unknown control point 'teleport'"):
        scenario_from_dict(raw)


def test_overrides_are_validated_and_never_mutate() -> None:
    base = load_scenario("apartment")
    v = apply_overrides(base, ["categories.engineering.rate_per_unit_day=0.05",
                               "policy.end_of_shift=handover",
                               'scenario.name="apt2"', "control_points.on_site.upper_s=300"])
    assert v.categories["engineering"].rate_per_unit_day == 0.05
    assert v.policy.end_of_shift == "handover" and v.name == "apt2"
    assert v.control_points().bounds("on_site").upper_s == 300
    assert base.categories["engineering"].rate_per_unit_day == 0.03
    assert base.name == "apartment"
    with pytest.raises(ScenarioError, match=r"--set.*categories.plumbing"):
        apply_overrides(base, ["categories.plumbing.rate_per_unit_day=1"])
    with pytest.raises(ScenarioError, match=r"--set.*rate_per_unit_day"):
        apply_overrides(base, ["categories.engineering.rate_per_unit_day=-2"])
    with pytest.raises(ScenarioError, match="emergency_p"):
        apply_overrides(base, ["categories.fire.emergency_p=1.5"])
    with pytest.raises(ScenarioError, match=r"expected path.to.field=value"):
        apply_overrides(base, ["categories"])


def test_unknown_scenario_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"unknown scenario 'nope'.*apartment"):
        load_scenario("nope")
    path = _write(tmp_path, "[scenario\nname=1")
    with pytest.raises(ScenarioError, match=r"bad\.toml: invalid TOML"):
        load_scenario(path)


def test_hour_of_week_rates_scale_by_occupancy_and_holidays() -> None:
    raw = _raw("apartment")
    sc = scenario_from_dict(raw)
    rates = hourly_rates(sc, days=7)
    # an ordinary week: mean per day = rate × units × occupancy (the profile has mean 1)
    for name, cat in sc.categories.items():
        per_day = rates[name].sum() * 60 / 7
        assert per_day == pytest.approx(cat.rate_per_unit_day * 300 * 0.85, rel=1e-9)
    w = hour_of_week_weights(sc.profiles["resident"])
    assert w.shape == (168,) and w.mean() == pytest.approx(1.0)
    # Monday 18:00 local over Monday 03:00 local = hourly[18] / hourly[3]
    r = rates["engineering"]
    assert r[18] / r[3] == pytest.approx(1.8 / 0.1)
    raw["scenario"]["holidays"] = [raw["scenario"]["start"].date() + timedelta(days=1)]
    hol = hourly_rates(scenario_from_dict(raw), days=7)["engineering"]
    assert np.allclose(hol[24:48] / r[24:48], 1.2) and np.allclose(hol[:24], r[:24])


def test_start_needs_offset_and_whole_hour() -> None:
    raw = _raw("mmc")
    raw["scenario"]["start"] = datetime(2026, 3, 2, 0, 0)
    with pytest.raises(ScenarioError, match=r"scenario.start.*UTC offset"):
        scenario_from_dict(raw)
    raw["scenario"]["start"] = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)
    with pytest.raises(ScenarioError, match="whole hour"):
        scenario_from_dict(raw)


@pytest.mark.parametrize(("spec", "mean", "sd"), [
    ({"dist": "exponential", "mean": 2.0}, 2.0, 2.0),
    ({"dist": "lognormal", "mean": 3.0, "cv": 0.5}, 3.0, 1.5),
    ({"dist": "gamma", "mean": 4.0, "cv": 0.25}, 4.0, 1.0),
    ({"dist": "weibull", "shape": 1.0, "scale": 2.0}, 2.0, 2.0),
    ({"dist": "uniform", "low": 1.0, "high": 3.0}, 2.0, 2.0 / np.sqrt(12)),
    ({"dist": "triangular", "low": 0.0, "mode": 0.0, "high": 3.0}, 1.0, np.sqrt(0.5)),
    ({"dist": "empirical", "values": [1.0, 2.0, 6.0]}, 3.0, np.sqrt(14 / 3)),
    (2.5, 2.5, 0.0),
])
def test_distribution_means(spec: object, mean: float, sd: float) -> None:
    d = TypeAdapter(Distribution).validate_python(spec)
    assert d.mean == pytest.approx(mean)
    n = 20000
    x = d.sample(np.random.default_rng(12345), n)
    half = 3.29 * sd / np.sqrt(n)  # 99.9 % interval of the sample mean
    assert half <= 0.05 * mean  # half-width cap: 5 % of the mean
    assert abs(x.mean() - mean) <= half + 1e-12


def test_streams_are_named_and_independent_of_each_other() -> None:
    a = Streams(7, 0)
    x1 = a.rng("work.engineering").random(5)
    b = Streams(7, 0)
    b.rng("something.new").random(100)  # a new stream shifts nothing
    assert np.array_equal(b.rng("work.engineering").random(5), x1)
    assert not np.array_equal(Streams(7, 1).rng("work.engineering").random(5), x1)
    assert not np.array_equal(Streams(8, 0).rng("work.engineering").random(5), x1)
