"""Engine and session factories for SQLite (embedded, WAL) and PostgreSQL (psycopg 3)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from mailgate.settings import Settings

SQLITE_BUSY_TIMEOUT_MS = 30_000


def normalize_url(url: str | URL) -> URL:
    """The URL with PostgreSQL pinned to the psycopg 3 driver (postgresql:// means postgresql+psycopg://)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # take transaction control away from pysqlite so that BEGIN, SAVEPOINT and DDL behave as documented
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        # FULL: a commit is on disk before the SMTP 250; WAL with NORMAL could lose it on power failure
        cursor.execute("PRAGMA synchronous = FULL")
    finally:
        cursor.close()


def _begin_sqlite(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN")


def create_engine_for(settings_or_url: Settings | str | URL, **kwargs: Any) -> Engine:
    """A new engine for the settings' database_url (or a URL); SQLite gets WAL, foreign keys, busy timeout."""
    raw = settings_or_url.database_url if isinstance(settings_or_url, Settings) else settings_or_url
    url = normalize_url(raw)
    if url.get_backend_name() == "sqlite":
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _configure_sqlite)
        event.listen(engine, "begin", _begin_sqlite)
        return engine
    # no ping before each checkout (a round trip per mail): a connection that died while idle fails
    # its first statement, is discarded by the pool, and the intake stores once more on a fresh one
    kwargs.setdefault("pool_pre_ping", False)
    # timestamps without time zone hold UTC, as on SQLite and as Znuny 6+ stores them
    connect_args = {"options": "-c timezone=UTC", **kwargs.pop("connect_args", {})}
    return create_engine(url, connect_args=connect_args, **kwargs)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """A sessionmaker bound to the engine; objects stay usable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)
