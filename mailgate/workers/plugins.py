"""The outbound plug-in point: the package that sends outbox rows is found by entry point, never imported.

DESIGN.md's arrows say mailgate never imports notifier; so the notifier announces itself in
pyproject.toml (entry point group ``mailgate.outbound``) and the worker entry points (``mailgate
run``, ``mailgate worker``) look it up when they start. Without it, outbox rows simply wait.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import ExitStack
from importlib.metadata import entry_points
from typing import Protocol

import dramatiq

from mailgate.errors import ConfigError
from mailgate.outbound.outbox import dispatch_after_commit
from mailgate.services import Services
from mailgate.workers.actors import redis_broker

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "mailgate.outbound"

SendOutbound = Callable[[int], None]
"""Queues (or, in process, performs) the sending of one outbox row by id."""


class OutboundPlugin(Protocol):
    """What a sender of outbox rows offers the workers."""

    queue: str  # the Dramatiq queue its actor consumes

    def declare(self, broker: dramatiq.Broker, services: Services) -> SendOutbound:
        """Declare the send actor on the broker (built lazily in the worker); returns its send."""
        ...

    def runner(self, services: Services) -> SendOutbound:
        """The function that sends one outbox row in this process (for `mailgate run` without a broker)."""
        ...


def load_outbound_plugin() -> OutboundPlugin | None:
    """The installed outbound plug-in, or None (logged) when no package provides one."""
    found = list(entry_points(group=ENTRY_POINT_GROUP))
    if not found:
        log.warning("no %s entry point installed: outbound mail stays in the outbox", ENTRY_POINT_GROUP)
        return None
    if len(found) > 1:
        names = ", ".join(item.value for item in found)
        raise ConfigError(f"more than one {ENTRY_POINT_GROUP} entry point installed: {names}")
    factory = found[0].load()
    plugin: OutboundPlugin = factory()
    return plugin


def queue_committed_outbox(services: Services, stack: ExitStack) -> bool:
    """Send the id of each outbox row this process commits to the workers' send actor on Redis.

    For processes that write outbox rows without sending them (`mailgate web`): an agent's answer
    leaves at once instead of waiting for a worker's sweeper. False when there is no broker or plug-in.
    """
    plugin = load_outbound_plugin()
    if plugin is None or not services.settings.broker_url:
        return False
    broker = redis_broker(services.settings.broker_url)
    stack.callback(broker.close)
    stack.callback(dispatch_after_commit(services.sessions, plugin.declare(broker, services)))
    return True
