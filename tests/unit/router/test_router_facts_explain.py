"""MailFacts derivations and the human rendering of a decision."""

from __future__ import annotations

import pytest

from router import Action, Condition, MailFacts, RoutingDefaults, Rule, compile_rules, route
from router.explain import format_decision


def test_facts_derive_sender_domain_recipients_and_a_case_insensitive_header_index() -> None:
    facts = MailFacts(
        headers=[("Received", "one"), ("X-Custom", "v"), ("RECEIVED", "two")],
        from_email="Jane@Sub.Example.ORG",
        to=["Support@helpdesk.example", "sales@helpdesk.example"],
        cc=["support@HELPDESK.example", ""],
        envelope_to=["support+x@helpdesk.example"],
    )
    assert facts.sender_domain == "sub.example.org"
    assert facts.recipients == (
        "support+x@helpdesk.example",
        "support@helpdesk.example",
        "sales@helpdesk.example",
    )
    assert facts.header_all("received") == ("one", "two")
    assert facts.header("x-CUSTOM") == "v"
    assert facts.header("missing") is None
    assert isinstance(facts.to, tuple)


def test_facts_are_frozen_and_reject_unknown_kinds() -> None:
    facts = MailFacts(subject="s")
    with pytest.raises(AttributeError):
        facts.subject = "other"  # type: ignore[misc]
    with pytest.raises(ValueError, match="unknown mail kind 'spam'"):
        MailFacts(kind="spam")


def test_format_decision_shows_outcome_sources_and_every_rule() -> None:
    rules = [
        Rule(
            "Spam",
            [Condition("header:X-Spam-Flag", "equals", "yes")],
            [Action("move_to_junk")],
            id=1,
            position=1,
        ),
        Rule(
            "Printers",
            [Condition("subject", "contains", "printer")],
            [
                Action("set_priority", "4 high"),
                Action("add_tags", ["hardware"]),
                Action("suppress_auto_reply"),
            ],
            id=2,
            position=2,
        ),
        Rule("Old", [], enabled=False, position=3),
    ]
    facts = MailFacts(subject="Printer broken", to=["support@helpdesk.example"])
    decision = route(
        facts, compile_rules(rules), RoutingDefaults("Raw", {"support@helpdesk.example": "Support"})
    )
    text = format_decision(decision)
    assert text == (
        "Decision:\n"
        "  queue: Support  <- system address support@helpdesk.example\n"
        "  priority: 4 high  <- rule 'Printers' (id 2)\n"
        "  tags: hardware\n"
        "  no auto-reply  <- rule 'Printers' (id 2)\n"
        "\n"
        "Rules: 1 hit, 1 missed, 1 skipped\n"
        "  miss  #1 'Spam' [id 1]: condition 1 failed: header:X-Spam-Flag equals 'yes'\n"
        "  HIT   #2 'Printers' [id 2]: all conditions matched\n"
        "  skip  #3 'Old': disabled\n"
    )
    assert "'Old'" not in format_decision(decision, show_skipped=False)


def test_format_decision_without_any_queue() -> None:
    text = format_decision(route(MailFacts(), []))
    assert "queue: (none)  <- no rule, system address or default queue" in text
    assert "Rules: 0 hit, 0 missed, 0 skipped" in text
