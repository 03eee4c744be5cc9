"""Loading scenarios from TOML (shipped by name, or any path) and applying ``--set`` overrides.

Every invalid value is rejected with a :class:`ScenarioError` naming the file and the field.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from fcsim.scenarios.config import Scenario

__all__ = ["ScenarioError", "apply_overrides", "list_scenarios", "load_scenario",
           "scenario_from_dict"]


class ScenarioError(ValueError):
    """An invalid scenario; the message names the file (or override) and the field."""


def _describe(exc: ValidationError, origin: str) -> str:
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"] if not str(p).startswith(("function-",
                                                                              "tagged-union")))
        got = err.get("input")
        shown = "" if isinstance(got, dict) else f" (got {got!r})"
        lines.append(f"{origin}: {loc or '<top>'}: {err['msg']}{shown}")
    return "\n".join(lines)


def scenario_from_dict(data: dict[str, Any], *, origin: str = "<dict>") -> Scenario:
    """Validate raw data (as read from TOML) into a :class:`Scenario`."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_describe(exc, origin)) from None


def list_scenarios() -> list[str]:
    """Names of the scenarios shipped with fcsim."""
    pkg = resources.files("fcsim.scenarios")
    return sorted(p.name[:-5] for p in pkg.iterdir() if p.name.endswith(".toml"))


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load a shipped scenario by name (``"apartment"``) or a TOML file by path."""
    text: str
    origin: str
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise FileNotFoundError(f"scenario file not found: {path}")
        text, origin = path.read_text(encoding="utf-8"), str(path)
    else:
        res = resources.files("fcsim.scenarios") / f"{name_or_path}.toml"
        if not res.is_file():
            raise ScenarioError(f"unknown scenario {str(name_or_path)!r} "
                                f"(shipped: {', '.join(list_scenarios())})")
        text, origin = res.read_text(encoding="utf-8"), f"{name_or_path}.toml"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{origin}: invalid TOML: {exc}") from None
    return scenario_from_dict(data, origin=origin)


#: Tables whose keys are names a ``--set`` may introduce (a clock's bounds, a target).
_OPEN_TABLES = frozenset({"control_points", "targets"})


def _parse_value(raw: str) -> Any:
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw  # a bare string


_SEGMENT = re.compile(r"^([A-Za-z0-9_-]+)((?:\[\d+\])*)$")


def _path(item: str, path: str) -> list[str | int]:
    """``staff.engineering.shifts[1].count`` → ``["staff", "engineering", "shifts", 1,
    "count"]``."""
    out: list[str | int] = []
    for seg in path.strip().split("."):
        m = _SEGMENT.match(seg)
        if not m:
            raise ScenarioError(f"--set {item!r}: cannot read the field path segment {seg!r} "
                                "(expected name or name[index])")
        out.append(m.group(1))
        out += [int(i) for i in re.findall(r"\[(\d+)\]", m.group(2))]
    return out


def _shown(keys: list[str | int]) -> str:
    text = ""
    for k in keys:
        text += f"[{k}]" if isinstance(k, int) else (f".{k}" if text else k)
    return text


def _check_index(node: Any, k: int, item: str, keys: list[str | int]) -> None:
    """Raise unless ``node`` (at ``keys``) is an array with an item ``k``."""
    if not isinstance(node, list):
        raise ScenarioError(f"--set {item!r}: {_shown(keys)!r} is not an array")
    if k >= len(node):
        raise ScenarioError(f"--set {item!r}: {_shown(keys)!r} has {len(node)} item(s); "
                            f"index {k} is out of range")


def apply_overrides(scenario: Scenario, overrides: Iterable[str]) -> Scenario:
    """A new scenario with ``path.to.field=value`` overrides (values in TOML syntax).

    A path may address an item of an array by its index, e.g.
    ``staff.engineering.shifts[1].count=2`` (0-based). The result is validated exactly like a
    file; an unknown path or an index out of range is an error.
    """
    data = scenario.to_data()
    for item in overrides:
        if "=" not in item:
            raise ScenarioError(f"--set {item!r}: expected path.to.field=value")
        path, raw = item.split("=", 1)
        keys = _path(item, path)
        node: Any = data
        for i, k in enumerate(keys[:-1]):
            if isinstance(k, int):
                _check_index(node, k, item, keys[:i])
                node = node[k]
                if isinstance(node, tuple):  # arrays are dumped as tuples: edit a list copy
                    node = list(node)
                    _put(data, keys[: i + 1], node)
                continue
            if isinstance(node, dict) and k not in node and i == 1 and keys[0] in _OPEN_TABLES:
                node[k] = {}
            if not isinstance(node, dict) or k not in node:
                raise ScenarioError(f"--set {item!r}: unknown field {_shown(keys[: i + 1])!r}")
            node = node[k]
            if isinstance(node, tuple):  # arrays are dumped as tuples: edit a list copy
                node = list(node)
                _put(data, keys[: i + 1], node)
        last = keys[-1]
        value = _parse_value(raw.strip())
        if isinstance(last, int):
            _check_index(node, last, item, keys[:-1])
            node[last] = value
            continue
        if not isinstance(node, dict):
            raise ScenarioError(f"--set {item!r}: {_shown(keys[:-1])!r} is not a table")
        node[last] = value
    return scenario_from_dict(data, origin="--set")


def _put(data: Any, keys: list[str | int], value: Any) -> None:
    node = data
    for k in keys[:-1]:
        node = node[k]
    node[keys[-1]] = value
