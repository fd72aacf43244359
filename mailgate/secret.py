"""The installation secret for reply tokens: MAILGATE_SECRET_KEY, else one generated and kept in the DB."""

from __future__ import annotations

import secrets

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from mailgate.database import read_session
from mailgate.settings import Settings
from schema.pipeline import InstallationSetting

SECRET_NAME = "secret_key"


def installation_secret(settings: Settings, sessions: sessionmaker[Session], *, create: bool = True) -> str:
    """The configured secret, or the one stored in mailgate_setting (created on first use).

    With create=False a missing secret is replaced by a throw-away one and nothing is written.
    """
    if settings.secret_key:
        return settings.secret_key
    # read without the write lock: callers may already hold it in another open session (a web request)
    with read_session(sessions) as session:
        row = session.get(InstallationSetting, SECRET_NAME)
        if row is not None:
            return row.value
    if not create:
        return secrets.token_urlsafe(32)
    with sessions() as session:
        session.add(InstallationSetting(name=SECRET_NAME, value=secrets.token_urlsafe(32)))
        try:
            session.commit()
        except IntegrityError:  # another process created it first
            session.rollback()
        stored = session.get(InstallationSetting, SECRET_NAME, populate_existing=True)
        assert stored is not None
        return stored.value
