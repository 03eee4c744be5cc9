"""The control points (clocks) of ``KPI.md`` as data, with the seed's bounds as defaults.

A clock is met when ``lower_s <= end - start <= upper_s`` (inclusive; ``None`` = no bound).
Which events start and end each clock, and to which tickets it applies, is implemented in
:mod:`fcsim.kpi.clocks`; this module holds the names, bounds and labels, which a scenario may
override (the hospital variant: staff on post within 300 s).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType

__all__ = [
    "CLOCK_NAMES",
    "SEED_CONTROL_POINTS",
    "Bounds",
    "ClockSpec",
    "ControlPoints",
]


@dataclass(frozen=True)
class Bounds:
    """Inclusive bounds in seconds on ``end - start``; ``None`` means unbounded on that side."""

    lower_s: float | None = None
    upper_s: float | None = None

    def __post_init__(self) -> None:
        for name in ("lower_s", "upper_s"):
            v = getattr(self, name)
            if v is not None and (v != v or v < 0):  # NaN or negative
                raise ValueError(f"{name} must be a non-negative number or None, got {v!r}")
        if self.lower_s is None and self.upper_s is None:
            raise ValueError("a clock needs at least one bound")
        if (
            self.lower_s is not None
            and self.upper_s is not None
            and self.lower_s > self.upper_s
        ):
            raise ValueError(f"lower_s {self.lower_s} exceeds upper_s {self.upper_s}")

    def contains(self, duration_s: float) -> bool:
        """Whether a duration meets these bounds."""
        lo_ok = self.lower_s is None or duration_s >= self.lower_s
        hi_ok = self.upper_s is None or duration_s <= self.upper_s
        return lo_ok and hi_ok


@dataclass(frozen=True)
class ClockSpec:
    """One control point: its id, default bounds, and bilingual label and meaning."""

    name: str
    bounds: Bounds
    label_zh: str
    label_en: str
    start_end: str


_SPECS: tuple[ClockSpec, ...] = (
    ClockSpec("record", Bounds(upper_s=60), "錄入", "record", "R → first recorded"),
    ClockSpec("dispatch", Bounds(upper_s=120), "分類傳遞", "classify & dispatch",
              "recorded → first dispatched"),
    ClockSpec("emergency_report", Bounds(upper_s=90), "緊急匯報", "emergency report",
              "R → emergency_reported"),
    ClockSpec("on_site", Bounds(upper_s=600), "到場", "on site",
              "first dispatched (emergency: emergency_reported) → first valid arrived"),
    ClockSpec("appointment_sign", Bounds(lower_s=0), "預約簽單", "appointment sign",
              "signed → appointment_at"),
    ClockSpec("appointment_call", Bounds(lower_s=900, upper_s=1800), "預約提前聯繫",
              "appointment call", "contacted → appointment_at"),
    ClockSpec("appointment_arrival", Bounds(lower_s=180, upper_s=300), "預約提前到達",
              "appointment arrival", "first valid arrived → appointment_at"),
    ClockSpec("plan", Bounds(upper_s=180), "制定方案", "plan", "diagnosed → planned"),
    ClockSpec("escalate", Bounds(upper_s=300), "上報主管", "escalate",
              "each blocked → its escalated"),
    ClockSpec("callback", Bounds(upper_s=120), "回訪", "callback",
              "slip_returned → first callback or callback_failed"),
)

#: The clock ids in the order of the procedure.
CLOCK_NAMES: tuple[str, ...] = tuple(s.name for s in _SPECS)


@dataclass(frozen=True)
class ControlPoints:
    """The full set of clocks with their bounds. Immutable; use :meth:`with_bounds`."""

    specs: Mapping[str, ClockSpec]

    def __getitem__(self, name: str) -> ClockSpec:
        try:
            return self.specs[name]
        except KeyError:
            raise KeyError(
                f"unknown control point {name!r} (known: {', '.join(CLOCK_NAMES)})"
            ) from None

    def bounds(self, name: str) -> Bounds:
        return self[name].bounds

    def with_bounds(
        self, overrides: Mapping[str, Bounds | Mapping[str, float | None]]
    ) -> ControlPoints:
        """A copy with some clocks' bounds replaced.

        ``overrides`` maps clock ids to :class:`Bounds` or to ``{"lower_s": .., "upper_s": ..}``
        (a key left out keeps its default; ``None`` removes that bound).
        """
        specs = dict(self.specs)
        for name, b in overrides.items():
            spec = self[name]
            if not isinstance(b, Bounds):
                unknown = set(b) - {"lower_s", "upper_s"}
                if unknown:
                    raise ValueError(f"control point {name!r}: unknown keys {sorted(unknown)}")
                b = Bounds(
                    lower_s=b.get("lower_s", spec.bounds.lower_s),
                    upper_s=b.get("upper_s", spec.bounds.upper_s),
                )
            specs[name] = replace(spec, bounds=b)
        return ControlPoints(MappingProxyType(specs))

    def to_dict(self) -> dict[str, dict[str, float | None]]:
        """``{clock: {"lower_s": .., "upper_s": ..}}`` as stored in a run's manifest."""
        return {
            n: {"lower_s": s.bounds.lower_s, "upper_s": s.bounds.upper_s}
            for n, s in self.specs.items()
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Mapping[str, float | None]]) -> ControlPoints:
        """Seed defaults overridden by a ``{clock: {lower_s, upper_s}}`` mapping."""
        return SEED_CONTROL_POINTS.with_bounds(data)


#: The seed's limits (PROCEDURE.md, KPI.md).
SEED_CONTROL_POINTS = ControlPoints(MappingProxyType({s.name: s for s in _SPECS}))
