"""Carry out a Plan in the caller's transaction: ticket, article, attachments, history, links."""

from __future__ import annotations

from dataclasses import dataclass

from mailgate.agentmail.store import store_agent_answer
from mailgate.pipeline.plan import Plan
from mailgate.tickets.articles import ArticleSpec, add_email_article
from mailgate.tickets.customers import CustomerRef, find_customer, find_or_record_customer
from mailgate.tickets.lookups import Lookups
from mailgate.tickets.writer import NewTicket, TicketRow, TicketWriter, table_of
from parsers.model import ParsedMessage
from schema.pipeline import TicketLink

DEFAULT_PRIORITY = "3 normal"
NEW_STATE = "new"


@dataclass(frozen=True, slots=True)
class Applied:
    """The rows a plan produced."""

    ticket_id: int | None
    article_id: int | None


def _priority_id(lookups: Lookups, ref: int | str | None) -> int:
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        return int(ref) if int(ref) in lookups.priorities.values() else lookups.priority(DEFAULT_PRIORITY)
    return lookups.priorities.get(ref or "", lookups.priority(DEFAULT_PRIORITY))


def _customer(writer: TicketWriter, parsed: ParsedMessage, plan: Plan) -> CustomerRef | None:
    if plan.customer:
        return find_customer(writer.session, plan.customer) or CustomerRef(plan.customer, plan.customer)
    if parsed.from_ is None:
        return None
    return find_or_record_customer(writer.session, parsed.from_, writer.now, writer.customers)


def _new_ticket(writer: TicketWriter, parsed: ParsedMessage, plan: Plan, system_id: str) -> TicketRow:
    lookups = writer.lookups
    customer = _customer(writer, parsed, plan)
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
    ticket = writer.create_ticket(spec, system_id)
    queue_name = str(plan.trace.get("queue", plan.queue_id))
    state_name = plan.state or NEW_STATE
    writer.history(
        ticket, "NewTicket", f"%%{ticket.tn}%%{queue_name}%%{DEFAULT_PRIORITY}%%{state_name}%%{ticket.id}"
    )
    if plan.linked_ticket_id is not None:
        reason = "; ".join(plan.trace.get("policy", {}).get("reasons", []))[:250] or "follow-up refused"
        link = {
            "ticket_id": ticket.id,
            "linked_ticket_id": plan.linked_ticket_id,
            "reason": reason,
            "create_time": writer.now,
        }
        writer.add(table_of(TicketLink), link)
    return ticket


def _update_followup(writer: TicketWriter, ticket: TicketRow, plan: Plan) -> None:
    """State, lock, priority and queue changes a follow-up brings, each with its history row."""
    lookups = writer.lookups
    if plan.state and lookups.states.get(plan.state) not in (None, ticket.state_id):
        ticket.set("ticket_state_id", lookups.state(plan.state))
        writer.history(ticket, "StateUpdate", f"%%{plan.state}")
    if plan.lock and ticket.lock_id != lookups.lock("lock"):
        ticket.set("ticket_lock_id", lookups.lock("lock"))
        writer.history(ticket, "Lock", "%%lock")
    if plan.priority is not None and _priority_id(lookups, plan.priority) != ticket.priority_id:
        ticket.set("ticket_priority_id", _priority_id(lookups, plan.priority))
        writer.history(ticket, "PriorityUpdate", f"%%{plan.priority}")
    if plan.queue_id is not None and plan.queue_id != ticket.queue_id:
        ticket.set("queue_id", plan.queue_id)
        writer.history(ticket, "Move", f"%%{plan.trace.get('queue', plan.queue_id)}")


def apply_plan(
    writer: TicketWriter, parsed: ParsedMessage, raw: bytes, plan: Plan, *, system_id: str, fingerprint: str
) -> Applied:
    """Queue or write what the plan says (the caller flushes); nothing at all for loops and ignored mail."""
    if not plan.stores_article:
        return Applied(None, None)
    if plan.agent is not None:  # an agent's answer by mail (mailgate.agentmail)
        return Applied(*store_agent_answer(writer, parsed, raw, plan.agent, fingerprint=fingerprint))
    if plan.ticket_id is None:
        ticket = _new_ticket(writer, parsed, plan, system_id)
    else:
        ticket = writer.load_ticket(plan.ticket_id)
        if plan.outcome == "followup":
            _update_followup(writer, ticket, plan)
    if plan.outcome in ("new_ticket", "followup"):
        writer.tag(ticket, plan.tags)
    lookups = writer.lookups
    spec = ArticleSpec(
        sender_type_id=lookups.sender_type(plan.sender_type),
        channel_id=lookups.channel("Email"),
        visible_for_customer=plan.visible_for_customer,
        fingerprint=fingerprint,
    )
    article_id = add_email_article(writer, ticket.id, parsed, raw, spec)
    if plan.outcome == "new_ticket":
        writer.history(ticket, "EmailCustomer", f"%%{parsed.from_.email if parsed.from_ else ''}", article_id)
    else:
        writer.history(ticket, "FollowUp", f"%%{ticket.tn}", article_id)
    return Applied(ticket.id, article_id)
