"""The reply service end to end: reply -> outbox -> send_outbound actor -> sink; the answer threads back."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import select, update

from mailgate.followup.message_ids import message_id_md5
from mailgate.outbound.lookup import Mailbox
from mailgate.outbound.outbox import dispatch_after_commit
from mailgate.pipeline.loops import LOOP_HEADER
from mailgate.ticketnumber import find_ticket_numbers
from mailgate.tickets.reply import ReplyAttachment, ReplyError, ReplyResult, reply
from mailgate.tokens import parse_message_id
from notifier import threadindex
from notifier.actors import NotifierPlugin
from schema import (
    Article,
    ArticleDataMime,
    ArticleDataMimeAttachment,
    ArticleDataMimePlain,
    OutboxMail,
    OutboxState,
    Ticket,
)
from tests.integration.notifier.send_support import (
    FQDN,
    SECRET,
    SUPPORT,
    Helpdesk,
    customer_mail,
    start_helpdesk,
)

NOW = datetime(2026, 11, 25, 10, 0, 0)
OUTLOOK_INDEX = threadindex.root(datetime(2026, 11, 25, 9, 59), bytes(range(16))).encode()


@pytest.fixture
def desk(migrated_url: str) -> Iterator[Helpdesk]:
    helpdesk = start_helpdesk(migrated_url, NOW)
    yield helpdesk
    helpdesk.close()


def _new_ticket(desk: Helpdesk) -> tuple[int, str]:
    raw, message_id = customer_mail(thread_index=OUTLOOK_INDEX)
    processed = desk.deliver(raw)
    assert processed.ticket_id is not None, processed
    return processed.ticket_id, message_id


def _answer(desk: Helpdesk, ticket_id: int, **kwargs: Any) -> ReplyResult:
    with desk.services.sessions.begin() as session:
        return reply(session, ticket_id, 1, now=NOW, secret=SECRET, fqdn=FQDN, **kwargs)


def test_reply_goes_out_through_the_actor_with_every_threading_header(desk: Helpdesk) -> None:
    ticket_id, customer_id = _new_ticket(desk)
    broker = StubBroker()
    broker.emit_after("process_boot")
    send = NotifierPlugin().declare(broker, desk.services)
    undo = dispatch_after_commit(desk.services.sessions, send)
    worker = dramatiq.Worker(broker, worker_timeout=100)
    worker.start()
    try:
        result = _answer(
            desk,
            ticket_id,
            text="Hello Jane,\nthe fire brigade is on its way.\n",
            attachments=(ReplyAttachment("plan.pdf", b"%PDF-1.4 evacuation plan", "application/pdf"),),
            html="<p>Hello Jane,</p><p>the fire brigade is on its way.</p>",
        )
        broker.join("mailgate-outbound", timeout=20_000)
        worker.join()
    finally:
        undo()
        worker.stop()
    assert len(desk.sink.received) == 1
    got = desk.sink.received[0]
    msg = got.message
    assert got.mail_from == SUPPORT and got.rcpt_tos == ["jane@customer.example"]
    with desk.session() as session:
        tn = session.scalar(select(Ticket.tn).where(Ticket.id == ticket_id))
        row = session.scalars(select(OutboxMail).where(OutboxMail.article_id == result.article_id)).one()
        assert row.state == OutboxState.SENT.value and row.attempts == 1 and row.last_smtp_code == 250
        assert row.raw == got.raw and row.message_id == result.message_id
        plain = session.scalar(
            select(ArticleDataMimePlain.body).where(ArticleDataMimePlain.article_id == result.article_id)
        )
        assert plain is not None and base64.b64decode(plain) == got.raw  # the article keeps the sent bytes
    assert msg["Message-ID"] == result.message_id
    token = parse_message_id(SECRET, str(msg["Message-ID"]))
    assert token is not None and token.ticket_id == ticket_id and token.domain == FQDN
    assert msg["In-Reply-To"] == f"<{customer_id}>"
    assert f"<{customer_id}>" in str(msg["References"]).split()
    assert str(msg["Subject"]) == f"Re: [Ticket#{tn}] Printer on fire"
    assert find_ticket_numbers(str(msg["Subject"]), system_id="10") == [tn]
    assert msg["Thread-Topic"] == "Printer on fire"
    index = threadindex.parse(str(msg["Thread-Index"]))
    assert (
        index is not None and index.guid == bytes(range(16)) and len(index.children) == 1
    )  # Outlook's thread
    assert msg["From"].addresses[0].addr_spec == SUPPORT
    assert msg["From"].addresses[0].display_name == "Example Support"
    assert msg["Reply-To"].addresses[0].addr_spec == SUPPORT
    assert msg["To"].addresses[0].addr_spec == "jane@customer.example"
    assert msg[LOOP_HEADER] == FQDN and msg["Auto-Submitted"] is None
    assert msg.get_body(("html",)) is not None and "fire brigade" in msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert {part.get_filename(): part.get_content() for part in msg.iter_attachments()} == {
        "plan.pdf": b"%PDF-1.4 evacuation plan"
    }
    assert ("SendAnswer", "%%Jane Doe <jane@customer.example>") in desk.history(ticket_id)

    # the customer answers: only In-Reply-To/References tie it to the ticket (no number in the subject)
    answer, _ = customer_mail(
        subject="Re: Printer on fire",
        body="Thanks, they are here.",
        in_reply_to=str(msg["Message-ID"]),
        references=f"<{customer_id}> {msg['Message-ID']}",
    )
    followup = desk.deliver(answer)
    assert followup.ticket_id == ticket_id and followup.outcome != "new_ticket", followup


def test_the_stored_article_threads_by_its_message_id_md5(desk: Helpdesk) -> None:
    ticket_id, customer_id = _new_ticket(desk)
    result = _answer(desk, ticket_id, text="We are on it.")
    with desk.session() as session:
        mime = session.scalars(
            select(ArticleDataMime).where(ArticleDataMime.article_id == result.article_id)
        ).one()
        article = session.get_one(Article, result.article_id)
        assert article.is_visible_for_customer == 1
        assert mime.a_message_id == result.message_id
        assert mime.a_message_id_md5 == message_id_md5(result.message_id)
        assert mime.a_in_reply_to == f"<{customer_id}>"
        assert mime.a_from == f"Example Support <{SUPPORT}>"


def test_internal_note_is_not_sent(desk: Helpdesk) -> None:
    ticket_id, _ = _new_ticket(desk)
    result = _answer(desk, ticket_id, text="Customer sounds upset.", internal=True)
    assert result.outbox_id is None
    with desk.session() as session:
        article = session.get_one(Article, result.article_id)
        assert article.is_visible_for_customer == 0
        rows = session.scalars(select(OutboxMail).where(OutboxMail.article_id == result.article_id)).all()
        assert rows == []
    assert ("AddNote", "%%Note") in desk.history(ticket_id)


def test_explicit_recipients_and_attachments_are_stored(desk: Helpdesk) -> None:
    ticket_id, _ = _new_ticket(desk)
    result = _answer(
        desk,
        ticket_id,
        text="See attached.",
        to=[Mailbox("boss@customer.example", "The Boss")],
        cc=[Mailbox("jane@customer.example")],
        attachments=(ReplyAttachment("a.txt", b"alpha", "text/plain"),),
    )
    assert result.outbox_id is not None
    assert desk.sender.send(result.outbox_id) == OutboxState.SENT.value
    got = desk.sink.received[-1]
    assert sorted(got.rcpt_tos) == ["boss@customer.example", "jane@customer.example"]
    assert got.message["Cc"].addresses[0].addr_spec == "jane@customer.example"
    with desk.session() as session:
        names = session.scalars(
            select(ArticleDataMimeAttachment.filename).where(
                ArticleDataMimeAttachment.article_id == result.article_id
            )
        ).all()
        assert names == ["a.txt"]


def test_reply_without_any_customer_address_is_refused(desk: Helpdesk) -> None:
    ticket_id, _ = _new_ticket(desk)
    with desk.services.sessions.begin() as session:
        session.execute(update(ArticleDataMime).values(a_from=None, a_reply_to=None))
        session.execute(update(Ticket).values(customer_user_id=None))
    with pytest.raises(ReplyError):
        _answer(desk, ticket_id, text="Hello?")
