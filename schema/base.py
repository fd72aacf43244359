"""Declarative base, column types and helpers shared by the Znuny-compatible models."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, MetaData, SmallInteger
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

# Znuny's BIGSERIAL ids; SQLite only autoincrements an INTEGER PRIMARY KEY, hence the variant.
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")
# Znuny's `timestamp(0) without time zone`.
Timestamp = DateTime().with_variant(postgresql.TIMESTAMP(precision=0), "postgresql")


class Base(DeclarativeBase):
    """Root of every model; its metadata holds the Znuny and the mailgate_ tables."""

    metadata = MetaData()


def fk(table: str, column: str, target: str, *, use_alter: bool = False) -> ForeignKey:
    """A foreign key to `target`.id named as Znuny's schema-post names it (lower-cased)."""
    return ForeignKey(
        f"{target}.id",
        name=f"fk_{table}_{column}_id",
        deferrable=True,
        initially="IMMEDIATE",
        use_alter=use_alter,
    )


class Audited:
    """Znuny's four audit columns: create_time, create_by, change_time, change_by."""

    __tablename__: str

    create_time: Mapped[datetime] = mapped_column(Timestamp, nullable=False, sort_order=100)
    change_time: Mapped[datetime] = mapped_column(Timestamp, nullable=False, sort_order=102)

    @declared_attr
    def create_by(cls) -> Mapped[int]:  # noqa: N805
        """The users.id that created the row."""
        return mapped_column(
            Integer, fk(cls.__tablename__, "create_by", "users"), nullable=False, sort_order=101
        )

    @declared_attr
    def change_by(cls) -> Mapped[int]:  # noqa: N805
        """The users.id that last changed the row."""
        return mapped_column(
            Integer, fk(cls.__tablename__, "change_by", "users"), nullable=False, sort_order=103
        )


class HasValid:
    """Znuny's valid_id SMALLINT column pointing to the valid table."""

    __tablename__: str

    @declared_attr
    def valid_id(cls) -> Mapped[int]:  # noqa: N805
        """1 valid, 2 invalid, 3 invalid-temporarily (see table valid)."""
        return mapped_column(SmallInteger, fk(cls.__tablename__, "valid_id", "valid"), nullable=False)
