"""Ticket number allocation on Znuny's ticket_number_counter table, formatted as DateChecksum."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import insert, update
from sqlalchemy.orm import Session

from mailgate.ticketnumber import format_ticket_number
from schema import TicketNumberCounter


def allocate_ticket_number(session: Session, system_id: str, now: datetime) -> str:
    """Insert a counter row in the caller's transaction and build the ticket number from it.

    The counter is the row's own id: unique and race-free across concurrent workers without
    any lock, at the cost of not restarting at 1 each day (Znuny tolerates gaps too).
    """
    counter_id = (
        session.connection()
        .execute(
            insert(TicketNumberCounter)
            .values(counter=0, counter_uid=uuid.uuid4().hex, create_time=now)
            .returning(TicketNumberCounter.id)
        )
        .scalar_one()
    )
    session.connection().execute(
        update(TicketNumberCounter).where(TicketNumberCounter.id == counter_id).values(counter=counter_id)
    )
    return format_ticket_number(now.date(), system_id, counter_id)
