"""Every operator and its negation, on single- and multi-valued fields, with and without case."""

from __future__ import annotations

import pytest

from router import Action, Condition, MailFacts, Rule, compile_rules, route
from router.decision import HIT, MISS

MAIL = MailFacts(
    headers=[
        ("From", "Jane Doe <Jane.Doe@Example.org>"),
        ("Subject", "Invoice 2026-11 for ACME"),
        ("X-Spam-Flag", "YES"),
        ("Received", "from a.example"),
        ("Received", "from b.example"),
        ("X-Empty", ""),
    ],
    from_email="Jane.Doe@Example.org",
    from_name="Jane Doe",
    to=["support@helpdesk.example", "sales@helpdesk.example"],
    cc=["boss@example.org"],
    subject="Invoice 2026-11 for ACME",
    body_text="Dear team,\nplease find the invoice attached.\nStraße 5\n",
    attachment_names=["invoice-2026-11.pdf", "logo.png"],
    kind="normal",
)


def outcome(condition: Condition, facts: MailFacts = MAIL) -> bool:
    rule = Rule("probe", [condition], [Action("add_tags", "probe")])
    decision = route(facts, compile_rules([rule]))
    assert decision.trace[-1].outcome in (HIT, MISS)
    return decision.trace[-1].outcome == HIT


POSITIVE_CASES = [
    # field, operator, value, case_sensitive, expected
    ("subject", "equals", "invoice 2026-11 for acme", False, True),
    ("subject", "equals", "invoice 2026-11 for acme", True, False),
    ("subject", "equals", "Invoice 2026-11", False, False),
    ("subject", "contains", "2026-11", False, True),
    ("subject", "contains", "acme", False, True),
    ("subject", "contains", "acme", True, False),
    ("subject", "starts_with", "INVOICE", False, True),
    ("subject", "starts_with", "2026", False, False),
    ("subject", "ends_with", "for acme", False, True),
    ("subject", "ends_with", "for", False, False),
    ("subject", "regex", r"\d{4}-\d{2}", False, True),
    ("subject", "regex", r"^acme", False, False),
    ("subject", "regex", r"acme$", True, False),
    ("subject", "regex", r"ACME$", True, True),
    ("subject", "exists", None, False, True),
    ("from", "equals", "jane.doe@example.org", False, True),
    ("from", "ends_with", "@example.org", False, True),
    ("from_name", "starts_with", "jane", False, True),
    ("to", "equals", "sales@helpdesk.example", False, True),
    ("to", "starts_with", "support@", False, True),
    ("to", "contains", "boss", False, False),
    ("cc", "equals", "BOSS@example.org", False, True),
    ("recipient", "equals", "boss@example.org", False, True),
    ("body", "contains", "STRASSE", False, True),  # case-folding: ß folds to ss
    ("body", "regex", r"(?m)^please", False, True),
    ("attachment_names", "ends_with", ".PDF", False, True),
    ("attachment_names", "equals", "logo.png", False, True),
    ("kind", "equals", "normal", False, True),
    ("kind", "equals", "bounce", False, False),
    ("sender_domain", "equals", "example.org", False, True),
    ("header:x-spam-flag", "equals", "yes", False, True),
    ("header:X-SPAM-FLAG", "exists", None, False, True),
    ("header:X-Empty", "exists", None, False, True),
    ("header:X-Missing", "exists", None, False, False),
    ("header:Received", "contains", "b.example", False, True),
    ("header_addresses:From", "equals", "jane.doe@example.org", False, True),
]


@pytest.mark.parametrize(("field", "operator", "value", "case_sensitive", "expected"), POSITIVE_CASES)
def test_operator_and_its_negation(
    field: str, operator: str, value: str | None, case_sensitive: bool, expected: bool
) -> None:
    assert outcome(Condition(field, operator, value, case_sensitive)) is expected
    assert outcome(Condition(field, f"not_{operator}", value, case_sensitive)) is (not expected)


def test_absent_single_valued_field_does_not_exist_and_negations_hold() -> None:
    empty = MailFacts()
    assert outcome(Condition("subject", "exists"), empty) is False
    assert outcome(Condition("subject", "not_exists"), empty) is True
    assert outcome(Condition("subject", "contains", "x"), empty) is False
    assert outcome(Condition("subject", "not_contains", "x"), empty) is True
    assert outcome(Condition("from", "not_equals", "a@b.c"), empty) is True


def test_negation_on_a_multi_valued_field_means_no_value_matches() -> None:
    assert outcome(Condition("to", "not_equals", "support@helpdesk.example")) is False
    assert outcome(Condition("to", "not_equals", "other@helpdesk.example")) is True
    assert outcome(Condition("header:Received", "not_contains", "a.example")) is False


def test_contains_text_is_not_treated_as_a_pattern() -> None:
    facts = MailFacts(subject="Price: 5.00 (net) [draft]")
    assert outcome(Condition("subject", "contains", "5.00 (net) [draft]"), facts) is True
    assert outcome(Condition("subject", "contains", "5x00"), facts) is False
    assert outcome(Condition("subject", "equals", ".*"), facts) is False
