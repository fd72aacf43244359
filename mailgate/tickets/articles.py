"""Email articles stored the Znuny way: article, article_data_mime, _plain (raw mail) and _attachment."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email.utils import formataddr

from sqlalchemy.orm import Session

from mailgate.tickets.clock import epoch
from parsers.model import Address, Attachment, ParsedMessage
from schema import Article, ArticleDataMime, ArticleDataMimeAttachment, ArticleDataMimePlain

SYSTEM_USER = 1
SUBJECT_MAX = 3800
CONTENT_TYPE_TEXT = "text/plain; charset=utf-8"
HTML_BODY_FILENAME = "file-2"  # Znuny's name for the HTML alternative of an article body


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


def message_id_md5(message_id: str | None) -> str | None:
    """Znuny's a_message_id_md5: md5 hex of the Message-ID with its angle brackets."""
    bracketed = angle(message_id)
    return hashlib.md5(bracketed.encode(), usedforsecurity=False).hexdigest() if bracketed else None


def format_addresses(addresses: Iterable[Address]) -> str | None:
    """A header-like, decoded address list ("Jane Doe <jane@example.com>, ...")."""
    text = ", ".join(formataddr((item.name, item.email)) if item.name else item.email for item in addresses)
    return text or None


def _audit(now: datetime, user_id: int) -> dict[str, object]:
    return {"create_time": now, "create_by": user_id, "change_time": now, "change_by": user_id}


def _mime_row(article_id: int, parsed: ParsedMessage, now: datetime, user_id: int) -> ArticleDataMime:
    return ArticleDataMime(
        article_id=article_id,
        a_from=format_addresses([parsed.from_]) if parsed.from_ else parsed.header("From"),
        a_reply_to=format_addresses(parsed.reply_to),
        a_to=format_addresses(parsed.to),
        a_cc=format_addresses(parsed.cc),
        a_bcc=None,
        a_subject=parsed.subject[:SUBJECT_MAX],
        a_message_id=angle(parsed.message_id),
        a_message_id_md5=message_id_md5(parsed.message_id),
        a_in_reply_to=" ".join(angle(item) or "" for item in parsed.in_reply_to) or None,
        a_references=" ".join(angle(item) or "" for item in parsed.references) or None,
        a_content_type=CONTENT_TYPE_TEXT,
        a_body=parsed.body.text,
        incoming_time=epoch(now),
        content_path=None,
        **_audit(now, user_id),
    )


def _attachment_row(
    article_id: int, item: Attachment, now: datetime, user_id: int
) -> ArticleDataMimeAttachment:
    return ArticleDataMimeAttachment(
        article_id=article_id,
        filename=item.filename[:250],
        content_size=str(item.size),
        content_type=item.content_type[:450],
        content_id=angle(item.content_id),
        content_alternative=None,
        disposition="inline" if item.inline else "attachment",
        content=base64.b64encode(item.data).decode("ascii"),
        **_audit(now, user_id),
    )


def _html_row(article_id: int, html: str, now: datetime, user_id: int) -> ArticleDataMimeAttachment:
    data = html.encode("utf-8")
    return ArticleDataMimeAttachment(
        article_id=article_id,
        filename=HTML_BODY_FILENAME,
        content_size=str(len(data)),
        content_type='text/html; charset="utf-8"',
        content_id=None,
        content_alternative="1",
        disposition="inline",
        content=base64.b64encode(data).decode("ascii"),
        **_audit(now, user_id),
    )


def add_email_article(
    session: Session, ticket_id: int, parsed: ParsedMessage, raw: bytes, spec: ArticleSpec, now: datetime
) -> Article:
    """Store one email article with its headers, body, raw source and attachments; returns the article."""
    article = Article(
        ticket_id=ticket_id,
        article_sender_type_id=spec.sender_type_id,
        communication_channel_id=spec.channel_id,
        is_visible_for_customer=int(spec.visible_for_customer),
        search_index_needs_rebuild=1,
        insert_fingerprint=spec.fingerprint,
        **_audit(now, spec.user_id),
    )
    session.add(article)
    session.flush()
    rows: list[object] = [
        _mime_row(article.id, parsed, now, spec.user_id),
        ArticleDataMimePlain(
            article_id=article.id, body=base64.b64encode(raw).decode("ascii"), **_audit(now, spec.user_id)
        ),
    ]
    if parsed.body.html:
        rows.append(_html_row(article.id, parsed.body.html, now, spec.user_id))
    rows.extend(_attachment_row(article.id, item, now, spec.user_id) for item in parsed.attachments)
    session.add_all(rows)
    return article
