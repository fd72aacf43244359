"""Znuny tables user_preferences, customer_preferences and personal_queues (fresh installs only).

Agents' mail addresses and languages live in user_preferences, customers' languages in
customer_preferences, and "My Queues" subscriptions in personal_queues. A Znuny database that
mailgate attaches to already has all three, so, like znuny_0001, this runs on fresh installs only.

Revision ID: znuny_0002
Revises: znuny_0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "znuny_0002"
down_revision = "znuny_0001"
branch_labels = None
depends_on = None

BIGSERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=f"fk_{table}_{column}_id", initially="IMMEDIATE", deferrable=True
    )


def upgrade() -> None:
    op.create_table(
        "user_preferences",
        sa.Column("id", BIGSERIAL, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("preferences_key", sa.String(length=150), nullable=False),
        sa.Column("preferences_value", sa.Text(), nullable=True),
        _fk("user_preferences", "user_id", "users"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("user_preferences_user_id", "user_preferences", ["user_id"], unique=False)
    op.create_table(
        "customer_preferences",
        sa.Column("id", BIGSERIAL, nullable=False),
        sa.Column("user_id", sa.String(length=250), nullable=False),
        sa.Column("preferences_key", sa.String(length=150), nullable=False),
        sa.Column("preferences_value", sa.String(length=250), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("customer_preferences_user_id", "customer_preferences", ["user_id"], unique=False)
    op.create_table(
        "personal_queues",
        sa.Column("id", BIGSERIAL, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("queue_id", sa.Integer(), nullable=False),
        _fk("personal_queues", "queue_id", "queue"),
        _fk("personal_queues", "user_id", "users"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("personal_queues_queue_id", "personal_queues", ["queue_id"], unique=False)
    op.create_index("personal_queues_user_id", "personal_queues", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_table("personal_queues")
    op.drop_table("customer_preferences")
    op.drop_table("user_preferences")
