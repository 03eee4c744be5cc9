"""Issue 11's scenario fields and honest numbers: list-index overrides, the person-roster form,
costs, target expressions, intervals inside [0, 1], and ``[targets]`` for any replication count."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from fcsim.experiment import run_experiment
from fcsim.experiment.sweep import variants
from fcsim.kpi import count_interval, proportion_interval
from fcsim.scenarios import ScenarioError, StaffGroup, apply_overrides, load_scenario
from fcsim.sim import simulate
from fcsim.sim.run import people_roster
from fcsim.staffing.targets import parse_target

APARTMENT = load_scenario("apartment")
MMC = load_scenario("mmc")


# ----------------------------------------------------------------------------- overrides
def test_set_addresses_one_item_of_a_list() -> None:
    s = apply_overrides(APARTMENT, ["staff.engineering.shifts[1].count=2"])
    before, after = APARTMENT.staff["engineering"].shifts, s.staff["engineering"].shifts
    assert [x.count for x in after] == [3, 2, 1]
    assert [(x.start_h, x.end_h, x.on_call) for x in after] == [
        (x.start_h, x.end_h, x.on_call) for x in before]
    assert [x.count for x in before] == [3, 1, 1]  # the base is not mutated
    whole = apply_overrides(APARTMENT, ["staff.engineering.shifts[2]={start_h=23,end_h=32,"
                                        "count=2,on_call=true}"])
    assert whole.staff["engineering"].shifts[2].count == 2
    with pytest.raises(ScenarioError, match=r"'staff\.engineering\.shifts' has 3 item\(s\); "
                                            r"index 5 is out of range"):
        apply_overrides(APARTMENT, ["staff.engineering.shifts[5].count=2"])
    with pytest.raises(ScenarioError, match=r"'staff\.engineering\.prefix' is not an array"):
        apply_overrides(APARTMENT, ["staff.engineering.prefix[0]=x"])
    with pytest.raises(ScenarioError, match="count"):
        apply_overrides(APARTMENT, ["staff.engineering.shifts[1].count=-1"])


def test_sweep_labels_variants_by_what_changed() -> None:
    vs = variants(APARTMENT, ["staff.engineering.shifts[1].count=1,2"])
    assert [v.values for v in vs] == [{"staff.engineering.shifts[1].count": 1},
                                      {"staff.engineering.shifts[1].count": 2}]
    whole = ("staff.engineering.shifts=[{start_h=8,end_h=17,count=4},{start_h=17,end_h=23,"
             "count=1},{start_h=23,end_h=32,count=1,on_call=true}]")
    (v,) = variants(APARTMENT, [whole])
    assert v.values == {"staff.engineering.shifts": "[0].count=4"}


# ----------------------------------------------------------------------------- person roster
def _desk_people(extra: str = "") -> str:
    # two clerks cover the week: a 00-12, b 12-24 every day
    return ("staff.desk.people=[{name='a',work=[" + ",".join(
        f"{{day={d},start_h=0,end_h=12}}" for d in range(7)) + "]},{name='b',work=[" + ",".join(
        f"{{day={d},start_h=12,end_h=24}}" for d in range(7)) + "]}" + extra + "]")


def test_person_roster_form_validates_and_builds_the_pool() -> None:
    s = apply_overrides(MMC, ["staff.desk.shifts=[]", _desk_people()])
    desk = s.staff["desk"]
    assert desk.weekly(on_call=False) == (1,) * 168
    names, roster = people_roster(desk)
    assert names == ["a", "b"]
    assert roster[0] == ((0,), ()) and roster[12] == ((1,), ()) and roster[167] == ((1,), ())
    with pytest.raises(ScenarioError, match="not both"):
        apply_overrides(MMC, [_desk_people()])  # shifts still there
    gap = ("staff.desk.people=[{name='a',work=[{day=0,start_h=0,end_h=24}]}]")
    with pytest.raises(ScenarioError, match=r"uncovered at hour\(s\) of the week \[24, 25"):
        apply_overrides(MMC, ["staff.desk.shifts=[]", gap])
    clash = ("staff.desk.people=[{name='a',work=[{day=0,start_h=0,end_h=24}],"
             "on_call=[{day=0,start_h=20,end_h=26}]}]")
    with pytest.raises(ScenarioError, match="overlaps"):
        apply_overrides(MMC, ["staff.desk.shifts=[]", clash])


def test_person_roster_work_happens_in_the_persons_hours() -> None:
    s = apply_overrides(MMC, ["staff.desk.shifts=[]", _desk_people()])
    log = simulate(s, seed=3, days=2)
    ev = log.events[log.events["resource"].notna()]
    assert set(ev["resource"].astype(str)) == {"a", "b"}
    ev = ev[ev["activity"].astype(str) == "recorded"]  # the start of a clerk's job
    local = pd.to_datetime(ev["started_at"]).dt.tz_convert(s.scenario.tz)
    hour = local.dt.hour.to_numpy()
    who = ev["resource"].astype(str).to_numpy()
    # work is taken on duty: a starts jobs in 00-12, b in 12-24 (the job in hand may run past)
    assert len(ev) > 50 and np.all((who == "a") == (hour < 12))


def test_costs_per_hour_with_premiums_by_hand() -> None:
    c = APARTMENT.costs
    assert c is not None and c.currency == "CNY"
    h = c.hourly("engineering", "technician")
    assert h[10] == pytest.approx(60.0)  # Monday 10:00
    assert h[23] == pytest.approx(60.0 * 1.3)  # Monday 23:00, night
    assert h[5 * 24 + 10] == pytest.approx(60.0 * 1.2)  # Saturday 10:00
    assert h[6 * 24 + 2] == pytest.approx(60.0 * 1.5)  # Sunday 02:00: both premiums add
    from fcsim.roster.scenario import headcount_cost_per_week

    s = apply_overrides(APARTMENT, [
        "staff.engineering.shifts=[{start_h=8,end_h=23,count=2},"
        "{start_h=23,end_h=32,count=1,on_call=true}]"])
    day = sum(h[d * 24 + k] for d in range(7) for k in range(8, 23))
    night = sum(h[(d * 24 + k) % 168] for d in range(7) for k in range(23, 32))
    assert headcount_cost_per_week(s, "engineering") == pytest.approx(2 * day + 0.2 * night)
    with pytest.raises(ScenarioError, match=r"costs\.per_hour: unknown staff group or role"):
        apply_overrides(APARTMENT, ["costs.per_hour.plumbers=1.0"])


# ----------------------------------------------------------------------------- targets
def test_target_expressions() -> None:
    a, b = parse_target("timeliness>=95%"), parse_target("timeliness >= 0.95")
    assert (a.kpi, a.threshold, a.strict) == (b.kpi, b.threshold, b.strict) == (
        "timeliness", 0.95, False)
    c = parse_target("clock.on_site>90%")
    assert (c.kpi, c.threshold, c.strict) == ("clock.on_site", 0.9, True)
    assert parse_target("zero_breach.timeliness>=0.5").binary
    with pytest.raises(ValueError, match=r"95 is not a rate in \[0, 1\]; write "
                                         r"timeliness>=95% or timeliness>=0\.95"):
        parse_target("timeliness>=95")
    with pytest.raises(ValueError, match="did you mean timeliness"):
        parse_target("timelines>=0.9")
    with pytest.raises(ValueError, match=r"did you mean clock\.on_site"):
        parse_target("clock.onsite>=0.9")
    with pytest.raises(ValueError, match="only >= and >"):
        parse_target("timeliness<=0.9")


# ----------------------------------------------------------------------------- intervals
def _wilson(k: float, n: float, level: float = 0.95) -> tuple[float, float]:
    z = float(stats.norm.ppf(0.5 + level / 2))
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def test_proportion_interval_by_hand() -> None:
    # every replication 100 %: Wilson on the pooled counts (20 of 20)
    mean, lo, hi = proportion_interval(np.array([10, 10]), np.array([10, 10]))
    assert mean == 1.0 and (lo, hi) == pytest.approx(_wilson(20, 20)) and hi <= 1.0
    # one replication: Wilson too; an empty denominator is left out
    mean, lo, hi = proportion_interval(np.array([3, 0]), np.array([4, 0]))
    assert mean == 0.75 and (lo, hi) == pytest.approx(_wilson(3, 4))
    # distinct values: logit-t of the empirical logits, widened to hold the mean
    k, n = np.array([9.0, 10.0, 8.0]), np.array([10.0, 10.0, 10.0])
    z = np.log((k + 0.5) / (n - k + 0.5))
    half = stats.t.ppf(0.975, 2) * z.std(ddof=1) / math.sqrt(3)
    mean, lo, hi = proportion_interval(k, n)
    assert mean == pytest.approx(0.9)
    assert lo == pytest.approx(min(1 / (1 + math.exp(-(z.mean() - half))), 0.9))
    assert hi == pytest.approx(max(1 / (1 + math.exp(-(z.mean() + half))), 0.9))
    assert 0 < lo <= mean <= hi < 1
    # the case that ran outside [0, 1] with a t-interval: 100 %, 100 %, 99 %
    mean, lo, hi = proportion_interval(np.array([50, 50, 99]), np.array([50, 50, 100]))
    t_hi = np.mean([1, 1, 0.99]) + stats.t.ppf(0.975, 2) * np.std([1, 1, 0.99], ddof=1) / 3**.5
    assert t_hi > 1 and 0 <= lo <= mean <= hi <= 1
    # counts are never negative
    m, lo_c, hi_c = count_interval(np.array([0.0, 0.0, 3.0]))
    assert m == 1.0 and lo_c == 0.0 and hi_c > 1.0


def test_indicator_intervals_inside_their_range_and_targets_for_any_replications() -> None:
    s = apply_overrides(MMC, ['targets.timeliness={kind="above",threshold=0.5}'])
    res = run_experiment([s], seed=4, replications=3, days=0.5, workers=0, keep_logs=False)
    ind = res.kpi.indicators
    ok = ind["ci_low"].notna()
    assert ok.any()
    assert ((ind.loc[ok, "ci_low"] >= 0) & (ind.loc[ok, "ci_high"] <= 1)).all()
    sc = ind[ind["level"] == "scenario"]
    both = sc["ci_low"].notna()
    assert ((sc.loc[both, "ci_low"] <= sc.loc[both, "value"])
            & (sc.loc[both, "value"] <= sc.loc[both, "ci_high"])).all()
    tim = ind[ind["indicator"] == "timeliness"]
    assert set(tim["target"]) == {"> 50 %"}  # the scenario's target, with 3 replications
    row = tim[tim["level"] == "scenario"].iloc[0]
    assert bool(row["met"]) == (row["value"] > 0.5)
    assert res.manifest["targets"] == {"mmc": {"timeliness": {"kind": "above",
                                                              "threshold": 0.5}}}


def test_staff_group_validation_names_the_field() -> None:
    with pytest.raises(ValueError, match="either shifts"):
        StaffGroup.model_validate({"role": "desk", "prefix": "d"})


def test_cli_set_and_vary_address_list_items(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from fcsim.cli import main

    out = tmp_path / "sweep"
    rc = main(["sweep", "apartment", "--vary", "staff.engineering.shifts[1].count=1,2",
               "--set", "staff.engineering.shifts[0].count=2", "-r", "1", "--days", "0.2",
               "--workers", "0", "--out", str(out)])
    assert rc == 0
    table = pd.read_csv(out / "sweep.csv")
    assert sorted(set(table["staff.engineering.shifts[1].count"])) == [1, 2]
    import json

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["overrides"] == ["staff.engineering.shifts[0].count=2"]
    assert all(0 <= lo <= hi <= 1 for lo, hi in zip(table["ci_low"].dropna(),
                                                   table["ci_high"].dropna(), strict=False))
