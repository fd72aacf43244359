"""Agent changes to a ticket (state, pending time, priority, queue, owner, lock) with Znuny's history rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mailgate.errors import MailgateError
from mailgate.sla.escalation import refresh_escalations
from mailgate.tickets.clock import epoch
from mailgate.tickets.lookups import Lookups, load_lookups
from mailgate.tickets.writer import TicketRow, TicketWriter
from schema import Queue, Ticket, TicketPriority, TicketState, User

PENDING_PREFIX = "pending"
CLOSED_PREFIX = "closed"


class TicketChangeError(MailgateError):
    """A change that cannot be made (unknown state, pending state without a time, missing ticket)."""


@dataclass(slots=True)
class Change:
    """One agent's change to one ticket inside the caller's transaction: load, change, then finish()."""

    session: Session
    writer: TicketWriter
    row: TicketRow
    now: datetime

    @classmethod
    def begin(cls, session: Session, ticket_id: int, user_id: int, now: datetime) -> Change:
        """Lock the ticket row and read the lookups."""
        if session.get(Ticket, ticket_id) is None:
            raise TicketChangeError(f"ticket {ticket_id} does not exist")
        writer = TicketWriter(session, load_lookups(session), now, user_id=user_id)
        return cls(session, writer, writer.load_ticket(ticket_id), now)

    @property
    def lookups(self) -> Lookups:
        """The lookup ids (states, history types...)."""
        return self.writer.lookups

    def write(self, **values: Any) -> None:
        """Update ticket columns now (with Znuny's change_time/change_by) and mirror them on the row."""
        self.session.execute(
            update(Ticket)
            .where(Ticket.id == self.row.id)
            .values(**values, change_time=self.now, change_by=self.writer.user_id)
        )
        mirror = {
            "ticket_state_id": "state_id",
            "ticket_priority_id": "priority_id",
            "ticket_lock_id": "lock_id",
            "queue_id": "queue_id",
            "user_id": "owner_id",
        }
        for column, value in values.items():
            if column in mirror:
                setattr(self.row, mirror[column], value)

    def history(self, history_type: str, name: str, article_id: int | None = None) -> None:
        """A ticket_history row with the ticket's attributes after the change."""
        self.writer.history(self.row, history_type, name, article_id)

    def finish(self) -> None:
        """Write the history rows and bring the SLA escalation columns up to date."""
        self.writer.flush()
        self.session.expire_all()
        refresh_escalations(self.session, self.row.id, self.now)


def _name(session: Session, model: type, ident: int) -> str:
    return str(session.scalar(select(model.name).where(model.id == ident)) or "")  # type: ignore[attr-defined]


def _unlock(change: Change) -> None:
    unlocked = change.lookups.lock("unlock")
    if change.row.lock_id != unlocked:
        change.write(ticket_lock_id=unlocked)
        change.history("Unlock", "%%unlock")


def set_state(
    session: Session,
    ticket_id: int,
    user_id: int,
    state_id: int,
    now: datetime,
    pending_until: datetime | None = None,
) -> None:
    """Znuny's TicketStateSet + TicketPendingTimeSet: StateUpdate, SetPendingTime, unlock on close."""
    change = Change.begin(session, ticket_id, user_id, now)
    state_type = change.lookups.state_type_of(state_id)
    if not state_type or state_type in ("merged", "removed"):
        raise TicketChangeError(f"state {state_id} cannot be set by an agent")
    if state_type.startswith(PENDING_PREFIX) and pending_until is None:
        raise TicketChangeError("a pending state needs a pending time")
    old = change.row.state_id
    if old != state_id:
        change.write(ticket_state_id=state_id)
        change.history(
            "StateUpdate", f"%%{_name(session, TicketState, old)}%%{_name(session, TicketState, state_id)}%%"
        )
    until = epoch(pending_until) if state_type.startswith(PENDING_PREFIX) and pending_until else 0
    current = session.scalar(select(Ticket.until_time).where(Ticket.id == ticket_id)) or 0
    if until != current:
        change.write(until_time=until)
        stamp = (
            pending_until.strftime("%Y-%m-%d %H:%M:%S") if until and pending_until else "0000-00-00 00:00:00"
        )
        change.history("SetPendingTime", f"%%{stamp}")
    if state_type.startswith(CLOSED_PREFIX):
        _unlock(change)
    change.finish()


def set_priority(session: Session, ticket_id: int, user_id: int, priority_id: int, now: datetime) -> None:
    """Znuny's TicketPrioritySet: PriorityUpdate '%%old name%%old id%%new name%%new id'."""
    if session.get(TicketPriority, priority_id) is None:
        raise TicketChangeError(f"priority {priority_id} does not exist")
    change = Change.begin(session, ticket_id, user_id, now)
    old = change.row.priority_id
    if old == priority_id:
        return
    change.write(ticket_priority_id=priority_id)
    old_name, new_name = _name(session, TicketPriority, old), _name(session, TicketPriority, priority_id)
    change.history("PriorityUpdate", f"%%{old_name}%%{old}%%{new_name}%%{priority_id}")
    change.finish()


def move(session: Session, ticket_id: int, user_id: int, queue_id: int, now: datetime) -> None:
    """Znuny's TicketQueueSet: Move '%%new queue%%new id%%old queue%%old id' (the queue's SLA may change)."""
    if session.get(Queue, queue_id) is None:
        raise TicketChangeError(f"queue {queue_id} does not exist")
    change = Change.begin(session, ticket_id, user_id, now)
    old = change.row.queue_id
    if old == queue_id:
        return
    change.write(queue_id=queue_id)
    change.history(
        "Move", f"%%{_name(session, Queue, queue_id)}%%{queue_id}%%{_name(session, Queue, old)}%%{old}"
    )
    change.finish()


def set_owner(session: Session, ticket_id: int, user_id: int, owner_id: int, now: datetime) -> None:
    """Znuny's TicketOwnerSet: OwnerUpdate '%%new login%%new id'."""
    login = session.scalar(select(User.login).where(User.id == owner_id, User.valid_id == 1))
    if login is None:
        raise TicketChangeError(f"agent {owner_id} does not exist or is invalid")
    change = Change.begin(session, ticket_id, user_id, now)
    if change.row.owner_id == owner_id:
        return
    change.write(user_id=owner_id)
    change.history("OwnerUpdate", f"%%{login}%%{owner_id}")
    change.finish()


def lock(session: Session, ticket_id: int, user_id: int, now: datetime) -> None:
    """Znuny's AgentTicketLock: lock the ticket (Lock '%%lock') and make the locking agent its owner."""
    change = Change.begin(session, ticket_id, user_id, now)
    locked = change.lookups.lock("lock")
    if change.row.lock_id == locked:
        return
    change.write(ticket_lock_id=locked)
    change.history("Lock", "%%lock")
    if change.row.owner_id != user_id:
        login = session.scalar(select(User.login).where(User.id == user_id)) or ""
        change.write(user_id=user_id)
        change.history("OwnerUpdate", f"%%{login}%%{user_id}")
    change.finish()


def unlock(session: Session, ticket_id: int, user_id: int, now: datetime) -> None:
    """Znuny's TicketLockSet(unlock): Unlock '%%unlock'."""
    change = Change.begin(session, ticket_id, user_id, now)
    if change.row.lock_id == change.lookups.lock("unlock"):
        return
    _unlock(change)
    change.finish()
