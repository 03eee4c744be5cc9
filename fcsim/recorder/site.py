"""The recorder site's settings: its time zone and, optionally, its control-point bounds.

A store holds one site (table ``site``, one row). Its **time zone** (an IANA name such as
``Asia/Shanghai``; an offset such as ``+08:00`` is accepted too) is where people at the site
read dates: weeks and months of ``fcsim kpi``, the running clocks of ``fcsim record status``.
Its **control points** (the content of a bounds file, the shape ``fcsim kpi --control-points``
reads: scenario-wide bounds with per-category and emergency overrides) judge the site's tickets
in ``status`` and travel with every ``export`` in the log's ``manifest.json``::

    {"kind": "observed", "time_zone": "Asia/Shanghai",
     "control_points": {clock: {lower_s, upper_s}},
     "control_point_overrides": {clock: {"category": {..}, "emergency": {..}}}}

(keyed by clock, not by scenario: an observed log has none; :mod:`fcsim.kpi.bounds` and
:mod:`fcsim.kpi.zones` read this form).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from sqlalchemy import Connection, select

from fcsim.model.control_points import ControlPoints
from fcsim.model.timezone import TimeZoneError, parse_tz, tz_name
from fcsim.recorder.checks import RecorderError
from fcsim.recorder.store import SITE, now_ms

__all__ = ["Site", "read_site", "site_manifest", "write_site"]

_SID = 1


@dataclass(frozen=True)
class Site:
    """The site's settings (``None``: not set)."""

    time_zone: str | None = None
    control_points_data: Mapping[str, Any] | None = None
    set_by: str | None = None

    @property
    def tz(self) -> tzinfo | None:
        """The zone as a ``tzinfo`` (``None`` when not set)."""
        return None if self.time_zone is None else parse_tz(self.time_zone)

    def control_points(self) -> ControlPoints | None:
        """The site's bounds (``None`` when no control-points file was set)."""
        if self.control_points_data is None:
            return None
        from fcsim.kpi.bounds import parse_control_points  # the KPI engine: only when used

        return parse_control_points(self.control_points_data, "site control points")


def read_site(conn: Connection) -> Site:
    """The site's settings (empty when never set)."""
    row = conn.execute(select(SITE).where(SITE.c.sid == _SID)).first()
    if row is None:
        return Site()
    m = row._mapping
    data = None if m["control_points"] is None else json.loads(m["control_points"])
    return Site(m["time_zone"], data, m["set_by"])


def write_site(conn: Connection, *, time_zone: str | None = None,
               control_points: Mapping[str, Any] | None = None,
               by: str | None = None) -> Site:
    """Set the site's zone and/or bounds (a value left ``None`` keeps the stored one).

    Raises
    ------
    RecorderError
        When the zone is not a zone or the bounds are invalid (nothing is written).
    """
    old = read_site(conn)
    tz_text = old.time_zone
    if time_zone is not None:
        try:
            tz_text = tz_name(parse_tz(time_zone))
        except TimeZoneError as exc:
            raise RecorderError(f"site: {exc}") from None
    data = old.control_points_data
    if control_points is not None:
        from fcsim.kpi.bounds import parse_control_points

        try:
            parse_control_points(control_points, "site control points")
        except ValueError as exc:
            raise RecorderError(str(exc)) from None
        data = dict(control_points)
    values = {"time_zone": tz_text,
              "control_points": None if data is None else json.dumps(data, sort_keys=True),
              "set_by": by, "written_at": now_ms()}
    if conn.execute(select(SITE.c.sid).where(SITE.c.sid == _SID)).first() is None:
        conn.execute(SITE.insert().values(sid=_SID, **values))
    else:
        conn.execute(SITE.update().where(SITE.c.sid == _SID).values(**values))
    return Site(tz_text, data, by)


def site_manifest(site: Site) -> dict[str, Any] | None:
    """The manifest an export carries for the site (``None`` when nothing is set)."""
    if site.time_zone is None and site.control_points_data is None:
        return None
    out: dict[str, Any] = {"kind": "observed"}
    if site.time_zone is not None:
        out["time_zone"] = site.time_zone
    cp = site.control_points()
    if cp is not None:
        out["control_points"] = cp.to_dict()
        if cp.has_overrides:
            out["control_point_overrides"] = cp.overrides_dict()
    return out
