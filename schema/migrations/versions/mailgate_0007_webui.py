"""Web UI: mailgate_login_failure (lock-out across processes), list and full-text indexes (PostgreSQL).

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

# frozen copy of schema.webui.ARTICLE_SEARCH_DOCUMENT at this revision
ARTICLE_SEARCH_DOCUMENT = (
    "to_tsvector('simple'::regconfig, coalesce(a_from, '') || ' ' || "
    "translate(coalesce(a_from, ''), '@.<>\"', '     ') || ' ' || "
    "coalesce(a_subject, '') || ' ' || left(coalesce(a_body, ''), 100000))"
)
TICKET_TITLE_DOCUMENT = "to_tsvector('simple'::regconfig, coalesce(title, ''))"


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
    # ticket lists sorted by last change (Znuny has no index on ticket.change_time)
    op.create_index("mailgate_ticket_change_time", "ticket", ["change_time"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE INDEX mailgate_ticket_title_search ON ticket USING gin (({TICKET_TITLE_DOCUMENT}))"
        )
        op.execute(
            "CREATE INDEX mailgate_article_search ON article_data_mime "
            f"USING gin (({ARTICLE_SEARCH_DOCUMENT}))"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS mailgate_article_search")
        op.execute("DROP INDEX IF EXISTS mailgate_ticket_title_search")
    op.drop_index("mailgate_ticket_change_time", table_name="ticket")
    op.drop_table("mailgate_login_failure")
