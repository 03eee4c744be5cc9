"""Survival functions, their inverses and the residual sampler, against scipy.stats."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from fcsim.scenarios.distributions import (
    Empirical,
    Exponential,
    Fixed,
    Gamma,
    LogNormal,
    Triangular,
    Uniform,
    Weibull,
)

S2 = math.log1p(0.5**2)
CASES = [
    (LogNormal(mean=3.0, cv=0.5),
     stats.lognorm(s=math.sqrt(S2), scale=math.exp(math.log(3.0) - S2 / 2))),
    (Gamma(mean=3.0, cv=0.5), stats.gamma(a=4.0, scale=0.75)),
    (Weibull(shape=1.5, scale=4.0), stats.weibull_min(c=1.5, scale=4.0)),
    (Exponential(mean=2.0), stats.expon(scale=2.0)),
    (Uniform(low=2.0, high=9.0), stats.uniform(2.0, 7.0)),
    (Triangular(low=1.0, mode=3.0, high=10.0), stats.triang(c=2 / 9, loc=1.0, scale=9.0)),
    (Triangular(low=1.0, mode=1.0, high=4.0), stats.triang(c=0.0, loc=1.0, scale=3.0)),
    (Triangular(low=1.0, mode=4.0, high=4.0), stats.triang(c=1.0, loc=1.0, scale=3.0)),
]
IDS = ["lognormal", "gamma", "weibull", "exponential", "uniform", "triangular",
       "triangular-left", "triangular-right"]


@pytest.mark.parametrize(("dist", "ref"), CASES, ids=IDS)
def test_sf_isf_cdf_ppf_match_scipy(dist, ref) -> None:
    x = np.linspace(-1.0, 25.0, 211)
    q = np.linspace(1e-6, 1 - 1e-6, 97)
    np.testing.assert_allclose(dist.sf(x), ref.sf(x), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(dist.cdf(x), ref.cdf(x), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(dist.isf(q), ref.isf(q), rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(dist.ppf(q), ref.ppf(q), rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize(("dist", "ref"), CASES, ids=IDS)
def test_conditional_is_the_inverse_cdf_on_u_fa_1(dist, ref) -> None:
    """conditional(u, a) = F⁻¹(F(a) + (1 − u)(1 − F(a))) — scipy's own quantile function on
    U(F(a), 1), for a grid of uniforms and elapsed times inside the support."""
    u = np.linspace(0.001, 0.999, 37)
    for a in ref.ppf([0.1, 0.5, 0.9]):
        expected = ref.ppf(ref.cdf(a) + (1 - u) * ref.sf(a))
        np.testing.assert_allclose(dist.conditional(u, a), expected, rtol=1e-7, atol=1e-9)
        np.testing.assert_allclose(dist.residual(u, a), expected - a, rtol=1e-7, atol=1e-9)
    # elapsed 0 is the unconditioned draw: the same uniform gives a fresh stage's duration
    np.testing.assert_allclose(dist.conditional(u, 0.0), dist.isf(u), rtol=1e-12)


@pytest.mark.parametrize(("dist", "ref"), CASES[:4], ids=IDS[:4])
def test_residual_mean_is_the_mean_residual_life(dist, ref) -> None:
    """The mean of 40,000 seeded residual draws after a = median holds the exact mean
    residual life ∫_a^∞ S(x) dx / S(a) in its 99.9 % interval (half-width under 3 %)."""
    a = float(ref.median())
    exact = integrate.quad(ref.sf, a, np.inf)[0] / ref.sf(a)
    rng = np.random.Generator(np.random.PCG64(20260415))
    r = dist.sample_residual(rng, a, 40_000)
    half = stats.norm.ppf(0.9995) * r.std(ddof=1) / math.sqrt(r.size)
    assert half < 0.03 * exact
    assert abs(r.mean() - exact) <= half


def test_the_far_tail_keeps_its_precision() -> None:
    """A stage far in the tail still gets a residual, finite and positive (the survival form,
    not 1 − CDF, which rounds to 1 there)."""
    d = LogNormal(mean=1.0, cv=0.3)
    a = 20.0
    assert 0 < float(d.sf(a)) < 1e-17
    assert float(d.cdf(a)) == 1.0
    r = d.residual(np.array([0.1, 0.5, 0.9]), a)
    assert np.all(np.isfinite(r)) and np.all(r > 0)
    assert np.all(np.diff(r) < 0)  # a larger uniform, a smaller survival quantile


def test_past_the_support_the_stage_ends_now() -> None:
    u = np.array([0.2, 0.7])
    assert np.all(Uniform(low=1.0, high=3.0).residual(u, 5.0) == 0.0)
    assert np.all(Fixed(value=2.0).residual(u, 2.5) == 0.0)
    np.testing.assert_allclose(Fixed(value=2.0).residual(u, 0.5), [1.5, 1.5])
    assert np.all(Fixed(value=0.0).residual(u, 0.0) == 0.0)
    assert np.all(Triangular(low=1.0, mode=2.0, high=4.0).residual(u, 4.0) == 0.0)


def test_exponential_residual_is_memoryless() -> None:
    u = np.linspace(0.01, 0.99, 25)
    d = Exponential(mean=2.0)
    np.testing.assert_allclose(d.residual(u, 7.3), d.residual(u, 0.0), rtol=1e-12)


def test_empirical_conditional_picks_uniformly_among_the_values_above() -> None:
    d = Empirical(values=(1.0, 2.0, 2.0, 3.0, 5.0, 8.0))
    u = (np.arange(6000) + 0.5) / 6000  # a fine grid of uniforms
    got = d.conditional(u, 2.0)
    values, counts = np.unique(got, return_counts=True)
    assert values.tolist() == [3.0, 5.0, 8.0]
    assert counts.tolist() == [2000, 2000, 2000]
    # unconditioned: each stored value once in six (2.0 twice)
    values, counts = np.unique(d.conditional(u, 0.0), return_counts=True)
    assert dict(zip(values.tolist(), counts.tolist(), strict=True)) == {
        1.0: 1000, 2.0: 2000, 3.0: 1000, 5.0: 1000, 8.0: 1000}
    assert np.all(d.residual(u, 8.0) == 0.0)


def test_sample_residual_shapes() -> None:
    rng = np.random.Generator(np.random.PCG64(1))
    d = Gamma(mean=2.0, cv=0.7)
    assert isinstance(d.sample_residual(rng, 1.0), float)
    assert d.sample_residual(rng, np.array([0.5, 1.0, 2.0])).shape == (3,)
    assert d.sample_residual(rng, 1.0, 5).shape == (5,)
