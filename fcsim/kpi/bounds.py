"""Resolving the clocks' bounds per scenario (``KPI.md`` § Control points, last paragraph).

Which :class:`~fcsim.model.control_points.ControlPoints` judges a scenario's tickets, in this
order:

1. the log's ``manifest.json``: ``control_points: {scenario: {clock: {lower_s, upper_s}}}``
   (scenario-wide; ``null`` = no bound; a clock left out keeps the seed's bounds) and
   ``control_point_overrides: {scenario: {clock: {"category": {cat: {..}}, "emergency":
   {..}}}}`` (per category and for emergencies). When either entry names the scenario, the
   two together replace the caller's bounds for it;
2. the bounds given by the caller (one :class:`ControlPoints` for every scenario, or a mapping
   by scenario name), overrides included;
3. the seed's :data:`~fcsim.model.control_points.SEED_CONTROL_POINTS`.

An observed log (no scenario, e.g. a recorder export) may carry the site's bounds in its
manifest *without* the scenario level: ``control_points: {clock: {..}}`` and
``control_point_overrides: {clock: {..}}`` (recognised because every key is a clock id).

A bounds **file** (``fcsim kpi --control-points``, a recorder site) has the same shape in TOML
or JSON (:func:`parse_control_points`)::

    [on_site]                    # scenario-wide (a side left out keeps the seed's)
    upper_s = 600
    [on_site.category.critical]  # per category
    upper_s = 300
    [on_site.emergency]          # for emergencies
    upper_s = 300
    [record]
    lower_s = -1                 # TOML has no null: -1 removes a bound

optionally wrapped in a ``[control_points]`` table (as in a scenario file).

Within a :class:`ControlPoints`, a ticket's bounds resolve by
:meth:`~fcsim.model.control_points.ControlPoints.resolve`: the emergency override, else the
category's, else the scenario-wide bounds, else the seed's. :mod:`fcsim.kpi.clocks` applies
that per row.
"""

from __future__ import annotations

import json
import logging
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from fcsim.model.control_points import CLOCK_NAMES, SEED_CONTROL_POINTS, ControlPoints

__all__ = [
    "BoundsArg",
    "load_control_points",
    "manifest_control_points",
    "parse_control_points",
    "read_bounds_file",
    "resolve_bounds",
]

log = logging.getLogger(__name__)

BoundsArg = ControlPoints | Mapping[str, ControlPoints] | None


def _given(bounds: BoundsArg, scenario: str | None) -> ControlPoints:
    if bounds is None:
        return SEED_CONTROL_POINTS
    if isinstance(bounds, ControlPoints):
        return bounds
    if scenario is None:
        return SEED_CONTROL_POINTS
    cp = bounds.get(scenario, SEED_CONTROL_POINTS)
    if not isinstance(cp, ControlPoints):
        raise TypeError(
            f"bounds[{scenario!r}] must be a ControlPoints, got {type(cp).__name__}"
        )
    return cp


def _entry(manifest: Mapping[str, Any] | None, key: str) -> Mapping[str, Any]:
    value = (manifest or {}).get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError(f"manifest.json: {key} must be a mapping by scenario")
    return value


def _site_form(entry: Mapping[str, Any]) -> bool:
    """Whether a manifest entry is keyed by clock (an observed log's) rather than scenario."""
    return bool(entry) and all(k in CLOCK_NAMES for k in entry)


def manifest_control_points(manifest: Mapping[str, Any] | None,
                            scenario: str | None) -> ControlPoints | None:
    """The bounds a manifest gives ``scenario`` (``None`` = observed log), or ``None``.

    Raises
    ------
    ValueError
        Naming the manifest entry, scenario and problem when an entry is malformed.
    """
    wide_all = _entry(manifest, "control_points")
    over_all = _entry(manifest, "control_point_overrides")
    if scenario is None:
        wide = wide_all if _site_form(wide_all) else None
        over = over_all if _site_form(over_all) else None
        where = "control_points"
    else:
        wide, over = wide_all.get(scenario), over_all.get(scenario)
        where = f"control_points[{scenario!r}]"
    if wide is None and over is None:
        return None
    try:
        return ControlPoints.from_dict(wide or {}, over or None)
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        if over is not None:
            where = f"{where} / control_point_overrides" + (
                "" if scenario is None else f"[{scenario!r}]")
        raise ValueError(f"manifest.json: {where} is invalid: {exc}") from None


def resolve_bounds(
    scenarios: Iterable[str | None],
    *,
    manifest: Mapping[str, Any] | None = None,
    bounds: BoundsArg = None,
) -> dict[str | None, ControlPoints]:
    """The :class:`ControlPoints` for each scenario name (``None`` = observed log).

    Parameters
    ----------
    scenarios
        Scenario names present in the log (``None`` for an observed log).
    manifest
        The log's manifest; its ``control_points`` / ``control_point_overrides`` entries win
        for the scenarios they name.
    bounds
        Caller's bounds: one :class:`ControlPoints` or a mapping by scenario name.

    Raises
    ------
    ValueError
        When a manifest entry is malformed (names the scenario/clock).
    """
    out: dict[str | None, ControlPoints] = {}
    for sc in scenarios:
        cp = manifest_control_points(manifest, sc)
        if cp is not None:
            out[sc] = cp
            if bounds is not None:
                log.info("scenario %r: bounds taken from the manifest, not the caller", sc)
        else:
            out[sc] = _given(bounds, sc)
    return out


def _side(value: Any, where: str) -> float | None:
    if value == -1:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{where}: expected a number of seconds (or -1 for no bound), "
                         f"got {value!r}")
    return float(value)


def _pair(table: Any, where: str) -> dict[str, float | None]:
    if not isinstance(table, Mapping):
        raise ValueError(f"{where}: expected a table of lower_s / upper_s")
    unknown = set(table) - {"lower_s", "upper_s"}
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {sorted(unknown)} (expected lower_s, "
                         "upper_s)")
    return {k: _side(v, f"{where}.{k}") for k, v in table.items()}


def parse_control_points(data: Mapping[str, Any], where: str = "control points"
                         ) -> ControlPoints:
    """Bounds (with per-category and emergency overrides) from parsed TOML / JSON data.

    Parameters
    ----------
    data
        ``{clock: {lower_s, upper_s, category: {cat: {..}}, emergency: {..}}}``, optionally
        under a ``control_points`` key; ``-1`` (or JSON ``null``) removes a bound.
    where
        Named in error messages (e.g. the file's path).

    Raises
    ------
    ValueError
        Naming ``where``, the clock and the key at fault.
    """
    if not isinstance(data, Mapping):
        raise ValueError(f"{where}: expected a table of clocks")
    body = data.get("control_points", data)
    if not isinstance(body, Mapping):
        raise ValueError(f"{where}: control_points must be a table of clocks")
    wide: dict[str, dict[str, float | None]] = {}
    over: dict[str, dict[str, Any]] = {}
    for clock, table in body.items():
        w = f"{where}: [{clock}]"
        if clock not in CLOCK_NAMES:
            raise ValueError(f"{w}: unknown control point (known: {', '.join(CLOCK_NAMES)})")
        if not isinstance(table, Mapping):
            raise ValueError(f"{w}: expected a table")
        sides = {k: v for k, v in table.items() if k not in ("category", "emergency")}
        if sides:
            wide[clock] = _pair({k: (-1 if v is None else v) for k, v in sides.items()}, w)
        entry: dict[str, Any] = {}
        cats = table.get("category")
        if cats is not None:
            if not isinstance(cats, Mapping):
                raise ValueError(f"{w}.category: expected a table of categories")
            entry["category"] = {
                str(c): _pair({k: (-1 if v is None else v) for k, v in b.items()}
                              if isinstance(b, Mapping) else b, f"{w}.category.{c}")
                for c, b in cats.items()}
        em = table.get("emergency")
        if em is not None:
            entry["emergency"] = _pair({k: (-1 if v is None else v) for k, v in em.items()}
                                       if isinstance(em, Mapping) else em, f"{w}.emergency")
        if entry:
            over[clock] = entry
    try:
        return ControlPoints.from_dict(wide, over or None)
    except (KeyError, ValueError) as exc:
        raise ValueError(f"{where}: {exc}") from None


def read_bounds_file(path: str | Path) -> dict[str, Any]:
    """The parsed content of a TOML (``.toml``) or JSON bounds file, checked.

    Raises
    ------
    ValueError
        Naming the file when it cannot be parsed or holds an invalid bound.
    """
    p = Path(path)
    text = p.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text) if p.suffix == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{p}: {exc}") from None
    parse_control_points(data, str(p))
    return dict(data)


def load_control_points(path: str | Path) -> ControlPoints:
    """Bounds from a TOML (``.toml``) or JSON file; see :func:`parse_control_points`.

    Raises
    ------
    ValueError
        Naming the file when it cannot be parsed or holds an invalid bound.
    """
    return parse_control_points(read_bounds_file(path), str(path))
