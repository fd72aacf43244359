"""The inbound spool model: the database itself rejects a second copy of the same mail."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from schema import InboundMail, InboundSource, InboundState, make_dedup_key

pytestmark = pytest.mark.integration

RAW = b"Message-ID: <a@example.org>\r\nSubject: caf\xe9\r\n\r\nbody \xff\x00 bytes\r\n"


def spooled(raw: bytes = RAW, **fields: Any) -> InboundMail:
    digest = hashlib.sha256(raw).hexdigest()
    values: dict[str, object] = {
        "raw": raw,
        "sha256": digest,
        "size": len(raw),
        "message_id": "a@example.org",
        "source": InboundSource.SMTP.value,
        "envelope_sender": "sender@example.org",
        "envelope_recipients": json.dumps(["support@example.com"]),
    }
    values.setdefault("dedup_key", make_dedup_key(digest, "a@example.org"))
    values.update(fields)
    return InboundMail(**values)


def test_raw_bytes_and_defaults_round_trip(session: Session) -> None:
    mail = spooled()
    session.add(mail)
    session.flush()
    session.expire_all()
    stored = session.scalars(select(InboundMail).where(InboundMail.id == mail.id)).one()
    assert stored.raw == RAW
    assert stored.state == InboundState.RECEIVED
    assert stored.attempts == 0
    assert stored.created_at is not None and stored.changed_at is not None
    assert json.loads(stored.envelope_recipients) == ["support@example.com"]


def test_second_copy_with_same_dedup_key_is_rejected(session: Session) -> None:
    first = spooled()
    session.add(first)
    session.flush()
    session.add(spooled())
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_duplicate_is_kept_as_its_own_row_pointing_back(session: Session) -> None:
    first = spooled()
    session.add(first)
    session.flush()
    copy = spooled(dedup_key=None, state=InboundState.DUPLICATE.value, duplicate_of=first.id)
    session.add(copy)
    session.flush()
    assert copy.id != first.id and copy.raw == first.raw


def test_duplicate_state_requires_duplicate_of(session: Session) -> None:
    session.add(spooled(dedup_key=None, state=InboundState.DUPLICATE.value))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_same_imap_uid_twice_is_rejected(session: Session) -> None:
    imap: dict[str, Any] = {
        "source": "imap",
        "imap_account_id": 1,
        "imap_uidvalidity": 3_000_000_000,
        "imap_uid": 42,
    }
    session.add(spooled(dedup_key=make_dedup_key("1" * 64, None), **imap))
    session.flush()
    session.add(spooled(dedup_key=make_dedup_key("2" * 64, None), **imap))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_new_uidvalidity_and_non_imap_rows_do_not_collide(session: Session) -> None:
    base: dict[str, Any] = {"source": "imap", "imap_account_id": 1, "imap_uid": 42}
    session.add(spooled(dedup_key=None, imap_uidvalidity=1, **base))
    session.add(spooled(dedup_key=None, imap_uidvalidity=2, **base))
    session.add(spooled(dedup_key=None))
    session.add(spooled(dedup_key=None))
    session.flush()
    assert len(session.scalars(select(InboundMail)).all()) == 4


@pytest.mark.parametrize(("field", "value"), [("source", "carrier-pigeon"), ("state", "lost")])
def test_unknown_source_or_state_is_rejected(session: Session, field: str, value: str) -> None:
    invalid: dict[str, Any] = {field: value}
    session.add(spooled(**invalid))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_dedup_key_depends_on_digest_and_message_id() -> None:
    digest = hashlib.sha256(RAW).hexdigest()
    key = make_dedup_key(digest, "a@example.org")
    assert key == make_dedup_key(digest, "a@example.org") and len(key) == 64
    assert key != make_dedup_key(digest, "b@example.org")
    assert key != make_dedup_key("0" * 64, "a@example.org")
    assert make_dedup_key(digest, None) == make_dedup_key(digest, "")
