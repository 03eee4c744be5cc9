"""Simulation-based time-varying staffing: ISA driven by the M_t/M/s_t simulator, compared with
SIPP and lagged SIPP on the same arrival pattern.

* :func:`sinusoidal_rate` — bin means of ``λ̄ (1 + a sin(2π t / P))`` (the classic test case).
* :func:`isa_by_simulation` — :func:`~fcsim.staffing.time_varying.iterative_staffing` whose
  oracle is :class:`~fcsim.staffing.tv_queue.TimeVaryingQueue` (common random numbers: every
  iteration sees the same random numbers); :func:`isa_by_markov` — the same with the exact
  Kolmogorov solution (:mod:`fcsim.staffing.tv_markov`) as a noise-free oracle.
* :func:`compare_staffing` — SIPP, lagged SIPP and ISA staffing per bin with P(delay) for each,
  exact and simulated on fresh replications, and a summary (agent-hours, largest deviation).
* :func:`paired_max_deviation_test` — is the largest deviation of P(delay) from its target
  smaller under staffing A than under B? Paired on common random numbers, Bonferroni.

Per-replication estimates use ``delayed / E[arrivals]`` (``E[arrivals] = λ_k · bin_h · cycles``
is known), which is unbiased for P(delay) of bin ``k`` (PASTA), so t-intervals are honest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from fcsim.staffing.time_varying import (
    IsaResult,
    iterative_staffing,
    lagged_sipp_staffing,
    offered_load,
    sipp_staffing,
)
from fcsim.staffing.tv_markov import markov_delay_probability
from fcsim.staffing.tv_queue import TimeVaryingQueue

__all__ = [
    "MaxDeviationTest",
    "StaffingComparison",
    "compare_staffing",
    "isa_by_markov",
    "isa_by_simulation",
    "paired_max_deviation_test",
    "sinusoidal_rate",
    "unbiased_p_delay",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Replication indices used for evaluation start here (the ISA itself uses 0, 1, …).
EVAL_OFFSET = 1_000_000


def sinusoidal_rate(mean_per_h: float, relative_amplitude: float, *, period_h: float = 24.0,
                    bins: int = 24, bin_h: float = 1.0, phase: float = 0.0) -> FloatArray:
    """Exact bin means of ``λ(t) = mean (1 + a sin(2π t / period + phase))``.

    Parameters
    ----------
    mean_per_h : float
        Mean arrival rate per hour.
    relative_amplitude : float
        ``a`` in ``[0, 1]``.
    period_h, bins, bin_h, phase
        Period of the sinusoid, number of bins (of ``bin_h`` hours) and phase (radians).
    """
    if not mean_per_h > 0 or not 0 <= relative_amplitude <= 1:
        raise ValueError("need mean_per_h > 0 and 0 <= relative_amplitude <= 1")
    if not period_h > 0 or bins < 1 or not bin_h > 0:
        raise ValueError("need period_h > 0, bins >= 1 and bin_h > 0")
    w = 2.0 * math.pi / period_h
    a = np.arange(bins) * bin_h
    b = a + bin_h
    integral = (np.cos(w * a + phase) - np.cos(w * b + phase)) / w  # ∫ sin(wt + φ) dt
    return np.asarray(mean_per_h * (1.0 + relative_amplitude * integral / bin_h), dtype=float)


def unbiased_p_delay(queue: TimeVaryingQueue, delayed: npt.ArrayLike) -> FloatArray:
    """Per-replication P(delay) estimates ``delayed / (λ_k · bin_h · cycles)`` (NaN if λ_k = 0)."""
    expected = queue.rate * queue.bin_h * queue.cycles
    d = np.asarray(delayed, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(expected > 0, d / expected, np.nan)


def _isa_estimate(arrivals: npt.ArrayLike, delayed: npt.ArrayLike) -> FloatArray:
    n = np.asarray(arrivals, dtype=float)
    d = np.asarray(delayed, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(n > 0, d / n, np.nan)
    p = np.where((n > 0) & (d == 0), 0.5 / (n + 1.0), p)
    return np.where((n > 0) & (d == n), (n + 0.5) / (n + 1.0), p)


def isa_by_simulation(
    queue: TimeVaryingQueue,
    max_p_wait: float,
    *,
    replications: int,
    initial: npt.ArrayLike | None = None,
    max_iterations: int = 25,
    tolerance_agents: int = 0,
) -> IsaResult:
    """ISA with the simulated P(delay) of ``queue`` (replications ``0 … R-1``) as oracle.

    The oracle pools delayed / arrivals over the replications. A bin where the sample shows no
    delayed arrival (or only delayed ones) gets the half-count estimate ``0.5 / (n + 1)``
    (``(n + 0.5) / (n + 1)``): ISA then restaffs it through Erlang C instead of dropping it to
    one agent (or doubling it) on a sampling accident. ``initial`` defaults to SIPP.
    Every staffing vector is simulated on the same random numbers, so the oracle is a
    deterministic function and the iteration is reproducible.
    """
    if not isinstance(replications, int) or replications < 1:
        raise ValueError(f"replications must be a positive integer, got {replications!r}")
    start = sipp_staffing(queue.rate, queue.mean_service_h, max_p_wait=max_p_wait) \
        if initial is None else np.asarray(initial, dtype=np.int64)
    start = np.maximum(start, 1)

    def oracle(staffing: IntArray) -> FloatArray:
        counts = queue.delay_counts(np.minimum(staffing, queue.max_servers), replications)
        return _isa_estimate(counts.arrivals.sum(axis=0), counts.delayed.sum(axis=0))

    return iterative_staffing(oracle, start, max_p_wait, max_iterations=max_iterations,
                              tolerance_agents=tolerance_agents)


def isa_by_markov(
    arrival_rate_per_h: npt.ArrayLike,
    mean_service_h: float,
    max_p_wait: float,
    *,
    bin_h: float = 1.0,
    initial: npt.ArrayLike | None = None,
    max_iterations: int = 25,
) -> IsaResult:
    """ISA with the exact periodic M_t/M/s_t delay probability as (noise-free) oracle."""
    rate = np.asarray(arrival_rate_per_h, dtype=float)
    start = sipp_staffing(rate, mean_service_h, max_p_wait=max_p_wait) if initial is None \
        else np.asarray(initial, dtype=np.int64)
    start = np.maximum(start, 1)

    def oracle(staffing: IntArray) -> FloatArray:
        return markov_delay_probability(rate, mean_service_h, staffing, bin_h=bin_h)

    return iterative_staffing(oracle, start, max_p_wait, max_iterations=max_iterations)


@dataclass(frozen=True)
class MaxDeviationTest:
    """Outcome of :func:`paired_max_deviation_test`.

    Attributes
    ----------
    worst_bin : int
        Bin where B deviates most (chosen before the test data, by the exact oracle).
    max_dev_a, max_dev_b : float
        Largest |P(delay) - target| over the bins, pooled estimates from the test data.
    min_lower_bound : float
        The smallest one-sided lower confidence bound of the 2K paired differences
        ``|p_B(worst) - α| - ±(p_A(k) - α)``; positive means A's largest deviation is smaller.
    confidence : float
        Joint confidence (Bonferroni over the 2K comparisons).
    replications : int
        Paired replications used.
    smaller : bool
        ``min_lower_bound > 0``.
    """

    worst_bin: int
    max_dev_a: float
    max_dev_b: float
    min_lower_bound: float
    confidence: float
    replications: int
    smaller: bool


def paired_max_deviation_test(
    queue: TimeVaryingQueue,
    staffing_a: npt.ArrayLike,
    staffing_b: npt.ArrayLike,
    target: float,
    *,
    replications: int,
    confidence: float = 0.999,
    first_replication: int = EVAL_OFFSET,
) -> MaxDeviationTest:
    """Test ``max_k |p_A(k) - α| < max_k |p_B(k) - α|`` on paired (CRN) replications.

    The bin ``k*`` where B deviates most is fixed first by the exact Markov oracle (no
    selection on the test data). With ``σ`` the sign of ``p_B(k*) - α``, A's largest deviation
    is below B's iff every difference ``σ(p_B(k*) - α) - τ(p_A(k) - α)`` (all bins ``k``,
    ``τ = ±1``) is positive; each gets a one-sided t lower bound at level
    ``1 - (1 - confidence) / 2K`` from the per-replication paired differences.
    """
    a = np.asarray(staffing_a, dtype=np.int64)
    b = np.asarray(staffing_b, dtype=np.int64)
    if not isinstance(replications, int) or replications < 2:
        raise ValueError(f"replications must be an integer >= 2, got {replications!r}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence!r}")
    exact_b = markov_delay_probability(queue.rate, queue.mean_service_h, b, bin_h=queue.bin_h)
    dev_b = np.abs(exact_b - target)
    k_star = int(np.nanargmax(dev_b))
    sigma = 1.0 if exact_b[k_star] >= target else -1.0
    reps = range(first_replication, first_replication + replications)
    ca = queue.delay_counts(a, reps)
    cb = queue.delay_counts(b, reps)
    pa = unbiased_p_delay(queue, ca.delayed)
    pb = unbiased_p_delay(queue, cb.delayed)
    keep = queue.rate > 0
    lhs = sigma * (pb[:, k_star] - target)  # (R,)
    diffs = np.concatenate([lhs[:, None] - (pa[:, keep] - target),
                            lhs[:, None] + (pa[:, keep] - target)], axis=1)
    m = diffs.shape[1]
    q = float(stats.t.ppf(1.0 - (1.0 - confidence) / m, df=replications - 1))
    lower = diffs.mean(axis=0) - q * diffs.std(axis=0, ddof=1) / math.sqrt(replications)
    pooled_a = ca.p_delay()
    pooled_b = cb.p_delay()
    lb = float(lower.min())
    return MaxDeviationTest(k_star, float(np.nanmax(np.abs(pooled_a - target))),
                            float(np.nanmax(np.abs(pooled_b - target))), lb, confidence,
                            replications, lb > 0)


@dataclass(frozen=True)
class StaffingComparison:
    """SIPP, lagged SIPP and ISA on one arrival pattern.

    Attributes
    ----------
    table : DataFrame
        One row per bin: ``bin``, ``rate_per_h``, ``offered_load``, and per method
        ``staffing_<m>``, ``p_delay_exact_<m>``, ``p_delay_sim_<m>`` (pooled over fresh
        replications), ``ci_low_<m>``, ``ci_high_<m>`` (its ± 99.9 % t half-width of the
        unbiased per-replication estimates).
    summary : DataFrame
        One row per method: ``method``, ``agent_hours``, ``max_dev_exact``, ``max_dev_sim``,
        ``bins_within_exact``, ``bins_within_sim`` (bins within ``± tolerance`` of target).
    isa : IsaResult
        The simulation-based ISA run.
    """

    table: pd.DataFrame
    summary: pd.DataFrame
    isa: IsaResult


METHODS = ("sipp", "lagged_sipp", "isa")


def compare_staffing(
    arrival_rate_per_h: npt.ArrayLike,
    mean_service_h: float,
    max_p_wait: float,
    *,
    seed: int,
    replications: int = 20,
    eval_replications: int = 40,
    cycles: int = 7,
    bin_h: float = 1.0,
    tolerance: float = 0.05,
    max_iterations: int = 25,
    exact: bool = True,
    queue: TimeVaryingQueue | None = None,
) -> StaffingComparison:
    """Staff one arrival pattern by SIPP, lagged SIPP and simulation-based ISA and evaluate each.

    Parameters
    ----------
    arrival_rate_per_h, mean_service_h, max_p_wait
        The periodic pattern (per bin), the mean service time (hours), the target P(delay).
    seed
        Root seed of the simulator (ISA uses replications ``0 … replications-1``, the
        evaluation ``EVAL_OFFSET …``: fresh random numbers, common to the three methods).
    replications, eval_replications, cycles, bin_h
        Simulation effort.
    tolerance
        Half-width of the band counted in ``bins_within_*``.
    exact
        Also compute the exact (Kolmogorov) P(delay) of each staffing.
    queue
        A prepared simulator (else built from the arguments).
    """
    rate = np.asarray(arrival_rate_per_h, dtype=float)
    if queue is None:
        load_max = float(rate.max()) * mean_service_h
        cap = math.ceil(load_max + 8.0 * math.sqrt(load_max) + 10.0)
        queue = TimeVaryingQueue(rate, mean_service_h, seed=seed, bin_h=bin_h, cycles=cycles,
                                 max_servers=cap)
    staffing = {
        "sipp": np.maximum(sipp_staffing(rate, mean_service_h, max_p_wait=max_p_wait), 1),
        "lagged_sipp": np.maximum(lagged_sipp_staffing(rate, mean_service_h, bin_h=bin_h,
                                                       max_p_wait=max_p_wait), 1),
    }
    isa = isa_by_simulation(queue, max_p_wait, replications=replications,
                            initial=staffing["sipp"], max_iterations=max_iterations)
    staffing["isa"] = isa.staffing
    load = offered_load(rate, mean_service_h, bin_h=bin_h)
    table = pd.DataFrame({"bin": np.arange(rate.size), "rate_per_h": rate,
                          "offered_load": load.bin_mean})
    rows = []
    reps = range(EVAL_OFFSET, EVAL_OFFSET + eval_replications)
    q = float(stats.t.ppf(1 - 0.001 / 2, df=max(eval_replications - 1, 1)))
    for m in METHODS:
        st = staffing[m]
        table[f"staffing_{m}"] = st
        ex = markov_delay_probability(rate, mean_service_h, st, bin_h=bin_h) if exact \
            else np.full(rate.size, np.nan)
        table[f"p_delay_exact_{m}"] = ex
        counts = queue.delay_counts(np.minimum(st, queue.max_servers), reps)
        per = unbiased_p_delay(queue, counts.delayed)
        mean = counts.p_delay()  # pooled ratio: a probability even in near-empty bins
        half = q * per.std(axis=0, ddof=1) / math.sqrt(eval_replications) \
            if eval_replications > 1 else np.full(rate.size, np.nan)
        table[f"p_delay_sim_{m}"] = mean
        table[f"ci_low_{m}"] = mean - half
        table[f"ci_high_{m}"] = mean + half
        dev_ex = np.abs(ex - max_p_wait)
        dev_sim = np.abs(mean - max_p_wait)
        rows.append({
            "method": m, "agent_hours": float(st.sum() * bin_h),
            "max_dev_exact": float(np.nanmax(dev_ex)) if exact else math.nan,
            "max_dev_sim": float(np.nanmax(dev_sim)),
            "bins_within_exact": int(np.sum(dev_ex <= tolerance)) if exact else -1,
            "bins_within_sim": int(np.sum(dev_sim <= tolerance)),
            "bins": int(rate.size),
        })
    return StaffingComparison(table, pd.DataFrame(rows), isa)

