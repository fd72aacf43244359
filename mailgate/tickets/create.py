"""Create a ticket row the way Znuny's PostMaster NewTicket does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from mailgate.tickets.numbers import allocate_ticket_number
from schema import Ticket

SYSTEM_USER = 1
TITLE_MAX = 255


@dataclass(frozen=True, slots=True)
class NewTicket:
    """The attributes of a ticket to create (ids of lookup rows)."""

    title: str
    queue_id: int
    state_id: int
    priority_id: int
    type_id: int
    lock_id: int
    owner_id: int = SYSTEM_USER
    responsible_id: int = SYSTEM_USER
    customer_user_id: str | None = None
    customer_id: str | None = None


def create_ticket(session: Session, spec: NewTicket, system_id: str, now: datetime) -> Ticket:
    """Insert a ticket with a fresh DateChecksum number, in the caller's transaction."""
    ticket = Ticket(
        tn=allocate_ticket_number(session, system_id, now),
        title=spec.title[:TITLE_MAX],
        queue_id=spec.queue_id,
        ticket_lock_id=spec.lock_id,
        type_id=spec.type_id,
        service_id=None,
        sla_id=None,
        user_id=spec.owner_id,
        responsible_user_id=spec.responsible_id,
        ticket_priority_id=spec.priority_id,
        ticket_state_id=spec.state_id,
        customer_id=spec.customer_id,
        customer_user_id=spec.customer_user_id,
        timeout=0,
        until_time=0,
        escalation_time=0,
        escalation_update_time=0,
        escalation_response_time=0,
        escalation_solution_time=0,
        archive_flag=0,
        create_time=now,
        create_by=SYSTEM_USER,
        change_time=now,
        change_by=SYSTEM_USER,
    )
    session.add(ticket)
    session.flush()
    return ticket
