"""Decide what happens to a parsed mail: loop check, follow-up match and policy, bounce handling, routing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from mailgate.agentmail.planning import AgentMailConfig, plan_agent_mail
from mailgate.followup.chain import FollowupChain, match
from mailgate.followup.model import FollowupContext, FollowupResult
from mailgate.followup.policy import Action, FollowupDecision, decide
from mailgate.pipeline.facts import mail_facts
from mailgate.pipeline.loops import loop_reason
from mailgate.pipeline.plan import Plan
from mailgate.pipeline.repository import (
    DbTicketLookups,
    QueueDirectory,
    load_ticket_facts,
    resolve_user,
)
from mailgate.ticketnumber import clean_subject
from mailgate.tickets.lookups import Lookups
from mailgate.tokens import parse_message_id
from parsers.model import ParsedMessage
from router import Decision, RoutingDefaults, RuleSet, route

FOLLOWUP_STATE = "open"
JUNK_QUEUE = "Junk"


@dataclass(frozen=True, slots=True)
class PlanContext:
    """What planning needs besides the mail: installation values and what was read from the database."""

    secret: str
    system_id: str
    fqdn: str
    chain: FollowupChain
    lookups: Lookups
    queues: QueueDirectory
    rules: RuleSet
    envelope_recipients: Sequence[str] = ()
    trusted: bool = False
    today: date | None = None
    account_queue_id: int | None = None
    agent_mail: AgentMailConfig | None = None


def _followup_trace(result: FollowupResult) -> list[dict[str, str]]:
    return [{"step": s.step, "outcome": s.outcome, "reason": s.reason} for s in result.trace]


def _route_trace(decision: Decision) -> list[dict[str, Any]]:
    return [
        {"rule": entry.rule_name, "rule_id": entry.rule_id, "outcome": entry.outcome, "reason": entry.reason}
        for entry in decision.trace
    ]


def _own_bounce(parsed: ParsedMessage, context: PlanContext) -> bool:
    """A bounce of a mail we sent: its original Message-ID is one of our signed ones or on our host."""
    original = parsed.bounce.original_message_id if parsed.bounce else None
    if not original:
        return False
    ours = parse_message_id(context.secret, original) is not None
    return ours or original.lower().endswith("@" + context.fqdn.lower())


def _route(session: Session, parsed: ParsedMessage, context: PlanContext, followup: bool) -> Decision:
    facts = mail_facts(parsed, context.envelope_recipients, is_followup=followup, trusted=context.trusted)
    if context.account_queue_id is not None:  # fetched from a mail account: its queue, as Znuny dispatches
        defaults = RoutingDefaults(default_queue=context.account_queue_id)
    else:
        defaults = RoutingDefaults(
            default_queue=context.queues.default_queue_id, system_addresses=context.queues.address_queues
        )
    return route(facts, context.rules, defaults)


def _base_trace(parsed: ParsedMessage, result: FollowupResult, policy: FollowupDecision) -> dict[str, Any]:
    return {
        "kind": parsed.kind,
        "followup": _followup_trace(result),
        "followup_step": result.step,
        "policy": {"action": policy.action.value, "reasons": list(policy.reasons)},
    }


def _routed_values(session: Session, plan: Plan, decision: Decision, context: PlanContext) -> None:
    """Copy what routing decided into the plan, resolving names to ids."""
    queue_ref = JUNK_QUEUE if decision.junk else decision.queue
    queue_id = context.queues.resolve(queue_ref)
    if queue_id is None and queue_ref is not None:
        plan.trace["route_problems"] = [f"unknown queue {queue_ref!r}: default queue used"]
    if plan.ticket_id is None or decision.sources.get("queue"):
        plan.queue_id = queue_id or context.queues.default_queue_id
        plan.trace["queue"] = context.queues.names.get(plan.queue_id, str(plan.queue_id))
    plan.priority = decision.priority if decision.priority is not None else plan.priority
    plan.state = decision.state or plan.state
    plan.type = decision.type
    plan.owner = resolve_user(session, decision.owner)
    plan.responsible = resolve_user(session, decision.responsible)
    plan.customer = decision.customer
    plan.title = decision.title or plan.title
    plan.tags = decision.tags
    if decision.suppress_auto_reply:
        plan.auto_response = None


def _decision_summary(decision: Decision) -> dict[str, Any]:
    """The attributes routing set, JSON-ready, each with the rule that set it."""
    fields = ("queue", "priority", "state", "type", "owner", "responsible", "customer", "title")
    summary: dict[str, Any] = {name: getattr(decision, name) for name in fields if getattr(decision, name)}
    summary.update(
        {flag: True for flag in ("suppress_auto_reply", "ignore", "junk") if getattr(decision, flag)}
    )
    if decision.tags:
        summary["tags"] = list(decision.tags)
    summary["set_by"] = dict(decision.sources)
    return summary


def _followup_plan(policy: FollowupDecision, parsed: ParsedMessage) -> Plan:
    """The plan for a mail that belongs to an existing ticket (append, reopen or reject)."""
    if policy.action is Action.REJECT:
        return Plan(
            "rejected",
            ticket_id=policy.ticket_id,
            visible_for_customer=False,
            auto_response=policy.auto_response,
        )
    if parsed.kind == "bounce":
        return Plan("bounce", ticket_id=policy.ticket_id, sender_type="system", visible_for_customer=False)
    state = FOLLOWUP_STATE if policy.set_followup_state and not policy.auto_generated else None
    return Plan(
        "followup",
        ticket_id=policy.ticket_id,
        state=state,
        lock=policy.lock,
        auto_response=policy.auto_response,
    )


def plan_mail(session: Session, parsed: ParsedMessage, context: PlanContext) -> Plan:
    """The full decision for one mail, with a trace of every step that led to it."""
    loop = loop_reason(parsed, context.queues.address_queues.keys(), context.fqdn)
    if loop:
        return Plan("loop", trace={"kind": parsed.kind, "loop": loop})
    followup_context = FollowupContext(
        secret=context.secret,
        system_id=context.system_id,
        lookups=DbTicketLookups(session),
        system_addresses=frozenset(context.queues.address_queues),
        trusted=context.trusted,
        envelope_recipients=tuple(context.envelope_recipients),
        today=context.today,
    )
    result = match(parsed, followup_context, context.chain)
    agent_mail = context.agent_mail or AgentMailConfig(context.secret, context.fqdn)
    agent_plan = plan_agent_mail(
        session, parsed, result, agent_mail,
        envelope=context.envelope_recipients, today=context.today, lookups=context.lookups,
    )  # fmt: skip
    if agent_plan is not None:  # an answer to an agent notification: never a customer follow-up
        return agent_plan
    facts = load_ticket_facts(session, context.lookups, result.ticket_id) if result.ticket_id else None
    policy = decide(parsed, result, facts)
    trace = _base_trace(parsed, result, policy)
    if policy.action is Action.NEW_TICKET and parsed.kind == "bounce" and _own_bounce(parsed, context):
        trace["bounce"] = "a bounce of our own mail whose ticket is gone: recorded, no new ticket"
        return Plan("ignored", trace=trace)
    if policy.action is Action.NEW_TICKET:
        plan = Plan(
            "new_ticket", linked_ticket_id=policy.linked_ticket_id, auto_response=policy.auto_response
        )
        if policy.strip_ticket_number:  # the new ticket must not carry the number of the refused one
            plan.title = clean_subject(parsed.subject, tn=policy.strip_ticket_number) or None
    else:
        plan = _followup_plan(policy, parsed)
    plan.trace, plan.followup_step = trace, result.step
    decision = _route(session, parsed, context, followup=plan.ticket_id is not None)
    plan.route_decision = decision
    plan.trace["route"] = _route_trace(decision)
    plan.trace["route_decision"] = _decision_summary(decision)
    if decision.ignore:
        plan.outcome = "ignored"
        return plan
    if plan.outcome in ("new_ticket", "followup"):
        _routed_values(session, plan, decision, context)
    plan.trace["auto_response"] = plan.auto_response
    return plan
