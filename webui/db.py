"""One SQLAlchemy session per request, from the services' session factory, closed when the request ends."""

from __future__ import annotations

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy.orm import Session

from mailgate.database import read_session

SESSION_KEY = "mailgate_db_session"
READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def db() -> Session:
    """The session of the current request (opened on first use; rolled back and closed at teardown).

    Commit explicitly (`db().commit()`) in views that write; nothing is committed implicitly. Pages
    (GET, HEAD) only read: on SQLite their transaction begins deferred, so a page never waits for the
    intake or the pipeline writing (see mailgate.database.read_session); forms post to write.
    """
    session: Session | None = g.get(SESSION_KEY)
    if session is None:
        sessions = current_app.extensions["mailgate"].services.sessions
        reading = has_request_context() and request.method in READING_METHODS
        session = read_session(sessions) if reading else sessions()
        setattr(g, SESSION_KEY, session)
    return session


def _close(_exc: BaseException | None) -> None:
    session: Session | None = g.pop(SESSION_KEY, None)
    if session is not None:
        session.close()


def init_app(app: Flask) -> None:
    """Close the request's session when the app context ends."""
    app.teardown_appcontext(_close)
