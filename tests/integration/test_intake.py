"""Intake: a mail is committed to the spool before accept() returns; re-deliveries become duplicates."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from mailgate.database import create_engine_for, session_factory
from mailgate.errors import StorageUnavailableError
from mailgate.intake import ImapOrigin, Intake
from schema.spool import InboundMail, InboundSource, InboundState


def make_mail(subject: str = "Printer broken") -> bytes:
    return (
        f"From: Jane <jane@example.com>\r\nTo: support@example.org\r\nSubject: {subject}\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@example.com>\r\n\r\nIt does not print.\r\n"
    ).encode()


def count(engine: Engine) -> int:
    with session_factory(engine)() as session:
        return session.scalar(select(func.count()).select_from(InboundMail)) or 0


def test_accept_commits_the_raw_bytes(engine: Engine) -> None:
    raw = make_mail()
    accepted = Intake(session_factory(engine)).accept(
        raw, InboundSource.SMTP, "jane@example.com", ["support@example.org"]
    )
    fresh = create_engine_for(engine.url)  # another connection sees it: it is committed
    with session_factory(fresh)() as session:
        row = session.get_one(InboundMail, accepted.spool_id)
        assert row.raw == raw
        assert row.size == len(raw)
        assert row.state == "received"
        assert row.source == "smtp"
        assert row.message_id and row.message_id.endswith("@example.com")
        assert "<" not in row.message_id
        assert json.loads(row.envelope_recipients) == ["support@example.org"]
    fresh.dispose()


def test_same_mail_twice_is_a_duplicate_not_lost(engine: Engine) -> None:
    intake = Intake(session_factory(engine))
    raw = make_mail()
    first = intake.accept(raw, InboundSource.SMTP)
    before = count(engine)
    second = intake.accept(raw, InboundSource.PIPE)
    assert first.state is InboundState.RECEIVED
    assert second.state is InboundState.DUPLICATE
    assert second.duplicate_of == first.spool_id
    assert count(engine) == before + 1  # the copy is kept, marked duplicate


def test_same_message_id_with_other_bytes_is_a_new_mail(engine: Engine) -> None:
    intake = Intake(session_factory(engine))
    raw = make_mail()
    first = intake.accept(raw, InboundSource.SMTP)
    second = intake.accept(b"Received: from relay\r\n" + raw, InboundSource.SMTP)
    assert second.state is InboundState.RECEIVED
    assert second.spool_id != first.spool_id


def test_imap_refetch_returns_the_stored_row(engine: Engine) -> None:
    intake = Intake(session_factory(engine))
    origin = ImapOrigin(account_id=7, uidvalidity=1234, uid=uuid.uuid4().int % 100_000)
    first = intake.accept(make_mail(), InboundSource.IMAP, imap=origin)
    before = count(engine)
    again = intake.accept(make_mail("other bytes, same uid"), InboundSource.IMAP, imap=origin)
    assert again.spool_id == first.spool_id
    assert count(engine) == before


def test_stored_callback_runs_after_commit(engine: Engine) -> None:
    seen: list[int] = []

    def on_stored(spool_id: int) -> None:
        with session_factory(engine)() as session:
            assert session.get(InboundMail, spool_id) is not None
        seen.append(spool_id)

    accepted = Intake(session_factory(engine), on_stored).accept(make_mail(), InboundSource.SMTP)
    assert seen == [accepted.spool_id]


@pytest.mark.parametrize(
    "url",
    ["postgresql+psycopg://postgres@127.0.0.1:1/nowhere", "sqlite:////nonexistent-dir/x/mailgate.db"],
)
def test_unreachable_database_raises_storage_unavailable(url: str) -> None:
    engine = create_engine_for(url, connect_args={"connect_timeout": 2} if "postgresql" in url else {})
    with pytest.raises(StorageUnavailableError):
        Intake(session_factory(engine)).accept(make_mail(), InboundSource.SMTP)
    engine.dispose()


def test_a_failing_queue_never_fails_the_accept(engine: Engine) -> None:
    def broken_queue(spool_id: int) -> None:
        raise ConnectionError("broker down")

    intake = Intake(session_factory(engine))
    intake.on_stored(broken_queue)
    accepted = intake.accept(make_mail(), InboundSource.SMTP)
    with session_factory(engine)() as session:
        assert session.get_one(InboundMail, accepted.spool_id).state == "received"


def test_sqlite_commits_are_synced_to_disk(tmp_path: Path) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    engine.dispose()
