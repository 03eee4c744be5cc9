"""Helpers for the web tests: a live server in a thread, accounts, a ticket's way to close."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

PASSWORDS = {
    "desk-ann": "desk-pass-1", "tech-bo": "tech-pass-1", "sup-cy": "sup-pass-1",
    "mgr-di": "mgr-pass-1", "admin-ed": "admin-pass-1", "sys-erp": "sys-pass-1",
}
ROLES = {
    "desk-ann": "desk", "tech-bo": "technician", "sup-cy": "supervisor", "mgr-di": "manager",
    "admin-ed": "admin", "sys-erp": "integration",
}


def cheap_hasher() -> Any:
    """argon2id with small parameters, so that tests creating many accounts stay fast."""
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)


def add_people(accounts: Any) -> dict[str, str]:
    """One account per role; returns name -> API token."""
    tokens = {}
    for name, role in ROLES.items():
        accounts.add(name, role, PASSWORDS[name],
                     department="engineering" if role == "technician" else None)
        tokens[name] = accounts.new_token(name)
    return tokens


@contextmanager
def live_server(app: Any) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free port in a thread; yields the base URL."""
    import uvicorn

    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                            lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def make_app(url: str, clock: Any, **settings: Any) -> tuple[Any, Any, dict[str, str]]:
    """A recorder on ``url``, one account per role, and the app; returns (app, rec, tokens)."""
    from fcsim.recorder import Recorder
    from fcsim.recorder.accounts import Accounts
    from fcsim.web import WebSettings, create_app

    rec = Recorder(url)
    acc = Accounts(rec.engine, hasher=cheap_hasher())
    tokens = add_people(acc)
    app = create_app(rec, WebSettings(clock=clock, **settings), accounts=acc)
    return app, rec, tokens


def bearer(token: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **headers}


def csrf_of(html: str) -> str:
    import re

    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF field on the page"
    return m.group(1)


def login(client: Any, name: str, password: str | None = None) -> str:
    """Sign ``client`` in as ``name``; returns the session's CSRF token."""
    page = client.get("/login")
    r = client.post("/login", data={"name": name, "password": password or PASSWORDS[name],
                                    "csrf": csrf_of(page.text), "next": "/"},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    home = client.get(r.headers["location"])
    return csrf_of(home.text)
