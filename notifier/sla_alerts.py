"""Renderer for kind 'sla_alert': an SLA warning or escalation, to the queue's agents."""

from __future__ import annotations

import json
from datetime import UTC, datetime, tzinfo

from sqlalchemy.orm import Session

from mailgate.sla.calendar import CalendarError
from mailgate.sla.calendars import CalendarStore
from mailgate.sla.escalation import load_targets
from notifier.batchcache import cached_queue_sender
from notifier.render import (
    AUTO_GENERATED,
    Address,
    RenderContext,
    RenderedMail,
    RendererRegistry,
    RenderError,
    Suppress,
    Threading,
)
from schema import Queue, Ticket
from schema.outbox import OutboxKind, OutboxMail

LABELS = {"response": "first response", "update": "update", "solution": "solution"}


def _sender(session: Session, queue_id: int) -> tuple[Address, str]:
    """The queue's system address (From) and the queue's name."""
    mailbox = cached_queue_sender(session, queue_id)
    queue = session.get(Queue, queue_id)
    return Address(mailbox.email, mailbox.name), queue.name if queue is not None else str(queue_id)


def _local(session: Session, ticket: Ticket, deadline: int) -> str:
    """The deadline in the time zone of the ticket's calendar, e.g. '2026-11-30 14:00 CET'."""
    targets = load_targets(session, ticket.queue_id, ticket.sla_id)
    try:
        zone: tzinfo = CalendarStore().get(session, targets.calendar_name).zone
    except CalendarError:  # a broken calendar row must not stop the alert
        zone = UTC
    return datetime.fromtimestamp(deadline, UTC).astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def _text(ticket: Ticket, queue: str, target: str, event: str, when: str, now: datetime) -> str:
    late = event == "escalate"
    lines = [
        f"Ticket {ticket.tn} ({ticket.title or 'no title'}) in queue {queue}",
        f"has {'missed' if late else 'almost reached'} its {LABELS[target]} target:",
        f"{'escalated at' if late else 'escalates at'} {when}.",
        "",
        f"Customer: {ticket.customer_user_id or '-'}",
        f"Checked at {now.replace(tzinfo=UTC).strftime('%Y-%m-%d %H:%M UTC')}.",
    ]
    return "\n".join(lines) + "\n"


class SlaAlertRenderer:
    """Warning ('warn') or escalation ('escalate') of one target; suppressed once the deadline moved."""

    kind = OutboxKind.SLA_ALERT.value

    def render(self, session: Session, row: OutboxMail, ctx: RenderContext) -> RenderedMail | Suppress:
        """The alert mail, or Suppress when the ticket's deadline is no longer the one alerted."""
        params = json.loads(row.params or "{}")
        target, event, deadline = params.get("target"), params.get("event"), params.get("deadline")
        if target not in LABELS or event not in ("warn", "escalate") or not isinstance(deadline, int):
            raise RenderError(f"outbox {row.id}: bad sla_alert params {params!r}")
        ticket = session.get(Ticket, row.ticket_id) if row.ticket_id else None
        if ticket is None:
            raise RenderError(f"outbox {row.id}: ticket {row.ticket_id} not found")
        if int(getattr(ticket, f"escalation_{target}_time") or 0) != deadline:
            return Suppress(f"the {LABELS[target]} deadline of ticket {ticket.id} changed (met or paused)")
        sender, queue = _sender(session, ticket.queue_id)
        when = _local(session, ticket, deadline)
        word = "escalation" if event == "escalate" else "warning"
        return RenderedMail(
            sender=sender,
            to=tuple(Address(email) for email in json.loads(row.recipients)),
            subject=f"SLA {word}: {LABELS[target]} {'overdue since' if event == 'escalate' else 'due'} "
            f"{when}: {ticket.title or ''}".strip(),
            text=_text(ticket, queue, target, event, when, ctx.now()),
            threading=Threading(ticket_id=ticket.id, tn=ticket.tn),
            subject_action="new",
            auto_submitted=AUTO_GENERATED,
            headers=(("X-Mailgate-SLA", f"{target} {event}"),),
        )


def register(registry: RendererRegistry) -> None:
    """Add the sla_alert renderer."""
    registry.register(SlaAlertRenderer())
