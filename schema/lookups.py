"""Znuny's ticket and article lookup tables (states, priorities, types, sender types, channels)."""

from __future__ import annotations

from sqlalchemy import SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from schema.base import Audited, Base, BigIntPK, HasValid, fk


class TicketStateType(Audited, Base):
    """Table ticket_state_type: new, open, closed, pending reminder, ..."""

    __tablename__ = "ticket_state_type"
    __table_args__ = (UniqueConstraint("name", name="ticket_state_type_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    comments: Mapped[str | None] = mapped_column(String(250))


class TicketState(HasValid, Audited, Base):
    """Table ticket_state: the states a ticket can be in, each of one state type."""

    __tablename__ = "ticket_state"
    __table_args__ = (UniqueConstraint("name", name="ticket_state_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    comments: Mapped[str | None] = mapped_column(String(250))
    type_id: Mapped[int] = mapped_column(SmallInteger, fk("ticket_state", "type_id", "ticket_state_type"))
    color: Mapped[str] = mapped_column(String(25))


class TicketPriority(Audited, Base):
    """Table ticket_priority: 1 very low ... 5 very high."""

    __tablename__ = "ticket_priority"
    __table_args__ = (UniqueConstraint("name", name="ticket_priority_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # Znuny has no foreign key from ticket_priority.valid_id
    valid_id: Mapped[int] = mapped_column(SmallInteger)
    color: Mapped[str] = mapped_column(String(25))


class TicketType(HasValid, Audited, Base):
    """Table ticket_type: Unclassified and site-defined types."""

    __tablename__ = "ticket_type"
    __table_args__ = (UniqueConstraint("name", name="ticket_type_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class TicketLockType(HasValid, Audited, Base):
    """Table ticket_lock_type: unlock, lock, tmp_lock."""

    __tablename__ = "ticket_lock_type"
    __table_args__ = (UniqueConstraint("name", name="ticket_lock_type_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class TicketHistoryType(HasValid, Audited, Base):
    """Table ticket_history_type: NewTicket, FollowUp, SendAutoReply, ..."""

    __tablename__ = "ticket_history_type"
    __table_args__ = (UniqueConstraint("name", name="ticket_history_type_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    comments: Mapped[str | None] = mapped_column(String(250))


class ArticleSenderType(HasValid, Audited, Base):
    """Table article_sender_type: agent, system, customer."""

    __tablename__ = "article_sender_type"
    __table_args__ = (UniqueConstraint("name", name="article_sender_type_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    comments: Mapped[str | None] = mapped_column(String(250))


class CommunicationChannel(HasValid, Audited, Base):
    """Table communication_channel: Email, Phone, Internal, Chat, Web."""

    __tablename__ = "communication_channel"
    __table_args__ = (UniqueConstraint("name", name="communication_channel_name"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    module: Mapped[str] = mapped_column(String(200))
    package_name: Mapped[str] = mapped_column(String(200))
    channel_data: Mapped[str] = mapped_column(Text)


class FollowUpPossible(HasValid, Audited, Base):
    """Table follow_up_possible: what a queue does with a follow-up to a closed ticket."""

    __tablename__ = "follow_up_possible"
    __table_args__ = (UniqueConstraint("name", name="follow_up_possible_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    comments: Mapped[str | None] = mapped_column(String(250))
