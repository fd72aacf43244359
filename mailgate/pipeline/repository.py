"""Database reads the pipeline needs: tickets by Message-ID or number, queues, addresses, parties."""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import getaddresses

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from mailgate.followup.policy import FollowUpOption, TicketFacts
from mailgate.tickets.lookups import VALID, Lookups
from mailgate.tickets.merge import resolve_merged
from schema import (
    Article,
    ArticleDataMime,
    CustomerUser,
    Queue,
    SystemAddress,
    Ticket,
    User,
)

DEFAULT_QUEUE_NAME = "Raw"  # Znuny's PostmasterDefaultQueue

TICKETS_BY_MD5 = (
    select(ArticleDataMime.a_message_id_md5, Article.ticket_id)
    .join(Article, Article.id == ArticleDataMime.article_id)
    .where(ArticleDataMime.a_message_id_md5.in_(bindparam("md5s", expanding=True)))
)
TICKET_EXISTS = select(Ticket.id).where(Ticket.id == bindparam("ticket_id"))


class DbTicketLookups:
    """followup.TicketLookups against the Znuny tables."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def find_ticket_by_message_ids(self, md5s: list[str]) -> int | None:
        """The ticket of the first md5 (in the given order) that a stored article carries."""
        if not md5s:
            return None
        rows = self._session.connection().execute(TICKETS_BY_MD5, {"md5s": md5s}).all()
        found = {row[0]: row[1] for row in rows}
        return next((found[md5] for md5 in md5s if md5 in found), None)

    def find_ticket_by_number(self, tn: str) -> int | None:
        """The id of the ticket with this number; for a merged ticket, the ticket it was merged into."""
        return resolve_merged(self._session, self._session.scalar(select(Ticket.id).where(Ticket.tn == tn)))

    def ticket_exists(self, ticket_id: int) -> bool:
        """True if the ticket exists."""
        return self._session.connection().execute(TICKET_EXISTS, {"ticket_id": ticket_id}).first() is not None


@dataclass(frozen=True, slots=True)
class QueueDirectory:
    """Queues by id and name, system addresses with their queues, and the default queue."""

    names: dict[int, str]
    ids_by_name: dict[str, int]
    address_queues: dict[str, int]
    default_queue_id: int

    def resolve(self, ref: int | str | None) -> int | None:
        """A queue id from an id or a name (case-insensitive); None when unknown."""
        if ref is None:
            return None
        if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
            return int(ref) if int(ref) in self.names else None
        return self.ids_by_name.get(ref.strip().lower())


def load_queue_directory(session: Session) -> QueueDirectory:
    """Read the valid queues and system addresses."""
    queues = dict(session.execute(select(Queue.id, Queue.name).where(Queue.valid_id == VALID)).all())
    addresses = {
        email.strip().lower(): queue_id
        for email, queue_id in session.execute(
            select(SystemAddress.value0, SystemAddress.queue_id).where(SystemAddress.valid_id == VALID)
        )
    }
    by_name = {name.lower(): ident for ident, name in queues.items()}
    default = by_name.get(DEFAULT_QUEUE_NAME.lower()) or min(queues, default=1)
    return QueueDirectory(queues, by_name, addresses, default)


def resolve_user(session: Session, ref: int | str | None) -> int | None:
    """A valid agent's id from an id or a login; None when unknown."""
    if ref is None:
        return None
    query = select(User.id).where(User.valid_id == VALID)
    if isinstance(ref, int) or str(ref).isdigit():
        return session.scalar(query.where(User.id == int(ref)))
    return session.scalar(query.where(func.lower(User.login) == str(ref).strip().lower()))


# Facts about a ticket in one round trip: ticket, queue, and the email of its customer_user.
TICKET_FACTS = (
    select(
        Ticket.id,
        Ticket.tn,
        Ticket.ticket_state_id,
        Ticket.customer_user_id,
        Queue.follow_up_id,
        Queue.follow_up_lock,
        select(CustomerUser.email)
        .where(CustomerUser.login == Ticket.customer_user_id)
        .order_by(CustomerUser.id)
        .limit(1)
        .scalar_subquery()
        .label("customer_email"),
    )
    .outerjoin(Queue, Queue.id == Ticket.queue_id)
    .where(Ticket.id == bindparam("ticket_id"))
)
TICKET_ADDRESSES = (
    select(ArticleDataMime.a_from, ArticleDataMime.a_cc, ArticleDataMime.a_to)
    .join(Article, Article.id == ArticleDataMime.article_id)
    .where(Article.ticket_id == bindparam("ticket_id"))
)
AGENT_LOGINS = select(User.login).where(User.valid_id == VALID, User.login.contains("@"))


def _ticket_senders(session: Session, ticket_id: int) -> tuple[frozenset[str], frozenset[str]]:
    """Addresses that wrote to the ticket, and addresses that were cc'd on it."""
    rows = session.connection().execute(TICKET_ADDRESSES, {"ticket_id": ticket_id}).all()
    senders = {addr for row in rows for addr in _emails(row.a_from)}
    copied = {addr for row in rows for addr in (*_emails(row.a_cc), *_emails(row.a_to))}
    return frozenset(senders), frozenset(copied)


def _emails(header: str | None) -> list[str]:
    return [addr.lower() for _, addr in getaddresses([header or ""]) if "@" in addr]


def _customer_addresses(login: str | None, email: str | None) -> frozenset[str]:
    if not login:
        return frozenset()
    found = {login.lower()} if "@" in login else set()
    if email:
        found.add(email.lower())
    return frozenset(found)


def _agent_addresses(session: Session) -> frozenset[str]:
    """Logins of valid agents that are addresses (agents' own addresses count as parties)."""
    logins = session.connection().execute(AGENT_LOGINS).scalars()
    return frozenset(login.lower() for login in logins if "@" in login)


def load_ticket_facts(session: Session, lookups: Lookups, ticket_id: int) -> TicketFacts | None:
    """What the follow-up policy needs to know about a ticket, its queue and its parties."""
    ticket = session.connection().execute(TICKET_FACTS, {"ticket_id": ticket_id}).first()
    if ticket is None:
        return None
    senders, copied = _ticket_senders(session, ticket_id)
    follow_up_id = ticket.follow_up_id if ticket.follow_up_id is not None else 1
    return TicketFacts(
        ticket_id=ticket.id,
        state_type=lookups.state_type_of(ticket.ticket_state_id),
        follow_up_option=FollowUpOption.from_znuny(follow_up_id),
        follow_up_lock=bool(ticket.follow_up_lock),
        customer_addresses=_customer_addresses(ticket.customer_user_id, ticket.customer_email),
        cc_addresses=copied,
        sender_addresses=senders,
        agent_addresses=_agent_addresses(session),
        ticket_number=ticket.tn,
    )
