"""Carry out a Plan in the caller's transaction: ticket, article, attachments, history, links."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from mailgate.pipeline.plan import Plan
from mailgate.tickets.articles import ArticleSpec, add_email_article
from mailgate.tickets.create import NewTicket, create_ticket
from mailgate.tickets.customers import CustomerRef, find_customer, find_or_record_customer
from mailgate.tickets.history import add_history
from mailgate.tickets.lookups import Lookups
from parsers.model import ParsedMessage
from schema import Ticket
from schema.pipeline import TicketLink

DEFAULT_PRIORITY = "3 normal"
NEW_STATE = "new"
FOLLOWUP_STATE = "open"  # Znuny's PostmasterFollowUpState


@dataclass(frozen=True, slots=True)
class Applied:
    """The rows a plan produced."""

    ticket_id: int | None
    article_id: int | None


def _priority_id(lookups: Lookups, ref: int | str | None) -> int:
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        return int(ref) if int(ref) in lookups.priorities.values() else lookups.priority(DEFAULT_PRIORITY)
    return lookups.priorities.get(ref or "", lookups.priority(DEFAULT_PRIORITY))


def _customer(session: Session, parsed: ParsedMessage, plan: Plan, now: datetime) -> CustomerRef | None:
    if plan.customer:
        return find_customer(session, plan.customer) or CustomerRef(plan.customer, plan.customer)
    return find_or_record_customer(session, parsed.from_, now) if parsed.from_ else None


def _new_ticket(
    session: Session, lookups: Lookups, parsed: ParsedMessage, plan: Plan, system_id: str, now: datetime
) -> Ticket:
    customer = _customer(session, parsed, plan, now)
    assert plan.queue_id is not None
    spec = NewTicket(
        title=plan.title or parsed.subject or "(no subject)",
        queue_id=plan.queue_id,
        state_id=lookups.states.get(plan.state or NEW_STATE, lookups.state(NEW_STATE)),
        priority_id=_priority_id(lookups, plan.priority),
        type_id=lookups.types.get(plan.type or "", lookups.default_type()),
        lock_id=lookups.lock("lock" if plan.lock else "unlock"),
        owner_id=plan.owner or 1,
        responsible_id=plan.responsible or 1,
        customer_user_id=customer.login if customer else None,
        customer_id=customer.customer_id if customer else None,
    )
    ticket = create_ticket(session, spec, system_id, now)
    queue_name = str(plan.trace.get("queue", plan.queue_id))
    add_history(
        session,
        lookups,
        ticket,
        "NewTicket",
        f"%%{ticket.tn}%%{queue_name}%%{DEFAULT_PRIORITY}%%{NEW_STATE}%%{ticket.id}",
        now,
    )
    if plan.linked_ticket_id is not None:
        reason = "; ".join(plan.trace.get("policy", {}).get("reasons", []))[:250] or "follow-up refused"
        session.add(
            TicketLink(
                ticket_id=ticket.id, linked_ticket_id=plan.linked_ticket_id, reason=reason, create_time=now
            )
        )
    return ticket


def _update_followup(session: Session, lookups: Lookups, ticket: Ticket, plan: Plan, now: datetime) -> None:
    """State, lock, priority and queue changes a follow-up brings, each with its history row."""
    if plan.state and lookups.states.get(plan.state) not in (None, ticket.ticket_state_id):
        ticket.ticket_state_id = lookups.state(plan.state)
        add_history(session, lookups, ticket, "StateUpdate", f"%%{plan.state}", now)
    if plan.lock and ticket.ticket_lock_id != lookups.lock("lock"):
        ticket.ticket_lock_id = lookups.lock("lock")
        add_history(session, lookups, ticket, "Lock", "%%lock", now)
    if plan.priority is not None:
        priority = _priority_id(lookups, plan.priority)
        if priority != ticket.ticket_priority_id:
            ticket.ticket_priority_id = priority
            add_history(session, lookups, ticket, "PriorityUpdate", f"%%{plan.priority}", now)
    if plan.queue_id is not None and plan.queue_id != ticket.queue_id:
        ticket.queue_id = plan.queue_id
        add_history(session, lookups, ticket, "Move", f"%%{plan.trace.get('queue', plan.queue_id)}", now)
    ticket.change_time = now


def apply_plan(
    session: Session,
    lookups: Lookups,
    parsed: ParsedMessage,
    raw: bytes,
    plan: Plan,
    *,
    system_id: str,
    fingerprint: str,
    now: datetime,
) -> Applied:
    """Write what the plan says; nothing at all for loops and ignored mail."""
    if not plan.stores_article:
        return Applied(None, None)
    if plan.ticket_id is None:
        ticket = _new_ticket(session, lookups, parsed, plan, system_id, now)
    else:
        ticket = session.get_one(Ticket, plan.ticket_id, with_for_update=True)
        if plan.outcome == "followup":
            _update_followup(session, lookups, ticket, plan, now)
    spec = ArticleSpec(
        sender_type_id=lookups.sender_type(plan.sender_type),
        channel_id=lookups.channel("Email"),
        visible_for_customer=plan.visible_for_customer,
        fingerprint=fingerprint,
    )
    article = add_email_article(session, ticket.id, parsed, raw, spec, now)
    history = "EmailCustomer" if plan.outcome == "new_ticket" else "FollowUp"
    sender = parsed.from_.email if parsed.from_ else ""
    add_history(
        session,
        lookups,
        ticket,
        history,
        f"%%{sender}" if history == "EmailCustomer" else f"%%{ticket.tn}",
        now,
        article_id=article.id,
    )
    return Applied(ticket.id, article.id)
