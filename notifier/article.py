"""Renderer for kind 'article': an agent's answer, rebuilt from the article the reply service stored."""

from __future__ import annotations

import base64
import binascii
import json
from email.utils import getaddresses

from sqlalchemy.orm import Session

from mailgate.outbound.lookup import header_of_source, ticket
from mailgate.tickets.articles import HTML_BODY_FILENAME
from mailgate.tokens import issue_reply_address
from notifier.batchcache import answered_source, attachments_of, stored_mail
from notifier.render import (
    Address,
    Attachment,
    RenderContext,
    RenderedMail,
    RendererRegistry,
    RenderError,
    Suppress,
    Threading,
)
from schema import Article
from schema.outbox import OutboxKind, OutboxMail

SIGNED_REPLY_ADDRESS = "article.signed_reply_address"
"""RenderContext.extra key: when true, Reply-To is a signed per-ticket address instead of the queue's."""


def _addresses(value: str | None) -> tuple[Address, ...]:
    return tuple(
        Address(email.strip(), name.strip()) for name, email in getaddresses([value or ""]) if "@" in email
    )


def _decoded(content: str | None) -> bytes:
    try:
        return base64.b64decode(content or "", validate=False)
    except (binascii.Error, ValueError):
        return b""


def _parent_thread_index(session: Session, ticket_id: int, in_reply_to: str | None) -> str | None:
    """The Thread-Index of the mail answered (found on the ticket by Message-ID md5), if it had one."""
    if not in_reply_to:
        return None
    return header_of_source(answered_source(session, ticket_id, in_reply_to), "Thread-Index")


class ArticleRenderer:
    """An agent's stored answer, sent as it was stored: same Message-ID, subject, recipients and files."""

    kind = OutboxKind.ARTICLE.value

    def render(self, session: Session, row: OutboxMail, ctx: RenderContext) -> RenderedMail | Suppress:
        """The stored article as a RenderedMail; internal articles are never sent."""
        article = session.get(Article, row.article_id) if row.article_id else None
        mime = stored_mail(session, row.article_id)
        if article is None or mime is None:
            raise RenderError(f"outbox {row.id}: article {row.article_id} not found")
        if not article.is_visible_for_customer:
            return Suppress(f"article {article.id} is internal")
        senders = _addresses(mime.a_from)
        if not senders:
            raise RenderError(f"article {article.id} has no From address")
        ticket_row = ticket(session, article.ticket_id)
        html, files = self._files(session, article.id)
        reply_to = None
        if ctx.extra.get(SIGNED_REPLY_ADDRESS):
            reply_to = Address(
                issue_reply_address(ctx.secret, senders[0].email, ticket_row.id), senders[0].name
            )
        in_reply_to = mime.a_in_reply_to.split()[0] if mime.a_in_reply_to else None
        return RenderedMail(
            sender=senders[0],
            to=_addresses(mime.a_to),
            cc=_addresses(mime.a_cc),
            reply_to=reply_to,
            subject=mime.a_subject or "",
            subject_action="forward"
            if json.loads(row.params or "{}").get("action") == "forward"
            else "reply",
            text=mime.a_body or "",
            html=html,
            threading=Threading(
                ticket_id=ticket_row.id,
                tn=ticket_row.tn,
                in_reply_to=in_reply_to,
                references=tuple((mime.a_references or "").split()),
                parent_thread_index=_parent_thread_index(session, ticket_row.id, in_reply_to),
            ),
            message_id=mime.a_message_id,
            attachments=files,
        )

    @staticmethod
    def _files(session: Session, article_id: int) -> tuple[str | None, tuple[Attachment, ...]]:
        html: str | None = None
        files: list[Attachment] = []
        for item in attachments_of(session, article_id):
            content = _decoded(item.content)
            if item.filename == HTML_BODY_FILENAME and item.content_alternative:
                html = content.decode("utf-8", "replace")
                continue
            files.append(
                Attachment(
                    filename=item.filename or "attachment",
                    content=content,
                    content_type=item.content_type or "application/octet-stream",
                    content_id=(item.content_id or "").strip("<>") or None,
                )
            )
        return html, tuple(files)


def register(registry: RendererRegistry) -> None:
    """Add the article renderer."""
    registry.register(ArticleRenderer())
