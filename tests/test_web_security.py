"""Security: every role boundary (pages and API, before the body), CSRF on every form, script
and HTML payloads in every text field rendered escaped, SQL-looking input stored literally,
401s that reveal nothing, cookies and headers."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from webtools import PASSWORDS, ROLES, bearer, csrf_of, login, make_app

from fcsim.recorder.store import dump
from fcsim.web import ManualClock

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
ORDER = {"category": "engineering", "received_at": T0.isoformat(), "source": "customer_call",
         "location": "B-1203", "content": "tap leaks", "contact": "Wang", "phone": "138"}
EVERYONE = set(ROLES)
DESKS = {"desk-ann", "sup-cy", "mgr-di", "admin-ed"}
# (method, path, kind, who may) — written out here, independently of fcsim.model.access
ROUTES = [
    ("GET", "/board", "page", DESKS | {"sys-erp"}),
    ("GET", "/board/rows", "page", DESKS | {"sys-erp"}),
    ("GET", "/tickets/new", "page", DESKS | {"sys-erp"}),
    ("POST", "/tickets/new", "form", DESKS | {"sys-erp"}),
    ("GET", "/tickets/T1", "page", EVERYONE),
    ("GET", "/tickets/T1/clocks", "page", EVERYONE),
    ("POST", "/tickets/T1/events", "form", EVERYONE),
    ("POST", "/tickets/T1/corrections", "form", DESKS),
    ("GET", "/jobs", "page", {"tech-bo", "admin-ed"}),
    ("GET", "/supervisor", "page", {"sup-cy", "mgr-di", "admin-ed"}),
    ("GET", "/manager", "page", {"mgr-di", "admin-ed"}),
    ("GET", "/manager/periods.csv", "page", {"mgr-di", "admin-ed"}),
    ("GET", "/manager/export.zip", "page", {"mgr-di", "admin-ed"}),
    ("POST", "/api/tickets", "api", DESKS | {"sys-erp"}),
    ("POST", "/api/tickets/T1/events", "api", EVERYONE),
    ("POST", "/api/tickets/T1/corrections", "api", DESKS),
    ("GET", "/api/tickets", "api", DESKS | {"sys-erp"}),
    ("GET", "/api/tickets/T1", "api", EVERYONE),
    ("GET", "/api/indicators", "api", {"sup-cy", "mgr-di", "admin-ed", "sys-erp"}),
]
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
RAW = ("<script>alert", "<img src=x onerror", "<svg onload")


@pytest.fixture
def world(tmp_path: Any) -> Any:
    clock = ManualClock(T0 + timedelta(minutes=5))
    app, rec, tokens = make_app(f"sqlite:///{tmp_path / 's.sqlite'}", clock)
    rec.open_ticket("T1", category="engineering", received_at=T0, location="B", content="c",
                    resource="desk-ann")
    yield app, rec, tokens
    rec.close_connections()


def _allowed_body(path: str, kind: str) -> dict[str, Any]:
    """A body that passes every role check but is refused further on (422, nothing written)."""
    if path.endswith("/events"):
        return {"activity": "arrived", "timestamp": T0.isoformat()} if kind == "api" else {
            "activity": "arrived"}
    if path.endswith("/corrections"):
        return {"action": "void", "seq": 99, "reason": "r"} if kind == "api" else {
            "seq": "x", "action": "void", "reason": "r"}
    return {"bogus": 1} if kind == "api" else {"category": ""}


@pytest.mark.parametrize("who", sorted(ROLES))
def test_every_role_boundary(world: Any, who: str) -> None:
    app, rec, tokens = world
    before = dump(rec.engine)
    with TestClient(app) as c:
        csrf = login(c, who)
        for method, path, kind, may in ROUTES:
            if kind == "api":
                if method == "GET":
                    r = c.get(path, headers=bearer(tokens[who]))
                elif who in may:
                    r = c.post(path, json=_allowed_body(path, kind), headers=bearer(tokens[who]))
                else:  # refused whatever the body, even one that is not JSON
                    r = c.post(path, content=b"{not json", headers={
                        **bearer(tokens[who]), "Content-Type": "application/json"})
            elif method == "GET":
                r = c.get(path, follow_redirects=False)
            else:
                data = _allowed_body(path, kind) if who in may else {"junk": "x"}
                r = c.post(path, data={**data, "csrf": csrf}, follow_redirects=False)
            if who in may:
                assert r.status_code in (200, 422), (who, method, path, r.status_code)
            else:
                assert r.status_code == 403, (who, method, path, r.status_code)
    after = dump(rec.engine)
    for table in ("tickets", "events", "corrections"):
        assert after[table] == before[table], table


def test_technician_gets_403_on_a_correction_whatever_the_body(world: Any) -> None:
    app, rec, tokens = world
    h = bearer(tokens["tech-bo"])
    with TestClient(app) as c:
        for kwargs in ({"json": {"action": "void", "seq": 0, "reason": "typo"}}, {"json": {}},
                       {"content": b"\x00\xff", "headers": {**h, "Content-Type": "text/plain"}},
                       {"content": b"{", "headers": {**h, "Content-Type": "application/json"}}):
            r = c.post("/api/tickets/T1/corrections", **{"headers": h, **kwargs})
            assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
        csrf = login(c, "tech-bo")
        r = c.post("/tickets/T1/corrections", data={"csrf": csrf, "seq": "0", "action": "void",
                                                    "reason": "typo"})
        assert r.status_code == 403
    assert not dump(rec.engine)["corrections"]


def test_unauthenticated_and_wrong_secrets_get_401_revealing_nothing(world: Any) -> None:
    app, _, tokens = world
    with TestClient(app) as c:
        bodies = set()
        for headers in ({}, {"Authorization": "Bearer fct_wrong"},
                        {"Authorization": "Bearer " + tokens["desk-ann"][:-2] + "xx"},
                        {"Authorization": "Basic ZGVzazpwdw=="}, {"Authorization": "Bearer"}):
            r = c.get("/api/tickets", headers=headers)
            assert r.status_code == 401
            bodies.add(r.content)
        assert len(bodies) == 1 and b"desk" not in next(iter(bodies))
        r = c.get("/board", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login?next=/board"
        r = c.post("/tickets/T1/events", data={"activity": "recorded"})
        assert r.status_code == 401

        def attempt(name: str, password: str) -> Any:
            page = c.get("/login")
            return c.post("/login", data={"name": name, "password": password,
                                          "csrf": csrf_of(page.text)}, follow_redirects=False)

        unknown = attempt("nobody", "whatever-1")
        wrong = attempt("desk-ann", "not-her-password")
        assert unknown.status_code == wrong.status_code == 401
        strip = re.compile(r'value="[A-Za-z0-9_-]{43}"')
        assert strip.sub("", unknown.text) == strip.sub("", wrong.text)
        assert "fcsim_session" not in wrong.headers.get("set-cookie", "")
        assert "desk-ann" not in wrong.text


def test_forms_need_the_sessions_csrf_token(world: Any) -> None:
    app, rec, _ = world
    before = dump(rec.engine)
    with TestClient(app) as ann, TestClient(app) as cy:
        login(ann, "desk-ann")
        other = login(cy, "sup-cy")
        for data in ({"activity": "recorded"}, {"activity": "recorded", "csrf": ""},
                     {"activity": "recorded", "csrf": "forged"},
                     {"activity": "recorded", "csrf": other}):  # another session's token
            r = ann.post("/tickets/T1/events", data=data)
            assert r.status_code == 403 and "CSRF" in r.text
        r = ann.post("/tickets/new", data={"location": "x", "content": "y"})
        assert r.status_code == 403
        r = ann.post("/logout", data={})
        assert r.status_code == 403
        # logging in needs the login page's token too (login CSRF)
        fresh = TestClient(app)
        r = fresh.post("/login", data={"name": "desk-ann", "password": PASSWORDS["desk-ann"]},
                       follow_redirects=False)
        assert r.status_code == 403
    assert dump(rec.engine)["events"] == before["events"]


def test_payloads_in_every_text_field_render_escaped(world: Any) -> None:
    app, rec, tokens = world
    from webtools import cheap_hasher

    from fcsim.recorder.accounts import Accounts

    evil_tech = '<img src=x onerror=alert("tech")>'
    Accounts(rec.engine, hasher=cheap_hasher()).add(evil_tech, "technician", "tech-pass-2",
                                                    department="engineering")
    tid = "X'\"><svg onload=alert(3)>"
    with TestClient(app) as desk, TestClient(app) as tech, TestClient(app) as mgr:
        csrf = login(desk, "desk-ann")
        r = desk.post("/tickets/new", data={
            "csrf": csrf, "ticket_id": tid, "location": XSS, "content": XSS, "contact": XSS,
            "phone": XSS, "category": "engineering", "source": "customer_call",
            "mode": "immediate"}, follow_redirects=False)
        assert r.status_code == 303
        path = r.headers["location"]
        for act in ("recorded", "classified", "dispatched"):
            assert desk.post(path + "/events", data={"csrf": csrf, "activity": act}).status_code \
                == 200
        tech_csrf = login(tech, evil_tech, "tech-pass-2")
        assert tech.post(path + "/events", data={"csrf": tech_csrf, "activity": "signed"}
                         ).status_code == 200
        desk.post(path + "/events", data={"csrf": csrf, "activity": "__other__",
                                          "other": "arrived", "materials": XSS})
        desk.post(path + "/corrections", data={"csrf": csrf, "seq": "1", "action": "amend",
                                               "field": "resource", "value": XSS,
                                               "reason": XSS})
        refused = desk.post("/tickets/new", data={"csrf": csrf, "category": XSS,
                                                  "location": XSS, "content": XSS})
        assert refused.status_code == 422
        login(mgr, "mgr-di")
        pages = {
            "board": desk.get("/board").text, "rows": desk.get("/board/rows").text,
            "ticket": desk.get(path).text, "clocks": desk.get(path + "/clocks").text,
            "jobs": tech.get("/jobs").text, "supervisor": mgr.get("/supervisor").text,
            "refused": refused.text,
            "login": TestClient(app).get('/login?next=/"><script>alert(1)</script>').text,
        }
        # the API returns the same strings literally, as data
        stored = desk.get("/api/tickets/" + path.removeprefix("/tickets/"),
                          headers=bearer(tokens["desk-ann"])).json()
    assert stored["ticket"]["content"] == XSS and stored["ticket"]["ticket_id"] == tid
    for name, html in pages.items():
        for raw in (*RAW, evil_tech):
            assert raw not in html, (name, raw)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in pages["ticket"]
    assert pages["ticket"].count("&lt;img src=x onerror=alert(1)&gt;") >= 5
    assert "&lt;svg onload=alert(3)&gt;" in pages["board"]
    assert "&lt;img src=x onerror=alert(&#34;tech&#34;)&gt;" in pages["jobs"]


def test_sql_looking_input_is_stored_literally(world: Any) -> None:
    app, rec, tokens = world
    h = bearer(tokens["desk-ann"])
    sql = "'; DROP TABLE events; --"
    with TestClient(app) as c:
        r = c.post("/api/tickets", json={**ORDER, "ticket_id": "T2' OR '1'='1",
                                         "content": sql, "location": 'Robert"); DELETE --'},
                   headers=h)
        assert r.status_code == 201
        got = c.get("/api/tickets/T2' OR '1'='1", headers=h).json()["ticket"]
        assert (got["content"], got["location"]) == (sql, 'Robert"); DELETE --')
        r = c.get("/api/tickets/x' OR '1'='1", headers=h)
        assert r.status_code == 404
    tickets = rec.export().tickets
    assert tickets["ticket_id"].astype(str).tolist() == ["T1", "T2' OR '1'='1"]
    assert len(rec.export().events) == 2


def test_cookies_and_headers(world: Any) -> None:
    app, _, _ = world
    with TestClient(app) as c:
        page = c.get("/login")
        assert "HttpOnly" in page.headers["set-cookie"]
        r = c.post("/login", data={"name": "desk-ann", "password": PASSWORDS["desk-ann"],
                                   "csrf": csrf_of(page.text)}, follow_redirects=False)
        cookie = r.headers["set-cookie"]
        assert "fcsim_session=" in cookie and "HttpOnly" in cookie
        assert "samesite=strict" in cookie.lower()
        board = c.get("/board")
        csp = board.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert board.headers["x-content-type-options"] == "nosniff"
        assert "<script>" not in board.text.replace('<script src="/static/app.js" defer>', "")
