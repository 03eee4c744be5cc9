"""Observed versus simulated: prediction intervals, distances, figures and the CLI."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

from fcsim.cli import main
from fcsim.compare import compare, prediction_interval
from fcsim.eventlog import write_log
from fcsim.plotting.compare import plot_arrival_profile, plot_intervals, plot_stage_ecdf
from fcsim.scenarios import load_scenario
from fcsim.sim import replicate, simulate


def test_prediction_interval_by_hand() -> None:
    m, lo, hi, n = prediction_interval([1.0, 2.0, 3.0, 4.0])
    sd = math.sqrt(((1.5**2) * 2 + 0.5**2 * 2) / 3)  # 1.2910
    half = 3.182446305284263 * sd * math.sqrt(1 + 1 / 4)  # t(0.975, 3)
    assert (m, n) == (2.5, 4)
    assert lo == pytest.approx(2.5 - half) and hi == pytest.approx(2.5 + half)
    m1, lo1, hi1, n1 = prediction_interval([0.7, float("nan")])
    assert (m1, n1) == (0.7, 1) and math.isnan(lo1) and math.isnan(hi1)


def test_a_log_compared_with_itself_has_zero_distances() -> None:
    sc = load_scenario("apartment")
    log = simulate(sc, seed=11, days=5)
    c = compare(log, log, tz=sc.scenario.start.tzinfo)
    assert (c.distances["wasserstein_min"].dropna() == 0).all()
    assert (c.distances["ks"].dropna() == 0).all()
    assert "cycle_time" in set(c.distances["stage"])
    ok = c.indicators["observed"].notna()
    np.testing.assert_allclose(c.indicators.loc[ok, "observed"], c.indicators.loc[ok, "sim_mean"])
    np.testing.assert_allclose(c.clocks["observed"], c.clocks["sim_mean"])
    np.testing.assert_allclose(c.arrivals["observed_per_h"], c.arrivals["sim_per_h"])
    # one replication: no prediction interval, so no inside/outside verdict
    assert c.indicators["inside"].isna().all()


def test_compare_against_replications_and_figures(tmp_path: Path) -> None:
    sc = load_scenario("apartment")
    obs = simulate(sc, seed=12, days=5)
    sim = replicate(sc, seed=1, replications=4, days=5)
    c = compare(obs, sim, tz=sc.scenario.start.tzinfo)
    ind = c.indicators.dropna(subset=["pi_low"])
    assert (ind["n_replications"] == 4).all()
    assert ((ind["pi_low"] <= ind["sim_mean"]) & (ind["sim_mean"] <= ind["pi_high"])).all()
    assert ((ind["pi_low"] >= 0) & (ind["pi_high"] <= 1)).all()
    verdict = (ind["pi_low"] <= ind["observed"]) & (ind["observed"] <= ind["pi_high"])
    assert (ind["inside"].astype(bool) == verdict).all()
    d = c.distances.set_index("stage")
    assert d.loc["record", "n_simulated"] > d.loc["record", "n_observed"] > 0
    for fig in (plot_intervals(c.indicators), plot_intervals(c.clocks),
                plot_arrival_profile(c.arrivals),
                plot_stage_ecdf(c.samples, c.distances, "cycle_time")):
        assert isinstance(fig, Figure) and fig.axes
    fig = plot_intervals(c.indicators, lang="zh")
    assert fig.axes[0].get_title()
    # stages are named in the figure's language
    assert plot_stage_ecdf(c.samples, c.distances, "record", lang="zh").axes[0] \
        .get_title().startswith("錄入 — W = ")
    assert plot_stage_ecdf(c.samples, c.distances, "record", lang="en").axes[0] \
        .get_title().startswith("record — W = ")


@pytest.mark.slow
def test_cli_compare_writes_tables_and_figures(tmp_path: Path) -> None:
    sc = load_scenario("apartment")
    write_log(simulate(sc, seed=21, days=3), tmp_path / "obs")
    write_log(replicate(sc, seed=2, replications=2, days=3), tmp_path / "sim")
    out = tmp_path / "cmp"
    assert main(["compare", str(tmp_path / "obs"), str(tmp_path / "sim"), "--out",
                 str(out)]) == 0
    for f in ("indicators.csv", "clocks.csv", "distances.csv", "arrivals.csv",
              "indicators.png", "clocks.png", "arrivals.png", "stage_cycle_time.png"):
        assert (out / f).stat().st_size > 0, f
