"""The site's time zone: where a person reads a date (weeks, months, rosters, figures).

A zone is given as an IANA name (``Asia/Shanghai``, ``Europe/Amsterdam``: daylight saving
time included), as a fixed offset (``+08:00``, ``-05:30``, ``UTC``) or as whole or fractional
hours (``8``, ``-5``, ``5.5``). :func:`parse_tz` accepts all three and names the value it
refuses; :func:`tz_name` gives the canonical text stored in manifests and scenarios.
"""

from __future__ import annotations

import re
from datetime import UTC, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["TimeZoneError", "parse_tz", "tz_name"]

_OFFSET = re.compile(r"^(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?$")
_HOURS = re.compile(r"^[+-]?\d{1,2}(?:\.\d+)?$")


class TimeZoneError(ValueError):
    """A time zone that is neither an IANA name, an offset nor hours."""


def _fixed(minutes: int, text: str) -> timezone:
    if abs(minutes) > 14 * 60:
        raise TimeZoneError(f"time zone {text!r}: offset beyond ±14:00")
    return timezone(timedelta(minutes=minutes)) if minutes else UTC


def parse_tz(value: str | float | int | tzinfo) -> tzinfo:
    """A ``tzinfo`` from an IANA name, a UTC offset (``+08:00``) or hours (``8``, ``-5``).

    Raises
    ------
    TimeZoneError
        Naming the value, with the three accepted forms.
    """
    if isinstance(value, tzinfo):
        return value
    if isinstance(value, bool):
        raise TimeZoneError(f"time zone {value!r}: expected a name, an offset or hours")
    if isinstance(value, int | float):
        return _fixed(round(float(value) * 60), str(value))
    text = str(value).strip()
    if text.upper() in ("UTC", "Z", "GMT"):
        return UTC
    m = _OFFSET.match(text)
    if m and (m.group(3) is not None or ":" in text or text[:3] in ("UTC", "GMT")):
        sign = -1 if m.group(1) == "-" else 1
        return _fixed(sign * (int(m.group(2)) * 60 + int(m.group(3) or 0)), text)
    if _HOURS.match(text):
        return _fixed(round(float(text) * 60), text)
    if "/" in text or text.isalpha():
        try:
            return ZoneInfo(text)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    raise TimeZoneError(
        f"time zone {text!r}: expected an IANA name (Asia/Shanghai), an offset (+08:00) "
        "or hours (8, -5)")


def tz_name(tz: tzinfo) -> str:
    """Canonical text of a zone: its IANA key, ``UTC``, or ``+HH:MM``."""
    key = getattr(tz, "key", None)
    if key:
        return str(key)
    off = tz.utcoffset(None)
    if off is None or off == timedelta(0):
        return "UTC"
    minutes = int(off.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"
