"""Ticket number allocation on Znuny's ticket_number_counter table, formatted as DateChecksum."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import bindparam, insert, text, update
from sqlalchemy.orm import Session

from mailgate.ticketnumber import format_ticket_number
from schema import TicketNumberCounter

# PostgreSQL: take the id from the sequence and store it as the counter in one statement
POSTGRESQL_COUNTER_INSERT = text(
    "INSERT INTO ticket_number_counter (id, counter, counter_uid, create_time)"
    " SELECT n, n, :uid, :now FROM"
    " (SELECT nextval(pg_get_serial_sequence('ticket_number_counter', 'id')) AS n) AS next_id"
    " RETURNING id"
)

# PostgreSQL: several counters in one statement, for the new tickets of a batch
POSTGRESQL_COUNTERS_INSERT = text(
    "INSERT INTO ticket_number_counter (id, counter, counter_uid, create_time)"
    " SELECT n, n, uid, :now FROM"
    " (SELECT nextval(pg_get_serial_sequence('ticket_number_counter', 'id')) AS n, uid"
    "  FROM unnest(CAST(:uids AS text[])) AS uid) AS next_ids"
    " RETURNING id"
)
RESERVE_CHUNK = 8

COUNTER_INSERT = insert(TicketNumberCounter).returning(TicketNumberCounter.id)
COUNTER_SET = update(TicketNumberCounter).where(TicketNumberCounter.id == bindparam("counter_id"))


class CounterReserve:
    """Counters a batch takes a few at a time on PostgreSQL: one INSERT for up to RESERVE_CHUNK tickets.

    `wanted` (set by the batch: the mails it has still to process) caps how many are taken at once;
    counters a batch took but did not use are gaps in the numbering, which Znuny tolerates.
    """

    def __init__(self, chunk: int = RESERVE_CHUNK) -> None:
        self._chunk = chunk
        self._free: list[int] = []
        self.wanted = 1

    def take(self, session: Session, now: datetime) -> int | None:
        """The next reserved counter; None on databases other than PostgreSQL."""
        if not self._free:
            connection = session.connection()
            if connection.dialect.name != "postgresql":
                return None
            uids = [uuid.uuid4().hex for _ in range(max(1, min(self._chunk, self.wanted)))]
            taken = connection.execute(POSTGRESQL_COUNTERS_INSERT, {"uids": uids, "now": now}).scalars()
            self._free = sorted(taken, reverse=True)
        return self._free.pop()


def allocate_ticket_number(
    session: Session, system_id: str, now: datetime, reserve: CounterReserve | None = None
) -> str:
    """Insert a counter row in the caller's transaction and build the ticket number from it.

    The counter is the row's own id: unique and race-free across concurrent workers without any
    lock. Znuny's own generator computes each counter from the previous row's, so it carries on
    from ours. Unlike Znuny's DateChecksum the counter does not restart at 1 each day.
    """
    reserved = reserve.take(session, now) if reserve is not None else None
    if reserved is not None:
        return format_ticket_number(now.date(), system_id, reserved)
    connection = session.connection()
    uid = uuid.uuid4().hex
    if connection.dialect.name == "postgresql":
        counter_id = connection.execute(POSTGRESQL_COUNTER_INSERT, {"uid": uid, "now": now}).scalar_one()
    else:
        counter_id = connection.execute(
            COUNTER_INSERT, {"counter": 0, "counter_uid": uid, "create_time": now}
        )
        counter_id = counter_id.scalar_one()
        connection.execute(COUNTER_SET, {"counter_id": counter_id, "counter": counter_id})
    return format_ticket_number(now.date(), system_id, counter_id)
