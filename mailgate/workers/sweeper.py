"""The sweeper: re-queues spool rows stored but never processed, due for a retry, or abandoned."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from mailgate.tickets.clock import now_utc
from mailgate.workers.dispatch import Dispatcher
from schema import InboundMail, InboundState

log = logging.getLogger(__name__)

RECEIVED_GRACE = timedelta(minutes=2)
PROCESSING_TIMEOUT = timedelta(minutes=10)
BATCH = 1000


class Sweeper:
    """Re-queues what the broker may have lost; the database is the source of truth."""

    def __init__(
        self, sessions: sessionmaker[Session], dispatcher: Dispatcher, clock: Callable[[], datetime] = now_utc
    ) -> None:
        self._sessions = sessions
        self._dispatcher = dispatcher
        self._clock = clock

    def sweep(self, *, everything_waiting: bool = False) -> int:
        """Queue stale received rows, due failed rows and abandoned processing rows; returns how many."""
        now = self._clock()
        with self._sessions.begin() as session:
            session.execute(
                update(InboundMail)
                .where(
                    InboundMail.state == InboundState.PROCESSING.value,
                    InboundMail.changed_at < now - PROCESSING_TIMEOUT,
                )
                .values(state=InboundState.RECEIVED.value, changed_at=now)
            )
            received_before = now if everything_waiting else now - RECEIVED_GRACE
            ids = session.scalars(
                select(InboundMail.id)
                .where(
                    or_(
                        (InboundMail.state == InboundState.RECEIVED.value)
                        & (InboundMail.changed_at <= received_before),
                        (InboundMail.state == InboundState.FAILED.value)
                        & (InboundMail.next_attempt_at <= now),
                    )
                )
                .order_by(InboundMail.id)
                .limit(BATCH)
            ).all()
        for spool_id in ids:
            self._dispatcher.enqueue_inbound(spool_id)
        if ids:
            log.info("sweeper re-queued %d spool rows", len(ids))
        return len(ids)
