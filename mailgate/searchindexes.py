"""mailgate's indexes on Znuny's tables (web lists, search, customer lookups), built on request."""

from __future__ import annotations

import logging

from sqlalchemy import Engine, text

from schema.webui import ARTICLE_SEARCH_DOCUMENT, TICKET_TITLE_DOCUMENT

log = logging.getLogger(__name__)

# CONCURRENTLY: a large production database keeps taking mail and answers while an index builds
_POSTGRESQL = (
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS mailgate_ticket_change_time ON ticket (change_time)",
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS mailgate_ticket_title_search ON ticket"
    f" USING gin (({TICKET_TITLE_DOCUMENT}))",
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS mailgate_article_search ON article_data_mime"
    f" USING gin (({ARTICLE_SEARCH_DOCUMENT}))",
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS mailgate_customer_user_email ON customer_user (lower(email))",
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS mailgate_customer_user_login ON customer_user (lower(login))",
)
_OTHER = (
    "CREATE INDEX IF NOT EXISTS mailgate_ticket_change_time ON ticket (change_time)",
    "CREATE INDEX IF NOT EXISTS mailgate_customer_user_email ON customer_user (lower(email))",
    "CREATE INDEX IF NOT EXISTS mailgate_customer_user_login ON customer_user (lower(login))",
)


def create_search_indexes(engine: Engine) -> int:
    """Create the indexes that are missing (without blocking writes on PostgreSQL); returns how many ran."""
    statements = _POSTGRESQL if engine.dialect.name == "postgresql" else _OTHER
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for statement in statements:
            log.info("search index: %s", statement.split(" ON ")[0])
            connection.execute(text(statement))
    return len(statements)
