"""One SQLAlchemy session per request, from the services' session factory, closed when the request ends."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

SESSION_KEY = "mailgate_db_session"


def db() -> Session:
    """The session of the current request (opened on first use; rolled back and closed at teardown).

    Commit explicitly (`db().commit()`) in views that write; nothing is committed implicitly.
    """
    session: Session | None = g.get(SESSION_KEY)
    if session is None:
        session = current_app.extensions["mailgate"].services.sessions()
        setattr(g, SESSION_KEY, session)
    return session


def _close(_exc: BaseException | None) -> None:
    session: Session | None = g.pop(SESSION_KEY, None)
    if session is not None:
        session.close()


def init_app(app: Flask) -> None:
    """Close the request's session when the app context ends."""
    app.teardown_appcontext(_close)
