"""Znuny's ticket_history rows of the escalation events (EscalationResponseTimeStart and the like)."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from schema import Ticket, TicketHistory, TicketHistoryType

log = logging.getLogger(__name__)

SYSTEM_USER = 1
DEFAULT_TYPE_ID = 1  # ticket_type 'Unclassified': history rows need one, tickets may have none


def history_type(target: str, event: str) -> str:
    """Znuny's history type of an event: 'warn' NotifyBefore, 'escalate' Start, 'stop' Stop."""
    suffix = {"warn": "NotifyBefore", "escalate": "Start", "stop": "Stop"}[event]
    return f"Escalation{target.capitalize()}Time{suffix}"


def _type_ids(session: Session) -> dict[str, int]:
    """The escalation history types' ids, read once per session (they are seed data)."""
    cached: dict[str, int] | None = session.info.get("sla_history_types")
    if cached is None:
        rows = session.execute(
            select(TicketHistoryType.name, TicketHistoryType.id).where(
                TicketHistoryType.name.like("Escalation%")
            )
        )
        cached = session.info["sla_history_types"] = {str(row[0]): int(row[1]) for row in rows}
    return cached


def add_history(session: Session, ticket_id: int, name: str, now: datetime) -> None:
    """A ticket_history row of type `name` ("%%<name>%%triggered") with the ticket's attributes now."""
    type_id = _type_ids(session).get(name)
    ticket = session.execute(
        select(
            Ticket.type_id, Ticket.queue_id, Ticket.user_id, Ticket.ticket_priority_id, Ticket.ticket_state_id
        ).where(Ticket.id == ticket_id)
    ).first()
    if type_id is None or ticket is None:
        log.warning("ticket %s: no history row %r (type or ticket missing)", ticket_id, name)
        return
    session.execute(
        insert(TicketHistory).values(
            name=f"%%{name}%%triggered",
            history_type_id=type_id,
            ticket_id=ticket_id,
            article_id=None,
            type_id=ticket.type_id or DEFAULT_TYPE_ID,
            queue_id=ticket.queue_id,
            owner_id=ticket.user_id,
            priority_id=ticket.ticket_priority_id,
            state_id=ticket.ticket_state_id,
            create_time=now,
            create_by=SYSTEM_USER,
            change_time=now,
            change_by=SYSTEM_USER,
        )
    )
