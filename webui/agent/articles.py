"""Loading a ticket's thread: articles with their headers, sender type and attachment list (no content)."""

from __future__ import annotations

import base64
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from schema import (
    Article,
    ArticleDataMime,
    ArticleDataMimeAttachment,
    ArticleSenderType,
    CommunicationChannel,
)

HTML_BODY_FILENAME = "file-2"  # mailgate.tickets.articles stores the HTML alternative under Znuny's name


@dataclass(frozen=True, slots=True)
class AttachmentInfo:
    """One article_data_mime_attachment row without its content."""

    id: int
    filename: str
    content_type: str
    size: int
    content_id: str | None
    inline: bool


@dataclass
class ArticleView:
    """One article of the thread as the ticket view shows it."""

    id: int
    sender_type: str
    channel: str
    internal: bool
    created: datetime
    mime: ArticleDataMime | None
    html_part: AttachmentInfo | None = None
    attachments: list[AttachmentInfo] = field(default_factory=list)

    @property
    def subject(self) -> str:
        """The article's subject (empty when it has no MIME row)."""
        return (self.mime.a_subject or "") if self.mime else ""


def is_html_body(row: AttachmentInfo, alternative: str | None) -> bool:
    """Whether an attachment row is the article's HTML body (Znuny: file-2, content_alternative set)."""
    return (
        row.filename == HTML_BODY_FILENAME
        and row.content_type.lower().startswith("text/html")
        and bool(alternative)
    )


def _attachments(
    session: Session, article_ids: list[int]
) -> dict[int, list[tuple[AttachmentInfo, str | None]]]:
    table = ArticleDataMimeAttachment
    rows = session.execute(
        select(
            table.id, table.article_id, table.filename, table.content_type, table.content_size,
            table.content_id, table.disposition, table.content_alternative,
        )
        .where(table.article_id.in_(article_ids))
        .order_by(table.article_id, table.id)
    )  # fmt: skip
    found: dict[int, list[tuple[AttachmentInfo, str | None]]] = defaultdict(list)
    for row in rows:
        size = int(row.content_size) if (row.content_size or "").isdigit() else 0
        info = AttachmentInfo(
            row.id, row.filename or f"attachment-{row.id}", row.content_type or "application/octet-stream",
            size, row.content_id, (row.disposition or "").lower() == "inline",
        )  # fmt: skip
        found[row.article_id].append((info, row.content_alternative))
    return found


def load_thread(session: Session, ticket_id: int) -> list[ArticleView]:
    """The ticket's articles in the order they were added, with MIME headers and attachment lists."""
    rows = session.execute(
        select(Article, ArticleDataMime, ArticleSenderType.name, CommunicationChannel.name)
        .outerjoin(ArticleDataMime, ArticleDataMime.article_id == Article.id)
        .join(ArticleSenderType, ArticleSenderType.id == Article.article_sender_type_id)
        .join(CommunicationChannel, CommunicationChannel.id == Article.communication_channel_id)
        .where(Article.ticket_id == ticket_id)
        .order_by(Article.create_time, Article.id)
    ).all()
    views = [
        ArticleView(
            article.id, sender, channel, not article.is_visible_for_customer, article.create_time, mime
        )
        for article, mime, sender, channel in rows
    ]
    files = _attachments(session, [view.id for view in views]) if views else {}
    for view in views:
        for info, alternative in files.get(view.id, []):
            if view.html_part is None and is_html_body(info, alternative):
                view.html_part = info
            else:
                view.attachments.append(info)
    return views


def attachment_content(
    session: Session, attachment_id: int
) -> tuple[ArticleDataMimeAttachment, bytes] | None:
    """An attachment row and its decoded bytes (Znuny keeps base64 text)."""
    row = session.get(ArticleDataMimeAttachment, attachment_id)
    if row is None:
        return None
    return row, base64.b64decode(row.content or "")
