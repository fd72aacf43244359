"""The periodic SLA check: warn at the notify percentage and alert at escalation, once per deadline.

Each alert is an outbox row of kind 'sla_alert' to the queue's agents (rw on the queue's group, directly
or through a valid role; address from user_preferences 'UserEmail') plus Znuny's ticket_history row
(Escalation<Target>TimeNotifyBefore / Escalation<Target>TimeStart, name "%%<type>%%triggered").
The clock row remembers the deadline each alert was sent for; the outbox dedupe_key guards twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mailgate.outbound.outbox import OutboundRequest, enqueue_outbound
from mailgate.permissions import users_with_permission
from mailgate.sla.calendar import to_epoch
from mailgate.sla.escalation import TARGETS, Escalations, next_alert
from mailgate.sla.history import add_history, history_type
from schema import Queue, Ticket, User, UserPreference
from schema.agents import USER_EMAIL_KEY
from schema.outbox import OutboxKind
from schema.sla import SlaClock

log = logging.getLogger(__name__)

VALID = 1
WARN, ESCALATE = "warn", "escalate"


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert written: which ticket, target, event and deadline, and its outbox row (None: no agent)."""

    ticket_id: int
    target: str
    event: str
    deadline: int
    outbox_id: int | None


def dedupe_key(ticket_id: int, target: str, event: str, deadline: int) -> str:
    """The outbox key that makes an alert unique per ticket, target, event and deadline."""
    return f"sla:{ticket_id}:{target}:{event}:{deadline}"


def queue_agent_addresses(session: Session, queue_id: int) -> list[str]:
    """Mail addresses of the valid agents with rw on the queue's group, sorted, without duplicates."""
    queue_group = select(Queue.group_id).where(Queue.id == queue_id).scalar_subquery()
    rows = session.scalars(
        select(UserPreference.preferences_value)
        .join(User, User.id == UserPreference.user_id)
        .where(
            User.id.in_(users_with_permission(queue_group, "rw")),
            User.valid_id == VALID,
            UserPreference.preferences_key == USER_EMAIL_KEY,
        )
    )
    return sorted({value.strip() for value in rows if value and "@" in value})


def _current(ticket: Ticket, clock: SlaClock) -> Escalations:
    """The ticket's stored deadlines with the clock's warnings."""
    return Escalations(
        {target: int(getattr(ticket, f"escalation_{target}_time") or 0) for target in TARGETS},
        {target: int(getattr(clock, f"{target}_warn") or 0) for target in TARGETS},
    )


def due_events(clock: SlaClock, escalations: Escalations, now: int) -> list[tuple[str, str, int]]:
    """(target, event, deadline) due at `now` and not sent yet; marks them sent on the clock.

    A target past its deadline gets only the escalation (its warning is moot and never follows).
    """
    events: list[tuple[str, str, int]] = []
    for target in TARGETS:
        deadline, warning = escalations.deadlines[target], escalations.warnings[target]
        if not deadline or getattr(clock, f"{target}_escalated") == deadline:
            continue
        if deadline <= now:
            events.append((target, ESCALATE, deadline))
            setattr(clock, f"{target}_escalated", deadline)
            setattr(clock, f"{target}_warned", deadline)
        elif warning and warning <= now and getattr(clock, f"{target}_warned") != deadline:
            events.append((target, WARN, deadline))
            setattr(clock, f"{target}_warned", deadline)
    return events


class _RunCache:
    """What one check run reads once: each queue's agent addresses."""

    def __init__(self) -> None:
        self.recipients: dict[int, list[str]] = {}

    def agents(self, session: Session, queue_id: int) -> list[str]:
        """The queue's agent addresses, read once per run."""
        if queue_id not in self.recipients:
            self.recipients[queue_id] = queue_agent_addresses(session, queue_id)
        return self.recipients[queue_id]


def _alert(
    session: Session, ticket: Ticket, event: tuple[str, str, int], now: datetime, cache: _RunCache
) -> Alert:
    target, kind, deadline = event
    add_history(session, ticket.id, history_type(target, kind), now)
    recipients = cache.agents(session, ticket.queue_id)
    if not recipients:
        log.warning(
            "ticket %s: SLA %s %s, but queue %s has no agent address",
            ticket.id,
            target,
            kind,
            ticket.queue_id,
        )
        return Alert(ticket.id, target, kind, deadline, None)
    params: dict[str, Any] = {"target": target, "event": kind, "deadline": deadline}
    request = OutboundRequest(
        kind=OutboxKind.SLA_ALERT.value,
        dedupe_key=dedupe_key(ticket.id, target, kind, deadline),
        recipients=recipients,
        ticket_id=ticket.id,
        params=params,
    )
    return Alert(ticket.id, target, kind, deadline, enqueue_outbound(session, request, now))


def anything_due(session: Session, now: datetime) -> bool:
    """Whether any alert is due at `now` (a cheap read before taking locks)."""
    second = to_epoch(now)
    due = select(SlaClock.ticket_id).where(SlaClock.next_alert > 0, SlaClock.next_alert <= second).limit(1)
    return session.scalar(due) is not None


def check_escalations(session: Session, now: datetime, limit: int = 500) -> list[Alert]:
    """Write the alerts due at `now` (naive UTC) in the caller's transaction; returns what was written."""
    second = to_epoch(now)
    if session.get_bind().dialect.name == "sqlite":
        # take SQLite's write lock before reading: a writer committing meanwhile cannot fail this transaction
        session.execute(update(SlaClock).where(SlaClock.next_alert < 0).values(next_alert=0))
    query = (
        select(SlaClock)
        .where(SlaClock.next_alert > 0, SlaClock.next_alert <= second)
        .order_by(SlaClock.next_alert)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)  # two checkers never alert one ticket twice
    alerts: list[Alert] = []
    cache = _RunCache()
    for clock in session.scalars(query).all():
        ticket = session.get(Ticket, clock.ticket_id)
        if ticket is None:
            clock.next_alert = 0
            continue
        escalations = _current(ticket, clock)
        for event in due_events(clock, escalations, second):
            alerts.append(_alert(session, ticket, event, now, cache))
        clock.next_alert, clock.changed_at = next_alert(clock, escalations), now
    session.flush()
    return alerts
