"""The public KPI functions: event log in, tidy DataFrames out (``KPI.md``).

:func:`evaluate` prepares the log once (``as_of`` cut, sorting, attempts, population), computes
every clock instance once and derives the indicator and period tables from them.
:func:`control_points`, :func:`indicators` and :func:`periods` are the single-table forms;
``indicators``/``periods`` accept precomputed ``clock_rows`` to skip the clock computation.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd

from fcsim.eventlog import EventLog
from fcsim.kpi.bounds import BoundsArg, resolve_bounds
from fcsim.kpi.clocks import clock_rows as _clock_rows
from fcsim.kpi.flags import ticket_indicator_flags
from fcsim.kpi.indicators import indicator_table
from fcsim.kpi.periods import period_table
from fcsim.kpi.prepare import Prepared, Window, prepare
from fcsim.model.control_points import ControlPoints
from fcsim.model.indicators import Target

__all__ = ["KpiResult", "control_points", "evaluate", "indicators", "periods", "write_kpi"]


@dataclass(frozen=True)
class KpiResult:
    """The three KPI tables of one evaluation."""

    control_points: pd.DataFrame
    indicators: pd.DataFrame
    periods: pd.DataFrame


def _bounds_for(log: EventLog, p: Prepared, bounds: BoundsArg) -> dict[str | None,
                                                                       ControlPoints]:
    sc = p.tickets["scenario"]
    names: list[str | None] = [None, *sorted({str(s) for s in sc.dropna().unique()})]
    return resolve_bounds(names, manifest=log.manifest, bounds=bounds)


def _clocks(log: EventLog, p: Prepared, bounds: BoundsArg) -> pd.DataFrame:
    return _clock_rows(p, _bounds_for(log, p, bounds))


def control_points(
    log: EventLog,
    *,
    as_of: pd.Timestamp | None = None,
    bounds: ControlPoints | Mapping[str, ControlPoints] | None = None,
    window: Window | None = None,
) -> pd.DataFrame:
    """Every clock instance of the population with its status at ``as_of``.

    Parameters
    ----------
    log
        The event log.
    as_of
        Evaluation instant; default the latest event ``timestamp`` of the whole log.
    bounds
        One :class:`ControlPoints` or a mapping by scenario; the manifest's
        ``control_points`` win for the scenarios they name; default the seed's.
    window
        ``(start, end)`` half-open on attempt-1 R; ``None`` ends are open.

    Returns
    -------
    DataFrame
        Columns scenario, replication, ticket_id, attempt, occurrence, control_point, status,
        start, end, duration_s, lower_s, upper_s, lateness_s; sorted by scenario,
        replication, ticket_id, attempt, control_point, occurrence.
    """
    p = prepare(log, as_of=as_of, window=window)
    return _clocks(log, p, bounds)


def indicators(
    log: EventLog,
    *,
    as_of: pd.Timestamp | None = None,
    bounds: ControlPoints | Mapping[str, ControlPoints] | None = None,
    window: Window | None = None,
    targets: Mapping[str, Target] | None = None,
    clock_rows: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The six indicators per log, or per scenario × replication plus scenario summaries.

    ``clock_rows`` (from :func:`control_points` with the same ``as_of``, ``bounds`` and
    ``window``) skips recomputing the clocks. ``targets`` overrides the seed's targets by id.
    """
    p = prepare(log, as_of=as_of, window=window)
    rows = clock_rows if clock_rows is not None else _clocks(log, p, bounds)
    return indicator_table(p, ticket_indicator_flags(p, rows), targets)


def periods(
    log: EventLog,
    *,
    period: Literal["week", "month"] = "week",
    by: Literal["receipt", "closing"] = "receipt",
    as_of: pd.Timestamp | None = None,
    bounds: ControlPoints | Mapping[str, ControlPoints] | None = None,
    window: Window | None = None,
    clock_rows: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The indicators per ISO week or calendar month of attempt-1 R (or of ``closed``).

    Columns scenario, replication, period_start, period_end, partial, indicator, value,
    numerator, denominator.
    """
    p = prepare(log, as_of=as_of, window=window)
    rows = clock_rows if clock_rows is not None else _clocks(log, p, bounds)
    return period_table(p, ticket_indicator_flags(p, rows), period=period, by=by,
                        window_start=None if window is None else window[0])


def evaluate(
    log: EventLog,
    *,
    as_of: pd.Timestamp | None = None,
    bounds: ControlPoints | Mapping[str, ControlPoints] | None = None,
    window: Window | None = None,
    period: Literal["week", "month"] = "week",
    by: Literal["receipt", "closing"] = "receipt",
    targets: Mapping[str, Target] | None = None,
) -> KpiResult:
    """All three tables, preparing the log and computing the clocks once."""
    p = prepare(log, as_of=as_of, window=window)
    rows = _clocks(log, p, bounds)
    flags = ticket_indicator_flags(p, rows)
    return KpiResult(
        control_points=rows,
        indicators=indicator_table(p, flags, targets),
        periods=period_table(p, flags, period=period, by=by,
                             window_start=None if window is None else window[0]),
    )


def write_kpi(result: KpiResult, out_dir: str | os.PathLike[str]) -> None:
    """Write ``control_points.csv``, ``indicators.csv`` and ``periods.csv`` into ``out_dir``.

    Timestamps as ``2026-03-02 08:45:00+00:00``, floats as ``60.0``, nulls empty.
    """
    d = Path(out_dir)
    d.mkdir(parents=True, exist_ok=True)
    for name, df in (("control_points", result.control_points),
                     ("indicators", result.indicators), ("periods", result.periods)):
        tmp = d / f"{name}.csv.tmp"
        df.to_csv(tmp, index=False, lineterminator="\n")
        os.replace(tmp, d / f"{name}.csv")
