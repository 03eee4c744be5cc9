"""One-at-a-time sensitivity (tornado table and figure) with common random numbers."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

from fcsim.experiment import run_experiment
from fcsim.plotting.tornado import plot_tornado
from fcsim.scenarios import apply_overrides, load_scenario
from fcsim.staffing.risk import replication_metrics
from fcsim.staffing.sensitivity import (
    UncertainParameter,
    current_value,
    default_uncertain_parameters,
    load_uncertain_parameters,
    tornado_table,
)

RATE = "categories.request.rate_per_unit_day"


@pytest.fixture(scope="module")
def mmc_table():
    s = load_scenario("mmc")
    params = [UncertainParameter(RATE, 250.0, 400.0, "到達率", "arrival rate"),
              UncertainParameter("outcomes.unreachable_p", 0.0, 0.5)]
    return s, params, tornado_table(s, params, seed=11, replications=6, days=2,
                                    kpis=["timeliness", "clock.record"], workers=0)


def test_tornado_effects_paired_and_ranked(mmc_table) -> None:
    _, _, table = mmc_table
    t = table[table["kpi"] == "timeliness"].set_index("parameter")
    # an unused parameter (M/M/c has no callbacks): identical runs, exactly zero effect
    un = t.loc["outcomes.unreachable_p"]
    assert un["effect_low"] == 0 and un["effect_high"] == 0 and un["swing"] == 0
    # more arrivals, longer waits: timeliness (record within 60 s) falls, interval excludes 0
    r = t.loc[RATE]
    assert r["effect_high"] < 0 and r["effect_high_ci_high"] < 0
    assert r["effect_low"] > 0 and r["effect_low_ci_low"] > 0
    assert r["rank"] == 1 and un["rank"] == 2
    assert r["swing"] == pytest.approx(abs(r["kpi_high"] - r["kpi_low"]))
    assert r["base_value"] == 345.6


def test_tornado_numbers_equal_a_direct_run(mmc_table) -> None:
    """The high variant's mean is the mean of an independent run of that variant."""
    s, _, table = mmc_table
    high = apply_overrides(s, [f"{RATE}=400.0", 'scenario.name="direct"'])
    res = run_experiment([high], seed=11, replications=6, days=2, workers=0, keep_logs=False)
    m = replication_metrics(res.kpi)
    row = table[(table["kpi"] == "timeliness") & (table["parameter"] == RATE)].iloc[0]
    assert row["kpi_high"] == pytest.approx(float(m["timeliness"].mean()), rel=1e-12)


def test_timeliness_matches_mmc_sojourn_formula(mmc_table) -> None:
    """Base timeliness = P(wait + service <= 60 s) of M/M/3 (Erlang C), within 99.9 %."""
    _, _, table = mmc_table
    lam, mu, c, t = 0.24, 0.1, 3, 1.0  # per minute; the record clock allows 60 s
    a = lam / mu
    erl = (a**c / math.factorial(c) * c / (c - a)) / (
        sum(a**k / math.factorial(k) for k in range(c)) + a**c / math.factorial(c) * c / (c - a))
    theta = c * mu - lam
    p_ws = 1 - (theta * math.exp(-mu * t) - mu * math.exp(-theta * t)) / (theta - mu)
    truth = (1 - erl) * (1 - math.exp(-mu * t)) + erl * p_ws
    s = load_scenario("mmc")
    res = run_experiment([s], seed=12, replications=8, days=4, workers=0, keep_logs=False)
    v = replication_metrics(res.kpi)["timeliness"].to_numpy(float)
    from scipy import stats

    half = stats.t.ppf(1 - 0.0005, df=v.size - 1) * v.std(ddof=1) / math.sqrt(v.size)
    assert abs(v.mean() - truth) <= half
    assert half < 0.02
    base = table["kpi_base"].iloc[0]
    assert 0 < base < 0.2


def test_default_and_file_parameters(tmp_path: Path) -> None:
    s = load_scenario("apartment")
    ps = default_uncertain_parameters(s, relative=0.25)
    paths = [p.path for p in ps]
    assert "scenario.occupancy" in paths and "stages.travel_min.mean" in paths
    occ = ps[paths.index("scenario.occupancy")]
    assert occ.low == pytest.approx(0.85 * 0.75) and occ.high == 1.0
    trav = ps[paths.index("stages.travel_min.mean")]
    mean = s.stages.travel_min.mean
    assert (trav.low, trav.high) == (pytest.approx(0.75 * mean), pytest.approx(1.25 * mean))
    assert trav.label("zh") == "路程時間"
    eng = ps[paths.index("categories.engineering.rate_per_unit_day")]
    assert eng.label("en") == "engineering arrival rate"
    assert current_value(s, "stages.record_min.mean") == s.stages.record_min.mean
    f = tmp_path / "r.toml"
    f.write_text('[uncertain.t]\npath = "stages.travel_min.mean"\nlow = 2.0\nhigh = 8.0\n',
                 encoding="utf-8")
    (p,) = load_uncertain_parameters(f, s)
    assert (p.path, p.low, p.high, p.label("zh")) == ("stages.travel_min.mean", 2.0, 8.0,
                                                      "路程時間")
    f.write_text('[uncertain.t]\npath = "stages.nope.mean"\nlow = 2.0\nhigh = 8.0\n',
                 encoding="utf-8")
    with pytest.raises(KeyError, match=r"stages\.nope\.mean"):
        load_uncertain_parameters(f, s)
    f.write_text('[uncertain.t]\npath = "stages.travel_min.mean"\nlow = 2.0\n',
                 encoding="utf-8")
    with pytest.raises(ValueError, match=r"uncertain\.t: missing field 'high'"):
        load_uncertain_parameters(f, s)
    with pytest.raises(ValueError, match="low <= high"):
        UncertainParameter("x", 2.0, 1.0)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_tornado_figure(mmc_table, lang: str) -> None:
    _, _, table = mmc_table
    fig = plot_tornado(table, "timeliness", lang=lang)  # type: ignore[arg-type]
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    widths = sorted(round(p.get_width(), 12) for p in ax.patches)
    t = table[table["kpi"] == "timeliness"]
    expected = sorted(round(v, 12) for v in np.concatenate([t["effect_low"], t["effect_high"]]))
    assert widths == expected
    labels = [x.get_text() for x in ax.get_yticklabels()]
    assert labels[0].startswith("到達率" if lang == "zh" else "arrival rate")


def test_cli_sensitivity(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from fcsim.cli import main

    out_dir = tmp_path / "sens"
    args = ["sensitivity", "mmc", "--param", f"{RATE}=250,400", "--param",
            "outcomes.unreachable_p=0,0.5", "-r", "2", "--days", "0.5", "--workers", "0",
            "--kpi", "timeliness", "--out", str(out_dir), "--lang", "zh"]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "2 uncertain parameter(s), 5 variants × 2 replication(s)" in text
    table = __import__("pandas").read_csv(out_dir / "tornado.csv")
    assert list(table["parameter"]) == [RATE, "outcomes.unreachable_p"]  # ranked by swing
    assert (out_dir / "tornado_timeliness.png").stat().st_size > 1000
    assert main(["sensitivity", "mmc", "--param", "x=1"]) == 2  # a clear error, exit 2
