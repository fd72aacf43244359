"""Znuny's validity, agent, customer and permission-group tables."""

from __future__ import annotations

from sqlalchemy import Index, Integer, SmallInteger, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from schema.base import Audited, Base, BigIntPK, HasValid, fk


class Valid(Audited, Base):
    """Table valid: 1 valid, 2 invalid, 3 invalid-temporarily."""

    __tablename__ = "valid"
    __table_args__ = (UniqueConstraint("name", name="valid_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class User(Audited, Base):
    """Table users: agents (id 1 is the admin root@localhost)."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("login", name="users_login"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(200))
    pw: Mapped[str] = mapped_column(String(128))
    title: Mapped[str | None] = mapped_column(String(50))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    # valid and users reference each other; the cycle is closed by an ALTER after both exist
    valid_id: Mapped[int] = mapped_column(SmallInteger, fk("users", "valid_id", "valid", use_alter=True))


class PermissionGroup(HasValid, Audited, Base):
    """Table permission_groups: agent groups that queues belong to."""

    __tablename__ = "permission_groups"
    __table_args__ = (UniqueConstraint("name", name="groups_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    comments: Mapped[str | None] = mapped_column(String(250))


class GroupUser(Audited, Base):
    """Table group_user: an agent's permission (ro, rw, ...) in a group."""

    __tablename__ = "group_user"
    __table_args__ = (
        Index("group_user_group_id", "group_id"),
        Index("group_user_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, fk("group_user", "user_id", "users"))
    group_id: Mapped[int] = mapped_column(Integer, fk("group_user", "group_id", "permission_groups"))
    permission_key: Mapped[str] = mapped_column(String(20))


class CustomerUser(HasValid, Audited, Base):
    """Table customer_user: Znuny's database customer backend."""

    __tablename__ = "customer_user"
    __table_args__ = (UniqueConstraint("login", name="customer_user_login"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(150))
    customer_id: Mapped[str] = mapped_column(String(150))
    pw: Mapped[str | None] = mapped_column(String(128))
    title: Mapped[str | None] = mapped_column(String(50))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(150))
    fax: Mapped[str | None] = mapped_column(String(150))
    mobile: Mapped[str | None] = mapped_column(String(150))
    street: Mapped[str | None] = mapped_column(String(150))
    zip: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(200))
    comments: Mapped[str | None] = mapped_column(String(250))


# The pipeline finds customers by address and the notifier by login, both case-insensitively as
# Znuny's database backend does; Znuny has no index for either, so each lookup read the whole table
# (migration znuny_0006 on fresh installs, `mailgate init --search-indexes` on an attached Znuny database)
Index("mailgate_customer_user_email", func.lower(CustomerUser.email))
Index("mailgate_customer_user_login", func.lower(CustomerUser.login))
