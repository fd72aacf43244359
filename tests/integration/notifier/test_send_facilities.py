"""What the sender offers renderers: storing the sent mail as a system article, a signed Reply-To."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from mailgate.followup.message_ids import message_id_md5
from mailgate.outbound.lookup import last_customer_mail, queue_sender, ticket
from mailgate.outbound.outbox import OutboundRequest, enqueue_outbound
from mailgate.services import build_processor
from mailgate.tickets.reply import reply
from mailgate.tokens import parse_reply_address
from notifier import threadindex
from notifier.article import SIGNED_REPLY_ADDRESS
from notifier.render import (
    AUTO_REPLIED,
    Address,
    RenderContext,
    RenderedMail,
    RendererRegistry,
    StoreArticle,
    Threading,
)
from notifier.renderers import build_registry
from notifier.sender import OutboxSender
from schema import Article, ArticleDataMime, ArticleSenderType, InboundSource, OutboxMail, OutboxState
from tests.integration.notifier.send_support import (
    FQDN,
    SECRET,
    SUPPORT,
    Helpdesk,
    customer_mail,
    start_helpdesk,
)

NOW = datetime(2026, 11, 25, 10, 0, 0)


class _AutoReply:
    """A minimal auto-reply renderer, as the auto-reply helper's would be: it asks to be stored."""

    kind = "auto_reply"

    def render(self, session: Session, row: OutboxMail, ctx: RenderContext) -> RenderedMail:
        assert row.ticket_id is not None
        ticket_row = ticket(session, row.ticket_id)
        answered = last_customer_mail(session, row.ticket_id)
        assert answered is not None and answered.reply_address is not None
        sender = queue_sender(session, ticket_row.queue_id)
        return RenderedMail(
            sender=Address(sender.email, sender.name),
            to=(Address(answered.reply_address.email, answered.reply_address.name),),
            subject=answered.subject,
            text="Thank you, we received your mail.",
            threading=Threading(
                ticket_id=ticket_row.id,
                tn=ticket_row.tn,
                in_reply_to=answered.message_id,
                references=answered.references,
                parent_thread_index=answered.thread_index,
            ),
            auto_submitted=AUTO_REPLIED,
            store_article=StoreArticle(),
        )


@pytest.fixture
def desk(migrated_url: str) -> Iterator[Helpdesk]:
    helpdesk = start_helpdesk(migrated_url, NOW)
    yield helpdesk
    helpdesk.close()


def test_auto_reply_is_stored_as_a_system_article(desk: Helpdesk) -> None:
    processed = desk.deliver(customer_mail()[0])  # no Thread-Index: ours is the ticket's own thread
    assert processed.ticket_id is not None
    registry = RendererRegistry()
    registry.register(_AutoReply())
    sender = OutboxSender(desk.services.sessions, registry, desk.sender.ctx, desk.sender.transport)
    with desk.services.sessions.begin() as session:
        request = OutboundRequest("auto_reply", "test:auto:1", ["jane@customer.example"], processed.ticket_id)
        outbox_id = enqueue_outbound(session, request, NOW)
    assert outbox_id is not None
    assert sender.send(outbox_id) == OutboxState.SENT.value
    msg = desk.sink.received[0].message
    assert msg["Auto-Submitted"] == "auto-replied" and msg["Precedence"] == "bulk"
    index = threadindex.parse(str(msg["Thread-Index"]))
    assert index is not None and index.guid == threadindex.ticket_guid(SECRET, processed.ticket_id)
    assert len(index.children) == 1  # a reply to the customer's mail, under the ticket's root
    row = desk.row(outbox_id)
    assert row.article_id is not None
    with desk.session() as session:
        stored = session.execute(
            select(ArticleSenderType.name, Article.is_visible_for_customer, ArticleDataMime)
            .join(Article, Article.article_sender_type_id == ArticleSenderType.id)
            .join(ArticleDataMime, ArticleDataMime.article_id == Article.id)
            .where(Article.id == row.article_id)
        ).one()
    sender_type, visible, mime = stored
    assert (sender_type, visible) == ("system", 1)
    assert mime.a_message_id == msg["Message-ID"] == row.message_id
    assert mime.a_message_id_md5 == message_id_md5(str(msg["Message-ID"]))
    assert ("SendAutoReply", "%%jane@customer.example") in desk.history(processed.ticket_id)
    assert sender.send(outbox_id) is None  # sent once, stored once
    with desk.session() as session:
        system = session.scalars(
            select(Article.id)
            .join(ArticleSenderType, ArticleSenderType.id == Article.article_sender_type_id)
            .where(Article.ticket_id == processed.ticket_id, ArticleSenderType.name == "system")
        ).all()
    assert system == [row.article_id]


def test_signed_reply_address_brings_the_answer_back(desk: Helpdesk) -> None:
    processed = desk.deliver(customer_mail(subject="Scanner jammed")[0])
    assert processed.ticket_id is not None
    ctx = dataclasses.replace(desk.sender.ctx, extra={SIGNED_REPLY_ADDRESS: True})
    sender = OutboxSender(desk.services.sessions, build_registry(), ctx, desk.sender.transport)
    with desk.services.sessions.begin() as session:
        result = reply(
            session, processed.ticket_id, 1, "Please try again.", now=NOW, secret=SECRET, fqdn=FQDN
        )
    assert result.outbox_id is not None
    assert sender.send(result.outbox_id) == OutboxState.SENT.value
    msg = desk.sink.received[0].message
    reply_to = msg["Reply-To"].addresses[0].addr_spec
    verified = parse_reply_address(SECRET, reply_to)
    assert (
        verified is not None
        and verified.ticket_id == processed.ticket_id
        and verified.system_address == SUPPORT
    )
    assert msg["From"].addresses[0].addr_spec == SUPPORT
    # the customer answers to the signed address from a client that drops every threading header
    raw = (
        "From: Jane Doe <jane@customer.example>\r\n"
        f"To: {reply_to}\r\n"
        "Subject: scanner\r\n"
        "Message-ID: <no-thread-headers@customer.example>\r\n"
        "\r\nStill jammed.\r\n"
    ).encode()
    accepted = desk.services.intake.accept(raw, InboundSource.SMTP, "jane@customer.example", (reply_to,))
    followup = build_processor(desk.services).process(accepted.spool_id)
    assert followup.ticket_id == processed.ticket_id, followup
    assert json.loads(desk.row(result.outbox_id).recipients) == ["jane@customer.example"]
