"""Bounds where the seed applies them: per category and for emergencies, row by row.

Hand-built logs with known answers. Three on-site visits of 450 s each (dispatched 100 →
arrived 550; an emergency's clock starts at ``emergency_reported`` instead): with the
hospital's rule (300 s for emergencies and critical patients, 600 s elsewhere) the ordinary
visit is met and the other two breach by 150 s.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from logbuilder import LogBuilder

from fcsim.cli import main
from fcsim.eventlog import read_log, write_log
from fcsim.kpi import control_points, evaluate
from fcsim.kpi.bounds import (
    load_control_points,
    manifest_control_points,
    parse_control_points,
    resolve_bounds,
)
from fcsim.model import SEED_CONTROL_POINTS

HOSPITAL_OVERRIDES = {"on_site": {"category": {"critical": {"upper_s": 300}},
                                  "emergency": {"upper_s": 300}}}


def _visits(scenario: str | None = None, manifest: dict | None = None) -> LogBuilder:
    b = LogBuilder(scenario=scenario, replication=None if scenario is None else 0,
                   manifest=manifest)
    b.ticket("ORD", category="engineering").steps(
        (0, "received"), (30, "recorded"), (100, "dispatched"), (550, "arrived"))
    b.ticket("CRIT", category="critical").steps(
        (0, "received"), (30, "recorded"), (100, "dispatched"), (550, "arrived"))
    b.ticket("EMERG", category="engineering", emergency=True).steps(
        (0, "received"), (30, "recorded"), (100, "emergency_reported"), (550, "arrived"))
    return b


def _on_site(cp: pd.DataFrame) -> pd.DataFrame:
    rows = cp[cp["control_point"].astype(str) == "on_site"]
    return rows.set_index(rows["ticket_id"].astype(str))


def _check_hospital_rule(cp: pd.DataFrame) -> None:
    on = _on_site(cp)
    assert on.loc["ORD", "upper_s"] == 600 and on.loc["ORD", "status"] == "met"
    for t in ("CRIT", "EMERG"):
        assert on.loc[t, "upper_s"] == 300
        assert on.loc[t, "status"] == "breached"
        assert on.loc[t, "lateness_s"] == 150.0  # 450 s − 300 s
    # the other clocks are untouched: record 30 s ≤ 60 s everywhere
    rec = cp[cp["control_point"].astype(str) == "record"]
    assert set(rec["upper_s"]) == {60.0} and set(rec["status"].astype(str)) == {"met"}


def test_caller_overrides_apply_per_row() -> None:
    log = _visits().build()
    bounds = SEED_CONTROL_POINTS.with_overrides(HOSPITAL_OVERRIDES)
    _check_hospital_rule(control_points(log, bounds=bounds))


def test_manifest_overrides_apply_per_scenario_and_row() -> None:
    manifest = {"control_points": {"hospital": {"on_site": {"upper_s": 600}}},
                "control_point_overrides": {"hospital": HOSPITAL_OVERRIDES}}
    log = _visits("hospital", manifest).build()
    # the manifest wins over the caller (documented order: manifest → caller → seed)
    _check_hospital_rule(control_points(log, bounds=SEED_CONTROL_POINTS.with_bounds(
        {"on_site": {"upper_s": 60}})))


def test_observed_log_manifest_in_site_form() -> None:
    manifest = {"kind": "observed", "time_zone": "Asia/Shanghai",
                "control_points": {"on_site": {"lower_s": None, "upper_s": 600}},
                "control_point_overrides": HOSPITAL_OVERRIDES}
    _check_hospital_rule(control_points(_visits(None, manifest).build()))


def test_emergency_override_wins_over_category() -> None:
    """An emergency critical patient takes the emergency bound, not the category's."""
    b = LogBuilder()
    b.ticket("E", category="critical", emergency=True).steps(
        (0, "received"), (30, "recorded"), (100, "emergency_reported"), (550, "arrived"))
    bounds = SEED_CONTROL_POINTS.with_overrides(
        {"on_site": {"category": {"critical": {"upper_s": 500}},
                     "emergency": {"upper_s": 400}}})
    on = _on_site(control_points(b.build(), bounds=bounds))
    assert (on.loc["E", "upper_s"], on.loc["E", "lateness_s"]) == (400.0, 50.0)


def test_callback_rate_reads_the_rows_own_bound() -> None:
    """callback_rate counts a ticket once its slip is the *ticket's* callback bound old."""
    b = LogBuilder()
    for tid, cat in (("A", "engineering"), ("B", "critical")):
        b.ticket(tid, category=cat).steps(
            (0, "received"), (30, "recorded"), (60, "dispatched"), (200, "arrived"),
            (300, "diagnosed"), (400, "planned"), (500, "work_completed"), (600, "accepted"),
            (700, "slip_returned"))
    bounds = SEED_CONTROL_POINTS.with_overrides({"callback": {"category": {"critical": {
        "upper_s": 30}}}})
    as_of = pd.Timestamp("2026-03-02T08:00:00+00:00") + pd.Timedelta(seconds=760)
    ind = evaluate(b.build(), bounds=bounds, as_of=as_of).indicators.set_index("indicator")
    # at 760 s, B's slip (700) is ≥ 30 s old and due; A's needs 120 s: not yet
    assert (ind.loc["callback_rate", "numerator"], ind.loc["callback_rate", "denominator"]) \
        == (0, 1)


def test_resolve_bounds_reads_overrides_and_names_bad_entries() -> None:
    manifest = {"control_points": {"h": {}}, "control_point_overrides": {"h": HOSPITAL_OVERRIDES}}
    got = resolve_bounds(["h", "other"], manifest=manifest)
    assert got["h"].resolve("on_site", "critical", False).upper_s == 300
    assert got["h"].resolve("on_site", "engineering", False).upper_s == 600
    assert got["other"] is SEED_CONTROL_POINTS
    # overrides alone are enough to take the manifest's bounds for a scenario
    only = resolve_bounds(["h"], manifest={"control_point_overrides": {"h": HOSPITAL_OVERRIDES}})
    assert only["h"].resolve("on_site", None, True).upper_s == 300
    bad = {"control_point_overrides": {"h": {"on_site": {"categroy": {}}}}}
    with pytest.raises(ValueError, match=r"control_point_overrides\['h'\].*categroy"):
        resolve_bounds(["h"], manifest=bad)
    # a scenario-keyed entry is not mistaken for an observed log's clock-keyed one
    assert manifest_control_points(manifest, None) is None


def test_bounds_file_toml_and_json(tmp_path: Path) -> None:
    toml = tmp_path / "b.toml"
    toml.write_text("[on_site]\nupper_s = 600\n[on_site.category.critical]\nupper_s = 300\n"
                    "[on_site.emergency]\nupper_s = 240\n[record]\nlower_s = 5\n"
                    "[plan]\nupper_s = -1\nlower_s = 10\n")
    cp = load_control_points(toml)
    assert cp.resolve("on_site", "critical").upper_s == 300
    assert cp.resolve("on_site", "critical", emergency=True).upper_s == 240
    assert cp.resolve("on_site", "engineering").upper_s == 600
    assert (cp.bounds("record").lower_s, cp.bounds("record").upper_s) == (5, 60)
    assert (cp.bounds("plan").lower_s, cp.bounds("plan").upper_s) == (10, None)
    js = tmp_path / "b.json"
    js.write_text(json.dumps({"control_points": {"on_site": {
        "emergency": {"upper_s": 240}, "category": {"critical": {"upper_s": 300}}}}}))
    cj = load_control_points(js)
    assert cj.overrides_dict() == cp.overrides_dict()
    assert cj.bounds("on_site").upper_s == 600  # the seed's, not set in the file


@pytest.mark.parametrize("text, match", [
    ("[on_sight]\nupper_s = 1\n", r"b\.toml: \[on_sight\]: unknown control point"),
    ("[on_site.category.critical]\nupper = 1\n", r"on_site\]\.category\.critical.*upper"),
    ("[on_site.emergency]\nupper_s = 'x'\n", r"emergency\.upper_s: expected a number"),
    ("[on_site]\nlower_s = 900\nupper_s = 100\n", r"b\.toml: .*lower_s 900.* exceeds"),
    ("[on_site\n", r"b\.toml: "),
])
def test_bounds_file_errors_name_file_clock_and_key(tmp_path: Path, text: str,
                                                    match: str) -> None:
    f = tmp_path / "b.toml"
    f.write_text(text)
    with pytest.raises(ValueError, match=match):
        load_control_points(f)


def test_cli_control_points_file_with_overrides(tmp_path: Path) -> None:
    write_log(_visits().build(), tmp_path / "log", fmt="csv")
    f = tmp_path / "hospital.toml"
    f.write_text("[on_site.category.critical]\nupper_s = 300\n[on_site.emergency]\n"
                 "upper_s = 300\n")
    assert main(["kpi", str(tmp_path / "log"), "--control-points", str(f), "--tz", "8",
                 "--out", str(tmp_path / "out")]) == 0
    _check_hospital_rule(pd.read_csv(tmp_path / "out" / "control_points.csv"))


def test_parse_accepts_json_null_as_no_bound() -> None:
    cp = parse_control_points({"record": {"upper_s": None, "lower_s": 1}})
    assert (cp.bounds("record").lower_s, cp.bounds("record").upper_s) == (1, None)


def test_engine_lateness_is_the_models_definition(kpi_examples: Path) -> None:
    """Every row with both moments: lateness_s = Bounds.lateness_s(duration) of the row's own
    resolved bounds (empty when met) — the definition the simulator reads."""
    log = read_log(kpi_examples / "observed-day")
    bounds = SEED_CONTROL_POINTS.with_overrides(
        {"on_site": {"category": {"engineering": {"upper_s": 200}}, "emergency": {"upper_s": 60}},
         "record": {"category": {"consultation": {"lower_s": 40}}}})
    cp = control_points(log, bounds=bounds)
    tk = log.tickets.set_index(log.tickets["ticket_id"].astype(str))
    both = cp[cp["duration_s"].notna()]
    assert len(both) > 20
    for r in both.itertuples():
        t = tk.loc[str(r.ticket_id)]
        b = bounds.resolve(str(r.control_point), str(t["category"]), bool(t["emergency"]))
        for got, side in ((r.lower_s, b.lower_s), (r.upper_s, b.upper_s)):
            assert pd.isna(got) if side is None else got == side
        want = b.lateness_s(float(r.duration_s))
        assert (pd.isna(r.lateness_s) and want == 0.0) or r.lateness_s == pytest.approx(want)
        assert (str(r.status) == "met") == (want == 0.0)


def test_hospital_run_applies_the_five_minute_rule_only_where_the_seed_does(
        tmp_path: Path) -> None:
    """``fcsim run hospital``: on-site rows of emergencies and critical patients carry 300 s,
    every other visit the ordinary 600 s."""
    out = tmp_path / "h"
    assert main(["run", "hospital", "--days", "3", "--seed", "2", "--no-report",
                 "--no-progress", "--out", str(out)]) == 0
    cp = pd.read_csv(out / "control_points.csv")
    tk = read_log(out).tickets
    facts = pd.DataFrame({"ticket_id": tk["ticket_id"].astype(str),
                          "category": tk["category"].astype(str),
                          "emergency": tk["emergency"].astype(bool)})
    on = cp[cp["control_point"] == "on_site"].merge(facts, on="ticket_id")
    rule = on["emergency"] | (on["category"] == "critical")
    assert rule.any() and (~rule).any()
    assert set(on.loc[rule, "upper_s"]) == {300.0}
    assert set(on.loc[~rule, "upper_s"]) == {600.0}
