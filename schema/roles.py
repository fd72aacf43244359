"""Znuny's roles: roles, the agents holding them (role_user) and their group permissions (group_role)."""

from __future__ import annotations

from sqlalchemy import Index, Integer, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from schema.base import Audited, Base, BigIntPK, HasValid, fk


class Role(HasValid, Audited, Base):
    """Table roles: a named set of group permissions that agents can hold."""

    __tablename__ = "roles"
    __table_args__ = (UniqueConstraint("name", name="roles_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    comments: Mapped[str | None] = mapped_column(String(250))


class RoleUser(Audited, Base):
    """Table role_user: an agent holds a role (Znuny has no foreign key on role_id)."""

    __tablename__ = "role_user"
    __table_args__ = (
        Index("role_user_role_id", "role_id"),
        Index("role_user_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, fk("role_user", "user_id", "users"))
    role_id: Mapped[int] = mapped_column(Integer)


class GroupRole(Audited, Base):
    """Table group_role: a role's permission (ro, rw, ...) in a group, counted when permission_value is 1."""

    __tablename__ = "group_role"
    __table_args__ = (
        Index("group_role_group_id", "group_id"),
        Index("group_role_role_id", "role_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    role_id: Mapped[int] = mapped_column(Integer, fk("group_role", "role_id", "roles"))
    group_id: Mapped[int] = mapped_column(Integer, fk("group_role", "group_id", "permission_groups"))
    permission_key: Mapped[str] = mapped_column(String(20))
    permission_value: Mapped[int] = mapped_column(SmallInteger)
