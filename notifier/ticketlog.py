"""What sending leaves on the ticket: the sent mail as an article, a history row, failures as notes."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid

from sqlalchemy import insert
from sqlalchemy.orm import Session

from mailgate.tickets.articles import ArticleSpec, add_email_article
from mailgate.tickets.writer import TicketWriter
from notifier.batchcache import cached_lookups
from notifier.render import StoreArticle
from parsers.message import parse
from schema import ArticleDataMimePlain

NOTE_FROM = "mailgate"


def store_sent_article(
    session: Session, ticket_id: int, raw: bytes, store: StoreArticle, recipients: list[str], now: datetime
) -> int:
    """Store the composed mail as an email article of ``store.sender_type`` plus its history row."""
    writer = TicketWriter(session, cached_lookups(session), now)
    ticket = writer.load_ticket(ticket_id)
    spec = ArticleSpec(
        sender_type_id=writer.lookups.sender_type(store.sender_type),
        channel_id=writer.lookups.channel("Email"),
        visible_for_customer=store.is_visible_for_customer,
    )
    article_id = add_email_article(writer, ticket_id, parse(raw), raw, spec)
    name = store.history_name or f"%%{', '.join(recipients)}"
    writer.history(ticket, store.history_type, name, article_id)
    writer.flush()
    return article_id


def raw_source_values(article_id: int, raw: bytes, now: datetime) -> dict[str, object]:
    """The article_data_mime_plain row that keeps the sent bytes as the article's raw source."""
    return {
        "article_id": article_id,
        "body": base64.b64encode(raw).decode("ascii"),
        "create_time": now,
        "create_by": 1,
        "change_time": now,
        "change_by": 1,
    }


def store_raw_source(session: Session, article_id: int, raw: bytes, now: datetime) -> None:
    """Keep the sent bytes as the article's raw source (article_data_mime_plain); called once, at freeze."""
    session.execute(insert(ArticleDataMimePlain).values(**raw_source_values(article_id, raw, now)))


def _note(subject: str, text: str, fqdn: str, now: datetime) -> bytes:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = f"{NOTE_FROM}@{fqdn}"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(now if now.tzinfo else now.replace(tzinfo=UTC))
    msg["Message-ID"] = make_msgid(domain=fqdn)
    msg.set_content(text, charset="utf-8")
    return msg.as_bytes()


def record_send_failure(
    session: Session,
    ticket_id: int,
    summary: str,
    detail: str,
    *,
    fqdn: str,
    now: datetime,
    article_id: int | None = None,
) -> int:
    """A history row ('Misc', as Znuny logs failed sends) and an internal note that say why a mail failed."""
    writer = TicketWriter(session, cached_lookups(session), now)
    ticket = writer.load_ticket(ticket_id)
    spec = ArticleSpec(
        sender_type_id=writer.lookups.sender_type("system"),
        channel_id=writer.lookups.channel("Internal"),
        visible_for_customer=False,
    )
    raw = _note(summary, detail, fqdn, now)
    note_id = add_email_article(writer, ticket_id, parse(raw), raw, spec)
    writer.history(ticket, "Misc", summary, article_id or note_id)
    writer.flush()
    return note_id
