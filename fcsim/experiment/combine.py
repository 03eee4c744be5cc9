"""Concatenating event logs (several scenarios × replications) into one canonical log.

The events and tickets tables are stacked in the given order; free categorical columns
(``ticket_id``, ``resource``, ``scenario``, ``category`` …) are re-canonicalised cheaply with
:func:`pandas.api.types.union_categoricals` (categories = the sorted union, as
:func:`fcsim.eventlog.canonical_events` would make them) instead of re-parsing strings.
Manifests are merged: ``control_points`` and ``scenario_config`` are kept per scenario, so the
KPI engine finds each scenario's bounds in the combined log's manifest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from fcsim.eventlog import EVENT_COLUMNS, TICKET_COLUMNS, EventLog, EventLogError

__all__ = ["combine_logs", "concat_frames", "merge_manifests"]


def _concat_column(parts: Sequence[pd.Series], dtype: object, where: str) -> pd.Series:
    if isinstance(dtype, str) and dtype == "category":  # free categories: sorted union
        for p in parts:
            if not isinstance(p.dtype, pd.CategoricalDtype):
                raise EventLogError(f"{where}: expected a categorical column, got {p.dtype}")
        cat = union_categoricals([p.array for p in parts], sort_categories=True,
                                 ignore_order=True)
        return pd.Series(cat.remove_unused_categories())
    if isinstance(dtype, pd.CategoricalDtype):  # fixed categories (activity, role)
        bad = [p.dtype for p in parts if p.dtype != dtype]
        if bad:
            raise EventLogError(f"{where}: dtype {bad[0]} differs from the contract's {dtype}")
        codes = np.concatenate([p.cat.codes.to_numpy() for p in parts])
        return pd.Series(pd.Categorical.from_codes(codes, dtype=dtype))
    out = pd.concat([p.reset_index(drop=True) for p in parts], ignore_index=True)
    if out.dtype != dtype and not (isinstance(dtype, str) and str(out.dtype) == dtype):
        raise EventLogError(f"{where}: dtype {out.dtype} differs from the contract's {dtype}")
    return out


def concat_frames(
    frames: Sequence[pd.DataFrame], columns: Mapping[str, object], *, table: str
) -> pd.DataFrame:
    """Stack canonical frames of one table (``events`` or ``tickets``) in the given order.

    Parameters
    ----------
    frames
        Frames already in the contract's canonical form (columns and dtypes).
    columns
        The table's contract columns (:data:`~fcsim.eventlog.EVENT_COLUMNS` or
        :data:`~fcsim.eventlog.TICKET_COLUMNS`).
    table
        The table's name, for error messages.

    Returns
    -------
    pandas.DataFrame
        One frame in canonical form with a fresh ``RangeIndex``.
    """
    if not frames:
        raise ValueError(f"{table}: nothing to concatenate")
    for i, f in enumerate(frames):
        if list(f.columns) != list(columns):
            raise EventLogError(f"{table} of log {i}: columns {list(f.columns)} are not the "
                                f"contract's {list(columns)}")
    data = {col: _concat_column([f[col] for f in frames], dtype, f"{table}.{col}")
            for col, dtype in columns.items()}
    return pd.DataFrame(data)


def merge_manifests(manifests: Sequence[Mapping[str, Any] | None]) -> dict[str, Any]:
    """Merge run manifests: per-scenario ``control_points`` and ``scenario_config``.

    Other keys keep the first manifest's value when every manifest that has them agrees;
    keys whose values differ (``replication``, ``seed`` …) are left out (the experiment's own
    manifest records them).
    """
    out: dict[str, Any] = {"control_points": {}, "scenario_config": {}}
    common: dict[str, Any] = {}
    differs: set[str] = set()
    for m in manifests:
        if not m:
            continue
        name = m.get("scenario")
        for key in ("control_points", "scenario_config"):
            value = m.get(key)
            if isinstance(value, Mapping) and key == "control_points":
                out[key].update(value)
            elif value is not None and name is not None:
                out[key][str(name)] = value
        for key, value in m.items():
            if key in ("control_points", "scenario_config") or key in differs:
                continue
            if key in common and common[key] != value:
                differs.add(key)
                del common[key]
            elif key not in common:
                common[key] = value
    out.update(common)
    return out


def combine_logs(
    logs: Sequence[EventLog], *, manifest: Mapping[str, Any] | None = None
) -> EventLog:
    """One log holding every event and ticket of ``logs``, in the given order.

    Parameters
    ----------
    logs
        Canonical logs whose ticket ids do not overlap (simulated logs of different
        scenarios or replications).
    manifest
        Extra manifest entries laid over the merged manifests of ``logs``.

    Returns
    -------
    EventLog
        A canonical log (``canonical_events(result.events)`` equals ``result.events``).

    Raises
    ------
    EventLogError
        When a ticket id occurs in more than one log, or a frame is not canonical.
    """
    if not logs:
        raise ValueError("combine_logs needs at least one log")
    tickets = concat_frames([lg.tickets for lg in logs], TICKET_COLUMNS, table="tickets")
    dup = tickets["ticket_id"].duplicated()
    if dup.any():
        row = int(dup.to_numpy().argmax())
        raise EventLogError(f"tickets, row {row}: ticket_id {tickets['ticket_id'][row]!r} "
                            "occurs in more than one log")
    events = concat_frames([lg.events for lg in logs], EVENT_COLUMNS, table="events")
    merged = merge_manifests([lg.manifest for lg in logs])
    if manifest:
        merged.update(manifest)
    return EventLog(events, tickets, merged)
