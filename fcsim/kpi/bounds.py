"""Resolving the clocks' bounds per scenario (``KPI.md`` § Control points, last paragraph).

Order, per scenario: a simulated run's ``manifest.json`` entry
``control_points: {scenario: {clock: {lower_s, upper_s}}}`` (``null`` = no bound; a clock left
out keeps the seed's bounds); otherwise the bounds given by the caller (one
:class:`ControlPoints` for every scenario, or a mapping by scenario name); otherwise the seed's
:data:`SEED_CONTROL_POINTS`. An observed log (no scenario) uses the given single
:class:`ControlPoints`, else the seed's.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from fcsim.model.control_points import SEED_CONTROL_POINTS, ControlPoints

__all__ = ["BoundsArg", "resolve_bounds"]

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
        The log's manifest; its ``control_points`` entry wins for the scenarios it names.
    bounds
        Caller's bounds: one :class:`ControlPoints` or a mapping by scenario name.

    Raises
    ------
    ValueError
        When the manifest's ``control_points`` entry is malformed (names the scenario/clock).
    """
    from_manifest: Mapping[str, Any] = {}
    if manifest is not None and manifest.get("control_points") is not None:
        from_manifest = manifest["control_points"]
        if not isinstance(from_manifest, Mapping):
            raise ValueError("manifest.json: control_points must be a mapping by scenario")
    out: dict[str | None, ControlPoints] = {}
    for sc in scenarios:
        if sc is not None and sc in from_manifest:
            try:
                out[sc] = ControlPoints.from_dict(from_manifest[sc])
            except (KeyError, ValueError, TypeError, AttributeError) as exc:
                raise ValueError(
                    f"manifest.json: control_points[{sc!r}] is invalid: {exc}"
                ) from None
            if bounds is not None:
                log.info("scenario %r: bounds taken from the manifest, not the caller", sc)
        else:
            out[sc] = _given(bounds, sc)
    return out
