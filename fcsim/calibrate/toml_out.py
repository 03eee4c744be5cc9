"""A small TOML writer for scenario data, with a comment above any key.

Only what scenario files need: tables of scalars, dates and datetimes, arrays and inline
tables (distributions, shifts, source shares). ``None`` values are left out (TOML has no
null). Arrays longer than ten items are wrapped over several lines.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any

__all__ = ["dumps"]

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")
_ORDER = ("scenario", "profiles", "categories", "staff", "stages", "outcomes", "policy",
          "control_points", "targets", "duration_factors")
_NESTED = frozenset({"profiles", "categories", "staff", "control_points", "targets",
                     "duration_factors"})


def _key(k: Any) -> str:
    s = str(k.value if isinstance(k, Enum) else k)
    return s if _BARE.match(s) else json.dumps(s, ensure_ascii=False)


def _value(v: Any) -> str:
    if isinstance(v, Enum):
        v = v.value
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(f"TOML cannot hold the non-finite number {v}")
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, datetime):
        return v.isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, list | tuple):
        items = [_value(x) for x in v]
        if len(items) <= 10:
            return "[" + ", ".join(items) + "]"
        lines = [", ".join(items[i:i + 8]) for i in range(0, len(items), 8)]
        return "[\n    " + ",\n    ".join(lines) + ",\n]"
    if isinstance(v, Mapping):
        inner = ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items() if x is not None)
        return "{ " + inner + " }" if inner else "{}"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def _table(path: list[str], body: Mapping[str, Any], comments: Mapping[str, str],
           out: list[str]) -> None:
    name = ".".join(_key(p) for p in path)
    if name in comments:
        out.extend(f"# {line}" for line in comments[name].splitlines())
    out.append(f"[{name}]")
    for k, v in body.items():
        if v is None:
            continue
        full = f"{name}.{_key(k)}"
        if full in comments:
            out.extend(f"# {line}" for line in comments[full].splitlines())
        out.append(f"{_key(k)} = {_value(v)}")
    out.append("")


def dumps(data: Mapping[str, Any], *, comments: Mapping[str, str] | None = None,
          header: str = "") -> str:
    """TOML text of scenario ``data``.

    ``comments`` maps a dotted path (``"stages.record_min"``, ``"categories.help"``; keys
    quoted as in the output) to a comment written above that key or table.
    """
    com = dict(comments or {})
    out = [f"# {line}".rstrip() for line in header.splitlines()]
    if out:
        out.append("")
    keys = [k for k in _ORDER if k in data] + [k for k in data if k not in _ORDER]
    for top in keys:
        body = data[top]
        if top in _NESTED:
            for sub, tbl in body.items():
                _table([top, str(sub)], tbl, com, out)
        else:
            _table([top], body, com, out)
    return "\n".join(out).rstrip() + "\n"
