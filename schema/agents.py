"""Znuny's preference and subscription tables: agents' and customers' preferences, agents' "My Queues"."""

from __future__ import annotations

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from schema.base import Base, BigIntPK, fk

USER_EMAIL_KEY = "UserEmail"
"""user_preferences key of an agent's mail address (Znuny keeps it there, not in users)."""

USER_LANGUAGE_KEY = "UserLanguage"
"""user_preferences / customer_preferences key of the preferred language ('en', 'de', ...)."""


class UserPreference(Base):
    """Table user_preferences: one key/value preference of an agent (UserEmail, UserLanguage, ...)."""

    __tablename__ = "user_preferences"
    __table_args__ = (Index("user_preferences_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, fk("user_preferences", "user_id", "users"))
    preferences_key: Mapped[str] = mapped_column(String(150))
    preferences_value: Mapped[str | None] = mapped_column(Text)


class CustomerPreference(Base):
    """Table customer_preferences: one preference of a customer user (user_id is the customer's login)."""

    __tablename__ = "customer_preferences"
    __table_args__ = (Index("customer_preferences_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    user_id: Mapped[str] = mapped_column(String(250))
    preferences_key: Mapped[str] = mapped_column(String(150))
    preferences_value: Mapped[str | None] = mapped_column(String(250))


class PersonalQueue(Base):
    """Table personal_queues: an agent's "My Queues" subscription; such agents get its notifications."""

    __tablename__ = "personal_queues"
    __table_args__ = (
        Index("personal_queues_queue_id", "queue_id"),
        Index("personal_queues_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, fk("personal_queues", "user_id", "users"))
    queue_id: Mapped[int] = mapped_column(Integer, fk("personal_queues", "queue_id", "queue"))
