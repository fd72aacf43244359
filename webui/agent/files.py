"""Files of a ticket: attachments (download or inline image), the raw mail, the isolated HTML body."""

from __future__ import annotations

import base64

from flask import Response, abort, render_template, request, url_for
from sqlalchemy import select

from parsers.limits import ParseOptions
from parsers.message import parse
from schema import Article, ArticleDataMimeAttachment, ArticleDataMimePlain
from webui.access import login_required, ticket_or_404
from webui.agent import bp
from webui.agent.articles import attachment_content
from webui.agent.htmlbody import normalize_cid, sanitize_html
from webui.db import db
from webui.downloads import INLINE_IMAGE_TYPES, file_response, media_type

# the HTML body is its own document: no scripts at all, images only from us (or anywhere if the agent
# asked for remote content), inline styles, shown only inside our own frame
BODY_CSP = (
    "default-src 'none'; img-src 'self' data:{remote}; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'; "
    "sandbox allow-same-origin allow-popups allow-popups-to-escape-sandbox"
)


def _article_of(ticket_id: int, article_id: int) -> Article:
    ticket_or_404(ticket_id)
    article = db().get(Article, article_id)
    if article is None or article.ticket_id != ticket_id:
        abort(404)
    return article


def _attachment_of(ticket_id: int, attachment_id: int) -> tuple[ArticleDataMimeAttachment, bytes]:
    ticket_or_404(ticket_id)
    found = attachment_content(db(), attachment_id)
    if found is None:
        abort(404)
    article = db().get(Article, found[0].article_id)
    if article is None or article.ticket_id != ticket_id:
        abort(404)
    return found


@bp.get("/tickets/<int:ticket_id>/attachments/<int:attachment_id>")
@login_required
def attachment(ticket_id: int, attachment_id: int) -> Response:
    """Download one attachment (always Content-Disposition: attachment)."""
    row, data = _attachment_of(ticket_id, attachment_id)
    return file_response(data, row.filename or f"attachment-{row.id}", row.content_type)


@bp.get("/tickets/<int:ticket_id>/attachments/<int:attachment_id>/inline")
@login_required
def inline_image(ticket_id: int, attachment_id: int) -> Response:
    """An image attachment shown inline (an HTML body's cid: reference); other types are refused."""
    row, data = _attachment_of(ticket_id, attachment_id)
    if media_type(row.content_type) not in INLINE_IMAGE_TYPES:
        abort(404)
    return file_response(data, row.filename or f"image-{row.id}", row.content_type, inline=True)


@bp.get("/tickets/<int:ticket_id>/articles/<int:article_id>/raw")
@login_required
def raw_mail(ticket_id: int, article_id: int) -> Response:
    """The article's mail as received (article_data_mime_plain), as an .eml download."""
    _article_of(ticket_id, article_id)
    body = db().scalar(select(ArticleDataMimePlain.body).where(ArticleDataMimePlain.article_id == article_id))
    if body is None:
        abort(404)
    return file_response(base64.b64decode(body), f"article-{article_id}.eml", "message/rfc822")


def _html_with_remote_content(article_id: int) -> str | None:
    """The HTML body parsed again from the raw mail with remote content kept (the stored one has none)."""
    body = db().scalar(select(ArticleDataMimePlain.body).where(ArticleDataMimePlain.article_id == article_id))
    if body is None:
        return None
    return parse(base64.b64decode(body), ParseOptions(allow_remote_content=True)).body.html


def _cid_urls(ticket_id: int, article_id: int) -> dict[str, str]:
    table = ArticleDataMimeAttachment
    rows = db().execute(
        select(table.id, table.content_id).where(
            table.article_id == article_id, table.content_id.is_not(None)
        )
    )
    return {
        normalize_cid(content_id): url_for("agent.inline_image", ticket_id=ticket_id, attachment_id=att_id)
        for att_id, content_id in rows
        if content_id
    }


@bp.get("/tickets/<int:ticket_id>/articles/<int:article_id>/html")
@login_required
def article_html(ticket_id: int, article_id: int) -> Response:
    """The article's HTML body, sanitized, as a document of its own under a strict CSP (for an iframe)."""
    _article_of(ticket_id, article_id)
    table = ArticleDataMimeAttachment
    part_id = db().scalar(
        select(table.id)
        .where(table.article_id == article_id, table.content_alternative.is_not(None))
        .where(table.content_type.like("text/html%"))
        .order_by(table.id)
        .limit(1)
    )
    if part_id is None:
        abort(404)
    found = attachment_content(db(), part_id)
    assert found is not None
    allow_remote = request.args.get("remote") == "1"
    html = (_html_with_remote_content(article_id) if allow_remote else None) or found[1].decode(
        "utf-8", "replace"
    )
    clean = sanitize_html(html, _cid_urls(ticket_id, article_id), allow_remote=allow_remote)
    response = Response(
        render_template("agent/article_body.html", body=clean), content_type="text/html; charset=utf-8"
    )
    response.headers["Content-Security-Policy"] = BODY_CSP.format(
        remote=" https: http:" if allow_remote else ""
    )
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["X-Mailgate-Blocked-Remote"] = str(clean.blocked_remote)
    return response
