"""Scenario regression checks (``fcsim.check``, ``fcsim check``).

Welch's t from summaries is compared with scipy's on raw samples; Holm with hand-worked
examples and, statistically, with its exact family-wise error under the complete null; the
one-fewer-technician apartment is flagged (its effect measured independently is >= 5 standard
errors), the unchanged scenarios pass with other seeds, and the shipped baselines pass.
"""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from fcsim.check import (
    BaselineError,
    KpiStats,
    RegressionError,
    ScenarioNotInBaseline,
    assert_no_regression,
    check_scenarios,
    holm_reject,
    make_baseline,
    read_baseline,
    replication_kpis,
    report_to_json,
    report_to_junit,
    scenario_fingerprint,
    welch_from_summary,
    write_baseline,
)
from fcsim.cli import main
from fcsim.experiment import run_experiment
from fcsim.kpi import KpiResult
from fcsim.scenarios import apply_overrides, load_scenario

BASELINES = Path(__file__).resolve().parents[1] / "baselines"
SHIPPED = ("apartment", "hospital", "mmc", "mmc_priority")
#: The apartment with one engineer fewer on the day shift (3 -> 2).
ONE_FEWER_ENGINEER = ("staff.engineering.shifts=[{start_h=8,end_h=17,count=2},"
                      "{start_h=17,end_h=23,count=1},{start_h=23,end_h=32,count=1,on_call=true}]")


# ---- Welch and Holm ---------------------------------------------------------------------------

def _summary(x: np.ndarray) -> KpiStats:
    return KpiStats(float(x.mean()), float(x.std(ddof=1) / math.sqrt(x.size)), int(x.size))


@pytest.mark.parametrize(("n1", "n2", "shift"), [(10, 10, 0.0), (5, 17, 0.7), (30, 3, -2.0)])
def test_welch_from_summary_equals_scipy_on_raw_samples(n1: int, n2: int, shift: float) -> None:
    rng = np.random.default_rng(7)
    a = rng.normal(10.0, 1.0, n1)
    b = rng.normal(10.0 + shift, 3.0, n2)
    t, df, p = welch_from_summary(_summary(a), _summary(b))
    ref = stats.ttest_ind(b, a, equal_var=False)
    assert t == pytest.approx(ref.statistic, rel=1e-10)
    assert p == pytest.approx(ref.pvalue, rel=1e-8)
    va, vb = a.var(ddof=1) / n1, b.var(ddof=1) / n2  # Welch–Satterthwaite by hand
    assert df == pytest.approx((va + vb) ** 2 / (va**2 / (n1 - 1) + vb**2 / (n2 - 1)), rel=1e-12)


def test_welch_with_zero_standard_errors() -> None:
    same = welch_from_summary(KpiStats(1.0, 0.0, 5), KpiStats(1.0, 0.0, 7))
    assert same[0] == 0.0 and same[2] == 1.0
    moved = welch_from_summary(KpiStats(1.0, 0.0, 5), KpiStats(0.9, 0.0, 7))
    assert moved[0] == -math.inf and moved[2] == 0.0


def test_holm_hand_worked() -> None:
    # m = 4, alpha = 0.05: sorted 0.005 <= 0.0125, 0.01 <= 0.0167, 0.03 > 0.025 -> stop
    assert holm_reject([0.01, 0.04, 0.03, 0.005], 0.05).tolist() == [True, False, False, True]
    # all pass their steps: 0.001 <= 0.0167, 0.02 <= 0.025, 0.0249 <= 0.05
    assert holm_reject([0.02, 0.001, 0.0249], 0.05).tolist() == [True, True, True]
    # step-down stops at the first failure even if a later p is below alpha
    assert holm_reject([0.02, 0.03, 0.04], 0.05).tolist() == [False, False, False]
    assert holm_reject([], 0.01).tolist() == []


def test_holm_welch_family_wise_error_under_the_null() -> None:
    """Complete null, m = 26 independent KPIs, n = 10 per side: Holm rejects anything iff the
    smallest p is <= alpha / m, so FWER = 1 - (1 - alpha/m)^m exactly for exact p-values."""
    rng = np.random.default_rng(20261127)
    families, m, n, alpha = 40_000, 26, 10, 0.01
    a = rng.normal(0.0, 1.0, (families, m, n))
    b = rng.normal(0.0, 1.0, (families, m, n))
    p = stats.ttest_ind(b, a, axis=2, equal_var=False).pvalue
    any_reject = np.array([holm_reject(row, alpha).any() for row in p])
    k, N = int(any_reject.sum()), families
    low, high = stats.binomtest(k, N).proportion_ci(confidence_level=0.999)
    truth = 1 - (1 - alpha / m) ** m
    assert low <= truth <= high
    assert (high - low) / 2 < 0.0020
    assert truth <= alpha


# ---- measures ----------------------------------------------------------------------------------

def test_replication_kpis_hand_built() -> None:
    ind = pd.DataFrame({
        "level": ["replication", "replication", "scenario"],
        "scenario": ["s", "s", "s"], "replication": pd.array([0, 0, pd.NA], dtype="Int32"),
        "indicator": ["timeliness", "satisfaction", "timeliness"],
        "value": [0.75, np.nan, 0.75],
    })
    cp = pd.DataFrame({
        "scenario": ["s"] * 5, "replication": pd.array([0] * 5, dtype="Int32"),
        "control_point": ["record", "record", "record", "record", "plan"],
        "status": ["met", "breached", "missing", "censored", "censored"],
        "duration_s": [30.0, 90.0, np.nan, np.nan, np.nan],
    })
    out = replication_kpis(KpiResult(cp, ind, pd.DataFrame()))
    got = dict(zip(out["kpi"], out["value"], strict=True))
    # record: 1 met of 3 decided; mean of the two known durations; plan: nothing decided or
    # timed -> absent; satisfaction undefined -> absent
    assert got == {"clock.record.met_rate": pytest.approx(1 / 3),
                   "clock.record.mean_s": 60.0, "indicator.timeliness": 0.75}


# ---- baseline file -----------------------------------------------------------------------------

def test_baseline_round_trip_and_errors(tmp_path: Path) -> None:
    scen = load_scenario("mmc")
    b = make_baseline([scen], seed=5, replications=3, days=0.25)
    p = write_baseline(b, tmp_path / "b.json")
    back = read_baseline(p)
    assert back == b
    sb = back.scenarios["mmc"]
    assert (sb.seed, sb.replications, sb.days) == (5, 3, 0.25)
    assert sb.scenario_sha256 == scenario_fingerprint(scen)
    # the stored mean and se are those of the replication values (recomputed independently)
    res = run_experiment([scen], seed=5, replications=3, days=0.25, workers=0)
    cp = res.kpi.control_points
    dur = cp[cp["control_point"] == "record"].groupby("replication")["duration_s"].mean()
    v = dur.to_numpy(dtype=float)
    st = sb.kpis["clock.record.mean_s"]
    assert st.n == 3
    assert st.mean == pytest.approx(v.mean(), rel=1e-12)
    assert st.se == pytest.approx(v.std(ddof=1) / math.sqrt(3), rel=1e-12)

    bad = json.loads(p.read_text())
    bad["scenarios"]["mmc"]["kpis"]["clock.record.mean_s"]["n"] = "three"
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    with pytest.raises(BaselineError, match=r"bad\.json.*scenarios\.mmc\.kpis\.clock\.record"
                                            r"\.mean_s.*n"):
        read_baseline(tmp_path / "bad.json")
    (tmp_path / "junk.json").write_text("{")
    with pytest.raises(BaselineError, match=r"junk\.json: invalid JSON"):
        read_baseline(tmp_path / "junk.json")
    with pytest.raises(FileNotFoundError):
        read_baseline(tmp_path / "none.json")
    with pytest.raises(ScenarioNotInBaseline, match="hospital"):
        check_scenarios([load_scenario("hospital")], b)


# ---- the shipped baselines and the done-when cases --------------------------------------------

@pytest.fixture(scope="module")
def apartment_baseline():
    return read_baseline(BASELINES / "apartment.json")


@pytest.fixture(scope="module")
def fewer_report(apartment_baseline):
    scen = apply_overrides(load_scenario("apartment"), [ONE_FEWER_ENGINEER])
    return check_scenarios([scen], apartment_baseline)


def _arrival_met_rate(kpi: KpiResult) -> np.ndarray:
    """appointment_arrival met rate per replication, computed from the control-point table."""
    cp = kpi.control_points
    cp = cp[cp["control_point"] == "appointment_arrival"]
    decided = cp["status"].isin(["met", "breached", "missing"])
    met = cp["status"] == "met"
    g = pd.DataFrame({"r": cp["replication"].astype(int), "d": decided, "m": met}).groupby("r")
    return (g["m"].sum() / g["d"].sum()).to_numpy(dtype=float)


@pytest.mark.slow
def test_one_fewer_technician_is_flagged(apartment_baseline, fewer_report) -> None:
    sb = apartment_baseline.scenarios["apartment"]
    base = load_scenario("apartment")
    fewer = apply_overrides(base, [ONE_FEWER_ENGINEER])
    # the effect, measured independently of fcsim.check: >= 5 standard errors (Welch on raw
    # replication values of the baseline's seed and of the check's seed)
    a = _arrival_met_rate(run_experiment([base], seed=sb.seed, replications=sb.replications,
                                         days=sb.days, workers=0).kpi)
    b = _arrival_met_rate(run_experiment([fewer], seed=sb.seed + 1,
                                         replications=sb.replications, days=sb.days,
                                         workers=0).kpi)
    ref = stats.ttest_ind(b, a, equal_var=False)
    assert ref.statistic <= -5.0
    # the stored baseline is reproducible and the check saw the same numbers
    st = sb.kpis["clock.appointment_arrival.met_rate"]
    assert st.mean == pytest.approx(a.mean(), rel=1e-12)
    row = next(r for r in fewer_report.results
               if r.kpi == "clock.appointment_arrival.met_rate")
    assert row.t == pytest.approx(ref.statistic, rel=1e-9)
    assert row.status == "regression"
    assert not fewer_report.passed
    assert fewer_report.notes["apartment"]  # the configuration differs from the baseline's
    with pytest.raises(RegressionError, match="appointment_arrival"):
        fewer_report.raise_for_regression()
    # the same through the command line: exit code 1
    assert main(["check", "apartment", "--baseline", str(BASELINES / "apartment.json"),
                 "--set", ONE_FEWER_ENGINEER]) == 1


@pytest.mark.slow
@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_baseline_passes(name: str) -> None:
    baseline = read_baseline(BASELINES / f"{name}.json")
    report = assert_no_regression([load_scenario(name)], baseline)
    assert report.tested >= 5
    assert report.notes == {}  # the shipped scenario is the one the baseline was made from


@pytest.mark.slow
def test_unchanged_apartment_with_another_seed_passes(apartment_baseline) -> None:
    report = check_scenarios([load_scenario("apartment")], apartment_baseline, seed=99)
    assert report.passed, report.summary()
    assert report.seeds == {"apartment": 99}


@pytest.mark.slow
def test_json_and_junit_outputs_parse(fewer_report) -> None:
    data = json.loads(report_to_json(fewer_report))
    assert data["passed"] is False
    assert data["regressions"] == len(fewer_report.regressions) > 0
    assert len(data["results"]) == len(fewer_report.results)
    flagged = {r["kpi"] for r in data["results"] if r["status"] == "regression"}
    assert "clock.appointment_arrival.met_rate" in flagged
    root = ET.fromstring(report_to_junit(fewer_report))
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == len(fewer_report.results)
    failed = {c.get("name") for c in cases if c.find("failure") is not None}
    assert failed == flagged
    assert root.get("failures") == str(len(flagged))


# ---- the command line --------------------------------------------------------------------------

def test_cli_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = tmp_path / "b.json"
    common = ["check", "mmc", "--baseline", str(base)]
    assert main([*common, "--update", "-r", "8", "--days", "1"]) == 0
    assert read_baseline(base).scenarios["mmc"].replications == 8
    js, xml = tmp_path / "r.json", tmp_path / "r.xml"
    assert main([*common, "--json", str(js), "--junit", str(xml)]) == 0
    assert json.loads(js.read_text())["passed"] is True
    ET.parse(xml)
    # two clerks instead of three at rho = 0.8: the queue explodes
    assert main([*common, "--set", "staff.desk.shifts=[{start_h=0,end_h=24,count=2}]"]) == 1
    assert main(["check", "mmc", "--baseline", str(tmp_path / "none.json")]) == 3
    assert main(["check", "hospital", "--baseline", str(base)]) == 3
    (tmp_path / "bad.json").write_text('{"format": "other"}')
    assert main(["check", "mmc", "--baseline", str(tmp_path / "bad.json")]) == 2
    assert main(["check", "no_such_scenario", "--baseline", str(base)]) == 2
    with pytest.raises(SystemExit) as exc:
        main([*common, "-r", "1"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "baseline not found" in err and "no baseline for scenario(s) hospital" in err


def test_cli_help_documents_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["check", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for line in ("0  every KPI agrees", "1  regression", "2  usage or input error",
                 "3  baseline missing"):
        assert line in out


def test_vanished_and_new_kpis_are_reported() -> None:
    scen = load_scenario("mmc")
    b = make_baseline([scen], seed=3, replications=3, days=0.25)
    sb = b.scenarios["mmc"]
    kpis = {k: v for k, v in sb.kpis.items() if k != "indicator.timeliness"}
    kpis["clock.plan.met_rate"] = KpiStats(0.9, 0.01, 3)  # mmc has no plan clock
    edited = type(b)({"mmc": type(sb)(sb.seed, sb.replications, sb.days, sb.scenario_sha256,
                                      kpis)})
    report = check_scenarios([scen], edited, seed=3)  # same seed: identical values
    assert report.passed
    by_kpi = {r.kpi: r for r in report.results}
    assert by_kpi["clock.plan.met_rate"].status == "untested"
    assert by_kpi["clock.record.mean_s"].p == 1.0  # identical samples
    notes = " | ".join(report.notes["mmc"])
    assert "undefined in every replication now: clock.plan.met_rate" in notes
    assert "not in the baseline (not checked): indicator.timeliness" in notes
    assert "same seed as the baseline" in notes
