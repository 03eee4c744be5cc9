"""Request categories, their routes and responsible departments; sources and modes.

Categories are data: the seed's seven are the default taxonomy (:func:`default_taxonomy`);
a scenario may define its own (the hospital variant does).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "SOURCE_LABELS",
    "Category",
    "Mode",
    "Source",
    "Taxonomy",
    "default_taxonomy",
]


class Source(StrEnum):
    """Where a request came from (信息來源)."""

    CUSTOMER_CALL = "customer_call"  # 客戶致電
    PROPERTY_RELAY = "property_relay"  # 物業內部轉達
    DESK_RELAY = "desk_relay"  # 前臺內部轉達
    INTERNAL_NEED = "internal_need"  # 內部需求
    SUPERIOR_INSTRUCTION = "superior_instruction"  # 上級指示信息


SOURCE_LABELS: dict[Source, tuple[str, str]] = {
    Source.CUSTOMER_CALL: ("客戶致電", "customer call"),
    Source.PROPERTY_RELAY: ("物業內部轉達", "relay from property staff"),
    Source.DESK_RELAY: ("前臺內部轉達", "relay inside the front desk"),
    Source.INTERNAL_NEED: ("內部需求", "internal need"),
    Source.SUPERIOR_INSTRUCTION: ("上級指示信息", "instruction from a superior"),
}


class Mode(StrEnum):
    """Immediate service, or an appointment at an agreed time (預約服務)."""

    IMMEDIATE = "immediate"
    APPOINTMENT = "appointment"


@dataclass(frozen=True)
class Category:
    """A request category and its route through the procedure.

    Parameters
    ----------
    name:
        Identifier used in the log (``tickets.category``).
    department:
        Responsible department from the department responsibility table (部門責任落實表).
    route_dispatch:
        The desk dispatches it to a specialist (else the desk answers it itself).
    route_site_visit:
        A specialist goes to the site (sign, travel, diagnose, plan, communicate, process).
    route_callback:
        The desk calls the customer back after acceptance.
    label_zh, label_en:
        Labels for reports.
    """

    name: str
    department: str
    route_dispatch: bool = True
    route_site_visit: bool = True
    route_callback: bool = True
    label_zh: str = ""
    label_en: str = ""

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a category needs a name")
        if not self.department:
            raise ValueError(f"category {self.name!r} has no responsible department")
        if self.route_site_visit and not self.route_dispatch:
            raise ValueError(
                f"category {self.name!r}: a site visit needs dispatch (route_dispatch=true)"
            )


@dataclass(frozen=True)
class Taxonomy:
    """An ordered, name-unique collection of categories."""

    categories: tuple[Category, ...]
    _by_name: dict[str, Category] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_name: dict[str, Category] = {}
        for cat in self.categories:
            if cat.name in by_name:
                raise ValueError(f"category {cat.name!r} is defined twice")
            by_name[cat.name] = cat
        if not by_name:
            raise ValueError("a taxonomy needs at least one category")
        object.__setattr__(self, "_by_name", by_name)

    @classmethod
    def of(cls, categories: Iterable[Category]) -> Taxonomy:
        """Build a taxonomy from any iterable of categories."""
        return cls(tuple(categories))

    def __getitem__(self, name: str) -> Category:
        try:
            return self._by_name[name]
        except KeyError:
            known = ", ".join(self._by_name)
            raise KeyError(f"unknown category {name!r} (known: {known})") from None

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __iter__(self) -> Iterator[Category]:
        return iter(self.categories)

    def __len__(self) -> int:
        return len(self.categories)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.categories)

    @property
    def departments(self) -> tuple[str, ...]:
        """Responsible departments, in order of first appearance."""
        return tuple(dict.fromkeys(c.department for c in self.categories))


def default_taxonomy() -> Taxonomy:
    """The seed's seven categories (分類) and their responsible departments.

    Complaints, help requests and consultations are handled by the front desk / customer
    service; consultations are answered at the desk (no dispatch, no site visit, no callback).
    """
    return Taxonomy(
        (
            Category("complaint", "customer_service", True, True, True, "投訴", "complaint"),
            Category("help", "customer_service", True, True, True, "求助", "help request"),
            Category("consultation", "front_desk", False, False, False, "咨詢", "consultation"),
            Category("engineering", "engineering", True, True, True, "工程", "engineering"),
            Category("security", "security", True, True, True, "安全", "security"),
            Category("fire", "security", True, True, True, "消防", "fire"),
            Category("cleaning", "housekeeping", True, True, True, "清潔", "cleaning"),
        )
    )
