"""The shipped example log: every activity, each story, a valid lifecycle."""

from __future__ import annotations

import pandas as pd

from fcsim.datasets import example_log
from fcsim.eventlog.lifecycle_check import validate_log
from fcsim.model import Activity


def _acts(log, tid: str, attempt: int | None = None) -> list[str]:  # type: ignore[no-untyped-def]
    ev = log.sorted_events()
    ev = ev[ev["ticket_id"] == tid]
    if attempt is not None:
        ev = ev[ev["attempt"] == attempt]
    return [str(a) for a in ev["activity"]]


def test_covers_every_activity() -> None:
    log = example_log()
    assert set(log.events["activity"].astype(str)) == {a.value for a in Activity}


def test_the_stories() -> None:
    log = example_log()
    tk = log.tickets.set_index("ticket_id")
    # E02 is the emergency; its technician was taken from E01's work (preempted → resumed)
    assert bool(tk.loc["E02", "emergency"]) and not tk["emergency"].drop("E02").any()
    e01 = _acts(log, "E01")
    assert e01.index("preempted") < e01.index("resumed") < e01.index("work_completed")
    ev = log.events

    def at(tid: str, act: str, col: str = "timestamp") -> pd.Timestamp:
        rows = ev[(ev["ticket_id"] == tid) & (ev["activity"] == act)]
        return rows[col].iloc[0]

    assert at("E01", "preempted") <= at("E02", "arrived", "started_at")
    # E02 went to site before signing the slip
    e02 = _acts(log, "E02")
    assert e02.index("arrived") < e02.index("signed") and e02[-1] == "sample_callback"
    # E03: failed acceptance, second pass opened by the rejection
    assert _acts(log, "E03", 1)[-1] == "rejected" and _acts(log, "E03", 2)[0] == "recorded"
    # E04 appointment: called 15–30 min ahead, arrived 3–5 min early, escalated
    appt = tk.loc["E04", "appointment_at"]
    assert tk.loc["E04", "mode"] == "appointment"
    assert 900 <= (appt - at("E04", "contacted")).total_seconds() <= 1800
    assert 180 <= (appt - at("E04", "arrived")).total_seconds() <= 300
    assert {"blocked", "escalated", "referred_to_meeting"} <= set(_acts(log, "E04"))
    # E05: misrouted, customer never reached
    e05 = _acts(log, "E05")
    assert "misrouted" in e05 and "callback" not in e05 and e05.count("callback_failed") == 2
    assert tk.loc["E05", "recognised_correctly"] == False  # noqa: E712
    # E06 answered at the desk; E07 still open
    assert _acts(log, "E06") == ["received", "recorded", "classified", "closed"]
    assert "closed" not in _acts(log, "E07")
    # times were written with +08:00 and are held in UTC
    assert log.events["timestamp"].min() == pd.Timestamp("2026-03-02T01:00:00Z")


def test_example_log_obeys_the_lifecycle() -> None:
    violations = validate_log(example_log())
    assert violations.empty, violations.to_string()
