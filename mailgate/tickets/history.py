"""ticket_history rows: one per event, with the ticket's attributes at that moment."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from mailgate.tickets.lookups import Lookups
from schema import Ticket, TicketHistory

NAME_MAX = 200


def add_history(
    session: Session,
    lookups: Lookups,
    ticket: Ticket,
    history_type: str,
    name: str,
    now: datetime,
    *,
    article_id: int | None = None,
    user_id: int = 1,
) -> TicketHistory:
    """Append one history row for the ticket in the caller's transaction."""
    row = TicketHistory(
        name=name[:NAME_MAX],
        history_type_id=lookups.history_type(history_type),
        ticket_id=ticket.id,
        article_id=article_id,
        type_id=ticket.type_id or lookups.default_type(),
        queue_id=ticket.queue_id,
        owner_id=ticket.user_id,
        priority_id=ticket.ticket_priority_id,
        state_id=ticket.ticket_state_id,
        create_time=now,
        create_by=user_id,
        change_time=now,
        change_by=user_id,
    )
    session.add(row)
    return row
