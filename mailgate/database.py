"""Engine and session factories for SQLite (embedded, WAL) and PostgreSQL (psycopg 3)."""

from __future__ import annotations

import threading
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


READ_ONLY = "mailgate_read_only"
"""Execution option: on SQLite, begin the transaction deferred (it only reads; see read_only)."""
_WRITER = "mailgate_write_transaction_thread"


class _SqliteBegin:
    """The BEGIN of every SQLite transaction: IMMEDIATE, except where that could never succeed or help.

    IMMEDIATE takes the write lock up front, waiting up to the busy timeout for it: a deferred
    transaction that read first cannot wait, and fails at once with "database is locked"
    (SQLITE_BUSY_SNAPSHOT) when another connection committed since its read. Deferred are:
    transactions asked to be read-only (see read_only), and those a thread begins while it holds an
    IMMEDIATE one on another connection itself (a nested read would otherwise wait for its own thread
    until the busy timeout; it reads as before, and a write in it fails at once).
    """

    def __init__(self) -> None:
        self._local = threading.local()

    def __call__(self, connection: Connection) -> None:
        me = threading.get_ident()
        held = [item for item in getattr(self._local, "held", ()) if _held_by(item, me)]
        deferred = bool(held) or bool(connection.get_execution_options().get(READ_ONLY, False))
        proxied = connection.connection
        proxied.info[_WRITER] = None if deferred else me  # the latest BEGIN on a connection says who holds it
        connection.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")
        if not deferred:
            held.append((proxied.info, proxied.dbapi_connection))
        self._local.held = held


def _held_by(item: tuple[dict[Any, Any], Any], thread: int) -> bool:
    """Whether the connection's write transaction, begun by `thread`, is still open."""
    info, dbapi_connection = item
    try:
        return info.get(_WRITER) == thread and bool(dbapi_connection.in_transaction)
    except Exception:  # a closed connection holds nothing
        return False


def read_only(engine: Engine) -> Engine:
    """The engine for transactions that only read: on SQLite they begin deferred and never wait for a writer.

    Such a transaction reads one snapshot; a write in it may fail at once with "database is locked"
    when another connection wrote since its first read. PostgreSQL is unaffected.
    """
    return engine.execution_options(**{READ_ONLY: True})


def read_session(sessions: sessionmaker[Session]) -> Session:
    """A session of the factory for reading only (see read_only): on SQLite it never waits for a writer.

    Also the way to read inside another open transaction of the same thread: on SQLite that one holds
    the write lock, and a second write transaction would wait for it until the busy timeout.
    """
    bind = sessions.kw.get("bind")
    return sessions(bind=read_only(bind)) if isinstance(bind, Engine) else sessions()


def create_engine_for(settings_or_url: Settings | str | URL, **kwargs: Any) -> Engine:
    """A new engine for the settings' database_url (or a URL); SQLite gets WAL, foreign keys, busy timeout."""
    raw = settings_or_url.database_url if isinstance(settings_or_url, Settings) else settings_or_url
    url = normalize_url(raw)
    if url.get_backend_name() == "sqlite":
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _configure_sqlite)
        event.listen(engine, "begin", _SqliteBegin())
        return engine
    # no ping before each checkout (a round trip per mail): a connection that died while idle fails
    # its first statement, is discarded by the pool, and the intake stores once more on a fresh one
    kwargs.setdefault("pool_pre_ping", False)
    # timestamps without time zone hold UTC, as on SQLite and as Znuny 6+ stores them
    connect_args = {"options": "-c timezone=UTC", **kwargs.pop("connect_args", {})}
    return create_engine(url, connect_args=connect_args, **kwargs)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """A sessionmaker bound to the engine; objects stay usable after commit.

    On SQLite its transactions begin IMMEDIATE (they may write); use read_session for those that only read.
    """
    return sessionmaker(bind=engine, expire_on_commit=False)
