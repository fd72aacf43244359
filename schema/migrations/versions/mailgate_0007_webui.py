"""Web UI: mailgate_login_failure (lock-out across processes).

The web UI's indexes on Znuny's own tables are in znuny_0004 (fresh installs); an attached Znuny
database gets them only on request (`mailgate init --search-indexes`).

Revision ID: mailgate_0007
Revises: mailgate_0005
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "mailgate_0007"
down_revision = "mailgate_0005"
branch_labels = None
depends_on = None

BIGINT_PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

def upgrade() -> None:
    op.create_table(
        "mailgate_login_failure",
        sa.Column("id", BIGINT_PK, autoincrement=True, nullable=False),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("key", sa.String(length=250), nullable=False),
        sa.Column("failed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("mailgate_login_failure_key", "mailgate_login_failure", ["scope", "key", "failed_at"])
    op.create_index("mailgate_login_failure_failed_at", "mailgate_login_failure", ["failed_at"])


def downgrade() -> None:
    op.drop_table("mailgate_login_failure")
