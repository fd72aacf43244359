"""The web UI's indexes on Znuny's tables: ticket.change_time and full-text search (PostgreSQL).

On Znuny's own tables, so, like znuny_0001, this runs on fresh installs only; an attached Znuny
database gets the same indexes only on request (`mailgate init --search-indexes`, built CONCURRENTLY).

Revision ID: znuny_0004
Revises: znuny_0003
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "znuny_0004"
down_revision = "znuny_0003"
branch_labels = None
depends_on = None

# frozen copies of schema.webui's documents at this revision
ARTICLE_SEARCH_DOCUMENT = (
    "to_tsvector('simple'::regconfig, coalesce(a_from, '') || ' ' || "
    "translate(coalesce(a_from, ''), '@.<>\"', '     ') || ' ' || "
    "coalesce(a_subject, '') || ' ' || left(coalesce(a_body, ''), 100000))"
)
TICKET_TITLE_DOCUMENT = "to_tsvector('simple'::regconfig, coalesce(title, ''))"


def upgrade() -> None:
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
