"""Erlang B, C and A against published values, Poisson formulas and a numerically solved
birth–death chain (generator matrix solved by linear algebra, waits by matrix exponentials)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest
from scipy import linalg, sparse, stats
from scipy.sparse import linalg as sparse_linalg

from fcsim.staffing.erlang import (
    erlang_a,
    erlang_a_required_agents,
    erlang_a_service_level,
    erlang_a_wait_tail,
    erlang_b,
    erlang_c,
    erlang_c_mean_wait,
    erlang_c_required_agents,
    erlang_c_service_level,
)


# ----------------------------------------------------------------------------- the oracle chain
@dataclass
class Chain:
    """Stationary M/M/c+M quantities from a truncated birth–death chain, solved numerically."""

    c: int
    lam: float
    mu: float
    theta: float
    pi: np.ndarray  # P(k in system), k = 0..c+J
    _expm: dict[float, np.ndarray] = field(default_factory=dict)

    @property
    def queued(self) -> np.ndarray:  # P(j waiting), j = 0..J, counting only k >= c
        return self.pi[self.c :]

    def p_wait(self) -> float:
        return float(self.queued.sum())

    def mean_queue(self) -> float:
        return float(np.arange(self.queued.size) @ self.queued)

    def _sub_generator(self) -> np.ndarray:
        """Tagged arrival with i waiting ahead: leaves i at rate cμ+iθ (queue moves) or θ."""
        n = self.queued.size
        i = np.arange(n)
        move = self.c * self.mu + i * self.theta
        t = np.diag(-(move + self.theta))
        t[i[1:], i[1:] - 1] = move[1:]
        return t

    def _p_served_from(self) -> np.ndarray:
        i = np.arange(self.queued.size)
        move = self.c * self.mu + i * self.theta
        return np.cumprod(move / (move + self.theta))

    def _transient(self, t: float) -> np.ndarray:
        """exp(T t) applied to the columns [1, P(served | phase)]."""
        if t not in self._expm:
            rhs = np.column_stack([np.ones(self.queued.size), self._p_served_from()])
            gen = sparse.csr_matrix(self._sub_generator() * t)
            self._expm[t] = sparse_linalg.expm_multiply(gen, rhs)
        return self._expm[t]

    def wait_tail(self, t: float) -> float:
        """P(W > t): the tagged arrival is still in a transient phase at t."""
        return float(self.queued @ self._transient(t)[:, 0])

    def served_tail(self, t: float) -> float:
        """P(W > t, eventually served)."""
        return float(self.queued @ self._transient(t)[:, 1])

    def mean_wait_served_part(self) -> float:
        """E[W; served]: phases are Exp(cμ+iθ+θ) given survival through them."""
        i = np.arange(self.queued.size)
        rates = self.c * self.mu + i * self.theta + self.theta
        return float(self.queued @ (self._p_served_from() * np.cumsum(1.0 / rates)))

    def mean_wait(self) -> float:
        """E[W] from the phase-type mean, -T^{-1} 1 (not from Little's law)."""
        m = np.linalg.solve(-self._sub_generator(), np.ones(self.queued.size))
        return float(self.queued @ m)


def solve_chain(c: int, lam: float, mu: float, theta: float) -> Chain:
    """Truncate where the stationary tail is below 1e-15, then solve pi Q = 0, sum pi = 1."""
    # truncation level from the rate ratios (only to choose the size of the state space)
    log_w, best, k = 0.0, 0.0, 0
    while True:
        k += 1
        death = min(k, c) * mu + max(k - c, 0) * theta
        log_w += math.log(lam / death)
        best = max(best, log_w)
        if k > c and lam < death and log_w < best + math.log(1e-17):
            break
    n = k + 1
    q = np.zeros((n, n))
    for s in range(n):
        if s + 1 < n:
            q[s, s + 1] = lam
        if s > 0:
            q[s, s - 1] = min(s, c) * mu + max(s - c, 0) * theta
        q[s, s] = -q[s].sum()
    a = q.T.copy()
    a[-1, :] = 1.0
    b = np.zeros(n)
    b[-1] = 1.0
    pi = linalg.solve(a, b)
    assert pi[-1] < 1e-15
    return Chain(c, lam, mu, theta, np.clip(pi, 0.0, None))


# ----------------------------------------------------------------------------- published values
def test_erlang_c_published_values() -> None:
    # 10 Erlang, 14 agents, 3-minute handling, 20-second target
    assert erlang_c(14, 10.0) == pytest.approx(0.17413, abs=1e-5)
    assert erlang_c_service_level(14, 10.0, 180.0, 20.0) == pytest.approx(0.88835, abs=1e-5)


def test_erlang_a_published_values() -> None:
    # same load, 13 agents, 5-minute mean patience (rates per minute)
    m = erlang_a(13, 10 / 3, 1 / 3, 1 / 5)
    assert m.p_wait == pytest.approx(0.2258, abs=5e-4)
    assert m.p_abandon == pytest.approx(0.0250, abs=5e-4)


# ----------------------------------------------------------------------------- Erlang B / C
def test_erlang_b_hand_worked() -> None:
    assert erlang_b(1, 3.0) == pytest.approx(3 / 4, rel=1e-15)
    assert erlang_b(2, 1.0) == pytest.approx(0.2, rel=1e-15)  # (1/2) / (1 + 1 + 1/2)
    assert erlang_b(3, 2.0) == pytest.approx((8 / 6) / (1 + 2 + 2 + 8 / 6), rel=1e-14)
    assert erlang_b(5, 0.0) == 0.0


@pytest.mark.parametrize(("c", "a"), [(1000, 900.0), (1000, 999.9), (1000, 400.0),
                                      (500, 600.0), (300, 250.0)])
def test_erlang_b_c_large_match_poisson_formula(c: int, a: float) -> None:
    # B = p(c) / F(c) and C = p(c) / (p(c) + (1 - a/c) F(c-1)) for N ~ Poisson(a), in logs
    lp, lf = stats.poisson.logpmf(c, a), stats.poisson.logcdf(c, a)
    lf1 = stats.poisson.logcdf(c - 1, a)
    b = erlang_b(c, a)
    assert math.isfinite(b)
    assert b == pytest.approx(math.exp(lp - lf), rel=1e-9, abs=1e-300)
    if a < c:
        want_c = 1.0 / (1.0 + (1 - a / c) * math.exp(lf1 - lp))
        assert erlang_c(c, a) == pytest.approx(want_c, rel=1e-9, abs=1e-300)
    else:
        assert erlang_c(c, a) == 1.0


@pytest.mark.parametrize(("c", "lam", "mu"), [(1, 0.5, 1.0), (3, 2.4, 1.0), (14, 10 / 3, 1 / 3),
                                              (40, 35.0, 1.0)])
def test_erlang_c_against_chain(c: int, lam: float, mu: float) -> None:
    ch = solve_chain(c, lam, mu, 0.0)
    a = lam / mu
    assert erlang_c(c, a) == pytest.approx(ch.p_wait(), rel=1e-9)
    assert erlang_c_mean_wait(c, a, 1 / mu) == pytest.approx(ch.mean_wait(), rel=1e-8)
    for t in (0.0, 0.3 / mu, 2.0 / mu):
        want = 1.0 - ch.wait_tail(t)
        assert erlang_c_service_level(c, a, 1 / mu, t) == pytest.approx(want, abs=1e-10)


def test_erlang_c_unstable_and_required_agents() -> None:
    assert erlang_c(10, 10.0) == 1.0
    assert erlang_c_mean_wait(10, 12.0, 1.0) == math.inf
    assert erlang_c_service_level(10, 12.0, 1.0, 5.0) == 0.0
    # hand: C(13, 10) = 0.2853 > 0.2 >= C(14, 10) = 0.1741
    assert erlang_c(13, 10.0) == pytest.approx(0.28527, abs=1e-5)
    assert erlang_c_required_agents(10.0, max_p_wait=0.2) == 14
    # service level 80 % in 20 s with 180 s handling: 13 agents give 1 - 0.28527 e^{-1/3}
    assert erlang_c_service_level(13, 10.0, 180.0, 20.0) == pytest.approx(
        1 - 0.28527 * math.exp(-1 / 3), abs=1e-5)  # = 0.7956 < 0.8: 13 agents are too few
    assert erlang_c_required_agents(10.0, min_service_level=0.8, target_wait=20.0,
                                    mean_service=180.0) == 14
    # mean wait <= 20 s: 13 agents wait 0.28527*180/3 = 17.1 s, 12 wait 0.4494*180/2 = 40 s
    assert erlang_c_required_agents(10.0, max_mean_wait=20.0, mean_service=180.0) == 13
    assert erlang_c_required_agents(0.0, max_p_wait=0.1) == 1


def test_erlang_c_required_agents_large_load() -> None:
    # 900 Erlang, P(wait) <= 0.2: check minimality with the independent Poisson formula
    c = erlang_c_required_agents(900.0, max_p_wait=0.2)

    def poisson_c(n: int, a: float) -> float:
        lp, lf1 = stats.poisson.logpmf(n, a), stats.poisson.logcdf(n - 1, a)
        return 1.0 / (1.0 + (1 - a / n) * math.exp(lf1 - lp))

    assert poisson_c(c, 900.0) <= 0.2 < poisson_c(c - 1, 900.0)
    assert abs(c - (900 + 1.0615 * 30)) <= 3  # Halfin–Whitt: beta(0.2) = 1.0615


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: erlang_b(0, 1.0), "servers"),
        (lambda: erlang_b(2.5, 1.0), "servers"),  # type: ignore[arg-type]
        (lambda: erlang_b(True, 1.0), "servers"),
        (lambda: erlang_c(3, -1.0), "load"),
        (lambda: erlang_c(3, float("nan")), "load"),
        (lambda: erlang_c_mean_wait(3, 1.0, 0.0), "mean_service"),
        (lambda: erlang_c_service_level(3, 1.0, 1.0, -1.0), "target_wait"),
        (lambda: erlang_c_required_agents(5.0, max_p_wait=1.5), "max_p_wait"),
        (lambda: erlang_c_required_agents(5.0, min_service_level=0.8), "target_wait"),
        (lambda: erlang_c_required_agents(5.0, max_mean_wait=1.0), "mean_service"),
        (lambda: erlang_c_required_agents(5.0), "max_p_wait"),
        (lambda: erlang_c_required_agents(50.0, max_p_wait=0.1, max_servers=40), "max_servers"),
        (lambda: erlang_a(3, -1.0, 1.0, 1.0), "arrival_rate"),
        (lambda: erlang_a(3, 1.0, 0.0, 1.0), "service_rate"),
        (lambda: erlang_a(3, 1.0, 1.0, -0.1), "abandonment_rate"),
        (lambda: erlang_a(0, 1.0, 1.0, 1.0), "servers"),
        (lambda: erlang_a_wait_tail(3, 1.0, 1.0, 1.0, -2.0), "t"),
        (lambda: erlang_a_service_level(3, 1.0, 1.0, 1.0, 1.0, kind="x"), "kind"),  # type: ignore[arg-type]
        (lambda: erlang_a_required_agents(1.0, 1.0, 1.0, max_p_abandon=0.0), "max_p_abandon"),
        (lambda: erlang_a_required_agents(1.0, 1.0, 1.0, min_service_level=0.8, target_wait=-1),
         "target_wait"),
        (lambda: erlang_a_required_agents(1.0, 1.0, 1.0, max_mean_wait=-1.0), "max_mean_wait"),
        (lambda: erlang_a_required_agents(1.0, 1.0, 1.0), "max_p_wait"),
        (lambda: erlang_a_required_agents(-1.0, 1.0, 1.0, max_p_wait=0.1), "arrival_rate"),
    ],
)
def test_bad_arguments_name_the_argument(call: Callable[[], object], name: str) -> None:
    with pytest.raises(ValueError, match=name):
        call()


# ----------------------------------------------------------------------------- Erlang A
A_CASES = [
    (13, 10 / 3, 1 / 3, 1 / 5),  # the published case
    (5, 4.0, 1.0, 0.5),
    (10, 12.0, 1.0, 2.0),  # overloaded, impatient
    (20, 25.0, 1.0, 0.2),  # overloaded, patient
    (3, 2.0, 1.0, 1.0),  # theta = mu
    (8, 6.0, 1.0, 1e-3),  # nearly Erlang C
    (1, 0.7, 1.0, 3.0),
]


@pytest.mark.parametrize(("c", "lam", "mu", "theta"), A_CASES)
def test_erlang_a_against_chain(c: int, lam: float, mu: float, theta: float) -> None:
    ch = solve_chain(c, lam, mu, theta)
    m = erlang_a(c, lam, mu, theta)
    assert m.p_wait == pytest.approx(ch.p_wait(), rel=1e-9)
    assert m.mean_queue == pytest.approx(ch.mean_queue(), rel=1e-8)
    assert m.p_abandon == pytest.approx(theta * ch.mean_queue() / lam, rel=1e-8)
    assert m.mean_wait == pytest.approx(ch.mean_wait(), rel=1e-8)
    served_part = ch.mean_wait_served_part()
    assert m.mean_wait_served == pytest.approx(served_part / (1 - m.p_abandon), rel=1e-7)
    ab_part = ch.mean_wait() - served_part
    assert m.mean_wait_abandoned == pytest.approx(ab_part / m.p_abandon, rel=1e-6)
    for t in (0.0, 0.1 / mu, 0.5 / mu, 3.0 / mu):
        assert erlang_a_wait_tail(c, lam, mu, theta, t) == pytest.approx(ch.wait_tail(t),
                                                                         rel=1e-8, abs=1e-14)
        answered = (1 - m.p_abandon) - ch.served_tail(t)
        got = erlang_a_service_level(c, lam, mu, theta, t, kind="answered")
        assert got == pytest.approx(answered, rel=1e-8, abs=1e-14)
        got_w = erlang_a_service_level(c, lam, mu, theta, t)
        assert got_w == pytest.approx(1 - ch.wait_tail(t), rel=1e-8, abs=1e-14)


@pytest.mark.parametrize(("c", "a"), [(3, 2.0), (13, 10.0), (60, 70.0)])
def test_erlang_a_theta_equal_mu_is_infinite_server(c: int, a: float) -> None:
    # with theta = mu every customer leaves at rate mu: the number present is Poisson(a)
    m = erlang_a(c, a, 1.0, 1.0)
    n = np.arange(0, int(a + 40 * math.sqrt(a) + 50))
    pmf = stats.poisson.pmf(n, a)
    assert m.p_wait == pytest.approx(stats.poisson.sf(c - 1, a), rel=1e-9)
    assert m.mean_queue == pytest.approx(float(np.maximum(n - c, 0) @ pmf), rel=1e-9)


def test_erlang_a_small_theta_tends_to_erlang_c() -> None:
    # the departure from Erlang C is O(θ): relative tolerance 10 θ / μ
    for theta in (1e-6, 1e-9, 1e-12):
        tol = 10 * theta * 3
        m = erlang_a(13, 10 / 3, 1 / 3, theta)
        assert m.p_wait == pytest.approx(erlang_c(13, 10.0), rel=tol)
        assert m.mean_wait == pytest.approx(erlang_c_mean_wait(13, 10.0, 3.0), rel=tol)
        assert m.mean_wait_served == pytest.approx(erlang_c_mean_wait(13, 10.0, 3.0), rel=tol)
        sl = erlang_a_service_level(13, 10 / 3, 1 / 3, theta, 1 / 3)
        assert sl == pytest.approx(erlang_c_service_level(13, 10.0, 3.0, 1 / 3), rel=tol)
    m0 = erlang_a(13, 10 / 3, 1 / 3, 0.0)
    assert m0.p_wait == pytest.approx(erlang_c(13, 10.0), rel=1e-14) and m0.p_abandon == 0.0


def test_erlang_a_large_system_matches_chain() -> None:
    # hundreds of agents, loads near and above capacity: finite and equal to the chain
    for c, lam, theta in [(500, 490.0, 0.5), (400, 440.0, 1.0)]:
        ch = solve_chain(c, lam, 1.0, theta)
        m = erlang_a(c, lam, 1.0, theta)
        assert m.p_wait == pytest.approx(ch.p_wait(), rel=1e-7)
        assert m.p_abandon == pytest.approx(theta * ch.mean_queue() / lam, rel=1e-7)


def test_erlang_a_extreme_arguments_stay_finite() -> None:
    for args in [(1000, 900.0, 1.0, 0.5), (1000, 1500.0, 1.0, 0.01), (1000, 999.0, 1.0, 1e-6),
                 (1, 1e-6, 1.0, 1e3), (1000, 100.0, 1.0, 0.1)]:
        m = erlang_a(*args)
        for v in (m.p_wait, m.p_abandon, m.mean_wait, m.mean_wait_served):
            assert math.isfinite(v) and v >= 0
        assert 0 <= m.p_wait <= 1 and 0 <= m.p_abandon <= m.p_wait
    # overloaded fluid limit: served customers wait about ln(rho)/theta
    m = erlang_a(1000, 1500.0, 1.0, 0.01)
    assert m.p_abandon == pytest.approx(1 - 1000 / 1500, abs=2e-3)
    assert m.mean_wait_served == pytest.approx(math.log(1.5) / 0.01, rel=2e-2)


def test_erlang_a_more_agents_never_worse() -> None:
    prev = erlang_a(1, 8.0, 1.0, 0.3)
    for c in range(2, 20):
        cur = erlang_a(c, 8.0, 1.0, 0.3)
        assert cur.p_wait < prev.p_wait and cur.p_abandon < prev.p_abandon
        assert cur.mean_wait < prev.mean_wait
        prev = cur


def test_erlang_a_required_agents_minimal_by_chain() -> None:
    lam, mu, theta = 10 / 3, 1 / 3, 1 / 5
    p_wait = {c: solve_chain(c, lam, mu, theta).p_wait() for c in range(8, 18)}
    p_ab = {c: theta * solve_chain(c, lam, mu, theta).mean_queue() / lam for c in range(8, 18)}
    want = min(c for c in p_wait if p_wait[c] <= 0.25)
    assert erlang_a_required_agents(lam, mu, theta, max_p_wait=0.25) == want == 13
    want_ab = min(c for c in p_ab if p_ab[c] <= 0.01)
    assert erlang_a_required_agents(lam, mu, theta, max_p_abandon=0.01) == want_ab
    wq = {c: solve_chain(c, lam, mu, theta).mean_wait() for c in range(8, 18)}
    want_wq = min(c for c in wq if wq[c] <= 0.05)
    assert erlang_a_required_agents(lam, mu, theta, max_mean_wait=0.05) == want_wq
    sl = {c: 1 - solve_chain(c, lam, mu, theta).wait_tail(1 / 3) for c in range(8, 18)}
    want_sl = min(c for c in sl if sl[c] >= 0.85)
    got = erlang_a_required_agents(lam, mu, theta, min_service_level=0.85, target_wait=1 / 3)
    assert got == want_sl
    # theta = 0 falls back to Erlang C
    assert erlang_a_required_agents(lam, mu, 0.0, max_p_wait=0.2) == 14
