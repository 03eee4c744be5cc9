"""Reading the staffing and roster modules' own TOML files, with errors that name the file."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

__all__ = ["read_table", "read_toml"]


def read_toml(path: str | Path, kind: str | None = None) -> tuple[Path, dict[str, Any]]:
    """A TOML file's data; invalid TOML is a ``ValueError`` naming the file, and a missing
    file a ``FileNotFoundError`` naming ``kind`` (e.g. "rules"; None: the system's own)."""
    p = Path(path)
    try:
        return p, tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if kind is None:
            raise
        raise FileNotFoundError(f"{kind} file not found: {p}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{p}: invalid TOML: {exc}") from None


def read_table(path: str | Path, key: str, missing: str) -> tuple[Path, dict[str, Any]]:
    """The non-empty top-level table ``key`` of a TOML file (``missing`` explains its form)."""
    p, data = read_toml(path)
    table = data.get(key)
    if not isinstance(table, dict) or not table:
        raise ValueError(f"{p}: {missing}")
    return p, table
