"""Reads shared by the rows of one send batch, done once per batch instead of once per row.

``prefetch(session, rows)`` runs in the sender's claim transaction before the rows are rendered:
the batch's tickets and articles land in the session's identity map (so ``session.get`` costs no
query), and their stored mails (article_data_mime), attachments and the raw sources of the mails
they answer are kept on ``session.info`` for the renderers. Each lookup below falls back to its own
query for a row the batch did not prefetch (a renderer called outside a batch), so renderers work
with or without it. The cache lives as long as the session: one batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from mailgate.followup.message_ids import message_id_md5
from mailgate.outbound.lookup import Mailbox, queue_sender
from mailgate.tickets.lookups import Lookups, load_lookups
from schema import Article, ArticleDataMime, ArticleDataMimeAttachment, ArticleDataMimePlain, Ticket
from schema.outbox import OutboxKind, OutboxMail

_KEY = "notifier.batch_cache"


@dataclass
class BatchCache:
    """What one batch read up front; a missing key means 'not prefetched', not 'absent'."""

    mime: dict[int, ArticleDataMime | None] = field(default_factory=dict)  # by article id
    attachments: dict[int, list[ArticleDataMimeAttachment]] = field(default_factory=dict)  # by article id
    sources: dict[tuple[int, str], str | None] = field(default_factory=dict)  # (ticket id, md5) -> raw b64
    senders: dict[int, Mailbox] = field(default_factory=dict)  # by queue id
    loaded: list[object] = field(default_factory=list)  # the identity map holds rows weakly: keep them
    lookups: Lookups | None = None  # states, types, sender types, channels: read once per batch


def cache_of(session: Session) -> BatchCache:
    """The session's batch cache (an empty one is created on first use)."""
    cache = session.info.get(_KEY)
    if not isinstance(cache, BatchCache):
        cache = session.info[_KEY] = BatchCache()
    return cache


def prefetch(session: Session, rows: Sequence[OutboxMail]) -> None:
    """Read what the batch's renderers will ask for in a few IN queries (nothing for fewer than 2 rows)."""
    if len(rows) < 2:
        return
    cache = cache_of(session)
    # every row this batch loads stays referenced, so a second session.get of it (users, queues,
    # states, ...) is answered by the identity map instead of a query
    event.listen(session, "loaded_as_persistent", lambda _session, instance: cache.loaded.append(instance))
    ticket_ids = sorted({row.ticket_id for row in rows if row.ticket_id})
    article_ids = sorted({row.article_id for row in rows if row.article_id and row.raw is None})
    if ticket_ids:
        cache.loaded += session.scalars(select(Ticket).where(Ticket.id.in_(ticket_ids))).all()
    if not article_ids:
        return
    found = {item.article_id: item for item in session.scalars(
        select(ArticleDataMime).where(ArticleDataMime.article_id.in_(article_ids)).order_by(ArticleDataMime.id.desc())
    )}  # fmt: skip
    cache.mime.update({article_id: found.get(article_id) for article_id in article_ids})
    answers = sorted(
        {row.article_id for row in rows if row.kind == OutboxKind.ARTICLE.value and row.article_id}
    )
    if answers:
        _prefetch_answers(session, cache, answers)


def _prefetch_answers(session: Session, cache: BatchCache, article_ids: list[int]) -> None:
    """Agents' answers: the articles, their attachments and the sources of the mails they answer."""
    articles = session.scalars(select(Article).where(Article.id.in_(article_ids))).all()
    cache.loaded += articles
    files: dict[int, list[ArticleDataMimeAttachment]] = {article_id: [] for article_id in article_ids}
    for item in session.scalars(
        select(ArticleDataMimeAttachment)
        .where(ArticleDataMimeAttachment.article_id.in_(article_ids))
        .order_by(ArticleDataMimeAttachment.id)
    ):
        files[item.article_id].append(item)
    cache.attachments.update(files)
    wanted = {
        (article.ticket_id, message_id_md5(mime.a_in_reply_to.split()[0]))
        for article in articles
        if (mime := cache.mime.get(article.id)) is not None and mime.a_in_reply_to
    }
    if not wanted:
        return
    for key in wanted:
        cache.sources[key] = None
    rows = session.execute(
        select(Article.ticket_id, ArticleDataMime.a_message_id_md5, ArticleDataMimePlain.body)
        .join(ArticleDataMime, ArticleDataMime.article_id == ArticleDataMimePlain.article_id)
        .join(Article, Article.id == ArticleDataMime.article_id)
        .where(Article.ticket_id.in_(sorted({ticket_id for ticket_id, _ in wanted})))
        .where(ArticleDataMime.a_message_id_md5.in_(sorted({md5 for _, md5 in wanted})))
        .order_by(ArticleDataMimePlain.id)
    )
    for ticket_id, md5, body in rows:
        key = (ticket_id, md5 or "")
        if key in wanted and cache.sources.get(key) is None:
            cache.sources[key] = body


def stored_mail(session: Session, article_id: int | None) -> ArticleDataMime | None:
    """The article's article_data_mime row (from the batch cache when prefetched)."""
    cache = cache_of(session)
    if article_id is not None and article_id in cache.mime:
        return cache.mime[article_id]
    return session.scalar(select(ArticleDataMime).where(ArticleDataMime.article_id == article_id).limit(1))


def attachments_of(session: Session, article_id: int) -> list[ArticleDataMimeAttachment]:
    """The article's attachment rows in id order (from the batch cache when prefetched)."""
    cache = cache_of(session)
    if article_id in cache.attachments:
        return cache.attachments[article_id]
    return list(
        session.scalars(
            select(ArticleDataMimeAttachment)
            .where(ArticleDataMimeAttachment.article_id == article_id)
            .order_by(ArticleDataMimeAttachment.id)
        )
    )


def answered_source(session: Session, ticket_id: int, in_reply_to: str) -> str | None:
    """The raw source (base64) of the ticket's mail with this Message-ID, if stored."""
    md5 = message_id_md5(in_reply_to)
    cache = cache_of(session)
    if (ticket_id, md5) in cache.sources:
        return cache.sources[(ticket_id, md5)]
    return session.scalar(
        select(ArticleDataMimePlain.body)
        .join(ArticleDataMime, ArticleDataMime.article_id == ArticleDataMimePlain.article_id)
        .join(Article, Article.id == ArticleDataMime.article_id)
        .where(Article.ticket_id == ticket_id)
        .where(ArticleDataMime.a_message_id_md5 == md5)
        .limit(1)
    )


def cached_queue_sender(session: Session, queue_id: int) -> Mailbox:
    """The queue's sender address, read once per batch."""
    cache = cache_of(session)
    if queue_id not in cache.senders:
        cache.senders[queue_id] = queue_sender(session, queue_id)
    return cache.senders[queue_id]


def cached_lookups(session: Session) -> Lookups:
    """The lookup tables (mailgate.tickets.lookups), read once per batch."""
    cache = cache_of(session)
    if cache.lookups is None:
        cache.lookups = load_lookups(session)
    return cache.lookups
