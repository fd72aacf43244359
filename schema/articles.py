"""Znuny's article table and its MIME storage tables (headers, raw plain text, attachments)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, Integer, SmallInteger, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from schema.base import Audited, Base, BigIntPK, fk


class Article(Audited, Base):
    """Table article: one message on a ticket (its content is in article_data_mime*)."""

    __tablename__ = "article"
    __table_args__ = (
        Index("article_article_sender_type_id", "article_sender_type_id"),
        Index("article_communication_channel_id", "communication_channel_id"),
        Index("article_search_index_needs_rebuild", "search_index_needs_rebuild"),
        Index("article_ticket_id", "ticket_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(BigInteger, fk("article", "ticket_id", "ticket"))
    article_sender_type_id: Mapped[int] = mapped_column(
        SmallInteger, fk("article", "article_sender_type_id", "article_sender_type")
    )
    communication_channel_id: Mapped[int] = mapped_column(
        BigInteger, fk("article", "communication_channel_id", "communication_channel")
    )
    is_visible_for_customer: Mapped[int] = mapped_column(SmallInteger)
    search_index_needs_rebuild: Mapped[int] = mapped_column(SmallInteger, server_default=text("1"))
    insert_fingerprint: Mapped[str | None] = mapped_column(String(64))


class ArticleDataMime(Audited, Base):
    """Table article_data_mime: the decoded headers and body of an email article."""

    __tablename__ = "article_data_mime"
    __table_args__ = (
        Index("article_data_mime_article_id", "article_id"),
        Index("article_data_mime_message_id_md5", "a_message_id_md5"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    article_id: Mapped[int] = mapped_column(BigInteger, fk("article_data_mime", "article_id", "article"))
    a_from: Mapped[str | None] = mapped_column(String)
    a_reply_to: Mapped[str | None] = mapped_column(String)
    a_to: Mapped[str | None] = mapped_column(String)
    a_cc: Mapped[str | None] = mapped_column(String)
    a_bcc: Mapped[str | None] = mapped_column(String)
    a_subject: Mapped[str | None] = mapped_column(String(3800))
    a_message_id: Mapped[str | None] = mapped_column(String(3800))
    a_message_id_md5: Mapped[str | None] = mapped_column(String(32))
    a_in_reply_to: Mapped[str | None] = mapped_column(String)
    a_references: Mapped[str | None] = mapped_column(String)
    a_content_type: Mapped[str | None] = mapped_column(String(250))
    a_body: Mapped[str | None] = mapped_column(String)
    incoming_time: Mapped[int] = mapped_column(Integer)
    content_path: Mapped[str | None] = mapped_column(String(250))


class ArticleDataMimePlain(Audited, Base):
    """Table article_data_mime_plain: the raw source of an email article, as Znuny stores it (text)."""

    __tablename__ = "article_data_mime_plain"
    __table_args__ = (Index("article_data_mime_plain_article_id", "article_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    article_id: Mapped[int] = mapped_column(
        BigInteger, fk("article_data_mime_plain", "article_id", "article")
    )
    body: Mapped[str] = mapped_column(Text)


class ArticleDataMimeAttachment(Audited, Base):
    """Table article_data_mime_attachment: one attachment; `content` is base64 text as Znuny stores it."""

    __tablename__ = "article_data_mime_attachment"
    __table_args__ = (Index("article_data_mime_attachment_article_id", "article_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    article_id: Mapped[int] = mapped_column(
        BigInteger, fk("article_data_mime_attachment", "article_id", "article")
    )
    filename: Mapped[str | None] = mapped_column(String(250))
    content_size: Mapped[str | None] = mapped_column(String(30))
    content_type: Mapped[str | None] = mapped_column(String(450))
    content_id: Mapped[str | None] = mapped_column(String(250))
    content_alternative: Mapped[str | None] = mapped_column(String(50))
    disposition: Mapped[str | None] = mapped_column(String(15))
    content: Mapped[str | None] = mapped_column(Text)
