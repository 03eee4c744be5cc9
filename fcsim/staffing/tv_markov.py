"""Exact P(delay) per bin of the periodic M_t/M/s_t queue from the Kolmogorov forward equations.

The same model as :class:`fcsim.staffing.tv_queue.TimeVaryingQueue` (birth rate ``λ_k``, death rate
``μ min(N, s_k)`` on bin ``k``), solved numerically instead of simulated: the distribution of
``N`` (truncated far above the staffing) is carried through each bin, over
periods until the periodic steady state is reached. By PASTA, the delay probability of the
arrivals of bin ``k`` is the time average over the bin of ``P(N(t) >= s_k)``. The transient
and its time average are computed exactly by uniformization on the tridiagonal generator
(vector operations only; no dense matrix exponential). It is the noise-free oracle for ISA
and for testing the simulator.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import numpy.typing as npt
from scipy import stats

__all__ = ["markov_delay_probability"]

log = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]


def markov_delay_probability(
    arrival_rate_per_h: npt.ArrayLike,
    mean_service_h: float,
    staffing: npt.ArrayLike,
    *,
    bin_h: float = 1.0,
    tol: float = 1e-10,
    max_periods: int = 200,
) -> FloatArray:
    """Periodic steady-state P(delay) of the arrivals of each bin.

    Parameters
    ----------
    arrival_rate_per_h : array_like
        Arrival rate per hour on each bin of one period.
    mean_service_h : float
        Mean exponential service time (hours).
    staffing : array_like of int
        Servers per bin (>= 1 where the rate is positive).
    bin_h : float
        Bin length (hours).
    tol : float
        Convergence tolerance on the distribution between successive periods (sup norm).
    max_periods : int
        Periods iterated at most.

    Returns
    -------
    ndarray
        P(delay) per bin (NaN for a bin without arrivals).
    """
    rate = np.asarray(arrival_rate_per_h, dtype=float)
    st = np.asarray(staffing)
    if rate.ndim != 1 or rate.size == 0 or np.any(~np.isfinite(rate) | (rate < 0)):
        raise ValueError("arrival_rate_per_h must be a non-empty 1-D array of rates >= 0")
    if st.shape != rate.shape or not np.issubdtype(st.dtype, np.integer) or st.min() < 0:
        raise ValueError(f"staffing must be non-negative integers of shape {rate.shape}")
    s = float(mean_service_h)
    if not math.isfinite(s) or s <= 0:
        raise ValueError(f"mean_service_h must be a finite positive number, got {s!r}")
    if np.any((st == 0) & (rate > 0)):
        raise ValueError("a bin with arrivals needs at least one server")
    mu = 1.0 / s
    m_max = float(rate.max()) * s
    # states 0..size-1; grow the truncation until the top state carries negligible mass
    size = int(max(int(st.max()), m_max) + 12.0 * math.sqrt(max(m_max, 1.0)) + 40)
    while True:
        p_delay, top = _solve(rate, mu, st, bin_h, tol, max_periods, size)
        if top < 1e-12:
            return p_delay
        log.debug("markov_delay_probability: mass %.2g at truncation %d, doubling", top, size)
        size *= 2
        if size > 20_000:
            raise ValueError("the queue is unstable for this staffing (mass escapes every "
                             "truncation); staff the peak bins higher")


def _bin_step(p: FloatArray, lam: float, mu: float, servers: int, length_h: float,
              tail: float) -> tuple[FloatArray, float]:
    """``p(length)`` and the time average of ``P(N >= servers)`` over ``[0, length]``.

    Uniformization on the tridiagonal generator: with ``P = I + Q/Λ``,
    ``p(t) = Σ_n Pois(n; Λt) p Pⁿ`` and ``(1/T)∫_0^T p = Σ_n P(Pois(ΛT) > n) / (ΛT) · p Pⁿ``.
    """
    size = p.size
    idx = np.arange(size)
    births = np.full(size, lam)
    births[-1] = 0.0
    deaths = mu * np.minimum(idx, servers).astype(float)
    big = float((births + deaths).max())
    if big <= 0.0:
        return p, float(p[servers:].sum())
    x = big * length_h
    n_terms = int(x + 12.0 * math.sqrt(x) + 30)
    ns = np.arange(n_terms)
    pmf = stats.poisson.pmf(ns, x)
    sf = stats.poisson.sf(ns, x) / x
    stay = 1.0 - (births + deaths) / big
    up = births / big
    down = deaths / big
    end = pmf[0] * p
    avg = sf[0] * p[servers:].sum()
    cur = p
    for n in range(1, n_terms):
        nxt = cur * stay
        nxt[1:] += cur[:-1] * up[:-1]
        nxt[:-1] += cur[1:] * down[1:]
        cur = nxt
        end += pmf[n] * cur
        avg += sf[n] * cur[servers:].sum()
        if sf[n] < tail and n > x:
            break
    return end, float(avg)


def _solve(rate: FloatArray, mu: float, st: npt.NDArray[np.integer], bin_h: float,
           tol: float, max_periods: int, size: int) -> tuple[FloatArray, float]:
    n = rate.size
    m0 = float(rate.mean()) / mu
    p = np.exp(-m0 + np.arange(size) * math.log(max(m0, 1e-300)) -
               np.array([math.lgamma(i + 1) for i in range(size)]))
    p /= p.sum()
    out = np.zeros(n)
    top = 0.0
    for _ in range(max_periods):
        start = p.copy()
        top = 0.0
        for k in range(n):
            lam, sk = float(rate[k]), int(st[k])
            pieces = max(1, math.ceil((lam + mu * min(sk, size)) * bin_h / 200.0))
            acc = 0.0
            for _piece in range(pieces):
                p, a = _bin_step(p, lam, mu, sk, bin_h / pieces, 1e-15)
                acc += a / pieces
            out[k] = acc
            top = max(top, float(p[-1]))
        if float(np.abs(p - start).max()) < tol:
            break
    else:
        log.warning("markov_delay_probability: no periodic steady state within %d periods",
                    max_periods)
    return np.where(rate > 0, np.clip(out, 0.0, 1.0), np.nan), top
