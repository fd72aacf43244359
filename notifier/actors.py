"""The send_outbound actor (an id; it drains other due rows with it) and the outbound plug-in."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import dramatiq

from mailgate.secret import installation_secret
from mailgate.services import Services
from mailgate.settings import Settings
from mailgate.tickets.clock import now_utc
from mailgate.workers.actors import OUTBOUND_QUEUE
from mailgate.workers.plugins import SendOutbound
from notifier.notification import default_templates
from notifier.render import RenderContext
from notifier.renderers import build_registry
from notifier.sender import OutboxSender
from notifier.transport import SmtpTransport

log = logging.getLogger(__name__)

SEND_TIME_LIMIT_MS = 2 * 60 * 1000


def render_context(settings: Settings, secret: str) -> RenderContext:
    """The renderers' context from the settings and the installation secret."""
    templates = default_templates(settings.template_dir or None)
    return RenderContext(
        fqdn=settings.fqdn, system_id=settings.system_id, secret=secret, clock=now_utc, templates=templates
    )


def build_sender(services: Services) -> OutboxSender:
    """An OutboxSender for this process: every registered renderer, SMTP to MAILGATE_OUTBOUND_SMTP."""
    settings = services.settings
    secret = installation_secret(settings, services.sessions)
    transport = SmtpTransport(settings.outbound_smtp, local_hostname=settings.fqdn)
    return OutboxSender(services.sessions, build_registry(), render_context(settings, secret), transport)


class _LazySender:
    """Builds the sender on first use (in the process and thread pool that runs the actor)."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self._lock = threading.Lock()
        self._sender: OutboxSender | None = None

    def __call__(self) -> OutboxSender:
        with self._lock:
            if self._sender is None:
                self._sender = build_sender(self._services)
            return self._sender


def declare_send_outbound(broker: dramatiq.Broker, sender: Callable[[], OutboxSender]) -> Any:
    """Declare send_outbound(outbox_id) on the broker; the sender is built lazily by the worker."""

    def send_outbound(outbox_id: int) -> None:
        # the row itself plus other due rows, one batch: claimed and frozen in one commit, sent over
        # this thread's kept SMTP connection, marked in one commit (see OutboxSender.send_due)
        states = sender().send_due(outbox_id)
        log.debug("outbox %s: batch of %d -> %s", outbox_id, len(states), states)

    decorate = dramatiq.actor(
        broker=broker,
        actor_name="send_outbound",
        queue_name=OUTBOUND_QUEUE,
        max_retries=0,  # retries are the outbox's business (next_attempt_at, the sweeper)
        time_limit=SEND_TIME_LIMIT_MS,
    )
    return decorate(send_outbound)


class NotifierPlugin:
    """mailgate's outbound plug-in (entry point ``mailgate.outbound``): the notifier sends outbox rows."""

    queue = OUTBOUND_QUEUE

    def declare(self, broker: dramatiq.Broker, services: Services) -> SendOutbound:
        """Declare send_outbound on the broker; returns the function that queues an outbox id."""
        actor = declare_send_outbound(broker, _LazySender(services))
        return lambda outbox_id: actor.send(outbox_id)

    def runner(self, services: Services) -> SendOutbound:
        """Send an outbox id and other due rows with it in this process (callers run it on a thread)."""
        sender = _LazySender(services)

        def run(outbox_id: int) -> None:
            try:
                sender().send_due(outbox_id)
            except Exception:  # the row stays 'sending'; the sweeper returns it to pending
                log.exception("outbox %s: sending crashed", outbox_id)

        return run


def plugin() -> NotifierPlugin:
    """The entry point target named in pyproject.toml."""
    return NotifierPlugin()
