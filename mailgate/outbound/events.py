"""What an inbound mail sends, decided in the pipeline's transaction: Znuny's auto-response and agent notices.

``on_mail_applied`` runs once per mail, right after apply_plan, and writes outbox rows (sent
after COMMIT by the notifier) and, for every auto-reply it does not send, a ticket_history row
(Znuny's 'Misc' "Sent no auto-response: ..." or 'LoopProtection' for the rate limits) plus an
entry in the decision trace, so an admin can see why no auto-reply went out.

Auto-response types follow the pipeline's outcome (the follow-up policy already names them as
Znuny's auto_response_type rows do): a new ticket sends 'auto reply'; a follow-up 'auto follow
up' (Znuny confirms every customer follow-up, reopening or not); a rejected follow-up 'auto
reject'; a follow-up to a closed ticket that opened a new one 'auto reply/new ticket'. The queue
(after routing) must have a valid auto_response of that type in queue_auto_response; otherwise
nothing is sent or recorded in history, as in Znuny.

Agent notifications go to the queue's subscribers (see subscribers.py) for new tickets,
follow-ups and rejected follow-ups; never to the agent who wrote the mail, and never for
auto-generated mail (out-of-office replies, bounces, delivery reports, complaints): such mail
asks nobody for an answer, and notifying on it would let two auto-responders fill an agent's
inbox. List mail does notify (a person may have to read it).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from mailgate.outbound.outbox import OutboundRequest, enqueue_outbound
from mailgate.outbound.policy import (
    AutoReplyLimits,
    Refusal,
    auto_reply_recipient,
    limit_refusal,
    mail_refusal,
    recipient_refusal,
    undeliverable_refusal,
)
from mailgate.outbound.subscribers import Subscriber, queue_subscribers
from mailgate.pipeline.apply import Applied
from mailgate.pipeline.plan import Plan
from mailgate.settings import Settings
from mailgate.tickets.lookups import VALID
from mailgate.tickets.writer import TicketRow, TicketWriter
from parsers.model import ParsedMessage
from schema import AutoResponse, AutoResponseType, QueueAutoResponse, SystemAddress
from schema.outbox import OutboxKind

DEFAULT_TYPES = {"new_ticket": "auto reply", "followup": "auto follow up", "rejected": "auto reject"}
NOTIFIED_OUTCOMES = {"new_ticket": "new_ticket", "followup": "followup", "rejected": "rejected"}
QUIET_KINDS = frozenset({"auto-reply", "bounce", "delivery-report", "complaint"})
CLOSED_TYPES = frozenset({"closed", "removed"})
SUPPRESSED_HISTORY = "Misc"
LOOP_HISTORY = "LoopProtection"


@dataclass(frozen=True, slots=True)
class EventOptions:
    """Installation choices for the events (from Settings)."""

    limits: AutoReplyLimits = field(default_factory=AutoReplyLimits)
    notify_agents: bool = True

    @classmethod
    def from_settings(cls, settings: Settings) -> EventOptions:
        """The options an installation's settings give."""
        limits = AutoReplyLimits(
            per_address_per_day=settings.autoreply_max_per_address,
            per_ticket_per_day=settings.autoreply_max_per_ticket,
        )
        return cls(limits=limits)


@dataclass(slots=True)
class MailEvents:
    """What on_mail_applied wrote for one mail."""

    auto_response_type: str | None = None
    auto_reply_outbox_id: int | None = None
    refusal: Refusal | None = None
    notification_outbox_ids: list[int] = field(default_factory=list)


# statements built once (SQLAlchemy Core on the session's connection: no ORM overhead per mail)
QUEUE_AUTO_RESPONSE = (
    select(AutoResponse.id)
    .join(QueueAutoResponse, QueueAutoResponse.auto_response_id == AutoResponse.id)
    .join(AutoResponseType, AutoResponseType.id == AutoResponse.type_id)
    .where(
        QueueAutoResponse.queue_id == bindparam("queue_id"),
        AutoResponseType.name == bindparam("type_name"),
        AutoResponse.valid_id == VALID,
    )
    .order_by(AutoResponse.id)
    .limit(1)
)
SYSTEM_ADDRESSES = select(SystemAddress.value0)


def configured_auto_response(session: Session, queue_id: int, type_name: str) -> int | None:
    """The id of the queue's valid auto_response of this type (queue_auto_response), or None."""
    values = {"queue_id": queue_id, "type_name": type_name}
    found = session.connection().execute(QUEUE_AUTO_RESPONSE, values).scalar()
    return int(found) if found is not None else None


def system_addresses(session: Session) -> frozenset[str]:
    """Every system address, valid or not, lower-cased: we never auto-reply to any of them."""
    return frozenset(
        value.strip().lower() for value in session.connection().execute(SYSTEM_ADDRESSES).scalars()
    )


def _plan_refusal(parsed: ParsedMessage, plan: Plan) -> Refusal | None:
    """Refusals that come from the mail and from the pipeline's decision."""
    refusal = mail_refusal(parsed)
    if refusal is not None:
        return refusal
    if plan.sender_type != "customer":
        return Refusal("not_customer", f"the mail was stored as written by the {plan.sender_type}")
    decision = plan.route_decision
    if decision is not None and decision.suppress_auto_reply:
        rule = decision.sources.get("suppress_auto_reply", "a routing rule")
        return Refusal("rule_suppressed", f"routing rule {rule} suppressed the auto-reply")
    if plan.auto_response is None:
        reasons = "; ".join(plan.trace.get("policy", {}).get("reasons", [])) or "no reason given"
        return Refusal("policy", f"the follow-up policy sends none ({reasons})")
    return None


def _refusal(
    writer: TicketWriter,
    parsed: ParsedMessage,
    plan: Plan,
    ticket: TicketRow,
    type_name: str,
    limits: AutoReplyLimits,
) -> Refusal | None:
    """The first reason not to send, from the cheapest check to the rate limits."""
    refusal = _plan_refusal(parsed, plan)
    if refusal is None and type_name == "auto reply":
        state_type = writer.lookups.state_type_of(ticket.state_id)
        if state_type in CLOSED_TYPES:
            refusal = Refusal("ticket_closed", f"the ticket is state-type '{state_type}'")
    recipient = auto_reply_recipient(parsed)
    if refusal is None:
        refusal = recipient_refusal(recipient, system_addresses(writer.session), limits)
    if refusal is None and recipient is not None:
        refusal = undeliverable_refusal(writer.session, recipient.email)
        if refusal is None:
            refusal = limit_refusal(writer.session, recipient.email, ticket.id, writer.now, limits)
    return refusal


def _record_refusal(
    writer: TicketWriter, ticket: TicketRow, refusal: Refusal, recipient: str, article: int
) -> None:
    """A ticket_history row as Znuny writes it: LoopProtection for the limits, Misc otherwise."""
    if refusal.loop_protection:
        writer.history(ticket, LOOP_HISTORY, f"%%{recipient}", article)
    else:
        writer.history(ticket, SUPPRESSED_HISTORY, f"Sent no auto-response: {refusal.reason}", article)


def _auto_reply(
    writer: TicketWriter,
    parsed: ParsedMessage,
    plan: Plan,
    applied: Applied,
    ticket: TicketRow,
    limits: AutoReplyLimits,
) -> tuple[MailEvents, dict[str, Any]]:
    """Enqueue the auto-response this mail earns, or record why it earns none."""
    events = MailEvents()
    type_name = plan.auto_response or DEFAULT_TYPES.get(plan.outcome)
    if type_name is None:
        return events, {"type": None, "sent": False, "reason": f"no auto-response for outcome {plan.outcome}"}
    events.auto_response_type = type_name
    response_id = configured_auto_response(writer.session, ticket.queue_id, type_name)
    trace: dict[str, Any] = {"type": type_name, "queue_id": ticket.queue_id, "sent": False}
    if response_id is None:
        trace["reason"] = f"queue {ticket.queue_id} has no valid '{type_name}' auto-response"
        return events, trace
    trace["auto_response_id"] = response_id
    recipient = auto_reply_recipient(parsed)
    events.refusal = _refusal(writer, parsed, plan, ticket, type_name, limits)
    if events.refusal is not None:
        _record_refusal(
            writer, ticket, events.refusal, recipient.email if recipient else "", applied.article_id or 0
        )
        trace.update(code=events.refusal.code, reason=events.refusal.reason)
        return events, trace
    assert recipient is not None and applied.article_id is not None
    request = OutboundRequest(
        kind=OutboxKind.AUTO_REPLY.value,
        dedupe_key=f"auto_reply:article:{applied.article_id}",
        recipients=[recipient.email],
        ticket_id=ticket.id,
        article_id=applied.article_id,
        auto_response_id=response_id,
        params={"type": type_name, "to_name": recipient.name, "thread_index": parsed.header("Thread-Index")},
    )
    events.auto_reply_outbox_id = enqueue_outbound(writer.session, request, writer.now)
    trace.update(sent=True, to=recipient.email, outbox_id=events.auto_reply_outbox_id)
    return events, trace


def _notify(
    writer: TicketWriter,
    parsed: ParsedMessage,
    plan: Plan,
    applied: Applied,
    ticket: TicketRow,
    events: MailEvents,
) -> dict[str, Any]:
    """One agent_notification row per subscribed agent, except the one who wrote the mail."""
    event = NOTIFIED_OUTCOMES.get(plan.outcome)
    if event is None:
        return {"sent": [], "reason": f"no notification for outcome {plan.outcome}"}
    if parsed.kind in QUIET_KINDS:
        return {"sent": [], "reason": f"auto-generated mail ({parsed.kind}) notifies nobody"}
    author = parsed.from_.email.strip().lower() if parsed.from_ else ""
    sent: list[int] = []
    skipped: list[int] = []
    for agent in queue_subscribers(writer.session, ticket.queue_id):
        if agent.email.strip().lower() == author:
            skipped.append(agent.user_id)
            continue
        outbox_id = enqueue_outbound(writer.session, _notification(agent, event, ticket, applied), writer.now)
        if outbox_id is not None:
            events.notification_outbox_ids.append(outbox_id)
            sent.append(agent.user_id)
    return {"event": event, "sent": sent, "skipped_author": skipped}


def _notification(agent: Subscriber, event: str, ticket: TicketRow, applied: Applied) -> OutboundRequest:
    return OutboundRequest(
        kind=OutboxKind.AGENT_NOTIFICATION.value,
        dedupe_key=f"agent_notification:article:{applied.article_id}:user:{agent.user_id}",
        recipients=[agent.email],
        ticket_id=ticket.id,
        article_id=applied.article_id,
        user_id=agent.user_id,
        params={"event": event, "language": agent.language},
    )


def on_mail_applied(
    writer: TicketWriter,
    parsed: ParsedMessage,
    plan: Plan,
    applied: Applied,
    options: EventOptions | None = None,
) -> MailEvents:
    """Write the auto-reply and agent notifications this mail causes; explain them in plan.trace."""
    if applied.ticket_id is None or applied.article_id is None:
        return MailEvents()
    if plan.outcome not in DEFAULT_TYPES:  # bounces, agents' answers by mail: nothing to confirm or tell
        reason = f"nothing is sent for {plan.outcome}"
        plan.trace["auto_reply"] = {"type": None, "sent": False, "reason": reason}
        return MailEvents()
    options = options or EventOptions()
    # the writer's own row (no second read of the ticket); a copy, so the writer's history is untouched
    current = writer.loaded(applied.ticket_id) or writer.load_ticket(applied.ticket_id)
    ticket = replace(current, changed={})
    if plan.queue_id is not None:
        ticket.queue_id = plan.queue_id  # a follow-up moved by routing: the move is written at flush
    events, plan.trace["auto_reply"] = _auto_reply(writer, parsed, plan, applied, ticket, options.limits)
    if options.notify_agents:
        plan.trace["agent_notifications"] = _notify(writer, parsed, plan, applied, ticket, events)
    return events
