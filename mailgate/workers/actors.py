"""Dramatiq actors, declared on a given broker (never at import time); they take ids only."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import dramatiq
from dramatiq.brokers.redis import RedisBroker

from mailgate.errors import ConfigError
from mailgate.intake import Intake
from mailgate.pipeline.process import InboundProcessor

log = logging.getLogger(__name__)

INBOUND_QUEUE = "mailgate-inbound"
OUTBOUND_QUEUE = "mailgate-outbound"  # send_outbound, declared by the outbound plug-in (workers/plugins.py)
PROCESS_TIME_LIMIT_MS = 5 * 60 * 1000


def redis_broker(url: str) -> RedisBroker:
    """A Dramatiq broker on MAILGATE_BROKER_URL (redis://...)."""
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(f"MAILGATE_BROKER_URL must be a redis:// URL, got {url!r}")
    return RedisBroker(url=url)


@dataclass(frozen=True)
class Actors:
    """The actors of one broker."""

    process_inbound: Any

    def enqueue_inbound(self, spool_id: int) -> None:
        """Send the spool id to the process_inbound actor (Dispatcher protocol)."""
        self.process_inbound.send(spool_id)


def declare_actors(broker: dramatiq.Broker, processor: Callable[[], InboundProcessor]) -> Actors:
    """Declare the actors on `broker`; `processor` builds the processor lazily in the worker process."""

    def process_inbound(spool_id: int) -> None:
        # the row itself plus other waiting rows, in one transaction (see InboundProcessor.process_batch)
        for result in processor().process_batch(spool_id):
            log.debug("spool %s -> %s", result.spool_id, result.state)

    decorate = dramatiq.actor(
        broker=broker,
        actor_name="process_inbound",
        queue_name=INBOUND_QUEUE,
        max_retries=0,
        time_limit=PROCESS_TIME_LIMIT_MS,
    )
    actor = decorate(process_inbound)
    return Actors(process_inbound=actor)


def _sender_only() -> InboundProcessor:
    raise RuntimeError("this process only queues spool ids; `mailgate worker` processes them")


def queue_stored_mail(intake: Intake, broker_url: str, stack: ExitStack) -> None:
    """Send each mail the intake stores to the workers on Redis (a lost send is left to the sweeper)."""
    broker = redis_broker(broker_url)
    stack.callback(broker.close)
    intake.on_stored(declare_actors(broker, _sender_only).enqueue_inbound)
