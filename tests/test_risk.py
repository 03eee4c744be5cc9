"""The weekly risk view of the 100 % targets."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from fcsim.eventlog import read_log
from fcsim.kpi import evaluate
from fcsim.staffing.risk import (
    HUNDRED_PERCENT,
    clopper_pearson,
    min_staffing_for_zero_breach,
    replication_metrics,
    weekly_risk,
)
from fcsim.staffing.roster import Criterion, exhaustive_search, roster_grid


def _weeks(met: list[int], breaches: list[float]) -> pd.DataFrame:
    n = len(met)
    return pd.DataFrame({
        "scenario": ["s"] * n, "replication": range(n),
        "met.timeliness": np.asarray(met, float),
        "breaches.timeliness": np.asarray(breaches, float),
        "zero_breach.timeliness": (np.asarray(breaches) == 0).astype(float),
        "clock_breaches.record": np.asarray(breaches, float),
        "clock_zero_breach.record": (np.asarray(breaches) == 0).astype(float),
    })


def test_weekly_risk_by_hand() -> None:
    met = [1, 1, 1, 0, 1, 1, 0, 1, 1, 0]
    breaches = [0, 0, 0, 2, 0, 0, 1, 0, 0, 3]
    r = weekly_risk(_weeks(met, breaches), targets=("timeliness",), clocks=("record",))
    row = r.set_index("target").loc["timeliness"]
    assert row["weeks"] == 10 and row["weeks_met"] == 7 and row["p_meet"] == 0.7
    # Wilson at 95 %: centre (p + z²/2n)/(1 + z²/n), half z/(1+z²/n) sqrt(p(1-p)/n + z²/4n²)
    z = 1.959963984540054
    centre = (0.7 + z * z / 20) / (1 + z * z / 10)
    half = z / (1 + z * z / 10) * math.sqrt(0.21 / 10 + z * z / 400)
    assert row["p_meet_wilson_low"] == pytest.approx(centre - half, rel=1e-9)
    assert row["p_meet_wilson_high"] == pytest.approx(centre + half, rel=1e-9)
    # breaches: mean 0.6, sd sqrt(8.4/9), t_{0.975, 9} = 2.262157
    sd = math.sqrt(sum((b - 0.6) ** 2 for b in breaches) / 9)
    assert row["breaches_mean"] == pytest.approx(0.6)
    assert row["breaches_high"] == pytest.approx(0.6 + 2.262157 * sd / math.sqrt(10), abs=1e-6)
    assert 0.6 - 2.262157 * sd / math.sqrt(10) < 0  # a t interval would run below zero:
    assert row["breaches_low"] == 0.0  # counts are never negative
    assert row["p_zero_breach"] == 0.7
    clock = r.set_index("target").loc["clock:record"]
    assert clock["weeks_met"] == 7 and clock["breaches_mean"] == pytest.approx(0.6)


def test_clopper_pearson_closed_forms() -> None:
    # k = n: lower bound (α/2)^(1/n); k = 0: upper bound 1 - (α/2)^(1/n)
    assert clopper_pearson(10, 10, 0.95) == pytest.approx((0.025 ** 0.1, 1.0))
    assert clopper_pearson(0, 10, 0.95) == pytest.approx((0.0, 1 - 0.025 ** 0.1))
    assert all(math.isnan(x) for x in clopper_pearson(0, 0))


def test_risk_interval_covers_a_known_probability() -> None:
    """Seeded: weeks meet with probability 0.8; the 99.9 % interval holds it, half-width capped."""
    rng = np.random.default_rng(20260303)
    met = (rng.random(1500) < 0.8).astype(int).tolist()
    breaches = np.where(np.asarray(met) == 1, 0, rng.poisson(2.0, 1500) + 1).tolist()
    row = weekly_risk(_weeks(met, breaches), targets=("timeliness",), level=0.999).iloc[0]
    assert row["p_meet_cp_low"] <= 0.8 <= row["p_meet_cp_high"]
    assert row["p_meet_cp_high"] - row["p_meet_cp_low"] < 0.07
    # E[breaches] = 0.2 × (2 + 1) = 0.6
    assert row["breaches_low"] <= 0.6 <= row["breaches_high"]
    assert row["breaches_high"] - row["breaches_low"] < 0.3


def test_replication_metrics_on_the_test_vector(kpi_examples) -> None:
    log = read_log(kpi_examples / "observed-day")
    as_of = pd.Timestamp((kpi_examples / "observed-day" / "as_of.txt").read_text().strip())
    res = evaluate(log, as_of=as_of)
    m = replication_metrics(res)
    assert len(m) == 1
    row = m.iloc[0]
    # expected/indicators.csv: timeliness 5/12, pass_rate 9/10, callback_rate 9/10
    assert row["breaches.timeliness"] == 7 and row["met.timeliness"] == 0
    assert row["breaches.pass_rate"] == 1 and row["zero_breach.pass_rate"] == 0
    assert row["timeliness"] == pytest.approx(5 / 12)
    cp = res.control_points
    rec = cp[cp["control_point"] == "record"]
    bad = int(rec["status"].astype(str).isin(["breached", "missing"]).sum())
    good = int((rec["status"].astype(str) == "met").sum())
    assert row["clock_breaches.record"] == bad
    assert row["clock.record"] == pytest.approx(good / (good + bad))
    assert set(HUNDRED_PERCENT) == {"timeliness", "pass_rate", "callback_rate"}


def test_min_staffing_for_zero_breach_matches_grid() -> None:
    # a toy evaluator: breaches in week r are Poisson(50 e^{-s}) for staffing s, seeded by r
    def evaluate(conf: tuple[int, ...], rep: int) -> dict[str, float]:
        lam = 50.0 * math.exp(-conf[0])
        u = np.random.default_rng(rep).random()
        return {"zero": float(u < math.exp(-lam))}  # P(zero breaches) = e^{-λ}

    grid = roster_grid((5,), spread=4, minimum=1)
    res = min_staffing_for_zero_breach(grid, lambda c: float(c[0]), evaluate,
                                       zero_breach_kpi="zero", probability=0.7,
                                       confidence=0.9, replications=30)
    full = exhaustive_search(grid, lambda c: float(c[0]), evaluate,
                             [Criterion("zero", 0.7, confidence=0.9, binary=True)], 30)
    assert res.best == full.best is not None
    # by hand: P(zero) = exp(-50 e^{-s}) is 0.51 at s = 5, 0.88 at s = 6, 0.955 at s = 7
    assert res.best[0] in (6, 7, 8)
    with pytest.raises(ValueError, match="probability"):
        min_staffing_for_zero_breach(grid, lambda c: 1.0, evaluate, zero_breach_kpi="zero",
                                     probability=1.0)
