"""Reading and writing a log directory (``events.csv[.gz]``, ``tickets.csv[.gz]``,
``manifest.json``; optionally parquet).

Gzip output carries no timestamp or file name, so the same log gives the same bytes.
"""

from __future__ import annotations

import gzip
import io
import json
import os
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from fcsim.eventlog.frames import EventLogError
from fcsim.eventlog.log import EventLog
from fcsim.eventlog.schema import (
    EVENT_COLUMNS,
    EVENT_TIMESTAMP_COLUMNS,
    TICKET_COLUMNS,
    TICKET_TIMESTAMP_COLUMNS,
)

__all__ = ["format_timestamps", "read_log", "write_bytes", "write_json", "write_log"]

Format = Literal["csv", "csv.gz", "parquet"]


def format_timestamps(values: pd.Series) -> np.ndarray:
    """ISO 8601 strings with ``+00:00``; milliseconds only where some value has them."""
    arr = values.to_numpy(dtype="datetime64[ms]", na_value=np.datetime64("NaT"))
    whole = arr.astype("datetime64[s]").astype("datetime64[ms]")
    mask = np.isnat(arr)
    exact_s = np.array_equal(arr[~mask], whole[~mask])
    txt = np.datetime_as_string(arr, unit="s") if exact_s else np.datetime_as_string(arr, unit="ms")
    out = np.char.add(txt.astype(object).astype(str), "+00:00").astype(object)
    out[mask] = ""
    return out


def _to_csv_text(df: pd.DataFrame, ts_cols: tuple[str, ...]) -> str:
    out = df.copy()
    for col in ts_cols:
        out[col] = format_timestamps(df[col])
    return out.to_csv(index=False, lineterminator="\n")


def write_bytes(path: Path, data: bytes) -> None:
    """Write bytes atomically (temp file + rename), gzip-compressed without a timestamp when
    the name ends in ``.gz``."""
    if path.name.endswith(".gz"):
        buf = io.BytesIO()
        with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=6) as gz:
            gz.write(data)
        data = buf.getvalue()
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_json(path: Path, obj: Any) -> None:
    """Stable JSON: sorted keys, UTF-8, trailing newline."""
    text = json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n"
    write_bytes(path, text.encode("utf-8"))


def write_log(log: EventLog, directory: str | os.PathLike[str], *, fmt: Format = "csv.gz") -> Path:
    """Write ``log`` into ``directory`` (created if needed) and return the directory."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError as exc:  # pragma: no cover - depends on extras
            raise ImportError(
                "parquet needs the 'parquet' extra: pip install fcsim[parquet]"
            ) from exc
        log.events.to_parquet(d / "events.parquet", index=False)
        log.tickets.to_parquet(d / "tickets.parquet", index=False)
    else:
        suffix = ".csv.gz" if fmt == "csv.gz" else ".csv"
        write_bytes(d / f"events{suffix}",
                    _to_csv_text(log.events, EVENT_TIMESTAMP_COLUMNS).encode("utf-8"))
        write_bytes(d / f"tickets{suffix}",
                    _to_csv_text(log.tickets, TICKET_TIMESTAMP_COLUMNS).encode("utf-8"))
    if log.manifest is not None:
        write_json(d / "manifest.json", log.manifest)
    return d


def _find(d: Path, stem: str) -> Path:
    for suffix in (".parquet", ".csv.gz", ".csv"):
        p = d / f"{stem}{suffix}"
        if p.exists():
            return p
    raise FileNotFoundError(f"{d}: no {stem}.csv, {stem}.csv.gz or {stem}.parquet")


_READ_DTYPES_EVENTS = {
    "ticket_id": "category", "activity": "category", "resource": "category",
    "role": "category", "scenario": "category",
}
_READ_DTYPES_TICKETS = {
    "ticket_id": "category", "category": "category", "source": "category",
    "mode": "category", "department": "category", "scenario": "category",
    "location": "string[python]", "content": "string[python]", "contact": "string[python]",
    "phone": "string[python]", "materials": "string[python]",
}


def _read_table(path: Path, dtypes: dict[str, str], columns: dict[str, object]) -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    try:
        header = pd.read_csv(path, nrows=0).columns
    except Exception as exc:
        raise EventLogError(f"{path}: cannot read CSV ({exc})") from exc
    use = {k: v for k, v in dtypes.items() if k in header}
    strings = {c: "string[python]" for c in header if c in columns and c not in use
               and c not in ("seq", "attempt", "replication", "schema_version", "charge")}
    return pd.read_csv(path, dtype={**strings, **use}, keep_default_na=False,
                       na_values=[""], encoding="utf-8")


def read_log(directory: str | os.PathLike[str]) -> EventLog:
    """Read a log directory written by :func:`write_log` (or by hand, per ``KPI.md``)."""
    d = Path(directory)
    if not d.is_dir():
        raise FileNotFoundError(f"{d}: not a log directory")
    ev_path, tk_path = _find(d, "events"), _find(d, "tickets")
    events = _read_table(ev_path, _READ_DTYPES_EVENTS, EVENT_COLUMNS)
    tickets = _read_table(tk_path, _READ_DTYPES_TICKETS, TICKET_COLUMNS)
    manifest = None
    mp = d / "manifest.json"
    if mp.exists():
        manifest = json.loads(mp.read_text(encoding="utf-8"))
    try:
        return EventLog.from_frames(events, tickets, manifest)
    except EventLogError as exc:
        table = ev_path if str(exc).startswith("events") else tk_path
        raise EventLogError(f"{table}: {exc}") from None
