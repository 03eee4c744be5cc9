"""Argument types shared by the subcommands (argparse ``type=`` callables)."""

from __future__ import annotations

import argparse
from collections.abc import Callable

import pandas as pd

__all__ = [
    "int_at_least",
    "non_negative_int",
    "positive_float",
    "positive_int",
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
