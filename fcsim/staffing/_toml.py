"""Reading the staffing modules' own TOML tables, with errors that name the file."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any


def read_table(path: str | Path, key: str, missing: str) -> tuple[Path, dict[str, Any]]:
    """The non-empty top-level table ``key`` of a TOML file (``missing`` explains its form)."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{p}: invalid TOML: {exc}") from None
    table = data.get(key)
    if not isinstance(table, dict) or not table:
        raise ValueError(f"{p}: {missing}")
    return p, table
