"""The inbound spool (mailgate_inbound): every received mail's raw bytes, stored before acknowledging."""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from schema.base import Base, BigIntPK

MESSAGE_ID_MAX = 998  # RFC 5322 line limit; longer Message-IDs are stored truncated by the caller
ADDRESS_MAX = 998


class InboundSource(StrEnum):
    """How a mail reached mailgate."""

    SMTP = "smtp"
    LMTP = "lmtp"
    IMAP = "imap"
    PIPE = "pipe"
    IMPORT = "import"


class InboundState(StrEnum):
    """Where a spooled mail is in its processing."""

    RECEIVED = "received"
    PROCESSING = "processing"
    DONE = "done"
    DUPLICATE = "duplicate"
    FAILED = "failed"
    IGNORED = "ignored"


def _in_check(column: str, values: type[StrEnum]) -> str:
    quoted = ", ".join(f"'{member.value}'" for member in values)
    return f"{column} IN ({quoted})"


def make_dedup_key(sha256_hex: str, message_id: str | None) -> str:
    """The dedup_key of a mail: sha256 over its body digest and bare Message-ID (empty if none)."""
    material = f"{sha256_hex}\n{message_id or ''}".encode()
    return hashlib.sha256(material).hexdigest()


class InboundMail(Base):
    """Table mailgate_inbound: one received mail; the first copy carries dedup_key, later ones point back."""

    __tablename__ = "mailgate_inbound"
    __table_args__ = (
        UniqueConstraint("dedup_key", name="mailgate_inbound_dedup_key"),
        UniqueConstraint("imap_account_id", "imap_uidvalidity", "imap_uid", name="mailgate_inbound_imap_uid"),
        CheckConstraint(_in_check("source", InboundSource), name="mailgate_inbound_source"),
        CheckConstraint(_in_check("state", InboundState), name="mailgate_inbound_state"),
        CheckConstraint(
            "state <> 'duplicate' OR duplicate_of IS NOT NULL", name="mailgate_inbound_duplicate_of"
        ),
        Index("mailgate_inbound_sweep", "state", "next_attempt_at"),
        Index("mailgate_inbound_message_id", "message_id"),
        Index("mailgate_inbound_sha256", "sha256"),
        Index("mailgate_inbound_ticket_id", "ticket_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[str | None] = mapped_column(String(MESSAGE_ID_MAX))
    dedup_key: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16))
    envelope_sender: Mapped[str | None] = mapped_column(String(ADDRESS_MAX))
    envelope_recipients: Mapped[str] = mapped_column(Text, server_default="[]")
    # mail_account.id of the IMAP source; no foreign key so that Znuny can still delete accounts
    imap_account_id: Mapped[int | None] = mapped_column(Integer)
    imap_uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    imap_uid: Mapped[int | None] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(16), server_default=InboundState.RECEIVED.value)
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    last_error: Mapped[str | None] = mapped_column(Text)
    # ticket.id / article.id; no foreign keys so that Znuny's own ticket delete keeps working
    ticket_id: Mapped[int | None] = mapped_column(BigInteger)
    article_id: Mapped[int | None] = mapped_column(BigInteger)
    duplicate_of: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("mailgate_inbound.id", name="mailgate_inbound_duplicate_of_fk")
    )
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.current_timestamp())
    changed_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.current_timestamp())
