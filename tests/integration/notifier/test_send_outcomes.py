"""Sending outcomes: once only, temporary failures retried with back-off, permanent ones on the ticket."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from mailgate.outbound.lookup import Mailbox
from mailgate.tickets.reply import ReplyResult, reply
from mailgate.workers.sweeper import Sweeper
from notifier.sender import retry_delay
from schema import Article, ArticleDataMime, ArticleSenderType, OutboxMail, OutboxState
from tests.integration.notifier.send_support import FQDN, SECRET, Helpdesk, customer_mail, start_helpdesk

NOW = datetime(2026, 11, 25, 10, 0, 0)


@pytest.fixture
def desk(migrated_url: str) -> Iterator[Helpdesk]:
    helpdesk = start_helpdesk(migrated_url, NOW)
    yield helpdesk
    helpdesk.close()


def _answered(desk: Helpdesk, sender: str = "Jane Doe <jane@customer.example>") -> tuple[int, ReplyResult]:
    raw, _ = customer_mail(sender=sender)
    processed = desk.deliver(raw)
    assert processed.ticket_id is not None
    with desk.services.sessions.begin() as session:
        result = reply(
            session, processed.ticket_id, 1, "We are on it.", now=desk.clock(), secret=SECRET, fqdn=FQDN
        )
    assert result.outbox_id is not None
    return processed.ticket_id, result


def test_sending_an_id_twice_sends_once(desk: Helpdesk) -> None:
    _, result = _answered(desk)
    assert result.outbox_id is not None
    assert desk.sender.send(result.outbox_id) == OutboxState.SENT.value
    assert desk.sender.send(result.outbox_id) is None  # already sent: not claimed
    assert len(desk.sink.received) == 1
    assert desk.row(result.outbox_id).attempts == 1


def test_concurrent_sends_of_one_id_send_once(desk: Helpdesk) -> None:
    _, result = _answered(desk)
    assert result.outbox_id is not None
    outbox_id = result.outbox_id
    states: list[str | None] = []
    threads = [threading.Thread(target=lambda: states.append(desk.sender.send(outbox_id))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(states, key=str) == [None, None, None, OutboxState.SENT.value]
    assert len(desk.sink.received) == 1


def test_temporary_failure_retries_with_back_off_then_sends_the_same_bytes(desk: Helpdesk) -> None:
    _, result = _answered(desk)
    assert result.outbox_id is not None
    outbox_id = result.outbox_id
    desk.sink.data_replies = ["451 4.3.0 try again later", "421 4.7.0 too busy"]
    assert desk.sender.send(outbox_id) == OutboxState.PENDING.value
    first = desk.row(outbox_id)
    assert (
        first.attempts == 1 and first.last_smtp_code == 451 and "try again later" in (first.last_error or "")
    )
    assert first.next_attempt_at == NOW + retry_delay(1) == NOW + timedelta(minutes=1)
    frozen = first.raw
    assert desk.sender.send(outbox_id) is None  # not due yet
    desk.clock.advance(timedelta(minutes=1))
    assert desk.sender.send(outbox_id) == OutboxState.PENDING.value
    second = desk.row(outbox_id)
    assert second.attempts == 2 and second.next_attempt_at == desk.clock() + timedelta(minutes=2)
    desk.clock.advance(timedelta(minutes=2))
    assert desk.sender.send(outbox_id) == OutboxState.SENT.value
    done = desk.row(outbox_id)
    assert done.attempts == 3 and done.sent_time == desk.clock() and done.last_smtp_code == 250
    assert desk.sink.attempts == 3 and len(desk.sink.received) == 1
    assert desk.sink.received[0].raw == frozen == done.raw  # one render, the same Message-ID every time
    assert desk.sink.received[0].message["Message-ID"] == result.message_id


def test_connection_refused_is_temporary_and_gives_up_after_max_attempts(desk: Helpdesk) -> None:
    ticket_id, result = _answered(desk)
    assert result.outbox_id is not None
    desk.controller.stop()  # nothing listens any more
    desk.sender.max_attempts = 2
    assert desk.sender.send(result.outbox_id) == OutboxState.PENDING.value
    refused = desk.row(result.outbox_id)
    assert refused.last_smtp_code is None and (refused.last_error or "").startswith("ConnectionRefusedError")
    desk.clock.advance(timedelta(minutes=1))
    assert desk.sender.send(result.outbox_id) == OutboxState.FAILED.value
    row = desk.row(result.outbox_id)
    assert row.state == OutboxState.FAILED.value and "gave up after 2 attempts" in (row.last_error or "")
    assert any(kind == "Misc" and "failed" in name for kind, name in desk.history(ticket_id))


def test_permanent_failure_is_recorded_on_the_ticket(desk: Helpdesk) -> None:
    desk.sink.refuse["gone@customer.example"] = "550 5.1.1 mailbox unavailable"
    ticket_id, result = _answered(desk, sender="Gone <gone@customer.example>")
    assert result.outbox_id is not None
    assert desk.sender.send(result.outbox_id) == OutboxState.FAILED.value
    row = desk.row(result.outbox_id)
    assert row.last_smtp_code == 550 and "mailbox unavailable" in (row.last_error or "")
    assert desk.sink.received == []
    assert desk.sender.send(result.outbox_id) is None  # failed rows are not retried
    misc = [name for kind, name in desk.history(ticket_id) if kind == "Misc"]
    assert len(misc) == 1 and "gone@customer.example" in misc[0] and "550" in misc[0]
    with desk.session() as session:
        notes = session.execute(
            select(Article.is_visible_for_customer, ArticleDataMime.a_body)
            .join(ArticleDataMime, ArticleDataMime.article_id == Article.id)
            .join(ArticleSenderType, ArticleSenderType.id == Article.article_sender_type_id)
            .where(Article.ticket_id == ticket_id, ArticleSenderType.name == "system")
        ).all()
    assert [(visible, "mailbox unavailable" in (body or "")) for visible, body in notes] == [(0, True)]


def test_data_refused_permanently_fails(desk: Helpdesk) -> None:
    _, result = _answered(desk)
    assert result.outbox_id is not None
    desk.sink.data_replies = ["554 5.7.1 rejected as spam"]
    assert desk.sender.send(result.outbox_id) == OutboxState.FAILED.value
    assert desk.row(result.outbox_id).last_smtp_code == 554


def test_internal_article_in_the_outbox_is_suppressed(desk: Helpdesk) -> None:
    _, result = _answered(desk)
    assert result.outbox_id is not None
    with desk.services.sessions.begin() as session:
        session.execute(
            update(Article).where(Article.id == result.article_id).values(is_visible_for_customer=0)
        )
    assert desk.sender.send(result.outbox_id) == OutboxState.SUPPRESSED.value
    assert desk.sink.received == []


def test_sweeper_requeues_pending_due_and_abandoned_rows(desk: Helpdesk) -> None:
    _, fresh = _answered(desk)
    _, retry = _answered(desk)
    _, abandoned = _answered(desk)
    assert fresh.outbox_id and retry.outbox_id and abandoned.outbox_id
    with desk.services.sessions.begin() as session:
        session.execute(
            update(OutboxMail)
            .where(OutboxMail.id == retry.outbox_id)
            .values(next_attempt_at=NOW + timedelta(minutes=5), attempts=1)
        )
        session.execute(
            update(OutboxMail)
            .where(OutboxMail.id == abandoned.outbox_id)
            .values(state=OutboxState.SENDING.value, changed_at=NOW - timedelta(minutes=11), attempts=1)
        )
    queued: list[int] = []
    sweeper = Sweeper(desk.services.sessions, _NoInbound(), clock=desk.clock, send_outbound=queued.append)
    assert sweeper.sweep_outbox() == 1 and queued == [abandoned.outbox_id]  # fresh rows get a grace period
    queued.clear()
    assert sweeper.sweep_outbox(everything_waiting=True) == 2
    assert sorted(queued) == sorted([fresh.outbox_id, abandoned.outbox_id])
    queued.clear()
    desk.clock.advance(timedelta(minutes=5))
    for outbox_id in (fresh.outbox_id, abandoned.outbox_id):
        assert desk.sender.send(outbox_id) == OutboxState.SENT.value
    assert sweeper.sweep_outbox() == 1 and queued == [retry.outbox_id]
    assert desk.sender.send(retry.outbox_id) == OutboxState.SENT.value
    queued.clear()
    assert sweeper.sweep_outbox(everything_waiting=True) == 0 and queued == []
    assert len(desk.sink.received) == 3


class _NoInbound:
    def enqueue_inbound(self, spool_id: int) -> None:
        raise AssertionError("no spool rows in these tests")


def test_a_row_that_cannot_render_fails_on_the_ticket(desk: Helpdesk) -> None:
    ticket_id, result = _answered(desk)
    assert result.outbox_id is not None
    with desk.services.sessions.begin() as session:
        broken = update(ArticleDataMime).where(ArticleDataMime.article_id == result.article_id)
        session.execute(broken.values(a_from=None))
    assert desk.sender.send(result.outbox_id) == OutboxState.FAILED.value
    row = desk.row(result.outbox_id)
    assert row.raw is None and "has no From address" in (row.last_error or "")
    assert any(kind == "Misc" and "cannot render" in name for kind, name in desk.history(ticket_id))
    assert desk.sink.received == []


def test_one_refused_recipient_among_accepted_ones_is_noted_not_failed(desk: Helpdesk) -> None:
    desk.sink.refuse["gone@customer.example"] = "550 5.1.1 mailbox unavailable"
    raw, _ = customer_mail()
    processed = desk.deliver(raw)
    assert processed.ticket_id is not None
    with desk.services.sessions.begin() as session:
        result = reply(
            session, processed.ticket_id, 1, "Hello both.", now=NOW, secret=SECRET, fqdn=FQDN,
            cc=[Mailbox("gone@customer.example")],
        )  # fmt: skip
    assert result.outbox_id is not None
    assert desk.sender.send(result.outbox_id) == OutboxState.SENT.value
    assert desk.sink.received[0].rcpt_tos == ["jane@customer.example"]
    row = desk.row(result.outbox_id)
    assert row.last_error is not None and "gone@customer.example: 550" in row.last_error
