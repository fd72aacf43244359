"""Outbound test helpers: a real aiosmtpd sink that can be told to refuse, and a helpdesk that sends to it."""

from __future__ import annotations

import contextlib
import dataclasses
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer  # noqa: N811
from aiosmtpd.smtp import Envelope
from aiosmtpd.smtp import Session as SMTPSession
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mailgate.pipeline.process import Processed
from mailgate.services import Services, build_processor, build_services
from mailgate.settings import Settings
from notifier.actors import render_context
from notifier.renderers import build_registry
from notifier.sender import OutboxSender
from notifier.transport import SmtpTransport
from schema import InboundSource, OutboxMail, SystemAddress, TicketHistory, TicketHistoryType
from tests.support.net import free_port

SECRET = "send-test-secret"
FQDN = "mg.example.org"
SUPPORT = "support@example.org"


@dataclass
class Received:
    """One mail the sink accepted."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        """The mail parsed with the modern policy."""
        parsed = message_from_bytes(self.raw, policy=default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Sink:
    """aiosmtpd handler: keeps accepted mail; answers DATA from `data_replies` first and refuses `refuse`."""

    received: list[Received] = field(default_factory=list)
    data_replies: list[str] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    attempts: int = 0
    drop_at: set[int] = field(default_factory=set)  # DATA attempts (1-based) answered by hanging up

    async def handle_RCPT(  # noqa: N802 (aiosmtpd hook name)
        self, server: SMTPServer, session: SMTPSession, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.lower() in self.refuse:
            return self.refuse[address.lower()]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 (aiosmtpd hook name)
        self, server: SMTPServer, session: SMTPSession, envelope: Envelope
    ) -> str:
        self.attempts += 1
        if self.attempts in self.drop_at:  # the connection drops before the server took the mail
            assert server.transport is not None
            server.transport.close()
            return "451 4.4.2 never heard: the connection is gone"
        if self.data_replies:
            return self.data_replies.pop(0)
        content = envelope.original_content or b""
        self.received.append(Received(str(envelope.mail_from), list(envelope.rcpt_tos), bytes(content)))
        return "250 2.0.0 queued"


class Clock:
    """A settable naive-UTC clock."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass
class Helpdesk:
    """Services on a migrated database, the sink, and a sender with an injectable clock."""

    services: Services
    sink: Sink
    controller: Controller
    clock: Clock
    sender: OutboxSender
    extra: dict[str, Any] = field(default_factory=dict)

    def deliver(self, raw: bytes) -> Processed:
        """Accept a mail as the SMTP listener would and process it at once."""
        accepted = self.services.intake.accept(raw, InboundSource.SMTP, "bounce@customer.example", (SUPPORT,))
        return build_processor(self.services).process(accepted.spool_id)

    def row(self, outbox_id: int) -> OutboxMail:
        """A fresh copy of an outbox row."""
        with self.services.sessions() as session:
            row = session.get(OutboxMail, outbox_id)
            assert row is not None
            session.expunge(row)
            return row

    def history(self, ticket_id: int) -> list[tuple[str, str]]:
        """(type, name) of the ticket's history rows, oldest first."""
        with self.services.sessions() as session:
            rows = session.execute(
                select(TicketHistoryType.name, TicketHistory.name)
                .join(TicketHistory, TicketHistory.history_type_id == TicketHistoryType.id)
                .where(TicketHistory.ticket_id == ticket_id)
                .order_by(TicketHistory.id)
            )
            return [(kind, name) for kind, name in rows]

    def session(self) -> Session:
        """A new session (closed by the caller)."""
        return self.services.sessions()

    def close(self) -> None:
        """Stop the sink and release the database."""
        self.sender.transport.close()
        with contextlib.suppress(AssertionError, RuntimeError):  # a test may have stopped the sink
            self.controller.stop()
        self.services.close()


def start_helpdesk(url: str, now: datetime) -> Helpdesk:
    """A helpdesk on `url` whose queues send as "Example Support <support@example.org>" to a fresh sink."""
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings = Settings(database_url=url, secret_key=SECRET, fqdn=FQDN, outbound_smtp=f"127.0.0.1:{port}")
    services = build_services(settings)
    with services.sessions.begin() as session:
        session.execute(
            update(SystemAddress)
            .where(SystemAddress.id == 1)
            .values(value0=SUPPORT, value1="Example Support")
        )
    clock = Clock(now)
    ctx = dataclasses.replace(render_context(settings, SECRET), clock=clock)
    transport = SmtpTransport(settings.outbound_smtp, timeout=10)
    sender = OutboxSender(services.sessions, build_registry(), ctx, transport)
    return Helpdesk(services, sink, controller, clock, sender)


def customer_mail(
    subject: str = "Printer on fire",
    body: str = "It is really on fire.",
    *,
    sender: str = "Jane Doe <jane@customer.example>",
    in_reply_to: str | None = None,
    references: str | None = None,
    thread_index: str | None = None,
) -> tuple[bytes, str]:
    """A customer's plain-text mail and its bare Message-ID."""
    message_id = f"{uuid.uuid4().hex}@customer.example"
    headers = [
        f"From: {sender}",
        f"To: Example Support <{SUPPORT}>",
        f"Subject: {subject}",
        f"Message-ID: <{message_id}>",
        "Date: Wed, 25 Nov 2026 10:00:00 +0000",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
    ]
    if in_reply_to:
        headers.append(f"In-Reply-To: {in_reply_to}")
    if references:
        headers.append(f"References: {references}")
    if thread_index:
        headers += [f"Thread-Index: {thread_index}", f"Thread-Topic: {subject}"]
    return ("\r\n".join(headers) + "\r\n\r\n" + body + "\r\n").encode(), message_id
