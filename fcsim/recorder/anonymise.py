"""Anonymised export: keyed pseudonyms of every personal field, and free text scrubbed.

What leaves the store with ``export(anonymise=True)``:

* ``contact``, ``phone``, ``location`` (tickets) and ``resource`` (events, i.e. staff names)
  are replaced by pseudonyms ``person-…``, ``phone-…``, ``place-…``, ``staff-…``: the first 16
  hex digits of HMAC-SHA256 under a per-store secret key (:func:`store_key`) that is kept in
  the store's ``store_secrets`` table and never exported. The same value gets the same
  pseudonym within a store (so "how many requests from room 1203" can still be counted), but
  without the key a pseudonym cannot be reversed by trying candidates: an 11-digit phone number
  has few enough candidates to brute-force any *unkeyed* hash in seconds.
* Free text (``content``, ``materials``) is scrubbed: e-mail addresses become ``[email]``,
  phone-like digit runs (7 or more digits, with spaces, dots, dashes, brackets or a leading
  ``+``; ISO dates and clock times are kept) become ``[phone]``, and the ticket's own contact,
  phone and location, and every staff name known to the store, become their pseudonyms. With
  ``drop_free_text=True`` both columns are emptied instead.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Mapping

import pandas as pd
from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from fcsim.recorder.store import STORE_SECRETS, read_transaction, write_transaction

__all__ = [
    "FREE_TEXT_FIELDS",
    "PSEUDONYM_FIELDS",
    "anonymise_frames",
    "keyed_pseudonym",
    "scrub_text",
    "store_key",
]

#: Personal fields replaced by a keyed pseudonym, with the pseudonym's prefix.
PSEUDONYM_FIELDS: Mapping[str, str] = {
    "contact": "person", "phone": "phone", "location": "place", "resource": "staff",
}
#: Free-text ticket fields scrubbed (or dropped) on an anonymised export.
FREE_TEXT_FIELDS: tuple[str, ...] = ("content", "materials")

_KEY_NAME = "anonymise_hmac_key"
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_PHONE = re.compile(r"\+?\(?\d[\d\s().\-/]{4,}\d")
_DATE_OR_TIME = re.compile(r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}$|^\d{1,2}:\d{2}(?::\d{2})?$")
_MIN_PHONE_DIGITS = 7


def store_key(engine: Engine) -> bytes:
    """The store's anonymisation key (32 random bytes), created on first use."""
    with read_transaction(engine) as conn:
        value = conn.execute(
            select(STORE_SECRETS.c.value).where(STORE_SECRETS.c.name == _KEY_NAME)
        ).scalar()
    if value is None:
        try:
            with write_transaction(engine) as conn:
                value = conn.execute(
                    select(STORE_SECRETS.c.value).where(STORE_SECRETS.c.name == _KEY_NAME)
                ).scalar()
                if value is None:
                    value = secrets.token_hex(32)
                    conn.execute(insert(STORE_SECRETS).values(name=_KEY_NAME, value=value))
        except IntegrityError:  # another writer created it first
            with read_transaction(engine) as conn:
                value = conn.execute(
                    select(STORE_SECRETS.c.value).where(STORE_SECRETS.c.name == _KEY_NAME)
                ).scalar_one()
    return bytes.fromhex(str(value))


def keyed_pseudonym(value: object, key: bytes, field: str) -> str | None:
    """``<prefix>-<16 hex>``: HMAC-SHA256 of ``field`` and ``value`` under ``key``.

    The field is part of the message, so the same text in two fields does not link them.
    Null stays null.
    """
    if value is None or value is pd.NA or value != value:
        return None
    prefix = PSEUDONYM_FIELDS.get(field, field)
    mac = hmac.new(key, f"{field}\x00{value}".encode(), hashlib.sha256).hexdigest()
    return f"{prefix}-{mac[:16]}"


def _phone_or_keep(match: re.Match[str]) -> str:
    text = match.group(0)
    if _DATE_OR_TIME.match(text.strip()):
        return text
    digits = sum(ch.isdigit() for ch in text)
    return "[phone]" if digits >= _MIN_PHONE_DIGITS else text


def scrub_text(text: object, known: Mapping[str, str] | None = None) -> str | None:
    """Free text with e-mail addresses, phone numbers and ``known`` values replaced.

    ``known`` maps personal strings (a contact's name, a staff name …) to their pseudonyms;
    longer strings are replaced first, after the e-mail addresses and phone numbers. Null
    stays null.
    """
    if text is None or text is pd.NA or text != text:
        return None
    out = _EMAIL.sub("[email]", str(text))
    out = _PHONE.sub(_phone_or_keep, out)
    # known values last, so that no digit run inside an inserted pseudonym looks like a phone
    for value in sorted(known or {}, key=len, reverse=True):
        if len(value) >= 2:
            out = out.replace(value, (known or {})[value])
    return out


def _known_values(values: Iterable[object], key: bytes, field: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for v in values:
        if v is None or v is pd.NA or v != v or not str(v).strip():
            continue
        p = keyed_pseudonym(v, key, field)
        if p is not None:
            out[str(v)] = p
    return out


def anonymise_frames(
    tickets: pd.DataFrame,
    events: pd.DataFrame,
    key: bytes,
    *,
    staff_names: Iterable[str] = (),
    drop_free_text: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The export's two frames with every personal field pseudonymised and free text scrubbed.

    Parameters
    ----------
    tickets, events:
        The export's frames (not modified).
    key:
        The store's key (:func:`store_key`).
    staff_names:
        Further staff names to remove from free text (the store's users); every ``resource``
        of the log is removed anyway.
    drop_free_text:
        Empty ``content`` and ``materials`` instead of scrubbing them.
    """
    tickets = tickets.copy()
    events = events.copy()
    staff = _known_values([*events["resource"].dropna().unique(), *staff_names], key,
                          "resource")
    free: dict[str, list[str | None]] = {}
    for col in FREE_TEXT_FIELDS:
        if drop_free_text:
            free[col] = [None] * len(tickets)
            continue
        scrubbed: list[str | None] = []
        for row in tickets[["contact", "phone", "location", col]].itertuples(index=False):
            own = {**staff}
            for field, value in zip(("contact", "phone", "location"), row[:3], strict=True):
                own.update(_known_values([value], key, field))
            scrubbed.append(scrub_text(row[3], own))
        free[col] = scrubbed
    for col, values in free.items():
        tickets[col] = pd.Series(values, index=tickets.index, dtype=object)
    for col in ("contact", "phone", "location"):
        tickets[col] = tickets[col].map(lambda v, c=col: keyed_pseudonym(v, key, c))
    events["resource"] = events["resource"].map(
        lambda v: keyed_pseudonym(v, key, "resource"))
    return tickets, events
