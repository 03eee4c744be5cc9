"""A small solver-neutral integer program and its two solvers: HiGHS (through
``scipy.optimize.milp``, the default) and OR-Tools CP-SAT (the ``roster`` extra).

:class:`LinearModel` collects integer variables (bounds, objective coefficients) and linear
rows ``lo <= a·x <= hi`` in coordinate form; every coefficient and bound of the rows is an
integer (CP-SAT needs it; the roster model is written that way). Objective coefficients may be
fractional: CP-SAT gets them scaled by :data:`CPSAT_SCALE` and rounded, and its objective and
bound are scaled back.

:func:`solve` returns a :class:`SolveResult`: the status (``optimal``, ``feasible`` — stopped at
the requested relative gap —, ``time_limit`` or ``infeasible``), objective, best bound,
relative gap (0 when optimal), wall time and the solution. Limits:

* ``time_limit_s`` — both solvers stop there (HiGHS' ``time_limit``, CP-SAT's
  ``max_time_in_seconds``); the model is built before the clock starts.
* ``threads`` — CP-SAT's ``num_workers`` (its log states the number used; :attr:`SolveResult.
  workers` reads it back). HiGHS gets its ``threads`` option, but its branch and bound runs on
  one thread in any case (``workers`` is 1).
* ``gap`` — stop at this relative gap (HiGHS ``mip_rel_gap``, CP-SAT ``relative_gap_limit``).
"""

from __future__ import annotations

import logging
import math
import re
import time
import warnings
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import optimize, sparse

__all__ = ["CPSAT_SCALE", "LinearModel", "SolveResult", "Solver", "cpsat_available", "solve"]

log = logging.getLogger(__name__)

Solver = Literal["highs", "cpsat"]
Status = Literal["optimal", "feasible", "time_limit", "infeasible"]

#: CP-SAT objective coefficients are ``round(c × CPSAT_SCALE)`` (currency to 1/100).
CPSAT_SCALE = 100.0


@dataclass
class LinearModel:
    """Integer variables and integer linear rows, built incrementally (see module docstring)."""

    lb: list[float] = field(default_factory=list)
    ub: list[float] = field(default_factory=list)
    cost: list[float] = field(default_factory=list)
    _rows: list[npt.NDArray[np.int64]] = field(default_factory=list)
    _cols: list[npt.NDArray[np.int64]] = field(default_factory=list)
    _vals: list[npt.NDArray[np.int64]] = field(default_factory=list)
    row_lo: list[float] = field(default_factory=list)
    row_hi: list[float] = field(default_factory=list)

    @property
    def n_vars(self) -> int:
        return len(self.lb)

    @property
    def n_rows(self) -> int:
        return len(self.row_lo)

    def add_vars(self, n: int, *, lb: float = 0.0, ub: float = 1.0,
                 cost: npt.ArrayLike = 0.0) -> npt.NDArray[np.int64]:
        """``n`` integer variables in ``[lb, ub]``; returns their indices."""
        c = np.broadcast_to(np.asarray(cost, dtype=float), (n,))
        if not np.all(np.isfinite(c)):
            raise ValueError("objective coefficients must be finite")
        first = self.n_vars
        self.lb += [lb] * n
        self.ub += [ub] * n
        self.cost += c.tolist()
        return np.arange(first, first + n, dtype=np.int64)

    def add_row(self, cols: npt.ArrayLike, coefs: npt.ArrayLike, lo: float = -math.inf,
                hi: float = math.inf) -> None:
        """One row ``lo <= Σ coefs·x[cols] <= hi`` (integer coefficients)."""
        c = np.asarray(cols, dtype=np.int64).ravel()
        v = np.broadcast_to(np.asarray(coefs), c.shape)
        if not np.all(v == np.round(v)):
            raise ValueError("row coefficients must be integers")
        self.add_rows(np.zeros(c.size, dtype=np.int64), c, v.astype(np.int64), [lo], [hi])

    def add_rows(self, rows: npt.ArrayLike, cols: npt.ArrayLike, vals: npt.ArrayLike,
                 lo: npt.ArrayLike, hi: npt.ArrayLike) -> None:
        """Rows in coordinate form: ``rows`` are 0-based within this batch."""
        r = np.asarray(rows, dtype=np.int64)
        lo_a = np.atleast_1d(np.asarray(lo, dtype=float))
        hi_a = np.atleast_1d(np.asarray(hi, dtype=float))
        if lo_a.shape != hi_a.shape or (r.size and r.max() >= lo_a.size):
            raise ValueError("row bounds do not match the rows")
        self._rows.append(r + self.n_rows)
        self._cols.append(np.asarray(cols, dtype=np.int64))
        self._vals.append(np.asarray(vals, dtype=np.int64))
        self.row_lo += lo_a.tolist()
        self.row_hi += hi_a.tolist()

    def matrix(self) -> sparse.csr_matrix:
        """The rows as a sparse matrix (duplicates summed)."""
        if not self._rows:
            return sparse.csr_matrix((0, self.n_vars))
        r = np.concatenate(self._rows)
        c = np.concatenate(self._cols)
        v = np.concatenate(self._vals).astype(float)
        return sparse.csr_matrix((v, (r, c)), shape=(self.n_rows, self.n_vars))


@dataclass(frozen=True)
class SolveResult:
    """What a solver returned (see the module docstring)."""

    solver: Solver
    status: Status
    objective: float | None
    bound: float | None
    gap: float | None
    solve_s: float
    x: npt.NDArray[np.float64] | None
    workers: int
    message: str = ""

    def as_dict(self) -> dict[str, object]:
        """The ``solver`` entry of ``summary.json``."""
        return {"name": self.solver, "status": self.status, "objective": self.objective,
                "bound": self.bound, "gap": self.gap, "solve_s": round(self.solve_s, 3),
                "workers": self.workers}


def cpsat_available() -> bool:
    """Whether OR-Tools (the ``roster`` extra) is installed."""
    try:
        import ortools.sat.python.cp_model  # noqa: F401
    except ImportError:
        return False
    return True


def _gap(obj: float | None, bound: float | None) -> float | None:
    if obj is None or bound is None or not (math.isfinite(obj) and math.isfinite(bound)):
        return None
    return max(0.0, abs(obj - bound) / max(abs(obj), 1e-9))


def _highs(m: LinearModel, time_limit_s: float | None, threads: int | None,
           gap: float | None) -> SolveResult:
    opts: dict[str, object] = {"presolve": True}
    if time_limit_s is not None:
        opts["time_limit"] = float(time_limit_s)
    if gap is not None:
        opts["mip_rel_gap"] = float(gap)
    if threads is not None:
        opts["threads"] = int(threads)
    a = m.matrix()
    cons = (optimize.LinearConstraint(a, np.asarray(m.row_lo), np.asarray(m.row_hi))
            if m.n_rows else None)
    t0 = time.perf_counter()
    with warnings.catch_warnings():  # "threads" goes to HiGHS verbatim, with a warning
        warnings.filterwarnings("ignore", message="Unrecognized options", category=RuntimeWarning)
        res = optimize.milp(np.asarray(m.cost), integrality=np.ones(m.n_vars),
                            bounds=optimize.Bounds(np.asarray(m.lb), np.asarray(m.ub)),
                            constraints=cons, options=opts)
    wall = time.perf_counter() - t0
    x = None if res.x is None else np.round(np.asarray(res.x, dtype=float))
    obj = None if x is None else float(np.dot(m.cost, x))
    bound = getattr(res, "mip_dual_bound", None)
    bound = None if bound is None or not math.isfinite(float(bound)) else float(bound)
    status: Status
    if res.status == 0:
        status = "optimal" if (_gap(obj, bound) or 0.0) <= 1e-4 else "feasible"
    elif res.status == 1:  # time or node limit
        status = "time_limit"
    elif res.status == 2:
        status = "infeasible"
    else:
        raise RuntimeError(f"HiGHS failed: {res.message}")
    gap_out = 0.0 if status == "optimal" else _gap(obj, bound)
    return SolveResult("highs", status, obj, bound, gap_out, wall, x, 1, str(res.message))


def _cpsat(m: LinearModel, time_limit_s: float | None, threads: int | None,
           gap: float | None) -> SolveResult:
    try:
        from ortools.sat.python import cp_model
    except ImportError:
        raise ImportError("solver 'cpsat' needs OR-Tools: pip install 'fcsim[roster]'") from None
    model = cp_model.CpModel()
    xs = [model.new_int_var(int(lo), int(hi), "") for lo, hi in zip(m.lb, m.ub, strict=True)]
    a = m.matrix().tocsr()
    a.sum_duplicates()
    for i in range(m.n_rows):
        s, e = a.indptr[i], a.indptr[i + 1]
        terms = [(xs[j], int(v)) for j, v in zip(a.indices[s:e], a.data[s:e], strict=True)]
        expr = cp_model.LinearExpr.weighted_sum([t[0] for t in terms], [t[1] for t in terms])
        lo, hi = m.row_lo[i], m.row_hi[i]
        if math.isfinite(lo) and math.isfinite(hi):
            model.add_linear_constraint(expr, math.ceil(lo - 1e-9), math.floor(hi + 1e-9))
        elif math.isfinite(lo):
            model.add(expr >= math.ceil(lo - 1e-9))
        elif math.isfinite(hi):
            model.add(expr <= math.floor(hi + 1e-9))
    scaled = [round(c * CPSAT_SCALE) for c in m.cost]
    model.minimize(cp_model.LinearExpr.weighted_sum(
        [xs[j] for j, c in enumerate(scaled) if c], [c for c in scaled if c]))
    solver = cp_model.CpSolver()
    p = solver.parameters
    if time_limit_s is not None:
        p.max_time_in_seconds = float(time_limit_s)
    if threads is not None:
        p.num_workers = int(threads)
    if gap is not None:
        p.relative_gap_limit = float(gap)
    p.random_seed = 1
    p.log_search_progress = True
    p.log_to_stdout = False
    lines: list[str] = []
    solver.log_callback = lines.append
    t0 = time.perf_counter()
    code = solver.solve(model)
    wall = time.perf_counter() - t0
    workers = 0
    for line in lines:
        hit = re.search(r"(\d+) workers", line)
        if hit:
            workers = int(hit.group(1))
            break
    if not workers and threads is not None:
        workers = int(threads)  # stopped before the search started (in presolve)
    name = solver.status_name(code)
    x = None
    obj = bound = None
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        x = np.array([solver.value(v) for v in xs], dtype=float)
        obj = float(np.dot(m.cost, x))
        bound = float(solver.best_objective_bound) / CPSAT_SCALE
    status: Status
    if code == cp_model.OPTIMAL:
        status = "optimal"
    elif code == cp_model.INFEASIBLE:
        status = "infeasible"
    elif code == cp_model.FEASIBLE:
        g = _gap(obj, bound)
        limited = time_limit_s is not None and wall >= 0.95 * float(time_limit_s)
        status = "feasible" if (gap is not None and g is not None and g <= gap
                                and not limited) else "time_limit"
    elif code == cp_model.UNKNOWN:
        status = "time_limit"
    else:
        raise RuntimeError(f"CP-SAT failed: {name}")
    g = 0.0 if status == "optimal" else _gap(obj, bound)
    return SolveResult("cpsat", status, obj, bound, g, wall, x, workers, name)


def solve(model: LinearModel, *, solver: Solver = "highs", time_limit_s: float | None = 60.0,
          threads: int | None = None, gap: float | None = None) -> SolveResult:
    """Solve ``model`` (see the module docstring for the limits and statuses)."""
    if time_limit_s is not None and not time_limit_s > 0:
        raise ValueError(f"time_limit_s must be > 0, got {time_limit_s!r}")
    if threads is not None and (not isinstance(threads, int) or threads < 1):
        raise ValueError(f"threads must be a positive integer, got {threads!r}")
    if gap is not None and not 0 <= gap < 1:
        raise ValueError(f"gap must lie in [0, 1), got {gap!r}")
    if solver == "highs":
        out = _highs(model, time_limit_s, threads, gap)
    elif solver == "cpsat":
        out = _cpsat(model, time_limit_s, threads, gap)
    else:
        raise ValueError(f"solver must be 'highs' or 'cpsat', got {solver!r}")
    log.info("%s: %s, objective %s, gap %s, %.2f s", solver, out.status, out.objective,
             out.gap, out.solve_s)
    return out
