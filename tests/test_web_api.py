"""The JSON API: a ticket carried to close through it (SQLite and PostgreSQL), the acting user as
resource, running clocks with hand-computed deadlines, lifecycle errors as JSON that write
nothing, Idempotency-Key (replay, reuse, in flight), the import level's authorisation."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pg import pg_server, store_url  # noqa: F401
from webtools import bearer, make_app

from fcsim.recorder.store import dump
from fcsim.web import ManualClock

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def iso(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat()


ORDER = {"category": "engineering", "received_at": iso(0), "source": "customer_call",
         "mode": "immediate", "emergency": False, "location": "B-1203",
         "content": "tap leaks", "contact": "Mr Wang", "phone": "13812345678"}
# (who, activity, seconds after receipt)
STEPS = [("desk-ann", "recorded", 40), ("desk-ann", "classified", 60),
         ("desk-ann", "dispatched", 100), ("tech-bo", "signed", 160),
         ("tech-bo", "arrived", 400), ("tech-bo", "diagnosed", 700),
         ("tech-bo", "planned", 820), ("tech-bo", "communicated", 900),
         ("tech-bo", "work_started", 920), ("tech-bo", "work_completed", 2400),
         ("tech-bo", "accepted", 2500), ("desk-ann", "slip_returned", 2700),
         ("desk-ann", "callback", 2760), ("desk-ann", "closed", 2800)]


@pytest.fixture
def world(store_url: str) -> Any:  # noqa: F811
    clock = ManualClock(T0)
    app, rec, tokens = make_app(store_url, clock)
    with TestClient(app) as client:
        yield client, rec, tokens, clock
    rec.close_connections()


@pytest.fixture
def sqlite_world(tmp_path: Any) -> Any:
    clock = ManualClock(T0)
    app, rec, tokens = make_app(f"sqlite:///{tmp_path / 'w.sqlite'}", clock)
    with TestClient(app) as client:
        yield client, rec, tokens, clock
    rec.close_connections()


def test_a_ticket_from_intake_to_close(world: Any) -> None:
    client, rec, tokens, clock = world
    r = client.post("/api/tickets", json={**ORDER, "ticket_id": "T1"},
                    headers=bearer(tokens["desk-ann"]))
    assert r.status_code == 201 and r.json() == {"id": 1, "ticket_id": "T1"}
    for who, act, s in STEPS:
        body: dict[str, Any] = {"activity": act, "timestamp": iso(s)}
        if act == "callback":
            body["facts"] = {"satisfied": True}
        r = client.post("/api/tickets/T1/events", json=body, headers=bearer(tokens[who]))
        assert r.status_code == 201, r.text
    ev = rec.export().events
    assert ev["activity"].astype(str).tolist() == ["received", *[a for _, a, _ in STEPS]]
    assert ev["resource"].astype(str).tolist() == ["desk-ann", *[w for w, _, _ in STEPS]]
    assert ev["role"].astype(str).tolist() == ["desk", *["technician" if w == "tech-bo"
                                                         else "desk" for w, _, _ in STEPS]]
    assert bool(rec.export().tickets["satisfied"][0])
    clock.set(T0 + timedelta(hours=1))
    got = client.get("/api/tickets/T1", headers=bearer(tokens["desk-ann"])).json()
    took = {c["control_point"]: (c["status"], c["duration_s"]) for c in got["clocks"]}
    assert took == {"record": ("met", 40.0), "dispatch": ("met", 60.0),
                    "on_site": ("met", 300.0), "plan": ("met", 120.0),
                    "callback": ("met", 60.0)}
    assert client.get("/api/tickets", headers=bearer(tokens["desk-ann"])).json()["tickets"] == []


def test_open_tickets_show_running_clocks(sqlite_world: Any) -> None:
    client, _, tokens, clock = sqlite_world
    h = bearer(tokens["desk-ann"])
    client.post("/api/tickets", json={**ORDER, "ticket_id": "A"}, headers=h)
    client.post("/api/tickets", json={**ORDER, "ticket_id": "B", "received_at": iso(30)},
                headers=h)
    client.post("/api/tickets/A/events", json={"activity": "recorded", "timestamp": iso(20)},
                headers=h)
    clock.set(T0 + timedelta(seconds=85))
    got = client.get("/api/tickets", headers=h).json()
    # A: dispatch clock from recorded at +20 s, ≤ 120 s → deadline +140 s, 55 s left (≤ 60)
    # B: record clock from receipt at +30 s, ≤ 60 s → deadline +90 s, 5 s left
    rows = {t["ticket_id"]: t["clocks"] for t in got["tickets"]}
    assert [t["ticket_id"] for t in got["tickets"]] == ["B", "A"]  # least time left first
    assert rows["A"] == [{"attempt": 1, "occurrence": 1, "control_point": "dispatch",
                          "state": "about_to_breach", "start": iso(20), "deadline": iso(140),
                          "remaining_s": 55.0, "upper_s": 120.0}]
    assert rows["B"][0]["control_point"] == "record" and rows["B"][0]["remaining_s"] == 5.0
    clock.set(T0 + timedelta(seconds=91))
    got = client.get("/api/tickets", headers=h).json()
    assert [(t["ticket_id"], t["clocks"][0]["state"]) for t in got["tickets"]] == [
        ("B", "breached"), ("A", "about_to_breach")]  # A: 49 s left


def test_refusals_are_json_and_write_nothing(sqlite_world: Any) -> None:
    client, rec, tokens, _ = sqlite_world
    h = bearer(tokens["desk-ann"])
    assert client.post("/api/tickets", json={**ORDER, "ticket_id": "T1"}, headers=h
                       ).status_code == 201
    before = dump(rec.engine)
    r = client.post("/api/tickets/T1/events", json={"activity": "dispatched",
                                                     "timestamp": iso(50)}, headers=h)
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "missing_prerequisite" and "nothing was written" in err["message"]
    assert err["violations"][0]["code"] == "missing_prerequisite"
    r = client.post("/api/tickets/NOPE/events", json={"activity": "recorded",
                                                       "timestamp": iso(50)}, headers=h)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = client.post("/api/tickets", json={**ORDER, "ticket_id": "T1"}, headers=h)
    assert r.status_code == 409 and r.json()["error"]["code"] == "ticket_exists"
    r = client.post("/api/tickets/T1/events", json={"activity": "recorded",
                                                     "timestamp": "2026-03-02T08:00:40"},
                    headers=h)
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"
    r = client.post("/api/tickets", json={**ORDER, "category": "gardening"}, headers=h)
    assert r.status_code == 422 and "not in the taxonomy" in r.json()["error"]["message"]
    # a technician may not record a desk step; nothing written either
    r = client.post("/api/tickets/T1/events", json={"activity": "closed", "timestamp":
                                                     iso(50)}, headers=bearer(tokens["tech-bo"]))
    assert r.status_code == 403
    assert dump(rec.engine)["events"] == before["events"]
    assert dump(rec.engine)["tickets"] == before["tickets"]


def test_idempotency_key_replays_and_refuses_reuse(sqlite_world: Any) -> None:
    client, rec, tokens, _ = sqlite_world
    h = bearer(tokens["desk-ann"])
    first = client.post("/api/tickets", json=ORDER, headers={**h, "Idempotency-Key": "t-1"})
    again = client.post("/api/tickets", json=ORDER, headers={**h, "Idempotency-Key": "t-1"})
    assert first.status_code == again.status_code == 201
    assert again.content == first.content and again.headers["idempotent-replayed"] == "true"
    assert rec.ticket_count() == 1
    tid = first.json()["ticket_id"]
    ev = {"activity": "recorded", "timestamp": iso(40)}
    a = client.post(f"/api/tickets/{tid}/events", json=ev, headers={**h, "Idempotency-Key": "e"})
    b = client.post(f"/api/tickets/{tid}/events", json=ev, headers={**h, "Idempotency-Key": "e"})
    assert a.status_code == b.status_code == 201 and a.content == b.content
    assert len(rec.export().events) == 2
    # the same key with another request is refused
    r = client.post(f"/api/tickets/{tid}/events", json={**ev, "timestamp": iso(41)},
                    headers={**h, "Idempotency-Key": "e"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "idempotency_key_reused"
    # a refused request releases its key: after the prerequisite, the same request succeeds
    dis = {"activity": "dispatched", "timestamp": iso(90)}
    r = client.post(f"/api/tickets/{tid}/events", json=dis, headers={**h, "Idempotency-Key": "d"})
    assert r.status_code == 422
    client.post(f"/api/tickets/{tid}/events", json={"activity": "classified",
                                                    "timestamp": iso(60)}, headers=h)
    r = client.post(f"/api/tickets/{tid}/events", json=dis, headers={**h, "Idempotency-Key": "d"})
    assert r.status_code == 201 and r.json()["seq"] == 3
    # keys belong to their account: another user's same key is a new request
    r = client.post(f"/api/tickets/{tid}/events", json={"activity": "signed",
                                                        "timestamp": iso(120)},
                    headers=bearer(tokens["tech-bo"], **{"Idempotency-Key": "e"}))
    assert r.status_code == 201 and r.json()["seq"] == 4


def test_in_flight_retry_gets_409_then_the_original(sqlite_world: Any,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    client, rec, tokens, _ = sqlite_world
    h = bearer(tokens["desk-ann"])
    client.post("/api/tickets", json={**ORDER, "ticket_id": "T1"}, headers=h)
    entered, release = threading.Event(), threading.Event()
    original = rec.append

    def slow_append(*args: Any, **kwargs: Any) -> int:
        entered.set()
        assert release.wait(10)
        return original(*args, **kwargs)

    monkeypatch.setattr(rec, "append", slow_append)
    ev = {"activity": "recorded", "timestamp": iso(40)}
    hk = {**h, "Idempotency-Key": "slow"}
    results: list[Any] = []
    t = threading.Thread(target=lambda: results.append(
        client.post("/api/tickets/T1/events", json=ev, headers=hk)))
    t.start()
    assert entered.wait(10)
    with TestClient(client.app) as other:
        during = other.post("/api/tickets/T1/events", json=ev, headers=hk)
    release.set()
    t.join(10)
    assert during.status_code == 409 and during.json()["error"]["code"] == "request_in_flight"
    assert results[0].status_code == 201
    monkeypatch.setattr(rec, "append", original)
    after = client.post("/api/tickets/T1/events", json=ev, headers=hk)
    assert after.status_code == 201 and after.content == results[0].content
    assert rec.export().events["activity"].astype(str).tolist() == ["received", "recorded"]


@pytest.mark.parametrize("who,allowed", [
    ("admin-ed", True), ("sys-erp", True), ("desk-ann", False), ("tech-bo", False),
    ("sup-cy", False), ("mgr-di", False)])
def test_import_level_is_for_admin_and_integration(sqlite_world: Any, who: str,
                                                   allowed: bool) -> None:
    client, _, tokens, _ = sqlite_world
    h = bearer(tokens[who])
    if not allowed:
        for body in (ORDER, {}, None):  # refused before the body is even read
            r = client.post("/api/tickets?level=import", json=body, headers=h)
            assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
        r = client.post("/api/tickets/T1/events?level=import", content=b"{not json",
                        headers={**h, "Content-Type": "application/json"})
        assert r.status_code == 403
        return
    r = client.post("/api/tickets?level=import", json={**ORDER, "ticket_id": "T1"}, headers=h)
    assert r.status_code == 201
    r = client.post("/api/tickets/T1/events?level=import", json={
        "activity": "recorded", "timestamp": iso(40), "role": "desk"}, headers=h)
    assert r.status_code == 201
    r = client.post("/api/tickets/T1/events?level=lenient", json={
        "activity": "classified", "timestamp": iso(50)}, headers=h)
    assert r.status_code == 422


def test_indicators_and_openapi(sqlite_world: Any) -> None:
    client, _, tokens, clock = sqlite_world
    h = bearer(tokens["mgr-di"])
    client.post("/api/tickets", json={**ORDER, "ticket_id": "T1"}, headers=bearer(
        tokens["desk-ann"]))
    client.post("/api/tickets/T1/events", json={"activity": "recorded", "timestamp": iso(75)},
                headers=bearer(tokens["desk-ann"]))
    clock.set(T0 + timedelta(minutes=10))
    got = client.get("/api/indicators?window=today", headers=h).json()
    rows = {r["indicator"]: r for r in got["indicators"]}
    # the record clock took 75 s > 60 s: one ticket, breached → timeliness 0/1
    assert (rows["timeliness"]["numerator"], rows["timeliness"]["denominator"]) == (0, 1)
    assert got["window"]["start"] == "2026-03-02T00:00:00+00:00"
    window = f"{iso(3600)}/{iso(7200)}".replace("+", "%2B")
    got = client.get(f"/api/indicators?window={window}", headers=h).json()
    assert {r["indicator"]: r["denominator"] for r in got["indicators"]}["timeliness"] == 0
    r = client.get("/api/indicators?window=fortnight", headers=h)
    assert r.status_code == 422 and "window" in r.json()["error"]["message"]
    spec = client.get("/api/openapi.json").json()
    assert {"/api/tickets", "/api/tickets/{ticket_id}/events",
            "/api/tickets/{ticket_id}/corrections", "/api/indicators"} <= set(spec["paths"])
    post = spec["paths"]["/api/tickets/{ticket_id}/corrections"]["post"]
    assert post["x-fcsim-guard"] == {"permission": "correct", "kind": "api"}


@pytest.mark.parametrize("activity", ["recorded", "callback_failed"])
def test_a_retry_in_another_worker_process_is_stored_once(tmp_path: Any, activity: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Two apps on one store stand for two worker processes (their in-flight sets differ). The
    first request stalls before its write; the retry, in the other worker, writes; the first
    then finds the key stored — refused by the lifecycle (``recorded`` twice) or rolled back by
    the key's primary key (``callback_failed`` may repeat) — and answers with that response."""
    from fcsim.web import WebSettings, create_app

    clock = ManualClock(T0)
    app1, rec, tokens = make_app(f"sqlite:///{tmp_path / 'w.sqlite'}", clock)
    app2 = create_app(rec.url, WebSettings(clock=clock))
    h = bearer(tokens["desk-ann"])
    with TestClient(app1) as c1, TestClient(app2) as c2:
        c1.post("/api/tickets", json={**ORDER, "ticket_id": "T1"}, headers=h)
        if activity == "callback_failed":
            for who, act, s in STEPS[:12]:
                c1.post("/api/tickets/T1/events", json={"activity": act, "timestamp": iso(s)},
                        headers=bearer(tokens[who]))
        entered, release = threading.Event(), threading.Event()
        original = rec.append

        def slow_append(*args: Any, **kwargs: Any) -> int:
            entered.set()
            assert release.wait(10)
            return original(*args, **kwargs)

        monkeypatch.setattr(rec, "append", slow_append)
        ev = {"activity": activity, "timestamp": iso(3000)}
        hk = {**h, "Idempotency-Key": "twice"}
        first: list[Any] = []
        t = threading.Thread(target=lambda: first.append(
            c1.post("/api/tickets/T1/events", json=ev, headers=hk)))
        t.start()
        assert entered.wait(10)
        second = c2.post("/api/tickets/T1/events", json=ev, headers=hk)
        release.set()
        t.join(10)
    assert second.status_code == 201 and "idempotent-replayed" not in second.headers
    assert first[0].status_code == 201 and first[0].content == second.content
    assert first[0].headers["idempotent-replayed"] == "true"
    acts = rec.export().events["activity"].astype(str).tolist()
    assert acts.count(activity) == 1


def test_manager_downloads_tables_and_an_anonymised_log(sqlite_world: Any) -> None:
    import io
    import zipfile

    from webtools import login

    client, _, tokens, clock = sqlite_world
    client.post("/api/tickets", json={**ORDER, "ticket_id": "T1"},
                headers=bearer(tokens["desk-ann"]))
    clock.set(T0 + timedelta(minutes=10))
    login(client, "mgr-di")
    page = client.get("/manager")
    assert page.status_code == 200 and 'data-indicator="timeliness"' in page.text
    csv = client.get("/manager/periods.csv?period=month")
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0].startswith("period_start,period_end,partial,indicator")
    z = zipfile.ZipFile(io.BytesIO(client.get("/manager/export.zip").content))
    assert sorted(z.namelist()) == ["fcsim-log/events.csv.gz", "fcsim-log/tickets.csv.gz"]
    import gzip

    text = "".join(gzip.decompress(z.read(n)).decode() for n in z.namelist())
    assert "person-" in text and "staff-" in text
    for personal in ("Mr Wang", "13812345678", "B-1203", "desk-ann"):
        assert personal not in text


def test_serve_workers_read_their_settings_from_the_environment(
        tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from fcsim.web.app import ENV_PREFIX, from_environment

    monkeypatch.setenv(ENV_PREFIX + "DB", f"sqlite:///{tmp_path / 'e.sqlite'}")
    monkeypatch.setenv(ENV_PREFIX + "TZ", "+08:00")
    monkeypatch.setenv(ENV_PREFIX + "POLL_S", "2.5")
    monkeypatch.setenv(ENV_PREFIX + "SECURE_COOKIES", "1")
    s = from_environment().state.web.settings
    assert (s.tz.utcoffset(None), s.poll_s, s.secure_cookies) == (timedelta(hours=8), 2.5, True)
