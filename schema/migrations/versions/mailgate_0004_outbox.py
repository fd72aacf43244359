"""mailgate_outbox: outbound mail written in the event's transaction, sent by id.

Revision ID: mailgate_0004
Revises: mailgate_0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "mailgate_0004"
down_revision = "mailgate_0003"
branch_labels = None
depends_on = None

BIGINT_PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "mailgate_outbox",
        sa.Column("id", BIGINT_PK, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("dedupe_key", sa.String(length=250), nullable=False),
        sa.Column("recipient_key", sa.String(length=250), nullable=False),
        sa.Column("recipients", sa.Text(), nullable=False),
        sa.Column("ticket_id", sa.BigInteger(), nullable=True),
        sa.Column("article_id", sa.BigInteger(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("auto_response_id", sa.Integer(), nullable=True),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_smtp_code", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.String(length=250), nullable=True),
        sa.Column("raw", sa.LargeBinary(), nullable=True),
        sa.Column("create_time", sa.DateTime(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("sent_time", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedupe_key", name="mailgate_outbox_dedupe_key"),
    )
    op.create_index("mailgate_outbox_state_due", "mailgate_outbox", ["state", "next_attempt_at"])
    op.create_index("mailgate_outbox_recipient_time", "mailgate_outbox", ["recipient_key", "create_time"])
    op.create_index("mailgate_outbox_ticket_id", "mailgate_outbox", ["ticket_id"])


def downgrade() -> None:
    op.drop_table("mailgate_outbox")
