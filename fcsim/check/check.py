"""Scenario regression checks: today's KPIs against a stored baseline, with statistical tolerance.

Each scenario is simulated again (a different root seed by default, so the two samples are
independent) and every KPI of the baseline is compared by a **Welch two-sample t test** on the
replication means, computed from the summaries ``(mean, se, n)`` of both sides:

    t = (m_new - m_base) / sqrt(se_new² + se_base²),
    df = (se_new² + se_base²)² / (se_new⁴ / (n_new - 1) + se_base⁴ / (n_base - 1)),

two-sided. Both standard errors zero: p = 1 for equal means, 0 otherwise. The p-values of all
KPIs of all scenarios checked together form one family: the **Holm–Bonferroni** step-down
procedure rejects so that the family-wise error rate is at most ``alpha`` (default 1 %) under
any dependence between KPIs. A KPI with fewer than two values on either side is not tested
(status ``untested``) and is reported.
"""

from __future__ import annotations

import concurrent.futures as cf
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

from fcsim import __version__
from fcsim.check.baseline import (
    Baseline,
    KpiStats,
    kpi_stats,
    scenario_fingerprint,
    simulate_kpis,
)
from fcsim.scenarios import Scenario

__all__ = [
    "DEFAULT_ALPHA",
    "CheckReport",
    "KpiCheck",
    "RegressionError",
    "ScenarioNotInBaseline",
    "assert_no_regression",
    "check_scenarios",
    "holm_reject",
    "welch_from_summary",
]

#: Default family-wise error rate over all KPIs checked together.
DEFAULT_ALPHA = 0.01


class ScenarioNotInBaseline(KeyError):
    """A scenario to check has no entry in the baseline."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "scenario not in baseline"


class RegressionError(AssertionError):
    """Raised by :func:`assert_no_regression` and :meth:`CheckReport.raise_for_regression`."""


def welch_from_summary(base: KpiStats, new: KpiStats) -> tuple[float, float, float]:
    """Welch's two-sided t test from two (mean, standard error, n) summaries.

    Returns
    -------
    (t, df, p)
        ``t`` is signed (new minus baseline); ``df`` NaN when both standard errors are 0.
    """
    v1, v2 = base.se ** 2, new.se ** 2
    diff = new.mean - base.mean
    if v1 + v2 == 0.0:
        if diff == 0.0:
            return 0.0, float("nan"), 1.0
        return math.copysign(math.inf, diff), float("nan"), 0.0
    t = diff / math.sqrt(v1 + v2)
    denom = (v1 * v1 / (base.n - 1) if base.n > 1 else 0.0) + \
        (v2 * v2 / (new.n - 1) if new.n > 1 else 0.0)
    df = (v1 + v2) ** 2 / denom
    p = float(2.0 * stats.t.sf(abs(t), df))
    return t, df, p


def holm_reject(pvalues: npt.ArrayLike, alpha: float) -> npt.NDArray[np.bool_]:
    """Holm–Bonferroni step-down: which hypotheses to reject at family-wise error ``alpha``.

    The sorted p-values p_(1) ≤ … ≤ p_(m) are compared with alpha / (m − i + 1); every
    hypothesis before the first one that is not below its threshold is rejected.
    """
    p = np.asarray(pvalues, dtype=float)
    if np.isnan(p).any():
        raise ValueError("holm_reject: p-values must not be NaN")
    m = p.size
    reject = np.zeros(m, dtype=bool)
    order = np.argsort(p, kind="stable")
    for rank, i in enumerate(order):
        if p[i] <= alpha / (m - rank):
            reject[i] = True
        else:
            break
    return reject


@dataclass(frozen=True)
class KpiCheck:
    """One KPI of one scenario compared with its baseline.

    ``status`` is ``pass``, ``regression`` (rejected by Holm at the report's alpha) or
    ``untested`` (``reason`` says why); ``threshold`` is the Holm level its p-value was
    compared with (NaN if untested or never reached).
    """

    scenario: str
    kpi: str
    baseline: KpiStats
    current: KpiStats | None
    t: float
    df: float
    p: float
    threshold: float
    status: str
    reason: str = ""

    @property
    def effect_se(self) -> float:
        """|current − baseline| in standard errors of the difference (= |t|)."""
        return abs(self.t)


@dataclass(frozen=True)
class CheckReport:
    """The outcome of :func:`check_scenarios`.

    Attributes
    ----------
    results
        One :class:`KpiCheck` per baseline KPI of each scenario checked.
    alpha
        The family-wise error rate.
    seeds, replications, days
        What each scenario was simulated with now.
    notes
        Warnings by scenario: the scenario's configuration, days or seed differ from the
        baseline's; KPIs that vanished (undefined in every replication now) or appeared.
    """

    results: tuple[KpiCheck, ...]
    alpha: float
    seeds: dict[str, int]
    replications: dict[str, int]
    days: dict[str, float | None]
    notes: dict[str, tuple[str, ...]]
    fcsim_version: str = __version__
    baseline_version: str = ""

    @property
    def regressions(self) -> tuple[KpiCheck, ...]:
        """The KPIs flagged as changed."""
        return tuple(r for r in self.results if r.status == "regression")

    @property
    def passed(self) -> bool:
        """True when no KPI is flagged."""
        return not self.regressions

    @property
    def tested(self) -> int:
        """How many KPIs formed the family."""
        return sum(r.status != "untested" for r in self.results)

    def summary(self) -> str:
        """A few lines for a terminal or an assertion message."""
        head = (f"{'PASS' if self.passed else 'REGRESSION'}: {len(self.regressions)} of "
                f"{self.tested} KPIs changed (Holm, family-wise alpha {self.alpha:g})")
        lines = [head]
        for r in self.regressions:
            cur = r.current.mean if r.current else float("nan")
            lines.append(f"  {r.scenario} {r.kpi}: baseline {r.baseline.mean:.6g} ± "
                         f"{r.baseline.se:.3g} -> {cur:.6g} (t = {r.t:.2f}, p = {r.p:.2g})")
        for scen, notes in self.notes.items():
            lines += [f"  note: {scen}: {n}" for n in notes]
        return "\n".join(lines)

    def raise_for_regression(self) -> None:
        """Raise :class:`RegressionError` (an ``AssertionError``) if any KPI is flagged."""
        if not self.passed:
            raise RegressionError(self.summary())


_Row = tuple[str, KpiStats, KpiStats | None, float, float, float, str]


def _compare(base: dict[str, KpiStats], cur: dict[str, KpiStats]) -> list[_Row]:
    rows: list[_Row] = []
    for name, b in base.items():
        c = cur.get(name)
        if c is None:
            rows.append((name, b, None, math.nan, math.nan, math.nan,
                         "undefined in every replication of the current run"))
        elif b.n < 2 or c.n < 2 or math.isnan(b.se) or math.isnan(c.se):
            rows.append((name, b, c, math.nan, math.nan, math.nan,
                         f"fewer than 2 values (baseline {b.n}, current {c.n})"))
        else:
            t, df, p = welch_from_summary(b, c)
            rows.append((name, b, c, t, df, p, ""))
    return rows


def check_scenarios(
    scenarios: Sequence[Scenario],
    baseline: Baseline,
    *,
    seed: int | None = None,
    replications: int | None = None,
    days: float | None = None,
    alpha: float = DEFAULT_ALPHA,
    executor: cf.Executor | None = None,
    workers: int | None = 0,
) -> CheckReport:
    """Simulate each scenario and compare its KPIs with the baseline (Welch t + Holm).

    Parameters
    ----------
    scenarios
        Scenarios to check; each must have an entry (by name) in ``baseline``.
    baseline
        From :func:`~fcsim.check.baseline.read_baseline` or ``make_baseline``.
    seed
        Root seed of the new run (default: the baseline's seed + 1, an independent sample).
    replications, days
        Default: each scenario's baseline values.
    alpha
        Family-wise error rate over every KPI of every scenario checked.
    executor, workers
        Where the replications run (``workers=0``: in this process).

    Returns
    -------
    CheckReport

    Raises
    ------
    ScenarioNotInBaseline
        A scenario has no baseline entry.
    """
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    if replications is not None and replications < 2:
        raise ValueError(f"replications must be >= 2, got {replications}")
    missing = [s.name for s in scenarios if s.name not in baseline.scenarios]
    if missing:
        raise ScenarioNotInBaseline(
            f"no baseline for scenario(s) {', '.join(missing)} (baseline has: "
            f"{', '.join(baseline.scenarios) or 'none'}); write one with --update")
    rows: list[tuple[str, str, KpiStats, KpiStats | None, float, float, float, str]] = []
    seeds: dict[str, int] = {}
    reps: dict[str, int] = {}
    day_map: dict[str, float | None] = {}
    notes: dict[str, tuple[str, ...]] = {}
    for scen in scenarios:
        sb = baseline.scenarios[scen.name]
        s = sb.seed + 1 if seed is None else seed
        r = sb.replications if replications is None else replications
        d = sb.days if days is None else days
        seeds[scen.name], reps[scen.name], day_map[scen.name] = s, r, d
        own: list[str] = []
        if sb.scenario_sha256 and sb.scenario_sha256 != scenario_fingerprint(scen):
            own.append("the scenario's configuration differs from the baseline's")
        if d != sb.days:
            own.append(f"days {d} differ from the baseline's {sb.days}")
        if s == sb.seed:
            own.append("same seed as the baseline: the samples are not independent")
        cur = kpi_stats(simulate_kpis(scen, seed=s, replications=r, days=d,
                                      executor=executor, workers=workers))
        gone = sorted(set(sb.kpis) - set(cur))
        new = sorted(set(cur) - set(sb.kpis))
        if gone:
            own.append(f"KPIs undefined in every replication now: {', '.join(gone)}")
        if new:
            own.append(f"KPIs not in the baseline (not checked): {', '.join(new)}")
        if own:
            notes[scen.name] = tuple(own)
        rows += [(scen.name, *row) for row in _compare(sb.kpis, cur)]
    tested = [i for i, row in enumerate(rows) if not row[7]]
    pvals = np.array([rows[i][6] for i in tested], dtype=float)
    reject = holm_reject(pvals, alpha) if tested else np.zeros(0, dtype=bool)
    m = len(tested)
    thresholds = {i: math.nan for i in range(len(rows))}
    order = np.argsort(pvals, kind="stable")
    for rank, j in enumerate(order):
        thresholds[tested[j]] = alpha / (m - rank)
        if not reject[j]:
            break
    flagged = {tested[j] for j in range(m) if reject[j]}
    results = tuple(
        KpiCheck(scenario=sc, kpi=k, baseline=b, current=c, t=t, df=df, p=p,
                 threshold=thresholds[i],
                 status="untested" if why else ("regression" if i in flagged else "pass"),
                 reason=why)
        for i, (sc, k, b, c, t, df, p, why) in enumerate(rows))
    return CheckReport(results, alpha, seeds, reps, day_map, notes,
                       baseline_version=baseline.fcsim_version)


def assert_no_regression(
    scenarios: Sequence[Scenario],
    baseline: Baseline,
    **kwargs: object,
) -> CheckReport:
    """:func:`check_scenarios`, raising :class:`RegressionError` if any KPI changed.

    For pytest: ``assert_no_regression([load_scenario("apartment")], read_baseline(p))``.
    Returns the report when the check passes.
    """
    report = check_scenarios(scenarios, baseline, **kwargs)  # type: ignore[arg-type]
    report.raise_for_regression()
    return report
