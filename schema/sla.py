"""SLA tables: business calendars (by Znuny calendar name) and each ticket's escalation clock."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from schema.base import Base


class SlaCalendar(Base):
    """Table mailgate_sla_calendar: working hours, time zone and holidays of one Znuny calendar name.

    queue.calendar_name and sla.calendar_name refer to ``name``; a ticket whose queue or SLA
    names no stored calendar counts on the row named ``default``, else on Znuny's built-in
    default (Mon-Fri 08:00-21:00 UTC).
    """

    __tablename__ = "mailgate_sla_calendar"
    __table_args__ = (UniqueConstraint("name", name="mailgate_sla_calendar_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")  # IANA name
    # JSON {"mon": ["08:00-12:00", "13:00-17:00"], ...}: local wall-clock intervals per weekday
    working_hours: Mapped[str] = mapped_column(Text)
    country: Mapped[str | None] = mapped_column(String(10))  # `holidays` country code, e.g. "DE"
    subdivision: Mapped[str | None] = mapped_column(String(20))  # `holidays` subdivision, e.g. "BY"
    holidays: Mapped[str] = mapped_column(Text, default="[]")  # JSON ["2026-12-28", "12-31", ...]
    comments: Mapped[str | None] = mapped_column(String(250))
    create_time: Mapped[datetime] = mapped_column(DateTime)
    change_time: Mapped[datetime] = mapped_column(DateTime)


class SlaClock(Base):
    """Table mailgate_sla_clock: what the escalation columns of one ticket are computed from.

    Instants are naive UTC datetimes; *_paused are business seconds the target's clock stood still
    (pending or closed states); *_warn are the epoch seconds of the notify-percentage warning;
    *_warned / *_escalated hold the deadline (ticket.escalation_*_time) an alert was sent for, so each
    alert goes out once per deadline; next_alert is the earliest alert still to send (0: none).
    """

    __tablename__ = "mailgate_sla_clock"
    __table_args__ = (Index("mailgate_sla_clock_next_alert", "next_alert"),)

    ticket_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    last_article_id: Mapped[int] = mapped_column(BigInteger, default=0)  # articles read up to this id
    first_response_at: Mapped[datetime | None] = mapped_column(DateTime)
    solved_at: Mapped[datetime | None] = mapped_column(DateTime)  # first time the ticket was closed
    update_start: Mapped[datetime | None] = mapped_column(DateTime)  # the update clock counts from here
    last_contact: Mapped[str | None] = mapped_column(String(10))  # 'agent' | 'customer' (last counted)
    paused_since: Mapped[datetime | None] = mapped_column(DateTime)
    response_paused: Mapped[int] = mapped_column(Integer, default=0)
    update_paused: Mapped[int] = mapped_column(Integer, default=0)
    solution_paused: Mapped[int] = mapped_column(Integer, default=0)
    response_warn: Mapped[int] = mapped_column(Integer, default=0)
    update_warn: Mapped[int] = mapped_column(Integer, default=0)
    solution_warn: Mapped[int] = mapped_column(Integer, default=0)
    response_warned: Mapped[int] = mapped_column(Integer, default=0)
    update_warned: Mapped[int] = mapped_column(Integer, default=0)
    solution_warned: Mapped[int] = mapped_column(Integer, default=0)
    response_escalated: Mapped[int] = mapped_column(Integer, default=0)
    update_escalated: Mapped[int] = mapped_column(Integer, default=0)
    solution_escalated: Mapped[int] = mapped_column(Integer, default=0)
    next_alert: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[datetime] = mapped_column(DateTime)
