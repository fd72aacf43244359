"""Znuny's ticket, ticket_history and ticket_number_counter tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, SmallInteger, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from schema.base import Audited, Base, BigIntPK, Timestamp, fk

_TICKET_INDEXES = {
    "ticket_archive_flag": ("archive_flag",),
    "ticket_create_time": ("create_time",),
    "ticket_customer_id": ("customer_id",),
    "ticket_customer_user_id": ("customer_user_id",),
    "ticket_escalation_response_time": ("escalation_response_time",),
    "ticket_escalation_solution_time": ("escalation_solution_time",),
    "ticket_escalation_time": ("escalation_time",),
    "ticket_escalation_update_time": ("escalation_update_time",),
    "ticket_queue_id": ("queue_id",),
    "ticket_queue_view": ("ticket_state_id", "ticket_lock_id"),
    "ticket_responsible_user_id": ("responsible_user_id",),
    "ticket_ticket_lock_id": ("ticket_lock_id",),
    "ticket_ticket_priority_id": ("ticket_priority_id",),
    "ticket_ticket_state_id": ("ticket_state_id",),
    "ticket_timeout": ("timeout",),
    "ticket_title": ("title",),
    "ticket_type_id": ("type_id",),
    "ticket_until_time": ("until_time",),
    "ticket_user_id": ("user_id",),
}

_HISTORY_INDEXED = (
    "article_id",
    "create_time",
    "history_type_id",
    "owner_id",
    "priority_id",
    "queue_id",
    "state_id",
    "ticket_id",
    "type_id",
)


class Ticket(Audited, Base):
    """Table ticket: one ticket, identified to humans by its number `tn`."""

    __tablename__ = "ticket"
    __table_args__ = (
        UniqueConstraint("tn", name="ticket_tn"),
        *(Index(name, *cols) for name, cols in _TICKET_INDEXES.items()),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    tn: Mapped[str] = mapped_column(String(50))
    title: Mapped[str | None] = mapped_column(String(255))
    queue_id: Mapped[int] = mapped_column(Integer, fk("ticket", "queue_id", "queue"))
    ticket_lock_id: Mapped[int] = mapped_column(
        SmallInteger, fk("ticket", "ticket_lock_id", "ticket_lock_type")
    )
    type_id: Mapped[int | None] = mapped_column(SmallInteger, fk("ticket", "type_id", "ticket_type"))
    # Znuny's service table is not modelled, so service_id carries no foreign key here
    service_id: Mapped[int | None] = mapped_column(Integer)
    sla_id: Mapped[int | None] = mapped_column(Integer, fk("ticket", "sla_id", "sla"))
    user_id: Mapped[int] = mapped_column(Integer, fk("ticket", "user_id", "users"))
    responsible_user_id: Mapped[int] = mapped_column(Integer, fk("ticket", "responsible_user_id", "users"))
    ticket_priority_id: Mapped[int] = mapped_column(
        SmallInteger, fk("ticket", "ticket_priority_id", "ticket_priority")
    )
    ticket_state_id: Mapped[int] = mapped_column(
        SmallInteger, fk("ticket", "ticket_state_id", "ticket_state")
    )
    customer_id: Mapped[str | None] = mapped_column(String(150))
    customer_user_id: Mapped[str | None] = mapped_column(String(250))
    timeout: Mapped[int] = mapped_column(Integer)
    until_time: Mapped[int] = mapped_column(Integer)
    escalation_time: Mapped[int] = mapped_column(Integer)
    escalation_update_time: Mapped[int] = mapped_column(Integer)
    escalation_response_time: Mapped[int] = mapped_column(Integer)
    escalation_solution_time: Mapped[int] = mapped_column(Integer)
    archive_flag: Mapped[int] = mapped_column(SmallInteger, server_default=text("0"))


class TicketHistory(Audited, Base):
    """Table ticket_history: one line per event on a ticket, with the ticket's attributes then."""

    __tablename__ = "ticket_history"
    __table_args__ = tuple(Index(f"ticket_history_{col}", col) for col in _HISTORY_INDEXED)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    history_type_id: Mapped[int] = mapped_column(
        SmallInteger, fk("ticket_history", "history_type_id", "ticket_history_type")
    )
    ticket_id: Mapped[int] = mapped_column(BigInteger, fk("ticket_history", "ticket_id", "ticket"))
    article_id: Mapped[int | None] = mapped_column(BigInteger, fk("ticket_history", "article_id", "article"))
    type_id: Mapped[int] = mapped_column(SmallInteger, fk("ticket_history", "type_id", "ticket_type"))
    queue_id: Mapped[int] = mapped_column(Integer, fk("ticket_history", "queue_id", "queue"))
    owner_id: Mapped[int] = mapped_column(Integer, fk("ticket_history", "owner_id", "users"))
    priority_id: Mapped[int] = mapped_column(
        SmallInteger, fk("ticket_history", "priority_id", "ticket_priority")
    )
    state_id: Mapped[int] = mapped_column(SmallInteger, fk("ticket_history", "state_id", "ticket_state"))


class TicketNumberCounter(Base):
    """Table ticket_number_counter: one row per number handed out by Znuny's AutoIncrement counter."""

    __tablename__ = "ticket_number_counter"
    __table_args__ = (
        UniqueConstraint("counter_uid", name="ticket_number_counter_uid"),
        Index("ticket_number_counter_create_time", "create_time"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    counter: Mapped[int] = mapped_column(BigInteger)
    counter_uid: Mapped[str] = mapped_column(String(32))
    create_time: Mapped[datetime | None] = mapped_column(Timestamp)
