"""The follow-up chain: each step, the order, the trace, and configuration errors."""

import hashlib
from typing import ClassVar

import pytest

from mailgate.errors import ConfigError, MailgateError
from mailgate.followup import (
    DEFAULT_CHAIN,
    DuplicateStepError,
    FollowupContext,
    FollowupStep,
    StepResult,
    UnknownStepError,
    build_chain,
    default_registry,
    match,
)
from mailgate.settings import Settings
from mailgate.tokens import (
    MissingSecretError,
    issue_agent_reply_address,
    issue_message_id,
    issue_reply_address,
)
from parsers.model import Address, Attachment, BounceReport, ParsedMessage
from tests.unit.followup.followup_helpers import (
    SECRET,
    SYSTEM_ADDRESS,
    TN_A,
    TN_B,
    TN_UNKNOWN,
    TODAY,
    make_context,
    make_message,
    make_tickets,
)

CHAIN = build_chain()
WITH_BODY = build_chain((*DEFAULT_CHAIN, "body_number"))


def outcomes(result: object) -> list[tuple[str, str]]:
    return [(line.step, line.outcome) for line in result.trace]  # type: ignore[attr-defined]


# ---------------------------------------------------------------- Message-ID


def test_reply_by_in_reply_to() -> None:
    tickets = make_tickets()
    parsed = make_message(in_reply_to=["<first@alice.example>"], subject="Re: something else")
    result = match(parsed, make_context(tickets), CHAIN)
    assert (result.ticket_id, result.step, result.trusted) == (1, "message_id", True)
    assert outcomes(result) == [
        ("trusted_header", "skipped"),
        ("token", "missed"),
        ("message_id", "matched"),
        ("subject_number", "skipped"),
    ]
    assert "not tried" in result.trace[-1].reason


def test_message_id_lookup_uses_znuny_md5_with_brackets_most_specific_first() -> None:
    tickets = make_tickets()
    parsed = make_message(in_reply_to=["bob@bob.example"], references=["<first@alice.example>", "<x@y>"])
    result = match(parsed, make_context(tickets), CHAIN)
    assert result.ticket_id == 2  # In-Reply-To wins over References
    md5s = next(args for kind, args in tickets.calls if kind == "message_ids")
    expected = [
        hashlib.md5(raw.encode()).hexdigest()
        for raw in ("<bob@bob.example>", "<x@y>", "<first@alice.example>")
    ]
    assert md5s == expected


def test_references_newest_first() -> None:
    tickets = make_tickets()
    parsed = make_message(references=["<first@alice.example>", "<bob@bob.example>"])
    assert match(parsed, make_context(tickets), CHAIN).ticket_id == 2


def test_unknown_references_miss_and_fall_through_to_subject() -> None:
    tickets = make_tickets()
    parsed = make_message(in_reply_to=["<unknown@example.net>"], subject=f"Re: [Ticket#{TN_A}] Printer")
    result = match(parsed, make_context(tickets), CHAIN)
    assert (result.ticket_id, result.step, result.trusted) == (1, "subject_number", False)
    assert ("message_id", "missed") in outcomes(result)


# ---------------------------------------------------------------- subject number


def test_reply_by_subject_number_only() -> None:
    parsed = make_message(subject=f"AW: [Ticket#{TN_B}] Printer")
    result = match(parsed, make_context(make_tickets()), CHAIN)
    assert (result.ticket_id, result.step, result.ticket_number, result.trusted) == (
        2,
        "subject_number",
        TN_B,
        False,
    )
    assert outcomes(result)[2] == ("message_id", "skipped")


@pytest.mark.parametrize(
    ("subject", "reason"),
    [
        ("[Ticket#2026112510000012] wrong check digit", "no valid ticket number"),
        ("[Ticket#2026112511000015] SystemID 11", "no valid ticket number"),
        (f"[Ticket#{TN_UNKNOWN}] unknown", "name no ticket"),
        (f"{TN_A} without hook", "no valid ticket number"),
    ],
)
def test_subject_numbers_that_do_not_match(subject: str, reason: str) -> None:
    result = match(make_message(subject=subject), make_context(make_tickets()), CHAIN)
    assert result.ticket_id is None and result.step is None
    assert result.trace[-1].step == "subject_number" and reason in result.trace[-1].reason


def test_subject_with_configured_hook_and_divider() -> None:
    context = make_context(make_tickets(), hook="Call#", hook_divider=": ")
    assert match(make_message(subject=f"[Call#: {TN_A}] x"), context, CHAIN).ticket_id == 1
    assert match(make_message(subject=f"[Ticket#{TN_A}] x"), context, CHAIN).ticket_id is None


def test_subject_first_existing_number_wins() -> None:
    parsed = make_message(subject=f"[Ticket#{TN_UNKNOWN}] [Ticket#{TN_B}]")
    assert match(parsed, make_context(make_tickets()), CHAIN).ticket_id == 2


# ---------------------------------------------------------------- signed tokens


def test_reply_address_in_to() -> None:
    address = issue_reply_address(SECRET, SYSTEM_ADDRESS, 2)
    parsed = make_message(to=[Address(address)], subject=f"[Ticket#{TN_A}]")
    result = match(parsed, make_context(make_tickets()), CHAIN)
    assert (result.ticket_id, result.step, result.trusted) == (2, "token", True)


@pytest.mark.parametrize("where", ["cc", "envelope", "delivered_to"])
def test_reply_address_in_cc_envelope_or_delivered_to(where: str) -> None:
    address = issue_reply_address(SECRET, "sales@example.com", 1)
    parsed = make_message()
    context = make_context(make_tickets())
    if where == "cc":
        parsed.cc = [Address(address)]
    elif where == "envelope":
        context = make_context(make_tickets(), envelope_recipients=(address,))
    else:
        parsed.headers = [("Delivered-To", address)]
    assert match(parsed, context, CHAIN).ticket_id == 1


def test_reply_address_rejected_when_forged_foreign_or_ticket_gone() -> None:
    good = issue_reply_address(SECRET, SYSTEM_ADDRESS, 1)
    forged = good[:-15] + ("b" if good[-15] != "b" else "c") + good[-14:]
    foreign = issue_reply_address(SECRET, "support@elsewhere.example", 1)
    other_secret = issue_reply_address("another secret", SYSTEM_ADDRESS, 1)
    gone = issue_reply_address(SECRET, SYSTEM_ADDRESS, 99)
    for address in (forged, foreign, other_secret, gone):
        result = match(make_message(to=[Address(address)]), make_context(make_tickets()), CHAIN)
        assert result.ticket_id is None, address
        assert ("token", "missed") in outcomes(result)


def test_our_signed_message_id_in_references_even_if_not_stored() -> None:
    message_id = issue_message_id(SECRET, "mail.example.com", 2, "77")
    parsed = make_message(references=["<unrelated@x>", message_id])
    result = match(parsed, make_context(make_tickets()), CHAIN)
    assert (result.ticket_id, result.step) == (2, "token")


def test_bounce_of_our_own_mail_finds_the_ticket_through_the_report() -> None:
    message_id = issue_message_id(SECRET, "mail.example.com", 1, "5")
    parsed = make_message(sender="MAILER-DAEMON@mx.example.net", kind="bounce", subject="Undelivered Mail")
    parsed.bounce = BounceReport(original_message_id=message_id)
    assert match(parsed, make_context(make_tickets()), CHAIN).ticket_id == 1


def test_bounce_report_original_id_also_used_against_stored_ids() -> None:
    parsed = make_message(
        kind="bounce", bounce=BounceReport(original_message_id="<agent-answer@example.com>")
    )
    result = match(parsed, make_context(make_tickets()), CHAIN)
    assert (result.ticket_id, result.step) == (1, "message_id")


def test_agent_reply_address_gives_the_agent() -> None:
    address = issue_agent_reply_address(SECRET, SYSTEM_ADDRESS, 2, 23, TODAY)
    parsed = make_message(sender="agent@example.com", to=[Address(address)])
    result = match(parsed, make_context(make_tickets(), today=TODAY), CHAIN)
    assert (result.ticket_id, result.step, result.agent_user_id) == (2, "token", 23)
    assert match(parsed, make_context(make_tickets()), CHAIN).ticket_id is None  # no date, no agent tokens


# ---------------------------------------------------------------- trusted header, body


def test_followup_header_only_from_trusted_source() -> None:
    parsed = make_message(headers=[("X-OTRS-FollowUp-TicketNumber", TN_B)])
    untrusted = match(parsed, make_context(make_tickets()), CHAIN)
    assert untrusted.ticket_id is None
    assert untrusted.trace[0].outcome == "skipped" and "not trusted" in untrusted.trace[0].reason
    trusted = match(parsed, make_context(make_tickets(), trusted=True), CHAIN)
    assert (trusted.ticket_id, trusted.step, trusted.trusted) == (2, "trusted_header", True)


def test_mailgate_header_from_trusted_source_with_bad_number() -> None:
    parsed = make_message(headers=[("X-Mailgate-Ticket", "2026112510000012")])
    result = match(parsed, make_context(make_tickets(), trusted=True), CHAIN)
    assert result.ticket_id is None and result.trace[0].outcome == "missed"


def test_body_number_off_by_default_and_works_when_configured() -> None:
    parsed = make_message(subject="Printer")
    parsed.body.text = f"> On Monday you wrote:\n> [Ticket#{TN_B}] Printer"
    assert "body_number" not in DEFAULT_CHAIN
    assert match(parsed, make_context(make_tickets()), CHAIN).ticket_id is None
    result = match(parsed, make_context(make_tickets()), WITH_BODY)
    assert (result.ticket_id, result.step, result.trusted) == (2, "body_number", False)


def test_body_number_in_attachment_name() -> None:
    attachment = Attachment(f"Ticket#{TN_A}.pdf", "application/pdf", b"%PDF", "0" * 64)
    parsed = make_message(attachments=[attachment])
    assert match(parsed, make_context(make_tickets()), WITH_BODY).ticket_id == 1


# ---------------------------------------------------------------- chain as data


def test_nothing_matches_every_step_recorded() -> None:
    result = match(make_message(), make_context(make_tickets()), WITH_BODY)
    assert not result.matched and result.step is None and not result.trusted
    assert [line.step for line in result.trace] == list(WITH_BODY.names)
    assert all(line.reason for line in result.trace)


def test_order_is_configuration() -> None:
    parsed = make_message(in_reply_to=["<first@alice.example>"], subject=f"[Ticket#{TN_B}]")
    subject_first = build_chain(("subject_number", "message_id"))
    assert match(parsed, make_context(make_tickets()), subject_first).ticket_id == 2
    assert match(parsed, make_context(make_tickets()), CHAIN).ticket_id == 1
    assert match(parsed, make_context(make_tickets()), build_chain(())).ticket_id is None


def test_unknown_or_repeated_step_names_are_config_errors() -> None:
    with pytest.raises(UnknownStepError) as info:
        build_chain(("token", "crystal_ball"))
    assert isinstance(info.value, ConfigError) and "crystal_ball" in str(info.value)
    with pytest.raises(ConfigError):
        build_chain(("token", "token"))


class AlwaysTicketOne(FollowupStep):
    name: ClassVar[str] = "always_one"
    trusted: ClassVar[bool] = False

    def run(self, parsed: ParsedMessage, context: FollowupContext) -> StepResult:
        return StepResult("matched", "test step", 1)


def test_registry_accepts_new_steps_and_rejects_duplicates() -> None:
    registry = default_registry()
    assert set(registry) == {"token", "message_id", "subject_number", "body_number", "trusted_header"}
    registry.register(AlwaysTicketOne)
    assert "always_one" in registry
    chain = build_chain(("always_one",), registry)
    assert match(make_message(), make_context(make_tickets()), chain).step == "always_one"
    with pytest.raises(DuplicateStepError) as info:
        registry.register(AlwaysTicketOne)
    assert isinstance(info.value, MailgateError)
    with pytest.raises(UnknownStepError):
        build_chain(("always_one",))  # a fresh default registry does not know it


def test_context_from_settings_requires_a_secret() -> None:
    tickets = make_tickets()
    addresses = frozenset({SYSTEM_ADDRESS})
    context = FollowupContext.from_settings(Settings(secret_key="k", system_id="42"), tickets, addresses)
    assert (context.secret, context.system_id, context.trusted, context.hook) == ("k", "42", False, "Ticket#")
    with pytest.raises(MissingSecretError):
        FollowupContext.from_settings(Settings(), tickets, addresses)
    with pytest.raises(MissingSecretError):
        make_context(tickets, secret="")


def test_context_system_address_check_is_case_insensitive() -> None:
    context = make_context(make_tickets())
    assert context.is_system_address(" Support@Example.COM ")
    assert not context.is_system_address("support@example.org")
