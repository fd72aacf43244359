"""Render a Plan for humans: the follow-up steps, the policy, the rules and the result."""

from __future__ import annotations

from mailgate.pipeline.plan import Plan
from parsers.model import ParsedMessage
from router.explain import format_decision

RESULT_WORDS = {
    "new_ticket": "a new ticket",
    "followup": "a follow-up article on ticket {ticket}",
    "rejected": "an internal article on closed ticket {ticket}; the follow-up is rejected",
    "bounce": "an internal article on ticket {ticket} (bounce of our mail)",
    "loop": "recorded and ignored (mail loop)",
    "ignored": "recorded and ignored",
    "agent_reply": "the agent's answer on ticket {ticket}, sent to the customer",
    "agent_note": "the agent's internal note on ticket {ticket}, not sent",
    "agent_reply_refused": "an internal, flagged article on ticket {ticket}; NOT relayed",
}


def _mail_lines(parsed: ParsedMessage) -> list[str]:
    sender = parsed.from_.email if parsed.from_ else "(none)"
    return [f"Mail: {parsed.subject!r} from {sender}, kind {parsed.kind}, Message-ID {parsed.message_id}"]


def _followup_lines(plan: Plan) -> list[str]:
    steps = plan.trace.get("followup", [])
    lines = ["", "Follow-up chain:"]
    lines += [f"  {step['step']:15} {step['outcome']:8} {step['reason']}" for step in steps]
    policy = plan.trace.get("policy")
    if policy:
        lines.append(f"Policy: {policy['action']} ({'; '.join(policy['reasons'])})")
    return lines


def _result_lines(plan: Plan) -> list[str]:
    result = RESULT_WORDS[plan.outcome].format(ticket=plan.ticket_id)
    lines = ["", f"Result: {result}"]
    if plan.outcome in ("new_ticket", "followup"):
        lines.append(f"  queue: {plan.trace.get('queue', '(unchanged)')}")
        lines.append(f"  state: {plan.state or ('new' if plan.outcome == 'new_ticket' else '(unchanged)')}")
        if plan.priority is not None:
            lines.append(f"  priority: {plan.priority}")
    lines.append(f"  auto-response: {plan.auto_response or 'none'}")
    if "loop" in plan.trace:
        lines.append(f"  why: {plan.trace['loop']}")
    if plan.agent is not None:  # an agent's answer by mail: why it is (not) relayed
        lines.append(f"  why: {plan.agent.why}")
    return lines


def format_plan(parsed: ParsedMessage, plan: Plan) -> str:
    """The whole explanation as text."""
    lines = _mail_lines(parsed) + _followup_lines(plan)
    if plan.route_decision is not None:
        lines += ["", "Routing:", format_decision(plan.route_decision).rstrip()]
    return "\n".join(lines + _result_lines(plan)) + "\n"
