"""Web UI test helpers: WebEnv (agents, queues, real mails through the pipeline), Client, mail()."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert, select, update
from werkzeug.test import TestResponse

from mailgate.pipeline.process import InboundProcessor
from mailgate.services import Services
from schema import GroupUser, InboundSource, PermissionGroup, Queue, Ticket, User

# cheap argon2 parameters for test users: the sign-in rehashes them to the defaults, which is tested too
TEST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def _audit() -> dict[str, object]:
    now = _now()
    return {"create_time": now, "change_time": now, "create_by": 1, "change_by": 1}


@dataclass
class WebEnv:
    app: Flask
    services: Services
    processor: InboundProcessor

    def group(self, name: str) -> int:
        with self.services.sessions.begin() as session:
            found = session.scalar(select(PermissionGroup.id).where(PermissionGroup.name == name))
            if found is not None:
                return found
            return session.execute(
                insert(PermissionGroup)
                .values(name=name, valid_id=1, **_audit())
                .returning(PermissionGroup.id)
            ).scalar_one()

    def agent(
        self, groups: dict[str, str] | None = None, *, password: str = "correct horse"
    ) -> tuple[str, str]:
        """A new agent with {group name: permission key}; returns (login, password)."""
        login = f"agent-{uuid.uuid4().hex[:10]}"
        with self.services.sessions.begin() as session:
            user_id = session.execute(
                insert(User)
                .values(
                    login=login, pw=TEST_HASHER.hash(password), first_name="Test", last_name=login,
                    valid_id=1, **_audit(),
                )
                .returning(User.id)
            ).scalar_one()  # fmt: skip
        for name, key in (groups or {}).items():
            group_id = self.group(name)
            with self.services.sessions.begin() as session:
                session.execute(
                    insert(GroupUser).values(
                        user_id=user_id, group_id=group_id, permission_key=key, **_audit()
                    )
                )
        return login, password

    def user_id(self, login: str) -> int:
        with self.services.sessions() as session:
            return session.scalars(select(User.id).where(User.login == login)).one()

    def queue(self, group: str, name: str | None = None) -> int:
        """A new queue in `group` (created if needed); returns its id."""
        group_id = self.group(group)
        with self.services.sessions.begin() as session:
            return session.execute(
                insert(Queue)
                .values(
                    name=name or f"Queue {uuid.uuid4().hex[:8]}", group_id=group_id, system_address_id=1,
                    salutation_id=1, signature_id=1, follow_up_id=1, follow_up_lock=0, valid_id=1, **_audit(),
                )
                .returning(Queue.id)
            ).scalar_one()  # fmt: skip

    def deliver(self, raw: bytes, *, queue_id: int | None = None) -> int:
        """Run a mail through the intake and the pipeline; returns its ticket id (moved to queue_id)."""
        accepted = self.services.intake.accept(
            raw, InboundSource.SMTP, "sender@example.net", ("support@example.org",)
        )
        done = self.processor.process(accepted.spool_id)
        assert done.ticket_id is not None, done
        if queue_id is not None:
            with self.services.sessions.begin() as session:
                session.execute(update(Ticket).where(Ticket.id == done.ticket_id).values(queue_id=queue_id))
        return done.ticket_id

    def ticket(self, ticket_id: int) -> Ticket:
        with self.services.sessions() as session:
            return session.get_one(Ticket, ticket_id)


class Client(FlaskClient):
    """A test client that can find the CSRF token on a page and sign in through the form."""

    def csrf(self, path: str = "/login") -> str:
        page = self.get(path, follow_redirects=True).get_data(as_text=True)
        found = CSRF_META.search(page) or CSRF_INPUT.search(page)
        assert found, f"no CSRF token on {path}"
        return found.group(1)

    def login(self, login: str, password: str, **extra: str) -> TestResponse:
        token = self.csrf("/login")
        return self.post("/login", data={"login": login, "password": password, "csrf_token": token, **extra})


def mail(
    subject: str = "Printer broken",
    body: str = "It does not print.",
    *,
    sender: str = "Jane Doe <jane@customer.example>",
    content_type: str = "text/plain; charset=utf-8",
    extra_headers: tuple[str, ...] = (),
) -> bytes:
    """A simple mail with a fresh Message-ID."""
    headers = [
        f"From: {sender}",
        "To: support@example.org",
        f"Subject: {subject}",
        f"Message-ID: <{uuid.uuid4().hex}@customer.example>",
        "Date: Wed, 25 Nov 2026 10:00:00 +0000",
        "MIME-Version: 1.0",
        f"Content-Type: {content_type}",
        *extra_headers,
    ]
    return ("\r\n".join(headers) + "\r\n\r\n" + body + "\r\n").encode()
