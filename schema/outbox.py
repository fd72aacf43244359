"""The outbox (mailgate_outbox): every outbound mail, written in the transaction of its event."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, DateTime, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from schema.base import Base, BigIntPK


class OutboxState(StrEnum):
    """Where an outbound mail is on its way out."""

    PENDING = "pending"  # written, waiting for the send actor (or for a retry after a temporary failure)
    SENDING = "sending"  # claimed by a sender; the sweeper returns it to pending if that sender died
    SENT = "sent"  # accepted by the outbound SMTP server
    FAILED = "failed"  # permanently refused, or out of attempts; recorded on the ticket
    SUPPRESSED = "suppressed"  # decided not to send when rendering (e.g. recipient became undeliverable)


class OutboxKind(StrEnum):
    """What an outbound mail is; the notifier has one renderer per kind."""

    AUTO_REPLY = "auto_reply"  # Znuny auto_response of any type, to the customer
    AGENT_NOTIFICATION = "agent_notification"  # new ticket / follow-up, to a subscribed agent
    ARTICLE = "article"  # an agent's answer (web UI or by mail), sent from the queue's address
    SLA_ALERT = "sla_alert"  # SLA warning or escalation, to the queue's agents


class OutboxMail(Base):
    """Table mailgate_outbox: one outbound mail to one or more recipients, sent exactly once by id."""

    __tablename__ = "mailgate_outbox"
    __table_args__ = (
        UniqueConstraint("dedupe_key", name="mailgate_outbox_dedupe_key"),
        Index("mailgate_outbox_state_due", "state", "next_attempt_at"),
        Index("mailgate_outbox_recipient_time", "recipient_key", "create_time"),
        Index("mailgate_outbox_ticket_id", "ticket_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    # what makes this mail unique (e.g. "auto_reply:article:42"): the same event never sends twice
    dedupe_key: Mapped[str] = mapped_column(String(250))
    # the first recipient, lower-cased: the key of the per-address rate limit
    recipient_key: Mapped[str] = mapped_column(String(250))
    recipients: Mapped[str] = mapped_column(Text)  # JSON list of addresses
    ticket_id: Mapped[int | None] = mapped_column(BigInteger)
    article_id: Mapped[int | None] = mapped_column(BigInteger)  # the article this mail is about or carries
    user_id: Mapped[int | None] = mapped_column(Integer)  # the agent it goes to, or who wrote it
    auto_response_id: Mapped[int | None] = mapped_column(Integer)
    params: Mapped[str] = mapped_column(Text, default="{}")  # JSON: what the renderer needs beyond the ids
    state: Mapped[str] = mapped_column(String(12), default=OutboxState.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_smtp_code: Mapped[int | None] = mapped_column(Integer)
    # frozen at the first send attempt, so a retry sends the very same bytes with the same Message-ID
    message_id: Mapped[str | None] = mapped_column(String(250))
    raw: Mapped[bytes | None] = mapped_column(LargeBinary)
    create_time: Mapped[datetime] = mapped_column(DateTime)
    changed_at: Mapped[datetime] = mapped_column(DateTime)
    sent_time: Mapped[datetime | None] = mapped_column(DateTime)
