"""A forwarded article goes out to the address the agent gave, as a forward ("Fwd: [Ticket#...]")."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from mailgate.outbound.lookup import Mailbox
from mailgate.ticketnumber import DEFAULT_STYLE
from mailgate.tickets.forward import forward
from mailgate.tickets.reply import ReplyAttachment
from schema import Article, OutboxMail, OutboxState, Ticket
from tests.integration.notifier.send_support import FQDN, SECRET, Helpdesk, customer_mail, start_helpdesk

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 25, 10, 0, 0)


@pytest.fixture
def desk(migrated_url: str) -> Iterator[Helpdesk]:
    helpdesk = start_helpdesk(migrated_url, NOW)
    yield helpdesk
    helpdesk.close()


def test_a_forward_reaches_the_given_address_with_the_original_below_and_a_forward_subject(
    desk: Helpdesk,
) -> None:
    raw, customer_id = customer_mail()
    ticket_id = desk.deliver(raw).ticket_id
    assert ticket_id is not None
    with desk.services.sessions.begin() as session:
        article_id = session.query(Article.id).filter(Article.ticket_id == ticket_id).scalar()
        result = forward(
            session, ticket_id, article_id, 1, [Mailbox("lab@partner.example", "Lab")], "Please have a look.",
            [ReplyAttachment("notes.txt", b"see notes", "text/plain")], now=NOW, secret=SECRET, fqdn=FQDN,
        )  # fmt: skip
        tn = session.get_one(Ticket, ticket_id).tn
    assert result.outbox_id is not None
    desk.sender.send(result.outbox_id)
    assert desk.row(result.outbox_id).state == OutboxState.SENT.value
    [sent] = desk.sink.received
    message = sent.message
    assert sent.rcpt_tos == ["lab@partner.example"]
    assert str(message["Subject"]).startswith(f"{DEFAULT_STYLE.forward_prefix}: [Ticket#{tn}]")
    assert message["In-Reply-To"] == f"<{customer_id.strip('<>')}>"
    body = message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert text.startswith("Please have a look.") and "---- Forwarded message ----" in text
    assert "notes.txt" in [part.get_filename() for part in message.iter_attachments()]
    with desk.services.sessions() as session:
        assert session.get_one(OutboxMail, result.outbox_id).article_id == result.article_id
