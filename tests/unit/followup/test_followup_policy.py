"""The follow-up policy: strangers, closed tickets under each follow_up option, auto-generated mail."""

import pytest

from mailgate.followup import (
    Action,
    FollowupDecision,
    FollowUpOption,
    FollowupPolicyError,
    FollowupResult,
    StrangerPolicy,
    TicketFacts,
    build_chain,
    decide,
    is_auto_generated,
    match,
)
from parsers.model import Address
from tests.unit.followup.followup_helpers import TN_A, TN_B, make_context, make_message, make_tickets

CHAIN = build_chain()
BY_SUBJECT = FollowupResult(ticket_id=1, step="subject_number", trusted=False, ticket_number=TN_A)
BY_MESSAGE_ID = FollowupResult(ticket_id=1, step="message_id", trusted=True)
BY_TOKEN = FollowupResult(ticket_id=1, step="token", trusted=True)
NO_MATCH = FollowupResult(ticket_id=None, step=None, trusted=False)
AUTO_KINDS = ["auto-reply", "bounce", "delivery-report", "complaint"]


def facts(state_type: str = "open", **overrides: object) -> TicketFacts:
    values: dict[str, object] = {
        "ticket_id": 1,
        "state_type": state_type,
        "customer_addresses": frozenset({"alice@alice.example"}),
        "cc_addresses": frozenset({"carol@alice.example"}),
        "sender_addresses": frozenset({"dave@alice.example"}),
        "agent_addresses": frozenset({"agent@example.com"}),
        "ticket_number": TN_A,
    }
    values.update(overrides)
    return TicketFacts(**values)  # type: ignore[arg-type]


# ---------------------------------------------------------------- no match


def test_no_match_opens_a_plain_new_ticket() -> None:
    decision = decide(make_message(), NO_MATCH, None)
    assert decision == FollowupDecision(
        Action.NEW_TICKET, auto_response="auto reply", reasons=("no follow-up match",)
    )


def test_auto_reply_without_match_gets_no_auto_response() -> None:
    decision = decide(make_message(kind="auto-reply"), NO_MATCH, None)
    assert decision.action is Action.NEW_TICKET
    assert decision.auto_generated and decision.auto_response is None


# ---------------------------------------------------------------- hijack attempts


def test_hijack_by_guessed_number_opens_a_new_linked_ticket() -> None:
    tickets = make_tickets()
    parsed = make_message(sender="mallory@evil.example", subject=f"Re: [Ticket#{TN_A}] give me the data")
    result = match(parsed, make_context(tickets), CHAIN)
    assert (result.ticket_id, result.step) == (1, "subject_number")
    decision = decide(parsed, result, facts("open"))
    assert decision.action is Action.NEW_TICKET
    assert decision.ticket_id is None and decision.linked_ticket_id == 1
    assert decision.strip_ticket_number == TN_A
    assert not decision.reopen and not decision.set_followup_state
    assert decision.auto_response == "auto reply"  # nothing that confirms ticket 1 exists
    assert "mallory@evil.example is not a party" in decision.reasons[0]


def test_hijack_on_closed_ticket_does_not_reopen_it() -> None:
    parsed = make_message(sender="mallory@evil.example")
    decision = decide(parsed, BY_SUBJECT, facts("closed"))
    assert decision.action is Action.NEW_TICKET and decision.linked_ticket_id == 1 and not decision.reopen


def test_stranger_policy_reject_keeps_the_mail_out_of_the_conversation() -> None:
    parsed = make_message(sender="mallory@evil.example")
    decision = decide(parsed, BY_SUBJECT, facts("open", stranger_policy=StrangerPolicy.REJECT))
    assert decision.action is Action.REJECT and decision.ticket_id == 1
    assert decision.auto_response is None and not decision.set_followup_state


def test_stranger_policy_append_behaves_like_znuny() -> None:
    parsed = make_message(sender="mallory@evil.example")
    decision = decide(parsed, BY_SUBJECT, facts("open", stranger_policy="append"))
    assert decision.action is Action.APPEND and decision.ticket_id == 1
    assert any("not a party" in reason for reason in decision.reasons)


def test_missing_from_is_a_stranger() -> None:
    parsed = make_message()
    parsed.from_ = None
    assert decide(parsed, BY_SUBJECT, facts()).action is Action.NEW_TICKET


@pytest.mark.parametrize(
    "sender",
    [
        "alice@alice.example",
        "ALICE@Alice.Example",
        "carol@alice.example",
        "dave@alice.example",
        "agent@example.com",
    ],
)
def test_parties_may_follow_up_by_subject_number(sender: str) -> None:
    decision = decide(make_message(sender=sender), BY_SUBJECT, facts("open"))
    assert decision.action is Action.APPEND and decision.ticket_id == 1
    assert decision.set_followup_state and decision.auto_response == "auto follow up"


@pytest.mark.parametrize("result", [BY_MESSAGE_ID, BY_TOKEN])
def test_token_and_message_id_matches_are_trusted_without_party_check(result: FollowupResult) -> None:
    decision = decide(make_message(sender="colleague@alice-partner.example"), result, facts("open"))
    assert decision.action is Action.APPEND and decision.ticket_id == 1


def test_same_domain_is_not_enough_to_be_a_party() -> None:
    decision = decide(make_message(sender="eve@alice.example"), BY_SUBJECT, facts("open"))
    assert decision.action is Action.NEW_TICKET


# ---------------------------------------------------------------- closed tickets, each follow_up option


def test_closed_follow_up_possible_reopens() -> None:
    decision = decide(
        make_message(), BY_MESSAGE_ID, facts("closed", follow_up_option=FollowUpOption.POSSIBLE)
    )
    assert decision.action is Action.APPEND_REOPEN and decision.ticket_id == 1
    assert decision.reopen and decision.set_followup_state and not decision.lock
    assert decision.auto_response == "auto follow up"


def test_closed_follow_up_possible_with_follow_up_lock_locks() -> None:
    decision = decide(make_message(), BY_MESSAGE_ID, facts("closed", follow_up_option=1, follow_up_lock=True))
    assert decision.action is Action.APPEND_REOPEN and decision.lock


def test_closed_follow_up_reject_keeps_closed_and_records() -> None:
    decision = decide(make_message(), BY_MESSAGE_ID, facts("closed", follow_up_option=FollowUpOption.REJECT))
    assert decision.action is Action.REJECT and decision.ticket_id == 1
    assert not decision.reopen and not decision.set_followup_state and not decision.lock
    assert decision.auto_response == "auto reject"


def test_closed_follow_up_new_ticket_links_and_strips_number() -> None:
    decision = decide(make_message(), BY_MESSAGE_ID, facts("closed", follow_up_option=3, follow_up_lock=True))
    assert decision.action is Action.NEW_TICKET
    assert decision.linked_ticket_id == 1 and decision.ticket_id is None
    assert decision.strip_ticket_number == TN_A and not decision.lock
    assert decision.auto_response == "auto reply/new ticket"


@pytest.mark.parametrize("state_type", ["removed", "merged", "Closed"])
def test_removed_and_merged_count_as_closed(state_type: str) -> None:
    decision = decide(make_message(), BY_MESSAGE_ID, facts(state_type, follow_up_option=2))
    assert decision.action is Action.REJECT


@pytest.mark.parametrize(
    ("state_type", "moves"),
    [("new", False), ("open", True), ("pending reminder", True), ("pending auto", True)],
)
def test_open_states_append_and_znuny_moves_all_but_new_to_the_follow_up_state(
    state_type: str, moves: bool
) -> None:
    decision = decide(make_message(), BY_MESSAGE_ID, facts(state_type, follow_up_option=2))
    assert decision.action is Action.APPEND and not decision.reopen and not decision.lock
    assert decision.set_followup_state is moves


# ---------------------------------------------------------------- auto-generated mail never reopens


@pytest.mark.parametrize("kind", AUTO_KINDS)
@pytest.mark.parametrize("option", list(FollowUpOption))
def test_auto_generated_mail_never_reopens_a_closed_ticket(kind: str, option: FollowUpOption) -> None:
    decision = decide(
        make_message(kind=kind), BY_MESSAGE_ID, facts("closed", follow_up_option=option, follow_up_lock=True)
    )
    assert decision.action is Action.APPEND and decision.ticket_id == 1
    assert not decision.reopen and not decision.set_followup_state and not decision.lock
    assert decision.auto_generated and decision.auto_response is None
    assert any("never reopens" in reason for reason in decision.reasons)


@pytest.mark.parametrize("kind", AUTO_KINDS)
def test_auto_generated_mail_never_changes_an_open_ticket_state(kind: str) -> None:
    decision = decide(make_message(kind=kind), BY_MESSAGE_ID, facts("pending reminder"))
    assert decision.action is Action.APPEND
    assert not decision.set_followup_state and decision.auto_generated and decision.auto_response is None


def test_auto_reply_from_a_stranger_by_number_follows_stranger_policy_without_auto_response() -> None:
    parsed = make_message(sender="ooo@elsewhere.example", kind="auto-reply")
    decision = decide(parsed, BY_SUBJECT, facts("closed"))
    assert decision.action is Action.NEW_TICKET and decision.linked_ticket_id == 1
    assert decision.auto_response is None and not decision.reopen


def test_kinds() -> None:
    assert all(is_auto_generated(make_message(kind=kind)) for kind in AUTO_KINDS)
    assert not is_auto_generated(make_message(kind="normal"))
    assert not is_auto_generated(make_message(kind="list"))


# ---------------------------------------------------------------- values


def test_follow_up_option_from_znuny_ids_and_names() -> None:
    assert FollowUpOption.from_znuny(1) is FollowUpOption.POSSIBLE
    assert FollowUpOption.from_znuny("reject") is FollowUpOption.REJECT
    assert FollowUpOption.from_znuny("New Ticket") is FollowUpOption.NEW_TICKET
    assert FollowUpOption.from_znuny("new_ticket") is FollowUpOption.NEW_TICKET
    with pytest.raises(ValueError):
        FollowUpOption.from_znuny(4)
    with pytest.raises(ValueError):
        FollowUpOption.from_znuny("maybe")


def test_facts_of_another_ticket_are_refused() -> None:
    with pytest.raises(FollowupPolicyError):
        decide(make_message(), BY_MESSAGE_ID, facts(ticket_id=2))


def test_scenario_reply_to_closed_ticket_by_in_reply_to() -> None:
    parsed = make_message(sender="bob@bob.example", in_reply_to=["<bob@bob.example>"], subject="Re: thanks")
    parsed.to = [Address("support@example.com")]
    result = match(parsed, make_context(make_tickets()), CHAIN)
    ticket = facts(
        "closed", ticket_id=2, ticket_number=TN_B, customer_addresses=frozenset({"bob@bob.example"})
    )
    decision = decide(parsed, result, ticket)
    assert (decision.action, decision.ticket_id, decision.reopen) == (Action.APPEND_REOPEN, 2, True)
    assert decision.reasons[0] == "matched by message_id"
