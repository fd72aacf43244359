"""Dispatchers hand a stored spool id to whoever processes it; the database stays the source of truth."""

from __future__ import annotations

import logging
from concurrent.futures import Executor
from typing import Protocol

from mailgate.pipeline.process import InboundProcessor

log = logging.getLogger(__name__)


class Dispatcher(Protocol):
    """Anything that can queue a spool id for processing."""

    def enqueue_inbound(self, spool_id: int) -> None:
        """Queue the spool row for process_inbound; may lose it (the sweeper re-queues)."""
        ...


class ThreadDispatcher:
    """In-process workers: each spool id is processed on a thread of the given pool.

    As the Dramatiq actor does, a thread takes the row with up to 31 other waiting rows in one
    transaction (InboundProcessor.process_batch); if the batch fails, each row is processed alone.
    """

    def __init__(self, processor: InboundProcessor, executor: Executor) -> None:
        self._processor = processor
        self._executor = executor

    def enqueue_inbound(self, spool_id: int) -> None:
        """Submit the spool id to the pool (its row may well be processed by an earlier batch)."""
        self._executor.submit(self._run, spool_id)

    def _run(self, spool_id: int) -> None:
        try:
            self._processor.process_batch(spool_id)
        except Exception:  # process_batch() records failures itself; this guards the pool thread
            log.exception("spool %s: processing crashed", spool_id)
