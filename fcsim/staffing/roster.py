"""Roster search: the cheapest staffing per shift whose simulated KPIs meet targets with a
stated confidence.

* Shift patterns and their costs are data (:class:`ShiftPattern`; :func:`load_shift_costs`
  reads a ``[roster.<group>]`` TOML table, :func:`patterns_from_group` prices a scenario's own
  shifts by their hours); a roster is a tuple of head counts, one per pattern.
* :func:`cover_requirement` — the analytic start: the cheapest counts covering an hourly
  requirement (e.g. SIPP / ISA agents per hour), an integer program solved by ``scipy.milp``.
* :class:`Criterion` (:mod:`fcsim.staffing.criteria`) — "KPI ``kpi`` is at least
  ``threshold`` with confidence ``confidence``": a one-sided t lower bound on the mean of
  per-replication values in ``[low, high]``, or a Clopper–Pearson lower bound when the
  values are 0/1 (e.g. "the week had zero breaches").
* :func:`exhaustive_search` — every configuration of the grid gets ``replications``
  replications; the answer is the first feasible one in (cost, head count, counts) order.
* :func:`sequential_search` — the same answer with fewer replications: configurations are taken
  in that order (the analytic start first: once it is known feasible nothing dearer is
  simulated), and each gets one replication at a time until its verdict at ``replications``
  is certain whatever the remaining values in ``[low, high]`` turn out to be (the range of the
  final lower bound over all completions is computed exactly: it is concave in the unknown
  values). Replication *i* is the same in every configuration (common random numbers), so the
  answer is exactly the grid's; replications are counted.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import optimize

from fcsim.staffing.criteria import Criterion
from fcsim.staffing.toml_files import read_table

__all__ = [
    "Config",
    "Criterion",
    "Evaluator",
    "SearchResult",
    "ShiftPattern",
    "cover_requirement",
    "exhaustive_search",
    "load_shift_costs",
    "patterns_from_group",
    "roster_cost",
    "roster_grid",
    "search_order",
    "sequential_search",
]

log = logging.getLogger(__name__)

#: A roster: head count per shift pattern.
Config = tuple[int, ...]
#: ``evaluate(config, replication) -> {kpi: value}`` (one simulated replication).
Evaluator = Callable[[Config, int], Mapping[str, float]]

@dataclass(frozen=True)
class ShiftPattern:
    """A shift: ``start_h`` to ``end_h`` (local hours, may pass midnight) at ``cost`` per head.

    ``cost`` is per person per day the shift is worked (e.g. wage × hours).
    """

    name: str
    start_h: int
    end_h: int
    cost: float

    def __post_init__(self) -> None:
        if not (0 <= self.start_h < 24 and self.start_h < self.end_h <= self.start_h + 24):
            raise ValueError(f"shift {self.name!r}: need 0 <= start_h < 24 and "
                             f"start_h < end_h <= start_h + 24, got {self.start_h}, {self.end_h}")
        if not (math.isfinite(self.cost) and self.cost >= 0):
            raise ValueError(f"shift {self.name!r}: cost must be finite and >= 0, "
                             f"got {self.cost!r}")

    def covers(self) -> list[int]:
        """Hours of the day (0–23) the shift covers."""
        return [h % 24 for h in range(self.start_h, self.end_h)]


def patterns_from_group(group: object, *, cost_per_hour: float = 1.0) -> tuple[ShiftPattern, ...]:
    """The on-duty shifts of a scenario staff group, priced ``cost_per_hour`` × hours."""
    shifts = getattr(group, "shifts", None)
    if shifts is None:
        raise ValueError("group has no shifts")
    out = []
    for i, s in enumerate(shifts):
        if getattr(s, "on_call", False):
            continue
        start, end = int(s.start_h), int(s.end_h)
        out.append(ShiftPattern(f"{start:02d}-{end % 24:02d}" if end != 24 else
                                f"{start:02d}-24", start, end, cost_per_hour * (end - start)))
        if len({p.name for p in out}) != len(out):
            out[-1] = ShiftPattern(f"{out[-1].name}#{i}", start, end, out[-1].cost)
    if not out:
        raise ValueError("group has no on-duty shift to staff")
    return tuple(out)


def load_shift_costs(path: str | Path) -> dict[str, tuple[ShiftPattern, ...]]:
    """Read shift patterns and costs per staff group from a TOML file.

    Format::

        [roster.desk]
        shifts = [{ name = "night", start_h = 0, end_h = 8, cost = 960.0 }, ...]
    """
    p, table = read_table(path, "roster", "needs a [roster.<group>] table")
    out: dict[str, tuple[ShiftPattern, ...]] = {}
    for group, spec in table.items():
        shifts = spec.get("shifts") if isinstance(spec, dict) else None
        if not isinstance(shifts, list) or not shifts:
            raise ValueError(f"{p}: roster.{group}.shifts must be a non-empty array of tables")
        pats = []
        for i, s in enumerate(shifts):
            where = f"{p}: roster.{group}.shifts[{i}]"
            try:
                pats.append(ShiftPattern(str(s.get("name", f"shift{i}")), int(s["start_h"]),
                                         int(s["end_h"]), float(s["cost"])))
            except KeyError as exc:
                raise ValueError(f"{where}: missing field {exc.args[0]!r}") from None
            except (TypeError, ValueError, AttributeError) as exc:
                raise ValueError(f"{where}: {exc}") from None
        out[group] = tuple(pats)
    return out


def roster_cost(patterns: Sequence[ShiftPattern], config: Config) -> float:
    """Cost of a roster (per day)."""
    if len(config) != len(patterns):
        raise ValueError(f"roster has {len(config)} counts for {len(patterns)} shift patterns")
    return float(sum(c * p.cost for c, p in zip(config, patterns, strict=True)))


def cover_requirement(patterns: Sequence[ShiftPattern], requirement: npt.ArrayLike) -> Config:
    """Cheapest head counts with at least ``requirement[h]`` on duty in every hour.

    ``requirement`` has 24 values (hour of day) or 168 (hour of week; the same roster runs
    every day, so each hour of the day needs the largest of its seven values). Hours no
    pattern covers (e.g. left to on-call staff) are ignored with a logged warning.
    """
    req = np.asarray(requirement, dtype=float)
    if req.ndim != 1 or req.size not in (24, 168) or np.any(~np.isfinite(req) | (req < 0)):
        raise ValueError("requirement needs 24 or 168 finite non-negative values")
    if req.size == 168:
        req = req.reshape(7, 24).max(axis=0)
    a = np.zeros((24, len(patterns)))
    for j, p in enumerate(patterns):
        for h in p.covers():
            a[h, j] += 1.0
    need = np.ceil(req - 1e-9)
    uncovered = [h for h in range(24) if need[h] > 0 and not a[h].any()]
    if uncovered:  # e.g. hours left to on-call staff: nothing to roster there
        log.warning("cover_requirement: no shift pattern covers hour(s) %s; their requirement "
                    "is ignored", uncovered)
        need[uncovered] = 0.0
    cost = np.array([p.cost for p in patterns]) + 1e-6  # prefer fewer heads among equal costs
    res = optimize.milp(cost, constraints=optimize.LinearConstraint(a, lb=need, ub=np.inf),
                        integrality=np.ones(len(patterns)), bounds=optimize.Bounds(0, np.inf))
    if res.x is None:
        raise ValueError(f"cover_requirement: the integer program failed: {res.message}")
    return tuple(round(float(x)) for x in res.x)


def roster_grid(center: Config, *, spread: int = 1, minimum: int = 0) -> list[Config]:
    """All rosters within ``± spread`` of ``center`` per pattern (counts >= ``minimum``)."""
    if spread < 0 or minimum < 0:
        raise ValueError("spread and minimum must be >= 0")
    axes = [range(max(minimum, c - spread), max(minimum, c - spread) + 2 * spread + 1)
            for c in center]
    return [tuple(x) for x in itertools.product(*axes)]


def search_order(configs: Sequence[Config], cost: Callable[[Config], float]) -> list[Config]:
    """Configurations by (cost, total head count, counts): the order both searches use."""
    return sorted(dict.fromkeys(configs), key=lambda c: (round(cost(c), 9), sum(c), c))


# ----------------------------------------------------------------------------- searches
@dataclass
class SearchResult:
    """Outcome of a roster search.

    Attributes
    ----------
    best : Config or None
        The cheapest feasible roster (``None``: none in the grid is feasible).
    cost : float or None
        Its cost.
    replications_used : int
        Simulated replications (evaluator calls) spent.
    grid_replications : int
        What the exhaustive grid spends (configurations × replications).
    table : DataFrame
        One row per configuration looked at: ``config``, ``cost``, ``replications``,
        ``feasible`` (None: never decided), and per criterion ``mean:<kpi>``, ``lcb:<kpi>``.
    values : dict
        Per configuration, the per-replication values of each criterion's KPI.
    """

    best: Config | None
    cost: float | None
    replications_used: int
    grid_replications: int
    table: pd.DataFrame
    values: dict[Config, dict[str, list[float]]] = field(default_factory=dict)

    @property
    def share_of_grid(self) -> float:
        """``replications_used / grid_replications``."""
        return self.replications_used / self.grid_replications if self.grid_replications \
            else math.nan


def _check(configs: Sequence[Config], criteria: Sequence[Criterion], replications: int) -> None:
    if not configs:
        raise ValueError("the grid has no configurations")
    if not criteria:
        raise ValueError("at least one criterion is needed")
    if not isinstance(replications, int) or replications < 2:
        raise ValueError(f"replications must be an integer >= 2, got {replications!r}")
    widths = {len(c) for c in configs}
    if len(widths) != 1:
        raise ValueError(f"configurations have different lengths: {sorted(widths)}")


def _row(config: Config, cost: float, vals: dict[str, list[float]],
         criteria: Sequence[Criterion], feasible: bool | None) -> dict[str, object]:
    row: dict[str, object] = {"config": config, "cost": cost,
                              "replications": len(next(iter(vals.values()), [])),
                              "feasible": feasible}
    for c in criteria:
        v = vals.get(c.kpi, [])
        row[f"mean:{c.kpi}"] = float(np.mean(c.clean(v))) if v else math.nan
        row[f"lcb:{c.kpi}"] = c.lower_bound(v) if v else math.nan
    return row


def _record(evaluate: Evaluator, config: Config, rep: int, criteria: Sequence[Criterion],
            vals: dict[str, list[float]]) -> None:
    out = evaluate(config, rep)
    for c in criteria:
        if c.kpi not in out:
            raise KeyError(f"evaluator returned no {c.kpi!r} (has {sorted(out)})")
        vals.setdefault(c.kpi, []).append(float(out[c.kpi]))


def exhaustive_search(
    configs: Sequence[Config],
    cost: Callable[[Config], float],
    evaluate: Evaluator,
    criteria: Sequence[Criterion],
    replications: int,
    *,
    is_valid: Callable[[Config], bool] | None = None,
) -> SearchResult:
    """Every configuration × replications ``0 … R-1``; the first feasible in search order.

    A configuration is feasible when every criterion passes on its ``R`` values; an invalid
    one (``is_valid`` false) is infeasible without simulation.
    """
    _check(configs, criteria, replications)
    order = search_order(configs, cost)
    rows, values = [], {}
    best: Config | None = None
    used = 0
    for conf in order:
        if is_valid is not None and not is_valid(conf):
            rows.append(_row(conf, cost(conf), {}, criteria, False))
            continue
        vals: dict[str, list[float]] = {}
        for r in range(replications):
            _record(evaluate, conf, r, criteria, vals)
            used += 1
        ok = all(c.passes(vals[c.kpi]) for c in criteria)
        values[conf] = vals
        rows.append(_row(conf, cost(conf), vals, criteria, ok))
        if ok and best is None:
            best = conf
    return SearchResult(best, None if best is None else cost(best), used,
                        len(order) * replications, pd.DataFrame(rows), values)


def _decide(conf: Config, evaluate: Evaluator, criteria: Sequence[Criterion], replications: int,
            vals: dict[str, list[float]]) -> tuple[bool, int]:
    used = 0
    while True:
        done = len(vals.get(criteria[0].kpi, []))
        if done:
            verdicts = [c.verdict(vals[c.kpi], replications) for c in criteria]
            if any(v is False for v in verdicts):
                return False, used
            if all(v is True for v in verdicts):
                return True, used
        if done >= replications:  # pragma: no cover - verdict is certain at R values
            return all(c.passes(vals[c.kpi]) for c in criteria), used
        _record(evaluate, conf, done, criteria, vals)
        used += 1


def sequential_search(
    configs: Sequence[Config],
    cost: Callable[[Config], float],
    evaluate: Evaluator,
    criteria: Sequence[Criterion],
    replications: int,
    *,
    start: Config | None = None,
    is_valid: Callable[[Config], bool] | None = None,
) -> SearchResult:
    """The exhaustive grid's answer with early elimination (see the module docstring).

    Parameters
    ----------
    configs, cost, evaluate, criteria, replications, is_valid
        As for :func:`exhaustive_search` (same seeds: replication *i* of every configuration).
    start
        The analytic answer, decided first; when feasible, dearer configurations are skipped.
    """
    _check(configs, criteria, replications)
    order = search_order(configs, cost)
    pos = {c: i for i, c in enumerate(order)}
    if start is not None and tuple(start) not in pos:
        raise ValueError(f"start {tuple(start)} is not in the grid")
    decided: dict[Config, bool] = {}
    values: dict[Config, dict[str, list[float]]] = {}
    used = 0

    def decide(conf: Config) -> bool:
        nonlocal used
        if conf not in decided:
            if is_valid is not None and not is_valid(conf):
                decided[conf] = False
                values[conf] = {}
            else:
                vals: dict[str, list[float]] = {}
                ok, n = _decide(conf, evaluate, criteria, replications, vals)
                used += n
                decided[conf], values[conf] = ok, vals
                log.debug("roster %s: %s after %d replications", conf,
                          "feasible" if ok else "infeasible", n)
        return decided[conf]

    limit = len(order)
    if start is not None and decide(tuple(start)):
        limit = pos[tuple(start)]  # only cheaper configurations can beat it
    best: Config | None = order[limit] if limit < len(order) else None
    for conf in order[:limit]:
        if decide(conf):
            best = conf
            break
    rows = [_row(c, cost(c), values[c], criteria, decided[c]) for c in order if c in decided]
    return SearchResult(best, None if best is None else cost(best), used,
                        len(order) * replications, pd.DataFrame(rows), values)
