"""Fixtures for the IMAP poller tests: a real Dovecot per module, mail accounts, mails and spool queries.

Dovecot runs as `nobody` on loopback (DESIGN.md's rootless recipe). When it cannot run, the tests
skip, except under CI=true, where they fail.
"""

from __future__ import annotations

import dataclasses
import imaplib
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from mailgate.commands.imap import db_threads_for
from mailgate.database import session_factory
from mailgate.imap.accounts import ImapAccount, account_from_row
from mailgate.imap.client import ImapTimeouts
from mailgate.imap.poller import AccountPoller, PollerOptions
from mailgate.imap.state import ImapStateStore
from mailgate.intake import Intake
from schema.mail import MailAccount
from schema.spool import InboundMail
from tests.integration.imap.dovecot import Dovecot, running_dovecot

USERS = {f"user{n}": f"secret-{n}" for n in range(1, 41)}
FAST = PollerOptions(
    batch_count=50,
    backoff_first=0.05,
    backoff_max=0.5,
    timeouts=ImapTimeouts(connect=5, command=10),
)


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    """A running Dovecot with the USERS, for the tests of one module."""
    with running_dovecot(USERS) as server:
        yield server


@dataclass
class Mailbox:
    """A Dovecot user, its mail_account row and helpers to look at both sides."""

    server: Dovecot
    user: str
    account: ImapAccount
    sessions: sessionmaker[Session]

    def imap(self) -> imaplib.IMAP4:
        conn = imaplib.IMAP4("127.0.0.1", self.server.imap_port, timeout=30)
        conn.login(self.user, USERS[self.user])
        return conn

    def count(self, folder: str = "INBOX") -> int:
        conn = self.imap()
        try:
            status, data = conn.status(f'"{folder}"', "(MESSAGES)")
            if status != "OK":
                return 0
            return int(data[0].split(b"MESSAGES ")[1].rstrip(b")"))
        finally:
            conn.logout()

    def spooled(self) -> list[InboundMail]:
        with self.sessions() as session:
            query = select(InboundMail).where(InboundMail.imap_account_id == self.account.id)
            return list(session.scalars(query.order_by(InboundMail.id)))

    def spool_count(self) -> int:
        return len(self.spooled())


def add_account(sessions: sessionmaker[Session], login: str, password: str, host: str) -> ImapAccount:
    now = datetime.now()
    with sessions() as session:
        row = MailAccount(
            login=login,
            pw=password,
            host=host,
            account_type="IMAP",
            queue_id=1,
            trusted=0,
            imap_folder="INBOX",
            valid_id=1,
            create_by=1,
            change_by=1,
            create_time=now,
            change_time=now,
        )
        session.add(row)
        session.commit()
        return account_from_row(row)


@pytest.fixture
def mailbox(dovecot: Dovecot, engine: Engine) -> Mailbox:
    """A fresh Dovecot user (not used by any other test of the module) with its mail_account row."""
    return open_mailbox(dovecot, engine)


def open_mailbox(dovecot: Dovecot, engine: Engine) -> Mailbox:
    """Another fresh Dovecot user with its mail_account row."""
    user = next(_next_user_for(dovecot))
    sessions = session_factory(engine)
    account = add_account(sessions, user, USERS[user], f"127.0.0.1:{dovecot.imap_port}")
    return Mailbox(dovecot, user, account, sessions)


def _next_user_for(server: Dovecot) -> Iterator[str]:
    used: set[str] = server.__dict__.setdefault("_used_users", set())
    for user in USERS:
        if user not in used:
            used.add(user)
            yield user
    raise RuntimeError("out of Dovecot test users; add more to USERS")


@pytest.fixture
def executor(engine: Engine) -> Iterator[ThreadPoolExecutor]:
    """Database threads sized as `mailgate imap` does (one on SQLite: its writers exclude each other)."""
    pool = ThreadPoolExecutor(db_threads_for(engine), thread_name_prefix="test-imap-db")
    yield pool
    pool.shutdown(wait=True)


def make_poller(
    box: Mailbox, executor: ThreadPoolExecutor, intake: Intake | None = None, **options: object
) -> AccountPoller:
    chosen = dataclasses.replace(FAST, **options)  # type: ignore[arg-type]
    return AccountPoller(
        box.account, intake or Intake(box.sessions), ImapStateStore(box.sessions), executor, chosen
    )


def make_mail(n: int, tag: str = "", body_size: int = 200) -> bytes:
    body = (f"line {n} " * (body_size // 8 + 1))[:body_size]
    return (
        f"From: Customer {n} <c{n}@example.com>\r\nTo: support@example.org\r\n"
        f"Subject: Mail {n} {tag}\r\nMessage-ID: <{n}.{tag}.{uuid.uuid4().hex}@example.com>\r\n"
        f"Date: Thu, 26 Nov 2026 00:00:00 +0000\r\n\r\n{body}\r\n"
    ).encode()
