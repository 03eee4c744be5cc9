"""The TOML mapping of another system's export onto the event-log contract.

A mapping names the source columns, maps source activities onto ours (one to one, one to
several, or ignored), says which occurrence to keep where our lifecycle allows only one, how
to order events with equal timestamps, where ticket facts come from, and what to do with each
kind of lifecycle violation (``fail`` the import, or ``quarantine`` the ticket). Validation
happens once, here, and every error names the mapping file and the field.

What the data's quality may look like (``[quality]``: the plausible time window, the gap after
which a closed case id that shows up again is another ticket, the longest field) and how the
source's history becomes passes (``[reopen]``: a reopen — a ``rejected``, a state going back
from resolved, events after a close — opens a second pass) are part of the mapping too.
"""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from fcsim.eventlog.schema import TICKET_COLUMNS
from fcsim.model.activities import Activity

__all__ = [
    "BUILTIN_MAPPINGS",
    "EventColumns",
    "HandoverSpec",
    "Mapping",
    "MappingError",
    "PolicySpec",
    "QualitySpec",
    "ReopenSpec",
    "SourceSpec",
    "TicketSpec",
    "builtin_mapping",
    "load_mapping",
]

_ACTIVITIES = {a.value for a in Activity}
BUILTIN_MAPPINGS = ("helpdesk", "bpic14")
Policy = Literal["fail", "quarantine"]
#: Data-quality codes that are only counted unless the policy names them.
COUNTED_ONLY = frozenset({"dst_gap", "dst_fold"})


class MappingError(ValueError):
    """A mapping file is invalid; the message names the file and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_activity(value: str, where: str) -> str:
    if value not in _ACTIVITIES:
        raise ValueError(f"{where}: {value!r} is not an fcsim activity "
                         f"(known: {', '.join(a.value for a in Activity)})")
    return value


class SourceSpec(_Strict):
    """How to read the source file(s)."""

    format: Literal["csv", "excel"] | None = None  # None: from the file suffix
    sheet: str | int = 0
    delimiter: str = ","
    encoding: str = "utf-8"
    timestamp_format: str | None = None  # None: ISO 8601 / pandas inference
    timezone: str = "UTC"  # IANA zone of naive source timestamps (and the log's time_zone)
    tickets_file: str | None = None  # case table, relative to the event file

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        from fcsim.model.timezone import parse_tz, tz_name

        try:
            return tz_name(parse_tz(v))
        except ValueError as exc:
            raise ValueError(f"timezone: {exc}") from None

    @field_validator("encoding")
    @classmethod
    def _encoding(cls, v: str) -> str:
        import codecs

        try:
            codecs.lookup(v)
        except LookupError:
            raise ValueError(f"unknown encoding {v!r}") from None
        return v


class QualitySpec(_Strict):
    """What the data's quality is checked against (each breach is counted or refused).

    ``earliest`` / ``latest``: timestamps outside are implausible (``latest`` defaults to the
    import day + 1). A closed case whose events resume more than ``reuse_gap_days`` after
    its close is another ticket re-using the id: ``split`` into a new ticket with the id
    suffixed ``~2``, ``~3`` … or ``quarantine`` it; a return within the gap is a reopen.
    ``max_field_chars``: longer fields are refused (``overlong_field``).
    """

    earliest: date = date(1990, 1, 1)
    latest: date | None = None
    reuse_gap_days: float = Field(default=30.0, gt=0)
    reused_case_id: Literal["split", "quarantine"] = "split"
    max_field_chars: int = Field(default=10_000, gt=0)

    @model_validator(mode="after")
    def _window(self) -> QualitySpec:
        if self.latest is not None and self.latest <= self.earliest:
            raise ValueError("quality.latest must be after quality.earliest")
        return self


class ReopenSpec(_Strict):
    """How the source's history becomes passes (attempts).

    A ``rejected`` (e.g. a source "Reopen" mapped onto it) opens the next attempt. With
    ``after_resolution``, work after a resolution (``work_completed``) — another dispatch,
    another resolution — is a reopen: a ``rejected`` is synthesised at that instant. With
    ``after_close``, events after a ``closed`` within the reuse gap reopen the ticket (the
    close was provisional and is dropped). ``record`` synthesises the ``recorded`` that opens
    a second pass where the source has none (the desk takes the reopened ticket back).
    ``accept_at_close`` synthesises ``accepted`` just before a final ``closed`` whose attempt
    has no acceptance decision (closed without a reopen: the resolution was accepted).
    """

    after_resolution: bool = True
    after_close: bool = True
    record: bool = True
    accept_at_close: bool = False


class EventColumns(_Strict):
    """Source column of each event field (None: absent from the source)."""

    ticket_id: str
    activity: str
    timestamp: str
    started_at: str | None = None
    resource: str | None = None
    role: str | None = None
    seq: str | None = None
    attempt: str | None = None


class TicketSpec(_Strict):
    """Where ticket facts come from: source columns (the case table, else the last value in
    the event table), value maps, and constants."""

    key: str | None = None  # ticket id column of the case table
    #: field -> column, or several columns whose values are joined with " / " (e.g. a
    #: category and a priority: the category "incident / 4")
    columns: dict[str, str | list[str]] = Field(default_factory=dict)
    values: dict[str, dict[str, Any]] = Field(default_factory=dict)
    constants: dict[str, Any] = Field(default_factory=dict)

    @field_validator("columns", "values", "constants")
    @classmethod
    def _known_fields(cls, v: dict[str, Any]) -> dict[str, Any]:
        bad = [k for k in v if k not in TICKET_COLUMNS or k in ("ticket_id", "schema_version")]
        if bad:
            raise ValueError(f"unknown ticket field(s) {', '.join(bad)}")
        return v


class HandoverSpec(_Strict):
    """Source rows that hand a ticket to a team: the first is ``first``, each later one
    ``later`` (e.g. misrouted + dispatched); rows of these sources at one instant count once."""

    sources: list[str]
    first: list[str] = Field(default_factory=lambda: ["dispatched"])
    later: list[str] = Field(default_factory=lambda: ["misrouted", "dispatched"])

    @field_validator("first", "later")
    @classmethod
    def _acts(cls, v: list[str]) -> list[str]:
        for a in v:
            _check_activity(a, "handover")
        return v


class PolicySpec(_Strict):
    """What to do with a ticket that breaks the lifecycle or a data-quality rule, per code:
    ``fail`` the import or ``quarantine`` the ticket; ``accept`` (count only) is allowed for
    the counted-only data-quality codes (``dst_gap``, ``dst_fold``), which are counted only
    unless named here."""

    default: Policy = "fail"
    codes: dict[str, Literal["fail", "quarantine", "accept"]] = Field(default_factory=dict)

    @field_validator("codes")
    @classmethod
    def _accept_only_counted(cls, v: dict[str, str]) -> dict[str, str]:
        bad = [c for c, p in v.items() if p == "accept" and c not in COUNTED_ONLY]
        if bad:
            raise ValueError(f"'accept' is only for {sorted(COUNTED_ONLY)}, not {bad}")
        return v

    def for_code(self, code: str) -> str:
        """The policy of a code (``accept`` for an unnamed counted-only code)."""
        if code in self.codes:
            return self.codes[code]
        return "accept" if code in COUNTED_ONLY else self.default


class Mapping(_Strict):
    """A validated mapping (see the shipped ``mappings/*.toml`` for documented examples)."""

    name: str
    description: str = ""
    source: SourceSpec = SourceSpec()
    columns: EventColumns
    activities: dict[str, str | list[str]]
    ignore: list[str] = Field(default_factory=list)
    unmapped: Literal["fail", "ignore"] = "fail"
    keep: dict[str, Literal["first", "last", "all"]] = Field(default_factory=dict)
    keep_source: dict[str, Literal["first", "last", "all"]] = Field(default_factory=dict)
    handover: HandoverSpec | None = None
    tie_order: list[str] = Field(default_factory=list)
    synthesise_received: Literal["first_event"] | None = None
    roles: dict[str, str] = Field(default_factory=dict)  # target activity -> role
    tickets: TicketSpec = TicketSpec()
    policy: PolicySpec = PolicySpec()
    quality: QualitySpec = QualitySpec()
    reopen: ReopenSpec = ReopenSpec()
    path: str | None = None

    @field_validator("activities")
    @classmethod
    def _targets(cls, v: dict[str, str | list[str]]) -> dict[str, str | list[str]]:
        for src, tgt in v.items():
            for t in [tgt] if isinstance(tgt, str) else tgt:
                _check_activity(t, f"activities.{src!r}")
        return v

    @field_validator("keep", "roles")
    @classmethod
    def _keys_are_activities(cls, v: dict[str, Any]) -> dict[str, Any]:
        for k in v:
            _check_activity(k, "key")
        return v

    @field_validator("tie_order")
    @classmethod
    def _tie(cls, v: list[str]) -> list[str]:
        for t in v:
            _check_activity(t, "tie_order")
        if len(set(v)) != len(v):
            raise ValueError("tie_order repeats an activity")
        return v

    def targets(self, source_activity: str) -> list[str] | None:
        """Our activities for a source activity (``[]`` ignored, None unmapped)."""
        if source_activity in self.ignore:
            return []
        if self.handover is not None and source_activity in self.handover.sources:
            return list(self.handover.first)
        tgt = self.activities.get(source_activity)
        if tgt is None:
            return None
        return [tgt] if isinstance(tgt, str) else list(tgt)

    def tie_rank(self) -> dict[str, int]:
        """Rank of each activity among equal timestamps: ``tie_order`` first, then ours."""
        order = list(self.tie_order) + [a.value for a in Activity if a.value not in
                                        self.tie_order]
        return {a: i for i, a in enumerate(order)}


def _format_error(path: str, exc: ValidationError) -> str:
    lines = [f"{path}: invalid mapping"]
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        lines.append(f"  {loc}: {err['msg']}")
    return "\n".join(lines)


def load_mapping(path: str | Path) -> Mapping:
    """Read and validate a mapping TOML file (or a built-in name: helpdesk, bpic14)."""
    if str(path) in BUILTIN_MAPPINGS:
        return builtin_mapping(str(path))
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MappingError(f"{p}: mapping file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"{p}: not valid TOML ({exc})") from None
    data.setdefault("name", p.stem)
    data["path"] = str(p)
    try:
        return Mapping.model_validate(data)
    except ValidationError as exc:
        raise MappingError(_format_error(str(p), exc)) from None


def builtin_mapping(name: str) -> Mapping:
    """A mapping shipped with fcsim (``helpdesk``, ``bpic14``)."""
    if name not in BUILTIN_MAPPINGS:
        raise MappingError(f"no built-in mapping {name!r} (have: {', '.join(BUILTIN_MAPPINGS)})")
    return load_mapping(Path(__file__).with_name("mappings") / f"{name}.toml")
