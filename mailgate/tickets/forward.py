"""forward(): an agent forwards an article to any address (Znuny AgentTicketForward): article + outbox."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import datetime
from email.utils import formataddr

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mailgate.followup.message_ids import message_id_md5
from mailgate.outbound.lookup import Mailbox, queue_sender
from mailgate.outbound.outbox import OutboundRequest, enqueue_outbound
from mailgate.sla.escalation import refresh_escalations
from mailgate.ticketnumber import DEFAULT_STYLE, SubjectStyle, build_subject
from mailgate.tickets.articles import ARTICLE_INSERT, HTML_BODY_FILENAME, SUBJECT_MAX
from mailgate.tickets.clock import epoch
from mailgate.tickets.lookups import load_lookups
from mailgate.tickets.reply import CONTENT_TYPE_TEXT, ReplyAttachment, ReplyError, ReplyResult
from mailgate.tickets.writer import TicketWriter, audit, table_of
from mailgate.tokens import issue_message_id
from schema import Article, ArticleDataMime, ArticleDataMimeAttachment, Ticket
from schema.outbox import OutboxKind


def _listed(boxes: Sequence[Mailbox]) -> str:
    return ", ".join(formataddr((box.name, box.email)) if box.name else box.email for box in boxes)


def forwarded_text(mime: ArticleDataMime | None) -> str:
    """The quoted block Znuny puts below the agent's words: the original's headers and body."""
    if mime is None:
        return ""
    lines = ["", "---- Forwarded message ----", f"From: {mime.a_from or ''}"]
    lines += [f"To: {mime.a_to}"] if mime.a_to else []
    lines += [f"Cc: {mime.a_cc}"] if mime.a_cc else []
    lines += [f"Subject: {mime.a_subject or ''}", "", mime.a_body or "", "---- End of forwarded message ----"]
    return "\n".join(lines)


def _original_files(session: Session, article_id: int) -> list[ReplyAttachment]:
    rows = session.scalars(
        select(ArticleDataMimeAttachment)
        .where(ArticleDataMimeAttachment.article_id == article_id)
        .order_by(ArticleDataMimeAttachment.id)
    )
    return [
        ReplyAttachment(
            row.filename or "attachment",
            base64.b64decode(row.content or ""),
            row.content_type or "application/octet-stream",
        )
        for row in rows
        if not (row.filename == HTML_BODY_FILENAME and row.content_alternative)
    ]


def forward(
    session: Session,
    ticket_id: int,
    article_id: int,
    agent_user_id: int,
    to: Sequence[Mailbox],
    text: str,
    attachments: Sequence[ReplyAttachment] = (),
    *,
    now: datetime,
    secret: str,
    fqdn: str,
    subject_style: SubjectStyle = DEFAULT_STYLE,
) -> ReplyResult:
    """Store the forward as the agent's email article (history 'Forward') and queue it for sending."""
    if not to:
        raise ReplyError("a forward needs a recipient")
    original = session.get(Article, article_id)
    if original is None or original.ticket_id != ticket_id:
        raise ReplyError(f"article {article_id} is not on ticket {ticket_id}")
    session.execute(
        update(Ticket).where(Ticket.id == ticket_id).values(change_time=now, change_by=agent_user_id)
    )
    writer = TicketWriter(session, load_lookups(session), now, user_id=agent_user_id)
    row = writer.load_ticket(ticket_id)
    mime = session.scalar(select(ArticleDataMime).where(ArticleDataMime.article_id == article_id))
    subject = build_subject(row.tn, (mime.a_subject if mime else "") or "", subject_style, action="forward")
    values = {
        "ticket_id": ticket_id,
        "article_sender_type_id": writer.lookups.sender_type("agent"),
        "communication_channel_id": writer.lookups.channel("Email"),
        "is_visible_for_customer": 1,
        "search_index_needs_rebuild": 1,
        "insert_fingerprint": None,
        **audit(now, agent_user_id),
    }
    new_id = session.connection().execute(ARTICLE_INSERT, values).scalar_one()
    message_id = issue_message_id(secret, fqdn, ticket_id, unique=str(new_id))
    writer.add(
        table_of(ArticleDataMime),
        {
            "article_id": new_id,
            "a_from": _listed([queue_sender(session, row.queue_id)]),
            "a_reply_to": None, "a_to": _listed(to), "a_cc": None, "a_bcc": None,
            "a_subject": subject[:SUBJECT_MAX],
            "a_message_id": message_id,
            "a_message_id_md5": message_id_md5(message_id),
            "a_in_reply_to": mime.a_message_id if mime else None,
            "a_references": mime.a_message_id if mime else None,
            "a_content_type": CONTENT_TYPE_TEXT,
            "a_body": (text.rstrip() + "\n" + forwarded_text(mime)).lstrip("\n"),
            "incoming_time": epoch(now),
            "content_path": None,
            **audit(now, agent_user_id),
        },
    )  # fmt: skip
    for item in (*_original_files(session, article_id), *attachments):
        writer.add(
            table_of(ArticleDataMimeAttachment),
            {
                "article_id": new_id, "filename": item.filename[:250], "content_size": str(len(item.content)),
                "content_type": item.content_type[:450], "content_id": None, "content_alternative": None,
                "disposition": "attachment", "content": base64.b64encode(item.content).decode("ascii"),
                **audit(now, agent_user_id),
            },
        )  # fmt: skip
    writer.history(row, "Forward", f"%%{_listed(to)}", new_id)
    writer.flush()
    request = OutboundRequest(
        kind=OutboxKind.ARTICLE.value,
        dedupe_key=f"article:{new_id}",
        recipients=[box.email for box in to],
        ticket_id=ticket_id,
        article_id=new_id,
        user_id=agent_user_id,
        params={"action": "forward"},
    )
    outbox_id = enqueue_outbound(session, request, now)
    refresh_escalations(session, ticket_id, now)
    return ReplyResult(article_id=new_id, message_id=message_id, outbox_id=outbox_id)
