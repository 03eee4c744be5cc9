"""The control points (clocks) of ``KPI.md`` as data, with the seed's bounds as defaults.

A clock is met when ``lower_s <= end - start <= upper_s`` (inclusive; ``None`` = no bound).
Which events start and end each clock, and to which tickets it applies, is implemented in
:mod:`fcsim.kpi.clocks` (vectorised) and read by the simulator; this module holds the names,
the bounds, the one definition of lateness (:meth:`Bounds.lateness_s`) and the labels.

Bounds resolve per ticket, most specific first (:meth:`ControlPoints.resolve`):

1. the **emergency** override of the clock (an emergency ticket; e.g. the hospital's rule that
   staff rescuing critical patients and emergencies are on post within 5 minutes);
2. the ticket's **category** override of the clock;
3. the **scenario-wide** bounds of the clock (``[control_points.<clock>]``);
4. the seed's bounds (:data:`SEED_CONTROL_POINTS`).

An override replaces the whole pair (``lower_s``, ``upper_s``) of the level below, except for
a side it leaves out, which it inherits from that level.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

__all__ = [
    "CLOCK_NAMES",
    "SEED_CONTROL_POINTS",
    "Bounds",
    "ClockOverrides",
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

    def lateness_s(self, duration_s: float) -> float:
        """How far outside the bounds a duration lies (0 when met) — ``KPI.md``'s lateness.

        Above the upper bound: ``duration - upper_s``; below the lower bound:
        ``lower_s - duration``. The KPI engine computes the same quantity vectorised
        (:mod:`fcsim.kpi.clocks`), and the simulator's outcome models read this one.
        """
        if self.upper_s is not None and duration_s > self.upper_s:
            return duration_s - self.upper_s
        if self.lower_s is not None and duration_s < self.lower_s:
            return self.lower_s - duration_s
        return 0.0

    def overridden(self, data: Mapping[str, float | None]) -> Bounds:
        """These bounds with the sides given in ``data`` replaced (``None`` removes a side)."""
        unknown = set(data) - {"lower_s", "upper_s"}
        if unknown:
            raise ValueError(f"unknown keys {sorted(unknown)} (expected lower_s, upper_s)")
        return Bounds(lower_s=data.get("lower_s", self.lower_s),
                      upper_s=data.get("upper_s", self.upper_s))

    def to_dict(self) -> dict[str, float | None]:
        return {"lower_s": self.lower_s, "upper_s": self.upper_s}


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


def _empty() -> Mapping[str, Any]:
    return MappingProxyType({})


@dataclass(frozen=True)
class ClockOverrides:
    """Per-category and emergency bounds of one clock (either may be absent)."""

    category: Mapping[str, Bounds] = field(default_factory=_empty)
    emergency: Bounds | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.category:
            out["category"] = {c: b.to_dict() for c, b in sorted(self.category.items())}
        if self.emergency is not None:
            out["emergency"] = self.emergency.to_dict()
        return out


@dataclass(frozen=True)
class ControlPoints:
    """The full set of clocks with their bounds. Immutable; use :meth:`with_bounds`.

    ``specs`` hold the scenario-wide bounds; ``overrides`` the per-category and emergency
    bounds by clock (see the module docstring for the order in which they resolve).
    """

    specs: Mapping[str, ClockSpec]
    overrides: Mapping[str, ClockOverrides] = field(default_factory=_empty)

    def __getitem__(self, name: str) -> ClockSpec:
        try:
            return self.specs[name]
        except KeyError:
            raise KeyError(
                f"unknown control point {name!r} (known: {', '.join(CLOCK_NAMES)})"
            ) from None

    def bounds(self, name: str) -> Bounds:
        """The scenario-wide bounds of clock ``name``."""
        return self[name].bounds

    def resolve(self, name: str, category: str | None = None,
                emergency: bool = False) -> Bounds:
        """The bounds of clock ``name`` for a ticket of ``category`` (emergency or not).

        Order: emergency override, else category override, else scenario-wide, else seed.
        """
        base = self.bounds(name)
        ov = self.overrides.get(name)
        if ov is None:
            return base
        if emergency and ov.emergency is not None:
            return ov.emergency
        if category is not None:
            b = ov.category.get(category)
            if b is not None:
                return b
        return base

    @property
    def has_overrides(self) -> bool:
        """Whether any clock has a per-category or emergency override."""
        return any(o.category or o.emergency is not None for o in self.overrides.values())

    def with_bounds(
        self, overrides: Mapping[str, Bounds | Mapping[str, float | None]]
    ) -> ControlPoints:
        """A copy with some clocks' scenario-wide bounds replaced.

        ``overrides`` maps clock ids to :class:`Bounds` or to ``{"lower_s": .., "upper_s": ..}``
        (a key left out keeps its default; ``None`` removes that bound).
        """
        specs = dict(self.specs)
        for name, b in overrides.items():
            spec = self[name]
            if not isinstance(b, Bounds):
                try:
                    b = spec.bounds.overridden(b)
                except ValueError as exc:
                    raise ValueError(f"control point {name!r}: {exc}") from None
            specs[name] = replace(spec, bounds=b)
        return ControlPoints(MappingProxyType(specs), self.overrides)

    def with_overrides(self, data: Mapping[str, Mapping[str, Any]]) -> ControlPoints:
        """A copy with per-category / emergency overrides added (replacing same keys).

        ``data`` is ``{clock: {"category": {cat: {lower_s, upper_s}}, "emergency": {lower_s,
        upper_s}}}``, as in a run manifest's ``control_point_overrides``; a side left out of a
        category's or the emergency bounds is inherited from the clock's scenario-wide bounds.
        """
        merged = dict(self.overrides)
        for name, entry in data.items():
            base = self.bounds(name)
            if not isinstance(entry, Mapping):
                raise ValueError(f"control point {name!r}: overrides must be a table")
            unknown = set(entry) - {"category", "emergency"}
            if unknown:
                raise ValueError(f"control point {name!r}: unknown override keys "
                                 f"{sorted(unknown)} (expected category, emergency)")
            old = merged.get(name, ClockOverrides())
            cats = dict(old.category)
            try:
                for cat, b in (entry.get("category") or {}).items():
                    cats[str(cat)] = b if isinstance(b, Bounds) else base.overridden(b)
                em = entry.get("emergency")
                emergency = old.emergency if em is None else (
                    em if isinstance(em, Bounds) else base.overridden(em))
            except ValueError as exc:
                raise ValueError(f"control point {name!r}: {exc}") from None
            merged[name] = ClockOverrides(MappingProxyType(cats), emergency)
        return ControlPoints(self.specs, MappingProxyType(merged))

    def to_dict(self) -> dict[str, dict[str, float | None]]:
        """``{clock: {"lower_s": .., "upper_s": ..}}`` (scenario-wide), as in a manifest."""
        return {n: s.bounds.to_dict() for n, s in self.specs.items()}

    def overrides_dict(self) -> dict[str, dict[str, Any]]:
        """``{clock: {"category": {..}, "emergency": {..}}}`` — a manifest's
        ``control_point_overrides`` entry (clocks without overrides left out)."""
        return {n: d for n, o in sorted(self.overrides.items()) if (d := o.to_dict())}

    @classmethod
    def from_dict(cls, data: Mapping[str, Mapping[str, float | None]],
                  overrides: Mapping[str, Mapping[str, Any]] | None = None) -> ControlPoints:
        """Seed defaults overridden by a ``{clock: {lower_s, upper_s}}`` mapping, then by the
        per-category / emergency ``overrides`` (see :meth:`with_overrides`)."""
        cp = SEED_CONTROL_POINTS.with_bounds(data)
        return cp.with_overrides(overrides) if overrides else cp


#: The seed's limits (PROCEDURE.md, KPI.md).
SEED_CONTROL_POINTS = ControlPoints(MappingProxyType({s.name: s for s in _SPECS}))
