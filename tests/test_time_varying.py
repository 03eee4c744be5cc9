"""Offered load, SIPP / lagged SIPP / square-root staffing and the ISA driver, against
hand-worked answers, the infinite-server formula and analytic stand-ins for the simulator."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from scipy import stats

from fcsim.staffing.erlang import erlang_c, erlang_c_required_agents
from fcsim.staffing.time_varying import (
    halfin_whitt_beta,
    iterative_staffing,
    lagged_sipp_staffing,
    mol_staffing,
    offered_load,
    sipp_staffing,
    square_root_staffing,
)

E = math.e


def week_rates(seed: int = 7) -> np.ndarray:
    """An hour-of-week pattern: daily sinusoid plus seeded noise (per hour)."""
    rng = np.random.default_rng(seed)
    h = np.arange(168)
    return 30 + 20 * np.sin(2 * np.pi * (h % 24 - 8) / 24) + rng.uniform(0, 5, 168)


# ----------------------------------------------------------------------------- offered load
def test_exponential_two_bin_hand_worked() -> None:
    # λ = 2 on [0,1), 0 on [1,2), E[S] = 1 h: m0 = (2 - 2/e)/e + m0/e^2  =>  m0 = 2/(e+1)
    m0 = 2 / (E + 1)
    m1 = 2 + (m0 - 2) / E
    load = offered_load([2.0, 0.0], 1.0, steps_per_bin=4)
    t = load.times_h
    want = np.where(t < 1, 2 + (m0 - 2) * np.exp(-t), m1 * np.exp(-(t - 1)))
    np.testing.assert_allclose(load.load, want, rtol=1e-13)
    np.testing.assert_allclose(load.bin_mean, [2 + (m0 - 2) * (1 - 1 / E), m1 * (1 - 1 / E)],
                               rtol=1e-13)
    np.testing.assert_allclose(load.bin_max, [m1, m1], rtol=1e-13)


def test_deterministic_service_hand_worked() -> None:
    # S = 0.5 h exactly: m(t) = ∫_{t-0.5}^t λ(u) du
    load = offered_load([2.0, 0.0], 0.5, steps_per_bin=4,
                        service_survival=lambda s: (s < 0.5).astype(float))
    np.testing.assert_allclose(load.load, [0, 0.5, 1, 1, 1, 0.5, 0, 0], atol=1e-12)
    # exact bin means: bin 0 ∫_0^1 min(2t, 1) dt = 0.75; bin 1 ∫_1^1.5 (1 - 2(t-1)) dt = 0.25
    np.testing.assert_allclose(load.bin_mean, [0.75, 0.25], atol=1e-12)


def test_exponential_closed_form_equals_convolution() -> None:
    rate = week_rates()
    exact = offered_load(rate, 0.3)
    conv = offered_load(rate, 0.3, service_survival=stats.expon(scale=0.3).sf)
    np.testing.assert_allclose(conv.load, exact.load, rtol=1e-10)
    np.testing.assert_allclose(conv.bin_max, exact.bin_max, rtol=1e-10)
    np.testing.assert_allclose(conv.bin_mean, exact.bin_mean, rtol=1e-3)  # Simpson, 12 steps


def test_exponential_load_solves_the_ode() -> None:
    # m' = λ - m/E[S] by central differences inside each bin of a fine grid
    rate = week_rates()[:24]
    s = 0.75
    load = offered_load(rate, s, steps_per_bin=400)
    m, dt = load.load, 1 / 400
    k = np.arange(m.size)
    inner = (k % 400 > 0) & (k % 400 < 399)
    i = k[inner]
    deriv = (m[i + 1] - m[i - 1]) / (2 * dt)
    np.testing.assert_allclose(deriv, rate[i // 400] - m[i] / s, atol=1e-3)


@pytest.mark.parametrize("dist", [stats.lognorm(s=0.8, scale=0.4), stats.gamma(a=3, scale=0.2),
                                  stats.uniform(loc=0.0, scale=1.2),
                                  stats.lognorm(s=2.0, scale=0.1)])  # heavy tail
def test_general_service_little_and_constant_rate(dist: stats.rv_continuous) -> None:
    mean_s = float(dist.mean())
    const = offered_load(np.full(24, 10.0), mean_s, service_survival=dist.sf)
    np.testing.assert_allclose(const.load, 10.0 * mean_s, rtol=1e-6)
    rate = week_rates()[:48]
    load = offered_load(rate, mean_s, service_survival=dist.sf)
    # over a period the time-average offered load is mean(λ) E[S] for any service law
    assert load.bin_mean.mean() == pytest.approx(rate.mean() * mean_s, rel=1e-6)
    # rotating the pattern by a bin rotates the load
    rot = offered_load(np.roll(rate, 5), mean_s, service_survival=dist.sf)
    np.testing.assert_allclose(rot.bin_max, np.roll(load.bin_max, 5), rtol=1e-9)


def test_offered_load_matches_infinite_server_simulation() -> None:
    # M_t/M/∞ by seeded thinning over many periods; E[N(t)] = m(t) at the start of each bin.
    rng = np.random.default_rng(20261126)
    rate = np.array([40.0, 5.0, 20.0, 60.0])
    s, periods = 0.5, 3000
    load = offered_load(rate, s, steps_per_bin=1)
    horizon = rate.size * periods
    lam_max = rate.max()
    t = np.cumsum(rng.exponential(1 / lam_max, int(lam_max * horizon * 1.1)))
    t = t[t < horizon]
    t = t[rng.random(t.size) < rate[(t % rate.size).astype(int)] / lam_max]
    dep = t + rng.exponential(s, t.size)
    # N at observation times k (integers, skipping a warm-up period), per phase k mod 4
    obs = np.arange(rate.size, horizon)
    n_obs = np.searchsorted(np.sort(t), obs) - np.searchsorted(np.sort(dep), obs)
    z = stats.norm.ppf(1 - 0.001 / (2 * rate.size))  # 99.9 %, Bonferroni over 4 phases
    for phase in range(rate.size):
        x = n_obs[obs % rate.size == phase].astype(float)
        # successive observations are one period (8 mean services) apart: ~independent
        half = z * x.std(ddof=1) / math.sqrt(x.size)
        assert half < 0.5
        assert abs(x.mean() - load.load[phase]) < half


# ----------------------------------------------------------------------------- staffing rules
def test_sipp_published_case_and_zero_rate() -> None:
    # 200 calls/h, 3 min each = 10 Erlang; P(wait) <= 0.2 needs 14 (C(13)=0.285, C(14)=0.174)
    got = sipp_staffing([200.0, 0.0], 0.05, max_p_wait=0.2)
    np.testing.assert_array_equal(got, [14, 1])
    got_sl = sipp_staffing([200.0], 0.05, min_service_level=0.8, target_wait_h=20 / 3600)
    np.testing.assert_array_equal(got_sl, [14])
    # with 5-minute patience (Erlang A): 13 agents give P(wait) = 0.2258 <= 0.25
    got_a = sipp_staffing([200.0], 0.05, max_p_wait=0.25, mean_patience_h=5 / 60)
    np.testing.assert_array_equal(got_a, [13])


def test_lagged_sipp_shifts_the_rate() -> None:
    rate = week_rates()
    base = sipp_staffing(rate, 1.0, max_p_wait=0.1)
    # a lag of exactly one bin is SIPP on the previous hour's rate
    lag1 = lagged_sipp_staffing(rate, 1.0, max_p_wait=0.1)
    np.testing.assert_array_equal(lag1, np.roll(base, 1))
    np.testing.assert_array_equal(lagged_sipp_staffing(rate, 1.0, lag_h=0.0, max_p_wait=0.1), base)
    # half a bin: the average of this and the previous hour's rate (load = rate * 1 h)
    half = lagged_sipp_staffing([200.0, 0.0], 0.5, lag_h=0.5, max_p_wait=0.2)
    np.testing.assert_array_equal(half, [erlang_c_required_agents(50.0, max_p_wait=0.2)] * 2)
    # a lag of a whole period changes nothing
    np.testing.assert_array_equal(
        lagged_sipp_staffing(rate, 1.0, lag_h=168.0, max_p_wait=0.1), base
    )


def test_halfin_whitt_beta() -> None:
    for alpha in (0.5, 0.2, 0.05, 1e-6):
        b = halfin_whitt_beta(alpha)
        # plug back: [1 + β Φ(β)/φ(β)]^-1
        assert 1 / (1 + b * stats.norm.cdf(b) / stats.norm.pdf(b)) == pytest.approx(alpha,
                                                                                   rel=1e-10)
    assert halfin_whitt_beta(0.5) == pytest.approx(0.5061, abs=1e-4)
    # the QED limit: Erlang C at a + β√a tends to α for a large load
    a = 40_000.0
    c = round(a + halfin_whitt_beta(0.2) * math.sqrt(a))
    assert erlang_c(c, a) == pytest.approx(0.2, abs=5e-3)
    with pytest.raises(ValueError, match="max_p_wait"):
        halfin_whitt_beta(1.0)


def test_square_root_staffing() -> None:
    np.testing.assert_array_equal(square_root_staffing([0.0, 4.0, 9.0, 2.25], 1.0), [0, 6, 12, 4])
    load = offered_load([200.0, 0.0], 0.05, steps_per_bin=6)
    got = square_root_staffing(load, 1.0)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, np.ceil(load.bin_max + np.sqrt(load.bin_max)))
    with pytest.raises(ValueError, match="load"):
        square_root_staffing([-1.0], 1.0)


def test_mol_staffing_constant_rate_is_stationary() -> None:
    load = offered_load(np.full(24, 200.0), 0.05)
    np.testing.assert_array_equal(mol_staffing(load, 0.05, max_p_wait=0.2), [14] * 24)
    np.testing.assert_array_equal(mol_staffing(load, 0.05, max_p_wait=0.2, use_bin_max=False),
                                  [14] * 24)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: offered_load([], 1.0), "arrival_rate_per_h"),
        (lambda: offered_load([1.0, -2.0], 1.0), r"arrival_rate_per_h\[1\]"),
        (lambda: offered_load([1.0], 0.0), "mean_service_h"),
        (lambda: offered_load([1.0], 1.0, bin_h=-1.0), "bin_h"),
        (lambda: offered_load([1.0], 1.0, steps_per_bin=0), "steps_per_bin"),
        (lambda: offered_load([1.0], 2.0, service_survival=stats.expon(scale=1.0).sf),
         "mean_service_h"),
        (lambda: lagged_sipp_staffing([1.0], 1.0, lag_h=-1.0, max_p_wait=0.1), "lag_h"),
        (lambda: sipp_staffing([1.0], 1.0, max_p_wait=0.1, mean_patience_h=0.0),
         "mean_patience_h"),
        (lambda: iterative_staffing(lambda s: s * 0.0, [0, 1], 0.1), "initial_staffing"),
        (lambda: iterative_staffing(lambda s: s * 0.0, [1], 0.0), "max_p_wait"),
        (lambda: iterative_staffing(lambda s: [0.1, 0.1], [1], 0.1), "shape"),
    ],
)
def test_bad_arguments_name_the_argument(call: Callable[[], object], name: str) -> None:
    with pytest.raises(ValueError, match=name):
        call()


# ----------------------------------------------------------------------------- ISA
def _psa(loads: np.ndarray) -> tuple[Callable[[np.ndarray], np.ndarray], list[np.ndarray]]:
    """Pointwise-stationary stand-in: P(delay) of Erlang C at each bin's offered load."""
    calls: list[np.ndarray] = []

    def f(staffing: np.ndarray) -> np.ndarray:
        calls.append(staffing)
        return np.array([erlang_c(int(c), float(a)) for c, a in zip(staffing, loads, strict=True)])

    return f, calls


def test_isa_with_pointwise_stationary_stand_in_gives_mol() -> None:
    rate = week_rates()
    load = offered_load(rate, 0.4)
    f, calls = _psa(load.bin_max)
    start = sipp_staffing(rate, 0.4, max_p_wait=0.1)
    res = iterative_staffing(f, start, 0.1)
    assert res.converged and res.iterations == len(calls) >= 2
    # the Erlang-C fixed point for each bin's load, computed directly
    want = [erlang_c_required_agents(float(a), max_p_wait=0.1) for a in load.bin_max]
    np.testing.assert_array_equal(res.staffing, want)
    assert np.all(res.p_delay <= 0.1)


def test_isa_with_infinite_server_stand_in_meets_target() -> None:
    # exact infinite-server stand-in: delay when the M_t/M/∞ occupancy, Poisson(m), reaches s
    rate = week_rates(3)
    load = offered_load(rate, 0.5)
    m = load.bin_max

    def p_delay(staffing: np.ndarray) -> np.ndarray:
        return stats.poisson.sf(staffing - 1, m)

    res = iterative_staffing(p_delay, np.ones(168, dtype=np.int64), 0.05)
    assert res.converged
    assert np.all(p_delay(res.staffing) <= 0.05)
    # not more than one agent above the least staffing meeting the Poisson criterion
    least = stats.poisson.ppf(1 - 0.05, m).astype(int) + 1
    assert np.all(p_delay(least) <= 0.05) and np.all(p_delay(least - 1) > 0.05)
    assert np.all((res.staffing >= least) & (res.staffing <= least + 1))


def test_isa_with_coupled_stand_in_converges_to_a_minimal_fixed_point() -> None:
    # backlog carried over: the effective load of bin k grows with the delay in bin k-1,
    # so changing one bin's staffing changes the next bin's P(delay) (as in a simulation)
    base = offered_load(week_rates(11), 0.4).bin_max

    def p_delay(staffing: np.ndarray) -> np.ndarray:
        p = np.empty(staffing.size)
        carry = 0.0
        for k, (c, a) in enumerate(zip(staffing, base, strict=True)):
            eff = a + carry
            p[k] = erlang_c(int(c), eff)
            carry = 3.0 * p[k] * eff / c
        return p

    res = iterative_staffing(p_delay, sipp_staffing(week_rates(11), 0.4, max_p_wait=0.1), 0.1)
    assert res.converged and res.iterations >= 3
    assert np.all(res.p_delay <= 0.1)
    np.testing.assert_allclose(res.p_delay, p_delay(res.staffing), rtol=0)
    for k in range(0, 168, 7):  # one agent fewer in any bin breaks that bin's target
        fewer = res.staffing.copy()
        fewer[k] -= 1
        assert p_delay(fewer)[k] > 0.1


def test_isa_saturated_start_and_no_convergence_reported() -> None:
    loads = np.array([30.0, 80.0, 5.0])
    f, _ = _psa(loads)
    res = iterative_staffing(f, [1, 1, 1], 0.2)  # P(delay) = 1: staffing doubles first
    assert res.converged
    np.testing.assert_array_equal(
        res.staffing, [erlang_c_required_agents(a, max_p_wait=0.2) for a in loads]
    )
    short = iterative_staffing(f, [1, 1, 1], 0.2, max_iterations=2)
    assert not short.converged and short.iterations == 2 and len(short.history) == 2
