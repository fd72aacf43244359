"""mailgate_inbound: the inbound spool, every received mail stored before it is acknowledged.

Revision ID: mailgate_0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "mailgate_0001"
down_revision = None
branch_labels = ("mailgate",)
depends_on = None

BIGSERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "mailgate_inbound",
        sa.Column("id", BIGSERIAL, nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.String(length=998), nullable=True),
        sa.Column("dedup_key", sa.String(length=64), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("envelope_sender", sa.String(length=998), nullable=True),
        sa.Column("envelope_recipients", sa.Text(), server_default="[]", nullable=False),
        sa.Column("imap_account_id", sa.Integer(), nullable=True),
        sa.Column("imap_uidvalidity", sa.BigInteger(), nullable=True),
        sa.Column("imap_uid", sa.BigInteger(), nullable=True),
        sa.Column("state", sa.String(length=16), server_default="received", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("ticket_id", sa.BigInteger(), nullable=True),
        sa.Column("article_id", sa.BigInteger(), nullable=True),
        sa.Column("duplicate_of", sa.BigInteger(), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False),
        sa.Column("changed_at", sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False),
        sa.CheckConstraint(
            "source IN ('smtp', 'lmtp', 'imap', 'pipe', 'import')", name="mailgate_inbound_source"
        ),
        sa.CheckConstraint(
            "state <> 'duplicate' OR duplicate_of IS NOT NULL", name="mailgate_inbound_duplicate_of"
        ),
        sa.CheckConstraint(
            "state IN ('received', 'processing', 'done', 'duplicate', 'failed', 'ignored')",
            name="mailgate_inbound_state",
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_of"], ["mailgate_inbound.id"], name="mailgate_inbound_duplicate_of_fk"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedup_key", name="mailgate_inbound_dedup_key"),
        sa.UniqueConstraint(
            "imap_account_id", "imap_uidvalidity", "imap_uid", name="mailgate_inbound_imap_uid"
        ),
    )
    op.create_index("mailgate_inbound_message_id", "mailgate_inbound", ["message_id"], unique=False)
    op.create_index("mailgate_inbound_sha256", "mailgate_inbound", ["sha256"], unique=False)
    op.create_index("mailgate_inbound_sweep", "mailgate_inbound", ["state", "next_attempt_at"], unique=False)
    op.create_index("mailgate_inbound_ticket_id", "mailgate_inbound", ["ticket_id"], unique=False)


def downgrade() -> None:
    op.drop_table("mailgate_inbound")
