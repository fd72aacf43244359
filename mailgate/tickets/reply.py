"""reply(): an agent answers a ticket (web UI): the outbound article, its history row and its outbox row."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import formataddr
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from mailgate.errors import MailgateError
from mailgate.followup.message_ids import message_id_md5
from mailgate.outbound.lookup import Mailbox, customer_mailbox, last_customer_mail, queue_sender, ticket
from mailgate.outbound.outbox import OutboundRequest, enqueue_outbound
from mailgate.sla.escalation import refresh_escalations
from mailgate.ticketnumber import DEFAULT_STYLE, SubjectStyle, build_subject
from mailgate.tickets.articles import ARTICLE_INSERT, HTML_BODY_FILENAME, SUBJECT_MAX
from mailgate.tickets.clock import epoch
from mailgate.tickets.lookups import load_lookups
from mailgate.tickets.writer import TicketWriter, audit, table_of
from mailgate.tokens import issue_message_id
from schema import ArticleDataMime, ArticleDataMimeAttachment, Ticket
from schema.outbox import OutboxKind

CONTENT_TYPE_TEXT = "text/plain; charset=utf-8"
MAX_REFERENCES = 20


class ReplyError(MailgateError):
    """The answer cannot be written (no recipient for a mail, empty text)."""


@dataclass(frozen=True, slots=True)
class ReplyAttachment:
    """A file the agent attaches to the answer."""

    filename: str
    content: bytes
    content_type: str = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class ReplyResult:
    """What reply() wrote: the article, its Message-ID, and the outbox row (None for an internal note)."""

    article_id: int
    message_id: str
    outbox_id: int | None


@dataclass(frozen=True, slots=True)
class _Envelope:
    sender: Mailbox
    to: tuple[Mailbox, ...]
    cc: tuple[Mailbox, ...]
    subject: str
    in_reply_to: str | None
    references: tuple[str, ...]


def _envelope(
    session: Session, ticket_id: int, style: SubjectStyle, to: Sequence[Mailbox] | None, cc: Sequence[Mailbox]
) -> _Envelope:
    row = ticket(session, ticket_id)
    answered = last_customer_mail(session, ticket_id)
    customer = customer_mailbox(session, row)
    recipients = tuple(to) if to else ((customer,) if customer else ())
    subject = build_subject(
        row.tn, answered.subject if answered else (row.title or ""), style, action="reply"
    )
    references: tuple[str, ...] = ()
    if answered is not None and answered.message_id:
        chain = [*answered.references, answered.message_id]
        references = tuple(dict.fromkeys(chain))
        if len(references) > MAX_REFERENCES:
            references = (references[0], *references[-(MAX_REFERENCES - 1) :])
    return _Envelope(
        sender=queue_sender(session, row.queue_id),
        to=recipients,
        cc=tuple(cc),
        subject=subject,
        in_reply_to=answered.message_id if answered else None,
        references=references,
    )


def _listed(boxes: Sequence[Mailbox]) -> str | None:
    return ", ".join(formataddr((box.name, box.email)) if box.name else box.email for box in boxes) or None


def reply(
    session: Session,
    ticket_id: int,
    agent_user_id: int,
    text: str,
    attachments: Sequence[ReplyAttachment] = (),
    internal: bool = False,
    *,
    now: datetime,
    secret: str,
    fqdn: str,
    html: str | None = None,
    to: Sequence[Mailbox] | None = None,
    cc: Sequence[Mailbox] = (),
    subject_style: SubjectStyle = DEFAULT_STYLE,
) -> ReplyResult:
    """Store an agent's answer on the ticket and, unless internal, queue it for sending (in the caller's txn).

    The article keeps its own Message-ID (with Znuny's md5), so the customer's answer threads back.
    """
    if not text.strip() and not attachments:
        raise ReplyError("an answer needs text or an attachment")
    # write first (Znuny's TicketChangeTime): locks the ticket, and on SQLite takes the write lock before any
    # read, so a sender committing meanwhile cannot make this transaction's first write fail
    touched = session.execute(
        update(Ticket)
        .where(Ticket.id == ticket_id)
        .values(change_time=now, change_by=agent_user_id)
        .returning(Ticket.id)
    ).scalar_one_or_none()
    if touched is None:
        raise ReplyError(f"ticket {ticket_id} does not exist")
    writer = TicketWriter(session, load_lookups(session), now, user_id=agent_user_id)
    ticket_row = writer.load_ticket(ticket_id)
    envelope = _envelope(session, ticket_id, subject_style, to, cc)
    if not internal and not envelope.to:
        raise ReplyError(f"ticket {ticket_id} has no customer address to answer to")
    lookups = writer.lookups
    values = {
        "ticket_id": ticket_id,
        "article_sender_type_id": lookups.sender_type("agent"),
        "communication_channel_id": lookups.channel("Internal" if internal else "Email"),
        "is_visible_for_customer": 0 if internal else 1,
        "search_index_needs_rebuild": 1,
        "insert_fingerprint": None,
        **audit(now, agent_user_id),
    }
    article_id = session.connection().execute(ARTICLE_INSERT, values).scalar_one()
    message_id = issue_message_id(secret, fqdn, ticket_id, unique=str(article_id))
    writer.add(
        table_of(ArticleDataMime), _mime_row(article_id, envelope, message_id, text, now, agent_user_id)
    )
    _attachment_rows(writer, article_id, html, attachments, now, agent_user_id)
    if internal:
        writer.history(ticket_row, "AddNote", "%%Note", article_id)
    else:
        writer.history(ticket_row, "SendAnswer", f"%%{_listed(envelope.to + envelope.cc)}", article_id)
    writer.flush()
    refresh_escalations(session, ticket_id, now)  # SLA: first response met, update clock restarted
    outbox_id = None
    if not internal:
        request = OutboundRequest(
            kind=OutboxKind.ARTICLE.value,
            dedupe_key=f"article:{article_id}",
            recipients=[box.email for box in (*envelope.to, *envelope.cc)],
            ticket_id=ticket_id,
            article_id=article_id,
            user_id=agent_user_id,
        )
        outbox_id = enqueue_outbound(session, request, now)
    return ReplyResult(article_id=article_id, message_id=message_id, outbox_id=outbox_id)


def _mime_row(
    article_id: int, envelope: _Envelope, message_id: str, text: str, now: datetime, user_id: int
) -> dict[str, Any]:
    return {
        "article_id": article_id,
        "a_from": _listed([envelope.sender]),
        "a_reply_to": None,
        "a_to": _listed(envelope.to),
        "a_cc": _listed(envelope.cc),
        "a_bcc": None,
        "a_subject": envelope.subject[:SUBJECT_MAX],
        "a_message_id": message_id,
        "a_message_id_md5": message_id_md5(message_id),
        "a_in_reply_to": envelope.in_reply_to,
        "a_references": " ".join(envelope.references) or None,
        "a_content_type": CONTENT_TYPE_TEXT,
        "a_body": text,
        "incoming_time": epoch(now),
        "content_path": None,
        **audit(now, user_id),
    }


def _attachment_rows(
    writer: TicketWriter,
    article_id: int,
    html: str | None,
    attachments: Sequence[ReplyAttachment],
    now: datetime,
    user_id: int,
) -> None:
    files: list[tuple[str, bytes, str, str | None]] = []
    if html:
        files.append((HTML_BODY_FILENAME, html.encode("utf-8"), 'text/html; charset="utf-8"', "1"))
    files += [(item.filename, item.content, item.content_type, None) for item in attachments]
    for filename, content, content_type, alternative in files:
        writer.add(
            table_of(ArticleDataMimeAttachment),
            {
                "article_id": article_id,
                "filename": filename[:250],
                "content_size": str(len(content)),
                "content_type": content_type[:450],
                "content_id": None,
                "content_alternative": alternative,
                "disposition": "inline" if alternative else "attachment",
                "content": base64.b64encode(content).decode("ascii"),
                **audit(now, user_id),
            },
        )
