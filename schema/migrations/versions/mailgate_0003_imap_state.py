"""mailgate_imap_account: per IMAP account, the after-fetch action and the UIDVALIDITY/UID progress.

Revision ID: mailgate_0003
Revises: mailgate_0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "mailgate_0003"
down_revision = "mailgate_0002"
branch_labels = None
depends_on = None

NOW = sa.text("CURRENT_TIMESTAMP")


def upgrade() -> None:
    op.create_table(
        "mailgate_imap_account",
        sa.Column("account_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("after_fetch", sa.String(length=10), server_default="move", nullable=False),
        sa.Column(
            "processed_folder", sa.String(length=250), server_default="mailgate-processed", nullable=False
        ),
        sa.Column("folder", sa.String(length=250), nullable=True),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=True),
        sa.Column("last_uid", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("changed_at", sa.DateTime(), server_default=NOW, nullable=False),
        sa.CheckConstraint(
            "after_fetch IN ('move', 'seen', 'delete')", name="mailgate_imap_account_after_fetch"
        ),
        sa.PrimaryKeyConstraint("account_id"),
    )


def downgrade() -> None:
    op.drop_table("mailgate_imap_account")
