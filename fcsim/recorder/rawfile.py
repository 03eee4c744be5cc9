"""Reading a source table carefully: every way a file can be wrong is named, with its row.

:func:`read_table` reads a CSV (``.gz`` too) or Excel sheet as strings and refuses, with the
file, the row and a hint, what pandas would otherwise pass over or report in its own words:
a file with no data rows, a row with more fields than the header (pandas drops the extra
trailing fields, or silently takes the first column as an index), bytes that are not in the
mapping's ``encoding``, and unreadable CSV. :func:`text_issues` finds over-long fields and
control characters (a NUL byte, an escape …) in the columns that will be stored.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["CONTROL_CHARACTERS", "MissingColumns", "SourceError", "read_table", "text_issues"]

#: Control characters refused in stored fields (tab, newline and carriage return are text).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_EXTRA = "\x00extra"


class SourceError(ValueError):
    """A source file that cannot be read as it is; the message names the file and the row."""


class MissingColumns(SourceError):
    """Columns named by the mapping are not in the file."""


def _raw_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def _decode_error(path: Path, encoding: str, where: str) -> SourceError:
    data = _raw_bytes(path)
    try:
        data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start:exc.end]
        return SourceError(
            f"{path}, line {line} (row {line - 1} after the header): byte(s) "
            f"{bad.hex(' ').upper()} are not valid {encoding} ({exc.reason}); set the file's "
            f"encoding in the mapping ({where}, e.g. \"latin-1\" or \"cp1252\")")
    return SourceError(f"{path}: cannot be decoded as {encoding}; set the file's encoding in "
                       f"the mapping ({where})")


def _parser_error(path: Path, exc: Exception, n_header: int, delimiter: str) -> SourceError:
    text = str(exc)
    m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
    if m:
        line, saw = int(m.group(2)), int(m.group(3))
        return SourceError(
            f"{path}, line {line} (row {line - 1} after the header): {saw} fields, the header "
            f"has {n_header} (extra trailing fields, or an unquoted {delimiter!r} inside a "
            "value); fix the row or quote the value")
    return SourceError(f"{path}: not readable as CSV with delimiter {delimiter!r} "
                       f"({text.strip()}); check [source] delimiter and quoting in the mapping")


def read_table(path: Path, columns: list[str], *, fmt: str | None = None, sheet: Any = 0,
               delimiter: str = ",", encoding: str = "utf-8", mapping: str = "",
               missing_hint: str = "") -> pd.DataFrame:
    """The named columns of a CSV or Excel file, as strings (empty cells are NA).

    Raises
    ------
    FileNotFoundError
        No such file.
    SourceError
        Empty or header-only file, extra fields, undecodable bytes, unparseable CSV, a named
        column missing; each message names the file and, where it applies, the row.
    """
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    where = f"mapping {mapping}, [source] encoding" if mapping else "[source] encoding"
    if fmt is None:
        fmt = "excel" if path.suffix.lower() in (".xlsx", ".xlsm", ".xls") else "csv"
    if fmt == "excel":
        df = pd.read_excel(path, sheet_name=sheet, dtype=str)
        header = list(df.columns)
    else:
        try:
            header = list(pd.read_csv(path, nrows=0, sep=delimiter, encoding=encoding).columns)
        except UnicodeDecodeError:
            raise _decode_error(path, encoding, where) from None
        except pd.errors.EmptyDataError:
            raise SourceError(f"{path}: the file is empty (no header, no rows)") from None
        except (pd.errors.ParserError, ValueError) as exc:
            raise _parser_error(path, exc, 0, delimiter) from None
    missing = [c for c in dict.fromkeys(columns) if c not in header]
    if missing:
        raise MissingColumns(
            f"{path}: column(s) {', '.join(map(repr, missing))} named by mapping "
            f"{mapping} not found (file has: {', '.join(map(str, header))}){missing_hint}")
    if fmt == "csv":
        try:
            df = pd.read_csv(path, header=None, skiprows=1, names=[*header, _EXTRA], dtype=object,
                             sep=delimiter, encoding=encoding, keep_default_na=False,
                             na_values=[""], index_col=False)
        except UnicodeDecodeError:
            raise _decode_error(path, encoding, where) from None
        except pd.errors.ParserError as exc:
            raise _parser_error(path, exc, len(header), delimiter) from None
        extra = df[_EXTRA].notna().to_numpy()
        if extra.any():
            row = int(np.argmax(extra))
            raise SourceError(
                f"{path}, line {row + 2} (row {row + 1} after the header): more fields than "
                f"the header's {len(header)} (extra trailing fields); fix the row, or quote a "
                f"value holding the delimiter {delimiter!r}")
    if len(df) == 0:
        raise SourceError(f"{path}: only a header, no data rows")
    use = list(dict.fromkeys(columns))
    return df[use]


def text_issues(df: pd.DataFrame, columns: list[str], max_chars: int) -> list[tuple[int, str,
                                                                                   str]]:
    """Rows whose stored fields are over-long or hold control characters.

    Returns (row position, code, message) with code ``overlong_field`` or
    ``control_characters``, at most one per row and code. Each column's distinct values are
    checked once (a column of a large export holds few of them) and the verdicts spread back
    to the rows.
    """
    out: list[tuple[int, str, str]] = []
    for col in dict.fromkeys(columns):
        codes, uniq = pd.factorize(df[col])  # -1: empty, checked as ""
        if len(uniq) == 0:
            continue
        values = [str(v) for v in uniq] + [""]
        codes = np.where(codes < 0, len(values) - 1, codes)
        lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
        long = (lengths > max_chars)[codes]
        for r in np.flatnonzero(long).tolist():
            out.append((r, "overlong_field",
                        f"column {col!r} holds {int(lengths[codes[r]]):,} characters "
                        f"(more than [quality] max_field_chars = {max_chars:,})"))
        if CONTROL_CHARACTERS.search("\n".join(values)) is None:
            continue
        found = [CONTROL_CHARACTERS.search(v) for v in values]
        hit = np.array([f is not None for f in found], dtype=bool)[codes]
        for r in np.flatnonzero(hit).tolist():
            ch = found[codes[r]]
            code = f"U+{ord(ch.group()):04X}" if ch else "?"
            out.append((r, "control_characters",
                        f"column {col!r} holds the control character {code}"))
    return out
