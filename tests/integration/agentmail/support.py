"""A helpdesk for agent-mail tests: a queue on support@example.org, three agents, mail builders.

Queue Raw answers from "Example Support <support@example.org>" (group 'users'). Agents: alice (rw on
'users', UserEmail alice@corp.example), bob (ro only, bob@corp.example), dave (rw, invalid,
dave@corp.example). Our receiving MTA's authserv-id is mx.example.org.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from mailgate.pipeline.process import InboundProcessor, Processed
from mailgate.services import Services
from mailgate.tokens import issue_agent_reply_address
from schema import (
    Article,
    ArticleDataMime,
    ArticleSenderType,
    GroupUser,
    InboundSource,
    OutboxMail,
    Queue,
    SystemAddress,
    Ticket,
    TicketHistory,
    TicketHistoryType,
    TicketState,
    User,
)
from schema.agents import UserPreference
from schema.pipeline import Decision

SECRET = "agent-mail-test-secret"
AUTHSERV_ID = "mx.example.org"
SUPPORT = "support@example.org"
CUSTOMER = "jane@customer.example"
USERS_GROUP = 1


@dataclass(frozen=True)
class Agent:
    id: int
    email: str
    name: str


def _audit() -> dict[str, object]:
    return {"create_time": func.now(), "create_by": 1, "change_time": func.now(), "change_by": 1}


def _agent(session: Session, login: str, permission: str | None, valid: int = 1) -> Agent:
    email = f"{login}@corp.example"
    user_id = session.execute(
        insert(User)
        .values(login=login, pw="x", first_name=login.title(), last_name="Agent", valid_id=valid, **_audit())
        .returning(User.id)
    ).scalar_one()
    session.execute(
        insert(UserPreference).values(user_id=user_id, preferences_key="UserEmail", preferences_value=email)
    )
    if permission:
        session.execute(
            insert(GroupUser).values(
                user_id=user_id, group_id=USERS_GROUP, permission_key=permission, **_audit()
            )
        )
    return Agent(user_id, email, f"{login.title()} Agent")


@dataclass
class Helpdesk:
    services: Services
    processor: InboundProcessor
    alice: Agent
    bob: Agent
    dave: Agent

    @classmethod
    def set_up(cls, services: Services, processor: InboundProcessor) -> Helpdesk:
        with services.sessions.begin() as session:
            address_id = session.execute(
                insert(SystemAddress)
                .values(value0=SUPPORT, value1="Example Support", queue_id=2, valid_id=1, **_audit())
                .returning(SystemAddress.id)
            ).scalar_one()
            session.execute(update(Queue).where(Queue.name == "Raw").values(system_address_id=address_id))
            alice = _agent(session, "alice", "rw")
            bob = _agent(session, "bob", "ro")
            dave = _agent(session, "dave", "rw", valid=2)
        return cls(services, processor, alice, bob, dave)

    def session(self) -> Session:
        return self.services.sessions()

    def deliver(self, raw: bytes, recipients: tuple[str, ...] = (SUPPORT,)) -> Processed:
        accepted = self.services.intake.accept(raw, InboundSource.SMTP, "sender@example.net", recipients)
        return self.processor.process(accepted.spool_id)

    def new_ticket(self, body: str = "It does not print.") -> tuple[int, str]:
        """A customer's new ticket; returns its id and the customer's Message-ID."""
        message_id = new_id("customer.example")
        done = self.deliver(mail(f"Jane Doe <{CUSTOMER}>", SUPPORT, "Printer broken", body, message_id))
        assert done.outcome == "new_ticket" and done.ticket_id is not None, done
        return done.ticket_id, message_id

    def reply_address(self, ticket_id: int, agent: Agent, issued: date | None = None) -> str:
        return issue_agent_reply_address(SECRET, SUPPORT, ticket_id, agent.id, issued or date.today())

    def answer(self, ticket_id: int, text: str, *, agent: Agent | None = None, **kwargs: object) -> Processed:
        """An agent's answer to the notification of ticket_id, sent to its agent reply address."""
        agent = agent or self.alice
        address = str(kwargs.pop("address", None) or self.reply_address(ticket_id, agent))
        sender = str(kwargs.pop("sender", None) or f"{agent.name} <{agent.email}>")
        raw = agent_mail(sender, address, ticket_id, text, **kwargs)  # type: ignore[arg-type]
        return self.deliver(raw, recipients=(address,))

    # --- reading back -------------------------------------------------------------------------------

    def state(self, ticket_id: int) -> str:
        with self.session() as session:
            ticket = session.get_one(Ticket, ticket_id)
            return session.get_one(TicketState, ticket.ticket_state_id).name

    def until_time(self, ticket_id: int) -> int:
        with self.session() as session:
            return session.get_one(Ticket, ticket_id).until_time

    def history(self, ticket_id: int) -> list[tuple[str, str, int]]:
        with self.session() as session:
            rows = session.execute(
                select(TicketHistoryType.name, TicketHistory.name, TicketHistory.create_by)
                .join(TicketHistory, TicketHistory.history_type_id == TicketHistoryType.id)
                .where(TicketHistory.ticket_id == ticket_id)
                .order_by(TicketHistory.id)
            )
            return [(kind, name, by) for kind, name, by in rows]

    def article(self, article_id: int) -> tuple[Article, ArticleDataMime, str]:
        with self.session() as session:
            article = session.get_one(Article, article_id)
            mime = session.scalars(
                select(ArticleDataMime).where(ArticleDataMime.article_id == article_id)
            ).one()
            sender_type = session.get_one(ArticleSenderType, article.article_sender_type_id).name
            session.expunge_all()
            return article, mime, sender_type

    def outbox(self, ticket_id: int) -> list[OutboxMail]:
        with self.session() as session:
            rows = list(
                session.scalars(
                    select(OutboxMail).where(OutboxMail.ticket_id == ticket_id).order_by(OutboxMail.id)
                )
            )
            session.expunge_all()
            return rows

    def trace(self, spool_id: int) -> dict[str, object]:
        with self.session() as session:
            decision = session.scalars(select(Decision).where(Decision.inbound_id == spool_id)).one()
            trace: dict[str, object] = json.loads(decision.trace)
            return trace


def new_id(domain: str) -> str:
    return f"{uuid.uuid4().hex}@{domain}"


def mail(
    sender: str, to: str, subject: str, body: str, message_id: str, extra: tuple[str, ...] = ()
) -> bytes:
    headers = [
        *extra,
        f"From: {sender}",
        f"To: {to}",
        f"Subject: {subject}",
        f"Message-ID: <{message_id}>",
        f"Date: {datetime.now():%a, %d %b %Y %H:%M:%S} +0000",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
    ]
    return ("\r\n".join(headers) + "\r\n\r\n" + body.replace("\n", "\r\n") + "\r\n").encode()


QUOTE = (
    "\n\nOn Wed, 25 Nov 2026 at 10:00, Example Support <support@example.org> wrote:\n"
    "> New ticket from Jane Doe <jane@customer.example>\n"
    "> It does not print.\n"
)


def agent_mail(
    sender: str,
    address: str,
    ticket_id: int,
    text: str,
    *,
    auth: str | None = f"{AUTHSERV_ID}; dkim=pass header.d=corp.example; spf=pass smtp.mailfrom=corp.example",
    extra: tuple[str, ...] = (),
    in_reply_to: str | None = None,
) -> bytes:
    """An answer as a mail client writes it: the text on top, the notification quoted below.

    ``auth`` is the Authentication-Results our MTA (mx.example.org) prepends above its Received line.
    """
    trace = (f"Authentication-Results: {auth}",) if auth else ()
    trace += ("Received: from mail.corp.example by mx.example.org with ESMTPS",)
    thread = (f"In-Reply-To: <{in_reply_to}>", f"References: <{in_reply_to}>") if in_reply_to else ()
    subject = f"Re: [Ticket#{ticket_id}] New ticket: Printer broken"
    return mail(sender, address, subject, text + QUOTE, new_id("corp.example"), (*trace, *extra, *thread))


def assert_refused(helpdesk: Helpdesk, done: Processed, ticket_id: int, reason: str) -> None:
    """Stored on the ticket as an internal article, flagged with the reason, nothing sent, state unchanged."""
    state_before = helpdesk.state(ticket_id)
    assert (done.state, done.outcome, done.ticket_id) == ("done", "agent_reply_refused", ticket_id), done
    assert done.article_id is not None
    article, mime, _ = helpdesk.article(done.article_id)
    assert article.is_visible_for_customer == 0
    assert "On Wed, 25 Nov 2026" in (mime.a_body or "")  # stored whole, for the agents to judge
    assert [row for row in helpdesk.outbox(ticket_id) if row.article_id == done.article_id] == []
    assert [row.kind for row in helpdesk.outbox(ticket_id)] == []  # no relay, no auto-reply
    flags = [name for kind, name, _ in helpdesk.history(ticket_id) if kind == "Misc"]
    assert flags and flags[-1].startswith("Agent reply by mail NOT relayed:") and reason in flags[-1], flags
    agent_mail = helpdesk.trace(done.spool_id)["agent_mail"]
    assert isinstance(agent_mail, dict) and reason in agent_mail["refused"]
    assert helpdesk.state(ticket_id) == state_before
