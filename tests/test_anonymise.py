"""Anonymised export: keyed pseudonyms for every personal field (staff included), free text
scrubbed or dropped, a per-store key that never leaves the store — and a brute-force attack
over a mobile prefix that recovers the old unkeyed pseudonym but not the new one."""

from __future__ import annotations

import gzip
import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from fcsim.cli import main
from fcsim.eventlog import read_log
from fcsim.recorder import Recorder, RecorderError
from fcsim.recorder.store import STORE_SECRETS

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
PHONE = "13812345678"
PREFIX = "1381234"  # what an attacker knows: a mobile prefix; 10^4 numbers to try
CONTENT = ("call him on 138 1234 5678 or mail wang.li@example.com; Mr Wang in B-1203 "
           "asks for desk-ann. Due 2026-03-02, room 12.")


def _hmac(key: bytes, field: str, value: str) -> str:
    return hmac.new(key, f"{field}\x00{value}".encode(), hashlib.sha256).hexdigest()[:16]


def _old_pseudonym(value: str, salt: str = "") -> str:
    """The previous export's pseudonym: an unsalted (empty-salt) SHA-256, 12 hex digits."""
    return "anon-" + hashlib.sha256(f"{salt}\x00{value}".encode()).hexdigest()[:12]


def _store(tmp_path: Path, name: str = "r.sqlite") -> Recorder:
    rec = Recorder(f"sqlite:///{tmp_path / name}")
    rec.open_ticket("T1", category="engineering", received_at=T0, location="B-1203",
                    content=CONTENT, contact="Mr Wang", phone=PHONE, resource="desk-ann",
                    by="desk-ann")
    rec.append("T1", "recorded", T0 + timedelta(seconds=40), resource="desk-ann", role="desk")
    rec.append("T1", "classified", T0 + timedelta(seconds=60), resource="desk-ann",
               role="desk")
    return rec


def _key(rec: Recorder) -> bytes:
    with rec.engine.connect() as conn:
        return bytes.fromhex(conn.execute(select(STORE_SECRETS.c.value)).scalar_one())


def _candidates() -> list[str]:
    return [f"{PREFIX}{i:04d}" for i in range(10_000)]


def _brute_force(pseudonym: str) -> str | None:
    """Try every number of the prefix under every unkeyed scheme a reader might guess."""
    digest = pseudonym.split("-", 1)[1]
    schemes = [
        lambda v: hashlib.sha256(v.encode()).hexdigest(),
        lambda v: hashlib.sha256(f"\x00{v}".encode()).hexdigest(),
        lambda v: hashlib.sha256(f"phone\x00{v}".encode()).hexdigest(),
        lambda v: hashlib.md5(v.encode()).hexdigest(),
        lambda v: hashlib.sha1(v.encode()).hexdigest(),
        lambda v: hmac.new(b"", f"phone\x00{v}".encode(), hashlib.sha256).hexdigest(),
    ]
    for scheme in schemes:
        for v in _candidates():
            if scheme(v).startswith(digest):
                return v
    return None


def test_the_attack_recovers_an_unkeyed_pseudonym() -> None:
    # the control: the brute force works on the old scheme, so its failure below means something
    assert _brute_force(_old_pseudonym(PHONE)) == PHONE


def test_a_phone_number_cannot_be_recovered_from_the_export(tmp_path: Path) -> None:
    rec = _store(tmp_path)
    tk = rec.export(anonymise=True).tickets
    pseudonym = str(tk["phone"][0])
    assert pseudonym.startswith("phone-") and PHONE not in pseudonym
    assert _brute_force(pseudonym) is None
    # it is HMAC-SHA256 under the store's own key: with the key it is reproducible
    assert pseudonym == "phone-" + _hmac(_key(rec), "phone", PHONE)


def test_every_personal_field_is_pseudonymised_and_free_text_scrubbed(tmp_path: Path) -> None:
    rec = _store(tmp_path)
    log = rec.export(anonymise=True)
    key = _key(rec)
    person, place = "person-" + _hmac(key, "contact", "Mr Wang"), "place-" + _hmac(
        key, "location", "B-1203")
    staff = "staff-" + _hmac(key, "resource", "desk-ann")
    tk = log.tickets.iloc[0]
    assert (tk["contact"], tk["location"]) == (person, place)
    assert set(log.events["resource"].astype(str)) == {staff}
    assert tk["content"] == (f"call him on [phone] or mail [email]; {person} in {place} asks "
                             f"for {staff}. Due 2026-03-02, room 12.")
    # nothing else changes
    plain = rec.export()
    for col in ("category", "department", "emergency", "mode", "source"):
        assert plain.tickets[col].equals(log.tickets[col])
    assert plain.events.drop(columns="resource").equals(log.events.drop(columns="resource"))
    # stable within the store, different in another store (its own key)
    assert rec.export(anonymise=True).equals(log)
    other = _store(tmp_path, "other.sqlite")
    assert other.export(anonymise=True).tickets["phone"][0] != tk["phone"]


def test_free_text_can_be_dropped(tmp_path: Path) -> None:
    rec = _store(tmp_path)
    rec.append("T1", "dispatched", T0 + timedelta(seconds=90), resource="desk-ann")
    tk = rec.export(anonymise=True, drop_free_text=True).tickets
    assert tk["content"].isna().all() and tk["materials"].isna().all()
    with pytest.raises(RecorderError, match="anonymised"):
        rec.export(drop_free_text=True)


def test_cli_export_holds_no_personal_data_and_no_key(tmp_path: Path) -> None:
    rec = _store(tmp_path)
    out = tmp_path / "out"
    db = ["record", "--db", rec.url]
    assert main([*db, "export", str(out), "--anonymise"]) == 0
    key_hex = _key(rec).hex()
    text = "".join(gzip.decompress(f.read_bytes()).decode() for f in sorted(out.glob("*.gz")))
    for secret in (PHONE, "12345678", "Mr Wang", "B-1203", "desk-ann", "wang.li@", key_hex):
        assert secret not in text, secret
    assert main([*db, "export", str(tmp_path / "d"), "--anonymise", "--drop-free-text"]) == 0
    assert read_log(tmp_path / "d").tickets["content"].isna().all()


def test_scrubbing_leaves_pseudonyms_whole() -> None:
    from fcsim.recorder.anonymise import scrub_text

    known = {"Mr Wang": "person-90172198deadbeef", "B-1203": "place-1234567890abcdef"}
    assert scrub_text("Mr Wang (tel. +86 138-1234-5678) in B-1203 at 08:30", known) == (
        "person-90172198deadbeef (tel. [phone]) in place-1234567890abcdef at 08:30")
    assert scrub_text(None, known) is None
