"""``fcsim users``: accounts with argon2id passwords, API tokens shown once and stored hashed,
disabling that stops password, tokens and sessions at once; nothing secret in logs."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest

from fcsim.cli import main
from fcsim.recorder import Recorder
from fcsim.recorder.accounts import AccountError, Accounts
from fcsim.recorder.store import dump


def _users(monkeypatch: pytest.MonkeyPatch, db: str, *args: str, stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(["users", "--db", db, *args])


def test_cli_adds_tokens_and_disables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str],
                                      caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    db = f"sqlite:///{tmp_path / 'u.sqlite'}"
    password = "correct horse battery"
    assert _users(monkeypatch, db, "add", "ann", "--role", "desk",
                  stdin=password + "\nnext line ignored\n") == 0
    assert _users(monkeypatch, db, "add", "bo", "--role", "technician", "--department",
                  "engineering", stdin="tech-pass-1\n") == 0
    capsys.readouterr()
    assert _users(monkeypatch, db, "token", "ann") == 0
    out = capsys.readouterr().out
    token = out.rstrip("\n").splitlines()[-1]
    assert token.startswith("fct_") and " " not in token and len(token) > 40

    acc = Accounts(Recorder(db).engine)
    ann = acc.verify_password("ann", password)
    assert ann is not None and (ann.role, ann.department) == ("desk", None)
    assert acc.verify_password("ann", "next line ignored") is None
    assert acc.verify_password("ann", password + "x") is None
    assert acc.user_for_token(token) == ann
    bo = acc.get("bo")
    assert bo is not None and bo.department == "engineering"
    # stored: an argon2id hash and the token's SHA-256, never the secrets themselves
    rows = repr(dump(acc.engine))
    assert "$argon2id$" in rows
    for secret in (password, token, token.removeprefix("fct_")):
        assert secret not in rows
    cookie, _ = acc.new_session(ann)
    assert cookie not in repr(dump(acc.engine)) and acc.session(cookie) is not None

    assert _users(monkeypatch, db, "list") == 0
    assert "ann\tdesk\tenabled" in capsys.readouterr().out
    assert _users(monkeypatch, db, "disable", "ann") == 0
    assert acc.verify_password("ann", password) is None
    assert acc.user_for_token(token) is None
    assert acc.session(cookie) is None
    # nothing secret went to the logs or the terminal
    capsys.readouterr()
    logged = caplog.text
    for secret in (password, "tech-pass-1", cookie):
        assert secret not in logged


def test_cli_refuses_bad_accounts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path / 'u.sqlite'}"
    assert _users(monkeypatch, db, "add", "ann", "--role", "desk", stdin="short\n") == 2
    assert "at least 8 characters" in capsys.readouterr().err
    assert _users(monkeypatch, db, "add", "ann", "--role", "desk", stdin="long enough\n") == 0
    assert _users(monkeypatch, db, "add", "ann", "--role", "desk", stdin="long enough\n") == 2
    assert "already exists" in capsys.readouterr().err
    assert _users(monkeypatch, db, "token", "nobody") == 2
    assert _users(monkeypatch, db, "disable", "nobody") == 2
    with pytest.raises(SystemExit):
        _users(monkeypatch, db, "add", "x", "--role", "owner", stdin="long enough\n")
    acc = Accounts(Recorder(db).engine)
    with pytest.raises(AccountError, match="control characters"):
        acc.add("bad\nname", "desk", "long enough")
    assert acc.user_for_token("not-a-token") is None
    assert acc.user_for_token("fct_" + "A" * 43) is None
