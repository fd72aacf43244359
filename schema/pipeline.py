"""mailgate_ tables of the ingest pipeline: routing rules, decisions with their trace, bounces, links."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from schema.base import Base, BigIntPK


class RoutingRule(Base):
    """Table mailgate_rule: one admin-defined routing rule; conditions and actions are JSON."""

    __tablename__ = "mailgate_rule"
    __table_args__ = (
        UniqueConstraint("name", name="mailgate_rule_name"),
        Index("mailgate_rule_position", "position"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer)
    enabled: Mapped[int] = mapped_column(SmallInteger, server_default="1")
    stop_after_match: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    applies_to: Mapped[str] = mapped_column(String(10), server_default="both")
    match_mode: Mapped[str] = mapped_column(String(3), server_default="all")
    conditions: Mapped[str] = mapped_column(Text, server_default="[]")
    actions: Mapped[str] = mapped_column(Text, server_default="[]")
    comments: Mapped[str | None] = mapped_column(String(250))
    create_time: Mapped[datetime] = mapped_column(DateTime, server_default=func.current_timestamp())
    change_time: Mapped[datetime] = mapped_column(DateTime, server_default=func.current_timestamp())


class Decision(Base):
    """Table mailgate_decision: what the pipeline did with one spooled mail, and why."""

    __tablename__ = "mailgate_decision"
    __table_args__ = (
        UniqueConstraint("inbound_id", name="mailgate_decision_inbound_id"),
        Index("mailgate_decision_ticket_id", "ticket_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    inbound_id: Mapped[int] = mapped_column(BigInteger)
    ticket_id: Mapped[int | None] = mapped_column(BigInteger)
    article_id: Mapped[int | None] = mapped_column(BigInteger)
    outcome: Mapped[str] = mapped_column(String(30))
    followup_step: Mapped[str | None] = mapped_column(String(50))
    trace: Mapped[str] = mapped_column(Text)
    create_time: Mapped[datetime] = mapped_column(DateTime, server_default=func.current_timestamp())


class UndeliverableAddress(Base):
    """Table mailgate_undeliverable: addresses a bounce reported as failed; never auto-replied to."""

    __tablename__ = "mailgate_undeliverable"
    __table_args__ = (UniqueConstraint("address", name="mailgate_undeliverable_address"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    address: Mapped[str] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(20))
    permanent: Mapped[int] = mapped_column(SmallInteger)
    diagnostic: Mapped[str | None] = mapped_column(Text)
    ticket_id: Mapped[int | None] = mapped_column(BigInteger)
    inbound_id: Mapped[int | None] = mapped_column(BigInteger)
    bounce_count: Mapped[int] = mapped_column(Integer, server_default="1")
    first_seen: Mapped[datetime] = mapped_column(DateTime, server_default=func.current_timestamp())
    last_seen: Mapped[datetime] = mapped_column(DateTime, server_default=func.current_timestamp())


class TicketLink(Base):
    """Table mailgate_ticket_link: a new ticket opened instead of a follow-up, linked to the one it named."""

    __tablename__ = "mailgate_ticket_link"
    __table_args__ = (Index("mailgate_ticket_link_ticket_id", "ticket_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(BigInteger)
    linked_ticket_id: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(250))
    inbound_id: Mapped[int | None] = mapped_column(BigInteger)
    create_time: Mapped[datetime] = mapped_column(DateTime, server_default=func.current_timestamp())


class InstallationSetting(Base):
    """Table mailgate_setting: values generated once per installation, such as the token secret."""

    __tablename__ = "mailgate_setting"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class TicketTag(Base):
    """Table mailgate_ticket_tag: tags that routing rules put on tickets."""

    __tablename__ = "mailgate_ticket_tag"
    __table_args__ = (
        UniqueConstraint("ticket_id", "tag", name="mailgate_ticket_tag_unique"),
        Index("mailgate_ticket_tag_tag", "tag"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(BigInteger)
    tag: Mapped[str] = mapped_column(String(100))
    create_time: Mapped[datetime] = mapped_column(DateTime, server_default=func.current_timestamp())
