"""What to do with a mail once matching is done: append, reopen, reject, or open a new linked ticket.

Follows Znuny's PostMaster for closed tickets (the queue's ``follow_up_id``:
1 possible, 2 reject, 3 new ticket; ``follow_up_lock``), and adds two rules of
mailgate's own: a match on a ticket number alone from someone who is not a party
to the ticket follows the queue's stranger policy (default: new linked ticket),
and auto-generated mail never reopens a ticket, changes its state or earns an
auto-response.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import IntEnum, StrEnum

from mailgate.errors import MailgateError
from mailgate.followup.model import FollowupResult
from parsers.model import ParsedMessage

AUTO_GENERATED_KINDS = frozenset({"auto-reply", "bounce", "delivery-report", "complaint"})
CLOSED_STATE_TYPES = frozenset({"closed", "removed", "merged"})
"""Znuny treats state types matching ``^(removed|close)`` as closed; a merged ticket is closed for good."""


class FollowupPolicyError(MailgateError):
    """The policy was asked about facts that do not belong to the match."""


class FollowUpOption(IntEnum):
    """Znuny's ``follow_up_possible`` rows, as referenced by ``queue.follow_up_id``."""

    POSSIBLE = 1
    REJECT = 2
    NEW_TICKET = 3

    @classmethod
    def from_znuny(cls, value: int | str) -> FollowUpOption:
        """From ``queue.follow_up_id`` or a ``follow_up_possible.name``: possible, reject, new ticket."""
        if isinstance(value, int):
            return cls(value)
        names = {"possible": cls.POSSIBLE, "reject": cls.REJECT, "new ticket": cls.NEW_TICKET}
        try:
            return names[value.strip().lower().replace("_", " ")]
        except KeyError:
            raise ValueError(f"unknown follow-up option {value!r}") from None


class StrangerPolicy(StrEnum):
    """What a queue does when a ticket number alone links a mail from a non-party to a ticket."""

    NEW_TICKET = "new_ticket"
    REJECT = "reject"
    APPEND = "append"


class Action(StrEnum):
    """The outcome for the mail."""

    NEW_TICKET = "new_ticket"
    APPEND = "append"
    APPEND_REOPEN = "append_reopen"
    REJECT = "reject"


@dataclass(frozen=True, slots=True)
class TicketFacts:
    """What the policy needs to know about the matched ticket and its queue."""

    ticket_id: int
    state_type: str
    follow_up_option: FollowUpOption = FollowUpOption.POSSIBLE
    follow_up_lock: bool = False
    customer_addresses: frozenset[str] = frozenset()
    cc_addresses: frozenset[str] = frozenset()
    sender_addresses: frozenset[str] = frozenset()
    agent_addresses: frozenset[str] = frozenset()
    stranger_policy: StrangerPolicy = StrangerPolicy.NEW_TICKET
    ticket_number: str | None = None

    def __post_init__(self) -> None:
        """Accept plain database values for the option and the stranger policy."""
        object.__setattr__(self, "follow_up_option", FollowUpOption.from_znuny(self.follow_up_option))
        object.__setattr__(self, "stranger_policy", StrangerPolicy(self.stranger_policy))

    def is_party(self, address: str) -> bool:
        """True if ``address`` is the customer, a cc'd address, an earlier sender or an agent."""
        wanted = address.strip().lower()
        groups = (self.customer_addresses, self.cc_addresses, self.sender_addresses, self.agent_addresses)
        return any(wanted == item.strip().lower() for group in groups for item in group)

    @property
    def closed(self) -> bool:
        """True for Znuny's closed, removed and merged state types."""
        return self.state_type.strip().lower() in CLOSED_STATE_TYPES


@dataclass(frozen=True, slots=True)
class FollowupDecision:
    """The decision and the reasons for it; the pipeline carries it out in one transaction."""

    action: Action
    ticket_id: int | None = None
    linked_ticket_id: int | None = None
    reopen: bool = False
    set_followup_state: bool = False
    lock: bool = False
    auto_generated: bool = False
    auto_response: str | None = None
    strip_ticket_number: str | None = None
    reasons: tuple[str, ...] = ()


def is_auto_generated(parsed: ParsedMessage) -> bool:
    """True for auto-replies, bounces, delivery reports and complaints."""
    return parsed.kind in AUTO_GENERATED_KINDS


def _auto(response: str, auto_generated: bool) -> str | None:
    """The Znuny auto-response type to send, never for auto-generated mail."""
    return None if auto_generated else response


def _new_ticket(
    reason: str, auto_generated: bool, linked: TicketFacts | None = None, response: str = "auto reply"
) -> FollowupDecision:
    """A new ticket, linked to ``linked`` (whose number is then stripped from the subject) if given."""
    return FollowupDecision(
        Action.NEW_TICKET,
        linked_ticket_id=linked.ticket_id if linked else None,
        auto_generated=auto_generated,
        auto_response=_auto(response, auto_generated),
        strip_ticket_number=linked.ticket_number if linked else None,
        reasons=(reason,),
    )


def _reject(facts: TicketFacts, reason: str, response: str | None) -> FollowupDecision:
    """Record the mail on the ticket (not visible to the customer), leave the ticket as it is."""
    return FollowupDecision(
        Action.REJECT, ticket_id=facts.ticket_id, auto_response=response, reasons=(reason,)
    )


def _stranger(parsed: ParsedMessage, facts: TicketFacts, auto_generated: bool) -> FollowupDecision | None:
    """The stranger policy's decision, or None if it says to go on as for a party.

    Strangers get at most the plain new-ticket auto reply: nothing that confirms the guessed ticket exists.
    """
    sender = parsed.from_.email if parsed.from_ else "(no From)"
    policy = facts.stranger_policy.value
    reason = f"{sender} is not a party to ticket {facts.ticket_id}; queue stranger policy {policy}"
    if facts.stranger_policy is StrangerPolicy.NEW_TICKET:
        return _new_ticket(reason, auto_generated, linked=facts)
    if facts.stranger_policy is StrangerPolicy.REJECT:
        rejected = _reject(facts, reason, None)
        return dataclasses.replace(rejected, auto_generated=auto_generated)
    return None


def _closed(facts: TicketFacts, auto_generated: bool, reasons: tuple[str, ...]) -> FollowupDecision:
    """A follow-up to a closed ticket, by the queue's follow_up_id."""
    state = f"ticket {facts.ticket_id} is {facts.state_type}"
    if auto_generated:
        why = "auto-generated mail never reopens a ticket; stored, state unchanged"
        return FollowupDecision(
            Action.APPEND, ticket_id=facts.ticket_id, auto_generated=True, reasons=(*reasons, why)
        )
    if facts.follow_up_option is FollowUpOption.REJECT:
        return _reject(facts, f"{state}; queue rejects follow-ups", "auto reject")
    if facts.follow_up_option is FollowUpOption.NEW_TICKET:
        return _new_ticket(f"{state}; queue opens a new ticket", False, facts, "auto reply/new ticket")
    return FollowupDecision(
        Action.APPEND_REOPEN,
        ticket_id=facts.ticket_id,
        reopen=True,
        set_followup_state=True,
        lock=facts.follow_up_lock,
        auto_response="auto follow up",
        reasons=(*reasons, f"{state}; queue allows follow-ups: reopen"),
    )


def _open(facts: TicketFacts, auto_generated: bool, reasons: tuple[str, ...]) -> FollowupDecision:
    """A follow-up to a ticket that is not closed; Znuny moves it to the follow-up state unless it is new."""
    if auto_generated:
        why = "auto-generated mail never changes the state"
        return FollowupDecision(
            Action.APPEND, ticket_id=facts.ticket_id, auto_generated=True, reasons=(*reasons, why)
        )
    return FollowupDecision(
        Action.APPEND,
        ticket_id=facts.ticket_id,
        set_followup_state=facts.state_type.strip().lower() != "new",
        auto_response="auto follow up",
        reasons=(*reasons, f"ticket {facts.ticket_id} is {facts.state_type}: append"),
    )


def decide(parsed: ParsedMessage, result: FollowupResult, facts: TicketFacts | None) -> FollowupDecision:
    """Decide from the mail, the match and the matched ticket's facts (None when nothing matched)."""
    auto_generated = is_auto_generated(parsed)
    if not result.matched or facts is None:
        return _new_ticket("no follow-up match", auto_generated)
    if facts.ticket_id != result.ticket_id:
        raise FollowupPolicyError(f"facts of ticket {facts.ticket_id} for a match on {result.ticket_id}")
    sender = parsed.from_.email if parsed.from_ else ""
    reasons: tuple[str, ...] = (f"matched by {result.step}",)
    if not result.trusted and not (sender and facts.is_party(sender)):
        stranger = _stranger(parsed, facts, auto_generated)
        if stranger is not None:
            return stranger
        reasons = (*reasons, f"{sender or '(no From)'} is not a party; queue stranger policy allows append")
    if facts.closed:
        return _closed(facts, auto_generated, reasons)
    return _open(facts, auto_generated, reasons)
