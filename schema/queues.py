"""Znuny's queue table and what hangs off a queue: sender address, texts, auto responses, SLAs."""

from __future__ import annotations

from sqlalchemy import Index, Integer, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from schema.base import Audited, Base, BigIntPK, HasValid, fk


class SystemAddress(HasValid, Audited, Base):
    """Table system_address: an address mail is received on and sent from (value0 email, value1 name)."""

    __tablename__ = "system_address"

    id: Mapped[int] = mapped_column(primary_key=True)
    value0: Mapped[str] = mapped_column(String(200))
    value1: Mapped[str] = mapped_column(String(200))
    value2: Mapped[str | None] = mapped_column(String(200))
    value3: Mapped[str | None] = mapped_column(String(200))
    # Znuny has no foreign key here (queue and system_address point at each other)
    queue_id: Mapped[int] = mapped_column(Integer)
    comments: Mapped[str | None] = mapped_column(String(250))


class Salutation(HasValid, Audited, Base):
    """Table salutation: the greeting put on top of agent answers."""

    __tablename__ = "salutation"
    __table_args__ = (UniqueConstraint("name", name="salutation_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(String(3000))
    content_type: Mapped[str | None] = mapped_column(String(250))
    comments: Mapped[str | None] = mapped_column(String(250))


class Signature(HasValid, Audited, Base):
    """Table signature: the text put below agent answers."""

    __tablename__ = "signature"
    __table_args__ = (UniqueConstraint("name", name="signature_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(String(3000))
    content_type: Mapped[str | None] = mapped_column(String(250))
    comments: Mapped[str | None] = mapped_column(String(250))


class Queue(HasValid, Audited, Base):
    """Table queue: where tickets live, with escalation times and follow-up policy."""

    __tablename__ = "queue"
    __table_args__ = (
        UniqueConstraint("name", name="queue_name"),
        Index("queue_group_id", "group_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    group_id: Mapped[int] = mapped_column(Integer, fk("queue", "group_id", "permission_groups"))
    unlock_timeout: Mapped[int | None] = mapped_column(Integer)
    first_response_time: Mapped[int | None] = mapped_column(Integer)
    first_response_notify: Mapped[int | None] = mapped_column(SmallInteger)
    update_time: Mapped[int | None] = mapped_column(Integer)
    update_notify: Mapped[int | None] = mapped_column(SmallInteger)
    solution_time: Mapped[int | None] = mapped_column(Integer)
    solution_notify: Mapped[int | None] = mapped_column(SmallInteger)
    system_address_id: Mapped[int] = mapped_column(
        SmallInteger, fk("queue", "system_address_id", "system_address")
    )
    calendar_name: Mapped[str | None] = mapped_column(String(100))
    default_sign_key: Mapped[str | None] = mapped_column(String(100))
    salutation_id: Mapped[int] = mapped_column(SmallInteger, fk("queue", "salutation_id", "salutation"))
    signature_id: Mapped[int] = mapped_column(SmallInteger, fk("queue", "signature_id", "signature"))
    follow_up_id: Mapped[int] = mapped_column(SmallInteger, fk("queue", "follow_up_id", "follow_up_possible"))
    follow_up_lock: Mapped[int] = mapped_column(SmallInteger)
    comments: Mapped[str | None] = mapped_column(String(250))


class AutoResponseType(HasValid, Audited, Base):
    """Table auto_response_type: auto reply, auto reject, auto follow up, ..."""

    __tablename__ = "auto_response_type"
    __table_args__ = (UniqueConstraint("name", name="auto_response_type_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    comments: Mapped[str | None] = mapped_column(String(250))


class AutoResponse(HasValid, Audited, Base):
    """Table auto_response: an automatic answer (text0 body, text1 subject) of one type."""

    __tablename__ = "auto_response"
    __table_args__ = (UniqueConstraint("name", name="auto_response_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    text0: Mapped[str | None] = mapped_column(String(6000))
    text1: Mapped[str | None] = mapped_column(String(6000))
    type_id: Mapped[int] = mapped_column(SmallInteger, fk("auto_response", "type_id", "auto_response_type"))
    system_address_id: Mapped[int] = mapped_column(
        SmallInteger, fk("auto_response", "system_address_id", "system_address")
    )
    content_type: Mapped[str | None] = mapped_column(String(250))
    comments: Mapped[str | None] = mapped_column(String(250))


class QueueAutoResponse(Audited, Base):
    """Table queue_auto_response: which auto response a queue sends."""

    __tablename__ = "queue_auto_response"

    id: Mapped[int] = mapped_column(primary_key=True)
    queue_id: Mapped[int] = mapped_column(Integer, fk("queue_auto_response", "queue_id", "queue"))
    auto_response_id: Mapped[int] = mapped_column(
        Integer, fk("queue_auto_response", "auto_response_id", "auto_response")
    )


class StandardTemplate(HasValid, Audited, Base):
    """Table standard_template: canned answers, forwards and notes."""

    __tablename__ = "standard_template"
    __table_args__ = (UniqueConstraint("name", name="standard_template_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    text: Mapped[str | None] = mapped_column(String)
    content_type: Mapped[str | None] = mapped_column(String(250))
    template_type: Mapped[str] = mapped_column(String(250), server_default="Answer")
    comments: Mapped[str | None] = mapped_column(String(250))


class QueueStandardTemplate(Audited, Base):
    """Table queue_standard_template: which canned answers (standard templates) a queue offers."""

    __tablename__ = "queue_standard_template"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    queue_id: Mapped[int] = mapped_column(Integer, fk("queue_standard_template", "queue_id", "queue"))
    standard_template_id: Mapped[int] = mapped_column(
        Integer, fk("queue_standard_template", "standard_template_id", "standard_template")
    )


class Sla(Audited, Base):
    """Table sla: response, update and solution times (minutes) with their notify percentages."""

    __tablename__ = "sla"
    __table_args__ = (UniqueConstraint("name", name="sla_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    calendar_name: Mapped[str | None] = mapped_column(String(100))
    first_response_time: Mapped[int] = mapped_column(Integer)
    first_response_notify: Mapped[int | None] = mapped_column(SmallInteger)
    update_time: Mapped[int] = mapped_column(Integer)
    update_notify: Mapped[int | None] = mapped_column(SmallInteger)
    solution_time: Mapped[int] = mapped_column(Integer)
    solution_notify: Mapped[int | None] = mapped_column(SmallInteger)
    # Znuny has no foreign key from sla.valid_id
    valid_id: Mapped[int] = mapped_column(SmallInteger)
    comments: Mapped[str | None] = mapped_column(String(250))
