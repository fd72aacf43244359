"""Lock-out after repeated failed sign-ins, per login and per client address, kept in the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from schema.webui import LoginFailure

LOGIN = "login"
ADDRESS = "ip"


@dataclass(frozen=True, slots=True)
class LockoutPolicy:
    """How many failures within `window` lock a login or a client address, and for how long.

    A login is locked once it has `login_limit` failures within `window`; the lock lifts when the oldest
    of them is `window` old. Attempts while locked are refused without being checked or counted, so an
    attacker gets at most `login_limit` guesses per `window` and login. The address limit is higher: many
    agents may share one address (an office behind NAT, a reverse proxy).
    """

    login_limit: int = 5
    address_limit: int = 20
    window: timedelta = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class Lock:
    """A lock in force: on what (login or address) and until when (naive UTC)."""

    scope: str
    until: datetime


def _keys(login: str, address: str | None) -> list[tuple[str, str]]:
    keys = [(LOGIN, login.strip().lower()[:250])]
    if address:
        keys.append((ADDRESS, address[:250]))
    return keys


def _limit(policy: LockoutPolicy, scope: str) -> int:
    return policy.login_limit if scope == LOGIN else policy.address_limit


def current_lock(
    session: Session, policy: LockoutPolicy, login: str, address: str | None, now: datetime
) -> Lock | None:
    """The lock on this login or this address at `now`, if any."""
    since = now - policy.window
    for scope, key in _keys(login, address):
        limit = _limit(policy, scope)
        recent = (
            select(LoginFailure.failed_at)
            .where(LoginFailure.scope == scope, LoginFailure.key == key, LoginFailure.failed_at > since)
            .order_by(LoginFailure.failed_at.desc())
            .limit(limit)
        ).subquery()
        count, oldest = session.execute(select(func.count(), func.min(recent.c.failed_at))).one()
        if count >= limit:
            return Lock(scope, oldest + policy.window)
    return None


def record_failure(
    session: Session, policy: LockoutPolicy, login: str, address: str | None, now: datetime
) -> None:
    """Count one failed sign-in against the login and the address; prune failures older than the window."""
    session.execute(delete(LoginFailure).where(LoginFailure.failed_at <= now - policy.window))
    session.add_all(LoginFailure(scope=scope, key=key, failed_at=now) for scope, key in _keys(login, address))


def clear_login(session: Session, login: str) -> None:
    """Forget the failures of a login after it signed in (the address keeps its count)."""
    key = _keys(login, None)[0][1]
    session.execute(delete(LoginFailure).where(LoginFailure.scope == LOGIN, LoginFailure.key == key))
