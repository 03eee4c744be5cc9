"""Timestamps as integer milliseconds: the one conversion the KPI engine, the analyses and
the recorder's views share.

:data:`NAT` marks a missing moment in int64 millisecond arrays.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["NAT", "ms_array", "to_ms"]

NAT = np.iinfo(np.int64).min


def to_ms(value: pd.Timestamp | str) -> int:
    """A timestamp as integer milliseconds since the epoch (UTC); naive values are refused."""
    ts = pd.Timestamp(value)
    if ts.tzinfo is None:
        raise ValueError(f"timestamp {value!r} needs a timezone (UTC offset)")
    return int(ts.tz_convert("UTC").as_unit("ms").asm8.view("int64"))


def ms_array(series: pd.Series) -> np.ndarray:
    """Integer ms of a timezone-aware datetime column; NaT becomes :data:`NAT`."""
    return series.dt.tz_convert("UTC").astype("datetime64[ms, UTC]").to_numpy(
        dtype="datetime64[ms]", na_value=np.datetime64("NaT")
    ).view("int64")
