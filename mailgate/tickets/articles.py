"""Email articles stored the Znuny way: article, article_data_mime, _plain (raw mail) and _attachment."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email.utils import formataddr
from typing import Any

from sqlalchemy import insert

from mailgate.followup.message_ids import message_id_md5
from mailgate.tickets.clock import epoch
from mailgate.tickets.writer import TicketWriter, audit, table_of
from parsers.model import Address, Attachment, ParsedMessage
from schema import Article, ArticleDataMime, ArticleDataMimeAttachment, ArticleDataMimePlain

SYSTEM_USER = 1
SUBJECT_MAX = 3800
CONTENT_TYPE_TEXT = "text/plain; charset=utf-8"
HTML_BODY_FILENAME = "file-2"  # Znuny's name for the HTML alternative of an article body


ARTICLE_INSERT = insert(Article).returning(Article.id)


@dataclass(frozen=True, slots=True)
class ArticleSpec:
    """Who an article is from and who may see it."""

    sender_type_id: int
    channel_id: int
    visible_for_customer: bool
    fingerprint: str | None = None
    user_id: int = SYSTEM_USER


def angle(message_id: str | None) -> str | None:
    """A bare Message-ID in angle brackets, as Znuny stores it."""
    return f"<{message_id}>" if message_id else None


def format_addresses(addresses: Iterable[Address]) -> str | None:
    """A header-like, decoded address list ("Jane Doe <jane@example.com>, ...")."""
    text = ", ".join(formataddr((item.name, item.email)) if item.name else item.email for item in addresses)
    return text or None


def _mime_row(article_id: int, parsed: ParsedMessage, now: datetime, user_id: int) -> dict[str, Any]:
    return {
        "article_id": article_id,
        "a_from": format_addresses([parsed.from_]) if parsed.from_ else parsed.header("From"),
        "a_reply_to": format_addresses(parsed.reply_to),
        "a_to": format_addresses(parsed.to),
        "a_cc": format_addresses(parsed.cc),
        "a_bcc": None,
        "a_subject": parsed.subject[:SUBJECT_MAX],
        "a_message_id": angle(parsed.message_id),
        "a_message_id_md5": message_id_md5(parsed.message_id) if parsed.message_id else None,
        "a_in_reply_to": " ".join(angle(item) or "" for item in parsed.in_reply_to) or None,
        "a_references": " ".join(angle(item) or "" for item in parsed.references) or None,
        "a_content_type": CONTENT_TYPE_TEXT,
        "a_body": parsed.body.text,
        "incoming_time": epoch(now),
        "content_path": None,
        **audit(now, user_id),
    }


def _attachment_row(article_id: int, item: Attachment, now: datetime, user_id: int) -> dict[str, Any]:
    return {
        "article_id": article_id,
        "filename": item.filename[:250],
        "content_size": str(item.size),
        "content_type": item.content_type[:450],
        "content_id": angle(item.content_id),
        "content_alternative": None,
        "disposition": "inline" if item.inline else "attachment",
        "content": base64.b64encode(item.data).decode("ascii"),
        **audit(now, user_id),
    }


def _html_row(article_id: int, html: str, now: datetime, user_id: int) -> dict[str, Any]:
    data = html.encode("utf-8")
    return {
        "article_id": article_id,
        "filename": HTML_BODY_FILENAME,
        "content_size": str(len(data)),
        "content_type": 'text/html; charset="utf-8"',
        "content_id": None,
        "content_alternative": "1",
        "disposition": "inline",
        "content": base64.b64encode(data).decode("ascii"),
        **audit(now, user_id),
    }


def add_email_article(
    writer: TicketWriter, ticket_id: int, parsed: ParsedMessage, raw: bytes, spec: ArticleSpec
) -> int:
    """Insert the article now and queue its headers, body, raw source and attachments; returns its id."""
    now, user = writer.now, spec.user_id
    values = {
        "ticket_id": ticket_id,
        "article_sender_type_id": spec.sender_type_id,
        "communication_channel_id": spec.channel_id,
        "is_visible_for_customer": int(spec.visible_for_customer),
        "search_index_needs_rebuild": 1,
        "insert_fingerprint": spec.fingerprint,
        **audit(now, user),
    }
    article_id = writer.session.connection().execute(ARTICLE_INSERT, values).scalar_one()
    writer.add(table_of(ArticleDataMime), _mime_row(article_id, parsed, now, user))
    plain = {"article_id": article_id, "body": base64.b64encode(raw).decode("ascii"), **audit(now, user)}
    writer.add(table_of(ArticleDataMimePlain), plain)
    if parsed.body.html:
        writer.add(table_of(ArticleDataMimeAttachment), _html_row(article_id, parsed.body.html, now, user))
    for item in parsed.attachments:
        writer.add(table_of(ArticleDataMimeAttachment), _attachment_row(article_id, item, now, user))
    return article_id
