"""Znuny postmaster_filter rows as rules, Perl regex conversion, and X-OTRS-* headers in mails."""

from __future__ import annotations

import pytest
import regex

from router import Action, Condition, Decision, MailFacts, Rule, compile_rules, route
from router.decision import HIT, MISS, SKIPPED
from router.znuny import PostmasterFilterRow, perl_regex_to_python, rules_from_postmaster_filter


def mail(**headers: str) -> MailFacts:
    pairs = [(name.replace("_", "-"), value) for name, value in headers.items()]
    return MailFacts(headers=pairs, subject=headers.get("Subject", ""), body_text=headers.get("Body", ""))


def decide(rows: list[tuple], facts: MailFacts) -> Decision:
    return route(facts, compile_rules(rules_from_postmaster_filter(rows)))


def test_all_match_rows_must_hit_case_insensitively_and_set_rows_become_actions() -> None:
    rows = [
        ("Billing", 0, "Match", "From", "billing@acme", 0),
        ("Billing", 0, "Match", "Subject", "invoice", 0),
        ("Billing", 0, "Set", "X-OTRS-Queue", "Billing", 0),
        ("Billing", 0, "Set", "X-OTRS-Priority", "4 high", 0),
    ]
    both = decide(rows, mail(From="Billing <BILLING@ACME.example>", Subject="Your INVOICE"))
    assert (both.queue, both.priority) == ("Billing", "4 high")
    one = decide(rows, mail(From="billing@acme.example", Subject="Hello"))
    assert one.queue is None
    assert one.trace[0].reason == "condition 2 failed: znuny_header:Subject regex 'invoice'"


def test_f_not_negates_a_match_row() -> None:
    rows = [
        ("Not spam", 0, "Match", "X-Spam-Flag", "yes", 1),
        ("Not spam", 0, "Set", "X-OTRS-Queue", "Clean", 0),
    ]
    assert decide(rows, mail(X_Spam_Flag="YES")).queue is None
    assert decide(rows, mail(X_Spam_Flag="no")).queue == "Clean"
    assert decide(rows, mail()).queue == "Clean"  # Znuny compares an absent header as '' here


def test_emailaddress_prefix_matches_each_address_in_full() -> None:
    rows = [
        ("Sales", 0, "Match", "To", r"EMAILADDRESS:sales@example\.com", 0),
        ("Sales", 0, "Set", "X-OTRS-Queue", "Sales", 0),
    ]
    assert decide(rows, mail(To="Support <support@example.com>, Sales <SALES@example.com>")).queue == "Sales"
    assert decide(rows, mail(To="presales@example.com")).queue is None
    assert decide(rows, mail(To="sales@example.com.evil")).queue is None


def test_emailaddress_prefix_with_f_not() -> None:
    rows = [
        ("Outsiders", 0, "Match", "From", r"EMAILADDRESS:.*@example\.com", 1),
        ("Outsiders", 0, "Set", "X-OTRS-Queue", "External", 0),
    ]
    assert decide(rows, mail(From="Jane <jane@example.com>")).queue is None
    assert decide(rows, mail(From="joe@other.example")).queue == "External"


def test_body_key_matches_the_body() -> None:
    rows = [("Body", 0, "Match", "Body", r"order\s+number", 0), ("Body", 0, "Set", "X-OTRS-Type", "Order", 0)]
    assert decide(rows, mail(Body="Hi,\nmy ORDER  number is 5")).type == "Order"


def test_filters_run_sorted_by_name_and_f_stop_ends_processing() -> None:
    rows = [
        ("b-second", 0, "Match", "Subject", "x", 0),
        ("b-second", 0, "Set", "X-OTRS-Queue", "B", 0),
        ("a-first", 1, "Match", "Subject", "x", 0),
        ("a-first", 1, "Set", "X-OTRS-Queue", "A", 0),
    ]
    decision = decide(rows, mail(Subject="x"))
    assert [(entry.rule_name, entry.outcome) for entry in decision.trace] == [
        ("a-first", HIT),
        ("a-first (follow-up)", SKIPPED),
        ("b-second", SKIPPED),
    ]
    assert decision.trace[2].reason == "after stop by rule 'a-first'"
    assert decision.queue == "A"
    followup = decide(rows, MailFacts(headers=[("Subject", "x")], is_followup=True))
    assert [entry.outcome for entry in followup.trace] == [SKIPPED, HIT, SKIPPED]
    assert followup.queue is None


def test_later_filters_override_earlier_sets_without_stop() -> None:
    rows = [
        ("1", 0, "Match", "Subject", "x", 0),
        ("1", 0, "Set", "X-OTRS-Queue", "One", 0),
        ("2", 0, "Match", "Subject", "x", 0),
        ("2", 0, "Set", "X-OTRS-Queue", "Two", 0),
    ]
    assert decide(rows, mail(Subject="x")).queue == "Two"


def test_a_filter_without_match_rows_never_hits() -> None:
    rows = [("Empty", 0, "Set", "X-OTRS-Queue", "Q", 0)]
    decision = decide(rows, mail(Subject="anything"))
    assert decision.trace[0].outcome == MISS
    assert decision.queue is None


def test_followup_headers_apply_to_followups_and_plain_ones_to_new_tickets() -> None:
    rows = [
        ("F", 0, "Match", "Subject", "x", 0),
        ("F", 0, "Set", "X-OTRS-Queue", "NewQueue", 0),
        ("F", 0, "Set", "X-OTRS-FollowUp-State", "open", 0),
        ("F", 0, "Set", "X-OTRS-FollowUp-DynamicField-Region", "EU", 0),
    ]
    rules = rules_from_postmaster_filter(rows)
    assert [(rule.name, rule.applies_to) for rule in rules] == [("F", "new"), ("F (follow-up)", "followup")]
    new = route(MailFacts(headers=[("Subject", "x")]), rules)
    assert (new.queue, new.state, dict(new.dynamic_fields)) == ("NewQueue", None, {})
    followup = route(MailFacts(headers=[("Subject", "x")], is_followup=True), rules)
    assert (followup.queue, followup.state, dict(followup.dynamic_fields)) == (None, "open", {"Region": "EU"})


def test_ignore_loop_ids_dynamic_fields_and_customer_map_to_actions() -> None:
    rows = [
        ("All", 0, "Match", "Subject", ".", 0),
        ("All", 0, "Set", "X-OTRS-Ignore", "yes", 0),
        ("All", 0, "Set", "X-OTRS-Loop", "true", 0),
        ("All", 0, "Set", "X-OTRS-OwnerID", "12", 0),
        ("All", 0, "Set", "X-OTRS-Responsible", "root@localhost", 0),
        ("All", 0, "Set", "X-OTRS-CustomerUser", "jane", 0),
        ("All", 0, "Set", "X-OTRS-Title", "Hello", 0),
        ("All", 0, "Set", "X-OTRS-DynamicField-ProcessID", "P1", 0),
    ]
    decision = decide(rows, mail(Subject="s"))
    assert decision.ignore and decision.suppress_auto_reply
    assert (decision.owner, decision.responsible, decision.customer, decision.title) == (
        12,
        "root@localhost",
        "jane",
        "Hello",
    )
    assert dict(decision.dynamic_fields) == {"ProcessID": "P1"}


def test_ignore_no_is_not_an_ignore_and_unsupported_keys_are_noted() -> None:
    rows = [
        ("N", 0, "Match", "Subject", ".", 0),
        ("N", 0, "Set", "X-OTRS-Ignore", "no", 0),
        ("N", 0, "Set", "X-OTRS-SLA", "Gold", 0),
        ("N", 0, "Set", "X-OTRS-Title", "Re: [***]", 0),
    ]
    (rule,) = rules_from_postmaster_filter(rows)
    assert [action.action for action in rule.actions] == ["set_title"]
    assert rule.description == "Znuny Set keys without a mailgate action: X-OTRS-SLA"


def test_set_values_take_what_the_match_rows_captured() -> None:
    rows = [
        ("Cap", 0, "Match", "From", r"EMAILADDRESS:.+@partner\.example", 0),
        ("Cap", 0, "Match", "X-Region", r"(?<region>[A-Z]{2})-zone", 0),
        ("Cap", 0, "Match", "Subject", r"order\s+(\d+)", 0),  # the last group 1 captured wins
        ("Cap", 0, "Set", "X-OTRS-Title", "Order [***]", 0),
        ("Cap", 0, "Set", "X-OTRS-CustomerUser", "[**\\email**]", 0),
        ("Cap", 0, "Set", "X-OTRS-DynamicField-Region", "[**\\region**]", 0),
    ]
    facts = mail(From="Jo <jo@partner.example>", Subject="Re: ORDER 4711 late", X_Region="eu-zone")
    decision = decide(rows, facts)
    assert decision.title == "Order 4711"
    assert decision.customer == "jo@partner.example"
    assert dict(decision.dynamic_fields) == {"Region": "eu"}


def test_an_emailaddress_match_alone_fills_the_placeholder_with_the_address() -> None:
    rows = [
        ("Addr", 0, "Match", "To", r"EMAILADDRESS:sales@.*", 0),
        ("Addr", 0, "Set", "X-OTRS-Title", "For [***]", 0),
    ]
    assert (
        decide(rows, mail(To="Support <support@x.example>, SALES@x.example")).title == "For SALES@x.example"
    )


def test_rows_may_be_mappings_tuples_or_dataclasses() -> None:
    as_mapping = {
        "f_name": "M",
        "f_stop": None,
        "f_type": "Match",
        "f_key": "Subject",
        "f_value": "a",
        "f_not": None,
    }
    as_row = PostmasterFilterRow("M", None, "Set", "X-OTRS-Queue", "Q")
    (rule,) = rules_from_postmaster_filter([as_mapping, as_row])
    assert rule.conditions[0].operator == "regex" and rule.actions[0].value == "Q"
    assert rule.stop_after_match is False


@pytest.mark.parametrize(
    ("perl", "text", "expected"),
    [
        (r"(?i)^re:", "RE: hello", True),
        (r"\Qa.b (c)\E$", "x a.b (c)", True),
        (r"\Qa.b\E", "axb", False),
        (r"\x{263A}", "smile \u263a", True),
        (r"end\Z", "the end\n", True),
        (r"end\z", "the end\n", False),
        (r"(?^i:abc)", "ABC", True),
        (r"\s+\@\s+", "a @ b", True),
        (r"[[:digit:]]{3}", "ab123", True),
    ],
)
def test_perl_regex_syntax_is_converted(perl: str, text: str, expected: bool) -> None:
    assert (regex.search(perl_regex_to_python(perl), text) is not None) is expected


def test_x_otrs_headers_in_the_mail_count_only_from_a_trusted_source() -> None:
    headers = [
        ("X-OTRS-Queue", "Sales"),
        ("X-OTRS-Priority", "5 very high"),
        ("X-OTRS-FollowUp-State", "open"),
    ]
    untrusted = route(MailFacts(headers=headers), [])
    assert (untrusted.queue, untrusted.priority) == (None, None)
    assert untrusted.trace[0].outcome == SKIPPED and "untrusted" in untrusted.trace[0].reason
    trusted = route(MailFacts(headers=headers, trusted_source=True), [])
    assert (trusted.queue, trusted.priority, trusted.state) == ("Sales", "5 very high", None)
    assert trusted.queue_source.startswith("trusted header")
    followup = route(MailFacts(headers=headers, trusted_source=True, is_followup=True), [])
    assert (followup.queue, followup.state) == (None, "open")


def test_rules_override_trusted_headers() -> None:
    rows = [("R", 0, "Match", "Subject", "x", 0), ("R", 0, "Set", "X-OTRS-Queue", "FromRule", 0)]
    facts = MailFacts(headers=[("Subject", "x"), ("X-OTRS-Queue", "FromHeader")], trusted_source=True)
    assert decide(rows, facts).queue == "FromRule"


def test_mail_without_x_otrs_headers_gets_no_header_trace_entry() -> None:
    assert route(MailFacts(trusted_source=True), []).trace == ()


def test_rules_see_x_otrs_headers_only_from_a_trusted_source() -> None:
    rule = Rule(
        "spoof", [Condition("header:X-OTRS-Queue", "equals", "vip")], [Action("set_priority", "5 very high")]
    )
    headers = [("X-OTRS-Queue", "VIP")]
    assert route(MailFacts(headers=headers), [rule]).priority is None
    assert route(MailFacts(headers=headers, trusted_source=True), [rule]).priority == "5 very high"


def test_an_absent_header_is_an_empty_value_as_znuny_reads_it() -> None:
    rows = [
        ("NoSpamHeader", 0, "Match", "X-Spam-Status", "^$", 0),
        ("NoSpamHeader", 0, "Set", "X-OTRS-Queue", "Q", 0),
    ]
    assert decide(rows, mail()).queue == "Q"
    assert decide(rows, mail(X_Spam_Status="")).queue == "Q"
    assert decide(rows, mail(X_Spam_Status="No, score=1")).queue is None
