"""The sweeper: re-queues spool and outbox rows stored but never handled, due for a retry, or abandoned."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from mailgate.tickets.clock import now_utc
from mailgate.workers.dispatch import Dispatcher
from schema import InboundMail, InboundState
from schema.outbox import OutboxMail, OutboxState

log = logging.getLogger(__name__)

RECEIVED_GRACE = timedelta(minutes=2)
PROCESSING_TIMEOUT = timedelta(minutes=10)
SENDING_TIMEOUT = timedelta(minutes=10)  # an outbox row 'sending' this long lost its sender
BATCH = 1000


class Sweeper:
    """Re-queues what the broker may have lost; the database is the source of truth."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        dispatcher: Dispatcher,
        clock: Callable[[], datetime] = now_utc,
        send_outbound: Callable[[int], None] | None = None,
    ) -> None:
        self._sessions = sessions
        self._dispatcher = dispatcher
        self._clock = clock
        self._send_outbound = send_outbound

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
        return len(ids) + self.sweep_outbox(everything_waiting=everything_waiting)

    def sweep_outbox(self, *, everything_waiting: bool = False) -> int:
        """Queue outbox rows pending and due, or abandoned while 'sending'; returns how many."""
        if self._send_outbound is None:
            return 0
        now = self._clock()
        with self._sessions.begin() as session:
            session.execute(
                update(OutboxMail)
                .where(
                    OutboxMail.state == OutboxState.SENDING.value,
                    OutboxMail.changed_at < now - SENDING_TIMEOUT,
                )
                .values(state=OutboxState.PENDING.value, changed_at=now, next_attempt_at=now)
            )
            written_before = now if everything_waiting else now - RECEIVED_GRACE
            ids = session.scalars(
                select(OutboxMail.id)
                .where(
                    OutboxMail.state == OutboxState.PENDING.value,
                    or_(
                        OutboxMail.next_attempt_at <= now,
                        OutboxMail.next_attempt_at.is_(None) & (OutboxMail.changed_at <= written_before),
                    ),
                )
                .order_by(OutboxMail.id)
                .limit(BATCH)
            ).all()
        for outbox_id in ids:
            self._send_outbound(outbox_id)
        if ids:
            log.info("sweeper re-queued %d outbox rows", len(ids))
        return len(ids)
