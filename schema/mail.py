"""Znuny's mail plumbing tables: postmaster filters, mail accounts and the outgoing mail queue."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from schema.base import Audited, Base, BigIntPK, HasValid, Timestamp, fk


class PostmasterFilter(Base):
    """Table postmaster_filter: one match or set line (f_type) of a named filter (f_name)."""

    __tablename__ = "postmaster_filter"
    __table_args__ = (Index("postmaster_filter_f_name", "f_name"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    f_name: Mapped[str] = mapped_column(String(200))
    f_stop: Mapped[int | None] = mapped_column(SmallInteger)
    f_type: Mapped[str] = mapped_column(String(20))
    f_key: Mapped[str] = mapped_column(String(200))
    f_value: Mapped[str] = mapped_column(String(200))
    f_not: Mapped[int | None] = mapped_column(SmallInteger)


class MailAccount(HasValid, Audited, Base):
    """Table mail_account: a POP3/IMAP mailbox to fetch from, delivering into a queue."""

    __tablename__ = "mail_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(200))
    pw: Mapped[str] = mapped_column(String(200))
    host: Mapped[str] = mapped_column(String(200))
    account_type: Mapped[str] = mapped_column(String(20))
    # Znuny has no foreign key from mail_account.queue_id
    queue_id: Mapped[int] = mapped_column(Integer)
    trusted: Mapped[int] = mapped_column(SmallInteger)
    imap_folder: Mapped[str | None] = mapped_column(String(250))
    authentication_type: Mapped[str] = mapped_column(String(100), server_default="password")
    # points to Znuny's oauth2_token_config, which is not modelled
    oauth2_token_config_id: Mapped[int | None] = mapped_column(Integer)
    comments: Mapped[str | None] = mapped_column(String(250))


class MailQueue(Base):
    """Table mail_queue: outgoing mail waiting for the SMTP send (Znuny's MailQueue)."""

    __tablename__ = "mail_queue"
    __table_args__ = (
        UniqueConstraint("article_id", name="mail_queue_article_id"),
        UniqueConstraint("insert_fingerprint", name="mail_queue_insert_fingerprint"),
        Index("mail_queue_attempts", "attempts"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    insert_fingerprint: Mapped[str | None] = mapped_column(String(64))
    article_id: Mapped[int | None] = mapped_column(BigInteger, fk("mail_queue", "article_id", "article"))
    attempts: Mapped[int] = mapped_column(Integer)
    sender: Mapped[str | None] = mapped_column(String(200))
    recipient: Mapped[str] = mapped_column(String)
    raw_message: Mapped[str] = mapped_column(Text)
    due_time: Mapped[datetime | None] = mapped_column(Timestamp)
    last_smtp_code: Mapped[int | None] = mapped_column(Integer)
    last_smtp_message: Mapped[str | None] = mapped_column(String)
    create_time: Mapped[datetime] = mapped_column(Timestamp)
