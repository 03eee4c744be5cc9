"""The time zone in which a log's dates are read (weeks, months), per scenario.

``KPI.md`` cuts the weekly and monthly tables by ISO week and calendar month; fcsim takes both
in the **site's** zone (a refinement documented in ``docs/kpi-glossary.md``). The zone of a
scenario's tickets resolves in this order:

1. the caller's ``tz`` (one zone for every scenario, or a mapping by scenario name);
2. the log manifest's ``time_zone``: a mapping by scenario (a simulated run writes
   ``{"apartment": "Asia/Shanghai"}``) or a plain string (an observed log, e.g. a recorder
   export, which has no scenario);
3. UTC — :func:`resolve_time_zones` then reports the source ``"default"``, so that a command
   line can warn that the dates are UTC dates.

Zones are anything :func:`fcsim.model.timezone.parse_tz` accepts: an IANA name
(``Europe/Amsterdam``, daylight saving time included), an offset (``+08:00``) or hours (``8``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, tzinfo
from typing import Any, Literal

from fcsim.model.timezone import TimeZoneError, parse_tz

__all__ = ["TzArg", "ZoneSource", "manifest_time_zone", "resolve_time_zones"]

#: A zone, or zones by scenario name (``None`` = an observed log).
TzArg = tzinfo | str | float | Mapping[str | None, Any] | None
ZoneSource = Literal["argument", "manifest", "default"]


def _parse(value: Any, where: str) -> tzinfo:
    try:
        return parse_tz(value)
    except TimeZoneError as exc:
        raise ValueError(f"{where}: {exc}") from None


def manifest_time_zone(manifest: Mapping[str, Any] | None,
                       scenario: str | None) -> tzinfo | None:
    """The zone a manifest's ``time_zone`` gives ``scenario``, or ``None``.

    Raises
    ------
    ValueError
        When the entry is neither a zone nor a mapping of zones (names the scenario).
    """
    value = (manifest or {}).get("time_zone")
    if value is None:
        return None
    if isinstance(value, Mapping):
        if scenario is None or value.get(scenario) is None:
            return None
        return _parse(value[scenario], f"manifest.json: time_zone[{scenario!r}]")
    return _parse(value, "manifest.json: time_zone")


def resolve_time_zones(
    scenarios: Iterable[str | None],
    *,
    manifest: Mapping[str, Any] | None = None,
    tz: TzArg = None,
) -> tuple[dict[str | None, tzinfo], ZoneSource]:
    """The zone of each scenario, and where the least specific one came from.

    Returns
    -------
    zones, source
        ``zones`` maps every scenario name to a ``tzinfo``; ``source`` is ``"default"`` when
        at least one scenario fell back to UTC, else ``"manifest"`` when at least one zone
        came from the manifest, else ``"argument"``.
    """
    out: dict[str | None, tzinfo] = {}
    sources: set[str] = set()
    for sc in scenarios:
        zone: tzinfo | None = None
        if tz is not None:
            if isinstance(tz, Mapping):
                if tz.get(sc) is not None:
                    zone = _parse(tz[sc], f"tz[{sc!r}]")
            else:
                zone = _parse(tz, "tz")
        if zone is not None:
            sources.add("argument")
        else:
            zone = manifest_time_zone(manifest, sc)
            if zone is not None:
                sources.add("manifest")
            else:
                zone = UTC
                sources.add("default")
        out[sc] = zone
    source: ZoneSource = ("default" if "default" in sources else
                          "manifest" if "manifest" in sources else "argument")
    return out, source
