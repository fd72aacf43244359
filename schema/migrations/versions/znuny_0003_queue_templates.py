"""Znuny table queue_standard_template: the canned answers each queue offers (fresh installs only).

A Znuny database that mailgate attaches to already has it, so, like znuny_0001, this runs on fresh
installs only.

Revision ID: znuny_0003
Revises: znuny_0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "znuny_0003"
down_revision = "znuny_0002"
branch_labels = None
depends_on = None

BIGSERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP0 = sa.DateTime().with_variant(postgresql.TIMESTAMP(precision=0), "postgresql")


def _fk(column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=f"fk_queue_standard_template_{column}_id",
        initially="IMMEDIATE",
        deferrable=True,
    )


def upgrade() -> None:
    op.create_table(
        "queue_standard_template",
        sa.Column("id", BIGSERIAL, nullable=False),
        sa.Column("queue_id", sa.Integer(), nullable=False),
        sa.Column("standard_template_id", sa.Integer(), nullable=False),
        sa.Column("create_time", TIMESTAMP0, nullable=False),
        sa.Column("create_by", sa.Integer(), nullable=False),
        sa.Column("change_time", TIMESTAMP0, nullable=False),
        sa.Column("change_by", sa.Integer(), nullable=False),
        _fk("queue_id", "queue"),
        _fk("standard_template_id", "standard_template"),
        _fk("create_by", "users"),
        _fk("change_by", "users"),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("queue_standard_template")
