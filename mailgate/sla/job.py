"""Running the SLA check: one pass in its own transaction, a periodic thread, and a full refresh."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mailgate.sla.alerts import Alert, anything_due, check_escalations
from mailgate.sla.calendars import CalendarStore
from mailgate.sla.escalation import CLOSED_PREFIXES, refresh_escalations
from mailgate.tickets.clock import now_utc
from schema import Ticket, TicketState, TicketStateType

log = logging.getLogger(__name__)

CHECK_EVERY_SECONDS = 60.0
BATCH = 500


def check_once(sessions: sessionmaker[Session], now: datetime) -> list[Alert]:
    """Every alert due at `now`, written in transactions of up to BATCH tickets each."""
    alerts: list[Alert] = []
    with sessions() as session:
        if not anything_due(session, now):
            return alerts
    while True:
        with sessions.begin() as session:
            found = check_escalations(session, now, limit=BATCH)
        alerts += found
        if len(found) < BATCH:
            return alerts


def refresh_open_tickets(sessions: sessionmaker[Session], now: datetime) -> int:
    """Recompute the escalation columns of every ticket not closed (after changing targets or calendars)."""
    calendars, done, last = CalendarStore(), 0, 0
    while True:
        with sessions.begin() as session:
            ids = session.scalars(
                select(Ticket.id)
                .join(TicketState, TicketState.id == Ticket.ticket_state_id)
                .join(TicketStateType, TicketStateType.id == TicketState.type_id)
                .where(Ticket.id > last, *(~TicketStateType.name.startswith(p) for p in CLOSED_PREFIXES))
                .order_by(Ticket.id)
                .limit(BATCH)
            ).all()
            for ticket_id in ids:
                refresh_escalations(session, ticket_id, now, calendars)
        done += len(ids)
        if len(ids) < BATCH:
            return done
        last = ids[-1]


def _loop(
    sessions: sessionmaker[Session], stop: threading.Event, every: float, clock: Callable[[], datetime]
) -> None:
    while True:
        try:
            alerts = check_once(sessions, clock())
            if alerts:
                log.info("SLA check: %d alerts", len(alerts))
        except Exception:
            log.exception("SLA check failed; trying again later")
        if stop.wait(every):
            return


@contextlib.contextmanager
def sla_check_thread(
    sessions: sessionmaker[Session],
    every: float = CHECK_EVERY_SECONDS,
    clock: Callable[[], datetime] = now_utc,
) -> Iterator[threading.Thread]:
    """Run the SLA check at once and then every `every` seconds while the context is open."""
    stop = threading.Event()
    thread = threading.Thread(
        target=_loop, args=(sessions, stop, every, clock), name="sla-check", daemon=True
    )
    thread.start()
    try:
        yield thread
    finally:
        stop.set()
        thread.join(10)
