"""Database reads for agent mail: the agent (valid, address, rw on the queue) and the ticket's parties."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailgate.permissions import user_has_permission
from mailgate.tickets.lookups import VALID
from schema import (
    Article,
    ArticleDataMime,
    ArticleSenderType,
    CustomerUser,
    Queue,
    SystemAddress,
    Ticket,
    User,
)
from schema.agents import UserPreference

USER_EMAIL_KEY = "UserEmail"
RW = "rw"


@dataclass(frozen=True, slots=True)
class AgentFacts:
    """An agent as agent mail needs it: valid, mail address (UserEmail), name, rw on the ticket's queue."""

    user_id: int
    valid: bool
    email: str | None
    name: str
    can_write: bool


@dataclass(frozen=True, slots=True)
class TicketParties:
    """The ticket's queue and its system address, its customer's address, and the mail to answer."""

    ticket_id: int
    tn: str
    title: str
    state_id: int
    queue_id: int
    queue_name: str
    group_id: int
    system_address: str
    system_name: str
    customer_address: str | None
    last_customer_message_id: str | None
    last_customer_references: str | None


def user_email(session: Session, user_id: int) -> str | None:
    """The agent's UserEmail preference, stripped; None if the agent has none."""
    value = session.scalar(
        select(UserPreference.preferences_value)
        .where(UserPreference.user_id == user_id, UserPreference.preferences_key == USER_EMAIL_KEY)
        .order_by(UserPreference.id)
        .limit(1)
    )
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    return text.strip() if text and text.strip() else None


def load_agent(session: Session, user_id: int, group_id: int) -> AgentFacts | None:
    """The agent with this id, or None if there is no such user."""
    user = session.get(User, user_id)
    if user is None:
        return None
    can_write = user_has_permission(session, user_id, group_id, RW)
    name = " ".join(part for part in (user.first_name, user.last_name) if part).strip() or user.login
    return AgentFacts(
        user_id, user.valid_id == VALID, user_email(session, user_id), name, can_write
    )


def _customer_address(session: Session, login: str | None) -> str | None:
    """The customer's mail address: customer_user.email, or the login when it is an address."""
    if not login:
        return None
    email = session.scalar(select(CustomerUser.email).where(CustomerUser.login == login))
    if email and "@" in email:
        return email.strip()
    return login.strip() if "@" in login else None


def _last_customer_mail(session: Session, ticket_id: int) -> tuple[str | None, str | None]:
    """Message-ID and References of the ticket's latest customer article (what an answer replies to)."""
    row = session.execute(
        select(ArticleDataMime.a_message_id, ArticleDataMime.a_references)
        .join(Article, Article.id == ArticleDataMime.article_id)
        .join(ArticleSenderType, ArticleSenderType.id == Article.article_sender_type_id)
        .where(Article.ticket_id == ticket_id, ArticleSenderType.name == "customer")
        .where(Article.is_visible_for_customer == 1, ArticleDataMime.a_message_id.is_not(None))
        .order_by(Article.id.desc())
        .limit(1)
    ).first()
    return (row.a_message_id, row.a_references) if row else (None, None)


def load_ticket_parties(session: Session, ticket_id: int) -> TicketParties | None:
    """The ticket's queue, system address and customer; None if the ticket does not exist."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        return None
    queue = session.get_one(Queue, ticket.queue_id)
    address = session.get(SystemAddress, queue.system_address_id)
    message_id, references = _last_customer_mail(session, ticket_id)
    return TicketParties(
        ticket_id=ticket.id,
        tn=ticket.tn,
        title=ticket.title or "",
        state_id=ticket.ticket_state_id,
        queue_id=queue.id,
        queue_name=queue.name,
        group_id=queue.group_id,
        system_address=address.value0 if address else "",
        system_name=address.value1 if address else "",
        customer_address=_customer_address(session, ticket.customer_user_id),
        last_customer_message_id=message_id,
        last_customer_references=references,
    )


def via_name(agent_name: str, parties: TicketParties) -> str:
    """'Agent Name via Queue Address Name': the display name of an agent's answer, as Znuny writes it."""
    return f"{agent_name} via {parties.system_name}" if parties.system_name else agent_name
