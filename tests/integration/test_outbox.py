"""Outbox rows: written in the caller's transaction, once per dedupe key, dispatched only after commit."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from mailgate.database import session_factory
from mailgate.outbound.outbox import OutboundRequest, dispatch_after_commit, enqueue_outbound
from schema import OutboxMail, OutboxState

NOW = datetime(2026, 11, 26, 9, 0)


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


def _request(key: str) -> OutboundRequest:
    return OutboundRequest(
        kind="auto_reply",
        dedupe_key=key,
        recipients=["Customer@Example.COM", "cc@example.com"],
        ticket_id=7,
        params={"reason": "new ticket"},
    )


def test_row_is_written_pending_with_its_fields(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        outbox_id = enqueue_outbound(session, _request("t1"), NOW)
    with sessions() as session:
        row = session.get_one(OutboxMail, outbox_id)
        assert (row.state, row.attempts) == (OutboxState.PENDING, 0)
        assert row.recipient_key == "customer@example.com"
        assert json.loads(row.recipients) == ["Customer@Example.COM", "cc@example.com"]
        assert json.loads(row.params) == {"reason": "new ticket"}


def test_the_same_key_is_written_once(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        first = enqueue_outbound(session, _request("t2"), NOW)
    with sessions.begin() as session:
        second = enqueue_outbound(session, _request("t2"), NOW)
    assert first is not None and second is None
    with sessions() as session:
        assert len(session.scalars(select(OutboxMail).where(OutboxMail.dedupe_key == "t2")).all()) == 1


def test_ids_reach_the_dispatcher_only_after_commit(sessions: sessionmaker[Session]) -> None:
    sent: list[int] = []
    undo = dispatch_after_commit(sessions, sent.append)
    try:
        with sessions.begin() as session:
            kept = enqueue_outbound(session, _request("t3"), NOW)
            assert sent == []
        assert sent == [kept]
        with pytest.raises(RuntimeError), sessions.begin() as session:
            enqueue_outbound(session, _request("t4"), NOW)
            raise RuntimeError("the event's transaction fails")
        with sessions.begin() as session:
            later = enqueue_outbound(session, _request("t5"), NOW)
        assert sent == [kept, later]
    finally:
        undo()
    with sessions() as session:
        assert session.scalar(select(OutboxMail.id).where(OutboxMail.dedupe_key == "t4")) is None


def test_a_mail_needs_a_recipient(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session, pytest.raises(ValueError):
        enqueue_outbound(session, OutboundRequest("auto_reply", "t6", []), NOW)
