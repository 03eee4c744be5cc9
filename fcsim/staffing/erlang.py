"""Erlang B, C and A: stationary analytic baselines for a pool of identical agents.

* Erlang B (M/M/c/c) and Erlang C (M/M/c) take the offered load ``load = λ·E[S]`` in Erlang;
  times (mean service, target wait) are in any one unit, and results come back in that unit.
* Erlang A (M/M/c+M, exponential patience) takes rates ``arrival_rate`` λ, ``service_rate`` μ
  and ``abandonment_rate`` θ (1 / mean patience) in one time unit.

Everything is computed in a form that stays finite for hundreds of servers: Erlang B by the
recursion ``B_k = a B_{k-1} / (k + a B_{k-1})``; Erlang A in log space from the regularised
lower incomplete gamma function, ``S(x, w) = Σ_j w^j / ((x+1)…(x+j)) = Γ(x+1) e^w w^{-x} P(x, w)``
(Garnett, Mandelbaum & Reiman 2002; Mandelbaum & Zeltyn 2004), with a direct positive series
where that is more accurate or ``P`` underflows.

Erlang A, with ``x = cμ/θ``, ``y = λ/θ``, ``z = e^{-θt}`` and ``E`` the Erlang B value:
``P(wait) = E S / (1 + (S-1) E)``; ``E[Q | wait] = y - x + x/S``; ``P(abandon) = θ E[Q] / λ``;
``E[W] = E[Q] / λ``; the offered wait ``V`` of a customer finding ``j`` waiting satisfies
``e^{-θV} ~ Beta(x, j+1)``, whence ``P(V > t | wait) = P(x, yz) / P(x, y)``, the actual wait
``W = min(V, patience)`` has ``P(W > t) = P(wait) e^{-θt} P(x, yz) / P(x, y)``, and
``P(W > t, served) = P(wait) x/(x+1) z^{x+1} e^{y(1-z)} S(x+1, yz) / S(x, y)``.
The mean waits of served and of abandoning arrivals integrate these tails numerically
(relative accuracy about 1e-10; when ``θ/μ`` is below about 1e-6 in a critically loaded or
overloaded system it degrades to about 1e-4, and a warning is logged).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import integrate, special

__all__ = [
    "ErlangA",
    "erlang_a",
    "erlang_a_required_agents",
    "erlang_a_service_level",
    "erlang_a_wait_tail",
    "erlang_b",
    "erlang_c",
    "erlang_c_mean_wait",
    "erlang_c_required_agents",
    "erlang_c_service_level",
]

log = logging.getLogger(__name__)

_MAX_SERIES_TERMS = 20_000_000
_SERIES_CHUNK = 4096


# ----------------------------------------------------------------------------- validation
def _check_servers(servers: int, name: str = "servers") -> int:
    if isinstance(servers, bool) or not isinstance(servers, int | np.integer) or servers < 1:
        raise ValueError(f"{name} must be a positive integer, got {servers!r}")
    return int(servers)


def _check_nonneg(value: float, name: str) -> float:
    v = float(value)
    if not math.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be a finite non-negative number, got {value!r}")
    return v


def _check_pos(value: float, name: str) -> float:
    v = float(value)
    if not math.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be a finite positive number, got {value!r}")
    return v


def _check_prob(value: float, name: str) -> float:
    v = float(value)
    if not 0 < v < 1:
        raise ValueError(f"{name} must lie strictly between 0 and 1, got {value!r}")
    return v


# ----------------------------------------------------------------------------- Erlang B / C
def erlang_b(servers: int, load: float) -> float:
    """Blocking probability of M/M/c/c (Erlang B) by the stable recursion.

    Parameters
    ----------
    servers : int
        Number of servers ``c >= 1``.
    load : float
        Offered load ``a = λ/μ`` in Erlang (``>= 0``).
    """
    c = _check_servers(servers)
    a = _check_nonneg(load, "load")
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def _erlang_c_from_b(c: int, a: float, b: float) -> float:
    if a >= c:
        return 1.0
    rho = a / c
    return b / (1.0 - rho * (1.0 - b))


def erlang_c(servers: int, load: float) -> float:
    """Probability of waiting in M/M/c (Erlang C); 1.0 when ``load >= servers`` (unstable).

    Parameters
    ----------
    servers : int
        Number of agents ``c >= 1``.
    load : float
        Offered load ``a = λ E[S]`` in Erlang.
    """
    c = _check_servers(servers)
    a = _check_nonneg(load, "load")
    return _erlang_c_from_b(c, a, erlang_b(c, a))


def erlang_c_mean_wait(servers: int, load: float, mean_service: float) -> float:
    """Mean wait in queue of M/M/c, ``C E[S] / (c - a)`` (``inf`` when unstable)."""
    c = _check_servers(servers)
    a = _check_nonneg(load, "load")
    s = _check_pos(mean_service, "mean_service")
    if a >= c:
        return math.inf
    return erlang_c(c, a) * s / (c - a)


def erlang_c_service_level(
    servers: int, load: float, mean_service: float, target_wait: float
) -> float:
    """``P(W <= t) = 1 - C exp(-(c - a) t / E[S])`` for M/M/c (0.0 when unstable)."""
    c = _check_servers(servers)
    a = _check_nonneg(load, "load")
    s = _check_pos(mean_service, "mean_service")
    t = _check_nonneg(target_wait, "target_wait")
    if a >= c:
        return 0.0
    return 1.0 - erlang_c(c, a) * math.exp(-(c - a) * t / s)


def erlang_c_required_agents(
    load: float,
    *,
    max_p_wait: float | None = None,
    min_service_level: float | None = None,
    target_wait: float | None = None,
    max_mean_wait: float | None = None,
    mean_service: float | None = None,
    max_servers: int = 100_000,
) -> int:
    """Fewest agents meeting every given target in M/M/c.

    Parameters
    ----------
    load : float
        Offered load in Erlang.
    max_p_wait : float, optional
        Upper bound on the probability of waiting.
    min_service_level, target_wait : float, optional
        Lower bound on ``P(W <= target_wait)`` (both needed, with ``mean_service``).
    max_mean_wait : float, optional
        Upper bound on the mean wait (needs ``mean_service``).
    mean_service : float, optional
        Mean handling time, in the unit of the wait targets.
    max_servers : int
        Search limit; ``ValueError`` if no staffing up to it meets the targets.
    """
    a = _check_nonneg(load, "load")
    _check_servers(max_servers, "max_servers")
    if max_p_wait is not None:
        _check_prob(max_p_wait, "max_p_wait")
    if (min_service_level is None) != (target_wait is None):
        raise ValueError("min_service_level and target_wait must be given together")
    if min_service_level is not None:
        _check_prob(min_service_level, "min_service_level")
        _check_nonneg(target_wait, "target_wait")  # type: ignore[arg-type]
    if max_mean_wait is not None:
        _check_pos(max_mean_wait, "max_mean_wait")
    needs_s = min_service_level is not None or max_mean_wait is not None
    if needs_s:
        if mean_service is None:
            raise ValueError("mean_service is required for service-level or mean-wait targets")
        s = _check_pos(mean_service, "mean_service")
    if max_p_wait is None and min_service_level is None and max_mean_wait is None:
        raise ValueError("give at least one of max_p_wait, min_service_level, max_mean_wait")
    if a == 0:
        return 1
    b = 1.0
    for c in range(1, max_servers + 1):
        b = a * b / (c + a * b)
        if c <= a:
            continue
        pw = _erlang_c_from_b(c, a, b)
        ok = max_p_wait is None or pw <= max_p_wait
        if ok and min_service_level is not None:
            sl = 1.0 - pw * math.exp(-(c - a) * float(target_wait) / s)  # type: ignore[arg-type]
            ok = sl >= min_service_level
        if ok and max_mean_wait is not None:
            ok = pw * s / (c - a) <= max_mean_wait
        if ok:
            return c
    raise ValueError(f"no staffing up to max_servers={max_servers} meets the targets")


# ----------------------------------------------------------------------------- special functions
def _kummer_series(x: float, w: float) -> tuple[float, float]:
    """(log S(x, w), Σ j t_j / S) by the positive series ``t_j = w^j / ((x+1)...(x+j))``.

    Requires ``w < x + 1`` (terms decrease from the start).
    """
    total, first_moment = 1.0, 0.0
    last = 1.0
    start = 1
    while start <= _MAX_SERIES_TERMS:
        i = np.arange(start, start + _SERIES_CHUNK, dtype=float)
        terms = last * np.cumprod(w / (x + i))
        total += float(terms.sum())
        first_moment += float(i @ terms)
        last = float(terms[-1])
        start += _SERIES_CHUNK
        r = w / (x + start)
        if last * r / (1.0 - r) * start / (1.0 - r) < 1e-17 * total:
            return math.log(total), first_moment / total
    raise ArithmeticError(f"series for S(x={x}, w={w}) did not converge")


def _use_series(x: float, w: float) -> bool:
    if w >= x + 1.0:
        return False
    ratio = w / (x + 1.0)
    return ratio < 0.5 or 40.0 / -math.log(ratio) < 2e5


def _log_kummer(x: float, w: float) -> float:
    """``log S(x, w)``, ``S = Σ_{j>=0} w^j / ((x+1)...(x+j)) = Γ(x+1) e^w w^-x P(x, w)``."""
    if w == 0.0:
        return 0.0
    if _use_series(x, w):
        return _kummer_series(x, w)[0]
    p = float(special.gammainc(x, w))
    if p > 1e-280:
        return math.log(p) + w - x * math.log(w) + float(special.gammaln(x + 1.0))
    return _kummer_series(x, w)[0]


def _kummer_moments(x: float, w: float) -> tuple[float, float]:
    """``(log S(x, w), E[J])`` for ``P(J = j) ∝ t_j``; ``E[J] = w - x + x/S``."""
    if w == 0.0:
        return 0.0, 0.0
    if _use_series(x, w):
        return _kummer_series(x, w)
    log_s = _log_kummer(x, w)
    return log_s, max(w - x + x * math.exp(-log_s), 0.0)


def _log_inv_b_minus_one(c: int, a: float) -> float:
    """``log(1/B_c - 1)`` for Erlang B in log space (no underflow for large ``c``)."""
    log_g = 0.0  # log(1/B_0) = 0
    for k in range(1, c):
        log_g = float(np.logaddexp(0.0, math.log(k / a) + log_g))
    return math.log(c / a) + log_g


# ----------------------------------------------------------------------------- Erlang A
@dataclass(frozen=True)
class ErlangA:
    """Stationary performance of M/M/c+M (Erlang A); times in the unit of the rates.

    Attributes
    ----------
    p_wait : float
        Probability an arrival has to wait (finds all agents busy).
    p_abandon : float
        Probability an arrival abandons.
    mean_queue : float
        Mean number waiting.
    mean_wait : float
        Mean time in queue of all arrivals (until service or abandonment).
    mean_wait_served, mean_wait_abandoned : float
        Mean time in queue of served / of abandoning arrivals (``nan`` if that set is empty).
    """

    servers: int
    arrival_rate: float
    service_rate: float
    abandonment_rate: float
    p_wait: float
    p_abandon: float
    mean_queue: float
    mean_wait: float
    mean_wait_served: float
    mean_wait_abandoned: float


def _check_a(servers: int, lam: float, mu: float, theta: float) -> tuple[int, float, float, float]:
    return (
        _check_servers(servers),
        _check_nonneg(lam, "arrival_rate"),
        _check_pos(mu, "service_rate"),
        _check_nonneg(theta, "abandonment_rate"),
    )


def _core(
    c: int, lam: float, mu: float, theta: float, log_inv_b1: float | None = None
) -> tuple[float, float, float, float, float]:
    """(p_wait, x, y, log S(x, y), E[Q | wait]) for ``lam > 0, theta > 0``."""
    x, y = c * mu / theta, lam / theta
    log_s, q_given_wait = _kummer_moments(x, y)
    if log_inv_b1 is None:
        log_inv_b1 = _log_inv_b_minus_one(c, lam / mu)
    p_wait = 1.0 / (1.0 + math.exp(min(log_inv_b1 - log_s, 700.0)))
    return p_wait, x, y, log_s, q_given_wait


def _served_tail_given_wait(t: float, x: float, y: float, theta: float, log_s: float) -> float:
    """``P(W > t, served | wait)``."""
    z = math.exp(-theta * t)
    expo = -(x + 1.0) * theta * t - y * math.expm1(-theta * t) + _log_kummer(x + 1.0, y * z) - log_s
    return x / (x + 1.0) * math.exp(expo)


def _abandoned_wait_density(t: float, x: float, y: float, theta: float, log_s: float) -> float:
    """``t θ e^{-θt} P(V > t | wait)``, whose integral is ``E[W; abandoned | wait]``."""
    z = math.exp(-theta * t)
    expo = -theta * t - x * theta * t - y * math.expm1(-theta * t) + _log_kummer(x, y * z) - log_s
    return t * theta * math.exp(expo)


def _half_line_integral(
    f: Callable[..., float], args: tuple[float, ...], kink: float
) -> float:
    """``∫_0^∞ f``, split at a kink (a near-step of the integrand when overloaded)."""
    opts = {"epsabs": 1e-14, "epsrel": 1e-10, "limit": 400, "full_output": 1}
    if kink <= 0.0:
        parts = [integrate.quad(f, 0.0, math.inf, args=args, **opts)]
    else:
        parts = [integrate.quad(f, 0.0, 2.0 * kink, args=args, points=[kink], **opts),
                 integrate.quad(f, 2.0 * kink, math.inf, args=args, **opts)]
    value = float(sum(p[0] for p in parts))
    error = float(sum(p[1] for p in parts))
    if error > 1e-6 * abs(value) + 1e-14:
        log.warning("Erlang A wait integral %.6g has estimated error %.2g (args %s)",
                    value, error, args)
    return value


def erlang_a(
    servers: int, arrival_rate: float, service_rate: float, abandonment_rate: float
) -> ErlangA:
    """Stationary metrics of M/M/c+M (Erlang A).

    ``abandonment_rate = 0`` gives Erlang C (all waits infinite when ``λ >= cμ``).

    Parameters
    ----------
    servers : int
        Number of agents ``c``.
    arrival_rate, service_rate, abandonment_rate : float
        λ, μ and θ (= 1 / mean patience), per the same time unit.
    """
    c, lam, mu, theta = _check_a(servers, arrival_rate, service_rate, abandonment_rate)
    if lam == 0.0:
        return ErlangA(c, lam, mu, theta, 0.0, 0.0, 0.0, 0.0, 0.0, math.nan)
    if theta == 0.0:
        a = lam / mu
        if a >= c:
            inf = math.inf
            return ErlangA(c, lam, mu, theta, 1.0, 0.0, inf, inf, inf, math.nan)
        pw = erlang_c(c, a)
        wq = pw / (c * mu - lam)
        return ErlangA(c, lam, mu, theta, pw, 0.0, lam * wq, wq, wq, math.nan)
    p_wait, x, y, log_s, q_given_wait = _core(c, lam, mu, theta)
    mean_queue = p_wait * q_given_wait
    p_ab = theta * mean_queue / lam
    mean_wait = mean_queue / lam
    rho = lam / (c * mu)
    kink = math.log(rho) / theta if rho > 1.0 else 0.0  # fluid offered wait when overloaded
    served = _half_line_integral(_served_tail_given_wait, (x, y, theta, log_s), kink)
    abandoned = _half_line_integral(_abandoned_wait_density, (x, y, theta, log_s), kink)
    p_served = 1.0 - p_ab
    w_served = p_wait * served / p_served
    w_ab = p_wait * abandoned / p_ab if p_ab > 0 else math.nan
    return ErlangA(c, lam, mu, theta, p_wait, p_ab, mean_queue, mean_wait, w_served, w_ab)


def erlang_a_wait_tail(
    servers: int, arrival_rate: float, service_rate: float, abandonment_rate: float, t: float
) -> float:
    """``P(W > t)`` for the time ``W`` an arrival spends waiting (until service or abandonment)."""
    c, lam, mu, theta = _check_a(servers, arrival_rate, service_rate, abandonment_rate)
    t = _check_nonneg(t, "t")
    if lam == 0.0:
        return 0.0
    if theta == 0.0:
        return 1.0 - erlang_c_service_level(c, lam / mu, 1.0 / mu, t)
    p_wait, x, y, log_s, _ = _core(c, lam, mu, theta)
    z = math.exp(-theta * t)
    expo = -theta * t - c * mu * t - y * math.expm1(-theta * t) + _log_kummer(x, y * z) - log_s
    return min(p_wait * math.exp(expo), 1.0)


def erlang_a_service_level(
    servers: int,
    arrival_rate: float,
    service_rate: float,
    abandonment_rate: float,
    target_wait: float,
    *,
    kind: Literal["wait", "answered"] = "wait",
) -> float:
    """Service level of M/M/c+M for a target wait ``t``.

    ``kind="wait"``: ``P(W <= t)``, the share of arrivals whose wait (until answered or
    abandoned) is at most ``t``. ``kind="answered"``: the share of arrivals answered within
    ``t``, ``P(served, W <= t)``. Both equal Erlang C's service level when θ = 0.
    """
    if kind not in ("wait", "answered"):
        raise ValueError(f"kind must be 'wait' or 'answered', got {kind!r}")
    if kind == "wait":
        return 1.0 - erlang_a_wait_tail(
            servers, arrival_rate, service_rate, abandonment_rate, target_wait
        )
    c, lam, mu, theta = _check_a(servers, arrival_rate, service_rate, abandonment_rate)
    t = _check_nonneg(target_wait, "target_wait")
    if lam == 0.0:
        return 1.0
    if theta == 0.0:
        return erlang_c_service_level(c, lam / mu, 1.0 / mu, t)
    p_wait, x, y, log_s, q_given_wait = _core(c, lam, mu, theta)
    p_served = 1.0 - theta * p_wait * q_given_wait / lam
    return min(max(p_served - p_wait * _served_tail_given_wait(t, x, y, theta, log_s), 0.0), 1.0)


def erlang_a_required_agents(
    arrival_rate: float,
    service_rate: float,
    abandonment_rate: float,
    *,
    max_p_wait: float | None = None,
    max_p_abandon: float | None = None,
    min_service_level: float | None = None,
    target_wait: float | None = None,
    max_mean_wait: float | None = None,
    max_servers: int = 100_000,
) -> int:
    """Fewest agents meeting every given target in M/M/c+M.

    Service level is ``P(W <= target_wait)`` (``kind="wait"``); the mean wait is that of all
    arrivals. ``ValueError`` if no staffing up to ``max_servers`` suffices.
    """
    _check_a(1, arrival_rate, service_rate, abandonment_rate)
    _check_servers(max_servers, "max_servers")
    for name, v in (("max_p_wait", max_p_wait), ("max_p_abandon", max_p_abandon),
                    ("min_service_level", min_service_level)):
        if v is not None:
            _check_prob(v, name)
    if (min_service_level is None) != (target_wait is None):
        raise ValueError("min_service_level and target_wait must be given together")
    if target_wait is not None:
        _check_nonneg(target_wait, "target_wait")
    if max_mean_wait is not None:
        _check_pos(max_mean_wait, "max_mean_wait")
    if all(v is None for v in (max_p_wait, max_p_abandon, min_service_level, max_mean_wait)):
        raise ValueError(
            "give at least one of max_p_wait, max_p_abandon, min_service_level, max_mean_wait"
        )
    lam, mu, theta = float(arrival_rate), float(service_rate), float(abandonment_rate)
    if lam == 0.0:
        return 1
    a = lam / mu
    log_g = 0.0  # log(1/B_{c-1}) for Erlang B, updated as c grows
    for c in range(1, max_servers + 1):
        if theta == 0.0:
            if c <= a:
                log_g = float(np.logaddexp(0.0, math.log(c / a) + log_g))
                continue
            m = erlang_a(c, lam, mu, 0.0)
            p_wait, p_ab, wq = m.p_wait, 0.0, m.mean_wait
        else:
            p_wait, _, _, _, q_given_wait = _core(c, lam, mu, theta, math.log(c / a) + log_g)
            p_ab = theta * p_wait * q_given_wait / lam
            wq = p_wait * q_given_wait / lam
        log_g = float(np.logaddexp(0.0, math.log(c / a) + log_g))
        ok = (max_p_wait is None or p_wait <= max_p_wait) and (
            max_p_abandon is None or p_ab <= max_p_abandon
        ) and (max_mean_wait is None or wq <= max_mean_wait)
        if ok and min_service_level is not None:
            sl = 1.0 - erlang_a_wait_tail(c, lam, mu, theta, float(target_wait))  # type: ignore[arg-type]
            ok = sl >= min_service_level
        if ok:
            return c
    raise ValueError(f"no staffing up to max_servers={max_servers} meets the targets")
