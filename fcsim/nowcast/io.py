"""Writing a forecast and a backtest to a directory (CSV with ISO 8601 UTC times, JSON).

Each file is written atomically (:func:`fcsim.eventlog.io.write_bytes`); the tables are
computed before the first file is written, so a failure leaves no half-written table.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import simpy

from fcsim import __version__
from fcsim.eventlog.io import format_timestamps, write_bytes, write_json
from fcsim.nowcast.backtest import Backtest
from fcsim.nowcast.forecast import Forecast

__all__ = ["csv_text", "write_backtest", "write_forecast"]


def csv_text(df: pd.DataFrame) -> str:
    """CSV text: datetime columns as ISO 8601 with ``+00:00`` (empty: none), floats as they
    are (``inf``: after the horizon is written empty in time columns only)."""
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col].dtype):
            out[col] = format_timestamps(out[col])
    return out.to_csv(index=False, lineterminator="\n")


def _versions() -> dict[str, str]:
    return {"fcsim": __version__, "simpy": simpy.__version__, "numpy": np.__version__,
            "pandas": pd.__version__, "python": platform.python_version()}


def write_forecast(fc: Forecast, out: str | os.PathLike[str],
                   extra: dict[str, Any] | None = None) -> list[Path]:
    """``clocks.csv``, ``hours.csv``, ``what_if.csv``, ``what_if_summary.csv``,
    ``stages.csv`` (the snapshot) and ``manifest.json`` in ``out``."""
    d = Path(out)
    snap = fc.snapshot
    stages = snap.stages().assign(since=lambda x: x["since"].dt.tz_convert("UTC"))
    files = {
        "clocks.csv": csv_text(fc.clocks), "hours.csv": csv_text(fc.hours),
        "what_if.csv": csv_text(fc.what_if),
        "what_if_summary.csv": csv_text(fc.what_if_summary),
        "stages.csv": csv_text(stages),
    }
    manifest = {"as_of": snap.as_of.isoformat(), "scenario": snap.scenario,
                "horizon_min": fc.horizon_min, "replications": fc.replications,
                "seed": fc.seed, "open_tickets": len(snap), "on_duty": snap.on_duty,
                "versions": _versions(), **(extra or {})}
    d.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in files.items():
        write_bytes(d / name, text.encode("utf-8"))
        paths.append(d / name)
    write_json(d / "manifest.json", manifest)
    return [*paths, d / "manifest.json"]


def write_backtest(bt: Backtest, out: str | os.PathLike[str],
                   extra: dict[str, Any] | None = None) -> list[Path]:
    """``backtest.csv`` (one row per origin, ticket and clock) and ``summary.json``."""
    d = Path(out)
    text = csv_text(bt.table())
    summary = {**bt.summary, "versions": _versions(), **(extra or {})}
    d.mkdir(parents=True, exist_ok=True)
    write_bytes(d / "backtest.csv", text.encode("utf-8"))
    write_json(d / "summary.json", _jsonable(summary))
    return [d / "backtest.csv", d / "summary.json"]


def _jsonable(obj: Any) -> Any:
    """NaN -> None (strict JSON), recursively."""
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, float) and obj != obj:
        return None
    if isinstance(obj, np.floating | np.integer | np.bool_):
        return _jsonable(obj.item())
    return obj
