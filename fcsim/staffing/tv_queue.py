"""A fast delay-probability simulator of the time-varying M_t/M/s_t queue (no SimPy).

The desk as a single-stage queue: Poisson arrivals with a periodic piecewise-constant rate
``λ_k`` on bin ``k`` (``bin_h`` hours), exponential service with mean ``mean_service_h``,
``s_k`` servers on bin ``k``, unlimited waiting room, FCFS. The number in system ``N`` is a
birth-death process with birth rate ``λ_k`` and death rate ``μ min(N, s_k)``: when the staffing
drops below the number in service, the excess customers go back to the head of the queue and
resume later (with exponential service this is the same as letting any ``s_k`` of them be
served). An arrival is *delayed* when it finds ``N >= s_k``.

The process is simulated exactly by **uniformization**: on bin ``k`` candidate events form a
Poisson process of rate ``Λ_k = λ_k + μ c`` with a fixed cap ``c >= max s``; a candidate is an
arrival with probability ``λ_k / Λ_k``, else a departure when its uniform mark falls below
``μ min(N, s_k) / Λ_k``. The candidates and their marks depend on the rates and on ``c`` only,
never on the staffing, so every staffing vector is simulated on the *same* random numbers
(common random numbers, and a pathwise monotone coupling: one more server never leaves more
customers in the system). Replication ``r`` uses the stream ``SeedSequence(seed,
spawn_key=(r,))``, independently of how many replications are asked for.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["DelayCounts", "TimeVaryingQueue"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class DelayCounts:
    """Arrivals and delayed arrivals per replication and bin (summed over the cycles).

    Attributes
    ----------
    replications : ndarray of int
        Replication indices, one per row.
    arrivals, delayed : ndarray of int, shape (replications, bins)
        Counts of arrivals and of arrivals that found every server busy.
    """

    replications: IntArray
    arrivals: IntArray
    delayed: IntArray

    def p_delay(self) -> FloatArray:
        """Pooled fraction delayed per bin (NaN for a bin without arrivals)."""
        a = self.arrivals.sum(axis=0).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(a > 0, self.delayed.sum(axis=0) / a, np.nan)

    def per_replication(self) -> FloatArray:
        """Fraction delayed per replication and bin (NaN where no arrivals)."""
        a = self.arrivals.astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(a > 0, self.delayed / a, np.nan)

    def overall(self) -> FloatArray:
        """Fraction delayed over all bins, per replication."""
        a = self.arrivals.sum(axis=1).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(a > 0, self.delayed.sum(axis=1) / a, np.nan)


def _check_rates(arrival_rate_per_h: npt.ArrayLike) -> FloatArray:
    rate = np.asarray(arrival_rate_per_h, dtype=np.float64)
    if rate.ndim != 1 or rate.size == 0:
        raise ValueError(f"arrival_rate_per_h must be a non-empty 1-D array, got {rate.shape}")
    bad = np.flatnonzero(~np.isfinite(rate) | (rate < 0))
    if bad.size:
        raise ValueError(f"arrival_rate_per_h[{bad[0]}] must be finite and >= 0, "
                         f"got {rate[bad[0]]!r}")
    return rate


class TimeVaryingQueue:
    """Simulator of P(delay) per bin of a periodic M_t/M/s_t queue (see the module docstring).

    Parameters
    ----------
    arrival_rate_per_h : array_like
        Arrival rate per hour on each bin of one period.
    mean_service_h : float
        Mean (exponential) service time in hours.
    seed : int
        Root seed; replication ``r`` uses ``SeedSequence(seed, spawn_key=(r,))``.
    bin_h : float
        Bin length in hours.
    cycles : int
        Periods measured per replication (after the warm-up).
    warmup_bins : int, optional
        Bins simulated before measuring (the last ``warmup_bins`` of the period, started from
        a Poisson number in system with the infinite-server mean); default
        ``ceil(10 E[S] / bin_h)``.
    max_servers : int, optional
        The uniformization cap ``c``; every staffing simulated must satisfy ``s_k <= c``.
        Default: ``ceil(m + 6 √m + 10)`` with ``m`` the largest bin load ``λ_k E[S]``.
    """

    def __init__(
        self,
        arrival_rate_per_h: npt.ArrayLike,
        mean_service_h: float,
        *,
        seed: int,
        bin_h: float = 1.0,
        cycles: int = 1,
        warmup_bins: int | None = None,
        max_servers: int | None = None,
    ) -> None:
        self.rate = _check_rates(arrival_rate_per_h)
        s = float(mean_service_h)
        if not math.isfinite(s) or s <= 0:
            raise ValueError(f"mean_service_h must be a finite positive number, got {s!r}")
        h = float(bin_h)
        if not math.isfinite(h) or h <= 0:
            raise ValueError(f"bin_h must be a finite positive number, got {bin_h!r}")
        if not isinstance(cycles, int) or cycles < 1:
            raise ValueError(f"cycles must be a positive integer, got {cycles!r}")
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        self.mean_service_h, self.bin_h, self.cycles, self.seed = s, h, cycles, int(seed)
        n = self.rate.size
        wb = math.ceil(10.0 * s / h) if warmup_bins is None else warmup_bins
        if not isinstance(wb, int) or wb < 0:
            raise ValueError(f"warmup_bins must be a non-negative integer, got {warmup_bins!r}")
        self.warmup_bins = wb
        m_max = float(self.rate.max()) * s
        cap = math.ceil(m_max + 6.0 * math.sqrt(m_max) + 10.0) if max_servers is None \
            else max_servers
        if not isinstance(cap, int) or cap < 1:
            raise ValueError(f"max_servers must be a positive integer, got {max_servers!r}")
        self.max_servers = cap
        self._mu = 1.0 / s
        self._big = self.rate + self._mu * cap  # Λ_k
        # the infinite-server mean at the start of the warm-up (exact, exponential service)
        self._start_bin = (-wb) % n
        self._m0 = self._offered_load_at(self._start_bin)
        self._codes: dict[int, tuple[int, list[list[int]]]] = {}

    @property
    def bins(self) -> int:
        """Bins in one period."""
        return int(self.rate.size)

    def _offered_load_at(self, k: int) -> float:
        """``m`` at the start of bin ``k`` in periodic steady state (``m' = λ - m/E[S]``)."""
        s, n = self.mean_service_h, self.rate.size
        decay = math.exp(-self.bin_h / s)
        m = 0.0
        for j in range(n):
            m = self.rate[j] * s + (m - self.rate[j] * s) * decay
        m /= 1.0 - math.exp(-n * self.bin_h / s)
        for j in range(k):
            m = self.rate[j] * s + (m - self.rate[j] * s) * decay
        return float(m)

    def _replication_codes(self, rep: int) -> tuple[int, list[list[int]]]:
        """Initial number in system and, per simulated bin, the candidate codes.

        Code ``-1`` is an arrival; a code ``d >= 0`` is a departure iff ``d < min(N, s)``.
        """
        hit = self._codes.get(rep)
        if hit is not None:
            return hit
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(self.seed,
                                                                          spawn_key=(rep,))))
        n = self.rate.size
        total = self.warmup_bins + self.cycles * n
        idx = (self._start_bin + np.arange(total)) % n
        n0 = int(rng.poisson(self._m0))
        counts = rng.poisson(self._big[idx] * self.bin_h)
        u = rng.random(int(counts.sum()))
        lam = np.repeat(self.rate[idx], counts)
        big = np.repeat(self._big[idx], counts)
        x = u * big  # uniform on [0, Λ)
        codes = np.where(x < lam, -1, np.minimum(((x - lam) / self._mu).astype(np.int64),
                                                 self.max_servers - 1))
        bounds = np.concatenate([[0], np.cumsum(counts)])
        per_bin = [codes[bounds[i]:bounds[i + 1]].tolist() for i in range(total)]
        out = (n0, per_bin)
        self._codes[rep] = out
        return out

    def delay_counts(self, staffing: npt.ArrayLike, replications: int | Iterable[int]
                     ) -> DelayCounts:
        """Simulate ``staffing`` (servers per bin) in the given replications.

        Parameters
        ----------
        staffing : array_like of int
            Servers on each bin of the period, ``0 <= s_k <= max_servers``.
        replications : int or iterable of int
            A count ``R`` (replications ``0 … R-1``) or explicit replication indices.
        """
        st = np.asarray(staffing)
        if st.shape != self.rate.shape or not np.issubdtype(st.dtype, np.integer):
            raise ValueError(f"staffing must be an integer array of shape {self.rate.shape}, "
                             f"got {st.dtype} {st.shape}")
        if st.min() < 0 or st.max() > self.max_servers:
            raise ValueError(f"staffing must lie in [0, max_servers={self.max_servers}], got "
                             f"[{st.min()}, {st.max()}]")
        reps = list(range(replications)) if isinstance(replications, int) \
            else [int(r) for r in replications]
        if not reps or min(reps) < 0:
            raise ValueError("replications must be a positive count or non-negative indices")
        n = self.rate.size
        total = self.warmup_bins + self.cycles * n
        bin_of = ((self._start_bin + np.arange(total)) % n).tolist()
        s_of = [int(st[b]) for b in bin_of]
        arrivals = np.zeros((len(reps), n), dtype=np.int64)
        delayed = np.zeros((len(reps), n), dtype=np.int64)
        for i, rep in enumerate(reps):
            n_sys, per_bin = self._replication_codes(rep)
            for j in range(total):
                s = s_of[j]
                arr = dly = 0
                for d in per_bin[j]:
                    if d < 0:
                        arr += 1
                        if n_sys >= s:
                            dly += 1
                        n_sys += 1
                    elif d < n_sys and d < s:
                        n_sys -= 1
                if j >= self.warmup_bins:
                    b = bin_of[j]
                    arrivals[i, b] += arr
                    delayed[i, b] += dly
        return DelayCounts(np.asarray(reps, dtype=np.int64), arrivals, delayed)

    def clear_cache(self) -> None:
        """Forget the cached random candidates (they are rebuilt identically on demand)."""
        self._codes.clear()
