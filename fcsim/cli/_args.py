"""Argument types shared by the subcommands (argparse ``type=`` callables)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import tzinfo
from typing import Any

import pandas as pd

from fcsim.model.timezone import TimeZoneError, parse_tz

__all__ = [
    "add_calibration_options",
    "add_scenario_tz_argument",
    "add_tz_argument",
    "duration_minutes",
    "holiday_calendar",
    "int_at_least",
    "non_negative_int",
    "positive_float",
    "positive_int",
    "scenario_overrides",
    "time_zone",
    "unit_interval",
    "utc_timestamp",
]


def int_at_least(low: int) -> Callable[[str], int]:
    """An integer ``>= low``."""

    def parse(text: str) -> int:
        v = int(text)
        if v < low:
            raise argparse.ArgumentTypeError(f"must be >= {low}, got {v}")
        return v

    return parse


positive_int = int_at_least(1)
non_negative_int = int_at_least(0)


_UNITS = {"d": 1440.0, "h": 60.0, "min": 1.0, "m": 1.0, "s": 1 / 60.0}


def duration_minutes(text: str) -> float:
    """A duration > 0 in minutes: ``2h``, ``90min``, ``10m``, ``1h30min``, ``45s``, or a bare
    number of minutes."""
    import re

    t = text.strip().lower().replace(" ", "")
    try:
        v = float(t)
    except ValueError:
        parts = re.fullmatch(r"((?:\d+(?:\.\d+)?(?:d|h|min|m|s))+)", t)
        if not parts:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a duration (e.g. 2h, 90min, 10m, 1h30min)") from None
        v = sum(float(n) * _UNITS[u] for n, u in
                re.findall(r"(\d+(?:\.\d+)?)(d|h|min|m|s)", t))
    if not v > 0:
        raise argparse.ArgumentTypeError(f"duration must be > 0, got {text}")
    return v


def positive_float(text: str) -> float:
    """A number ``> 0``."""
    v = float(text)
    if not v > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return v


def unit_interval(text: str) -> float:
    """A number strictly between 0 and 1 (a probability or significance level)."""
    v = float(text)
    if not 0.0 < v < 1.0:
        raise argparse.ArgumentTypeError(f"must be in (0, 1), got {text}")
    return v


def utc_timestamp(text: str) -> pd.Timestamp:
    """An ISO 8601 instant with a UTC offset, converted to UTC."""
    try:
        ts = pd.Timestamp(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 timestamp") from None
    if ts.tzinfo is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} needs a UTC offset, e.g. {text.replace(' ', 'T')}+08:00")
    return ts.tz_convert("UTC")


def time_zone(text: str) -> tzinfo:
    """A time zone: an IANA name (``Asia/Shanghai``), an offset (``+08:00``) or hours
    (``8``, ``-5``)."""
    try:
        return parse_tz(text)
    except TimeZoneError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_tz_argument(p: argparse.ArgumentParser, help_default: str) -> None:
    """``--tz ZONE`` (alias ``--utc-offset``), parsed by :func:`time_zone` into ``args.tz``.

    ``help_default`` says what the command uses without it.
    """
    p.add_argument("--tz", "--utc-offset", dest="tz", type=time_zone, default=None,
                   metavar="ZONE",
                   help="the site's time zone: an IANA name (Asia/Shanghai, Europe/Amsterdam), "
                        f"an offset (+08:00) or hours (8, -5); default: {help_default}")


def add_scenario_tz_argument(p: argparse.ArgumentParser) -> None:
    """``--tz ZONE`` (alias ``--utc-offset``) for a command that simulates: it sets the
    scenario's ``[scenario] time_zone`` (:func:`scenario_overrides`)."""
    add_tz_argument(p, "the scenario's [scenario] time_zone")


def scenario_overrides(args: argparse.Namespace, scenario: Any) -> list[str]:
    """The command's ``--set`` overrides, plus, when ``--tz`` was given, the scenario's
    ``time_zone`` and its ``start`` at the same local wall time in that zone (a scenario that
    starts Monday 00:00 still starts Monday 00:00, now local to the zone given)."""
    from fcsim.model.timezone import tz_name
    from fcsim.scenarios import apply_overrides

    out = list(getattr(args, "overrides", None) or [])
    if getattr(args, "tz", None) is None:
        return out
    start = (apply_overrides(scenario, out) if out else scenario).scenario.start
    wall = start.replace(tzinfo=None).isoformat()  # a TOML local date-time: read in the zone
    return [*out, f"scenario.time_zone={tz_name(args.tz)!r}", f"scenario.start={wall}"]


def add_calibration_options(p: argparse.ArgumentParser) -> None:
    """``--holidays``, ``--trend``, ``--durations`` and ``--level`` of a calibrating command
    (:func:`fcsim.calibrate.calibrate`)."""
    p.add_argument("--holidays", default="detect", metavar="detect|none|FILE",
                   help="holiday calendar: detected in the log (default), none, or a file of "
                        "ISO dates, one a line")
    p.add_argument("--trend", choices=("test", "off"), default="test",
                   help="log-linear trend of the weekly arrivals, extrapolated to the "
                        "forecast window when significant (default test)")
    p.add_argument("--durations", choices=("plain", "hour", "hour+resource"), default="plain",
                   help="stage durations: the ticket's own draws only (default), plus "
                        "hour-of-day factors, plus a speed factor per staff member")
    p.add_argument("--level", type=unit_interval, default=0.01,
                   help="level of the holiday detection and the trend test (default 0.01)")


def holiday_calendar(text: str) -> Any:
    """``--holidays``'s value for :func:`fcsim.calibrate.calibrate`: ``"detect"``,
    ``"none"`` or the dates of the file (an error names the file and line)."""
    if text in ("detect", "none"):
        return text
    from pathlib import Path

    from fcsim.calibrate.holidays import read_calendar

    path = Path(text)
    if not path.is_file():
        raise SystemExit(f"error: --holidays: no such file {text!r} (or give detect / none)")
    try:
        return read_calendar(path)
    except ValueError as exc:
        raise SystemExit(f"error: --holidays: {exc}") from None
