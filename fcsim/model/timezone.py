"""The site's time zone: where a person reads a date (weeks, months, rosters, figures).

A zone is given as an IANA name (``Asia/Shanghai``, ``Europe/Amsterdam``: daylight saving
time included), as a fixed offset (``+08:00``, ``-05:30``, ``UTC``) or as whole or fractional
hours (``8``, ``-5``, ``5.5``). :func:`parse_tz` accepts all three and names the value it
refuses; :func:`tz_name` gives the canonical text stored in manifests and scenarios.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["TimeZoneError", "daily_instants", "hour_slots", "local_dates", "parse_tz", "tz_name"]

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


def hour_slots(start: datetime, tz: tzinfo, n_hours: int) -> list[int]:
    """Local hour of the week (0 = Monday 00:00 … 167) of each hour slot after ``start``.

    Slot ``k`` is ``[start + k h, start + (k+1) h)`` in absolute time; ``start`` must be
    timezone-aware and on a whole local hour. Across a daylight-saving change a local hour is
    skipped (spring) or repeated (autumn), as a person on that shift lives it.
    """
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    return list(_hour_slots(start.astimezone(UTC), tz, n_hours))


@lru_cache(maxsize=64)
def _hour_slots(t0: datetime, tz: tzinfo, n_hours: int) -> tuple[int, ...]:
    out: list[int] = []
    hour = timedelta(hours=1)
    k = 0
    while k < n_hours:
        # a day at a time: where the offset is the same at both ends, count the hours on
        day = min(24, n_hours - k)
        a, b = t0 + k * hour, t0 + (k + day) * hour
        off = a.astimezone(tz).utcoffset()
        if off == b.astimezone(tz).utcoffset():
            local = (a + off).replace(tzinfo=None) if off is not None else a
            how0 = local.weekday() * 24 + local.hour
            out.extend((how0 + h) % 168 for h in range(day))
        else:  # the offset changes that day: every hour on its own
            for h in range(day):
                local = (a + h * hour).astimezone(tz)
                out.append(local.weekday() * 24 + local.hour)
        k += day
    return tuple(out)


def local_dates(start: datetime, tz: tzinfo, n_hours: int) -> list[date]:
    """The local calendar date of each hour slot after ``start`` (see :func:`hour_slots`)."""
    return list(_local_dates(start.astimezone(UTC), tz, n_hours))


@lru_cache(maxsize=64)
def _local_dates(t0: datetime, tz: tzinfo, n_hours: int) -> tuple[date, ...]:
    return tuple((t0 + timedelta(hours=k)).astimezone(tz).date() for k in range(n_hours))


def daily_instants(start: datetime, tz: tzinfo, hour_of_day: float, n_days: int) -> list[float]:
    """Minutes after ``start`` of local ``hour_of_day`` on each local day from ``start``'s
    date, for ``n_days`` days (instants before ``start`` left out). A time that does not exist
    that day (a spring-forward gap) moves forward by the gap, one that exists twice takes the
    first."""
    d0 = start.astimezone(tz).date()
    h = int(hour_of_day)
    m = round((hour_of_day - h) * 60)
    out = []
    for i in range(n_days + 1):
        day = d0 + timedelta(days=i)
        local = datetime(day.year, day.month, day.day, h, m, tzinfo=tz)
        at = (local.astimezone(UTC) - start.astimezone(UTC))
        minutes = at.total_seconds() / 60.0
        if minutes >= 0:
            out.append(minutes)
    return out
