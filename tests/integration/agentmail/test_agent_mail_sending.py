"""End to end: an agent answers by mail, the notifier sends it to a real aiosmtpd sink, the customer's reply
threads back to the ticket; refused and internal answers never reach the sink."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from aiosmtpd.controller import Controller

from mailgate.services import build_processor, build_services
from mailgate.settings import Settings
from mailgate.ticketnumber import find_ticket_numbers
from notifier.actors import render_context
from notifier.renderers import build_registry
from notifier.sender import OutboxSender
from notifier.transport import SmtpTransport
from schema import Ticket
from tests.integration.agentmail.support import (
    AUTHSERV_ID,
    CUSTOMER,
    SECRET,
    SUPPORT,
    Helpdesk,
    mail,
    new_id,
)
from tests.integration.notifier.send_support import Sink
from tests.support.net import free_port


@dataclass
class Sending:
    helpdesk: Helpdesk
    sink: Sink
    sender: OutboxSender

    def send_pending(self, ticket_id: int) -> list[str | None]:
        """Send the ticket's pending outbox rows as the send_outbound actor would."""
        rows = [row for row in self.helpdesk.outbox(ticket_id) if row.state == "pending"]
        return [self.sender.send(row.id) for row in rows]


@pytest.fixture(scope="module")
def sending(migrated_url: str) -> Iterator[Sending]:
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings = Settings(
        database_url=migrated_url,
        secret_key=SECRET,
        fqdn="mg.example.org",
        authserv_id=AUTHSERV_ID,
        outbound_smtp=f"127.0.0.1:{port}",
    )
    services = build_services(settings)
    helpdesk = Helpdesk.set_up(services, build_processor(services))
    transport = SmtpTransport(settings.outbound_smtp, timeout=10)
    sender = OutboxSender(services.sessions, build_registry(), render_context(settings, SECRET), transport)
    yield Sending(helpdesk, sink, sender)
    transport.close()
    controller.stop()
    services.close()


def test_customer_receives_the_answer_and_the_reply_threads_back(sending: Sending) -> None:
    desk = sending.helpdesk
    ticket_id, customer_message_id = desk.new_ticket()
    address = desk.reply_address(ticket_id, desk.alice)
    done = desk.answer(ticket_id, "Hello Jane,\n\nplease try the other tray.", address=address)
    assert done.outcome == "agent_reply" and done.article_id is not None
    before = len(sending.sink.received)
    assert "sent" in sending.send_pending(ticket_id)
    received = sending.sink.received[before:]
    to_customer = [item for item in received if item.rcpt_tos == [CUSTOMER]]
    assert len(to_customer) == 1, [item.rcpt_tos for item in received]
    message = to_customer[0].message
    assert message["From"] == f"Alice Agent via Example Support <{SUPPORT}>"
    assert message["To"] == CUSTOMER
    assert message["In-Reply-To"] == f"<{customer_message_id}>"
    _, stored, _ = desk.article(done.article_id)
    assert message["Message-ID"] == stored.a_message_id
    assert f"<{customer_message_id}>" in message["References"]
    with desk.session() as session:
        tn = session.get_one(Ticket, ticket_id).tn
    assert find_ticket_numbers(message["Subject"], "Ticket#", "10", "") == [tn]
    assert "Printer broken" in message["Subject"]
    body = message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "please try the other tray." in text and "wrote:" not in text and "It does not print" not in text
    assert address.split("@")[0] not in to_customer[0].raw.decode("utf-8", "replace")  # the token never leaks
    assert message["Auto-Submitted"] in (None, "no")
    # the customer answers the mail they received: it lands on the same ticket
    reply_id = message["Message-ID"]
    thread = (f"In-Reply-To: {reply_id}", f"References: {message['References']} {reply_id}")
    jane, subject = f"Jane Doe <{CUSTOMER}>", f"Re: {message['Subject']}"
    followup = desk.deliver(
        mail(jane, SUPPORT, subject, "It works, thanks!", new_id("customer.example"), thread)
    )
    assert (followup.outcome, followup.ticket_id) == ("followup", ticket_id)
    assert desk.trace(followup.spool_id)["followup_step"] == "token"  # by our signed Message-ID


def test_note_and_refused_answers_never_reach_the_sink(sending: Sending) -> None:
    desk = sending.helpdesk
    ticket_id, _ = desk.new_ticket()
    assert desk.answer(ticket_id, "#note\nInternal only.").outcome == "agent_note"
    forged_from = desk.answer(ticket_id, "Pay here.", sender="Alice <alice@evil.example>")
    assert forged_from.outcome == "agent_reply_refused"
    before = list(sending.sink.received)
    sending.send_pending(ticket_id)
    new = sending.sink.received[len(before) :]
    assert [item for item in new if CUSTOMER in item.rcpt_tos and b"Internal only" in item.raw] == []
    assert [item for item in new if b"Pay here" in item.raw] == []
