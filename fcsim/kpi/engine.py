"""The public KPI functions: event log in, tidy DataFrames out (``KPI.md``).

:func:`evaluate` prepares the log once (``as_of`` cut, sorting, attempts, population), computes
every clock instance once and derives the indicator and period tables from them, plus fcsim's
own first-contact ownership measure (:mod:`fcsim.kpi.ownership`).
:func:`control_points`, :func:`indicators` and :func:`periods` are the single-table forms;
``indicators``/``periods`` accept precomputed ``clock_rows`` to skip the clock computation.
Bounds resolve as :mod:`fcsim.kpi.bounds` says (per scenario, then per row by category and
emergency); the periods' weeks and months are local to the zone :mod:`fcsim.kpi.zones` gives.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from typing import Literal

import pandas as pd

from fcsim.eventlog import EventLog
from fcsim.kpi.bounds import BoundsArg, resolve_bounds
from fcsim.kpi.clocks import clock_rows as _clock_rows
from fcsim.kpi.flags import ticket_indicator_flags
from fcsim.kpi.indicators import indicator_table, manifest_targets
from fcsim.kpi.ownership import ownership as _ownership
from fcsim.kpi.periods import period_table
from fcsim.kpi.prepare import Prepared, Window, prepare
from fcsim.kpi.zones import TzArg, resolve_time_zones
from fcsim.model.control_points import ControlPoints
from fcsim.model.indicators import Target

__all__ = ["KpiResult", "control_points", "evaluate", "indicators", "not_measurable", "periods",
           "write_kpi"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KpiResult:
    """The KPI tables of one evaluation (``ownership``: fcsim's own measure, when computed)."""

    control_points: pd.DataFrame
    indicators: pd.DataFrame
    periods: pd.DataFrame
    ownership: pd.DataFrame | None = None


def _scenario_names(p: Prepared) -> list[str | None]:
    sc = p.tickets["scenario"]
    return [None, *sorted({str(s) for s in sc.dropna().unique()})]


def _bounds_for(log: EventLog, p: Prepared, bounds: BoundsArg) -> dict[str | None,
                                                                       ControlPoints]:
    return resolve_bounds(_scenario_names(p), manifest=log.manifest, bounds=bounds)


def _zones(log: EventLog, p: Prepared, tz: TzArg) -> dict[str | None, tzinfo]:
    zones, source = resolve_time_zones(_scenario_names(p), manifest=log.manifest, tz=tz)
    if source == "default":
        _log.info("no time zone given or in the manifest: weeks and months are cut in UTC")
    return zones


def not_measurable(log: EventLog) -> frozenset[str]:
    """The clocks the log's manifest marks not measurable (``measurability``, written by an
    import: a synthesised or absent stage); their rows are not judged."""
    meas = (log.manifest or {}).get("measurability") or {}
    return frozenset(k for k, v in meas.items()
                     if isinstance(v, dict) and v.get("kind") == "clock"
                     and v.get("measurable") is False)


def _clocks(log: EventLog, p: Prepared, bounds: BoundsArg,
            skip: Iterable[str] | None = None) -> pd.DataFrame:
    rows = _clock_rows(p, _bounds_for(log, p, bounds))
    drop = not_measurable(log) if skip is None else frozenset(skip)
    if drop and len(rows):
        keep = ~rows["control_point"].astype(str).isin(drop).to_numpy()
        rows = rows[keep].reset_index(drop=True)
    return rows


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
    ``window``) skips recomputing the clocks. ``targets`` overrides the seed's targets by id
    for every scenario; without it, the manifest's ``targets`` (a scenario's ``[targets]``
    table, for any number of replications) apply to their scenario.
    """
    p = prepare(log, as_of=as_of, window=window)
    rows = clock_rows if clock_rows is not None else _clocks(log, p, bounds)
    return indicator_table(p, ticket_indicator_flags(p, rows), targets,
                           manifest_targets(log.manifest))


def periods(
    log: EventLog,
    *,
    period: Literal["week", "month"] = "week",
    by: Literal["receipt", "closing"] = "receipt",
    as_of: pd.Timestamp | None = None,
    bounds: ControlPoints | Mapping[str, ControlPoints] | None = None,
    window: Window | None = None,
    clock_rows: pd.DataFrame | None = None,
    tz: TzArg = None,
) -> pd.DataFrame:
    """The indicators per ISO week or calendar month of attempt-1 R (or of ``closed``).

    Weeks (Monday 00:00) and months are local to ``tz`` (a zone, or zones by scenario),
    else to the manifest's ``time_zone``, else UTC (:mod:`fcsim.kpi.zones`).
    Columns scenario, replication, period_start, period_end (with the local offset),
    partial, indicator, value, numerator, denominator.
    """
    p = prepare(log, as_of=as_of, window=window)
    rows = clock_rows if clock_rows is not None else _clocks(log, p, bounds)
    return period_table(p, ticket_indicator_flags(p, rows), period=period, by=by,
                        window_start=None if window is None else window[0],
                        tz=_zones(log, p, tz))


def evaluate(
    log: EventLog,
    *,
    as_of: pd.Timestamp | None = None,
    bounds: ControlPoints | Mapping[str, ControlPoints] | None = None,
    window: Window | None = None,
    period: Literal["week", "month"] = "week",
    by: Literal["receipt", "closing"] = "receipt",
    targets: Mapping[str, Target] | None = None,
    tz: TzArg = None,
    skip_clocks: Iterable[str] | None = None,
) -> KpiResult:
    """All tables, preparing the log and computing the clocks once.

    ``tz``: the zone of the periods (see :func:`periods`). The result's ``ownership`` is
    :func:`fcsim.kpi.ownership.ownership`'s summary for the same ``as_of`` and ``window``.
    Clocks the manifest marks not measurable (:func:`not_measurable`; or ``skip_clocks``,
    e.g. an observed log's, to judge a simulated one by the same clocks) have no rows and do
    not count in timeliness.
    """
    p = prepare(log, as_of=as_of, window=window)
    rows = _clocks(log, p, bounds, skip_clocks)
    flags = ticket_indicator_flags(p, rows)
    return KpiResult(
        control_points=rows,
        indicators=indicator_table(p, flags, targets, manifest_targets(log.manifest)),
        periods=period_table(p, flags, period=period, by=by,
                             window_start=None if window is None else window[0],
                             tz=_zones(log, p, tz)),
        ownership=_ownership(log, prepared=p)[1],
    )


def write_kpi(result: KpiResult, out_dir: str | os.PathLike[str]) -> None:
    """Write ``control_points.csv``, ``indicators.csv``, ``periods.csv`` (and
    ``ownership.csv`` when the result has it) into ``out_dir``.

    Timestamps as ``2026-03-02 08:45:00+00:00`` (periods with the site's offset), floats as
    ``60.0``, nulls empty.
    """
    d = Path(out_dir)
    d.mkdir(parents=True, exist_ok=True)
    tables = [("control_points", result.control_points), ("indicators", result.indicators),
              ("periods", result.periods)]
    if result.ownership is not None:
        tables.append(("ownership", result.ownership))
    for name, df in tables:
        tmp = d / f"{name}.csv.tmp"
        df.to_csv(tmp, index=False, lineterminator="\n")
        os.replace(tmp, d / f"{name}.csv")
