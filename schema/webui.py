"""mailgate_ tables of the web UI: failed sign-ins, counted per login and per client address."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from schema.articles import ArticleDataMime
from schema.base import Base, BigIntPK
from schema.tickets import Ticket


class LoginFailure(Base):
    """Table mailgate_login_failure: one failed sign-in, once under its login and once under its address.

    Rows live in the database so that a lock-out holds across every web process; old rows are pruned
    whenever a new failure is written.
    """

    __tablename__ = "mailgate_login_failure"
    __table_args__ = (
        Index("mailgate_login_failure_key", "scope", "key", "failed_at"),
        Index("mailgate_login_failure_failed_at", "failed_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    scope: Mapped[str] = mapped_column(String(10))  # "login" or "ip"
    key: Mapped[str] = mapped_column(String(250))
    failed_at: Mapped[datetime] = mapped_column(DateTime)


# The text the PostgreSQL full-text search of articles looks at: sender (also split at @ and dots, so
# that "jane" or "customer" find jane@customer.example), subject and the first 100,000 characters of the
# body (a tsvector is limited to 1 MB; a longer body must not make the article INSERT fail). The GIN index
# mailgate_article_search (migration znuny_0004) is on exactly this expression: keep them equal.
ARTICLE_SEARCH_DOCUMENT = (
    "to_tsvector('simple'::regconfig, coalesce(a_from, '') || ' ' || "
    "translate(coalesce(a_from, ''), '@.<>\"', '     ') || ' ' || "
    "coalesce(a_subject, '') || ' ' || left(coalesce(a_body, ''), 100000))"
)

# The ticket title as PostgreSQL's full-text search sees it (GIN index mailgate_ticket_title_search).
TICKET_TITLE_DOCUMENT = "to_tsvector('simple'::regconfig, coalesce(title, ''))"

# PostgreSQL's own rendering of ARTICLE_SEARCH_DOCUMENT (pg_get_indexdef), so that Alembic's comparison
# of models and database finds the index equal; the planner matches the short form to it.
_ARTICLE_SEARCH_AS_REFLECTED = (
    "to_tsvector('simple'::regconfig, (((((COALESCE(a_from, ''::character varying)::text || ' '::text) || "
    "translate(COALESCE(a_from, ''::character varying)::text, '@.<>\"'::text, '     '::text)) "
    "|| ' '::text) || "
    "COALESCE(a_subject, ''::character varying)::text) || ' '::text) || "
    "\"left\"(COALESCE(a_body, ''::character varying)::text, 100000))"
)

# declared here so that the models and the migrations agree; created on PostgreSQL only (migration
# znuny_0004 on fresh installs, `mailgate init --search-indexes` on an attached Znuny database)
Index(
    "mailgate_article_search",
    text(_ARTICLE_SEARCH_AS_REFLECTED),
    postgresql_using="gin",
    _table=Base.metadata.tables[ArticleDataMime.__tablename__],
).ddl_if(dialect="postgresql")

_TICKET_TITLE_AS_REFLECTED = "to_tsvector('simple'::regconfig, COALESCE(title, ''::character varying)::text)"

Index(
    "mailgate_ticket_title_search",
    text(_TICKET_TITLE_AS_REFLECTED),
    postgresql_using="gin",
    _table=Base.metadata.tables[Ticket.__tablename__],
).ddl_if(dialect="postgresql")

# ticket lists sorted by last change: Znuny has no index on ticket.change_time
Index("mailgate_ticket_change_time", Ticket.change_time)
