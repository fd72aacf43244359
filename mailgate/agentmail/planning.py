"""Plan an agent's answer by mail: recognise the token, check sender, agent and authentication, read commands.

A mail to a signed agent reply address (mailgate.tokens) becomes one of three plans, never a customer
follow-up and never an auto-reply:
- ``agent_reply``: stored as the agent's article, visible for the customer, and sent to the customer;
- ``agent_note``: ``#note`` (or nothing left to send): stored as an internal note, nothing sent;
- ``agent_reply_refused``: wrong sender, expired or forged token, invalid agent, no rw permission, a
  failing DKIM/SPF/DMARC result of our MTA, or auto-generated mail: stored internal and flagged, never
  relayed, its command lines ignored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from mailgate.agentmail.agents import AgentFacts, TicketParties, load_agent, load_ticket_parties, via_name
from mailgate.agentmail.authresults import AuthVerdict, check_authentication, parse_authserv_ids
from mailgate.agentmail.commands import parse_commands
from mailgate.agentmail.model import AgentAnswer, StoredHeaders
from mailgate.agentmail.recognize import FoundToken, find_agent_token
from mailgate.followup.model import FollowupResult
from mailgate.followup.policy import is_auto_generated
from mailgate.pipeline.plan import Plan
from mailgate.settings import Settings
from mailgate.tickets.lookups import Lookups
from mailgate.tokens import DEFAULT_AGENT_TOKEN_DAYS, issue_message_id
from parsers.model import ParsedMessage

OPEN_STATE = "open"


@dataclass(frozen=True, slots=True)
class AgentMailConfig:
    """What agent mail needs from the settings: the secret, our domain, our MTA's authserv-ids, token age."""

    secret: str
    fqdn: str
    authserv_ids: frozenset[str] = frozenset()
    token_max_days: int = DEFAULT_AGENT_TOKEN_DAYS

    @classmethod
    def from_settings(cls, settings: Settings, secret: str) -> AgentMailConfig:
        """The configuration from MAILGATE_AUTHSERV_ID and MAILGATE_AGENT_TOKEN_DAYS."""
        return cls(secret, settings.fqdn, parse_authserv_ids(settings.authserv_id), settings.agent_token_days)


@dataclass(frozen=True, slots=True)
class _Checked:
    """The verified facts of one answer and the reasons (if any) to refuse relaying it."""

    found: FoundToken
    parties: TicketParties
    agent: AgentFacts | None
    auth: AuthVerdict
    refusals: tuple[str, ...]


def _sender(parsed: ParsedMessage) -> str:
    return parsed.from_.email.strip() if parsed.from_ else ""


def _refusals(
    parsed: ParsedMessage, found: FoundToken, agent: AgentFacts | None, auth: AuthVerdict
) -> list[str]:
    """Every reason not to relay this mail; empty when it is a genuine answer of the agent."""
    if found.token is None:
        return [f"forged agent reply address {found.address}: its signature does not verify"]
    reasons = []
    if found.status == "expired":
        reasons.append(f"expired agent reply token (issued {found.token.issued.isoformat()})")
    sender, user_id = _sender(parsed), found.token.user_id
    if agent is None or not agent.valid:
        reasons.append(f"agent {user_id} {'does not exist' if agent is None else 'is not valid'}")
    elif not agent.email:
        reasons.append(f"agent {user_id} has no mail address (UserEmail)")
    elif sender.lower() != agent.email.lower():
        reasons.append(f"sent from {sender or '(no From)'}, not from agent {user_id}'s address {agent.email}")
    if agent is not None and not agent.can_write:
        reasons.append(f"agent {user_id} has no rw permission on the ticket's queue")
    reasons += [f"our MTA's Authentication-Results: {failure}" for failure in auth.failures]
    if is_auto_generated(parsed):
        reasons.append(f"auto-generated mail ({parsed.kind}) is never relayed")
    return reasons


def _check(
    session: Session,
    parsed: ParsedMessage,
    found: FoundToken,
    followup: FollowupResult,
    config: AgentMailConfig,
) -> _Checked | None:
    """Load the ticket and the agent and check the mail; None when the ticket is unknown or gone."""
    ticket_id = found.token.ticket_id if found.token else followup.ticket_id
    parties = load_ticket_parties(session, ticket_id) if ticket_id else None
    if parties is None:
        return None
    agent = load_agent(session, found.token.user_id, parties.group_id) if found.token else None
    from_domain = parsed.from_.domain if parsed.from_ else ""
    auth = check_authentication(parsed.headers, config.authserv_ids, from_domain)
    return _Checked(found, parties, agent, auth, tuple(_refusals(parsed, found, agent, auth)))


def _headers(checked: _Checked, config: AgentMailConfig, customer: str) -> StoredHeaders:
    """From the queue's address in the agent's name, to the customer, in reply to the customer's last mail."""
    parties = checked.parties
    name = via_name(checked.agent.name if checked.agent else "", parties)
    references = tuple((parties.last_customer_references or "").split())
    if parties.last_customer_message_id:
        references = (*references, parties.last_customer_message_id)
    return StoredHeaders(
        sender=parties.system_address,
        sender_name=name,
        to=customer,
        subject=parties.title,
        message_id=issue_message_id(config.secret, config.fqdn, parties.ticket_id).strip("<>"),
        in_reply_to=parties.last_customer_message_id,
        references=references,
    )


def _answer(
    parsed: ParsedMessage, checked: _Checked, config: AgentMailConfig, lookups: Lookups
) -> tuple[AgentAnswer, list[str]]:
    """The answer to store for a checked mail, and any problems reading its command lines."""
    found, parties = checked.found, checked.parties
    user_id = found.token.user_id if found.token else None
    if checked.refusals:
        from_agent = (
            checked.agent is not None and (checked.agent.email or "").lower() == _sender(parsed).lower()
        )
        answer = AgentAnswer(
            parties.ticket_id, user_id, found.address, parsed.body.text,
            sender_type="agent" if from_agent else "customer", refused="; ".join(checked.refusals),
        )  # fmt: skip
        return answer, []
    commands = parse_commands(parsed.reply_text or parsed.body.text)
    customer = parties.customer_address
    note_reason = (
        "#note" if commands.note
        else "nothing left to send once quote and commands are removed" if not commands.text
        else "the ticket has no customer address" if not customer
        else None
    )  # fmt: skip
    state = commands.state
    if state is None and note_reason is None and lookups.state_type_of(parties.state_id) == "new":
        state = OPEN_STATE  # answered: Znuny's default next state of an answer
    answer = AgentAnswer(
        parties.ticket_id, user_id, found.address, commands.text,
        relay_to=(customer,) if customer and note_reason is None else (),
        state=state, pending_for=commands.pending_for, commands=commands.lines, note_reason=note_reason,
        headers=_headers(checked, config, customer) if customer and note_reason is None else None,
    )  # fmt: skip
    return answer, list(commands.problems)


def _trace(
    parsed: ParsedMessage,
    followup: FollowupResult,
    checked: _Checked,
    answer: AgentAnswer,
    problems: list[str],
) -> dict[str, Any]:
    """The decision trace: the follow-up steps and every agent-mail check, with its result."""
    agent = checked.agent
    return {
        "kind": parsed.kind,
        "followup": [{"step": s.step, "outcome": s.outcome, "reason": s.reason} for s in followup.trace],
        "followup_step": followup.step,
        "agent_mail": {
            "outcome": answer.outcome,
            "address": answer.address,
            "token": checked.found.status,
            "ticket_id": answer.ticket_id,
            "user_id": answer.user_id,
            "sender": _sender(parsed),
            "agent_email": agent.email if agent else None,
            "agent_valid": agent.valid if agent else None,
            "agent_rw": agent.can_write if agent else None,
            "authentication": {
                "results": list(checked.auth.results),
                "failures": list(checked.auth.failures),
            },
            "refused": answer.refused,
            "refusals": list(checked.refusals),
            "note": answer.note_reason,
            "commands": list(answer.commands),
            "command_problems": problems,
            "state": answer.state,
            "relay_to": list(answer.relay_to),
        },
        "auto_response": None,
    }


def plan_agent_mail(
    session: Session,
    parsed: ParsedMessage,
    followup: FollowupResult,
    config: AgentMailConfig,
    *,
    envelope: Sequence[str],
    today: date | None,
    lookups: Lookups,
) -> Plan | None:
    """The plan for a mail to an agent reply address; None for any other mail (the pipeline goes on)."""
    if today is None:
        return None
    found = find_agent_token(parsed, envelope, config.secret, today, config.token_max_days)
    checked = _check(session, parsed, found, followup, config) if found else None
    if checked is None:
        return None
    answer, problems = _answer(parsed, checked, config, lookups)
    return Plan(
        answer.outcome,
        ticket_id=answer.ticket_id,
        state=answer.state,
        sender_type=answer.sender_type,
        visible_for_customer=bool(answer.relay_to),
        auto_response=None,
        followup_step=followup.step,
        trace=_trace(parsed, followup, checked, answer, problems),
        agent=answer,
    )
