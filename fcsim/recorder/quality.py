"""The data-quality report of an import, as data (the CLI formats it).

It says what was loaded, what was ignored or dropped by the mapping, which tickets were
quarantined and why, and which clocks and indicators of ``KPI.md`` this log can measure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from collections.abc import Mapping as TMapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from fcsim.eventlog import EventLog

__all__ = ["Measurability", "QualityReport", "Quarantined", "made_up", "measurability"]


@dataclass(frozen=True)
class Measurability:
    """Whether a clock or indicator can be measured on a log, and why not."""

    name: str
    kind: str  # "clock" or "indicator"
    measurable: bool
    reason: str


@dataclass(frozen=True)
class Quarantined:
    """One lifecycle violation that sent a ticket to quarantine."""

    ticket_id: str
    seq: int | None
    code: str
    message: str


@dataclass
class QualityReport:
    """What an import loaded, left out and can measure.

    Attributes
    ----------
    source, mapping:
        The imported file(s) and the mapping file (None for a native log).
    rows_read:
        Rows of the source event table.
    ignored:
        Source activity → rows ignored by the mapping.
    dropped:
        Target activity → duplicates dropped by the mapping's keep rule.
    synthesised:
        Target activity → events the mapping synthesised (e.g. ``received`` at the first event).
    tickets_loaded, events_loaded:
        What landed in the store.
    quarantined:
        Violations of the quarantined tickets (their events were not loaded).
    measurable:
        One entry per clock and per indicator.
    notes:
        Other observations (ties broken, missing start times, timezone assumed …).
    reasons:
        Data-quality code → ``{"rows": n, "tickets": m, "action": what was done}``:
        implausible timestamps, DST gaps and folds, re-used case ids, reopens, over-long
        fields, control characters (see :meth:`count`).
    time_zone:
        The IANA zone the source's naive times were read in (the log's site zone).
    import_id:
        The store's id of this import (None until written, or for a failed import).
    """

    source: str
    mapping: str | None = None
    rows_read: int = 0
    ignored: dict[str, int] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)
    synthesised: dict[str, int] = field(default_factory=dict)
    tickets_loaded: int = 0
    events_loaded: int = 0
    quarantined: list[Quarantined] = field(default_factory=list)
    measurable: list[Measurability] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    reasons: dict[str, dict[str, Any]] = field(default_factory=dict)
    time_zone: str | None = None
    import_id: int | None = None

    def count(self, code: str, *, rows: int = 0, tickets: int = 0, action: str = "") -> None:
        """Add ``rows`` source rows and ``tickets`` tickets to the count of ``code``."""
        r = self.reasons.setdefault(code, {"rows": 0, "tickets": 0, "action": action})
        r["rows"] += int(rows)
        r["tickets"] += int(tickets)
        if action:
            r["action"] = action

    def manifest(self) -> dict[str, Any]:
        """What travels with the exported log (``manifest.json``): the zone and what the log
        can measure (clocks and indicators marked not measurable, with the reason)."""
        out: dict[str, Any] = {
            "measurability": {m.name: {"kind": m.kind, "measurable": m.measurable,
                                       "reason": m.reason} for m in self.measurable},
            "synthesised": dict(self.synthesised),
        }
        if self.time_zone:
            out["time_zone"] = self.time_zone
        return out

    @property
    def quarantined_tickets(self) -> list[str]:
        """Ids of the quarantined tickets, in first-seen order."""
        return list(dict.fromkeys(q.ticket_id for q in self.quarantined))

    def quarantine_counts(self) -> dict[str, int]:
        """Quarantined tickets per violation code (a ticket counts once per code)."""
        seen = {(q.ticket_id, q.code) for q in self.quarantined}
        out: dict[str, int] = {}
        for _, code in sorted(seen):
            out[code] = out.get(code, 0) + 1
        return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable form (stored with the import)."""
        return asdict(self)


# clock -> (activities needed: each inner tuple = any of, description of applicable tickets)
_CLOCK_NEEDS: dict[str, tuple[tuple[tuple[str, ...], ...], str]] = {
    "record": ((("received", "relayed"), ("recorded",)), "all"),
    "dispatch": ((("recorded",), ("dispatched",)), "dispatch"),
    "emergency_report": ((("received", "relayed"), ("emergency_reported",)), "emergency"),
    "on_site": ((("dispatched", "emergency_reported"), ("arrived",)), "immediate_visit"),
    "appointment_sign": ((("signed",),), "appointment_visit"),
    "appointment_call": ((("contacted",),), "appointment_call"),
    "appointment_arrival": ((("arrived",),), "appointment_visit"),
    "plan": ((("diagnosed",), ("planned",)), "visit"),
    "escalate": ((("blocked",), ("escalated",)), "all"),
    "callback": ((("slip_returned",), ("callback", "callback_failed")), "callback"),
}

_APPLIES = {
    "all": "any ticket",
    "dispatch": "route_dispatch non-emergency tickets",
    "emergency": "emergency tickets",
    "immediate_visit": "immediate route_site_visit tickets",
    "appointment_visit": "appointment route_site_visit tickets",
    "appointment_call": "appointment site visits booked >= 15 min ahead",
    "visit": "route_site_visit tickets",
    "callback": "route_callback tickets",
}


def _applicable(tk: pd.DataFrame, key: str) -> int:
    """The number of tickets of ``tk`` a clock of ``_APPLIES`` key ``key`` applies to (only
    that key's mask is computed)."""
    def flag(c: str) -> pd.Series:
        return tk[c].fillna(False).astype(bool)

    def appt() -> pd.Series:
        return tk["mode"].astype(object) == "appointment"

    masks: dict[str, Callable[[], pd.Series]] = {
        "all": lambda: pd.Series(True, index=tk.index),
        "dispatch": lambda: flag("route_dispatch") & ~flag("emergency"),
        "emergency": lambda: flag("emergency"),
        "immediate_visit": lambda: ~appt() & flag("route_site_visit"),
        "appointment_visit": lambda: appt() & flag("route_site_visit"),
        "appointment_call": lambda: appt() & flag("route_site_visit") & (
            (tk["appointment_at"] - tk["booked_at"]).dt.total_seconds() >= 900
        ).fillna(False).astype(bool),
        "visit": lambda: flag("route_site_visit"),
        "callback": lambda: flag("route_callback"),
    }
    return int(masks[key]().sum())


def _activity_counts(log: EventLog) -> pd.Series:
    """Events per activity name (by the categorical's codes when it is one)."""
    act = log.events["activity"]
    if isinstance(act.dtype, pd.CategoricalDtype):
        n = np.bincount(act.cat.codes.to_numpy() + 1, minlength=len(act.cat.categories) + 1)
        return pd.Series(n[1:], index=pd.Index(act.cat.categories.astype(object),
                                              dtype=object))
    return act.astype(object).value_counts()


def made_up(log: EventLog, synthesised: Iterable[str] | TMapping[str, int]) -> set[str]:
    """The activities whose time the import made up for at least half of their events.

    ``synthesised`` maps a report key (``"received"``, ``"recorded (reopened pass)"`` …; the
    activity is its first word) to the number of events synthesised; a plain iterable of
    activities counts them as wholly made up.
    """
    if not isinstance(synthesised, TMapping):
        return set(synthesised)
    total = _activity_counts(log)
    per: dict[str, int] = {}
    for key, n in synthesised.items():
        a = str(key).split(" ")[0]
        per[a] = per.get(a, 0) + int(n)
    return {a for a, n in per.items() if n > 0 and n >= 0.5 * float(total.get(a, 0))}


def measurability(
    log: EventLog, *, synthesised: Iterable[str] | TMapping[str, int] = ()
) -> list[Measurability]:
    """Which clocks and indicators of ``KPI.md`` the log can measure, with the reason.

    Activities the import made up (:func:`made_up`: their true time is unknown for at least
    half of their events) count as absent for the clocks.
    """
    fake_acts = made_up(log, synthesised)
    counts = _activity_counts(log)
    logged = {a for a, n in counts.items() if n > 0}  # for the indicators (no times)
    present = logged - fake_acts  # for the clocks
    tk = log.tickets
    out: list[Measurability] = []
    any_clock = False
    for clock, (needs, applies) in _CLOCK_NEEDS.items():
        n_app = _applicable(tk, applies)
        missing = [" or ".join(f"`{a}`" for a in alts) for alts in needs
                   if not present.intersection(alts)]
        fake = sorted({a for alts in needs for a in alts} & fake_acts)
        if n_app == 0:
            ok, why = False, f"no {_APPLIES[applies]} in the log"
        elif missing:
            ok, why = False, f"no {', '.join(missing)} events" + (
                f" ({', '.join(fake)} synthesised: time unknown)" if fake else "")
        else:
            ok, why = True, f"{n_app} applicable tickets"
        any_clock |= ok
        out.append(Measurability(clock, "clock", ok, why))

    def ind(name: str, ok: bool, why_yes: str, why_no: str) -> None:
        out.append(Measurability(name, "indicator", ok, why_yes if ok else why_no))

    ind("timeliness", any_clock, "from the measurable clocks", "no clock is measurable")
    n_sat = int(tk["satisfied"].notna().sum())
    ind("satisfaction", "callback" in present and n_sat > 0, f"{n_sat} tickets with satisfied",
        "needs reached `callback` events and a `satisfied` column")
    n_acc = int(tk["record_accurate"].notna().sum())
    ind("accuracy", n_acc > 0, f"{n_acc} tickets with record_accurate",
        "no `record_accurate` values")
    decided = {"accepted", "rejected"}
    ind("pass_rate", bool(logged & decided), "acceptance decisions logged" + (
        " (synthesised from closes and reopens)" if decided & fake_acts else ""),
        "no `accepted` / `rejected` events")
    ind("recognition", "classified" in logged, "`classified` events logged",
        "no `classified` events")
    n_cb = _applicable(tk, "callback")
    ind("callback_rate", n_cb > 0 and "slip_returned" in present,
        f"{n_cb} route_callback tickets",
        "needs route_callback tickets with `slip_returned` events")
    durative = log.events["activity"].isin(
        ["recorded", "classified", "arrived", "diagnosed", "planned", "communicated",
         "work_completed", "callback", "callback_failed"])
    n_dur = int(durative.sum())
    n_start = int((durative & log.events["started_at"].notna()).sum())
    out.append(Measurability(
        "working_times", "derived", n_start > 0,
        f"started_at known for {n_start} of {n_dur} durative events"
        if n_dur else "no durative events"))
    return out
