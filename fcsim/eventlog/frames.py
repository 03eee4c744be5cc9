"""Turning raw frames into the contract's canonical dtypes, with errors that name the culprit."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from fcsim.eventlog.schema import (
    EVENT_COLUMNS,
    EVENT_REQUIRED,
    SCHEMA_VERSION,
    TICKET_COLUMNS,
    TICKET_REQUIRED,
    TIMESTAMP_DTYPE,
)

__all__ = ["EventLogError", "canonical_events", "canonical_tickets", "category_objects",
           "to_timestamps"]

_TRUE = {"true", "1", "yes", "t", "y"}
_FALSE = {"false", "0", "no", "f", "n"}


class EventLogError(ValueError):
    """An event log breaks the contract; the message names the table, column and row."""


def category_objects(values: pd.Series) -> np.ndarray:
    """A categorical column as an object array of its values, None where null: one take from
    its categories (no per-row conversion)."""
    cats = np.array([*values.cat.categories.to_numpy(dtype=object), None],
                    dtype=object)  # code -1: None
    return cats[values.cat.codes.to_numpy()]


def to_timestamps(values: pd.Series, *, where: str) -> pd.Series:
    """Parse ISO 8601 strings (or datetimes) with a UTC offset to ``datetime64[ms, UTC]``."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC").astype(TIMESTAMP_DTYPE)
    if pd.api.types.is_datetime64_dtype(values.dtype):
        raise EventLogError(f"{where}: timestamps need a UTC offset (got naive datetimes)")
    if values.isna().all():  # nothing to parse (an unused column)
        return pd.Series(pd.NaT, index=values.index, dtype=TIMESTAMP_DTYPE)
    s = values.astype("string[python]")
    present = s.notna()
    if present.any():
        txt = s[present]
        naive = ~txt.str.contains(r"(?:[+-]\d\d:?\d\d|Z)$", regex=True)
        if naive.any():
            row = naive.idxmax()
            raise EventLogError(
                f"{where}, row {row}: timestamp {txt[row]!r} has no UTC offset (ISO 8601 with "
                "an offset is required, e.g. 2026-03-02T08:00:00+08:00)"
            )
    try:
        parsed = pd.to_datetime(s, utc=True, format="ISO8601")
    except (ValueError, TypeError) as exc:
        bad = None
        for idx, v in s[present].items():
            try:
                pd.to_datetime(v, utc=True, format="ISO8601")
            except (ValueError, TypeError):
                bad = (idx, v)
                break
        detail = f", row {bad[0]}: {bad[1]!r}" if bad else ""
        raise EventLogError(f"{where}{detail}: not an ISO 8601 timestamp ({exc})") from None
    return parsed.astype(TIMESTAMP_DTYPE)


def _to_boolean(values: pd.Series, *, where: str) -> pd.Series:
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.astype("boolean")
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind == "empty":  # nothing but nulls
        return pd.Series(pd.NA, index=values.index, dtype="boolean")
    if kind == "boolean" and values.dtype == object:  # Python bools (and nulls)
        return values.astype("boolean")
    s = values.astype("string[python]").str.strip().str.lower()
    out = pd.Series(pd.NA, index=values.index, dtype="boolean")
    out[s.isin(_TRUE).fillna(False).to_numpy(bool)] = True
    out[s.isin(_FALSE).fillna(False).to_numpy(bool)] = False
    bad = s.notna() & (s != "") & out.isna()
    if bad.any():
        row = bad.idxmax()
        raise EventLogError(f"{where}, row {row}: {values[row]!r} is not true/false")
    return out


def _categorical(values: pd.Series, dtype: object, *, where: str) -> pd.Series:
    fixed = isinstance(dtype, pd.CategoricalDtype)
    if isinstance(values.dtype, pd.CategoricalDtype):
        # unordered CategoricalDtypes compare equal whatever their order: compare the lists
        if fixed and list(values.cat.categories) == list(dtype.categories):  # type: ignore[attr-defined]
            return values
        used = values.cat.remove_unused_categories()
        cats = list(used.cat.categories)
        if pd.api.types.infer_dtype(used.cat.categories, skipna=False) in ("string", "empty"):
            if not fixed:
                if used.cat.categories.is_monotonic_increasing:  # sorted already: no recode
                    return used.cat.rename_categories(sorted(cats))
                return used.cat.reorder_categories(sorted(cats))
            assert isinstance(dtype, pd.CategoricalDtype)
            unknown = [c for c in cats if c not in set(dtype.categories)]
            if unknown:
                row = used.isin(unknown).idxmax()
                raise EventLogError(
                    f"{where}, row {row}: unknown value {unknown[0]!r} "
                    f"(allowed: {', '.join(map(str, dtype.categories))})"
                )
            return used.cat.set_categories(list(dtype.categories))
        values = values.astype(object)
    # factorise once (in C), then turn only the distinct values into strings
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if pd.api.types.infer_dtype(uniques, skipna=False) == "string":  # str already
        as_str = pd.Index(np.asarray(uniques, dtype=object), dtype=object)
    else:
        as_str = pd.Index([str(u) for u in uniques], dtype=object)
    s_codes, s_uniq = pd.factorize(as_str)
    if fixed:
        assert isinstance(dtype, pd.CategoricalDtype)
        cats = list(dtype.categories)
        pos = pd.Index(cats).get_indexer(s_uniq)
        if (pos < 0).any():
            bad = s_uniq[int(np.argmax(pos < 0))]
            row = int(np.argmax(np.asarray(as_str[np.maximum(codes, 0)] == bad) & (codes >= 0)))
            raise EventLogError(
                f"{where}, row {row}: unknown value {bad!r} "
                f"(allowed: {', '.join(map(str, cats))})"
            )
        out_dtype = dtype
    else:
        cats = sorted(s_uniq)
        pos = pd.Index(cats, dtype=object).get_indexer(s_uniq)
        out_dtype = pd.CategoricalDtype(cats)
    final = np.full(len(codes), -1, dtype=np.int64)
    ok = codes >= 0
    final[ok] = pos[s_codes[codes[ok]]]
    return pd.Series(pd.Categorical.from_codes(final, dtype=out_dtype), index=values.index)


def _integers(values: pd.Series, dtype: str, *, where: str, nullable: bool) -> pd.Series:
    if values.dtype == pd.api.types.pandas_dtype(dtype):  # canonical already: nothing to check
        return values
    try:
        num = pd.to_numeric(values, errors="raise")
    except (ValueError, TypeError):
        bad = pd.to_numeric(values, errors="coerce").isna() & values.notna()
        row = bad.idxmax()
        raise EventLogError(f"{where}, row {row}: {values[row]!r} is not an integer") from None
    if not nullable and num.isna().any():
        row = num.isna().idxmax()
        raise EventLogError(f"{where}, row {row}: missing value")
    fnum = num.astype("Float64")
    frac = fnum.notna() & (fnum != fnum.round())
    if frac.any():
        row = frac.idxmax()
        raise EventLogError(f"{where}, row {row}: {values[row]!r} is not an integer")
    return fnum.astype(dtype)


def _canonical(
    df: pd.DataFrame, columns: Mapping[str, object], required: tuple[str, ...], table: str
) -> pd.DataFrame:
    missing = [c for c in columns if c not in df.columns and c != "schema_version"]
    if missing:
        raise EventLogError(f"{table}: missing column(s) {', '.join(missing)}")
    extra = [c for c in df.columns if c not in columns]
    if extra:
        raise EventLogError(f"{table}: unknown column(s) {', '.join(map(str, extra))}")
    df = df.reset_index(drop=True)
    out: dict[str, pd.Series] = {}
    for col, dtype in columns.items():
        where = f"{table}.{col}"
        if col not in df.columns:  # schema_version may be absent in memory-built frames
            out[col] = pd.Series(np.full(len(df), SCHEMA_VERSION, dtype="int8"))
            continue
        v = df[col]
        if dtype == "category" or isinstance(dtype, pd.CategoricalDtype):
            s = _categorical(v, dtype, where=where)
        elif dtype == TIMESTAMP_DTYPE:
            s = to_timestamps(v, where=where)
        elif dtype == "boolean":
            s = _to_boolean(v, where=where)
        elif dtype in ("int64", "int32", "int16", "int8", "Int32"):
            s = _integers(v, str(dtype), where=where, nullable=dtype == "Int32")
        elif dtype == "Float64":
            try:
                s = pd.to_numeric(v, errors="raise").astype("Float64")
            except (ValueError, TypeError):
                bad = pd.to_numeric(v, errors="coerce").isna() & v.notna()
                row = bad.idxmax()
                raise EventLogError(f"{where}, row {row}: {v[row]!r} is not a number") from None
        else:
            s = v.astype(dtype)
        out[col] = s
    result = pd.DataFrame(out)
    for col in required:
        nulls = result[col].isna()
        if nulls.any():
            raise EventLogError(f"{table}, row {int(nulls.idxmax())}: {col} is empty")
    bad_version = result["schema_version"] != SCHEMA_VERSION
    if bad_version.any():
        row = int(bad_version.idxmax())
        raise EventLogError(
            f"{table}, row {row}: schema_version {result['schema_version'][row]} is not "
            f"supported (this fcsim reads {SCHEMA_VERSION})"
        )
    return result


def canonical_events(df: pd.DataFrame) -> pd.DataFrame:
    """The events table with exactly the contract's columns, order and dtypes."""
    out = _canonical(df, EVENT_COLUMNS, EVENT_REQUIRED, "events")
    bad = out["attempt"] < 1
    if bad.any():
        raise EventLogError(f"events, row {int(bad.idxmax())}: attempt must be >= 1")
    return out


def canonical_tickets(df: pd.DataFrame) -> pd.DataFrame:
    """The tickets table with exactly the contract's columns, order and dtypes."""
    out = _canonical(df, TICKET_COLUMNS, TICKET_REQUIRED, "tickets")
    dup = out["ticket_id"].duplicated()
    if dup.any():
        row = int(dup.idxmax())
        raise EventLogError(f"tickets, row {row}: ticket_id {out['ticket_id'][row]!r} repeats")
    bad_mode = ~out["mode"].astype(object).isin(["immediate", "appointment"])
    if bad_mode.any():
        row = int(bad_mode.idxmax())
        raise EventLogError(
            f"tickets, row {row}: mode {out['mode'][row]!r} is not immediate or appointment"
        )
    appt = out["mode"].astype(object) == "appointment"
    no_time = appt & out["appointment_at"].isna()
    if no_time.any():
        row = int(no_time.idxmax())
        raise EventLogError(f"tickets, row {row}: appointment without appointment_at")
    return out
