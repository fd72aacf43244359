"""The signed-in agent (a users row with its permissions) and the Flask-Login wiring."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask import Flask
from flask_login import LoginManager, UserMixin
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from schema import User
from webui.db import db
from webui.permissions import Permissions, load_permissions

VALID = 1


@dataclass(frozen=True)
class Agent(UserMixin):
    """An agent of this request: users.id, login, name and permissions.

    The session id is "<users.id>:<fingerprint of users.pw>", so changing or resetting a password ends
    every session signed in with the old one.
    """

    id: int
    login: str
    first_name: str
    last_name: str
    pw_fingerprint: str
    permissions: Permissions

    @property
    def name(self) -> str:
        """First and last name, or the login."""
        return f"{self.first_name} {self.last_name}".strip() or self.login

    @property
    def is_admin(self) -> bool:
        """Member of Znuny's 'admin' group with rw."""
        return self.permissions.is_admin

    def get_id(self) -> str:
        """What Flask-Login keeps in the session cookie."""
        return f"{self.id}:{self.pw_fingerprint}"


def pw_fingerprint(pw: str | None) -> str:
    """A short digest of users.pw (never the hash itself) for the session id."""
    return hashlib.sha256((pw or "").encode()).hexdigest()[:16]


def agent_from_row(session: Session, user: User) -> Agent:
    """The Agent for a users row, with its permissions loaded."""
    return Agent(
        id=user.id,
        login=user.login,
        first_name=user.first_name,
        last_name=user.last_name,
        pw_fingerprint=pw_fingerprint(user.pw),
        permissions=load_permissions(session, user.id),
    )


def find_user(session: Session, login: str) -> User | None:
    """The valid users row with this login (compared case-insensitively, as Znuny does)."""
    return session.scalars(
        select(User).where(func.lower(User.login) == login.strip().lower(), User.valid_id == VALID).limit(1)
    ).first()


def load_agent(session_id: str) -> Agent | None:
    """Flask-Login's user loader: the agent of a session id, if still valid with the same password."""
    user_id, _, fingerprint = session_id.partition(":")
    if not user_id.isdigit():
        return None
    session = db()
    user = session.get(User, int(user_id))
    if user is None or user.valid_id != VALID or pw_fingerprint(user.pw) != fingerprint:
        return None
    return agent_from_row(session, user)


def install_login_manager(app: Flask) -> None:
    """Flask-Login on the app: anonymous visitors go to the sign-in page."""
    manager = LoginManager()
    manager.login_view = "auth.login"
    manager.login_message = "Please sign in."
    manager.login_message_category = "info"
    manager.session_protection = "basic"
    manager.user_loader(load_agent)
    manager.init_app(app)
