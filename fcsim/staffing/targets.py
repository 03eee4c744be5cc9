"""Staffing target expressions: ``timeliness>=95%``, ``clock.on_site>0.9``.

A target is a KPI name, ``>=`` or ``>``, and a rate written as a fraction (``0.95``) or a
percentage (``95%``). KPI names are the six indicator ids (the scenario-week value), the met
share of a control point ``clock.<control_point>``, and the 0/1 weekly outcomes
``zero_breach.<indicator>`` and ``clock_zero_breach.<control_point>`` (a week without a
breach). A rate written as a number above 1 (``>=95``) is refused with a hint, as is an unknown
name (with the closest names).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from fcsim.model.control_points import CLOCK_NAMES
from fcsim.model.indicators import INDICATOR_IDS

__all__ = ["KpiTarget", "kpi_names", "parse_target"]

_EXPR = re.compile(r"^\s*([A-Za-z0-9_.:]+)\s*(>=|>|<=|<|==|=)\s*([0-9.eE+-]+)\s*(%?)\s*$")


def kpi_names() -> list[str]:
    """Every KPI a target may name."""
    return [*INDICATOR_IDS, *(f"clock.{c}" for c in CLOCK_NAMES),
            *(f"zero_breach.{i}" for i in INDICATOR_IDS),
            *(f"clock_zero_breach.{c}" for c in CLOCK_NAMES)]


@dataclass(frozen=True)
class KpiTarget:
    """``kpi >= threshold`` (``>`` when ``strict``); ``binary`` for the 0/1 weekly outcomes."""

    kpi: str
    threshold: float
    strict: bool = False
    text: str = ""

    @property
    def binary(self) -> bool:
        return self.kpi.startswith(("zero_breach.", "clock_zero_breach."))

    @property
    def label(self) -> str:
        return f"{self.kpi} {'>' if self.strict else '>='} {self.threshold * 100:g} %"

    def holds(self, value: float) -> bool:
        """Whether a value (e.g. a lower confidence bound) meets the target."""
        return value > self.threshold if self.strict else value >= self.threshold


def parse_target(text: str) -> KpiTarget:
    """Read a target expression (see the module docstring); errors say what to write."""
    m = _EXPR.match(text)
    if not m:
        raise ValueError(f"target {text!r}: expected KPI>=RATE, e.g. timeliness>=95% or "
                         "clock.on_site>=0.9")
    name, op, raw, pct = m.groups()
    if op not in (">=", ">"):
        raise ValueError(f"target {text!r}: only >= and > are supported (a target is a floor "
                         "on a rate)")
    name = name.replace("clock:", "clock.")
    known = kpi_names()
    if name not in known:
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
        hint = f" (did you mean {', '.join(close)}?)" if close else (
            f" (KPIs: {', '.join(INDICATOR_IDS)}, clock.<control point>)")
        raise ValueError(f"target {text!r}: unknown KPI {name!r}{hint}")
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"target {text!r}: {raw!r} is not a number") from None
    if pct:
        if not 0 <= value <= 100:
            raise ValueError(f"target {text!r}: a percentage must lie in 0-100 %")
        value /= 100.0
    elif not 0 <= value <= 1:
        raise ValueError(f"target {text!r}: {raw} is not a rate in [0, 1]; write "
                         f"{name}{op}{raw}% or {name}{op}{value / 100:g}")
    return KpiTarget(name, value, op == ">", text.strip())
