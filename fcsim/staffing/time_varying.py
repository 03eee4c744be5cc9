"""Time-varying staffing for a periodic arrival rate (e.g. one rate per hour of the week).

The arrival rate is piecewise constant: ``arrival_rate_per_h[k]`` holds on bin ``k`` of length
``bin_h`` hours, and the pattern repeats with period ``len(arrival_rate_per_h) * bin_h``.

* :func:`offered_load` — the offered load ``m(t) = E[∫_{t-S}^t λ(u) du]`` (mean number busy in
  the infinite-server system, Eick–Massey–Whitt), periodic steady state. Exponential service:
  exact solution of ``m' = λ(t) - m / E[S]``; any other service law (given by its survival
  function): exact circular convolution of the piecewise-constant rate with ``G^c``.
* :func:`sipp_staffing` (stationary independent period by period), :func:`lagged_sipp_staffing`
  (rate shifted by the mean service time), :func:`mol_staffing` (Erlang C/A on the offered
  load), :func:`square_root_staffing` with :func:`halfin_whitt_beta` for a target P(delay).
* :func:`iterative_staffing` — the iterative staffing algorithm (ISA, Feldman, Mandelbaum,
  Massey & Whitt 2008) driven by any ``simulate_delay_probability(staffing) -> P(delay)``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import optimize, special, stats

from fcsim.staffing.erlang import erlang_a_required_agents, erlang_c, erlang_c_required_agents

__all__ = [
    "IsaResult",
    "OfferedLoad",
    "halfin_whitt_beta",
    "iterative_staffing",
    "lagged_sipp_staffing",
    "mol_staffing",
    "offered_load",
    "sipp_staffing",
    "square_root_staffing",
]

log = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Survival = Callable[[FloatArray], npt.ArrayLike]

_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(16)
_SUB = 8


# ----------------------------------------------------------------------------- validation
def _rates(arrival_rate_per_h: npt.ArrayLike) -> FloatArray:
    rate = np.asarray(arrival_rate_per_h, dtype=np.float64)
    if rate.ndim != 1 or rate.size == 0:
        raise ValueError(
            f"arrival_rate_per_h must be a non-empty 1-D array, got shape {rate.shape}"
        )
    bad = np.flatnonzero(~np.isfinite(rate) | (rate < 0))
    if bad.size:
        raise ValueError(
            f"arrival_rate_per_h[{bad[0]}] must be finite and non-negative, got {rate[bad[0]]!r}"
        )
    return rate


def _positive(value: float, name: str) -> float:
    v = float(value)
    if not math.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be a finite positive number, got {value!r}")
    return v


# ----------------------------------------------------------------------------- offered load
@dataclass(frozen=True)
class OfferedLoad:
    """The periodic offered load on a grid of ``steps_per_bin`` points per bin.

    Attributes
    ----------
    times_h : ndarray
        Grid times ``0, δ, 2δ, …`` over one period (the period end is not repeated).
    load : ndarray
        ``m(t)`` at ``times_h`` (Erlang).
    bin_mean : ndarray
        Time-average of ``m`` over each bin (exact for exponential service, else by Simpson's
        rule on the grid, or the trapezoid rule for an odd ``steps_per_bin``).
    bin_max : ndarray
        Maximum of ``m`` over the grid points of each bin, both ends included.
    """

    times_h: FloatArray
    load: FloatArray
    bin_mean: FloatArray
    bin_max: FloatArray


def _exponential_load(rate: FloatArray, s: float, bin_h: float, steps: int) -> OfferedLoad:
    n = rate.size
    decay_bin = math.exp(-bin_h / s)
    # m at bin starts: m_{k+1} = λ_k s + (m_k - λ_k s) e^{-h/s}; periodic fixed point.
    m0 = 0.0
    for k in range(n):
        m0 = rate[k] * s + (m0 - rate[k] * s) * decay_bin
    m0 /= 1.0 - math.exp(-n * bin_h / s)
    starts = np.empty(n)
    m = m0
    for k in range(n):
        starts[k] = m
        m = rate[k] * s + (m - rate[k] * s) * decay_bin
    u = np.arange(steps + 1) * (bin_h / steps)  # offsets within a bin, both ends
    eq = rate[:, None] * s
    within = eq + (starts[:, None] - eq) * np.exp(-u[None, :] / s)
    mean = eq[:, 0] + (starts - eq[:, 0]) * s / bin_h * -math.expm1(-bin_h / s)
    times = np.arange(n * steps, dtype=np.float64) * (bin_h / steps)
    return OfferedLoad(times, within[:, :-1].reshape(-1), mean, within.max(axis=1))


def _general_load(
    rate: FloatArray, survival: Survival, s: float, bin_h: float, steps: int
) -> OfferedLoad:
    n = rate.size
    big_n = n * steps
    delta = bin_h / steps
    # w_l = ∫_{lδ}^{(l+1)δ} G^c by Gauss-Legendre, until G^c is negligible.
    weights: list[FloatArray] = []
    total = 0.0
    start = 0
    chunk = max(big_n, 1024)
    horizon = max(20.0 * n * bin_h, 50.0 * s)
    while True:
        # each step split into _SUB panels of 16-point Gauss-Legendre
        lo = (start * _SUB + np.arange(chunk * _SUB)) * (delta / _SUB)
        pts = lo[:, None] + (_GL_NODES[None, :] + 1.0) * (delta / (2.0 * _SUB))
        g = np.clip(np.asarray(survival(pts.reshape(-1)), dtype=float).reshape(pts.shape), 0, 1)
        w = (g @ _GL_WEIGHTS).reshape(chunk, _SUB).sum(axis=1) * (delta / (2.0 * _SUB))
        weights.append(w)
        total += float(w.sum())
        start += chunk
        negligible = bool(g[-1, -1] < 1e-13)
        if negligible or start * delta > horizon:
            break
    if negligible and abs(total - s) > 1e-3 * s:
        raise ValueError(
            f"service_survival integrates to {total:.6g} h, inconsistent with "
            f"mean_service_h={s:.6g}"
        )
    # a heavy tail beyond the horizon (many periods back) sees the period-average rate
    tail_mass = 0.0 if negligible else max(s - total, 0.0)
    w_all = np.concatenate(weights)
    folded = np.bincount(np.arange(w_all.size) % big_n, weights=w_all, minlength=big_n)
    # m(t_i) = Σ_l w_l λ(interval [t_i - (l+1)δ, t_i - lδ]) = Σ_l w_l r[i - 1 - l]  (circular)
    r = np.repeat(rate, steps)
    m = np.roll(np.real(np.fft.ifft(np.fft.fft(r) * np.fft.fft(folded))), 1)
    m = m + tail_mass * float(rate.mean())
    m = np.maximum(m, 0.0)
    ext = np.append(m, m[0]).astype(float)
    blocks = np.stack([ext[k * steps : (k + 1) * steps + 1] for k in range(n)])
    if steps % 2 == 0:  # composite Simpson
        coef = np.ones(steps + 1)
        coef[1:-1:2], coef[2:-1:2] = 4.0, 2.0
        mean = blocks @ coef / (3.0 * steps)
    else:  # trapezoid
        mean = (blocks[:, :-1].sum(axis=1) + blocks[:, 1:].sum(axis=1)) / (2.0 * steps)
    times = np.arange(big_n, dtype=np.float64) * delta
    return OfferedLoad(times, m, mean, blocks.max(axis=1))


def offered_load(
    arrival_rate_per_h: npt.ArrayLike,
    mean_service_h: float,
    *,
    bin_h: float = 1.0,
    service_survival: Survival | None = None,
    steps_per_bin: int = 12,
) -> OfferedLoad:
    """Periodic offered load ``m(t)`` of an infinite-server system.

    Parameters
    ----------
    arrival_rate_per_h : array_like
        Arrival rate (per hour) on each bin of one period.
    mean_service_h : float
        Mean service time in hours.
    bin_h : float
        Bin length in hours.
    service_survival : callable, optional
        Vectorised ``s_h -> P(S > s_h)`` (e.g. a frozen ``scipy.stats`` law's ``sf``); its
        integral must equal ``mean_service_h``. ``None`` means exponential service. Steps
        are integrated by Gauss–Legendre; a tail beyond ``max(20 periods, 50 E[S])`` is
        counted at the period-average rate.
    steps_per_bin : int
        Grid points per bin.
    """
    rate = _rates(arrival_rate_per_h)
    s = _positive(mean_service_h, "mean_service_h")
    h = _positive(bin_h, "bin_h")
    if not isinstance(steps_per_bin, int) or steps_per_bin < 1:
        raise ValueError(f"steps_per_bin must be a positive integer, got {steps_per_bin!r}")
    if service_survival is None:
        return _exponential_load(rate, s, h, steps_per_bin)
    return _general_load(rate, service_survival, s, h, steps_per_bin)


# ----------------------------------------------------------------------------- staffing rules
def _required(
    loads: FloatArray,
    mean_service_h: float,
    max_p_wait: float | None,
    min_service_level: float | None,
    target_wait_h: float | None,
    mean_patience_h: float | None,
) -> IntArray:
    out = np.empty(loads.size, dtype=np.int64)
    for k, a in enumerate(loads):
        if mean_patience_h is None:
            out[k] = erlang_c_required_agents(
                float(a), max_p_wait=max_p_wait, min_service_level=min_service_level,
                target_wait=target_wait_h, mean_service=mean_service_h,
            )
        else:
            out[k] = erlang_a_required_agents(
                float(a) / mean_service_h, 1.0 / mean_service_h,
                1.0 / _positive(mean_patience_h, "mean_patience_h"),
                max_p_wait=max_p_wait, min_service_level=min_service_level,
                target_wait=target_wait_h,
            )
    return out


def sipp_staffing(
    arrival_rate_per_h: npt.ArrayLike,
    mean_service_h: float,
    *,
    max_p_wait: float | None = None,
    min_service_level: float | None = None,
    target_wait_h: float | None = None,
    mean_patience_h: float | None = None,
) -> IntArray:
    """SIPP: each bin staffed as a stationary Erlang C (or A) system with that bin's rate.

    Targets as in :func:`~fcsim.staffing.erlang.erlang_c_required_agents`;
    ``mean_patience_h`` switches to Erlang A (service level then ``P(W <= t)``).
    """
    rate = _rates(arrival_rate_per_h)
    s = _positive(mean_service_h, "mean_service_h")
    return _required(rate * s, s, max_p_wait, min_service_level, target_wait_h, mean_patience_h)


def _lagged_bin_rates(rate: FloatArray, bin_h: float, lag_h: float) -> FloatArray:
    """Mean over each bin of ``λ(t - lag)`` for the periodic piecewise-constant ``λ``."""
    n = rate.size
    period = n * bin_h
    cum = np.concatenate([[0.0], np.cumsum(rate) * bin_h])

    def big_lambda(t: FloatArray) -> FloatArray:
        q, r = np.divmod(t, period)
        k = np.minimum((r // bin_h).astype(int), n - 1)
        return q * cum[-1] + cum[k] + rate[k] * (r - k * bin_h)

    edges = np.arange(n + 1, dtype=np.float64) * bin_h - lag_h
    return np.diff(big_lambda(edges)) / bin_h


def lagged_sipp_staffing(
    arrival_rate_per_h: npt.ArrayLike,
    mean_service_h: float,
    *,
    bin_h: float = 1.0,
    lag_h: float | None = None,
    max_p_wait: float | None = None,
    min_service_level: float | None = None,
    target_wait_h: float | None = None,
    mean_patience_h: float | None = None,
) -> IntArray:
    """Lagged SIPP: SIPP on the bin means of ``λ(t - lag)`` (``lag`` defaults to E[S])."""
    rate = _rates(arrival_rate_per_h)
    s = _positive(mean_service_h, "mean_service_h")
    h = _positive(bin_h, "bin_h")
    lag = s if lag_h is None else float(lag_h)
    if not math.isfinite(lag) or lag < 0:
        raise ValueError(f"lag_h must be a finite non-negative number, got {lag_h!r}")
    lagged = _lagged_bin_rates(rate, h, lag)
    return _required(lagged * s, s, max_p_wait, min_service_level, target_wait_h, mean_patience_h)


def mol_staffing(
    load: OfferedLoad,
    mean_service_h: float,
    *,
    max_p_wait: float | None = None,
    min_service_level: float | None = None,
    target_wait_h: float | None = None,
    mean_patience_h: float | None = None,
    use_bin_max: bool = True,
) -> IntArray:
    """Modified-offered-load staffing: Erlang C (or A) applied to the offered load of each bin.

    ``use_bin_max`` staffs for the largest load within the bin, else for its mean.
    """
    s = _positive(mean_service_h, "mean_service_h")
    loads = load.bin_max if use_bin_max else load.bin_mean
    return _required(loads, s, max_p_wait, min_service_level, target_wait_h, mean_patience_h)


def halfin_whitt_beta(max_p_wait: float) -> float:
    """Quality parameter β with ``[1 + β Φ(β) / φ(β)]^{-1} = max_p_wait`` (Halfin–Whitt)."""
    alpha = float(max_p_wait)
    if not 0 < alpha < 1:
        raise ValueError(f"max_p_wait must lie strictly between 0 and 1, got {max_p_wait!r}")

    def f(beta: float) -> float:
        # β Φ(β)/φ(β) in a form that does not overflow for large β
        expo = float(special.log_ndtr(beta)) - float(stats.norm.logpdf(beta))
        ratio = beta * math.exp(min(expo, 700.0))
        return 1.0 / (1.0 + ratio) - alpha

    return float(optimize.brentq(f, 0.0, 40.0, xtol=1e-14, rtol=1e-14))  # f(40) < 0 always


def square_root_staffing(
    load: OfferedLoad | npt.ArrayLike, beta: float, *, use_bin_max: bool = True
) -> IntArray:
    """``ceil(m + β √m)``: per bin of an :class:`OfferedLoad` (its max or mean), or elementwise."""
    b = float(beta)
    if not math.isfinite(b):
        raise ValueError(f"beta must be finite, got {beta!r}")
    if isinstance(load, OfferedLoad):
        m = load.bin_max if use_bin_max else load.bin_mean
    else:
        m = np.asarray(load, dtype=float)
        if np.any(~np.isfinite(m) | (m < 0)):
            raise ValueError("load must be finite and non-negative")
    # the tiny tolerance keeps an exact integer m + β√m from rounding up by float noise
    return np.ceil(m + b * np.sqrt(m) - 1e-9).astype(np.int64)


# ----------------------------------------------------------------------------- ISA
@dataclass(frozen=True)
class IsaResult:
    """Outcome of :func:`iterative_staffing`.

    Attributes
    ----------
    staffing : ndarray of int
        Final staffing per bin.
    p_delay : ndarray
        Delay probabilities returned for ``staffing``.
    iterations : int
        Number of calls of the delay-probability function.
    converged : bool
        Whether the last update moved no bin by more than ``tolerance_agents``.
    history : tuple of ndarray
        Staffing vectors evaluated, in order.
    """

    staffing: IntArray
    p_delay: FloatArray
    iterations: int
    converged: bool
    history: tuple[IntArray, ...]


def _implied_load(servers: int, p_delay: float) -> float:
    """Offered load ``a < servers`` at which Erlang C gives ``p_delay``."""
    return float(
        optimize.brentq(lambda a: erlang_c(servers, a) - p_delay, 0.0, servers * (1 - 1e-12),
                        xtol=1e-12)
    )


def iterative_staffing(
    simulate_delay_probability: Callable[[IntArray], npt.ArrayLike],
    initial_staffing: npt.ArrayLike,
    max_p_wait: float,
    *,
    max_iterations: int = 25,
    tolerance_agents: int = 0,
    min_agents: int = 1,
    required_agents: Callable[[float], int] | None = None,
) -> IsaResult:
    """Iterative staffing algorithm (ISA) driven by a delay-probability oracle.

    Each iteration evaluates ``p = simulate_delay_probability(s)`` (per-bin P(delay) of the
    time-varying system under staffing ``s``) and restaffs every bin for the target: the
    Erlang C load ``a_k`` reproducing ``p_k`` at ``s_k`` is found, and ``s_k`` becomes the
    fewest agents with ``C(s, a_k) <= max_p_wait``. A bin whose ``p`` is 1 (saturated) gets
    ``2 s_k``; one whose ``p`` is 0 or NaN (no arrivals) gets ``min_agents``. It stops when no bin
    moves by more than ``tolerance_agents`` (use 1 with a noisy simulation, as Feldman et al.)
    or after ``max_iterations`` evaluations. With ``tolerance_agents=0`` the returned staffing
    is a fixed point, so every bin meets the target and, by the local Erlang C model, one agent
    fewer in any bin would not.

    Feldman et al. restaff from the simulated distribution of the number in system,
    ``s(t) = min{s : P(L(t) >= s) <= α}``; here the oracle returns only P(delay), so the same
    fixed-point iteration restaffs through the Erlang C load implied by each bin's P(delay).

    Parameters
    ----------
    simulate_delay_probability : callable
        ``staffing (int array) -> per-bin P(delay)``, e.g. a seeded simulation.
    initial_staffing : array_like of int
        Starting staffing (e.g. from :func:`sipp_staffing`).
    max_p_wait : float
        Target delay probability per bin.
    required_agents : callable, optional
        ``implied load -> agents``: another target for the restaffing step (e.g. a service
        level ``P(W <= t)``); default the fewest agents with ``C(s, a) <= max_p_wait``.
    """
    alpha = float(max_p_wait)
    if not 0 < alpha < 1:
        raise ValueError(f"max_p_wait must lie strictly between 0 and 1, got {max_p_wait!r}")
    s = np.asarray(initial_staffing)
    if s.ndim != 1 or s.size == 0 or not np.issubdtype(s.dtype, np.integer) or np.any(s < 1):
        raise ValueError("initial_staffing must be a non-empty 1-D array of positive integers")
    if not isinstance(max_iterations, int) or max_iterations < 1:
        raise ValueError(f"max_iterations must be a positive integer, got {max_iterations!r}")
    if not isinstance(tolerance_agents, int) or tolerance_agents < 0:
        raise ValueError(
            f"tolerance_agents must be a non-negative integer, got {tolerance_agents!r}"
        )
    if not isinstance(min_agents, int) or min_agents < 1:
        raise ValueError(f"min_agents must be a positive integer, got {min_agents!r}")
    s = s.astype(np.int64)
    history: list[IntArray] = []
    for it in range(1, max_iterations + 1):
        history.append(s.copy())
        p = np.asarray(simulate_delay_probability(s.copy()), dtype=float)
        if p.shape != s.shape:
            raise ValueError(
                f"simulate_delay_probability returned shape {p.shape}, expected {s.shape}"
            )
        new = np.empty_like(s)
        for k, (sk, pk) in enumerate(zip(s, p, strict=True)):
            if math.isnan(pk):
                new[k] = min_agents
            elif pk >= 1.0 - 1e-12:
                new[k] = 2 * sk
            elif pk <= 0.0:
                new[k] = min_agents
            else:
                a = _implied_load(int(sk), float(pk))
                need = (erlang_c_required_agents(a, max_p_wait=alpha) if required_agents is None
                        else int(required_agents(a)))
                new[k] = max(min_agents, need)
        moved = int(np.max(np.abs(new - s)))
        log.debug("ISA iteration %d: max change %d agents", it, moved)
        if moved <= tolerance_agents:
            return IsaResult(s, p, it, True, tuple(history))
        s = new
    log.warning("ISA did not converge in %d iterations", max_iterations)
    return IsaResult(history[-1], p, max_iterations, False, tuple(history))
