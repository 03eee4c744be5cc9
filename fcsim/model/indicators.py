"""The six control indicators (作業關鍵控制點) with their targets, as data.

How numerators and denominators are counted is implemented in :mod:`fcsim.kpi.indicators`
following ``KPI.md``; here are the ids, labels and targets, which a scenario may override.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["INDICATORS", "INDICATOR_IDS", "IndicatorSpec", "Target"]


@dataclass(frozen=True)
class Target:
    """A target on a fraction: ``= 100 %`` (``kind="all"``) or ``> threshold`` (strict)."""

    kind: Literal["all", "above"]
    threshold: float = 1.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.threshold <= 1.0:
            raise ValueError(f"target threshold must be in [0, 1], got {self.threshold}")

    @property
    def label(self) -> str:
        """As written in the seed and in ``indicators.csv``: ``= 100 %`` or ``> 98 %``."""
        if self.kind == "all":
            return "= 100 %"
        pct = self.threshold * 100
        return f"> {pct:g} %"

    def met_by_counts(self, numerator: int, denominator: int) -> bool | None:
        """Whether counts meet the target; ``None`` when the denominator is 0."""
        if denominator <= 0:
            return None
        if self.kind == "all":
            return numerator == denominator
        return numerator / denominator > self.threshold

    def met_by_value(self, value: float | None) -> bool | None:
        """Whether a fraction meets the target (``= 100 %`` needs exactly 1)."""
        if value is None or value != value:
            return None
        if self.kind == "all":
            return value >= 1.0
        return value > self.threshold


@dataclass(frozen=True)
class IndicatorSpec:
    """An indicator id with its target and bilingual label."""

    id: str
    target: Target
    label_zh: str
    label_en: str


INDICATORS: dict[str, IndicatorSpec] = {
    s.id: s
    for s in (
        IndicatorSpec("timeliness", Target("all"), "及時率", "timeliness rate"),
        IndicatorSpec("satisfaction", Target("above", 0.98), "客戶滿意率", "customer satisfaction"),
        IndicatorSpec("accuracy", Target("above", 0.98), "信息準確率", "information accuracy"),
        IndicatorSpec("pass_rate", Target("all"), "處理合格率", "processing pass rate"),
        IndicatorSpec(
            "recognition", Target("above", 0.99), "信息識別率", "information recognition rate"
        ),
        IndicatorSpec("callback_rate", Target("all"), "回訪率", "callback rate"),
    )
}

#: Indicator ids in the seed's order.
INDICATOR_IDS: tuple[str, ...] = tuple(INDICATORS)
