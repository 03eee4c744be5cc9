"""What the recorder gives the web front end: the lifecycle ``level`` argument, a callback inside
the write transaction (rolled back with it), and the activities the lifecycle allows next."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from fcsim.recorder import Recorder, RecorderError
from fcsim.recorder.store import dump

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def at(s: float) -> datetime:
    return T0 + timedelta(seconds=s)


@pytest.fixture
def rec(tmp_path: Path) -> Any:
    r = Recorder(f"sqlite:///{tmp_path / 'r.sqlite'}")
    yield r
    r.close_connections()


def test_the_two_levels_of_the_one_lifecycle(rec: Recorder) -> None:
    """Live entry refuses a skipped stage; an import takes it (its clock becomes missing);
    both refuse what KPI.md itself forbids (an event after the close)."""
    rec.open_ticket("T1", category="engineering", received_at=T0, level="import")
    with pytest.raises(RecorderError, match="missing_prerequisite"):
        rec.append("T1", "dispatched", at(50), level="live")
    with pytest.raises(RecorderError, match="level 'lenient' is not one of live, import"):
        rec.append("T1", "recorded", at(40), level="lenient")
    assert rec.append("T1", "recorded", at(40), level="import") == 1
    assert rec.append("T1", "dispatched", at(50), level="import") == 2  # no classified
    assert rec.append("T1", "closed", at(60), level="import") == 3
    for level in ("live", "import"):
        with pytest.raises(RecorderError, match="event_after_close"):
            rec.append("T1", "arrived", at(70), level=level)
    assert "arrived" not in rec.allowed_activities("T1", at(70), level="import")


def test_in_transaction_callback_commits_and_rolls_back_with_the_write(rec: Recorder) -> None:
    seen: list[dict[str, Any]] = []
    rec.open_ticket("T1", category="engineering", received_at=T0,
                    in_transaction=lambda conn, r: seen.append(dict(r)))
    assert seen == [{"tid": 1, "ticket_id": "T1", "seq": 0}]
    before = dump(rec.engine)

    def fail(conn: Any, result: Any) -> None:
        raise RuntimeError("the callback failed")

    with pytest.raises(RuntimeError):
        rec.append("T1", "recorded", at(40), in_transaction=fail)
    assert dump(rec.engine) == before  # the event went with the callback
    rec.append("T1", "recorded", at(40), in_transaction=lambda conn, r: seen.append(dict(r)))
    assert seen[-1] == {"tid": 1, "ticket_id": "T1", "seq": 1, "attempt": 1,
                        "activity": "recorded", "timestamp": int(at(40).timestamp() * 1000)}
    cid = rec.correct("T1", action="void", seq=1, by="sup", reason="test",
                      in_transaction=lambda conn, r: seen.append(dict(r)))
    assert seen[-1] == {"tid": 1, "ticket_id": "T1", "cid": cid, "seq": 1}


def test_allowed_activities_are_what_append_accepts(rec: Recorder) -> None:
    rec.open_ticket("T1", category="engineering", received_at=T0)
    # after receipt (non-emergency): record it, or close it; interruptions may come anywhere
    assert rec.allowed_activities("T1", at(30)) == [
        "relayed", "recorded", "preempted", "handed_over", "closed"]
    rec.append("T1", "recorded", at(40))
    rec.append("T1", "classified", at(60))
    assert rec.allowed_activities("T1", at(70)) == [
        "misrouted", "dispatched", "preempted", "handed_over", "closed"]
    # every activity the answer leaves out is refused by append, every one it lists accepted
    allowed = set(rec.allowed_activities("T1", at(80)))
    for act in ("dispatched", "arrived", "blocked", "callback", "closed"):
        before = dump(rec.engine)
        try:
            rec.append("T1", act, at(80))
            accepted = True
        except RecorderError:
            accepted = False
        assert accepted == (act in allowed), act
        if accepted:  # undo by a fresh store state: void it
            rec.correct("T1", action="void", seq=len(before["events"]), by="t", reason="probe")
    rec.open_ticket("E", category="fire", emergency=True, received_at=T0)
    assert "emergency_reported" in rec.allowed_activities("E", at(10))
    with pytest.raises(RecorderError, match="no ticket"):
        rec.allowed_activities("nope", at(10))


def test_filtered_exports_are_exactly_a_part_of_the_whole(rec: Recorder) -> None:
    for tid in ("A", "B", "C", "D"):
        rec.open_ticket(tid, category="consultation", received_at=T0, contact=f"c-{tid}")
        rec.append(tid, "recorded", at(30))
    rec.close("A", at(100))  # closed
    rec.close("B", at(100))
    rec.correct("B", action="void", seq=2, by="sup", reason="closed by mistake")  # open again
    rec.close("C", at(900))  # closed later than the board's instant
    whole = rec.export()

    def plain(df: Any) -> Any:  # categories depend on the values present
        return df.astype({c: object for c in df.columns if df[c].dtype == "category"})

    def part(ids: list[str]) -> tuple[Any, Any]:
        ev = whole.events[whole.events["ticket_id"].isin(ids)].reset_index(drop=True)
        tk = whole.tickets[whole.tickets["ticket_id"].isin(ids)].reset_index(drop=True)
        return plain(ev), plain(tk)

    got = rec.export(open_at=at(200))
    # A is closed by then; B's close was voided (it has a correction); C closes later; D open
    ev, tk = part(["B", "C", "D"])
    assert plain(got.events).equals(ev) and plain(got.tickets).equals(tk)
    got = rec.export(ticket_ids=["D", "A"])
    ev, tk = part(["A", "D"])
    assert plain(got.events).equals(ev) and plain(got.tickets).equals(tk)
    assert len(rec.export(ticket_ids=[]).tickets) == 0
    anon = rec.export(anonymise=True, ticket_ids=["D"])
    assert anon.tickets["contact"].str.startswith("person-").all()
