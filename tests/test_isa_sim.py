"""The M_t/M/s_t simulator, its exact Kolmogorov oracle, and ISA against SIPP."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from fcsim.staffing import erlang_c, sipp_staffing
from fcsim.staffing.isa_sim import (
    compare_staffing,
    isa_by_markov,
    paired_max_deviation_test,
    sinusoidal_rate,
    unbiased_p_delay,
)
from fcsim.staffing.tv_markov import markov_delay_probability
from fcsim.staffing.tv_queue import TimeVaryingQueue


def _erlang_c_hand(c: int, a: float) -> float:
    """Erlang C from its textbook sum (independent of fcsim.staffing.erlang)."""
    terms = sum(a**k / math.factorial(k) for k in range(c))
    last = a**c / math.factorial(c) * c / (c - a)
    return last / (terms + last)


@pytest.mark.parametrize(("c", "a"), [(1, 0.5), (3, 2.4), (10, 8.0)])
def test_markov_constant_rate_is_erlang_c(c: int, a: float) -> None:
    rate = np.full(6, a / 0.5)  # mean service 0.5 h
    p = markov_delay_probability(rate, 0.5, np.full(6, c))
    assert p == pytest.approx(np.full(6, _erlang_c_hand(c, a)), rel=1e-7)
    assert p[0] == pytest.approx(erlang_c(c, a), rel=1e-7)


def test_sinusoidal_rate_bins_average_the_sinusoid() -> None:
    r = sinusoidal_rate(10.0, 0.5, period_h=24.0, bins=24)
    assert r.mean() == pytest.approx(10.0, rel=1e-12)
    # bin 0: 10 (1 + 0.5 ∫_0^1 sin(2πt/24) dt) = 10 (1 + 0.5 (1 - cos(π/12)) 24/(2π))
    assert r[0] == pytest.approx(10 * (1 + 0.5 * (1 - math.cos(math.pi / 12)) * 12 / math.pi))
    assert r[6] > r[0] and r[18] < r[12]
    with pytest.raises(ValueError):
        sinusoidal_rate(10.0, 1.5)


def test_simulator_matches_exact_markov_per_bin() -> None:
    rate = sinusoidal_rate(8.0, 0.6)
    st = sipp_staffing(rate, 1.0, max_p_wait=0.2)
    exact = markov_delay_probability(rate, 1.0, st)
    q = TimeVaryingQueue(rate, 1.0, seed=20260301, cycles=7, max_servers=40, warmup_bins=24)
    reps = 400
    per = unbiased_p_delay(q, q.delay_counts(st, reps).delayed)
    mean = per.mean(axis=0)
    tq = stats.t.ppf(1 - 0.001 / (2 * rate.size), df=reps - 1)  # Bonferroni, 99.9 % joint
    half = tq * per.std(axis=0, ddof=1) / math.sqrt(reps)
    assert np.all(np.abs(mean - exact) <= half), np.abs(mean - exact) / half
    assert half.max() < 0.05


def test_simulator_crn_monotone_and_reproducible() -> None:
    rate = sinusoidal_rate(6.0, 0.5)
    q = TimeVaryingQueue(rate, 1.0, seed=3, cycles=2, max_servers=30)
    st = sipp_staffing(rate, 1.0, max_p_wait=0.3)
    a = q.delay_counts(st, 5)
    b = q.delay_counts(st + 1, 5)
    # the same random numbers: identical arrivals; one more server never delays more
    assert np.array_equal(a.arrivals, b.arrivals)
    assert np.all(b.delayed <= a.delayed) and b.delayed.sum() < a.delayed.sum()
    # replication r is the same whatever else is asked; a fresh simulator reproduces it
    one = TimeVaryingQueue(rate, 1.0, seed=3, cycles=2, max_servers=30).delay_counts(st, [3])
    assert np.array_equal(one.delayed[0], a.delayed[3])
    other = TimeVaryingQueue(rate, 1.0, seed=4, cycles=2, max_servers=30).delay_counts(st, [3])
    assert not np.array_equal(other.arrivals[0], a.arrivals[3])


def test_simulator_rejects_bad_input() -> None:
    q = TimeVaryingQueue(np.ones(4), 1.0, seed=1, max_servers=5)
    with pytest.raises(ValueError, match="shape"):
        q.delay_counts(np.ones(3, dtype=int), 2)
    with pytest.raises(ValueError, match="max_servers"):
        q.delay_counts(np.full(4, 6), 2)
    with pytest.raises(ValueError, match=r"arrival_rate_per_h\[1\]"):
        TimeVaryingQueue([1.0, -1.0], 1.0, seed=1)


def test_isa_markov_meets_target_where_sipp_fails() -> None:
    rate = sinusoidal_rate(10.0, 0.6)
    alpha = 0.1
    res = isa_by_markov(rate, 2.0, alpha)
    assert res.converged
    p = markov_delay_probability(rate, 2.0, res.staffing)
    assert np.all(p <= alpha + 1e-9)
    sipp = sipp_staffing(rate, 2.0, max_p_wait=alpha)
    assert markov_delay_probability(rate, 2.0, sipp).max() > alpha + 0.3


def test_isa_smaller_max_deviation_than_sipp_paired() -> None:
    """Done-when: largest hourly |P(delay) - target| smaller under ISA (paired, 99.9 %)."""
    rate = sinusoidal_rate(10.0, 0.6)  # 20 Erlang on average, E[S] = 2 h, daily cycle
    alpha = 0.1
    cmp = compare_staffing(rate, 2.0, alpha, seed=20260302, replications=20,
                           eval_replications=20, cycles=7)
    summ = cmp.summary.set_index("method")
    assert summ.loc["isa", "max_dev_exact"] < summ.loc["sipp", "max_dev_exact"]
    q = TimeVaryingQueue(rate, 2.0, seed=99, cycles=7, max_servers=60)
    test = paired_max_deviation_test(q, cmp.isa.staffing, cmp.table["staffing_sipp"].to_numpy(),
                                     alpha, replications=100, confidence=0.999)
    assert test.smaller and test.min_lower_bound > 0
    assert test.max_dev_a < test.max_dev_b
