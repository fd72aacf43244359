"""Reads that every outbound mail needs: the queue's sender address, the customer, the mail being answered."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mailgate.errors import MailgateError
from mailgate.rawheaders import header_block
from schema import (
    Article,
    ArticleDataMime,
    ArticleDataMimePlain,
    ArticleSenderType,
    CustomerUser,
    Queue,
    SystemAddress,
    Ticket,
)


class OutboundLookupError(MailgateError):
    """Something an outbound mail needs is missing (a ticket, its queue's system address)."""


@dataclass(frozen=True, slots=True)
class Mailbox:
    """An address with its display name."""

    email: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class AnsweredMail:
    """The stored mail an outbound mail answers: its ids for threading and its sender for the reply."""

    article_id: int
    message_id: str | None  # with angle brackets, as stored
    references: tuple[str, ...]  # the mail's own References, oldest first
    subject: str
    reply_address: Mailbox | None  # its Reply-To, else its From
    thread_index: str | None  # its Outlook Thread-Index header, if any


def queue_sender(session: Session, queue_id: int) -> Mailbox:
    """The queue's system address (value0) and display name (value1): From of everything the queue sends."""
    found = session.execute(
        select(SystemAddress.value0, SystemAddress.value1)
        .join(Queue, Queue.system_address_id == SystemAddress.id)
        .where(Queue.id == queue_id)
    ).first()
    if found is None:
        raise OutboundLookupError(f"queue {queue_id} has no system address")
    return Mailbox(email=found.value0.strip(), name=(found.value1 or "").strip())


def ticket(session: Session, ticket_id: int) -> Ticket:
    """The ticket row, or OutboundLookupError."""
    row = session.get(Ticket, ticket_id)
    if row is None:
        raise OutboundLookupError(f"ticket {ticket_id} does not exist")
    return row


def first_mailbox(value: str | None) -> Mailbox | None:
    """The first address of a stored header-like address list."""
    for name, email in getaddresses([value or ""]):
        if "@" in email:
            return Mailbox(email=email.strip(), name=name.strip())
    return None


def last_customer_mail(session: Session, ticket_id: int) -> AnsweredMail | None:
    """The newest email article from the customer on the ticket (what an agent's answer replies to)."""
    found = session.execute(
        select(Article.id, ArticleDataMime)
        .join(ArticleDataMime, ArticleDataMime.article_id == Article.id)
        .join(ArticleSenderType, ArticleSenderType.id == Article.article_sender_type_id)
        .where(Article.ticket_id == ticket_id, ArticleSenderType.name == "customer")
        .order_by(Article.id.desc())
        .limit(1)
    ).first()
    if found is None:
        return None
    article_id, mime = found
    return AnsweredMail(
        article_id=article_id,
        message_id=mime.a_message_id,
        references=tuple((mime.a_references or "").split()),
        subject=mime.a_subject or "",
        reply_address=first_mailbox(mime.a_reply_to) or first_mailbox(mime.a_from),
        thread_index=raw_header(session, article_id, "Thread-Index"),
    )


def raw_header(session: Session, article_id: int, name: str) -> str | None:
    """A header of the article's stored raw source (article_data_mime_plain), unfolded, or None."""
    body = session.scalar(
        select(ArticleDataMimePlain.body).where(ArticleDataMimePlain.article_id == article_id).limit(1)
    )
    return header_of_source(body, name)


def header_of_source(body: str | None, name: str) -> str | None:
    """A header of a stored raw source (article_data_mime_plain.body, base64), unfolded, or None."""
    if not body:
        return None
    try:
        raw = base64.b64decode(body, validate=False)
    except (binascii.Error, ValueError):
        return None
    value = BytesHeaderParser(policy=compat32).parsebytes(header_block(raw) + b"\r\n\r\n").get(name)
    return " ".join(str(value).split()) if value else None


def customer_mailbox(session: Session, ticket_row: Ticket) -> Mailbox | None:
    """Where an answer goes: the last customer mail's Reply-To or From, else the customer_user's email."""
    answered = last_customer_mail(session, ticket_row.id)
    if answered is not None and answered.reply_address is not None:
        return answered.reply_address
    if ticket_row.customer_user_id:
        found = session.execute(
            select(CustomerUser.email, CustomerUser.first_name, CustomerUser.last_name).where(
                func.lower(CustomerUser.login) == ticket_row.customer_user_id.lower()
            )
        ).first()
        if found is not None and found.email:
            name = " ".join(part for part in (found.first_name, found.last_name) if part)
            return Mailbox(email=found.email.strip(), name=name)
    return None
