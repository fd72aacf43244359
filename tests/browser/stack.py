"""The whole helpdesk for browser tests: PostgreSQL, in-process workers, an aiosmtpd sink, the web server.

Nothing is faked: mail goes in through mailgate.intake and the in-process workers (pipeline, then the
notifier found by entry point sends the outbox to the sink); the browser talks HTTP to waitress.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from aiosmtpd.controller import Controller
from argon2 import PasswordHasher
from sqlalchemy import insert, select

from mailgate.services import Services, build_services
from mailgate.settings import Settings
from mailgate.workers.inprocess import in_process_workers
from schema import GroupUser, InboundMail, InboundSource, PermissionGroup, Queue, User
from tests.integration.notifier.send_support import Received, Sink
from tests.support.net import free_port
from webui.app import create_app
from webui.server import WebServer

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
T = TypeVar("T")


def _audit() -> dict[str, object]:
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    return {"create_time": now, "change_time": now, "create_by": 1, "change_by": 1}


def wait_for(probe: Callable[[], T | None], what: str, timeout: float = 30.0) -> T:
    """Poll `probe` until it returns something truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class Stack:
    """A running helpdesk: base URL of the web UI, the services, and the SMTP sink."""

    base_url: str
    services: Services
    sink: Sink

    def agent(self, groups: dict[str, str], password: str) -> str:
        """A new agent with {group: key}; returns the login."""
        login = f"agent-{uuid.uuid4().hex[:8]}"
        with self.services.sessions.begin() as session:
            user_id = session.execute(
                insert(User)
                .values(login=login, pw=PasswordHasher().hash(password), first_name="Alex", last_name="Agent",
                        valid_id=1, **_audit())
                .returning(User.id)
            ).scalar_one()  # fmt: skip
            for name, key in groups.items():
                group_id = session.scalars(
                    select(PermissionGroup.id).where(PermissionGroup.name == name)
                ).one()
                session.execute(
                    insert(GroupUser).values(
                        user_id=user_id, group_id=group_id, permission_key=key, **_audit()
                    )
                )
        return login

    def queue(self, name: str, group: str = "users") -> int:
        """A new queue in an existing group."""
        with self.services.sessions.begin() as session:
            group_id = session.scalars(select(PermissionGroup.id).where(PermissionGroup.name == group)).one()
            return session.execute(
                insert(Queue)
                .values(name=name, group_id=group_id, system_address_id=1, salutation_id=1, signature_id=1,
                        follow_up_id=1, follow_up_lock=0, valid_id=1, **_audit())
                .returning(Queue.id)
            ).scalar_one()  # fmt: skip

    def deliver(self, raw: bytes) -> int:
        """Spool a mail as the SMTP listener does; the in-process workers ticket it. Returns the ticket id."""
        accepted = self.services.intake.accept(
            raw, InboundSource.SMTP, "jane@customer.example", ("support@example.org",)
        )

        def ticket_id() -> int | None:
            with self.services.sessions() as session:
                row = session.get_one(InboundMail, accepted.spool_id)
                assert row.state != "failed", row.last_error
                return row.ticket_id

        return wait_for(ticket_id, f"spool row {accepted.spool_id} to become a ticket")

    def received(self, predicate: Callable[[Received], bool], what: str) -> Received:
        """The first mail at the sink matching `predicate` (waits for the send worker)."""
        return wait_for(lambda: next((item for item in self.sink.received if predicate(item)), None), what)


@contextlib.contextmanager
def running_stack(database_url: str) -> Iterator[Stack]:
    """Start sink, workers and web server on a migrated database; stop them all afterwards."""
    sink = Sink()
    smtp_port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    settings = Settings(
        database_url=database_url, secret_key="browser-test-secret", fqdn="mg.example.org",
        outbound_smtp=f"127.0.0.1:{smtp_port}", web_listen=f"127.0.0.1:{free_port()}",
    )  # fmt: skip
    services = build_services(settings)
    try:
        with in_process_workers(services, threads=2):
            app = create_app(settings, services=services, LIVE_POLL_MS=500)
            server = WebServer(app, settings.web_listen, threads=4)
            server.start()
            host, port = server.address
            try:
                yield Stack(f"http://{host}:{port}", services, sink)
            finally:
                server.stop()
    finally:
        controller.stop()
        services.close()
