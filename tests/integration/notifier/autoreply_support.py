"""A helpdesk set up for auto-reply and notification tests: queues with Znuny's auto-responses, agents.

Queues (all in group 'users'): Raw (follow-ups possible) on support@example.org, Strict
(follow-ups to closed tickets rejected) on strict@example.org, Renew (a new ticket instead) on
renew@example.org; each sends Znuny's four shipped auto-responses. Agents: alice (rw, My Queues
Raw, UserEmail preference, German), bob (ro only, subscribed), carol (rw, not subscribed),
dave (rw, subscribed, invalid), erin (rw, subscribed, address only in her login).
"""

from __future__ import annotations

import dataclasses
import email
import email.policy
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from mailgate.pipeline.process import InboundProcessor, Processed
from mailgate.services import Services, build_processor, build_services
from mailgate.settings import Settings
from notifier.actors import render_context
from notifier.renderers import build_registry
from notifier.sender import OutboxSender
from notifier.transport import SmtpTransport
from schema import (
    GroupUser,
    InboundSource,
    OutboxMail,
    PersonalQueue,
    Queue,
    QueueAutoResponse,
    SystemAddress,
    Ticket,
    TicketHistory,
    TicketHistoryType,
    TicketState,
    User,
    UserPreference,
)
from schema.pipeline import Decision
from tests.support.net import free_port

NOW = datetime(2026, 11, 25, 10, 0, 0)
SECRET = "test-secret"
FQDN = "mg.example.org"
USERS_GROUP = 1
RAW_QUEUE = 2


def _audit() -> dict[str, Any]:
    return {"create_time": NOW, "create_by": 1, "change_time": NOW, "change_by": 1}


@dataclass
class Site:
    """Services, processor and the ids of the configured queues and agents."""

    services: Services
    processor: InboundProcessor
    queues: dict[str, int] = field(default_factory=dict)
    agents: dict[str, int] = field(default_factory=dict)

    def deliver(
        self, raw: bytes, to: str = "support@example.org", processor: InboundProcessor | None = None
    ) -> Processed:
        """Accept a mail as the SMTP listener would and process it at once."""
        accepted = self.services.intake.accept(raw, InboundSource.SMTP, "bounce@sender.example", (to,))
        return (processor or self.processor).process(accepted.spool_id)

    def processor_with(self, **changes: Any) -> InboundProcessor:
        """A processor on the same database with other settings (e.g. lower rate limits)."""
        settings = dataclasses.replace(self.services.settings, **changes)
        return InboundProcessor(settings, self.services.sessions, SECRET)

    def session(self) -> Session:
        """A new session (the caller closes it)."""
        return self.services.sessions()

    def outbox(self, ticket_id: int | None = None, kind: str | None = None) -> list[OutboxMail]:
        """Outbox rows, oldest first, optionally of one ticket and kind."""
        query = select(OutboxMail).order_by(OutboxMail.id)
        if ticket_id is not None:
            query = query.where(OutboxMail.ticket_id == ticket_id)
        if kind is not None:
            query = query.where(OutboxMail.kind == kind)
        with self.session() as session:
            return list(session.scalars(query))

    def history(self, ticket_id: int) -> list[tuple[str, str]]:
        """(history type, name) of a ticket's history rows, oldest first."""
        with self.session() as session:
            rows = session.execute(
                select(TicketHistoryType.name, TicketHistory.name)
                .join(TicketHistory, TicketHistory.history_type_id == TicketHistoryType.id)
                .where(TicketHistory.ticket_id == ticket_id)
                .order_by(TicketHistory.id)
            )
            return [(row[0], row[1]) for row in rows]

    def trace(self, ticket_id: int) -> dict[str, Any]:
        """The decision trace of the latest mail of a ticket."""
        with self.session() as session:
            raw = session.scalar(
                select(Decision.trace)
                .where(Decision.ticket_id == ticket_id)
                .order_by(Decision.id.desc())
                .limit(1)
            )
        return dict(json.loads(raw or "{}"))

    def set_state(self, ticket_id: int, state: str) -> None:
        """Put a ticket into a state by name."""
        with self.services.sessions.begin() as session:
            state_id = session.scalar(select(TicketState.id).where(TicketState.name == state))
            session.execute(update(Ticket).where(Ticket.id == ticket_id).values(ticket_state_id=state_id))

    def close(self) -> None:
        """Release the database."""
        self.services.close()


def _queue(session: Session, name: str, follow_up_id: int, address: str) -> int:
    if name == "Raw":  # Znuny's system address 1 (znuny@localhost) becomes Raw's, as an admin would set it
        session.execute(
            update(SystemAddress)
            .where(SystemAddress.id == 1)
            .values(value0=address, value1="Example Support", queue_id=RAW_QUEUE)
        )
        for response_id in (1, 2, 3, 4):
            session.execute(
                insert(QueueAutoResponse).values(queue_id=RAW_QUEUE, auto_response_id=response_id, **_audit())
            )
        return RAW_QUEUE
    address_id = session.execute(
        insert(SystemAddress)
        .values(value0=address, value1="Example Support", valid_id=1, queue_id=0, **_audit())
        .returning(SystemAddress.id)
    ).scalar_one()
    queue_id = session.execute(
        insert(Queue)
        .values(
            name=name,
            group_id=USERS_GROUP,
            system_address_id=address_id,
            salutation_id=1,
            signature_id=1,
            follow_up_id=follow_up_id,
            follow_up_lock=0,
            valid_id=1,
            **_audit(),
        )
        .returning(Queue.id)
    ).scalar_one()
    session.execute(update(SystemAddress).where(SystemAddress.id == address_id).values(queue_id=queue_id))
    for response_id in (1, 2, 3, 4):
        session.execute(
            insert(QueueAutoResponse).values(queue_id=queue_id, auto_response_id=response_id, **_audit())
        )
    return int(queue_id)


def _agent(
    session: Session,
    login: str,
    *,
    permission: str | None = "rw",
    subscribed: bool = True,
    email_pref: str | None = None,
    language: str | None = None,
    valid: int = 1,
) -> int:
    user_id = session.execute(
        insert(User)
        .values(
            login=login,
            pw="x",
            first_name=login.split("@")[0].title(),
            last_name="Agent",
            valid_id=valid,
            **_audit(),
        )
        .returning(User.id)
    ).scalar_one()
    if permission:
        session.execute(
            insert(GroupUser).values(
                user_id=user_id, group_id=USERS_GROUP, permission_key=permission, **_audit()
            )
        )
    if subscribed:
        session.execute(insert(PersonalQueue).values(user_id=user_id, queue_id=RAW_QUEUE))
    for key, value in (("UserEmail", email_pref), ("UserLanguage", language)):
        if value:
            session.execute(
                insert(UserPreference).values(user_id=user_id, preferences_key=key, preferences_value=value)
            )
    return int(user_id)


def build_site(url: str, **settings: Any) -> Site:
    """Configure queues, auto-responses and agents on a migrated database; build its processor."""
    config = Settings(database_url=url, secret_key=SECRET, fqdn=FQDN, **settings)
    services = build_services(config)
    site = Site(services, build_processor(services))
    with services.sessions.begin() as session:
        site.queues = {
            "Raw": _queue(session, "Raw", 1, "support@example.org"),
            "Strict": _queue(session, "Strict", 2, "strict@example.org"),
            "Renew": _queue(session, "Renew", 3, "renew@example.org"),
        }
        site.agents = {
            "alice": _agent(session, "alice", email_pref="alice@agents.example", language="de"),
            "bob": _agent(session, "bob", permission="ro", email_pref="bob@agents.example"),
            "carol": _agent(session, "carol", subscribed=False, email_pref="carol@agents.example"),
            "dave": _agent(session, "dave", email_pref="dave@agents.example", valid=2),
            "erin": _agent(session, "erin@agents.example"),
        }
    return site


def new_id(domain: str = "customer.example") -> str:
    """A fresh Message-ID (without angle brackets)."""
    return f"{uuid.uuid4().hex}@{domain}"


def mail(
    subject: str = "Printer broken",
    body: str = "It does not print.\nThe display says E42.\n",
    *,
    sender: str = "Jane Doe <jane@customer.example>",
    to: str = "support@example.org",
    message_id: str | None = None,
    in_reply_to: str | None = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    """A plain customer mail."""
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = f"<{message_id or new_id()}>"
    message["Date"] = "Wed, 25 Nov 2026 10:00:00 +0000"
    if in_reply_to:
        message["In-Reply-To"] = f"<{in_reply_to}>"
        message["References"] = f"<{in_reply_to}>"
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    return message.as_bytes()


def parse_sent(raw: bytes) -> EmailMessage:
    """A sent mail's bytes as a message."""
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


@dataclass
class Sink:
    """A real aiosmtpd server's handler: keeps every mail it accepts."""

    received: list[bytes] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd hook)
        self.received.append(bytes(envelope.original_content or b""))
        return "250 2.0.0 queued"


@dataclass
class Outbound:
    """A site whose outbox is sent by the notifier's OutboxSender to a real SMTP sink."""

    site: Site
    sink: Sink
    controller: Controller
    sender: OutboxSender

    def flush(self, kind: str = "auto_reply") -> list[EmailMessage]:
        """Send the pending outbox rows of one kind (oldest first); the mails the sink received meanwhile."""
        before = len(self.sink.received)
        with self.site.session() as session:
            pending = session.scalars(
                select(OutboxMail.id)
                .where(OutboxMail.state == "pending", OutboxMail.kind == kind)
                .order_by(OutboxMail.id)
            ).all()
        for outbox_id in pending:
            self.sender.send(outbox_id)
        return [parse_sent(raw) for raw in self.sink.received[before:]]

    def close(self) -> None:
        """Stop the sink, the transport and the site."""
        self.sender.transport.close()
        self.controller.stop()
        self.site.close()


def start_outbound(url: str, **settings: Any) -> Outbound:
    """A configured site and an aiosmtpd sink on a free port that its sender delivers to."""
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    site = build_site(url, outbound_smtp=f"127.0.0.1:{port}", **settings)
    config = site.services.settings
    ctx = render_context(config, SECRET)
    transport = SmtpTransport(config.outbound_smtp, timeout=10)
    return Outbound(
        site, sink, controller, OutboxSender(site.services.sessions, build_registry(), ctx, transport)
    )
