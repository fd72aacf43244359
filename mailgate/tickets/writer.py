"""TicketWriter: the Znuny rows of one transaction, written with few statements (SQLAlchemy Core)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from mailgate.tickets.lookups import Lookups
from mailgate.tickets.numbers import CounterReserve, allocate_ticket_number
from schema import (
    ArticleDataMime,
    ArticleDataMimeAttachment,
    ArticleDataMimePlain,
    Base,
    Ticket,
    TicketHistory,
)
from schema.pipeline import Decision, TicketLink, TicketTag

if TYPE_CHECKING:
    from mailgate.tickets.customers import KnownCustomers

SYSTEM_USER = 1
HISTORY_NAME_MAX = 200
TITLE_MAX = 255


# dependent rows are inserted in this order (foreign keys point to earlier tables or to ticket/article)
def table_of(model: type[Base]) -> Table:
    """The Table behind a declarative model."""
    return cast(Table, model.__table__)


FLUSH_ORDER: tuple[Table, ...] = tuple(
    table_of(model)
    for model in (
        TicketTag,
        ArticleDataMime,
        ArticleDataMimePlain,
        ArticleDataMimeAttachment,
        TicketHistory,
        TicketLink,
        Decision,
    )
)


TICKET_INSERT = insert(Ticket).returning(Ticket.id)
TABLE_INSERTS = {table: insert(table) for table in FLUSH_ORDER}


@dataclass(slots=True)
class TicketRow:
    """The attributes of a ticket that history rows copy and follow-ups change."""

    id: int
    tn: str
    queue_id: int
    type_id: int
    owner_id: int
    priority_id: int
    state_id: int
    lock_id: int
    changed: dict[str, Any] = field(default_factory=dict)

    def set(self, column: str, value: int) -> None:
        """Change one column; written at flush."""
        attribute = {
            "ticket_state_id": "state_id",
            "ticket_priority_id": "priority_id",
            "ticket_lock_id": "lock_id",
            "queue_id": "queue_id",
        }[column]
        setattr(self, attribute, value)
        self.changed[column] = value


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


def without_nul(row: dict[str, Any]) -> dict[str, Any]:
    """The row with NUL characters in its text replaced by U+FFFD: PostgreSQL text cannot hold NUL."""
    return {
        key: value.replace("\x00", "\ufffd") if isinstance(value, str) else value
        for key, value in row.items()
    }


def audit(now: datetime, user_id: int = SYSTEM_USER) -> dict[str, Any]:
    """Znuny's four audit columns."""
    return {"create_time": now, "create_by": user_id, "change_time": now, "change_by": user_id}


class TicketWriter:
    """Collects the rows of one transaction and writes each table with one statement at flush()."""

    def __init__(self, session: Session, lookups: Lookups, now: datetime, user_id: int = SYSTEM_USER) -> None:
        self.session = session
        self.lookups = lookups
        self.now = now
        self.user_id = user_id
        self._pending: dict[Table, list[dict[str, Any]]] = defaultdict(list)
        self._tickets: list[TicketRow] = []
        self.customers: KnownCustomers | None = None  # the batch's senders, read once (pipeline)
        self.numbers: CounterReserve | None = None  # the batch's ticket number counters (pipeline)

    def create_ticket(self, spec: NewTicket, system_id: str) -> TicketRow:
        """Insert the ticket now (its id is needed by everything else) with a fresh DateChecksum number."""
        tn = allocate_ticket_number(self.session, system_id, self.now, self.numbers)
        values = {
            "tn": tn,
            "title": spec.title[:TITLE_MAX],
            "queue_id": spec.queue_id,
            "ticket_lock_id": spec.lock_id,
            "type_id": spec.type_id,
            "user_id": spec.owner_id,
            "responsible_user_id": spec.responsible_id,
            "ticket_priority_id": spec.priority_id,
            "ticket_state_id": spec.state_id,
            "customer_id": spec.customer_id,
            "customer_user_id": spec.customer_user_id,
            "timeout": 0,
            "until_time": 0,
            "escalation_time": 0,
            "escalation_update_time": 0,
            "escalation_response_time": 0,
            "escalation_solution_time": 0,
            "archive_flag": 0,
            **audit(self.now, self.user_id),
        }
        ticket_id = self.session.connection().execute(TICKET_INSERT, without_nul(values)).scalar_one()
        row = TicketRow(
            ticket_id,
            tn,
            spec.queue_id,
            spec.type_id,
            spec.owner_id,
            spec.priority_id,
            spec.state_id,
            spec.lock_id,
        )
        self._tickets.append(row)
        return row

    def load_ticket(self, ticket_id: int) -> TicketRow:
        """Read a ticket and lock its row until the end of the transaction."""
        found = (
            self.session.connection()
            .execute(
                select(
                    Ticket.id,
                    Ticket.tn,
                    Ticket.queue_id,
                    Ticket.type_id,
                    Ticket.user_id,
                    Ticket.ticket_priority_id,
                    Ticket.ticket_state_id,
                    Ticket.ticket_lock_id,
                )
                .where(Ticket.id == ticket_id)
                .with_for_update()
            )
            .one()
        )
        row = TicketRow(
            found.id,
            found.tn,
            found.queue_id,
            found.type_id or self.lookups.default_type(),
            found.user_id,
            found.ticket_priority_id,
            found.ticket_state_id,
            found.ticket_lock_id,
        )
        self._tickets.append(row)
        return row

    def loaded(self, ticket_id: int) -> TicketRow | None:
        """The ticket this writer created or loaded in this transaction, as it is now; None if neither."""
        return next((row for row in self._tickets if row.id == ticket_id), None)

    def history(self, ticket: TicketRow, history_type: str, name: str, article_id: int | None = None) -> None:
        """A ticket_history row with the ticket's attributes as they are now."""
        self.add(
            table_of(TicketHistory),
            {
                "name": name[:HISTORY_NAME_MAX],
                "history_type_id": self.lookups.history_type(history_type),
                "ticket_id": ticket.id,
                "article_id": article_id,
                "type_id": ticket.type_id,
                "queue_id": ticket.queue_id,
                "owner_id": ticket.owner_id,
                "priority_id": ticket.priority_id,
                "state_id": ticket.state_id,
                **audit(self.now, self.user_id),
            },
        )

    def tag(self, ticket: TicketRow, tags: tuple[str, ...]) -> None:
        """Put tags on the ticket (tags it already has are left as they are)."""
        if not tags:
            return
        existing = set(
            self.session.connection()
            .execute(select(TicketTag.tag).where(TicketTag.ticket_id == ticket.id))
            .scalars()
        )
        for tag in dict.fromkeys(item.strip()[:100] for item in tags):
            if tag and tag not in existing:
                self.add(table_of(TicketTag), {"ticket_id": ticket.id, "tag": tag, "create_time": self.now})

    def add(self, table: Table, row: dict[str, Any]) -> None:
        """Queue a row for insertion at flush()."""
        self._pending[table].append(without_nul(row))

    def flush(self) -> None:
        """Write ticket changes, then every queued row: one statement per table."""
        for ticket in self._tickets:
            if ticket.changed:
                values = {**ticket.changed, "change_time": self.now, "change_by": self.user_id}
                self.session.connection().execute(update(Ticket).where(Ticket.id == ticket.id).values(values))
                ticket.changed = {}
        for table in FLUSH_ORDER:
            rows = self._pending.pop(table, [])
            if rows:
                self.session.connection().execute(TABLE_INSERTS[table], rows)
        if self._pending:
            raise RuntimeError(f"rows queued for tables outside FLUSH_ORDER: {list(self._pending)}")
